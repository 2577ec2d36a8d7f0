//! `gx.v1.TokenService` (issuing, listing, revoking tokens) and `gx.v1.IntegrityService`
//! (recomputing the hash chains). Who may call them is decided in [`crate::auth`].

use std::sync::Arc;
use std::time::SystemTime;

use tonic::{Request, Response, Status};

use crate::auth::{self, AuthError, Caller, Role, TokenSpec};
use crate::grpc::status::ServiceError;
use crate::pb;
use crate::store::{BreakKind, ChainBreak, Store, StoredToken, Verification};

/// A token as the TokenService describes it.
pub fn token_info(t: &StoredToken) -> pb::TokenInfo {
    pb::TokenInfo {
        id: t.id.clone(),
        role: Role::parse(&t.role).map_or(pb::Role::Unspecified, Role::to_pb) as i32,
        org: t.org.clone(),
        subtree: t.subtree,
        note: t.note.clone(),
        created_at: Some(t.created_at.into()),
        created_by: t.created_by.clone(),
        revoked_at: t.revoked_at.map(Into::into),
        revoked_by: t.revoked_by.clone(),
    }
}

/// Revokes token `id` unless it is the last active admin token. Revoking a revoked token
/// returns it unchanged.
pub async fn revoke(store: &Store, id: &str, by: &str) -> Result<StoredToken, AuthError> {
    let mut t = store
        .token(id)?
        .ok_or_else(|| AuthError::NoSuchToken(id.to_string()))?;
    if t.revoked_at.is_some() {
        return Ok(t);
    }
    if t.role == Role::Admin.as_str() {
        let active_admins = store
            .tokens()?
            .iter()
            .filter(|o| o.role == Role::Admin.as_str() && o.revoked_at.is_none())
            .count();
        if active_admins <= 1 {
            return Err(AuthError::LastAdmin(t.id));
        }
    }
    t.revoked_at = Some(SystemTime::now());
    t.revoked_by = by.to_string();
    store.put_token(&t).await?;
    Ok(t)
}

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
}

#[tonic::async_trait]
impl pb::token_service_server::TokenService for Tokens {
    async fn create_token(
        &self,
        request: Request<pb::CreateTokenRequest>,
    ) -> Result<Response<pb::CreateTokenResponse>, Status> {
        let by = Caller::of(&request)?.token_id().to_string();
        let r = request.into_inner();
        let role = pb::Role::try_from(r.role)
            .ok()
            .and_then(Role::from_pb)
            .ok_or_else(|| {
                ServiceError::field("role", "required: ROLE_ADMIN, ROLE_FILER or ROLE_READER")
            })?;
        let spec = TokenSpec {
            role,
            org: r.org,
            subtree: r.subtree,
            note: r.note,
        };
        let _guard = self.changes.lock().await;
        let issued = auth::issue(&self.store, &spec, &by).await?;
        tracing::info!(
            token_id = %issued.stored.id,
            role = %role,
            org = %issued.stored.org,
            subtree = issued.stored.subtree,
            "token issued"
        );
        Ok(Response::new(pb::CreateTokenResponse {
            info: Some(token_info(&issued.stored)),
            token: issued.token,
        }))
    }

    async fn list_tokens(
        &self,
        request: Request<pb::ListTokensRequest>,
    ) -> Result<Response<pb::ListTokensResponse>, Status> {
        let r = request.into_inner();
        let mut tokens = self.store.tokens().map_err(AuthError::from)?;
        tokens.retain(|t| r.include_revoked || t.revoked_at.is_none());
        tokens.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
        Ok(Response::new(pb::ListTokensResponse {
            tokens: tokens.iter().map(token_info).collect(),
        }))
    }

    async fn revoke_token(
        &self,
        request: Request<pb::RevokeTokenRequest>,
    ) -> Result<Response<pb::RevokeTokenResponse>, Status> {
        let by = Caller::of(&request)?.token_id().to_string();
        let id = request.into_inner().id;
        if id.is_empty() {
            return Err(
                ServiceError::field("id", "required: the id of the token to revoke").into(),
            );
        }
        let _guard = self.changes.lock().await;
        let t = revoke(&self.store, &id, &by).await?;
        tracing::info!(token_id = %t.id, "token revoked");
        Ok(Response::new(pb::RevokeTokenResponse {
            info: Some(token_info(&t)),
        }))
    }
}

/// A break on the wire.
pub fn break_to_pb(b: &ChainBreak) -> pb::ChainBreak {
    pb::ChainBreak {
        org_id: b.org_id.clone(),
        year: b.year,
        revision: b.revision,
        kind: b.kind.as_str().to_string(),
        detail: b.detail.clone(),
        stored: b.stored.clone(),
        expected: b.expected.clone(),
    }
}

/// A chain-break kind this version does not know, received from the wire.
#[derive(Debug, thiserror::Error)]
#[error("gxd reported a chain break of unknown kind {0:?}")]
pub struct UnknownBreakKind(pub String);

/// A break from the wire.
pub fn break_from_pb(b: pb::ChainBreak) -> Result<ChainBreak, UnknownBreakKind> {
    Ok(ChainBreak {
        kind: BreakKind::parse(&b.kind).ok_or(UnknownBreakKind(b.kind))?,
        org_id: b.org_id,
        year: b.year,
        revision: b.revision,
        detail: b.detail,
        stored: b.stored,
        expected: b.expected,
    })
}

/// A verification from the wire, e.g. for `gxctl verify` to print with the same
/// [`Verification`] Display as `gxd verify`.
impl TryFrom<pb::VerifyChainsResponse> for Verification {
    type Error = UnknownBreakKind;

    fn try_from(v: pb::VerifyChainsResponse) -> Result<Verification, UnknownBreakKind> {
        Ok(Verification {
            reports: v.reports,
            revisions: v.revisions,
            breaks: v
                .breaks
                .into_iter()
                .map(break_from_pb)
                .collect::<Result<_, _>>()?,
        })
    }
}

/// The IntegrityService.
#[derive(Debug, Clone)]
pub struct Integrity {
    store: Store,
}

impl Integrity {
    pub fn new(store: Store) -> Integrity {
        Integrity { store }
    }
}

#[tonic::async_trait]
impl pb::integrity_service_server::IntegrityService for Integrity {
    async fn verify_chains(
        &self,
        request: Request<pb::VerifyChainsRequest>,
    ) -> Result<Response<pb::VerifyChainsResponse>, Status> {
        let r = request.into_inner();
        if r.year.is_some() && r.org_id.is_empty() {
            return Err(ServiceError::field("year", "needs org_id: verify one body's year").into());
        }
        if r.org_id.contains('\0') {
            return Err(ServiceError::field("org_id", "may not contain NUL characters").into());
        }
        let store = self.store.clone();
        // A whole-store scan hashes every stored report: off the async workers.
        let v: Verification = tokio::task::spawn_blocking(move || {
            let org = (!r.org_id.is_empty()).then_some(r.org_id.as_str());
            store.verify(org, r.year)
        })
        .await
        .map_err(|e| Status::internal(format!("verification stopped: {e}")))?
        .map_err(ServiceError::from)?;
        if !v.breaks.is_empty() {
            for b in &v.breaks {
                tracing::error!(%b, "hash chain broken");
            }
        }
        Ok(Response::new(pb::VerifyChainsResponse {
            reports: v.reports,
            revisions: v.revisions,
            breaks: v.breaks.iter().map(break_to_pb).collect(),
        }))
    }
}
