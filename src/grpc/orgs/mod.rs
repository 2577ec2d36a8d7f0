//! `gx.v1.OrgService`: reporting bodies, the roll-up (汇总), the filing board and the export.

use std::collections::HashSet;
use std::pin::Pin;
use std::time::SystemTime;

use prost::Message;
use tokio_stream::Stream;
use tonic::{Request, Response, Status};
use tracing::Span;

use crate::grpc::convert::{canonical_values, report_to_pb};
use crate::grpc::status::ServiceError;
use crate::model::{Org, Value};
use crate::orgs::{Body, Level};
use crate::pb;
use crate::rollup::Sums;
use crate::store::{Change, NewBody, Revision, Store, StoreError};
use crate::template::Edition;

use super::reports::{cross_year_pb, timestamp, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};

/// The service: shared state behind a cheap clone.
#[derive(Debug, Clone)]
pub struct Orgs {
    store: Store,
}

impl Orgs {
    pub fn new(store: Store) -> Orgs {
        Orgs { store }
    }
}

impl From<Level> for pb::OrgLevel {
    fn from(l: Level) -> pb::OrgLevel {
        match l {
            Level::Province => pb::OrgLevel::Province,
            Level::City => pb::OrgLevel::City,
            Level::County => pb::OrgLevel::County,
            Level::Township => pb::OrgLevel::Township,
            Level::Department => pb::OrgLevel::Department,
            Level::Other => pb::OrgLevel::Other,
        }
    }
}

/// A level from the wire; unspecified or unknown is a bad request.
pub fn level_from_pb(field: &str, n: i32) -> Result<Level, ServiceError> {
    u32::try_from(n)
        .ok()
        .and_then(Level::from_number)
        .ok_or_else(|| {
            ServiceError::field(
                field,
                "required: one of PROVINCE (省), CITY (市), COUNTY (县), TOWNSHIP (乡镇), \
                 DEPARTMENT (部门), OTHER (其他)",
            )
        })
}

/// A body for the wire.
pub fn body_to_pb(b: &Body) -> pb::Body {
    pb::Body {
        id: b.id.clone(),
        name: b.name.clone(),
        level: pb::OrgLevel::from(b.level) as i32,
        parent: b.parent.clone().unwrap_or_default(),
        created_at: Some(timestamp(b.created_at)),
        updated_at: Some(timestamp(b.updated_at)),
    }
}

fn new_body(field: &str, b: Option<&pb::Body>) -> Result<NewBody, ServiceError> {
    let b = b.ok_or_else(|| ServiceError::field(field, "required: the body"))?;
    Ok(NewBody {
        id: b.id.clone(),
        name: b.name.clone(),
        level: level_from_pb(&format!("{field}.level"), b.level)?,
        parent: (!b.parent.is_empty()).then(|| b.parent.clone()),
    })
}

fn require_id(field: &str, id: &str) -> Result<(), ServiceError> {
    crate::orgs::check_id(id).map_err(|m| ServiceError::field(field, m))
}

fn require_year(year: u32) -> Result<(), ServiceError> {
    if year == 0 {
        return Err(ServiceError::field("year", "required: the year, e.g. 2021"));
    }
    Ok(())
}

fn no_body(id: &str) -> ServiceError {
    ServiceError::NotFound(format!(
        "no reporting body {id:?} (see gxctl org list; register it with gxctl org add)"
    ))
}

fn record(org: &str, year: u32) {
    let span = Span::current();
    span.record("org", org);
    if year > 0 {
        span.record("year", year);
    }
}

/// A stored report's tables (the narrative is skipped when decoding: it is never copied).
#[derive(Clone, PartialEq, Message)]
struct ReportTables {
    #[prost(message, optional, tag = "1")]
    org: Option<pb::Org>,
    #[prost(uint32, tag = "2")]
    year: u32,
    #[prost(enumeration = "pb::Edition", tag = "3")]
    edition: i32,
    #[prost(oneof = "pb::report::Table2", tags = "5, 6")]
    table2: Option<pb::report::Table2>,
    #[prost(message, optional, tag = "7")]
    table3: Option<pb::Table3>,
    #[prost(message, optional, tag = "8")]
    table4: Option<pb::Table4>,
}

/// The cell values of a stored report (canonical form), in template order: the fast path
/// of roll-up and export.
fn stored_values(
    meta: &Revision,
    bytes: &[u8],
    cells: &[u8],
) -> Result<(Edition, Vec<Value>), StoreError> {
    if let Some(edition) = meta.edition {
        if let Some(values) = crate::packed::unpack(edition, cells) {
            return Ok((edition, values));
        }
    }
    let corrupt = |detail: String| StoreError::Corrupt {
        key: format!("{}/{}/{}", meta.org_id, meta.year, meta.revision),
        detail,
    };
    let t = ReportTables::decode(bytes).map_err(|e| corrupt(e.to_string()))?;
    let p = pb::Report {
        org: None,
        year: t.year,
        edition: t.edition,
        narrative: None,
        table2: t.table2,
        table3: t.table3,
        table4: t.table4,
    };
    canonical_values(&p).map_err(|e| corrupt(e.to_string()))
}

/// Rolls up the reports of `bodies` for `year` (one thread): the sums, the parts and the
/// missing, in the order of `bodies`.
fn roll_up_part(
    store: &Store,
    bodies: &[Body],
    year: u32,
) -> Result<(Sums, Vec<pb::RollUpPart>, Vec<pb::Body>), ServiceError> {
    let mut sums = Sums::new();
    let mut parts = Vec::new();
    let mut missing = Vec::new();
    for b in bodies {
        let got = store.latest_with(&b.id, year, |meta, bytes, cells| {
            stored_values(&meta, bytes, cells).map(|v| (meta, v))
        })?;
        match got {
            Some(read) => {
                let (meta, (edition, values)) = read?;
                sums.add_values(&b.id, edition, values);
                parts.push(pb::RollUpPart {
                    body: Some(body_to_pb(b)),
                    revision: meta.revision,
                    content_hash: hex::encode(meta.content_hash),
                });
            }
            None => missing.push(body_to_pb(b)),
        }
    }
    Ok((sums, parts, missing))
}

/// Rows per export message.
const EXPORT_BATCH: usize = 128;

/// Below this many bodies a roll-up runs on one thread.
const PARALLEL_ROLL_UP: usize = 512;

/// A cell as export text: the number; "" blank; "/" not applicable; "absent".
pub fn export_text(v: Value) -> String {
    match v {
        Value::Absent => "absent".into(),
        v => v.to_string(),
    }
}

fn filing_entry(body: &Body, depth: u32, latest: Option<Revision>) -> pb::FilingEntry {
    let mut e = pb::FilingEntry {
        body: Some(body_to_pb(body)),
        depth,
        ..Default::default()
    };
    if let Some(r) = latest {
        let mut rules: Vec<&str> = r.warnings.iter().map(|w| w.rule.as_str()).collect();
        rules.dedup();
        let explained = |rule: &str| r.explanations.iter().any(|(x, _)| x == rule);
        e.filed = true;
        e.revision = r.revision;
        e.submitted_at = Some(timestamp(r.submitted_at));
        e.edition = r.edition.map_or(0, |e| e.number());
        e.warnings = u32::try_from(r.warnings.len()).unwrap_or(u32::MAX);
        e.explained = rules
            .iter()
            .filter(|x| explained(x))
            .map(|x| x.to_string())
            .collect();
        e.unexplained = rules
            .iter()
            .filter(|x| !explained(x))
            .map(|x| x.to_string())
            .collect();
        e.cross_year = Some(cross_year_pb(&r));
    }
    e
}

impl Orgs {
    async fn create(&self, r: pb::CreateOrgRequest) -> Result<pb::CreateOrgResponse, ServiceError> {
        let new = new_body("body", r.body.as_ref())?;
        record(&new.id, 0);
        let (body, created) = self.store.create_org(new).await?;
        Ok(pb::CreateOrgResponse {
            body: Some(body_to_pb(&body)),
            created,
        })
    }

    fn get(&self, r: pb::GetOrgRequest) -> Result<pb::GetOrgResponse, ServiceError> {
        record(&r.id, 0);
        require_id("id", &r.id)?;
        self.store.with_directory(|d| {
            let body = d.get(&r.id).ok_or_else(|| no_body(&r.id))?;
            Ok(pb::GetOrgResponse {
                body: Some(body_to_pb(body)),
                ancestors: d.ancestors(&r.id).into_iter().map(body_to_pb).collect(),
                children: d.children(&r.id).map(body_to_pb).collect(),
                descendants: u32::try_from(d.descendants(&r.id).len()).unwrap_or(u32::MAX),
            })
        })
    }

    fn list(&self, r: pb::ListOrgsRequest) -> Result<pb::ListOrgsResponse, ServiceError> {
        let limit = match usize::try_from(r.page_size) {
            Ok(0) => DEFAULT_PAGE_SIZE,
            Ok(n) if n <= MAX_PAGE_SIZE => n,
            _ => {
                return Err(ServiceError::field(
                    "page_size",
                    format!(
                        "{} is out of range: 1 to {MAX_PAGE_SIZE}, or 0 for {DEFAULT_PAGE_SIZE}",
                        r.page_size
                    ),
                ))
            }
        };
        if !r.root.is_empty() {
            require_id("root", &r.root)?;
        }
        if !r.page_token.is_empty() {
            require_id("page_token", &r.page_token)?;
        }
        self.store.with_directory(|d| {
            if !r.root.is_empty() && d.get(&r.root).is_none() {
                return Err(no_body(&r.root));
            }
            let mut bodies = Vec::new();
            let mut next = String::new();
            for b in d.range_after(&r.page_token) {
                if !r.root.is_empty() && !d.is_within(&b.id, &r.root) {
                    continue;
                }
                if bodies.len() == limit {
                    next = bodies
                        .last()
                        .map(|b: &pb::Body| b.id.clone())
                        .unwrap_or_default();
                    break;
                }
                bodies.push(body_to_pb(b));
            }
            Ok(pb::ListOrgsResponse {
                bodies,
                next_page_token: next,
            })
        })
    }

    async fn rename(&self, r: pb::RenameOrgRequest) -> Result<pb::OrgResponse, ServiceError> {
        record(&r.id, 0);
        require_id("id", &r.id)?;
        let b = self
            .store
            .update_org(&r.id, Some(r.name), None, None)
            .await?;
        Ok(pb::OrgResponse {
            body: Some(body_to_pb(&b)),
        })
    }

    async fn move_to(&self, r: pb::MoveOrgRequest) -> Result<pb::OrgResponse, ServiceError> {
        record(&r.id, 0);
        require_id("id", &r.id)?;
        let parent = (!r.parent.is_empty()).then_some(r.parent);
        let b = self
            .store
            .update_org(&r.id, None, Some(parent), None)
            .await?;
        Ok(pb::OrgResponse {
            body: Some(body_to_pb(&b)),
        })
    }

    async fn import(
        &self,
        r: pb::ImportOrgsRequest,
    ) -> Result<pb::ImportOrgsResponse, ServiceError> {
        let new = r
            .bodies
            .iter()
            .enumerate()
            .map(|(i, b)| new_body(&format!("bodies[{i}]"), Some(b)))
            .collect::<Result<Vec<_>, _>>()?;
        let changes = self.store.import_orgs(new, r.update).await?;
        Ok(pb::ImportOrgsResponse {
            changes: changes
                .into_iter()
                .map(|c| {
                    (match c {
                        Change::Created => pb::ImportChange::Created,
                        Change::Unchanged => pb::ImportChange::Unchanged,
                        Change::Updated => pb::ImportChange::Updated,
                    }) as i32
                })
                .collect(),
        })
    }

    /// The roll-up, on a blocking thread.
    fn roll_up(store: &Store, r: &pb::RollUpRequest) -> Result<pb::RollUpResponse, ServiceError> {
        require_id("org_id", &r.org_id)?;
        require_year(r.year)?;
        let (root, below) = store.with_directory(|d| {
            let root = d
                .get(&r.org_id)
                .cloned()
                .ok_or_else(|| no_body(&r.org_id))?;
            let below: Vec<Body> = d
                .descendants(&r.org_id)
                .into_iter()
                .map(|(b, _)| b.clone())
                .collect();
            Ok::<_, ServiceError>((root, below))
        })?;
        let threads = if below.len() < PARALLEL_ROLL_UP {
            1
        } else {
            std::thread::available_parallelism().map_or(1, |n| n.get().min(4))
        };
        let chunk = below.len().div_ceil(threads).max(1);
        let pieces: Vec<_> = std::thread::scope(|scope| {
            let handles: Vec<_> = below
                .chunks(chunk)
                .map(|bodies| scope.spawn(move || roll_up_part(store, bodies, r.year)))
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| {
                        Err(StoreError::Flush("a roll-up worker failed".into()).into())
                    })
                })
                .collect()
        });
        let mut sums = Sums::new();
        let mut parts = Vec::new();
        let mut missing = Vec::new();
        for piece in pieces {
            let (s, p, m) = piece?;
            sums.merge(s);
            parts.extend(p);
            missing.extend(m);
        }
        let total = sums.finish(
            Org {
                id: root.id.clone(),
                name: root.name.clone(),
            },
            r.year,
        )?;
        let verdict = crate::rules::validate(&total.report);
        Ok(pb::RollUpResponse {
            report: Some(report_to_pb(&total.report)),
            findings: verdict.findings.iter().map(pb::Finding::from).collect(),
            parts,
            missing,
            blank_cells: u32::try_from(total.blank_cells).unwrap_or(u32::MAX),
            not_applicable_cells: u32::try_from(total.not_applicable_cells).unwrap_or(u32::MAX),
            descendants: u32::try_from(below.len()).unwrap_or(u32::MAX),
        })
    }

    /// The filing board, on a blocking thread.
    fn board(
        store: &Store,
        r: &pb::GetFilingStatusRequest,
    ) -> Result<pb::GetFilingStatusResponse, ServiceError> {
        require_year(r.year)?;
        if !r.org_id.is_empty() {
            require_id("org_id", &r.org_id)?;
        }
        let (root, listed) = store.with_directory(|d| {
            if r.org_id.is_empty() {
                let all: Vec<(Body, u32)> = d
                    .forest()
                    .into_iter()
                    .map(|(b, n)| (b.clone(), n))
                    .collect();
                return Ok((None, all));
            }
            let root = d
                .get(&r.org_id)
                .cloned()
                .ok_or_else(|| no_body(&r.org_id))?;
            let below = d
                .descendants(&r.org_id)
                .into_iter()
                .map(|(b, n)| (b.clone(), n))
                .collect();
            Ok::<_, ServiceError>((Some(root), below))
        })?;
        let mut out = pb::GetFilingStatusResponse::default();
        if let Some(root) = &root {
            out.body = Some(body_to_pb(root));
            out.own = Some(filing_entry(root, 0, store.latest_meta(&root.id, r.year)?));
        }
        for (b, depth) in &listed {
            let e = filing_entry(b, *depth, store.latest_meta(&b.id, r.year)?);
            if e.filed {
                out.filed += 1;
                if !e.unexplained.is_empty() {
                    out.unexplained += 1;
                }
            } else {
                out.missing += 1;
            }
            out.entries.push(e);
        }
        Ok(out)
    }

    /// The export producer, on a blocking thread: one message at a time into `tx`.
    fn export(
        store: &Store,
        r: &pb::ExportReportsRequest,
        tx: &tokio::sync::mpsc::Sender<Result<pb::ExportReportsResponse, Status>>,
    ) -> Result<(), ServiceError> {
        require_year(r.year)?;
        let within: Option<HashSet<String>> = if r.org_id.is_empty() {
            None
        } else {
            require_id("org_id", &r.org_id)?;
            Some(store.with_directory(|d| {
                if d.get(&r.org_id).is_none() {
                    return Err(no_body(&r.org_id));
                }
                let mut set: HashSet<String> = d
                    .descendants(&r.org_id)
                    .into_iter()
                    .map(|(b, _)| b.id.clone())
                    .collect();
                set.insert(r.org_id.clone());
                Ok(set)
            })?)
        };
        let keep = |id: &str| within.as_ref().is_none_or(|s| s.contains(id));
        let mut headers_sent = [false; 2];
        let mut failure: Option<ServiceError> = None;
        let mut rows = 0u64;
        let mut batch = pb::ExportReportsResponse::default();
        let mut closed = false;
        let send = |batch: &mut pb::ExportReportsResponse| -> bool {
            let msg = std::mem::take(batch);
            tx.blocking_send(Ok(msg)).is_ok()
        };
        store.scan_year(r.year, keep, |meta, bytes, cells| {
            let (edition, values) = match stored_values(&meta, bytes, cells) {
                Ok(v) => v,
                Err(e) => {
                    failure = Some(e.into());
                    return false;
                }
            };
            let (values, packed) = if r.packed {
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
            let slot = &mut headers_sent[edition as usize];
            if !*slot {
                *slot = true;
                // A new edition starts a message of its own, its header first.
                if !batch.rows.is_empty() && !send(&mut batch) {
                    closed = true;
                    return false;
                }
                batch.header = Some(pb::ExportHeader {
                    edition: pb::Edition::from(edition) as i32,
                    keys: edition
                        .template()
                        .cells
                        .iter()
                        .map(|c| c.key.clone())
                        .collect(),
                });
            }
            let body = store
                .org(&meta.org_id)
                .map(|b| body_to_pb(&b))
                .unwrap_or(pb::Body {
                    id: meta.org_id.clone(),
                    name: meta.org_name.clone(),
                    ..Default::default()
                });
            batch.rows.push(pb::ExportRow {
                body: Some(body),
                year: meta.year,
                edition: pb::Edition::from(edition) as i32,
                revision: meta.revision,
                submitted_at: Some(timestamp(meta.submitted_at)),
                content_hash: hex::encode(meta.content_hash),
                values,
                packed,
            });
            rows += 1;
            if batch.rows.len() == EXPORT_BATCH && !send(&mut batch) {
                // The client went away: stop reading.
                closed = true;
                return false;
            }
            true
        })?;
        if !closed && !batch.rows.is_empty() {
            send(&mut batch);
        }
        tracing::debug!(rows, "export streamed");
        match failure {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

/// Runs `f` on a blocking thread with the store.
async fn blocking<T: Send + 'static>(
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

type ExportStream =
    Pin<Box<dyn Stream<Item = Result<pb::ExportReportsResponse, Status>> + Send + 'static>>;

#[tonic::async_trait]
impl pb::org_service_server::OrgService for Orgs {
    async fn create_org(
        &self,
        request: Request<pb::CreateOrgRequest>,
    ) -> Result<Response<pb::CreateOrgResponse>, Status> {
        Ok(Response::new(self.create(request.into_inner()).await?))
    }

    async fn get_org(
        &self,
        request: Request<pb::GetOrgRequest>,
    ) -> Result<Response<pb::GetOrgResponse>, Status> {
        Ok(Response::new(self.get(request.into_inner())?))
    }

    async fn list_orgs(
        &self,
        request: Request<pb::ListOrgsRequest>,
    ) -> Result<Response<pb::ListOrgsResponse>, Status> {
        Ok(Response::new(self.list(request.into_inner())?))
    }

    async fn rename_org(
        &self,
        request: Request<pb::RenameOrgRequest>,
    ) -> Result<Response<pb::OrgResponse>, Status> {
        Ok(Response::new(self.rename(request.into_inner()).await?))
    }

    async fn move_org(
        &self,
        request: Request<pb::MoveOrgRequest>,
    ) -> Result<Response<pb::OrgResponse>, Status> {
        Ok(Response::new(self.move_to(request.into_inner()).await?))
    }

    async fn import_orgs(
        &self,
        request: Request<pb::ImportOrgsRequest>,
    ) -> Result<Response<pb::ImportOrgsResponse>, Status> {
        Ok(Response::new(self.import(request.into_inner()).await?))
    }

    async fn roll_up(
        &self,
        request: Request<pb::RollUpRequest>,
    ) -> Result<Response<pb::RollUpResponse>, Status> {
        let r = request.into_inner();
        record(&r.org_id, r.year);
        Ok(Response::new(
            blocking(&self.store, move |s| Orgs::roll_up(s, &r)).await?,
        ))
    }

    async fn get_filing_status(
        &self,
        request: Request<pb::GetFilingStatusRequest>,
    ) -> Result<Response<pb::GetFilingStatusResponse>, Status> {
        let r = request.into_inner();
        record(&r.org_id, r.year);
        Ok(Response::new(
            blocking(&self.store, move |s| Orgs::board(s, &r)).await?,
        ))
    }

    type ExportReportsStream = ExportStream;

    async fn export_reports(
        &self,
        request: Request<pb::ExportReportsRequest>,
    ) -> Result<Response<Self::ExportReportsStream>, Status> {
        let r = request.into_inner();
        record(&r.org_id, r.year);
        // Refuse a bad request with a status of its own, not a broken stream.
        require_year(r.year)?;
        if !r.org_id.is_empty() {
            require_id("org_id", &r.org_id)?;
            if self.store.org(&r.org_id).is_none() {
                return Err(no_body(&r.org_id).into());
            }
        }
        // A small buffer: the reader sets the pace, and memory stays flat.
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        let store = self.store.clone();
        let started = SystemTime::now();
        tokio::task::spawn_blocking(move || {
            if let Err(e) = Orgs::export(&store, &r, &tx) {
                let _ = tx.blocking_send(Err(e.into()));
            }
            tracing::info!(
                year = r.year,
                org = %r.org_id,
                ms = started.elapsed().map(|d| d.as_millis() as u64).unwrap_or(0),
                "export done"
            );
        });
        Ok(Response::new(Box::pin(
            tokio_stream::wrappers::ReceiverStream::new(rx),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_round_trip_the_wire() {
        for l in Level::ALL {
            assert_eq!(level_from_pb("l", pb::OrgLevel::from(l) as i32).unwrap(), l);
        }
        assert!(level_from_pb("l", 0).is_err());
        assert!(level_from_pb("l", 99).is_err());
    }

    #[test]
    fn export_text_keeps_blank_and_not_applicable_apart() {
        assert_eq!(export_text(Value::Blank), "");
        assert_eq!(export_text(Value::NotApplicable), "/");
        assert_eq!(export_text(Value::Absent), "absent");
        assert_eq!(export_text(Value::Int(7)), "7");
    }
}
