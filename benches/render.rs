//! Rendering the sample report in each format (target: ≤ 100 µs each).
//!
//! `cargo bench --bench render`

use criterion::{black_box, criterion_group, criterion_main, Criterion};

use gx::render::{render, Format};

fn sample() -> gx::Report {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/gucheng-town-2020.json"
    );
    match gx::files::read_path(path) {
        Ok(r) => r,
        Err(e) => panic!("{e}"),
    }
}

fn bench(c: &mut Criterion) {
    let report = sample();
    let mut group = c.benchmark_group("render_sample");
    for format in Format::ALL {
        group.bench_function(format.extension(), |b| {
            b.iter(|| render(black_box(&report), black_box(format)))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
