//! Review on the report page: the review events beside the revision history, a returned
//! report's reason and cell notes on its cells, and — for a reviewer of a body above the
//! report's (or an admin), on the latest revision — the actions: accept, or return with a
//! reason and notes on cells. The actions call ReviewReport in process (the same rules and
//! store as `gxctl review`).

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::{html, Markup};

use super::access::{calls, Viewer};
use super::page::{org, time, year, PageError};
use super::Web;
use crate::auth::decide_review;
use crate::finding::Finding;
use crate::pb;
use crate::pb::report_service_server::ReportService;
use crate::store::{Decision, Revision, StoredReview};

/// Cell-note rows on the return form.
const NOTE_ROWS: usize = 3;

/// The reviews of a report, oldest first.
pub fn reviews(web: &Web, r: &Revision) -> Result<Vec<StoredReview>, PageError> {
    Ok(web.store().reviews(&r.org_id, r.year)?)
}

/// The notes of the last review of revision `r` when it returned it: (cell, note).
pub fn returned_notes(all: &[StoredReview], r: &Revision) -> Vec<(String, String)> {
    all.iter()
        .rev()
        .find(|x| x.revision == r.revision)
        .filter(|x| x.decision == Decision::Returned)
        .map(|x| {
            x.cells
                .iter()
                .map(|c| (c.cell.clone(), c.note.clone()))
                .collect()
        })
        .unwrap_or_default()
}

fn decision(d: Decision) -> &'static str {
    match d {
        Decision::Accepted => "审核通过",
        Decision::Returned => "退回修改",
    }
}

/// The review panel: where the report stands, its review events, the actions.
pub fn panel(
    web: &Web,
    viewer: &Viewer,
    r: &Revision,
    all: &[StoredReview],
    latest: u32,
    findings: &[Finding],
) -> Markup {
    let last = all.iter().rev().find(|x| x.revision == latest);
    let may = viewer
        .principal
        .as_ref()
        .is_some_and(|p| decide_review(p, &r.org_id, web.inner.hierarchy.as_ref()).is_ok());
    html! {
        section.card #review {
            h2 { "审核" }
            p #review-state {
                "当前状态："
                @match last {
                    Some(x) => {
                        span class={ "state " (x.decision.as_str()) } { (decision(x.decision)) }
                        " （第 " (x.revision) " 版）"
                        @if x.decision == Decision::Returned { br; "退回原因：" (x.reason) }
                    }
                    None => span.state.filed { "待审核" " （第 " (latest) " 版）" },
                }
            }
            @if !all.is_empty() {
                ol.events {
                    @for x in all.iter().rev() {
                        li {
                            b { (decision(x.decision)) } " 第 " (x.revision) " 版 · " (time(x.reviewed_at))
                            " · 令牌 " (x.reviewed_by)
                            @if !x.reason.is_empty() { br; "原因：" (x.reason) }
                            @for c in &x.cells { br; span.muted { (c.cell) "：" (c.note) } }
                        }
                    }
                }
            }
            @if may && r.revision == latest { (actions(viewer, r, findings)) }
        }
    }
}

fn actions(viewer: &Viewer, r: &Revision, findings: &[Finding]) -> Markup {
    let action = format!("/reports/{}/{}/review", r.org_id, r.year);
    let mut keys: Vec<&str> = findings
        .iter()
        .flat_map(|f| f.cells.iter().map(String::as_str))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    html! {
        form method="post" action=(action) {
            input type="hidden" name="csrf" value=(viewer.csrf());
            input type="hidden" name="revision" value=(r.revision);
            input type="hidden" name="decision" value="accept";
            button #accept type="submit" { "审核通过" }
        }
        form method="post" action=(action) {
            input type="hidden" name="csrf" value=(viewer.csrf());
            input type="hidden" name="revision" value=(r.revision);
            input type="hidden" name="decision" value="return";
            p { label { "退回原因（必填）" textarea #return-reason name="reason" required {} } }
            datalist #finding-cells { @for k in &keys { option value=(k) {} } }
            @for i in 1..=NOTE_ROWS {
                p {
                    input type="text" name={ "cell_" (i) } list="finding-cells" placeholder="单元格，如 t4.review.total";
                    input type="text" name={ "note_" (i) } placeholder="修改意见";
                }
            }
            button.secondary #return type="submit" { "退回修改" }
        }
    }
}

/// `POST /reports/{org}/{year}/review`.
pub async fn post(
    State(web): State<Web>,
    headers: HeaderMap,
    Path((org_id, y)): Path<(String, String)>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let viewer = match web.allow(&headers, calls::REVIEW) {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    let field = |k: &str| f.get(k).map_or("", |v| v.trim());
    let done = async {
        web.check_csrf(&viewer, field("csrf"))?;
        let (org_id, year) = (org(&org_id)?, year(&y)?);
        let decision = match field("decision") {
            "accept" => pb::ReviewDecision::Accept,
            "return" => pb::ReviewDecision::Return,
            other => {
                return Err(PageError::BadRequest(format!(
                    "未知的审核决定「{other}」。"
                )))
            }
        };
        let revision = field("revision")
            .parse()
            .map_err(|_| PageError::BadRequest("缺少所审核的版本号。".into()))?;
        let cells = (1..=NOTE_ROWS)
            .filter(|i| !field(&format!("cell_{i}")).is_empty())
            .map(|i| pb::CellNote {
                cell: field(&format!("cell_{i}")).to_string(),
                note: field(&format!("note_{i}")).to_string(),
            })
            .collect();
        let req = pb::ReviewReportRequest {
            org_id: org_id.to_string(),
            year,
            revision,
            decision: decision as i32,
            reason: field("reason").to_string(),
            cells,
        };
        web.inner
            .reports
            .review_report(viewer.request(&web, req))
            .await?;
        Ok(Redirect::to(&format!("/reports/{org_id}/{year}")).into_response())
    };
    done.await.unwrap_or_else(|e: PageError| e.page(&viewer))
}
