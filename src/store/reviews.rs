//! Reviews: the county office's decision on a filed revision — accepted, or returned with a
//! reason and the cells it concerns (退回修改).
//!
//! # Layout
//!
//! One sled tree, `reviews`, one key per review, numbered per report 1, 2, 3, …:
//!
//! ```text
//! org.id  \0  year (u32, big-endian)  review number (u32, big-endian)   →   ReviewRecord
//! ```
//!
//! A review is at once the state change and its event: one insert of a new key (never a
//! batch, see [`super`]), then its store-log entry (`EntryKind::Review`, with the review
//! number), under the report's stripe lock, so a review and a concurrent submission of the
//! same report are serialised. It is acknowledged after the group flush, as a submission.
//!
//! # States
//!
//! A report's state is derived from what is stored: `filed` when no review names its latest
//! revision, else the decision of the last review of the latest revision. A new revision
//! (after `returned`, or an amendment after `accepted`) is `filed` again: accepting revision
//! 2 says nothing about revision 3. A review names the revision it read; a review of a
//! revision that is no longer the latest fails ([`StoreError::Stale`]).
//!
//! # The chain
//!
//! Reviews are links of the report's hash chain ([`super::chain`]): a review links to the
//! event before it (the revision it reviews, or an earlier review of that revision), and the
//! next revision links to the last review before it. Its chain hash is
//!
//! ```text
//! chain_hash = SHA-256("gx.review.v1\n" str(org_id) u32(year)
//!                      bytes(the stored record, with its chain hash set to 32 zero bytes))
//! ```
//!
//! The record holds the reviewed revision's number and chain hash, so a review cannot be
//! moved to other content.

use std::time::SystemTime;

use prost::Message;

use super::flush::Flusher;
use super::keys::{report_prefix, revision_key, split_revision_key};
use super::log::LogHead;
use super::record::{from_micros, micros};
use super::revisions::{to_revision, Revision};
use super::{chain, corrupt, Result, Store, StoreError};

/// What a review decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decision {
    /// Accepted (审核通过): the revision named, and only it.
    Accepted = 1,
    /// Returned for amendment (退回修改), with a reason.
    Returned = 2,
}

impl Decision {
    /// The decision of a stored number, if it is one.
    pub fn from_number(n: u32) -> Option<Decision> {
        [Decision::Accepted, Decision::Returned]
            .into_iter()
            .find(|d| *d as u32 == n)
    }

    /// `accepted`, `returned`.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Accepted => "accepted",
            Decision::Returned => "returned",
        }
    }
}

/// Where a report stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// A revision was stored and no review names it.
    Filed,
    Accepted,
    Returned,
}

impl State {
    /// Every state, in the order of the declaration.
    pub const ALL: [State; 3] = [State::Filed, State::Accepted, State::Returned];

    /// `filed`, `accepted`, `returned`.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Filed => "filed",
            State::Accepted => "accepted",
            State::Returned => "returned",
        }
    }

    /// The state named `s` ([`State::as_str`]).
    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

impl From<Decision> for State {
    fn from(d: Decision) -> State {
        match d {
            Decision::Accepted => State::Accepted,
            Decision::Returned => State::Returned,
        }
    }
}

/// A cell a return concerns, with what to fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellNote {
    /// The cell key, e.g. `t3.new.total`.
    pub cell: String,
    /// What to fix, e.g. 「应与正文一致」.
    pub note: String,
}

/// A review to store.
#[derive(Debug, Clone)]
pub struct NewReview {
    pub org_id: String,
    pub year: u32,
    /// The revision the reviewer read: it must still be the latest.
    pub revision: u32,
    pub decision: Decision,
    /// Why it is returned (required for returns; may be empty for acceptances).
    pub reason: String,
    /// The cells a return concerns.
    pub cells: Vec<CellNote>,
    /// The id of the reviewer's token.
    pub reviewed_by: String,
}

/// A stored review.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredReview {
    pub org_id: String,
    pub year: u32,
    /// 1, 2, 3, … per report.
    pub number: u32,
    /// The revision reviewed.
    pub revision: u32,
    pub decision: Decision,
    pub reason: String,
    pub cells: Vec<CellNote>,
    pub reviewed_by: String,
    pub reviewed_at: SystemTime,
    /// The chain hash of the revision reviewed.
    pub revision_hash: [u8; 32],
    /// The chain hash of the event before it (the revision, or an earlier review of it).
    pub previous_hash: [u8; 32],
    pub chain_hash: [u8; 32],
}

/// Where a report stands, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct FilingState {
    pub state: State,
    /// The latest revision.
    pub revision: u32,
    /// The last review of the latest revision, if any (what made the state).
    pub review: Option<StoredReview>,
}

/// The outcome of [`Store::review`].
#[derive(Debug, Clone)]
pub struct Reviewed {
    pub review: StoredReview,
    /// The log head after the flush that made it durable.
    pub head: LogHead,
}

/// A review as stored. Field numbers are the on-disk format.
#[derive(Clone, PartialEq, Message)]
pub(super) struct ReviewRecord {
    #[prost(uint32, tag = "1")]
    pub(super) number: u32,
    #[prost(uint32, tag = "2")]
    pub(super) revision: u32,
    /// [`Decision`].
    #[prost(uint32, tag = "3")]
    pub(super) decision: u32,
    #[prost(string, tag = "4")]
    pub(super) reason: String,
    #[prost(message, repeated, tag = "5")]
    pub(super) cells: Vec<StoredCellNote>,
    #[prost(string, tag = "6")]
    pub(super) reviewed_by: String,
    #[prost(int64, tag = "7")]
    pub(super) reviewed_at_us: i64,
    #[prost(bytes = "vec", tag = "8")]
    pub(super) revision_hash: Vec<u8>,
    #[prost(bytes = "vec", tag = "9")]
    pub(super) previous_hash: Vec<u8>,
    #[prost(bytes = "vec", tag = "10")]
    pub(super) chain_hash: Vec<u8>,
}

#[derive(Clone, PartialEq, Message)]
pub(super) struct StoredCellNote {
    #[prost(string, tag = "1")]
    pub(super) cell: String,
    #[prost(string, tag = "2")]
    pub(super) note: String,
}

const DOMAIN: &[u8] = b"gx.review.v1\n";

/// The chain hash of a review record (its own chain hash taken as zeros).
pub(super) fn review_chain_hash(org_id: &str, year: u32, record: &ReviewRecord) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut r = record.clone();
    r.chain_hash = chain::ZERO_LINK.to_vec();
    let bytes = r.encode_to_vec();
    let mut h = Sha256::new();
    h.update(DOMAIN);
    h.update((org_id.len() as u64).to_be_bytes());
    h.update(org_id.as_bytes());
    h.update(year.to_be_bytes());
    h.update((bytes.len() as u64).to_be_bytes());
    h.update(&bytes);
    h.finalize().into()
}

/// A stored review from its key and value.
pub(super) fn to_review(key: &[u8], value: &[u8]) -> Result<StoredReview> {
    let r = ReviewRecord::decode(value).map_err(|e| corrupt(key, e.to_string()))?;
    let (_, org_id, year) = split_revision_key(key)?;
    from_record(key, org_id, year, r)
}

fn from_record(key: &[u8], org_id: String, year: u32, r: ReviewRecord) -> Result<StoredReview> {
    let hash = |what: &str, v: &[u8]| -> Result<[u8; 32]> {
        v.try_into()
            .map_err(|_| corrupt(key, format!("{what} of {} bytes", v.len())))
    };
    Ok(StoredReview {
        decision: Decision::from_number(r.decision)
            .ok_or_else(|| corrupt(key, format!("unknown decision {}", r.decision)))?,
        revision_hash: hash("revision hash", &r.revision_hash)?,
        previous_hash: hash("previous hash", &r.previous_hash)?,
        chain_hash: hash("chain hash", &r.chain_hash)?,
        org_id,
        year,
        number: r.number,
        revision: r.revision,
        reason: r.reason,
        cells: r
            .cells
            .into_iter()
            .map(|c| CellNote {
                cell: c.cell,
                note: c.note,
            })
            .collect(),
        reviewed_by: r.reviewed_by,
        reviewed_at: from_micros(r.reviewed_at_us),
    })
}

impl Store {
    /// Stores a review of the latest revision of its report. Fails with
    /// [`StoreError::Stale`] when `new.revision` is not the latest (or there is none).
    /// Returns once the review is on disk.
    pub async fn review(&self, new: NewReview) -> Result<Reviewed> {
        let (review, ticket) = {
            let open = self.inner.open.read().unwrap_or_else(|p| p.into_inner());
            if !*open {
                return Err(StoreError::Closed);
            }
            (self.write_review(new)?, self.inner.flusher.ticket()?)
        };
        let head = Flusher::wait(ticket).await?;
        Ok(Reviewed { review, head })
    }

    /// The last review of a report: key and value.
    fn last_review(&self, prefix: &[u8]) -> Result<Option<(sled::IVec, sled::IVec)>> {
        Ok(self
            .inner
            .reviews
            .scan_prefix(prefix)
            .next_back()
            .transpose()?)
    }

    /// The chain hash and time (µs) the next event of a report follows: the last review when
    /// it reviews `latest`, else `latest` itself.
    pub(super) fn chain_tip(&self, prefix: &[u8], latest: &Revision) -> Result<([u8; 32], i64)> {
        if let Some((k, v)) = self.last_review(prefix)? {
            let r = to_review(&k, &v)?;
            if r.revision == latest.revision {
                return Ok((r.chain_hash, micros(r.reviewed_at)));
            }
        }
        Ok((latest.chain_hash, micros(latest.submitted_at)))
    }

    /// The write half of `review`, under the report's lock.
    fn write_review(&self, new: NewReview) -> Result<StoredReview> {
        let prefix = report_prefix(&new.org_id, new.year)?;
        let _guard = self.stripe(&new.org_id, new.year);
        let latest = match self.last(&prefix)? {
            Some((k, v)) => to_revision(&k, &v, false)?,
            None => {
                return Err(StoreError::Stale {
                    reviewed: new.revision,
                    current: 0,
                })
            }
        };
        if latest.revision != new.revision {
            return Err(StoreError::Stale {
                reviewed: new.revision,
                current: latest.revision,
            });
        }
        let number = match self.last_review(&prefix)? {
            Some((k, _)) => review_number(&k)?
                .checked_add(1)
                .ok_or(StoreError::TooManyRevisions)?,
            None => 1,
        };
        let (previous, after) = self.chain_tip(&prefix, &latest)?;
        let mut record = ReviewRecord {
            number,
            revision: latest.revision,
            decision: new.decision as u32,
            reason: new.reason,
            cells: new
                .cells
                .into_iter()
                .map(|c| StoredCellNote {
                    cell: c.cell,
                    note: c.note,
                })
                .collect(),
            reviewed_by: new.reviewed_by,
            // Events of a report are strictly ordered in time.
            reviewed_at_us: micros(SystemTime::now()).max(after.saturating_add(1)),
            revision_hash: latest.chain_hash.to_vec(),
            previous_hash: previous.to_vec(),
            chain_hash: chain::ZERO_LINK.to_vec(),
        };
        record.chain_hash = review_chain_hash(&new.org_id, new.year, &record).to_vec();
        let key = revision_key(&new.org_id, new.year, number)?;
        self.writable()?;
        let value = record.encode_to_vec();
        self.inner
            .reviews
            .insert(key.as_slice(), value.as_slice())?;
        self.log_review(&new.org_id, new.year, latest.revision, number, &value)?;
        from_record(&key, new.org_id, new.year, record)
    }

    /// Every review of a report, oldest first; empty if there is none.
    pub fn reviews(&self, org_id: &str, year: u32) -> Result<Vec<StoredReview>> {
        let prefix = report_prefix(org_id, year)?;
        self.inner
            .reviews
            .scan_prefix(&prefix)
            .map(|kv| {
                let (k, v) = kv?;
                to_review(&k, &v)
            })
            .collect()
    }

    /// Review `number` of a report (one read; what the log's review entries name).
    pub fn review_by_number(
        &self,
        org_id: &str,
        year: u32,
        number: u32,
    ) -> Result<Option<StoredReview>> {
        let key = revision_key(org_id, year, number)?;
        match self.inner.reviews.get(&key)? {
            Some(v) => Ok(Some(to_review(&key, &v)?)),
            None => Ok(None),
        }
    }

    /// Where a report stands: `None` when nothing was filed.
    pub fn filing_state(&self, org_id: &str, year: u32) -> Result<Option<FilingState>> {
        let prefix = report_prefix(org_id, year)?;
        let Some((k, _)) = self.last(&prefix)? else {
            return Ok(None);
        };
        let revision = review_number(&k)?;
        Ok(Some(self.state_of(&prefix, revision)?))
    }

    /// Where one revision of a report stands: the decision of the last review naming it,
    /// else [`State::Filed`]. Reads only the reviews from the newest back to it.
    pub fn revision_state(&self, org_id: &str, year: u32, revision: u32) -> Result<State> {
        let prefix = report_prefix(org_id, year)?;
        for kv in self.inner.reviews.scan_prefix(&prefix).rev() {
            let (k, v) = kv?;
            let r = to_review(&k, &v)?;
            if r.revision == revision {
                return Ok(r.decision.into());
            }
            if r.revision < revision {
                break;
            }
        }
        Ok(State::Filed)
    }

    /// The state of a report whose latest revision is `revision`.
    pub(super) fn state_of(&self, prefix: &[u8], revision: u32) -> Result<FilingState> {
        let review = match self.last_review(prefix)? {
            Some((k, v)) => Some(to_review(&k, &v)?).filter(|r| r.revision == revision),
            None => None,
        };
        Ok(FilingState {
            state: review.as_ref().map_or(State::Filed, |r| r.decision.into()),
            revision,
            review,
        })
    }
}

/// The number at the end of a revision or review key.
fn review_number(k: &[u8]) -> Result<u32> {
    let n = k.len().saturating_sub(4);
    Ok(u32::from_be_bytes(
        k[n..].try_into().map_err(|_| corrupt(k, "short key"))?,
    ))
}
