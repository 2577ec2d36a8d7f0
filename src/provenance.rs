//! Where each cell of an imported report came from, kept with the revision: read as printed
//! (the default, not listed), normalised (the cell's `raw` keeps the published text),
//! deduced from the identities (with the printed text and the identities that fixed it), or
//! unreadable (with why).

use serde::Serialize;

use crate::import::Imported;
use crate::template::Edition;

/// How a listed cell was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// Split or placed from a damaged row: the identities left one placement.
    Deduced,
    /// Not read: stored as blank, never as a number.
    Unreadable,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Deduced => "deduced",
            Origin::Unreadable => "unreadable",
        }
    }

    pub fn parse(s: &str) -> Option<Origin> {
        match s {
            "deduced" => Some(Origin::Deduced),
            "unreadable" => Some(Origin::Unreadable),
            _ => None,
        }
    }
}

/// One cell not read as printed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CellSource {
    /// `t3.new.natural`
    pub cell: String,
    pub origin: Origin,
    /// The row's text as printed.
    pub printed: String,
    /// Deduced: the identities that fixed it ("" when the text split only one way);
    /// unreadable: why.
    pub why: String,
}

/// Longest `printed` or `why` kept, in characters.
pub const MAX_TEXT_CHARS: usize = 2000;

/// The cells of an import that were not read as printed, in template order.
pub fn of_import(imported: &Imported) -> Vec<CellSource> {
    let mut out: Vec<CellSource> = imported
        .deduced
        .iter()
        .map(|d| CellSource {
            cell: d.key.clone(),
            origin: Origin::Deduced,
            printed: d.printed.clone(),
            why: d.identities.join("、"),
        })
        .collect();
    out.extend(imported.unreadable.iter().map(|u| CellSource {
        cell: u.key.clone(),
        origin: Origin::Unreadable,
        printed: u.text.clone().unwrap_or_default(),
        why: u.reason.clone(),
    }));
    let t = imported.edition.template();
    out.sort_by_key(|s| t.ix(&s.cell));
    out
}

/// Checks a list against an edition: known cells, each once, texts within bounds.
pub fn check(edition: Edition, sources: &[CellSource]) -> Result<(), String> {
    let t = edition.template();
    let mut seen = std::collections::HashSet::new();
    for (i, s) in sources.iter().enumerate() {
        if t.ix(&s.cell).is_none() {
            return Err(format!(
                "provenance[{i}]: no cell {:?} in the {edition} edition",
                s.cell
            ));
        }
        if !seen.insert(s.cell.as_str()) {
            return Err(format!("provenance[{i}]: {} listed twice", s.cell));
        }
        if s.printed.chars().count() > MAX_TEXT_CHARS || s.why.chars().count() > MAX_TEXT_CHARS {
            return Err(format!(
                "provenance[{i}]: texts are at most {MAX_TEXT_CHARS} characters"
            ));
        }
    }
    Ok(())
}

/// The flat cell view with a comment before each listed cell:
/// `# deduced t4.review.total=T4-SUM「行政复议」 printed 「110024001510102」`.
pub fn annotate_cells(view: &str, sources: &[CellSource]) -> String {
    if sources.is_empty() {
        return view.to_string();
    }
    let mut out = String::with_capacity(view.len() + sources.len() * 64);
    for line in view.lines() {
        if let Some((key, _)) = line.split_once('=') {
            if let Some(s) = sources.iter().find(|s| s.cell == key) {
                let why = if s.why.is_empty() {
                    "the only split"
                } else {
                    s.why.as_str()
                };
                out.push_str(&format!(
                    "# {} {}={} printed 「{}」\n",
                    s.origin.as_str(),
                    s.cell,
                    why.replace('\n', " "),
                    s.printed.replace('\n', " ")
                ));
            }
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}
