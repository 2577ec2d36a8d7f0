//! The log against the store: recomputing it from the records and comparing it with the head
//! file ([`super::log`]), building it for a directory written before it existed, and adding
//! what a crash left unlogged.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use prost::Message;
use sha2::{Digest, Sha256};

use super::keys::{revision_key, split_revision_key};
use super::log::{read_head, read_log, EntryKind, Log, LogEntry, LogFile, LogHead};
use super::record::MetaOnly;
use super::reviews::ReviewRecord;
use super::verify::{BreakKind, ChainBreak};
use super::{corrupt, Result};
use crate::merkle;

/// The trees the log covers.
#[derive(Clone, Copy)]
pub(super) struct Trees<'a> {
    pub revisions: &'a sled::Tree,
    pub orgs: &'a sled::Tree,
    pub tokens: &'a sled::Tree,
    pub reviews: &'a sled::Tree,
}

/// What comparing the log with the records and the head found.
#[derive(Debug, Default)]
pub(super) struct Checked {
    pub breaks: Vec<ChainBreak>,
    /// The head file's head (None when there is no head file).
    pub head: Option<LogHead>,
    /// The log as read.
    pub file: LogFile,
    /// The first entry (0-based index) past the head that does not match its record: a
    /// write a crash cut short, never acknowledged. The log is cut there on open.
    pub cut: Option<usize>,
    /// Records with no entry, in the order to log them (a crash between the record and its
    /// entry, never acknowledged).
    pub unlogged: Vec<LogEntry>,
}

/// A break of the log as a whole (not of one entry).
fn log_break(detail: String) -> ChainBreak {
    ChainBreak {
        org_id: String::new(),
        year: 0,
        revision: 0,
        kind: BreakKind::Log,
        detail,
        stored: String::new(),
        expected: String::new(),
    }
}

/// A break of entry `seq`.
fn entry_break(seq: u64, e: &LogEntry, what: &str, stored: &[u8]) -> ChainBreak {
    let subject = match EntryKind::from_number(e.kind) {
        Some(EntryKind::Revision) => format!("revision {} of {} {}", e.revision, e.id, e.year),
        Some(EntryKind::Body) => format!("reporting body {}", e.id),
        Some(EntryKind::Token) => format!("token {}", e.id),
        Some(EntryKind::Review) => format!(
            "review {} of {} {} (revision {})",
            e.number, e.id, e.year, e.revision
        ),
        None => format!("an entry of unknown kind {}", e.kind),
    };
    ChainBreak {
        org_id: e.id.clone(),
        year: e.year,
        revision: e.revision,
        kind: BreakKind::Log,
        detail: format!("log entry {seq} ({subject}): {what}"),
        stored: if stored.is_empty() {
            String::new()
        } else {
            hex::encode(stored)
        },
        expected: if stored.is_empty() {
            String::new()
        } else {
            hex::encode(&e.record_hash)
        },
    }
}

fn digest(v: &[u8]) -> Vec<u8> {
    Sha256::digest(v).to_vec()
}

/// Compares `gx.log` with the head file and the records. With `unlogged`, also lists the
/// records that have no entry (only meaningful when no writer runs).
/// With `require_head`, a missing head file is a break (else: the log of a directory written
/// before the log existed, built now).
pub(super) fn check(
    dir: &Path,
    t: Trees<'_>,
    unlogged: bool,
    require_head: bool,
) -> Result<Checked> {
    // The head first: a flush in between only makes the log longer than it.
    let head = read_head(dir);
    let mut c = Checked {
        file: read_log(dir).map_err(sled::Error::Io)?,
        ..Checked::default()
    };
    match head {
        Ok(None) if require_head => c.breaks.push(log_break(format!(
            "the head file {} is missing: the log cannot be checked",
            super::log::HEAD_FILE
        ))),
        Ok(h) => c.head = h,
        Err(e) => c.breaks.push(log_break(e)),
    }
    let n = c.file.frames.len() as u64;
    let within = c.head.map_or(0, |h| h.size);
    if let Some(h) = c.head {
        if h.size > n {
            c.breaks.push(log_break(format!(
                "the log holds {n} entries but its head says {}: entries {}–{} are missing",
                h.size,
                n + 1,
                h.size
            )));
        } else {
            let leaves: Vec<_> = c.file.frames[..h.size as usize]
                .iter()
                .map(|f| merkle::leaf_hash(f))
                .collect();
            if merkle::root(&leaves) != h.root {
                c.breaks.push(log_break(format!(
                    "the log's first {} entries do not hash to the root in its head: an entry was changed, removed or reordered",
                    h.size
                )));
            }
        }
    }
    let logged = entries(&mut c, t, within)?;
    if unlogged {
        c.unlogged = unlogged_records(t, &logged)?;
    }
    Ok(c)
}

/// Keys seen in the log: revision keys, body ids and token ids.
#[derive(Default)]
struct Logged {
    revisions: HashSet<Vec<u8>>,
    orgs: HashSet<Vec<u8>>,
    tokens: HashSet<Vec<u8>>,
    reviews: HashSet<Vec<u8>>,
}

/// Checks each entry against its record; entries past `within` (the head) that fail mark
/// where the log is to be cut instead of breaking.
fn entries(c: &mut Checked, t: Trees<'_>, within: u64) -> Result<Logged> {
    let mut logged = Logged::default();
    let mut last_revision: HashMap<(String, u32), u32> = HashMap::new();
    let mut last_review: HashMap<(String, u32), u32> = HashMap::new();
    // Bodies and tokens are rewritten in place: only their last entry must match.
    let mut last_of: HashMap<(u32, String), (u64, LogEntry)> = HashMap::new();
    let mut found = Vec::new();
    for (i, frame) in c.file.frames.iter().enumerate() {
        if c.cut.is_some() {
            break;
        }
        let seq = i as u64 + 1;
        let mut fail = |b: ChainBreak| {
            if seq > within {
                c.cut = Some(i);
            } else {
                found.push(b);
            }
        };
        let Ok(e) = LogEntry::decode(frame.as_slice()) else {
            fail(log_break(format!("log entry {seq} does not decode")));
            continue;
        };
        if e.seq != seq {
            let what = format!("it carries sequence number {}", e.seq);
            fail(entry_break(seq, &e, &what, &[]));
        }
        match EntryKind::from_number(e.kind) {
            Some(EntryKind::Revision) => {
                let key = revision_key(&e.id, e.year, e.revision)?;
                let last = last_revision.entry((e.id.clone(), e.year)).or_default();
                if e.revision != *last + 1 {
                    let what = format!("out of order: it follows revision {}", *last);
                    fail(entry_break(seq, &e, &what, &[]));
                }
                *last = e.revision;
                match t.revisions.get(&key)? {
                    None => fail(entry_break(seq, &e, "the record is missing", &[])),
                    Some(v) if digest(&v) != e.record_hash => fail(entry_break(
                        seq,
                        &e,
                        "the stored record differs from the one logged",
                        &digest(&v),
                    )),
                    Some(_) => {}
                }
                logged.revisions.insert(key);
            }
            Some(EntryKind::Review) => {
                let key = revision_key(&e.id, e.year, e.number)?;
                let last = last_review.entry((e.id.clone(), e.year)).or_default();
                if e.number != *last + 1 {
                    let what = format!("out of order: it follows review {}", *last);
                    fail(entry_break(seq, &e, &what, &[]));
                }
                *last = e.number;
                match t.reviews.get(&key)? {
                    None => fail(entry_break(seq, &e, "the review is missing", &[])),
                    Some(v) if digest(&v) != e.record_hash => fail(entry_break(
                        seq,
                        &e,
                        "the stored review differs from the one logged",
                        &digest(&v),
                    )),
                    Some(_) => {}
                }
                logged.reviews.insert(key);
            }
            Some(k) => {
                last_of.insert((k as u32, e.id.clone()), (seq, e));
            }
            None => fail(entry_break(seq, &e, "unknown kind", &[])),
        }
    }
    c.breaks.extend(found);
    let mut rest: Vec<_> = last_of.into_values().collect();
    rest.sort_by_key(|(seq, _)| *seq);
    for (seq, e) in rest {
        if c.cut.is_some_and(|cut| seq > cut as u64) {
            continue;
        }
        let (tree, set) = if e.kind == EntryKind::Body as u32 {
            (t.orgs, &mut logged.orgs)
        } else {
            (t.tokens, &mut logged.tokens)
        };
        set.insert(e.id.as_bytes().to_vec());
        let b = match tree.get(e.id.as_bytes())? {
            None => entry_break(seq, &e, "the record is missing", &[]),
            Some(v) if digest(&v) != e.record_hash => entry_break(
                seq,
                &e,
                "the stored record differs from the one logged",
                &digest(&v),
            ),
            Some(_) => continue,
        };
        if seq > within {
            c.cut = Some(c.cut.map_or(seq as usize - 1, |x| x.min(seq as usize - 1)));
        } else {
            c.breaks.push(b);
        }
    }
    Ok(logged)
}

/// Records with no log entry: revisions and reviews in the order they were made (then by
/// key), then bodies, then tokens.
fn unlogged_records(t: Trees<'_>, logged: &Logged) -> Result<Vec<LogEntry>> {
    let mut revisions = Vec::new();
    for kv in t.revisions.iter() {
        let (k, v) = kv?;
        if logged.revisions.contains(k.as_ref()) {
            continue;
        }
        let (_, org, year) = split_revision_key(&k)?;
        let n = k.len() - 4;
        let revision = u32::from_be_bytes(k[n..].try_into().map_err(|_| corrupt(&k, "key"))?);
        let at = MetaOnly::decode(v.as_ref())
            .ok()
            .and_then(|m| m.meta)
            .map_or(0, |m| m.submitted_at_us);
        let e = LogEntry::new(EntryKind::Revision, &org, year, revision, &v);
        revisions.push((at, k.to_vec(), e));
    }
    for kv in t.reviews.iter() {
        let (k, v) = kv?;
        if logged.reviews.contains(k.as_ref()) {
            continue;
        }
        let (_, org, year) = split_revision_key(&k)?;
        let n = k.len() - 4;
        let number = u32::from_be_bytes(k[n..].try_into().map_err(|_| corrupt(&k, "key"))?);
        let r = ReviewRecord::decode(v.as_ref()).unwrap_or_default();
        let e = LogEntry::review(&org, year, r.revision, number, &v);
        revisions.push((r.reviewed_at_us, k.to_vec(), e));
    }
    revisions.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    let mut out: Vec<LogEntry> = revisions.into_iter().map(|(_, _, e)| e).collect();
    for (tree, set, kind) in [
        (t.orgs, &logged.orgs, EntryKind::Body),
        (t.tokens, &logged.tokens, EntryKind::Token),
    ] {
        for kv in tree.iter() {
            let (k, v) = kv?;
            if !set.contains(k.as_ref()) {
                let id = String::from_utf8_lossy(&k);
                out.push(LogEntry::new(kind, &id, 0, 0, &v));
            }
        }
    }
    Ok(out)
}

/// Opens the log of a store: checks it, and when it holds, cuts what a crash left past the
/// head and logs the records a crash left unlogged. Returns the log and the breaks (when
/// there are breaks, nothing is changed).
pub(super) fn open_log(
    dir: &Path,
    t: Trees<'_>,
    require_head: bool,
) -> Result<(Log, Vec<ChainBreak>)> {
    let c = check(dir, t, true, require_head)?;
    let head = c.head.unwrap_or_else(LogHead::empty);
    if !c.breaks.is_empty() {
        let log = Log::open_read_only(dir, &c.file.frames, head).map_err(sled::Error::Io)?;
        return Ok((log, c.breaks));
    }
    let keep = c.cut.unwrap_or(c.file.frames.len());
    let whole: u64 = c.file.frames[..keep]
        .iter()
        .map(|f| f.len() as u64 + 4)
        .sum();
    if keep < c.file.frames.len() || c.file.torn > 0 {
        tracing::warn!(
            dropped = c.file.frames.len() - keep,
            torn_bytes = c.file.torn,
            "the log ended past its head with entries a crash cut short (never acknowledged): dropped"
        );
    }
    let log = Log::open(dir, &c.file.frames[..keep], whole, head).map_err(sled::Error::Io)?;
    // Cutting may have unlogged records that are in fact stored: look again.
    let unlogged = if keep < c.file.frames.len() {
        check(dir, t, true, true)?.unlogged
    } else {
        c.unlogged
    };
    if !unlogged.is_empty() {
        tracing::warn!(
            records = unlogged.len(),
            "records without a log entry (a crash between the write and its entry): logged now"
        );
        for e in unlogged {
            log.append(e).map_err(sled::Error::Io)?;
        }
    }
    let now = log.current();
    if now != head {
        log.commit(now).map_err(sled::Error::Io)?;
    }
    Ok((log, Vec::new()))
}
