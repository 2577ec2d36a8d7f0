//! Following the store's writes as events, from a cursor ([`Store::follow`]).
//!
//! The events are the store-wide log's entries ([`super::log`]) read back as what they
//! record: a revision filed, a review (accepted or returned), a body registered or changed (a
//! token issued or revoked is not an event). An event's cursor is its entry's sequence number (1, 2, 3, …): monotonic,
//! the same after a restart, and an event exists exactly when its write does — the entry is
//! appended with the write, under the same lock, and nothing else makes one.
//!
//! Only durable entries are events: those up to the head the group-commit flusher last wrote
//! ([`super::log::Log::commit`] publishes its size). A follower therefore never sees an event
//! that a crash could take back, and every acknowledged write is an event before (or as)
//! its writer is answered.
//!
//! The entries are read from `gx.log` itself, lazily and once: the first follower reads the
//! file from the start, later ones continue from where the last read stopped. Each entry is
//! read back as an [`Event`] once (its revision's metadata from the `revisions` tree, its
//! body from the directory) and kept in memory; followers share them. A store nobody follows
//! does none of this. A follower that falls behind simply reads on from its cursor: there is
//! no queue to overflow and nothing is skipped.
//!
//! Events of bodies say what the body is now (name, parent): the log keeps only the hash of
//! what was written, and the body record is rewritten in place.

use std::collections::HashSet;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::sync::{Arc, Mutex, RwLock};
use std::time::SystemTime;

use prost::Message;
use tokio::sync::watch;

use super::keys::revision_key;
use super::log::{EntryKind, LogEntry, LOG_FILE};
use super::record::{from_micros, micros};
use super::revisions::to_revision;
use super::{CellNote, Decision, Result, Store, StoreError};

/// What an event says happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    /// A revision of a report was stored (`revision` 1: first filed; later: an amendment,
    /// with its reason).
    Filed,
    /// A body was registered.
    BodyRegistered,
    /// A registered body was renamed, moved or given another level.
    BodyChanged,
    /// A reviewer accepted a revision.
    Accepted,
    /// A reviewer returned a revision for amendment (with a reason and cells).
    Returned,
}

/// One event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// The log sequence number of its entry.
    pub cursor: u64,
    pub kind: EventKind,
    /// The body (of the report, or the body registered).
    pub org_id: String,
    /// The body's name (as filed with the revision, or as the body is now).
    pub org_name: String,
    /// Filed: the report's year and revision (0 for bodies).
    pub year: u32,
    pub revision: u32,
    /// Filed: the id of the token that submitted it; reviews: the reviewer's ("" for
    /// bodies).
    pub actor: String,
    /// Filed: when it was submitted; reviews: when reviewed; bodies: when the body was last
    /// changed.
    pub at: SystemTime,
    /// Filed: the amendment's reason ("" for revision 1); reviews: the reviewer's reason.
    pub reason: String,
    /// Bodies: the parent's id ("" at the top).
    pub parent: String,
    /// Returned: the cells it concerns.
    pub cells: Vec<CellNote>,
}

/// The events read so far, shared by every follower.
#[derive(Debug, Default)]
pub(super) struct Events {
    /// `entries[i]` is the entry of sequence number i + 1 (`None`: not an event).
    entries: RwLock<Vec<Option<Arc<Event>>>>,
    /// The reading of `gx.log` (one reader at a time).
    reader: Mutex<Reader>,
}

#[derive(Debug, Default)]
struct Reader {
    /// Where the next frame starts in `gx.log`.
    offset: u64,
    /// Bodies with an event already (a later one is a change).
    bodies: HashSet<String>,
}

/// A follower: the events after its cursor, as they become durable.
#[derive(Debug)]
pub struct Follow {
    store: Store,
    durable: watch::Receiver<u64>,
    /// The cursor of the last event handed out.
    cursor: u64,
}

impl Store {
    /// The cursor of the latest durable event (0: none yet).
    pub fn event_head(&self) -> u64 {
        *self.inner.log.durable().borrow()
    }

    /// Follows the events after `cursor` (0: from the first). `None` when `cursor` is past
    /// the durable log (a cursor from another data directory, or one restored from an older
    /// backup).
    pub fn follow(&self, cursor: u64) -> Option<Follow> {
        let durable = self.inner.log.durable();
        if cursor > *durable.borrow() {
            return None;
        }
        Some(Follow {
            store: self.clone(),
            durable,
            cursor,
        })
    }

    /// Reads the log up to entry `to` into the index (blocking: file and sled reads).
    fn index_to(&self, to: u64) -> Result<()> {
        let events = &self.inner.events;
        let mut reader = events.reader.lock().unwrap_or_else(|p| p.into_inner());
        let mut have = events
            .entries
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .len() as u64;
        if have >= to {
            return Ok(());
        }
        let log_err = |e: std::io::Error| StoreError::Log(format!("reading {LOG_FILE}: {e}"));
        let mut file = File::open(self.inner.path.join(LOG_FILE)).map_err(log_err)?;
        file.seek(SeekFrom::Start(reader.offset)).map_err(log_err)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(log_err)?;
        let mut read = Vec::new();
        let mut at = 0usize;
        while have < to {
            let Some(len) = bytes
                .get(at..at + 4)
                .and_then(|b| <[u8; 4]>::try_from(b).ok())
                .map(|b| u32::from_be_bytes(b) as usize)
            else {
                break;
            };
            let Some(frame) = bytes.get(at + 4..at + 4 + len) else {
                break;
            };
            let entry = LogEntry::decode(frame)
                .map_err(|e| StoreError::Log(format!("{LOG_FILE} entry: {e}")))?;
            if entry.seq != have + 1 {
                return Err(StoreError::Log(format!(
                    "{LOG_FILE}: entry {} where {} was expected",
                    entry.seq,
                    have + 1
                )));
            }
            read.push(self.event_of(&entry, &mut reader.bodies)?.map(Arc::new));
            have += 1;
            at += 4 + len;
        }
        reader.offset += at as u64;
        events
            .entries
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .extend(read);
        if have < to {
            return Err(StoreError::Log(format!(
                "{LOG_FILE} ends at entry {have} before the head's {to}"
            )));
        }
        Ok(())
    }

    /// The event a log entry records, if any.
    fn event_of(&self, e: &LogEntry, bodies: &mut HashSet<String>) -> Result<Option<Event>> {
        let mut event = Event {
            cursor: e.seq,
            kind: EventKind::Filed,
            org_id: e.id.clone(),
            org_name: String::new(),
            year: e.year,
            revision: e.revision,
            actor: String::new(),
            at: SystemTime::UNIX_EPOCH,
            reason: String::new(),
            parent: String::new(),
            cells: Vec::new(),
        };
        match EntryKind::from_number(e.kind) {
            Some(EntryKind::Revision) => {
                let key = revision_key(&e.id, e.year, e.revision)?;
                // A revision missing from sled is damage `gxd verify` reports; the event
                // still says what the log holds.
                if let Some(v) = self.inner.revisions.get(&key)? {
                    let r = to_revision(&key, &v, false)?;
                    event.org_name = r.org_name;
                    event.actor = r.submitted_by;
                    event.at = r.submitted_at;
                    event.reason = r.reason;
                }
            }
            Some(EntryKind::Body) => {
                event.kind = if bodies.insert(e.id.clone()) {
                    EventKind::BodyRegistered
                } else {
                    EventKind::BodyChanged
                };
                if let Some(b) = self.org(&e.id) {
                    event.org_name = b.name;
                    // As stored (microseconds), so that it reads the same after a restart.
                    event.at = from_micros(micros(b.updated_at));
                    event.parent = b.parent.unwrap_or_default();
                }
            }
            Some(EntryKind::Review) => {
                // The entry names the revision reviewed and the review's number.
                event.kind = EventKind::Accepted;
                if let Some(r) = self.review_by_number(&e.id, e.year, e.number)? {
                    event.kind = match r.decision {
                        Decision::Accepted => EventKind::Accepted,
                        Decision::Returned => EventKind::Returned,
                    };
                    event.actor = r.reviewed_by;
                    event.at = r.reviewed_at;
                    event.reason = r.reason;
                    event.cells = r.cells;
                }
                let key = revision_key(&e.id, e.year, e.revision)?;
                if let Some(v) = self.inner.revisions.get(&key)? {
                    event.org_name = to_revision(&key, &v, false)?.org_name;
                }
            }
            Some(EntryKind::Token) | None => return Ok(None),
        }
        Ok(Some(event))
    }
}

impl Follow {
    /// The cursor of the last event handed out (or the one it started from).
    pub fn cursor(&self) -> u64 {
        self.cursor
    }

    /// The next events after the cursor, at most `max` (and at least one), waiting until
    /// there are some. `None` once the store is gone.
    pub async fn next(&mut self, max: usize) -> Result<Option<Vec<Arc<Event>>>> {
        loop {
            let durable = *self.durable.borrow_and_update();
            if durable > self.cursor {
                let to = durable.min(self.cursor.saturating_add(max.max(1) as u64));
                let from = self.cursor;
                // Read already (the common case: another follower, or an earlier call, read
                // them): no blocking thread needed.
                let batch = match self.store.indexed_between(from, to) {
                    Some(batch) => batch,
                    None => {
                        let store = self.store.clone();
                        tokio::task::spawn_blocking(move || store.events_between(from, to))
                            .await
                            .map_err(|e| StoreError::Log(format!("reading events: {e}")))??
                    }
                };
                self.cursor = to;
                if !batch.is_empty() {
                    return Ok(Some(batch));
                }
                continue;
            }
            if self.durable.changed().await.is_err() {
                return Ok(None);
            }
        }
    }
}

impl Store {
    /// The events with cursors in `(from, to]` (blocking: reads the log when needed).
    fn events_between(&self, from: u64, to: u64) -> Result<Vec<Arc<Event>>> {
        self.index_to(to)?;
        Ok(self.indexed_between(from, to).unwrap_or_default())
    }

    /// The events with cursors in `(from, to]` if they have been read; `None` if not.
    fn indexed_between(&self, from: u64, to: u64) -> Option<Vec<Arc<Event>>> {
        let entries = self
            .inner
            .events
            .entries
            .read()
            .unwrap_or_else(|p| p.into_inner());
        let range = usize::try_from(from).ok()?..usize::try_from(to).ok()?;
        Some(entries.get(range)?.iter().flatten().cloned().collect())
    }
}
