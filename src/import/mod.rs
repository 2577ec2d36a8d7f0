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

pub mod bodies;
mod decode;
mod deduce;
mod doc;
mod html;
mod joined;
mod lexicon;
mod normalize;
mod outline;
mod readers;
mod regions;
mod tables;
mod title;

use std::collections::{BTreeSet, HashSet};
use std::fmt::Write as _;

use serde::Serialize;

pub use decode::MAX_INPUT;
pub use deduce::Deduced;
pub use doc::{Form, Loc};

use crate::model::{Cell, CellsBuilder, Org, Report, Value};
use crate::template::{Edition, Presence};
use doc::Block;
use lexicon::{Lexicon, Role};
use regions::Regions;

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
    /// Cells of damaged rows deduced from the identities (counted among `read`, `blank`
    /// or `not_applicable` too).
    pub deduced: usize,
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
    /// Cells of damaged rows deduced from the identities (see [`deduce`]).
    pub deduced: Vec<Deduced>,
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
            "单元格：共{}个，读取{}个，空白{}个，不适用{}个，无法读取{}个{}",
            c.cells,
            c.read,
            c.blank,
            c.not_applicable,
            c.unreadable,
            if c.deduced > 0 {
                format!("（其中{}个由勾稽关系推断）", c.deduced)
            } else {
                String::new()
            }
        );
        for f in &self.fuzzy {
            let _ = writeln!(
                s,
                "近似匹配：{}「{}」→「{}」（相似度{:.2}）",
                f.loc, f.found, f.label, f.score
            );
        }
        for d in &self.deduced {
            let _ = writeln!(
                s,
                "推断：{} {}：由「{}」按{}确定",
                d.key,
                d.label,
                d.printed,
                if d.identities.is_empty() {
                    "唯一的拆分方式".to_string()
                } else {
                    d.identities.join("、")
                }
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
    let unjoined;
    let owned;
    let blocks: &[Block<'_>] = match form {
        Form::Html => {
            owned = html::read(text);
            &owned
        }
        Form::Markdown => &readers::markdown(text),
        Form::PdfText | Form::Pdf => &readers::layout(text),
        Form::FlatText => match joined::unjoin(text) {
            Some(flat) => {
                unjoined = flat;
                owned = readers::flat(&unjoined);
                &owned
            }
            None => &readers::flat(text),
        },
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

/// Imports one report from the blocks of its input: finds the tables, reads the year, name
/// and edition, reads the tables and assembles the report.
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
    let blocks = &blocks[..o.end];
    let regions = Regions::find(blocks, &o);
    let (units, t4_from) = regions.units(blocks, &o);
    if !units.iter().any(has_row_label) {
        return Err(no_report(&o));
    }
    let before_tables = &blocks[..regions.tables_start.min(blocks.len())];
    let year = year(opts, &o, before_tables, &mut notes)?;
    let name = name(opts, &o, &mut notes);
    let (edition, edition_reason) = edition(opts, &units, year);

    let region = blocks
        .get(regions.tables_start)
        .map(|b| b.loc)
        .unwrap_or_default();
    let mut read = tables::read(&units, t4_from, edition, region);
    let deduced = deduce::resolve(edition.template(), &mut read);
    notes.append(&mut read.notes);
    let skipped = skipped_variants(edition, &read.rows, &mut notes);
    let report = Report {
        org: Org {
            id: opts.org_id.clone(),
            name,
        },
        year,
        edition,
        narrative: outline::narrative(blocks, &o, regions.tables_start),
        cells: cells(edition, &read.cells, &skipped)?,
    };
    let mut counts = counts(&report, &read.unreadable);
    counts.deduced = deduced.len();
    let t = edition.template();
    let mut unreadable = read.unreadable;
    unreadable.sort_by_key(|u| t.ix(&u.key));
    Ok(Imported {
        report,
        form,
        encoding,
        edition,
        edition_reason,
        counts,
        unreadable,
        deduced,
        fuzzy: read.fuzzy,
        notes,
    })
}

/// Whether a unit's label is a row label of any table.
fn has_row_label(u: &tables::Unit) -> bool {
    u.label.as_ref().is_some_and(|m| {
        let lex = Lexicon::get();
        m.entries
            .iter()
            .any(|&e| matches!(lex.entry(e).role, Role::Row { .. }))
    })
}

/// Why an input with no row of any table holds no report.
fn no_report(o: &outline::Outline) -> ImportError {
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
    ImportError::NoReport(detail)
}

/// The report's year: given, else from the title, else the first year in the text before
/// the tables (preamble and 一、总体情况), with a note.
fn year(
    opts: &ImportOptions,
    o: &outline::Outline,
    before_tables: &[Block<'_>],
    notes: &mut Vec<String>,
) -> Result<u32, ImportError> {
    let title_year = o.title.as_ref().and_then(|t| t.year);
    if let Some(y) = opts.year.or(title_year) {
        return Ok(y);
    }
    let y = before_tables
        .iter()
        .find_map(|b| title::year_in(&b.text))
        .ok_or(ImportError::NoYear)?;
    notes.push(format!("标题中没有年份，按正文中首次出现的{y}年"));
    Ok(y)
}

/// The body's name: given, else from the title, else unknown (with a note).
fn name(opts: &ImportOptions, o: &outline::Outline, notes: &mut Vec<String>) -> String {
    match (&opts.org_name, &o.title) {
        (Some(n), _) => n.clone(),
        (None, Some(t)) => t.name.clone(),
        (None, None) => {
            notes.push("没有找到报告标题，机关名称未知".to_string());
            String::new()
        }
    }
}

/// The edition and why, in Chinese: given; else the edition more of whose own labels are
/// printed; else the one in force in the report's year.
fn edition(opts: &ImportOptions, units: &[tables::Unit], year: u32) -> (Edition, String) {
    if let Some(e) = opts.edition {
        return (e, format!("按指定的{e}年版"));
    }
    let ev = tables::edition_evidence(units);
    let list = |v: &Vec<&str>| {
        let mut s: Vec<String> = v.iter().take(4).map(|l| format!("「{l}」")).collect();
        if v.len() > 4 {
            s.push(format!("等{}个", v.len()));
        }
        s.concat()
    };
    if ev[0].len() == ev[1].len() {
        let e = Edition::for_year(year);
        return (
            e,
            format!("表中没有版本特有的标签，按报告年份{year}年定为{e}年版"),
        );
    }
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
}

/// Variant rows (the single （六）其他处理 row of a 2021-edition report), from the template:
/// printed alone, the variant is read; printed beside the rows it stands for, it is not. The
/// key prefixes (`t3.other.`) of the variants not read, with a note for each variant printed.
fn skipped_variants(
    edition: Edition,
    rows: &HashSet<String>,
    notes: &mut Vec<String>,
) -> Vec<String> {
    let mut skipped: Vec<String> = Vec::new();
    for table in &edition.template().tables {
        for row in table.blocks.iter().flat_map(|b| &b.rows) {
            let Presence::InsteadOf(others) = row.presence else {
                continue;
            };
            if !rows.contains(&format!("{}.{}", table.key, row.key)) {
                continue;
            }
            let table_name = table.name();
            if others
                .iter()
                .any(|o| rows.contains(&format!("{}.{o}", table.key)))
            {
                notes.push(format!(
                    "{table_name}同时印有{}的单行与其分行，单行的数值未导入",
                    row.label
                ));
                skipped.push(format!("{}.{}.", table.key, row.key));
            } else {
                notes.push(format!(
                    "这份{edition}年版报告的{table_name}只印了旧版式的{}单行，按该行读取",
                    row.label
                ));
            }
        }
    }
    skipped
}

/// The report's cells from the cells read, without the skipped variant rows.
fn cells(
    edition: Edition,
    read: &[Option<Cell>],
    skipped: &[String],
) -> Result<Vec<Cell>, ImportError> {
    let t = edition.template();
    let mut builder = CellsBuilder::new(edition);
    for (ix, cell) in read.iter().enumerate() {
        let Some(cell) = cell else { continue };
        let key = &t.cells[ix].key;
        if skipped.iter().any(|p| key.starts_with(p.as_str())) {
            continue;
        }
        // A key is placed once: the table reader keeps the first of a repeated row.
        let _ = builder.set(key, cell.clone());
    }
    builder
        .finish()
        .map_err(|e| ImportError::NoReport(e.to_string()))
}

/// Counts of the report's cells; `unreadable` cells are counted as such whatever they hold.
fn counts(report: &Report, unreadable: &[Unreadable]) -> Counts {
    let unreadable_keys: BTreeSet<&str> = unreadable.iter().map(|u| u.key.as_str()).collect();
    let mut counts = Counts::default();
    for (def, cell) in report.template().cells.iter().zip(&report.cells) {
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
    counts
}
