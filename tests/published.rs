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
    every_read_shows_published_with_errors(&served);

    // The corrected report is revision 2, and the board shows it fixed.
    let mut fixed = broken();
    fixed["t4"]["review"]["total"] = 3.into();
    let path = served.write("fixed.json", &fixed);
    served.exits(&["submit", &path, "--reason", "更正表四合计"], 0);
    let board = served.json(&["--org", COUNTY, "status", "2020", "-o", "json"]);
    assert_eq!(board["entries"][0]["state"], "filed (fixed)", "{board}");
    assert_eq!(board["filed"], 1);
    // The diff of the two revisions gives each side's verdict.
    let diff = served.text(&["--org", TOWN, "diff", "2020", "--rev", "1..2"]);
    assert!(diff.contains("revision 1, invalid (1 error"), "{diff}");
    assert!(diff.contains("revision 2, valid"), "{diff}");

    archiving_needs_an_admin_or_archivist(&served);
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
    // The rendering says which rows were deduced and which cells are unreadable.
    let md = served.text(&["render", "350128", "2023", "-f", "md"]);
    assert!(md.contains("193个单元格按勾稽关系唯一确定（推断）"), "{md}");
    assert!(
        md.contains("3个单元格无法从原文确定，留空（不是0）：表二「行政规范性文件」"),
        "{md}"
    );
    let html = served.text(&["render", "350128", "2023", "-f", "html"]);
    assert!(html.contains("<p class=\"provenance\">注："));
    // The export carries it (JSONL).
    let jsonl = served.text(&["--org", "350128", "export", "--year", "2023", "-o", "jsonl"]);
    let row: Json = serde_json::from_str(jsonl.lines().next().unwrap()).unwrap();
    let p = row["provenance"].as_array().unwrap();
    assert_eq!(p.len(), 196, "193 deduced, 3 unreadable");
    // The same page again stores nothing new.
    served.says(
        &["--org", "350128", "submit", page, "--allow-unreadable"],
        0,
        "unchanged: already revision 1",
    );
    served.gxd.stop().await;
}

/// A county's folder of PDFs, HTML pages and text files (UTF-8 and GBK) in one command; a
/// second run stores nothing new.
#[tokio::test(flavor = "multi_thread")]
async fn a_folder_goes_in_with_one_command() {
    let served = Served::start();
    register(&served);
    served.exits(
        &[
            "org",
            "add",
            "350128",
            "--name",
            "福建省平潭综合实验区管理委员会",
            "--level",
            "市",
        ],
        0,
    );
    let dir = mixed_folder(&served);
    let manifest = served.dir().join("bodies.csv");
    std::fs::write(&manifest, "file,org_id\npingtan-2023.txt,350128\n").unwrap();
    let dir = dir.to_str().unwrap();
    let manifest = manifest.to_str().unwrap();
    let args = [
        "import",
        dir,
        "--submit",
        "--manifest",
        manifest,
        "--allow-unreadable",
        "--explain",
        "X-CARRY=2019年结转的1件申请已于年初撤回",
        "-o",
        "json",
    ];
    let first = served.json(&args);
    assert_eq!(first["submitted"], 4, "{first:#}");
    assert_eq!(first["new_revisions"], 4);
    let files = first["files"].as_array().unwrap();
    let pingtan = files
        .iter()
        .find(|f| f["file"].as_str().unwrap().ends_with("pingtan-2023.txt"))
        .unwrap();
    assert_eq!(pingtan["org_id"], "350128");
    assert_eq!(pingtan["unreadable"], 3);
    assert_eq!(pingtan["deduced"], 193);
    let town: Vec<&Json> = files.iter().filter(|f| f["org_id"] == TOWN).collect();
    assert_eq!(town.len(), 3, "{first:#}");
    let second = served.json(&args);
    assert_eq!(second["submitted"], 4);
    assert_eq!(second["new_revisions"], 0, "{second:#}");
    // The lines for people; without the manifest the zone's name matches no body.
    let out = served
        .ctl()
        .args([
            "import",
            dir,
            "--submit",
            "--explain",
            "X-CARRY=2019年结转的1件申请已于年初撤回",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("no registered body is named 「平潭综合实验区」"),
        "{text}"
    );
    assert!(
        text.contains("固城镇 (621024101) 2021年 · 2021 edition"),
        "{text}"
    );
    assert!(
        text.contains("4 files: 3 submitted (0 new revisions, 3 unchanged), 1 not submitted"),
        "{text}"
    );
    served.gxd.stop().await;
}

/// get, list, history, the board, export and roll-up all show the state.
fn every_read_shows_published_with_errors(served: &Served) {
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
}

/// A filer may not archive; an archivist may archive any body's report but not file one.
fn archiving_needs_an_admin_or_archivist(served: &Served) {
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
        .stdout(predicate::str::contains(
            "needs an admin or archivist token",
        ));
    // An archivist may archive any body's published report, and may not file one.
    let archivist = served
        .ctl()
        .args(["token", "create", "--role", "archivist"])
        .output()
        .unwrap();
    let token = String::from_utf8(archivist.stdout).unwrap();
    let mut county = broken();
    county["org"]["id"] = COUNTY.into();
    county["org"]["name"] = "合水县".into();
    let path = served.write("county.json", &county);
    served
        .ctl()
        .env("GX_TOKEN", token.trim())
        .args(["submit", &path])
        .assert()
        .code(7);
    served
        .ctl()
        .env("GX_TOKEN", token.trim())
        .args(["submit", "--as-published", &path])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("published with errors"));
}

/// A county's folder of mixed files: a PDF in a sub-folder, an HTML page, a GBK text file, a
/// real crawler page and a file that is no report.
fn mixed_folder(served: &Served) -> std::path::PathBuf {
    use crate::support::fixture;
    let dir = served.dir().join("county");
    std::fs::create_dir_all(dir.join("towns")).unwrap();
    std::fs::copy(
        fixture("import/gucheng-town-2020.pdf"),
        dir.join("towns/gucheng-2020.pdf"),
    )
    .unwrap();
    let html = served.text(&[
        "render",
        fixture("gucheng-town-2021.json").to_str().unwrap(),
        "-f",
        "html",
    ]);
    std::fs::write(dir.join("gucheng-2021.html"), html).unwrap();
    let text = served.text(&[
        "render",
        fixture("gucheng-town-2019.json").to_str().unwrap(),
        "-f",
        "txt",
    ]);
    let (gbk, _, _) = encoding_rs::GBK.encode(&text);
    std::fs::write(dir.join("gucheng-2019.txt"), &gbk).unwrap();
    std::fs::copy(
        fixture("real/2023-pingtan-zone.txt"),
        dir.join("pingtan-2023.txt"),
    )
    .unwrap();
    std::fs::write(dir.join("notes.csv"), "not a report").unwrap();
    dir
}
