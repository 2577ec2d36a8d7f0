//! The tower layer that runs the decision on every request before it reaches a service.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tonic::codegen::http;
use tonic::Status;

use crate::auth::{authenticate, bearer, decide, need, AuthError, Caller, Hierarchy};
use crate::store::Store;

/// Authenticates and authorises every request before it reaches a service (see the module
/// docs). Refusals are answered here, without decoding the request.
#[derive(Debug, Clone)]
pub struct AuthLayer {
    state: Arc<AuthState>,
}

#[derive(Debug)]
struct AuthState {
    store: Store,
    public_read: bool,
    hierarchy: Arc<dyn Hierarchy>,
}

impl AuthLayer {
    pub fn new(store: Store, public_read: bool, hierarchy: Arc<dyn Hierarchy>) -> AuthLayer {
        AuthLayer {
            state: Arc::new(AuthState {
                store,
                public_read,
                hierarchy,
            }),
        }
    }
}

impl AuthState {
    fn admit(
        &self,
        path: &str,
        authorization: Option<&http::HeaderValue>,
    ) -> Result<Caller, AuthError> {
        let need = need(path);
        let principal = match authorization {
            None => None,
            Some(v) => Some(authenticate(&self.store, bearer(v)?)?),
        };
        decide(principal.as_ref(), need, path, self.public_read)?;
        Ok(Caller::new(principal, self.hierarchy.clone()))
    }
}

impl<S> tower::Layer<S> for AuthLayer {
    type Service = Authenticate<S>;

    fn layer(&self, inner: S) -> Authenticate<S> {
        Authenticate {
            inner,
            state: self.state.clone(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Authenticate<S> {
    inner: S,
    state: Arc<AuthState>,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

impl<S, B, RB> tower::Service<http::Request<B>> for Authenticate<S>
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

    fn call(&mut self, mut req: http::Request<B>) -> Self::Future {
        let admitted = self.state.admit(
            req.uri().path(),
            req.headers().get(http::header::AUTHORIZATION),
        );
        match admitted {
            Ok(caller) => {
                if let Some(p) = &caller.principal {
                    tracing::Span::current().record("token", p.token_id.as_str());
                }
                req.extensions_mut().insert(caller);
                Box::pin(self.inner.call(req))
            }
            Err(e) => {
                match &e {
                    // Authenticated, but not allowed: the log says who.
                    AuthError::Denied { token_id, .. }
                    | AuthError::Revoked { id: token_id, .. } => {
                        tracing::Span::current().record("token", token_id.as_str());
                    }
                    AuthError::Store(s) => tracing::error!(error = %s, "reading tokens failed"),
                    _ => {}
                }
                let response = Status::from(e).into_http::<RB>();
                Box::pin(async move { Ok(response) })
            }
        }
    }
}
