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

/// The note a rendering of a report with listed cells ends with (Chinese, for officials): the
/// rows deduced from the identities and the cells left unreadable.
pub fn note(edition: Edition, sources: &[CellSource]) -> Vec<String> {
    let t = edition.template();
    let rows = |origin: Origin| -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for s in sources.iter().filter(|s| s.origin == origin) {
            let Some(ix) = t.ix(&s.cell) else { continue };
            let c = t.cell(ix);
            let row = format!("{}「{}」", t.table_of(ix).name(), c.row.label);
            if !out.contains(&row) {
                out.push(row);
            }
        }
        out
    };
    let count = |origin: Origin| sources.iter().filter(|s| s.origin == origin).count();
    let mut lines = Vec::new();
    let deduced = rows(Origin::Deduced);
    if !deduced.is_empty() {
        lines.push(format!(
            "注：原文中以下各行的数字连在一起或缺少空栏，{}个单元格按勾稽关系唯一确定（推断）：{}。",
            count(Origin::Deduced),
            deduced.join("、")
        ));
    }
    let unreadable = rows(Origin::Unreadable);
    if !unreadable.is_empty() {
        lines.push(format!(
            "注：以下各行有{}个单元格无法从原文确定，留空（不是0）：{}。",
            count(Origin::Unreadable),
            unreadable.join("、")
        ));
    }
    lines
}

/// A rendering with the [`note`] lines added at its end (before `</body>` in HTML).
pub fn with_note(content: String, html: bool, lines: &[String]) -> String {
    if lines.is_empty() {
        return content;
    }
    if html {
        let paras: String = lines
            .iter()
            .map(|l| {
                let escaped = l
                    .replace('&', "&amp;")
                    .replace('<', "&lt;")
                    .replace('>', "&gt;");
                format!("<p class=\"provenance\">{escaped}</p>\n")
            })
            .collect();
        return match content.rfind("</body>") {
            Some(at) => format!("{}{paras}{}", &content[..at], &content[at..]),
            None => content + &paras,
        };
    }
    let mut out = content;
    if !out.ends_with('\n') {
        out.push('\n');
    }
    for l in lines {
        out.push('\n');
        out.push_str(l);
        out.push('\n');
    }
    out
}
