//! kill -9 under load: gxd is killed (SIGKILL) while concurrent submitters file, again and
//! again; each restart must open the directory (its log matching its records and head), and
//! at the end every acknowledged submission is there, by content hash, and `gxd verify`
//! finds no break.
//!
//! `GX_CRASH_CYCLES` sets the number of cycles (default 3; the closing note of issue 14 used
//! 100); `GX_CRASH_SUBMITTERS` the concurrent submitters (default 6). The figures are
//! printed.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use gx::store::{Store, Version};

use super::gxd_run;
use crate::server::{data_dir, sample_for, start_in, submit_request};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// (org, revision, content hash) of each acknowledged submission.
type Acks = Arc<Mutex<Vec<(String, u32, String)>>>;

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_under_load_loses_no_acknowledged_submission() {
    let cycles = env("GX_CRASH_CYCLES", 3);
    let submitters = env("GX_CRASH_SUBMITTERS", 6);
    let dir = data_dir();
    let orgs: Vec<String> = (0..submitters).map(|i| format!("6210249{i:02}")).collect();
    let gxd = start_in(dir.path());
    super::bodies_with(&gxd, &orgs).await;
    gxd.stop().await;
    let acks: Acks = Arc::default();
    let counters: Arc<Vec<Mutex<usize>>> = Arc::new(orgs.iter().map(|_| Mutex::new(0)).collect());
    let mut failed_calls = 0usize;
    for cycle in 0..cycles {
        let gxd = start_in(dir.path());
        let mut tasks = Vec::new();
        for (i, org) in orgs.iter().enumerate() {
            let mut c = gxd.client().await;
            let (org, acks, counters) = (org.clone(), acks.clone(), counters.clone());
            tasks.push(tokio::spawn(async move {
                let mut failed = 0;
                loop {
                    let n = {
                        let mut k = counters[i].lock().unwrap();
                        *k += 1;
                        *k
                    };
                    let mut r = sample_for(&org, 2020);
                    r.narrative
                        .as_mut()
                        .unwrap()
                        .preamble
                        .push_str(&format!("（第{n}次）"));
                    match c
                        .submit_report(submit_request(r, &format!("第{n}次")))
                        .await
                    {
                        Ok(resp) => {
                            let resp = resp.into_inner();
                            acks.lock().unwrap().push((
                                org.clone(),
                                resp.revision,
                                resp.content_hash,
                            ));
                        }
                        Err(_) => {
                            // gxd was killed: unacknowledged.
                            failed += 1;
                            return failed;
                        }
                    }
                }
            }));
        }
        let pause = 120 + (cycle * 37) % 200;
        tokio::time::sleep(Duration::from_millis(pause as u64)).await;
        drop(gxd); // SIGKILL
        for t in tasks {
            failed_calls += t.await.unwrap();
        }
    }
    let (code, out, err) = gxd_run(&["verify"], dir.path());
    assert_eq!(code, 0, "{out}{err}");
    let store = Store::open(dir.path()).unwrap();
    assert!(store.damage().is_empty(), "{:?}", store.damage());
    let acks = acks.lock().unwrap().clone();
    let mut lost = Vec::new();
    for (org, revision, hash) in &acks {
        let got = store
            .get(org, 2020, Version::Number(*revision))
            .unwrap()
            .map(|r| hex::encode(r.content_hash));
        if got.as_deref() != Some(hash.as_str()) {
            lost.push(format!(
                "{org} revision {revision}: {got:?}, acknowledged {hash}"
            ));
        }
    }
    store.close().await.unwrap();
    eprintln!(
        "crash: {cycles} kill -9 cycles, {submitters} submitters: {} acknowledged submissions, {} lost, {failed_calls} calls cut by the kill",
        acks.len(),
        lost.len()
    );
    assert!(
        acks.len() >= cycles,
        "too few submissions were acknowledged"
    );
    assert!(lost.is_empty(), "lost:\n{}", lost.join("\n"));
}
