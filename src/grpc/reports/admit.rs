//! Admission: a report is admitted in this order, and the first failing step answers:
//! 1. request limits (org.id form, text sizes) — `INVALID_ARGUMENT`, field paths;
//! 2. shape and types ([`convert::report_from_pb`]) — `INVALID_ARGUMENT`, cell keys or paths;
//! 3. the rules ([`rules::validate`], exactly as `gxctl validate`) — `INVALID_ARGUMENT` with
//!    one `BadRequest` field violation per error finding, in Chinese.
//!
//! SubmitReport then runs the gate (`gate.rs`).
//!
//! What passes is stored in its canonical form: the report read into the model and written
//! back ([`convert::report_to_pb`]), protobuf-encoded. The content hash is the SHA-256 of those
//! bytes, so two submissions that say the same thing hash the same, whatever optional fields
//! the client spelled out; the reason and `expected_revision` are not content.

use prost::Message;
use sha2::{Digest, Sha256};

use crate::grpc::convert;
use crate::grpc::status::{ServiceError, Violation};
use crate::model::Report;
use crate::pb;
use crate::rules;
use crate::template::Edition;

/// Longest org.id, in characters.
pub const MAX_ORG_ID_CHARS: usize = 128;
/// Longest org.name, in characters.
pub const MAX_ORG_NAME_CHARS: usize = 256;
/// Most narrative text per report, in bytes (UTF-8), all sections together. Real reports
/// have 5–50 KB.
pub const MAX_NARRATIVE_BYTES: usize = 1 << 20;
/// Longest published text of one cell (`raw`), in characters.
pub const MAX_RAW_CHARS: usize = 256;
/// Longest reason, in characters.
pub const MAX_REASON_CHARS: usize = 2000;

/// A report that passed admission.
#[derive(Debug)]
pub struct Admitted {
    pub report: Report,
    /// The canonical encoding.
    pub canonical: Vec<u8>,
    pub content_hash: [u8; 32],
    /// Warning findings; errors too when admitted as published.
    pub warnings: Vec<rules::Finding>,
}

/// A convert error's field as a request path: cell keys stay cell keys, other fields are
/// under `report.`.
fn report_field(field: &str) -> String {
    let is_cell = Edition::ALL
        .into_iter()
        .any(|e| e.template().ix(field).is_some());
    if is_cell {
        field.to_string()
    } else {
        format!("report.{field}")
    }
}

/// A text field within its length, without control characters (newlines and tabs only
/// where `allow_newlines`).
pub(super) fn check_text(
    out: &mut Vec<Violation>,
    field: &str,
    text: &str,
    max_chars: usize,
    allow_newlines: bool,
) {
    let chars = text.chars().count();
    if chars > max_chars {
        out.push(Violation {
            field: field.into(),
            description: format!("{chars} characters; at most {max_chars}"),
        });
    }
    if let Some(c) = text
        .chars()
        .find(|c| c.is_control() && !(allow_newlines && matches!(c, '\n' | '\r' | '\t')))
    {
        out.push(Violation {
            field: field.into(),
            description: format!("contains the control character U+{:04X}", c as u32),
        });
    }
}

fn narrative_bytes(n: &pb::Narrative) -> usize {
    let section = |s: &Option<pb::Section>| {
        s.as_ref().map_or(0, |s| {
            s.text.len()
                + s.subsections
                    .iter()
                    .map(|x| x.title.len() + x.text.len())
                    .sum::<usize>()
        })
    };
    n.preamble.len() + section(&n.overview) + section(&n.problems) + section(&n.other)
}

/// Request limits the shape checks do not cover.
fn check_limits(p: &pb::Report) -> Result<(), ServiceError> {
    let mut v = Vec::new();
    if let Some(org) = &p.org {
        check_text(&mut v, "report.org.id", &org.id, MAX_ORG_ID_CHARS, false);
        if org.id.trim() != org.id {
            v.push(Violation {
                field: "report.org.id".into(),
                description: "must not begin or end with whitespace".into(),
            });
        }
        check_text(
            &mut v,
            "report.org.name",
            &org.name,
            MAX_ORG_NAME_CHARS,
            false,
        );
    }
    if let Some(n) = &p.narrative {
        let bytes = narrative_bytes(n);
        if bytes > MAX_NARRATIVE_BYTES {
            v.push(Violation {
                field: "report.narrative".into(),
                description: format!(
                    "{bytes} bytes of text; at most {MAX_NARRATIVE_BYTES} (1 MiB) for all sections together"
                ),
            });
        }
    }
    if v.is_empty() {
        Ok(())
    } else {
        Err(ServiceError::BadRequest(v))
    }
}

/// Admission: limits, shape, rules; then the canonical form and its hash.
pub fn admit(p: Option<&pb::Report>) -> Result<Admitted, ServiceError> {
    admit_with(p, false)
}

/// Admission of a report as it was published: the rules' errors are kept among its findings
/// instead of refusing it (limits and shape still refuse).
pub fn admit_as_published(p: Option<&pb::Report>) -> Result<Admitted, ServiceError> {
    admit_with(p, true)
}

fn admit_with(p: Option<&pb::Report>, as_published: bool) -> Result<Admitted, ServiceError> {
    let p = p.ok_or_else(|| ServiceError::field("report", "required: the report to submit"))?;
    check_limits(p)?;
    let report = convert::report_from_pb(p)
        .map_err(|e| ServiceError::field(report_field(&e.field), e.message))?;
    let t = report.template();
    let long_raw: Vec<Violation> = report
        .cells
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            let n = c.raw.as_ref()?.chars().count();
            (n > MAX_RAW_CHARS).then(|| Violation {
                field: t.cells[i].key.clone(),
                description: format!("raw: {n} characters; at most {MAX_RAW_CHARS}"),
            })
        })
        .collect();
    if !long_raw.is_empty() {
        return Err(ServiceError::BadRequest(long_raw));
    }
    let verdict = rules::validate(&report);
    if !verdict.is_valid() && !as_published {
        return Err(ServiceError::Rejected(
            verdict.errors().cloned().collect::<Vec<_>>(),
        ));
    }
    let canonical = convert::report_to_pb(&report).encode_to_vec();
    let content_hash: [u8; 32] = Sha256::digest(&canonical).into();
    Ok(Admitted {
        report,
        canonical,
        content_hash,
        warnings: verdict.findings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn convert_fields_become_request_paths() {
        for (field, path) in [
            ("t3.new.natural", "t3.new.natural"),
            ("t3.other_other.total", "t3.other_other.total"),
            ("org.id", "report.org.id"),
            ("table2_2019", "report.table2_2019"),
        ] {
            assert_eq!(report_field(field), path);
        }
    }

    #[test]
    fn an_empty_report_is_refused_with_its_field() {
        let e = admit(Some(&pb::Report::default())).unwrap_err();
        let ServiceError::BadRequest(v) = e else {
            panic!("{e:?}")
        };
        assert_eq!(v[0].field, "report.org");
    }
}
