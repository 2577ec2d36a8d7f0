//! Review through the real gxd and gxctl: a township files, the county's reviewer returns it
//! with a reason on two cells, the township amends, the reviewer accepts revision 2; the
//! history, the board, the roll-up and verify see it; who may not review is refused.

use serde_json::Value as Json;

use crate::support::{gxctl_with_token, stdout_of, Served};

const TOWN: &str = "621024101";
const OTHER_TOWN: &str = "621024102";

/// Issues a token with `args` (after `token create`) and returns it.
fn token(served: &Served, args: &[&str]) -> String {
    let mut all = vec!["token", "create"];
    all.extend_from_slice(args);
    served.text(&all).trim().to_string()
}

/// gxctl against the served gxd with `token`.
fn as_token(served: &Served, token: &str) -> assert_cmd::Command {
    let mut cmd = gxctl_with_token(served.dir(), token);
    cmd.env("GX_SERVER", served.gxd.url())
        .current_dir(served.dir());
    cmd
}

fn json_as(served: &Served, token: &str, args: &[&str]) -> Json {
    let out = stdout_of(as_token(served, token).args(args));
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// The board's review state of `id`, and the board.
fn board_state(served: &Served, id: &str) -> (String, Json) {
    let b = served.json(&["--org", "621024", "status", "2021", "-o", "json"]);
    let e = b["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| e["body"]["id"] == id)
        .unwrap_or_else(|| panic!("no {id} on {b}"))
        .clone();
    (e["review_state"].as_str().unwrap_or("").to_string(), b)
}

#[test]
fn return_amend_accept_through_gxd() {
    let served = Served::start();
    let root = env!("CARGO_MANIFEST_DIR");
    served.exits(
        &[
            "org",
            "import",
            &format!("{root}/examples/county/bodies.csv"),
        ],
        0,
    );
    served.exits(
        &["org", "add", "621025", "--name", "宁县", "--level", "县"],
        0,
    );
    let filer = token(&served, &["--role", "filer", "--for", TOWN]);
    let county = token(&served, &["--role", "reviewer", "--for", "621024"]);
    let other = token(&served, &["--role", "reviewer", "--for", "621025"]);
    let town_report = format!("{root}/examples/county/621024101-2021.json");
    as_token(&served, &filer)
        .args(["submit", &town_report])
        .assert()
        .code(0);
    served.exits(
        &[
            "submit",
            &format!("{root}/examples/county/621024102-2021.json"),
        ],
        0,
    );
    assert_eq!(board_state(&served, TOWN).0, "filed");

    // Who may not review: a filer, a reviewer of another county, the county on its own report.
    as_token(&served, &filer)
        .args(["review", "accept", TOWN, "2021"])
        .assert()
        .code(7)
        .stderr(predicates::str::contains(
            "ReviewReport needs a reviewer token",
        ));
    as_token(&served, &other)
        .args(["review", "accept", TOWN, "2021"])
        .assert()
        .code(7)
        .stderr(predicates::str::contains(
            "a reviewer token for the bodies within 621025",
        ));
    served.exits(
        &[
            "submit",
            &format!("{root}/examples/county/621024-2021.json"),
        ],
        0,
    );
    as_token(&served, &county)
        .args(["review", "accept", "621024", "2021"])
        .assert()
        .code(7)
        .stderr(predicates::str::contains("reviewed from above"));
    // Cell keys are the edition's.
    as_token(&served, &county)
        .args(["review", "return", TOWN, "2021", "--reason", "x"])
        .args(["--cell", "t3.nonsense='x'"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("not a cell of the 2021 edition"));

    // Returned with a reason on two cells.
    let r = json_as(
        &served,
        &county,
        &[
            "review",
            "return",
            TOWN,
            "2021",
            "--reason",
            "表三、表四数据与正文不一致",
            "--cell",
            "t3.new.total=应与正文一致",
            "--cell",
            "t4.review.total=复议数量请核对",
            "-o",
            "json",
        ],
    );
    assert_eq!(r["state"], "returned");
    assert_eq!(r["review"]["revision"], 1);
    assert_eq!(r["review"]["cells"][1]["cell"], "t4.review.total");
    let (state, board) = board_state(&served, TOWN);
    assert_eq!(state, "returned");
    assert_eq!(board["returned"], 1);
    assert_eq!(board["awaiting_review"], 1);
    let only = served.json(&[
        "--org", "621024", "status", "2021", "--state", "returned", "-o", "json",
    ]);
    assert_eq!(only["entries"].as_array().map(Vec::len), Some(1));
    // The filer sees the state and the reason.
    let got = stdout_of(as_token(&served, &filer).args(["get", TOWN, "2021"]));
    assert!(got.contains("review: returned"), "{got}");
    assert!(got.contains("t3.new.total: 应与正文一致"), "{got}");

    // The township amends; the reviewer's stale acceptance of revision 1 is refused.
    let mut doc: Json =
        serde_json::from_str(&std::fs::read_to_string(&town_report).unwrap()).unwrap();
    doc["t2"]["licensing"]["decisions"] = 11.into();
    let amended = served.write("amended.json", &doc);
    as_token(&served, &filer)
        .args(["submit", &amended, "--reason", "按退回意见修改"])
        .assert()
        .code(0);
    assert_eq!(board_state(&served, TOWN).0, "filed");
    as_token(&served, &county)
        .args(["review", "accept", TOWN, "2021", "--rev", "1"])
        .assert()
        .code(5)
        .stderr(predicates::str::contains(
            "revision 1 is no longer the latest",
        ));
    let a = json_as(
        &served,
        &county,
        &["review", "accept", TOWN, "2021", "--rev", "2", "-o", "json"],
    );
    assert_eq!(
        (&a["state"], &a["review"]["revision"]),
        (&"accepted".into(), &2.into())
    );

    // History: the four events in order.
    let h = served.json(&["review", "history", TOWN, "2021", "-o", "json"]);
    let events: Vec<(&str, u64)> = h["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["event"].as_str().unwrap(),
                e["revision"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        events,
        [
            ("filed", 1),
            ("returned", 1),
            ("amended", 2),
            ("accepted", 2)
        ]
    );
    assert_eq!(h["state"], "accepted");
    let text = served.text(&["history", TOWN, "2021"]);
    assert!(text.contains("events — accepted"), "{text}");
    let rows = served.json(&["history", TOWN, "2021", "-o", "json"]);
    assert_eq!(rows[0]["review_state"], "returned");
    assert_eq!(rows[1]["review_state"], "accepted");
    let (state, board) = board_state(&served, TOWN);
    assert_eq!(
        (state.as_str(), &board["accepted"]),
        ("accepted", &1.into())
    );
    assert_eq!(board_state(&served, OTHER_TOWN).0, "filed");

    // The roll-up of accepted reports leaves 老城镇 out and says so.
    let sum = served.json(&["rollup", "621024", "2021", "--accepted-only", "-o", "json"]);
    assert_eq!(sum["parts"].as_array().map(Vec::len), Some(1));
    assert_eq!(sum["left_out"][0]["body"]["id"], OTHER_TOWN);
    assert_eq!(sum["left_out"][0]["review_state"], "filed");

    // The reviews are links of the chain: verify recomputes them.
    let v = served.text(&["verify"]);
    assert!(v.contains("2 reviews: every chain holds"), "{v}");
}
