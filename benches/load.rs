//! Load generator for gxd — a benchmark, not a test: it prints figures and judges nothing.
//!
//!     cargo bench --bench load                 # starts the release gxd on a temp directory
//!     cargo bench --bench load -- --secs 5 --concurrency 64 --connections 4
//!     cargo bench --bench load -- --addr 127.0.0.1:50051   # an already running gxd
//!
//! Submissions carry a token: the admin token the started gxd wrote to its data directory,
//! or `GX_TOKEN` for a gxd given with `--addr`.
//!
//! Two phases under the same concurrency, each after a one-second warm-up:
//! 1. the no-op ceiling: `grpc.health.v1.Health/Check`;
//! 2. durable submits: every call is a new revision (an amendment with ≈10 KB of narrative),
//!    acknowledged only after it is flushed to disk.
//!
//! Prints calls/s, p50, p99 and max for each, and the ratio. The target: submits at
//! least 60% of the ceiling, with p99 at most 5 ms.

use std::sync::Arc;
use std::time::{Duration, Instant};

#[path = "common/gxd.rs"]
mod gxd;

use gx::pb;
use gx::pb::report_service_client::ReportServiceClient;
use gxd::{bearer, start_gxd};
use tonic::transport::{Channel, Endpoint};
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;

struct Options {
    secs: u64,
    concurrency: usize,
    connections: usize,
    addr: Option<String>,
}

fn options() -> Options {
    let mut o = Options {
        secs: 10,
        concurrency: 64,
        connections: 4,
        addr: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .unwrap_or_else(|| panic!("{name} needs a value"))
        };
        match a.as_str() {
            "--secs" => o.secs = value("--secs").parse().expect("--secs N"),
            "--concurrency" => o.concurrency = value("--concurrency").parse().expect("N"),
            "--connections" => o.connections = value("--connections").parse().expect("N"),
            "--addr" => o.addr = Some(value("--addr")),
            // `cargo bench` passes --bench; filters are not used here.
            _ => {}
        }
    }
    o
}

/// The sample report with its narrative padded to about `bytes` bytes.
fn sample(bytes: usize) -> pb::Report {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/gucheng-town-2020.json"
    );
    let text = std::fs::read_to_string(path).expect("fixture");
    let report = gx::files::parse(&text, gx::files::Format::Json).expect("fixture parses");
    let mut pb = gx::grpc::convert::report_to_pb(&report);
    let n = pb.narrative.get_or_insert_with(Default::default);
    let have = n.preamble.len()
        + n.overview.as_ref().map_or(0, |s| {
            s.text.len()
                + s.subsections
                    .iter()
                    .map(|x| x.title.len() + x.text.len())
                    .sum::<usize>()
        })
        + n.problems.as_ref().map_or(0, |s| s.text.len())
        + n.other.as_ref().map_or(0, |s| s.text.len());
    let filler = "政务公开工作稳步推进。";
    while n.preamble.len() + have < bytes {
        n.preamble.push_str(filler);
    }
    pb
}

#[derive(Default)]
struct Figures {
    latencies_us: Vec<u64>,
    errors: u64,
}

impl Figures {
    fn merge(&mut self, other: Figures) {
        self.latencies_us.extend(other.latencies_us);
        self.errors += other.errors;
    }

    fn report(&mut self, name: &str, secs: f64) -> f64 {
        self.latencies_us.sort_unstable();
        let n = self.latencies_us.len();
        let pct = |p: f64| {
            if n == 0 {
                0.0
            } else {
                self.latencies_us[((n as f64 * p) as usize).min(n - 1)] as f64 / 1000.0
            }
        };
        let rate = n as f64 / secs;
        println!(
            "{name:<16} {n:>8} ok {:>5} errors {rate:>10.0} /s   p50 {:>6.2} ms   p99 {:>6.2} ms   max {:>7.2} ms",
            self.errors,
            pct(0.50),
            pct(0.99),
            self.latencies_us.last().copied().unwrap_or(0) as f64 / 1000.0
        );
        rate
    }

    fn p99_ms(&self) -> f64 {
        let n = self.latencies_us.len();
        if n == 0 {
            return 0.0;
        }
        self.latencies_us[((n as f64 * 0.99) as usize).min(n - 1)] as f64 / 1000.0
    }
}

/// Runs `concurrency` workers over the channels until `deadline`; returns their figures.
async fn phase<F, Fut>(
    channels: &[Channel],
    concurrency: usize,
    warmup: Duration,
    measure: Duration,
    call: F,
) -> Figures
where
    F: Fn(Channel, usize, u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let call = Arc::new(call);
    let start = Instant::now() + warmup;
    let end = start + measure;
    let mut tasks = Vec::new();
    for w in 0..concurrency {
        let channel = channels[w % channels.len()].clone();
        let call = call.clone();
        tasks.push(tokio::spawn(async move {
            let mut f = Figures::default();
            let mut i = 0u64;
            loop {
                let t0 = Instant::now();
                if t0 >= end {
                    break;
                }
                let ok = call(channel.clone(), w, i).await;
                i += 1;
                if t0 >= start {
                    if ok {
                        f.latencies_us.push(t0.elapsed().as_micros() as u64);
                    } else {
                        f.errors += 1;
                    }
                }
            }
            f
        }));
    }
    let mut all = Figures::default();
    for t in tasks {
        all.merge(t.await.expect("worker"));
    }
    all
}

/// `n` connections to gxd at `addr`.
async fn connect(addr: &str, n: usize) -> Vec<Channel> {
    let mut channels = Vec::new();
    for _ in 0..n {
        channels.push(
            Endpoint::from_shared(format!("http://{addr}"))
                .expect("address")
                .tcp_nodelay(true)
                .connect()
                .await
                .expect("connect to gxd"),
        );
    }
    channels
}

/// Registers one body per worker (`load-RUN-NNN`).
async fn register<I>(channel: &Channel, auth: I, run: u32, workers: usize)
where
    I: tonic::service::Interceptor,
{
    gx::pb::org_service_client::OrgServiceClient::with_interceptor(channel.clone(), auth)
        .import_orgs(pb::ImportOrgsRequest {
            bodies: (0..workers)
                .map(|w| pb::Body {
                    id: format!("load-{run}-{w:03}"),
                    name: format!("压测单位{w}"),
                    level: pb::OrgLevel::Other as i32,
                    ..Default::default()
                })
                .collect(),
            update: false,
        })
        .await
        .expect("register the load bodies");
}

fn main() {
    let o = options();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (_server, addr, token) = match &o.addr {
        Some(a) => (None, a.clone(), std::env::var("GX_TOKEN").ok()),
        None => {
            let (s, a, t) = start_gxd();
            (Some(s), a, t)
        }
    };
    let auth = bearer(token);
    runtime.block_on(async move {
        let channels = connect(&addr, o.connections).await;
        // Every report names a registered body: register the workers' bodies first.
        let run = std::process::id();
        register(&channels[0], auth.clone(), run, o.concurrency).await;
        let report = Arc::new(sample(10 * 1024));
        let size = prost::Message::encoded_len(&*report);
        println!(
            "gxd at {addr}: {} workers over {} connections, {} s per phase (+1 s warm-up); submit request ≈{} KB",
            o.concurrency,
            o.connections,
            o.secs,
            size / 1024
        );
        let measure = Duration::from_secs(o.secs);
        let warmup = Duration::from_secs(1);

        let mut health = phase(&channels, o.concurrency, warmup, measure, |ch, _, _| async move {
            HealthClient::new(ch)
                .check(HealthCheckRequest {
                    service: String::new(),
                })
                .await
                .is_ok()
        })
        .await;
        let ceiling = health.report("health Check", o.secs as f64);

        let mut submits = phase(&channels, o.concurrency, warmup, measure, move |ch, w, i| {
            let report = report.clone();
            let auth = auth.clone();
            async move {
                let mut r = (*report).clone();
                if let Some(org) = r.org.as_mut() {
                    org.id = format!("load-{run}-{w:03}");
                }
                let n = r.narrative.get_or_insert_with(Default::default);
                n.preamble.push_str(&format!("（第{i}次）"));
                ReportServiceClient::with_interceptor(ch, auth)
                    .submit_report(pb::SubmitReportRequest {
                        report: Some(r),
                        reason: format!("load test amendment {i}"),
                        expected_revision: None,
                        explanations: Vec::new(),
                        as_published: false,
                        provenance: Vec::new(),
                    })
                    .await
                    .is_ok_and(|r| r.get_ref().created)
            }
        })
        .await;
        let rate = submits.report("SubmitReport", o.secs as f64);
        let ratio = if ceiling > 0.0 { rate / ceiling } else { 0.0 };
        println!(
            "durable submits / no-op ceiling = {:.0}% (target ≥ 60%); submit p99 {:.2} ms (target ≤ 5 ms)",
            ratio * 100.0,
            submits.p99_ms()
        );
    });
}
