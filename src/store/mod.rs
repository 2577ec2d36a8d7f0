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
//! revision of a report is the last key with its (org.id, year) prefix. A `Record` is its
//! metadata (`Meta`) followed by the report's canonical bytes; listings decode the metadata
//! only. Every write is one insert of a new key: a revision is never changed, and a crash can
//! never leave half a submission behind. A tree `meta` holds the layout's version. A tree
//! `orgs` holds the reporting bodies.
//!
//! Each revision's metadata also holds the chain hash of the revision before it and its own
//! ([`chain`]); [`Store::verify`] recomputes them. A tree `tokens` holds the bearer
//! tokens by id, each with only the SHA-256 of the token ([`StoredToken`]).
//!
//! A tree `reviews` holds the reviews of reports (accepted / returned), one key per review in
//! the same shape as a revision key, numbered per report ([`reviews`]); a report's state is
//! derived from its revisions and reviews. Reviews are links of the report's hash chain.
//!
//! Format 2 added the chain (and `submitted_by`); a format-1 directory is upgraded in place
//! when opened: its revisions are chained in order, with an empty `submitted_by`. Format 3
//! added the store-wide log; format 4 the reviews (a format-3 directory is upgraded on open:
//! it has no reviews, so only its format number changes — and a gxd of format 3 then refuses
//! the directory rather than ignore reviews it cannot see).
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
//!
//! # Rooms
//!
//! `keys` (the key layout), `record` (the protobuf records and how they read back),
//! `flush` (group commit), `revisions` (submit, get, list), `chain` (the hash chain and the
//! format-1 upgrade), `verify` (recomputing the chains), `tokens`, `orgs` (reporting bodies),
//! `reviews` (accepting and returning reports; their states),
//! `events` (the log's durable entries as events, from a cursor).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;

use crate::merkle;
use crate::orgs::{Directory, DirectoryError};

mod backup;
mod chain;
mod events;
mod flush;
mod headfile;
mod keys;
mod log;
mod logcheck;
mod orgs;
mod record;
mod reviews;
mod revisions;
mod tokens;
mod verify;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_log;
#[cfg(test)]
mod tests_reviews;

pub use backup::{restore, Restored};
pub use chain::{content_hash, GENESIS};
pub use events::{Event, EventKind, Follow};
pub use log::{LogHead, HEAD_FILE, LOG_FILE};
pub use orgs::{Change, NewBody};
pub use reviews::{CellNote, Decision, FilingState, NewReview, Reviewed, State, StoredReview};
pub use revisions::{Cursor, NewRevision, Page, Revision, Submitted, Version};
pub use tokens::StoredToken;
pub use verify::{BreakKind, ChainBreak, Verification};

use flush::Flusher;
use keys::printable_key;

/// For the test that holds the stored warning against the wire's `Finding`.
#[cfg(test)]
pub(crate) use record::StoredFinding;

/// The on-disk layout version this code reads and writes.
const FORMAT: u32 = 4;
/// The layout before reviews ([`reviews`]), upgraded on open.
const FORMAT_UNREVIEWED: u32 = 3;
/// The layout before the hash chain, upgraded on open.
const FORMAT_UNCHAINED: u32 = 1;
/// The layout before the store-wide log ([`log`]), upgraded on open.
const FORMAT_UNLOGGED: u32 = 2;
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
    /// A review of a revision that is not (or no longer) the latest; `current` 0: none.
    #[error("revision {reviewed} is not the latest revision (the latest is {current}): read the report again and review the latest")]
    Stale { reviewed: u32, current: u32 },
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
    /// The data directory's log does not match its records (gxd serves it read-only).
    #[error("the data directory is damaged and served read-only (see `gxd verify`): no changes are accepted")]
    ReadOnly,
    /// Writing the log or its head failed.
    #[error("writing the log failed: {0}")]
    Log(String),
    /// A backup archive that cannot be written, read or trusted.
    #[error("backup: {0}")]
    Archive(String),
    #[error(transparent)]
    Sled(#[from] sled::Error),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A stored value that does not read back, named by its key.
fn corrupt(key: &[u8], detail: impl Into<String>) -> StoreError {
    StoreError::Corrupt {
        key: printable_key(key),
        detail: detail.into(),
    }
}

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
    /// Reviews of reports ([`reviews`]).
    reviews: sled::Tree,
    path: PathBuf,
    stripes: Vec<Mutex<()>>,
    flusher: Arc<Flusher>,
    flusher_thread: Mutex<Option<JoinHandle<()>>>,
    /// Reporting bodies: id → `OrgRecord` (see `orgs`).
    orgs: sled::Tree,
    /// Every body in memory, kept in step with `orgs` (writers hold the write lock while
    /// they insert).
    directory: RwLock<Directory>,
    /// The store-wide log.
    log: Arc<log::Log>,
    /// The log's entries read back as events, for followers (`events`).
    events: events::Events,
    /// What the log check found on open: when not empty, the store is read-only.
    damage: Vec<ChainBreak>,
    /// False once closing: a submission holds it (read) from before its write until its
    /// flush ticket is taken, so a submission is either refused unwritten or flushed before
    /// the store closes — never stored and refused.
    open: RwLock<bool>,
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
        let mut format = match meta.get("format")? {
            None => None,
            Some(v) => Some(
                <[u8; 4]>::try_from(v.as_ref())
                    .map(u32::from_be_bytes)
                    .map_err(|_| StoreError::Format {
                        path: path.to_path_buf(),
                        found: format!("{:?}", v.as_ref()),
                    })?,
            ),
        };
        if format.is_none() {
            // A new directory: its (empty) head is written below.
            meta.insert("format", &FORMAT_UNLOGGED.to_be_bytes())?;
            db.flush()?;
            format = Some(FORMAT_UNLOGGED);
        }
        match format {
            Some(FORMAT | FORMAT_UNREVIEWED | FORMAT_UNLOGGED) => {}
            Some(FORMAT_UNCHAINED) => {
                let n = chain::chain_unchained(&revisions)?;
                meta.insert("format", &FORMAT_UNLOGGED.to_be_bytes())?;
                db.flush()?;
                tracing::info!(
                    revisions = n,
                    "upgraded the data directory: revisions chained"
                );
            }
            Some(n) => {
                return Err(StoreError::Format {
                    path: path.to_path_buf(),
                    found: n.to_string(),
                })
            }
            None => {}
        }
        let tokens = db.open_tree("tokens")?;
        let orgs = db.open_tree("orgs")?;
        let reviews = db.open_tree("reviews")?;
        let trees = logcheck::Trees {
            revisions: &revisions,
            orgs: &orgs,
            tokens: &tokens,
            reviews: &reviews,
        };
        let logged = matches!(format, Some(FORMAT | FORMAT_UNREVIEWED));
        let (log, damage) = logcheck::open_log(path, trees, logged)?;
        if damage.is_empty() && format != Some(FORMAT) {
            if log::read_head(path).ok().flatten().is_none() {
                log::write_head(path, &log.written()).map_err(sled::Error::Io)?;
            }
            meta.insert("format", &FORMAT.to_be_bytes())?;
            db.flush()?;
            if format == Some(FORMAT_UNREVIEWED) {
                tracing::info!("upgraded the data directory to format {FORMAT} (reviews)");
            } else {
                tracing::info!(
                    entries = log.current().size,
                    "the data directory has its log (format {FORMAT})"
                );
            }
        }
        let log = Arc::new(log);
        let directory = orgs::load_directory(&orgs)?;
        let (flusher, thread) = Flusher::start(db.clone(), log.clone()).map_err(sled::Error::Io)?;
        Ok(Store {
            inner: Arc::new(Inner {
                db,
                revisions,
                tokens,
                reviews,
                path: path.to_path_buf(),
                stripes: (0..STRIPES).map(|_| Mutex::new(())).collect(),
                flusher,
                flusher_thread: Mutex::new(Some(thread)),
                orgs,
                directory: RwLock::new(directory),
                log,
                events: events::Events::default(),
                damage,
                open: RwLock::new(true),
            }),
        })
    }

    /// Fails with [`StoreError::ReadOnly`] when the store is served damaged.
    fn writable(&self) -> Result<()> {
        if self.inner.damage.is_empty() {
            Ok(())
        } else {
            Err(StoreError::ReadOnly)
        }
    }

    /// Appends the log entry of a value just written.
    fn log_write(
        &self,
        kind: log::EntryKind,
        id: &str,
        year: u32,
        revision: u32,
        value: &[u8],
    ) -> Result<()> {
        let e = log::LogEntry::new(kind, id, year, revision, value);
        self.inner
            .log
            .append(e)
            .map(|_| ())
            .map_err(|e| StoreError::Log(e.to_string()))
    }

    /// Appends the log entry of a review just written.
    fn log_review(
        &self,
        id: &str,
        year: u32,
        revision: u32,
        number: u32,
        value: &[u8],
    ) -> Result<()> {
        let e = log::LogEntry::review(id, year, revision, number, value);
        self.inner
            .log
            .append(e)
            .map(|_| ())
            .map_err(|e| StoreError::Log(e.to_string()))
    }

    /// What the log check found when the store was opened: empty when the log matches the
    /// records and the head file. When not, the store accepts no changes.
    pub fn damage(&self) -> &[ChainBreak] {
        &self.inner.damage
    }

    /// The log head last written to the head file (every acknowledged write is within it).
    pub fn log_head(&self) -> LogHead {
        self.inner.log.written()
    }

    /// The consistency proof from the log's first `size` entries to `head` (a head this
    /// store returned), or `None` when the log is shorter than `size`. With the root of the
    /// first `size` entries.
    pub fn log_proof(
        &self,
        size: u64,
        head: &LogHead,
    ) -> Option<(merkle::Hash, Vec<merkle::Hash>)> {
        if size > head.size {
            return None;
        }
        let root = self.inner.log.root_at(size)?;
        Some((root, self.inner.log.proof(size, head)))
    }

    /// The data directory.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Stops taking submissions, flushes everything and stops the flusher. Submissions
    /// waiting for a flush are completed first. Idempotent.
    pub async fn close(&self) -> Result<()> {
        *self.inner.open.write().unwrap_or_else(|p| p.into_inner()) = false;
        self.inner.flusher.stop();
        let handle = self
            .inner
            .flusher_thread
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        let db = self.inner.db.clone();
        let log = self.inner.log.clone();
        tokio::task::spawn_blocking(move || -> Result<()> {
            if let Some(h) = handle {
                // The flusher only logs; a panic there still leaves the final flush below.
                let _ = h.join();
            }
            db.flush()?;
            log.commit(log.current())
                .map_err(|e| StoreError::Log(e.to_string()))?;
            Ok(())
        })
        .await
        .map_err(|e| StoreError::Flush(e.to_string()))?
    }
}
