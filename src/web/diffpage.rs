//! `/diff/{org}/{from}/{to}`: the comparison of two years' latest reports, as `gxctl diff`
//! computes it (DiffReports: the library's [`crate::diff`], with each side's explanations):
//! changed cells with Δ and %, the carry-over check, cells not comparable across editions,
//! narrative figures and sentence changes.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};

use super::access::{calls, Viewer};
use super::page::{org, respond, shell, year, PageError};
use super::Web;
use crate::crossyear::Explanation;
use crate::diff::{self, Diff, Options};
use crate::grpc::convert::stored_report;
use crate::model::Report;
use crate::store::{Revision, Version};

/// `GET /diff/{org}/{from}/{to}`.
pub async fn page(
    State(web): State<Web>,
    headers: HeaderMap,
    Path((org_id, from, to)): Path<(String, String, String)>,
) -> Response {
    let viewer = match web.allow(&headers, calls::DIFF) {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    let built = {
        let (web, viewer) = (web.clone(), viewer.clone());
        tokio::task::spawn_blocking(move || build(&web, &viewer, &org_id, &from, &to)).await
    };
    match built {
        Ok(Ok(m)) => respond(StatusCode::OK, m),
        Ok(Err(e)) => e.page(&viewer),
        Err(e) => PageError::Internal(e.to_string()).page(&viewer),
    }
}

fn latest(web: &Web, org_id: &str, year: u32) -> Result<(Report, Revision), PageError> {
    let r = web
        .store()
        .get(org_id, year, Version::Latest)?
        .ok_or_else(|| PageError::NotFound(format!("单位 {org_id} 尚未提交 {year} 年报告。")))?;
    Ok((stored_report(&r)?, r))
}

fn build(
    web: &Web,
    viewer: &Viewer,
    org_id: &str,
    from: &str,
    to: &str,
) -> Result<Markup, PageError> {
    let org_id = org(org_id)?;
    let (from, to) = (year(from)?, year(to)?);
    let (old, old_rev) = latest(web, org_id, from)?;
    let (new, new_rev) = latest(web, org_id, to)?;
    let explained = |rev: &Revision| -> Vec<Explanation> {
        rev.explanations
            .iter()
            .map(|(rule, text)| Explanation {
                rule: rule.clone(),
                text: text.clone(),
            })
            .collect()
    };
    let mut d = diff::diff(
        &old,
        Some(u64::from(old_rev.revision)),
        &new,
        Some(u64::from(new_rev.revision)),
        Options { all: false },
    );
    d.old.explanations = explained(&old_rev);
    d.new.explanations = explained(&new_rev);
    let title = format!("{} {from}年与{to}年对比", new.org.name);
    Ok(shell(&title, viewer, render(&d, &title)))
}

/// The comparison as HTML.
pub fn render(d: &Diff, title: &str) -> Markup {
    html! {
        h1 { (title) }
        p.muted #diff-summary {
            "变化的单元格 " (d.changed_cells()) " 个 · "
            a href={ "/reports/" (d.old.org_id) "/" (d.old.year) } { (d.old.year) "年第" (d.old.revision.unwrap_or(0)) "版" }
            " → "
            a href={ "/reports/" (d.new.org_id) "/" (d.new.year) } { (d.new.year) "年第" (d.new.revision.unwrap_or(0)) "版" }
        }
        @if let Some(c) = &d.carry_over {
            section.card #carry {
                h2 { "结转核对" " " @if c.ok { span.state.filed { "一致" } } @else { span.state.errors { "不一致" } } }
                table.grid {
                    thead { tr { th { "栏目" } th { "上年结转下年度继续办理" } th { "本年上年结转" } th { "" } } }
                    tbody { @for col in &c.columns { tr {
                        td { (col.label) } td.num { (col.previous) } td.num { (col.carried) }
                        td { @if col.ok { "✓" } @else { span.state.errors { "不一致" } } }
                    } } }
                }
            }
        }
        @for t in &d.tables {
            section.card {
                h2 { (t.heading) }
                table.grid.cells {
                    thead { tr { th { "项目" } th { (d.old.year) } th { (d.new.year) } th { "增减" } th { "%" } } }
                    tbody { @for c in t.cells.iter().filter(|c| c.changed) { tr data-key=(c.key) {
                        td { (c.label) } td.num { (c.old) } td.num { (c.new) }
                        td.num { @if let Some(x) = &c.delta { span class={ "delta " (if x.starts_with('-') { "down" } else { "up" }) } { (x) } } }
                        td.num { @if let Some(p) = &c.pct { (p) "%" } }
                    } } }
                }
            }
        }
        @if d.tables.iter().all(|t| t.cells.iter().all(|c| !c.changed)) {
            p.muted { "表格数据无变化。" }
        }
        (others(d))
    }
}

fn others(d: &Diff) -> Markup {
    html! {
        @if !d.not_comparable.is_empty() {
            section.card {
                h2 { "版式不同、无法对比的单元格" }
                ul { @for n in &d.not_comparable {
                    li { (if n.side == "old" { "仅上年：" } else { "仅本年：" }) (n.label) " = " (n.value) }
                } }
            }
        }
        @if d.figures.iter().any(|f| f.changed) {
            section.card {
                h2 { "正文所述数字" }
                table.grid {
                    thead { tr { th { "项目" } th { (d.old.year) } th { (d.new.year) } } }
                    tbody { @for f in d.figures.iter().filter(|f| f.changed) {
                        tr { td { (f.name) } td { (f.old) } td { (f.new) } }
                    } }
                }
            }
        }
        @for s in &d.narrative {
            @if !s.changes.is_empty() {
                section.card {
                    h2 { (s.heading.as_deref().unwrap_or("前言")) " " span.muted { "相似度 " (format!("{:.0}", s.similarity * 100.0)) "%" } }
                    @for c in &s.changes {
                        p { @if c.op == "delete" { del { (c.text) } } @else { ins { (c.text) } } }
                    }
                }
            }
        }
    }
}
