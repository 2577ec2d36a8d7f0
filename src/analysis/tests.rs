//! The analysis on a synthetic region of 500 bodies: every planted anomaly found, and few
//! bodies flagged when nothing is planted.

use std::collections::BTreeMap;

use super::synth::region;
use super::*;

#[test]
fn every_planted_anomaly_is_found() {
    let r = region(500, 2023, 7, true);
    assert_eq!(r.planted.len(), 3 * Check::ALL.len());
    let a = analyze(&r.entries, 2023, &Thresholds::default());
    for (id, check) in &r.planted {
        assert!(
            a.findings
                .iter()
                .any(|f| &f.org_id == id && f.check == *check),
            "{check:?} planted on {id} not found; found there: {:#?}",
            a.findings
                .iter()
                .filter(|f| &f.org_id == id)
                .collect::<Vec<_>>()
        );
    }
}

#[test]
fn an_ordinary_region_flags_at_most_one_percent() {
    for seed in [1, 2, 3] {
        let r = region(500, 2023, seed, false);
        let a = analyze(&r.entries, 2023, &Thresholds::default());
        let mut by_check: BTreeMap<&str, usize> = BTreeMap::new();
        for f in &a.findings {
            *by_check.entry(f.check.name()).or_default() += 1;
        }
        eprintln!(
            "seed {seed}: {} of 500 bodies flagged {by_check:?}",
            a.flagged
        );
        assert!(
            a.flagged <= 5,
            "seed {seed}: {} of 500 bodies flagged: {by_check:?}\n{:#?}",
            a.flagged,
            a.findings.iter().take(10).collect::<Vec<_>>()
        );
    }
}

#[test]
fn findings_carry_evidence_and_chinese_messages() {
    let r = region(500, 2023, 7, true);
    let a = analyze(&r.entries, 2023, &Thresholds::default());
    for f in &a.findings {
        assert!(f.message.starts_with("说明："), "{}", f.message);
        assert!(!f.evidence.threshold_name.is_empty());
        if matches!(f.check, Check::YoyJump | Check::PeerOutlier) {
            let z = f.evidence.score.unwrap_or(0.0);
            assert!(z.abs() >= f.evidence.threshold, "{f:?}");
            assert!(f.evidence.median.is_some() && f.evidence.mad.is_some());
        }
    }
    let peer = a
        .findings
        .iter()
        .find(|f| f.check == Check::PeerOutlier && f.indicator == Some("disclosure_rate"))
        .expect("the planted 0% disclosure rate");
    assert_eq!(peer.evidence.value, Some(0.0));
}

#[test]
fn a_ratio_over_zero_is_not_defined() {
    let r = region(10, 2023, 1, false);
    let mut report = r.entries[0].current.clone();
    for c in &mut report.cells {
        if c.value.is_number() {
            *c = crate::model::Cell::int(0);
        }
    }
    let resolved = Resolved::new();
    let rate = crate::template::indicators::INDICATORS
        .iter()
        .position(|d| d.key == "disclosure_rate")
        .unwrap();
    assert_eq!(resolved.measure(rate, &report), None);
    let apps = crate::template::indicators::INDICATORS
        .iter()
        .position(|d| d.key == "new_applications")
        .unwrap();
    assert_eq!(resolved.measure(apps, &report).map(|m| m.value), Some(0.0));
}

#[test]
fn rankings_list_the_highest_first() {
    let r = region(500, 2023, 7, false);
    let a = analyze(&r.entries, 2023, &Thresholds::default());
    assert_eq!(
        a.rankings.len(),
        crate::template::indicators::INDICATORS.len()
    );
    for k in &a.rankings {
        assert!(
            k.top.windows(2).all(|w| w[0].value >= w[1].value),
            "{}",
            k.indicator
        );
        assert_eq!(k.top.first().map(|p| p.rank), (k.ranked > 0).then_some(1));
        assert_eq!(
            k.bottom.last().map(|p| p.rank),
            (k.ranked > 0).then_some(k.ranked)
        );
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(32))]

    /// Any reports — of either edition, with or without last year's, at any level — are
    /// analyzed without a panic, and every finding names a body of the input.
    #[test]
    fn any_reports_are_analyzed(seeds in proptest::collection::vec((0u64..1_000_000, 0usize..6, proptest::bool::ANY), 1..40)) {
        use crate::template::Edition;
        let entries: Vec<Entry> = seeds
            .iter()
            .enumerate()
            .map(|(i, &(seed, level, with_previous))| {
                let edition = if seed % 2 == 0 { Edition::E2019 } else { Edition::E2021 };
                Entry {
                    id: format!("B{i}"),
                    name: format!("单位{i}"),
                    level: Level::ALL[level],
                    current: crate::synth::consistent(edition, seed),
                    previous: with_previous
                        .then(|| crate::synth::consistent(Edition::E2021, seed + 1)),
                    explained: Vec::new(),
                }
            })
            .collect();
        let a = analyze(&entries, 2023, &Thresholds::default());
        for f in &a.findings {
            proptest::prop_assert!(entries.iter().any(|e| e.id == f.org_id));
            proptest::prop_assert!(f.evidence.score.is_none_or(|s| s.is_finite()));
        }
    }
}
