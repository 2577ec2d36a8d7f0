//! Import speed: the sample (target ≤ 200 µs) and throughput on a large concatenated text
//! (target ≥ 20 MB/s); a real crawler page whose cells ran together, every damaged row split
//! by the bounded deduction (target ≤ 20 ms).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const SAMPLE: &str = include_str!("../tests/fixtures/import/gucheng-town-2020.txt");
const JOINED: &str = include_str!("../tests/fixtures/real/2021-pingtan-zone.txt");

fn bench(c: &mut Criterion) {
    let opts = gx::import::ImportOptions {
        org_id: "621024101".into(),
        ..Default::default()
    };
    c.bench_function("import sample", |b| {
        b.iter(|| gx::import::import(SAMPLE.as_bytes(), &opts).expect("imports"))
    });

    c.bench_function("import crawler page, cells run together (deduce)", |b| {
        b.iter(|| gx::import::import(JOINED.as_bytes(), &opts).expect("imports"))
    });

    // A page of many reports, ~20 MB: the first is imported, the rest is scanned.
    let big: String = std::iter::repeat_n(SAMPLE, 20 << 20 >> 14).collect();
    let mut group = c.benchmark_group("throughput");
    group.throughput(Throughput::Bytes(big.len() as u64));
    group.sample_size(10);
    group.bench_function("import concatenated reports", |b| {
        b.iter(|| gx::import::import(big.as_bytes(), &opts).expect("imports"))
    });
    // One report whose narrative is padded to ~20 MB: everything is read.
    let pad = "一是主动公开的意识还不够强。重视程度不够，主动满足群众公开需要的意愿不足。\n\n";
    let padding: String = std::iter::repeat_n(pad, (20 << 20) / pad.len()).collect();
    let long = SAMPLE.replace(
        "\n三是工作创新能力",
        &format!("\n{padding}三是工作创新能力"),
    );
    group.throughput(Throughput::Bytes(long.len() as u64));
    group.bench_function("import one long report", |b| {
        b.iter(|| gx::import::import(long.as_bytes(), &opts).expect("imports"))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
