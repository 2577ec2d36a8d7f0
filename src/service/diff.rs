//! `DiffReports`: two stored reports through the library's diff.

use crate::convert::{diff_to_pb, report_from_pb};
use crate::diff::{self, Options};
use crate::pb;
use crate::status::ServiceError;

impl super::Reports {
    pub(super) fn diff(
        &self,
        r: pb::DiffReportsRequest,
    ) -> Result<pb::DiffReportsResponse, ServiceError> {
        let side = |name: &str, rf: Option<pb::ReportRef>| {
            let rf = rf.ok_or_else(|| {
                ServiceError::field(name, "required: the year (and optionally the revision)")
            })?;
            use pb::get_report_request::Version as G;
            use pb::report_ref::Version as R;
            let got = self.get(pb::GetReportRequest {
                org_id: r.org_id.clone(),
                year: rf.year,
                version: rf.version.map(|v| match v {
                    R::Revision(n) => G::Revision(n),
                    R::AsOf(t) => G::AsOf(t),
                }),
            })?;
            let report = report_from_pb(&got.report.unwrap_or_default()).map_err(|e| {
                crate::store::StoreError::Corrupt {
                    key: format!("{}/{}", r.org_id, rf.year),
                    detail: e.to_string(),
                }
            })?;
            let revision = got.revision.as_ref().map(|i| u64::from(i.revision));
            let explanations: Vec<_> = got
                .revision
                .iter()
                .flat_map(|i| &i.explanations)
                .map(crate::convert::explanation_from_pb)
                .collect();
            Ok::<_, ServiceError>((report, revision, explanations))
        };
        let (old, old_rev, old_explained) = side("old", r.old)?;
        let (new, new_rev, new_explained) = side("new", r.new)?;
        let mut d = diff::diff(&old, old_rev, &new, new_rev, Options { all: r.all });
        d.old.explanations = old_explained;
        d.new.explanations = new_explained;
        Ok(pb::DiffReportsResponse {
            diff: Some(diff_to_pb(&d)),
        })
    }
}
