//! The wire form: every template cell has a proto field and every proto cell field a template
//! cell; reports cross the wire unchanged; shape errors name the field.

use std::collections::BTreeSet;

use gx::convert::{report_from_pb, report_to_pb};
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
        let p = gx::convert::report_to_pb(r);
        let checked = gx::convert::report_from_pb(&p).unwrap();
        let (edition, values) = gx::convert::canonical_values(&p).unwrap();
        assert_eq!(edition, r.edition);
        let want: Vec<gx::Value> = checked.cells.iter().map(|c| c.value).collect();
        assert_eq!(values, want, "{} {}", r.org.id, r.year);
    }
}
