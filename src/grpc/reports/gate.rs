//! What SubmitReport checks after the rules: that the report names a registered body, and the
//! cross-year gate — the report against the latest revision of the same body's report of the
//! year before ([`crate::crossyear::check`]), each cross-year rule that fires needing an
//! explanation. The narrative's changes from last year are checked against the same report
//! ([`crate::narrative::check_yoy`]); those are warnings only.

use std::collections::HashSet;

use crate::crossyear;
use crate::grpc::convert::stored_report;
use crate::grpc::status::{ServiceError, Violation};
use crate::narrative;
use crate::pb;
use crate::rules::Finding;
use crate::store::{StoreError, Version};

use super::Admitted;

/// What the gate let through.
#[derive(Debug, Default)]
pub(super) struct Passed {
    /// Cross-year warnings (stored with the revision).
    pub findings: Vec<Finding>,
    /// The narrative's changes from last year that last year's report contradicts (`NT-YOY`):
    /// stored with the revision, never needing an explanation.
    pub narrative: Vec<Finding>,
    /// Explanations to store: (rule, text), for rules that fired, in the order given.
    pub explanations: Vec<(String, String)>,
    /// The revision of last year's report checked against.
    pub previous_revision: Option<u32>,
}

/// The explanations of a request, checked: rule ids, texts, no rule twice.
fn read_explanations(given: &[pb::Explanation]) -> Result<Vec<(String, String)>, ServiceError> {
    let mut v = Vec::new();
    let mut seen = HashSet::new();
    for (i, e) in given.iter().enumerate() {
        let field = format!("explanations[{i}]");
        if let Err(m) = crossyear::check_explanation(&e.rule, &e.text) {
            v.push(Violation {
                field,
                description: m,
            });
        } else if !seen.insert(e.rule.as_str()) {
            v.push(Violation {
                field,
                description: format!("{} is explained more than once", e.rule),
            });
        }
    }
    if !v.is_empty() {
        return Err(ServiceError::BadRequest(v));
    }
    Ok(given
        .iter()
        .map(|e| (e.rule.clone(), e.text.trim().to_string()))
        .collect())
}

/// NOT_FOUND for a report of a body nobody registered, with how to register it.
pub(super) fn unknown_body(id: &str, name: &str) -> ServiceError {
    let name = if name.is_empty() { "NAME" } else { name };
    ServiceError::NotFound(format!(
        "no reporting body {id:?} is registered: register it first \
         (gxctl org add {id} --name {name} --level LEVEL [--parent PARENT], \
         or gx.v1.OrgService/CreateOrg)"
    ))
}

impl super::Reports {
    pub(super) fn gate(
        &self,
        admitted: &Admitted,
        r: &pb::SubmitReportRequest,
    ) -> Result<Passed, ServiceError> {
        let explanations = read_explanations(&r.explanations)?;
        let report = &admitted.report;
        let (org, year) = (&report.org.id, report.year);
        if self.store.org(org).is_none() {
            return Err(unknown_body(org, &report.org.name));
        }
        // What the store will say anyway, said before the cross-year questions: a retry of
        // the latest content passes as it is; a stale expected revision or a missing reason
        // is the first thing to fix. (The store checks both again, under its lock.)
        let latest = self.store.latest_meta(org, year)?;
        let current = latest.as_ref().map_or(0, |l| l.revision);
        if latest
            .as_ref()
            .is_some_and(|l| l.content_hash == admitted.content_hash)
        {
            return Ok(Passed::default());
        }
        if let Some(expected) = r.expected_revision {
            if expected != current {
                return Err(StoreError::Conflict { expected, current }.into());
            }
        }
        if current > 0 && r.reason.trim().is_empty() {
            return Err(StoreError::ReasonRequired { current }.into());
        }
        let mut passed = Passed::default();
        if let Some(prev) = self.store.get(org, year - 1, Version::Latest)? {
            let previous = stored_report(&prev)?;
            passed.findings = crossyear::check(&previous, report);
            passed.narrative = narrative::check_yoy(&previous, report);
            passed.previous_revision = Some(prev.revision);
        }
        let unexplained: Vec<Finding> = passed
            .findings
            .iter()
            .filter(|f| !explanations.iter().any(|(rule, _)| *rule == f.rule))
            .cloned()
            .collect();
        if !unexplained.is_empty() {
            return Err(ServiceError::ExplanationRequired(unexplained));
        }
        let fired = |rule: &str| {
            passed.findings.iter().any(|f| f.rule == rule)
                || passed.narrative.iter().any(|f| f.rule == rule)
                || admitted.warnings.iter().any(|f| f.rule == rule)
        };
        passed.explanations = explanations
            .into_iter()
            .filter(|(rule, _)| fired(rule))
            .collect();
        Ok(passed)
    }
}
