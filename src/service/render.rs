//! `RenderReport`: a stored revision through the library's renderer.

use crate::convert::report_from_pb;
use crate::pb;
use crate::render::{self, Format};
use crate::status::ServiceError;

impl super::Reports {
    pub(super) fn render(
        &self,
        r: pb::RenderReportRequest,
    ) -> Result<pb::RenderReportResponse, ServiceError> {
        let rf = r.report.ok_or_else(|| {
            ServiceError::field("report", "required: the year (and optionally the revision)")
        })?;
        let format = match pb::RenderFormat::try_from(r.format) {
            Ok(pb::RenderFormat::Unspecified | pb::RenderFormat::Html) => Format::Html,
            Ok(pb::RenderFormat::Markdown) => Format::Markdown,
            Ok(pb::RenderFormat::Text) => Format::Text,
            Err(_) => {
                return Err(ServiceError::field(
                    "format",
                    format!(
                        "unknown format {}; expected HTML, MARKDOWN or TEXT",
                        r.format
                    ),
                ))
            }
        };
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
        Ok(pb::RenderReportResponse {
            content: render::render(&report, format),
            media_type: format.media_type().to_string(),
            revision: got.revision,
        })
    }
}
