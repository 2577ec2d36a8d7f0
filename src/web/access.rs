//! Who is asking, and whether they may: the session cookie or an `Authorization: Bearer`
//! header, authenticated by [`crate::auth::authenticate`], and the one decision
//! [`crate::auth::decide`] with the gRPC path of the call a page stands for.

use axum::http::{header, HeaderMap};

use super::page::PageError;
use super::session::{cookie, same, Session, SESSION_COOKIE};
use super::Web;
use crate::auth::{authenticate, bearer, decide, need, Caller, Principal, Role};

/// The person (or script) behind a request.
#[derive(Debug, Clone, Default)]
pub struct Viewer {
    /// `None`: not signed in (reads may still be allowed with `--public-read`).
    pub principal: Option<Principal>,
    /// The session id and session of a signed-in browser.
    pub session: Option<(String, Session)>,
    /// Authenticated by an `Authorization` header (a script: no CSRF token needed, since a
    /// browser never adds that header on its own).
    pub bearer: bool,
}

impl Viewer {
    /// The CSRF token forms carry ("" without a session).
    pub fn csrf(&self) -> &str {
        self.session.as_ref().map_or("", |(_, s)| s.csrf.as_str())
    }

    pub fn role(&self) -> Option<Role> {
        self.principal.as_ref().map(|p| p.role)
    }

    /// The viewer as a gRPC caller, for calling the services in process.
    pub fn caller(&self, web: &Web) -> Caller {
        Caller::new(self.principal.clone(), web.inner.hierarchy.clone())
    }

    /// A `tonic::Request` carrying this viewer as its caller.
    pub fn request<T>(&self, web: &Web, message: T) -> tonic::Request<T> {
        let mut r = tonic::Request::new(message);
        r.extensions_mut().insert(self.caller(web));
        r
    }
}

impl Web {
    /// The viewer of a request. A broken `Authorization` header is refused (as in gRPC); a
    /// stale session cookie only means "not signed in".
    pub(super) fn viewer(&self, headers: &HeaderMap) -> Result<Viewer, PageError> {
        let store = &self.inner.store;
        if let Some(v) = headers.get(header::AUTHORIZATION) {
            let token = bearer(v).map_err(PageError::from)?;
            let p = authenticate(store, token).map_err(PageError::from)?;
            return Ok(Viewer {
                principal: Some(p),
                session: None,
                bearer: true,
            });
        }
        let Some(id) = cookie(headers, SESSION_COOKIE) else {
            return Ok(Viewer::default());
        };
        let Some(session) = self.inner.sessions.get(id) else {
            return Ok(Viewer::default());
        };
        match authenticate(store, &session.token) {
            Ok(p) => Ok(Viewer {
                principal: Some(p),
                session: Some((id.to_string(), session)),
                bearer: false,
            }),
            Err(_) => {
                // Revoked since sign-in: the session ends with the token.
                self.inner.sessions.remove(id);
                Ok(Viewer::default())
            }
        }
    }

    /// The viewer, allowed to do what the gRPC call at `path` does (the one decision).
    pub(super) fn allow(&self, headers: &HeaderMap, path: &str) -> Result<Viewer, PageError> {
        let viewer = self.viewer(headers)?;
        decide(
            viewer.principal.as_ref(),
            need(path),
            path,
            self.inner.public_read,
        )
        .map_err(PageError::from)?;
        Ok(viewer)
    }

    /// A form's CSRF token against the viewer's session (scripts with a bearer header carry
    /// none and need none).
    pub(super) fn check_csrf(&self, viewer: &Viewer, given: &str) -> Result<(), PageError> {
        if viewer.bearer {
            return Ok(());
        }
        match &viewer.session {
            Some((_, s)) if same(&s.csrf, given) => Ok(()),
            _ => Err(PageError::Csrf),
        }
    }
}

/// gRPC paths of the calls the pages stand for.
pub mod calls {
    pub const BOARD: &str = "/gx.v1.OrgService/GetFilingStatus";
    pub const ROLLUP: &str = "/gx.v1.OrgService/RollUp";
    pub const REPORT: &str = "/gx.v1.ReportService/GetReport";
    pub const DIFF: &str = "/gx.v1.ReportService/DiffReports";
    pub const SUBMIT: &str = "/gx.v1.ReportService/SubmitReport";
    pub const REVIEW: &str = "/gx.v1.ReportService/ReviewReport";
}
