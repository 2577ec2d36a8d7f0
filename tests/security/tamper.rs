//! Tamper evidence: bytes changed in the sled data directory behind gxd's back are found by
//! `gxd verify` (offline) and `gxctl verify` (the RPC), precisely.

use std::path::Path;

use gx::pb;
use prost::Message;

use super::gxd_run;
use crate::server::{data_dir, sample_for, start_in, submit_request};
use crate::support::gxctl;

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

fn amended(org: &str, n: usize) -> pb::Report {
    let mut r = sample_for(org, 2020);
    r.narrative
        .as_mut()
        .expect("narrative")
        .preamble
        .push_str(&"（修订）".repeat(n));
    r
}

#[tokio::test(flavor = "multi_thread")]
async fn edited_bytes_are_found_offline_and_over_rpc() {
    let dir = data_dir();
    let gxd = start_in(dir.path());
    super::bodies(&gxd).await;
    let mut c = gxd.client().await;
    for (org, revisions) in [("621024101", 2), ("621024102", 3), ("621024103", 1)] {
        for n in 0..revisions {
            let reason = if n == 0 { "" } else { "补充说明" };
            c.submit_report(submit_request(amended(org, n), reason))
                .await
                .expect("submit");
        }
    }
    drop(c);
    let token = gxd.admin_token.clone().expect("admin token");
    gxd.stop().await;

    let (code, out, err) = gxd_run(&["verify"], dir.path());
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out, "verified 3 reports, 6 revisions: every chain holds\n");

    tamper(dir.path());

    let (code, out, err) = gxd_run(&["verify"], dir.path());
    assert_eq!(code, 1, "{out}{err}");
    let broken: Vec<&str> = out.lines().filter(|l| l.starts_with("BROKEN")).collect();
    assert_eq!(broken.len(), 3, "{out}");
    assert!(
        broken[0].starts_with("BROKEN 621024101 2020 revision 1: content-hash: the report's bytes do not hash to the stored content hash"),
        "{out}"
    );
    assert!(
        broken[1].starts_with("BROKEN 621024101 2020 revision 2: chain-hash: "),
        "{out}"
    );
    assert!(
        broken[2].starts_with("BROKEN 621024102 2020 revision 3: numbering: revision 3 follows revision 1: revision 2 missing"),
        "{out}"
    );
    assert!(
        out.ends_with("verified 3 reports, 5 revisions: 3 breaks\n"),
        "{out}"
    );
    assert!(err.contains("3 breaks in the hash chains of"), "{err}");
    // Narrowed to one body, or one report.
    let (code, out, _) = gxd_run(&["verify", "621024103"], dir.path());
    assert_eq!(
        (code, out.as_str()),
        (0, "verified 1 report, 1 revision: every chain holds\n")
    );
    let (code, out, _) = gxd_run(&["verify", "621024101", "2020"], dir.path());
    assert_eq!(code, 1);
    assert_eq!(
        out.lines().filter(|l| l.starts_with("BROKEN")).count(),
        2,
        "{out}"
    );

    // The same through the running gxd.
    let gxd = start_in(dir.path());
    super::bodies(&gxd).await;
    let cfg = tempfile::tempdir().unwrap();
    let out = gxctl()
        .env("GX_CONFIG", cfg.path().join("config.yaml"))
        .env("GX_SERVER", gxd.url())
        .env("GX_TOKEN", &token)
        .args(["verify", "-o", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["intact"], false);
    assert_eq!(v["revisions"], 5);
    let kinds: Vec<&str> = v["breaks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["content-hash", "chain-hash", "numbering"]);
    let first = &v["breaks"][0];
    assert_eq!(first["org_id"], "621024101");
    assert_eq!(first["revision"], 1);
    assert_ne!(first["stored"], first["expected"]);
    let out = gxctl()
        .env("GX_CONFIG", cfg.path().join("config.yaml"))
        .env("GX_SERVER", gxd.url())
        .env("GX_TOKEN", &token)
        .args(["verify", "621024103"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "verified 1 report, 1 revision: every chain holds\n"
    );
}
