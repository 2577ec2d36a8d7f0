//! Reports as they were published: one whose tables do not add up is stored exactly as
//! printed with `--as-published` (admin only), with its errors, and shows as "published with
//! errors" in get, list, history, the board, export and the roll-up. A plain submit still
//! refuses it; a corrected submission is revision 2 and the board shows it fixed.

use predicates::prelude::*;
use serde_json::Value as Json;

use crate::support::{fixture_json, Served};

const COUNTY: &str = "621024";
const TOWN: &str = "621024101";

fn register(served: &Served) {
    for args in [
        ["org", "add", COUNTY, "--name", "合水县", "--level", "县"].as_slice(),
        &[
            "org",
            "add",
            TOWN,
            "--name",
            "固城镇",
            "--level",
            "乡镇",
            "--parent",
            COUNTY,
        ],
    ] {
        served.exits(args, 0);
    }
}

/// The 2020 sample as published with a 总计 printed as 0 beside non-zero parts.
fn broken() -> Json {
    let mut doc = fixture_json("gucheng-town-2020.json");
    doc["t4"]["review"]["upheld"] = 3.into();
    doc["t4"]["review"]["total"] = 0.into();
    doc
}

#[tokio::test(flavor = "multi_thread")]
async fn a_report_that_does_not_add_up_is_stored_as_published() {
    let served = Served::start();
    register(&served);
    let path = served.write("broken.json", &broken());
    // A plain submit refuses it, exactly as before.
    served
        .ctl()
        .args(["submit", &path])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("refused"))
        .stdout(predicate::str::contains("t4.review.total"));
    // As published: stored as printed, with its errors.
    served
        .ctl()
        .args(["submit", "--as-published", &path])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("stored as revision 1"))
        .stdout(predicate::str::contains("published with errors: 1 error"));
    let got = served.json(&["--org", TOWN, "get", "2020", "-o", "json"]);
    assert_eq!(got["revision"]["state"], "published with errors");
    assert_eq!(got["report"]["t4"]["review"]["total"], 0, "kept as printed");
    assert_eq!(got["report"]["t4"]["review"]["upheld"], 3);
    let text = served.text(&["--org", TOWN, "get", "2020"]);
    assert!(text.contains("state: published with errors"), "{text}");
    let list = served.json(&["list", "--year", "2020", "-o", "json"]);
    assert_eq!(list[0]["state"], "published with errors", "{list}");
    let history = served.text(&["--org", TOWN, "history", "2020"]);
    assert!(history.contains("published with errors"), "{history}");
    let board = served.json(&["--org", COUNTY, "status", "2020", "-o", "json"]);
    assert_eq!(board["published_with_errors"], 1, "{board}");
    assert_eq!(board["filed"], 0);
    assert_eq!(board["entries"][0]["state"], "published with errors");
    let csv = served.text(&["--org", COUNTY, "export", "--year", "2020"]);
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].contains(",content_hash,verdict,"), "{}", lines[0]);
    assert!(lines[1].contains(",published with errors,"), "{}", lines[1]);
    let rollup = served
        .ctl()
        .args(["--org", COUNTY, "rollup", "2020"])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&rollup.stdout);
    assert!(out.contains("1 part was published with errors"), "{out}");
    assert!(out.contains("revision 1, published with errors"), "{out}");

    // The corrected report is revision 2, and the board shows it fixed.
    let mut fixed = broken();
    fixed["t4"]["review"]["total"] = 3.into();
    let path = served.write("fixed.json", &fixed);
    served.exits(&["submit", &path, "--reason", "更正表四合计"], 0);
    let board = served.json(&["--org", COUNTY, "status", "2020", "-o", "json"]);
    assert_eq!(board["entries"][0]["state"], "filed (fixed)", "{board}");
    assert_eq!(board["filed"], 1);

    // A filer may not archive a report with errors.
    let filer = served
        .ctl()
        .args(["token", "create", "--role", "filer", "--for", TOWN])
        .output()
        .unwrap();
    let token = String::from_utf8(filer.stdout).unwrap();
    let path = served.write("broken2.json", &broken());
    served
        .ctl()
        .env("GX_TOKEN", token.trim())
        .args(["submit", "--as-published", &path, "--reason", "x"])
        .assert()
        .code(7)
        .stdout(predicate::str::contains("needs an admin token"));
    served.gxd.stop().await;
}

/// A crawler page submitted through the importer: the deduced and the unreadable cells are
/// stored with the revision and shown by get.
#[tokio::test(flavor = "multi_thread")]
async fn provenance_is_stored_with_the_revision() {
    let served = Served::start();
    served.exits(
        &[
            "org",
            "add",
            "350128",
            "--name",
            "平潭综合实验区",
            "--level",
            "市",
        ],
        0,
    );
    let page = crate::support::fixture("real/2023-pingtan-zone.txt");
    let page = page.to_str().unwrap();
    // Unreadable cells refuse a plain submit…
    served
        .ctl()
        .args(["--org", "350128", "submit", page])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("could not be read"));
    // …unless allowed: they are stored blank, and said to be unreadable.
    served.exits(
        &["--org", "350128", "submit", page, "--allow-unreadable"],
        0,
    );
    let got = served.json(&["--org", "350128", "get", "2023", "-o", "json"]);
    let provenance = got["revision"]["provenance"].as_array().unwrap();
    let cell = |key: &str| provenance.iter().find(|p| p["cell"] == key).unwrap();
    assert_eq!(cell("t4.review.total")["origin"], "deduced");
    assert_eq!(cell("t4.review.total")["printed"], "110024001510102");
    assert!(cell("t4.review.total")["why"]
        .as_str()
        .unwrap()
        .contains("T4-SUM"));
    assert_eq!(cell("t2.normative_docs.issued")["origin"], "unreadable");
    assert_eq!(got["report"]["t2"]["normative_docs"]["issued"], Json::Null);
    let cells = served.text(&["--org", "350128", "get", "2023", "-o", "cells"]);
    assert!(
        cells.contains("# deduced t4.review.total=T4-SUM"),
        "{cells}"
    );
    assert!(cells.contains("# unreadable t2.normative_docs.issued="));
    // The same page again stores nothing new.
    served.says(
        &["--org", "350128", "submit", page, "--allow-unreadable"],
        0,
        "unchanged: already revision 1",
    );
    served.gxd.stop().await;
}
