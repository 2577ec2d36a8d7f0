//! The real gxctl against a real gxd: submit, get, list, history, and diff across years,
//! editions and revisions; errors and exit codes.

use predicates::prelude::*;
use serde_json::Value as Json;

use crate::support::{fixture, fixture_json, gxctl, json_of, stdout_of, Served};

/// The 2020 sample amended: 6 normative documents made become 7.
fn amended_2020() -> Json {
    let mut doc = fixture_json("gucheng-town-2020.json");
    doc["t2"]["normative_docs"]["made"] = 7.into();
    doc
}

#[tokio::test(flavor = "multi_thread")]
async fn submit_query_and_diff_through_gxctl() {
    let served = Served::start();
    served.register_the_town();
    submit_three_years(&served);
    diff_with_the_org_of_a_context(&served);
    served_diff_and_render_are_the_files_own(&served);
    diff_across_editions(&served);
    amend_then_diff_revisions(&served);
    history_list_and_get(&served);
    unknown_year_and_body(&served);
    a_rejected_report(&served);
    served.gxd.stop().await;
}

/// 2020's 上年结转 differs from 2019's 结转下年度: explained, it is stored.
fn submit_three_years(served: &Served) {
    served
        .ctl()
        .arg("submit")
        .arg(fixture("gucheng-town-2019.json"))
        .arg(fixture("gucheng-town-2020.json"))
        .arg(fixture("gucheng-town-2021.json"))
        .args(["--explain", "X-CARRY=2019年结转的1件申请已于年初撤回"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "accepted stored as revision 1 of 621024101 2020",
        ));
}

/// A default org from a context: `gxctl diff 2019 2020` needs nothing else.
fn diff_with_the_org_of_a_context(served: &Served) {
    let cfg = served.dir();
    served
        .ctl()
        .args(["config", "set-context", "town", "--server"])
        .arg(served.gxd.url())
        .args(["--org", "621024101"])
        .assert()
        .code(0);
    let mut plain = gxctl();
    plain
        .env("GX_CONFIG", cfg.join("config.yaml"))
        .env("GX_DATA", &served.gxd.data)
        .env_remove("GX_SERVER")
        .env_remove("GX_ORG");
    plain
        .args(["diff", "2019", "2020"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("固城镇 (621024101)  2019 → 2020"))
        .stdout(predicate::str::contains("revision 1"))
        .stdout(predicate::str::contains("t2.normative_docs.made"))
        .stdout(predicate::str::contains(
            "Carry-over: 2020 t3.carried differs from 2019 t3.forward",
        ))
        .stdout(predicate::str::contains("\u{1b}[").not());
}

/// The server's diff is the library's diff of the two files; the stored report renders
/// exactly as its file does.
fn served_diff_and_render_are_the_files_own(served: &Served) {
    let remote = served.json(&["--org", "621024101", "diff", "2019", "2020", "-o", "json"]);
    let local = json_of(
        gxctl()
            .arg("diff")
            .arg(fixture("gucheng-town-2019.json"))
            .arg(fixture("gucheng-town-2020.json"))
            .args(["-o", "json"]),
    );
    for k in ["tables", "not_comparable", "narrative", "carry_over"] {
        assert_eq!(remote[k], local[k], "{k}");
    }
    assert_eq!(remote["old"]["revision"], 1);
    assert_eq!(local["old"]["revision"], Json::Null);

    for f in ["html", "md", "txt"] {
        let remote = served.text(&["render", "621024101", "2019", "-f", f]);
        let local = stdout_of(
            gxctl()
                .arg("render")
                .arg(fixture("gucheng-town-2019.json"))
                .args(["-f", f]),
        );
        assert_eq!(remote, local, "{f}");
    }
}

/// Across editions: the not-comparable list.
fn diff_across_editions(served: &Served) {
    let d = served.json(&["--org", "621024101", "diff", "2020", "2021", "-o", "json"]);
    assert_eq!(d["old"]["edition"], 2019);
    assert_eq!(d["new"]["edition"], 2021);
    assert_eq!(d["not_comparable"].as_array().unwrap().len(), 19 + 7);
    served.says(
        &[
            "--org",
            "621024101",
            "diff",
            "2020",
            "2021",
            "-o",
            "markdown",
        ],
        0,
        "### Not comparable (2019 → 2021 edition)",
    );
}

/// An amendment, a stale expected revision refused, then a revision diff.
fn amend_then_diff_revisions(served: &Served) {
    let amended = served.write("amended.json", &amended_2020());
    served
        .ctl()
        .arg("submit")
        .arg(&amended)
        .args(["--reason", "更正规范性文件数量", "--expected-revision", "1"])
        .args(["--explain", "X-CARRY=2019年结转的1件申请已于年初撤回"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("stored as revision 2"));
    // A stale expected revision is a conflict.
    served
        .ctl()
        .arg("submit")
        .arg(fixture("gucheng-town-2020.json"))
        .args(["--reason", "x", "--expected-revision", "1"])
        .assert()
        .code(5);
    let d = served.json(&[
        "--org",
        "621024101",
        "diff",
        "2020",
        "--rev",
        "1..2",
        "-o",
        "json",
    ]);
    assert_eq!(d["old"]["revision"], 1);
    assert_eq!(d["new"]["revision"], 2);
    assert_eq!(d["tables"][0]["cells"][0]["key"], "t2.normative_docs.made");
    assert_eq!(d["tables"][0]["cells"][0]["old"], "6");
    assert_eq!(d["tables"][0]["cells"][0]["new"], "7");
    assert_eq!(d["carry_over"], Json::Null);
}

fn history_list_and_get(served: &Served) {
    let h = served.json(&["history", "621024101", "2020", "-o", "json"]);
    assert_eq!(h.as_array().unwrap().len(), 2);
    assert_eq!(h[1]["reason"], "更正规范性文件数量");

    let l = served.json(&["list", "-o", "json"]);
    let years: Vec<u64> = l
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["year"].as_u64().unwrap())
        .collect();
    assert_eq!(years, [2019, 2020, 2021]);
    assert_eq!(l[1]["revision"], 2);

    let g = served.json(&["get", "621024101", "2020", "--rev", "1", "-o", "json"]);
    assert_eq!(g["revision"]["revision"], 1);
    assert_eq!(g["report"]["t2"]["normative_docs"]["made"], 6);
    served.says(
        &["get", "621024101", "2020", "-o", "cells"],
        0,
        "t2.normative_docs.made=7\n",
    );
}

/// Unknown year and unknown body: a clear line and exit 3.
fn unknown_year_and_body(served: &Served) {
    served
        .ctl()
        .args(["--org", "621024101", "diff", "2018", "2020"])
        .assert()
        .code(3)
        .stderr(predicate::str::diff(
            "gxctl: no report for 621024101 in 2018 (reports exist for 2019, 2020, 2021)\n",
        ));
    served.complains(
        &["get", "999999", "2020"],
        3,
        "no report for 999999 in 2020 (no reports exist for it)",
    );
}

/// A rejected report: exit 1, the cell key and the Chinese finding.
fn a_rejected_report(served: &Served) {
    let mut bad = amended_2020();
    bad["t4"]["review"]["upheld"] = 10.into();
    bad["t4"]["review"]["corrected"] = 1.into();
    let bad_path = served.write("bad.json", &bad);
    served
        .ctl()
        .arg("submit")
        .arg(&bad_path)
        .args(["--reason", "x"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("t4.review.total"))
        .stdout(predicate::str::contains("改为 11"));
}

#[test]
fn server_down_is_a_clear_line_and_exit_4() {
    // A port nothing listens on: bind one, note it, let it go.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    gxctl()
        .env("GX_SERVER", format!("127.0.0.1:{port}"))
        .env("GX_CONFIG", dir.path().join("config.yaml"))
        .args(["list"])
        .assert()
        .code(4)
        .stderr(predicate::str::diff(format!(
            "gxctl: cannot reach gxd at 127.0.0.1:{port}: connection refused — is gxd running?\n"
        )));
}

/// The "done when": the scraped sample imports to exactly the sample's cells, and
/// `gxctl submit` of the published text stores it.
#[tokio::test(flavor = "multi_thread")]
async fn a_published_report_is_imported_and_submitted() {
    let served = Served::start();
    let scraped = fixture("gucheng-town-2020.scraped.txt");
    let cells = std::fs::read_to_string(fixture("gucheng-town-2020.cells")).unwrap();

    let imported = stdout_of(
        served
            .ctl()
            .args(["--org", "621024101", "import"])
            .arg(&scraped)
            .args(["-o", "cells"]),
    );
    assert_eq!(imported, cells);

    // Without a body code the published text cannot be submitted.
    served
        .ctl()
        .arg("submit")
        .arg(&scraped)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("give --org ORG"));

    served.register_the_town();
    served
        .ctl()
        .args(["--org", "621024101", "submit"])
        .arg(&scraped)
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "accepted stored as revision 1 of 621024101 2020",
        ));
    let stored = served.text(&["get", "621024101", "2020", "-o", "cells"]);
    assert_eq!(stored, cells);
    served.gxd.stop().await;
}
