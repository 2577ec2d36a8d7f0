//! The wire form: every template cell has a proto field and every proto cell field a template
//! cell; reports cross the wire unchanged; shape errors name the field.

use std::collections::BTreeSet;

use gx::grpc::convert::{report_from_pb, report_to_pb};
use gx::model::{Cell, Value};
use gx::pb;
use gx::synth;
use gx::template::Edition;
use prost::Message;
use prost_types::{field_descriptor_proto::Type, DescriptorProto, FileDescriptorSet};

use crate::support::sample;

fn message<'a>(fds: &'a FileDescriptorSet, name: &str) -> &'a DescriptorProto {
    fds.file
        .iter()
        .flat_map(|f| &f.message_type)
        .find(|m| m.name() == name)
        .unwrap_or_else(|| panic!("no message {name}"))
}

/// All cell keys the proto can carry for a table message, e.g. `t3.new.natural`.
fn proto_keys(fds: &FileDescriptorSet, table: &str, message_name: &str) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    for row in &message(fds, message_name).field {
        assert_eq!(row.r#type(), Type::Message);
        let row_msg = row.type_name().rsplit('.').next().unwrap();
        for col in &message(fds, row_msg).field {
            assert_eq!(col.type_name(), ".gx.v1.Cell", "{row_msg}.{}", col.name());
            keys.insert(format!("{table}.{}.{}", row.name(), col.name()));
        }
    }
    keys
}

fn template_keys(e: Edition, table: &str) -> BTreeSet<String> {
    e.template()
        .cells
        .iter()
        .map(|c| c.key.clone())
        .filter(|k| k.starts_with(&format!("{table}.")))
        .collect()
}

#[test]
fn proto_fields_are_the_template_cells() {
    let fds = FileDescriptorSet::decode(pb::FILE_DESCRIPTOR_SET).unwrap();
    assert_eq!(
        proto_keys(&fds, "t2", "Table2Edition2019"),
        template_keys(Edition::E2019, "t2")
    );
    assert_eq!(
        proto_keys(&fds, "t2", "Table2Edition2021"),
        template_keys(Edition::E2021, "t2")
    );
    let t3 = proto_keys(&fds, "t3", "Table3");
    assert_eq!(t3, template_keys(Edition::E2021, "t3"));
    assert!(template_keys(Edition::E2019, "t3").is_subset(&t3));
    for e in Edition::ALL {
        assert_eq!(proto_keys(&fds, "t4", "Table4"), template_keys(e, "t4"));
    }
}

#[test]
fn reports_cross_the_wire_unchanged() {
    let r = sample();
    assert_eq!(report_from_pb(&report_to_pb(&r)).unwrap(), r);
    for seed in 0..50 {
        for e in Edition::ALL {
            let mut r = synth::consistent(e, seed);
            r.set("t3.granted.research", Cell::BLANK);
            r.set(
                "t4.review.pending",
                Cell {
                    value: Value::NotApplicable,
                    raw: Some("—".into()),
                },
            );
            let bytes = report_to_pb(&r).encode_to_vec();
            let back = report_from_pb(&pb::Report::decode(bytes.as_slice()).unwrap()).unwrap();
            assert_eq!(back, r);
        }
    }
}

#[test]
fn shape_errors_name_the_field() {
    let mut p = report_to_pb(&sample());
    p.edition = pb::Edition::Edition2021 as i32;
    p.year = 2021;
    let e = report_from_pb(&p).unwrap_err();
    assert_eq!(e.field, "table2_2019");

    let mut p = report_to_pb(&synth::consistent(Edition::E2019, 1));
    p.table3.as_mut().unwrap().other_other = Some(pb::Table3Row {
        natural: Some(pb::Cell {
            value: Some(pb::cell::Value::Count(1)),
            raw: String::new(),
        }),
        ..Default::default()
    });
    let e = report_from_pb(&p).unwrap_err();
    assert_eq!(e.field, "t3.other_other.natural");
    assert!(e.message.contains("2019 edition"), "{}", e.message);

    let mut p = report_to_pb(&sample());
    p.table4.as_mut().unwrap().review.as_mut().unwrap().total = Some(pb::Cell {
        value: Some(pb::cell::Value::Amount("1.5".into())),
        raw: String::new(),
    });
    assert_eq!(report_from_pb(&p).unwrap_err().field, "t4.review.total");

    let mut p = report_to_pb(&synth::consistent(Edition::E2021, 1));
    if let Some(pb::report::Table2::Table22021(t2)) = p.table2.as_mut() {
        t2.admin_fees = Some(pb::FeeRow2021 {
            amount: Some(pb::Cell {
                value: Some(pb::cell::Value::Amount("NaN".into())),
                raw: String::new(),
            }),
        });
    }
    assert_eq!(
        report_from_pb(&p).unwrap_err().field,
        "t2.admin_fees.amount"
    );

    let mut p = report_to_pb(&sample());
    p.org = None;
    assert_eq!(report_from_pb(&p).unwrap_err().field, "org");
    let mut p = report_to_pb(&sample());
    p.year = 0;
    assert_eq!(report_from_pb(&p).unwrap_err().field, "year");
    let mut p = report_to_pb(&sample());
    p.edition = 2020;
    assert_eq!(report_from_pb(&p).unwrap_err().field, "edition");
    let mut p = report_to_pb(&sample());
    p.table3.as_mut().unwrap().new.as_mut().unwrap().natural = Some(pb::Cell {
        value: Some(pb::cell::Value::Count(i64::MAX)),
        raw: String::new(),
    });
    assert_eq!(report_from_pb(&p).unwrap_err().field, "t3.new.natural");
}

/// The fast reader of stored reports (roll-up, export) sees exactly the cells the checked
/// reader sees, for every canonical report.
#[test]
fn canonical_values_agree_with_the_checked_reader() {
    let mut reports: Vec<gx::Report> = (0..20)
        .map(|s| gx::synth::consistent(gx::Edition::ALL[s as usize % 2], s))
        .collect();
    reports.push(crate::support::sample());
    for name in ["gucheng-town-2019.json", "gucheng-town-2021.json"] {
        let text = std::fs::read_to_string(crate::support::fixture(name)).unwrap();
        reports.push(gx::files::parse(&text, gx::files::Format::Json).unwrap());
    }
    // A 2021-edition report with the single 2019-style （六）其他处理 row, and blanks.
    let mut variant = gx::synth::consistent(gx::Edition::E2021, 99);
    for col in [
        "natural",
        "commercial",
        "research",
        "nonprofit",
        "legal_svc",
        "other_org",
        "total",
    ] {
        for r in ["other_no_correction", "other_fee_unpaid", "other_other"] {
            variant.set(&format!("t3.{r}.{col}"), gx::Cell::ABSENT);
        }
        variant.set(&format!("t3.other.{col}"), gx::Cell::BLANK);
    }
    variant.set(
        "t2.admin_fees.amount",
        gx::Cell::new(gx::Value::NotApplicable),
    );
    reports.push(variant);
    for r in &reports {
        let p = gx::grpc::convert::report_to_pb(r);
        let checked = gx::grpc::convert::report_from_pb(&p).unwrap();
        let (edition, values) = gx::grpc::convert::canonical_values(&p).unwrap();
        assert_eq!(edition, r.edition);
        let want: Vec<gx::Value> = checked.cells.iter().map(|c| c.value).collect();
        assert_eq!(values, want, "{} {}", r.org.id, r.year);
    }
}

/// Hex SHA-256 over the prost encodings of `messages`, each preceded by its length.
fn digest<M: Message>(messages: impl IntoIterator<Item = M>) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for m in messages {
        let bytes = m.encode_to_vec();
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(&bytes);
    }
    hex::encode(h.finalize())
}

/// A consistent report with cells of every kind the model holds: blank, not applicable with
/// and without raw text, negative and raw numbers, absent rows and cells, and (for half the
/// 2021-edition reports) the single variant （六）其他处理 row.
fn scrambled(edition: Edition, seed: u64) -> gx::Report {
    let mut r = synth::consistent(edition, seed);
    let mut rng = synth::Rng::new(seed ^ 0x5eed);
    if rng.below(2) == 0 {
        synth::use_variant_rows(&mut r);
    }
    if rng.below(4) == 0 {
        r.narrative = gx::model::Narrative::default();
    }
    for cell in r.cells.iter_mut() {
        *cell = match rng.below(12) {
            0 => Cell::BLANK,
            1 => Cell::new(Value::NotApplicable),
            2 => Cell {
                value: Value::NotApplicable,
                raw: Some("—".into()),
            },
            3 => Cell::ABSENT,
            4 if matches!(cell.value, Value::Int(_)) => Cell::int(-(rng.below(1000) as i64)),
            5 => Cell {
                value: cell.value,
                raw: Some(format!("{}（其中修订1件）", cell.value)),
            },
            _ => continue,
        };
    }
    r
}

/// The canonical encoding — [`report_to_pb`] of a model report, prost-encoded — is what the
/// content and chain hashes of stored revisions are computed over: it must never change.
/// The digests were recorded before the conversions became table-driven (issue 12).
#[test]
fn canonical_encoding_is_unchanged() {
    let mut got: Vec<(String, String)> = Vec::new();
    for name in [
        "example-2022.json",
        "gucheng-town-2019.json",
        "gucheng-town-2020.json",
        "gucheng-town-2021.json",
    ] {
        let text = std::fs::read_to_string(crate::support::fixture(name)).unwrap();
        let r = gx::files::parse(&text, gx::files::Format::Json).unwrap();
        got.push((name.into(), digest([report_to_pb(&r)])));
    }
    for e in Edition::ALL {
        let consistent = (0..50).map(|s| report_to_pb(&synth::consistent(e, s)));
        got.push((format!("consistent {e}"), digest(consistent)));
        let scrambled = (0..200).map(|s| report_to_pb(&scrambled(e, s)));
        got.push((format!("scrambled {e}"), digest(scrambled)));
    }
    let (diffs, findings) = diffs_and_findings();
    let wire_diffs: Vec<pb::Diff> = diffs.iter().map(pb::Diff::from).collect();
    for (d, w) in diffs.iter().zip(&wire_diffs) {
        assert_eq!(&gx::diff::Diff::from(w), d);
    }
    got.push(("diffs".into(), digest(wire_diffs)));
    let wire_findings: Vec<pb::Finding> = findings.iter().map(pb::Finding::from).collect();
    for (f, w) in findings.iter().zip(&wire_findings) {
        assert_eq!(&gx::Finding::from(w), f);
    }
    got.push(("findings".into(), digest(wire_findings)));
    let want: &[(&str, &str)] = &[
        (
            "example-2022.json",
            "f0ff60592ae430e238d1f6593bfc1fcf1780de26401bb3f4f934dd66727d079b",
        ),
        (
            "gucheng-town-2019.json",
            "2efea3fc67ed236e32d21a50b3424b36782140b3af7c030f541f2a24a3779ade",
        ),
        (
            "gucheng-town-2020.json",
            "aee34c0e2c0680ff14ce8c5499e0d4c494cdece23a046a8732b977cd655fd2f1",
        ),
        (
            "gucheng-town-2021.json",
            "69d17be9d3500d884e362ad6f007823670c0ec302d36579d7d3fd0f17ec03499",
        ),
        (
            "consistent 2019",
            "b2342dfd12b3df8e5c882bc30cf3d9cac38d2ab8116fbf7bce2477213b62ac85",
        ),
        (
            "scrambled 2019",
            "285a13ed00c951e68b52bcde2bbd06d19a59d276bfa63bf1c939a4f0b277777a",
        ),
        (
            "consistent 2021",
            "1e8bf5cd21ff43f8629cb3f7e1bddad8267f9b07bc3894c9da06e3ab21dd9ff5",
        ),
        (
            "scrambled 2021",
            "68f73bce2f7e7433337a11b245136c3c547baf7d5ad44a63a8e86e6ffefc3732",
        ),
        (
            "diffs",
            "820711bf19cb4d85204253b2aad7a5bb24785d35970bd30345f1db6ce3db80ac",
        ),
        (
            "findings",
            "f8ebd24ba8a46bd4ab22a9ccc79e954866e91f4282a086d5c47c279fb64cccff",
        ),
    ];
    let got: Vec<(&str, &str)> = got.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    assert_eq!(got, want);
}

/// Diffs of every kind (same edition, across editions, all cells, with explanations) and the
/// findings of scrambled reports (sum failures with suggestions among them).
fn diffs_and_findings() -> (Vec<gx::diff::Diff>, Vec<gx::Finding>) {
    let fixture = |name: &str| {
        let text = std::fs::read_to_string(crate::support::fixture(name)).unwrap();
        gx::files::parse(&text, gx::files::Format::Json).unwrap()
    };
    let years = [
        "gucheng-town-2019.json",
        "gucheng-town-2020.json",
        "gucheng-town-2021.json",
    ]
    .map(fixture);
    let mut diffs = Vec::new();
    for (i, old) in years.iter().enumerate() {
        for new in &years[i..] {
            for all in [false, true] {
                let mut d = gx::diff::diff(old, Some(1), new, None, gx::diff::Options { all });
                d.new.explanations.push(gx::crossyear::Explanation {
                    rule: "X-CARRY".into(),
                    text: "机构改革".into(),
                });
                diffs.push(d);
            }
        }
    }
    let (a, b) = (scrambled(Edition::E2019, 7), scrambled(Edition::E2021, 8));
    diffs.push(gx::diff::diff(&a, None, &b, Some(3), Default::default()));
    let findings: Vec<gx::Finding> = Edition::ALL
        .into_iter()
        .flat_map(|e| (0..40).map(move |s| scrambled(e, s)))
        .flat_map(|r| gx::validate(&r).findings)
        .collect();
    // Every part of the wire form is exercised.
    assert!(diffs.iter().any(|d| !d.not_comparable.is_empty()));
    assert!(diffs.iter().any(|d| d.carry_over.is_some()));
    assert!(diffs
        .iter()
        .any(|d| d.narrative.iter().any(|s| !s.changes.is_empty())));
    assert!(findings.iter().any(|f| f
        .suggestion
        .as_ref()
        .is_some_and(|s| !s.candidates.is_empty())));
    assert!(findings.iter().any(|f| !f.is_error()));
    (diffs, findings)
}

/// The exact messages of shape errors (clients and officials read them).
#[test]
fn shape_error_messages_are_exact() {
    let cell = |value| {
        Some(pb::Cell {
            value: Some(value),
            raw: String::new(),
        })
    };
    let count = |n| cell(pb::cell::Value::Count(n));
    let amount = |s: &str| cell(pb::cell::Value::Amount(s.into()));
    let row = |c| {
        Some(pb::Table3Row {
            total: c,
            ..Default::default()
        })
    };
    let report = |e: Edition, change: &dyn Fn(&mut pb::Report)| {
        let mut p = report_to_pb(&synth::consistent(e, 3));
        change(&mut p);
        p
    };
    let (e2019, e2021) = (Edition::E2019, Edition::E2021);
    let t2_2019 = report(e2019, &|_| {}).table2;
    let t2_2021 = report(e2021, &|_| {}).table2;
    let other_other = report(e2019, &|p| {
        p.table3.as_mut().unwrap().other_other = row(count(1))
    });
    let cases = [
        (
            report(e2019, &|p| p.table2 = t2_2021.clone()),
            "table2_2021",
            "a 2021-edition table 2 in a 2019-edition report; use table2_2019",
        ),
        (
            report(e2021, &|p| p.table2 = t2_2019.clone()),
            "table2_2019",
            "a 2019-edition table 2 in a 2021-edition report; use table2_2021",
        ),
        (
            other_other.clone(),
            "t3.other_other.total",
            "no such cell in the 2019 edition; the table's shape is not of its edition",
        ),
        (
            report(e2021, &|p| p.table3.as_mut().unwrap().other = row(count(1))),
            "table3",
            "t3.other: the 2021 edition prints either row t3.other or rows \
             t3.other_no_correction, t3.other_fee_unpaid, t3.other_other, not both",
        ),
        (
            report(e2021, &|p| {
                p.table4
                    .as_mut()
                    .unwrap()
                    .lit_direct
                    .as_mut()
                    .unwrap()
                    .pending = count(i64::MAX)
            }),
            "t4.lit_direct.pending",
            "9223372036854775807 is too large (at most 18 digits)",
        ),
        (
            report(e2019, &|p| {
                p.table3.as_mut().unwrap().forward = row(amount("1.5"))
            }),
            "t3.forward.total",
            "expected a whole number (field `count`), found amount \"1.5\"",
        ),
        (
            report(e2019, &|p| {
                if let Some(pb::report::Table2::Table22019(t2)) = p.table2.as_mut() {
                    t2.central_procurement.as_mut().unwrap().amount = amount("NaN");
                }
            }),
            "t2.central_procurement.amount",
            "expected an exact decimal amount in 万元 (like 7730.28), found \"NaN\"",
        ),
    ];
    for (p, field, message) in cases {
        let e = report_from_pb(&p).unwrap_err();
        assert_eq!((e.field.as_str(), e.message.as_str()), (field, message));
    }
    let e = gx::grpc::convert::canonical_values(&other_other).unwrap_err();
    assert_eq!(
        (e.field.as_str(), e.message.as_str()),
        ("t3.other_other.total", "no such cell in the 2019 edition")
    );
}
