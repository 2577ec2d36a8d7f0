//! Durable, versioned storage of reports: the only module that knows sled.
//!
//! # Layout
//!
//! One sled tree, `revisions`, with one key per revision and nothing else:
//!
//! ```text
//! org.id  \0  year (u32, big-endian)  revision (u32, big-endian)   →   Record
//! ```
//!
//! Keys sort bytewise, so a range scan visits revisions in (org.id, year, revision) order; the
//! `\0` after the org.id (which may not contain `\0`) keeps `ab` before `ab1`. The latest
//! revision of a report is the last key with its (org.id, year) prefix. A [`Record`] is its
//! metadata ([`Meta`]) followed by the report's canonical bytes; listings decode the metadata
//! only. Every write is one insert of a new key: a revision is never changed, and a crash can
//! never leave half a submission behind. A tree `meta` holds the layout's version. A tree
//! `orgs` holds the reporting bodies (see "reporting bodies" below).
//!
//! Each revision's metadata also holds the chain hash of the revision before it and its own
//! ([`chain`]); [`Store::verify`] recomputes them. A tree `tokens` holds the bearer
//! tokens by id, each with only the SHA-256 of the token ([`StoredToken`]).
//!
//! Format 2 added the chain (and `submitted_by`); a format-1 directory is upgraded in place
//! when opened: its revisions are chained in order, with an empty `submitted_by`.
//!
//! (A separate "latest" key per report, written with the revision in a sled batch, would make
//! listings cheaper, but sled 0.34's batches take a global write lock that `flush()` holds in
//! read mode for its whole duration: every write would wait for every flush.)
//!
//! # Durability
//!
//! [`Store::submit`] returns only after the revision is flushed to disk. Flushing is done by
//! one flusher thread calling sled's blocking `flush()` (sled 0.34's `flush_async` deadlocks
//! under concurrent use): a submission writes its revision, takes a ticket, and waits until a
//! flush that started after the ticket was issued has completed. Every flush covers all the
//! tickets issued before it started, so concurrent submissions share flushes (group commit).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use prost::Message;
use tokio::sync::oneshot;

use crate::orgs::{Body, Directory, DirectoryError, Level};
use crate::pb;
use crate::template::Edition;

pub mod chain;

/// The on-disk layout version this code reads and writes.
const FORMAT: u32 = 2;
/// The layout before the hash chain, upgraded on open.
const FORMAT_UNCHAINED: u32 = 1;
/// sled's segment size. sled writes a page larger than a quarter segment to a file of its
/// own; with the default 512 KiB, a leaf of ~16 revisions of 10–15 KB each crosses that, and
/// every rewrite of it created and fsynced a new file (about 40% slower under load).
const SEGMENT_BYTES: usize = 8 << 20;
/// Submissions to the same (org, year) are serialised by one of these locks.
const STRIPES: usize = 64;

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another process (another gxd) has the data directory open.
    #[error("the data directory {path} is in use by another process (another gxd?): {detail}")]
    Locked { path: PathBuf, detail: String },
    /// The data directory holds a layout this version does not know.
    #[error("the data directory {path} has store format {found}; this gxd reads format {FORMAT}")]
    Format { path: PathBuf, found: String },
    /// `expected_revision` is not the current revision.
    #[error("expected revision {expected} but the current revision is {current}")]
    Conflict { expected: u32, current: u32 },
    /// An amendment without a reason.
    #[error("a reason is required to amend: revision {current} exists")]
    ReasonRequired { current: u32 },
    /// The key cannot be stored (an org.id with `\0`); callers check this first.
    #[error("org.id may not contain NUL characters")]
    BadKey,
    /// A revision number past `u32::MAX`.
    #[error("the report has reached the maximum number of revisions")]
    TooManyRevisions,
    /// A change to the reporting bodies that the directory refuses.
    #[error(transparent)]
    Directory(#[from] DirectoryError),
    /// Stored bytes that do not decode.
    #[error("corrupt record at {key}: {detail}")]
    Corrupt { key: String, detail: String },
    /// A flush failed; the submission may not be on disk.
    #[error("flushing to disk failed: {0}")]
    Flush(String),
    /// The store is closing or closed.
    #[error("the store is closed")]
    Closed,
    #[error(transparent)]
    Sled(#[from] sled::Error),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

// ---------------------------------------------------------------- records

/// What is recorded with a revision, besides the report.
#[derive(Clone, PartialEq, Message)]
struct Meta {
    #[prost(uint32, tag = "1")]
    revision: u32,
    #[prost(string, tag = "2")]
    submission_id: String,
    /// Microseconds since the Unix epoch.
    #[prost(int64, tag = "3")]
    submitted_at_us: i64,
    #[prost(string, tag = "4")]
    reason: String,
    #[prost(bytes = "vec", tag = "5")]
    content_hash: Vec<u8>,
    #[prost(message, repeated, tag = "6")]
    warnings: Vec<pb::Finding>,
    #[prost(string, tag = "7")]
    org_name: String,
    #[prost(uint32, tag = "8")]
    edition: u32,
    /// The chain hash of the previous revision ([`chain::GENESIS`] for revision 1).
    #[prost(bytes = "vec", tag = "9")]
    previous_hash: Vec<u8>,
    /// This revision's chain hash ([`chain::chain_hash`]).
    #[prost(bytes = "vec", tag = "10")]
    chain_hash: Vec<u8>,
    /// The id of the token that submitted it ("" before tokens existed).
    #[prost(string, tag = "11")]
    submitted_by: String,
    /// Explanations of warnings (rule → text), in the order given.
    #[prost(message, repeated, tag = "12")]
    explanations: Vec<StoredExplanation>,
    /// The cross-year check: absent when there was no previous year's report.
    #[prost(message, optional, tag = "13")]
    cross_year: Option<StoredCrossYear>,
}

impl Meta {
    fn link<'a>(
        &'a self,
        org_id: &'a str,
        year: u32,
        previous: &'a [u8; 32],
        content_hash: &'a [u8; 32],
    ) -> chain::Link<'a> {
        chain::Link {
            org_id,
            year,
            revision: self.revision,
            previous,
            content_hash,
            submitted_at_us: self.submitted_at_us,
            submission_id: &self.submission_id,
            reason: &self.reason,
            submitted_by: &self.submitted_by,
            warnings: &self.warnings,
        }
    }
}

/// One stored revision: the value of a key. `meta` is encoded first.
#[derive(Clone, PartialEq, Message)]
struct Record {
    #[prost(message, optional, tag = "1")]
    meta: Option<Meta>,
    /// The canonical encoding of the `pb::Report`.
    #[prost(bytes = "vec", tag = "2")]
    report: Vec<u8>,
    /// The report's cell values, packed ([`crate::packed`]); empty in records written before
    /// it existed.
    #[prost(bytes = "vec", tag = "3")]
    cells: Vec<u8>,
}

/// A [`Record`] read without its report: prost skips the unknown field 2 without copying.
#[derive(Clone, PartialEq, Message)]
struct MetaOnly {
    #[prost(message, optional, tag = "1")]
    meta: Option<Meta>,
}

/// A revision to store.
#[derive(Debug, Clone)]
pub struct NewRevision {
    pub org_id: String,
    pub org_name: String,
    pub year: u32,
    pub edition: Edition,
    /// The canonical encoding of the report.
    pub report: Vec<u8>,
    /// SHA-256 of `report`.
    pub content_hash: [u8; 32],
    pub reason: String,
    pub warnings: Vec<pb::Finding>,
    /// Fail with [`StoreError::Conflict`] unless this is the current revision (0: none).
    pub expected_revision: Option<u32>,
    /// The id of the token submitting it.
    pub submitted_by: String,
    /// Explanations of warnings: (rule, text).
    pub explanations: Vec<(String, String)>,
    /// The revision of last year's report the cross-year check ran against; `None` when
    /// there was none (no check).
    pub cross_year_previous: Option<u32>,
    /// The report's cell values, packed ([`crate::packed::pack`]).
    pub cells: Vec<u8>,
}

/// A stored revision.
#[derive(Debug, Clone, PartialEq)]
pub struct Revision {
    pub org_id: String,
    pub org_name: String,
    pub year: u32,
    pub edition: Option<Edition>,
    pub revision: u32,
    pub submission_id: String,
    pub submitted_at: SystemTime,
    pub reason: String,
    pub content_hash: [u8; 32],
    pub warnings: Vec<pb::Finding>,
    /// The canonical encoding of the report (empty when read as metadata only).
    pub report: Vec<u8>,
    /// The id of the token that submitted it ("" before tokens existed).
    pub submitted_by: String,
    /// The previous revision's chain hash ([`chain::GENESIS`] for revision 1).
    pub previous_hash: [u8; 32],
    /// This revision's chain hash.
    pub chain_hash: [u8; 32],
    /// Explanations of warnings: (rule, text).
    pub explanations: Vec<(String, String)>,
    /// The revision of last year's report the cross-year check ran against; `None` when
    /// there was none (no check).
    pub cross_year_previous: Option<u32>,
}

/// The outcome of [`Store::submit`].
#[derive(Debug, Clone)]
pub struct Submitted {
    pub revision: Revision,
    /// False when the content equalled the latest revision, which is returned unchanged.
    pub created: bool,
}

/// Which revision to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    Latest,
    Number(u32),
    /// The last revision submitted at or before this instant.
    AsOf(SystemTime),
}

/// Where a listing continues: just after this report. Opaque to callers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor(Vec<u8>);

impl Cursor {
    /// The cursor as a page token (hex).
    pub fn to_token(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Reads a page token; `None` if it is not one.
    pub fn from_token(token: &str) -> Option<Cursor> {
        let t = token.as_bytes();
        if t.is_empty() || t.len() % 2 != 0 {
            return None;
        }
        let nibble = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
        let bytes = t
            .chunks(2)
            .map(|p| Some((nibble(p[0])? << 4) | nibble(p[1])?))
            .collect::<Option<Vec<u8>>>()?;
        // A report prefix: org.id, NUL, big-endian year.
        split_report_prefix(&bytes)?;
        Some(Cursor(bytes))
    }
}

/// A page of latest revisions (metadata only).
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub reports: Vec<Revision>,
    /// Set when more reports may follow.
    pub next: Option<Cursor>,
}

// ---------------------------------------------------------------- keys

/// org.id `\0` year: the prefix of every revision key of a report.
fn report_prefix(org_id: &str, year: u32) -> Result<Vec<u8>> {
    if org_id.as_bytes().contains(&0) {
        return Err(StoreError::BadKey);
    }
    let mut k = Vec::with_capacity(org_id.len() + 9);
    k.extend_from_slice(org_id.as_bytes());
    k.push(0);
    k.extend_from_slice(&year.to_be_bytes());
    Ok(k)
}

fn revision_key(org_id: &str, year: u32, revision: u32) -> Result<Vec<u8>> {
    let mut k = report_prefix(org_id, year)?;
    k.extend_from_slice(&revision.to_be_bytes());
    Ok(k)
}

/// (org.id, year) of a report prefix.
fn split_report_prefix(k: &[u8]) -> Option<(String, u32)> {
    let n = k.len().checked_sub(5)?;
    if k[n] != 0 || k[..n].contains(&0) {
        return None;
    }
    let org = std::str::from_utf8(&k[..n]).ok()?.to_string();
    let year = u32::from_be_bytes(k[n + 1..].try_into().ok()?);
    Some((org, year))
}

/// The smallest key after every key that starts with `prefix` followed by 4 bytes.
fn after_report(prefix: &[u8]) -> Vec<u8> {
    let mut k = prefix.to_vec();
    k.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0x00]);
    k
}

fn printable_key(k: &[u8]) -> String {
    String::from_utf8_lossy(k).replace('\0', "/")
}

fn micros(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_micros()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_micros()).unwrap_or(i64::MAX),
    }
}

fn from_micros(us: i64) -> SystemTime {
    if us >= 0 {
        UNIX_EPOCH + Duration::from_micros(us.unsigned_abs())
    } else {
        UNIX_EPOCH - Duration::from_micros(us.unsigned_abs())
    }
}

fn corrupt(key: &[u8], detail: impl Into<String>) -> StoreError {
    StoreError::Corrupt {
        key: printable_key(key),
        detail: detail.into(),
    }
}

/// A stored value as a [`Revision`]; with `full`, including the report bytes.
fn to_revision(key: &[u8], value: &[u8], full: bool) -> Result<Revision> {
    let (meta, report) = if full {
        let r = Record::decode(value).map_err(|e| corrupt(key, e.to_string()))?;
        (r.meta, r.report)
    } else {
        let m = MetaOnly::decode(value).map_err(|e| corrupt(key, e.to_string()))?;
        (m.meta, Vec::new())
    };
    let meta = meta.ok_or_else(|| corrupt(key, "no metadata"))?;
    let n = key
        .len()
        .checked_sub(4)
        .ok_or_else(|| corrupt(key, "short key"))?;
    let (org_id, year) =
        split_report_prefix(&key[..n]).ok_or_else(|| corrupt(key, "not a revision key"))?;
    let hash = |what: &str, v: &[u8]| -> Result<[u8; 32]> {
        v.try_into()
            .map_err(|_| corrupt(key, format!("{what} of {} bytes", v.len())))
    };
    let content_hash = hash("content hash", &meta.content_hash)?;
    let previous_hash = hash("previous hash", &meta.previous_hash)?;
    let chain_hash = hash("chain hash", &meta.chain_hash)?;
    Ok(Revision {
        org_id,
        org_name: meta.org_name,
        year,
        edition: Edition::from_number(meta.edition),
        revision: meta.revision,
        submission_id: meta.submission_id,
        submitted_at: from_micros(meta.submitted_at_us),
        reason: meta.reason,
        content_hash,
        warnings: meta.warnings,
        report,
        submitted_by: meta.submitted_by,
        previous_hash,
        chain_hash,
        explanations: meta
            .explanations
            .into_iter()
            .map(|e| (e.rule, e.text))
            .collect(),
        cross_year_previous: meta.cross_year.map(|c| c.previous_revision),
    })
}

// ---------------------------------------------------------------- group commit

/// What a waiter learns: its write is on disk, or why not.
type FlushResult = std::result::Result<(), Arc<str>>;

#[derive(Debug, Default)]
struct Requests {
    issued: u64,
    stop: bool,
    /// Submissions waiting for their ticket to be flushed, in ticket order.
    waiters: std::collections::VecDeque<(u64, oneshot::Sender<FlushResult>)>,
}

/// The flusher thread and the tickets it serves. Each flush wakes exactly the submissions it
/// made durable (no thundering herd of waiters re-checking a shared watermark).
#[derive(Debug)]
struct Flusher {
    requests: Mutex<Requests>,
    wake: Condvar,
}

impl Flusher {
    fn start(db: sled::Db) -> std::io::Result<(Arc<Flusher>, JoinHandle<()>)> {
        let flusher = Arc::new(Flusher {
            requests: Mutex::new(Requests::default()),
            wake: Condvar::new(),
        });
        let f = flusher.clone();
        let handle = std::thread::Builder::new()
            .name("gx-flusher".into())
            .spawn(move || f.run(&db))?;
        Ok((flusher, handle))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Requests> {
        // The lock guards plain counters and a queue; a panic elsewhere cannot leave them
        // inconsistent.
        self.requests.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn run(&self, db: &sled::Db) {
        let mut flushed = 0u64;
        loop {
            let target = {
                let mut r = self.lock();
                while r.issued == flushed && !r.stop {
                    r = self.wake.wait(r).unwrap_or_else(|p| p.into_inner());
                }
                if r.stop && r.issued == flushed {
                    break;
                }
                r.issued
            };
            // Every ticket <= target was issued after its write: this flush covers them.
            let started = std::time::Instant::now();
            let result = db.flush();
            tracing::debug!(
                tickets = target - flushed,
                bytes = result.as_ref().ok().copied().unwrap_or(0),
                micros = started.elapsed().as_micros() as u64,
                "flushed"
            );
            flushed = target;
            let outcome: FlushResult = match &result {
                Ok(_) => Ok(()),
                Err(e) => {
                    tracing::error!(error = %e, "flush failed");
                    Err(e.to_string().into())
                }
            };
            let done: Vec<_> = {
                let mut r = self.lock();
                let n = r.waiters.partition_point(|(t, _)| *t <= target);
                r.waiters.drain(..n).collect()
            };
            for (_, tx) in done {
                let _ = tx.send(outcome.clone());
            }
        }
        // Stopped: whoever still waits learns that the store closed.
        let rest: Vec<_> = self.lock().waiters.drain(..).collect();
        for (_, tx) in rest {
            let _ = tx.send(Err("the store closed".into()));
        }
    }

    /// A ticket for everything written so far, and the receiver its flush answers.
    fn ticket(&self) -> Result<oneshot::Receiver<FlushResult>> {
        let (tx, rx) = oneshot::channel();
        let mut r = self.lock();
        if r.stop {
            return Err(StoreError::Closed);
        }
        r.issued += 1;
        let ticket = r.issued;
        r.waiters.push_back((ticket, tx));
        self.wake.notify_one();
        Ok(rx)
    }

    /// Waits until the ticket's write is on disk.
    async fn wait(rx: oneshot::Receiver<FlushResult>) -> Result<()> {
        match rx.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(StoreError::Flush(e.to_string())),
            Err(_) => Err(StoreError::Closed),
        }
    }

    fn stop(&self) {
        self.lock().stop = true;
        self.wake.notify_one();
    }
}

// ---------------------------------------------------------------- the store

/// The report store (cheap to clone; clones share the database).
#[derive(Debug, Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    db: sled::Db,
    revisions: sled::Tree,
    tokens: sled::Tree,
    path: PathBuf,
    stripes: Vec<Mutex<()>>,
    flusher: Arc<Flusher>,
    flusher_thread: Mutex<Option<JoinHandle<()>>>,
    /// Reporting bodies: id → [`OrgRecord`].
    orgs: sled::Tree,
    /// Every body in memory, kept in step with `orgs` (writers hold the write lock while
    /// they insert).
    directory: RwLock<Directory>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // The flusher thread flushes what is left and exits.
        self.flusher.stop();
    }
}

impl Store {
    /// Opens (or creates) the store in `path`. Fails at once if another process has it open.
    pub fn open(path: &Path) -> Result<Store> {
        std::fs::create_dir_all(path).map_err(sled::Error::Io)?;
        let db = sled::Config::new()
            .path(path)
            .segment_size(SEGMENT_BYTES)
            .open()
            .map_err(|e| match e {
                sled::Error::Io(io) if io.to_string().contains("could not acquire lock") => {
                    StoreError::Locked {
                        path: path.to_path_buf(),
                        detail: io.to_string(),
                    }
                }
                e => StoreError::Sled(e),
            })?;
        let meta = db.open_tree("meta")?;
        let revisions = db.open_tree("revisions")?;
        match meta.get("format")? {
            None => {
                meta.insert("format", &FORMAT.to_be_bytes())?;
                db.flush()?;
            }
            Some(v) if v.as_ref() == FORMAT.to_be_bytes() => {}
            Some(v) if v.as_ref() == FORMAT_UNCHAINED.to_be_bytes() => {
                let n = chain_unchained(&revisions)?;
                meta.insert("format", &FORMAT.to_be_bytes())?;
                db.flush()?;
                tracing::info!(
                    revisions = n,
                    "upgraded the data directory to format {FORMAT}: revisions chained"
                );
            }
            Some(v) => {
                return Err(StoreError::Format {
                    path: path.to_path_buf(),
                    found: format!("{:?}", v.as_ref()),
                })
            }
        }
        let tokens = db.open_tree("tokens")?;
        let orgs = db.open_tree("orgs")?;
        let directory = load_directory(&orgs)?;
        let (flusher, thread) = Flusher::start(db.clone()).map_err(sled::Error::Io)?;
        Ok(Store {
            inner: Arc::new(Inner {
                db,
                revisions,
                tokens,
                path: path.to_path_buf(),
                stripes: (0..STRIPES).map(|_| Mutex::new(())).collect(),
                flusher,
                flusher_thread: Mutex::new(Some(thread)),
                orgs,
                directory: RwLock::new(directory),
            }),
        })
    }

    /// The data directory.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Stores `new` as the next revision of its report, or returns the latest revision when
    /// its content is identical. Returns once the revision is on disk.
    pub async fn submit(&self, new: NewRevision) -> Result<Submitted> {
        let submitted = self.write(new)?;
        let ticket = self.inner.flusher.ticket()?;
        // Even an identical resubmission waits: the revision it returns may have been
        // written by a concurrent call whose flush has not completed yet.
        Flusher::wait(ticket).await?;
        Ok(submitted)
    }

    fn stripe(&self, org_id: &str, year: u32) -> std::sync::MutexGuard<'_, ()> {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (org_id, year).hash(&mut h);
        let m = &self.inner.stripes[(h.finish() as usize) % STRIPES];
        // Guards no data of its own: a poisoned lock is still a valid lock.
        m.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The latest revision of a report: key and value.
    fn last(&self, prefix: &[u8]) -> Result<Option<(sled::IVec, sled::IVec)>> {
        Ok(self
            .inner
            .revisions
            .scan_prefix(prefix)
            .next_back()
            .transpose()?)
    }

    /// The write half of `submit`: decide and insert, under the report's lock.
    fn write(&self, new: NewRevision) -> Result<Submitted> {
        let prefix = report_prefix(&new.org_id, new.year)?;
        let _guard = self.stripe(&new.org_id, new.year);
        let latest = match self.last(&prefix)? {
            Some((k, v)) => Some((k.clone(), to_revision(&k, &v, false)?)),
            None => None,
        };
        let current = latest.as_ref().map_or(0, |(_, r)| r.revision);
        if let Some((k, r)) = &latest {
            if r.content_hash == new.content_hash {
                let v = self
                    .inner
                    .revisions
                    .get(k)?
                    .ok_or_else(|| corrupt(k, "vanished"))?;
                return Ok(Submitted {
                    revision: to_revision(k, &v, true)?,
                    created: false,
                });
            }
        }
        if let Some(expected) = new.expected_revision {
            if expected != current {
                return Err(StoreError::Conflict { expected, current });
            }
        }
        if current > 0 && new.reason.trim().is_empty() {
            return Err(StoreError::ReasonRequired { current });
        }
        let revision = current.checked_add(1).ok_or(StoreError::TooManyRevisions)?;
        // Revisions of a report are strictly ordered in time, so `as_of` is unambiguous.
        let now = micros(SystemTime::now());
        let at = latest.as_ref().map_or(now, |(_, r)| {
            now.max(micros(r.submitted_at).saturating_add(1))
        });
        let previous_hash = latest
            .as_ref()
            .map_or(chain::GENESIS, |(_, r)| r.chain_hash);
        let mut meta = Meta {
            revision,
            submission_id: uuid::Uuid::now_v7().to_string(),
            submitted_at_us: at,
            reason: new.reason,
            content_hash: new.content_hash.to_vec(),
            warnings: new.warnings,
            org_name: new.org_name,
            edition: new.edition.number(),
            previous_hash: previous_hash.to_vec(),
            chain_hash: Vec::new(),
            submitted_by: new.submitted_by,
            explanations: new
                .explanations
                .into_iter()
                .map(|(rule, text)| StoredExplanation { rule, text })
                .collect(),
            cross_year: new
                .cross_year_previous
                .map(|previous_revision| StoredCrossYear { previous_revision }),
        };
        let chain_hash =
            chain::chain_hash(&meta.link(&new.org_id, new.year, &previous_hash, &new.content_hash));
        meta.chain_hash = chain_hash.to_vec();
        let record = Record {
            meta: Some(meta),
            report: new.report,
            cells: new.cells,
        };
        let key = revision_key(&new.org_id, new.year, revision)?;
        // One insert (not a batch: see the module docs); the key is new, so it never replaces.
        self.inner
            .revisions
            .insert(key.as_slice(), record.encode_to_vec())?;
        let Record { meta, report, .. } = record;
        let meta = meta.ok_or_else(|| corrupt(&key, "no metadata"))?;
        Ok(Submitted {
            revision: Revision {
                org_id: new.org_id,
                org_name: meta.org_name,
                year: new.year,
                edition: Some(new.edition),
                revision,
                submission_id: meta.submission_id,
                submitted_at: from_micros(at),
                reason: meta.reason,
                content_hash: new.content_hash,
                warnings: meta.warnings,
                report,
                submitted_by: meta.submitted_by,
                previous_hash,
                chain_hash,
                explanations: meta
                    .explanations
                    .into_iter()
                    .map(|e| (e.rule, e.text))
                    .collect(),
                cross_year_previous: meta.cross_year.map(|c| c.previous_revision),
            },
            created: true,
        })
    }

    /// The latest revision number of a report (0 when there is none).
    pub fn current_revision(&self, org_id: &str, year: u32) -> Result<u32> {
        let prefix = report_prefix(org_id, year)?;
        Ok(match self.last(&prefix)? {
            Some((k, _)) => {
                let n = k.len().saturating_sub(4);
                u32::from_be_bytes(k[n..].try_into().map_err(|_| corrupt(&k, "short key"))?)
            }
            None => 0,
        })
    }

    /// One revision of a report, with the report, or `None`.
    pub fn get(&self, org_id: &str, year: u32, version: Version) -> Result<Option<Revision>> {
        let prefix = report_prefix(org_id, year)?;
        match version {
            Version::Number(n) => {
                let key = revision_key(org_id, year, n)?;
                match self.inner.revisions.get(&key)? {
                    Some(v) => Ok(Some(to_revision(&key, &v, true)?)),
                    None => Ok(None),
                }
            }
            Version::Latest => match self.last(&prefix)? {
                Some((k, v)) => Ok(Some(to_revision(&k, &v, true)?)),
                None => Ok(None),
            },
            Version::AsOf(t) => {
                // Revisions are in time order: walk back from the latest.
                for kv in self.inner.revisions.scan_prefix(&prefix).rev() {
                    let (k, v) = kv?;
                    if to_revision(&k, &v, false)?.submitted_at <= t {
                        return Ok(Some(to_revision(&k, &v, true)?));
                    }
                }
                Ok(None)
            }
        }
    }

    /// Every revision of a report (metadata only), oldest first; empty if there is none.
    pub fn revisions(&self, org_id: &str, year: u32) -> Result<Vec<Revision>> {
        let prefix = report_prefix(org_id, year)?;
        self.inner
            .revisions
            .scan_prefix(&prefix)
            .map(|kv| {
                let (k, v) = kv?;
                to_revision(&k, &v, false)
            })
            .collect()
    }

    /// The latest revision (metadata only) of each report, ordered by (org.id, year),
    /// filtered by year and org.id prefix, at most `limit` after `after`.
    pub fn list(
        &self,
        year: Option<u32>,
        org_id_prefix: &str,
        after: Option<&Cursor>,
        limit: usize,
    ) -> Result<Page> {
        let prefix = org_id_prefix.as_bytes();
        let mut start = match after {
            Some(Cursor(k)) => after_report(k).max(prefix.to_vec()),
            None => prefix.to_vec(),
        };
        let mut page = Page::default();
        loop {
            let Some(kv) = self.inner.revisions.range(start.as_slice()..).next() else {
                break;
            };
            let (k, _) = kv?;
            if !k.starts_with(prefix) {
                break;
            }
            let n = k
                .len()
                .checked_sub(4)
                .ok_or_else(|| corrupt(&k, "short key"))?;
            let report = &k[..n];
            let (org_id, y) =
                split_report_prefix(report).ok_or_else(|| corrupt(&k, "not a revision key"))?;
            match year {
                Some(want) if y < want => {
                    // Jump to this body's wanted year.
                    start = report_prefix(&org_id, want)?;
                    continue;
                }
                Some(want) if y > want => {
                    // Past it: on to the next body.
                    start = org_id.into_bytes();
                    start
                        .extend_from_slice(&[0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0]);
                    continue;
                }
                _ => {}
            }
            if page.reports.len() == limit {
                page.next = page
                    .reports
                    .last()
                    .and_then(|r| report_prefix(&r.org_id, r.year).ok())
                    .map(Cursor);
                break;
            }
            let (lk, lv) = self.last(report)?.ok_or_else(|| corrupt(&k, "vanished"))?;
            page.reports.push(to_revision(&lk, &lv, false)?);
            start = after_report(report);
        }
        Ok(page)
    }

    /// Stops taking submissions, flushes everything and stops the flusher. Submissions
    /// waiting for a flush are completed first. Idempotent.
    pub async fn close(&self) -> Result<()> {
        self.inner.flusher.stop();
        let handle = self
            .inner
            .flusher_thread
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        let db = self.inner.db.clone();
        tokio::task::spawn_blocking(move || -> Result<()> {
            if let Some(h) = handle {
                // The flusher only logs; a panic there still leaves the final flush below.
                let _ = h.join();
            }
            db.flush()?;
            Ok(())
        })
        .await
        .map_err(|e| StoreError::Flush(e.to_string()))?
    }
}

// ---------------------------------------------------------------- the chain upgrade

/// Chains every revision of a format-1 `revisions` tree in place, report by report, in key
/// order, and returns how many revisions it chained. Deterministic, so a crash half-way is
/// repaired by running it again on the next open (the format changes only at the end).
fn chain_unchained(revisions: &sled::Tree) -> Result<u64> {
    let keys = revisions
        .iter()
        .keys()
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let mut n = 0;
    let mut walk: Option<(Vec<u8>, [u8; 32])> = None;
    for k in keys {
        let split = k
            .len()
            .checked_sub(4)
            .ok_or_else(|| corrupt(&k, "short key"))?;
        let prefix = &k[..split];
        let (org_id, year) =
            split_report_prefix(prefix).ok_or_else(|| corrupt(&k, "not a revision key"))?;
        let previous = match &walk {
            Some((p, h)) if p.as_slice() == prefix => *h,
            _ => chain::GENESIS,
        };
        let Some(v) = revisions.get(&k)? else {
            continue;
        };
        let mut r = Record::decode(v.as_ref()).map_err(|e| corrupt(&k, e.to_string()))?;
        let mut meta = r.meta.take().ok_or_else(|| corrupt(&k, "no metadata"))?;
        let content: [u8; 32] = meta
            .content_hash
            .as_slice()
            .try_into()
            .map_err(|_| corrupt(&k, "content hash not 32 bytes"))?;
        meta.previous_hash = previous.to_vec();
        let hash = chain::chain_hash(&meta.link(&org_id, year, &previous, &content));
        meta.chain_hash = hash.to_vec();
        r.meta = Some(meta);
        revisions.insert(&k, r.encode_to_vec())?;
        walk = Some((prefix.to_vec(), hash));
        n += 1;
    }
    Ok(n)
}

// ---------------------------------------------------------------- verification

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
}

impl BreakKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BreakKind::Undecodable => "undecodable",
            BreakKind::Numbering => "numbering",
            BreakKind::ContentHash => "content-hash",
            BreakKind::PreviousHash => "previous-hash",
            BreakKind::ChainHash => "chain-hash",
        }
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

impl std::fmt::Display for ChainBreak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} revision {}: {}: {}",
            self.org_id,
            self.year,
            self.revision,
            self.kind.as_str(),
            self.detail
        )?;
        if !self.stored.is_empty() || !self.expected.is_empty() {
            write!(f, " (stored {}, expected {})", self.stored, self.expected)?;
        }
        Ok(())
    }
}

/// The outcome of [`Store::verify`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verification {
    pub reports: u64,
    pub revisions: u64,
    /// Empty when every chain holds.
    pub breaks: Vec<ChainBreak>,
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
}

impl ChainWalk {
    fn brk(
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

    /// Checks one stored revision and moves along.
    fn step(&mut self, revision: u32, value: &[u8], out: &mut Vec<ChainBreak>) {
        let expected_number = self.last.saturating_add(1);
        if revision != expected_number {
            let missing = if revision > expected_number.saturating_add(1) {
                format!("revisions {expected_number}–{} missing", revision - 1)
            } else {
                format!("revision {expected_number} missing")
            };
            out.push(self.brk(
                revision,
                BreakKind::Numbering,
                format!(
                    "revision {revision} follows revision {}: {missing}",
                    self.last
                ),
                String::new(),
                String::new(),
            ));
            // The link to a missing revision cannot be checked.
            self.previous = None;
        }
        self.last = revision;
        let decoded = Record::decode(value)
            .map_err(|e| e.to_string())
            .and_then(|r| match r.meta {
                Some(m) => Ok((m, r.report)),
                None => Err("no metadata".to_string()),
            });
        let (meta, report) = match decoded {
            Ok(x) => x,
            Err(e) => {
                out.push(self.brk(
                    revision,
                    BreakKind::Undecodable,
                    format!("the stored record does not decode: {e}"),
                    String::new(),
                    String::new(),
                ));
                self.previous = None;
                return;
            }
        };
        if meta.revision != revision {
            out.push(self.brk(
                revision,
                BreakKind::Numbering,
                "the record's revision number differs from its key's",
                meta.revision.to_string(),
                revision.to_string(),
            ));
        }
        let recomputed = chain::content_hash(&report);
        let stored_content: Option<[u8; 32]> = meta.content_hash.as_slice().try_into().ok();
        if stored_content != Some(recomputed) {
            out.push(self.brk(
                revision,
                BreakKind::ContentHash,
                "the report's bytes do not hash to the stored content hash: the report was changed after it was stored",
                hex::encode(&meta.content_hash),
                hex::encode(recomputed),
            ));
        }
        let stored_previous: Option<[u8; 32]> = meta.previous_hash.as_slice().try_into().ok();
        if let Some(p) = self.previous {
            if stored_previous != Some(p) {
                out.push(self.brk(
                    revision,
                    BreakKind::PreviousHash,
                    if revision == 1 {
                        "revision 1 must link to the genesis hash (zeros)".to_string()
                    } else {
                        format!(
                            "the link to revision {} is not that revision's chain hash",
                            revision - 1
                        )
                    },
                    hex::encode(&meta.previous_hash),
                    hex::encode(p),
                ));
            }
        }
        // The next revision must link to what is stored here.
        self.previous = meta.chain_hash.as_slice().try_into().ok();
        let (Some(content), Some(previous)) = (stored_content, stored_previous) else {
            // Hashes of the wrong length: the chain hash cannot be recomputed.
            out.push(self.brk(
                revision,
                BreakKind::ChainHash,
                "a stored hash is not 32 bytes long",
                String::new(),
                String::new(),
            ));
            return;
        };
        let recomputed_chain =
            chain::chain_hash(&meta.link(&self.org_id, self.year, &previous, &content));
        if meta.chain_hash != recomputed_chain {
            out.push(self.brk(
                revision,
                BreakKind::ChainHash,
                "the revision's metadata (time, reason, submitter, warnings, hashes) do not hash to its stored chain hash: the record was changed after it was stored",
                hex::encode(&meta.chain_hash),
                hex::encode(recomputed_chain),
            ));
        }
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
                v.reports += 1;
                walk = Some(ChainWalk {
                    prefix: k[..n].to_vec(),
                    org_id: org,
                    year: y,
                    last: 0,
                    previous: Some(chain::GENESIS),
                });
            }
            if let Some(w) = walk.as_mut() {
                w.step(revision, &value, &mut v.breaks);
            }
            v.revisions += 1;
        }
        Ok(v)
    }
}

// ---------------------------------------------------------------- tokens

/// A bearer token as stored: its id and the SHA-256 of the whole token, never the token.
/// What the fields mean is [`crate::auth`]'s business.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredToken {
    pub id: String,
    pub secret_hash: [u8; 32],
    /// "admin", "filer" or "reader".
    pub role: String,
    pub org: String,
    pub subtree: bool,
    pub note: String,
    pub created_at: SystemTime,
    pub created_by: String,
    pub revoked_at: Option<SystemTime>,
    pub revoked_by: String,
}

/// The value of a `tokens` key.
#[derive(Clone, PartialEq, Message)]
struct TokenRecord {
    #[prost(bytes = "vec", tag = "1")]
    secret_hash: Vec<u8>,
    #[prost(string, tag = "2")]
    role: String,
    #[prost(string, tag = "3")]
    org: String,
    #[prost(bool, tag = "4")]
    subtree: bool,
    #[prost(string, tag = "5")]
    note: String,
    #[prost(int64, tag = "6")]
    created_at_us: i64,
    #[prost(string, tag = "7")]
    created_by: String,
    #[prost(int64, optional, tag = "8")]
    revoked_at_us: Option<i64>,
    #[prost(string, tag = "9")]
    revoked_by: String,
}

fn token_from(key: &[u8], value: &[u8]) -> Result<StoredToken> {
    let r = TokenRecord::decode(value).map_err(|e| corrupt(key, e.to_string()))?;
    Ok(StoredToken {
        id: String::from_utf8_lossy(key).into_owned(),
        secret_hash: r
            .secret_hash
            .as_slice()
            .try_into()
            .map_err(|_| corrupt(key, "token hash not 32 bytes"))?,
        role: r.role,
        org: r.org,
        subtree: r.subtree,
        note: r.note,
        created_at: from_micros(r.created_at_us),
        created_by: r.created_by,
        revoked_at: r.revoked_at_us.map(from_micros),
        revoked_by: r.revoked_by,
    })
}

impl Store {
    /// Stores (or replaces) a token; returns once it is on disk.
    pub async fn put_token(&self, t: &StoredToken) -> Result<()> {
        let record = TokenRecord {
            secret_hash: t.secret_hash.to_vec(),
            role: t.role.clone(),
            org: t.org.clone(),
            subtree: t.subtree,
            note: t.note.clone(),
            created_at_us: micros(t.created_at),
            created_by: t.created_by.clone(),
            revoked_at_us: t.revoked_at.map(micros),
            revoked_by: t.revoked_by.clone(),
        };
        self.inner
            .tokens
            .insert(t.id.as_bytes(), record.encode_to_vec())?;
        let ticket = self.inner.flusher.ticket()?;
        Flusher::wait(ticket).await
    }

    /// One token by id, or `None`.
    pub fn token(&self, id: &str) -> Result<Option<StoredToken>> {
        match self.inner.tokens.get(id.as_bytes())? {
            Some(v) => Ok(Some(token_from(id.as_bytes(), &v)?)),
            None => Ok(None),
        }
    }

    /// Every token, by id.
    pub fn tokens(&self) -> Result<Vec<StoredToken>> {
        self.inner
            .tokens
            .iter()
            .map(|kv| {
                let (k, v) = kv?;
                token_from(&k, &v)
            })
            .collect()
    }

    /// Whether any token (even a revoked one) was ever stored.
    pub fn has_tokens(&self) -> Result<bool> {
        Ok(!self.inner.tokens.is_empty())
    }
}

// ---------------------------------------------------------------- reporting bodies
//
// A second tree, `orgs`, holds one key per body: its id → an [`OrgRecord`] (name, level,
// parent, times). Renaming or moving a body rewrites its one record; its reports, keyed by
// its id, stay where they are. The whole directory is also kept in memory
// ([`Directory`]), loaded at open and updated under its write lock by every change.

/// Explanation of a warning, stored with a revision.
#[derive(Clone, PartialEq, Message)]
struct StoredExplanation {
    #[prost(string, tag = "1")]
    rule: String,
    #[prost(string, tag = "2")]
    text: String,
}

/// The cross-year check a revision passed.
#[derive(Clone, PartialEq, Message)]
struct StoredCrossYear {
    /// The revision of last year's report it was checked against.
    #[prost(uint32, tag = "1")]
    previous_revision: u32,
}

/// A body as stored (the id is the key).
#[derive(Clone, PartialEq, Message)]
struct OrgRecord {
    #[prost(string, tag = "1")]
    name: String,
    /// [`Level::number`].
    #[prost(uint32, tag = "2")]
    level: u32,
    /// Empty: at the top.
    #[prost(string, tag = "3")]
    parent: String,
    #[prost(int64, tag = "4")]
    created_at_us: i64,
    #[prost(int64, tag = "5")]
    updated_at_us: i64,
}

fn body_from_record(key: &[u8], value: &[u8]) -> Result<Body> {
    let r = OrgRecord::decode(value).map_err(|e| corrupt(key, e.to_string()))?;
    let id = std::str::from_utf8(key)
        .map_err(|_| corrupt(key, "body id is not UTF-8"))?
        .to_string();
    Ok(Body {
        id,
        name: r.name,
        level: Level::from_number(r.level).unwrap_or(Level::Other),
        parent: (!r.parent.is_empty()).then_some(r.parent),
        created_at: from_micros(r.created_at_us),
        updated_at: from_micros(r.updated_at_us),
    })
}

fn record_of(b: &Body) -> OrgRecord {
    OrgRecord {
        name: b.name.clone(),
        level: b.level.number(),
        parent: b.parent.clone().unwrap_or_default(),
        created_at_us: micros(b.created_at),
        updated_at_us: micros(b.updated_at),
    }
}

fn load_directory(orgs: &sled::Tree) -> Result<Directory> {
    let mut bodies = Vec::new();
    for kv in orgs.iter() {
        let (k, v) = kv?;
        bodies.push(body_from_record(&k, &v)?);
    }
    Ok(Directory::from_bodies(bodies))
}

/// A body to create or (with `update`) to bring in line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBody {
    pub id: String,
    pub name: String,
    pub level: Level,
    pub parent: Option<String>,
}

/// What an import did to one body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Created,
    Unchanged,
    /// Renamed, moved or given another level (with `update`).
    Updated,
}

/// The report bytes (field 2) and the packed cells (field 3, empty if none) of a stored
/// [`Record`], where they lie: no copy.
fn split_record(value: &[u8]) -> Option<(&[u8], &[u8])> {
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

impl Store {
    fn directory_read(&self) -> std::sync::RwLockReadGuard<'_, Directory> {
        // Writers update the map after their insert succeeded; a panic cannot leave it half
        // changed in a way later readers would mind.
        self.inner
            .directory
            .read()
            .unwrap_or_else(|p| p.into_inner())
    }

    fn directory_write(&self) -> std::sync::RwLockWriteGuard<'_, Directory> {
        self.inner
            .directory
            .write()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` on the directory (read-locked: keep it short, never await inside).
    pub fn with_directory<T>(&self, f: impl FnOnce(&Directory) -> T) -> T {
        f(&self.directory_read())
    }

    /// The body with this id.
    pub fn org(&self, id: &str) -> Option<Body> {
        self.directory_read().get(id).cloned()
    }

    /// Whether body `id` is `root` or one of its descendants (see [`Directory::is_within`]).
    pub fn is_within(&self, id: &str, root: &str) -> bool {
        self.directory_read().is_within(id, root)
    }

    /// The ids of the ancestors of `id`, nearest first.
    pub fn ancestors(&self, id: &str) -> Vec<String> {
        self.directory_read()
            .ancestors(id)
            .into_iter()
            .map(|b| b.id.clone())
            .collect()
    }

    /// Writes a body under the directory's write lock (held by the caller).
    fn put_body(&self, dir: &mut Directory, body: Body) -> Result<()> {
        self.inner
            .orgs
            .insert(body.id.as_bytes(), record_of(&body).encode_to_vec())?;
        dir.put(body);
        Ok(())
    }

    async fn durable(&self) -> Result<()> {
        let ticket = self.inner.flusher.ticket()?;
        Flusher::wait(ticket).await
    }

    /// Creates a body. Creating an identical body again returns it (`false`: nothing new).
    pub async fn create_org(&self, new: NewBody) -> Result<(Body, bool)> {
        let (body, created) = {
            let mut dir = self.directory_write();
            let created = dir.check_create(&new.id, &new.name, new.parent.as_deref(), new.level)?;
            if created {
                let now = SystemTime::now();
                let body = Body {
                    id: new.id,
                    name: new.name,
                    level: new.level,
                    parent: new.parent,
                    created_at: now,
                    updated_at: now,
                };
                self.put_body(&mut dir, body.clone())?;
                (body, true)
            } else {
                let b = dir
                    .get(&new.id)
                    .cloned()
                    .ok_or_else(|| DirectoryError::Unknown(new.id.clone()))?;
                (b, false)
            }
        };
        self.durable().await?;
        Ok((body, created))
    }

    /// Changes a body's name, parent or level (a `None` argument leaves it as it is; `parent:
    /// Some(None)` moves it to the top). Its reports stay its reports.
    pub async fn update_org(
        &self,
        id: &str,
        name: Option<String>,
        parent: Option<Option<String>>,
        level: Option<Level>,
    ) -> Result<Body> {
        let body = {
            let mut dir = self.directory_write();
            let mut body = dir
                .get(id)
                .cloned()
                .ok_or_else(|| DirectoryError::Unknown(id.to_string()))?;
            if let Some(n) = name {
                crate::orgs::check_name(&n).map_err(|message| DirectoryError::Invalid {
                    field: "name".into(),
                    message,
                })?;
                body.name = n;
            }
            if let Some(p) = parent {
                dir.check_move(id, p.as_deref())?;
                body.parent = p;
            }
            if let Some(l) = level {
                body.level = l;
            }
            if dir.get(id) != Some(&body) {
                body.updated_at = SystemTime::now();
                self.put_body(&mut dir, body.clone())?;
            }
            body
        };
        self.durable().await?;
        Ok(body)
    }

    /// Creates (and, with `update`, renames, moves and re-levels) many bodies at once, in
    /// any order: a parent may come after its children. All or nothing: the first refusal
    /// fails the whole import and nothing is written. One flush for all.
    pub async fn import_orgs(&self, new: Vec<NewBody>, update: bool) -> Result<Vec<Change>> {
        let changes = {
            let mut dir = self.directory_write();
            // Work on a copy; write only when every body has passed.
            let mut next = dir.clone();
            let mut pending: Vec<usize> = (0..new.len()).collect();
            let mut changes = vec![Change::Unchanged; new.len()];
            let mut seen = std::collections::HashSet::new();
            for n in &new {
                if !seen.insert(n.id.as_str()) {
                    return Err(DirectoryError::Invalid {
                        field: n.id.clone(),
                        message: "given more than once".into(),
                    }
                    .into());
                }
            }
            let now = SystemTime::now();
            let mut touched = Vec::new();
            // Parents first: place what can be placed until nothing moves.
            while !pending.is_empty() {
                let before = pending.len();
                let mut later = Vec::new();
                for i in pending {
                    let n = &new[i];
                    let parent_ready = n.parent.as_deref().is_none_or(|p| next.get(p).is_some());
                    let parent_in_batch = n
                        .parent
                        .as_deref()
                        .is_some_and(|p| new.iter().any(|m| m.id == p));
                    if !parent_ready && parent_in_batch {
                        later.push(i);
                        continue;
                    }
                    match next.get(&n.id).cloned() {
                        None => {
                            next.check_create(&n.id, &n.name, n.parent.as_deref(), n.level)?;
                            next.put(Body {
                                id: n.id.clone(),
                                name: n.name.clone(),
                                level: n.level,
                                parent: n.parent.clone(),
                                created_at: now,
                                updated_at: now,
                            });
                            changes[i] = Change::Created;
                            touched.push(n.id.clone());
                        }
                        Some(b) => {
                            let same =
                                b.name == n.name && b.parent == n.parent && b.level == n.level;
                            if same {
                                continue;
                            }
                            if !update {
                                next.check_create(&n.id, &n.name, n.parent.as_deref(), n.level)?;
                            }
                            crate::orgs::check_name(&n.name).map_err(|message| {
                                DirectoryError::Invalid {
                                    field: format!("{}.name", n.id),
                                    message,
                                }
                            })?;
                            next.check_move(&n.id, n.parent.as_deref())?;
                            next.put(Body {
                                name: n.name.clone(),
                                level: n.level,
                                parent: n.parent.clone(),
                                updated_at: now,
                                ..b
                            });
                            changes[i] = Change::Updated;
                            touched.push(n.id.clone());
                        }
                    }
                }
                if later.len() == before {
                    // Parents only named inside the batch, in a cycle.
                    let n = &new[later[0]];
                    return Err(DirectoryError::Cycle {
                        id: n.id.clone(),
                        parent: n.parent.clone().unwrap_or_default(),
                    }
                    .into());
                }
                pending = later;
            }
            for id in &touched {
                if let Some(b) = next.get(id) {
                    self.inner
                        .orgs
                        .insert(id.as_bytes(), record_of(b).encode_to_vec())?;
                }
            }
            *dir = next;
            changes
        };
        self.durable().await?;
        Ok(changes)
    }

    /// The latest revision of a report, metadata only.
    pub fn latest_meta(&self, org_id: &str, year: u32) -> Result<Option<Revision>> {
        let prefix = report_prefix(org_id, year)?;
        match self.last(&prefix)? {
            Some((k, v)) => Ok(Some(to_revision(&k, &v, false)?)),
            None => Ok(None),
        }
    }

    /// The latest revision of a report: its metadata, and `f` run on the report's canonical
    /// bytes and its packed cells (empty for old records) where they lie (no copy).
    pub fn latest_with<T>(
        &self,
        org_id: &str,
        year: u32,
        f: impl FnOnce(Revision, &[u8], &[u8]) -> T,
    ) -> Result<Option<T>> {
        let prefix = report_prefix(org_id, year)?;
        let Some((k, v)) = self.last(&prefix)? else {
            return Ok(None);
        };
        let meta = to_revision(&k, &v, false)?;
        let (report, cells) =
            split_record(&v).ok_or_else(|| corrupt(&k, "record does not decode"))?;
        Ok(Some(f(meta, report, cells)))
    }

    /// Calls `f` on the latest revision (metadata, report bytes, packed cells) of every report of
    /// `year` whose body `keep` accepts, in org.id order, one at a time: nothing is kept.
    /// Stops early when `f` returns false.
    pub fn scan_year(
        &self,
        year: u32,
        keep: impl Fn(&str) -> bool,
        mut f: impl FnMut(Revision, &[u8], &[u8]) -> bool,
    ) -> Result<()> {
        let mut start: Vec<u8> = Vec::new();
        loop {
            let Some(kv) = self.inner.revisions.range(start.as_slice()..).next() else {
                return Ok(());
            };
            let (k, _) = kv?;
            let n = k
                .len()
                .checked_sub(4)
                .ok_or_else(|| corrupt(&k, "short key"))?;
            let (org_id, y) =
                split_report_prefix(&k[..n]).ok_or_else(|| corrupt(&k, "not a revision key"))?;
            if y < year {
                start = report_prefix(&org_id, year)?;
                continue;
            }
            // Past the year (or at it): the next body starts after every key of this one.
            let mut next_body = org_id.clone().into_bytes();
            next_body.extend_from_slice(&[0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0]);
            if y == year && keep(&org_id) {
                let prefix = report_prefix(&org_id, year)?;
                let (lk, lv) = self.last(&prefix)?.ok_or_else(|| corrupt(&k, "vanished"))?;
                let meta = to_revision(&lk, &lv, false)?;
                let (report, cells) =
                    split_record(&lv).ok_or_else(|| corrupt(&lk, "record does not decode"))?;
                if !f(meta, report, cells) {
                    return Ok(());
                }
            }
            start = next_body;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Opens the store, waiting (at most 5 s) for a closed store's lock to be released: sled
    /// releases its file lock from a background thread once the last handle is gone.
    fn reopen(path: &std::path::Path) -> Store {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            match Store::open(path) {
                Err(StoreError::Locked { .. }) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(std::time::Duration::from_millis(20))
                }
                r => return r.unwrap(),
            }
        }
    }

    fn new(org: &str, year: u32, content: u8, reason: &str) -> NewRevision {
        NewRevision {
            org_id: org.into(),
            org_name: format!("{org} name"),
            year,
            edition: Edition::E2019,
            report: vec![content],
            content_hash: chain::content_hash(&[content]),
            reason: reason.into(),
            warnings: vec![],
            expected_revision: None,
            submitted_by: "tok".into(),
            explanations: vec![],
            cross_year_previous: None,
            cells: vec![],
        }
    }

    #[tokio::test]
    async fn revisions_heads_and_listing() {
        let dir = tempfile::tempdir().unwrap();
        let store = reopen(dir.path());
        let a = store.submit(new("ab", 2020, 1, "")).await.unwrap();
        assert!(a.created);
        assert_eq!(a.revision.revision, 1);
        let again = store.submit(new("ab", 2020, 1, "retry")).await.unwrap();
        assert!(!again.created);
        assert_eq!(again.revision, a.revision);
        assert!(matches!(
            store.submit(new("ab", 2020, 2, " ")).await,
            Err(StoreError::ReasonRequired { current: 1 })
        ));
        let mut n = new("ab", 2020, 2, "fix");
        n.expected_revision = Some(0);
        assert!(matches!(
            store.submit(n).await,
            Err(StoreError::Conflict {
                expected: 0,
                current: 1
            })
        ));
        let b = store.submit(new("ab", 2020, 2, "fix")).await.unwrap();
        assert_eq!(b.revision.revision, 2);
        assert!(b.revision.submitted_at > a.revision.submitted_at);
        store.submit(new("ab1", 2019, 3, "")).await.unwrap();
        store.submit(new("ab", 2021, 4, "")).await.unwrap();
        store.submit(new("b", 2020, 5, "")).await.unwrap();

        let all = store.list(None, "", None, 10).unwrap();
        let order: Vec<_> = all
            .reports
            .iter()
            .map(|s| (s.org_id.as_str(), s.year))
            .collect();
        assert_eq!(
            order,
            [("ab", 2020), ("ab", 2021), ("ab1", 2019), ("b", 2020)]
        );
        assert!(all.next.is_none());

        let p1 = store.list(None, "ab", None, 2).unwrap();
        assert_eq!(p1.reports.len(), 2);
        let token = p1.next.unwrap().to_token();
        let cursor = Cursor::from_token(&token).unwrap();
        let p2 = store.list(None, "ab", Some(&cursor), 2).unwrap();
        assert_eq!(p2.reports.len(), 1);
        assert_eq!(p2.reports[0].org_id, "ab1");
        assert!(p2.next.is_none());

        let y = store.list(Some(2020), "", None, 10).unwrap();
        assert_eq!(y.reports.len(), 2);

        let as_of = store
            .get("ab", 2020, Version::AsOf(a.revision.submitted_at))
            .unwrap()
            .unwrap();
        assert_eq!(as_of.revision, 1);
        assert!(store
            .get("ab", 2020, Version::AsOf(UNIX_EPOCH))
            .unwrap()
            .is_none());
        assert_eq!(store.revisions("ab", 2020).unwrap().len(), 2);
        assert!(Cursor::from_token("zz").is_none());
        store.close().await.unwrap();
    }

    #[tokio::test]
    async fn a_format_1_directory_is_chained_on_open() {
        let dir = tempfile::tempdir().unwrap();
        let store = reopen(dir.path());
        store.submit(new("ab", 2020, 1, "")).await.unwrap();
        store.submit(new("ab", 2020, 2, "fix")).await.unwrap();
        store.submit(new("b", 2021, 3, "")).await.unwrap();
        // Unchain it, as format 1 wrote it: no links, no submitter, format 1.
        for kv in store.inner.revisions.iter() {
            let (k, v) = kv.unwrap();
            let mut r = Record::decode(v.as_ref()).unwrap();
            let m = r.meta.as_mut().unwrap();
            m.previous_hash.clear();
            m.chain_hash.clear();
            m.submitted_by.clear();
            store.inner.revisions.insert(k, r.encode_to_vec()).unwrap();
        }
        let meta = store.inner.db.open_tree("meta").unwrap();
        meta.insert("format", &FORMAT_UNCHAINED.to_be_bytes())
            .unwrap();
        drop(meta);
        store.close().await.unwrap();
        drop(store);

        let store = reopen(dir.path());
        let v = store.verify(None, None).unwrap();
        assert_eq!((v.reports, v.revisions), (2, 3));
        assert!(v.breaks.is_empty(), "{:?}", v.breaks);
        let revs = store.revisions("ab", 2020).unwrap();
        assert_eq!(revs[0].previous_hash, chain::GENESIS);
        assert_eq!(revs[1].previous_hash, revs[0].chain_hash);
        assert_eq!(revs[1].submitted_by, "");
        // New revisions continue the chain.
        let c = store.submit(new("ab", 2020, 4, "again")).await.unwrap();
        assert_eq!(c.revision.previous_hash, revs[1].chain_hash);
        assert!(store
            .verify(Some("ab"), Some(2020))
            .unwrap()
            .breaks
            .is_empty());
        store.close().await.unwrap();
    }

    #[tokio::test]
    async fn verify_names_what_differs() {
        let dir = tempfile::tempdir().unwrap();
        let store = reopen(dir.path());
        for (org, n) in [("ab", 3), ("b", 3)] {
            for c in 1..=n {
                let reason = if c == 1 { "" } else { "fix" };
                store.submit(new(org, 2020, c, reason)).await.unwrap();
            }
        }
        // ab: the submitter of revision 2 rewritten.
        let key = revision_key("ab", 2020, 2).unwrap();
        let mut r =
            Record::decode(store.inner.revisions.get(&key).unwrap().unwrap().as_ref()).unwrap();
        r.meta.as_mut().unwrap().submitted_by = "someone else".into();
        store
            .inner
            .revisions
            .insert(&key, r.encode_to_vec())
            .unwrap();
        // b: revision 2 removed.
        store
            .inner
            .revisions
            .remove(revision_key("b", 2020, 2).unwrap())
            .unwrap();
        let v = store.verify(None, None).unwrap();
        let kinds: Vec<(&str, u32, BreakKind)> = v
            .breaks
            .iter()
            .map(|b| (b.org_id.as_str(), b.revision, b.kind))
            .collect();
        assert_eq!(
            kinds,
            [
                ("ab", 2, BreakKind::ChainHash),
                ("b", 3, BreakKind::Numbering)
            ]
        );
        assert_eq!(
            v.breaks[1].to_string(),
            "b 2020 revision 3: numbering: revision 3 follows revision 1: revision 2 missing"
        );
        assert_eq!((v.reports, v.revisions), (2, 5));
        assert_eq!(store.verify(Some("b"), None).unwrap().breaks.len(), 1);
        assert!(store.verify(Some("a"), None).unwrap().breaks.is_empty());
    }

    #[tokio::test]
    async fn tokens_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let store = reopen(dir.path());
        assert!(!store.has_tokens().unwrap());
        let t = StoredToken {
            id: "0123456789abcdef".into(),
            secret_hash: [9; 32],
            role: "filer".into(),
            org: "621024101".into(),
            subtree: true,
            note: "固城镇".into(),
            created_at: from_micros(1_700_000_000_000_000),
            created_by: "bootstrap".into(),
            revoked_at: None,
            revoked_by: String::new(),
        };
        store.put_token(&t).await.unwrap();
        assert!(store.has_tokens().unwrap());
        assert_eq!(store.token(&t.id).unwrap(), Some(t.clone()));
        assert_eq!(store.tokens().unwrap(), vec![t]);
        assert_eq!(store.token("nope").unwrap(), None);
    }

    #[tokio::test]
    async fn a_second_open_fails_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let _store = Store::open(dir.path()).unwrap();
        assert!(matches!(
            Store::open(dir.path()),
            Err(StoreError::Locked { .. })
        ));
    }

    fn nb(id: &str, parent: Option<&str>) -> NewBody {
        NewBody {
            id: id.into(),
            name: format!("{id} name"),
            level: Level::Other,
            parent: parent.map(str::to_string),
        }
    }

    #[tokio::test]
    async fn bodies_import_move_and_survive_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let store = reopen(dir.path());
        // Children before their parent: fine within one import.
        let changes = store
            .import_orgs(
                vec![nb("t1", Some("c")), nb("c", Some("p")), nb("p", None)],
                false,
            )
            .await
            .unwrap();
        assert_eq!(changes, [Change::Created; 3]);
        assert!(store.is_within("t1", "p"));
        assert_eq!(store.ancestors("t1"), ["c", "p"]);
        // All or nothing: an unknown parent fails the whole import.
        let e = store
            .import_orgs(vec![nb("t2", Some("c")), nb("t3", Some("nowhere"))], false)
            .await
            .unwrap_err();
        assert!(
            matches!(e, StoreError::Directory(DirectoryError::Unknown(_))),
            "{e}"
        );
        assert!(store.org("t2").is_none());
        // Other fields: refused without update, applied with it.
        let mut moved = nb("t1", Some("p"));
        moved.name = "新名".into();
        assert!(store.import_orgs(vec![moved.clone()], false).await.is_err());
        let changes = store.import_orgs(vec![moved], true).await.unwrap();
        assert_eq!(changes, [Change::Updated]);
        // A cycle is refused.
        assert!(store
            .update_org("p", None, Some(Some("t1".into())), None)
            .await
            .is_err());
        // Creating the same body twice is not an error; with other fields it is.
        let (_, created) = store.create_org(nb("q", None)).await.unwrap();
        assert!(created);
        let (_, created) = store.create_org(nb("q", None)).await.unwrap();
        assert!(!created);
        assert!(matches!(
            store.create_org(nb("q", Some("p"))).await,
            Err(StoreError::Directory(DirectoryError::Exists { .. }))
        ));
        store.close().await.unwrap();
        drop(store);
        let store = reopen(dir.path());
        let t1 = store.org("t1").unwrap();
        assert_eq!(
            (t1.name.as_str(), t1.parent.as_deref()),
            ("新名", Some("p"))
        );
        assert_eq!(store.with_directory(|d| d.len()), 4);
    }
}
