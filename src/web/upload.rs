//! `/upload`: a filer sends a report file — JSON, YAML or cells as gx writes them, or a
//! published report (PDF, HTML, text) through the importer — sees the findings first, then
//! submits it through SubmitReport (called in process: the same admission, gate and store
//! as gRPC). The upload waits in the session between the preview and the submission; a
//! script may send `confirm=1` (with `reason` and `explain.RULE` fields) to submit at once.

use std::collections::HashMap;

use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::{html, Markup};

use super::access::{calls, Viewer};
use super::page::{respond, shell, PageError};
use super::report::findings;
use super::session::Pending;
use super::Web;
use crate::files;
use crate::finding::Finding;
use crate::grpc::convert::report_to_pb;
use crate::import::{self, ImportOptions};
use crate::pb;
use crate::pb::report_service_server::ReportService;
use crate::store::Version;

/// `GET /upload`: the form.
pub async fn form(State(web): State<Web>, headers: HeaderMap) -> Response {
    let viewer = match web.allow(&headers, calls::SUBMIT) {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    let org = viewer.principal.as_ref().map_or("", |p| p.org.as_str());
    respond(
        StatusCode::OK,
        shell(
            "上传报告",
            &viewer,
            html! {
                h1 { "上传报告" }
                section.card {
                    p.muted { "可上传 gx 的 JSON、YAML、cells 文件，或已发布的报告（PDF、HTML、文本），提交前先预览审核结果。" }
                    form method="post" action="/upload" enctype="multipart/form-data" {
                        input type="hidden" name="csrf" value=(viewer.csrf());
                        p { label { "报告文件 " input #file type="file" name="file" required; } }
                        p { label { "单位代码（已发布报告需填写）" input #org type="text" name="org" value=(org); } }
                        button type="submit" { "预览" }
                    }
                }
            },
        ),
    )
}

/// The fields of the upload form.
#[derive(Default)]
struct Upload {
    csrf: String,
    org: String,
    file_name: String,
    bytes: Vec<u8>,
    confirm: bool,
    reason: String,
    /// `explain.RULE` fields: the explanations of cross-year warnings.
    explanations: Vec<pb::Explanation>,
}

async fn read_form(mut m: Multipart) -> Result<Upload, PageError> {
    let bad = |e: axum::extract::multipart::MultipartError| PageError::BadRequest(e.body_text());
    let mut u = Upload::default();
    while let Some(field) = m.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_string();
        match name.as_str() {
            "file" => {
                u.file_name = field.file_name().unwrap_or("upload").to_string();
                u.bytes = field.bytes().await.map_err(bad)?.to_vec();
            }
            "csrf" => u.csrf = field.text().await.map_err(bad)?,
            "org" => u.org = field.text().await.map_err(bad)?.trim().to_string(),
            "reason" => u.reason = field.text().await.map_err(bad)?,
            "confirm" => u.confirm = field.text().await.map_err(bad)? == "1",
            other => {
                if let Some(rule) = other.strip_prefix("explain.") {
                    let rule = rule.to_string();
                    let text = field.text().await.map_err(bad)?.trim().to_string();
                    if !text.is_empty() {
                        u.explanations.push(pb::Explanation { rule, text });
                    }
                }
            }
        }
    }
    Ok(u)
}

/// A report file as it is, or a published report through the importer (refused when a cell
/// could not be read: a number is never guessed).
fn parse(u: &Upload) -> Result<Pending, PageError> {
    let lower = u.file_name.to_ascii_lowercase();
    if [".json", ".yaml", ".yml", ".cells"]
        .iter()
        .any(|e| lower.ends_with(e))
    {
        let text = std::str::from_utf8(&u.bytes).map_err(|_| {
            PageError::BadRequest(format!("{}：不是 UTF-8 文本文件。", u.file_name))
        })?;
        let report = files::parse(text, files::Format::detect(&u.file_name, text))
            .map_err(|e| PageError::BadRequest(format!("{}：{e}", u.file_name)))?;
        return Ok(Pending {
            report,
            provenance: Vec::new(),
            file_name: u.file_name.clone(),
        });
    }
    if u.org.is_empty() {
        return Err(PageError::BadRequest(format!(
            "{}：已发布的报告中没有单位代码，请填写单位代码。",
            u.file_name
        )));
    }
    let opts = ImportOptions {
        name_hint: Some(u.file_name.clone()),
        org_id: u.org.clone(),
        ..Default::default()
    };
    let imported = import::import(&u.bytes, &opts)
        .map_err(|e| PageError::BadRequest(format!("{}：{e}", u.file_name)))?;
    if !imported.is_complete() {
        return Err(PageError::BadRequest(format!(
            "{}：有 {} 个单元格无法读取，未提交。\n{}",
            u.file_name,
            imported.unreadable.len(),
            imported.summary()
        )));
    }
    Ok(Pending {
        provenance: crate::provenance::of_import(&imported),
        report: imported.report,
        file_name: u.file_name.clone(),
    })
}

/// `POST /upload`: the preview (or, with `confirm=1`, the submission).
pub async fn preview(State(web): State<Web>, headers: HeaderMap, m: Multipart) -> Response {
    let viewer = match web.allow(&headers, calls::SUBMIT) {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    let done = async {
        let u = read_form(m).await?;
        web.check_csrf(&viewer, &u.csrf)?;
        let pending = parse(&u)?;
        if u.confirm {
            return submit_pending(&web, &viewer, pending, u.reason, u.explanations).await;
        }
        let page = preview_page(&web, &viewer, &pending).await?;
        if let Some((id, _)) = &viewer.session {
            web.inner.sessions.set_pending(id, Some(pending));
        }
        Ok(respond(StatusCode::OK, page))
    };
    done.await.unwrap_or_else(|e| e.page(&viewer))
}

/// The findings admission gives (ValidateReport), and the cross-year check against last
/// year's stored report, which the submission will need explanations for.
async fn preview_page(web: &Web, viewer: &Viewer, p: &Pending) -> Result<Markup, PageError> {
    let req = pb::ValidateReportRequest {
        report: Some(report_to_pb(&p.report)),
    };
    web.inner
        .reports
        .validate_report(viewer.request(web, req))
        .await?;
    let r = &p.report;
    let mut found: Vec<Finding> = crate::rules::validate(r).findings;
    if let Some(prev) = web.store().get(&r.org.id, r.year - 1, Version::Latest)? {
        let prev = crate::grpc::convert::stored_report(&prev)?;
        found.extend(crate::crossyear::check(&prev, r));
    }
    let mut rules: Vec<&str> = found
        .iter()
        .filter(|f| crate::crossyear::is_cross_year(&f.rule))
        .map(|f| f.rule.as_str())
        .collect();
    rules.dedup();
    let amending = web.store().current_revision(&r.org.id, r.year)? > 0;
    Ok(shell(
        "预览",
        viewer,
        html! {
            h1 { "预览：" (crate::render::title(r)) }
            p.muted { "文件 " (p.file_name) " · 单位代码 " (r.org.id) }
            (findings(&found))
            section.card {
                form method="post" action="/upload/submit" {
                    input type="hidden" name="csrf" value=(viewer.csrf());
                    @for rule in &rules {
                        p { label { "对「" (rule) "」的说明" textarea name={ "explain." (rule) } {} } }
                    }
                    p { label { @if amending { "修订原因（必填）" } @else { "提交说明（可选）" } textarea #reason name="reason" {} } }
                    button #submit type="submit" { "确认提交" }
                }
            }
        },
    ))
}

/// `POST /upload/submit`: the upload waiting in the session, submitted.
pub async fn submit(
    State(web): State<Web>,
    headers: HeaderMap,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let viewer = match web.allow(&headers, calls::SUBMIT) {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    let done = async {
        web.check_csrf(&viewer, f.get("csrf").map_or("", String::as_str))?;
        let pending = viewer
            .session
            .as_ref()
            .and_then(|(_, s)| s.pending.clone())
            .ok_or_else(|| PageError::BadRequest("没有待提交的报告，请重新上传。".into()))?;
        let explanations = f
            .iter()
            .filter_map(|(k, v)| {
                let rule = k.strip_prefix("explain.")?;
                (!v.trim().is_empty()).then(|| pb::Explanation {
                    rule: rule.to_string(),
                    text: v.trim().to_string(),
                })
            })
            .collect();
        let reason = f.get("reason").cloned().unwrap_or_default();
        let r = submit_pending(&web, &viewer, pending, reason, explanations).await?;
        if let Some((id, _)) = &viewer.session {
            web.inner.sessions.set_pending(id, None);
        }
        Ok(r)
    };
    done.await.unwrap_or_else(|e: PageError| e.page(&viewer))
}

async fn submit_pending(
    web: &Web,
    viewer: &Viewer,
    p: Pending,
    reason: String,
    explanations: Vec<pb::Explanation>,
) -> Result<Response, PageError> {
    let (org, year) = (p.report.org.id.clone(), p.report.year);
    let req = pb::SubmitReportRequest {
        report: Some(report_to_pb(&p.report)),
        reason,
        explanations,
        provenance: p.provenance.iter().map(pb::CellSource::from).collect(),
        ..Default::default()
    };
    web.inner
        .reports
        .submit_report(viewer.request(web, req))
        .await?;
    Ok(Redirect::to(&format!("/reports/{org}/{year}")).into_response())
}
