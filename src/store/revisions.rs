//! Writing and reading the revisions of reports.

use std::time::SystemTime;

use prost::Message;

use super::chain;
use super::flush::Flusher;
use super::keys::{
    after_body, after_report, report_prefix, revision_key, split_report_prefix, split_revision_key,
};
use super::log::{EntryKind, LogHead};
use super::record::{
    from_micros, micros, split_record, Meta, MetaOnly, Record, StoredCrossYear, StoredExplanation,
    StoredFinding, StoredSource,
};
use super::{corrupt, Result, Store, StoreError, STRIPES};
use crate::rules::Finding;
use crate::template::Edition;

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
    /// What the rules found besides errors (the report was admitted with them).
    pub warnings: Vec<Finding>,
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
    /// Cells not read as printed by the importer.
    pub provenance: Vec<crate::provenance::CellSource>,
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
    pub warnings: Vec<Finding>,
    /// The canonical encoding of the report (empty when read as metadata only).
    pub report: Vec<u8>,
    /// The id of the token that submitted it ("" before tokens existed).
    pub submitted_by: String,
    /// The previous revision's chain hash ([`chain::GENESIS`] for revision 1), or that of
    /// the last review of it when it was reviewed.
    pub previous_hash: [u8; 32],
    /// This revision's chain hash.
    pub chain_hash: [u8; 32],
    /// Explanations of warnings: (rule, text).
    pub explanations: Vec<(String, String)>,
    /// The revision of last year's report the cross-year check ran against; `None` when
    /// there was none (no check).
    pub cross_year_previous: Option<u32>,
    /// Cells not read as printed by the importer.
    pub provenance: Vec<crate::provenance::CellSource>,
}

/// The outcome of [`Store::submit`].
#[derive(Debug, Clone)]
pub struct Submitted {
    pub revision: Revision,
    /// False when the content equalled the latest revision, which is returned unchanged.
    pub created: bool,
    /// The log head after the flush that made it durable (it covers the revision).
    pub head: LogHead,
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

/// A stored value as a [`Revision`]; with `full`, including the report bytes.
pub(super) fn to_revision(key: &[u8], value: &[u8], full: bool) -> Result<Revision> {
    let (meta, report) = if full {
        let r = Record::decode(value).map_err(|e| corrupt(key, e.to_string()))?;
        (r.meta, r.report)
    } else {
        let m = MetaOnly::decode(value).map_err(|e| corrupt(key, e.to_string()))?;
        (m.meta, Vec::new())
    };
    let meta = meta.ok_or_else(|| corrupt(key, "no metadata"))?;
    let (_, org_id, year) = split_revision_key(key)?;
    from_meta(key, org_id, year, meta, report)
}

/// A revision of report (`org_id`, `year`) from its metadata and report bytes, as read back
/// or as just written; `key` names it in errors.
fn from_meta(
    key: &[u8],
    org_id: String,
    year: u32,
    meta: Meta,
    report: Vec<u8>,
) -> Result<Revision> {
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
        warnings: meta.warnings.into_iter().map(Finding::from).collect(),
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
        provenance: meta
            .provenance
            .into_iter()
            .filter_map(StoredSource::read)
            .collect(),
    })
}

impl Store {
    /// Stores `new` as the next revision of its report, or returns the latest revision when
    /// its content is identical. Returns once the revision is on disk.
    pub async fn submit(&self, new: NewRevision) -> Result<Submitted> {
        let (mut submitted, ticket) = {
            let open = self.inner.open.read().unwrap_or_else(|p| p.into_inner());
            if !*open {
                return Err(StoreError::Closed);
            }
            (self.write(new)?, self.inner.flusher.ticket()?)
        };
        // Even an identical resubmission waits: the revision it returns may have been
        // written by a concurrent call whose flush has not completed yet.
        submitted.head = Flusher::wait(ticket).await?;
        Ok(submitted)
    }

    pub(super) fn stripe(&self, org_id: &str, year: u32) -> std::sync::MutexGuard<'_, ()> {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (org_id, year).hash(&mut h);
        let m = &self.inner.stripes[(h.finish() as usize) % STRIPES];
        // Guards no data of its own: a poisoned lock is still a valid lock.
        m.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The latest revision of a report: key and value.
    pub(super) fn last(&self, prefix: &[u8]) -> Result<Option<(sled::IVec, sled::IVec)>> {
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
                    head: LogHead::empty(),
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
        // The link follows the report's last event (its latest revision, or the last review
        // of it: `reviews`), and comes after it in time.
        let (previous_hash, after) = match &latest {
            Some((_, r)) => self.chain_tip(&prefix, r)?,
            None => (chain::GENESIS, i64::MIN),
        };
        let at = micros(SystemTime::now()).max(after.saturating_add(1));
        let meta = Meta {
            revision,
            submission_id: uuid::Uuid::now_v7().to_string(),
            submitted_at_us: at,
            reason: new.reason,
            content_hash: new.content_hash.to_vec(),
            warnings: new.warnings.iter().map(StoredFinding::from).collect(),
            org_name: new.org_name,
            edition: new.edition.number(),
            previous_hash: previous_hash.to_vec(),
            chain_hash: chain::ZERO_LINK.to_vec(),
            submitted_by: new.submitted_by,
            explanations: new
                .explanations
                .into_iter()
                .map(|(rule, text)| StoredExplanation { rule, text })
                .collect(),
            cross_year: new
                .cross_year_previous
                .map(|previous_revision| StoredCrossYear { previous_revision }),
            provenance: new.provenance.iter().map(StoredSource::from).collect(),
        };
        let mut record = Record {
            meta: Some(meta),
            report: new.report,
            cells: new.cells,
        };
        let chain_hash = chain::record_chain_hash(&new.org_id, new.year, &record);
        if let Some(m) = record.meta.as_mut() {
            m.chain_hash = chain_hash.to_vec();
        }
        let key = revision_key(&new.org_id, new.year, revision)?;
        self.writable()?;
        // One insert (not a batch: see the module docs); the key is new, so it never replaces.
        // Then its log entry, still under the report's lock, so the log has a report's
        // revisions in order.
        let value = record.encode_to_vec();
        self.inner
            .revisions
            .insert(key.as_slice(), value.as_slice())?;
        self.log_write(EntryKind::Revision, &new.org_id, new.year, revision, &value)?;
        let Record { meta, report, .. } = record;
        let meta = meta.ok_or_else(|| corrupt(&key, "no metadata"))?;
        Ok(Submitted {
            revision: from_meta(&key, new.org_id, new.year, meta, report)?,
            created: true,
            head: LogHead::empty(),
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
            let (report, org_id, y) = split_revision_key(&k)?;
            match year {
                Some(want) if y < want => {
                    // Jump to this body's wanted year.
                    start = report_prefix(&org_id, want)?;
                    continue;
                }
                Some(want) if y > want => {
                    // Past it: on to the next body.
                    start = after_body(&org_id);
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
            let (_, org_id, y) = split_revision_key(&k)?;
            if y < year {
                start = report_prefix(&org_id, year)?;
                continue;
            }
            // Past the year (or at it): the next body starts after every key of this one.
            let next_body = after_body(&org_id);
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
