//! Validating one full report. Target: ≤ 2 µs on the project machine without narrative
//! figures; ≤ 20 µs with the narrative checks (`NT-*`) reading the sample's text.
//!
//!     cargo bench --bench validate

use criterion::{criterion_group, criterion_main, Criterion};
use gx::files::{self, Format};
use gx::synth;
use gx::template::{Edition, Template};

/// The key of the first part cell of table 4's first identity (行政复议「结果维持」): a cell
/// that, changed alone, breaks one sum.
fn first_table4_part(t: &Template) -> String {
    let table4 = t
        .tables
        .iter()
        .position(|d| d.number == 4)
        .expect("table 4");
    let identity = t
        .identities
        .iter()
        .find(|i| usize::from(i.table) == table4)
        .expect("a table-4 identity");
    t.cell(identity.parts[0]).key.clone()
}

fn bench(c: &mut Criterion) {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/gucheng-town-2020.json"
    ))
    .expect("fixture");
    let sample = files::parse(&text, Format::Json).expect("fixture parses");
    // Warm the template (compiled once per process).
    let _ = gx::validate(&sample);
    c.bench_function("validate/sample-2019", |b| {
        b.iter(|| gx::validate(std::hint::black_box(&sample)))
    });
    // The narrative checks alone, on the sample's text (no figure of the tables in it) and on
    // a text that states eight figures and a claim, one contradicted.
    c.bench_function("validate/narrative-only-sample-2019", |b| {
        b.iter(|| gx::narrative::findings(std::hint::black_box(&sample)).len())
    });
    let stated = files::parse(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/narrative/contradicted-2021.json"
        ))
        .expect("fixture"),
        Format::Json,
    )
    .expect("fixture parses");
    assert_eq!(gx::narrative::findings(&stated).len(), 1);
    c.bench_function("validate/narrative-figures-2021", |b| {
        b.iter(|| gx::validate(std::hint::black_box(&stated)))
    });
    let busy = synth::consistent(Edition::E2021, 7);
    c.bench_function("validate/synthetic-2021", |b| {
        b.iter(|| gx::validate(std::hint::black_box(&busy)))
    });
    let mut bad = sample.clone();
    bad.set(&first_table4_part(sample.template()), gx::Cell::int(10));
    assert_eq!(
        gx::validate(&bad).errors().count(),
        1,
        "one error to localise"
    );
    c.bench_function("validate/one-error-with-localisation", |b| {
        b.iter(|| gx::validate(std::hint::black_box(&bad)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
