//! The gxd server, above the wire ([`crate::grpc`]) and the web console ([`crate::web`]):
//! [`run`] serves `gx.v1`'s ReportService, OrgService, TokenService, WatchService and
//! IntegrityService, `grpc.health.v1.Health` and server reflection (v1 and v1alpha) on an
//! already-bound listener until `shutdown` resolves, then completes the calls in flight and
//! flushes the store.
//!
//! [`run_with`] takes the security [`Options`]: the layers of [`crate::grpc::layers`] run outermost
//! first — the request span, the limits (calls in flight, timeout), the tokens and the
//! decision of [`crate::auth`] — and TLS (optionally requiring client certificates).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio_stream::wrappers::TcpListenerStream;
use tokio_stream::{Stream, StreamExt};
use tonic::codec::CompressionEncoding;
use tonic::service::Routes;
use tonic::transport::{Certificate, Identity, Server, ServerTlsConfig};
use tonic_health::server::HealthReporter;

use crate::auth::{CodeHierarchy, Hierarchy};
use crate::grpc::integrity::Integrity;
use crate::grpc::layers::{
    request_span, Authorize, LimitLayer, DEFAULT_MAX_CONCURRENT, DEFAULT_TIMEOUT,
};
use crate::grpc::orgs::Orgs;
use crate::grpc::reports::Reports;
use crate::grpc::tokens::Tokens;
use crate::grpc::watch::{StopWatchers, Watch};
use crate::pb;
use crate::pb::integrity_service_server::IntegrityServiceServer;
use crate::pb::org_service_server::OrgServiceServer;
use crate::pb::report_service_server::ReportServiceServer;
use crate::pb::token_service_server::TokenServiceServer;
use crate::pb::watch_service_server::WatchServiceServer;
use crate::store::{Store, StoreError};

/// The largest request or response, in bytes (a real report is 10–100 KB). Larger requests
/// fail with `OUT_OF_RANGE` before they are decoded.
pub const MAX_MESSAGE_BYTES: usize = 16 << 20;

/// How long calls in flight may take to complete after shutdown is asked for.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// TLS material, PEM-encoded.
#[derive(Debug, Clone)]
pub struct Tls {
    pub cert: Vec<u8>,
    pub key: Vec<u8>,
    /// When set, clients must present a certificate signed by this CA (mTLS).
    pub client_ca: Option<Vec<u8>>,
}

/// How gxd serves: who may read, transport security, limits.
#[derive(Debug, Clone)]
pub struct Options {
    /// Reads need no token (published reports are public documents).
    pub public_read: bool,
    /// Serve TLS instead of plaintext.
    pub tls: Option<Tls>,
    /// The largest request or response, in bytes.
    pub max_message_bytes: usize,
    /// Calls in flight beyond this are answered RESOURCE_EXHAUSTED at once.
    pub max_concurrent: usize,
    /// Calls taking longer are answered DEADLINE_EXCEEDED.
    pub request_timeout: Duration,
    /// Which bodies are within which, for filer tokens with `subtree` (gxd passes the
    /// store: the registered bodies' hierarchy).
    pub hierarchy: Arc<dyn Hierarchy>,
    /// The store is served damaged (read-only): every response carries a `gx-warning`.
    pub damaged: bool,
    /// Serve the web console ([`crate::web`]) beside the gRPC services (gxd `--no-web`
    /// turns it off).
    pub web: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            public_read: false,
            tls: None,
            max_message_bytes: MAX_MESSAGE_BYTES,
            max_concurrent: DEFAULT_MAX_CONCURRENT,
            request_timeout: DEFAULT_TIMEOUT,
            hierarchy: Arc::new(CodeHierarchy),
            damaged: false,
            web: true,
        }
    }
}

/// Why the server stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("reflection: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
    #[error("serving: {0}")]
    Transport(#[from] tonic::transport::Error),
    #[error("closing the store: {0}")]
    Store(#[from] StoreError),
    #[error("TLS: {0}")]
    Tls(String),
}

/// Serves on `listener` until `shutdown` resolves; then stops accepting, lets the calls in
/// flight complete (up to [`SHUTDOWN_GRACE`]), and flushes and closes `store`.
pub async fn run(
    listener: TcpListener,
    store: Store,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    run_with(listener, store, Options::default(), shutdown).await
}

/// [`run`] with the given [`Options`].
pub async fn run_with(
    listener: TcpListener,
    store: Store,
    options: Options,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let (health, routes, watchers) = services(&store, options.max_message_bytes).await?;
    // Watch streams never end on their own: they end as shutdown begins.
    let shutdown = async move {
        shutdown.await;
        watchers.stop();
    };
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let web = crate::web::layer(
        options.web,
        &store,
        options.public_read,
        options.hierarchy.clone(),
        options.tls.is_some(),
        options.max_concurrent,
    );
    let server = builder(&options)?
        // Browsers speak HTTP/1.1 to a plaintext address.
        .accept_http1(options.web)
        .layer(request_span())
        .layer(tower::util::MapResponseLayer::new(
            crate::grpc::edges::decompressed_over_limit::<tonic::body::Body>,
        ))
        // Requests that are not gRPC go to the web console here (with `web`).
        .layer(web)
        .layer(crate::grpc::edges::GrpcOnly::layer())
        .layer(tower::util::option_layer(
            options.damaged.then(damaged_warning),
        ))
        .layer(LimitLayer::new(
            options.max_concurrent,
            options.request_timeout,
        ))
        .layer(Authorize::layer(
            store.clone(),
            options.public_read,
            options.hierarchy.clone(),
        ))
        .add_routes(routes)
        .serve_with_incoming_shutdown(incoming(listener), async move {
            let _ = stop_rx.await;
        });
    let result = until_shutdown(server, shutdown, health, stop_tx).await;
    let closed = store.close().await;
    tracing::info!("store flushed and closed");
    result?;
    closed?;
    Ok(())
}

/// The `gx-warning` header every response of a damaged store carries.
fn damaged_warning(
) -> tower_http::set_header::SetResponseHeaderLayer<tonic::codegen::http::HeaderValue> {
    tower_http::set_header::SetResponseHeaderLayer::overriding(
        tonic::codegen::http::HeaderName::from_static("gx-warning"),
        tonic::codegen::http::HeaderValue::from_static(
            "damaged data directory served read-only: its log does not match its records (gxd verify)",
        ),
    )
}

/// The services, health (serving) and reflection (v1 and v1alpha) included.
async fn services(
    store: &Store,
    max: usize,
) -> Result<(HealthReporter, Routes, StopWatchers), ServeError> {
    let (health, health_service) = tonic_health::server::health_reporter();
    health.set_serving::<ReportServiceServer<Reports>>().await;
    health.set_serving::<OrgServiceServer<Orgs>>().await;
    let reflection = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_types::pb::FILE_DESCRIPTOR_SET)
    };
    let reports = ReportServiceServer::new(Reports::new(store.clone()))
        .max_decoding_message_size(max)
        .max_encoding_message_size(max)
        .accept_compressed(CompressionEncoding::Gzip)
        .send_compressed(CompressionEncoding::Gzip);
    let tokens = TokenServiceServer::new(Tokens::new(store.clone()))
        .max_decoding_message_size(max)
        .max_encoding_message_size(max);
    let integrity = IntegrityServiceServer::new(Integrity::new(store.clone()))
        .max_decoding_message_size(max)
        .max_encoding_message_size(max);
    let orgs = OrgServiceServer::new(Orgs::new(store.clone()))
        .max_decoding_message_size(max)
        .max_encoding_message_size(max)
        .accept_compressed(CompressionEncoding::Gzip)
        .send_compressed(CompressionEncoding::Gzip);
    let watch = Watch::new(store.clone());
    let watchers = watch.stopper();
    let watch = WatchServiceServer::new(watch)
        .max_decoding_message_size(max)
        .max_encoding_message_size(max);
    let routes = Routes::new(health_service)
        .add_service(reflection().build_v1()?)
        .add_service(reflection().build_v1alpha()?)
        .add_service(reports)
        .add_service(tokens)
        .add_service(integrity)
        .add_service(orgs)
        .add_service(watch);
    Ok((health, routes, watchers))
}

/// The accepted connections, with TCP_NODELAY: small unary replies must not wait for
/// Nagle's algorithm (p99 43 ms → 3 ms measured here).
fn incoming(
    listener: TcpListener,
) -> impl Stream<Item = Result<tokio::net::TcpStream, std::io::Error>> {
    TcpListenerStream::new(listener).map(|conn| {
        let conn = conn?;
        conn.set_nodelay(true)?;
        Ok(conn)
    })
}

/// The transport: plaintext, or TLS (with client certificates when a CA is given).
fn builder(options: &Options) -> Result<Server, ServeError> {
    let mut builder = Server::builder();
    if let Some(tls) = &options.tls {
        let mut config = ServerTlsConfig::new().identity(Identity::from_pem(&tls.cert, &tls.key));
        if let Some(ca) = &tls.client_ca {
            config = config.client_ca_root(Certificate::from_pem(ca));
        }
        builder = builder
            .tls_config(config)
            .map_err(|e| ServeError::Tls(e.to_string()))?;
    }
    Ok(builder)
}

/// Serves until `shutdown` resolves; then says NOT_SERVING, stops accepting (`stop`), and
/// lets the calls in flight complete for up to [`SHUTDOWN_GRACE`].
async fn until_shutdown(
    server: impl Future<Output = Result<(), tonic::transport::Error>>,
    shutdown: impl Future<Output = ()>,
    health: HealthReporter,
    stop: oneshot::Sender<()>,
) -> Result<(), ServeError> {
    let mut server = std::pin::pin!(server);
    let mut shutdown = std::pin::pin!(shutdown);
    tokio::select! {
        r = &mut server => return r.map_err(ServeError::from),
        () = &mut shutdown => {}
    }
    tracing::info!("shutting down: completing calls in flight");
    health
        .set_not_serving::<ReportServiceServer<Reports>>()
        .await;
    health.set_not_serving::<OrgServiceServer<Orgs>>().await;
    health
        .set_service_status("", tonic_health::ServingStatus::NotServing)
        .await;
    let _ = stop.send(());
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
