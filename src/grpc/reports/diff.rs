//! `DiffReports`: two stored reports through the library's diff.

use crate::crossyear::Explanation;
use crate::diff::{self, Options};
use crate::grpc::convert::stored_report;
use crate::grpc::status::ServiceError;
use crate::model::Report;
use crate::pb;
use crate::store::Revision;

impl super::Reports {
    /// The stored report a [`pb::ReportRef`] names (`field` names it in errors), read into the
    /// model, with its revision.
    pub(super) fn stored(
        &self,
        org_id: &str,
        field: &str,
        rf: Option<pb::ReportRef>,
    ) -> Result<(Report, Revision), ServiceError> {
        let rf = rf.ok_or_else(|| {
            ServiceError::field(field, "required: the year (and optionally the revision)")
        })?;
        use pb::get_report_request::Version as Asked;
        use pb::report_ref::Version as R;
        let version = rf.version.map(|v| match v {
            R::Revision(n) => Asked::Revision(n),
            R::AsOf(t) => Asked::AsOf(t),
        });
        let rev = self.read(org_id, rf.year, version)?;
        Ok((stored_report(&rev)?, rev))
    }

    pub(super) async fn diff(
        &self,
        r: pb::DiffReportsRequest,
    ) -> Result<pb::DiffReportsResponse, ServiceError> {
        let (old, old_rev) = self.stored(&r.org_id, "old", r.old)?;
        let (new, new_rev) = self.stored(&r.org_id, "new", r.new)?;
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
            Options { all: r.all },
        );
        d.old.explanations = explained(&old_rev);
        d.new.explanations = explained(&new_rev);
        Ok(pb::DiffReportsResponse {
            diff: Some(pb::Diff::from(&d)),
        })
    }
}
