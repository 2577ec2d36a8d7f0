//! `gx.v1.OrgService`: reporting bodies (here), the roll-up (汇总, `rollup.rs`), the filing
//! board (`board.rs`) and the export (`export.rs`).

mod analysis;
mod board;
mod export;
mod rollup;

pub use export::export_text;

use tracing::Span;

use super::calls::{calls, page_size};
use super::convert::{body_to_pb, level_from_pb};
use super::status::ServiceError;
use crate::pb;
use crate::store::{Change, NewBody, Store};

/// The service: shared state behind a cheap clone.
#[derive(Debug, Clone)]
pub struct Orgs {
    store: Store,
}

impl Orgs {
    pub fn new(store: Store) -> Orgs {
        Orgs { store }
    }
}

/// A body to store, from the wire (`field` names it in errors).
fn new_body(field: &str, b: Option<&pb::Body>) -> Result<NewBody, ServiceError> {
    let b = b.ok_or_else(|| ServiceError::field(field, "required: the body"))?;
    Ok(NewBody {
        id: b.id.clone(),
        name: b.name.clone(),
        level: level_from_pb(&format!("{field}.level"), b.level)?,
        parent: (!b.parent.is_empty()).then(|| b.parent.clone()),
    })
}

/// A body's code, checked.
fn require_id(field: &str, id: &str) -> Result<(), ServiceError> {
    crate::orgs::check_id(id).map_err(|m| ServiceError::field(field, m))
}

fn require_year(year: u32) -> Result<(), ServiceError> {
    if year == 0 {
        return Err(ServiceError::field("year", "required: the year, e.g. 2021"));
    }
    Ok(())
}

/// NOT_FOUND for a body that is not registered.
fn no_body(id: &str) -> ServiceError {
    ServiceError::NotFound(format!(
        "no reporting body {id:?} (see gxctl org list; register it with gxctl org add)"
    ))
}

/// The body (and year) a call is about, in the request's span.
fn record(org: &str, year: u32) {
    let span = Span::current();
    span.record("org", org);
    if year > 0 {
        span.record("year", year);
    }
}

impl Orgs {
    async fn create(&self, r: pb::CreateOrgRequest) -> Result<pb::CreateOrgResponse, ServiceError> {
        let new = new_body("body", r.body.as_ref())?;
        record(&new.id, 0);
        let (body, created) = self.store.create_org(new).await?;
        Ok(pb::CreateOrgResponse {
            body: Some(body_to_pb(&body)),
            created,
        })
    }

    async fn get(&self, r: pb::GetOrgRequest) -> Result<pb::GetOrgResponse, ServiceError> {
        record(&r.id, 0);
        require_id("id", &r.id)?;
        self.store.with_directory(|d| {
            let body = d.get(&r.id).ok_or_else(|| no_body(&r.id))?;
            Ok(pb::GetOrgResponse {
                body: Some(body_to_pb(body)),
                ancestors: d.ancestors(&r.id).into_iter().map(body_to_pb).collect(),
                children: d.children(&r.id).map(body_to_pb).collect(),
                descendants: u32::try_from(d.descendants(&r.id).len()).unwrap_or(u32::MAX),
            })
        })
    }

    async fn list(&self, r: pb::ListOrgsRequest) -> Result<pb::ListOrgsResponse, ServiceError> {
        let limit = page_size(r.page_size).map_err(|v| ServiceError::BadRequest(vec![v]))?;
        if !r.root.is_empty() {
            require_id("root", &r.root)?;
        }
        if !r.page_token.is_empty() {
            require_id("page_token", &r.page_token)?;
        }
        self.store.with_directory(|d| {
            if !r.root.is_empty() && d.get(&r.root).is_none() {
                return Err(no_body(&r.root));
            }
            let mut bodies = Vec::new();
            let mut next = String::new();
            for b in d.range_after(&r.page_token) {
                if !r.root.is_empty() && !d.is_within(&b.id, &r.root) {
                    continue;
                }
                if bodies.len() == limit {
                    next = bodies
                        .last()
                        .map(|b: &pb::Body| b.id.clone())
                        .unwrap_or_default();
                    break;
                }
                bodies.push(body_to_pb(b));
            }
            Ok(pb::ListOrgsResponse {
                bodies,
                next_page_token: next,
            })
        })
    }

    async fn rename(&self, r: pb::RenameOrgRequest) -> Result<pb::OrgResponse, ServiceError> {
        record(&r.id, 0);
        require_id("id", &r.id)?;
        let b = self
            .store
            .update_org(&r.id, Some(r.name), None, None)
            .await?;
        Ok(pb::OrgResponse {
            body: Some(body_to_pb(&b)),
        })
    }

    async fn move_to(&self, r: pb::MoveOrgRequest) -> Result<pb::OrgResponse, ServiceError> {
        record(&r.id, 0);
        require_id("id", &r.id)?;
        let parent = (!r.parent.is_empty()).then_some(r.parent);
        let b = self
            .store
            .update_org(&r.id, None, Some(parent), None)
            .await?;
        Ok(pb::OrgResponse {
            body: Some(body_to_pb(&b)),
        })
    }

    async fn import(
        &self,
        r: pb::ImportOrgsRequest,
    ) -> Result<pb::ImportOrgsResponse, ServiceError> {
        let new = r
            .bodies
            .iter()
            .enumerate()
            .map(|(i, b)| new_body(&format!("bodies[{i}]"), Some(b)))
            .collect::<Result<Vec<_>, _>>()?;
        let changes = self.store.import_orgs(new, r.update).await?;
        Ok(pb::ImportOrgsResponse {
            changes: changes
                .into_iter()
                .map(|c| {
                    (match c {
                        Change::Created => pb::ImportChange::Created,
                        Change::Unchanged => pb::ImportChange::Unchanged,
                        Change::Updated => pb::ImportChange::Updated,
                    }) as i32
                })
                .collect(),
        })
    }
}

calls! {
    impl pb::org_service_server::OrgService for Orgs {
        type ExportReportsStream = export::ExportStream;
        fn create_org(pb::CreateOrgRequest) -> pb::CreateOrgResponse = create;
        fn get_org(pb::GetOrgRequest) -> pb::GetOrgResponse = get;
        fn list_orgs(pb::ListOrgsRequest) -> pb::ListOrgsResponse = list;
        fn rename_org(pb::RenameOrgRequest) -> pb::OrgResponse = rename;
        fn move_org(pb::MoveOrgRequest) -> pb::OrgResponse = move_to;
        fn import_orgs(pb::ImportOrgsRequest) -> pb::ImportOrgsResponse = import;
        fn roll_up(pb::RollUpRequest) -> pb::RollUpResponse = blocking(rollup::sum);
        fn get_filing_status(pb::GetFilingStatusRequest) -> pb::GetFilingStatusResponse = blocking(board::entries);
        fn export_reports(pb::ExportReportsRequest) -> export::ExportStream = export;
        fn analyze_region(pb::AnalyzeRegionRequest) -> pb::AnalyzeRegionResponse = blocking(analysis::analyze);
    }
}
