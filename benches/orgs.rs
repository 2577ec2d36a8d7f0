//! Roll-up and export benchmark for gxd — prints figures and judges nothing.
//!
//!     cargo bench --bench orgs                          # release gxd on a temp directory
//!     cargo bench --bench orgs -- --cities 10 --towns 10000 --narrative 2048
//!
//! Builds a province with `cities` cities of `towns` townships each (10 × 10,000 = 100,000
//! bodies), and one synthetic, consistent 2021-edition report per township (its narrative
//! padded to about `narrative` bytes), submitted through SubmitReport. Then:
//! 1. RollUp of one city: the sum over its `towns` reports (target: ≤ 100 ms for 10,000);
//! 2. ExportReports of the whole year, read as a client reads it (target: ≥ 50,000 rows/s),
//!    sampling gxd's resident memory (VmRSS) every 20 ms before, during and after;
//! 3. the same with the values as text instead of packed;
//! 4. the same export through `gxctl export -o csv` into /dev/null, end to end.

use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[path = "common/gxd.rs"]
mod gxd;

use gx::pb;
use gx::pb::org_service_client::OrgServiceClient;
use gx::pb::report_service_client::ReportServiceClient;
use gxd::{bearer, start_gxd};
use tokio_stream::StreamExt;
use tonic::service::interceptor::InterceptedService;
use tonic::service::Interceptor;
use tonic::transport::{Channel, Endpoint};

const YEAR: u32 = 2023;

struct Options {
    cities: usize,
    towns: usize,
    narrative: usize,
    concurrency: usize,
}

fn options() -> Options {
    let mut o = Options {
        cities: 10,
        towns: 10_000,
        narrative: 2048,
        concurrency: 32,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = |name: &str| -> usize {
            args.next()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{name} needs a number"))
        };
        match a.as_str() {
            "--cities" => o.cities = value("--cities"),
            "--towns" => o.towns = value("--towns"),
            "--narrative" => o.narrative = value("--narrative"),
            "--concurrency" => o.concurrency = value("--concurrency"),
            _ => {}
        }
    }
    o
}

/// gxd's resident set, in KiB.
fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

/// Samples RSS until stopped; returns (min, max, last) in MiB.
struct Sampler {
    stop: Arc<AtomicBool>,
    max: Arc<AtomicU64>,
    min: Arc<AtomicU64>,
    handle: std::thread::JoinHandle<()>,
}

impl Sampler {
    fn start(pid: u32) -> Sampler {
        let stop = Arc::new(AtomicBool::new(false));
        let max = Arc::new(AtomicU64::new(0));
        let min = Arc::new(AtomicU64::new(u64::MAX));
        let (s, mx, mn) = (stop.clone(), max.clone(), min.clone());
        let handle = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                let r = rss_kib(pid);
                mx.fetch_max(r, Ordering::Relaxed);
                mn.fetch_min(r, Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        Sampler {
            stop,
            max,
            min,
            handle,
        }
    }

    fn finish(self) -> (f64, f64) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.handle.join();
        let mib = |k: u64| k as f64 / 1024.0;
        (
            mib(self.min.load(Ordering::Relaxed)),
            mib(self.max.load(Ordering::Relaxed)),
        )
    }
}

fn town_id(city: usize, town: usize) -> String {
    format!("62{city:02}{town:05}")
}

/// The org service with the bearer token.
type Orgs<F> = OrgServiceClient<InterceptedService<Channel, F>>;

fn main() {
    let o = options();
    let (server, addr, token) = start_gxd();
    let auth = bearer(token.clone());
    let pid = server.child.id();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        let channel: Channel = Endpoint::from_shared(format!("http://{addr}"))
            .expect("address")
            .tcp_nodelay(true)
            .initial_stream_window_size(Some(8 << 20))
            .initial_connection_window_size(Some(16 << 20))
            .connect()
            .await
            .expect("connect");
        let mut orgs = OrgServiceClient::with_interceptor(channel.clone(), auth.clone())
            .max_decoding_message_size(64 << 20);
        let total = o.cities * o.towns;
        println!(
            "gxd at {addr}: {} cities × {} townships = {total} reports of {YEAR}, narrative ≈{} B",
            o.cities, o.towns, o.narrative
        );
        register_bodies(&mut orgs, &o).await;
        submit_reports(&channel, &auth, &o).await;
        roll_up(&mut orgs).await;
        export_packed(&mut orgs, pid).await;
        export_text(&mut orgs, pid).await;
        export_gxctl(&addr, token.as_deref(), pid, total);
    });
    drop(server);
}

/// Registers the province, its cities and their townships.
async fn register_bodies<F: Interceptor>(orgs: &mut Orgs<F>, o: &Options) {
    let t = Instant::now();
    let mut bodies = vec![pb::Body {
        id: "62".into(),
        name: "甘肃省".into(),
        level: pb::OrgLevel::Province as i32,
        ..Default::default()
    }];
    for c in 0..o.cities {
        bodies.push(pb::Body {
            id: format!("62{c:02}"),
            name: format!("第{c}市"),
            level: pb::OrgLevel::City as i32,
            parent: "62".into(),
            ..Default::default()
        });
    }
    orgs.import_orgs(pb::ImportOrgsRequest {
        bodies,
        update: false,
    })
    .await
    .expect("province and cities");
    for c in 0..o.cities {
        let bodies = (0..o.towns)
            .map(|t| pb::Body {
                id: town_id(c, t),
                name: format!("第{c}市第{t}镇"),
                level: pb::OrgLevel::Township as i32,
                parent: format!("62{c:02}"),
                ..Default::default()
            })
            .collect();
        orgs.import_orgs(pb::ImportOrgsRequest {
            bodies,
            update: false,
        })
        .await
        .expect("townships");
    }
    println!(
        "registered {} bodies in {:.1} s",
        o.cities * o.towns + o.cities + 1,
        t.elapsed().as_secs_f64()
    );
}

/// Submits one report per township from `concurrency` clients.
async fn submit_reports<F>(channel: &Channel, auth: &F, o: &Options)
where
    F: Interceptor + Clone + Send + 'static,
{
    let total = o.cities * o.towns;
    let t = Instant::now();
    let next = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..o.concurrency {
        let next = next.clone();
        let mut client = ReportServiceClient::with_interceptor(channel.clone(), auth.clone());
        let (towns, narrative) = (o.towns, o.narrative);
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                if i >= total {
                    break;
                }
                let mut r = gx::synth::consistent(gx::Edition::E2021, i as u64);
                r.year = YEAR;
                r.org.id = town_id(i / towns, i % towns);
                while r.narrative.preamble.len() < narrative {
                    r.narrative.preamble.push_str("政务公开工作稳步推进。");
                }
                client
                    .submit_report(pb::SubmitReportRequest {
                        report: Some(gx::grpc::convert::report_to_pb(&r)),
                        reason: String::new(),
                        expected_revision: None,
                        explanations: Vec::new(),
                        as_published: false,
                        provenance: Vec::new(),
                    })
                    .await
                    .expect("submit");
            }
        }));
    }
    for task in tasks {
        task.await.expect("submitter");
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "submitted {total} reports in {secs:.1} s ({:.0}/s)",
        total as f64 / secs
    );
}

/// RollUp of one city, seven times.
async fn roll_up<F: Interceptor>(orgs: &mut Orgs<F>) {
    let mut times = Vec::new();
    let mut parts = 0;
    for _ in 0..7 {
        let t = Instant::now();
        let r = orgs
            .roll_up(pb::RollUpRequest {
                org_id: "6200".into(),
                year: YEAR,
                ..Default::default()
            })
            .await
            .expect("roll-up")
            .into_inner();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        parts = r.parts.len();
    }
    let first = times[0];
    times.sort_by(f64::total_cmp);
    println!(
        "RollUp of one city ({parts} reports): first {first:.1} ms, median {:.1} ms, best {:.1} ms (target ≤ 100 ms)",
        times[times.len() / 2],
        times[0]
    );
}

/// ExportReports of the whole year, its values packed or as text.
async fn export<F: Interceptor>(
    orgs: &mut Orgs<F>,
    packed: bool,
) -> tonic::Streaming<pb::ExportReportsResponse> {
    orgs.export_reports(pb::ExportReportsRequest {
        year: YEAR,
        org_id: String::new(),
        packed,
    })
    .await
    .expect("export")
    .into_inner()
}

/// The export, packed, read and unpacked as a client reads it, with gxd's memory.
async fn export_packed<F: Interceptor>(orgs: &mut Orgs<F>, pid: u32) {
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = rss_kib(pid) as f64 / 1024.0;
    let sampler = Sampler::start(pid);
    let t = Instant::now();
    let mut stream = export(orgs, true).await;
    let mut rows = 0u64;
    let mut bytes = 0usize;
    while let Some(m) = stream.next().await {
        let m = m.expect("export message");
        for r in m.rows {
            rows += 1;
            let edition = if r.edition == pb::Edition::Edition2019 as i32 {
                gx::Edition::E2019
            } else {
                gx::Edition::E2021
            };
            bytes += gx::packed::unpack(edition, &r.packed)
                .expect("packed row")
                .len();
        }
    }
    let secs = t.elapsed().as_secs_f64();
    let (low, high) = sampler.finish();
    let after = rss_kib(pid) as f64 / 1024.0;
    println!(
        "ExportReports (packed, unpacked here): {rows} rows, {bytes} cells in {secs:.2} s = {:.0} rows/s (target ≥ 50,000)",
        rows as f64 / secs
    );
    println!(
        "gxd RSS: {before:.0} MiB before, {low:.0}–{high:.0} MiB during, {after:.0} MiB after"
    );
}

/// The same with the values as text (what a client that does not read the packing gets).
async fn export_text<F: Interceptor>(orgs: &mut Orgs<F>, pid: u32) {
    let sampler = Sampler::start(pid);
    let t = Instant::now();
    let mut stream = export(orgs, false).await;
    let mut rows = 0u64;
    while let Some(m) = stream.next().await {
        rows += m.expect("export message").rows.len() as u64;
    }
    let secs = t.elapsed().as_secs_f64();
    let (low, high) = sampler.finish();
    println!(
        "ExportReports (values as text): {rows} rows in {secs:.2} s = {:.0} rows/s; gxd RSS {low:.0}–{high:.0} MiB",
        rows as f64 / secs
    );
}

/// The same through `gxctl export -o csv` into /dev/null, end to end.
fn export_gxctl(addr: &str, token: Option<&str>, pid: u32, total: usize) {
    let sampler = Sampler::start(pid);
    let t = Instant::now();
    let status = Command::new(env!("CARGO_BIN_EXE_gxctl"))
        .args([
            "export",
            "--year",
            &YEAR.to_string(),
            "-o",
            "csv",
            "--out",
            "/dev/null",
        ])
        .env("GX_SERVER", format!("http://{addr}"))
        .env("GX_CONFIG", "/nonexistent/gx-bench-config.yaml")
        .env("GX_TOKEN", token.unwrap_or_default())
        .env_remove("GX_ORG")
        .status()
        .expect("gxctl runs");
    let secs = t.elapsed().as_secs_f64();
    let (low, high) = sampler.finish();
    assert!(status.success(), "gxctl export failed");
    println!(
        "gxctl export -o csv: {total} rows in {secs:.2} s = {:.0} rows/s; gxd RSS {low:.0}–{high:.0} MiB",
        total as f64 / secs
    );
}
