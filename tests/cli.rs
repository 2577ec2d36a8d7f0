//! The real gxctl binary, offline: validate and cells.

use predicates::prelude::*;
use serde_json::Value as Json;

use crate::support::{fixture, gxctl, temp_file};

fn sample_json() -> Json {
    serde_json::from_str(&std::fs::read_to_string(fixture("gucheng-town-2020.json")).unwrap())
        .unwrap()
}

#[test]
fn validate_accepts_the_sample_in_every_form() {
    for name in ["gucheng-town-2020.json", "gucheng-town-2020.cells"] {
        gxctl()
            .arg("validate")
            .arg(fixture(name))
            .assert()
            .code(0)
            .stdout(predicate::str::contains(
                "valid — 固城镇 2020年 (2019 edition): 0 errors, 0 warnings",
            ));
    }
}

/// The "done when": 行政复议 结果维持 10, 结果纠正 1, 总计 0 → exit 1, naming
/// t4.review.total with 11.
#[test]
fn validate_names_the_total_of_zero() {
    let mut doc = sample_json();
    doc["t4"]["review"]["upheld"] = 10.into();
    doc["t4"]["review"]["corrected"] = 1.into();
    let f = temp_file("json", &doc.to_string());
    gxctl()
        .arg("validate")
        .arg(f.path())
        .assert()
        .code(1)
        .stdout(predicate::str::contains("T4-SUM"))
        .stdout(predicate::str::contains(
            "将表四「行政复议」「总计」（t4.review.total）改为 11",
        ))
        .stdout(predicate::str::contains("invalid"));

    let out = gxctl()
        .args(["validate", "-o", "json"])
        .arg(f.path())
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let v: Json = serde_json::from_slice(&out).unwrap();
    let file = &v[0];
    assert_eq!(file["valid"], false);
    let finding = &file["findings"][0];
    assert_eq!(finding["rule"], "T4-SUM");
    assert_eq!(finding["severity"], "error");
    assert_eq!(finding["cells"][0], "t4.review.total");
    assert_eq!(finding["labels"][0], "表四「行政复议」「总计」");
    assert_eq!(finding["expected"], "11");
    assert_eq!(finding["actual"], "0");
    assert_eq!(
        finding["suggestion"]["candidates"][0]["cell"],
        "t4.review.total"
    );
    assert_eq!(finding["suggestion"]["candidates"][0]["value"], "11");
    let keys: Vec<&str> = finding
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "rule",
            "severity",
            "cells",
            "labels",
            "expected",
            "actual",
            "suggestion",
            "message"
        ]
    );
}

#[test]
fn validate_exit_codes() {
    // Unreadable input is a usage error (2), named with file, line and key.
    let bad = temp_file("json", "{\"year\": 2020,\n \"t9\": {}}");
    gxctl()
        .arg("validate")
        .arg(bad.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("line 2"))
        .stderr(predicate::str::contains("unknown field `t9`"));
    gxctl()
        .args(["validate", "/nonexistent/report.json"])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with(
            "gxctl: /nonexistent/report.json:",
        ));
    gxctl().arg("validate").assert().code(2);
    // Any invalid file makes the run invalid; every file gets its verdict line.
    let mut doc = sample_json();
    doc["t3"]["new"]["natural"] = 3.into();
    let invalid = temp_file("json", &doc.to_string());
    gxctl()
        .arg("validate")
        .arg(fixture("gucheng-town-2020.json"))
        .arg(invalid.path())
        .assert()
        .code(1)
        .stdout(predicate::str::contains("gucheng-town-2020.json: valid"))
        .stdout(predicate::str::contains("invalid — 固城镇"));
}

#[test]
fn cells_prints_the_fixture_line_by_line() {
    let expected = std::fs::read_to_string(fixture("gucheng-town-2020.cells")).unwrap();
    let out = gxctl()
        .arg("cells")
        .arg(fixture("gucheng-town-2020.json"))
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8(out).unwrap();
    for (i, (a, b)) in out.lines().zip(expected.lines()).enumerate() {
        assert_eq!(a, b, "line {}", i + 1);
    }
    assert_eq!(out.lines().count(), expected.lines().count());
}

#[test]
fn no_color_means_no_escape_codes() {
    let mut doc = sample_json();
    doc["t3"]["new"]["natural"] = 3.into();
    let invalid = temp_file("json", &doc.to_string());
    gxctl()
        .arg("validate")
        .arg(invalid.path())
        .env("NO_COLOR", "1")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("\u{1b}[").not());
}
