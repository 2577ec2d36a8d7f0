//! The store-wide append-only log, as certificate-transparency logs keep theirs.
//!
//! Every write the store accepts — a revision, a change to a reporting body, a token issued
//! or revoked — appends one entry: its sequence number (1, 2, 3, …), what it is (kind and
//! key) and the SHA-256 of the stored record's bytes. The entries are the leaves of a Merkle
//! tree ([`crate::merkle`]); the log's head is (size, root).
//!
//! # Files (beside sled's, in the data directory)
//!
//! - `gx.log`: the entries, each a big-endian u32 length and the entry's protobuf bytes,
//!   appended with one `write` each (under the log's lock, so sequence numbers follow the
//!   file's order) and fsynced by the group-commit flusher after sled's flush.
//! - `gx.head`: the head after the latest flush (`gx log head`, `size N`, `root HEX` and a
//!   check line), kept in two slots overwritten in turn with one `fdatasync` each
//!   ([`super::headfile`]: a torn write leaves the head before it). A submission is
//!   acknowledged only after the head covering it is written, so every acknowledged write is
//!   within the head.
//!
//! The log is kept outside sled on purpose: when sled loses records (a damaged file it
//! reads as the end of its log), the log and the head still name what was there.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use prost::Message;
use sha2::{Digest, Sha256};

use super::headfile::{self, HeadWriter};
use crate::merkle::{self, Frontier, Hash};

/// The log's file name in the data directory.
pub const LOG_FILE: &str = "gx.log";
/// The head's file name in the data directory.
pub const HEAD_FILE: &str = "gx.head";

/// A log head: how many entries, and the Merkle root over them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogHead {
    pub size: u64,
    pub root: Hash,
}

impl LogHead {
    /// The head of the empty log.
    pub fn empty() -> LogHead {
        LogHead {
            size: 0,
            root: merkle::empty_root(),
        }
    }
}

/// `SIZE:ROOT` (root in lowercase hex), as `gxctl verify --head` takes it.
impl std::fmt::Display for LogHead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.size, hex::encode(self.root))
    }
}

impl std::str::FromStr for LogHead {
    type Err = String;

    fn from_str(s: &str) -> Result<LogHead, String> {
        let (size, root) = s
            .split_once(':')
            .ok_or_else(|| format!("{s:?} is not SIZE:ROOT (e.g. 12:3f9a…, 64 hex digits)"))?;
        let size = size
            .trim()
            .parse()
            .map_err(|_| format!("{size:?} is not a log size (a whole number)"))?;
        let root = hex::decode(root.trim())
            .ok()
            .and_then(|r| Hash::try_from(r.as_slice()).ok())
            .ok_or_else(|| format!("{root:?} is not a root (64 hex digits)"))?;
        Ok(LogHead { size, root })
    }
}

/// What a log entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    Revision = 1,
    Body = 2,
    Token = 3,
    /// A review of a report ([`super::reviews`]): `revision` is the revision reviewed,
    /// `number` the review's number.
    Review = 4,
}

impl EntryKind {
    pub(super) fn from_number(n: u32) -> Option<EntryKind> {
        [
            EntryKind::Revision,
            EntryKind::Body,
            EntryKind::Token,
            EntryKind::Review,
        ]
        .into_iter()
        .find(|k| *k as u32 == n)
    }
}

/// One entry, as stored in `gx.log`. Field numbers are the on-disk format.
#[derive(Clone, PartialEq, Message)]
pub(super) struct LogEntry {
    #[prost(uint64, tag = "1")]
    pub(super) seq: u64,
    /// [`EntryKind`].
    #[prost(uint32, tag = "2")]
    pub(super) kind: u32,
    /// The org.id (revisions, bodies) or the token id.
    #[prost(string, tag = "3")]
    pub(super) id: String,
    #[prost(uint32, tag = "4")]
    pub(super) year: u32,
    #[prost(uint32, tag = "5")]
    pub(super) revision: u32,
    /// SHA-256 of the stored value's bytes.
    #[prost(bytes = "vec", tag = "6")]
    pub(super) record_hash: Vec<u8>,
    /// The review's number ([`EntryKind::Review`] only; 0 otherwise, and then not encoded:
    /// entries of other kinds keep their bytes).
    #[prost(uint32, tag = "7")]
    pub(super) number: u32,
}

impl LogEntry {
    pub(super) fn new(kind: EntryKind, id: &str, year: u32, revision: u32, value: &[u8]) -> Self {
        LogEntry {
            seq: 0,
            kind: kind as u32,
            id: id.to_string(),
            year,
            revision,
            record_hash: Sha256::digest(value).to_vec(),
            number: 0,
        }
    }

    /// The entry of review `number` of report (`id`, `year`), which reviews `revision`.
    pub(super) fn review(id: &str, year: u32, revision: u32, number: u32, value: &[u8]) -> Self {
        LogEntry {
            number,
            ..LogEntry::new(EntryKind::Review, id, year, revision, value)
        }
    }
}

/// The log file as read: every whole frame, and what follows the last one.
#[derive(Debug, Default)]
pub(super) struct LogFile {
    pub(super) frames: Vec<Vec<u8>>,
    /// Bytes after the last whole frame (a write cut short), or 0.
    pub(super) torn: usize,
    /// The length of the whole frames.
    pub(super) whole: u64,
}

/// Reads `gx.log` (an absent file reads as empty).
pub(super) fn read_log(dir: &Path) -> std::io::Result<LogFile> {
    let bytes = match std::fs::read(dir.join(LOG_FILE)) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e),
    };
    let mut out = LogFile::default();
    let mut at = 0usize;
    while at < bytes.len() {
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
        out.frames.push(frame.to_vec());
        at += 4 + len;
    }
    out.torn = bytes.len() - at;
    out.whole = at as u64;
    Ok(out)
}

/// Reads `gx.head`: `None` when there is none, an error message when it does not parse.
pub(super) fn read_head(dir: &Path) -> Result<Option<LogHead>, String> {
    match std::fs::read(dir.join(HEAD_FILE)) {
        Ok(bytes) => headfile::parse(&bytes).map(Some),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{HEAD_FILE} cannot be read: {e}")),
    }
}

/// Writes `gx.head` atomically and durably (a whole new file).
pub(super) fn write_head(dir: &Path, head: &LogHead) -> std::io::Result<()> {
    headfile::write_whole(dir, head)
}

/// The open log: the file appended to, and the leaf hashes (for roots and proofs).
#[derive(Debug)]
pub(super) struct Log {
    dir: PathBuf,
    state: Mutex<State>,
    /// The size of the head last written: entries up to it are durable (`events` follows it).
    durable: tokio::sync::watch::Sender<u64>,
}

#[derive(Debug)]
struct State {
    file: File,
    leaves: Vec<Hash>,
    frontier: Frontier,
    /// The head last written to `gx.head`.
    written: LogHead,
    /// `gx.head` open for writing in place (from the first commit on).
    head_file: Option<HeadWriter>,
}

impl Log {
    /// Opens `gx.log` for appending, with these frames already in it (cut to `whole` bytes:
    /// a torn last write is dropped), and the head last written.
    pub(super) fn open(
        dir: &Path,
        frames: &[Vec<u8>],
        whole: u64,
        written: LogHead,
    ) -> std::io::Result<Log> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join(LOG_FILE))?;
        if file.metadata()?.len() != whole {
            file.set_len(whole)?;
            file.sync_all()?;
        }
        let mut frontier = Frontier::default();
        let leaves: Vec<Hash> = frames.iter().map(|f| merkle::leaf_hash(f)).collect();
        for l in &leaves {
            frontier.push(*l);
        }
        Ok(Log {
            dir: dir.to_path_buf(),
            durable: tokio::sync::watch::Sender::new(written.size),
            state: Mutex::new(State {
                file,
                leaves,
                frontier,
                written,
                head_file: None,
            }),
        })
    }

    /// Opens the log of a damaged directory as it is (nothing cut; nothing is appended).
    pub(super) fn open_read_only(
        dir: &Path,
        frames: &[Vec<u8>],
        written: LogHead,
    ) -> std::io::Result<Log> {
        let whole = std::fs::metadata(dir.join(LOG_FILE)).map_or(0, |m| m.len());
        Log::open(dir, frames, whole, written)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Appends an entry (numbering it) and returns its sequence number.
    pub(super) fn append(&self, mut entry: LogEntry) -> std::io::Result<u64> {
        let mut s = self.lock();
        entry.seq = s.frontier.size() + 1;
        let bytes = entry.encode_to_vec();
        let len = u32::try_from(bytes.len()).map_err(std::io::Error::other)?;
        let mut frame = Vec::with_capacity(bytes.len() + 4);
        frame.extend_from_slice(&len.to_be_bytes());
        frame.extend_from_slice(&bytes);
        s.file.write_all(&frame)?;
        let leaf = merkle::leaf_hash(&bytes);
        s.leaves.push(leaf);
        s.frontier.push(leaf);
        Ok(entry.seq)
    }

    /// The head over every entry appended so far.
    pub(super) fn current(&self) -> LogHead {
        let s = self.lock();
        LogHead {
            size: s.frontier.size(),
            root: s.frontier.root(),
        }
    }

    /// The head last written to `gx.head`.
    pub(super) fn written(&self) -> LogHead {
        self.lock().written
    }

    /// Makes the entries durable and writes `head` (taken with [`Log::current`] before the
    /// data it covers was flushed) as the head file. Heads only move forward.
    pub(super) fn commit(&self, head: LogHead) -> std::io::Result<LogHead> {
        let file = self.lock().file.try_clone()?;
        file.sync_data()?;
        let mut s = self.lock();
        if head.size > s.written.size {
            match s.head_file.as_mut() {
                Some(w) => w.write(&head)?,
                None => s.head_file = Some(HeadWriter::create(&self.dir, &head)?),
            }
            s.written = head;
            self.durable.send_replace(head.size);
        }
        Ok(s.written)
    }

    /// Follows the size of the head last written (every entry up to it is durable).
    pub(super) fn durable(&self) -> tokio::sync::watch::Receiver<u64> {
        self.durable.subscribe()
    }

    /// The consistency proof from the tree of the first `m` entries to the head `now`.
    pub(super) fn proof(&self, m: u64, now: &LogHead) -> Vec<Hash> {
        let s = self.lock();
        let n = usize::try_from(now.size)
            .unwrap_or(usize::MAX)
            .min(s.leaves.len());
        let m = usize::try_from(m).unwrap_or(usize::MAX);
        merkle::consistency_proof(&s.leaves[..n], m)
    }

    /// The root of the first `m` entries, if there are that many.
    pub(super) fn root_at(&self, m: u64) -> Option<Hash> {
        let s = self.lock();
        let m = usize::try_from(m).ok()?;
        s.leaves.get(..m).map(merkle::root)
    }
}
