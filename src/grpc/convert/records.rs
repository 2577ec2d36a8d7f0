//! The store's records and the library's small types on the wire: revisions and their
//! cross-year check, bodies and their levels, tokens and roles, chain breaks, timestamps.

use std::time::SystemTime;

use super::FieldError;
use crate::auth::Role;
use crate::orgs::{Body, Level};
use crate::pb;
use crate::store::{BreakKind, ChainBreak, LogHead, Revision, StoredToken, Verification};

/// A time on the wire.
pub fn timestamp(t: SystemTime) -> prost_types::Timestamp {
    prost_types::Timestamp::from(t)
}

/// A time as RFC 3339, for messages.
pub fn rfc3339(t: SystemTime) -> String {
    // Timestamp's Display is RFC 3339.
    timestamp(t).to_string()
}

/// A `google.protobuf.Timestamp` as its spec bounds it: 0001-01-01 to 9999-12-31, nanos in
/// 0..1e9.
pub fn system_time(field: &str, ts: prost_types::Timestamp) -> Result<SystemTime, FieldError> {
    const MIN_SECONDS: i64 = -62_135_596_800;
    const MAX_SECONDS: i64 = 253_402_300_799;
    if !(0..1_000_000_000).contains(&ts.nanos) {
        return Err(FieldError::new(
            field,
            format!("nanos {} is out of range 0..999999999", ts.nanos),
        ));
    }
    if !(MIN_SECONDS..=MAX_SECONDS).contains(&ts.seconds) {
        return Err(FieldError::new(
            field,
            format!(
                "seconds {} is out of range (years 0001 to 9999)",
                ts.seconds
            ),
        ));
    }
    SystemTime::try_from(ts)
        .map_err(|e| FieldError::new(field, format!("not a valid timestamp: {e}")))
}

/// A revision's metadata on the wire.
pub fn revision_info(r: &Revision) -> pb::RevisionInfo {
    pb::RevisionInfo {
        org_id: r.org_id.clone(),
        year: r.year,
        revision: r.revision,
        submission_id: r.submission_id.clone(),
        submitted_at: Some(timestamp(r.submitted_at)),
        reason: r.reason.clone(),
        content_hash: hex::encode(r.content_hash),
        warnings: r.warnings.iter().map(pb::Finding::from).collect(),
        submitted_by: r.submitted_by.clone(),
        previous_hash: hex::encode(r.previous_hash),
        chain_hash: hex::encode(r.chain_hash),
        explanations: explanations_pb(&r.explanations),
        cross_year: Some(cross_year_pb(r)),
        published_with_errors: r.warnings.iter().any(crate::rules::Finding::is_error),
        provenance: r.provenance.iter().map(pb::CellSource::from).collect(),
    }
}

impl From<&crate::provenance::CellSource> for pb::CellSource {
    fn from(s: &crate::provenance::CellSource) -> pb::CellSource {
        pb::CellSource {
            cell: s.cell.clone(),
            origin: s.origin.as_str().to_string(),
            printed: s.printed.clone(),
            why: s.why.clone(),
        }
    }
}

/// The provenance of a request, read: each origin known.
pub fn provenance_from_pb(
    given: &[pb::CellSource],
) -> Result<Vec<crate::provenance::CellSource>, FieldError> {
    given
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let origin = crate::provenance::Origin::parse(&s.origin).ok_or_else(|| {
                FieldError::new(
                    format!("provenance[{i}].origin"),
                    format!("{:?}: expected deduced or unreadable", s.origin),
                )
            })?;
            Ok(crate::provenance::CellSource {
                cell: s.cell.clone(),
                origin,
                printed: s.printed.clone(),
                why: s.why.clone(),
            })
        })
        .collect()
}

/// The explanations stored with a revision, (rule, text), on the wire.
pub fn explanations_pb(e: &[(String, String)]) -> Vec<pb::Explanation> {
    e.iter()
        .map(|(rule, text)| pb::Explanation {
            rule: rule.clone(),
            text: text.clone(),
        })
        .collect()
}

/// The cross-year check of a revision, for the wire.
pub fn cross_year_pb(r: &Revision) -> pb::CrossYearCheck {
    pb::CrossYearCheck {
        checked: r.cross_year_previous.is_some(),
        previous_year: r.year.saturating_sub(1),
        previous_revision: r.cross_year_previous.unwrap_or(0),
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
pub fn level_from_pb(field: &str, n: i32) -> Result<Level, FieldError> {
    u32::try_from(n)
        .ok()
        .and_then(Level::from_number)
        .ok_or_else(|| {
            FieldError::new(
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

/// Each role and its wire value: both directions read this one table.
const ROLES: [(Role, pb::Role); 5] = [
    (Role::Admin, pb::Role::Admin),
    (Role::Filer, pb::Role::Filer),
    (Role::Reader, pb::Role::Reader),
    (Role::Archivist, pb::Role::Archivist),
    (Role::Reviewer, pb::Role::Reviewer),
];

impl From<Role> for pb::Role {
    fn from(r: Role) -> pb::Role {
        ROLES
            .iter()
            .find(|(role, _)| *role == r)
            .map_or(pb::Role::Unspecified, |(_, wire)| *wire)
    }
}

/// The role of a wire value, `None` for `ROLE_UNSPECIFIED`.
pub fn role_from_pb(r: pb::Role) -> Option<Role> {
    ROLES
        .iter()
        .find(|(_, wire)| *wire == r)
        .map(|(role, _)| *role)
}

/// A token as the TokenService describes it.
pub fn token_info(t: &StoredToken) -> pb::TokenInfo {
    pb::TokenInfo {
        id: t.id.clone(),
        role: Role::parse(&t.role).map_or(pb::Role::Unspecified, pb::Role::from) as i32,
        org: t.org.clone(),
        subtree: t.subtree,
        note: t.note.clone(),
        created_at: Some(t.created_at.into()),
        created_by: t.created_by.clone(),
        revoked_at: t.revoked_at.map(Into::into),
        revoked_by: t.revoked_by.clone(),
    }
}

/// A break on the wire.
pub fn break_to_pb(b: &ChainBreak) -> pb::ChainBreak {
    pb::ChainBreak {
        org_id: b.org_id.clone(),
        year: b.year,
        revision: b.revision,
        kind: b.kind.as_str().to_string(),
        detail: b.detail.clone(),
        stored: b.stored.clone(),
        expected: b.expected.clone(),
    }
}

/// A chain-break kind this version does not know, received from the wire.
#[derive(Debug, thiserror::Error)]
#[error("gxd reported a chain break of unknown kind {0:?}")]
pub struct UnknownBreakKind(pub String);

/// A break from the wire.
pub fn break_from_pb(b: pb::ChainBreak) -> Result<ChainBreak, UnknownBreakKind> {
    Ok(ChainBreak {
        kind: BreakKind::parse(&b.kind).ok_or(UnknownBreakKind(b.kind))?,
        org_id: b.org_id,
        year: b.year,
        revision: b.revision,
        detail: b.detail,
        stored: b.stored,
        expected: b.expected,
    })
}

/// A verification on the wire.
impl From<&Verification> for pb::VerifyChainsResponse {
    fn from(v: &Verification) -> pb::VerifyChainsResponse {
        pb::VerifyChainsResponse {
            reports: v.reports,
            revisions: v.revisions,
            reviews: v.reviews,
            breaks: v.breaks.iter().map(break_to_pb).collect(),
            log_head: v.log.as_ref().map(log_head_pb),
        }
    }
}

/// A verification from the wire, e.g. for `gxctl verify` to print with the same
/// [`Verification`] Display as `gxd verify`.
impl TryFrom<pb::VerifyChainsResponse> for Verification {
    type Error = UnknownBreakKind;

    fn try_from(v: pb::VerifyChainsResponse) -> Result<Verification, UnknownBreakKind> {
        Ok(Verification {
            reports: v.reports,
            revisions: v.revisions,
            reviews: v.reviews,
            breaks: v
                .breaks
                .into_iter()
                .map(break_from_pb)
                .collect::<Result<_, _>>()?,
            log: v.log_head.and_then(|h| log_head_from_pb(&h)),
        })
    }
}

/// A log head on the wire.
pub fn log_head_pb(h: &LogHead) -> pb::LogHead {
    pb::LogHead {
        size: h.size,
        root: hex::encode(h.root),
    }
}

/// A log head from the wire (`None` when its root is not 64 hex digits).
pub fn log_head_from_pb(h: &pb::LogHead) -> Option<LogHead> {
    format!("{}:{}", h.size, h.root).parse().ok()
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
}
