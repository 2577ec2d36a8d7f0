//! Report files: JSON and YAML keyed by the cell keys, and the flat cell view.
//!
//! JSON and YAML nest the cell key: `{"t3": {"new": {"natural": 0}}}` is `t3.new.natural`.
//! A cell is `null` (blank), a number (count), a string (`"/"` not applicable, `"7730.28"` an
//! amount), or `{"value": …, "raw": "22（其中修订16件）"}` when the published text held more.
//! Unknown fields, duplicate keys and malformed values are rejected with the line and key.

use std::collections::HashSet;
use std::fmt;

use rust_decimal::Decimal;
use serde::de::{self, DeserializeSeed, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

use crate::model::{parse_value, Cell, CellsBuilder, Narrative, Org, Report, Value};
use crate::template::{Edition, Kind, Template};

/// A report file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Yaml,
    /// The flat `key=value` cell view.
    Cells,
}

impl Format {
    /// Guesses the format from the file name, then from the content.
    pub fn detect(path: &str, text: &str) -> Format {
        let lower = path.to_ascii_lowercase();
        if lower.ends_with(".json") {
            return Format::Json;
        }
        if lower.ends_with(".yaml") || lower.ends_with(".yml") {
            return Format::Yaml;
        }
        if lower.ends_with(".cells") {
            return Format::Cells;
        }
        let first = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('#'))
            .unwrap_or("");
        if first.starts_with('{') {
            Format::Json
        } else if first.contains('=') && !first.contains(':') {
            Format::Cells
        } else {
            Format::Yaml
        }
    }
}

/// Why a file could not be read as a report. `Display` gives line, key and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", location(*line, *column))]
pub struct ParseError {
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

fn location(line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!("line {l}, column {c}: "),
        (Some(l), None) => format!("line {l}: "),
        _ => String::new(),
    }
}

impl ParseError {
    fn at(line: usize, message: impl Into<String>) -> ParseError {
        ParseError {
            line: Some(line),
            column: None,
            message: message.into(),
        }
    }
}

/// Reads a report in the given format.
pub fn parse(text: &str, format: Format) -> Result<Report, ParseError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    match format {
        Format::Json => parse_json(text),
        Format::Yaml => parse_yaml(text),
        Format::Cells => parse_cells(text),
    }
}

/// Writes a report in the given format.
pub fn write(report: &Report, format: Format) -> String {
    match format {
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&Doc(report)).unwrap_or_default();
            s.push('\n');
            s
        }
        Format::Yaml => serde_yaml_ng::to_string(&Doc(report)).unwrap_or_default(),
        Format::Cells => cells_view(report),
    }
}

// ------------------------------------------------------------------------------ JSON / YAML

#[derive(serde::Deserialize)]
struct Peek {
    #[serde(default)]
    year: Option<serde_json::Value>,
    #[serde(default)]
    edition: Option<serde_json::Value>,
}

fn edition_of(peek: Peek) -> Result<Edition, String> {
    if let Some(e) = peek.edition {
        return match e.as_u64().and_then(|n| u32::try_from(n).ok()) {
            Some(n) => Edition::from_number(n)
                .ok_or_else(|| format!("edition: unknown edition {n}; expected 2019 or 2021")),
            None => Err(format!("edition: expected 2019 or 2021, found {e}")),
        };
    }
    match peek.year.as_ref().and_then(|y| y.as_u64()) {
        Some(y) => Ok(Edition::for_year(u32::try_from(y).unwrap_or(u32::MAX))),
        None => Err("missing field `edition` (2019 or 2021) and `year`".to_string()),
    }
}

fn parse_json(text: &str) -> Result<Report, ParseError> {
    let json_err = |e: serde_json::Error| ParseError {
        line: (e.line() > 0).then_some(e.line()),
        column: (e.column() > 0).then_some(e.column()),
        message: strip_position(&e.to_string()),
    };
    let peek: Peek = serde_json::from_str(text).map_err(json_err)?;
    let edition = edition_of(peek).map_err(|message| ParseError {
        line: None,
        column: None,
        message,
    })?;
    let mut de = serde_json::Deserializer::from_str(text);
    let report = DocSeed { edition }.deserialize(&mut de).map_err(json_err)?;
    de.end().map_err(json_err)?;
    Ok(report)
}

fn parse_yaml(text: &str) -> Result<Report, ParseError> {
    let yaml_err = |e: serde_yaml_ng::Error| {
        let loc = e.location();
        ParseError {
            line: loc.as_ref().map(|l| l.line()),
            column: loc.as_ref().map(|l| l.column()),
            message: strip_position(&e.to_string()),
        }
    };
    let peek_value: serde_yaml_ng::Value = serde_yaml_ng::from_str(text).map_err(yaml_err)?;
    let get = |k: &str| {
        peek_value
            .get(k)
            .and_then(|v| v.as_u64())
            .map(serde_json::Value::from)
    };
    let peek = Peek {
        year: get("year"),
        edition: peek_value.get("edition").map(|v| {
            v.as_u64()
                .map(serde_json::Value::from)
                .unwrap_or_else(|| serde_json::Value::String(format!("{v:?}")))
        }),
    };
    let edition = edition_of(peek).map_err(|message| ParseError {
        line: None,
        column: None,
        message,
    })?;
    let de = serde_yaml_ng::Deserializer::from_str(text);
    DocSeed { edition }.deserialize(de).map_err(yaml_err)
}

/// serde's messages end in " at line X column Y"; we report the position separately.
fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

const TOP_FIELDS: &[&str] = &["year", "edition", "org", "narrative", "t2", "t3", "t4"];

struct DocSeed {
    edition: Edition,
}

impl<'de> DeserializeSeed<'de> for DocSeed {
    type Value = Report;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Report, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for DocSeed {
    type Value = Report;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a report: a map with year, edition, org, narrative, t2, t3, t4")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Report, A::Error> {
        let mut builder = CellsBuilder::new(self.edition);
        let mut seen = HashSet::new();
        let mut year: Option<u32> = None;
        let mut org = Org::default();
        let mut narrative = Narrative::default();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                return Err(de::Error::custom(format!("duplicate key `{key}`")));
            }
            match key.as_str() {
                "year" => year = Some(map.next_value()?),
                "edition" => {
                    let _: u32 = map.next_value()?;
                }
                "org" => org = map.next_value()?,
                "narrative" => narrative = map.next_value()?,
                "t2" | "t3" | "t4" => {
                    let table = builder
                        .template()
                        .table(&key)
                        .map(|t| t.key)
                        .unwrap_or("t2");
                    map.next_value_seed(TableSeed {
                        table,
                        builder: &mut builder,
                    })?;
                }
                other => return Err(de::Error::unknown_field(other, TOP_FIELDS)),
            }
        }
        let year = year.ok_or_else(|| de::Error::missing_field("year"))?;
        let cells = builder.finish().map_err(de::Error::custom)?;
        Ok(Report {
            org,
            year,
            edition: self.edition,
            narrative,
            cells,
        })
    }
}

struct TableSeed<'a> {
    table: &'static str,
    builder: &'a mut CellsBuilder,
}

impl<'de> DeserializeSeed<'de> for TableSeed<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TableSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a map of the rows of table {}", self.table)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = HashSet::new();
        while let Some(row) = map.next_key::<String>()? {
            let row_key = format!("{}.{row}", self.table);
            if !seen.insert(row.clone()) {
                return Err(de::Error::custom(format!("{row_key}: duplicate key")));
            }
            let t = self.builder.template();
            if t.row_cells(&row_key).next().is_none() {
                return Err(de::Error::custom(unknown_row(t, self.table, &row)));
            }
            map.next_value_seed(RowSeed {
                row_key: &row_key,
                builder: self.builder,
            })?;
        }
        Ok(())
    }
}

fn unknown_row(t: &Template, table: &str, row: &str) -> String {
    let rows: Vec<&str> = t
        .table(table)
        .map(|tb| {
            tb.blocks
                .iter()
                .flat_map(|b| b.rows.iter().map(|r| r.key))
                .collect()
        })
        .unwrap_or_default();
    let other = Edition::ALL.into_iter().find(|e| {
        *e != t.edition
            && e.template()
                .row_cells(&format!("{table}.{row}"))
                .next()
                .is_some()
    });
    match other {
        Some(o) => format!(
            "{table}.{row}: a row of the {o} edition, not of the {} edition",
            t.edition
        ),
        None => format!(
            "{table}.{row}: unknown row; expected one of {}",
            rows.join(", ")
        ),
    }
}

struct RowSeed<'a> {
    row_key: &'a str,
    builder: &'a mut CellsBuilder,
}

impl<'de> DeserializeSeed<'de> for RowSeed<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RowSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a map of the cells of row {}", self.row_key)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let t = self.builder.template();
        while let Some(col) = map.next_key::<String>()? {
            let key = format!("{}.{col}", self.row_key);
            let Some(ix) = t.ix(&key) else {
                let cols: Vec<&str> = t
                    .row_cells(self.row_key)
                    .map(|c| t.cell(c).column.key)
                    .collect();
                return Err(de::Error::custom(format!(
                    "{key}: unknown column; expected one of {}",
                    cols.join(", ")
                )));
            };
            let cell = map.next_value_seed(CellSeed {
                kind: t.cell(ix).kind(),
                key: &key,
                nested: false,
            })?;
            self.builder.set(&key, cell).map_err(de::Error::custom)?;
        }
        Ok(())
    }
}

struct CellSeed<'a> {
    kind: Kind,
    key: &'a str,
    nested: bool,
}

impl<'de> DeserializeSeed<'de> for CellSeed<'_> {
    type Value = Cell;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Cell, D::Error> {
        d.deserialize_any(self)
    }
}

impl CellSeed<'_> {
    fn whole<E: de::Error>(&self, n: i128) -> Result<Cell, E> {
        if n.unsigned_abs() >= 1_000_000_000_000_000_000 {
            return Err(E::custom(format!(
                "{}: {n} is too large (at most 18 digits)",
                self.key
            )));
        }
        Ok(Cell::new(match self.kind {
            Kind::Amount => Value::Amount(Decimal::from_i128_with_scale(n, 0)),
            Kind::Count | Kind::Signed => Value::Int(n as i64),
        }))
    }
}

impl<'de> Visitor<'de> for CellSeed<'_> {
    type Value = Cell;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let what = match self.kind {
            Kind::Count => "a whole number",
            Kind::Signed => "a whole number (may be negative)",
            Kind::Amount => "an exact decimal amount in 万元 (like \"7730.28\")",
        };
        write!(
            f,
            "{}: {what}, null for blank, \"/\" for not applicable, or {{value, raw}}",
            self.key
        )
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Cell, E> {
        self.whole(n as i128)
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Cell, E> {
        self.whole(n as i128)
    }

    fn visit_u128<E: de::Error>(self, n: u128) -> Result<Cell, E> {
        self.whole(i128::try_from(n).unwrap_or(i128::MAX))
    }

    fn visit_f64<E: de::Error>(self, f: f64) -> Result<Cell, E> {
        if self.kind != Kind::Amount {
            return Err(E::custom(format!(
                "{}: expected a whole number, found {f}",
                self.key
            )));
        }
        if !f.is_finite() {
            return Err(E::custom(format!(
                "{}: expected an exact decimal, found {f}",
                self.key
            )));
        }
        // Rust prints the shortest text that reads back as the same f64: the digits written.
        self.visit_str(&f.to_string())
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Cell, E> {
        let value =
            parse_value(s, self.kind).map_err(|e| E::custom(format!("{}: {e}", self.key)))?;
        let raw = (value == Value::NotApplicable && s.trim() != "/").then(|| s.to_string());
        Ok(Cell { value, raw })
    }

    fn visit_unit<E: de::Error>(self) -> Result<Cell, E> {
        Ok(Cell::BLANK)
    }

    fn visit_none<E: de::Error>(self) -> Result<Cell, E> {
        Ok(Cell::BLANK)
    }

    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Cell, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Cell, A::Error> {
        if self.nested {
            return Err(de::Error::custom(format!(
                "{}: a value cannot be a map",
                self.key
            )));
        }
        let mut value: Option<Cell> = None;
        let mut raw: Option<String> = None;
        while let Some(k) = map.next_key::<String>()? {
            match k.as_str() {
                "value" if value.is_none() => {
                    value = Some(map.next_value_seed(CellSeed {
                        kind: self.kind,
                        key: self.key,
                        nested: true,
                    })?)
                }
                "raw" if raw.is_none() => raw = Some(map.next_value()?),
                "value" | "raw" => {
                    return Err(de::Error::custom(format!(
                        "{}: duplicate key `{k}`",
                        self.key
                    )))
                }
                other => return Err(de::Error::unknown_field(other, &["value", "raw"])),
            }
        }
        let mut cell = value.unwrap_or(Cell::BLANK);
        if raw.is_some() {
            cell.raw = raw;
        }
        Ok(cell)
    }
}

/// Serializes a report in the nested file shape.
struct Doc<'a>(&'a Report);

impl Serialize for Doc<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let r = self.0;
        let t = r.template();
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("year", &r.year)?;
        m.serialize_entry("edition", &r.edition.number())?;
        m.serialize_entry("org", &r.org)?;
        if !r.narrative.is_empty() {
            m.serialize_entry("narrative", &r.narrative)?;
        }
        for table in &t.tables {
            m.serialize_entry(table.key, &TableOut(r, table.key))?;
        }
        m.end()
    }
}

struct TableOut<'a>(&'a Report, &'static str);

impl Serialize for TableOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (r, table) = (self.0, self.1);
        let t = r.template();
        let mut m = s.serialize_map(None)?;
        let Some(decl) = t.table(table) else {
            return m.end();
        };
        for block in &decl.blocks {
            for row in &block.rows {
                let row_key = format!("{table}.{}", row.key);
                let present = t
                    .row_cells(&row_key)
                    .any(|c| r.cell(c).value != Value::Absent);
                if present {
                    m.serialize_entry(row.key, &RowOut(r, row_key))?;
                }
            }
        }
        m.end()
    }
}

struct RowOut<'a>(&'a Report, String);

impl Serialize for RowOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let t = self.0.template();
        let mut m = s.serialize_map(None)?;
        for c in t.row_cells(&self.1) {
            m.serialize_entry(t.cell(c).column.key, &CellOut(self.0.cell(c)))?;
        }
        m.end()
    }
}

struct CellOut<'a>(&'a Cell);
struct ValueOut(Value);

impl Serialize for ValueOut {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Blank | Value::Absent => s.serialize_none(),
            Value::NotApplicable => s.serialize_str("/"),
            Value::Int(n) => s.serialize_i64(n),
            Value::Amount(d) => s.serialize_str(&d.to_string()),
        }
    }
}

impl Serialize for CellOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.0.raw {
            None => ValueOut(self.0.value).serialize(s),
            Some(raw) => {
                let mut m = s.serialize_map(Some(2))?;
                m.serialize_entry("value", &ValueOut(self.0.value))?;
                m.serialize_entry("raw", raw)?;
                m.end()
            }
        }
    }
}

// ------------------------------------------------------------------------------ cell view

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

fn parse_cells(text: &str) -> Result<Report, ParseError> {
    let mut year: Option<(u32, usize)> = None;
    let mut edition: Option<Edition> = None;
    let mut org = Org::default();
    let mut seen_meta: HashSet<&str> = HashSet::new();
    let mut cells: Vec<(usize, &str, &str)> = Vec::new();
    let mut raws: Vec<(usize, &str, String)> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        if let Some(comment) = line.trim_start().strip_prefix('#') {
            if let Some(rest) = comment.trim_start().strip_prefix("raw ") {
                let (key, raw) = rest
                    .split_once('=')
                    .ok_or_else(|| ParseError::at(n, "expected `# raw key=text`"))?;
                raws.push((n, key.trim(), unescape(raw)));
            }
            continue;
        }
        let (key, value) = line
            .split_once('=')
            .ok_or_else(|| ParseError::at(n, format!("expected key=value, found {line:?}")))?;
        let key = key.trim();
        let value = value.trim();
        match key {
            "year" | "edition" | "org.id" | "org.name" => {
                if !seen_meta.insert(key) {
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
                        year = Some((y, n));
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
                        edition = Some(e);
                    }
                    "org.id" => org.id = unescape(value),
                    _ => org.name = unescape(value),
                }
            }
            _ => cells.push((n, key, value)),
        }
    }
    let (year, _) = year.ok_or_else(|| ParseError {
        line: None,
        column: None,
        message: "missing `year=` line".into(),
    })?;
    let edition = edition.unwrap_or_else(|| Edition::for_year(year));
    let mut builder = CellsBuilder::new(edition);
    let mut raw_of: std::collections::HashMap<&str, (usize, String)> = Default::default();
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
    let cells = builder.finish().map_err(|e| ParseError {
        line: None,
        column: None,
        message: e.to_string(),
    })?;
    Ok(Report {
        org,
        year,
        edition,
        narrative: Narrative::default(),
        cells,
    })
}

/// A report file that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: not UTF-8 text (byte {offset} is not valid UTF-8)")]
    Encoding { path: String, offset: usize },
    #[error("{path}: {source}")]
    Parse { path: String, source: ParseError },
}

/// Reads a report file (`-` is standard input), choosing the format by name and content.
pub fn read_path(path: &str) -> Result<Report, FileError> {
    let bytes = if path == "-" {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf).map(|_| buf)
    } else {
        std::fs::read(path)
    }
    .map_err(|source| FileError::Io {
        path: path.to_string(),
        source,
    })?;
    let text = String::from_utf8(bytes).map_err(|e| FileError::Encoding {
        path: path.to_string(),
        offset: e.utf8_error().valid_up_to(),
    })?;
    parse(&text, Format::detect(path, &text)).map_err(|source| FileError::Parse {
        path: path.to_string(),
        source,
    })
}
