//! HTML: one self-contained page — no scripts, no external resources, print-friendly CSS
//! inlined, `lang="zh-CN"`.
//!
//! Layout (for importers):
//! - `<title>` and `<h1>`: the title. The preamble: `<div class="preamble">` holding one
//!   `<p>` per line of the stored text.
//! - Each of the six sections: `<section id="sN" class="section">` with `<h2>` the official
//!   heading. A narrative section holds one `<p>` per line of its text, then one
//!   `<section class="sub">` per sub-section: `<h3>` the title, one `<p>` per line of its text.
//! - Tables: table 2 is one `<table>` per block, its `<caption>` the block title
//!   (第二十条第（一）项); tables 3 and 4 are one `<table>` each, named by the section heading.
//!   The printed 勾稽 note is `<p class="note">` just before table 3. Header cells are `<th>`
//!   with `scope`, `rowspan`/`colspan` for merged cells and an `id`; every value cell is a
//!   `<td data-key="t3.new.natural" headers="…">` whose text is the cell as published, with
//!   `data-value` (the canonical value: empty, `/`, a number) when the published text differs
//!   from it (`170万`). Rows the report does not print are left out.
//! - Every stored string is escaped (`& < > " '`); C0 controls other than tab and line feed
//!   are written as character references (NUL as U+FFFD), so the DOM text is the stored text.

use std::fmt::Write as _;

use super::layout::{self, Grid};
use super::{lines, narrative, push_num, push_published, push_value, title};
use crate::model::{Report, Section};
use crate::template::SECTIONS;

const CSS: &str = r#"
:root { color-scheme: light; }
* { box-sizing: border-box; }
html { background: #fff; color: #111; }
body { margin: 0; font-family: "FangSong", "STFangsong", "Noto Serif CJK SC", "Source Han Serif SC", "Songti SC", "SimSun", serif; font-size: 16px; line-height: 1.8; }
.report { max-width: 60rem; margin: 0 auto; padding: 2.5rem 2rem 4rem; }
h1 { font-size: 1.75rem; line-height: 1.4; text-align: center; margin: 0 0 2rem; font-family: "Noto Serif CJK SC", "Source Han Serif SC", "SimSun", serif; font-weight: 700; }
h2 { font-size: 1.15rem; margin: 2rem 0 .8rem; font-family: "SimHei", "Noto Sans CJK SC", "Source Han Sans SC", sans-serif; font-weight: 700; }
h3 { font-size: 1rem; margin: 1.2rem 0 .4rem; font-family: "KaiTi", "STKaiti", "Noto Serif CJK SC", serif; font-weight: 700; }
p { margin: 0 0 .6rem; text-indent: 2em; white-space: pre-wrap; overflow-wrap: anywhere; }
p.note { text-indent: 0; text-align: center; font-size: .9rem; margin: 0 0 .4rem; }
table { width: 100%; border-collapse: collapse; margin: 0 0 1.2rem; font-size: .9rem; line-height: 1.45; }
caption { caption-side: top; padding: .35rem; border: 1px solid #333; border-bottom: 0; font-weight: 700; text-align: center; }
th, td { border: 1px solid #333; padding: .3rem .4rem; vertical-align: middle; overflow-wrap: anywhere; }
th { font-weight: 400; text-align: center; background: #f3f3f3; }
tbody th { text-align: left; background: #fafafa; }
tbody th[rowspan] { text-align: center; }
td { text-align: center; font-variant-numeric: tabular-nums; white-space: pre-wrap; }
table.t2, table.t3, table.t4 { table-layout: fixed; }
table.t2 { margin-bottom: 0; }
table.t2 + table.t2 caption { border-top: 0; }
table.t2:last-of-type { margin-bottom: 1.2rem; }
table.t2 col.l0 { width: 34%; }
table.t3 col.l0 { width: 2.6em; }
table.t3 col.l1 { width: 5.4em; }
table.t3 col.v { width: 4.4em; }
table.t4 th, table.t4 td { padding: .3rem .15rem; }
@media print {
  @page { size: A4; margin: 2cm 1.8cm; }
  body { font-size: 12pt; }
  .report { max-width: none; padding: 0; }
  h2, h3, caption, p.note { break-after: avoid; page-break-after: avoid; }
  tr, th, td { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; }
  th, tbody th { background: none; }
}
"#;

/// A note on one value cell (see [`article`]): a CSS class and plain text (escaped here; an
/// empty text writes the class alone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellNote {
    pub class: &'static str,
    pub note: String,
}

pub(super) fn render(report: &Report) -> String {
    let mut out = String::with_capacity(48 * 1024);
    let title = title(report);
    out.push_str("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str("<title>");
    esc(&mut out, &title);
    out.push_str("</title>\n<style>");
    out.push_str(CSS);
    out.push_str("</style>\n</head>\n<body>\n");
    write_article(&mut out, report, &|_| None);
    out.push_str("</body>\n</html>\n");
    out
}

/// The `<article class="report">` of [`render`] alone, each value cell `notes` gives a note
/// for carrying its class and a `<span class="cell-note">` after its text (the web console
/// marks findings on their cells this way).
pub(super) fn article(report: &Report, notes: &dyn Fn(&str) -> Option<CellNote>) -> String {
    let mut out = String::with_capacity(48 * 1024);
    write_article(&mut out, report, notes);
    out
}

fn write_article(out: &mut String, report: &Report, notes: &dyn Fn(&str) -> Option<CellNote>) {
    let title = title(report);
    out.push_str("<article class=\"report\">\n<h1>");
    esc(out, &title);
    out.push_str("</h1>\n");
    if !report.narrative.preamble.is_empty() {
        out.push_str("<div class=\"preamble\">\n");
        paragraphs(out, &report.narrative.preamble);
        out.push_str("</div>\n");
    }
    let grids = layout::grids(report);
    for section in &SECTIONS {
        let n = section.number;
        let _ = writeln!(
            out,
            "<section id=\"s{n}\" class=\"section\" aria-labelledby=\"s{n}-h\">"
        );
        let _ = write!(out, "<h2 id=\"s{n}-h\">");
        esc(out, section.heading);
        out.push_str("</h2>\n");
        if let Some(s) = narrative(report, section) {
            narrative_section(out, s);
        }
        for g in grids.iter().filter(|g| g.table.section.number == n) {
            table(out, report, g, notes);
        }
        out.push_str("</section>\n");
    }
    out.push_str("</article>\n");
}

fn narrative_section(out: &mut String, s: &Section) {
    paragraphs(out, &s.text);
    for sub in &s.subsections {
        out.push_str("<section class=\"sub\">\n<h3>");
        esc(out, &sub.title);
        out.push_str("</h3>\n");
        paragraphs(out, &sub.text);
        out.push_str("</section>\n");
    }
}

fn paragraphs(out: &mut String, text: &str) {
    for line in lines(text) {
        out.push_str("<p>");
        esc(out, line);
        out.push_str("</p>\n");
    }
}

fn table(out: &mut String, report: &Report, g: &Grid, notes: &dyn Fn(&str) -> Option<CellNote>) {
    let template = report.template();
    let key = g.table.key;
    let b = g.block;
    let n = g.table.section.number;
    if g.block == 0 {
        if let Some(note) = g.table.note {
            let _ = write!(out, "<p class=\"note\" id=\"{key}-note\">");
            esc(out, note);
            out.push_str("</p>\n");
        }
    }
    let _ = write!(out, "<table class=\"{key}\" id=\"{key}-{b}\"");
    if g.caption.is_none() {
        let _ = write!(out, " aria-labelledby=\"s{n}-h\"");
    }
    if g.table.note.is_some() {
        let _ = write!(out, " aria-describedby=\"{key}-note\"");
    }
    out.push_str(">\n");
    if let Some(c) = g.caption {
        out.push_str("<caption>");
        esc(out, c);
        out.push_str("</caption>\n");
    }
    // Column widths (CSS): `l0`… the row-label columns, `v` the value columns.
    out.push_str("<colgroup>");
    for level in 0..g.label_cols {
        let _ = write!(out, "<col class=\"l{level}\">");
    }
    let _ = write!(out, "<col class=\"v\" span=\"{}\">", g.value_cols().max(1));
    out.push_str("</colgroup>\n<thead>\n");
    for row in &g.head {
        out.push_str("<tr>");
        for h in row {
            th(out, g, h, "col");
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</thead>\n<tbody>\n");
    // The `headers` ids of each value column and each row, written once.
    let ids = |ids: &[usize]| {
        let mut s = String::new();
        for (i, id) in ids.iter().enumerate() {
            if i > 0 {
                s.push(' ');
            }
            s.push_str(key);
            s.push('-');
            push_num(&mut s, b as u64);
            s.push_str("-h");
            push_num(&mut s, *id as u64);
        }
        s
    };
    let col_ids: Vec<String> = g.col_head_ids.iter().map(|c| ids(c)).collect();
    for row in &g.rows {
        out.push_str("<tr>");
        for h in &row.heads {
            th(out, g, h, "row");
        }
        let row_ids = ids(&row.head_ids);
        for (col, &ix) in row.cells.iter().enumerate() {
            out.push_str("<td data-key=\"");
            out.push_str(&template.cell(ix).key);
            out.push_str("\" headers=\"");
            out.push_str(&col_ids[col % col_ids.len()]);
            if !row_ids.is_empty() {
                out.push(' ');
                out.push_str(&row_ids);
            }
            out.push('"');
            let cell = report.cell(ix);
            if cell.raw.is_some() {
                out.push_str(" data-value=\"");
                push_value(out, cell.value);
                out.push('"');
            }
            let note = notes(&template.cell(ix).key);
            if let Some(n) = &note {
                out.push_str(" class=\"");
                out.push_str(n.class);
                out.push('"');
            }
            out.push('>');
            push_published(out, cell, esc);
            if let Some(n) = note.as_ref().filter(|n| !n.note.is_empty()) {
                out.push_str("<span class=\"cell-note\" role=\"note\">");
                esc(out, &n.note);
                out.push_str("</span>");
            }
            out.push_str("</td>");
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
}

fn th(out: &mut String, g: &Grid, h: &layout::Head, scope: &str) {
    out.push_str("<th id=\"");
    out.push_str(g.table.key);
    out.push('-');
    push_num(out, g.block as u64);
    out.push_str("-h");
    push_num(out, h.id as u64);
    out.push_str("\" scope=\"");
    out.push_str(scope);
    out.push('"');
    if h.rowspan > 1 {
        out.push_str(" rowspan=\"");
        push_num(out, h.rowspan as u64);
        out.push('"');
    }
    if h.colspan > 1 {
        out.push_str(" colspan=\"");
        push_num(out, h.colspan as u64);
        out.push('"');
    }
    out.push('>');
    esc(out, h.label);
    out.push_str("</th>");
}

/// Escapes text for HTML element content and quoted attribute values.
pub(crate) fn esc(out: &mut String, s: &str) {
    let special = |b: &u8| matches!(b, b'&' | b'<' | b'>' | b'"' | b'\'') || b.is_ascii_control();
    if !s.as_bytes().iter().any(special) {
        out.push_str(s);
        return;
    }
    let mut last = 0;
    for (i, ch) in s.char_indices() {
        let rep: &str = match ch {
            '&' => "&amp;",
            '<' => "&lt;",
            '>' => "&gt;",
            '"' => "&quot;",
            '\'' => "&#39;",
            '\n' | '\t' => continue,
            '\0' => "\u{FFFD}",
            c if c.is_ascii_control() => {
                out.push_str(&s[last..i]);
                let _ = write!(out, "&#x{:X};", c as u32);
                last = i + c.len_utf8();
                continue;
            }
            _ => continue,
        };
        out.push_str(&s[last..i]);
        out.push_str(rep);
        last = i + ch.len_utf8();
    }
    out.push_str(&s[last..]);
}
