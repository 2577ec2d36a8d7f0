//! `/rollup/{org}/{year}`: the sum (汇总) of the latest reports of the bodies within a body,
//! as `RollUp` computes it (called in process): the summed tables in the official layout,
//! the rules' findings on the sum, the parts and the bodies that have not filed.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup, PreEscaped};
use serde::Deserialize;

use super::access::{calls, Viewer};
use super::page::{org, respond, shell, year, PageError};
use super::report::{findings, note};
use super::Web;
use crate::grpc::convert::report_from_pb;
use crate::pb;
use crate::pb::org_service_server::OrgService;
use crate::render::html_article;

#[derive(Debug, Default, Deserialize)]
pub struct Which {
    /// `?accepted=1`: sum only the accepted reports (the others are listed as left out).
    #[serde(default)]
    pub accepted: Option<String>,
}

/// `GET /rollup/{org}/{year}[?accepted=1]`.
pub async fn page(
    State(web): State<Web>,
    headers: HeaderMap,
    Path((org_id, y)): Path<(String, String)>,
    Query(which): Query<Which>,
) -> Response {
    let viewer = match web.allow(&headers, calls::ROLLUP) {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    let accepted = which.accepted.as_deref() == Some("1");
    match build(&web, &viewer, &org_id, &y, accepted).await {
        Ok(m) => respond(StatusCode::OK, m),
        Err(e) => e.page(&viewer),
    }
}

// `..Default::default()`: fields added to the request later keep their defaults.
#[allow(clippy::needless_update)]
async fn build(
    web: &Web,
    viewer: &Viewer,
    org_id: &str,
    y: &str,
    accepted: bool,
) -> Result<Markup, PageError> {
    let year = year(y)?;
    let org_id = org(org_id)?;
    let req = pb::RollUpRequest {
        org_id: org_id.to_string(),
        year,
        accepted_only: accepted,
        ..Default::default()
    };
    let r = web
        .inner
        .orgs
        .roll_up(viewer.request(web, req))
        .await?
        .into_inner();
    let total = r
        .report
        .as_ref()
        .map(report_from_pb)
        .transpose()
        .map_err(|e| PageError::Internal(format!("{}: {}", e.field, e.message)))?;
    let name = total.as_ref().map_or(org_id, |t| t.org.name.as_str());
    let title = if accepted {
        format!("{name} {year}年 汇总（仅审核通过）")
    } else {
        format!("{name} {year}年 汇总")
    };
    let verdict = total.as_ref().map(crate::rules::validate);
    let found = verdict.as_ref().map_or(&[][..], |v| &v.findings[..]);
    let body = html! {
        h1 { (title) }
        p.muted #rollup-summary {
            "下属单位 " (r.descendants) " 个，已汇总 " (r.parts.len()) " 份报告，未填报 " (r.missing.len()) " 个。"
            a href={ "/board/" (org_id) "/" (year) } { "返回看板" } " · "
            @if accepted { a href={ "/rollup/" (org_id) "/" (year) } { "汇总全部已填报" } }
            @else { a href={ "/rollup/" (org_id) "/" (year) "?accepted=1" } { "仅汇总审核通过的报告" } }
        }
        div.layout {
            div {
                @if let Some(t) = &total { (PreEscaped(html_article(t, &|key| note(found, key)))) }
                @else { p.muted { "尚无可汇总的报告。" } }
            }
            aside {
                (findings(found))
                (parts(&r, year))
            }
        }
    };
    Ok(shell(&title, viewer, body))
}

fn parts(r: &pb::RollUpResponse, year: u32) -> Markup {
    html! {
        section.card #missing {
            h2 { "未填报单位（" (r.missing.len()) "）" }
            ul { @for b in &r.missing { li { (b.name) " " span.muted { (b.id) } } } }
        }
        @if !r.left_out.is_empty() {
            section.card #left-out {
                h2 { "未审核通过、未汇总（" (r.left_out.len()) "）" }
                ul { @for p in &r.left_out { @if let Some(b) = &p.body {
                    li { a href={ "/reports/" (b.id) "/" (year) } { (b.name) } " 第" (p.revision) "版" }
                } } }
            }
        }
        section.card #parts {
            h2 { "已汇总的报告（" (r.parts.len()) "）" }
            ul { @for p in &r.parts { @if let Some(b) = &p.body {
                li {
                    a href={ "/reports/" (b.id) "/" (year) "?rev=" (p.revision) } { (b.name) }
                    " 第" (p.revision) "版"
                    @if p.published_with_errors { " " span.state.errors { "带错误" } }
                }
            } } }
        }
    }
}
