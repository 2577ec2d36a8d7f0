//! Between the wire ([`pb::Report`]) and the library's [`Report`].
//!
//! The proto's field names are the cell keys' segments, so the mapping below only lists field
//! names; labels stay in the template. `tests` checks that every template cell has a proto
//! field and the other way round.

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

struct Reader {
    builder: CellsBuilder,
}

impl Reader {
    fn put(&mut self, key: &str, c: Option<&pb::Cell>) -> Result<(), FieldError> {
        let Some(c) = c else { return Ok(()) };
        let t = self.builder.template();
        let Some(ix) = t.ix(key) else {
            return Err(FieldError::new(
                key,
                format!(
                    "no such cell in the {} edition; the table's shape is not of its edition",
                    t.edition
                ),
            ));
        };
        let cell = cell_from_pb(key, t.cell(ix).kind(), c)?;
        self.builder
            .set(key, cell)
            .map_err(|e| FieldError::new(key, e.to_string()))
    }
}

macro_rules! read_row {
    ($rd:expr, $row:expr, $prefix:expr, [$($col:ident),*]) => {
        if let Some(r) = $row.as_ref() {
            $( $rd.put(concat!($prefix, ".", stringify!($col)), r.$col.as_ref())?; )*
        }
    };
}

macro_rules! t3_rows {
    ($m:ident) => {
        $m!(
            new,
            carried,
            granted,
            partial,
            deny_state_secret,
            deny_law_forbidden,
            deny_safety_stability,
            deny_third_party,
            deny_internal,
            deny_process,
            deny_enforcement,
            deny_query,
            unable_not_held,
            unable_needs_making,
            unable_unclear,
            reject_petition,
            reject_repeat,
            reject_publication,
            reject_massive,
            reject_confirm,
            other,
            other_no_correction,
            other_fee_unpaid,
            other_other,
            results_total,
            forward
        )
    };
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
    let edition = edition_from_pb(p.edition, p.year)?;
    let mut rd = Reader {
        builder: CellsBuilder::new(edition),
    };
    use pb::report::Table2;
    match (&p.table2, edition) {
        (None, _) => {}
        (Some(Table2::Table22019(t)), Edition::E2019) => {
            read_row!(
                rd,
                t.regulations,
                "t2.regulations",
                [made, published, total_public]
            );
            read_row!(
                rd,
                t.normative_docs,
                "t2.normative_docs",
                [made, published, total_public]
            );
            read_row!(
                rd,
                t.licensing,
                "t2.licensing",
                [prev_items, change, decisions]
            );
            read_row!(
                rd,
                t.other_mgmt_services,
                "t2.other_mgmt_services",
                [prev_items, change, decisions]
            );
            read_row!(
                rd,
                t.punishment,
                "t2.punishment",
                [prev_items, change, decisions]
            );
            read_row!(
                rd,
                t.coercion,
                "t2.coercion",
                [prev_items, change, decisions]
            );
            read_row!(rd, t.admin_fees, "t2.admin_fees", [prev_items, change]);
            read_row!(
                rd,
                t.central_procurement,
                "t2.central_procurement",
                [projects, amount]
            );
        }
        (Some(Table2::Table22021(t)), Edition::E2021) => {
            read_row!(
                rd,
                t.regulations,
                "t2.regulations",
                [issued, repealed, in_force]
            );
            read_row!(
                rd,
                t.normative_docs,
                "t2.normative_docs",
                [issued, repealed, in_force]
            );
            read_row!(rd, t.licensing, "t2.licensing", [decisions]);
            read_row!(rd, t.punishment, "t2.punishment", [decisions]);
            read_row!(rd, t.coercion, "t2.coercion", [decisions]);
            read_row!(rd, t.admin_fees, "t2.admin_fees", [amount]);
        }
        (Some(Table2::Table22019(_)), e) => {
            return Err(FieldError::new(
                "table2_2019",
                format!("a 2019-edition table 2 in a {e}-edition report; use table2_2021"),
            ))
        }
        (Some(Table2::Table22021(_)), e) => {
            return Err(FieldError::new(
                "table2_2021",
                format!("a 2021-edition table 2 in a {e}-edition report; use table2_2019"),
            ))
        }
    }
    if let Some(t3) = &p.table3 {
        macro_rules! read_t3 {
            ($($row:ident),*) => { $( read_row!(rd, t3.$row, concat!("t3.", stringify!($row)), [natural, commercial, research, nonprofit, legal_svc, other_org, total]); )* };
        }
        t3_rows!(read_t3);
    }
    if let Some(t4) = &p.table4 {
        read_row!(
            rd,
            t4.review,
            "t4.review",
            [upheld, corrected, other, pending, total]
        );
        read_row!(
            rd,
            t4.lit_direct,
            "t4.lit_direct",
            [upheld, corrected, other, pending, total]
        );
        read_row!(
            rd,
            t4.lit_after_review,
            "t4.lit_after_review",
            [upheld, corrected, other, pending, total]
        );
    }
    let cells = rd
        .builder
        .finish()
        .map_err(|e| FieldError::new("table3", e.to_string()))?;
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
        org: Org {
            id: org.id.clone(),
            name: org.name.clone(),
        },
        year: p.year,
        edition,
        narrative,
        cells,
    })
}

/// Writes a report for the wire.
pub fn report_to_pb(r: &Report) -> pb::Report {
    let t = r.template();
    let get = |key: &str| t.ix(key).and_then(|ix| cell_to_pb(r.cell(ix)));
    macro_rules! row_out {
        ($ty:ident, $prefix:expr, [$($col:ident),*]) => {{
            let row = pb::$ty { $( $col: get(concat!($prefix, ".", stringify!($col))), )* };
            (row != pb::$ty::default()).then_some(row)
        }};
    }
    use pb::report::Table2;
    let table2 = match r.edition {
        Edition::E2019 => Table2::Table22019(pb::Table2Edition2019 {
            regulations: row_out!(
                DocumentRow2019,
                "t2.regulations",
                [made, published, total_public]
            ),
            normative_docs: row_out!(
                DocumentRow2019,
                "t2.normative_docs",
                [made, published, total_public]
            ),
            licensing: row_out!(ItemRow2019, "t2.licensing", [prev_items, change, decisions]),
            other_mgmt_services: row_out!(
                ItemRow2019,
                "t2.other_mgmt_services",
                [prev_items, change, decisions]
            ),
            punishment: row_out!(
                ItemRow2019,
                "t2.punishment",
                [prev_items, change, decisions]
            ),
            coercion: row_out!(ItemRow2019, "t2.coercion", [prev_items, change, decisions]),
            admin_fees: row_out!(FeeRow2019, "t2.admin_fees", [prev_items, change]),
            central_procurement: row_out!(
                ProcurementRow2019,
                "t2.central_procurement",
                [projects, amount]
            ),
        }),
        Edition::E2021 => Table2::Table22021(pb::Table2Edition2021 {
            regulations: row_out!(
                DocumentRow2021,
                "t2.regulations",
                [issued, repealed, in_force]
            ),
            normative_docs: row_out!(
                DocumentRow2021,
                "t2.normative_docs",
                [issued, repealed, in_force]
            ),
            licensing: row_out!(DecisionRow2021, "t2.licensing", [decisions]),
            punishment: row_out!(DecisionRow2021, "t2.punishment", [decisions]),
            coercion: row_out!(DecisionRow2021, "t2.coercion", [decisions]),
            admin_fees: row_out!(FeeRow2021, "t2.admin_fees", [amount]),
        }),
    };
    macro_rules! t3_out {
        ($($row:ident),*) => {
            pb::Table3 { $( $row: row_out!(Table3Row, concat!("t3.", stringify!($row)), [natural, commercial, research, nonprofit, legal_svc, other_org, total]), )* }
        };
    }
    let table3 = t3_rows!(t3_out);
    let table4 = pb::Table4 {
        review: row_out!(
            Table4Group,
            "t4.review",
            [upheld, corrected, other, pending, total]
        ),
        lit_direct: row_out!(
            Table4Group,
            "t4.lit_direct",
            [upheld, corrected, other, pending, total]
        ),
        lit_after_review: row_out!(
            Table4Group,
            "t4.lit_after_review",
            [upheld, corrected, other, pending, total]
        ),
    };
    let n = &r.narrative;
    pb::Report {
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
        table2: Some(table2),
        table3: Some(table3),
        table4: Some(table4),
    }
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

/// Calls `f` once for every cell a report of `edition` can have, in a fixed order, with the
/// cell as given (`None` when its row or the cell is not given).
fn walk_cells<F>(p: &pb::Report, edition: Edition, f: &mut F) -> Result<(), FieldError>
where
    F: FnMut(&'static str, Option<&pb::Cell>) -> Result<(), FieldError>,
{
    macro_rules! walk_row {
        ($row:expr, $prefix:expr, [$($col:ident),*]) => {
            $( f(concat!($prefix, ".", stringify!($col)), $row.as_ref().and_then(|r| r.$col.as_ref()))?; )*
        };
    }
    use pb::report::Table2;
    match edition {
        Edition::E2019 => {
            let none = pb::Table2Edition2019::default();
            let t = match &p.table2 {
                Some(Table2::Table22019(t)) => t,
                _ => &none,
            };
            walk_row!(
                t.regulations,
                "t2.regulations",
                [made, published, total_public]
            );
            walk_row!(
                t.normative_docs,
                "t2.normative_docs",
                [made, published, total_public]
            );
            walk_row!(t.licensing, "t2.licensing", [prev_items, change, decisions]);
            walk_row!(
                t.other_mgmt_services,
                "t2.other_mgmt_services",
                [prev_items, change, decisions]
            );
            walk_row!(
                t.punishment,
                "t2.punishment",
                [prev_items, change, decisions]
            );
            walk_row!(t.coercion, "t2.coercion", [prev_items, change, decisions]);
            walk_row!(t.admin_fees, "t2.admin_fees", [prev_items, change]);
            walk_row!(
                t.central_procurement,
                "t2.central_procurement",
                [projects, amount]
            );
        }
        Edition::E2021 => {
            let none = pb::Table2Edition2021::default();
            let t = match &p.table2 {
                Some(Table2::Table22021(t)) => t,
                _ => &none,
            };
            walk_row!(
                t.regulations,
                "t2.regulations",
                [issued, repealed, in_force]
            );
            walk_row!(
                t.normative_docs,
                "t2.normative_docs",
                [issued, repealed, in_force]
            );
            walk_row!(t.licensing, "t2.licensing", [decisions]);
            walk_row!(t.punishment, "t2.punishment", [decisions]);
            walk_row!(t.coercion, "t2.coercion", [decisions]);
            walk_row!(t.admin_fees, "t2.admin_fees", [amount]);
        }
    }
    let none3 = pb::Table3::default();
    let t3 = p.table3.as_ref().unwrap_or(&none3);
    macro_rules! walk_t3 {
        ($($row:ident),*) => { $( walk_row!(t3.$row, concat!("t3.", stringify!($row)), [natural, commercial, research, nonprofit, legal_svc, other_org, total]); )* };
    }
    t3_rows!(walk_t3);
    let none4 = pb::Table4::default();
    let t4 = p.table4.as_ref().unwrap_or(&none4);
    walk_row!(
        t4.review,
        "t4.review",
        [upheld, corrected, other, pending, total]
    );
    walk_row!(
        t4.lit_direct,
        "t4.lit_direct",
        [upheld, corrected, other, pending, total]
    );
    walk_row!(
        t4.lit_after_review,
        "t4.lit_after_review",
        [upheld, corrected, other, pending, total]
    );
    Ok(())
}

/// For each step of [`walk_cells`] on `edition`, the template cell it is (`None`: a cell of
/// no template of the edition, such as t3.other_other in a 2019 report). Computed once.
fn walk_order(edition: Edition) -> &'static [Option<crate::template::CellIx>] {
    use std::sync::OnceLock;
    static ORDERS: [OnceLock<Vec<Option<crate::template::CellIx>>>; 2] =
        [OnceLock::new(), OnceLock::new()];
    ORDERS[edition as usize].get_or_init(|| {
        let t = edition.template();
        let mut order = Vec::new();
        let _ = walk_cells(&pb::Report::default(), edition, &mut |key, _| {
            order.push(t.ix(key));
            Ok(())
        });
        order
    })
}

/// The cell values of a report **in its canonical stored form** (as gxd stores it:
/// [`report_to_pb`] of a model report), in template order, read directly — no builder, no
/// key lookups: for reading many stored reports fast (roll-up, export). A cell that is not
/// given is absent (the canonical form gives every blank cell explicitly). Not for reports
/// from clients: use [`report_from_pb`], which checks their shape.
pub fn canonical_values(p: &pb::Report) -> Result<(Edition, Vec<Value>), FieldError> {
    let edition = edition_from_pb(p.edition, p.year)?;
    let t = edition.template();
    let order = walk_order(edition);
    let mut values = vec![Value::Absent; t.cells.len()];
    let mut step = 0;
    walk_cells(p, edition, &mut |key, c| {
        let ix = order.get(step).copied().flatten();
        step += 1;
        match (ix, c) {
            (Some(ix), Some(c)) => {
                values[ix as usize] = cell_from_pb(key, t.cell(ix).kind(), c)?.value;
            }
            (None, Some(_)) => {
                return Err(FieldError::new(
                    key,
                    format!("no such cell in the {edition} edition"),
                ))
            }
            _ => {}
        }
        Ok(())
    })?;
    Ok((edition, values))
}
