//! JSON and YAML report files: the cell key nested (`{"t3": {"new": {"natural": 0}}}`),
//! read strictly (unknown fields, duplicate keys and malformed values rejected with line and
//! key) and written in template order.

use std::collections::HashSet;
use std::fmt;

use rust_decimal::Decimal;
use serde::de::{self, DeserializeSeed, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

use super::ParseError;
use crate::model::{parse_value, Cell, CellsBuilder, Narrative, Org, Report, Value};
use crate::template::{Edition, Kind, Template};

#[derive(serde::Deserialize)]
#[serde(expecting = "a report: a mapping of year, edition, org, narrative, t2, t3 and t4")]
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

pub(super) fn parse_json(text: &str) -> Result<Report, ParseError> {
    let json_err = |e: serde_json::Error| ParseError {
        line: (e.line() > 0).then_some(e.line()),
        column: (e.column() > 0).then_some(e.column()),
        message: strip_position(&e.to_string()),
    };
    let peek: Peek = serde_json::from_str(text).map_err(json_err)?;
    let edition = edition_of(peek).map_err(ParseError::whole)?;
    let mut de = serde_json::Deserializer::from_str(text);
    let report = DocSeed { edition }.deserialize(&mut de).map_err(json_err)?;
    de.end().map_err(json_err)?;
    Ok(report)
}

pub(super) fn parse_yaml(text: &str) -> Result<Report, ParseError> {
    let yaml_err = |e: serde_yaml_ng::Error| {
        let loc = e.location();
        ParseError {
            line: loc.as_ref().map(|l| l.line()),
            column: loc.as_ref().map(|l| l.column()),
            message: strip_position(&e.to_string()),
        }
    };
    check_depth(text)?;
    let peek_value: serde_yaml_ng::Value = serde_yaml_ng::from_str(text).map_err(yaml_err)?;
    if !peek_value.is_mapping() {
        return Err(ParseError::whole(format!(
            "expected a report (a mapping of year, edition, org, narrative, t2, t3 and t4), found {}",
            match peek_value {
                serde_yaml_ng::Value::Null => "nothing",
                serde_yaml_ng::Value::Sequence(_) => "a list",
                _ => "a single value",
            }
        )));
    }
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
    let edition = edition_of(peek).map_err(ParseError::whole)?;
    let de = serde_yaml_ng::Deserializer::from_str(text);
    DocSeed { edition }.deserialize(de).map_err(yaml_err)
}

/// serde's messages hold " at line X column Y" (YAML's, more than once); we report the
/// position separately, once.
fn strip_position(msg: &str) -> String {
    let mut out = String::with_capacity(msg.len());
    let mut rest = msg;
    while let Some(i) = rest.find(" at line ") {
        out.push_str(&rest[..i]);
        let after = &rest[i + " at line ".len()..];
        let digits = |s: &str| s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let mut n = digits(after);
        if let Some(col) = after[n..].strip_prefix(" column ") {
            n += " column ".len() + digits(col);
        }
        rest = &after[n..];
    }
    out.push_str(rest);
    out
}

/// Deeper than any report file (which nests 4 levels: t3 → new → natural → value).
pub const MAX_DEPTH: usize = 64;

/// Refuses YAML nested deeper than [`MAX_DEPTH`] before parsing it (the parser takes
/// quadratic time on deep nesting): flow brackets, block indentation and `- ` sequences on
/// one line, each counted as a level.
fn check_depth(text: &str) -> Result<(), ParseError> {
    let mut flow = 0usize;
    let mut deepest = 0usize;
    for (i, line) in text.lines().enumerate() {
        let indent = line.len() - line.trim_start().len();
        let mut dashes = 0;
        let mut rest = line.trim_start();
        while let Some(r) = rest.strip_prefix("- ").or_else(|| rest.strip_prefix("? ")) {
            dashes += 1;
            rest = r.trim_start();
        }
        let mut quote: Option<char> = None;
        for c in rest.chars() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '"' | '\'') => quote = Some(c),
                (None, '#') => break,
                (None, '[' | '{') => {
                    flow += 1;
                    deepest = deepest.max(flow);
                }
                (None, ']' | '}') => flow = flow.saturating_sub(1),
                _ => {}
            }
        }
        if deepest > MAX_DEPTH || indent / 2 + dashes > MAX_DEPTH {
            return Err(ParseError::at(
                i + 1,
                format!(
                    "nested deeper than {MAX_DEPTH} levels; a report file nests 4 (t3 → new → natural → value)"
                ),
            ));
        }
    }
    Ok(())
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
                table => {
                    if builder.template().table(table).is_none() {
                        return Err(de::Error::unknown_field(table, TOP_FIELDS));
                    }
                    map.next_value_seed(MapSeed {
                        key: table,
                        level: Level::Table,
                        builder: &mut builder,
                    })?;
                }
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

/// The rows of a table (`t3`) or the cells of a row (`t3.new`), read into the builder.
struct MapSeed<'a> {
    /// `t3` or `t3.new`.
    key: &'a str,
    level: Level,
    builder: &'a mut CellsBuilder,
}

/// What a [`MapSeed`] reads.
#[derive(Debug, Clone, Copy)]
enum Level {
    /// A table: a map of its rows.
    Table,
    /// A row: a map of its cells.
    Row,
}

impl<'de> DeserializeSeed<'de> for MapSeed<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for MapSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self.level {
            Level::Table => write!(f, "a map of the rows of table {}", self.key),
            Level::Row => write!(f, "a map of the cells of row {}", self.key),
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        match self.level {
            Level::Table => self.rows(map),
            Level::Row => self.cells(map),
        }
    }
}

impl MapSeed<'_> {
    /// A table's rows: each a row of the edition, given once.
    fn rows<'de, A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = HashSet::new();
        while let Some(row) = map.next_key::<String>()? {
            let row_key = format!("{}.{row}", self.key);
            if !seen.insert(row.clone()) {
                return Err(de::Error::custom(format!("{row_key}: duplicate key")));
            }
            let t = self.builder.template();
            if t.row_cells(&row_key).next().is_none() {
                return Err(de::Error::custom(unknown_row(t, self.key, &row)));
            }
            map.next_value_seed(MapSeed {
                key: &row_key,
                level: Level::Row,
                builder: self.builder,
            })?;
        }
        Ok(())
    }

    /// A row's cells: each a column of the row.
    fn cells<'de, A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let t = self.builder.template();
        while let Some(col) = map.next_key::<String>()? {
            let key = format!("{}.{col}", self.key);
            let Some(ix) = t.ix(&key) else {
                let cols: Vec<&str> = t
                    .row_cells(self.key)
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

/// Why a row key is not a row of the report's edition: a row of the other edition, or no
/// row at all (with the rows expected).
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
pub(super) struct Doc<'a>(pub(super) &'a Report);

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
