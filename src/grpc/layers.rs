//! The tower layers every call passes before it reaches a service, outermost first:
//!
//! 1. the request span ([`request_span`], tower-http's `TraceLayer`): one span `request` per
//!    call with the fields `method`, `token` (the caller's token id, never the token), `org`,
//!    `year`, `revision`, `code` and `latency_us`, closed by one event — at WARN for
//!    `INTERNAL`, `DATA_LOSS`, `UNKNOWN` and `UNAVAILABLE`, else at INFO;
//! 2. the limits ([`LimitLayer`]): a cap on the calls in flight across all connections — a
//!    call beyond it is answered `RESOURCE_EXHAUSTED` at once rather than queued (tower's
//!    `ConcurrencyLimit` behind `LoadShed`) — and a per-call timeout answered
//!    `DEADLINE_EXCEEDED` (tower's `Timeout`). Health checks are exempt from the cap, so an
//!    overloaded gxd still says it is alive;
//! 3. the tokens and the decision of [`crate::auth`] ([`Authorize`], through tower-http's
//!    `ValidateRequestHeader`): refusals are answered here, without decoding the request; an
//!    admitted call carries its [`Caller`] in the request's extensions.
//!
//! A refusal is a gRPC response with the status [`super::status`] maps its error to, so the
//! span logs its code like any other call's.
//!
//! The other limits live where their data is: the maximum message size in
//! [`crate::serve`], text sizes (narrative, reason, org) in [`super::reports`].

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::sync::Semaphore;
use tonic::codegen::http;
use tonic::Status;
use tower::limit::ConcurrencyLimit;
use tower::load_shed::{error::Overloaded, LoadShed};
use tower::timeout::{error::Elapsed, Timeout};
use tower::util::Either;
use tower::{BoxError, Layer, Service, ServiceExt};
use tower_http::classify::{GrpcErrorsAsFailures, GrpcFailureClass, SharedClassifier};
use tower_http::trace::{MakeSpan, OnFailure, OnResponse, TraceLayer};
use tower_http::validate_request::{ValidateRequest, ValidateRequestHeaderLayer};
use tracing::field::Empty;
use tracing::Span;

use crate::auth::{authenticate, bearer, decide, need, AuthError, Caller, Hierarchy};
use crate::store::Store;

/// Default cap on calls in flight.
pub const DEFAULT_MAX_CONCURRENT: usize = 256;
/// Default per-call timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// The calls the cap exempts.
const HEALTH: &str = "/grpc.health.v1.Health/";

// ---------------------------------------------------------------- one span per request

/// The request span (see the module docs).
pub type SpanLayer = TraceLayer<
    SharedClassifier<GrpcErrorsAsFailures>,
    RequestSpan,
    (),
    EndOfCall,
    (),
    (),
    EndOfCall,
>;

/// One span per request, ended by one event; tower-http's own events are off.
pub fn request_span() -> SpanLayer {
    TraceLayer::new_for_grpc()
        .make_span_with(RequestSpan)
        .on_request(())
        .on_response(EndOfCall)
        .on_body_chunk(())
        .on_eos(())
        .on_failure(EndOfCall)
}

/// Opens the `request` span of a call, its fields to be recorded on the way.
#[derive(Debug, Clone, Copy)]
pub struct RequestSpan;

impl<B> MakeSpan<B> for RequestSpan {
    fn make_span(&mut self, req: &http::Request<B>) -> Span {
        tracing::info_span!(
            "request",
            method = %req.uri().path(),
            token = Empty,
            org = Empty,
            year = Empty,
            revision = Empty,
            code = Empty,
            latency_us = Empty,
        )
    }
}

/// Records how a call ended in its span, and logs the one event of the call.
#[derive(Debug, Clone, Copy)]
pub struct EndOfCall;

impl<B> OnResponse<B> for EndOfCall {
    fn on_response(self, response: &http::Response<B>, latency: Duration, span: &Span) {
        span.record("latency_us", latency.as_micros() as u64);
        // A failed unary call answers with its status in the headers (trailers-only); a
        // successful one sends OK in the trailers.
        let code = response
            .headers()
            .get("grpc-status")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<i32>().ok())
            .map_or(tonic::Code::Ok, tonic::Code::from);
        span.record("code", tracing::field::debug(code));
        span.in_scope(|| {
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
        });
    }
}

impl OnFailure<GrpcFailureClass> for EndOfCall {
    fn on_failure(&mut self, failure: GrpcFailureClass, latency: Duration, span: &Span) {
        // A failing code was logged with its response; what is left is a call that failed
        // without one.
        if let GrpcFailureClass::Error(error) = failure {
            span.record("latency_us", latency.as_micros() as u64);
            span.record("code", "transport-error");
            span.in_scope(|| tracing::warn!(error = %error, "request failed"));
        }
    }
}

// ---------------------------------------------------------------- limits

/// Why a call was cut short.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LimitError {
    #[error("gxd is at its limit of {max} calls in flight; retry shortly")]
    Overloaded { max: usize },
    #[error("the call did not complete within gxd's per-request timeout of {}s; a submission may still have been stored — resubmitting the same content is safe", .after.as_secs_f64())]
    Timeout { after: Duration },
}

/// The limits layer (see the module docs). Every service it makes shares one cap.
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

impl<S: Clone> Layer<S> for LimitLayer {
    type Service = Limit<S>;

    fn layer(&self, inner: S) -> Limit<S> {
        let timed = Timeout::new(inner, self.timeout);
        Limit {
            capped: LoadShed::new(ConcurrencyLimit::with_semaphore(
                timed.clone(),
                self.permits.clone(),
            )),
            open: timed,
            max: self.max,
            timeout: self.timeout,
        }
    }
}

/// tower's limits, plus what they cannot say: which calls the cap exempts, and their
/// refusals as gx's statuses.
#[derive(Debug, Clone)]
pub struct Limit<S> {
    open: Timeout<S>,
    capped: LoadShed<ConcurrencyLimit<Timeout<S>>>,
    max: usize,
    timeout: Duration,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

impl<S, B, RB> Service<http::Request<B>> for Limit<S>
where
    S: Service<http::Request<B>, Response = http::Response<RB>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: Send + 'static,
    RB: Default + Send + 'static,
{
    type Response = http::Response<RB>;
    type Error = BoxError;
    type Future = BoxFuture<Result<http::Response<RB>, BoxError>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        // Each call readies its own path (below): only the calls the cap counts take a permit.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let path = if req.uri().path().starts_with(HEALTH) {
            Either::Left(self.open.clone())
        } else {
            Either::Right(self.capped.clone())
        };
        let (max, after) = (self.max, self.timeout);
        Box::pin(async move {
            path.oneshot(req).await.or_else(|e| {
                let refusal = if e.is::<Overloaded>() {
                    LimitError::Overloaded { max }
                } else if e.is::<Elapsed>() {
                    LimitError::Timeout { after }
                } else {
                    return Err(e);
                };
                Ok(Status::from(refusal).into_http())
            })
        })
    }
}

// ---------------------------------------------------------------- tokens and the decision

/// The tokens and the decision on every request (see the module docs).
pub type AuthLayer = ValidateRequestHeaderLayer<Authorize>;

/// Authenticates and authorises one request: [`crate::auth`]'s decision, answered here.
#[derive(Debug, Clone)]
pub struct Authorize {
    state: Arc<AuthState>,
}

#[derive(Debug)]
struct AuthState {
    store: Store,
    public_read: bool,
    hierarchy: Arc<dyn Hierarchy>,
}

impl Authorize {
    /// The layer that authorises every call against the tokens in `store`.
    pub fn layer(store: Store, public_read: bool, hierarchy: Arc<dyn Hierarchy>) -> AuthLayer {
        ValidateRequestHeaderLayer::custom(Authorize {
            state: Arc::new(AuthState {
                store,
                public_read,
                hierarchy,
            }),
        })
    }

    fn admit(
        &self,
        path: &str,
        authorization: Option<&http::HeaderValue>,
    ) -> Result<Caller, AuthError> {
        let s = &self.state;
        let need = need(path);
        let principal = match authorization {
            None => None,
            Some(v) => Some(authenticate(&s.store, bearer(v)?)?),
        };
        decide(principal.as_ref(), need, path, s.public_read)?;
        Ok(Caller::new(principal, s.hierarchy.clone()))
    }
}

impl<B> ValidateRequest<B> for Authorize {
    type ResponseBody = tonic::body::Body;

    fn validate(
        &mut self,
        req: &mut http::Request<B>,
    ) -> Result<(), http::Response<tonic::body::Body>> {
        let admitted = self.admit(
            req.uri().path(),
            req.headers().get(http::header::AUTHORIZATION),
        );
        match admitted {
            Ok(caller) => {
                if let Some(p) = &caller.principal {
                    Span::current().record("token", p.token_id.as_str());
                }
                req.extensions_mut().insert(caller);
                Ok(())
            }
            Err(e) => {
                match &e {
                    // Authenticated, but not allowed: the log says who.
                    AuthError::Denied { token_id, .. }
                    | AuthError::Revoked { id: token_id, .. } => {
                        Span::current().record("token", token_id.as_str());
                    }
                    AuthError::Store(s) => tracing::error!(error = %s, "reading tokens failed"),
                    _ => {}
                }
                Err(Status::from(e).into_http())
            }
        }
    }
}
