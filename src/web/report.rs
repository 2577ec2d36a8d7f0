//! `/reports/{org}/{year}[?rev=N]`: a stored report in the official layout of its edition
//! (the library's renderer), every finding stored with the revision written on its cells
//! (colour, the Chinese message, the suggested value), the revision history, and a chart
//! of the body's key figures over the years it has filed.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup, PreEscaped};
use serde::Deserialize;

use super::access::{calls, Viewer};
use super::page::{org, respond, shell, time, year, PageError};
use super::{chart, Web};
use crate::finding::Finding;
use crate::grpc::convert::stored_report;
use crate::model::Report;
use crate::render::{html_article, CellNote};
use crate::store::{Revision, Version};
use crate::template::FIRST_YEAR;

#[derive(Debug, Default, Deserialize)]
pub struct Which {
    /// A revision number; the latest without it.
    pub rev: Option<u32>,
}

/// `GET /reports/{org}/{year}`.
pub async fn page(
    State(web): State<Web>,
    headers: HeaderMap,
    Path((org_id, y)): Path<(String, String)>,
    Query(which): Query<Which>,
) -> Response {
    let viewer = match web.allow(&headers, calls::REPORT) {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    let built = {
        let (web, viewer) = (web.clone(), viewer.clone());
        tokio::task::spawn_blocking(move || build(&web, &viewer, &org_id, &y, which.rev)).await
    };
    match built {
        Ok(Ok(m)) => respond(StatusCode::OK, m),
        Ok(Err(e)) => e.page(&viewer),
        Err(e) => PageError::Internal(e.to_string()).page(&viewer),
    }
}

/// The page of a stored report (on a blocking thread: it reads the store).
pub fn build(
    web: &Web,
    viewer: &Viewer,
    org_id: &str,
    y: &str,
    rev: Option<u32>,
) -> Result<Markup, PageError> {
    let year = year(y)?;
    let org_id = org(org_id)?;
    let store = web.store();
    let version = match rev {
        None => Version::Latest,
        Some(0) => return Err(PageError::BadRequest("版本号从 1 开始。".into())),
        Some(n) => Version::Number(n),
    };
    let Some(r) = store.get(org_id, year, version)? else {
        return Err(PageError::NotFound(match rev {
            Some(n) => format!("单位 {org_id} 的 {year} 年报告没有第 {n} 版。"),
            None => format!("单位 {org_id} 尚未提交 {year} 年报告。"),
        }));
    };
    let report = stored_report(&r)?;
    let history = store.revisions(org_id, year)?;
    let years = filed_years(web, org_id, year, &report)?;
    let reviews = super::review::reviews(web, &r)?;
    let returned = super::review::returned_notes(&reviews, &r);
    let latest = history.last().map_or(r.revision, |h| h.revision);
    let title = crate::render::title(&report);
    let body = html! {
        h1 { (title) }
        (summary(&r, history.len()))
        div.layout {
            div { (PreEscaped(html_article(&report, &|key| with_review(note(&r.warnings, key), &returned, key)))) }
            aside {
                (super::review::panel(web, viewer, &r, &reviews, latest, &r.warnings))
                (findings(&r.warnings))
                (revisions(&history, r.revision, org_id, year))
                section.card {
                    h2 { "历年主要数据" }
                    (chart::chart(&chart::series(&years)))
                }
            }
        }
    };
    Ok(shell(&title, viewer, body))
}

/// Every year's latest report of the body, from the first year of the template to the year
/// after this one; this report stands for its own year.
fn filed_years(
    web: &Web,
    org_id: &str,
    year: u32,
    this: &Report,
) -> Result<Vec<Report>, PageError> {
    let mut out = Vec::new();
    for y in FIRST_YEAR..=year + 1 {
        if y == year {
            out.push(this.clone());
            continue;
        }
        if let Some(r) = web.store().get(org_id, y, Version::Latest)? {
            out.push(stored_report(&r)?);
        }
    }
    Ok(out)
}

fn summary(r: &Revision, revisions: usize) -> Markup {
    let errors = r.warnings.iter().filter(|f| f.is_error()).count();
    html! {
        p.muted #summary {
            "第 " (r.revision) " 版（共 " (revisions) " 版）· 提交于 " (time(r.submitted_at))
            @if !r.submitted_by.is_empty() { " · 令牌 " (r.submitted_by) }
            " · 错误 " (errors) " 条，警告 " (r.warnings.len() - errors) " 条"
            @if !r.reason.is_empty() { " · 修订原因：" (r.reason) }
            " · "
            a href={ "/diff/" (r.org_id) "/" (r.year - 1) "/" (r.year) } { "与上年对比" }
        }
    }
}

/// The note on a cell: its colour when a finding names it; the message (with the suggested
/// value) on the cell a finding's suggestion would correct — or, without a suggestion, on the
/// finding's first cell — so that a sum's message is written once, not on every part.
pub(super) fn note(findings: &[Finding], key: &str) -> Option<CellNote> {
    let on: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.cells.iter().any(|c| c == key))
        .collect();
    if on.is_empty() {
        return None;
    }
    let mut text = String::new();
    for f in &on {
        let candidates = f.suggestion.as_ref().map_or(&[][..], |s| &s.candidates[..]);
        let here = candidates.iter().find(|c| c.cell == key);
        let first = candidates.is_empty() && f.cells.first().is_some_and(|c| c == key);
        if here.is_none() && !first {
            continue;
        }
        if !text.is_empty() {
            text.push('；');
        }
        text.push_str(&f.message);
        if let Some(c) = here {
            text.push_str(&format!("（建议值：{}）", c.value));
        }
    }
    Some(CellNote {
        class: if on.iter().any(|f| f.is_error()) {
            "f-error"
        } else {
            "f-warning"
        },
        note: text,
    })
}

/// A cell's note with the reviewer's note on it, when the revision was returned naming it.
fn with_review(n: Option<CellNote>, returned: &[(String, String)], key: &str) -> Option<CellNote> {
    let Some((_, text)) = returned.iter().find(|(c, _)| c == key) else {
        return n;
    };
    let mut n = n.unwrap_or(CellNote {
        class: "f-review",
        note: String::new(),
    });
    if !n.note.is_empty() {
        n.note.push('；');
    }
    n.note.push_str(&format!("审核意见：{text}"));
    Some(n)
}

pub(super) fn findings(all: &[Finding]) -> Markup {
    // Grouped by rule, errors first.
    let mut by: BTreeMap<(bool, &str), Vec<&Finding>> = BTreeMap::new();
    for f in all {
        by.entry((!f.is_error(), f.rule.as_str()))
            .or_default()
            .push(f);
    }
    html! {
        section.card #findings {
            h2 { "审核发现" }
            @if all.is_empty() { p.muted { "未发现问题。" } }
            ul.findings {
                @for ((warning, rule), fs) in &by {
                    @for f in fs {
                        li class={ "finding " (if *warning { "warning" } else { "error" }) } {
                            b { (if *warning { "警告" } else { "错误" }) " " (rule) } "："
                            (f.message)
                            @if let Some(s) = &f.suggestion { @if !s.message.is_empty() { br; span.muted { (s.message) } } }
                        }
                    }
                }
            }
        }
    }
}

fn revisions(history: &[Revision], shown: u32, org_id: &str, year: u32) -> Markup {
    html! {
        section.card #revisions {
            h2 { "修订记录" }
            ol {
                @for h in history.iter().rev() {
                    li value=(h.revision) {
                        @if h.revision == shown { b { "第 " (h.revision) " 版" } }
                        @else { a href={ "/reports/" (org_id) "/" (year) "?rev=" (h.revision) } { "第 " (h.revision) " 版" } }
                        " " span.muted { (time(h.submitted_at)) }
                        @if !h.reason.is_empty() { br; "原因：" (h.reason) }
                    }
                }
            }
        }
    }
}
