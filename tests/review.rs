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
    let list = served.json(&["list", "--year", "2021", "-o", "json"]);
    let states: Vec<(&str, &str)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["org_id"].as_str().unwrap(),
                r["review_state"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(states.contains(&(TOWN, "accepted")), "{states:?}");
    assert!(states.contains(&(OTHER_TOWN, "filed")), "{states:?}");

    // The roll-up of accepted reports leaves 老城镇 out and says so.
    let sum = served.json(&["rollup", "621024", "2021", "--accepted-only", "-o", "json"]);
    assert_eq!(sum["parts"].as_array().map(Vec::len), Some(1));
    assert_eq!(sum["left_out"][0]["body"]["id"], OTHER_TOWN);
    assert_eq!(sum["left_out"][0]["review_state"], "filed");

    // The reviews are links of the chain: verify recomputes them.
    let v = served.text(&["verify"]);
    assert!(v.contains("2 reviews: every chain holds"), "{v}");
}

/// A report archived as published with errors is reviewed like any other.
#[test]
fn a_report_published_with_errors_is_returned_and_accepted() {
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
    let mut doc: Json = serde_json::from_str(
        &std::fs::read_to_string(format!("{root}/examples/county/621024102-2021.json")).unwrap(),
    )
    .unwrap();
    // A wrong total, as printed.
    doc["t4"]["review"]["total"] = 99.into();
    let printed = served.write("printed.json", &doc);
    served.exits(&["submit", &printed, "--as-published"], 0);
    let county = token(&served, &["--role", "reviewer", "--for", "621024"]);
    as_token(&served, &county)
        .args([
            "review",
            "return",
            OTHER_TOWN,
            "2021",
            "--reason",
            "表四合计有误",
        ])
        .args(["--cell", "t4.review.total=合计应为各项之和"])
        .assert()
        .code(0);
    let (state, board) = board_state(&served, OTHER_TOWN);
    assert_eq!(state, "returned");
    assert_eq!(board["published_with_errors"], 1);
    as_token(&served, &county)
        .args(["review", "accept", OTHER_TOWN, "2021"])
        .assert()
        .code(0);
    assert_eq!(board_state(&served, OTHER_TOWN).0, "accepted");
}

mod wire {
    //! ReviewReport on the wire: what each refusal carries, and a review edited behind gxd's
    //! back found by `gxd verify`.

    use gx::pb;
    use tonic::Code;

    use crate::security::{bodies, issue, reason};
    use crate::server::{assert_code, data_dir, sample_for, start_in, submit_request, violations};

    fn request(
        revision: u32,
        decision: pb::ReviewDecision,
        reason: &str,
    ) -> pb::ReviewReportRequest {
        pb::ReviewReportRequest {
            org_id: "621024101".into(),
            year: 2020,
            revision,
            decision: decision as i32,
            reason: reason.into(),
            cells: vec![],
        }
    }

    fn cell(cell: &str, note: &str) -> pb::CellNote {
        pb::CellNote {
            cell: cell.into(),
            note: note.into(),
        }
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn refusals_and_a_tampered_review() {
        let dir = data_dir();
        let gxd = start_in(dir.path());
        bodies(&gxd).await;
        let reviewer = issue(&gxd, pb::Role::Reviewer, "621024", false).await;
        assert!(reviewer.info.as_ref().is_some_and(|i| i.subtree));
        let mut c = gxd.client_as(Some(&reviewer.token)).await;
        use pb::ReviewDecision::{Accept, Return, Unspecified};
        // Nothing filed.
        let s = assert_code(
            c.review_report(request(1, Accept, "")).await,
            Code::NotFound,
        );
        assert!(s.message().contains("no report"), "{s:?}");
        let mut admin = gxd.client().await;
        admin
            .submit_report(submit_request(sample_for("621024101", 2020), ""))
            .await
            .expect("filed");
        // Malformed: no revision, no decision, a return without a reason, cells on an
        // acceptance, an unknown cell, a cell named twice, a cell without a note.
        let s = assert_code(
            c.review_report(request(0, Unspecified, "")).await,
            Code::InvalidArgument,
        );
        let fields: Vec<String> = violations(&s).into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, ["revision", "decision"]);
        let s = assert_code(
            c.review_report(request(1, Return, " ")).await,
            Code::InvalidArgument,
        );
        assert_eq!(violations(&s)[0].0, "reason");
        let mut r = request(1, Accept, "");
        r.cells = vec![cell("t3.new.total", "x")];
        assert_code(c.review_report(r).await, Code::InvalidArgument);
        let mut r = request(1, Return, "请修改");
        r.cells = vec![
            cell("t3.nonsense", "x"),
            cell("t3.new.total", "应与正文一致"),
            cell("t3.new.total", "again"),
            cell("t4.review.total", " "),
        ];
        let s = assert_code(c.review_report(r).await, Code::InvalidArgument);
        let fields: Vec<String> = violations(&s).into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, ["cells[3].note"], "{s:?}");
        let mut r = request(1, Return, "请修改");
        r.cells = vec![
            cell("t3.nonsense", "x"),
            cell("t3.new.total", "应与正文一致"),
            cell("t3.new.total", "again"),
        ];
        let s = assert_code(c.review_report(r).await, Code::InvalidArgument);
        let fields: Vec<String> = violations(&s).into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, ["cells[0].cell", "cells[2].cell"], "{s:?}");
        // Stale: FAILED_PRECONDITION naming the current revision.
        let s = assert_code(
            c.review_report(request(2, Accept, "")).await,
            Code::FailedPrecondition,
        );
        assert_eq!(reason(&s), "REVISION_CONFLICT");
        let info = tonic_types::StatusExt::get_details_error_info(&s).expect("ErrorInfo");
        assert_eq!(
            info.metadata.get("current_revision").map(String::as_str),
            Some("1")
        );
        // Returned; the response says so and the log head covers it.
        let mut r = request(1, Return, "表三合计与正文不一致");
        r.cells = vec![cell("t3.new.total", "应与正文一致")];
        let done = c.review_report(r).await.expect("returned").into_inner();
        assert_eq!(done.state, pb::ReviewState::Returned as i32);
        // The token, four bodies, the reviewer's token, the revision, the review.
        assert_eq!(done.log_head.as_ref().map(|h| h.size), Some(8));
        let got = c
            .get_report(pb::GetReportRequest {
                org_id: "621024101".into(),
                year: 2020,
                version: None,
            })
            .await
            .expect("get")
            .into_inner();
        assert_eq!(got.state, pb::ReviewState::Returned as i32);
        assert_eq!(got.reviews.len(), 1);
        let chain_hash = done.review.expect("review").chain_hash;
        drop((c, admin));
        gxd.stop().await;

        // An intruder turns the return into an acceptance in sled: `gxd verify` finds it.
        let (code, out, _) = crate::security::gxd_run(&["verify"], dir.path());
        assert_eq!(code, 0, "{out}");
        assert!(out.contains("1 review: every chain holds"), "{out}");
        edit_review(dir.path(), &chain_hash);
        let (code, out, _) = crate::security::gxd_run(&["verify"], dir.path());
        assert_eq!(code, 1, "{out}");
        assert!(out.contains("review 1: the review"), "{out}");
    }

    /// Rewrites the reason of the one review in the stopped gxd's data directory.
    fn edit_review(data: &std::path::Path, chain_hash: &str) {
        let db = sled::Config::new()
            .path(data)
            .segment_size(8 << 20)
            .open()
            .expect("sled opens");
        let tree = db.open_tree("reviews").expect("reviews");
        let (k, v) = tree.iter().next().expect("a review").expect("reads");
        let old = "表三合计与正文不一致".as_bytes();
        let new = "表三合计与正文一致！".as_bytes();
        assert_eq!(old.len(), new.len());
        let at = v
            .windows(old.len())
            .position(|w| w == old)
            .expect("the reason is stored");
        let mut bytes = v.to_vec();
        bytes[at..at + old.len()].copy_from_slice(new);
        assert!(!chain_hash.is_empty());
        tree.insert(k, bytes).expect("written");
        db.flush().expect("flushed");
    }

    /// ReviewReport × every kind of caller; and what else a reviewer token may do.
    #[tokio::test(flavor = "multi_thread")]
    async fn who_may_review() {
        let dir = data_dir();
        let gxd = crate::server::start_with(dir.path(), &["--public-read"]);
        bodies(&gxd).await;
        let mut admin = gxd.client().await;
        admin
            .submit_report(submit_request(sample_for("621024101", 2020), ""))
            .await
            .expect("filed");
        let token = |role, org: &'static str, subtree| {
            let gxd = &gxd;
            async move { issue(gxd, role, org, subtree).await.token }
        };
        use pb::Role::{Archivist, Filer, Reader, Reviewer};
        let callers: Vec<(&str, Option<String>, Code)> = vec![
            ("none, --public-read", None, Code::Unauthenticated),
            (
                "reader",
                Some(token(Reader, "", false).await),
                Code::PermissionDenied,
            ),
            (
                "filer of the body",
                Some(token(Filer, "621024101", false).await),
                Code::PermissionDenied,
            ),
            (
                "filer of the county with subtree",
                Some(token(Filer, "621024", true).await),
                Code::PermissionDenied,
            ),
            (
                "archivist",
                Some(token(Archivist, "", false).await),
                Code::PermissionDenied,
            ),
            (
                "reviewer of the body itself",
                Some(token(Reviewer, "621024101", false).await),
                Code::PermissionDenied,
            ),
            (
                "reviewer of a sibling",
                Some(token(Reviewer, "621024102", false).await),
                Code::PermissionDenied,
            ),
            (
                "reviewer of the county",
                Some(token(Reviewer, "621024", false).await),
                Code::Ok,
            ),
            ("admin", gxd.admin_token.clone(), Code::Ok),
        ];
        let mut failures = Vec::new();
        for (who, t, want) in &callers {
            let got = gxd
                .client_as(t.as_deref())
                .await
                .review_report(request_2020(pb::ReviewDecision::Accept))
                .await;
            let code = got.as_ref().err().map_or(Code::Ok, |s| s.code());
            if code != *want {
                failures.push(format!("{who}: {code:?}, expected {want:?} ({got:?})"));
            }
        }
        assert!(failures.is_empty(), "\n{}", failures.join("\n"));
        // A reviewer reads and verifies, but neither files nor administers.
        let county = callers[7].1.clone();
        let mut c = gxd.client_as(county.as_deref()).await;
        assert_code(
            c.submit_report(submit_request(sample_for("621024102", 2020), ""))
                .await,
            Code::PermissionDenied,
        );
        let got = c
            .list_revisions(pb::ListRevisionsRequest {
                org_id: "621024101".into(),
                year: 2020,
            })
            .await
            .expect("a reviewer reads")
            .into_inner();
        assert_eq!(got.reviews.len(), 2);
        assert_eq!(got.state, pb::ReviewState::Accepted as i32);
        assert_code(
            gx::pb::token_service_client::TokenServiceClient::new(
                gxd.channel_as(county.as_deref()).await,
            )
            .list_tokens(pb::ListTokensRequest::default())
            .await,
            Code::PermissionDenied,
        );
        // Anonymous public reads see the state too.
        let got = gxd
            .client_as(None)
            .await
            .get_report(pb::GetReportRequest {
                org_id: "621024101".into(),
                year: 2020,
                version: None,
            })
            .await
            .expect("a public read")
            .into_inner();
        assert_eq!(got.state, pb::ReviewState::Accepted as i32);
    }

    fn request_2020(decision: pb::ReviewDecision) -> pb::ReviewReportRequest {
        request(1, decision, "")
    }

    /// A data directory of store format 3 (what gxd wrote before reviews) is upgraded when
    /// gxd starts on it: its chains still hold and reviews are taken.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_format_3_directory_is_upgraded_on_first_start() {
        let dir = data_dir();
        let gxd = start_in(dir.path());
        bodies(&gxd).await;
        gxd.client()
            .await
            .submit_report(submit_request(sample_for("621024101", 2020), ""))
            .await
            .expect("filed");
        gxd.stop().await;
        {
            let db = sled::Config::new()
                .path(dir.path())
                .segment_size(8 << 20)
                .open()
                .expect("sled opens");
            db.drop_tree("reviews").expect("no reviews tree");
            db.open_tree("meta")
                .expect("meta")
                .insert("format", &3u32.to_be_bytes())
                .expect("format 3");
            db.flush().expect("flushed");
        }
        let gxd = start_in(dir.path());
        let reviewer = issue(&gxd, pb::Role::Reviewer, "621024", false).await;
        gxd.client_as(Some(&reviewer.token))
            .await
            .review_report(request(1, pb::ReviewDecision::Accept, ""))
            .await
            .expect("reviewed after the upgrade");
        let log = gxd.log();
        gxd.stop().await;
        assert!(
            log.contains("upgraded the data directory to format 4"),
            "{log}"
        );
        let (code, out, _) = crate::security::gxd_run(&["verify"], dir.path());
        assert_eq!(code, 0, "{out}");
        assert!(out.contains("1 review: every chain holds"), "{out}");
    }
}
