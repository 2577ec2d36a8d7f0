//! `RollUp`: the sum (汇总) of the latest reports of the bodies within a body, read on blocking
//! threads — several for a large hierarchy.

use super::{no_body, record, require_id, require_year};
use crate::grpc::convert::{body_to_pb, report_to_pb, state_pb, stored_values};
use crate::grpc::status::ServiceError;
use crate::model::Org;
use crate::orgs::Body;
use crate::pb;
use crate::rollup::Sums;
use crate::store::{State, Store, StoreError};

/// Below this many bodies a roll-up runs on one thread.
const PARALLEL_ROLL_UP: usize = 512;

/// Rolls up the reports of `bodies` for `year` (one thread): the sums, the parts and the
/// missing, in the order of `bodies`.
/// What one thread rolled up: the sums, the parts, the missing and the parts left out.
type Piece = (
    Sums,
    Vec<pb::RollUpPart>,
    Vec<pb::Body>,
    Vec<pb::RollUpPart>,
);

/// Rolls up the reports of `bodies` for `year` (one thread): the sums, the parts, the missing
/// and — with `accepted_only` — the reports left out because they are not accepted, in the
/// order of `bodies`.
fn roll_up_part(
    store: &Store,
    bodies: &[Body],
    year: u32,
    accepted_only: bool,
) -> Result<Piece, ServiceError> {
    let mut sums = Sums::new();
    let mut parts = Vec::new();
    let mut missing = Vec::new();
    let mut left_out = Vec::new();
    for b in bodies {
        let got = store.latest_with(&b.id, year, |meta, bytes, cells| {
            stored_values(&meta, bytes, cells).map(|v| (meta, v))
        })?;
        match got {
            Some(read) => {
                let (meta, (edition, values)) = read?;
                let state = store.revision_state(&b.id, year, meta.revision)?;
                let part = pb::RollUpPart {
                    body: Some(body_to_pb(b)),
                    revision: meta.revision,
                    content_hash: hex::encode(meta.content_hash),
                    published_with_errors: meta
                        .warnings
                        .iter()
                        .any(crate::rules::Finding::is_error),
                    state: state_pb(state) as i32,
                };
                if accepted_only && state != State::Accepted {
                    left_out.push(part);
                } else {
                    sums.add_values(&b.id, edition, values);
                    parts.push(part);
                }
            }
            None => missing.push(body_to_pb(b)),
        }
    }
    Ok((sums, parts, missing, left_out))
}

/// The roll-up, on a blocking thread.
pub(super) fn sum(
    store: &Store,
    r: &pb::RollUpRequest,
) -> Result<pb::RollUpResponse, ServiceError> {
    record(&r.org_id, r.year);
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
            .map(|bodies| scope.spawn(move || roll_up_part(store, bodies, r.year, r.accepted_only)))
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
    let mut left_out = Vec::new();
    for piece in pieces {
        let (s, p, m, l) = piece?;
        sums.merge(s);
        parts.extend(p);
        missing.extend(m);
        left_out.extend(l);
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
        left_out,
    })
}
