//! Importing published reports — text scraped from a web page, HTML, Markdown, text from
//! `pdftotext -layout`, PDF — into the schema, exactly.
//!
//! The pipeline: [`decode`] the bytes (UTF-8, BOM, GBK/GB18030; PDF through pdftotext), read
//! the form into layout-independent blocks ([`readers`], [`html`]), find the title and the
//! section headings ([`outline`]), read the tables by their labels ([`tables`], labels from
//! the template through [`lexicon`]), detect the edition from the labels printed, and take the
//! narrative by its headings. What cannot be read is reported, never guessed: see
//! [`Imported::unreadable`].
//!
//! ```no_run
//! let bytes = std::fs::read("report.html").unwrap();
//! let imported = gx::import::import_bytes(&bytes, Some("report.html")).unwrap();
//! println!("{}", imported.summary());
//! ```

mod decode;
mod doc;
mod html;
mod lexicon;
mod normalize;
mod outline;
mod readers;
mod tables;

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde::Serialize;

pub use decode::MAX_INPUT;
pub use doc::{Form, Loc};

use crate::model::{CellsBuilder, Org, Report, Value};
use crate::template::{Edition, Presence};
use doc::Block;
use lexicon::{Lexicon, Role};

/// Why an input could not be imported at all.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("empty input (空文件)")]
    Empty,
    #[error("input too large: {size} bytes, at most {max}")]
    TooLarge { size: usize, max: usize },
    #[error(
        "binary data, not a text, HTML or PDF report ({undecodable} undecodable and {control} control characters)"
    )]
    Binary { undecodable: usize, control: usize },
    #[error(
        "reading a PDF needs pdftotext, which is not installed: install the Debian package poppler-utils (apt-get install poppler-utils), or convert the file with `pdftotext -layout` first"
    )]
    PdfToolMissing,
    #[error("PDF: {0}")]
    Pdf(String),
    #[error("未找到年度报告 (no annual report in the input): {0}")]
    NoReport(String),
    #[error("无法从标题或正文确定报告年份 (the report's year is not in its title or text): give it with --year")]
    NoYear,
}

/// What the caller knows beyond the file.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// The file name, for choosing the form by extension and for messages.
    pub name_hint: Option<String>,
    /// The body's code (an import cannot know it).
    pub org_id: String,
    /// The body's name, when the title does not give it.
    pub org_name: Option<String>,
    /// The year, when the title and text do not give it (or give it wrongly).
    pub year: Option<u32>,
    /// Force an edition instead of detecting it.
    pub edition: Option<Edition>,
}

/// A template cell that could not be read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Unreadable {
    /// `t3.new.natural`
    pub key: String,
    /// The official name of the cell.
    pub label: String,
    /// Where the importer looked.
    #[serde(serialize_with = "ser_loc")]
    pub loc: Option<Loc>,
    /// The published text, when there was some.
    pub text: Option<String>,
    /// Why, in Chinese.
    pub reason: String,
}

/// A published label taken as a misprint of an official one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FuzzyMatch {
    #[serde(serialize_with = "ser_loc1")]
    pub loc: Loc,
    /// As published.
    pub found: String,
    /// The official label it was taken for.
    pub label: String,
    /// Similarity in [0, 1] (2·LCS/(a+b) after normalisation).
    pub score: f32,
}

fn ser_loc<S: serde::Serializer>(loc: &Option<Loc>, s: S) -> Result<S::Ok, S::Error> {
    match loc {
        Some(l) => s.serialize_str(&l.to_string()),
        None => s.serialize_none(),
    }
}

fn ser_loc1<S: serde::Serializer>(loc: &Loc, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&loc.to_string())
}

/// Counts of the report's cells (variant rows not printed are not counted).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub cells: usize,
    /// Cells holding a number.
    pub read: usize,
    pub blank: usize,
    pub not_applicable: usize,
    pub unreadable: usize,
}

/// An imported report and what the import found.
#[derive(Debug, Clone, Serialize)]
pub struct Imported {
    #[serde(skip)]
    pub report: Report,
    pub form: Form,
    pub encoding: &'static str,
    #[serde(serialize_with = "ser_edition")]
    pub edition: Edition,
    /// Why this edition, in Chinese.
    pub edition_reason: String,
    pub counts: Counts,
    pub unreadable: Vec<Unreadable>,
    pub fuzzy: Vec<FuzzyMatch>,
    /// Everything else worth knowing, in Chinese.
    pub notes: Vec<String>,
}

fn ser_edition<S: serde::Serializer>(e: &Edition, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u32(e.number())
}

impl Imported {
    /// Every cell was read.
    pub fn is_complete(&self) -> bool {
        self.unreadable.is_empty()
    }

    /// The short import report, for people (Chinese, one item a line).
    pub fn summary(&self) -> String {
        let mut s = String::new();
        let r = &self.report;
        let _ = writeln!(
            s,
            "{} {}年 · {}年版 · {} · {}",
            if r.org.name.is_empty() {
                "（名称未知）"
            } else {
                &r.org.name
            },
            r.year,
            self.edition,
            self.form,
            self.encoding
        );
        let _ = writeln!(s, "版本：{}", self.edition_reason);
        let c = self.counts;
        let _ = writeln!(
            s,
            "单元格：共{}个，读取{}个，空白{}个，不适用{}个，无法读取{}个",
            c.cells, c.read, c.blank, c.not_applicable, c.unreadable
        );
        for f in &self.fuzzy {
            let _ = writeln!(
                s,
                "近似匹配：{}「{}」→「{}」（相似度{:.2}）",
                f.loc, f.found, f.label, f.score
            );
        }
        for u in &self.unreadable {
            let _ = write!(s, "无法读取：{} {}：{}", u.key, u.label, u.reason);
            if let Some(l) = u.loc {
                let _ = write!(s, "（{l}）");
            }
            s.push('\n');
        }
        for n in &self.notes {
            let _ = writeln!(s, "注：{n}");
        }
        s
    }
}

/// Imports a published report from its bytes; `name_hint` is the file name, if any.
pub fn import_bytes(bytes: &[u8], name_hint: Option<&str>) -> Result<Imported, ImportError> {
    import(
        bytes,
        &ImportOptions {
            name_hint: name_hint.map(str::to_string),
            ..ImportOptions::default()
        },
    )
}

/// Imports a published report from its bytes.
pub fn import(bytes: &[u8], opts: &ImportOptions) -> Result<Imported, ImportError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ImportError::Empty);
    }
    if decode::is_pdf(bytes) {
        let text = decode::pdf_to_text(bytes)?;
        let blocks = readers::layout(&text);
        return import_blocks(&blocks, Form::Pdf, "PDF", 0, opts);
    }
    let decoded = decode::decode(bytes)?;
    let text = decoded.text.as_ref();
    let form = detect_form(text, opts.name_hint.as_deref());
    let owned;
    let blocks: &[Block<'_>] = match form {
        Form::Html => {
            owned = html::read(text);
            &owned
        }
        Form::Markdown => &readers::markdown(text),
        Form::PdfText | Form::Pdf => &readers::layout(text),
        Form::FlatText => &readers::flat(text),
    };
    import_blocks(blocks, form, decoded.encoding, decoded.replaced, opts)
}

/// Chooses the form: by extension, then by content.
pub fn detect_form(text: &str, name_hint: Option<&str>) -> Form {
    let lower = name_hint.unwrap_or("").to_ascii_lowercase();
    if [".html", ".htm", ".xhtml", ".shtml"]
        .iter()
        .any(|e| lower.ends_with(e))
    {
        return Form::Html;
    }
    if [".md", ".markdown"].iter().any(|e| lower.ends_with(e)) {
        return Form::Markdown;
    }
    let mut end = text.len().min(1 << 16);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    if text[..end].contains('<') {
        let head = text[..end].to_ascii_lowercase();
        if [
            "<html",
            "<table",
            "<!doctype html",
            "<body",
            "</p>",
            "</div>",
        ]
        .iter()
        .any(|t| head.contains(t))
        {
            return Form::Html;
        }
    }
    let mut pipes = 0usize;
    let mut separator = false;
    let mut aligned = 0usize;
    for line in text.lines().take(20_000) {
        let t = line.trim();
        if t.starts_with('|') {
            pipes += 1;
            separator |= t.len() > 3
                && t.bytes().all(|b| matches!(b, b'|' | b'-' | b':' | b' '))
                && t.contains("---");
        } else if line.contains("  ") && line.bytes().any(|b| b.is_ascii_digit()) {
            let cells = readers::layout_cells(line);
            let values = cells
                .iter()
                .filter(|c| normalize::is_value(&c.text))
                .count();
            if values >= 2 && cells.len() > values {
                aligned += 1;
            }
        }
    }
    if pipes >= 3 && separator {
        Form::Markdown
    } else if aligned >= 4 {
        Form::PdfText
    } else {
        Form::FlatText
    }
}

/// The first block at or after `from` whose text is a label of table 4 only.
fn t4_anchor(blocks: &[Block<'_>], from: usize, to: usize) -> Option<usize> {
    let lex = Lexicon::get();
    (from..to).find(|&i| {
        let b = &blocks[i];
        let texts: Vec<&str> = if b.cells.is_empty() {
            vec![b.text.as_ref()]
        } else {
            b.cells.iter().map(|c| c.text.as_ref()).collect()
        };
        texts.iter().any(|t| {
            lex.exact(&normalize::label_key(t))
                .is_some_and(|m| m.entries.iter().all(|&e| lex.entry(e).role.table() == "t4"))
        })
    })
}

/// The first block at or after `from` with a label of tables 2 or 3.
fn tables_anchor(blocks: &[Block<'_>], from: usize, to: usize) -> Option<usize> {
    let lex = Lexicon::get();
    (from..to).find(|&i| {
        let b = &blocks[i];
        let texts: Vec<&str> = if b.cells.is_empty() {
            vec![b.text.as_ref()]
        } else {
            b.cells.iter().map(|c| c.text.as_ref()).collect()
        };
        texts.iter().any(|t| {
            t.chars().count() >= 4
                && lex.exact(&normalize::label_key(t)).is_some_and(|m| {
                    m.entries.iter().any(|&e| {
                        matches!(
                            lex.entry(e).role,
                            Role::BlockTitle { .. } | Role::Row { .. }
                        )
                    })
                })
        })
    })
}

/// The first year 「20xx年」 in a text.
fn year_in(text: &str) -> Option<u32> {
    let b = text.as_bytes();
    (0..b.len().saturating_sub(3)).find_map(|i| {
        let digits = b[i..i + 4].iter().all(u8::is_ascii_digit);
        let before = i == 0 || !b[i - 1].is_ascii_digit();
        if digits && before && text[i + 4..].starts_with('年') {
            text[i..i + 4]
                .parse()
                .ok()
                .filter(|y| (2000..=2100).contains(y))
        } else {
            None
        }
    })
}

fn import_blocks(
    blocks: &[Block<'_>],
    form: Form,
    encoding: &'static str,
    replaced: usize,
    opts: &ImportOptions,
) -> Result<Imported, ImportError> {
    let mut notes = Vec::new();
    if replaced > 0 {
        notes.push(format!("输入中有{replaced}个字符无法按{encoding}解码"));
    }
    let o = outline::outline(blocks);
    if o.more_titles > 0 {
        notes.push(format!(
            "输入中还有其他报告（其后另有{}个报告标题），只导入了第一份",
            o.more_titles
        ));
    }
    let end = o.end;
    let blocks = &blocks[..end];
    let h = |n: u8| o.heading(n);
    let intro = h(1)
        .map(|b| b + 1)
        .or(o.title.as_ref().map(|t| t.block + 1))
        .unwrap_or(0);
    let tables_start = [h(2), h(3), h(4)]
        .into_iter()
        .flatten()
        .min()
        .or_else(|| tables_anchor(blocks, intro, end))
        .unwrap_or(end);
    let last_table_heading = [h(2), h(3), h(4)]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(tables_start);
    let tables_end = o
        .headings
        .iter()
        .filter(|(b, n)| *b > last_table_heading && !(2..=4).contains(n))
        .map(|(b, _)| *b)
        .min()
        .unwrap_or(end);
    let t4_block = h(4)
        .filter(|&b| b >= tables_start && b < tables_end)
        .or_else(|| {
            let from = h(3).unwrap_or(tables_start);
            t4_anchor(blocks, from, tables_end)
        })
        .unwrap_or(tables_end);
    let sep = tables::separator(blocks);
    // A region's heading is not part of its table.
    let skip_heading = |b: usize, n: u8| if h(n) == Some(b) { b + 1 } else { b };
    let t2_from = skip_heading(tables_start, 2).min(t4_block);
    let t4_units_from = skip_heading(t4_block, 4).min(tables_end);
    let mut units = tables::units(&blocks[t2_from..t4_block], blocks.get(t4_block), sep);
    let t4_from = units.len();
    units.extend(tables::units(
        &blocks[t4_units_from.min(tables_end)..tables_end],
        blocks.get(tables_end),
        sep,
    ));

    let rows_found = units
        .iter()
        .filter(|u| {
            u.label.as_ref().is_some_and(|m| {
                let lex = Lexicon::get();
                m.entries
                    .iter()
                    .any(|&e| matches!(lex.entry(e).role, Role::Row { .. }))
            })
        })
        .count();
    if rows_found == 0 {
        let detail = if o.titles > 1 {
            format!(
                "页面上有{}个报告标题，但没有报告的表格：这像是报告列表页",
                o.titles
            )
        } else if o.titles == 1 {
            "有报告标题，但没有找到表二、表三、表四的任何行".to_string()
        } else {
            "没有找到报告标题，也没有找到表二、表三、表四的任何行".to_string()
        };
        return Err(ImportError::NoReport(detail));
    }

    // Year and name.
    let title_year = o.title.as_ref().and_then(|t| t.year);
    let year = match opts.year.or(title_year) {
        Some(y) => y,
        None => {
            // The text before the tables: preamble and 一、总体情况.
            let found = blocks[..tables_start.min(blocks.len())]
                .iter()
                .find_map(|b| year_in(&b.text));
            match found {
                Some(y) => {
                    notes.push(format!("标题中没有年份，按正文中首次出现的{y}年"));
                    y
                }
                None => return Err(ImportError::NoYear),
            }
        }
    };
    let name = match (&opts.org_name, &o.title) {
        (Some(n), _) => n.clone(),
        (None, Some(t)) => t.name.clone(),
        (None, None) => {
            notes.push("没有找到报告标题，机关名称未知".to_string());
            String::new()
        }
    };

    // Edition.
    let ev = tables::edition_evidence(&units);
    let list = |v: &Vec<&str>| {
        let mut s: Vec<String> = v.iter().take(4).map(|l| format!("「{l}」")).collect();
        if v.len() > 4 {
            s.push(format!("等{}个", v.len()));
        }
        s.concat()
    };
    let (edition, reason) = if let Some(e) = opts.edition {
        (e, format!("按指定的{e}年版"))
    } else if ev[0].len() != ev[1].len() {
        let (e, mine, theirs) = if ev[0].len() > ev[1].len() {
            (Edition::E2019, &ev[0], &ev[1])
        } else {
            (Edition::E2021, &ev[1], &ev[0])
        };
        let mut r = format!("表中有{e}年版特有的标签{}", list(mine));
        if !theirs.is_empty() {
            let other = if e == Edition::E2019 { 2021 } else { 2019 };
            let _ = write!(r, "；也有{other}年版的{}", list(theirs));
        }
        (e, r)
    } else {
        let e = Edition::for_year(year);
        (
            e,
            format!("表中没有版本特有的标签，按报告年份{year}年定为{e}年版"),
        )
    };

    let region = blocks.get(tables_start).map(|b| b.loc).unwrap_or_default();
    let mut read = tables::read(&units, t4_from, edition, region);
    notes.append(&mut read.notes);

    // Assemble.
    let t = edition.template();
    let mut builder = CellsBuilder::new(edition);
    // Variant rows (the single （六）其他处理 row of a 2021-edition report), from the template:
    // printed alone, the variant is read; printed beside the rows it stands for, it is not.
    let mut skipped_variants: Vec<String> = Vec::new();
    for table in &t.tables {
        for row in table.blocks.iter().flat_map(|b| &b.rows) {
            let Presence::InsteadOf(others) = row.presence else {
                continue;
            };
            if !read.rows.contains(&format!("{}.{}", table.key, row.key)) {
                continue;
            }
            let table_name = table.name();
            if others
                .iter()
                .any(|o| read.rows.contains(&format!("{}.{o}", table.key)))
            {
                notes.push(format!(
                    "{table_name}同时印有{}的单行与其分行，单行的数值未导入",
                    row.label
                ));
                skipped_variants.push(format!("{}.{}.", table.key, row.key));
            } else {
                notes.push(format!(
                    "这份{edition}年版报告的{table_name}只印了旧版式的{}单行，按该行读取",
                    row.label
                ));
            }
        }
    }
    for (ix, cell) in read.cells.iter().enumerate() {
        let Some(cell) = cell else { continue };
        let key = &t.cells[ix].key;
        if skipped_variants.iter().any(|p| key.starts_with(p.as_str())) {
            continue;
        }
        // A key is placed once: the table reader keeps the first of a repeated row.
        let _ = builder.set(key, cell.clone());
    }
    let cells = builder
        .finish()
        .map_err(|e| ImportError::NoReport(e.to_string()))?;
    let narrative = outline::narrative(blocks, &o, tables_start);
    let report = Report {
        org: Org {
            id: opts.org_id.clone(),
            name,
        },
        year,
        edition,
        narrative,
        cells,
    };
    let unreadable_keys: BTreeSet<&str> = read.unreadable.iter().map(|u| u.key.as_str()).collect();
    let mut counts = Counts::default();
    for (def, cell) in t.cells.iter().zip(&report.cells) {
        if cell.value == Value::Absent {
            continue;
        }
        counts.cells += 1;
        if unreadable_keys.contains(def.key.as_str()) {
            counts.unreadable += 1;
            continue;
        }
        match cell.value {
            Value::Blank => counts.blank += 1,
            Value::NotApplicable => counts.not_applicable += 1,
            Value::Int(_) | Value::Amount(_) => counts.read += 1,
            Value::Absent => {}
        }
    }
    let mut unreadable = read.unreadable;
    unreadable.sort_by_key(|u| t.ix(&u.key));
    Ok(Imported {
        report,
        form,
        encoding,
        edition,
        edition_reason: reason,
        counts,
        unreadable,
        fuzzy: read.fuzzy,
        notes,
    })
}
