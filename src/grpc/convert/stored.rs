//! A stored revision read back: its canonical report as the wire message, as the model, or
//! only its cell values. Whatever does not read back is the one [`corrupt`] error of that
//! revision.

use prost::Message;

use super::{canonical_values, report_from_pb};
use crate::model::{Report, Value};
use crate::pb;
use crate::store::{Revision, StoreError};
use crate::template::Edition;

/// The store's error for a revision whose record does not read back.
pub fn corrupt(r: &Revision, detail: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt {
        key: format!("{}/{}/{}", r.org_id, r.year, r.revision),
        detail: detail.to_string(),
    }
}

/// The report of a revision read with its report, as the wire message.
pub fn stored_pb(r: &Revision) -> Result<pb::Report, StoreError> {
    pb::Report::decode(r.report.as_slice()).map_err(|e| corrupt(r, e))
}

/// The report of a revision read with its report, in the model.
pub fn stored_report(r: &Revision) -> Result<Report, StoreError> {
    report_from_pb(&stored_pb(r)?).map_err(|e| corrupt(r, e))
}

/// A stored report's tables (the narrative is skipped when decoding: it is never copied).
#[derive(Clone, PartialEq, Message)]
struct ReportTables {
    #[prost(message, optional, tag = "1")]
    org: Option<pb::Org>,
    #[prost(uint32, tag = "2")]
    year: u32,
    #[prost(enumeration = "pb::Edition", tag = "3")]
    edition: i32,
    #[prost(oneof = "pb::report::Table2", tags = "5, 6")]
    table2: Option<pb::report::Table2>,
    #[prost(message, optional, tag = "7")]
    table3: Option<pb::Table3>,
    #[prost(message, optional, tag = "8")]
    table4: Option<pb::Table4>,
}

/// The cell values of a stored report (canonical form), in template order: the fast path
/// of roll-up and export. `meta` is the revision read as metadata, `bytes` its report and
/// `cells` its packed values (empty when the revision has none).
pub fn stored_values(
    meta: &Revision,
    bytes: &[u8],
    cells: &[u8],
) -> Result<(Edition, Vec<Value>), StoreError> {
    if let Some(edition) = meta.edition {
        if let Some(values) = crate::packed::unpack(edition, cells) {
            return Ok((edition, values));
        }
    }
    let t = ReportTables::decode(bytes).map_err(|e| corrupt(meta, e))?;
    let p = pb::Report {
        org: None,
        year: t.year,
        edition: t.edition,
        narrative: None,
        table2: t.table2,
        table3: t.table3,
        table4: t.table4,
    };
    canonical_values(&p).map_err(|e| corrupt(meta, e))
}
