//! The rules engine: one function, [`validate`], run by `gxctl validate` offline and by `gxd`
//! on every submission. The identities come from the template's sum declarations.
//!
//! Rule ids are stable; they are part of the output contract:
//!
//! | rule | severity | what |
//! |---|---|---|
//! | `YEAR-RANGE` | error | the year is before 2019 (no national format) or after next year |
//! | `EDITION-YEAR` | warning | a 2021+ report in the 2019 layout, or the reverse |
//! | `T3-OTHER-VARIANT` | warning | a 2021-edition report printed the single 2019-style （六）其他处理 row |
//! | `CELL-NEGATIVE` | error | a count or amount below zero (2019 本年增/减 may be negative) |
//! | `CELL-BLANK` | warning | cells left blank where a number belongs (counted as 0 in sums) |
//! | `T3-BALANCE` | error | per column: 一 + 二 = （七）总计 + 四 (the printed 勾稽关系) |
//! | `T3-ROW-SUM` | error | per row: 总计 = 自然人 + the five 法人或其他组织 columns |
//! | `T3-RESULTS-SUM` | error | per column: （七）总计 = the sum of the result rows |
//! | `T4-SUM` | error | per group: 总计 = 结果维持 + 结果纠正 + 其他结果 + 尚未审结 |
//! | `NT-FIGURE` | warning | a figure of the narrative differs from the cell or sum it names ([`crate::narrative`]) |
//! | `NT-CLAIM` | warning | a claim of the narrative (「均获维持」) does not hold in the tables |
//!
//! Every error of a sum rule comes with a suggestion: fault localisation finds the single cells
//! whose change (to a non-negative value) makes every identity of its group hold again.

use std::fmt::Write as _;

use crate::model::{Report, Value};
use crate::template::{Along, CellIx, Edition, Kind, Template, FIRST_YEAR};

pub use crate::finding::{Candidate, Finding, Severity, Suggestion, Verdict};

/// The latest year a report may be for: next year (reports are drafted ahead sometimes).
pub fn latest_year() -> u32 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    // Civil year from days since the epoch (Howard Hinnant's algorithm).
    let days = (secs / 86_400) as i64 + 719_468;
    let era = days.div_euclid(146_097);
    let doe = days - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    year as u32 + 1
}

/// Runs every rule on a report.
pub fn validate(report: &Report) -> Verdict {
    let t = report.template();
    let mut findings = Vec::new();
    check_year(report, &mut findings);
    check_cells(report, t, &mut findings);
    check_sums(report, t, &mut findings);
    crate::narrative::check(report, &mut findings);
    Verdict { findings }
}

fn finding(rule: &str, severity: Severity, message: String) -> Finding {
    Finding {
        rule: rule.to_string(),
        severity,
        cells: Vec::new(),
        labels: Vec::new(),
        expected: None,
        actual: None,
        suggestion: None,
        message,
    }
}

fn check_year(report: &Report, out: &mut Vec<Finding>) {
    let year = report.year;
    let latest = latest_year();
    if year < FIRST_YEAR {
        out.push(finding(
            "YEAR-RANGE",
            Severity::Error,
            format!("报告年度 {year} 早于 {FIRST_YEAR} 年：{FIRST_YEAR} 年以前没有全国统一的政府信息公开工作年度报告格式"),
        ));
        return;
    }
    if year > latest {
        out.push(finding(
            "YEAR-RANGE",
            Severity::Error,
            format!("报告年度 {year} 晚于 {latest} 年，不可能已有该年度的年度报告"),
        ));
        return;
    }
    let due = Edition::for_year(year);
    if due != report.edition {
        out.push(finding(
            "EDITION-YEAR",
            Severity::Warning,
            format!(
                "{year} 年度报告应使用 {due} 年版格式（{}），本报告使用的是 {} 年版格式",
                due.document(),
                report.edition
            ),
        ));
    }
}

fn check_cells(report: &Report, t: &Template, out: &mut Vec<Finding>) {
    let mut blanks: Vec<Vec<CellIx>> = vec![Vec::new(); t.tables.len()];
    for (i, (def, cell)) in t.cells.iter().zip(&report.cells).enumerate() {
        let ix = i as CellIx;
        match cell.value {
            Value::Blank => blanks[def.table as usize].push(ix),
            Value::Int(n) if n < 0 && def.kind() != Kind::Signed => {
                out.push(cell_finding(
                    t,
                    "CELL-NEGATIVE",
                    &[ix],
                    format!("{} 为 {n}：件数不能为负数", t.label(ix)),
                ));
            }
            Value::Amount(d) if d.is_sign_negative() && !d.is_zero() => {
                out.push(cell_finding(
                    t,
                    "CELL-NEGATIVE",
                    &[ix],
                    format!("{} 为 {d}：金额不能为负数", t.label(ix)),
                ));
            }
            _ => {}
        }
    }
    // A variant row printed: one warning, on its first cell.
    let printed = t.variants.iter().map(|v| v.own.cells.start);
    for ix in printed.filter(|&ix| report.cell(ix).value != Value::Absent) {
        let def = t.cell(ix);
        let mut f = cell_finding(
            t,
            "T3-OTHER-VARIANT",
            &[ix],
            format!(
                "本报告按 {} 年版格式填报，但{}「{}」只有一行，未按 {} 年版分列三项子项；已按该行计入合计",
                t.edition,
                t.table_of(ix).name(),
                def.row.label,
                t.edition
            ),
        );
        f.severity = Severity::Warning;
        out.push(f);
    }
    for (ti, cells) in blanks.into_iter().enumerate() {
        if cells.is_empty() {
            continue;
        }
        let table = &t.tables[ti];
        let mut f = cell_finding(
            t,
            "CELL-BLANK",
            &cells,
            format!(
                "{}有 {} 个单元格为空白，合计时按 0 计算；数量为零请填 0，不适用请填 /",
                table.name(),
                cells.len()
            ),
        );
        f.severity = Severity::Warning;
        out.push(f);
    }
}

fn cell_finding(t: &Template, rule: &str, cells: &[CellIx], message: String) -> Finding {
    Finding::on_cells(t, rule, Severity::Error, cells, message)
}

fn side_sum(report: &Report, cells: &[CellIx]) -> i128 {
    cells
        .iter()
        .map(|&c| report.cells[c as usize].value.as_i128())
        .sum()
}

fn check_sums(report: &Report, t: &Template, out: &mut Vec<Finding>) {
    // residual = Σ total − Σ parts, per identity; the clean path allocates nothing.
    let mut failed: Vec<(usize, i128)> = Vec::new();
    for (i, id) in t.identities.iter().enumerate() {
        let r = side_sum(report, &id.total) - side_sum(report, &id.parts);
        if r != 0 {
            failed.push((i, r));
        }
    }
    if failed.is_empty() {
        return;
    }
    let residual = |i: usize| failed.iter().find(|(j, _)| *j == i).map_or(0, |(_, r)| *r);

    // Group failed identities that share cells (union–find over the failed list).
    let n = failed.len();
    let mut parent: Vec<usize> = (0..n).collect();
    fn root(p: &mut [usize], mut i: usize) -> usize {
        while p[i] != i {
            p[i] = p[p[i]];
            i = p[i];
        }
        i
    }
    for a in 0..n {
        for b in a + 1..n {
            let ia = &t.identities[failed[a].0];
            let ib = &t.identities[failed[b].0];
            let shares = ia
                .total
                .iter()
                .chain(&ia.parts)
                .any(|c| ib.total.contains(c) || ib.parts.contains(c));
            if shares {
                let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
                parent[ra] = rb;
            }
        }
    }
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut group_of_root = std::collections::HashMap::new();
    for (k, &(identity, _)) in failed.iter().enumerate() {
        let r = root(&mut parent, k);
        let g = *group_of_root.entry(r).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[g].push(identity);
    }

    for group in groups {
        let suggestion = localise(report, t, &group, &residual);
        for &i in &group {
            out.push(sum_finding(report, t, i, residual(i), suggestion.clone()));
        }
    }
}

/// The single cells whose change makes every identity of `group` (and every identity they
/// take part in) hold, with the value each must take.
fn localise(
    report: &Report,
    t: &Template,
    group: &[usize],
    residual: &dyn Fn(usize) -> i128,
) -> Suggestion {
    let first = &t.identities[group[0]];
    let mut candidates: Vec<(bool, CellIx, i128)> = Vec::new();
    for &c in first.total.iter().chain(&first.parts) {
        let in_all = group.iter().all(|&g| {
            let id = &t.identities[g];
            id.total.contains(&c) || id.parts.contains(&c)
        });
        if !in_all {
            continue;
        }
        // Changing c by d moves the residual of each identity by +d (total side) or −d.
        let mut delta: Option<i128> = None;
        let mut consistent = true;
        for &ii in &t.cell_identities[c as usize] {
            let id = &t.identities[ii as usize];
            let r = residual(ii as usize);
            let d = if id.total.contains(&c) { -r } else { r };
            match delta {
                None => delta = Some(d),
                Some(prev) if prev == d => {}
                Some(_) => {
                    consistent = false;
                    break;
                }
            }
        }
        let Some(d) = delta.filter(|d| consistent && *d != 0) else {
            continue;
        };
        let new = report.cells[c as usize].value.as_i128() + d;
        if new < 0 {
            continue;
        }
        let on_total_side = group.iter().any(|&g| t.identities[g].total.contains(&c));
        candidates.push((on_total_side, c, new));
    }
    // Totals first, then printed order.
    candidates.sort_by_key(|(total, c, _)| (!*total, *c));
    let candidates: Vec<_> = candidates
        .into_iter()
        .map(|(_, c, v)| super::rules::Candidate {
            cell: t.cell(c).key.clone(),
            label: t.label(c),
            value: v.to_string(),
        })
        .collect();
    let message = match candidates.as_slice() {
        [] => "没有单个单元格的改动能使这些关系同时成立，可能有多处错误，请逐项核对".to_string(),
        [one] => format!(
            "最可能的修正：将{}（{}）改为 {}",
            one.label, one.cell, one.value
        ),
        many => {
            let mut s = String::from("改动以下任一单元格即可使该关系成立，最可能的在前：");
            for (k, c) in many.iter().enumerate() {
                if k > 0 {
                    s.push('；');
                }
                let _ = write!(s, "{}（{}）改为 {}", c.label, c.cell, c.value);
            }
            s
        }
    };
    Suggestion {
        candidates,
        message,
    }
}

fn quoted_labels(labels: &[&str], joiner: &str) -> String {
    labels
        .iter()
        .map(|l| format!("「{l}」"))
        .collect::<Vec<_>>()
        .join(joiner)
}

/// 「A」, 「A」加「B」, or 「A」至「Z」各项.
fn describe(labels: &[&str]) -> String {
    match labels {
        [one] => quoted_labels(&[one], ""),
        [a, b] => quoted_labels(&[a, b], "加"),
        [a, .., z] => format!("「{a}」至「{z}」各项"),
        [] => String::new(),
    }
}

fn sum_finding(
    report: &Report,
    t: &Template,
    i: usize,
    residual: i128,
    suggestion: Suggestion,
) -> Finding {
    let id = &t.identities[i];
    let table = &t.tables[id.table as usize];
    let actual = side_sum(report, &id.total);
    let expected = actual - residual;
    let label_of = |c: CellIx| -> &'static str {
        let def = t.cell(c);
        match id.along {
            Along::Row(_) => def.column.label,
            Along::Column(_) => def.row.label,
        }
    };
    let total_labels: Vec<&str> = id.total.iter().map(|&c| label_of(c)).collect();
    let part_labels: Vec<&str> = id.parts.iter().map(|&c| label_of(c)).collect();
    let place = match id.along {
        Along::Row(r) => match (table.orientation, r.group) {
            (crate::template::Orientation::Across, Some(g)) => {
                format!("{}「{g}」「{}」", table.name(), r.label)
            }
            (crate::template::Orientation::Across, None) => {
                format!("{}「{}」", table.name(), r.label)
            }
            _ => format!("{}「{}」行", table.name(), r.label),
        },
        Along::Column(c) => format!("{}「{}」列", table.name(), c.label),
    };
    let total_desc = if total_labels.len() == 1 {
        format!("{}为 {actual}", describe(&total_labels))
    } else {
        format!("{}之和为 {actual}", describe(&total_labels))
    };
    let message = format!(
        "{place}：{total_desc}，但{}之和为 {expected}，两者应相等{}",
        describe(&part_labels),
        if id.printed {
            "（表中注明的勾稽关系）"
        } else {
            ""
        }
    );
    let cells: Vec<CellIx> = id.total.iter().chain(&id.parts).copied().collect();
    Finding {
        rule: id.rule.to_string(),
        severity: Severity::Error,
        cells: cells.iter().map(|&c| t.cell(c).key.clone()).collect(),
        labels: cells.iter().map(|&c| t.label(c)).collect(),
        expected: Some(expected.to_string()),
        actual: Some(actual.to_string()),
        suggestion: Some(suggestion),
        message,
    }
}
