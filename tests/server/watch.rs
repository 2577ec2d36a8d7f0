//! WatchFilings on the real gxd: every event of a subtree exactly once, in cursor order,
//! live and replayed; resumed after a kill -9 and a restart without a loss or a repeat.

use std::collections::{BTreeSet, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gx::pb;
use gx::pb::watch_service_client::WatchServiceClient;
use tokio_stream::StreamExt;
use tonic::Code;

use super::{assert_code, data_dir, revisions_of, sample_for, start_in, submit_request, Gxd};
use crate::security::{amended, bodies_with};

type Events = Arc<Mutex<Vec<pb::FilingEvent>>>;

async fn watcher(gxd: &Gxd) -> WatchServiceClient<super::Channel> {
    WatchServiceClient::new(gxd.channel().await)
}

/// Watches `org` from `from` in a task, appending every event to the list it returns; the
/// task ends when the stream does (with its status).
async fn follow(gxd: &Gxd, org: &str, from: &str) -> (Events, tokio::task::JoinHandle<Code>) {
    let mut stream = watcher(gxd)
        .await
        .watch_filings(pb::WatchFilingsRequest {
            org: org.into(),
            from_cursor: from.into(),
            replay_only: false,
        })
        .await
        .expect("watch")
        .into_inner();
    let events: Events = Arc::default();
    let list = events.clone();
    let task = tokio::spawn(async move {
        loop {
            match stream.next().await {
                Some(Ok(r)) => list.lock().unwrap().push(r.event.expect("an event")),
                Some(Err(s)) => return s.code(),
                None => return Code::Ok,
            }
        }
    });
    (events, task)
}

/// Waits (at most 60 s) until `events` holds `n` events of `kind`.
async fn until_kind(events: &Events, kind: pb::FilingEventKind, n: usize) -> Vec<pb::FilingEvent> {
    for _ in 0..3000 {
        {
            let list = events.lock().unwrap();
            if list.iter().filter(|e| e.kind == kind as i32).count() >= n {
                return list.clone();
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let list = events.lock().unwrap();
    panic!(
        "{} of {n} {kind:?} events arrived",
        list.iter().filter(|e| e.kind == kind as i32).count()
    );
}

fn cursor(e: &pb::FilingEvent) -> u64 {
    e.cursor.parse().expect("a cursor is a sequence number")
}

/// Cursors strictly increase (hence no event twice).
fn assert_in_order(events: &[pb::FilingEvent]) {
    for w in events.windows(2) {
        assert!(cursor(&w[0]) < cursor(&w[1]), "{:?} then {:?}", w[0], w[1]);
    }
}

/// (org, year, revision) of the filed events, each once.
fn filed(events: &[pb::FilingEvent]) -> BTreeSet<(String, u32, u32)> {
    let mut set = BTreeSet::new();
    for e in events
        .iter()
        .filter(|e| e.kind == pb::FilingEventKind::Filed as i32)
    {
        assert!(
            set.insert((e.org_id.clone(), e.year, e.revision)),
            "twice: {e:?}"
        );
    }
    set
}

fn towns(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("621024{:03}", 200 + i)).collect()
}

/// Registers a body of another county (621025), whose events a watcher of 621024 never sees.
async fn register_elsewhere(gxd: &Gxd) {
    super::org_client(gxd)
        .await
        .import_orgs(pb::ImportOrgsRequest {
            bodies: vec![pb::Body {
                id: "621025101".into(),
                name: "另一县的镇".into(),
                level: pb::OrgLevel::Township as i32,
                ..Default::default()
            }],
            update: false,
        })
        .await
        .expect("registered");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_county_watcher_sees_every_filing_once_in_cursor_order() {
    let dir = data_dir();
    let gxd = start_in(dir.path());
    bodies_with(&gxd, &[]).await;
    let (live, _task) = follow(&gxd, "621024", "").await;
    let towns = towns(200);
    bodies_with(&gxd, &towns).await;
    register_elsewhere(&gxd).await;
    // 200 concurrent filings in the county, and some elsewhere.
    let mut tasks = Vec::new();
    for org in towns.iter().cloned().chain(["621025101".to_string()]) {
        let mut c = gxd.client().await;
        tasks.push(tokio::spawn(async move {
            c.submit_report(submit_request(sample_for(&org, 2020), ""))
                .await
                .expect("filed");
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let events = until_kind(&live, pb::FilingEventKind::Filed, 200).await;
    assert_in_order(&events);
    let want: BTreeSet<_> = towns.iter().map(|o| (o.clone(), 2020, 1)).collect();
    assert_eq!(filed(&events), want);
    assert!(
        events.iter().all(|e| e.org_id.starts_with("621024")),
        "only the county's"
    );
    // Every body registered in the county: the county itself, its three towns and ours.
    let registered: HashSet<&str> = events
        .iter()
        .filter(|e| e.kind == pb::FilingEventKind::BodyRegistered as i32)
        .map(|e| e.org_id.as_str())
        .collect();
    assert_eq!(registered.len(), 204);
    let f = events
        .iter()
        .find(|e| e.kind == pb::FilingEventKind::Filed as i32)
        .unwrap();
    assert!(
        !f.actor.is_empty() && f.time.is_some() && !f.org_name.is_empty(),
        "{f:?}"
    );

    // A replay from the start is the same sequence; from a cursor, exactly what follows it.
    let (replay, _t) = follow(&gxd, "621024", "").await;
    let replayed = until_kind(&replay, pb::FilingEventKind::Filed, 200).await;
    assert_eq!(replayed, events);
    let mid = &events[events.len() / 2];
    let (tail, _t) = follow(&gxd, "621024", &mid.cursor).await;
    let tail = until_kind(
        &tail,
        pb::FilingEventKind::Filed,
        filed(&events[events.len() / 2 + 1..]).len(),
    )
    .await;
    assert_eq!(tail, events[events.len() / 2 + 1..].to_vec());

    // Reviews: an acceptance and a return on two cells, in order, after the filings.
    let mut c = gxd.client().await;
    let review = |org: &str, decision: pb::ReviewDecision, cells: Vec<pb::CellNote>| {
        pb::ReviewReportRequest {
            org_id: org.into(),
            year: 2020,
            revision: 1,
            decision: decision as i32,
            reason: if cells.is_empty() {
                String::new()
            } else {
                "表三与正文不一致".into()
            },
            cells,
        }
    };
    c.review_report(review(&towns[0], pb::ReviewDecision::Accept, vec![]))
        .await
        .expect("accepted");
    let notes = vec![
        pb::CellNote {
            cell: "t3.new.total".into(),
            note: "应与正文一致".into(),
        },
        pb::CellNote {
            cell: "t3.new.natural".into(),
            note: "应与正文一致".into(),
        },
    ];
    c.review_report(review(&towns[1], pb::ReviewDecision::Return, notes.clone()))
        .await
        .expect("returned");
    let events = until_kind(&live, pb::FilingEventKind::Returned, 1).await;
    assert_in_order(&events);
    let reviews: Vec<_> = events[events.len() - 2..].to_vec();
    assert_eq!(reviews[0].kind, pb::FilingEventKind::Accepted as i32);
    assert_eq!(
        (reviews[0].org_id.as_str(), reviews[0].revision),
        (towns[0].as_str(), 1)
    );
    assert_eq!(reviews[1].kind, pb::FilingEventKind::Returned as i32);
    assert_eq!(reviews[1].reason, "表三与正文不一致");
    assert_eq!(reviews[1].cells, notes);
    assert!(!reviews[1].actor.is_empty());

    // Replay only: what was there when the call began, then the end (OK).
    let mut s = watcher(&gxd)
        .await
        .watch_filings(pb::WatchFilingsRequest {
            org: "621024".into(),
            from_cursor: String::new(),
            replay_only: true,
        })
        .await
        .expect("watch")
        .into_inner();
    let mut caught_up = Vec::new();
    while let Some(r) = s.next().await {
        caught_up.push(r.expect("an event").event.expect("an event"));
    }
    assert_eq!(caught_up, events);

    // "now": only what happens after; a town's watcher sees only the town.
    let (now, _t) = follow(&gxd, &towns[0], "now").await;
    let mut c = gxd.client().await;
    c.submit_report(submit_request(amended(&towns[1], 1), "补充说明"))
        .await
        .expect("amended");
    c.submit_report(submit_request(amended(&towns[0], 1), "补充说明"))
        .await
        .expect("amended");
    let seen = until_kind(&now, pb::FilingEventKind::Filed, 1).await;
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(
        (seen[0].org_id.as_str(), seen[0].revision),
        (towns[0].as_str(), 2)
    );
    assert_eq!(seen[0].reason, "补充说明");
}

/// 200 reviews at once (half accepted, half returned on a cell): a county watcher sees each
/// exactly once, in cursor order, each after its report's filing.
#[tokio::test(flavor = "multi_thread")]
async fn concurrent_reviews_reach_a_watcher_once_each_in_order() {
    let dir = data_dir();
    let gxd = start_in(dir.path());
    let towns = towns(200);
    bodies_with(&gxd, &towns).await;
    let mut tasks = Vec::new();
    for org in &towns {
        let mut c = gxd.client().await;
        let request = submit_request(sample_for(org, 2020), "");
        tasks.push(tokio::spawn(async move {
            c.submit_report(request).await.expect("filed");
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let (live, _task) = follow(&gxd, "621024", "").await;
    let mut tasks = Vec::new();
    for (i, org) in towns.iter().cloned().enumerate() {
        let mut c = gxd.client().await;
        let (decision, cells) = if i % 2 == 0 {
            (pb::ReviewDecision::Accept, vec![])
        } else {
            let note = pb::CellNote {
                cell: "t3.new.total".into(),
                note: "应与正文一致".into(),
            };
            (pb::ReviewDecision::Return, vec![note])
        };
        tasks.push(tokio::spawn(async move {
            c.review_report(pb::ReviewReportRequest {
                org_id: org,
                year: 2020,
                revision: 1,
                decision: decision as i32,
                reason: if cells.is_empty() {
                    String::new()
                } else {
                    "请核对".into()
                },
                cells,
            })
            .await
            .expect("reviewed");
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    until_kind(&live, pb::FilingEventKind::Accepted, 100).await;
    let events = until_kind(&live, pb::FilingEventKind::Returned, 100).await;
    assert_in_order(&events);
    let mut seen = HashSet::new();
    for (i, org) in towns.iter().enumerate() {
        let kind = if i % 2 == 0 {
            pb::FilingEventKind::Accepted
        } else {
            pb::FilingEventKind::Returned
        };
        let at = |k: pb::FilingEventKind| {
            let hits: Vec<_> = events
                .iter()
                .filter(|e| e.org_id == *org && e.kind == k as i32)
                .collect();
            assert_eq!(hits.len(), 1, "{org} {k:?}: {hits:?}");
            cursor(hits[0])
        };
        assert!(at(pb::FilingEventKind::Filed) < at(kind), "{org}");
        assert!(seen.insert(org.clone()));
    }
    let reviews = events
        .iter()
        .filter(|e| e.kind != pb::FilingEventKind::Filed as i32)
        .filter(|e| e.kind != pb::FilingEventKind::BodyRegistered as i32)
        .count();
    assert_eq!(reviews, 200, "no review event twice or extra");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_requests_and_a_cursor_past_the_log() {
    let dir = data_dir();
    let gxd = start_in(dir.path());
    bodies_with(&gxd, &[]).await;
    let mut w = watcher(&gxd).await;
    let ask = |org: &str, from: &str| pb::WatchFilingsRequest {
        org: org.into(),
        from_cursor: from.into(),
        replay_only: false,
    };
    assert_code(w.watch_filings(ask("", "")).await, Code::InvalidArgument);
    assert_code(w.watch_filings(ask("621099", "")).await, Code::NotFound);
    assert_code(
        w.watch_filings(ask("621024", "x1")).await,
        Code::InvalidArgument,
    );
    let s = assert_code(
        w.watch_filings(ask("621024", "999999")).await,
        Code::FailedPrecondition,
    );
    assert!(s.message().contains("past the end"), "{}", s.message());
    // No token: refused, even though any token may watch.
    let mut anonymous = WatchServiceClient::new(gxd.channel_as(None).await);
    assert_code(
        anonymous.watch_filings(ask("621024", "")).await,
        Code::Unauthenticated,
    );
    // A graceful stop ends the stream with UNAVAILABLE, promptly.
    let (_events, task) = follow(&gxd, "621024", "").await;
    let started = std::time::Instant::now();
    gxd.stop().await;
    assert_eq!(task.await.unwrap(), Code::Unavailable);
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[tokio::test(flavor = "multi_thread")]
async fn resumed_after_kill_9_and_restart_nothing_is_lost_or_repeated() {
    let dir = data_dir();
    let towns = towns(8);
    let gxd = start_in(dir.path());
    bodies_with(&gxd, &towns).await;
    let (before, task) = follow(&gxd, "621024", "").await;
    // Submitters amend their towns' reports until gxd is killed.
    let mut submitters = Vec::new();
    for org in towns.clone() {
        let mut c = gxd.client().await;
        submitters.push(tokio::spawn(async move {
            for n in 0.. {
                let reason = if n == 0 { "" } else { "补充说明" };
                if c.submit_report(submit_request(amended(&org, n), reason))
                    .await
                    .is_err()
                {
                    return;
                }
            }
        }));
    }
    until_kind(&before, pb::FilingEventKind::Filed, 40).await;
    drop(gxd); // kill -9, mid-stream
    for s in submitters {
        s.await.unwrap();
    }
    let _ = task.await;
    let before = before.lock().unwrap().clone();
    assert_in_order(&before);
    let last = before.last().unwrap().cursor.clone();

    // Restart on the same directory and resume from the last cursor; more filings follow.
    let gxd = start_in(dir.path());
    let (after, _task) = follow(&gxd, "621024", &last).await;
    let mut c = gxd.client().await;
    for org in &towns {
        c.submit_report(submit_request(amended(org, 1000), "重启后修订"))
            .await
            .expect("filed after the restart");
    }
    let mut stored = BTreeSet::new();
    for org in &towns {
        for r in revisions_of(&mut c, org, 2020).await {
            stored.insert((org.clone(), 2020, r.revision));
        }
    }
    let want_after = stored.len() - filed(&before).len();
    let after = until_kind(&after, pb::FilingEventKind::Filed, want_after).await;
    let mut all = before.clone();
    all.extend(after);
    assert_in_order(&all);
    // Every stored revision is an event, once; nothing else is.
    assert_eq!(filed(&all), stored);
    // And the whole sequence is what a replay from the start says.
    let (replay, _t) = follow(&gxd, "621024", "").await;
    let replay = until_kind(&replay, pb::FilingEventKind::Filed, stored.len()).await;
    assert_eq!(replay, all);
}
