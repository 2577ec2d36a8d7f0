//! What the services' calls share: the one shape of a call ([`calls!`]), the page size of the
//! list calls, and running a call's work on a blocking thread.

use tonic::{Response, Status};
use tracing::Span;

use super::status::{ServiceError, Violation};
use crate::store::{Store, StoreError};

/// Largest `page_size` of the list calls, and the default.
pub const MAX_PAGE_SIZE: usize = 1000;
pub const DEFAULT_PAGE_SIZE: usize = 100;

/// Implements a generated service trait: every call hands its message to its handler and
/// answers the handler's result, or its error as a status. A handler is one of
/// - `name`: the async method `name(message)`;
/// - `name(caller)`: the async method `name(message, &caller)`, with the [`Caller`] the auth
///   layer admitted;
/// - `blocking(work)`: `work(&store, &message)` on a blocking thread, in the request's span.
///
/// ```ignore
/// calls! {
///     impl pb::token_service_server::TokenService for Tokens {
///         fn create_token(pb::CreateTokenRequest) -> pb::CreateTokenResponse = create(caller);
///         fn list_tokens(pb::ListTokensRequest) -> pb::ListTokensResponse = list;
///     }
/// }
/// ```
///
/// [`Caller`]: crate::auth::Caller
macro_rules! calls {
    (impl $($service:ident)::+ for $ty:ty {
        $(type $assoc:ident = $assoc_ty:ty;)*
        $(fn $rpc:ident($req:ty) -> $resp:ty = $handler:ident $(($($arg:tt)*))?;)*
    }) => {
        #[tonic::async_trait]
        impl $($service)::+ for $ty {
            $(type $assoc = $assoc_ty;)*
            $(
                async fn $rpc(
                    &self,
                    request: tonic::Request<$req>,
                ) -> Result<tonic::Response<$resp>, tonic::Status> {
                    $crate::grpc::calls::answer(
                        $crate::grpc::calls::calls!(@handle self, request, $handler $(($($arg)*))?),
                    )
                }
            )*
        }
    };
    (@handle $self:ident, $request:ident, blocking($work:path)) => {{
        let message = $request.into_inner();
        $crate::grpc::calls::blocking(&$self.store, move |s| $work(s, &message)).await
    }};
    (@handle $self:ident, $request:ident, $handler:ident($caller:ident)) => {{
        let $caller = $crate::auth::Caller::of(&$request)?.clone();
        $self.$handler($request.into_inner(), &$caller).await
    }};
    (@handle $self:ident, $request:ident, $handler:ident) => {
        $self.$handler($request.into_inner()).await
    };
}
pub(crate) use calls;

/// A handler's result as a call's answer.
pub fn answer<T, E: Into<Status>>(result: Result<T, E>) -> Result<Response<T>, Status> {
    result.map(Response::new).map_err(Into::into)
}

/// The `page_size` of a list call: 0 asks for the default.
pub fn page_size(page_size: i32) -> Result<usize, Violation> {
    match usize::try_from(page_size) {
        Ok(0) => Ok(DEFAULT_PAGE_SIZE),
        Ok(n) if n <= MAX_PAGE_SIZE => Ok(n),
        _ => Err(Violation {
            field: "page_size".into(),
            description: format!(
                "{page_size} is out of range: 1 to {MAX_PAGE_SIZE}, or 0 for {DEFAULT_PAGE_SIZE}"
            ),
        }),
    }
}

/// Runs `f` on a blocking thread with the store, in the request's span.
pub async fn blocking<T: Send + 'static>(
    store: &Store,
    f: impl FnOnce(&Store) -> Result<T, ServiceError> + Send + 'static,
) -> Result<T, ServiceError> {
    let store = store.clone();
    let span = Span::current();
    tokio::task::spawn_blocking(move || {
        let _entered = span.enter();
        f(&store)
    })
    .await
    .map_err(|e| ServiceError::Store(StoreError::Flush(format!("worker failed: {e}"))))?
}
