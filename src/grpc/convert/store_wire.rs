//! The store's warning record held against the wire's `gx.v1.Finding`.
//!
//! Format 2 stored each warning of a revision as the wire message itself, and the chain hash
//! covers each warning's encoding. The store now owns its record (`src/store` knows no `pb`),
//! so this test, outside the store, checks that both encode to the same bytes: existing data
//! directories read and verify unchanged.

use prost::Message;

use crate::pb;
use crate::rules::{Candidate, Finding, Severity, Suggestion};
use crate::store::StoredFinding;

fn samples() -> Vec<Finding> {
    let full = Finding {
        rule: "T4-SUM".into(),
        severity: Severity::Error,
        cells: vec!["t4.review.total".into(), "t4.review.kept".into()],
        labels: vec!["行政复议 总计".into(), "维持".into()],
        expected: Some("12".into()),
        actual: Some("13".into()),
        suggestion: Some(Suggestion {
            candidates: vec![
                Candidate {
                    cell: "t4.review.total".into(),
                    label: "行政复议 总计".into(),
                    value: "12".into(),
                },
                Candidate {
                    cell: "t4.review.kept".into(),
                    label: "维持".into(),
                    value: "".into(),
                },
            ],
            message: "若总计应为 12，则各项相符".into(),
        }),
        message: "行政复议 总计 与各项之和不符".into(),
    };
    let bare = Finding {
        rule: "CELL-BLANK".into(),
        severity: Severity::Warning,
        cells: vec![],
        labels: vec![],
        expected: None,
        actual: None,
        suggestion: None,
        message: String::new(),
    };
    // Present but empty optionals are encoded (as empty fields): they must stay so.
    let empty_parts = Finding {
        expected: Some(String::new()),
        actual: Some(String::new()),
        suggestion: Some(Suggestion {
            candidates: vec![],
            message: String::new(),
        }),
        ..bare.clone()
    };
    vec![full, bare, empty_parts]
}

#[test]
fn a_stored_finding_encodes_as_the_wire_finding() {
    for f in samples() {
        let stored = StoredFinding::from(&f);
        assert_eq!(
            stored.encode_to_vec(),
            pb::Finding::from(&f).encode_to_vec(),
            "{f:?}"
        );
        assert_eq!(Finding::from(stored), f);
    }
}

#[test]
fn any_wire_finding_reads_and_rewrites_unchanged() {
    // Records are decoded and re-encoded when a format-1 directory is chained and when a chain
    // is verified: every severity number, even one gx never wrote, must survive that.
    for f in samples() {
        for severity in [0, 1, 2, 7, -1] {
            let wire = pb::Finding {
                severity,
                ..pb::Finding::from(&f)
            }
            .encode_to_vec();
            let stored = StoredFinding::decode(wire.as_slice()).unwrap();
            assert_eq!(stored.encode_to_vec(), wire, "severity {severity}");
        }
    }
}
