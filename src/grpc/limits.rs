//! Overload protection for every call: a cap on the calls in flight across all connections —
//! a call beyond it is answered `RESOURCE_EXHAUSTED` at once rather than queued — and a
//! per-call timeout answered `DEADLINE_EXCEEDED`. Health checks are exempt from the cap, so
//! an overloaded gxd still says it is alive.
//!
//! The other limits live where their data is: the maximum message size in
//! [`crate::grpc::server`], text sizes (narrative, reason, org) in [`crate::grpc::reports`].

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::sync::Semaphore;
use tonic::codegen::http;
use tonic::Status;

/// Default cap on calls in flight.
pub const DEFAULT_MAX_CONCURRENT: usize = 256;
/// Default per-call timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// Why a call was cut short.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LimitError {
    #[error("gxd is at its limit of {max} calls in flight; retry shortly")]
    Overloaded { max: usize },
    #[error("the call did not complete within gxd's per-request timeout of {}s; a submission may still have been stored — resubmitting the same content is safe", .after.as_secs_f64())]
    Timeout { after: Duration },
}

/// The limits layer (see the module docs).
#[derive(Debug, Clone)]
pub struct LimitLayer {
    permits: Arc<Semaphore>,
    max: usize,
    timeout: Duration,
}

impl LimitLayer {
    pub fn new(max_concurrent: usize, timeout: Duration) -> LimitLayer {
        let max = max_concurrent.clamp(1, Semaphore::MAX_PERMITS);
        LimitLayer {
            permits: Arc::new(Semaphore::new(max)),
            max,
            timeout,
        }
    }
}

impl<S> tower::Layer<S> for LimitLayer {
    type Service = Limit<S>;

    fn layer(&self, inner: S) -> Limit<S> {
        Limit {
            inner,
            limits: self.clone(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Limit<S> {
    inner: S,
    limits: LimitLayer,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

impl<S, B, RB> tower::Service<http::Request<B>> for Limit<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<RB>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    RB: Default + Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<S::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let exempt = req.uri().path().starts_with("/grpc.health.v1.Health/");
        let permit = if exempt {
            None
        } else {
            match self.limits.permits.clone().try_acquire_owned() {
                Ok(p) => Some(p),
                Err(_) => {
                    let response = Status::from(LimitError::Overloaded {
                        max: self.limits.max,
                    })
                    .into_http::<RB>();
                    return Box::pin(async move { Ok(response) });
                }
            }
        };
        let after = self.limits.timeout;
        let future = self.inner.call(req);
        Box::pin(async move {
            let _permit = permit;
            match tokio::time::timeout(after, future).await {
                Ok(r) => r,
                Err(_) => Ok(Status::from(LimitError::Timeout { after }).into_http::<RB>()),
            }
        })
    }
}
