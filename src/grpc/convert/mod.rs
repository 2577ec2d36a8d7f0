//! Between the wire ([`pb::Report`] and the other messages) and the library's types.
//!
//! Cells go through one table of proto fields (`cells.rs`), compiled per edition against the
//! template: the proto's field names are the cell keys' segments, labels stay in the template.
//! Messages that mirror a library struct field for field (`mirror.rs`: findings, explanations,
//! diffs, the narrative) convert with `From`, both ways. The store's records (revisions, bodies,
//! tokens, chain breaks) and the small enums go out in `records.rs`; a stored revision reads
//! back through `stored.rs`, the one place that calls a record that does not read corrupt.

mod cells;
mod mirror;
mod records;
mod reviews;
#[cfg(test)]
mod store_wire;
mod stored;

use rust_decimal::Decimal;

use crate::model::{parse_decimal, Cell, CellsBuilder, Org, Report, Value};
use crate::pb;
use crate::template::{Edition, Kind};
use mirror::Wire;

pub use records::{
    body_to_pb, break_from_pb, break_to_pb, cross_year_pb, explanations_pb, level_from_pb,
    log_head_from_pb, log_head_pb, provenance_from_pb, revision_info, rfc3339, role_from_pb,
    system_time, timestamp, token_info, UnknownBreakKind,
};
pub use reviews::{cell_notes, decision_from_pb, decision_pb, review_pb, revision_state, state_pb};
pub use stored::{corrupt, stored_pb, stored_report, stored_values};

/// A request field that is missing, malformed or out of range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    /// The field: a cell key (`t3.new.natural`) or a proto field path (`org.id`).
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl From<Edition> for pb::Edition {
    fn from(e: Edition) -> pb::Edition {
        match e {
            Edition::E2019 => pb::Edition::Edition2019,
            Edition::E2021 => pb::Edition::Edition2021,
        }
    }
}

/// The edition a request names: explicit, or the one in force for the year when unspecified.
pub fn edition_from_pb(edition: i32, year: u32) -> Result<Edition, FieldError> {
    match pb::Edition::try_from(edition) {
        Ok(pb::Edition::Edition2019) => Ok(Edition::E2019),
        Ok(pb::Edition::Edition2021) => Ok(Edition::E2021),
        Ok(pb::Edition::Unspecified) => Ok(Edition::for_year(year)),
        Err(_) => Err(FieldError::new(
            "edition",
            format!("unknown edition {edition}; expected 2019 or 2021"),
        )),
    }
}

fn cell_from_pb(key: &str, kind: Kind, c: &pb::Cell) -> Result<Cell, FieldError> {
    use pb::cell::Value as V;
    let value = match (&c.value, kind) {
        (None, _) => Value::Blank,
        (Some(V::NotApplicable(_)), _) => Value::NotApplicable,
        (Some(V::Count(n)), _) if n.unsigned_abs() >= 1_000_000_000_000_000_000 => {
            return Err(FieldError::new(
                key,
                format!("{n} is too large (at most 18 digits)"),
            ))
        }
        (Some(V::Count(n)), Kind::Amount) => Value::Amount(Decimal::from(*n)),
        (Some(V::Count(n)), _) => Value::Int(*n),
        (Some(V::Amount(s)), Kind::Amount) => {
            Value::Amount(parse_decimal(s.trim()).map_err(|e| FieldError::new(key, e.to_string()))?)
        }
        (Some(V::Amount(s)), _) => {
            return Err(FieldError::new(
                key,
                format!("expected a whole number (field `count`), found amount {s:?}"),
            ))
        }
    };
    let raw = (!c.raw.is_empty()).then(|| c.raw.clone());
    Ok(Cell { value, raw })
}

/// Blank cells are sent as an empty `Cell`; only rows absent from the layout are left out.
fn cell_to_pb(cell: &Cell) -> Option<pb::Cell> {
    use pb::cell::Value as V;
    let value = match cell.value {
        Value::Absent => return None,
        Value::Blank => None,
        Value::NotApplicable => Some(V::NotApplicable(pb::NotApplicable {})),
        Value::Int(n) => Some(V::Count(n)),
        Value::Amount(d) => Some(V::Amount(d.to_string())),
    };
    Some(pb::Cell {
        value,
        raw: cell.raw.clone().unwrap_or_default(),
    })
}

/// Reads a report from the wire. Checks shape and types only; the rules run on the result.
pub fn report_from_pb(p: &pb::Report) -> Result<Report, FieldError> {
    let (org, edition) = header_from_pb(p)?;
    refuse_other_editions_tables(p, edition)?;
    let cells = cells_from_pb(p, edition)?;
    Ok(Report {
        org,
        year: p.year,
        edition,
        narrative: p.narrative.wire(),
        cells,
    })
}

/// The body, the year and the edition, all required.
fn header_from_pb(p: &pb::Report) -> Result<(Org, Edition), FieldError> {
    let org = p.org.as_ref().ok_or_else(|| {
        FieldError::new("org", "required: the reporting body (org.id and org.name)")
    })?;
    if org.id.trim().is_empty() {
        return Err(FieldError::new(
            "org.id",
            "required: the reporting body's code",
        ));
    }
    if p.year == 0 {
        return Err(FieldError::new(
            "year",
            "required: the year the report covers, e.g. 2020",
        ));
    }
    Ok((Org::from(org), edition_from_pb(p.edition, p.year)?))
}

/// Refuses a table message of another edition (table 2 has one per edition).
fn refuse_other_editions_tables(p: &pb::Report, edition: Edition) -> Result<(), FieldError> {
    let ours = cells::tables(edition);
    for other in Edition::ALL.into_iter().filter(|e| *e != edition) {
        for table in cells::tables(other) {
            if ours.iter().any(|t| std::ptr::eq(*t, table)) || !(table.given)(p) {
                continue;
            }
            let instead = ours.iter().find(|t| t.number == table.number);
            return Err(FieldError::new(
                table.field,
                format!(
                    "a {other}-edition table {} in a {edition}-edition report; use {}",
                    table.number,
                    instead.map_or("", |t| t.field)
                ),
            ));
        }
    }
    Ok(())
}

/// Places every given cell; a cell of no template of the edition is refused.
fn cells_from_pb(p: &pb::Report, edition: Edition) -> Result<Vec<Cell>, FieldError> {
    let t = edition.template();
    let mut builder = CellsBuilder::new(edition);
    cells::layout(edition).each_given(p, |cell, given| {
        let Some(ix) = cell.ix else {
            return Err(FieldError::new(
                &cell.key,
                format!(
                    "no such cell in the {edition} edition; the table's shape is not of its edition"
                ),
            ));
        };
        let value = cell_from_pb(&cell.key, t.cell(ix).kind(), given)?;
        builder
            .set(&cell.key, value)
            .map_err(|e| FieldError::new(&cell.key, e.to_string()))
    })?;
    builder
        .finish()
        .map_err(|e| FieldError::new("table3", e.to_string()))
}

/// Writes a report for the wire.
pub fn report_to_pb(r: &Report) -> pb::Report {
    let mut p = pb::Report {
        org: Some(pb::Org::from(&r.org)),
        year: r.year,
        edition: pb::Edition::from(r.edition) as i32,
        narrative: r.narrative.wire(),
        table2: None,
        table3: None,
        table4: None,
    };
    cells::layout(r.edition).write(&mut p, |ix| cell_to_pb(r.cell(ix)));
    p
}

/// The cell values of a report **in its canonical stored form** (as gxd stores it:
/// [`report_to_pb`] of a model report), in template order, read directly — no builder, no
/// key lookups: for reading many stored reports fast (roll-up, export). A cell that is not
/// given is absent (the canonical form gives every blank cell explicitly). Not for reports
/// from clients: use [`report_from_pb`], which checks their shape.
pub fn canonical_values(p: &pb::Report) -> Result<(Edition, Vec<Value>), FieldError> {
    let edition = edition_from_pb(p.edition, p.year)?;
    let t = edition.template();
    let mut values = vec![Value::Absent; t.cells.len()];
    cells::layout(edition).each_given(p, |cell, given| {
        let Some(ix) = cell.ix else {
            return Err(FieldError::new(
                &cell.key,
                format!("no such cell in the {edition} edition"),
            ));
        };
        values[ix as usize] = cell_from_pb(&cell.key, t.cell(ix).kind(), given)?.value;
        Ok(())
    })?;
    Ok((edition, values))
}
