//! Region analysis of 10,000 bodies (two years of reports each, with planted anomalies).
//! Target: ≤ 1 s on 2 cores.
//!
//!     cargo bench --bench analysis

use criterion::{criterion_group, criterion_main, Criterion};
use gx::analysis::synth::region;
use gx::analysis::{analyze, Thresholds};

fn bench(c: &mut Criterion) {
    let r = region(10_000, 2023, 11, true);
    let th = Thresholds::default();
    let mut group = c.benchmark_group("analysis");
    group.sample_size(10);
    group.bench_function("analyze/10000-bodies", |b| {
        b.iter(|| analyze(std::hint::black_box(&r.entries), 2023, &th))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
