//! `gxctl diff` on files: the JSON of a fixed pair checked field by field, the edition mapping,
//! and the human and Markdown forms.

use gx::diff::{self, Options};
use gx::files;
use predicates::prelude::*;
use serde_json::{json, Value as Json};

use crate::support::{each, find, fixture, gxctl, json_of};

fn diff_json(a: &str, b: &str, extra: &[&str]) -> Json {
    json_of(
        gxctl()
            .arg("diff")
            .arg(fixture(a))
            .arg(fixture(b))
            .args(["-o", "json"])
            .args(extra),
    )
}

#[test]
fn same_edition_json_field_by_field() {
    let d = diff_json("gucheng-town-2019.json", "gucheng-town-2020.json", &[]);
    let keys: Vec<&str> = d.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "old",
            "new",
            "tables",
            "not_comparable",
            "narrative",
            "carry_over",
            "figures"
        ]
    );
    the_two_sides(&d);
    the_changed_cells(&d);
    the_carry_over(&d);
    the_narrative(&d);
}

fn the_two_sides(d: &Json) {
    let old = &d["old"];
    assert_eq!(old["org_id"], "621024101");
    assert_eq!(old["org_name"], "固城镇");
    assert_eq!(old["year"], 2019);
    assert_eq!(old["edition"], 2019);
    assert_eq!(old["revision"], Json::Null);
    assert_eq!(old["valid"], true);
    assert_eq!(old["errors"], 0);
    assert_eq!(old["warnings"], 0);
    assert_eq!(old["findings"], json!([]));
    assert_eq!(d["new"]["year"], 2020);
}

fn the_changed_cells(d: &Json) {
    let tables = d["tables"].as_array().unwrap();
    assert_eq!(tables.len(), 2);
    assert_eq!(tables[0]["table"], "t2");
    assert_eq!(tables[0]["heading"], "二、主动公开政府信息情况");
    assert_eq!(
        tables[0]["cells"][0],
        json!({
            "key": "t2.normative_docs.made",
            "label": "表二第二十条第（一）项「规范性文件」行「本年新制作数量」列",
            "old_cells": ["t2.normative_docs.made"],
            "new_cells": ["t2.normative_docs.made"],
            "old": "4",
            "new": "6",
            "delta": "2",
            "pct": "50",
            "changed": true
        })
    );
    assert_eq!(
        each(&tables[1]["cells"], "key"),
        [
            "t3.new.natural",
            "t3.new.total",
            "t3.granted.natural",
            "t3.granted.total",
            "t3.results_total.natural",
            "t3.results_total.total",
            "t3.forward.natural",
            "t3.forward.total"
        ]
    );
    assert_eq!(tables[1]["cells"][0]["delta"], "-3");
    assert_eq!(tables[1]["cells"][0]["pct"], "-100");
    assert_eq!(d["not_comparable"], json!([]));
}

/// 2019 left 1 request to carry forward; 2020 carried none.
fn the_carry_over(d: &Json) {
    let carry = &d["carry_over"];
    assert_eq!(carry["ok"], false);
    assert_eq!(
        carry["columns"][0],
        json!({
            "previous_cell": "t3.forward.natural",
            "cell": "t3.carried.natural",
            "label": "自然人",
            "previous": "1",
            "carried": "0",
            "ok": false
        })
    );
    assert_eq!(carry["columns"].as_array().unwrap().len(), 7);
}

fn the_narrative(d: &Json) {
    let problems = find(&d["narrative"], "section", "problems");
    assert_eq!(problems["heading"], "五、存在的主要问题及改进情况");
    assert!(problems["similarity"].as_f64().unwrap() > 0.9);
    assert_eq!(
        problems["changes"],
        json!([
            {"op": "delete", "text": "一是公开意识有待增强。"},
            {"op": "insert", "text": "一是主动公开的意识还不够强。"}
        ])
    );
    let overview = find(&d["narrative"], "section", "overview");
    assert_eq!(overview["similarity"], 1.0);
    assert_eq!(overview["changes"], json!([]));
}

#[test]
fn across_editions_only_comparable_cells_compare() {
    let d = diff_json("gucheng-town-2020.json", "gucheng-town-2021.json", &[]);
    assert_eq!(
        each(&find(&d["tables"], "table", "t2")["cells"], "key"),
        ["t2.licensing.decisions"]
    );

    // Every other table-2 cell is listed as not comparable, on its own side.
    let nc = d["not_comparable"].as_array().unwrap();
    let old_only: Vec<&str> = nc
        .iter()
        .filter(|n| n["side"] == "old")
        .map(|n| n["cell"].as_str().unwrap())
        .collect();
    let new_only: Vec<&str> = nc
        .iter()
        .filter(|n| n["side"] == "new")
        .map(|n| n["cell"].as_str().unwrap())
        .collect();
    assert_eq!(old_only.len(), 22 - 3);
    assert!(old_only.contains(&"t2.other_mgmt_services.decisions"));
    assert!(old_only.contains(&"t2.central_procurement.amount"));
    assert_eq!(
        new_only,
        [
            "t2.regulations.issued",
            "t2.regulations.repealed",
            "t2.regulations.in_force",
            "t2.normative_docs.issued",
            "t2.normative_docs.repealed",
            "t2.normative_docs.in_force",
            "t2.admin_fees.amount"
        ]
    );
    let issued = find(&d["not_comparable"], "cell", "t2.normative_docs.issued");
    assert_eq!(issued["value"], "5（其中修订2件）");

    // The 2019 single （六）其他处理 row compares with the sum of the 2021 sub-rows.
    let t3 = find(&d["tables"], "table", "t3");
    let other = find(&t3["cells"], "key", "t3.other.natural");
    assert_eq!(
        other["new_cells"],
        json!([
            "t3.other_no_correction.natural",
            "t3.other_fee_unpaid.natural",
            "t3.other_other.natural"
        ])
    );
    assert_eq!(
        (other["old"].as_str(), other["new"].as_str()),
        (Some("0"), Some("1"))
    );
    assert_eq!(other["label"], "表三「（六）其他处理」行「自然人」列");
    assert_eq!(d["carry_over"]["ok"], true);
}

#[test]
fn all_shows_unchanged_cells() {
    let d = diff_json(
        "gucheng-town-2019.json",
        "gucheng-town-2020.json",
        &["--all"],
    );
    let n: usize = d["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["cells"].as_array().unwrap().len())
        .sum();
    assert_eq!(n, 22 + 161 + 15);
}

#[test]
fn human_and_markdown_forms() {
    gxctl()
        .arg("diff")
        .arg(fixture("gucheng-town-2019.json"))
        .arg(fixture("gucheng-town-2020.json"))
        .assert()
        .code(0)
        .stdout(predicate::str::contains("固城镇 (621024101)  2019 → 2020"))
        .stdout(predicate::str::contains("t2.normative_docs.made"))
        .stdout(predicate::str::contains("+50%"))
        .stdout(predicate::str::contains(
            "Carry-over: 2020 t3.carried differs from 2019 t3.forward",
        ))
        .stdout(predicate::str::contains("- 一是公开意识有待增强。"))
        .stdout(predicate::str::contains("\u{1b}[").not());
    gxctl()
        .arg("diff")
        .arg(fixture("gucheng-town-2020.json"))
        .arg(fixture("gucheng-town-2021.json"))
        .args(["-o", "markdown"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "| cell | label | 2020 | 2021 | Δ | % |",
        ))
        .stdout(predicate::str::contains(
            "### Not comparable (2019 → 2021 edition)",
        ))
        .stdout(predicate::str::contains("| `t3.other.natural ↔ Σ3` |"));
}

#[test]
fn a_2021_variant_row_compares_with_split_rows() {
    let a = files::read_path(fixture("gucheng-town-2021.json").to_str().unwrap()).unwrap();
    let mut b = a.clone();
    b.year = 2022;
    gx::synth::use_variant_rows(&mut b);
    let d = diff::diff(&a, None, &b, None, Options::default());
    assert_eq!(d.changed_cells(), 0, "{:#?}", d.tables);
    assert!(d.not_comparable.is_empty());
}
