//! `gx.v1.IntegrityService`: recomputing the hash chains ([`Store::verify`]).

use tonic::Status;

use super::calls::calls;
use super::convert::log_head_pb;
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

impl Integrity {
    async fn log_head(&self, r: pb::GetLogHeadRequest) -> Result<pb::GetLogHeadResponse, Status> {
        let head = self.store.log_head();
        if r.since_size > head.size {
            return Err(Status::out_of_range(format!(
                "since_size: the log holds {} entries, fewer than {}: entries were removed, or the head is not this store's",
                head.size, r.since_size
            )));
        }
        let store = self.store.clone();
        let proof = tokio::task::spawn_blocking(move || store.log_proof(r.since_size, &head))
            .await
            .map_err(|e| Status::internal(format!("the proof stopped: {e}")))?
            .map(|(_, p)| p)
            .unwrap_or_default();
        Ok(pb::GetLogHeadResponse {
            head: Some(log_head_pb(&head)),
            consistency: proof.into_iter().map(|h| h.to_vec()).collect(),
        })
    }
}

calls! {
    impl pb::integrity_service_server::IntegrityService for Integrity {
        fn verify_chains(pb::VerifyChainsRequest) -> pb::VerifyChainsResponse = verify;
        fn get_log_head(pb::GetLogHeadRequest) -> pb::GetLogHeadResponse = log_head;
    }
}
