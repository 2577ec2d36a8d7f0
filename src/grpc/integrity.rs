//! `gx.v1.IntegrityService`: recomputing the hash chains ([`Store::verify`]).

use tonic::Status;

use super::calls::calls;
use super::status::ServiceError;
use crate::pb;
use crate::store::{Store, Verification};

/// The IntegrityService.
#[derive(Debug, Clone)]
pub struct Integrity {
    store: Store,
}

impl Integrity {
    pub fn new(store: Store) -> Integrity {
        Integrity { store }
    }

    async fn verify(&self, r: pb::VerifyChainsRequest) -> Result<pb::VerifyChainsResponse, Status> {
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
        for b in &v.breaks {
            tracing::error!(%b, "hash chain broken");
        }
        Ok(pb::VerifyChainsResponse::from(&v))
    }
}

calls! {
    impl pb::integrity_service_server::IntegrityService for Integrity {
        fn verify_chains(pb::VerifyChainsRequest) -> pb::VerifyChainsResponse = verify;
    }
}
