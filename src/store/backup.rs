//! Backup and restore: one portable archive of a consistent snapshot — the log's first N
//! entries, every record they name (revisions, bodies, token hashes), and the head (N, root).
//!
//! ```text
//! archive = "gx-backup 1\n" { u32(len) Item }*        (u32 big-endian)
//! Item    = protobuf { kind = 1; key = 2; value = 3 }
//! kinds   : 1 revision (key: the revision key), 2 body (id), 3 token (id),
//!           4 log entry (value: the entry's bytes), 5 head (value: "N:ROOT"), 6 end,
//!           7 review (key: the review key)
//! ```
//!
//! A backup reads bodies, tokens and the log's size together under the directory's lock
//! (their writers hold it), so the last entry of each body and token is the value archived;
//! revisions never change, so the ones the first N entries name are read after. gxd keeps
//! serving meanwhile.
//!
//! A restore writes the archive into a directory of its own beside the target, opens it as a
//! store (which checks the log against every record and the head), verifies every chain,
//! and only then renames it into place: a broken archive leaves nothing behind.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use prost::Message;

use super::keys::revision_key;
use super::log::{read_log, write_head, EntryKind, LogEntry, LogHead, LOG_FILE};
use super::{Result, Store, StoreError, FORMAT, SEGMENT_BYTES};
use crate::merkle;

const MAGIC: &[u8] = b"gx-backup 1\n";

const REVISION: u32 = 1;
const BODY: u32 = 2;
const TOKEN: u32 = 3;
const ENTRY: u32 = 4;
const HEAD: u32 = 5;
const END: u32 = 6;
const REVIEW: u32 = 7;

#[derive(Clone, PartialEq, Message)]
struct Item {
    #[prost(uint32, tag = "1")]
    kind: u32,
    #[prost(bytes = "vec", tag = "2")]
    key: Vec<u8>,
    #[prost(bytes = "vec", tag = "3")]
    value: Vec<u8>,
}

fn archive_error(detail: impl Into<String>) -> StoreError {
    StoreError::Archive(detail.into())
}

fn put(out: &mut dyn Write, kind: u32, key: &[u8], value: &[u8]) -> Result<()> {
    let bytes = Item {
        kind,
        key: key.to_vec(),
        value: value.to_vec(),
    }
    .encode_to_vec();
    let len = u32::try_from(bytes.len()).map_err(|_| archive_error("a record over 4 GiB"))?;
    out.write_all(&len.to_be_bytes())
        .and_then(|()| out.write_all(&bytes))
        .map_err(|e| archive_error(format!("writing the archive: {e}")))
}

impl Store {
    /// Writes a backup of a consistent snapshot to `out`; returns the head it holds.
    pub fn backup(&self, out: &mut dyn Write) -> Result<LogHead> {
        let (bodies, tokens, n) = {
            let _dir = self.directory_read();
            let bodies = self.inner.orgs.iter().collect::<Result<Vec<_>, _>>()?;
            let tokens = self.inner.tokens.iter().collect::<Result<Vec<_>, _>>()?;
            (bodies, tokens, self.inner.log.current().size)
        };
        let file = read_log(&self.inner.path).map_err(sled::Error::Io)?;
        let n = usize::try_from(n).unwrap_or(usize::MAX);
        let frames = file
            .frames
            .get(..n)
            .ok_or_else(|| archive_error("the log file is shorter than the log"))?;
        out.write_all(MAGIC)
            .map_err(|e| archive_error(format!("writing the archive: {e}")))?;
        for f in frames {
            put(out, ENTRY, &[], f)?;
        }
        for f in frames {
            let e = LogEntry::decode(f.as_slice())
                .map_err(|e| archive_error(format!("a log entry does not decode: {e}")))?;
            if e.kind == EntryKind::Revision as u32 {
                let key = revision_key(&e.id, e.year, e.revision)?;
                let v = self.inner.revisions.get(&key)?.ok_or_else(|| {
                    archive_error(format!(
                        "revision {} of {} {} is missing",
                        e.revision, e.id, e.year
                    ))
                })?;
                put(out, REVISION, &key, &v)?;
            } else if e.kind == EntryKind::Review as u32 {
                // Reviews never change either.
                let key = revision_key(&e.id, e.year, e.number)?;
                let v = self.inner.reviews.get(&key)?.ok_or_else(|| {
                    archive_error(format!(
                        "review {} of {} {} is missing",
                        e.number, e.id, e.year
                    ))
                })?;
                put(out, REVIEW, &key, &v)?;
            }
        }
        for (kind, records) in [(BODY, bodies), (TOKEN, tokens)] {
            for (k, v) in records {
                put(out, kind, &k, &v)?;
            }
        }
        let leaves: Vec<_> = frames.iter().map(|f| merkle::leaf_hash(f)).collect();
        let head = LogHead {
            size: frames.len() as u64,
            root: merkle::root(&leaves),
        };
        put(out, HEAD, &[], head.to_string().as_bytes())?;
        put(out, END, &[], &[])?;
        out.flush()
            .map_err(|e| archive_error(format!("writing the archive: {e}")))?;
        Ok(head)
    }
}

/// What an archive holds, read whole.
#[derive(Default)]
struct Contents {
    entries: Vec<Vec<u8>>,
    records: Vec<(u32, Vec<u8>, Vec<u8>)>,
    head: Option<LogHead>,
}

fn read_archive(input: &mut dyn Read) -> Result<Contents> {
    let mut magic = [0u8; MAGIC.len()];
    input
        .read_exact(&mut magic)
        .map_err(|_| archive_error("not a gx backup (too short)"))?;
    if magic != MAGIC {
        return Err(archive_error("not a gx backup (no `gx-backup 1` header)"));
    }
    let mut c = Contents::default();
    loop {
        let mut len = [0u8; 4];
        input
            .read_exact(&mut len)
            .map_err(|_| archive_error("the archive is cut short (no end mark)"))?;
        let mut bytes = vec![0u8; u32::from_be_bytes(len) as usize];
        input
            .read_exact(&mut bytes)
            .map_err(|_| archive_error("the archive is cut short inside a record"))?;
        let item = Item::decode(bytes.as_slice())
            .map_err(|e| archive_error(format!("a record does not decode: {e}")))?;
        match item.kind {
            ENTRY => c.entries.push(item.value),
            REVISION | BODY | TOKEN | REVIEW => c.records.push((item.kind, item.key, item.value)),
            HEAD => {
                let text = String::from_utf8_lossy(&item.value);
                c.head = Some(text.parse().map_err(archive_error)?);
            }
            END => return Ok(c),
            k => return Err(archive_error(format!("a record of unknown kind {k}"))),
        }
    }
}

/// What a restore restored.
#[derive(Debug, Clone)]
pub struct Restored {
    pub head: LogHead,
    pub revisions: u64,
    pub reports: u64,
}

/// Restores the archive `input` into the new data directory `dir` (absent, or empty),
/// verifying every hash and the log first.
pub fn restore(input: &mut dyn Read, dir: &Path) -> Result<Restored> {
    if dir.exists() && std::fs::read_dir(dir).map_or(true, |mut d| d.next().is_some()) {
        return Err(archive_error(format!(
            "{} exists and is not empty: restore into a new directory",
            dir.display()
        )));
    }
    let c = read_archive(input)?;
    let head = c
        .head
        .ok_or_else(|| archive_error("the archive has no log head"))?;
    let leaves: Vec<_> = c.entries.iter().map(|f| merkle::leaf_hash(f)).collect();
    if head.size != leaves.len() as u64 || merkle::root(&leaves) != head.root {
        return Err(archive_error(
            "the archive's log does not hash to its head: an entry was changed, removed or added",
        ));
    }
    let work = staging(dir);
    let _ = std::fs::remove_dir_all(&work);
    let outcome = stage(&c, head, &work);
    match outcome {
        Ok(r) => {
            if dir.exists() {
                std::fs::remove_dir(dir).map_err(sled::Error::Io)?;
            }
            std::fs::rename(&work, dir).map_err(sled::Error::Io)?;
            Ok(r)
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&work);
            Err(e)
        }
    }
}

/// The directory a restore into `dir` is staged in.
fn staging(dir: &Path) -> PathBuf {
    let mut name = dir.file_name().unwrap_or_default().to_os_string();
    name.push(".restoring");
    dir.with_file_name(name)
}

/// Writes the archive into `work` and checks it as a store: the log against every record
/// and the head, and every chain.
fn stage(c: &Contents, head: LogHead, work: &Path) -> Result<Restored> {
    std::fs::create_dir_all(work).map_err(sled::Error::Io)?;
    {
        let db = sled::Config::new()
            .path(work)
            .segment_size(SEGMENT_BYTES)
            .open()?;
        let trees = [
            db.open_tree("revisions")?,
            db.open_tree("orgs")?,
            db.open_tree("tokens")?,
            db.open_tree("reviews")?,
        ];
        for (kind, k, v) in &c.records {
            let tree = match *kind {
                REVISION => &trees[0],
                BODY => &trees[1],
                TOKEN => &trees[2],
                _ => &trees[3],
            };
            tree.insert(k.as_slice(), v.as_slice())?;
        }
        db.open_tree("meta")?
            .insert("format", &FORMAT.to_be_bytes())?;
        db.flush()?;
    }
    let mut log = Vec::new();
    for f in &c.entries {
        log.extend_from_slice(&(f.len() as u32).to_be_bytes());
        log.extend_from_slice(f);
    }
    std::fs::write(work.join(LOG_FILE), log).map_err(sled::Error::Io)?;
    write_head(work, &head).map_err(sled::Error::Io)?;
    let store = open_when_released(work)?;
    let checked = (|| {
        if let Some(b) = store.damage().first() {
            return Err(archive_error(format!("the archive does not verify: {b}")));
        }
        if store.log_head() != head {
            return Err(archive_error(
                "the archive holds records its log does not name",
            ));
        }
        let v = store.verify(None, None)?;
        if let Some(b) = v.breaks.first() {
            return Err(archive_error(format!("the archive does not verify: {b}")));
        }
        Ok(Restored {
            head,
            revisions: v.revisions,
            reports: v.reports,
        })
    })();
    store.inner.flusher.stop();
    drop(store);
    checked
}

/// Opens the store just written (sled releases a closed database's lock from a background
/// thread: retried for a few seconds).
fn open_when_released(dir: &Path) -> Result<Store> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match Store::open(dir) {
            Err(StoreError::Locked { .. }) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(20))
            }
            r => return r,
        }
    }
}
