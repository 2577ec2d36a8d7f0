//! How gxctl shows reviews and review states.

use clap::ValueEnum;

use gx::pb;

use crate::show::timestamp;

/// A review state as `--state` takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReviewStateArg {
    /// Filed, not reviewed yet (or amended since the last review).
    Filed,
    Accepted,
    Returned,
    /// Not filed.
    Missing,
}

impl From<ReviewStateArg> for pb::ReviewState {
    fn from(s: ReviewStateArg) -> pb::ReviewState {
        match s {
            ReviewStateArg::Filed => pb::ReviewState::Filed,
            ReviewStateArg::Accepted => pb::ReviewState::Accepted,
            ReviewStateArg::Returned => pb::ReviewState::Returned,
            ReviewStateArg::Missing => pb::ReviewState::Missing,
        }
    }
}

/// `filed`, `accepted`, `returned`, `missing` ("" when unspecified).
pub fn review_state_name(s: i32) -> &'static str {
    match pb::ReviewState::try_from(s) {
        Ok(pb::ReviewState::Filed) => "filed",
        Ok(pb::ReviewState::Accepted) => "accepted",
        Ok(pb::ReviewState::Returned) => "returned",
        Ok(pb::ReviewState::Missing) => "missing",
        _ => "",
    }
}

/// `accepted` or `returned`.
pub fn decision_name(d: i32) -> &'static str {
    match pb::ReviewDecision::try_from(d) {
        Ok(pb::ReviewDecision::Accept) => "accepted",
        Ok(pb::ReviewDecision::Return) => "returned",
        _ => "",
    }
}

/// A review as JSON (`-o json|yaml`).
pub fn review_json(r: &pb::Review) -> serde_json::Value {
    serde_json::json!({
        "number": r.number,
        "revision": r.revision,
        "decision": decision_name(r.decision),
        "reason": r.reason,
        "cells": r.cells.iter().map(|c| serde_json::json!({"cell": c.cell, "note": c.note})).collect::<Vec<_>>(),
        "reviewed_by": r.reviewed_by,
        "reviewed_at": timestamp(&r.reviewed_at),
        "previous_hash": r.previous_hash,
        "chain_hash": r.chain_hash,
    })
}

/// One event of a report's history, for the merged table and JSON of `history` and
/// `review history`.
pub enum Event<'a> {
    Filed(&'a pb::RevisionInfo),
    Reviewed(&'a pb::Review),
}

/// A report's events in order: each revision, then the reviews of it.
pub fn events<'a>(revisions: &'a [pb::RevisionInfo], reviews: &'a [pb::Review]) -> Vec<Event<'a>> {
    let mut out = Vec::new();
    let mut rest = reviews.iter().peekable();
    for rev in revisions {
        out.push(Event::Filed(rev));
        while let Some(r) = rest.next_if(|r| r.revision <= rev.revision) {
            out.push(Event::Reviewed(r));
        }
    }
    out.extend(rest.map(Event::Reviewed));
    out
}

/// A return's cells, one `KEY: note` per line.
pub fn cells_text(r: &pb::Review) -> String {
    r.cells
        .iter()
        .map(|c| format!("{}: {}", c.cell, c.note))
        .collect::<Vec<_>>()
        .join("\n")
}
