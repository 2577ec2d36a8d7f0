//! The pattern checks: amounts that look like 元 entered as 万元, tables identical to last
//! year's, copied narratives, blank cells where numbers belong, an all-zero table 3 after a
//! busy year, carry-over breaks left unexplained, and reports published with errors.

use std::collections::BTreeMap;

use super::checks::finding;
use super::{show, stats, Check, Entry, Evidence, Finding, Table, Thresholds};
use crate::crossyear;
use crate::diff::{narrative_text, text_similarity};
use crate::model::{Report, Value};
use crate::orgs::Level;
use crate::template::indicators::{self, Unit, INDICATORS};
use crate::template::{Presence, CARRY_OVER};

/// Amounts (fees, in 万元) about 10,000 times the median of the body's peers.
pub(super) fn unit_mix_up(
    entries: &[Entry],
    table: &Table,
    th: &Thresholds,
    out: &mut Vec<Finding>,
) {
    let Some(i) = INDICATORS.iter().position(|d| d.key == indicators::FEES) else {
        return;
    };
    let decl = &INDICATORS[i];
    let mut by_level: BTreeMap<Level, Vec<(usize, f64)>> = BTreeMap::new();
    for (b, e) in entries.iter().enumerate() {
        if let Some(m) = table.current[i][b].filter(|m| m.value > 0.0) {
            by_level.entry(e.level).or_default().push((b, m.value));
        }
    }
    for group in by_level.values().filter(|g| g.len() >= th.min_peers) {
        let mut xs: Vec<f64> = group.iter().map(|&(_, v)| v).collect();
        let Some(median) = stats::median(&mut xs).filter(|m| *m > 0.0) else {
            continue;
        };
        for &(b, v) in group {
            let ratio = v / median;
            if ratio < th.unit_factor || ratio > th.unit_factor * 10_000.0 {
                continue;
            }
            let message = format!(
                "说明：{}为{}，约为同级单位中位数（{}）的{:.0}倍，疑似将以元为单位的金额填入了以万元为单位的栏目（阈值{}倍）",
                decl.label,
                show(Unit::Amount, v),
                show(Unit::Amount, median),
                ratio,
                th.unit_factor,
            );
            let evidence = Evidence {
                value: Some(v),
                median: Some(median),
                score: Some(ratio),
                threshold: th.unit_factor,
                threshold_name: "unit_factor",
                ..Evidence::default()
            };
            out.push(finding(
                &entries[b],
                Check::UnitMixUp,
                Some(decl.key),
                evidence,
                message,
            ));
        }
    }
}

/// The checks that look at one body's reports on their own.
pub(super) fn per_body(entries: &[Entry], table: &Table, th: &Thresholds, out: &mut Vec<Finding>) {
    let new_apps = INDICATORS
        .iter()
        .position(|d| d.key == indicators::NEW_APPLICATIONS);
    for (b, e) in entries.iter().enumerate() {
        blank_cells(e, th, out);
        published_with_errors(e, out);
        let Some(prev) = e.previous.as_ref() else {
            continue;
        };
        identical_tables(e, prev, th, out);
        copied_narrative(e, prev, th, out);
        carry_break(e, prev, out);
        let busy = new_apps.and_then(|i| table.previous[i][b]).map(|m| m.value);
        zero_after_busy_year(e, busy, th, out);
    }
}

/// Whether a cell of `r` is one of tables 3 and 4, where every cell holds a number.
fn numbers_belong(r: &Report, ix: usize) -> bool {
    let t = r.template();
    let def = &t.cells[ix];
    let number = t.tables[def.table as usize].number;
    (number == 3 || number == 4) && def.row.presence == Presence::Always
}

fn blank_cells(e: &Entry, th: &Thresholds, out: &mut Vec<Finding>) {
    let r = &e.current;
    let blank: Vec<usize> = (0..r.cells.len())
        .filter(|&ix| r.cells[ix].value == Value::Blank && numbers_belong(r, ix))
        .collect();
    if blank.is_empty() || blank.len() < th.blank_cells {
        return;
    }
    let t = r.template();
    let first = t.label(blank[0] as u16);
    let message = format!(
        "说明：表三、表四中有{}个应填数字的单元格为空白（如{}），无数据应填0",
        blank.len(),
        first
    );
    let evidence = Evidence {
        score: Some(blank.len() as f64),
        threshold: th.blank_cells as f64,
        threshold_name: "blank_cells",
        ..Evidence::default()
    };
    out.push(finding(e, Check::BlankCells, None, evidence, message));
}

fn published_with_errors(e: &Entry, out: &mut Vec<Finding>) {
    let verdict = crate::rules::validate(&e.current);
    let errors: Vec<_> = verdict.errors().collect();
    let Some(first) = errors.first() else {
        return;
    };
    let message = format!(
        "说明：发布的报告有{}处差错未更正，如：{}",
        errors.len(),
        first.message.trim_start_matches("说明：")
    );
    let evidence = Evidence {
        score: Some(errors.len() as f64),
        threshold: 1.0,
        threshold_name: "errors",
        ..Evidence::default()
    };
    out.push(finding(
        e,
        Check::PublishedWithErrors,
        None,
        evidence,
        message,
    ));
}

fn identical_tables(e: &Entry, prev: &Report, th: &Thresholds, out: &mut Vec<Finding>) {
    let cur = &e.current;
    if cur.edition != prev.edition || cur.cells.len() != prev.cells.len() {
        return;
    }
    if cur
        .cells
        .iter()
        .zip(&prev.cells)
        .any(|(a, b)| a.value != b.value)
    {
        return;
    }
    let nonzero = cur
        .cells
        .iter()
        .filter(|c| c.value.is_number() && c.value != Value::Int(0))
        .count();
    if nonzero < th.identical_min_nonzero {
        return;
    }
    let message = format!(
        "说明：{}年度报告的表二、表三、表四与{}年度报告逐格完全相同（{}个非零数字），请核实是否照抄上年数据",
        cur.year, prev.year, nonzero
    );
    let evidence = Evidence {
        score: Some(nonzero as f64),
        threshold: th.identical_min_nonzero as f64,
        threshold_name: "identical_min_nonzero",
        ..Evidence::default()
    };
    out.push(finding(e, Check::IdenticalTables, None, evidence, message));
}

/// The narrative with the two years set aside (「2021年」 and 「2020年」 read alike).
fn without_years(r: &Report, years: [u32; 2]) -> String {
    let mut text = narrative_text(&r.narrative);
    for y in years {
        text = text.replace(&y.to_string(), "〇〇〇〇");
    }
    text
}

fn copied_narrative(e: &Entry, prev: &Report, th: &Thresholds, out: &mut Vec<Finding>) {
    let years = [e.current.year, prev.year];
    let (a, b) = (without_years(prev, years), without_years(&e.current, years));
    if a.chars().count() < th.copy_min_chars || b.chars().count() < th.copy_min_chars {
        return;
    }
    let similarity = text_similarity(&a, &b);
    if similarity < th.copy_similarity {
        return;
    }
    let message = format!(
        "说明：{}年度报告的文字部分与{}年度报告的相似度为{:.1}%（阈值{:.0}%），疑似照抄上年报告",
        e.current.year,
        prev.year,
        similarity * 100.0,
        th.copy_similarity * 100.0
    );
    let evidence = Evidence {
        score: Some(similarity),
        threshold: th.copy_similarity,
        threshold_name: "copy_similarity",
        ..Evidence::default()
    };
    out.push(finding(e, Check::CopiedNarrative, None, evidence, message));
}

fn carry_break(e: &Entry, prev: &Report, out: &mut Vec<Finding>) {
    if e.current.year != prev.year + 1 || e.explained.iter().any(|r| r == crossyear::CARRY) {
        return;
    }
    let carry = crossyear::carry(prev, &e.current);
    let broken: Vec<_> = carry.columns.iter().filter(|c| !c.ok).collect();
    let Some(first) = broken.first() else {
        return;
    };
    let (row, previous) = (CARRY_OVER.row.label, CARRY_OVER.previous.label);
    let message = format!(
        "说明：本年「{row}」与上年「{previous}」有{}列不一致（如「{}」列：上年结转下年{}，本年上年结转{}），且未作说明",
        broken.len(),
        first.label,
        first.previous,
        first.carried
    );
    let evidence = Evidence {
        score: Some(broken.len() as f64),
        threshold: 1.0,
        threshold_name: "carry_columns",
        ..Evidence::default()
    };
    out.push(finding(e, Check::CarryBreak, None, evidence, message));
}

fn zero_after_busy_year(e: &Entry, busy: Option<f64>, th: &Thresholds, out: &mut Vec<Finding>) {
    let Some(last) = busy.filter(|n| *n >= th.busy_year) else {
        return;
    };
    let r = &e.current;
    let t = r.template();
    let all_zero = t
        .cells
        .iter()
        .zip(&r.cells)
        .filter(|(d, _)| t.tables[d.table as usize].number == 3)
        .all(|(_, c)| !matches!(c.value, Value::Int(n) if n != 0));
    if !all_zero {
        return;
    }
    let message = format!(
        "说明：上年新收政府信息公开申请{}件，本年表三全部为0或空白，请核实是否漏报",
        show(Unit::Count, last)
    );
    let evidence = Evidence {
        previous: Some(last),
        value: Some(0.0),
        threshold: th.busy_year,
        threshold_name: "busy_year",
        ..Evidence::default()
    };
    out.push(finding(
        e,
        Check::ZeroAfterBusyYear,
        None,
        evidence,
        message,
    ));
}
