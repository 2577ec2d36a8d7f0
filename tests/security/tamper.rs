//! Tamper evidence: bytes changed in the sled data directory behind gxd's back are found by
//! `gxd verify` (offline) and `gxctl verify` (the RPC), precisely.

use std::path::Path;

use prost::Message;

use super::{amended, gxd_run};
use crate::server::{data_dir, start_in, start_with, submit_request};
use crate::support::{each, gxctl_with_token};

/// The report of a stored revision (store.rs's `Record`: metadata, then the report).
#[derive(Clone, PartialEq, prost::Message)]
struct RecordView {
    #[prost(bytes = "vec", tag = "2")]
    report: Vec<u8>,
}

/// store.rs's key: org.id, NUL, year and revision big-endian.
fn revision_key(org: &str, year: u32, revision: u32) -> Vec<u8> {
    let mut k = Vec::new();
    k.extend_from_slice(org.as_bytes());
    k.push(0);
    k.extend_from_slice(&year.to_be_bytes());
    k.extend_from_slice(&revision.to_be_bytes());
    k
}

fn find(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("found")
}

/// Opens the stopped gxd's sled database and edits it like an intruder with file access.
fn tamper(data: &Path) {
    // With gxd's segment size (sled refuses another).
    let db = sled::Config::new()
        .path(data)
        .segment_size(8 << 20)
        .open()
        .expect("open the data directory directly");
    let reports = db.open_tree("revisions").unwrap();
    // 1. One byte of a stored report.
    let k = revision_key("621024101", 2020, 1);
    let mut v = reports.get(&k).unwrap().expect("revision 1").to_vec();
    let view = RecordView::decode(v.as_slice()).unwrap();
    let at = find(&v, &view.report) + view.report.len() - 1;
    v[at] ^= 0x01;
    reports.insert(&k, v).unwrap();
    // 2. The reason of an amendment (same length, still valid UTF-8).
    let k = revision_key("621024101", 2020, 2);
    let mut v = reports.get(&k).unwrap().expect("revision 2").to_vec();
    let at = find(&v, "补充说明".as_bytes());
    v[at..at + 6].copy_from_slice("删除".as_bytes());
    reports.insert(&k, v).unwrap();
    // 3. A whole revision removed from the middle of a chain.
    reports
        .remove(revision_key("621024102", 2020, 2))
        .unwrap()
        .expect("revision 2 existed");
    db.flush().unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn edited_bytes_are_found_offline_and_over_rpc() {
    let dir = data_dir();
    let token = six_revisions_of_three_reports(dir.path()).await;
    let (code, out, err) = gxd_run(&["verify"], dir.path());
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out, "verified 3 reports, 6 revisions: every chain holds\n");

    tamper(dir.path());

    gxd_verify_names_each_break(dir.path());
    gxctl_verify_names_them_too(dir.path(), &token).await;
}

/// Runs gxd on `data`, stores 2, 3 and 1 revisions of three reports, stops it; returns the
/// admin token.
async fn six_revisions_of_three_reports(data: &Path) -> String {
    let gxd = start_in(data);
    super::bodies(&gxd).await;
    super::store_revisions(gxd, &[("621024101", 2), ("621024102", 3), ("621024103", 1)]).await
}

/// Offline, on the tampered `data`: each break named; narrowed to one body, or one report.
fn gxd_verify_names_each_break(data: &Path) {
    let (code, out, err) = gxd_run(&["verify"], data);
    assert_eq!(code, 1, "{out}{err}");
    let broken: Vec<&str> = out.lines().filter(|l| l.starts_with("BROKEN")).collect();
    let expected = [
        "BROKEN 621024101 2020 revision 1: content-hash: the report's bytes do not hash to the stored content hash",
        "BROKEN 621024101 2020 revision 1: chain-hash: ",
        "BROKEN 621024101 2020 revision 2: chain-hash: ",
        "BROKEN 621024102 2020 revision 3: numbering: revision 3 follows revision 1: revision 2 missing",
        // The store-wide log names each changed or missing record by its sequence number.
        "BROKEN 621024101 2020 revision 1: log: log entry ",
        "BROKEN 621024101 2020 revision 2: log: log entry ",
        "BROKEN 621024102 2020 revision 2: log: log entry ",
    ];
    assert_eq!(broken.len(), expected.len(), "{out}");
    for (line, start) in broken.iter().zip(expected) {
        assert!(
            line.starts_with(start),
            "{line:?} should start with {start:?}"
        );
    }
    assert!(
        broken[6].contains("(revision 2 of 621024102 2020): the record is missing"),
        "{out}"
    );
    assert!(
        out.ends_with("verified 3 reports, 5 revisions: 7 breaks\n"),
        "{out}"
    );
    assert!(err.contains("7 breaks in the hash chains of"), "{err}");
    let (code, out, _) = gxd_run(&["verify", "621024103"], data);
    assert_eq!(
        (code, out.as_str()),
        (0, "verified 1 report, 1 revision: every chain holds\n")
    );
    let (code, out, _) = gxd_run(&["verify", "621024101", "2020"], data);
    assert_eq!(code, 1);
    // One report: its chains (the log is checked for the whole store only).
    assert_eq!(
        out.lines().filter(|l| l.starts_with("BROKEN")).count(),
        3,
        "{out}"
    );
}

/// gxd refuses to serve the tampered `data` (exit 3, naming the breaks and `gxd verify`);
/// with --serve-damaged it serves it read-only, and gxctl names the breaks as the admin
/// (`token`).
async fn gxctl_verify_names_them_too(data: &Path, token: &str) {
    let (code, out, err) = gxd_run(&["--listen", "127.0.0.1:0"], data);
    assert_eq!(code, 3, "{out}{err}");
    assert!(
        err.contains("BROKEN 621024102 2020 revision 2: log: "),
        "{err}"
    );
    assert!(
        err.contains("does not match its log (3 breaks above): refusing to serve it. Inspect it with `gxd verify --data"),
        "{err}"
    );
    let gxd = start_with(data, &["--serve-damaged"]);
    let refused = gxd
        .client()
        .await
        .submit_report(submit_request(amended("621024103", 1), "补充说明"))
        .await
        .expect_err("read-only");
    assert_eq!(
        refused.code(),
        tonic::Code::FailedPrecondition,
        "{refused:?}"
    );
    assert!(refused.message().contains("read-only"), "{refused:?}");
    assert!(
        refused.metadata().get("gx-warning").is_some(),
        "{refused:?}"
    );
    super::bodies(&gxd).await;
    let cfg = tempfile::tempdir().unwrap();
    let verify = |args: &[&str]| {
        let mut cmd = gxctl_with_token(cfg.path(), token);
        cmd.env("GX_SERVER", gxd.url()).args(args);
        cmd
    };
    let out = verify(&["verify", "-o", "json"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["intact"], false);
    assert_eq!(v["revisions"], 5);
    assert_eq!(
        each(&v["breaks"], "kind"),
        [
            "content-hash",
            "chain-hash",
            "chain-hash",
            "numbering",
            "log",
            "log",
            "log"
        ]
    );
    let first = &v["breaks"][0];
    assert_eq!(first["org_id"], "621024101");
    assert_eq!(first["revision"], 1);
    assert_ne!(first["stored"], first["expected"]);
    verify(&["verify", "621024103"])
        .assert()
        .code(0)
        .stdout(predicates::str::diff(
            "verified 1 report, 1 revision: every chain holds\n",
        ));
}
