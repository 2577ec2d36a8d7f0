//! `ReviewReport`: the county office accepts the latest revision of a report, or returns it
//! with a reason and the cells concerned. Who may: [`crate::auth::decide_review`]; what is
//! stored: [`crate::store::Store::review`].

use std::collections::HashSet;

use tracing::Span;

use super::admit::check_text;
use super::{check_key, no_report, record_report, Reports, MAX_REASON_CHARS};
use crate::auth::Caller;
use crate::grpc::convert::{cell_notes, decision_from_pb, log_head_pb, review_pb, state_pb};
use crate::grpc::status::{ServiceError, Violation};
use crate::pb;
use crate::store::{Decision, NewReview, State};
use crate::template::Edition;

/// The most cells one return may name.
pub const MAX_REVIEW_CELLS: usize = 200;

impl Reports {
    pub(super) async fn review(
        &self,
        r: pb::ReviewReportRequest,
        caller: &Caller,
    ) -> Result<pb::ReviewReportResponse, ServiceError> {
        record_report(&r.org_id, r.year);
        check_key(&r.org_id, r.year)?;
        // Before anything about the report: a caller who may not review learns nothing.
        caller.may_review(&r.org_id)?;
        let decision = self.check_review(&r)?;
        let Some(latest) = self.store.latest_meta(&r.org_id, r.year)? else {
            return Err(no_report(&r.org_id, r.year));
        };
        check_cells(&r.cells, latest.edition)?;
        let reviewed = self
            .store
            .review(NewReview {
                org_id: r.org_id.clone(),
                year: r.year,
                revision: r.revision,
                decision,
                reason: r.reason.trim().to_string(),
                cells: cell_notes(&r.cells),
                reviewed_by: caller.token_id().to_string(),
            })
            .await?;
        Span::current().record("revision", reviewed.review.revision);
        tracing::info!(
            org = %r.org_id,
            year = r.year,
            revision = reviewed.review.revision,
            decision = decision.as_str(),
            by = caller.token_id(),
            "report reviewed"
        );
        Ok(pb::ReviewReportResponse {
            state: state_pb(State::from(decision)) as i32,
            review: Some(review_pb(&reviewed.review)),
            log_head: Some(log_head_pb(&reviewed.head)),
        })
    }

    /// The request's fields other than the key and the cells' keys.
    fn check_review(&self, r: &pb::ReviewReportRequest) -> Result<Decision, ServiceError> {
        let mut v = Vec::new();
        let mut bad = |field: &str, description: &str| {
            v.push(Violation {
                field: field.into(),
                description: description.into(),
            })
        };
        if r.revision == 0 {
            bad(
                "revision",
                "required: the revision you read (revisions are numbered from 1)",
            );
        }
        let decision = decision_from_pb(r.decision);
        match decision {
            None => bad(
                "decision",
                "required: REVIEW_DECISION_ACCEPT or REVIEW_DECISION_RETURN",
            ),
            Some(Decision::Returned) if r.reason.trim().is_empty() => bad(
                "reason",
                "required to return a report: say what is to be fixed (in Chinese)",
            ),
            Some(Decision::Accepted) if !r.cells.is_empty() => {
                bad("cells", "only a return names cells")
            }
            _ => {}
        }
        if r.cells.len() > MAX_REVIEW_CELLS {
            bad("cells", "too many cells (at most 200)");
        }
        check_text(&mut v, "reason", &r.reason, MAX_REASON_CHARS, true);
        for (i, c) in r.cells.iter().enumerate() {
            let field = format!("cells[{i}].note");
            if c.note.trim().is_empty() {
                v.push(Violation {
                    field: field.clone(),
                    description: "required: what to fix in this cell".into(),
                });
            }
            check_text(&mut v, &field, &c.note, MAX_REASON_CHARS, true);
        }
        match decision {
            Some(d) if v.is_empty() => Ok(d),
            _ => Err(ServiceError::BadRequest(v)),
        }
    }
}

/// Every cell key must be a cell of the report's edition, named once.
fn check_cells(cells: &[pb::CellNote], edition: Option<Edition>) -> Result<(), ServiceError> {
    let mut v = Vec::new();
    let mut seen = HashSet::new();
    for (i, c) in cells.iter().enumerate() {
        let key = c.cell.trim();
        let field = format!("cells[{i}].cell");
        let known = edition.is_some_and(|e| e.template().ix(key).is_some());
        if !known {
            v.push(Violation {
                field,
                description: format!(
                    "{key:?} is not a cell of the report's edition (keys as `gxctl cells FILE` prints them, e.g. t3.new.total)"
                ),
            });
        } else if !seen.insert(key) {
            v.push(Violation {
                field,
                description: format!("{key} is named twice"),
            });
        }
    }
    if v.is_empty() {
        Ok(())
    } else {
        Err(ServiceError::BadRequest(v))
    }
}
