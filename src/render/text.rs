//! Flat text: the form a government web page gives when scraped — every heading, paragraph,
//! label and table cell on its own line.
//!
//! Layout (for importers): the document is a sequence of *items*, each exactly one line;
//! items are separated by exactly one empty line and the document ends with a line feed. So
//! odd lines (1-based) are items and even lines are empty, and an empty item — a blank cell —
//! shows as three line feeds in a row. Items, in order:
//! - the title; the preamble, one item per line of the stored text;
//! - each of the six sections: its official heading; for a narrative section, one item per
//!   line of its text, then per sub-section its title and one item per line of its text.
//!   Every line of narrative text (preamble, section text, sub-section text) is indented with
//!   [`INDENT`] (two ideographic spaces, 首行缩进); headings and sub-section titles are not —
//!   that is how a title is told from text;
//! - tables, as their cells read in HTML document order: table 2 per block the block title
//!   (第二十条第（一）项), the corner label (信息内容) and the column labels, then per row its
//!   label and its values. Table 3: the printed 勾稽 note, then the header cells row by row
//!   (申请人情况, 自然人, 法人或其他组织, 总计, 商业企业 … 其他), then per row the label cells
//!   that begin on it — a merged group label only on the first row of its group
//!   (三、本年度办理结果 then （一）予以公开; （三）不予公开 then 1.属于国家秘密) — and its 7
//!   values. Table 4: 行政复议, 行政诉讼, the 5 column labels of 行政复议, 未经复议直接起诉,
//!   复议后起诉, the 10 column labels of the two 行政诉讼 groups, then the 15 values. Rows the
//!   report does not print are left out (2021: either （六）其他处理 then its sub-row
//!   `1.申请人无正当理由…` and 7 values, …, or （六）其他处理 and 7 values).
//! - A cell item is the cell as published: empty for blank, `/`, or the annotated text.
//!
//! Plain text has no escapes: within an item, a carriage return or line feed is written as a
//! space, and other control characters except tab as U+FFFD, so that every item stays one line.

use super::layout::{self, Grid};
use super::{lines, narrative, push_published, title};
use crate::model::{Report, Section};
use crate::template::SECTIONS;

/// The indent of a line of narrative text: two ideographic spaces (U+3000).
pub const INDENT: &str = "\u{3000}\u{3000}";

struct Items {
    out: String,
    first: bool,
}

impl Items {
    fn item(&mut self, s: &str) {
        self.start();
        push_line(&mut self.out, s);
    }

    fn text(&mut self, s: &str) {
        self.start();
        self.out.push_str(INDENT);
        push_line(&mut self.out, s);
    }

    fn start(&mut self) {
        if self.first {
            self.first = false;
        } else {
            self.out.push_str("\n\n");
        }
    }
}

fn push_line(out: &mut String, s: &str) {
    if !s.contains(|c: char| c.is_control() && c != '\t') {
        out.push_str(s);
        return;
    }
    for c in s.chars() {
        out.push(match c {
            '\r' | '\n' => ' ',
            '\t' => '\t',
            c if c.is_control() => '\u{FFFD}',
            c => c,
        });
    }
}

pub(super) fn render(report: &Report) -> String {
    let mut it = Items {
        out: String::with_capacity(16 * 1024),
        first: true,
    };
    it.item(&title(report));
    for line in lines(&report.narrative.preamble) {
        it.text(line);
    }
    let grids = layout::grids(report);
    for section in &SECTIONS {
        it.item(section.heading);
        if let Some(s) = narrative(report, section) {
            narrative_section(&mut it, s);
        }
        for g in grids
            .iter()
            .filter(|g| g.table.section.number == section.number)
        {
            table(&mut it, report, g);
        }
    }
    it.out.push('\n');
    it.out
}

fn narrative_section(it: &mut Items, s: &Section) {
    for line in lines(&s.text) {
        it.text(line);
    }
    for sub in &s.subsections {
        it.item(&sub.title);
        for line in lines(&sub.text) {
            it.text(line);
        }
    }
}

fn table(it: &mut Items, report: &Report, g: &Grid) {
    if g.block == 0 {
        if let Some(note) = g.table.note {
            it.item(note);
        }
    }
    if let Some(c) = g.caption {
        it.item(c);
    }
    for row in &g.head {
        for h in row {
            it.item(h.label);
        }
    }
    for row in &g.rows {
        for h in &row.heads {
            it.item(h.label);
        }
        for &ix in &row.cells {
            it.start();
            push_published(&mut it.out, report.cell(ix), push_line);
        }
    }
}
