//! The real gxctl against a real gxd: submit, get, list, history, and diff across years,
//! editions and revisions; errors and exit codes.

use predicates::prelude::*;
use serde_json::Value as Json;

use crate::server::{start_in, Gxd};
use crate::support::{fixture, gxctl};

/// gxctl pointed at `gxd`, with an empty config of its own.
fn ctl(gxd: &Gxd, config: &std::path::Path) -> assert_cmd::Command {
    let mut cmd = gxctl();
    // The token: gxd's bootstrap admin token, found as on gxd's own machine.
    cmd.env("GX_SERVER", gxd.url())
        .env("GX_DATA", &gxd.data)
        .env_remove("GX_TOKEN")
        .env("GX_CONFIG", config.join("config.yaml"))
        .env_remove("GX_ORG")
        .env_remove("GX_CONTEXT");
    cmd
}

fn json_out(cmd: &mut assert_cmd::Command) -> Json {
    let out = cmd.assert().code(0).get_output().stdout.clone();
    serde_json::from_slice(&out)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out)))
}

#[tokio::test(flavor = "multi_thread")]
async fn submit_query_and_diff_through_gxctl() {
    let dir = tempfile::tempdir().unwrap();
    let gxd = start_in(&dir.path().join("data"));
    let cfg = dir.path();

    // A report must name a registered body.
    ctl(&gxd, cfg)
        .args([
            "org",
            "add",
            "621024101",
            "--name",
            "固城镇",
            "--level",
            "乡镇",
        ])
        .assert()
        .code(0);
    // 2020's 上年结转 differs from 2019's 结转下年度: explained, it is stored.
    ctl(&gxd, cfg)
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

    // A default org from a context: `gxctl diff 2019 2020` needs nothing else.
    ctl(&gxd, cfg)
        .args(["config", "set-context", "town", "--server"])
        .arg(gxd.url())
        .args(["--org", "621024101"])
        .assert()
        .code(0);
    let mut plain = gxctl();
    plain
        .env("GX_CONFIG", cfg.join("config.yaml"))
        .env("GX_DATA", &gxd.data)
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

    // The server's diff is the library's diff of the two files.
    let served =
        json_out(ctl(&gxd, cfg).args(["--org", "621024101", "diff", "2019", "2020", "-o", "json"]));
    let local = json_out(
        gxctl()
            .arg("diff")
            .arg(fixture("gucheng-town-2019.json"))
            .arg(fixture("gucheng-town-2020.json"))
            .args(["-o", "json"]),
    );
    for k in ["tables", "not_comparable", "narrative", "carry_over"] {
        assert_eq!(served[k], local[k], "{k}");
    }
    assert_eq!(served["old"]["revision"], 1);
    assert_eq!(local["old"]["revision"], Json::Null);

    // The stored report renders exactly as its file does.
    for f in ["html", "md", "txt"] {
        let served = ctl(&gxd, cfg)
            .args(["render", "621024101", "2019", "-f", f])
            .assert()
            .code(0)
            .get_output()
            .stdout
            .clone();
        let local = gxctl()
            .arg("render")
            .arg(fixture("gucheng-town-2019.json"))
            .args(["-f", f])
            .assert()
            .code(0)
            .get_output()
            .stdout
            .clone();
        assert_eq!(
            String::from_utf8(served).unwrap(),
            String::from_utf8(local).unwrap(),
            "{f}"
        );
    }

    // Across editions: the not-comparable list.
    let d =
        json_out(ctl(&gxd, cfg).args(["--org", "621024101", "diff", "2020", "2021", "-o", "json"]));
    assert_eq!(d["old"]["edition"], 2019);
    assert_eq!(d["new"]["edition"], 2021);
    assert_eq!(d["not_comparable"].as_array().unwrap().len(), 19 + 7);
    ctl(&gxd, cfg)
        .args([
            "--org",
            "621024101",
            "diff",
            "2020",
            "2021",
            "-o",
            "markdown",
        ])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "### Not comparable (2019 → 2021 edition)",
        ));

    // An amendment, then a revision diff.
    let mut doc: Json =
        serde_json::from_str(&std::fs::read_to_string(fixture("gucheng-town-2020.json")).unwrap())
            .unwrap();
    doc["t2"]["normative_docs"]["made"] = 7.into();
    let amended = dir.path().join("amended.json");
    std::fs::write(&amended, doc.to_string()).unwrap();
    ctl(&gxd, cfg)
        .arg("submit")
        .arg(&amended)
        .args(["--reason", "更正规范性文件数量", "--expected-revision", "1"])
        .args(["--explain", "X-CARRY=2019年结转的1件申请已于年初撤回"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("stored as revision 2"));
    // A stale expected revision is a conflict.
    ctl(&gxd, cfg)
        .arg("submit")
        .arg(fixture("gucheng-town-2020.json"))
        .args(["--reason", "x", "--expected-revision", "1"])
        .assert()
        .code(5);
    let d = json_out(ctl(&gxd, cfg).args([
        "--org",
        "621024101",
        "diff",
        "2020",
        "--rev",
        "1..2",
        "-o",
        "json",
    ]));
    assert_eq!(d["old"]["revision"], 1);
    assert_eq!(d["new"]["revision"], 2);
    assert_eq!(d["tables"][0]["cells"][0]["key"], "t2.normative_docs.made");
    assert_eq!(d["tables"][0]["cells"][0]["old"], "6");
    assert_eq!(d["tables"][0]["cells"][0]["new"], "7");
    assert_eq!(d["carry_over"], Json::Null);

    let h = json_out(ctl(&gxd, cfg).args(["history", "621024101", "2020", "-o", "json"]));
    assert_eq!(h.as_array().unwrap().len(), 2);
    assert_eq!(h[1]["reason"], "更正规范性文件数量");

    let l = json_out(ctl(&gxd, cfg).args(["list", "-o", "json"]));
    let years: Vec<u64> = l
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["year"].as_u64().unwrap())
        .collect();
    assert_eq!(years, [2019, 2020, 2021]);
    assert_eq!(l[1]["revision"], 2);

    let g = json_out(ctl(&gxd, cfg).args(["get", "621024101", "2020", "--rev", "1", "-o", "json"]));
    assert_eq!(g["revision"]["revision"], 1);
    assert_eq!(g["report"]["t2"]["normative_docs"]["made"], 6);
    ctl(&gxd, cfg)
        .args(["get", "621024101", "2020", "-o", "cells"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("t2.normative_docs.made=7\n"));

    // Unknown year and unknown body: a clear line and exit 3.
    ctl(&gxd, cfg)
        .args(["--org", "621024101", "diff", "2018", "2020"])
        .assert()
        .code(3)
        .stderr(predicate::str::diff(
            "gxctl: no report for 621024101 in 2018 (reports exist for 2019, 2020, 2021)\n",
        ));
    ctl(&gxd, cfg)
        .args(["get", "999999", "2020"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains(
            "no report for 999999 in 2020 (no reports exist for it)",
        ));

    // A rejected report: exit 1, the cell key and the Chinese finding.
    let mut bad = doc.clone();
    bad["t4"]["review"]["upheld"] = 10.into();
    bad["t4"]["review"]["corrected"] = 1.into();
    let bad_path = dir.path().join("bad.json");
    std::fs::write(&bad_path, bad.to_string()).unwrap();
    ctl(&gxd, cfg)
        .arg("submit")
        .arg(&bad_path)
        .args(["--reason", "x"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("t4.review.total"))
        .stdout(predicate::str::contains("改为 11"));

    gxd.stop().await;
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
    let dir = tempfile::tempdir().unwrap();
    let gxd = start_in(&dir.path().join("data"));
    let cfg = dir.path();
    let scraped = fixture("gucheng-town-2020.scraped.txt");
    let cells = std::fs::read_to_string(fixture("gucheng-town-2020.cells")).unwrap();

    let out = ctl(&gxd, cfg)
        .args(["--org", "621024101", "import"])
        .arg(&scraped)
        .args(["-o", "cells"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    assert_eq!(String::from_utf8(out).unwrap(), cells);

    // Without a body code the published text cannot be submitted.
    ctl(&gxd, cfg)
        .arg("submit")
        .arg(&scraped)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("give --org ORG"));

    ctl(&gxd, cfg)
        .args([
            "org",
            "add",
            "621024101",
            "--name",
            "固城镇",
            "--level",
            "乡镇",
        ])
        .assert()
        .code(0);
    ctl(&gxd, cfg)
        .args(["--org", "621024101", "submit"])
        .arg(&scraped)
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "accepted stored as revision 1 of 621024101 2020",
        ));
    let stored = ctl(&gxd, cfg)
        .args(["get", "621024101", "2020", "-o", "cells"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    assert_eq!(String::from_utf8(stored).unwrap(), cells);
    gxd.stop().await;
}
