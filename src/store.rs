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

use crate::pb;
use crate::template::Edition;

/// The on-disk layout version this code reads and writes.
const FORMAT: u32 = 1;
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
        detail: format!("content hash of {} bytes", v.len()),
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
        match meta.get("format")? {
            None => {
                meta.insert("format", &FORMAT.to_be_bytes())?;
                db.flush()?;
            }
            Some(v) if v.as_ref() == FORMAT.to_be_bytes() => {}
            Some(v) => {
                return Err(StoreError::Format {
                    path: path.to_path_buf(),
                    found: format!("{:?}", v.as_ref()),
                })
            }
        }
        let reports = db.open_tree("reports")?;
        let (flusher, thread) = Flusher::start(db.clone()).map_err(sled::Error::Io)?;
        Ok(Store {
            inner: Arc::new(Inner {
                db,
                reports,
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
        let record = Record {
            revision,
            submission_id: uuid::Uuid::now_v7().to_string(),
            submitted_at_us: at,
            reason: new.reason,
            content_hash: new.content_hash.to_vec(),
            warnings: new.warnings,
            report: new.report,
        };
        let head = Head {
            revision,
            submitted_at_us: at,
            content_hash: new.content_hash.to_vec(),
            org_name: new.org_name,
            edition: new.edition.number(),
            warning_count: u32::try_from(record.warnings.len()).unwrap_or(u32::MAX),
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
            content_hash: [content; 32],
            reason: reason.into(),
            warnings: vec![],
            expected_revision: None,
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
    async fn a_second_open_fails_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let _store = Store::open(dir.path()).unwrap();
        assert!(matches!(
            Store::open(dir.path()),
            Err(StoreError::Locked { .. })
        ));
    }
}
