//! The rules engine: a passing and a failing case for every rule, and property tests.

use std::collections::BTreeSet;

use gx::model::{Cell, Value};
use gx::rules::{self, Severity};
use gx::synth;
use gx::template::{Edition, Presence};
use gx::Report;
use proptest::prelude::*;

use crate::support::sample;

fn rules_of(r: &Report) -> BTreeSet<(String, Severity)> {
    rules::validate(r)
        .findings
        .into_iter()
        .map(|f| (f.rule, f.severity))
        .collect()
}

fn has(r: &Report, rule: &str, severity: Severity) -> bool {
    rules_of(r).contains(&(rule.to_string(), severity))
}

#[test]
fn the_sample_is_clean() {
    let v = rules::validate(&sample());
    assert!(v.findings.is_empty(), "{:#?}", v.findings);
}

#[test]
fn year_range() {
    let mut r = sample();
    r.year = 2018;
    assert!(has(&r, "YEAR-RANGE", Severity::Error));
    let f = &rules::validate(&r).findings[0];
    assert!(f.message.contains("没有全国统一"), "{}", f.message);
    r.year = rules::latest_year() + 1;
    assert!(has(&r, "YEAR-RANGE", Severity::Error));
    r.year = 2020;
    assert!(!has(&r, "YEAR-RANGE", Severity::Error));
}

#[test]
fn edition_year() {
    let mut r = sample();
    r.year = 2021;
    assert!(has(&r, "EDITION-YEAR", Severity::Warning));
    assert!(rules::validate(&r).is_valid(), "a warning, not an error");
    let r = synth::consistent(Edition::E2021, 1);
    assert!(!has(&r, "EDITION-YEAR", Severity::Warning));
    let mut r = r;
    r.year = 2020;
    assert!(has(&r, "EDITION-YEAR", Severity::Warning));
}

#[test]
fn negative_counts_but_signed_change() {
    let mut r = sample();
    r.set("t2.licensing.change", Cell::int(-3));
    assert!(
        rules::validate(&r).findings.is_empty(),
        "本年增/减 may be negative"
    );
    r.set("t2.licensing.decisions", Cell::int(-1));
    let v = rules::validate(&r);
    assert!(has(&r, "CELL-NEGATIVE", Severity::Error));
    assert_eq!(v.findings[0].cells, ["t2.licensing.decisions"]);
    let mut r = synth::consistent(Edition::E2021, 2);
    r.set(
        "t2.admin_fees.amount",
        Cell::new(Value::Amount("-1.5".parse().unwrap())),
    );
    assert!(has(&r, "CELL-NEGATIVE", Severity::Error));
}

#[test]
fn blank_cells_warn_and_count_as_zero() {
    let mut r = sample();
    r.set("t3.new.commercial", Cell::BLANK);
    r.set("t3.forward.research", Cell::BLANK);
    let v = rules::validate(&r);
    assert!(v.is_valid());
    let f = v.findings.iter().find(|f| f.rule == "CELL-BLANK").unwrap();
    assert_eq!(f.severity, Severity::Warning);
    assert_eq!(f.cells, ["t3.new.commercial", "t3.forward.research"]);
    assert!(
        f.message.starts_with("表三有 2 个单元格为空白"),
        "{}",
        f.message
    );
    // Not applicable is a different fact: no blank warning.
    let mut r = sample();
    r.set(
        "t2.central_procurement.amount",
        Cell::new(Value::NotApplicable),
    );
    assert!(rules::validate(&r).findings.is_empty());
}

#[test]
fn t3_balance() {
    let mut r = synth::consistent(Edition::E2019, 3);
    let v = rules::validate(&r);
    assert!(v.findings.is_empty(), "{:#?}", v.findings);
    let old = r.get("t3.forward.natural").unwrap().value.as_i128() as i64;
    r.set("t3.forward.natural", Cell::int(old + 5));
    let v = rules::validate(&r);
    let f = v.findings.iter().find(|f| f.rule == "T3-BALANCE").unwrap();
    assert_eq!(
        f.cells,
        [
            "t3.results_total.natural",
            "t3.forward.natural",
            "t3.new.natural",
            "t3.carried.natural"
        ]
    );
    assert!(f.message.contains("勾稽关系"), "{}", f.message);
    let s = f.suggestion.as_ref().unwrap();
    assert_eq!(s.candidates.len(), 1);
    assert_eq!(s.candidates[0].cell, "t3.forward.natural");
    assert_eq!(s.candidates[0].value, old.to_string());
}

#[test]
fn t3_row_and_results_sums() {
    let mut r = synth::consistent(Edition::E2021, 4);
    let old = r.get("t3.deny_process.legal_svc").unwrap().value.as_i128();
    r.set("t3.deny_process.legal_svc", Cell::int(old as i64 + 2));
    let v = rules::validate(&r);
    let got: BTreeSet<&str> = v.errors().map(|f| f.rule.as_str()).collect();
    assert_eq!(got, BTreeSet::from(["T3-ROW-SUM", "T3-RESULTS-SUM"]));
    let row = v.findings.iter().find(|f| f.rule == "T3-ROW-SUM").unwrap();
    assert_eq!(row.cells[0], "t3.deny_process.total");
    assert_eq!(row.labels[0], "表三「6.属于四类过程性信息」行「总计」列");
    let expected: i128 = row.expected.as_ref().unwrap().parse().unwrap();
    let actual: i128 = row.actual.as_ref().unwrap().parse().unwrap();
    assert_eq!(expected - actual, 2);
    for f in v.errors() {
        let s = f.suggestion.as_ref().unwrap();
        assert_eq!(s.candidates.len(), 1, "{s:?}");
        assert_eq!(s.candidates[0].cell, "t3.deny_process.legal_svc");
        assert_eq!(s.candidates[0].value, old.to_string());
    }
}

/// The commonest real error: a printed 总计 of 0 beside parts that sum to 11.
#[test]
fn t4_total_of_zero_names_the_total_and_eleven_first() {
    let mut r = sample();
    r.set("t4.review.upheld", Cell::int(10));
    r.set("t4.review.corrected", Cell::int(1));
    let v = rules::validate(&r);
    assert!(!v.is_valid());
    let f = v.errors().next().unwrap();
    assert_eq!(f.rule, "T4-SUM");
    assert_eq!(f.cells[0], "t4.review.total");
    assert_eq!(f.labels[0], "表四「行政复议」「总计」");
    assert_eq!(
        (f.expected.as_deref(), f.actual.as_deref()),
        (Some("11"), Some("0"))
    );
    let s = f.suggestion.as_ref().unwrap();
    assert_eq!(s.candidates[0].cell, "t4.review.total");
    assert_eq!(s.candidates[0].value, "11");
    assert!(s.message.contains("t4.review.total") && s.message.contains("11"));
}

#[test]
fn t4_lists_every_candidate_total_first() {
    let mut r = sample();
    for (k, n) in [
        ("upheld", 3),
        ("corrected", 2),
        ("other", 1),
        ("pending", 4),
        ("total", 12),
    ] {
        r.set(&format!("t4.lit_direct.{k}"), Cell::int(n));
    }
    let f = rules::validate(&r).errors().next().cloned().unwrap();
    let c: Vec<(&str, &str)> = f
        .suggestion
        .as_ref()
        .unwrap()
        .candidates
        .iter()
        .map(|c| (c.cell.as_str(), c.value.as_str()))
        .collect();
    assert_eq!(
        c,
        [
            ("t4.lit_direct.total", "10"),
            ("t4.lit_direct.upheld", "5"),
            ("t4.lit_direct.corrected", "4"),
            ("t4.lit_direct.other", "3"),
            ("t4.lit_direct.pending", "6"),
        ]
    );
}

#[test]
fn no_single_cell_is_said_so() {
    let mut r = sample();
    r.set("t3.granted.natural", Cell::int(1));
    r.set("t3.granted.commercial", Cell::int(1));
    let v = rules::validate(&r);
    assert!(!v.is_valid());
    let s = v.errors().next().unwrap().suggestion.clone().unwrap();
    // Two independent errors in one connected group: no single cell explains it.
    assert!(s.candidates.is_empty(), "{s:?}");
    assert!(s.message.contains("多处错误"));
}

#[test]
fn variant_other_row_in_a_2021_report() {
    let mut r = synth::consistent(Edition::E2021, 5);
    let t = r.template();
    // The single 2019-style row holding the sum of the three sub-rows.
    gx::synth::use_variant_rows(&mut r);
    assert!(t
        .cells
        .iter()
        .any(|c| matches!(c.row.presence, Presence::InsteadOf(_))));
    let v = rules::validate(&r);
    assert!(v.is_valid(), "{:#?}", v.findings);
    assert_eq!(v.findings.len(), 1);
    assert_eq!(v.findings[0].rule, "T3-OTHER-VARIANT");
    assert_eq!(v.findings[0].severity, Severity::Warning);
}

fn t3_and_t4_keys(r: &Report) -> Vec<String> {
    r.template()
        .cells
        .iter()
        .zip(&r.cells)
        .filter(|(_, c)| c.value != Value::Absent)
        .map(|(d, _)| d.key.clone())
        .filter(|k| k.starts_with("t3.") || k.starts_with("t4."))
        .collect()
}

/// A consistent report of edition `e` (from `seed`) with one present cell whose key starts
/// with `prefix`, picked by `pick`, changed to `to`: the report, the cell's key and its old
/// value. A case where `to` is the old value is rejected.
fn one_cell_changed(
    e: Edition,
    seed: u64,
    prefix: &str,
    pick: &prop::sample::Index,
    to: i64,
) -> Result<(Report, String, i64), TestCaseError> {
    let mut r = synth::consistent(e, seed);
    let keys: Vec<String> = t3_and_t4_keys(&r)
        .into_iter()
        .filter(|k| k.starts_with(prefix))
        .collect();
    let key = pick.get(&keys).clone();
    let old = r.get(&key).unwrap().value.as_i128() as i64;
    prop_assume!(to != old);
    r.set(&key, Cell::int(to));
    Ok((r, key, old))
}

fn edition() -> impl Strategy<Value = Edition> {
    prop_oneof![Just(Edition::E2019), Just(Edition::E2021)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn consistent_reports_validate_clean(e in edition(), seed in any::<u64>()) {
        let r = synth::consistent(e, seed);
        let v = rules::validate(&r);
        prop_assert!(v.findings.is_empty(), "{:#?}", v.findings);
    }

    #[test]
    fn one_changed_t3_cell_is_found_exactly(
        e in edition(), seed in any::<u64>(), pick in any::<prop::sample::Index>(), to in 0i64..1000,
    ) {
        let (r, key, old) = one_cell_changed(e, seed, "t3.", &pick, to)?;
        let v = rules::validate(&r);
        prop_assert!(!v.is_valid());
        for f in v.errors() {
            let s = f.suggestion.as_ref().unwrap();
            let c: Vec<(&str, String)> = s.candidates.iter().map(|c| (c.cell.as_str(), c.value.clone())).collect();
            prop_assert_eq!(c, vec![(key.as_str(), old.to_string())]);
        }
    }

    #[test]
    fn one_changed_t4_cell_is_among_the_candidates(
        e in edition(), seed in any::<u64>(), pick in any::<prop::sample::Index>(), to in 0i64..1000,
    ) {
        let (r, key, old) = one_cell_changed(e, seed, "t4.", &pick, to)?;
        let v = rules::validate(&r);
        let errors: Vec<_> = v.errors().collect();
        prop_assert_eq!(errors.len(), 1);
        let s = errors[0].suggestion.as_ref().unwrap();
        prop_assert!(s.candidates.iter().any(|c| c.cell == key && c.value == old.to_string()), "{:?}", s);
        if key.ends_with(".total") {
            prop_assert_eq!(&s.candidates[0].cell, &key);
        }
    }
}
