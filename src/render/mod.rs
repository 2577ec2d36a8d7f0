//! Rendering: the publishable report — title, the six sections in order, the narrative as
//! stored and tables 2–4 in the national layout of the report's edition — as one
//! self-contained HTML page, GitHub/GitLab Markdown, or the flat one-cell-per-line text that
//! government web pages give when scraped.
//!
//! Every label comes from the [template](crate::template); the table layout (header rows,
//! merged cells, variant rows) is worked out once in `layout` and written by each format.
//! A cell prints as published ([`Cell::published`](crate::model::Cell::published)): blank,
//! `/`, or its annotated text such as `22（其中修订16件）`. Rows the report does not print
//! (every cell [`Value::Absent`](crate::model::Value::Absent), e.g. the unused form of
//! 2021's （六）其他处理) are left out.
//!
//! The layouts are regular so that an importer can read them back exactly; each format's
//! module documents its conventions.

mod html;
mod layout;
pub mod markdown;
pub mod text;

use std::fmt;
use std::str::FromStr;

use crate::model::{Cell, Report, Section, Value};
use crate::template::{SectionDecl, TITLE_SUFFIX};

/// An output format of [`render`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// One self-contained, accessible HTML page.
    Html,
    /// Markdown with GFM pipe tables.
    Markdown,
    /// Flat text: one heading, paragraph, label or cell per line, blank lines between.
    Text,
}

impl Format {
    pub const ALL: [Format; 3] = [Format::Html, Format::Markdown, Format::Text];

    /// The usual file extension: `html`, `md`, `txt`.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Html => "html",
            Format::Markdown => "md",
            Format::Text => "txt",
        }
    }

    /// The media type of the rendering.
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Html => "text/html; charset=utf-8",
            Format::Markdown => "text/markdown; charset=utf-8",
            Format::Text => "text/plain; charset=utf-8",
        }
    }

    /// The format a file name's extension implies (`.html`/`.htm`, `.md`/`.markdown`, `.txt`).
    pub fn from_path(path: &str) -> Option<Format> {
        let ext = path.rsplit_once('.')?.1.to_ascii_lowercase();
        ext.parse().ok()
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.extension())
    }
}

/// A format name that is not one of `html`, `md`, `txt`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown format {0:?}; expected html, md or txt")]
pub struct UnknownFormat(pub String);

impl FromStr for Format {
    type Err = UnknownFormat;

    fn from_str(s: &str) -> Result<Format, UnknownFormat> {
        match s.to_ascii_lowercase().as_str() {
            "html" | "htm" => Ok(Format::Html),
            "md" | "markdown" => Ok(Format::Markdown),
            "txt" | "text" => Ok(Format::Text),
            _ => Err(UnknownFormat(s.to_string())),
        }
    }
}

/// Renders the report in `format`. Never fails: a report with validation errors renders as
/// it stands (refusing is the caller's choice, see `gxctl render --strict`).
pub fn render(report: &Report, format: Format) -> String {
    match format {
        Format::Html => html::render(report),
        Format::Markdown => markdown::render(report),
        Format::Text => text::render(report),
    }
}

pub use html::CellNote;

/// The report's `<article>` as [`render`] writes it in HTML, with the note `notes` gives for a
/// cell key written on that cell (its class on the `<td>`, its text in a
/// `<span class="cell-note">` after the value). The web console shows findings this way.
pub fn html_article(report: &Report, notes: &dyn Fn(&str) -> Option<CellNote>) -> String {
    html::article(report, notes)
}

/// The report's title: 「<name><year>年政府信息公开工作年度报告」.
pub fn title(report: &Report) -> String {
    format!("{}{}{}", report.org.name, report.year, TITLE_SUFFIX)
}

/// The narrative of a section, for the sections that carry one (一, 五, 六).
fn narrative<'r>(report: &'r Report, section: &SectionDecl) -> Option<&'r Section> {
    match section.number {
        1 => Some(&report.narrative.overview),
        5 => Some(&report.narrative.problems),
        6 => Some(&report.narrative.other),
        _ => None,
    }
}

/// The lines of a stored narrative text: split on `\n`; an empty text has none.
fn lines(text: &str) -> impl Iterator<Item = &str> {
    let mut it = text.split('\n');
    if text.is_empty() {
        it.next();
    }
    it
}

/// Writes a whole number in decimal.
fn push_num(out: &mut String, n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let mut n = n;
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &b in &buf[i..] {
        out.push(char::from(b));
    }
}

/// Writes a value's canonical text (as [`Value`]'s `Display`): nothing for blank, `/`, the
/// number. The text needs no escaping in any format.
fn push_value(out: &mut String, value: Value) {
    match value {
        Value::Blank | Value::Absent => {}
        Value::NotApplicable => out.push('/'),
        Value::Int(n) => {
            if n < 0 {
                out.push('-');
            }
            push_num(out, n.unsigned_abs());
        }
        Value::Amount(d) => {
            use std::fmt::Write as _;
            let _ = write!(out, "{d}");
        }
    }
}

/// Writes a cell as published (as [`Cell::published`]): its kept text through `esc`, else
/// its canonical value.
fn push_published(out: &mut String, cell: &Cell, esc: impl FnOnce(&mut String, &str)) {
    match &cell.raw {
        Some(raw) => esc(out, raw),
        None => push_value(out, cell.value),
    }
}
