//! The flat cell view: `key=value` lines in template order.

use std::collections::{HashMap, HashSet};

use super::ParseError;
use crate::model::{Cell, CellsBuilder, Narrative, Org, Report, Value};
use crate::template::Edition;

/// The flat cell view: `year=`, `edition=`, `org.id=`, `org.name=`, then every cell of the
/// report in template order; `# raw key=text` before a cell whose published text held more.
pub fn cells_view(r: &Report) -> String {
    let t = r.template();
    let mut out = String::with_capacity(t.cells.len() * 32);
    out.push_str(&format!("year={}\nedition={}\n", r.year, r.edition));
    out.push_str(&format!(
        "org.id={}\norg.name={}\n",
        escape(&r.org.id),
        escape(&r.org.name)
    ));
    for (def, cell) in t.cells.iter().zip(&r.cells) {
        if cell.value == Value::Absent {
            continue;
        }
        if let Some(raw) = &cell.raw {
            out.push_str(&format!("# raw {}={}\n", def.key, escape(raw)));
        }
        out.push_str(&format!("{}={}\n", def.key, cell.value));
    }
    out
}

fn escape(s: &str) -> String {
    if !s.contains(['\\', '\n', '\r']) {
        return s.to_string();
    }
    s.replace('\\', "\\\\")
        .replace('\n', "\\n")
        .replace('\r', "\\r")
}

fn unescape(s: &str) -> String {
    if !s.contains('\\') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// What the lines of a cell view say: the report's year, edition and body, and its cell and
/// `# raw` lines (line number, key, value or text), before the edition is known.
#[derive(Default)]
struct Lines<'a> {
    year: Option<u32>,
    edition: Option<Edition>,
    org: Org,
    cells: Vec<(usize, &'a str, &'a str)>,
    raws: Vec<(usize, &'a str, String)>,
    /// The report fields given so far (each may be given once).
    seen_meta: HashSet<&'a str>,
}

/// Reads the flat cell view: the lines, then the cells of the edition with their raw texts.
pub(super) fn parse_cells(text: &str) -> Result<Report, ParseError> {
    let mut lines = Lines::default();
    for (i, line) in text.lines().enumerate() {
        lines.line(i + 1, line)?;
    }
    let year = lines
        .year
        .ok_or_else(|| ParseError::whole("missing `year=` line"))?;
    let edition = lines.edition.unwrap_or_else(|| Edition::for_year(year));
    let cells = build(edition, lines.cells, lines.raws)?;
    Ok(Report {
        org: lines.org,
        year,
        edition,
        narrative: Narrative::default(),
        cells,
    })
}

impl<'a> Lines<'a> {
    /// Takes line `n`: blank lines and comments other than `# raw key=text` are passed over.
    fn line(&mut self, n: usize, line: &'a str) -> Result<(), ParseError> {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            return Ok(());
        }
        if let Some(comment) = line.trim_start().strip_prefix('#') {
            if let Some(rest) = comment.trim_start().strip_prefix("raw ") {
                let (key, raw) = rest
                    .split_once('=')
                    .ok_or_else(|| ParseError::at(n, "expected `# raw key=text`"))?;
                self.raws.push((n, key.trim(), unescape(raw)));
            }
            return Ok(());
        }
        let (key, value) = line
            .split_once('=')
            .ok_or_else(|| ParseError::at(n, format!("expected key=value, found {line:?}")))?;
        let key = key.trim();
        let value = value.trim();
        match key {
            "year" | "edition" | "org.id" | "org.name" => self.meta(n, key, value),
            _ => {
                self.cells.push((n, key, value));
                Ok(())
            }
        }
    }

    /// Takes a report field (`year`, `edition`, `org.id`, `org.name`) given on line `n`.
    fn meta(&mut self, n: usize, key: &'a str, value: &str) -> Result<(), ParseError> {
        if !self.seen_meta.insert(key) {
            return Err(ParseError::at(n, format!("{key}: given more than once")));
        }
        match key {
            "year" => {
                let y = value.parse::<u32>().map_err(|_| {
                    ParseError::at(
                        n,
                        format!("year: expected a year like 2020, found {value:?}"),
                    )
                })?;
                self.year = Some(y);
            }
            "edition" => {
                let e = value
                    .parse::<u32>()
                    .ok()
                    .and_then(Edition::from_number)
                    .ok_or_else(|| {
                        ParseError::at(
                            n,
                            format!("edition: expected 2019 or 2021, found {value:?}"),
                        )
                    })?;
                self.edition = Some(e);
            }
            "org.id" => self.org.id = unescape(value),
            _ => self.org.name = unescape(value),
        }
        Ok(())
    }
}

/// The cells of an `edition` report from its cell lines and `# raw` lines: a raw text given
/// twice, or without its cell, is an error.
fn build(
    edition: Edition,
    cells: Vec<(usize, &str, &str)>,
    raws: Vec<(usize, &str, String)>,
) -> Result<Vec<Cell>, ParseError> {
    let mut builder = CellsBuilder::new(edition);
    let mut raw_of: HashMap<&str, (usize, String)> = HashMap::new();
    for (n, key, raw) in raws {
        if raw_of.insert(key, (n, raw)).is_some() {
            return Err(ParseError::at(
                n,
                format!("{key}: raw text given more than once"),
            ));
        }
    }
    for (n, key, value) in cells {
        let raw = raw_of.remove(key).map(|(_, r)| r);
        builder
            .set_text(key, value, raw)
            .map_err(|e| ParseError::at(n, e.to_string()))?;
    }
    if let Some((key, (n, _))) = raw_of.into_iter().min_by_key(|(_, (n, _))| *n) {
        return Err(ParseError::at(
            n,
            format!("{key}: raw text without a `{key}=` line"),
        ));
    }
    builder
        .finish()
        .map_err(|e| ParseError::whole(e.to_string()))
}
