//! Durable, versioned storage of reports: the only module that knows sled.
//!
//! # Layout
//!
//! One sled tree, `reports`, with two kinds of key:
//!
//! | key | value |
//! |---|---|
//! | `r` org.id `\0` year (u32 BE) revision (u32 BE) | a [`Record`]: one immutable revision |
//! | `h` org.id `\0` year (u32 BE) | a [`Head`]: the latest revision's summary |
//!
//! Keys sort bytewise, so a range scan visits reports in (org.id, year, revision) order; the
//! `\0` after the org.id (which may not contain `\0`) keeps `ab` before `ab1`. A revision and
//! its head are written in one atomic batch. A tree `meta` holds the layout's version.
//!
//! Each revision also holds the chain hash of the revision before it and its own
//! ([`crate::chain`]); [`Store::verify`] recomputes them. A tree `tokens` holds the bearer
//! tokens by id, each with only the SHA-256 of its secret ([`StoredToken`]).
//!
//! Format 2 added the chain (and `submitted_by`); a format-1 directory is upgraded in place
//! when opened: its revisions are chained in order, with an empty `submitted_by`.
//!
//! # Durability
//!
//! [`Store::submit`] returns only after the revision is flushed to disk. Flushing is done by
//! one flusher thread calling sled's blocking `flush()` (sled 0.34's `flush_async` deadlocks
//! under concurrent use): a submission writes its batch, takes a ticket, and waits until a
//! flush that started after the ticket was issued has completed. Every flush covers all the
//! tickets issued before it started, so concurrent submissions share flushes (group commit).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use prost::Message;
use tokio::sync::watch;

use crate::chain;
use crate::pb;
use crate::template::Edition;

/// The on-disk layout version this code reads and writes.
const FORMAT: u32 = 2;
/// The layout before the hash chain, upgraded on open.
const FORMAT_UNCHAINED: u32 = 1;
const REVISION: u8 = b'r';
const HEAD: u8 = b'h';
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

/// One stored revision (the value of an `r` key).
#[derive(Clone, PartialEq, Message)]
struct Record {
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
    /// The canonical encoding of the `pb::Report`.
    #[prost(bytes = "vec", tag = "7")]
    report: Vec<u8>,
    /// The chain hash of the previous revision ([`chain::GENESIS`] for revision 1).
    #[prost(bytes = "vec", tag = "8")]
    previous_hash: Vec<u8>,
    /// This revision's chain hash ([`chain::chain_hash`]).
    #[prost(bytes = "vec", tag = "9")]
    chain_hash: Vec<u8>,
    /// The id of the token that submitted it ("" before tokens existed).
    #[prost(string, tag = "10")]
    submitted_by: String,
}

impl Record {
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

/// The latest revision of a report (the value of an `h` key).
#[derive(Clone, PartialEq, Message)]
struct Head {
    #[prost(uint32, tag = "1")]
    revision: u32,
    #[prost(int64, tag = "2")]
    submitted_at_us: i64,
    #[prost(bytes = "vec", tag = "3")]
    content_hash: Vec<u8>,
    #[prost(string, tag = "4")]
    org_name: String,
    #[prost(uint32, tag = "5")]
    edition: u32,
    #[prost(uint32, tag = "6")]
    warning_count: u32,
    /// The latest revision's chain hash.
    #[prost(bytes = "vec", tag = "7")]
    chain_hash: Vec<u8>,
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
}

/// A stored revision.
#[derive(Debug, Clone, PartialEq)]
pub struct Revision {
    pub org_id: String,
    pub year: u32,
    pub revision: u32,
    pub submission_id: String,
    pub submitted_at: SystemTime,
    pub reason: String,
    pub content_hash: [u8; 32],
    pub warnings: Vec<pb::Finding>,
    /// The canonical encoding of the report.
    pub report: Vec<u8>,
    /// The id of the token that submitted it ("" before tokens existed).
    pub submitted_by: String,
    /// The previous revision's chain hash ([`chain::GENESIS`] for revision 1).
    pub previous_hash: [u8; 32],
    /// This revision's chain hash.
    pub chain_hash: [u8; 32],
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

/// The latest revision of one report, for listings.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub org_id: String,
    pub org_name: String,
    pub year: u32,
    pub edition: Option<Edition>,
    pub revision: u32,
    pub submitted_at: SystemTime,
    pub content_hash: [u8; 32],
    pub warning_count: u32,
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
            .map(|p| Some(nibble(p[0])? << 4 | nibble(p[1])?))
            .collect::<Option<Vec<u8>>>()?;
        // A head key: org.id, NUL, big-endian year.
        let ok = bytes.len() >= 5 && bytes[bytes.len() - 5] == 0;
        ok.then_some(Cursor(bytes))
    }
}

/// A page of [`Summary`]s.
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub reports: Vec<Summary>,
    /// Set when more reports may follow.
    pub next: Option<Cursor>,
}

// ---------------------------------------------------------------- keys

fn report_key(kind: u8, org_id: &str, year: u32) -> Result<Vec<u8>> {
    if org_id.as_bytes().contains(&0) {
        return Err(StoreError::BadKey);
    }
    let mut k = Vec::with_capacity(org_id.len() + 10);
    k.push(kind);
    k.extend_from_slice(org_id.as_bytes());
    k.push(0);
    k.extend_from_slice(&year.to_be_bytes());
    Ok(k)
}

fn revision_key(org_id: &str, year: u32, revision: u32) -> Result<Vec<u8>> {
    let mut k = report_key(REVISION, org_id, year)?;
    k.extend_from_slice(&revision.to_be_bytes());
    Ok(k)
}

/// (org.id, year) of a head key without its kind byte.
fn split_report_key(k: &[u8]) -> Option<(String, u32)> {
    let n = k.len().checked_sub(5)?;
    if k[n] != 0 {
        return None;
    }
    let org = std::str::from_utf8(&k[..n]).ok()?.to_string();
    let year = u32::from_be_bytes(k[n + 1..].try_into().ok()?);
    Some((org, year))
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

fn hash_array(v: &[u8], key: &[u8]) -> Result<[u8; 32]> {
    v.try_into().map_err(|_| StoreError::Corrupt {
        key: printable_key(key),
        detail: format!("a hash of {} bytes, not 32", v.len()),
    })
}

fn decode<M: Message + Default>(key: &[u8], bytes: &[u8]) -> Result<M> {
    M::decode(bytes).map_err(|e| StoreError::Corrupt {
        key: printable_key(key),
        detail: e.to_string(),
    })
}

// ---------------------------------------------------------------- group commit

#[derive(Debug, Clone, Default)]
struct Flushed {
    /// Every ticket up to this one is on disk.
    ok_through: u64,
    /// The last failed flush: tickets up to `.0` were not (yet) made durable by it.
    failed: Option<(u64, Arc<str>)>,
    /// The flusher has stopped.
    stopped: bool,
}

#[derive(Debug, Default)]
struct Requests {
    issued: u64,
    stop: bool,
}

/// The flusher thread and the tickets it serves.
#[derive(Debug)]
struct Flusher {
    requests: Mutex<Requests>,
    wake: Condvar,
    done: watch::Sender<Flushed>,
}

impl Flusher {
    fn start(db: sled::Db) -> std::io::Result<(Arc<Flusher>, JoinHandle<()>)> {
        let flusher = Arc::new(Flusher {
            requests: Mutex::new(Requests::default()),
            wake: Condvar::new(),
            done: watch::Sender::new(Flushed::default()),
        });
        let f = flusher.clone();
        let handle = std::thread::Builder::new()
            .name("gx-flusher".into())
            .spawn(move || f.run(&db))?;
        Ok((flusher, handle))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Requests> {
        // The lock guards two integers; a panic elsewhere cannot leave them inconsistent.
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
            let result = db.flush();
            flushed = target;
            self.done.send_modify(|f| match &result {
                Ok(_) => f.ok_through = target,
                Err(e) => {
                    tracing::error!(error = %e, "flush failed");
                    f.failed = Some((target, e.to_string().into()));
                }
            });
        }
        self.done.send_modify(|f| f.stopped = true);
    }

    /// A ticket for everything written so far.
    fn ticket(&self) -> Result<u64> {
        let mut r = self.lock();
        if r.stop {
            return Err(StoreError::Closed);
        }
        r.issued += 1;
        self.wake.notify_one();
        Ok(r.issued)
    }

    /// Waits until `ticket` is on disk.
    async fn wait(&self, ticket: u64) -> Result<()> {
        let mut rx = self.done.subscribe();
        let f = rx
            .wait_for(|f| {
                f.ok_through >= ticket
                    || f.stopped
                    || f.failed.as_ref().is_some_and(|(t, _)| *t >= ticket)
            })
            .await
            .map_err(|_| StoreError::Closed)?;
        if f.ok_through >= ticket {
            Ok(())
        } else if let Some((_, e)) = &f.failed {
            Err(StoreError::Flush(e.to_string()))
        } else {
            Err(StoreError::Closed)
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
    reports: sled::Tree,
    tokens: sled::Tree,
    path: PathBuf,
    stripes: Vec<Mutex<()>>,
    flusher: Arc<Flusher>,
    flusher_thread: Mutex<Option<JoinHandle<()>>>,
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
        let db = sled::Config::new().path(path).open().map_err(|e| match e {
            sled::Error::Io(io) if io.to_string().contains("could not acquire lock") => {
                StoreError::Locked {
                    path: path.to_path_buf(),
                    detail: io.to_string(),
                }
            }
            e => StoreError::Sled(e),
        })?;
        let meta = db.open_tree("meta")?;
        let reports = db.open_tree("reports")?;
        match meta.get("format")? {
            None => {
                meta.insert("format", &FORMAT.to_be_bytes())?;
                db.flush()?;
            }
            Some(v) if v.as_ref() == FORMAT.to_be_bytes() => {}
            Some(v) if v.as_ref() == FORMAT_UNCHAINED.to_be_bytes() => {
                let n = chain_unchained(&reports)?;
                meta.insert("format", &FORMAT.to_be_bytes())?;
                db.flush()?;
                tracing::info!(
                    reports = n,
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
        let (flusher, thread) = Flusher::start(db.clone()).map_err(sled::Error::Io)?;
        Ok(Store {
            inner: Arc::new(Inner {
                db,
                reports,
                tokens,
                path: path.to_path_buf(),
                stripes: (0..STRIPES).map(|_| Mutex::new(())).collect(),
                flusher,
                flusher_thread: Mutex::new(Some(thread)),
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
        self.inner.flusher.wait(ticket).await?;
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

    /// The write half of `submit`: decide and apply, under the report's lock.
    fn write(&self, new: NewRevision) -> Result<Submitted> {
        let head_key = report_key(HEAD, &new.org_id, new.year)?;
        let _guard = self.stripe(&new.org_id, new.year);
        let head: Option<Head> = match self.inner.reports.get(&head_key)? {
            Some(v) => Some(decode(&head_key, &v)?),
            None => None,
        };
        let current = head.as_ref().map_or(0, |h| h.revision);
        if let Some(h) = &head {
            if h.content_hash == new.content_hash {
                let revision = self
                    .read_revision(&new.org_id, new.year, h.revision)?
                    .ok_or_else(|| StoreError::Corrupt {
                        key: printable_key(&head_key),
                        detail: format!("head names revision {} which is missing", h.revision),
                    })?;
                return Ok(Submitted {
                    revision,
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
        let at = head
            .as_ref()
            .map_or(now, |h| now.max(h.submitted_at_us.saturating_add(1)));
        let previous_hash = match &head {
            Some(h) => hash_array(&h.chain_hash, &head_key)?,
            None => chain::GENESIS,
        };
        let mut record = Record {
            revision,
            submission_id: uuid::Uuid::now_v7().to_string(),
            submitted_at_us: at,
            reason: new.reason,
            content_hash: new.content_hash.to_vec(),
            warnings: new.warnings,
            report: new.report,
            previous_hash: previous_hash.to_vec(),
            chain_hash: Vec::new(),
            submitted_by: new.submitted_by,
        };
        let chain_hash = chain::chain_hash(&record.link(
            &new.org_id,
            new.year,
            &previous_hash,
            &new.content_hash,
        ));
        record.chain_hash = chain_hash.to_vec();
        let head = Head {
            revision,
            submitted_at_us: at,
            content_hash: new.content_hash.to_vec(),
            org_name: new.org_name,
            edition: new.edition.number(),
            warning_count: u32::try_from(record.warnings.len()).unwrap_or(u32::MAX),
            chain_hash: chain_hash.to_vec(),
        };
        let mut batch = sled::Batch::default();
        batch.insert(
            revision_key(&new.org_id, new.year, revision)?,
            record.encode_to_vec(),
        );
        batch.insert(head_key, head.encode_to_vec());
        self.inner.reports.apply_batch(batch)?;
        Ok(Submitted {
            revision: Revision {
                org_id: new.org_id,
                year: new.year,
                revision,
                submission_id: record.submission_id,
                submitted_at: from_micros(at),
                reason: record.reason,
                content_hash: new.content_hash,
                warnings: record.warnings,
                report: record.report,
                submitted_by: record.submitted_by,
                previous_hash,
                chain_hash,
            },
            created: true,
        })
    }

    fn to_revision(org_id: &str, year: u32, key: &[u8], value: &[u8]) -> Result<Revision> {
        let r: Record = decode(key, value)?;
        Ok(Revision {
            org_id: org_id.to_string(),
            year,
            revision: r.revision,
            submission_id: r.submission_id,
            submitted_at: from_micros(r.submitted_at_us),
            reason: r.reason,
            content_hash: hash_array(&r.content_hash, key)?,
            warnings: r.warnings,
            report: r.report,
            submitted_by: r.submitted_by,
            previous_hash: hash_array(&r.previous_hash, key)?,
            chain_hash: hash_array(&r.chain_hash, key)?,
        })
    }

    fn read_revision(&self, org_id: &str, year: u32, revision: u32) -> Result<Option<Revision>> {
        let key = revision_key(org_id, year, revision)?;
        match self.inner.reports.get(&key)? {
            Some(v) => Ok(Some(Self::to_revision(org_id, year, &key, &v)?)),
            None => Ok(None),
        }
    }

    /// The latest revision number of a report (0 when there is none).
    pub fn current_revision(&self, org_id: &str, year: u32) -> Result<u32> {
        let key = report_key(HEAD, org_id, year)?;
        match self.inner.reports.get(&key)? {
            Some(v) => Ok(decode::<Head>(&key, &v)?.revision),
            None => Ok(0),
        }
    }

    /// One revision of a report, or `None`.
    pub fn get(&self, org_id: &str, year: u32, version: Version) -> Result<Option<Revision>> {
        match version {
            Version::Number(n) => self.read_revision(org_id, year, n),
            Version::Latest => match self.current_revision(org_id, year)? {
                0 => Ok(None),
                n => self.read_revision(org_id, year, n),
            },
            Version::AsOf(t) => {
                let t = micros(t);
                let prefix = report_key(REVISION, org_id, year)?;
                // Revisions are in time order: walk back from the latest.
                for kv in self.inner.reports.scan_prefix(&prefix).rev() {
                    let (k, v) = kv?;
                    let r = Self::to_revision(org_id, year, &k, &v)?;
                    if micros(r.submitted_at) <= t {
                        return Ok(Some(r));
                    }
                }
                Ok(None)
            }
        }
    }

    /// Every revision of a report, oldest first (empty if there is none).
    pub fn revisions(&self, org_id: &str, year: u32) -> Result<Vec<Revision>> {
        let prefix = report_key(REVISION, org_id, year)?;
        self.inner
            .reports
            .scan_prefix(&prefix)
            .map(|kv| {
                let (k, v) = kv?;
                Self::to_revision(org_id, year, &k, &v)
            })
            .collect()
    }

    /// The latest revision of each report, ordered by (org.id, year), filtered, paged.
    pub fn list(
        &self,
        year: Option<u32>,
        org_id_prefix: &str,
        after: Option<&Cursor>,
        limit: usize,
    ) -> Result<Page> {
        let mut prefix = vec![HEAD];
        prefix.extend_from_slice(org_id_prefix.as_bytes());
        let start = match after {
            Some(Cursor(k)) => {
                // Just after the cursor's key.
                let mut s = vec![HEAD];
                s.extend_from_slice(k);
                s.push(0);
                s.max(prefix.clone())
            }
            None => prefix.clone(),
        };
        let mut page = Page::default();
        for kv in self.inner.reports.range(start..) {
            let (k, v) = kv?;
            if !k.starts_with(&prefix) {
                break;
            }
            let Some((org_id, y)) = split_report_key(&k[1..]) else {
                return Err(StoreError::Corrupt {
                    key: printable_key(&k),
                    detail: "not a report key".into(),
                });
            };
            if year.is_some_and(|want| want != y) {
                continue;
            }
            if page.reports.len() == limit {
                page.next = page
                    .reports
                    .last()
                    .and_then(|s| report_key(HEAD, &s.org_id, s.year).ok())
                    .map(|k| Cursor(k[1..].to_vec()));
                break;
            }
            let h: Head = decode(&k, &v)?;
            page.reports.push(Summary {
                org_id,
                org_name: h.org_name,
                year: y,
                edition: Edition::from_number(h.edition),
                revision: h.revision,
                submitted_at: from_micros(h.submitted_at_us),
                content_hash: hash_array(&h.content_hash, &k)?,
                warning_count: h.warning_count,
            });
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

/// Chains every revision of a format-1 `reports` tree in place, report by report (one batch
/// each), and returns how many reports it chained. Deterministic, so a crash half-way is
/// repaired by running it again on the next open.
fn chain_unchained(reports: &sled::Tree) -> Result<u64> {
    let mut n = 0;
    for kv in reports.scan_prefix([HEAD]) {
        let (head_key, head_value) = kv?;
        let Some((org_id, year)) = split_report_key(&head_key[1..]) else {
            return Err(StoreError::Corrupt {
                key: printable_key(&head_key),
                detail: "not a report key".into(),
            });
        };
        let mut head: Head = decode(&head_key, &head_value)?;
        let mut batch = sled::Batch::default();
        let mut previous = chain::GENESIS;
        for kv in reports.scan_prefix(report_key(REVISION, &org_id, year)?) {
            let (k, v) = kv?;
            let mut r: Record = decode(&k, &v)?;
            let content_hash = hash_array(&r.content_hash, &k)?;
            r.previous_hash = previous.to_vec();
            previous = chain::chain_hash(&r.link(&org_id, year, &previous, &content_hash));
            r.chain_hash = previous.to_vec();
            batch.insert(k, r.encode_to_vec());
        }
        head.chain_hash = previous.to_vec();
        batch.insert(head_key, head.encode_to_vec());
        reports.apply_batch(batch)?;
        n += 1;
    }
    Ok(n)
}

// ---------------------------------------------------------------- verification

/// What does not hold in a chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakKind {
    /// The stored bytes are not a revision (or head) record, or its key is malformed.
    Undecodable,
    /// Revision numbers are not 1, 2, 3, … or the key and the record disagree.
    Numbering,
    /// The report's bytes do not hash to the stored content hash.
    ContentHash,
    /// The link to the previous revision is not that revision's chain hash.
    PreviousHash,
    /// The revision's fields do not hash to its stored chain hash.
    ChainHash,
    /// The head (latest-revision summary) disagrees with the latest revision, or is missing.
    Head,
}

impl BreakKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BreakKind::Undecodable => "undecodable",
            BreakKind::Numbering => "numbering",
            BreakKind::ContentHash => "content-hash",
            BreakKind::PreviousHash => "previous-hash",
            BreakKind::ChainHash => "chain-hash",
            BreakKind::Head => "head",
        }
    }
}

/// One break found by [`Store::verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBreak {
    pub org_id: String,
    pub year: u32,
    /// 0 for the head record.
    pub revision: u32,
    pub kind: BreakKind,
    pub detail: String,
    /// The stored and the expected value (hex for hashes), for mismatches.
    pub stored: String,
    pub expected: String,
}

impl std::fmt::Display for ChainBreak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let at = if self.revision == 0 {
            "head".to_string()
        } else {
            format!("revision {}", self.revision)
        };
        write!(
            f,
            "{} {} {at}: {}: {}",
            self.org_id,
            self.year,
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

fn hex32(b: &[u8]) -> String {
    b.iter().map(|b| format!("{b:02x}")).collect()
}

/// (org.id, year, revision) of a revision key without its kind byte.
fn split_revision_key(k: &[u8]) -> Option<(String, u32, u32)> {
    let n = k.len().checked_sub(4)?;
    let revision = u32::from_be_bytes(k[n..].try_into().ok()?);
    let (org, year) = split_report_key(&k[..n])?;
    Some((org, year, revision))
}

/// The walk along one report's revisions.
struct ChainWalk {
    org_id: String,
    year: u32,
    /// The last revision number seen and its chain hash (None after an undecodable one).
    last: u32,
    previous: Option<[u8; 32]>,
    last_content: Option<[u8; 32]>,
}

impl ChainWalk {
    fn new(org_id: String, year: u32) -> ChainWalk {
        ChainWalk {
            org_id,
            year,
            last: 0,
            previous: Some(chain::GENESIS),
            last_content: None,
        }
    }

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
            out.push(self.brk(
                revision,
                BreakKind::Numbering,
                format!(
                    "revision {revision} follows revision {}: revision{} missing",
                    self.last,
                    if revision > expected_number + 1 {
                        format!("s {expected_number}–{}", revision - 1)
                    } else {
                        format!(" {expected_number}")
                    }
                ),
                String::new(),
                String::new(),
            ));
            // The link to the missing revision cannot be checked.
            self.previous = None;
        }
        self.last = revision;
        let r = match Record::decode(value) {
            Ok(r) => r,
            Err(e) => {
                out.push(self.brk(
                    revision,
                    BreakKind::Undecodable,
                    format!("the stored record does not decode: {e}"),
                    String::new(),
                    String::new(),
                ));
                self.previous = None;
                self.last_content = None;
                return;
            }
        };
        if r.revision != revision {
            out.push(self.brk(
                revision,
                BreakKind::Numbering,
                "the record's revision number differs from its key's",
                r.revision.to_string(),
                revision.to_string(),
            ));
        }
        let recomputed = chain::content_hash(&r.report);
        let stored_content: Option<[u8; 32]> = r.content_hash.as_slice().try_into().ok();
        if stored_content != Some(recomputed) {
            out.push(self.brk(
                revision,
                BreakKind::ContentHash,
                "the report's bytes do not hash to the stored content hash: the report was changed after it was stored",
                hex32(&r.content_hash),
                hex32(&recomputed),
            ));
        }
        let stored_previous: Option<[u8; 32]> = r.previous_hash.as_slice().try_into().ok();
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
                    hex32(&r.previous_hash),
                    hex32(&p),
                ));
            }
        }
        let (Some(content), Some(previous)) = (stored_content, stored_previous) else {
            // Hashes of the wrong length: reported above; the chain hash cannot be recomputed.
            self.previous = None;
            self.last_content = stored_content;
            return;
        };
        let recomputed_chain =
            chain::chain_hash(&r.link(&self.org_id, self.year, &previous, &content));
        if r.chain_hash != recomputed_chain {
            out.push(self.brk(
                revision,
                BreakKind::ChainHash,
                "the revision's metadata (time, reason, submitter, warnings, hashes) do not hash to its stored chain hash: the record was changed after it was stored",
                hex32(&r.chain_hash),
                hex32(&recomputed_chain),
            ));
        }
        // The next revision must link to what is stored here.
        self.previous = r.chain_hash.as_slice().try_into().ok();
        self.last_content = Some(content);
    }

    /// Checks the head against the last revision.
    fn finish(&self, head: Option<(&[u8], &[u8])>, out: &mut Vec<ChainBreak>) {
        let Some((key, value)) = head else {
            out.push(self.brk(
                0,
                BreakKind::Head,
                "the report has revisions but no head record",
                String::new(),
                String::new(),
            ));
            return;
        };
        let h: Head = match decode(key, value) {
            Ok(h) => h,
            Err(e) => {
                out.push(self.brk(
                    0,
                    BreakKind::Undecodable,
                    e.to_string(),
                    String::new(),
                    String::new(),
                ));
                return;
            }
        };
        if h.revision != self.last {
            out.push(self.brk(
                0,
                BreakKind::Head,
                "the head names another latest revision than the last one stored",
                h.revision.to_string(),
                self.last.to_string(),
            ));
        }
        if let Some(c) = self.last_content {
            if h.content_hash != c {
                out.push(self.brk(
                    0,
                    BreakKind::Head,
                    "the head's content hash is not the latest revision's",
                    hex32(&h.content_hash),
                    hex32(&c),
                ));
            }
        }
        if let Some(p) = self.previous {
            if h.chain_hash != p {
                out.push(self.brk(
                    0,
                    BreakKind::Head,
                    "the head's chain hash is not the latest revision's",
                    hex32(&h.chain_hash),
                    hex32(&p),
                ));
            }
        }
    }
}

impl Store {
    /// Recomputes the hash chains of the stored revisions: of every report, of one body's
    /// reports (`org_id`), or of one report (`org_id` and `year`). Reads only.
    pub fn verify(&self, org_id: Option<&str>, year: Option<u32>) -> Result<Verification> {
        let (revision_prefix, head_prefix) = match (org_id, year) {
            (None, _) => (vec![REVISION], vec![HEAD]),
            (Some(o), None) => {
                let mut k = report_key(REVISION, o, 0)?;
                k.truncate(k.len() - 4);
                let mut h = k.clone();
                h[0] = HEAD;
                (k, h)
            }
            (Some(o), Some(y)) => (report_key(REVISION, o, y)?, report_key(HEAD, o, y)?),
        };
        let reports = &self.inner.reports;
        let mut v = Verification::default();
        let mut walk: Option<ChainWalk> = None;
        let finish = |w: &ChainWalk, out: &mut Vec<ChainBreak>| -> Result<()> {
            let key = report_key(HEAD, &w.org_id, w.year)?;
            let head = reports.get(&key)?;
            w.finish(head.as_ref().map(|h| (key.as_slice(), h.as_ref())), out);
            Ok(())
        };
        for kv in reports.scan_prefix(&revision_prefix) {
            let (k, value) = kv?;
            let Some((org, y, revision)) = split_revision_key(&k[1..]) else {
                v.breaks.push(ChainBreak {
                    org_id: printable_key(&k),
                    year: 0,
                    revision: 0,
                    kind: BreakKind::Undecodable,
                    detail: "a key in the revision range that is not a revision key".into(),
                    stored: String::new(),
                    expected: String::new(),
                });
                continue;
            };
            let same = walk
                .as_ref()
                .is_some_and(|w| w.org_id == org && w.year == y);
            if !same {
                if let Some(w) = walk.take() {
                    finish(&w, &mut v.breaks)?;
                }
                v.reports += 1;
                walk = Some(ChainWalk::new(org, y));
            }
            if let Some(w) = walk.as_mut() {
                w.step(revision, &value, &mut v.breaks);
            }
            v.revisions += 1;
        }
        if let Some(w) = walk.take() {
            finish(&w, &mut v.breaks)?;
        }
        // Heads whose report has no revision at all.
        for kv in reports.scan_prefix(&head_prefix) {
            let (k, _) = kv?;
            let Some((org, y)) = split_report_key(&k[1..]) else {
                continue;
            };
            if reports
                .scan_prefix(report_key(REVISION, &org, y)?)
                .next()
                .is_none()
            {
                v.reports += 1;
                v.breaks.push(ChainBreak {
                    org_id: org,
                    year: y,
                    revision: 0,
                    kind: BreakKind::Head,
                    detail: "a head record without any revision: revisions were deleted".into(),
                    stored: String::new(),
                    expected: String::new(),
                });
            }
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
    let r: TokenRecord = decode(key, value)?;
    Ok(StoredToken {
        id: String::from_utf8_lossy(key).into_owned(),
        secret_hash: hash_array(&r.secret_hash, key)?,
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
        self.inner.flusher.wait(ticket).await
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

#[cfg(test)]
mod tests {
    use super::*;

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
        }
    }

    #[tokio::test]
    async fn revisions_heads_and_listing() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
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
        let store = Store::open(dir.path()).unwrap();
        store.submit(new("ab", 2020, 1, "")).await.unwrap();
        store.submit(new("ab", 2020, 2, "fix")).await.unwrap();
        store.submit(new("b", 2021, 3, "")).await.unwrap();
        // Unchain it, as format 1 wrote it: no links, no submitter, format 1.
        for kv in store.inner.reports.iter() {
            let (k, v) = kv.unwrap();
            let bytes = if k[0] == REVISION {
                let mut r: Record = decode(&k, &v).unwrap();
                r.previous_hash.clear();
                r.chain_hash.clear();
                r.submitted_by.clear();
                r.encode_to_vec()
            } else {
                let mut h: Head = decode(&k, &v).unwrap();
                h.chain_hash.clear();
                h.encode_to_vec()
            };
            store.inner.reports.insert(k, bytes).unwrap();
        }
        let meta = store.inner.db.open_tree("meta").unwrap();
        meta.insert("format", &FORMAT_UNCHAINED.to_be_bytes())
            .unwrap();
        drop(meta);
        store.close().await.unwrap();
        drop(store);

        let store = Store::open(dir.path()).unwrap();
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
        let store = Store::open(dir.path()).unwrap();
        store.submit(new("ab", 2020, 1, "")).await.unwrap();
        store.submit(new("ab", 2020, 2, "fix")).await.unwrap();
        let key = revision_key("ab", 2020, 2).unwrap();
        let mut r: Record = decode(&key, &store.inner.reports.get(&key).unwrap().unwrap()).unwrap();
        r.submitted_by = "someone else".into();
        store.inner.reports.insert(&key, r.encode_to_vec()).unwrap();
        let head_key = report_key(HEAD, "ab", 2020).unwrap();
        let mut h: Head = decode(
            &head_key,
            &store.inner.reports.get(&head_key).unwrap().unwrap(),
        )
        .unwrap();
        h.revision = 3;
        store
            .inner
            .reports
            .insert(&head_key, h.encode_to_vec())
            .unwrap();
        let v = store.verify(None, None).unwrap();
        let kinds: Vec<(u32, BreakKind)> = v.breaks.iter().map(|b| (b.revision, b.kind)).collect();
        assert_eq!(kinds, [(2, BreakKind::ChainHash), (0, BreakKind::Head)]);
        assert_eq!(
            v.breaks[1].to_string(),
            "ab 2020 head: head: the head names another latest revision than the last one stored (stored 3, expected 2)"
        );
    }

    #[tokio::test]
    async fn tokens_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
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
}
