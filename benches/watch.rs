//! WatchFilings under load — a benchmark, not a test: it prints figures and judges nothing.
//!
//!     cargo bench --bench watch                       # starts the release gxd on a temp dir
//!     cargo bench --bench watch -- --secs 5 --concurrency 32 --watchers 50 --rounds 3
//!
//! Durable submits (each a new revision of one of the workers' bodies, all within one county)
//! run for `--secs` with 0 watchers, 1 watcher and `--watchers` watchers of the county, in
//! `--rounds` interleaved rounds after a warm-up, each watcher a stream of its own from `now`;
//! the medians are compared. Prints submits/s per
//! phase, the events delivered per second (each watcher's, and all together), and what the
//! watchers cost the submits. Then one watcher replays every event from the first
//! (`replay_only`). The target: 50 watchers cost submits less than 20% of their
//! throughput. Watchers, submitters and gxd share this machine's cores.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[path = "common/gxd.rs"]
mod gxd;

use gx::pb;
use gx::pb::report_service_client::ReportServiceClient;
use gx::pb::watch_service_client::WatchServiceClient;
use gxd::{bearer, start_gxd};
use tokio_stream::StreamExt;
use tonic::transport::{Channel, Endpoint};

struct Options {
    secs: u64,
    concurrency: usize,
    watchers: usize,
    rounds: usize,
}

fn options() -> Options {
    let mut o = Options {
        secs: 5,
        concurrency: 32,
        watchers: 50,
        rounds: 3,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = |name: &str| -> usize {
            args.next()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{name} needs a number"))
        };
        match a.as_str() {
            "--secs" => o.secs = value("--secs") as u64,
            "--concurrency" => o.concurrency = value("--concurrency"),
            "--watchers" => o.watchers = value("--watchers"),
            "--rounds" => o.rounds = value("--rounds").max(1),
            // `cargo bench` passes --bench; filters are not used here.
            _ => {}
        }
    }
    o
}

const COUNTY: &str = "621099";

fn sample() -> pb::Report {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/gucheng-town-2020.json"
    );
    let text = std::fs::read_to_string(path).expect("fixture");
    let report = gx::files::parse(&text, gx::files::Format::Json).expect("fixture parses");
    gx::grpc::convert::report_to_pb(&report)
}

async fn connect(addr: &str) -> Channel {
    Endpoint::from_shared(format!("http://{addr}"))
        .expect("address")
        .tcp_nodelay(true)
        .connect()
        .await
        .expect("connect to gxd")
}

/// The county and one township per worker within it.
async fn register(channel: &Channel, token: Option<String>, workers: usize) {
    let mut bodies = vec![pb::Body {
        id: COUNTY.into(),
        name: "压测县".into(),
        level: pb::OrgLevel::County as i32,
        ..Default::default()
    }];
    bodies.extend((0..workers).map(|w| pb::Body {
        id: format!("{COUNTY}{w:03}"),
        name: format!("压测镇{w}"),
        level: pb::OrgLevel::Township as i32,
        parent: COUNTY.into(),
        ..Default::default()
    }));
    gx::pb::org_service_client::OrgServiceClient::with_interceptor(channel.clone(), bearer(token))
        .import_orgs(pb::ImportOrgsRequest {
            bodies,
            update: false,
        })
        .await
        .expect("register the bodies");
}

/// `concurrency` submitters for `secs`; returns the revisions stored.
async fn submits(
    channel: &Channel,
    token: &Option<String>,
    o: &Options,
    counter: Arc<AtomicU64>,
) -> u64 {
    let report = Arc::new(sample());
    let end = Instant::now() + Duration::from_secs(o.secs);
    let mut tasks = Vec::new();
    for w in 0..o.concurrency {
        let mut client =
            ReportServiceClient::with_interceptor(channel.clone(), bearer(token.clone()));
        let (report, counter) = (report.clone(), counter.clone());
        tasks.push(tokio::spawn(async move {
            let mut stored = 0u64;
            while Instant::now() < end {
                let mut r = (*report).clone();
                if let Some(org) = r.org.as_mut() {
                    org.id = format!("{COUNTY}{w:03}");
                }
                let n = counter.fetch_add(1, Ordering::Relaxed);
                r.narrative
                    .get_or_insert_with(Default::default)
                    .preamble
                    .push_str(&format!("（第{n}次）"));
                let ok = client
                    .submit_report(pb::SubmitReportRequest {
                        report: Some(r),
                        reason: format!("压测修订 {n}"),
                        ..Default::default()
                    })
                    .await
                    .is_ok_and(|r| r.get_ref().created);
                stored += u64::from(ok);
            }
            stored
        }));
    }
    let mut stored = 0;
    for t in tasks {
        stored += t.await.expect("submitter");
    }
    stored
}

/// A watcher of the county from `now`: counts the filed events it receives while `counting`.
fn watcher(
    channel: Channel,
    token: Option<String>,
    counting: Arc<AtomicBool>,
) -> (Arc<AtomicU64>, tokio::task::JoinHandle<()>) {
    let seen = Arc::new(AtomicU64::new(0));
    let s = seen.clone();
    let task = tokio::spawn(async move {
        let mut stream = WatchServiceClient::with_interceptor(channel, bearer(token))
            .watch_filings(pb::WatchFilingsRequest {
                org: COUNTY.into(),
                from_cursor: "now".into(),
                replay_only: false,
            })
            .await
            .expect("watch")
            .into_inner();
        while let Some(Ok(r)) = stream.next().await {
            let filed = r
                .event
                .is_some_and(|e| e.kind == pb::FilingEventKind::Filed as i32);
            if filed && counting.load(Ordering::Relaxed) {
                s.fetch_add(1, Ordering::Relaxed);
            }
        }
    });
    (seen, task)
}

/// One phase: `watchers` watchers (each on a connection of its own), submits for `secs`.
async fn phase(
    addr: &str,
    token: &Option<String>,
    o: &Options,
    watchers: usize,
    counter: Arc<AtomicU64>,
) -> f64 {
    let counting = Arc::new(AtomicBool::new(true));
    let mut ws = Vec::new();
    for _ in 0..watchers {
        ws.push(watcher(
            connect(addr).await,
            token.clone(),
            counting.clone(),
        ));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let channel = connect(addr).await;
    let started = Instant::now();
    let stored = submits(&channel, token, o, counter).await;
    let secs = started.elapsed().as_secs_f64();
    // Let the streams drain what was stored, then stop counting.
    tokio::time::sleep(Duration::from_millis(500)).await;
    counting.store(false, Ordering::Relaxed);
    let seen: Vec<u64> = ws.iter().map(|(s, _)| s.load(Ordering::Relaxed)).collect();
    for (_, t) in ws {
        t.abort();
    }
    let rate = stored as f64 / secs;
    if watchers == 0 {
        println!("{watchers:>3} watchers: {rate:>8.0} submits/s");
    } else {
        let all: u64 = seen.iter().sum();
        let complete = seen.iter().filter(|&&n| n >= stored).count();
        println!(
            "{watchers:>3} watchers: {rate:>8.0} submits/s   events delivered {:>9.0}/s in all, {:>7.0}/s per watcher; {complete}/{watchers} watchers saw all {stored} filings",
            all as f64 / secs,
            all as f64 / secs / watchers as f64,
        );
    }
    rate
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

fn main() {
    let o = options();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (_server, addr, token) = start_gxd();
    runtime.block_on(async move {
        let channel = connect(&addr).await;
        register(&channel, token.clone(), o.concurrency).await;
        println!(
            "gxd at {addr}: {} submitters on one connection, {} s per phase; watchers of {COUNTY} (all the submitters' bodies are within it)",
            o.concurrency, o.secs
        );
        let counter = Arc::new(AtomicU64::new(0));
        println!("warm-up:");
        phase(&addr, &token, &o, 0, counter.clone()).await;
        // Rounds of (0, 1, N watchers), interleaved so that a busy moment of the machine
        // does not land on one configuration only; the medians are compared.
        let (mut without, mut one, mut many) = (Vec::new(), Vec::new(), Vec::new());
        for round in 1..=o.rounds {
            println!("round {round}:");
            without.push(phase(&addr, &token, &o, 0, counter.clone()).await);
            one.push(phase(&addr, &token, &o, 1, counter.clone()).await);
            many.push(phase(&addr, &token, &o, o.watchers, counter.clone()).await);
        }
        let (without, one, many) = (median(without), median(one), median(many));
        println!(
            "medians: {without:.0} submits/s without watchers, {one:.0} with 1, {many:.0} with {}",
            o.watchers
        );
        println!(
            "cost of watchers to submits: 1 watcher {:.1}%, {} watchers {:.1}% (target < 20%)",
            (1.0 - one / without) * 100.0,
            o.watchers,
            (1.0 - many / without) * 100.0
        );

        // Replay: one watcher reads every event from the first.
        let started = Instant::now();
        let mut stream = WatchServiceClient::with_interceptor(channel.clone(), bearer(token.clone()))
            .watch_filings(pb::WatchFilingsRequest {
                org: COUNTY.into(),
                from_cursor: String::new(),
                replay_only: true,
            })
            .await
            .expect("watch")
            .into_inner();
        let mut n = 0u64;
        while let Some(Ok(_)) = stream.next().await {
            n += 1;
        }
        let secs = started.elapsed().as_secs_f64();
        println!("replay from the first event: {n} events in {secs:.2} s = {:.0} events/s", n as f64 / secs);
    });
}
