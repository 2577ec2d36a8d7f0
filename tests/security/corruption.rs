//! Nothing lost silently: one byte flipped anywhere in a stopped gxd's data directory is
//! either harmless (every revision, body and token reads back as it was, by content and
//! chain hash) or reported (`gxd verify` exits non-zero, or the directory does not open).
//!
//! `GX_CORRUPTION_OFFSETS` sets how many offsets are tried (default 48, spread over every
//! file; `.ci/run` and the closing note of issue 14 use 240). The figures are printed.
//!
//! Also: the latest revision removed by someone who rewrote the log and its head to match is
//! caught by `gxctl verify --head` with the head SubmitReport returned.

use std::path::{Path, PathBuf};

use gx::pb;
use gx::store::{Store, Version};

use super::gxd_run;
use crate::server::{data_dir, sample_for, start_in, submit_request};
use crate::support::gxctl_with_token;

/// Every stored thing, as a comparable list of lines.
pub(super) async fn snapshot(data: &Path) -> Result<Vec<String>, String> {
    let store = Store::open(data).map_err(|e| e.to_string())?;
    if !store.damage().is_empty() {
        return Err(format!("damaged: {:?}", store.damage()));
    }
    let mut out = Vec::new();
    let page = store
        .list(None, "", None, 10_000)
        .map_err(|e| e.to_string())?;
    for latest in page.reports {
        for r in store
            .revisions(&latest.org_id, latest.year)
            .map_err(|e| e.to_string())?
        {
            let full = store
                .get(&r.org_id, r.year, Version::Number(r.revision))
                .map_err(|e| e.to_string())?
                .ok_or("vanished")?;
            out.push(format!(
                "{} {} {} {} {} {}",
                r.org_id,
                r.year,
                r.revision,
                hex::encode(gx::store::content_hash(&full.report)),
                hex::encode(full.chain_hash),
                full.explanations.len()
            ));
        }
    }
    for t in store.tokens().map_err(|e| e.to_string())? {
        out.push(format!(
            "token {} {} {} {:?} {}",
            t.id,
            t.role,
            t.org,
            t.revoked_at,
            hex::encode(t.secret_hash)
        ));
    }
    store.with_directory(|d| {
        for b in d.iter() {
            out.push(format!("body {} {} {:?}", b.id, b.name, b.parent));
        }
    });
    store.close().await.map_err(|e| e.to_string())?;
    drop(store);
    Ok(out)
}

/// Files under `dir`, recursively, with their lengths (non-empty files only).
fn files(dir: &Path) -> Vec<(PathBuf, u64)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let m = e.metadata().unwrap();
            if m.is_dir() {
                stack.push(e.path());
            } else if m.len() > 0 {
                out.push((e.path().strip_prefix(dir).unwrap().to_path_buf(), m.len()));
            }
        }
    }
    out.sort();
    out
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for (rel, _) in files(from) {
        let target = to.join(&rel);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(from.join(&rel), target).unwrap();
    }
}

/// `n` offsets spread over every file: each file gets its share, evenly spaced with a
/// deterministic jitter, and its first and last bytes.
fn offsets(files: &[(PathBuf, u64)], n: usize) -> Vec<(PathBuf, u64)> {
    let per = (n / files.len()).max(2) as u64;
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut out = Vec::new();
    for (rel, len) in files {
        let stride = (len / per).max(1);
        for i in 0..per.min(*len) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let at = match i {
                0 => 0,
                _ if i == per - 1 => len - 1,
                _ => (i * stride + seed % stride).min(len - 1),
            };
            out.push((rel.clone(), at));
        }
    }
    out
}

/// Stores revisions of several reports (one amended twice, with explanations' reason),
/// bodies and tokens; returns the admin token and the data directory's snapshot.
async fn populated(data: &Path) -> String {
    let gxd = start_in(data);
    super::bodies(&gxd).await;
    super::issue(&gxd, pb::Role::Filer, "621024101", false).await;
    super::store_revisions(gxd, &[("621024101", 3), ("621024102", 1), ("621024103", 2)]).await
}

#[tokio::test(flavor = "multi_thread")]
async fn every_flipped_byte_is_harmless_or_reported() {
    let n: usize = std::env::var("GX_CORRUPTION_OFFSETS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(48);
    let dir = data_dir();
    let pristine = dir.path().join("pristine");
    populated(&pristine).await;
    let want = snapshot(&pristine).await.expect("the pristine store reads");
    assert!(want.len() > 8, "{want:?}");
    let targets = offsets(&files(&pristine), n);
    let (mut harmless, mut reported, mut panicked) = (0, 0, 0);
    let mut silent = Vec::new();
    for (i, (rel, at)) in targets.iter().enumerate() {
        let work = dir.path().join(format!("flip-{i}"));
        copy_dir(&pristine, &work);
        let path = work.join(rel);
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[*at as usize] ^= 0xff;
        std::fs::write(&path, bytes).unwrap();
        let (code, out, err) = gxd_run(&["verify"], &work);
        if code != 0 {
            reported += 1;
            if err.contains("panicked") {
                panicked += 1;
            }
        } else {
            match snapshot(&work).await {
                Ok(got) if got == want => harmless += 1,
                Ok(got) => silent.push(format!(
                    "{} @ {at}: verify passed ({out}) but the data differ: {:?}",
                    rel.display(),
                    got.iter().filter(|l| !want.contains(l)).collect::<Vec<_>>()
                )),
                Err(e) => silent.push(format!(
                    "{} @ {at}: verify passed but the store does not read: {e}",
                    rel.display()
                )),
            }
        }
        std::fs::remove_dir_all(&work).unwrap();
    }
    eprintln!(
        "corruption: {} offsets over {} files: {harmless} harmless, {reported} reported ({panicked} of them by a panic), {} silent",
        targets.len(),
        files(&pristine).len(),
        silent.len()
    );
    assert!(silent.is_empty(), "silent losses:\n{}", silent.join("\n"));
}

/// Someone with file access removes the latest revision and rewrites the log and its head to
/// match: the directory is consistent again, but the head SubmitReport returned is not a
/// prefix of its log any more.
#[tokio::test(flavor = "multi_thread")]
async fn a_rewritten_log_is_caught_by_the_head_kept() {
    let dir = data_dir();
    let gxd = start_in(dir.path());
    super::bodies(&gxd).await;
    let mut c = gxd.client().await;
    let early = c
        .submit_report(submit_request(sample_for("621024101", 2020), ""))
        .await
        .expect("submit")
        .into_inner()
        .log_head
        .expect("a log head");
    let early = format!("{}:{}", early.size, early.root);
    let mut r = sample_for("621024101", 2020);
    r.narrative.as_mut().unwrap().preamble.push('。');
    let kept = c
        .submit_report(submit_request(r, "补充说明"))
        .await
        .expect("amend")
        .into_inner()
        .log_head
        .expect("a log head");
    let kept = format!("{}:{}", kept.size, kept.root);
    drop(c);
    let token = gxd.admin_token.clone().unwrap();
    gxd.stop().await;

    // The record, its log entry (the last), and a head over what is left.
    let db = sled::Config::new()
        .path(dir.path())
        .segment_size(8 << 20)
        .open()
        .unwrap();
    let mut key = b"621024101\0".to_vec();
    key.extend_from_slice(&2020u32.to_be_bytes());
    key.extend_from_slice(&2u32.to_be_bytes());
    db.open_tree("revisions").unwrap().remove(key).unwrap();
    db.flush().unwrap();
    drop(db);
    drop_last_log_entry(dir.path());

    // Locally consistent: verify passes and gxd serves it.
    let (code, out, err) = gxd_run(&["verify"], dir.path());
    assert_eq!(code, 0, "{out}{err}");
    let gxd = start_in(dir.path());
    let cfg = tempfile::tempdir().unwrap();
    let verify_head = |head: &str, code: i32, says: String| {
        let out = gxctl_with_token(cfg.path(), &token)
            .env("GX_SERVER", gxd.url())
            .args(["verify", "--head", head])
            .assert()
            .code(code)
            .get_output()
            .stdout
            .clone();
        let out = String::from_utf8(out).unwrap();
        assert!(out.contains(&says), "{out}");
    };
    verify_head(
        &kept,
        1,
        format!("broken the log is shorter than your head {kept}: entries were removed"),
    );
    // The head of the first submission is still within the log.
    verify_head(
        &early,
        0,
        format!("extends your head {early} (consistency proof checked)"),
    );
    gxd.stop().await;
}

/// Cuts the last entry off the log file and writes a head over what is left, as someone
/// covering their tracks would.
fn drop_last_log_entry(dir: &std::path::Path) {
    let log_path = dir.join(gx::store::LOG_FILE);
    let log = std::fs::read(&log_path).unwrap();
    let mut frames = Vec::new();
    let mut at = 0;
    while at < log.len() {
        let len = u32::from_be_bytes(log[at..at + 4].try_into().unwrap()) as usize;
        frames.push(&log[at..at + 4 + len]);
        at += 4 + len;
    }
    frames.pop();
    std::fs::write(&log_path, frames.concat()).unwrap();
    let leaves: Vec<_> = frames
        .iter()
        .map(|f| gx::merkle::leaf_hash(&f[4..]))
        .collect();
    std::fs::write(
        dir.join(gx::store::HEAD_FILE),
        format!(
            "gx log head\nsize {}\nroot {}\n",
            leaves.len(),
            hex::encode(gx::merkle::root(&leaves))
        ),
    )
    .unwrap();
}
