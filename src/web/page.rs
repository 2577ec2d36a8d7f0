//! The page shell (header, navigation, the one stylesheet), errors as pages, and small
//! formatting helpers shared by the pages.

use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::{html, Markup, DOCTYPE};

use super::access::Viewer;
use super::refusal::refusal;
use crate::auth::{AuthError, Role};

/// The one stylesheet, embedded.
pub const CSS: &str = include_str!("gx.css");

/// `GET /static/gx.css`.
pub async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        CSS,
    )
        .into_response()
}

/// What every response of the console carries: a content security policy that allows
/// nothing but this origin's stylesheet and forms (no script at all, no framing), no MIME
/// sniffing, no referrer, and no caching of pages that hold reports.
pub fn with_security_headers(router: axum::Router) -> axum::Router {
    use tower_http::set_header::SetResponseHeaderLayer as Set;
    let csp = Set::overriding(
        header::CONTENT_SECURITY_POLICY,
        header::HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    let nosniff = Set::overriding(
        header::X_CONTENT_TYPE_OPTIONS,
        header::HeaderValue::from_static("nosniff"),
    );
    let referrer = Set::overriding(
        header::REFERRER_POLICY,
        header::HeaderValue::from_static("no-referrer"),
    );
    let cache = Set::if_not_present(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    router
        .layer(csp)
        .layer(nosniff)
        .layer(referrer)
        .layer(cache)
}

/// 角色 in Chinese.
pub fn role_name(role: Role) -> &'static str {
    match role {
        Role::Admin => "管理员",
        Role::Filer => "填报人",
        Role::Reader => "查阅人",
        Role::Archivist => "归档人",
        Role::Reviewer => "审核人",
    }
}

/// A whole page: `title`, the navigation for `viewer`, then `body`.
pub fn shell(title: &str, viewer: &Viewer, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="zh-CN" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · 政务公开年报" }
                link rel="stylesheet" href="/static/gx.css";
            }
            body {
                header.top {
                    a.brand href="/" { "政府信息公开工作年度报告" }
                    nav {
                        @if let Some(p) = &viewer.principal {
                            span.who { (role_name(p.role)) @if !p.org.is_empty() { " · " (p.org) } }
                            @if matches!(p.role, Role::Filer | Role::Admin | Role::Archivist) {
                                a href="/upload" { "上传报告" }
                            }
                            @if viewer.session.is_some() {
                                form.inline method="post" action="/signout" {
                                    input type="hidden" name="csrf" value=(viewer.csrf());
                                    button type="submit" { "退出" }
                                }
                            }
                        } @else {
                            a href="/" { "登录" }
                        }
                    }
                }
                main { (body) }
            }
        }
    }
}

/// A page as a response.
pub fn respond(status: StatusCode, page: Markup) -> Response {
    (status, Html(page.into_string())).into_response()
}

/// Why a page cannot be shown.
#[derive(Debug)]
pub enum PageError {
    /// Authentication or the decision refused.
    Auth(Box<AuthError>),
    /// A gRPC service refused (in process).
    Status(Box<tonic::Status>),
    /// The form's CSRF token is missing or wrong.
    Csrf,
    /// Something asked for is not there.
    NotFound(String),
    /// A request that cannot be read.
    BadRequest(String),
    /// gxd failed.
    Internal(String),
}

impl From<tonic::Status> for PageError {
    fn from(s: tonic::Status) -> PageError {
        PageError::Status(Box::new(s))
    }
}

impl From<AuthError> for PageError {
    fn from(e: AuthError) -> PageError {
        PageError::Auth(Box::new(e))
    }
}

impl From<crate::store::StoreError> for PageError {
    fn from(e: crate::store::StoreError) -> PageError {
        tonic::Status::from(crate::grpc::status::ServiceError::from(e)).into()
    }
}

impl PageError {
    /// The HTTP status, a Chinese headline, the detail in Chinese and, for a refused call,
    /// gRPC's own message (the technical detail).
    fn parts(&self) -> (StatusCode, &'static str, String, String) {
        let plain = |code, head: &'static str, m: &str| (code, head, m.to_string(), String::new());
        match self {
            PageError::Auth(e) => {
                let (code, head, detail) = auth_parts(e);
                (code, head, detail, String::new())
            }
            PageError::Csrf => plain(
                StatusCode::FORBIDDEN,
                "表单已失效",
                "表单缺少有效的防伪令牌（CSRF），请刷新页面后重试。",
            ),
            PageError::NotFound(m) => plain(StatusCode::NOT_FOUND, "未找到", m),
            PageError::BadRequest(m) => plain(StatusCode::BAD_REQUEST, "请求有误", m),
            PageError::Internal(m) => plain(StatusCode::INTERNAL_SERVER_ERROR, "服务器错误", m),
            PageError::Status(s) => {
                let r = refusal(s);
                (r.status, r.head, r.said.to_string(), r.technical)
            }
        }
    }

    /// The error as a page for `viewer`.
    pub fn page(&self, viewer: &Viewer) -> Response {
        let (status, head, detail, technical) = self.parts();
        respond(
            status,
            shell(
                head,
                viewer,
                html! {
                    section.error {
                        h1 { (head) }
                        @if !detail.is_empty() { p.detail { (detail) } }
                        @if !technical.is_empty() { p.muted.technical { "技术信息：" (technical) } }
                        p { a href="/" { "返回首页" } }
                    }
                },
            ),
        )
    }
}

/// An authentication or authorization refusal: a Chinese sentence, then gRPC's message.
fn auth_parts(e: &AuthError) -> (StatusCode, &'static str, String) {
    let said = e.to_string();
    match e {
        AuthError::Denied {
            token_id,
            role,
            org,
            ..
        } => {
            let of = if org.is_empty() {
                String::new()
            } else {
                format!("，单位 {org}")
            };
            let who = format!("令牌 {token_id}（{}{of}）", role_name(*role));
            (
                StatusCode::FORBIDDEN,
                "无权进行此操作",
                format!("{who}无权进行此操作。（{said}）"),
            )
        }
        AuthError::Store(_) => (StatusCode::INTERNAL_SERVER_ERROR, "服务器错误", said),
        AuthError::Unknown { id } => (
            StatusCode::UNAUTHORIZED,
            "令牌无效或未登录",
            format!("令牌 {id} 不存在或密钥不符。（{said}）"),
        ),
        AuthError::Revoked { id, at } => (
            StatusCode::UNAUTHORIZED,
            "令牌无效或未登录",
            format!("令牌 {id} 已于 {at} 吊销。（{said}）"),
        ),
        _ => (
            StatusCode::UNAUTHORIZED,
            "令牌无效或未登录",
            format!("请使用有效的 gx 令牌登录。（{said}）"),
        ),
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        // Not signed in where a token is needed: to the sign-in form.
        if matches!(&self, PageError::Auth(e) if matches!(**e, AuthError::Missing { .. })) {
            return Redirect::to("/").into_response();
        }
        self.page(&Viewer::default())
    }
}

/// Any other path.
pub async fn not_found() -> Response {
    PageError::NotFound("没有这个页面。".into()).page(&Viewer::default())
}

/// A time as `2026-12-02 18:30:00 UTC`.
pub fn time(t: std::time::SystemTime) -> String {
    let s = crate::grpc::convert::rfc3339(t);
    let s = s.split('.').next().unwrap_or(&s).trim_end_matches('Z');
    format!("{} UTC", s.replacen('T', " ", 1))
}

/// A year from a path segment.
pub fn year(s: &str) -> Result<u32, PageError> {
    match s.parse::<u32>() {
        Ok(y) if (2000..=2999).contains(&y) => Ok(y),
        _ => Err(PageError::BadRequest(format!(
            "年份「{s}」无效，应为如 2021 的四位数字。"
        ))),
    }
}

/// A body code from a path segment.
pub fn org(s: &str) -> Result<&str, PageError> {
    crate::orgs::check_id(s).map_err(|m| PageError::BadRequest(format!("单位代码无效：{m}")))?;
    Ok(s)
}

/// The year most boards are about: the year before this one.
pub fn default_year() -> u32 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    // 365.2425 days a year from 1970.
    let y = 1970 + (now / 31_556_952) as u32;
    y.saturating_sub(1)
}
