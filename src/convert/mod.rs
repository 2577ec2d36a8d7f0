//! Between the wire ([`pb::Report`] and the other messages) and the library's types.
//!
//! Cells go through one table of proto fields ([`cells`]), compiled per edition against the
//! template: the proto's field names are the cell keys' segments, labels stay in the template.
//! Messages that mirror a library struct field for field ([`mirror`]: findings, explanations,
//! diffs) convert with `From`, both ways.

mod cells;

use rust_decimal::Decimal;

use crate::model::{
    parse_decimal, Cell, CellsBuilder, Narrative, Org, Report, Section, Subsection, Value,
};
use crate::pb;
use crate::template::{Edition, Kind};

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

fn section_from_pb(s: Option<&pb::Section>) -> Section {
    s.map(|s| Section {
        text: s.text.clone(),
        subsections: s
            .subsections
            .iter()
            .map(|x| Subsection {
                title: x.title.clone(),
                text: x.text.clone(),
            })
            .collect(),
    })
    .unwrap_or_default()
}

fn section_to_pb(s: &Section) -> Option<pb::Section> {
    (!s.is_empty()).then(|| pb::Section {
        text: s.text.clone(),
        subsections: s
            .subsections
            .iter()
            .map(|x| pb::Subsection {
                title: x.title.clone(),
                text: x.text.clone(),
            })
            .collect(),
    })
}

/// Reads a report from the wire. Checks shape and types only; the rules run on the result.
pub fn report_from_pb(p: &pb::Report) -> Result<Report, FieldError> {
    let (org, edition) = header_from_pb(p)?;
    refuse_other_editions_tables(p, edition)?;
    let cells = cells_from_pb(p, edition)?;
    let narrative = p
        .narrative
        .as_ref()
        .map(|n| Narrative {
            preamble: n.preamble.clone(),
            overview: section_from_pb(n.overview.as_ref()),
            problems: section_from_pb(n.problems.as_ref()),
            other: section_from_pb(n.other.as_ref()),
        })
        .unwrap_or_default();
    Ok(Report {
        org,
        year: p.year,
        edition,
        narrative,
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
    let org = Org {
        id: org.id.clone(),
        name: org.name.clone(),
    };
    Ok((org, edition_from_pb(p.edition, p.year)?))
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
    let n = &r.narrative;
    let mut p = pb::Report {
        org: Some(pb::Org {
            id: r.org.id.clone(),
            name: r.org.name.clone(),
        }),
        year: r.year,
        edition: pb::Edition::from(r.edition) as i32,
        narrative: (!n.is_empty()).then(|| pb::Narrative {
            preamble: n.preamble.clone(),
            overview: section_to_pb(&n.overview),
            problems: section_to_pb(&n.problems),
            other: section_to_pb(&n.other),
        }),
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

impl From<crate::rules::Severity> for pb::Severity {
    fn from(s: crate::rules::Severity) -> pb::Severity {
        match s {
            crate::rules::Severity::Error => pb::Severity::Error,
            crate::rules::Severity::Warning => pb::Severity::Warning,
        }
    }
}

/// A finding for the wire.
pub fn finding_to_pb(f: &crate::rules::Finding) -> pb::Finding {
    pb::Finding {
        rule: f.rule.clone(),
        severity: pb::Severity::from(f.severity) as i32,
        cells: f.cells.clone(),
        labels: f.labels.clone(),
        expected: f.expected.clone(),
        actual: f.actual.clone(),
        suggestion: f.suggestion.as_ref().map(|s| pb::Suggestion {
            candidates: s
                .candidates
                .iter()
                .map(|c| pb::Candidate {
                    cell: c.cell.clone(),
                    label: c.label.clone(),
                    value: c.value.clone(),
                })
                .collect(),
            message: s.message.clone(),
        }),
        message: f.message.clone(),
    }
}

/// A finding from the wire. An unknown or unspecified severity reads as a warning.
pub fn finding_from_pb(f: &pb::Finding) -> crate::rules::Finding {
    use crate::rules::{Candidate, Finding, Severity, Suggestion};
    Finding {
        rule: f.rule.clone(),
        severity: match pb::Severity::try_from(f.severity) {
            Ok(pb::Severity::Error) => Severity::Error,
            _ => Severity::Warning,
        },
        cells: f.cells.clone(),
        labels: f.labels.clone(),
        expected: f.expected.clone(),
        actual: f.actual.clone(),
        suggestion: f.suggestion.as_ref().map(|s| Suggestion {
            candidates: s
                .candidates
                .iter()
                .map(|c| Candidate {
                    cell: c.cell.clone(),
                    label: c.label.clone(),
                    value: c.value.clone(),
                })
                .collect(),
            message: s.message.clone(),
        }),
        message: f.message.clone(),
    }
}

/// A diff for the wire.
pub fn diff_to_pb(d: &crate::diff::Diff) -> pb::Diff {
    use crate::diff as df;
    let side = |s: &df::Side| pb::DiffSide {
        org_id: s.org_id.clone(),
        org_name: s.org_name.clone(),
        year: s.year,
        edition: s.edition,
        revision: s.revision,
        valid: s.valid,
        errors: s.errors as u32,
        warnings: s.warnings as u32,
        findings: s.findings.iter().map(finding_to_pb).collect(),
        explanations: s.explanations.iter().map(explanation_to_pb).collect(),
    };
    pb::Diff {
        old: Some(side(&d.old)),
        new: Some(side(&d.new)),
        tables: d
            .tables
            .iter()
            .map(|t| pb::TableDiff {
                table: t.table.clone(),
                heading: t.heading.clone(),
                cells: t
                    .cells
                    .iter()
                    .map(|c| pb::CellDiff {
                        key: c.key.clone(),
                        label: c.label.clone(),
                        old_cells: c.old_cells.clone(),
                        new_cells: c.new_cells.clone(),
                        old: c.old.clone(),
                        new: c.new.clone(),
                        delta: c.delta.clone(),
                        pct: c.pct.clone(),
                        changed: c.changed,
                    })
                    .collect(),
            })
            .collect(),
        not_comparable: d
            .not_comparable
            .iter()
            .map(|n| pb::NotComparable {
                side: n.side.clone(),
                cell: n.cell.clone(),
                label: n.label.clone(),
                value: n.value.clone(),
            })
            .collect(),
        narrative: d
            .narrative
            .iter()
            .map(|s| pb::SectionDiff {
                section: s.section.clone(),
                heading: s.heading.clone(),
                similarity: s.similarity,
                changes: s
                    .changes
                    .iter()
                    .map(|c| pb::TextChange {
                        op: c.op.clone(),
                        text: c.text.clone(),
                    })
                    .collect(),
            })
            .collect(),
        carry_over: d.carry_over.as_ref().map(|c| pb::CarryOver {
            ok: c.ok,
            columns: c
                .columns
                .iter()
                .map(|k| pb::CarryColumn {
                    previous_cell: k.previous_cell.clone(),
                    cell: k.cell.clone(),
                    label: k.label.clone(),
                    previous: k.previous.clone(),
                    carried: k.carried.clone(),
                    ok: k.ok,
                })
                .collect(),
        }),
    }
}

/// A diff from the wire.
pub fn diff_from_pb(d: &pb::Diff) -> crate::diff::Diff {
    use crate::diff as df;
    let side = |s: Option<&pb::DiffSide>| {
        let s = s.cloned().unwrap_or_default();
        df::Side {
            org_id: s.org_id,
            org_name: s.org_name,
            year: s.year,
            edition: s.edition,
            revision: s.revision,
            valid: s.valid,
            errors: s.errors as usize,
            warnings: s.warnings as usize,
            findings: s.findings.iter().map(finding_from_pb).collect(),
            explanations: s.explanations.iter().map(explanation_from_pb).collect(),
        }
    };
    df::Diff {
        old: side(d.old.as_ref()),
        new: side(d.new.as_ref()),
        tables: d
            .tables
            .iter()
            .map(|t| df::TableDiff {
                table: t.table.clone(),
                heading: t.heading.clone(),
                cells: t
                    .cells
                    .iter()
                    .map(|c| df::CellDiff {
                        key: c.key.clone(),
                        label: c.label.clone(),
                        old_cells: c.old_cells.clone(),
                        new_cells: c.new_cells.clone(),
                        old: c.old.clone(),
                        new: c.new.clone(),
                        delta: c.delta.clone(),
                        pct: c.pct.clone(),
                        changed: c.changed,
                    })
                    .collect(),
            })
            .collect(),
        not_comparable: d
            .not_comparable
            .iter()
            .map(|n| df::NotComparable {
                side: n.side.clone(),
                cell: n.cell.clone(),
                label: n.label.clone(),
                value: n.value.clone(),
            })
            .collect(),
        narrative: d
            .narrative
            .iter()
            .map(|s| df::SectionDiff {
                section: s.section.clone(),
                heading: s.heading.clone(),
                similarity: s.similarity,
                changes: s
                    .changes
                    .iter()
                    .map(|c| df::TextChange {
                        op: c.op.clone(),
                        text: c.text.clone(),
                    })
                    .collect(),
            })
            .collect(),
        carry_over: d.carry_over.as_ref().map(|c| df::CarryOver {
            ok: c.ok,
            columns: c
                .columns
                .iter()
                .map(|k| df::CarryColumn {
                    previous_cell: k.previous_cell.clone(),
                    cell: k.cell.clone(),
                    label: k.label.clone(),
                    previous: k.previous.clone(),
                    carried: k.carried.clone(),
                    ok: k.ok,
                })
                .collect(),
        }),
    }
}

/// An explanation for the wire.
pub fn explanation_to_pb(e: &crate::crossyear::Explanation) -> pb::Explanation {
    pb::Explanation {
        rule: e.rule.clone(),
        text: e.text.clone(),
    }
}

/// An explanation from the wire.
pub fn explanation_from_pb(e: &pb::Explanation) -> crate::crossyear::Explanation {
    crate::crossyear::Explanation {
        rule: e.rule.clone(),
        text: e.text.clone(),
    }
}
