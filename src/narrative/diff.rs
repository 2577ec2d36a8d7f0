//! The narrative's figures compared between two reports: for each quantity either text states,
//! the figure each gives (「收到申请」 859件 → 1000件), beside the cell changes of `diff`.

use serde::{Deserialize, Serialize};

use super::{read, What};
use crate::model::Report;

/// A quantity the narrative states, in the old and the new report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FigureDiff {
    /// The quantity's id in the vocabulary, e.g. `granted_partial`.
    pub quantity: String,
    /// Its name, e.g. 「予以公开及部分公开」.
    pub name: String,
    /// The figure as the old text writes it (`258件`); `""` when it states none.
    pub old: String,
    /// The figure as the new text writes it; `""` when it states none.
    pub new: String,
    pub changed: bool,
}

/// The first figure each text states for each quantity, in vocabulary order: (id, name, text).
fn figures(r: &Report) -> Vec<(&'static str, &'static str, String)> {
    let mut v: Vec<(&'static str, &'static str, String)> = Vec::new();
    for s in read(r) {
        if let What::Figure {
            quantity,
            figure: Some(f),
            ..
        } = s.what
        {
            if !v.iter().any(|(id, _, _)| *id == quantity.id) {
                v.push((quantity.id, quantity.name, f.text.to_string()));
            }
        }
    }
    v
}

/// The quantities either narrative states, old order first; only those whose figure changed
/// unless `all`.
pub fn compare(old: &Report, new: &Report, all: bool) -> Vec<FigureDiff> {
    let (a, b) = (figures(old), figures(new));
    let mut out: Vec<FigureDiff> = Vec::new();
    for (id, name, _) in a.iter().chain(&b) {
        if out.iter().any(|d| d.quantity == *id) {
            continue;
        }
        let text = |side: &[(&str, &str, String)]| {
            side.iter()
                .find(|(x, _, _)| x == id)
                .map_or_else(String::new, |(_, _, t)| t.clone())
        };
        let (o, n) = (text(&a), text(&b));
        let changed = o != n;
        if changed || all {
            out.push(FigureDiff {
                quantity: id.to_string(),
                name: name.to_string(),
                old: o,
                new: n,
                changed,
            });
        }
    }
    out
}
