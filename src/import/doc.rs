//! The layout-independent document every reader produces: a sequence of blocks, each a
//! paragraph (one text) or a table row (cells), with where it came from.

use std::borrow::Cow;
use std::fmt;

/// Where a block came from: a line of the input, or a row of an HTML table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Loc {
    /// 1-based line of the input (for HTML: the block's position in reading order).
    pub line: u32,
    /// For HTML tables: 1-based table and row; 0 otherwise.
    pub table: u32,
    pub row: u32,
}

impl Loc {
    pub fn line(line: usize) -> Loc {
        Loc {
            line: u32::try_from(line).unwrap_or(u32::MAX),
            table: 0,
            row: 0,
        }
    }
}

impl fmt::Display for Loc {
    /// 「第12行」 or 「第2个表格第5行」.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.table > 0 {
            write!(f, "第{}个表格第{}行", self.table, self.row)
        } else {
            write!(f, "第{}行", self.line)
        }
    }
}

/// One table cell (or, in pdftotext text, one run of text between wide gaps).
#[derive(Debug, Clone)]
pub(crate) struct Tok<'a> {
    pub text: Cow<'a, str>,
    /// Columns the cell spans (HTML colspan); 1 otherwise.
    pub span: u16,
    /// Character columns [start, end) in pdftotext text; (0, 0) elsewhere.
    pub x: (u32, u32),
    /// Display columns (CJK counted twice) [start, end) in pdftotext text.
    pub w: (u32, u32),
}

impl<'a> Tok<'a> {
    pub(crate) fn plain(text: impl Into<Cow<'a, str>>) -> Tok<'a> {
        Tok {
            text: text.into(),
            span: 1,
            x: (0, 0),
            w: (0, 0),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BlockKind {
    /// A paragraph or a line of text (in flat text: also a table cell).
    Para,
    /// A table row with explicit cells (HTML, Markdown, tab-separated).
    Row,
    /// A line of pdftotext -layout text: cells positioned by columns.
    Layout,
}

#[derive(Debug, Clone)]
pub(crate) struct Block<'a> {
    pub loc: Loc,
    pub kind: BlockKind,
    /// The whole text (cells joined by a space for rows).
    pub text: Cow<'a, str>,
    /// The cells of a row; empty for paragraphs.
    pub cells: Vec<Tok<'a>>,
    /// Flat text: the number of empty lines before this line.
    pub gap: u32,
    /// Flat text: this line directly follows a non-empty line.
    pub cont: bool,
}

impl<'a> Block<'a> {
    pub(crate) fn para(loc: Loc, text: impl Into<Cow<'a, str>>) -> Block<'a> {
        Block {
            loc,
            kind: BlockKind::Para,
            text: text.into(),
            cells: Vec::new(),
            gap: 0,
            cont: false,
        }
    }
}

/// The input form a document was read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Form {
    /// Text scraped from a web page: one table cell per line.
    FlatText,
    Html,
    Markdown,
    /// Text from `pdftotext -layout`.
    PdfText,
    /// A PDF file, read through `pdftotext -layout`.
    Pdf,
}

impl fmt::Display for Form {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Form::FlatText => "flat text",
            Form::Html => "HTML",
            Form::Markdown => "Markdown",
            Form::PdfText => "pdftotext -layout text",
            Form::Pdf => "PDF (pdftotext -layout)",
        })
    }
}
