//! Region analysis: which reports of the bodies within a city or province look wrong, unusual
//! or copied. Pure: it reads reports (this year's and last year's) and each body's level, and
//! knows neither the store nor the wire.
//!
//! The checks, each finding with its evidence and a Chinese message:
//! - year-over-year jumps of an indicator ([`crate::template::indicators`]) beyond what the
//!   region's own changes make ordinary: a robust z-score over the median and MAD of every
//!   body's change, plus an absolute floor;
//! - outliers among the peers of one level (townships with townships): robust z-scores;
//! - tables identical to last year's, cell for cell, and narratives at least 95% the same
//!   as last year's once the years are set aside (the similarity of [`crate::diff`]);
//! - patterns: blank cells where numbers belong, an all-zero table 3 after a busy year,
//!   carry-over breaks left unexplained, reports published with errors, and amounts that
//!   look like 元 entered as 万元;
//! - a ranking per indicator.
//!
//! Counts and amounts are compared on a log scale (ln(1 + x)): bodies differ in size by
//! orders of magnitude. Shares are compared as they are. A robust z-score whose MAD is 0 is
//! not defined, and nothing is flagged on it.

mod checks;
pub mod config;
mod patterns;
pub mod stats;
#[cfg(any(test, feature = "synth"))]
pub mod synth;
mod values;

use serde::Serialize;

pub use config::Thresholds;
pub use values::{Measure, Resolved};

use crate::model::Report;
use crate::orgs::Level;
use crate::template::indicators::{IndicatorDecl, Unit, INDICATORS};

/// One body of the region: its level, this year's report and last year's, if filed.
#[derive(Debug, Clone)]
pub struct Entry {
    pub id: String,
    pub name: String,
    pub level: Level,
    pub current: Report,
    pub previous: Option<Report>,
    /// The cross-year rules (e.g. `X-CARRY`) whose warnings the body explained when it filed.
    pub explained: Vec<String>,
}

/// What a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    YoyJump,
    PeerOutlier,
    IdenticalTables,
    CopiedNarrative,
    BlankCells,
    ZeroAfterBusyYear,
    CarryBreak,
    PublishedWithErrors,
    UnitMixUp,
}

impl Check {
    pub const ALL: [Check; 9] = [
        Check::YoyJump,
        Check::PeerOutlier,
        Check::IdenticalTables,
        Check::CopiedNarrative,
        Check::BlankCells,
        Check::ZeroAfterBusyYear,
        Check::CarryBreak,
        Check::PublishedWithErrors,
        Check::UnitMixUp,
    ];

    /// The stable name: `yoy_jump`, `peer_outlier`, ….
    pub fn name(self) -> &'static str {
        match self {
            Check::YoyJump => "yoy_jump",
            Check::PeerOutlier => "peer_outlier",
            Check::IdenticalTables => "identical_tables",
            Check::CopiedNarrative => "copied_narrative",
            Check::BlankCells => "blank_cells",
            Check::ZeroAfterBusyYear => "zero_after_busy_year",
            Check::CarryBreak => "carry_break",
            Check::PublishedWithErrors => "published_with_errors",
            Check::UnitMixUp => "unit_mix_up",
        }
    }

    pub fn from_name(s: &str) -> Option<Check> {
        Check::ALL.into_iter().find(|c| c.name() == s)
    }

    /// The Chinese name shown to officials.
    pub fn chinese(self) -> &'static str {
        match self {
            Check::YoyJump => "同比异常变化",
            Check::PeerOutlier => "同级比较异常",
            Check::IdenticalTables => "表格与上年完全相同",
            Check::CopiedNarrative => "文字与上年高度雷同",
            Check::BlankCells => "应填数字处空白",
            Check::ZeroAfterBusyYear => "上年办理较多而本年表三全为零",
            Check::CarryBreak => "结转数据不衔接且未说明",
            Check::PublishedWithErrors => "发布的报告存在差错",
            Check::UnitMixUp => "金额疑似将元填为万元",
        }
    }
}

/// What a finding rests on: the values compared, the robust statistics and the threshold
/// crossed (named by its field in [`Thresholds`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Evidence {
    pub value: Option<f64>,
    pub previous: Option<f64>,
    /// The median the value is compared with: of the peers' values, or of the region's
    /// changes (on the compared scale, see the module).
    pub median: Option<f64>,
    /// The MAD, on the compared scale.
    pub mad: Option<f64>,
    /// The robust z-score, similarity, count or ratio the threshold applies to.
    pub score: Option<f64>,
    pub threshold: f64,
    pub threshold_name: &'static str,
}

/// One finding about one body.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub org_id: String,
    pub org_name: String,
    #[serde(serialize_with = "level_name")]
    pub level: Level,
    pub check: Check,
    /// The indicator's key, for the checks on indicators.
    pub indicator: Option<&'static str>,
    pub evidence: Evidence,
    /// The finding in Chinese, for officials.
    pub message: String,
}

fn level_name<S: serde::Serializer>(l: &Level, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(l.english())
}

/// One place of a ranking.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Place {
    pub rank: usize,
    pub org_id: String,
    pub org_name: String,
    pub value: f64,
}

/// The bodies ranked on one indicator, highest first: the top and the bottom
/// ([`Thresholds::ranking_len`] each) of those with a value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ranking {
    pub indicator: &'static str,
    pub label: &'static str,
    /// How many bodies have a value.
    pub ranked: usize,
    pub top: Vec<Place>,
    pub bottom: Vec<Place>,
}

/// The analysis of a region for a year.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Analysis {
    pub year: u32,
    /// Bodies with a report for the year.
    pub bodies: usize,
    /// Bodies with at least one finding.
    pub flagged: usize,
    pub thresholds: Thresholds,
    pub findings: Vec<Finding>,
    pub rankings: Vec<Ranking>,
}

/// Every indicator's value for every entry, this year and last: `[indicator][entry]`.
pub(crate) struct Table {
    pub current: Vec<Vec<Option<Measure>>>,
    pub previous: Vec<Vec<Option<Measure>>>,
}

impl Table {
    fn new(entries: &[Entry]) -> Table {
        let resolved = Resolved::new();
        let of = |pick: &dyn Fn(&Entry) -> Option<&Report>| -> Vec<Vec<Option<Measure>>> {
            (0..INDICATORS.len())
                .map(|i| {
                    entries
                        .iter()
                        .map(|e| pick(e).and_then(|r| resolved.measure(i, r)))
                        .collect()
                })
                .collect()
        };
        Table {
            current: of(&|e| Some(&e.current)),
            previous: of(&|e| e.previous.as_ref()),
        }
    }
}

/// Analyzes the `entries` (the bodies within a region with a report for `year`).
pub fn analyze(entries: &[Entry], year: u32, th: &Thresholds) -> Analysis {
    let table = Table::new(entries);
    let mut findings = Vec::new();
    for (i, decl) in INDICATORS.iter().enumerate() {
        checks::year_over_year(entries, &table, i, decl, th, &mut findings);
        checks::peers(entries, &table, i, decl, th, &mut findings);
    }
    patterns::unit_mix_up(entries, &table, th, &mut findings);
    patterns::per_body(entries, &table, th, &mut findings);
    findings
        .sort_by(|a, b| (&a.org_id, a.check, a.indicator).cmp(&(&b.org_id, b.check, b.indicator)));
    let mut ids: Vec<&str> = findings.iter().map(|f| f.org_id.as_str()).collect();
    ids.dedup();
    Analysis {
        year,
        bodies: entries.len(),
        flagged: ids.len(),
        thresholds: th.clone(),
        findings,
        rankings: INDICATORS
            .iter()
            .enumerate()
            .map(|(i, d)| ranking(entries, &table, i, d, th))
            .collect(),
    }
}

fn ranking(
    entries: &[Entry],
    table: &Table,
    i: usize,
    decl: &'static IndicatorDecl,
    th: &Thresholds,
) -> Ranking {
    let mut ranked: Vec<(usize, f64)> = table.current[i]
        .iter()
        .enumerate()
        .filter(|(b, _)| decl.applies_to(entries[*b].level))
        .filter_map(|(b, m)| m.map(|m| (b, m.value)))
        .collect();
    ranked.sort_by(|a, b| {
        b.1.total_cmp(&a.1)
            .then_with(|| entries[a.0].id.cmp(&entries[b.0].id))
    });
    let place = |rank: usize, &(b, value): &(usize, f64)| Place {
        rank: rank + 1,
        org_id: entries[b].id.clone(),
        org_name: entries[b].name.clone(),
        value,
    };
    let n = ranked.len();
    let k = th.ranking_len.min(n);
    Ranking {
        indicator: decl.key,
        label: decl.label,
        ranked: n,
        top: ranked[..k]
            .iter()
            .enumerate()
            .map(|(r, x)| place(r, x))
            .collect(),
        bottom: ranked[n - k..]
            .iter()
            .enumerate()
            .map(|(r, x)| place(n - k + r, x))
            .collect(),
    }
}

/// A value as officials read it: a count, a percentage, or 万元.
pub fn show(unit: Unit, v: f64) -> String {
    match unit {
        Unit::Count => format!("{v:.0}"),
        Unit::Share => format!("{:.1}%", v * 100.0),
        Unit::Amount => format!("{v:.2}万元"),
    }
}

/// The scale indicators are compared on: ln(1 + x) for counts and amounts, as is for shares.
fn scaled(unit: Unit, v: f64) -> f64 {
    match unit {
        Unit::Share => v,
        Unit::Count | Unit::Amount => v.max(0.0).ln_1p(),
    }
}

/// The absolute floor of a difference in `unit`, and its name in [`Thresholds`].
fn floor(unit: Unit, th: &Thresholds) -> (f64, &'static str) {
    match unit {
        Unit::Count => (th.floor_count, "floor_count"),
        Unit::Share => (th.floor_share, "floor_share"),
        Unit::Amount => (th.floor_amount, "floor_amount"),
    }
}

#[cfg(test)]
mod tests;
