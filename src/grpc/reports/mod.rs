//! `gx.v1.ReportService`: admission (limits, shape, the rules), then the [`Store`].
//!
//! A report is admitted in this order, and the first failing step answers:
//! 1. request limits (org.id form, text sizes) — `INVALID_ARGUMENT`, field paths;
//! 2. shape and types ([`convert::report_from_pb`]) — `INVALID_ARGUMENT`, cell keys or paths;
//! 3. the rules ([`rules::validate`], exactly as `gxctl validate`) — `INVALID_ARGUMENT` with
//!    one `BadRequest` field violation per error finding, in Chinese;
//! 4. (SubmitReport only, `service/gate.rs`) the body must be registered — `NOT_FOUND` with how to
//!    register it; then the cross-year gate against last year's report — `FAILED_PRECONDITION`
//!    listing the warnings that need an explanation.
//!
//! What passes is stored in its canonical form: the report read into the model and written
//! back ([`convert::report_to_pb`]), protobuf-encoded. The content hash is the SHA-256 of those
//! bytes, so two submissions that say the same thing hash the same, whatever optional fields
//! the client spelled out; the reason and `expected_revision` are not content.

use std::time::SystemTime;

use prost::Message;
use sha2::{Digest, Sha256};
use tonic::{Request, Response, Status};
use tracing::Span;

use crate::auth::Caller;
use crate::grpc::convert;
use crate::grpc::status::{ServiceError, Violation};
use crate::model::Report;
use crate::pb;
use crate::rules;
use crate::store::{Cursor, NewRevision, Revision, Store, Version};
use crate::template::Edition;

mod diff;
mod gate;
mod render;

/// Longest org.id, in characters.
pub const MAX_ORG_ID_CHARS: usize = 128;
/// Longest org.name, in characters.
pub const MAX_ORG_NAME_CHARS: usize = 256;
/// Most narrative text per report, in bytes (UTF-8), all sections together. Real reports
/// have 5–50 KB.
pub const MAX_NARRATIVE_BYTES: usize = 1 << 20;
/// Longest published text of one cell (`raw`), in characters.
pub const MAX_RAW_CHARS: usize = 256;
/// Longest reason, in characters.
pub const MAX_REASON_CHARS: usize = 2000;
/// Largest `page_size` of ListReports, and the default.
pub const MAX_PAGE_SIZE: usize = 1000;
pub const DEFAULT_PAGE_SIZE: usize = 100;

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

/// A report that passed admission.
#[derive(Debug)]
pub struct Admitted {
    pub report: Report,
    /// The canonical encoding.
    pub canonical: Vec<u8>,
    pub content_hash: [u8; 32],
    /// Warning findings (there are no errors).
    pub warnings: Vec<rules::Finding>,
}

/// A convert error's field as a request path: cell keys stay cell keys, other fields are
/// under `report.`.
fn report_field(field: &str) -> String {
    let is_cell = Edition::ALL
        .into_iter()
        .any(|e| e.template().ix(field).is_some());
    if is_cell {
        field.to_string()
    } else {
        format!("report.{field}")
    }
}

fn check_text(
    out: &mut Vec<Violation>,
    field: &str,
    text: &str,
    max_chars: usize,
    allow_newlines: bool,
) {
    let chars = text.chars().count();
    if chars > max_chars {
        out.push(Violation {
            field: field.into(),
            description: format!("{chars} characters; at most {max_chars}"),
        });
    }
    if let Some(c) = text
        .chars()
        .find(|c| c.is_control() && !(allow_newlines && matches!(c, '\n' | '\r' | '\t')))
    {
        out.push(Violation {
            field: field.into(),
            description: format!("contains the control character U+{:04X}", c as u32),
        });
    }
}

fn narrative_bytes(n: &pb::Narrative) -> usize {
    let section = |s: &Option<pb::Section>| {
        s.as_ref().map_or(0, |s| {
            s.text.len()
                + s.subsections
                    .iter()
                    .map(|x| x.title.len() + x.text.len())
                    .sum::<usize>()
        })
    };
    n.preamble.len() + section(&n.overview) + section(&n.problems) + section(&n.other)
}

/// Request limits the shape checks do not cover.
fn check_limits(p: &pb::Report) -> Result<(), ServiceError> {
    let mut v = Vec::new();
    if let Some(org) = &p.org {
        check_text(&mut v, "report.org.id", &org.id, MAX_ORG_ID_CHARS, false);
        if org.id.trim() != org.id {
            v.push(Violation {
                field: "report.org.id".into(),
                description: "must not begin or end with whitespace".into(),
            });
        }
        check_text(
            &mut v,
            "report.org.name",
            &org.name,
            MAX_ORG_NAME_CHARS,
            false,
        );
    }
    if let Some(n) = &p.narrative {
        let bytes = narrative_bytes(n);
        if bytes > MAX_NARRATIVE_BYTES {
            v.push(Violation {
                field: "report.narrative".into(),
                description: format!(
                    "{bytes} bytes of text; at most {MAX_NARRATIVE_BYTES} (1 MiB) for all sections together"
                ),
            });
        }
    }
    if v.is_empty() {
        Ok(())
    } else {
        Err(ServiceError::BadRequest(v))
    }
}

/// Admission: limits, shape, rules; then the canonical form and its hash.
pub fn admit(p: Option<&pb::Report>) -> Result<Admitted, ServiceError> {
    let p = p.ok_or_else(|| ServiceError::field("report", "required: the report to submit"))?;
    check_limits(p)?;
    let report = convert::report_from_pb(p)
        .map_err(|e| ServiceError::field(report_field(&e.field), e.message))?;
    let t = report.template();
    let long_raw: Vec<Violation> = report
        .cells
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            let n = c.raw.as_ref()?.chars().count();
            (n > MAX_RAW_CHARS).then(|| Violation {
                field: t.cells[i].key.clone(),
                description: format!("raw: {n} characters; at most {MAX_RAW_CHARS}"),
            })
        })
        .collect();
    if !long_raw.is_empty() {
        return Err(ServiceError::BadRequest(long_raw));
    }
    let verdict = rules::validate(&report);
    if !verdict.is_valid() {
        return Err(ServiceError::Rejected(
            verdict.errors().cloned().collect::<Vec<_>>(),
        ));
    }
    let canonical = convert::report_to_pb(&report).encode_to_vec();
    let content_hash: [u8; 32] = Sha256::digest(&canonical).into();
    Ok(Admitted {
        report,
        canonical,
        content_hash,
        warnings: verdict.findings,
    })
}

fn record_report(org_id: &str, year: u32) {
    let span = Span::current();
    span.record("org", org_id);
    span.record("year", year);
}

pub(super) fn timestamp(t: SystemTime) -> prost_types::Timestamp {
    prost_types::Timestamp::from(t)
}

fn revision_info(r: &Revision) -> pb::RevisionInfo {
    pb::RevisionInfo {
        org_id: r.org_id.clone(),
        year: r.year,
        revision: r.revision,
        submission_id: r.submission_id.clone(),
        submitted_at: Some(timestamp(r.submitted_at)),
        reason: r.reason.clone(),
        content_hash: hex::encode(r.content_hash),
        warnings: r.warnings.iter().map(pb::Finding::from).collect(),
        submitted_by: r.submitted_by.clone(),
        previous_hash: hex::encode(r.previous_hash),
        chain_hash: hex::encode(r.chain_hash),
        explanations: explanations_pb(&r.explanations),
        cross_year: Some(cross_year_pb(r)),
    }
}

fn explanations_pb(e: &[(String, String)]) -> Vec<pb::Explanation> {
    e.iter()
        .map(|(rule, text)| pb::Explanation {
            rule: rule.clone(),
            text: text.clone(),
        })
        .collect()
}

/// The cross-year check of a revision, for the wire.
pub fn cross_year_pb(r: &Revision) -> pb::CrossYearCheck {
    pb::CrossYearCheck {
        checked: r.cross_year_previous.is_some(),
        previous_year: r.year.saturating_sub(1),
        previous_revision: r.cross_year_previous.unwrap_or(0),
    }
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

/// A `google.protobuf.Timestamp` as its spec bounds it: 0001-01-01 to 9999-12-31, nanos in
/// 0..1e9.
fn system_time(field: &str, ts: prost_types::Timestamp) -> Result<SystemTime, ServiceError> {
    const MIN_SECONDS: i64 = -62_135_596_800;
    const MAX_SECONDS: i64 = 253_402_300_799;
    if !(0..1_000_000_000).contains(&ts.nanos) {
        return Err(ServiceError::field(
            field,
            format!("nanos {} is out of range 0..999999999", ts.nanos),
        ));
    }
    if !(MIN_SECONDS..=MAX_SECONDS).contains(&ts.seconds) {
        return Err(ServiceError::field(
            field,
            format!(
                "seconds {} is out of range (years 0001 to 9999)",
                ts.seconds
            ),
        ));
    }
    SystemTime::try_from(ts)
        .map_err(|e| ServiceError::field(field, format!("not a valid timestamp: {e}")))
}

fn rfc3339(t: SystemTime) -> String {
    // Timestamp's Display is RFC 3339.
    timestamp(t).to_string()
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
                caller.may_submit_for(&org.id)?;
            }
        }
        let mut v = Vec::new();
        check_text(&mut v, "reason", &r.reason, MAX_REASON_CHARS, true);
        if !v.is_empty() {
            return Err(ServiceError::BadRequest(v));
        }
        let admitted = admit(r.report.as_ref())?;
        let passed = self.gate(&admitted, &r)?;
        let report = &admitted.report;
        let mut warnings = admitted.warnings;
        warnings.extend(passed.findings);
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
        })
    }

    fn validate(
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

    fn get(&self, r: pb::GetReportRequest) -> Result<pb::GetReportResponse, ServiceError> {
        record_report(&r.org_id, r.year);
        check_key(&r.org_id, r.year)?;
        use pb::get_report_request::Version as V;
        let version = match r.version {
            None => Version::Latest,
            Some(V::Revision(0)) => {
                return Err(ServiceError::field(
                    "revision",
                    "revisions are numbered from 1",
                ))
            }
            Some(V::Revision(n)) => Version::Number(n),
            Some(V::AsOf(ts)) => Version::AsOf(system_time("as_of", ts)?),
        };
        let Some(rev) = self.store.get(&r.org_id, r.year, version)? else {
            let current = self.store.current_revision(&r.org_id, r.year)?;
            if current == 0 {
                return Err(no_report(&r.org_id, r.year));
            }
            return Err(ServiceError::NotFound(match version {
                Version::Number(n) => format!(
                    "the report of org {:?} for {} has no revision {n}; the latest is {current}",
                    r.org_id, r.year
                ),
                Version::AsOf(t) => {
                    let first = self
                        .store
                        .get(&r.org_id, r.year, Version::Number(1))?
                        .map(|f| rfc3339(f.submitted_at))
                        .unwrap_or_default();
                    format!(
                        "the report of org {:?} for {} had no revision at {}; the first was submitted at {first}",
                        r.org_id,
                        r.year,
                        rfc3339(t)
                    )
                }
                Version::Latest => format!("no report of org {:?} for {}", r.org_id, r.year),
            }));
        };
        Span::current().record("revision", rev.revision);
        let report = pb::Report::decode(rev.report.as_slice()).map_err(|e| {
            crate::store::StoreError::Corrupt {
                key: format!("{}/{}/{}", rev.org_id, rev.year, rev.revision),
                detail: e.to_string(),
            }
        })?;
        Ok(pb::GetReportResponse {
            report: Some(report),
            revision: Some(revision_info(&rev)),
        })
    }

    fn list(&self, r: pb::ListReportsRequest) -> Result<pb::ListReportsResponse, ServiceError> {
        let mut v = Vec::new();
        let limit = match usize::try_from(r.page_size) {
            Ok(0) => DEFAULT_PAGE_SIZE,
            Ok(n) if n <= MAX_PAGE_SIZE => n,
            _ => {
                v.push(Violation {
                    field: "page_size".into(),
                    description: format!(
                        "{} is out of range: 1 to {MAX_PAGE_SIZE}, or 0 for {DEFAULT_PAGE_SIZE}",
                        r.page_size
                    ),
                });
                0
            }
        };
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
        Ok(pb::ListReportsResponse {
            reports: page
                .reports
                .into_iter()
                .map(|s| pb::ReportSummary {
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
                })
                .collect(),
            next_page_token: page.next.map(|c| c.to_token()).unwrap_or_default(),
        })
    }

    fn revisions(
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
        Ok(pb::ListRevisionsResponse {
            revisions: revs.iter().map(revision_info).collect(),
        })
    }
}

#[tonic::async_trait]
impl pb::report_service_server::ReportService for Reports {
    async fn submit_report(
        &self,
        request: Request<pb::SubmitReportRequest>,
    ) -> Result<Response<pb::SubmitReportResponse>, Status> {
        let caller = Caller::of(&request)?.clone();
        Ok(Response::new(
            self.submit(request.into_inner(), &caller).await?,
        ))
    }

    async fn validate_report(
        &self,
        request: Request<pb::ValidateReportRequest>,
    ) -> Result<Response<pb::ValidateReportResponse>, Status> {
        Ok(Response::new(self.validate(request.into_inner())?))
    }

    async fn get_report(
        &self,
        request: Request<pb::GetReportRequest>,
    ) -> Result<Response<pb::GetReportResponse>, Status> {
        Ok(Response::new(self.get(request.into_inner())?))
    }

    async fn list_reports(
        &self,
        request: Request<pb::ListReportsRequest>,
    ) -> Result<Response<pb::ListReportsResponse>, Status> {
        Ok(Response::new(self.list(request.into_inner())?))
    }

    async fn list_revisions(
        &self,
        request: Request<pb::ListRevisionsRequest>,
    ) -> Result<Response<pb::ListRevisionsResponse>, Status> {
        Ok(Response::new(self.revisions(request.into_inner())?))
    }

    async fn diff_reports(
        &self,
        request: Request<pb::DiffReportsRequest>,
    ) -> Result<Response<pb::DiffReportsResponse>, Status> {
        Ok(Response::new(self.diff(request.into_inner())?))
    }

    async fn render_report(
        &self,
        request: Request<pb::RenderReportRequest>,
    ) -> Result<Response<pb::RenderReportResponse>, Status> {
        Ok(Response::new(self.render(request.into_inner())?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn convert_fields_become_request_paths() {
        assert_eq!(report_field("t3.new.natural"), "t3.new.natural");
        assert_eq!(report_field("t3.other_other.total"), "t3.other_other.total");
        assert_eq!(report_field("org.id"), "report.org.id");
        assert_eq!(report_field("table2_2019"), "report.table2_2019");
    }

    #[test]
    fn an_empty_report_is_refused_with_its_field() {
        let e = admit(Some(&pb::Report::default())).unwrap_err();
        let ServiceError::BadRequest(v) = e else {
            panic!("{e:?}")
        };
        assert_eq!(v[0].field, "report.org");
    }
}
