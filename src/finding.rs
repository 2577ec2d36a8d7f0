//! What the checks of a report find, shared by every checker: the rules engine
//! ([`crate::rules`]), the cross-year checks ([`crate::crossyear`]) and the narrative checks
//! ([`crate::narrative`]). Its own module so that a checker the rules engine calls can name a
//! finding without importing the engine.

use serde::{Deserialize, Serialize};

use crate::template::{CellIx, Template};
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One thing the rules found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable rule id, e.g. `T4-SUM`.
    pub rule: String,
    pub severity: Severity,
    /// Cell keys involved (for sum rules: the total side first, then the parts).
    pub cells: Vec<String>,
    /// Official labels of `cells`, in the same order.
    pub labels: Vec<String>,
    /// For sum rules: the sum of the parts.
    pub expected: Option<String>,
    /// For sum rules: the printed total side.
    pub actual: Option<String>,
    /// The cells that would explain the failure on their own (sum rules only).
    pub suggestion: Option<Suggestion>,
    /// The finding in Chinese, for officials.
    pub message: String,
}

/// Fault localisation for a group of failed identities.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suggestion {
    /// Single-cell corrections, the most likely first (a 总计 cell before its parts). Empty
    /// when no single cell explains the group.
    pub candidates: Vec<Candidate>,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    pub cell: String,
    pub label: String,
    /// The value that makes every identity of the group hold.
    pub value: String,
}

impl Finding {
    /// A finding about cells of the template, named by key and official label, without a
    /// sum's sides or a suggestion.
    pub fn on_cells(
        t: &Template,
        rule: &str,
        severity: Severity,
        cells: &[CellIx],
        message: String,
    ) -> Finding {
        Finding {
            rule: rule.to_string(),
            severity,
            cells: cells.iter().map(|&c| t.cell(c).key.clone()).collect(),
            labels: cells.iter().map(|&c| t.label(c)).collect(),
            expected: None,
            actual: None,
            suggestion: None,
            message,
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The table the finding is about (`t2`, `t3`, `t4`), if any.
    pub fn table(&self) -> Option<&str> {
        self.cells.first().and_then(|c| c.split('.').next())
    }
}

/// The verdict on one report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    pub findings: Vec<Finding>,
}

impl Verdict {
    pub fn is_valid(&self) -> bool {
        !self.findings.iter().any(Finding::is_error)
    }
    pub fn errors(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.is_error())
    }
    pub fn warnings(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| !f.is_error())
    }
}
