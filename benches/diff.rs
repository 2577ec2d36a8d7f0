//! Diffing two full reports (tables and narratives of sample size). Target: ≤ 50 µs.
//!
//!     cargo bench --bench diff

use criterion::{criterion_group, criterion_main, Criterion};
use gx::diff::{diff, Options};
use gx::files;

fn fixture(name: &str) -> gx::Report {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    files::read_path(&path).expect("fixture")
}

fn bench(c: &mut Criterion) {
    let a = fixture("gucheng-town-2019.json");
    let b = fixture("gucheng-town-2020.json");
    let c21 = fixture("gucheng-town-2021.json");
    c.bench_function("diff/2019-2020-same-edition", |bench| {
        bench.iter(|| diff(std::hint::black_box(&a), None, &b, None, Options::default()))
    });
    c.bench_function("diff/2020-2021-across-editions", |bench| {
        bench.iter(|| {
            diff(
                std::hint::black_box(&b),
                None,
                &c21,
                None,
                Options::default(),
            )
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
