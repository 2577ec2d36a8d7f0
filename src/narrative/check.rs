//! The `NT-*` rules: the narrative against the report's own tables (and, for a change from last
//! year, against last year's report). Warnings only; they never block a submission.
//!
//! | rule | what |
//! |---|---|
//! | `NT-FIGURE` | a figure of the text differs from the cell (or sum of cells) it names |
//! | `NT-CLAIM` | a claim of the text (「均获维持」, 「未发生行政复议」) does not hold in the tables |
//! | `NT-YOY` | a change from last year (「同比增长12%」) differs from last year's report |
//!
//! A statement about cells that are blank or not applicable produces no finding.

use rust_decimal::{Decimal, RoundingStrategy};

use super::numbers::{Figure, Unit};
use super::{read, Statement, What};
use crate::finding::{Finding, Severity};
use crate::model::{Report, Value};
use crate::template::narrative::{Assertion, Measure, Quantity};
use crate::template::{CellIx, Template};

/// Rule id: a figure differs from its cells.
pub const FIGURE: &str = "NT-FIGURE";
/// Rule id: a claim does not hold.
pub const CLAIM: &str = "NT-CLAIM";
/// Rule id: a change from last year differs.
pub const YOY: &str = "NT-YOY";
/// Every narrative rule.
pub const RULES: [&str; 3] = [FIGURE, CLAIM, YOY];

/// The cells `keys` name in `t` (a row key ending in `*` names every row it begins).
pub(crate) fn resolve(t: &Template, keys: &[&str]) -> Vec<CellIx> {
    let mut out = Vec::new();
    for key in keys {
        match key.split_once("*.") {
            None => out.extend(t.ix(key)),
            Some((prefix, column)) => out.extend(
                t.cells
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| c.key.starts_with(prefix) && c.column.key == column)
                    .map(|(i, _)| i as CellIx),
            ),
        }
    }
    out
}

/// The sum of the cells, when every one printed is a number (absent variant rows aside).
fn sum(report: &Report, cells: &[CellIx]) -> Option<Decimal> {
    let mut total = Decimal::ZERO;
    let mut any = false;
    for &c in cells {
        match report.cell(c).value {
            Value::Int(n) => total += Decimal::from(n),
            Value::Amount(d) => total += d,
            Value::Absent => continue,
            Value::Blank | Value::NotApplicable => return None,
        }
        any = true;
    }
    any.then_some(total)
}

/// The value of a quantity in a report's tables: the sum of its cells, when every one printed
/// is a number.
pub fn value(report: &Report, quantity: &Quantity) -> Option<Decimal> {
    sum(report, &resolve(report.template(), quantity.cells))
}

/// The printed cells (absent variant rows left out).
fn printed(report: &Report, cells: &[CellIx]) -> Vec<CellIx> {
    cells
        .iter()
        .copied()
        .filter(|&c| report.cell(c).value != Value::Absent)
        .collect()
}

/// Whether a figure of the text agrees with the tables' value: counts exactly, amounts as
/// rounded (or cut) to the places the text writes in its own unit.
fn agrees(figure: &Figure<'_>, measure: Measure, table: Decimal) -> bool {
    match measure {
        Measure::Count => figure.value == table,
        Measure::Amount => {
            let in_unit = |v: Decimal| v / figure.per_unit;
            let text = in_unit(figure.value);
            let t = in_unit(table);
            [
                RoundingStrategy::MidpointAwayFromZero,
                RoundingStrategy::ToZero,
            ]
            .into_iter()
            .any(|r| t.round_dp_with_strategy(figure.scale, r) == text.normalize())
        }
    }
}

/// 「…」: the sentence, shortened around the clause when long.
fn quote(s: &Statement<'_>) -> String {
    const MAX: usize = 120;
    if s.sentence.chars().count() <= MAX {
        format!("「{}」", s.sentence)
    } else {
        format!("「…{}…」", s.clause)
    }
}

fn describe_cells(t: &Template, cells: &[CellIx]) -> String {
    match cells {
        [one] => t.label(*one),
        [a, b] => format!("{}与{}之和", t.label(*a), t.label(*b)),
        [a, .., z] => format!("{}至{}共 {} 项之和", t.label(*a), t.label(*z), cells.len()),
        [] => String::new(),
    }
}

fn warning(rule: &str, t: &Template, cells: &[CellIx], message: String) -> Finding {
    Finding::on_cells(t, rule, Severity::Warning, cells, message)
}

/// The NT-FIGURE and NT-CLAIM findings of a report.
pub fn check(report: &Report, out: &mut Vec<Finding>) {
    out.extend(findings(report).into_iter().map(|(_, f)| f));
}

/// Each statement of the narrative that the tables contradict, with its finding.
pub fn findings(report: &Report) -> Vec<(Statement<'_>, Finding)> {
    let t = report.template();
    read(report)
        .into_iter()
        .filter_map(|s| {
            let f = match s.what {
                What::Figure {
                    quantity,
                    figure: Some(f),
                    ..
                } => check_figure(report, t, &s, quantity, &f),
                What::Claim(claim) => check_claim(report, t, &s, claim.name, claim.assertion),
                What::Figure { figure: None, .. } => None,
            };
            f.map(|f| (s, f))
        })
        .collect()
}

fn check_figure(
    report: &Report,
    t: &Template,
    s: &Statement<'_>,
    quantity: &Quantity,
    f: &Figure<'_>,
) -> Option<Finding> {
    let cells = resolve(t, quantity.cells);
    let value = sum(report, &cells)?;
    if agrees(f, quantity.measure, value) {
        return None;
    }
    let cells = printed(report, &cells);
    let unit = if quantity.measure == Measure::Amount {
        "万元"
    } else {
        ""
    };
    let message = format!(
        "{}{}称{}为 {}，但{}为 {value}{unit}，正文与表格不一致，请核对",
        s.place.describe(),
        quote(s),
        quantity.name,
        f.text,
        describe_cells(t, &cells),
    );
    let mut finding = warning(FIGURE, t, &cells, message);
    finding.expected = Some(value.to_string());
    finding.actual = Some(f.value.normalize().to_string());
    Some(finding)
}

fn check_claim(
    report: &Report,
    t: &Template,
    s: &Statement<'_>,
    name: &str,
    assertion: Assertion,
) -> Option<Finding> {
    let (left, right, holds) = match assertion {
        Assertion::Zero(keys) => {
            let cells = resolve(t, keys);
            let v = sum(report, &cells);
            (cells, Vec::new(), v.is_none_or(|v| v.is_zero()))
        }
        Assertion::Equal(a, b) => {
            let (a, b) = (resolve(t, a), resolve(t, b));
            let holds = match (sum(report, &a), sum(report, &b)) {
                (Some(x), Some(y)) => x == y,
                _ => true,
            };
            (a, b, holds)
        }
    };
    if holds {
        return None;
    }
    let cells: Vec<CellIx> = printed(report, &left)
        .into_iter()
        .chain(printed(report, &right))
        .collect();
    let values: Vec<String> = cells
        .iter()
        .map(|&c| format!("{}为 {}", t.label(c), report.cell(c).value))
        .collect();
    let message = format!(
        "{}{}称{name}，但{}，正文与表格不一致，请核对",
        s.place.describe(),
        quote(s),
        values.join("，"),
    );
    Some(warning(CLAIM, t, &cells, message))
}

/// The NT-YOY findings: each change from last year the report's narrative states, against
/// `previous` (the same body's report of the year before). The current figure is the text's
/// own when it gives one (NT-FIGURE checks that one), else the table's.
pub fn check_yoy(previous: &Report, report: &Report) -> Vec<Finding> {
    let mut out = Vec::new();
    if previous.year + 1 != report.year {
        return out;
    }
    let (t, pt) = (report.template(), previous.template());
    for s in read(report) {
        let What::Figure {
            quantity,
            figure,
            change: Some(change),
        } = s.what
        else {
            continue;
        };
        if !quantity.editions.contains(&previous.edition) || quantity.measure != Measure::Count {
            continue;
        }
        let cells = resolve(t, quantity.cells);
        let now = match figure {
            Some(f) => Some(f.value),
            None => sum(report, &cells),
        };
        let (Some(now), Some(before)) = (now, sum(previous, &resolve(pt, quantity.cells))) else {
            continue;
        };
        let stated = if change.up {
            change.figure.value
        } else {
            -change.figure.value
        };
        let (ok, actual) = match change.figure.unit {
            Unit::Percent if !before.is_zero() => {
                let pct = (now - before) / before * Decimal::ONE_HUNDRED;
                let step = Decimal::new(1, change.figure.scale);
                ((pct - stated).abs() < step, pct.round_dp(2))
            }
            Unit::Count => (now - before == stated, now - before),
            _ => continue,
        };
        if ok {
            continue;
        }
        let unit = if change.figure.unit == Unit::Percent {
            "%"
        } else {
            "件"
        };
        let word = |up: bool| if up { "增长" } else { "下降" };
        let message = format!(
            "{}{}称{}较上年{}{}，但本年为 {now}、上年报告中为 {before}，实际{} {}{unit}，请核对",
            s.place.describe(),
            quote(&s),
            quantity.name,
            word(change.up),
            change.figure.text,
            word(!actual.is_sign_negative()),
            actual.abs().normalize(),
        );
        let cells = printed(report, &cells);
        let mut f = warning(YOY, t, &cells, message);
        f.expected = Some(actual.normalize().to_string());
        f.actual = Some(stated.normalize().to_string());
        out.push(f);
    }
    out
}
