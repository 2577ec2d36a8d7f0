//! `/board/{org}/{year}`: the filing board of a body's subtree — counts at the top, one row
//! per body in tree order (state, revision, time, warnings, cross-year), filters, links.
//! The rows are `GetFilingStatus`'s, called in process.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};
use serde::Deserialize;

use super::access::{calls, Viewer};
use super::page::{org, respond, shell, year, PageError};
use super::Web;
use crate::pb;
use crate::pb::org_service_server::OrgService;

/// A body's state on the board: its review state (ReviewReport), with the findings' states
/// of a report not reviewed yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoardState {
    Missing,
    /// Filed, not reviewed yet (or amended since the last review).
    Filed,
    Unexplained,
    Errors,
    Accepted,
    Returned,
}

impl BoardState {
    pub fn of(e: &pb::FilingEntry) -> BoardState {
        let review = pb::ReviewState::try_from(e.state).unwrap_or_default();
        if !e.filed {
            BoardState::Missing
        } else if review == pb::ReviewState::Accepted {
            BoardState::Accepted
        } else if review == pb::ReviewState::Returned {
            BoardState::Returned
        } else if e.published_with_errors {
            BoardState::Errors
        } else if !e.unexplained.is_empty() {
            BoardState::Unexplained
        } else {
            BoardState::Filed
        }
    }

    /// The filter name (`?state=`) and CSS class.
    pub fn key(self) -> &'static str {
        match self {
            BoardState::Missing => "missing",
            BoardState::Filed => "filed",
            BoardState::Unexplained => "unexplained",
            BoardState::Errors => "errors",
            BoardState::Accepted => "accepted",
            BoardState::Returned => "returned",
        }
    }

    pub fn chinese(self) -> &'static str {
        match self {
            BoardState::Missing => "未填报",
            BoardState::Filed => "待审核",
            BoardState::Unexplained => "警告未说明",
            BoardState::Errors => "带错误发布",
            BoardState::Accepted => "审核通过",
            BoardState::Returned => "退回修改",
        }
    }

    const ALL: [BoardState; 6] = [
        BoardState::Filed,
        BoardState::Unexplained,
        BoardState::Errors,
        BoardState::Returned,
        BoardState::Accepted,
        BoardState::Missing,
    ];
}

#[derive(Debug, Default, Deserialize)]
pub struct Filter {
    /// One of the states' keys; empty for all.
    #[serde(default)]
    pub state: String,
    /// Part of a body's name or code.
    #[serde(default)]
    pub q: String,
}

impl Filter {
    fn keeps(&self, e: &pb::FilingEntry) -> bool {
        let state_ok = self.state.is_empty() || BoardState::of(e).key() == self.state;
        let q = self.q.trim();
        state_ok
            && (q.is_empty()
                || e.body
                    .as_ref()
                    .is_some_and(|b| b.name.contains(q) || b.id.contains(q)))
    }
}

/// `GET /board/{org}/{year}`.
pub async fn page(
    State(web): State<Web>,
    headers: HeaderMap,
    Path((org_id, y)): Path<(String, String)>,
    Query(filter): Query<Filter>,
) -> Response {
    let viewer = match web.allow(&headers, calls::BOARD) {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    match board(&web, &viewer, &org_id, &y, &filter).await {
        Ok(m) => respond(StatusCode::OK, m),
        Err(e) => e.page(&viewer),
    }
}

// `..Default::default()`: fields added to the request later keep their defaults.
#[allow(clippy::needless_update)]
async fn board(
    web: &Web,
    viewer: &Viewer,
    org_id: &str,
    y: &str,
    filter: &Filter,
) -> Result<Markup, PageError> {
    let year = year(y)?;
    let org_id = org(org_id)?;
    let req = pb::GetFilingStatusRequest {
        org_id: org_id.to_string(),
        year,
        ..Default::default()
    };
    let status = web
        .inner
        .orgs
        .get_filing_status(viewer.request(web, req))
        .await?
        .into_inner();
    Ok(render(&status, org_id, year, filter, viewer))
}

/// The board page of a `GetFilingStatus` answer.
pub fn render(
    s: &pb::GetFilingStatusResponse,
    org_id: &str,
    year: u32,
    filter: &Filter,
    viewer: &Viewer,
) -> Markup {
    let name = s.body.as_ref().map_or(org_id, |b| b.name.as_str());
    let title = format!("{name} {year}年 填报看板");
    let count = |st: BoardState| s.entries.iter().filter(|e| BoardState::of(e) == st).count();
    let base = format!("/board/{org_id}/{year}");
    let body = html! {
        h1 { (title) }
        p.muted {
            "下属单位 " (s.entries.len()) " 个。"
            a href={ "/rollup/" (org_id) "/" (year) } { "查看汇总" } " · "
            a href={ "/board/" (org_id) "/" (year - 1) } { "上一年" } " · "
            a href={ "/board/" (org_id) "/" (year + 1) } { "下一年" }
            @if let Some(own) = &s.own { @if own.filed {
                " · " a href={ "/reports/" (org_id) "/" (year) } { "本单位报告" }
            } }
        }
        div.counts {
            a class=[filter.state.is_empty().then_some("on")] href=(base) { b { (s.entries.len()) } "全部" }
            @for st in BoardState::ALL {
                a class=[(filter.state == st.key()).then_some("on")] href={ (base) "?state=" (st.key()) } {
                    b { (count(st)) } (st.chinese())
                }
            }
        }
        form.filters method="get" action=(base) {
            input type="search" name="q" value=(filter.q) placeholder="单位名称或代码";
            select name="state" {
                option value="" { "全部状态" }
                @for st in BoardState::ALL {
                    option value=(st.key()) selected[filter.state == st.key()] { (st.chinese()) }
                }
            }
            button type="submit" { "筛选" }
        }
        (rows(s, year, filter))
    };
    shell(&title, viewer, body)
}

fn rows(s: &pb::GetFilingStatusResponse, year: u32, filter: &Filter) -> Markup {
    html! {
        table.grid #board {
            thead { tr {
                th { "单位" } th { "代码" } th { "状态" } th { "版本" } th { "提交时间 (UTC)" }
                th { "警告" } th { "跨年核对" } th { "链接" }
            } }
            tbody {
                @for e in s.entries.iter().filter(|e| filter.keeps(e)) {
                    (row(e, year))
                }
            }
        }
    }
}

fn row(e: &pb::FilingEntry, year: u32) -> Markup {
    let (id, name) = e
        .body
        .as_ref()
        .map_or(("", ""), |b| (b.id.as_str(), b.name.as_str()));
    let st = BoardState::of(e);
    // Indented by depth through a class (the CSP allows no inline style); deeper than 6 as 6.
    let indent = format!("d{}", e.depth.saturating_sub(1).min(6));
    html! {
        tr data-org=(id) data-state=(st.key()) {
            td class=(indent) {
                @if e.filed { a href={ "/reports/" (id) "/" (year) } { (name) } } @else { (name) }
            }
            td.muted { (id) }
            td {
                span class={ "state " (st.key()) } { (st.chinese()) }
                @if e.fixed { " " span.muted { "（已更正）" } }
                @if let Some(r) = e.review.as_ref().filter(|_| st == BoardState::Returned) {
                    br; span.muted { "原因：" (r.reason) }
                }
            }
            td.num { @if e.filed { (e.revision) } }
            td { @if let Some(t) = &e.submitted_at { (timestamp(t)) } }
            td {
                @if e.warnings > 0 { (e.warnings) " 条" }
                @if !e.unexplained.is_empty() { br; span.muted { "未说明：" (e.unexplained.join("、")) } }
            }
            td { (cross_year(e)) }
            td {
                @if e.filed {
                    a href={ "/reports/" (id) "/" (year) } { "报告" } " "
                    a href={ "/diff/" (id) "/" (year - 1) "/" (year) } { "对比上年" }
                }
            }
        }
    }
}

fn cross_year(e: &pb::FilingEntry) -> String {
    match &e.cross_year {
        Some(c) if c.checked => format!("已与{}年第{}版核对", c.previous_year, c.previous_revision),
        Some(_) if e.filed => "无上年报告".to_string(),
        _ => String::new(),
    }
}

/// A protobuf timestamp as `2026-12-02 18:30:00`.
pub fn timestamp(t: &prost_types::Timestamp) -> String {
    let s = t.to_string();
    let s = s.split('.').next().unwrap_or(&s).trim_end_matches('Z');
    s.replacen('T', " ", 1)
}
