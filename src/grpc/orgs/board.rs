//! `GetFilingStatus`: the filing board — who filed for a year, who did not, whose warnings are
//! not explained, and where each report stands in review (filed, accepted, returned).

use super::{no_body, record, require_id, require_year};
use crate::grpc::convert::{body_to_pb, cross_year_pb, review_pb, state_pb, timestamp};
use crate::grpc::status::ServiceError;
use crate::orgs::Body;
use crate::pb;
use crate::rules::Finding;
use crate::store::{Revision, Store};

/// A body's line on the board: its latest revision of the year, if any. `fixed`: an earlier
/// revision was published with errors.
fn filing_entry(
    body: &Body,
    depth: u32,
    latest: Option<Revision>,
    fixed: impl FnOnce(&Revision) -> bool,
) -> pb::FilingEntry {
    let mut e = pb::FilingEntry {
        body: Some(body_to_pb(body)),
        depth,
        ..Default::default()
    };
    if let Some(r) = latest {
        let mut rules: Vec<&str> = r
            .warnings
            .iter()
            .filter(|w| !w.is_error())
            .map(|w| w.rule.as_str())
            .collect();
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
        e.published_with_errors = r.warnings.iter().any(Finding::is_error);
        e.fixed = !e.published_with_errors && r.revision > 1 && fixed(&r);
    }
    e
}

/// Whether an earlier revision of `r`'s report was published with errors.
fn was_published_with_errors(store: &Store, r: &Revision) -> bool {
    store.revisions(&r.org_id, r.year).is_ok_and(|all| {
        all.iter()
            .any(|x| x.revision < r.revision && x.warnings.iter().any(Finding::is_error))
    })
}

/// The filing board, on a blocking thread.
pub(super) fn entries(
    store: &Store,
    r: &pb::GetFilingStatusRequest,
) -> Result<pb::GetFilingStatusResponse, ServiceError> {
    record(&r.org_id, r.year);
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
    let want = match pb::ReviewState::try_from(r.state) {
        Ok(pb::ReviewState::Unspecified) => None,
        Ok(s) => Some(s as i32),
        Err(_) => {
            return Err(ServiceError::field(
                "state",
                "not a review state: REVIEW_STATE_FILED, _ACCEPTED, _RETURNED or _MISSING",
            ))
        }
    };
    let mut out = pb::GetFilingStatusResponse::default();
    if let Some(root) = &root {
        out.body = Some(body_to_pb(root));
        let latest = store.latest_meta(&root.id, r.year)?;
        let mut own = filing_entry(root, 0, latest, |x| was_published_with_errors(store, x));
        with_review(store, r.year, &mut own)?;
        out.own = Some(own);
    }
    for (b, depth) in &listed {
        let latest = store.latest_meta(&b.id, r.year)?;
        let mut e = filing_entry(b, *depth, latest, |x| was_published_with_errors(store, x));
        with_review(store, r.year, &mut e)?;
        match pb::ReviewState::try_from(e.state) {
            Ok(pb::ReviewState::Accepted) => out.accepted += 1,
            Ok(pb::ReviewState::Returned) => out.returned += 1,
            Ok(pb::ReviewState::Filed) => out.awaiting_review += 1,
            _ => {}
        }
        if e.published_with_errors {
            out.with_errors += 1;
        } else if e.filed {
            out.filed += 1;
            if !e.unexplained.is_empty() {
                out.unexplained += 1;
            }
        } else {
            out.missing += 1;
        }
        if want.is_none_or(|s| s == e.state) {
            out.entries.push(e);
        }
    }
    Ok(out)
}

/// A board line's review state and the last review of its latest revision.
fn with_review(store: &Store, year: u32, e: &mut pb::FilingEntry) -> Result<(), ServiceError> {
    let id = e.body.as_ref().map_or("", |b| b.id.as_str());
    match store.filing_state(id, year)? {
        Some(s) => {
            e.state = state_pb(s.state) as i32;
            e.review = s.review.as_ref().map(review_pb);
        }
        None => e.state = pb::ReviewState::Missing as i32,
    }
    Ok(())
}
