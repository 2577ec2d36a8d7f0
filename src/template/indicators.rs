//! The indicators of a report, declared as data beside the template: what region analysis
//! (`crate::analysis`) compares across years and among peers.
//!
//! An indicator is a sum of cells, or a ratio of two sums. A cell key the edition does not
//! have is skipped (e.g. 本年制发件数 exists only in the 2021 edition); an indicator none of
//! whose cells the edition has, or whose cells hold no number, is *not defined* for that
//! report. A ratio whose denominator is 0 is not defined either — never 0.

use crate::orgs::Level;

/// What an indicator's values are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A count (applications, documents, decisions).
    Count,
    /// A share between 0 and 1.
    Share,
    /// An amount in 万元.
    Amount,
}

/// How an indicator is computed from a report's cells.
#[derive(Debug, Clone, Copy)]
pub enum Formula {
    /// The sum of the cells.
    Sum(&'static [&'static str]),
    /// The sum of `num` over the sum of `den`.
    Ratio {
        num: &'static [&'static str],
        den: &'static [&'static str],
    },
}

/// One indicator.
#[derive(Debug)]
pub struct IndicatorDecl {
    /// Stable key, e.g. `disclosure_rate`.
    pub key: &'static str,
    /// The Chinese name shown to officials, e.g. 「公开率」.
    pub label: &'static str,
    pub unit: Unit,
    pub formula: Formula,
    /// The levels whose bodies are compared on it.
    pub levels: &'static [Level],
}

impl IndicatorDecl {
    /// Whether bodies of `level` are compared on this indicator.
    pub fn applies_to(&self, level: Level) -> bool {
        self.levels.contains(&level)
    }
}

/// Key of 本年新收申请数 (used by the pattern checks: a busy year).
pub const NEW_APPLICATIONS: &str = "new_applications";
/// Key of 行政事业性收费金额 (used by the check for 元 entered as 万元).
pub const FEES: &str = "fees";

const ALL: &[Level] = &Level::ALL;
/// Bodies that issue rules and decisions of their own: not townships.
const GOVERNING: &[Level] = &[
    Level::Province,
    Level::City,
    Level::County,
    Level::Department,
    Level::Other,
];

const RESULTS_TOTAL: &[&str] = &["t3.results_total.total"];
const DISCLOSED: &[&str] = &["t3.granted.total", "t3.partial.total"];
const DENIED: &[&str] = &[
    "t3.deny_state_secret.total",
    "t3.deny_law_forbidden.total",
    "t3.deny_safety_stability.total",
    "t3.deny_third_party.total",
    "t3.deny_internal.total",
    "t3.deny_process.total",
    "t3.deny_enforcement.total",
    "t3.deny_query.total",
];
const UNABLE: &[&str] = &[
    "t3.unable_not_held.total",
    "t3.unable_needs_making.total",
    "t3.unable_unclear.total",
];
const NOT_PROCESSED: &[&str] = &[
    "t3.reject_petition.total",
    "t3.reject_repeat.total",
    "t3.reject_publication.total",
    "t3.reject_massive.total",
    "t3.reject_confirm.total",
];
const REVIEW_DECIDED: &[&str] = &["t4.review.upheld", "t4.review.corrected", "t4.review.other"];
const LITIGATION_CORRECTED: &[&str] = &["t4.lit_direct.corrected", "t4.lit_after_review.corrected"];
const LITIGATION_DECIDED: &[&str] = &[
    "t4.lit_direct.upheld",
    "t4.lit_direct.corrected",
    "t4.lit_direct.other",
    "t4.lit_after_review.upheld",
    "t4.lit_after_review.corrected",
    "t4.lit_after_review.other",
];

/// Every indicator, in the order reports show them.
pub static INDICATORS: [IndicatorDecl; 15] = [
    IndicatorDecl {
        key: NEW_APPLICATIONS,
        label: "本年新收申请数",
        unit: Unit::Count,
        formula: Formula::Sum(&["t3.new.total"]),
        levels: ALL,
    },
    IndicatorDecl {
        key: "handled",
        label: "本年办结申请数",
        unit: Unit::Count,
        formula: Formula::Sum(RESULTS_TOTAL),
        levels: ALL,
    },
    IndicatorDecl {
        key: "disclosure_rate",
        label: "公开率（予以公开与部分公开占办结数）",
        unit: Unit::Share,
        formula: Formula::Ratio {
            num: DISCLOSED,
            den: RESULTS_TOTAL,
        },
        levels: ALL,
    },
    IndicatorDecl {
        key: "refusal_rate",
        label: "不予公开率",
        unit: Unit::Share,
        formula: Formula::Ratio {
            num: DENIED,
            den: RESULTS_TOTAL,
        },
        levels: ALL,
    },
    IndicatorDecl {
        key: "unable_rate",
        label: "无法提供率",
        unit: Unit::Share,
        formula: Formula::Ratio {
            num: UNABLE,
            den: RESULTS_TOTAL,
        },
        levels: ALL,
    },
    IndicatorDecl {
        key: "not_processed_rate",
        label: "不予处理率",
        unit: Unit::Share,
        formula: Formula::Ratio {
            num: NOT_PROCESSED,
            den: RESULTS_TOTAL,
        },
        levels: ALL,
    },
    IndicatorDecl {
        key: "carried_forward_share",
        label: "结转下年度占比",
        unit: Unit::Share,
        formula: Formula::Ratio {
            num: &["t3.forward.total"],
            den: &["t3.new.total", "t3.carried.total"],
        },
        levels: ALL,
    },
    IndicatorDecl {
        key: "review_correction_rate",
        label: "行政复议纠错率（结果纠正占已审结）",
        unit: Unit::Share,
        formula: Formula::Ratio {
            num: &["t4.review.corrected"],
            den: REVIEW_DECIDED,
        },
        levels: ALL,
    },
    IndicatorDecl {
        key: "litigation_correction_rate",
        label: "行政诉讼纠错率（结果纠正占已审结）",
        unit: Unit::Share,
        formula: Formula::Ratio {
            num: LITIGATION_CORRECTED,
            den: LITIGATION_DECIDED,
        },
        levels: ALL,
    },
    IndicatorDecl {
        key: "normative_issued",
        label: "行政规范性文件本年制发件数",
        unit: Unit::Count,
        formula: Formula::Sum(&["t2.normative_docs.issued", "t2.normative_docs.made"]),
        levels: GOVERNING,
    },
    IndicatorDecl {
        key: "normative_in_force",
        label: "行政规范性文件现行有效件数",
        unit: Unit::Count,
        formula: Formula::Sum(&["t2.normative_docs.in_force"]),
        levels: GOVERNING,
    },
    IndicatorDecl {
        key: "licensing_decisions",
        label: "行政许可处理决定数",
        unit: Unit::Count,
        formula: Formula::Sum(&["t2.licensing.decisions"]),
        levels: GOVERNING,
    },
    IndicatorDecl {
        key: "punishment_decisions",
        label: "行政处罚处理决定数",
        unit: Unit::Count,
        formula: Formula::Sum(&["t2.punishment.decisions"]),
        levels: GOVERNING,
    },
    IndicatorDecl {
        key: "coercion_decisions",
        label: "行政强制处理决定数",
        unit: Unit::Count,
        formula: Formula::Sum(&["t2.coercion.decisions"]),
        levels: GOVERNING,
    },
    IndicatorDecl {
        key: FEES,
        label: "行政事业性收费金额（万元）",
        unit: Unit::Amount,
        formula: Formula::Sum(&["t2.admin_fees.amount"]),
        levels: GOVERNING,
    },
];

/// The indicator with this key.
pub fn indicator(key: &str) -> Option<&'static IndicatorDecl> {
    INDICATORS.iter().find(|i| i.key == key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::Edition;

    #[test]
    fn every_key_names_a_cell_of_some_edition() {
        for ind in &INDICATORS {
            let keys: Vec<&str> = match ind.formula {
                Formula::Sum(k) => k.to_vec(),
                Formula::Ratio { num, den } => num.iter().chain(den).copied().collect(),
            };
            for k in keys {
                assert!(
                    Edition::ALL.iter().any(|e| e.template().ix(k).is_some()),
                    "{}: {k}",
                    ind.key
                );
            }
        }
    }
}
