//! Reviews and review states on the wire.

use super::timestamp;
use crate::pb;
use crate::store::{CellNote, Decision, State, StoredReview};

/// A review state on the wire.
pub fn state_pb(s: State) -> pb::ReviewState {
    match s {
        State::Filed => pb::ReviewState::Filed,
        State::Accepted => pb::ReviewState::Accepted,
        State::Returned => pb::ReviewState::Returned,
    }
}

/// A decision on the wire.
pub fn decision_pb(d: Decision) -> pb::ReviewDecision {
    match d {
        Decision::Accepted => pb::ReviewDecision::Accept,
        Decision::Returned => pb::ReviewDecision::Return,
    }
}

/// The decision of a wire value, `None` for unspecified or unknown values.
pub fn decision_from_pb(d: i32) -> Option<Decision> {
    match pb::ReviewDecision::try_from(d).ok()? {
        pb::ReviewDecision::Accept => Some(Decision::Accepted),
        pb::ReviewDecision::Return => Some(Decision::Returned),
        pb::ReviewDecision::Unspecified => None,
    }
}

/// A stored review on the wire.
pub fn review_pb(r: &StoredReview) -> pb::Review {
    pb::Review {
        org_id: r.org_id.clone(),
        year: r.year,
        number: r.number,
        revision: r.revision,
        decision: decision_pb(r.decision) as i32,
        reason: r.reason.clone(),
        cells: r
            .cells
            .iter()
            .map(|c| pb::CellNote {
                cell: c.cell.clone(),
                note: c.note.clone(),
            })
            .collect(),
        reviewed_by: r.reviewed_by.clone(),
        reviewed_at: Some(timestamp(r.reviewed_at)),
        previous_hash: hex::encode(r.previous_hash),
        chain_hash: hex::encode(r.chain_hash),
    }
}

/// Cell notes from the wire (checked by the caller).
pub fn cell_notes(cells: &[pb::CellNote]) -> Vec<CellNote> {
    cells
        .iter()
        .map(|c| CellNote {
            cell: c.cell.trim().to_string(),
            note: c.note.trim().to_string(),
        })
        .collect()
}

/// The state of one revision among `reviews` (a report's, oldest first): the decision of the
/// last review naming it, else filed.
pub fn revision_state(reviews: &[StoredReview], revision: u32) -> State {
    reviews
        .iter()
        .rev()
        .find(|r| r.revision == revision)
        .map_or(State::Filed, |r| r.decision.into())
}
