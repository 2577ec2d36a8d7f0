//! `gx.v1.TokenService`: issuing, listing and revoking tokens. Who may call it is decided in
//! [`crate::auth`], which also issues and revokes.

use std::sync::Arc;

use super::calls::calls;
use super::convert::{role_from_pb, token_info};
use super::status::ServiceError;
use crate::auth::{self, AuthError, Caller, TokenSpec};
use crate::pb;
use crate::store::Store;

/// The TokenService.
#[derive(Debug, Clone)]
pub struct Tokens {
    store: Store,
    /// Serialises changes, so that "the last admin" is decided on what is stored.
    changes: Arc<tokio::sync::Mutex<()>>,
}

impl Tokens {
    pub fn new(store: Store) -> Tokens {
        Tokens {
            store,
            changes: Arc::new(tokio::sync::Mutex::new(())),
        }
    }

    async fn create(
        &self,
        r: pb::CreateTokenRequest,
        caller: &Caller,
    ) -> Result<pb::CreateTokenResponse, ServiceError> {
        let role = pb::Role::try_from(r.role)
            .ok()
            .and_then(role_from_pb)
            .ok_or_else(|| {
                ServiceError::field("role", "required: ROLE_ADMIN, ROLE_FILER, ROLE_READER, ROLE_ARCHIVIST or ROLE_REVIEWER")
            })?;
        let spec = TokenSpec {
            role,
            org: r.org,
            subtree: r.subtree,
            note: r.note,
        };
        let _guard = self.changes.lock().await;
        let issued = auth::issue(&self.store, &spec, caller.token_id()).await?;
        tracing::info!(
            token_id = %issued.stored.id,
            role = %role,
            org = %issued.stored.org,
            subtree = issued.stored.subtree,
            "token issued"
        );
        Ok(pb::CreateTokenResponse {
            info: Some(token_info(&issued.stored)),
            token: issued.token,
        })
    }

    async fn list(&self, r: pb::ListTokensRequest) -> Result<pb::ListTokensResponse, AuthError> {
        let mut tokens = self.store.tokens()?;
        tokens.retain(|t| r.include_revoked || t.revoked_at.is_none());
        tokens.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
        Ok(pb::ListTokensResponse {
            tokens: tokens.iter().map(token_info).collect(),
        })
    }

    async fn revoke(
        &self,
        r: pb::RevokeTokenRequest,
        caller: &Caller,
    ) -> Result<pb::RevokeTokenResponse, ServiceError> {
        if r.id.is_empty() {
            return Err(ServiceError::field(
                "id",
                "required: the id of the token to revoke",
            ));
        }
        let _guard = self.changes.lock().await;
        let t = auth::revoke(&self.store, &r.id, caller.token_id()).await?;
        tracing::info!(token_id = %t.id, "token revoked");
        Ok(pb::RevokeTokenResponse {
            info: Some(token_info(&t)),
        })
    }
}

calls! {
    impl pb::token_service_server::TokenService for Tokens {
        fn create_token(pb::CreateTokenRequest) -> pb::CreateTokenResponse = create(caller);
        fn list_tokens(pb::ListTokensRequest) -> pb::ListTokensResponse = list;
        fn revoke_token(pb::RevokeTokenRequest) -> pb::RevokeTokenResponse = revoke(caller);
    }
}
