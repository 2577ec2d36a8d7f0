//! `gx.v1.ReportService`: admission (`admit.rs`: limits, shape, the rules), then — SubmitReport
//! only — the gate (`gate.rs`: the body must be registered — `NOT_FOUND` with how to register
//! it; then the cross-year check against last year's report — `FAILED_PRECONDITION` listing the
//! warnings that need an explanation), then the [`Store`].
//!
//! Every read takes its revision from the store through one function (`read`: the same key
//! checks and `NOT_FOUND` messages for every call); DiffReports (`diff.rs`) and RenderReport
//! (`render.rs`) hand the stored report to the library.

mod admit;
mod diff;
mod gate;
mod render;
mod review;

pub use super::calls::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
pub use admit::{
    admit, Admitted, MAX_NARRATIVE_BYTES, MAX_ORG_ID_CHARS, MAX_ORG_NAME_CHARS, MAX_RAW_CHARS,
    MAX_REASON_CHARS,
};

use tracing::Span;

use super::calls::{calls, page_size};
use super::convert::{
    cross_year_pb, explanations_pb, log_head_pb, review_pb, revision_info, revision_state, rfc3339,
    state_pb, stored_pb, system_time, timestamp,
};
use super::status::{ServiceError, Violation};
use crate::auth::Caller;
use crate::pb;
use crate::pb::get_report_request::Version as Asked;
use crate::store::{Cursor, NewRevision, Revision, State, Store, Version};
use admit::check_text;

/// The service: shared state behind a cheap clone.
#[derive(Debug, Clone)]
pub struct Reports {
    store: Store,
}

impl Reports {
    pub fn new(store: Store) -> Reports {
        Reports { store }
    }
}

/// The report a call is about, in the request's span.
fn record_report(org_id: &str, year: u32) {
    let span = Span::current();
    span.record("org", org_id);
    span.record("year", year);
}

/// org_id and year of a read request.
fn check_key(org_id: &str, year: u32) -> Result<(), ServiceError> {
    let mut v = Vec::new();
    if org_id.is_empty() {
        v.push(Violation {
            field: "org_id".into(),
            description: "required: the reporting body's code".into(),
        });
    } else {
        check_text(&mut v, "org_id", org_id, MAX_ORG_ID_CHARS, false);
    }
    if year == 0 {
        v.push(Violation {
            field: "year".into(),
            description: "required: the year the report covers, e.g. 2020".into(),
        });
    }
    if v.is_empty() {
        Ok(())
    } else {
        Err(ServiceError::BadRequest(v))
    }
}

fn no_report(org_id: &str, year: u32) -> ServiceError {
    ServiceError::NotFound(format!("no report of org {org_id:?} for {year}"))
}

impl Reports {
    async fn submit(
        &self,
        r: pb::SubmitReportRequest,
        caller: &Caller,
    ) -> Result<pb::SubmitReportResponse, ServiceError> {
        if let Some(p) = &r.report {
            if let Some(org) = &p.org {
                record_report(&org.id, p.year);
                // Before admission: no rule findings for a body the caller may not file for.
                if r.as_published {
                    caller.may_archive()?;
                } else {
                    caller.may_submit_for(&org.id)?;
                }
            }
        }
        let mut v = Vec::new();
        check_text(&mut v, "reason", &r.reason, MAX_REASON_CHARS, true);
        if !v.is_empty() {
            return Err(ServiceError::BadRequest(v));
        }
        let admitted = if r.as_published {
            caller.may_archive()?;
            admit::admit_as_published(r.report.as_ref())?
        } else {
            admit(r.report.as_ref())?
        };
        let provenance = super::convert::provenance_from_pb(&r.provenance)
            .map_err(|e| ServiceError::field(e.field, e.message))?;
        crate::provenance::check(admitted.report.edition, &provenance)
            .map_err(|m| ServiceError::field("provenance", m))?;
        let passed = self.gate(&admitted, &r)?;
        let report = &admitted.report;
        let mut warnings = admitted.warnings;
        warnings.extend(passed.findings);
        warnings.extend(passed.narrative);
        let submitted = self
            .store
            .submit(NewRevision {
                org_id: report.org.id.clone(),
                org_name: report.org.name.clone(),
                year: report.year,
                edition: report.edition,
                report: admitted.canonical,
                content_hash: admitted.content_hash,
                reason: r.reason.trim().to_string(),
                warnings,
                expected_revision: r.expected_revision,
                submitted_by: caller.token_id().to_string(),
                explanations: passed.explanations,
                cross_year_previous: passed.previous_revision,
                cells: crate::packed::pack(report.cells.iter().map(|c| c.value)),
                provenance,
            })
            .await?;
        let rev = submitted.revision;
        Span::current().record("revision", rev.revision);
        Ok(pb::SubmitReportResponse {
            explanations: explanations_pb(&rev.explanations),
            cross_year: Some(cross_year_pb(&rev)),
            revision: rev.revision,
            submission_id: rev.submission_id,
            content_hash: hex::encode(rev.content_hash),
            warnings: rev.warnings.iter().map(pb::Finding::from).collect(),
            created: submitted.created,
            submitted_at: Some(timestamp(rev.submitted_at)),
            chain_hash: hex::encode(rev.chain_hash),
            log_head: Some(log_head_pb(&submitted.head)),
        })
    }

    async fn validate(
        &self,
        r: pb::ValidateReportRequest,
    ) -> Result<pb::ValidateReportResponse, ServiceError> {
        if let Some(org) = r.report.as_ref().and_then(|p| p.org.as_ref()) {
            record_report(&org.id, r.report.as_ref().map_or(0, |p| p.year));
        }
        let admitted = admit(r.report.as_ref())?;
        Ok(pb::ValidateReportResponse {
            warnings: admitted.warnings.iter().map(pb::Finding::from).collect(),
            content_hash: hex::encode(admitted.content_hash),
        })
    }

    /// The revision a read names: its key checked, recorded in the request's span, and read
    /// with its report; NOT_FOUND says what there is instead.
    fn read(
        &self,
        org_id: &str,
        year: u32,
        version: Option<Asked>,
    ) -> Result<Revision, ServiceError> {
        record_report(org_id, year);
        check_key(org_id, year)?;
        let version = match version {
            None => Version::Latest,
            Some(Asked::Revision(0)) => {
                return Err(ServiceError::field(
                    "revision",
                    "revisions are numbered from 1",
                ))
            }
            Some(Asked::Revision(n)) => Version::Number(n),
            Some(Asked::AsOf(ts)) => Version::AsOf(system_time("as_of", ts)?),
        };
        let Some(rev) = self.store.get(org_id, year, version)? else {
            return Err(self.missing(org_id, year, version)?);
        };
        Span::current().record("revision", rev.revision);
        Ok(rev)
    }

    /// What NOT_FOUND says when `version` of a report is not there.
    fn missing(
        &self,
        org_id: &str,
        year: u32,
        version: Version,
    ) -> Result<ServiceError, ServiceError> {
        let current = self.store.current_revision(org_id, year)?;
        if current == 0 {
            return Ok(no_report(org_id, year));
        }
        Ok(ServiceError::NotFound(match version {
            Version::Number(n) => format!(
                "the report of org {org_id:?} for {year} has no revision {n}; the latest is {current}"
            ),
            Version::AsOf(t) => {
                let first = self
                    .store
                    .get(org_id, year, Version::Number(1))?
                    .map(|f| rfc3339(f.submitted_at))
                    .unwrap_or_default();
                format!(
                    "the report of org {org_id:?} for {year} had no revision at {}; the first was submitted at {first}",
                    rfc3339(t)
                )
            }
            Version::Latest => format!("no report of org {org_id:?} for {year}"),
        }))
    }

    async fn get(&self, r: pb::GetReportRequest) -> Result<pb::GetReportResponse, ServiceError> {
        let rev = self.read(&r.org_id, r.year, r.version)?;
        let reviews = self.store.reviews(&r.org_id, r.year)?;
        Ok(pb::GetReportResponse {
            report: Some(stored_pb(&rev)?),
            revision: Some(revision_info(&rev)),
            state: state_pb(revision_state(&reviews, rev.revision)) as i32,
            reviews: reviews
                .iter()
                .filter(|x| x.revision == rev.revision)
                .map(review_pb)
                .collect(),
        })
    }

    async fn list(
        &self,
        r: pb::ListReportsRequest,
    ) -> Result<pb::ListReportsResponse, ServiceError> {
        let mut v = Vec::new();
        let limit = page_size(r.page_size).unwrap_or_else(|e| {
            v.push(e);
            0
        });
        if r.year == Some(0) {
            v.push(Violation {
                field: "year".into(),
                description: "0 is not a year; leave it unset for every year".into(),
            });
        }
        check_text(
            &mut v,
            "org_id_prefix",
            &r.org_id_prefix,
            MAX_ORG_ID_CHARS,
            false,
        );
        let cursor = if r.page_token.is_empty() {
            None
        } else {
            let c = Cursor::from_token(&r.page_token);
            if c.is_none() {
                v.push(Violation {
                    field: "page_token".into(),
                    description: "not a next_page_token of ListReports".into(),
                });
            }
            c
        };
        if !v.is_empty() {
            return Err(ServiceError::BadRequest(v));
        }
        let page = self
            .store
            .list(r.year, &r.org_id_prefix, cursor.as_ref(), limit)?;
        let states = page
            .reports
            .iter()
            .map(|s| {
                let st = self.store.filing_state(&s.org_id, s.year)?;
                Ok(st.map_or(State::Filed, |x| x.state))
            })
            .collect::<Result<Vec<State>, crate::store::StoreError>>()?;
        Ok(pb::ListReportsResponse {
            reports: page
                .reports
                .into_iter()
                .zip(states)
                .map(|(s, state)| pb::ReportSummary {
                    state: state_pb(state) as i32,
                    org: Some(pb::Org {
                        id: s.org_id,
                        name: s.org_name,
                    }),
                    year: s.year,
                    edition: s
                        .edition
                        .map_or(pb::Edition::Unspecified, pb::Edition::from)
                        as i32,
                    revision: s.revision,
                    submitted_at: Some(timestamp(s.submitted_at)),
                    content_hash: hex::encode(s.content_hash),
                    warning_count: u32::try_from(s.warnings.len()).unwrap_or(u32::MAX),
                    published_with_errors: s.warnings.iter().any(crate::rules::Finding::is_error),
                })
                .collect(),
            next_page_token: page.next.map(|c| c.to_token()).unwrap_or_default(),
        })
    }

    async fn revisions(
        &self,
        r: pb::ListRevisionsRequest,
    ) -> Result<pb::ListRevisionsResponse, ServiceError> {
        record_report(&r.org_id, r.year);
        check_key(&r.org_id, r.year)?;
        let revs = self.store.revisions(&r.org_id, r.year)?;
        if revs.is_empty() {
            return Err(no_report(&r.org_id, r.year));
        }
        Span::current().record("revision", revs.len());
        let reviews = self.store.reviews(&r.org_id, r.year)?;
        let latest = revs.last().map_or(0, |x| x.revision);
        Ok(pb::ListRevisionsResponse {
            revisions: revs.iter().map(revision_info).collect(),
            state: state_pb(revision_state(&reviews, latest)) as i32,
            reviews: reviews.iter().map(review_pb).collect(),
        })
    }
}

calls! {
    impl pb::report_service_server::ReportService for Reports {
        fn submit_report(pb::SubmitReportRequest) -> pb::SubmitReportResponse = submit(caller);
        fn validate_report(pb::ValidateReportRequest) -> pb::ValidateReportResponse = validate;
        fn get_report(pb::GetReportRequest) -> pb::GetReportResponse = get;
        fn list_reports(pb::ListReportsRequest) -> pb::ListReportsResponse = list;
        fn list_revisions(pb::ListRevisionsRequest) -> pb::ListRevisionsResponse = revisions;
        fn diff_reports(pb::DiffReportsRequest) -> pb::DiffReportsResponse = diff;
        fn render_report(pb::RenderReportRequest) -> pb::RenderReportResponse = render;
        fn review_report(pb::ReviewReportRequest) -> pb::ReviewReportResponse = review(caller);
    }
}
