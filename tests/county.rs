//! A county with three townships and two departments over two years, through the real gxctl
//! against a real gxd: bodies from CSV, the cross-year gate, the roll-up against a
//! hand-computed sum, the filing board, the export, and moving a township to another county.

use predicates::prelude::*;
use serde_json::{json, Value as Json};

use crate::support::{fixture_json, Served};

const BODIES: &str = "\
id,name,level,parent
621024,合水县,县,
621025,宁县,县,
621024101,西华池镇,乡镇,621024
621024102,老城镇,乡镇,621024
621024103,太莪乡,乡镇,621024
621024-jyj,合水县教育局,部门,621024
621024-zrzy,合水县自然资源局,部门,621024
";

/// The five bodies that file, with the `k` of their reports (see [`report`]). 太莪乡 leaves
/// 复议后起诉 blank in 2021 and does not file in 2022.
const FILERS: [(&str, &str, i64); 5] = [
    ("621024101", "西华池镇", 1),
    ("621024102", "老城镇", 2),
    ("621024103", "太莪乡", 3),
    ("621024-jyj", "合水县教育局", 4),
    ("621024-zrzy", "合水县自然资源局", 5),
];
const TAIE: &str = "621024103";
/// 西华池镇, whose 2022 report carries 0 where 2021 sent 1 forward.
const TOWN: &str = "621024101";

/// A 2021-edition report of body `k` (1..=5; the county itself 100). Small numbers chosen so
/// the sums can be checked by hand:
/// - 规章: 0 issued, 0 repealed, 现行有效 "/" (not applicable) everywhere;
/// - 行政规范性文件: k issued; 2021: 0 repealed, 10k in force; 2022: 1 repealed, 11k − 1;
/// - 行政许可 10k, 行政处罚 k, 行政强制 0, 收费 k.25 万元;
/// - 表三, 自然人 column only: new 10k, carried `carried`, forward `forward`, all granted;
/// - 表四: 行政复议 k upheld.
///
/// With `blank_t4`, the 复议后起诉 group is left blank (5 blank cells).
fn report(
    id: &str,
    name: &str,
    year: u32,
    k: i64,
    carried: i64,
    forward: i64,
    blank_t4: bool,
) -> Json {
    let (repealed, in_force) = if year == 2021 {
        (0, 10 * k)
    } else {
        (1, 11 * k - 1)
    };
    let new = 10 * k;
    let granted = new + carried - forward;
    let row = |n: i64| json!({"natural": n, "commercial": 0, "research": 0, "nonprofit": 0, "legal_svc": 0, "other_org": 0, "total": n});
    let mut t3 = serde_json::Map::new();
    for r in [
        "new",
        "carried",
        "granted",
        "partial",
        "deny_state_secret",
        "deny_law_forbidden",
        "deny_safety_stability",
        "deny_third_party",
        "deny_internal",
        "deny_process",
        "deny_enforcement",
        "deny_query",
        "unable_not_held",
        "unable_needs_making",
        "unable_unclear",
        "reject_petition",
        "reject_repeat",
        "reject_publication",
        "reject_massive",
        "reject_confirm",
        "other_no_correction",
        "other_fee_unpaid",
        "other_other",
        "results_total",
        "forward",
    ] {
        let n = match r {
            "new" => new,
            "carried" => carried,
            "granted" | "results_total" => granted,
            "forward" => forward,
            _ => 0,
        };
        t3.insert(r.into(), row(n));
    }
    let group = |n: i64| json!({"upheld": n, "corrected": 0, "other": 0, "pending": 0, "total": n});
    let after = if blank_t4 {
        json!({"upheld": null, "corrected": null, "other": null, "pending": null, "total": null})
    } else {
        group(0)
    };
    json!({
        "year": year,
        "edition": 2021,
        "org": {"id": id, "name": name},
        "t2": {
            "regulations": {"issued": 0, "repealed": 0, "in_force": "/"},
            "normative_docs": {"issued": k, "repealed": repealed, "in_force": in_force},
            "licensing": {"decisions": 10 * k},
            "punishment": {"decisions": k},
            "coercion": {"decisions": 0},
            "admin_fees": {"amount": format!("{k}.25")},
        },
        "t3": t3,
        "t4": {"review": group(k), "lit_direct": group(0), "lit_after_review": after},
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn a_county_over_two_years() {
    let county = Served::start();
    bodies_from_a_spreadsheet(&county);
    file_2021(&county);
    roll_up_2021(&county);
    let town = file_2022_through_the_cross_year_gate(&county);
    board_2022(&county);
    roll_up_2022(&county);
    export_2022(&county, &town);
    move_a_township(&county);
    mixed_editions_in_one_roll_up(&county);
    county.gxd.stop().await;
}

/// Bodies from a spreadsheet; importing again changes nothing; exporting gives it back; a
/// report for a body nobody registered says how to register it.
fn bodies_from_a_spreadsheet(county: &Served) {
    std::fs::write(county.dir().join("bodies.csv"), BODIES).unwrap();
    for summary in [
        "bodies.csv: 7 bodies — 7 created, 0 updated, 0 unchanged",
        "0 created, 0 updated, 7 unchanged",
    ] {
        county.says(&["org", "import", "bodies.csv"], 0, summary);
    }
    let exported = county.text(&["org", "export", "--under", "621024"]);
    assert_eq!(
        exported,
        "id,name,level,parent\n621024,合水县,县,\n621024-jyj,合水县教育局,部门,621024\n\
         621024-zrzy,合水县自然资源局,部门,621024\n621024101,西华池镇,乡镇,621024\n\
         621024102,老城镇,乡镇,621024\n621024103,太莪乡,乡镇,621024\n"
    );
    let g = county.json(&["org", "get", "621024101", "-o", "json"]);
    assert_eq!(g["path"][0]["id"], "621024");
    // A report for a body nobody registered: NOT_FOUND, and how to register it.
    let stray = county.write(
        "stray.json",
        &report("621099", "某镇", 2021, 1, 0, 1, false),
    );
    county.says(&["submit", &stray], 3, "gxctl org add 621099");
}

/// 2021: every body files; the county's own report too (never part of the sum).
fn file_2021(county: &Served) {
    let mut files = Vec::new();
    for (id, name, k) in FILERS {
        let doc = report(id, name, 2021, k, 0, k, id == TAIE);
        files.push(county.write(&format!("{id}-2021.json"), &doc));
    }
    files.push(county.write(
        "621024-2021.json",
        &report("621024", "合水县", 2021, 100, 0, 0, false),
    ));
    county.ctl().arg("submit").args(&files).assert().code(0);
}

fn roll_up_2021(county: &Served) {
    let r = county.json(&["rollup", "621024", "2021", "-o", "json"]);
    assert_eq!(r["valid"], true, "{r}");
    assert_eq!(r["parts"].as_array().unwrap().len(), 5);
    assert_eq!(r["missing"], json!([]));
    // Hand-computed: Σk = 15 over the five bodies; the county's own (k = 100) is not in it.
    let t2 = &r["report"]["t2"];
    assert_eq!(t2["regulations"]["in_force"], "/");
    assert_eq!(
        t2["normative_docs"],
        json!({"issued": 15, "repealed": 0, "in_force": 150})
    );
    assert_eq!(t2["licensing"]["decisions"], 150);
    assert_eq!(t2["punishment"]["decisions"], 15);
    assert_eq!(t2["admin_fees"]["amount"], "16.25");
    let t3 = &r["report"]["t3"];
    assert_eq!(t3["new"]["natural"], 150);
    assert_eq!(t3["forward"]["total"], 15);
    assert_eq!(t3["granted"]["total"], 135);
    assert_eq!(t3["results_total"]["natural"], 135);
    assert_eq!(r["report"]["t4"]["review"]["total"], 15);
    assert_eq!(r["report"]["t4"]["lit_after_review"]["total"], 0);
    // 太莪乡 left 复议后起诉 blank: 5 cells counted as 0; 规章现行有效 "/" in each of five.
    assert_eq!(r["blank_cells"], 5);
    assert_eq!(r["not_applicable_cells"], 5);
    let cells = county.text(&["rollup", "621024", "2021", "-o", "cells"]);
    assert!(cells.contains("t2.licensing.decisions=150\n"), "{cells}");
}

/// 2022: 太莪乡 does not file; 西华池镇 carries 0 where it sent 1 forward and passes the gate
/// only when it explains why. Returns what `get` says of 西华池镇's 2022 report.
fn file_2022_through_the_cross_year_gate(county: &Served) -> Json {
    let mut files = Vec::new();
    for (id, name, k) in FILERS {
        if id == TAIE {
            continue;
        }
        let carried = if id == TOWN { 0 } else { k };
        let doc = report(id, name, 2022, k, carried, 0, false);
        files.push(county.write(&format!("{id}-2022.json"), &doc));
    }
    let got = town_explains_the_carry_over(county, &files[0]);
    for f in &files[1..] {
        county.exits(&["submit", f], 0);
    }
    let diff = county.text(&["--org", TOWN, "diff", "2021", "2022"]);
    assert!(
        diff.contains("Explained in 2022: X-CARRY — 该件申请人于2022年1月撤回申请"),
        "{diff}"
    );
    got
}

/// 西华池镇's 2022 report `town`: warned offline, refused by the gate until explained, then
/// stored with its explanation.
fn town_explains_the_carry_over(county: &Served, town: &str) -> Json {
    // Offline, against last year's file: the same warning gxd will give.
    county.says(
        &[
            "validate",
            town,
            "--previous",
            "621024101-2021.json",
            "-o",
            "json",
        ],
        0,
        "\"rule\": \"X-CARRY\"",
    );
    // The gate: refused until explained, naming both reports' cells and values.
    county
        .ctl()
        .args(["submit", town])
        .assert()
        .code(5)
        .stdout(predicate::str::contains("X-CARRY"))
        .stdout(predicate::str::contains("t3.carried.natural"))
        .stdout(predicate::str::contains("t3.forward.natural"))
        .stdout(predicate::str::contains("--explain X-CARRY="));
    county.exits(&["get", TOWN, "2022"], 3);
    county.says(
        &[
            "submit",
            town,
            "--explain",
            "X-CARRY=该件申请人于2022年1月撤回申请",
        ],
        0,
        "explained X-CARRY: 该件申请人于2022年1月撤回申请",
    );
    let got = county.json(&["get", TOWN, "2022", "-o", "json"]);
    assert_eq!(
        got["revision"]["explanations"],
        json!([{"rule": "X-CARRY", "text": "该件申请人于2022年1月撤回申请"}])
    );
    assert_eq!(got["revision"]["cross_year"]["previous_revision"], 1);
    // No previous report: no check, and get says so.
    county.says(&["get", TOWN, "2021"], 0, "cross-year: not checked");
    got
}

/// The filing board: 太莪乡 is missing; 西华池镇's warning is explained.
fn board_2022(county: &Served) {
    let board = county.json(&["--org", "621024", "status", "2022", "-o", "json"]);
    assert_eq!(
        (board["filed"].clone(), board["missing"].clone()),
        (json!(4), json!(1))
    );
    assert_eq!(board["own"]["filed"], false);
    let missing: Vec<&str> = board["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["filed"] == false)
        .map(|e| e["body"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(missing, [TAIE]);
    let town_entry = &board["entries"].as_array().unwrap()[2];
    assert_eq!(town_entry["body"]["id"], TOWN);
    assert_eq!(town_entry["explained"], json!(["X-CARRY"]));
    let table = county.text(&["--org", "621024", "status", "2022"]);
    assert!(
        table.contains("5 bodies: 4 filed, 1 missing, 0 with unexplained warnings"),
        "{table}"
    );
    assert!(table.contains(TAIE) && table.contains("missing"), "{table}");
}

/// The roll-up lists the missing body; Σk = 12 over the four that filed.
fn roll_up_2022(county: &Served) {
    let r = county.json(&["rollup", "621024", "2022", "-o", "json"]);
    assert_eq!(r["missing"][0]["id"], TAIE);
    assert_eq!(
        r["report"]["t2"]["normative_docs"],
        json!({"issued": 12, "repealed": 4, "in_force": 128})
    );
    assert_eq!(r["report"]["t3"]["carried"]["natural"], 11);
    assert_eq!(r["report"]["t3"]["granted"]["natural"], 131);
}

/// The export: the header and the rows are exact; `town` is what `get` says of 西华池镇's
/// 2022 report.
fn export_2022(county: &Served, town: &Json) {
    let csv = county.text(&["--org", "621024", "export", "--year", "2022"]);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 1 + 4);
    let keys: Vec<String> = gx::Edition::E2021
        .template()
        .cells
        .iter()
        .map(|c| c.key.clone())
        .collect();
    let header = format!(
        "org_id,org_name,level,parent,year,edition,revision,submitted_at,content_hash,verdict,{}",
        keys.join(",")
    );
    assert_eq!(lines[0], header);
    assert!(lines[0].starts_with(
        "org_id,org_name,level,parent,year,edition,revision,submitted_at,content_hash,verdict,\
         t2.regulations.issued,t2.regulations.repealed,t2.regulations.in_force,"
    ));
    assert!(lines[0].ends_with(",t4.lit_after_review.pending,t4.lit_after_review.total"));
    // 西华池镇's row, from what was submitted and what get says.
    let meta = &town["revision"];
    let doc = report(TOWN, "西华池镇", 2022, 1, 0, 0, false);
    let values: Vec<String> = keys
        .iter()
        .map(|k| {
            let p: Vec<&str> = k.split('.').collect();
            match &doc[p[0]][p[1]][p[2]] {
                Json::Null if p[1] == "other" => "absent".to_string(),
                Json::Null => String::new(),
                Json::String(s) => s.clone(),
                v => v.to_string(),
            }
        })
        .collect();
    let row = format!(
        "621024101,西华池镇,乡镇,621024,2022,2021,1,{},{},valid,{}",
        meta["submitted_at"].as_str().unwrap(),
        meta["content_hash"].as_str().unwrap(),
        values.join(",")
    );
    assert_eq!(lines[3], row);
    assert!(row.contains(",0,0,/,1,1,10,10,1,0,1.25,"), "{row}");
    let jsonl = county.text(&["--org", "621024", "export", "--year", "2022", "-o", "jsonl"]);
    let first: Json = serde_json::from_str(jsonl.lines().nth(2).unwrap()).unwrap();
    assert_eq!(first["org_id"], TOWN);
    assert_eq!(first["cells"]["t2.regulations.in_force"], "/");
    assert_eq!(first["cells"]["t2.admin_fees.amount"], "1.25");
    assert_eq!(first["cells"]["t3.new.natural"], 10);
    assert!(first["cells"].get("t3.other.natural").is_none());
}

/// Moving a township to another county moves it in the next roll-up; its reports stay its
/// reports; a move under itself is refused.
fn move_a_township(county: &Served) {
    county.says(
        &["org", "move", "621024102", "--parent", "621025"],
        0,
        "621024102 老城镇 is now under 621025",
    );
    let r = county.json(&["rollup", "621024", "2022", "-o", "json"]);
    assert_eq!(r["report"]["t2"]["normative_docs"]["issued"], 10);
    assert_eq!(r["report"]["t3"]["new"]["natural"], 100);
    let r = county.json(&["rollup", "621025", "2022", "-o", "json"]);
    assert_eq!(r["parts"][0]["body"]["id"], "621024102");
    assert_eq!(r["report"]["t2"]["normative_docs"]["issued"], 2);
    county.exits(&["get", "621024102", "2021"], 0);
    county.exits(&["org", "move", "621025", "--parent", "621024102"], 1);
}

/// Mixing editions in one roll-up names who is on which.
fn mixed_editions_in_one_roll_up(county: &Served) {
    let mut old = fixture_json("gucheng-town-2020.json");
    old["org"] = json!({"id": "621024-zrzy", "name": "合水县自然资源局"});
    let old = county.write("old.json", &old);
    county.exits(&["submit", &old], 0);
    county.exits(&["rollup", "621024", "2020"], 0);
    let mut mixed = report(TOWN, "西华池镇", 2020, 1, 0, 0, false);
    mixed["edition"] = 2021.into();
    let mixed = county.write("mixed.json", &mixed);
    county.exits(&["submit", &mixed], 0);
    county.complains(
        &["rollup", "621024", "2020"],
        5,
        "1 on the 2019 edition: 621024-zrzy; 1 on the 2021 edition: 621024101",
    );
}
