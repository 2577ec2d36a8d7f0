//! HTML pages, parsed with a real HTML parser (html5ever through `scraper`): text outside
//! tables becomes paragraphs, each row of a data table a row of cells with its colspan.
//! A table that holds another table is page layout and is read as flowing text.
//! The walk is iterative, so deeply nested markup cannot overflow the stack.

use std::borrow::Cow;
use std::collections::HashSet;

use ego_tree::iter::Edge;
use ego_tree::NodeRef;
use scraper::{Html, Node};

use super::doc::{Block, BlockKind, Loc, Tok};
use super::normalize::{is_space, trim};

const SKIP: &[&str] = &[
    "script", "style", "noscript", "template", "head", "iframe", "object", "svg", "select",
    "button",
];
const BLOCK: &[&str] = &[
    "p",
    "div",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "ul",
    "ol",
    "br",
    "tr",
    "td",
    "th",
    "table",
    "section",
    "article",
    "header",
    "footer",
    "nav",
    "blockquote",
    "pre",
    "center",
    "dd",
    "dt",
    "dl",
    "form",
    "hr",
    "caption",
    "body",
    "main",
    "aside",
];

fn name(node: NodeRef<'_, Node>) -> Option<&str> {
    match node.value() {
        Node::Element(e) => Some(e.name()),
        _ => None,
    }
}

/// Appends text with runs of whitespace collapsed to one space.
fn push_text(buf: &mut String, text: &str) {
    for c in text.chars() {
        if is_space(c) {
            if !buf.is_empty() && !buf.ends_with(' ') {
                buf.push(' ');
            }
        } else {
            buf.push(c);
        }
    }
}

/// Removes spaces next to CJK characters (source line breaks inside Chinese text).
fn tidy(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    for (i, &c) in chars.iter().enumerate() {
        if c == ' ' {
            let prev = i.checked_sub(1).and_then(|j| chars.get(j));
            let next = chars.get(i + 1);
            let cjk = |c: Option<&char>| c.is_some_and(|c| !c.is_ascii());
            if cjk(prev) || cjk(next) {
                continue;
            }
        }
        out.push(c);
    }
    trim(&out).to_string()
}

/// The text of an element, `<br>` and block boundaries joined without spaces.
fn cell_text(node: NodeRef<'_, Node>) -> String {
    let mut buf = String::new();
    let mut skip = 0usize;
    for edge in node.traverse() {
        match edge {
            Edge::Open(n) => {
                if let Some(nm) = name(n) {
                    if SKIP.contains(&nm) {
                        skip += 1;
                    }
                } else if let Node::Text(t) = n.value() {
                    if skip == 0 {
                        push_text(&mut buf, t);
                    }
                }
            }
            Edge::Close(n) => {
                if name(n).is_some_and(|nm| SKIP.contains(&nm)) {
                    skip = skip.saturating_sub(1);
                }
            }
        }
    }
    tidy(&buf)
}

/// The tables that hold another table (page layout), found in one pass: each table marks
/// its nearest enclosing table.
fn layout_tables(doc: &Html) -> HashSet<ego_tree::NodeId> {
    let mut open: Vec<ego_tree::NodeId> = Vec::new();
    let mut outer = HashSet::new();
    for edge in doc.tree.root().traverse() {
        match edge {
            Edge::Open(n) if name(n) == Some("table") => {
                if let Some(&parent) = open.last() {
                    outer.insert(parent);
                }
                open.push(n.id());
            }
            Edge::Close(n) if name(n) == Some("table") => {
                open.pop();
            }
            _ => {}
        }
    }
    outer
}

struct Walker<'a> {
    out: Vec<Block<'a>>,
    buf: String,
    tables: u32,
    seq: u32,
}

impl Walker<'_> {
    fn flush(&mut self) {
        if self.buf.is_empty() {
            return;
        }
        let text = tidy(&self.buf);
        self.buf.clear();
        if !text.is_empty() {
            self.seq += 1;
            self.out
                .push(Block::para(Loc::line(self.seq as usize), text));
        }
    }

    fn table(&mut self, table: NodeRef<'_, Node>) {
        self.tables += 1;
        let rows = table.descendants().filter(|n| name(*n) == Some("tr"));
        for (row_no, tr) in (1u32..).zip(rows) {
            let mut cells = Vec::new();
            for cell in tr.children() {
                let Node::Element(e) = cell.value() else {
                    continue;
                };
                if e.name() != "td" && e.name() != "th" {
                    continue;
                }
                let span = e
                    .attr("colspan")
                    .and_then(|s| s.trim().parse::<u16>().ok())
                    .unwrap_or(1)
                    .clamp(1, 64);
                let mut tok = Tok::plain(cell_text(cell));
                tok.span = span;
                cells.push(tok);
            }
            if cells.is_empty() {
                continue;
            }
            let text = cells
                .iter()
                .map(|c| c.text.as_ref())
                .filter(|t| !t.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            self.seq += 1;
            self.out.push(Block {
                loc: Loc {
                    line: self.seq,
                    table: self.tables,
                    row: row_no,
                },
                kind: BlockKind::Row,
                text: Cow::Owned(text),
                cells,
                gap: 0,
                cont: false,
            });
        }
    }
}

/// Reads an HTML page.
pub(crate) fn read(text: &str) -> Vec<Block<'static>> {
    let doc = Html::parse_document(text);
    let mut w = Walker {
        out: Vec::new(),
        buf: String::new(),
        tables: 0,
        seq: 0,
    };
    // The <title> first: it often carries the report's title when the page body does not.
    if let Some(title) = doc
        .root_element()
        .descendants()
        .find(|n| name(*n) == Some("title"))
    {
        let t = cell_text(title);
        if !t.is_empty() {
            w.seq += 1;
            w.out.push(Block::para(Loc::line(w.seq as usize), t));
        }
    }
    let layout = layout_tables(&doc);
    let mut skip: Option<ego_tree::NodeId> = None;
    for edge in doc.tree.root().traverse() {
        match edge {
            Edge::Open(n) => {
                if skip.is_some() {
                    continue;
                }
                match n.value() {
                    Node::Text(t) => push_text(&mut w.buf, t),
                    Node::Element(e) => {
                        let nm = e.name();
                        if SKIP.contains(&nm) || nm == "title" {
                            skip = Some(n.id());
                        } else if nm == "table" && !layout.contains(&n.id()) {
                            w.flush();
                            w.table(n);
                            skip = Some(n.id());
                        } else if BLOCK.contains(&nm) {
                            w.flush();
                        }
                    }
                    _ => {}
                }
            }
            Edge::Close(n) => {
                if skip == Some(n.id()) {
                    skip = None;
                    continue;
                }
                if skip.is_none() && name(n).is_some_and(|nm| BLOCK.contains(&nm)) {
                    w.flush();
                }
            }
        }
    }
    w.flush();
    w.out
}
