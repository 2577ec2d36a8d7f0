//! Revision keys: `org.id \0 year revision`, big-endian, so that a range scan visits
//! revisions in (org.id, year, revision) order (see the module docs of [`super`]).

use super::{corrupt, Result, StoreError};

/// org.id `\0` year: the prefix of every revision key of a report.
pub(super) fn report_prefix(org_id: &str, year: u32) -> Result<Vec<u8>> {
    if org_id.as_bytes().contains(&0) {
        return Err(StoreError::BadKey);
    }
    let mut k = Vec::with_capacity(org_id.len() + 9);
    k.extend_from_slice(org_id.as_bytes());
    k.push(0);
    k.extend_from_slice(&year.to_be_bytes());
    Ok(k)
}

pub(super) fn revision_key(org_id: &str, year: u32, revision: u32) -> Result<Vec<u8>> {
    let mut k = report_prefix(org_id, year)?;
    k.extend_from_slice(&revision.to_be_bytes());
    Ok(k)
}

/// (org.id, year) of a report prefix.
pub(super) fn split_report_prefix(k: &[u8]) -> Option<(String, u32)> {
    let n = k.len().checked_sub(5)?;
    if k[n] != 0 || k[..n].contains(&0) {
        return None;
    }
    let org = std::str::from_utf8(&k[..n]).ok()?.to_string();
    let year = u32::from_be_bytes(k[n + 1..].try_into().ok()?);
    Some((org, year))
}

/// A revision key's report prefix, org.id and year; a corrupt-record error if it is not one.
pub(super) fn split_revision_key(k: &[u8]) -> Result<(&[u8], String, u32)> {
    let n = k
        .len()
        .checked_sub(4)
        .ok_or_else(|| corrupt(k, "short key"))?;
    let (org_id, year) =
        split_report_prefix(&k[..n]).ok_or_else(|| corrupt(k, "not a revision key"))?;
    Ok((&k[..n], org_id, year))
}

/// The smallest key after every key that starts with `prefix` followed by 4 bytes.
pub(super) fn after_report(prefix: &[u8]) -> Vec<u8> {
    let mut k = prefix.to_vec();
    k.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0x00]);
    k
}

/// The smallest key after every key of body `org_id` (org.id, NUL, then 8 bytes of year and
/// revision).
pub(super) fn after_body(org_id: &str) -> Vec<u8> {
    let mut k = org_id.as_bytes().to_vec();
    k.extend_from_slice(&[0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0]);
    k
}

/// A key for messages: NUL shown as `/`.
pub(super) fn printable_key(k: &[u8]) -> String {
    String::from_utf8_lossy(k).replace('\0', "/")
}
