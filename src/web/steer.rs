//! Sends the requests that are not gRPC to the web console, before the gRPC layers (the
//! 415 for other content types, the limits that answer with gRPC statuses, the token layer
//! that reads `authorization` metadata). gRPC requests — and anything sent to a gRPC
//! service's path — pass on untouched.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::Router;
use tonic::codegen::http;
use tower::{Layer, Service, ServiceExt};

use crate::grpc::edges::is_grpc;

/// Whether a path names a gRPC service (`/gx.v1.ReportService/…`: a dot in the first
/// segment, which no page has): such requests stay with gRPC, which answers a wrong content
/// type with HTTP 415.
pub fn service_path(path: &str) -> bool {
    path.trim_start_matches('/')
        .split('/')
        .next()
        .is_some_and(|s| s.contains('.'))
}

/// The layer: with no router (gxd `--no-web`) every request goes on to gRPC.
#[derive(Clone, Default)]
pub struct SteerLayer {
    web: Option<Router>,
}

impl SteerLayer {
    pub fn new(web: Option<Router>) -> SteerLayer {
        SteerLayer { web }
    }
}

impl<S> Layer<S> for SteerLayer {
    type Service = Steer<S>;

    fn layer(&self, inner: S) -> Steer<S> {
        Steer {
            web: self.web.clone(),
            inner,
        }
    }
}

/// The service [`SteerLayer`] makes.
#[derive(Clone)]
pub struct Steer<S> {
    web: Option<Router>,
    inner: S,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

impl<S> Service<http::Request<tonic::body::Body>> for Steer<S>
where
    S: Service<http::Request<tonic::body::Body>, Response = http::Response<tonic::body::Body>>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<tonic::body::Body>) -> Self::Future {
        match &self.web {
            Some(web)
                if !is_grpc(req.headers().get(http::header::CONTENT_TYPE))
                    && !service_path(req.uri().path()) =>
            {
                let web = web.clone();
                Box::pin(async move {
                    let r: Result<_, Infallible> = web.oneshot(req).await;
                    let r = match r {
                        Ok(r) => r,
                        Err(never) => match never {},
                    };
                    Ok(r.map(tonic::body::Body::new))
                })
            }
            _ => {
                // The clone that was readied serves this call (tower's rule).
                let clone = self.inner.clone();
                let mut inner = std::mem::replace(&mut self.inner, clone);
                Box::pin(async move { inner.call(req).await })
            }
        }
    }
}
