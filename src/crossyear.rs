//! The cross-year checks: a report against the same body's report of the year before. One
//! function, [`check`], run by gxd on every submission (against the latest revision of last
//! year's report) and by `gxctl validate FILE --previous FILE`.
//!
//! | rule | what |
//! |---|---|
//! | `X-CARRY` | per column: this year's 二、上年结转 (`t3.carried.*`) = last year's 四、结转下年度继续办理 (`t3.forward.*`) |
//! | `X-IN-FORCE` | 2021-edition pairs, 规章 and 行政规范性文件: this year's 现行有效件数 = last year's + 本年制发件数 − 本年废止件数 |
//!
//! Both are warnings: reorganisations and changes of scope break them legitimately. gxd stores a
//! report with cross-year warnings only when each rule that fired is explained
//! ([`Explanation`]). Carry-over compares values as the rules engine sums them (blank and not
//! applicable as 0), with the per-column comparison [`carry`] that `diff` shows too. The
//! in-force chain is a heuristic: it is skipped for a row where any of its four cells is not
//! applicable, and blank counts as 0. No table-2 rule links a 2019-edition report to a
//! 2021-edition one (the columns changed meaning). Which cells pair up is declared in the
//! template ([`CARRY_OVER`], [`IN_FORCE_CHAIN`]).

use serde::{Deserialize, Serialize};

use crate::model::{Report, Value};
use crate::rules::{Finding, Severity};
use crate::template::{CellIx, CARRY_OVER, IN_FORCE_CHAIN};

/// Rule id of the carry-over check.
pub const CARRY: &str = "X-CARRY";
/// Rule id of the in-force chain.
pub const IN_FORCE: &str = "X-IN-FORCE";
/// Every cross-year rule.
pub const RULES: [&str; 2] = [CARRY, IN_FORCE];

/// Longest explanation, in characters.
pub const MAX_EXPLANATION_CHARS: usize = 2000;

/// Why the warnings of a rule are acceptable, e.g. `X-CARRY`: 「机构改革，…」.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Explanation {
    pub rule: String,
    pub text: String,
}

/// This year's 二、上年结转 against last year's 四、结转下年度继续办理, per column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CarryOver {
    pub ok: bool,
    pub columns: Vec<CarryColumn>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CarryColumn {
    /// Last year's cell, e.g. `t3.forward.natural`.
    pub previous_cell: String,
    /// This year's cell, e.g. `t3.carried.natural`.
    pub cell: String,
    pub label: String,
    pub previous: String,
    pub carried: String,
    pub ok: bool,
}

/// This year's 二、上年结转 against last year's 四、结转下年度继续办理, per column ([`CARRY_OVER`];
/// blank and not applicable compare as 0). Shown by `diff` and checked by [`check`].
pub fn carry(old: &Report, new: &Report) -> CarryOver {
    let (to, tn) = (old.template(), new.template());
    let columns: Vec<CarryColumn> = CARRY_OVER
        .pairs(to, tn)
        .into_iter()
        .map(|(ix, pix)| {
            let def = tn.cell(ix);
            let (p, c) = (old.cell(pix), new.cell(ix));
            CarryColumn {
                previous_cell: to.cell(pix).key.clone(),
                cell: def.key.clone(),
                label: def.column.label.to_string(),
                previous: p.published(),
                carried: c.published(),
                ok: p.value.as_i128() == c.value.as_i128(),
            }
        })
        .collect();
    CarryOver {
        ok: columns.iter().all(|c| c.ok),
        columns,
    }
}

/// Whether `rule` is a cross-year rule (one that needs an explanation to be stored).
pub fn is_cross_year(rule: &str) -> bool {
    RULES.contains(&rule)
}

/// Checks an explanation's rule id and text.
pub fn check_explanation(rule: &str, text: &str) -> Result<(), String> {
    let id_ok = !rule.is_empty()
        && rule.len() <= 40
        && rule
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-');
    if !id_ok {
        return Err(format!(
            "{rule:?} is not a rule id (like {CARRY} or {IN_FORCE})"
        ));
    }
    if text.trim().is_empty() {
        return Err(format!("{rule}: the explanation is empty"));
    }
    let n = text.chars().count();
    if n > MAX_EXPLANATION_CHARS {
        return Err(format!(
            "{rule}: {n} characters; at most {MAX_EXPLANATION_CHARS}"
        ));
    }
    if let Some(c) = text
        .chars()
        .find(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(format!(
            "{rule}: contains the control character U+{:04X}",
            c as u32
        ));
    }
    Ok(())
}

/// The cross-year findings of `current` against `previous` (warnings, carry-over first). Empty
/// unless `current` is for the year after `previous`.
pub fn check(previous: &Report, current: &Report) -> Vec<Finding> {
    if current.year != previous.year + 1 {
        return Vec::new();
    }
    let mut out = Vec::new();
    carry_findings(previous, current, &mut out);
    in_force(previous, current, &mut out);
    out
}

/// 「2019年度报告」: how a finding names the report a cell belongs to.
fn of_year(year: u32) -> String {
    format!("{year}年度报告")
}

fn carry_findings(previous: &Report, current: &Report, out: &mut Vec<Finding>) {
    let (tp, tc) = (previous.template(), current.template());
    let c = carry(previous, current);
    for col in c.columns.iter().filter(|c| !c.ok) {
        let (Some(ci), Some(pi)) = (tc.ix(&col.cell), tp.ix(&col.previous_cell)) else {
            continue;
        };
        let (cur_label, prev_label) = (tc.label(ci), tp.label(pi));
        let show = |s: &str| {
            if s.is_empty() {
                "空白".to_string()
            } else {
                s.to_string()
            }
        };
        out.push(Finding {
            rule: CARRY.into(),
            severity: Severity::Warning,
            cells: vec![col.cell.clone(), col.previous_cell.clone()],
            labels: vec![
                format!("{}{cur_label}", of_year(current.year)),
                format!("{}{prev_label}", of_year(previous.year)),
            ],
            expected: Some(col.previous.clone()),
            actual: Some(col.carried.clone()),
            suggestion: None,
            message: format!(
                "{cur_label}（{}）为 {}，但{}{prev_label}（{}）为 {}，两者应相等；如因机构调整等原因不一致，请说明",
                col.cell,
                show(&col.carried),
                of_year(previous.year),
                col.previous_cell,
                show(&col.previous),
            ),
        });
    }
}

/// A value as the chain counts it: blank is 0, not applicable (or absent) skips the row.
fn chain_value(r: &Report, ix: CellIx) -> Option<i128> {
    match r.cell(ix).value {
        Value::Int(n) => Some(i128::from(n)),
        Value::Blank => Some(0),
        _ => None,
    }
}

fn in_force(previous: &Report, current: &Report, out: &mut Vec<Finding>) {
    let tc = current.template();
    let tp = previous.template();
    // Both reports must have the chain's cells: only 2021-edition pairs do.
    for link in IN_FORCE_CHAIN.links(tp, tc) {
        let (Some(now), Some(issued), Some(repealed), Some(prev)) = (
            chain_value(current, link.stock),
            chain_value(current, link.added),
            chain_value(current, link.removed),
            chain_value(previous, link.previous),
        ) else {
            continue;
        };
        let expected = prev + issued - repealed;
        if expected == now {
            continue;
        }
        let key = |ix| tc.cell(ix).key.clone();
        let col = |ix| tc.cell(ix).column.label;
        let k_now = key(link.stock);
        out.push(Finding {
            rule: IN_FORCE.into(),
            severity: Severity::Warning,
            cells: vec![
                k_now.clone(),
                k_now.clone(),
                key(link.added),
                key(link.removed),
            ],
            labels: vec![
                format!("{}{}", of_year(current.year), tc.label(link.stock)),
                format!("{}{}", of_year(previous.year), tp.label(link.previous)),
                format!("{}{}", of_year(current.year), tc.label(link.added)),
                format!("{}{}", of_year(current.year), tc.label(link.removed)),
            ],
            expected: Some(expected.to_string()),
            actual: Some(now.to_string()),
            suggestion: None,
            message: format!(
                "{}（{k_now}）为 {now}，但{}该项为 {prev}，加「{}」{issued}、减「{}」{repealed}，应为 {expected}；如因自然失效、修订等计法不同，请说明",
                tc.label(link.stock),
                of_year(previous.year),
                col(link.added),
                col(link.removed),
            ),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Cell;
    use crate::synth;
    use crate::template::Edition;

    fn pair(edition: Edition) -> (Report, Report) {
        let prev = synth::consistent(edition, 7);
        let mut cur = synth::consistent(edition, 8);
        cur.org = prev.org.clone();
        cur.year = prev.year + 1;
        for (ix, pix) in CARRY_OVER.pairs(prev.template(), cur.template()) {
            let f = prev.cell(pix).clone();
            let c = cur.cell(ix).clone();
            // Keep the balance (and the row sums): move the difference into 一、本年新收.
            let key = format!("t3.new.{}", cur.template().cell(ix).column.key);
            let new =
                cur.get(&key).unwrap().value.as_i128() + c.value.as_i128() - f.value.as_i128();
            cur.set(&key, Cell::int(new as i64));
            cur.cells[ix as usize] = f;
        }
        (prev, cur)
    }

    #[test]
    fn consecutive_consistent_reports_pass() {
        let (prev, mut cur) = pair(Edition::E2021);
        for row in ["regulations", "normative_docs"] {
            let p = prev
                .get(&format!("t2.{row}.in_force"))
                .unwrap()
                .value
                .as_i128();
            let i = cur
                .get(&format!("t2.{row}.issued"))
                .unwrap()
                .value
                .as_i128();
            let r = cur
                .get(&format!("t2.{row}.repealed"))
                .unwrap()
                .value
                .as_i128();
            cur.set(&format!("t2.{row}.in_force"), Cell::int((p + i - r) as i64));
        }
        assert_eq!(check(&prev, &cur), vec![]);
        // Not the next year: nothing to check.
        cur.year += 1;
        assert_eq!(check(&prev, &cur), vec![]);
    }

    #[test]
    fn a_broken_carry_over_names_both_cells() {
        let (prev, mut cur) = pair(Edition::E2019);
        let was = prev.get("t3.forward.natural").unwrap().value.as_i128();
        cur.set("t3.carried.natural", Cell::int(was as i64 + 2));
        let f = check(&prev, &cur);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].rule, CARRY);
        assert_eq!(f[0].cells, ["t3.carried.natural", "t3.forward.natural"]);
        assert_eq!(f[0].expected.as_deref(), Some(was.to_string().as_str()));
        assert!(f[0].labels[1].starts_with(&format!("{}年度报告表三", prev.year)));
        assert!(
            f[0].message.contains("t3.forward.natural"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn the_in_force_chain_is_for_2021_pairs_and_skips_not_applicable() {
        let (prev, mut cur) = pair(Edition::E2021);
        let p = prev
            .get("t2.normative_docs.in_force")
            .unwrap()
            .value
            .as_i128();
        cur.set("t2.normative_docs.issued", Cell::int(5));
        cur.set("t2.normative_docs.repealed", Cell::int(1));
        cur.set(
            "t2.normative_docs.in_force",
            Cell::int((p + 5 - 1 + 3) as i64),
        );
        cur.set("t2.regulations.in_force", Cell::new(Value::NotApplicable));
        let f = check(&prev, &cur);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].rule, IN_FORCE);
        assert_eq!(f[0].expected, Some((p + 4).to_string()));
        assert_eq!(f[0].actual, Some((p + 7).to_string()));
        // 2020 (2019 edition) → 2021: no table-2 chain.
        let mut old = synth::consistent(Edition::E2019, 1);
        old.year = cur.year - 1;
        assert!(check(&old, &cur).iter().all(|f| f.rule == CARRY));
    }

    #[test]
    fn explanations_are_checked() {
        assert!(check_explanation("X-CARRY", "机构改革，乡镇合并").is_ok());
        assert!(check_explanation("x-carry", "a").is_err());
        assert!(check_explanation("X-CARRY", "  ").is_err());
        assert!(check_explanation("X-CARRY", &"因".repeat(2001)).is_err());
    }
}
