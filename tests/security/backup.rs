//! Backup and restore: `gxctl backup` during concurrent submissions restores (`gxd restore`)
//! to a directory that verifies, holds a prefix of the source's log and every revision up to
//! it; a backup of the quiet store restores equal to the source; a damaged archive is
//! refused and nothing is written.

use std::path::Path;

use super::corruption::snapshot;
use super::gxd_run;
use crate::server::{data_dir, sample_for, start_in, submit_request};
use crate::support::gxctl_with_token;

fn backup(gxd_url: &str, token: &str, out: &Path) {
    let cfg = tempfile::tempdir().unwrap();
    gxctl_with_token(cfg.path(), token)
        .env("GX_SERVER", gxd_url)
        .arg("backup")
        .arg(out)
        .assert()
        .code(0);
}

fn restore(archive: &Path, to: &Path) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gxd"))
        .arg("restore")
        .arg(archive)
        .arg("--data")
        .arg(to)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backup_during_submissions_restores_and_verifies() {
    let dir = data_dir();
    let source = dir.path().join("source");
    let gxd = start_in(&source);
    let extra: Vec<String> = (0..4).map(|i| format!("62102410{}", i + 4)).collect();
    super::bodies_with(&gxd, &extra).await;
    let token = gxd.admin_token.clone().unwrap();
    let mut writers = Vec::new();
    for org in ["621024101", "621024102", "621024103"]
        .into_iter()
        .map(String::from)
        .chain(extra.clone())
    {
        let mut c = gxd.client().await;
        writers.push(tokio::spawn(async move {
            for n in 0..25 {
                let mut r = sample_for(&org, 2020);
                r.narrative
                    .as_mut()
                    .unwrap()
                    .preamble
                    .push_str(&"。".repeat(n));
                let reason = if n == 0 { "" } else { "补充说明" };
                c.submit_report(submit_request(r, reason))
                    .await
                    .expect("submit");
            }
        }));
    }
    // Mid-load.
    tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    let during = dir.path().join("during.gxbak");
    let url = gxd.url();
    let (u, t, d) = (url.clone(), token.clone(), during.clone());
    tokio::task::spawn_blocking(move || backup(&u, &t, &d))
        .await
        .unwrap();
    for w in writers {
        w.await.unwrap();
    }
    let quiet = dir.path().join("quiet.gxbak");
    let (u, t, q) = (url.clone(), token.clone(), quiet.clone());
    tokio::task::spawn_blocking(move || backup(&u, &t, &q))
        .await
        .unwrap();
    gxd.stop().await;
    let want = snapshot(&source).await.unwrap();

    // The mid-load backup: verifies, and each of its revisions is the source's.
    let restored = dir.path().join("restored-during");
    let (code, out, err) = restore(&during, &restored);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("every hash and the log verified"), "{out}");
    let (code, out, err) = gxd_run(&["verify"], &restored);
    assert_eq!(code, 0, "{out}{err}");
    let got = snapshot(&restored).await.unwrap();
    for line in &got {
        assert!(want.contains(line), "{line} is not in the source");
    }
    eprintln!(
        "backup during load: {} of the source's {} records",
        got.len(),
        want.len()
    );

    // The quiet backup: equal to the source.
    let restored = dir.path().join("restored-quiet");
    let (code, out, err) = restore(&quiet, &restored);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(snapshot(&restored).await.unwrap(), want);
    let (_, a, _) = gxd_run(&["verify"], &restored);
    let (_, b, _) = gxd_run(&["verify"], &source);
    assert_eq!(a, b);

    // A changed byte in the archive: refused, nothing written.
    let mut bytes = std::fs::read(&quiet).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x20;
    let bad = dir.path().join("bad.gxbak");
    std::fs::write(&bad, bytes).unwrap();
    let target = dir.path().join("restored-bad");
    let (code, out, err) = restore(&bad, &target);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("nothing was written"), "{err}");
    assert!(!target.exists());
    // Into a directory that holds data: refused.
    let (code, _, err) = restore(&quiet, &source);
    assert_ne!(code, 0);
    assert!(err.contains("is not empty"), "{err}");
}
