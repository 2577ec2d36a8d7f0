//! Verification: recomputing the hash chains of the stored revisions and reviews.

use std::collections::{HashSet, VecDeque};

use prost::Message;

use super::chain;
use super::keys::{printable_key, report_prefix, split_report_prefix};
use super::record::{Meta, Record};
use super::reviews::{review_chain_hash, ReviewRecord};
use super::{logcheck, Result, Store};

/// What does not hold in a chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakKind {
    /// The stored bytes are not a revision record, or its key is malformed.
    Undecodable,
    /// Revision numbers are not 1, 2, 3, … or the key and the record disagree.
    Numbering,
    /// The report's bytes do not hash to the stored content hash.
    ContentHash,
    /// The link to the previous revision is not that revision's chain hash.
    PreviousHash,
    /// The revision's fields do not hash to its stored chain hash.
    ChainHash,
    /// The store-wide log does not match the records or its head file ([`super::log`]).
    Log,
}

impl BreakKind {
    /// Every kind, in the order of the declaration.
    pub const ALL: [BreakKind; 6] = [
        BreakKind::Undecodable,
        BreakKind::Numbering,
        BreakKind::ContentHash,
        BreakKind::PreviousHash,
        BreakKind::ChainHash,
        BreakKind::Log,
    ];

    /// The kind's name, as printed and as sent on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            BreakKind::Undecodable => "undecodable",
            BreakKind::Numbering => "numbering",
            BreakKind::ContentHash => "content-hash",
            BreakKind::PreviousHash => "previous-hash",
            BreakKind::ChainHash => "chain-hash",
            BreakKind::Log => "log",
        }
    }

    /// The kind named `name` ([`BreakKind::as_str`]), if there is one.
    pub fn parse(name: &str) -> Option<BreakKind> {
        BreakKind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// One break found by [`Store::verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBreak {
    pub org_id: String,
    pub year: u32,
    /// 0 when the key itself is not a revision key.
    pub revision: u32,
    pub kind: BreakKind,
    pub detail: String,
    /// The stored and the expected value (hex for hashes), for mismatches.
    pub stored: String,
    pub expected: String,
}

/// `{}`: one line, `… (stored S, expected E)` (gxd verify, logs). `{:#}`: the stored and the
/// expected value on indented lines of their own below it, where long hashes read better
/// (gxctl verify). No trailing newline.
impl std::fmt::Display for ChainBreak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.kind == BreakKind::Log && self.revision == 0 {
            // The log's own breaks, and entries of bodies and tokens, name themselves.
            write!(f, "log: {}", self.detail)?;
        } else {
            write!(
                f,
                "{} {} revision {}: {}: {}",
                self.org_id,
                self.year,
                self.revision,
                self.kind.as_str(),
                self.detail
            )?;
        }
        if self.stored.is_empty() && self.expected.is_empty() {
            Ok(())
        } else if f.alternate() {
            write!(
                f,
                "\n  stored   {}\n  expected {}",
                self.stored, self.expected
            )
        } else {
            write!(f, " (stored {}, expected {})", self.stored, self.expected)
        }
    }
}

/// The outcome of [`Store::verify`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verification {
    pub reports: u64,
    pub revisions: u64,
    /// Reviews examined (links of the same chains).
    pub reviews: u64,
    /// Empty when every chain holds.
    pub breaks: Vec<ChainBreak>,
    /// The log head checked (whole-store verifications only).
    pub log: Option<super::LogHead>,
}

/// The summary line both `gxd verify` and `gxctl verify` end with, e.g. `verified 3 reports, 6
/// revisions: every chain holds` or `…: 2 breaks` (no trailing newline). The breaks themselves
/// print through [`ChainBreak`]'s Display.
impl std::fmt::Display for Verification {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = |n: u64| if n == 1 { "" } else { "s" };
        write!(
            f,
            "verified {} report{}, {} revision{}{}",
            self.reports,
            s(self.reports),
            self.revisions,
            s(self.revisions),
            if self.reviews > 0 { ", " } else { ": " }
        )?;
        if self.reviews > 0 {
            write!(f, "{} review{}: ", self.reviews, s(self.reviews))?;
        }
        match self.breaks.len() {
            0 => write!(f, "every chain holds"),
            1 => write!(f, "1 break"),
            n => write!(f, "{n} breaks"),
        }
    }
}

/// The walk along one report's revisions.
struct ChainWalk {
    prefix: Vec<u8>,
    org_id: String,
    year: u32,
    /// The last revision number seen.
    last: u32,
    /// What the next revision must link to (None when it cannot be known).
    previous: Option<[u8; 32]>,
    /// The stored chain hash of the last revision seen (what its reviews name).
    revision_hash: Option<[u8; 32]>,
    /// The last review the walk passed since the last revision.
    after_review: Option<u32>,
    /// The report's reviews not yet walked: (number from the key, stored bytes).
    reviews: VecDeque<(u32, Vec<u8>)>,
    /// The last review number seen.
    last_review: u32,
}

impl ChainWalk {
    /// A break of this report between a stored and an expected value.
    fn differs(
        &self,
        revision: u32,
        kind: BreakKind,
        detail: impl Into<String>,
        stored: String,
        expected: String,
    ) -> ChainBreak {
        ChainBreak {
            org_id: self.org_id.clone(),
            year: self.year,
            revision,
            kind,
            detail: detail.into(),
            stored,
            expected,
        }
    }

    /// A break of this report with no values to compare.
    fn brk(&self, revision: u32, kind: BreakKind, detail: impl Into<String>) -> ChainBreak {
        self.differs(revision, kind, detail, String::new(), String::new())
    }

    /// A `kind` break (in hex) unless the stored hash is the expected one.
    fn expect_hash(
        &self,
        out: &mut Vec<ChainBreak>,
        (revision, kind): (u32, BreakKind),
        stored: &[u8],
        expected: &[u8; 32],
        detail: impl FnOnce() -> String,
    ) {
        if stored != expected {
            let (s, e) = (hex::encode(stored), hex::encode(expected));
            out.push(self.differs(revision, kind, detail(), s, e));
        }
    }

    /// Checks one stored revision and moves along.
    fn step(&mut self, revision: u32, value: &[u8], out: &mut Vec<ChainBreak>) {
        self.check_number(revision, out);
        self.last = revision;
        let (record, meta, report) = match decode(value) {
            Ok(x) => x,
            Err(e) => {
                let detail = format!("the stored record does not decode: {e}");
                out.push(self.brk(revision, BreakKind::Undecodable, detail));
                self.previous = None;
                return;
            }
        };
        if meta.revision != revision {
            out.push(self.differs(
                revision,
                BreakKind::Numbering,
                "the record's revision number differs from its key's",
                meta.revision.to_string(),
                revision.to_string(),
            ));
        }
        let content = chain::content_hash(&report);
        let at = (revision, BreakKind::ContentHash);
        self.expect_hash(out, at, &meta.content_hash, &content, || {
            CHANGED_REPORT.into()
        });
        if let Some(previous) = self.previous {
            let at = (revision, BreakKind::PreviousHash);
            let after_review = self.after_review;
            self.expect_hash(out, at, &meta.previous_hash, &previous, || {
                if revision == 1 {
                    "revision 1 must link to the genesis hash (zeros)".to_string()
                } else if let Some(n) = after_review {
                    format!("the link to review {n} (the event before it) is not that review's chain hash")
                } else {
                    format!(
                        "the link to revision {} is not that revision's chain hash",
                        revision - 1
                    )
                }
            });
        }
        // The next revision must link to what is stored here.
        self.previous = meta.chain_hash.as_slice().try_into().ok();
        self.revision_hash = self.previous;
        self.after_review = None;
        self.check_chain_hash(revision, &meta, &record, out);
        if record.encode_to_vec() != value {
            let detail = "the stored bytes are not the record's canonical encoding: bytes were added or changed outside its fields";
            out.push(self.brk(revision, BreakKind::ChainHash, detail));
        }
    }

    /// Revision numbers go 1, 2, 3, …: a gap is a break, and the link across it cannot be
    /// checked.
    fn check_number(&mut self, revision: u32, out: &mut Vec<ChainBreak>) {
        let expected_number = self.last.saturating_add(1);
        if revision == expected_number {
            return;
        }
        let missing = if revision > expected_number.saturating_add(1) {
            format!("revisions {expected_number}–{} missing", revision - 1)
        } else {
            format!("revision {expected_number} missing")
        };
        let detail = format!(
            "revision {revision} follows revision {}: {missing}",
            self.last
        );
        out.push(self.brk(revision, BreakKind::Numbering, detail));
        // The link to a missing revision cannot be checked.
        self.previous = None;
    }

    /// The stored chain hash against the one recomputed from the record.
    fn check_chain_hash(
        &self,
        revision: u32,
        meta: &Meta,
        record: &Record,
        out: &mut Vec<ChainBreak>,
    ) {
        let content: Option<[u8; 32]> = meta.content_hash.as_slice().try_into().ok();
        let previous: Option<[u8; 32]> = meta.previous_hash.as_slice().try_into().ok();
        let (Some(content), Some(previous)) = (content, previous) else {
            // Hashes of the wrong length: the chain hash cannot be recomputed.
            let detail = "a stored hash is not 32 bytes long";
            out.push(self.brk(revision, BreakKind::ChainHash, detail));
            return;
        };
        // Since format 3 the link covers the whole record (v2); older revisions keep v1.
        let v2 = chain::record_chain_hash(&self.org_id, self.year, record);
        if meta.chain_hash == v2 {
            return;
        }
        let v1 = chain::chain_hash(&meta.link(&self.org_id, self.year, &previous, &content));
        let recomputed = if meta.chain_hash == v1 { v1 } else { v2 };
        let at = (revision, BreakKind::ChainHash);
        self.expect_hash(out, at, &meta.chain_hash, &recomputed, || {
            CHANGED_RECORD.into()
        });
    }
}

impl ChainWalk {
    /// Walks the reviews of the revision just stepped (`revision`): each must name it and
    /// link to the event before it.
    fn step_reviews(&mut self, revision: u32, out: &mut Vec<ChainBreak>, count: &mut u64) {
        while let Some((number, value)) = self.reviews.front().cloned() {
            let record = ReviewRecord::decode(value.as_slice()).ok();
            let names = record.as_ref().map_or(revision, |r| r.revision);
            if names > revision {
                return;
            }
            self.reviews.pop_front();
            *count += 1;
            self.step_review(revision, number, &value, record, out);
        }
    }

    /// One review of `revision`.
    fn step_review(
        &mut self,
        revision: u32,
        number: u32,
        value: &[u8],
        record: Option<ReviewRecord>,
        out: &mut Vec<ChainBreak>,
    ) {
        let expected_number = self.last_review.saturating_add(1);
        self.last_review = number;
        self.after_review = Some(number);
        if number != expected_number {
            let detail = format!(
                "review {number} follows review {expected_number}: a review is missing",
                expected_number = expected_number - 1
            );
            out.push(self.brk(revision, BreakKind::Numbering, detail));
            self.previous = None;
        }
        let Some(record) = record else {
            let detail = format!("review {number}: the stored review does not decode");
            out.push(self.brk(revision, BreakKind::Undecodable, detail));
            self.previous = None;
            return;
        };
        if record.number != number {
            let detail = format!("review {number}: the record's number differs from its key's");
            let (s, e) = (record.number.to_string(), number.to_string());
            out.push(self.differs(revision, BreakKind::Numbering, detail, s, e));
        }
        if record.revision != revision {
            let detail = format!(
                "review {number} names revision {}, which is not the revision before it",
                record.revision
            );
            out.push(self.brk(revision, BreakKind::Numbering, detail));
        }
        if let Some(hash) = self.revision_hash {
            let at = (revision, BreakKind::PreviousHash);
            self.expect_hash(out, at, &record.revision_hash, &hash, || {
                format!("review {number}: the revision it names is not the revision stored")
            });
        }
        if let Some(previous) = self.previous {
            let at = (revision, BreakKind::PreviousHash);
            self.expect_hash(out, at, &record.previous_hash, &previous, || {
                format!("review {number}: the link to the event before it is not that event's chain hash")
            });
        }
        let recomputed = review_chain_hash(&self.org_id, self.year, &record);
        let at = (revision, BreakKind::ChainHash);
        self.expect_hash(out, at, &record.chain_hash, &recomputed, || {
            format!("review {number}: the review (decision, reason, cells, reviewer, time) does not hash to its stored chain hash: it was changed after it was stored")
        });
        if record.encode_to_vec() != value {
            let detail = format!(
                "review {number}: the stored bytes are not the review's canonical encoding"
            );
            out.push(self.brk(revision, BreakKind::ChainHash, detail));
        }
        self.previous = record.chain_hash.as_slice().try_into().ok();
    }

    /// Reviews left when the report's revisions are done: they name no revision there is.
    fn leftover_reviews(&mut self, out: &mut Vec<ChainBreak>, count: &mut u64) {
        while let Some((number, value)) = self.reviews.pop_front() {
            *count += 1;
            let names = ReviewRecord::decode(value.as_slice()).map_or(0, |r| r.revision);
            let detail = format!(
                "review {number} names revision {names}, which is not stored (the latest is {})",
                self.last
            );
            out.push(self.brk(names, BreakKind::Numbering, detail));
        }
    }
}

const CHANGED_REPORT: &str = "the report's bytes do not hash to the stored content hash: the report was changed after it was stored";
const CHANGED_RECORD: &str = "the revision's record (metadata, explanations, cells, hashes) does not hash to its stored chain hash: the record was changed after it was stored";

/// A stored value as its record, metadata and report bytes, or why it does not decode.
fn decode(value: &[u8]) -> std::result::Result<(Record, Meta, Vec<u8>), String> {
    let r = Record::decode(value).map_err(|e| e.to_string())?;
    match r.meta.clone() {
        Some(m) => {
            let report = r.report.clone();
            Ok((r, m, report))
        }
        None => Err("no metadata".to_string()),
    }
}

impl Store {
    /// Recomputes the hash chains of the stored revisions: of every report, of one body's
    /// reports (`org_id`), or of one report (`org_id` and `year`). Reads only.
    ///
    /// What it cannot see on its own: the latest revisions of a report removed together (the
    /// chain that is left still holds). The chain hash SubmitReport returned to the filer is
    /// the proof against that.
    pub fn verify(&self, org_id: Option<&str>, year: Option<u32>) -> Result<Verification> {
        let prefix = match (org_id, year) {
            (None, _) => Vec::new(),
            (Some(o), None) => {
                let mut k = report_prefix(o, 0)?;
                k.truncate(k.len() - 4);
                k
            }
            (Some(o), Some(y)) => report_prefix(o, y)?,
        };
        let mut v = Verification::default();
        let mut walk: Option<ChainWalk> = None;
        let mut seen: HashSet<Vec<u8>> = HashSet::new();
        for kv in self.inner.revisions.scan_prefix(&prefix) {
            let (k, value) = kv?;
            let parsed = k.len().checked_sub(4).and_then(|n| {
                let (org, y) = split_report_prefix(&k[..n])?;
                let revision = u32::from_be_bytes(k[n..].try_into().ok()?);
                Some((n, org, y, revision))
            });
            let Some((n, org, y, revision)) = parsed else {
                v.breaks.push(ChainBreak {
                    org_id: printable_key(&k),
                    year: 0,
                    revision: 0,
                    kind: BreakKind::Undecodable,
                    detail: "a key that is not a revision key".into(),
                    stored: String::new(),
                    expected: String::new(),
                });
                continue;
            };
            if walk.as_ref().is_none_or(|w| w.prefix != k[..n]) {
                if let Some(mut w) = walk.take() {
                    w.leftover_reviews(&mut v.breaks, &mut v.reviews);
                }
                v.reports += 1;
                seen.insert(k[..n].to_vec());
                walk = Some(ChainWalk {
                    prefix: k[..n].to_vec(),
                    org_id: org,
                    year: y,
                    last: 0,
                    previous: Some(chain::GENESIS),
                    revision_hash: None,
                    after_review: None,
                    reviews: self.review_values(&k[..n])?,
                    last_review: 0,
                });
            }
            if let Some(w) = walk.as_mut() {
                w.step(revision, &value, &mut v.breaks);
                w.step_reviews(revision, &mut v.breaks, &mut v.reviews);
            }
            v.revisions += 1;
        }
        if let Some(mut w) = walk.take() {
            w.leftover_reviews(&mut v.breaks, &mut v.reviews);
        }
        self.orphan_reviews(&prefix, &seen, &mut v)?;
        if org_id.is_none() {
            self.verify_log(&mut v)?;
        }
        Ok(v)
    }

    /// The reviews of one report, by number: (number from the key, stored bytes).
    fn review_values(&self, report: &[u8]) -> Result<VecDeque<(u32, Vec<u8>)>> {
        let mut out = VecDeque::new();
        for kv in self.inner.reviews.scan_prefix(report) {
            let (k, v) = kv?;
            let n = k.len().saturating_sub(4);
            let number = k
                .get(n..)
                .and_then(|b| <[u8; 4]>::try_from(b).ok())
                .map_or(0, u32::from_be_bytes);
            out.push_back((number, v.to_vec()));
        }
        Ok(out)
    }

    /// Reviews of reports that have no revision (under `prefix`).
    fn orphan_reviews(
        &self,
        prefix: &[u8],
        seen: &HashSet<Vec<u8>>,
        v: &mut Verification,
    ) -> Result<()> {
        for kv in self.inner.reviews.scan_prefix(prefix) {
            let (k, _) = kv?;
            let n = k.len().saturating_sub(4);
            if seen.contains(&k[..n]) {
                continue;
            }
            v.reviews += 1;
            let (org_id, year) = split_report_prefix(&k[..n]).unwrap_or((printable_key(&k), 0));
            v.breaks.push(ChainBreak {
                org_id,
                year,
                revision: 0,
                kind: BreakKind::Numbering,
                detail: "a review of a report that has no revision".into(),
                stored: String::new(),
                expected: String::new(),
            });
        }
        Ok(())
    }

    /// The log against the records and the head file, and what the check on open found.
    fn verify_log(&self, v: &mut Verification) -> Result<()> {
        let trees = logcheck::Trees {
            revisions: &self.inner.revisions,
            orgs: &self.inner.orgs,
            tokens: &self.inner.tokens,
            reviews: &self.inner.reviews,
        };
        let c = logcheck::check(&self.inner.path, trees, false, true)?;
        v.log = c.head;
        v.breaks.extend(c.breaks);
        for d in &self.inner.damage {
            if !v.breaks.contains(d) {
                v.breaks.push(d.clone());
            }
        }
        Ok(())
    }
}
