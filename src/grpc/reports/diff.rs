//! `DiffReports`: two stored reports through the library's diff.

use crate::crossyear::Explanation;
use crate::diff::{self, Options};
use crate::grpc::convert::report_from_pb;
use crate::grpc::status::ServiceError;
use crate::model::Report;
use crate::pb;

impl super::Reports {
    /// The stored report a [`pb::ReportRef`] names (`field` names it in errors), read into the
    /// model, with its revision's metadata.
    pub(super) fn stored(
        &self,
        org_id: &str,
        field: &str,
        rf: Option<pb::ReportRef>,
    ) -> Result<(Report, Option<pb::RevisionInfo>), ServiceError> {
        let rf = rf.ok_or_else(|| {
            ServiceError::field(field, "required: the year (and optionally the revision)")
        })?;
        use pb::get_report_request::Version as G;
        use pb::report_ref::Version as R;
        let got = self.get(pb::GetReportRequest {
            org_id: org_id.to_string(),
            year: rf.year,
            version: rf.version.map(|v| match v {
                R::Revision(n) => G::Revision(n),
                R::AsOf(t) => G::AsOf(t),
            }),
        })?;
        let report = report_from_pb(&got.report.unwrap_or_default()).map_err(|e| {
            crate::store::StoreError::Corrupt {
                key: format!("{org_id}/{}", rf.year),
                detail: e.to_string(),
            }
        })?;
        Ok((report, got.revision))
    }

    pub(super) fn diff(
        &self,
        r: pb::DiffReportsRequest,
    ) -> Result<pb::DiffReportsResponse, ServiceError> {
        let revision = |i: Option<pb::RevisionInfo>| i.map(|i| u64::from(i.revision));
        let (old, old_info) = self.stored(&r.org_id, "old", r.old)?;
        let (new, new_info) = self.stored(&r.org_id, "new", r.new)?;
        let explained = |i: &Option<pb::RevisionInfo>| -> Vec<_> {
            i.iter()
                .flat_map(|i| &i.explanations)
                .map(Explanation::from)
                .collect()
        };
        let (old_explained, new_explained) = (explained(&old_info), explained(&new_info));
        let mut d = diff::diff(
            &old,
            revision(old_info),
            &new,
            revision(new_info),
            Options { all: r.all },
        );
        d.old.explanations = old_explained;
        d.new.explanations = new_explained;
        Ok(pb::DiffReportsResponse {
            diff: Some(pb::Diff::from(&d)),
        })
    }
}
