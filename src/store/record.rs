//! What a key's value holds: the protobuf records the store writes, and how they read back
//! as the store's types. Field numbers are the on-disk format: never renumber them.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use prost::Message;

use crate::rules::{Candidate, Finding, Severity, Suggestion};

/// What is recorded with a revision, besides the report.
#[derive(Clone, PartialEq, Message)]
pub(super) struct Meta {
    #[prost(uint32, tag = "1")]
    pub(super) revision: u32,
    #[prost(string, tag = "2")]
    pub(super) submission_id: String,
    /// Microseconds since the Unix epoch.
    #[prost(int64, tag = "3")]
    pub(super) submitted_at_us: i64,
    #[prost(string, tag = "4")]
    pub(super) reason: String,
    #[prost(bytes = "vec", tag = "5")]
    pub(super) content_hash: Vec<u8>,
    #[prost(message, repeated, tag = "6")]
    pub(super) warnings: Vec<StoredFinding>,
    #[prost(string, tag = "7")]
    pub(super) org_name: String,
    #[prost(uint32, tag = "8")]
    pub(super) edition: u32,
    /// The chain hash of the previous revision ([`super::GENESIS`] for revision 1).
    #[prost(bytes = "vec", tag = "9")]
    pub(super) previous_hash: Vec<u8>,
    /// This revision's chain hash (`chain::chain_hash`).
    #[prost(bytes = "vec", tag = "10")]
    pub(super) chain_hash: Vec<u8>,
    /// The id of the token that submitted it ("" before tokens existed).
    #[prost(string, tag = "11")]
    pub(super) submitted_by: String,
    /// Explanations of warnings (rule → text), in the order given.
    #[prost(message, repeated, tag = "12")]
    pub(super) explanations: Vec<StoredExplanation>,
    /// The cross-year check: absent when there was no previous year's report.
    #[prost(message, optional, tag = "13")]
    pub(super) cross_year: Option<StoredCrossYear>,
    /// Cells not read as printed by the importer (deduced or unreadable).
    #[prost(message, repeated, tag = "14")]
    pub(super) provenance: Vec<StoredSource>,
}

/// A cell's provenance, stored with a revision ([`crate::provenance::CellSource`]).
#[derive(Clone, PartialEq, Message)]
pub(super) struct StoredSource {
    #[prost(string, tag = "1")]
    pub(super) cell: String,
    #[prost(string, tag = "2")]
    pub(super) origin: String,
    #[prost(string, tag = "3")]
    pub(super) printed: String,
    #[prost(string, tag = "4")]
    pub(super) why: String,
}

impl From<&crate::provenance::CellSource> for StoredSource {
    fn from(s: &crate::provenance::CellSource) -> StoredSource {
        StoredSource {
            cell: s.cell.clone(),
            origin: s.origin.as_str().to_string(),
            printed: s.printed.clone(),
            why: s.why.clone(),
        }
    }
}

impl StoredSource {
    /// None for an origin this version does not know.
    pub(super) fn read(self) -> Option<crate::provenance::CellSource> {
        Some(crate::provenance::CellSource {
            origin: crate::provenance::Origin::parse(&self.origin)?,
            cell: self.cell,
            printed: self.printed,
            why: self.why,
        })
    }
}

/// One stored revision: the value of a key. `meta` is encoded first.
#[derive(Clone, PartialEq, Message)]
pub(super) struct Record {
    #[prost(message, optional, tag = "1")]
    pub(super) meta: Option<Meta>,
    /// The report's canonical protobuf encoding.
    #[prost(bytes = "vec", tag = "2")]
    pub(super) report: Vec<u8>,
    /// The report's cell values, packed ([`crate::packed`]); empty in records written before
    /// it existed.
    #[prost(bytes = "vec", tag = "3")]
    pub(super) cells: Vec<u8>,
}

/// A [`Record`] read without its report: prost skips the unknown field 2 without copying.
#[derive(Clone, PartialEq, Message)]
pub(super) struct MetaOnly {
    #[prost(message, optional, tag = "1")]
    pub(super) meta: Option<Meta>,
}

/// Explanation of a warning, stored with a revision.
#[derive(Clone, PartialEq, Message)]
pub(super) struct StoredExplanation {
    #[prost(string, tag = "1")]
    pub(super) rule: String,
    #[prost(string, tag = "2")]
    pub(super) text: String,
}

/// A warning stored with a revision. Format 2 wrote the wire's `gx.v1.Finding` here, and the
/// chain hash covers each warning's encoding, so this record keeps that message's field
/// numbers, types and encoding exactly: stored bytes and chain hashes stay what they were. (A
/// test outside the store, `src/store_wire.rs`, encodes both and compares.)
#[derive(Clone, PartialEq, Message)]
pub(crate) struct StoredFinding {
    #[prost(string, tag = "1")]
    pub(super) rule: String,
    /// The wire's `Severity` numbers: [`SEVERITY_ERROR`] or [`SEVERITY_WARNING`] (an enum on
    /// the wire is an int32 varint).
    #[prost(int32, tag = "2")]
    pub(super) severity: i32,
    #[prost(string, repeated, tag = "3")]
    pub(super) cells: Vec<String>,
    #[prost(string, repeated, tag = "4")]
    pub(super) labels: Vec<String>,
    #[prost(string, optional, tag = "5")]
    pub(super) expected: Option<String>,
    #[prost(string, optional, tag = "6")]
    pub(super) actual: Option<String>,
    #[prost(message, optional, tag = "7")]
    pub(super) suggestion: Option<StoredSuggestion>,
    #[prost(string, tag = "8")]
    pub(super) message: String,
}

/// `gx.v1.Suggestion`, as stored in a [`StoredFinding`].
#[derive(Clone, PartialEq, Message)]
pub(super) struct StoredSuggestion {
    #[prost(message, repeated, tag = "1")]
    pub(super) candidates: Vec<StoredCandidate>,
    #[prost(string, tag = "2")]
    pub(super) message: String,
}

/// `gx.v1.Candidate`, as stored in a [`StoredSuggestion`].
#[derive(Clone, PartialEq, Message)]
pub(super) struct StoredCandidate {
    #[prost(string, tag = "1")]
    pub(super) cell: String,
    #[prost(string, tag = "2")]
    pub(super) label: String,
    #[prost(string, tag = "3")]
    pub(super) value: String,
}

/// `gx.v1.Severity.SEVERITY_ERROR`.
pub(super) const SEVERITY_ERROR: i32 = 1;
/// `gx.v1.Severity.SEVERITY_WARNING`.
pub(super) const SEVERITY_WARNING: i32 = 2;

impl From<&Finding> for StoredFinding {
    fn from(f: &Finding) -> StoredFinding {
        StoredFinding {
            rule: f.rule.clone(),
            severity: match f.severity {
                Severity::Error => SEVERITY_ERROR,
                Severity::Warning => SEVERITY_WARNING,
            },
            cells: f.cells.clone(),
            labels: f.labels.clone(),
            expected: f.expected.clone(),
            actual: f.actual.clone(),
            suggestion: f.suggestion.as_ref().map(StoredSuggestion::from),
            message: f.message.clone(),
        }
    }
}

/// Lossless for every record gx writes (their severity is one of the two numbers above). A
/// record with another number (never written) reads as a warning, as the wire's reader does;
/// the chain hash is computed over the record itself, never over this conversion.
impl From<StoredFinding> for Finding {
    fn from(f: StoredFinding) -> Finding {
        let severity = if f.severity == SEVERITY_ERROR {
            Severity::Error
        } else {
            Severity::Warning
        };
        Finding {
            suggestion: f.suggestion.map(Suggestion::from),
            severity,
            rule: f.rule,
            cells: f.cells,
            labels: f.labels,
            expected: f.expected,
            actual: f.actual,
            message: f.message,
        }
    }
}

impl From<&Suggestion> for StoredSuggestion {
    fn from(s: &Suggestion) -> StoredSuggestion {
        let candidates = s.candidates.iter().map(StoredCandidate::from).collect();
        StoredSuggestion {
            candidates,
            message: s.message.clone(),
        }
    }
}

impl From<StoredSuggestion> for Suggestion {
    fn from(s: StoredSuggestion) -> Suggestion {
        let candidates = s.candidates.into_iter().map(Candidate::from).collect();
        Suggestion {
            candidates,
            message: s.message,
        }
    }
}

impl From<&Candidate> for StoredCandidate {
    fn from(c: &Candidate) -> StoredCandidate {
        let Candidate { cell, label, value } = c.clone();
        StoredCandidate { cell, label, value }
    }
}

impl From<StoredCandidate> for Candidate {
    fn from(c: StoredCandidate) -> Candidate {
        let StoredCandidate { cell, label, value } = c;
        Candidate { cell, label, value }
    }
}

/// The cross-year check a revision passed.
#[derive(Clone, PartialEq, Message)]
pub(super) struct StoredCrossYear {
    /// The revision of last year's report it was checked against.
    #[prost(uint32, tag = "1")]
    pub(super) previous_revision: u32,
}

pub(super) fn micros(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_micros()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_micros()).unwrap_or(i64::MAX),
    }
}

pub(super) fn from_micros(us: i64) -> SystemTime {
    if us >= 0 {
        UNIX_EPOCH + Duration::from_micros(us.unsigned_abs())
    } else {
        UNIX_EPOCH - Duration::from_micros(us.unsigned_abs())
    }
}

/// The report bytes (field 2) and the packed cells (field 3, empty if none) of a stored
/// [`Record`], where they lie: no copy.
pub(super) fn split_record(value: &[u8]) -> Option<(&[u8], &[u8])> {
    use prost::encoding::{decode_key, decode_varint, WireType};
    let mut buf = value;
    let (mut report, mut cells): (&[u8], &[u8]) = (&[], &[]);
    while !buf.is_empty() {
        let (tag, wire) = decode_key(&mut buf).ok()?;
        match wire {
            WireType::LengthDelimited => {
                let len = usize::try_from(decode_varint(&mut buf).ok()?).ok()?;
                if len > buf.len() {
                    return None;
                }
                let (field, rest) = buf.split_at(len);
                match tag {
                    2 => report = field,
                    3 => cells = field,
                    _ => {}
                }
                buf = rest;
            }
            WireType::Varint => {
                decode_varint(&mut buf).ok()?;
            }
            WireType::SixtyFourBit if buf.len() >= 8 => buf = &buf[8..],
            WireType::ThirtyTwoBit if buf.len() >= 4 => buf = &buf[4..],
            _ => return None,
        }
    }
    Some((report, cells))
}
