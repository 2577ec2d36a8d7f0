//! Review actions on the report page (accept; return with a reason) — they come with the
//! review states; until then the panel is empty.

use maud::{html, Markup};

use super::access::Viewer;
use super::Web;
use crate::store::Revision;

/// The review panel of a report page.
pub fn panel(_web: &Web, _viewer: &Viewer, _r: &Revision) -> Markup {
    html! {}
}
