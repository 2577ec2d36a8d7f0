//! The head file `gx.head`, written in place.
//!
//! The file holds two copies ("slots") of the head, each at the start of its own 4 KiB block
//! and padded with newlines:
//!
//! ```text
//! gx log head
//! size N
//! root HEX
//! check HEX        (the first 8 bytes of SHA-256 over the three lines above, in hex)
//! ```
//!
//! A group-commit flush overwrites the older slot in place and calls one `fdatasync` (the
//! file never changes length, so no metadata needs to reach the disk). A write torn by a crash
//! damages only the slot being written, whose `check` then fails: the other slot still holds
//! the head before it, which covers every acknowledged write (a submission is acknowledged
//! only after the write of the head covering it returned). The reader takes the valid slot
//! with the larger size. A file holding only the three lines (written before the slots existed)
//! still reads.
//!
//! A new file (a new or restored directory, or the first write after an old file) is written
//! whole: both slots to `gx.head.tmp`, fsynced, renamed over `gx.head`, the directory fsynced.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::log::{LogHead, HEAD_FILE};

const HEAD_TMP: &str = "gx.head.tmp";
const HEAD_TITLE: &str = "gx log head";
/// The bytes of one slot.
const SLOT: usize = 4096;

/// The three lines the check covers.
fn lines(head: &LogHead) -> String {
    format!(
        "{HEAD_TITLE}\nsize {}\nroot {}\n",
        head.size,
        hex::encode(head.root)
    )
}

fn check(lines: &str) -> String {
    hex::encode(&Sha256::digest(lines.as_bytes())[..8])
}

/// One slot's text (without padding).
fn slot_text(head: &LogHead) -> String {
    let l = lines(head);
    let c = check(&l);
    format!("{l}check {c}\n")
}

/// The three lines, parsed.
fn parse_lines<'a>(mut it: impl Iterator<Item = &'a str>) -> Option<LogHead> {
    if it.next() != Some(HEAD_TITLE) {
        return None;
    }
    let size = it.next()?.strip_prefix("size ")?;
    let root = it.next()?.strip_prefix("root ")?;
    format!("{size}:{root}").parse().ok()
}

/// One slot: its head when its check holds.
fn parse_slot(bytes: &[u8]) -> Option<LogHead> {
    let text = std::str::from_utf8(bytes).ok()?.trim_end_matches('\n');
    let (covered, last) = text.rsplit_once('\n')?;
    let given = last.strip_prefix("check ")?;
    let head = parse_lines(covered.lines())?;
    let l = lines(&head);
    (l == format!("{covered}\n") && check(&l) == given).then_some(head)
}

/// Reads a head file's bytes: the newest valid slot, or the three lines of an old file.
pub(super) fn parse(bytes: &[u8]) -> Result<LogHead, String> {
    let bad = || format!("{HEAD_FILE} is not a log head");
    if bytes.len() == 2 * SLOT {
        return bytes
            .chunks(SLOT)
            .filter_map(parse_slot)
            .max_by_key(|h| h.size)
            .ok_or_else(|| {
                format!("{HEAD_FILE}: both copies of the log head are damaged (torn or changed)")
            });
    }
    let text = std::str::from_utf8(bytes).map_err(|_| bad())?;
    let mut it = text.lines();
    let head = parse_lines(&mut it).ok_or_else(bad)?;
    match it.next() {
        None => Ok(head),
        Some(_) => Err(bad()),
    }
}

/// Writes the whole file (both slots) atomically and durably.
pub(super) fn write_whole(dir: &Path, head: &LogHead) -> std::io::Result<()> {
    let tmp = dir.join(HEAD_TMP);
    let mut slot = slot_text(head).into_bytes();
    slot.resize(SLOT, b'\n');
    let mut f = File::create(&tmp)?;
    f.write_all(&slot)?;
    f.write_all(&slot)?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, dir.join(HEAD_FILE))?;
    File::open(dir)?.sync_all()
}

/// The head file open for writing in place.
#[derive(Debug)]
pub(super) struct HeadWriter {
    file: File,
    /// The slot the next write goes to.
    next: usize,
}

impl HeadWriter {
    /// Writes `head` as a whole new file and opens it for writing in place.
    pub(super) fn create(dir: &Path, head: &LogHead) -> std::io::Result<HeadWriter> {
        write_whole(dir, head)?;
        let file = OpenOptions::new().write(true).open(dir.join(HEAD_FILE))?;
        Ok(HeadWriter { file, next: 0 })
    }

    /// Overwrites the older slot with `head` and makes it durable.
    pub(super) fn write(&mut self, head: &LogHead) -> std::io::Result<()> {
        let text = slot_text(head);
        debug_assert!(text.len() < SLOT);
        self.file
            .write_all_at(text.as_bytes(), (self.next * SLOT) as u64)?;
        self.file.sync_data()?;
        self.next = 1 - self.next;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(size: u64, b: u8) -> LogHead {
        LogHead {
            size,
            root: [b; 32],
        }
    }

    #[test]
    fn the_newest_valid_slot_is_read_and_a_torn_one_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = HeadWriter::create(dir.path(), &head(1, 1)).unwrap();
        let path = dir.path().join(HEAD_FILE);
        assert_eq!(parse(&std::fs::read(&path).unwrap()), Ok(head(1, 1)));
        w.write(&head(2, 2)).unwrap();
        w.write(&head(30, 3)).unwrap();
        assert_eq!(parse(&std::fs::read(&path).unwrap()), Ok(head(30, 3)));
        w.write(&head(400, 4)).unwrap();
        let mut bytes = std::fs::read(&path).unwrap();
        assert_eq!(bytes.len(), 2 * SLOT);
        assert_eq!(parse(&bytes), Ok(head(400, 4)));
        // A write of slot 0 torn halfway: the head before it (slot 1) is read.
        bytes[40] ^= 0x20;
        assert_eq!(parse(&bytes), Ok(head(30, 3)));
        // Both damaged: an error, never a guess.
        bytes[SLOT + 20] = b'7';
        assert!(parse(&bytes).is_err());
    }

    #[test]
    fn a_file_of_three_lines_still_reads() {
        let h = head(7, 9);
        assert_eq!(parse(lines(&h).as_bytes()), Ok(h));
        assert!(parse(b"gx log head\nsize 7\n").is_err());
        assert!(parse(format!("{}extra\n", lines(&h)).as_bytes()).is_err());
    }
}
