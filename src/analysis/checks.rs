//! The checks on indicators: year-over-year jumps and outliers among peers.

use std::collections::BTreeMap;

use super::stats::Spread;
use super::{floor, scaled, show, Check, Entry, Evidence, Finding, Measure, Table, Thresholds};
use crate::orgs::Level;
use crate::template::indicators::IndicatorDecl;

/// Whether a measure takes part in comparisons: a share needs a large enough base.
fn comparable(m: &Measure, th: &Thresholds) -> bool {
    m.base.is_none_or(|b| b >= th.min_base)
}

pub(super) fn finding(
    e: &Entry,
    check: Check,
    indicator: Option<&'static str>,
    evidence: Evidence,
    message: String,
) -> Finding {
    Finding {
        org_id: e.id.clone(),
        org_name: e.name.clone(),
        level: e.level,
        check,
        indicator,
        evidence,
        message,
    }
}

/// Year-over-year jumps of indicator `i`: each body's change (on the compared scale) against
/// the median and MAD of every body's change in the region.
pub(super) fn year_over_year(
    entries: &[Entry],
    table: &Table,
    i: usize,
    decl: &'static IndicatorDecl,
    th: &Thresholds,
    out: &mut Vec<Finding>,
) {
    let pairs: Vec<(usize, f64, f64)> = entries
        .iter()
        .enumerate()
        .filter(|(_, e)| decl.applies_to(e.level))
        .filter_map(|(b, _)| {
            let (c, p) = (table.current[i][b]?, table.previous[i][b]?);
            (comparable(&c, th) && comparable(&p, th)).then_some((b, c.value, p.value))
        })
        .collect();
    let change = |c: f64, p: f64| scaled(decl.unit, c) - scaled(decl.unit, p);
    let mut changes: Vec<f64> = pairs.iter().map(|&(_, c, p)| change(c, p)).collect();
    if changes.len() < th.min_peers {
        return;
    }
    let Some(spread) = Spread::of(&mut changes) else {
        return;
    };
    let (floor, _) = floor(decl.unit, th);
    for &(b, c, p) in &pairs {
        let Some(z) = spread.z(change(c, p)) else {
            continue;
        };
        if z.abs() < th.yoy_z || (c - p).abs() < floor {
            continue;
        }
        let e = &entries[b];
        let message = format!(
            "说明：{}由上年的{}变为{}，变化幅度远超本地区各单位的一般变化（稳健z值{:.1}，阈值{}；差值不小于{}）",
            decl.label,
            show(decl.unit, p),
            show(decl.unit, c),
            z,
            th.yoy_z,
            show(decl.unit, floor),
        );
        out.push(finding(
            e,
            Check::YoyJump,
            Some(decl.key),
            Evidence {
                value: Some(c),
                previous: Some(p),
                median: Some(spread.median),
                mad: Some(spread.mad),
                score: Some(z),
                threshold: th.yoy_z,
                threshold_name: "yoy_z",
            },
            message,
        ));
    }
}

/// Outliers of indicator `i` among the bodies of each level.
pub(super) fn peers(
    entries: &[Entry],
    table: &Table,
    i: usize,
    decl: &'static IndicatorDecl,
    th: &Thresholds,
    out: &mut Vec<Finding>,
) {
    let mut by_level: BTreeMap<Level, Vec<(usize, f64)>> = BTreeMap::new();
    for (b, e) in entries.iter().enumerate() {
        if !decl.applies_to(e.level) {
            continue;
        }
        if let Some(m) = table.current[i][b].filter(|m| comparable(m, th)) {
            by_level.entry(e.level).or_default().push((b, m.value));
        }
    }
    let (floor, _) = floor(decl.unit, th);
    for (level, group) in by_level {
        if group.len() < th.min_peers {
            continue;
        }
        let mut xs: Vec<f64> = group.iter().map(|&(_, v)| scaled(decl.unit, v)).collect();
        let Some(spread) = Spread::of(&mut xs) else {
            continue;
        };
        let mut raw: Vec<f64> = group.iter().map(|&(_, v)| v).collect();
        let median = super::stats::median(&mut raw).unwrap_or(0.0);
        for &(b, v) in &group {
            let Some(z) = spread.z(scaled(decl.unit, v)) else {
                continue;
            };
            if z.abs() < th.peer_z || (v - median).abs() < floor {
                continue;
            }
            let message = format!(
                "说明：{}为{}，同级（{}）单位的中位数为{}，明显{}（稳健z值{:.1}，阈值{}）",
                decl.label,
                show(decl.unit, v),
                level.chinese(),
                show(decl.unit, median),
                if z > 0.0 { "偏高" } else { "偏低" },
                z,
                th.peer_z,
            );
            out.push(finding(
                &entries[b],
                Check::PeerOutlier,
                Some(decl.key),
                Evidence {
                    value: Some(v),
                    previous: None,
                    median: Some(median),
                    mad: Some(spread.mad),
                    score: Some(z),
                    threshold: th.peer_z,
                    threshold_name: "peer_z",
                },
                message,
            ));
        }
    }
}
