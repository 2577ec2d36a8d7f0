//! Tamper evidence: the hash chain of a report's revisions.
//!
//! Every revision of a report (org.id, year) stores the SHA-256 of its canonical report bytes
//! (the content hash), the chain hash of the revision before it (`previous`; 32 zero bytes
//! for revision 1), and its own chain hash:
//!
//! ```text
//! chain_hash = SHA-256(
//!     "gx.chain.v1\n"
//!     str(org_id) u32(year) u32(revision)
//!     previous[32] content_hash[32]
//!     i64(submitted_at, µs since the Unix epoch)
//!     str(submission_id) str(reason) str(submitted_by)
//!     u32(number of warnings) { bytes(warning as protobuf) }*
//! )
//! ```
//!
//! where `u32`/`i64` are big-endian and `str`/`bytes` are a big-endian u64 length followed by
//! the bytes. That is the v1 link, which revisions written before format 3 keep. It leaves
//! out fields stored beside them (packed cells, explanations, org name, edition, cross-year
//! record): since format 3, a revision's chain hash is the v2 link over the whole record:
//!
//! ```text
//! chain_hash = SHA-256(
//!     "gx.chain.v2\n" str(org_id) u32(year)
//!     bytes(the stored record, with its chain hash set to 32 zero bytes)
//! )
//! ```
//!
//! The record holds the previous revision's chain hash, the content hash, the report, the
//! packed cells and every metadata field, so every stored byte is under the hash — fields
//! added to the record later included, with no change here. The stored bytes must also be
//! the record's canonical encoding (verify re-encodes and compares), so bytes outside any
//! known field cannot hide beside it. Old revisions (v1 links) are covered byte for byte by
//! the store-wide log ([`super::log`]). Changing any stored byte of a revision — its report, its metadata, or its link
//! to the previous revision — breaks its own hash or the next revision's link; replacing the
//! whole tail of a chain consistently is caught by comparing the latest chain hash with the
//! one SubmitReport returned to the body that filed it.
//!
//! Since format 4 a report's chain also holds its reviews ([`super::reviews`]): a review links
//! to the event before it, and the next revision's `previous` is the chain hash of the last
//! review before it (the revision's own chain hash when it was not reviewed) — so removing or
//! changing a review breaks a link as removing a revision does. The cross-year explanations
//! are fields of the revision record, so the v2 link covers them; revisions with v1 links keep
//! them (rewriting their links would invalidate the chain hashes their filers hold) and the
//! store-wide log covers those byte for byte.

use prost::Message;
use sha2::{Digest, Sha256};

use super::keys::split_revision_key;
use super::record::{Meta, Record, StoredFinding};
use super::{corrupt, Result};

/// The `previous` of revision 1.
pub const GENESIS: [u8; 32] = [0; 32];

const DOMAIN: &[u8] = b"gx.chain.v1\n";
const DOMAIN_V2: &[u8] = b"gx.chain.v2\n";

/// What a revision's chain hash covers.
#[derive(Debug, Clone, Copy)]
pub(super) struct Link<'a> {
    pub org_id: &'a str,
    pub year: u32,
    pub revision: u32,
    pub previous: &'a [u8; 32],
    pub content_hash: &'a [u8; 32],
    pub submitted_at_us: i64,
    pub submission_id: &'a str,
    pub reason: &'a str,
    pub submitted_by: &'a str,
    pub warnings: &'a [StoredFinding],
}

fn put_bytes(h: &mut Sha256, b: &[u8]) {
    h.update((b.len() as u64).to_be_bytes());
    h.update(b);
}

/// The chain hash of one revision.
pub(super) fn chain_hash(l: &Link<'_>) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(DOMAIN);
    put_bytes(&mut h, l.org_id.as_bytes());
    h.update(l.year.to_be_bytes());
    h.update(l.revision.to_be_bytes());
    h.update(l.previous);
    h.update(l.content_hash);
    h.update(l.submitted_at_us.to_be_bytes());
    put_bytes(&mut h, l.submission_id.as_bytes());
    put_bytes(&mut h, l.reason.as_bytes());
    put_bytes(&mut h, l.submitted_by.as_bytes());
    h.update(
        u32::try_from(l.warnings.len())
            .unwrap_or(u32::MAX)
            .to_be_bytes(),
    );
    for w in l.warnings {
        put_bytes(&mut h, &w.encode_to_vec());
    }
    h.finalize().into()
}

/// The v2 chain hash of a record: over its whole encoding with the chain hash zeroed. Takes
/// the record with `meta.chain_hash` already set to [`ZERO_LINK`] (or any 32 bytes: they are
/// replaced by zeros here).
pub(super) fn record_chain_hash(org_id: &str, year: u32, record: &Record) -> [u8; 32] {
    let mut r = record.clone();
    if let Some(m) = r.meta.as_mut() {
        m.chain_hash = ZERO_LINK.to_vec();
    }
    let mut h = Sha256::new();
    h.update(DOMAIN_V2);
    put_bytes(&mut h, org_id.as_bytes());
    h.update(year.to_be_bytes());
    put_bytes(&mut h, &r.encode_to_vec());
    h.finalize().into()
}

/// The placeholder of the chain hash while the v2 link is computed.
pub(super) const ZERO_LINK: [u8; 32] = [0; 32];

/// The SHA-256 of a report's canonical bytes (its content hash).
pub fn content_hash(report: &[u8]) -> [u8; 32] {
    Sha256::digest(report).into()
}

impl Meta {
    pub(super) fn link<'a>(
        &'a self,
        org_id: &'a str,
        year: u32,
        previous: &'a [u8; 32],
        content_hash: &'a [u8; 32],
    ) -> Link<'a> {
        Link {
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

/// Chains every revision of a format-1 `revisions` tree in place, report by report, in key
/// order, and returns how many revisions it chained. Deterministic, so a crash half-way is
/// repaired by running it again on the next open (the format changes only at the end).
pub(super) fn chain_unchained(revisions: &sled::Tree) -> Result<u64> {
    let keys = revisions
        .iter()
        .keys()
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let mut n = 0;
    let mut walk: Option<(Vec<u8>, [u8; 32])> = None;
    for k in keys {
        let (prefix, org_id, year) = split_revision_key(&k)?;
        let previous = match &walk {
            Some((p, h)) if p.as_slice() == prefix => *h,
            _ => GENESIS,
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
        let hash = chain_hash(&meta.link(&org_id, year, &previous, &content));
        meta.chain_hash = hash.to_vec();
        r.meta = Some(meta);
        revisions.insert(&k, r.encode_to_vec())?;
        walk = Some((prefix.to_vec(), hash));
        n += 1;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link<'a>(previous: &'a [u8; 32], content: &'a [u8; 32]) -> Link<'a> {
        Link {
            org_id: "621024101",
            year: 2020,
            revision: 1,
            previous,
            content_hash: content,
            submitted_at_us: 1_600_000_000_000_000,
            submission_id: "s",
            reason: "",
            submitted_by: "0123456789abcdef",
            warnings: &[],
        }
    }

    #[test]
    fn every_field_counts() {
        let content = [7u8; 32];
        let base = chain_hash(&link(&GENESIS, &content));
        assert_eq!(base, chain_hash(&link(&GENESIS, &content)));
        let other = [8u8; 32];
        assert_ne!(base, chain_hash(&link(&other, &content)));
        assert_ne!(base, chain_hash(&link(&GENESIS, &other)));
        let mut l = link(&GENESIS, &content);
        l.reason = "x";
        assert_ne!(base, chain_hash(&l));
        let mut l = link(&GENESIS, &content);
        l.submitted_by = "";
        assert_ne!(base, chain_hash(&l));
        // Lengths are framed: moving a byte between fields changes the hash.
        let mut a = link(&GENESIS, &content);
        a.submission_id = "ab";
        a.reason = "";
        let mut b = link(&GENESIS, &content);
        b.submission_id = "a";
        b.reason = "b";
        assert_ne!(chain_hash(&a), chain_hash(&b));
        let w = [StoredFinding {
            rule: "CELL-BLANK".into(),
            ..Default::default()
        }];
        let mut l = link(&GENESIS, &content);
        l.warnings = &w;
        assert_ne!(base, chain_hash(&l));
    }
}
