//! `ExportReports`: the latest report of every body for a year (within a body, when asked),
//! streamed in batches from a blocking thread; a small buffer lets the reader set the pace,
//! and memory stays flat.

use std::collections::HashSet;
use std::pin::Pin;
use std::time::SystemTime;

use tokio_stream::Stream;
use tonic::Status;

use super::{no_body, record, require_id, require_year, Orgs};
use crate::grpc::convert::{body_to_pb, stored_values, timestamp};
use crate::grpc::status::ServiceError;
use crate::model::Value;
use crate::pb;
use crate::store::{Revision, Store};
use crate::template::Edition;

/// Rows per export message.
const EXPORT_BATCH: usize = 128;

/// The messages of an export, as the service answers them.
pub type ExportStream =
    Pin<Box<dyn Stream<Item = Result<pb::ExportReportsResponse, Status>> + Send + 'static>>;

type Sender = tokio::sync::mpsc::Sender<Result<pb::ExportReportsResponse, Status>>;

/// A cell as export text: the number; "" blank; "/" not applicable; "absent".
pub fn export_text(v: Value) -> String {
    match v {
        Value::Absent => "absent".into(),
        v => v.to_string(),
    }
}

impl Orgs {
    pub(super) async fn export(
        &self,
        r: pb::ExportReportsRequest,
    ) -> Result<ExportStream, ServiceError> {
        record(&r.org_id, r.year);
        // Refuse a bad request with a status of its own, not a broken stream.
        require_year(r.year)?;
        if !r.org_id.is_empty() {
            require_id("org_id", &r.org_id)?;
            if self.store.org(&r.org_id).is_none() {
                return Err(no_body(&r.org_id));
            }
        }
        // A small buffer: the reader sets the pace, and memory stays flat.
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        let store = self.store.clone();
        let started = SystemTime::now();
        tokio::task::spawn_blocking(move || {
            if let Err(e) = produce(&store, &r, &tx) {
                let _ = tx.blocking_send(Err(e.into()));
            }
            tracing::info!(
                year = r.year,
                org = %r.org_id,
                ms = started.elapsed().map(|d| d.as_millis() as u64).unwrap_or(0),
                "export done"
            );
        });
        Ok(Box::pin(tokio_stream::wrappers::ReceiverStream::new(rx)))
    }
}

/// The bodies an export keeps: every body, or `org_id` and the bodies within it.
fn within(
    store: &Store,
    r: &pb::ExportReportsRequest,
) -> Result<Option<HashSet<String>>, ServiceError> {
    if r.org_id.is_empty() {
        return Ok(None);
    }
    require_id("org_id", &r.org_id)?;
    store.with_directory(|d| {
        if d.get(&r.org_id).is_none() {
            return Err(no_body(&r.org_id));
        }
        let mut set: HashSet<String> = d
            .descendants(&r.org_id)
            .into_iter()
            .map(|(b, _)| b.id.clone())
            .collect();
        set.insert(r.org_id.clone());
        Ok(Some(set))
    })
}

/// The export producer, on a blocking thread: one message at a time into `tx`.
fn produce(store: &Store, r: &pb::ExportReportsRequest, tx: &Sender) -> Result<(), ServiceError> {
    require_year(r.year)?;
    let within = within(store, r)?;
    let keep = |id: &str| within.as_ref().is_none_or(|s| s.contains(id));
    let mut out = Batches::new(tx);
    let mut failure: Option<ServiceError> = None;
    store.scan_year(r.year, keep, |meta, bytes, cells| {
        let (edition, values) = match stored_values(&meta, bytes, cells) {
            Ok(v) => v,
            Err(e) => {
                failure = Some(e.into());
                return false;
            }
        };
        // The client going away stops the reading.
        out.header(edition) && out.push(row(store, &meta, edition, values, cells, r.packed))
    })?;
    let rows = out.finish();
    tracing::debug!(rows, "export streamed");
    match failure {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// One row: the body, the revision and the values — as text, or packed as stored.
fn row(
    store: &Store,
    meta: &Revision,
    edition: Edition,
    values: Vec<Value>,
    cells: &[u8],
    packed: bool,
) -> pb::ExportRow {
    let (values, packed) = if packed {
        // The stored packing is the wire packing: sent as it lies when present.
        let packed = if cells.is_empty() {
            crate::packed::pack(values)
        } else {
            cells.to_vec()
        };
        (Vec::new(), packed)
    } else {
        (values.into_iter().map(export_text).collect(), Vec::new())
    };
    let body = store
        .org(&meta.org_id)
        .map(|b| body_to_pb(&b))
        .unwrap_or(pb::Body {
            id: meta.org_id.clone(),
            name: meta.org_name.clone(),
            ..Default::default()
        });
    pb::ExportRow {
        body: Some(body),
        year: meta.year,
        edition: pb::Edition::from(edition) as i32,
        revision: meta.revision,
        submitted_at: Some(timestamp(meta.submitted_at)),
        content_hash: hex::encode(meta.content_hash),
        values,
        packed,
        published_with_errors: meta.warnings.iter().any(crate::rules::Finding::is_error),
        provenance: meta.provenance.iter().map(pb::CellSource::from).collect(),
    }
}

/// Rows on their way into messages of [`EXPORT_BATCH`] rows. Each edition's first row
/// starts a message of its own, the edition's header first. Sending stops for good once the
/// client went away.
struct Batches<'a> {
    tx: &'a Sender,
    batch: pb::ExportReportsResponse,
    headers_sent: [bool; 2],
    rows: u64,
    closed: bool,
}

impl<'a> Batches<'a> {
    fn new(tx: &'a Sender) -> Batches<'a> {
        Batches {
            tx,
            batch: pb::ExportReportsResponse::default(),
            headers_sent: [false; 2],
            rows: 0,
            closed: false,
        }
    }

    /// Sends the message so far; false (and closed) when the client went away.
    fn send(&mut self) -> bool {
        let msg = std::mem::take(&mut self.batch);
        self.closed = self.tx.blocking_send(Ok(msg)).is_err();
        !self.closed
    }

    /// Starts `edition`'s rows with its header, unless it was sent; false when closed.
    fn header(&mut self, edition: Edition) -> bool {
        let slot = &mut self.headers_sent[edition as usize];
        if *slot {
            return true;
        }
        *slot = true;
        if !self.batch.rows.is_empty() && !self.send() {
            return false;
        }
        self.batch.header = Some(pb::ExportHeader {
            edition: pb::Edition::from(edition) as i32,
            keys: edition
                .template()
                .cells
                .iter()
                .map(|c| c.key.clone())
                .collect(),
        });
        true
    }

    /// Adds a row, sending a full message; false when closed.
    fn push(&mut self, row: pb::ExportRow) -> bool {
        self.batch.rows.push(row);
        self.rows += 1;
        self.batch.rows.len() < EXPORT_BATCH || self.send()
    }

    /// Sends what is left, unless closed; the number of rows.
    fn finish(mut self) -> u64 {
        if !self.closed && !self.batch.rows.is_empty() {
            self.send();
        }
        self.rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_text_keeps_blank_and_not_applicable_apart() {
        assert_eq!(export_text(Value::Blank), "");
        assert_eq!(export_text(Value::NotApplicable), "/");
        assert_eq!(export_text(Value::Absent), "absent");
        assert_eq!(export_text(Value::Int(7)), "7");
    }
}
