//! The web console: gxd serves it on its gRPC listener (and TLS), beside the gRPC services,
//! unless `--no-web`. Requests whose content type is not gRPC come here ([`steer`]).
//!
//! Pages (Chinese UI text; these URLs are part of the interface):
//!
//! | page | what | the gRPC call whose authorization it shares |
//! |---|---|---|
//! | `/` | sign in with a token, then the board of the token's body | — |
//! | `/board/{org}/{year}` | the filing board of a subtree | `OrgService/GetFilingStatus` |
//! | `/reports/{org}/{year}[?rev=N]` | the report in the official layout, findings on their cells, revisions, a chart | `ReportService/GetReport` |
//! | `/diff/{org}/{from}/{to}` | the year-over-year comparison | `ReportService/DiffReports` |
//! | `/rollup/{org}/{year}` | the 汇总 with its parts and the missing bodies | `OrgService/RollUp` |
//! | `POST /reports/{org}/{year}/review` | accept, or return with a reason and cell notes | `ReportService/ReviewReport` |
//! | `/upload` | a report file, its findings previewed, then submitted | `ReportService/SubmitReport` |
//!
//! # The same rules as gRPC
//!
//! A request is authenticated by its session cookie ([`session`]) or by an
//! `Authorization: Bearer` header (for scripts), each through [`crate::auth::authenticate`],
//! and allowed or refused by [`crate::auth::decide`] with the gRPC path of the call the page
//! stands for ([`access`]). Pages that read or write reports call the gRPC services in
//! process with that caller, so a page says what `gxctl` would: the same admission, the
//! same refusals. Every value is escaped by the templates (maud); no token appears in a URL
//! or in a log line (the request span logs the path, and tokens are never in one).
//!
//! Everything the pages need — one stylesheet, no script — is in the binary.

mod access;
mod board;
mod chart;
mod diffpage;
mod page;
mod refusal;
mod report;
mod review;
mod rollup;
pub mod session;
mod signin;
pub mod steer;
#[cfg(test)]
mod tests;
mod upload;

use std::sync::Arc;

use axum::routing::get;
use axum::Router;

use crate::auth::Hierarchy;
use crate::grpc::orgs::Orgs;
use crate::grpc::reports::Reports;
use crate::store::Store;

pub use access::Viewer;
pub use steer::SteerLayer;

/// The largest upload, in bytes (a PDF report is rarely over a few MB).
pub const MAX_UPLOAD_BYTES: usize = 16 << 20;

/// What the console serves from: the store and the security settings gxd runs with.
#[derive(Clone)]
pub struct Web {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    public_read: bool,
    hierarchy: Arc<dyn Hierarchy>,
    /// Served over TLS: cookies are `Secure`.
    secure: bool,
    sessions: session::Sessions,
    reports: Reports,
    orgs: Orgs,
}

impl Web {
    /// The console over `store`, with gxd's `--public-read`, hierarchy and TLS setting.
    pub fn new(
        store: Store,
        public_read: bool,
        hierarchy: Arc<dyn Hierarchy>,
        secure: bool,
    ) -> Web {
        Web {
            inner: Arc::new(Inner {
                reports: Reports::new(store.clone()),
                orgs: Orgs::new(store.clone()),
                store,
                public_read,
                hierarchy,
                secure,
                sessions: session::Sessions::default(),
            }),
        }
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The routes of the console.
    pub fn router(self) -> Router {
        let routes = Router::new()
            .route("/", get(signin::form).post(signin::submit))
            .route("/signout", axum::routing::post(signin::signout))
            .route("/static/gx.css", get(page::stylesheet))
            .route("/board/{org}/{year}", get(board::page))
            .route("/reports/{org}/{year}", get(report::page))
            .route(
                "/reports/{org}/{year}/review",
                axum::routing::post(review::post),
            )
            .route("/diff/{org}/{from}/{to}", get(diffpage::page))
            .route("/rollup/{org}/{year}", get(rollup::page))
            .route(
                "/upload",
                get(upload::form)
                    .post(upload::preview)
                    .layer(axum::extract::DefaultBodyLimit::max(MAX_UPLOAD_BYTES)),
            )
            .route("/upload/submit", axum::routing::post(upload::submit))
            .fallback(page::not_found)
            .with_state(self);
        page::with_security_headers(routes)
    }
}

/// What gxd puts in front of its gRPC layers: the console (at most `max_concurrent` pages
/// rendered at once, the others waiting), or with `enabled` false (`--no-web`) nothing.
pub fn layer(
    enabled: bool,
    store: &Store,
    public_read: bool,
    hierarchy: Arc<dyn Hierarchy>,
    secure: bool,
    max_concurrent: usize,
) -> SteerLayer {
    SteerLayer::new(enabled.then(|| {
        Web::new(store.clone(), public_read, hierarchy, secure)
            .router()
            .layer(tower::limit::GlobalConcurrencyLimitLayer::new(
                max_concurrent.max(1),
            ))
    }))
}
