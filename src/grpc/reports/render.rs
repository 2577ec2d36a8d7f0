//! `RenderReport`: a stored revision through the library's renderer.

use crate::grpc::convert::revision_info;
use crate::grpc::status::ServiceError;
use crate::pb;
use crate::render::{self, Format};

impl super::Reports {
    pub(super) async fn render(
        &self,
        r: pb::RenderReportRequest,
    ) -> Result<pb::RenderReportResponse, ServiceError> {
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
        let (report, rev) = self.stored(&r.org_id, "report", r.report)?;
        // Cells deduced or unreadable at import are said at the end of the rendering.
        let note = crate::provenance::note(report.edition, &rev.provenance);
        let content = crate::provenance::with_note(
            render::render(&report, format),
            format == Format::Html,
            &note,
        );
        Ok(pb::RenderReportResponse {
            content,
            media_type: format.media_type().to_string(),
            revision: Some(revision_info(&rev)),
        })
    }
}
