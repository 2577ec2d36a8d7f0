//! Web console benchmark: the board of a county with 10,000 bodies (target ≤ 100 ms) and a
//! report page (target ≤ 20 ms), rendered by gxd's console in process — the request through
//! the console's router as gxd serves it (routing, the decision, GetFilingStatus or the
//! store, the page), without the network.
//!
//!     cargo bench --bench web
//!     GX_BENCH_TOWNS=2000 cargo bench --bench web     # a smaller county
//!
//! Setup: a temporary store with one county and `towns` townships, 90 % of which have filed a
//! synthetic, consistent 2023 report through SubmitReport (called in process). Reads are
//! public (`--public-read`) so that no token is needed; a token adds one store read.

use std::sync::Arc;
use std::time::Instant;

use criterion::{criterion_group, Criterion};
use tower::ServiceExt;

use gx::auth::{Caller, CodeHierarchy, Principal, Role};
use gx::grpc::convert::report_to_pb;
use gx::grpc::reports::Reports;
use gx::model::Org;
use gx::orgs::Level;
use gx::pb;
use gx::pb::report_service_server::ReportService;
use gx::store::{NewBody, Store};
use gx::template::Edition;

const COUNTY: &str = "621024";
const YEAR: u32 = 2023;

fn towns() -> usize {
    std::env::var("GX_BENCH_TOWNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000)
}

fn town(i: usize) -> String {
    format!("{COUNTY}{i:05}")
}

/// A store with the county, its towns, and the filed reports.
async fn county(dir: &std::path::Path, n: usize) -> Store {
    let store = Store::open(dir).expect("store");
    let mut bodies = vec![NewBody {
        id: COUNTY.into(),
        name: "合水县".into(),
        level: Level::County,
        parent: None,
    }];
    bodies.extend((0..n).map(|i| NewBody {
        id: town(i),
        name: format!("第{i}镇"),
        level: Level::Township,
        parent: Some(COUNTY.into()),
    }));
    store.import_orgs(bodies, false).await.expect("bodies");
    let reports = Reports::new(store.clone());
    let admin = Caller::new(
        Some(Principal {
            token_id: "0000000000000000".into(),
            role: Role::Admin,
            org: String::new(),
            subtree: false,
        }),
        Arc::new(CodeHierarchy),
    );
    let started = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for i in (0..n).filter(|i| i % 10 != 9) {
        let (reports, admin) = (reports.clone(), admin.clone());
        set.spawn(async move {
            let mut r = gx::synth::consistent(Edition::E2021, i as u64);
            r.year = YEAR;
            r.org = Org {
                id: town(i),
                name: format!("第{i}镇"),
            };
            let mut req = tonic::Request::new(pb::SubmitReportRequest {
                report: Some(report_to_pb(&r)),
                ..Default::default()
            });
            req.extensions_mut().insert(admin);
            reports.submit_report(req).await.expect("submitted");
        });
        if set.len() >= 128 {
            set.join_next().await;
        }
    }
    while set.join_next().await.is_some() {}
    eprintln!(
        "setup: {n} towns, {} reports filed in {:.1} s",
        n - n / 10,
        started.elapsed().as_secs_f64()
    );
    store
}

async fn get(router: &axum::Router, path: &str) -> usize {
    let req = axum::http::Request::get(path)
        .body(axum::body::Body::empty())
        .expect("request");
    let r = router.clone().oneshot(req).await.expect("response");
    assert_eq!(r.status(), 200, "{path}");
    let body = axum::body::to_bytes(r.into_body(), usize::MAX)
        .await
        .expect("body");
    body.len()
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let n = towns();
    let store = rt.block_on(county(dir.path(), n));
    let router = gx::web::Web::new(store.clone(), true, Arc::new(store.clone()), false).router();
    let board = format!("/board/{COUNTY}/{YEAR}");
    let report = format!("/reports/{}/{YEAR}", town(0));
    let size = rt.block_on(get(&router, &board));
    eprintln!("board page: {size} bytes");
    let size = rt.block_on(get(&router, &report));
    eprintln!("report page: {size} bytes");
    let mut g = c.benchmark_group("web");
    g.sample_size(20);
    g.bench_function(format!("board of a county with {n} bodies"), |b| {
        b.iter(|| rt.block_on(get(&router, &board)))
    });
    g.bench_function("report page", |b| {
        b.iter(|| rt.block_on(get(&router, &report)))
    });
    g.finish();
    rt.block_on(store.close()).expect("close");
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
