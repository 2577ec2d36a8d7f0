//! `gx.v1.IntegrityService`: recomputing the hash chains ([`Store::verify`]).

use std::pin::Pin;

use tokio_stream::Stream;
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

/// The chunks of a backup, as the service answers them.
pub type BackupStream =
    Pin<Box<dyn Stream<Item = Result<pb::BackupChunk, Status>> + Send + 'static>>;

type Sender = tokio::sync::mpsc::Sender<Result<pb::BackupChunk, Status>>;

/// Bytes per backup chunk.
const CHUNK: usize = 256 << 10;

/// The archive written in chunks to the stream (from a blocking thread).
struct Chunks {
    buf: Vec<u8>,
    tx: Sender,
}

impl Chunks {
    fn send(&mut self) -> std::io::Result<()> {
        let data = std::mem::take(&mut self.buf);
        self.tx
            .blocking_send(Ok(pb::BackupChunk { data }))
            .map_err(|_| std::io::Error::other("the client went away"))
    }
}

impl std::io::Write for Chunks {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(b);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(b.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            self.send()
        }
    }
}

impl Integrity {
    async fn backup(&self, _: pb::BackupRequest) -> Result<BackupStream, Status> {
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || {
            let mut out = Chunks {
                buf: Vec::with_capacity(CHUNK),
                tx: tx.clone(),
            };
            match store.backup(&mut out) {
                Ok(head) => tracing::info!(%head, "backup streamed"),
                Err(e) => {
                    tracing::error!(error = %e, "backup failed");
                    let _ = tx.blocking_send(Err(ServiceError::from(e).into()));
                }
            }
        });
        Ok(Box::pin(tokio_stream::wrappers::ReceiverStream::new(rx)))
    }
}

calls! {
    impl pb::integrity_service_server::IntegrityService for Integrity {
        type BackupStream = BackupStream;
        fn backup(pb::BackupRequest) -> BackupStream = backup;
        fn verify_chains(pb::VerifyChainsRequest) -> pb::VerifyChainsResponse = verify;
        fn get_log_head(pb::GetLogHeadRequest) -> pb::GetLogHeadResponse = log_head;
    }
}
