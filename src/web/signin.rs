//! `/`: sign in with a token (then the board of the token's body), and sign out.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::html;
use serde::Deserialize;

use super::access::Viewer;
use super::page::{default_year, respond, shell, PageError};
use super::session::{
    cookie, random_id, same, set_cookie, SESSION_COOKIE, SESSION_TTL, SIGNIN_COOKIE,
};
use super::Web;
use crate::auth::authenticate;

/// How long the sign-in form stays valid.
const SIGNIN_TTL: std::time::Duration = std::time::Duration::from_secs(3600);

/// `GET /`: the signed-in go to their board; the others get the form.
pub async fn form(State(web): State<Web>, headers: HeaderMap) -> Response {
    let viewer = match web.viewer(&headers) {
        Ok(v) => v,
        Err(e) => return e.page(&Viewer::default()),
    };
    if let Some(p) = &viewer.principal {
        if !p.org.is_empty() && web.store().org(&p.org).is_some() {
            return Redirect::to(&format!("/board/{}/{}", p.org, default_year())).into_response();
        }
        return home(&web, &viewer);
    }
    signin_form(&web, None)
}

/// The sign-in form, with a fresh double-submit token.
fn signin_form(web: &Web, error: Option<&str>) -> Response {
    let Ok(csrf) = random_id() else {
        return PageError::Internal("无法生成随机数".into()).page(&Viewer::default());
    };
    let page = shell(
        "登录",
        &Viewer::default(),
        html! {
            section.card.signin {
                h1 { "登录" }
                p.muted { "请输入管理员发放的令牌（与 gxctl 使用的令牌相同）。" }
                @if let Some(e) = error { p.finding.error role="alert" { (e) } }
                form method="post" action="/" {
                    input type="hidden" name="csrf" value=(csrf);
                    label for="token" { "令牌" }
                    input #token type="password" name="token" autocomplete="off" required;
                    button type="submit" { "登录" }
                }
            }
        },
    );
    let mut r = respond(
        if error.is_some() {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::OK
        },
        page,
    );
    if let Ok(v) = set_cookie(SIGNIN_COOKIE, &csrf, SIGNIN_TTL, web.inner.secure).parse() {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

/// Signed in, with no body of one's own (an admin or reader): the bodies at the top.
fn home(web: &Web, viewer: &Viewer) -> Response {
    let roots: Vec<(String, String)> = web
        .store()
        .with_directory(|d| d.roots().map(|b| (b.id.clone(), b.name.clone())).collect());
    let year = default_year();
    respond(
        StatusCode::OK,
        shell(
            "首页",
            viewer,
            html! {
                h1 { "各单位填报看板" }
                @if roots.is_empty() { p.muted { "尚未登记任何单位（gxctl org add）。" } }
                ul {
                    @for (id, name) in &roots {
                        li { a href={ "/board/" (id) "/" (year) } { (name) } " " span.muted { (id) } }
                    }
                }
            },
        ),
    )
}

#[derive(Deserialize)]
pub struct SignIn {
    #[serde(default)]
    token: String,
    #[serde(default)]
    csrf: String,
}

/// `POST /`: the token checked as gRPC checks it; a session on success.
pub async fn submit(State(web): State<Web>, headers: HeaderMap, Form(f): Form<SignIn>) -> Response {
    let expected = cookie(&headers, SIGNIN_COOKIE).unwrap_or("");
    if expected.is_empty() || !same(expected, &f.csrf) {
        return PageError::Csrf.page(&Viewer::default());
    }
    let token = f.token.trim();
    if let Err(e) = authenticate(web.store(), token) {
        tracing::info!(error = %e, "web sign-in refused");
        return signin_form(&web, Some("令牌无效、已吊销或不存在。"));
    }
    let id = match web.inner.sessions.create(token.to_string()) {
        Ok(id) => id,
        Err(e) => return PageError::Internal(e.to_string()).page(&Viewer::default()),
    };
    let mut r = Redirect::to("/").into_response();
    let secure = web.inner.secure;
    for c in [
        set_cookie(SESSION_COOKIE, &id, SESSION_TTL, secure),
        set_cookie(SIGNIN_COOKIE, "", std::time::Duration::ZERO, secure),
    ] {
        if let Ok(v) = c.parse() {
            r.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    r
}

#[derive(Deserialize)]
pub struct Csrf {
    #[serde(default)]
    pub csrf: String,
}

/// `POST /signout`.
pub async fn signout(State(web): State<Web>, headers: HeaderMap, Form(f): Form<Csrf>) -> Response {
    let viewer = match web.viewer(&headers) {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    if let Err(e) = web.check_csrf(&viewer, &f.csrf) {
        return e.page(&viewer);
    }
    if let Some((id, _)) = &viewer.session {
        web.inner.sessions.remove(id);
    }
    let mut r = Redirect::to("/").into_response();
    if let Ok(v) = set_cookie(
        SESSION_COOKIE,
        "",
        std::time::Duration::ZERO,
        web.inner.secure,
    )
    .parse()
    {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}
