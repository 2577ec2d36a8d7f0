//! The report as the library holds it: metadata, narrative, and one [`Cell`] per template
//! cell, in template order.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;

use crate::template::{CellIx, Edition, Kind, Presence, RowCells, Template};

/// The reporting body.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Org {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub name: String,
}

/// A narrative section: text and optional numbered sub-sections.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Section {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub text: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subsections: Vec<Subsection>,
}

impl Section {
    pub fn is_empty(&self) -> bool {
        self.text.is_empty() && self.subsections.is_empty()
    }

    /// Total length in characters of everything in the section.
    pub fn char_len(&self) -> usize {
        self.text.chars().count()
            + self
                .subsections
                .iter()
                .map(|s| s.title.chars().count() + s.text.chars().count())
                .sum::<usize>()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subsection {
    pub title: String,
    #[serde(default)]
    pub text: String,
}

/// The narrative parts: the preamble before 一, and sections 一, 五 and 六.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Narrative {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub preamble: String,
    /// 一、总体情况
    #[serde(default, skip_serializing_if = "Section::is_empty")]
    pub overview: Section,
    /// 五、存在的主要问题及改进情况
    #[serde(default, skip_serializing_if = "Section::is_empty")]
    pub problems: Section,
    /// 六、其他需要报告的事项
    #[serde(default, skip_serializing_if = "Section::is_empty")]
    pub other: Section,
}

impl Narrative {
    pub fn is_empty(&self) -> bool {
        self.preamble.is_empty()
            && self.overview.is_empty()
            && self.problems.is_empty()
            && self.other.is_empty()
    }
}

/// What a cell says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value {
    /// Printed empty.
    Blank,
    /// Printed "/", "—" or "-": not applicable.
    NotApplicable,
    /// A whole number.
    Int(i64),
    /// An exact decimal in 万元.
    Amount(Decimal),
    /// The row is not part of this report's layout (a variant row not printed).
    Absent,
}

impl Value {
    /// The value as it takes part in a sum: blank and not-applicable count as 0.
    pub fn as_i128(self) -> i128 {
        match self {
            Value::Int(n) => n as i128,
            _ => 0,
        }
    }

    pub fn is_number(self) -> bool {
        matches!(self, Value::Int(_) | Value::Amount(_))
    }
}

impl fmt::Display for Value {
    /// The canonical text: "" for blank, "/" for not applicable, the number otherwise.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Blank | Value::Absent => Ok(()),
            Value::NotApplicable => f.write_str("/"),
            Value::Int(n) => write!(f, "{n}"),
            Value::Amount(d) => write!(f, "{d}"),
        }
    }
}

/// One table cell as published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    pub value: Value,
    /// The published text when it held more than the value (`22（其中修订16件）`, `170万`, `—`).
    pub raw: Option<String>,
}

impl Cell {
    pub const BLANK: Cell = Cell {
        value: Value::Blank,
        raw: None,
    };
    pub const ABSENT: Cell = Cell {
        value: Value::Absent,
        raw: None,
    };

    pub fn new(value: Value) -> Cell {
        Cell { value, raw: None }
    }

    pub fn int(n: i64) -> Cell {
        Cell::new(Value::Int(n))
    }

    /// The text as published: the raw text when kept, the canonical value otherwise.
    pub fn published(&self) -> String {
        match &self.raw {
            Some(r) => r.clone(),
            None => self.value.to_string(),
        }
    }
}

/// Symbols printed for "not applicable".
pub const NOT_APPLICABLE_SYMBOLS: &[&str] = &["/", "／", "—", "——", "-", "－", "–"];

/// Why a cell's text is not a value of its column.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    #[error("expected a whole number, found {0:?}")]
    NotWhole(String),
    #[error("expected a number, found {0:?}")]
    NotNumber(String),
    #[error("{0:?} is too large (at most 18 digits)")]
    TooLarge(String),
    #[error("expected an exact decimal amount in 万元 (like 7730.28), found {0:?}")]
    NotDecimal(String),
}

/// Reads the canonical text of a value for a column of `kind`: "" → blank, "/" (or another
/// not-applicable symbol) → not applicable, otherwise a number of the column's kind.
pub fn parse_value(text: &str, kind: Kind) -> Result<Value, ValueError> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(Value::Blank);
    }
    if NOT_APPLICABLE_SYMBOLS.contains(&t) {
        return Ok(Value::NotApplicable);
    }
    match kind {
        Kind::Count | Kind::Signed => parse_int(t).map(Value::Int),
        Kind::Amount => parse_decimal(t).map(Value::Amount),
    }
}

fn parse_int(t: &str) -> Result<i64, ValueError> {
    let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        if parse_decimal(t).is_ok() {
            return Err(ValueError::NotWhole(t.to_string()));
        }
        return Err(ValueError::NotNumber(t.to_string()));
    }
    let n: i64 = t.parse().map_err(|_| ValueError::TooLarge(t.to_string()))?;
    if n.unsigned_abs() >= 1_000_000_000_000_000_000 {
        return Err(ValueError::TooLarge(t.to_string()));
    }
    Ok(n)
}

/// Reads an exact decimal: digits with at most one point and an optional sign. No exponents,
/// no NaN or infinity.
pub fn parse_decimal(t: &str) -> Result<Decimal, ValueError> {
    let body = t.strip_prefix(['-', '+']).unwrap_or(t);
    let mut parts = body.splitn(2, '.');
    let int = parts.next().unwrap_or("");
    let frac = parts.next();
    let digits_ok = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let ok =
        !int.is_empty() && digits_ok(int) && frac.is_none_or(|f| !f.is_empty() && digits_ok(f));
    if !ok {
        return Err(ValueError::NotDecimal(t.to_string()));
    }
    if int.len() > 18 || frac.map_or(0, str::len) > 10 {
        return Err(ValueError::TooLarge(t.to_string()));
    }
    Decimal::from_str(t).map_err(|_| ValueError::NotDecimal(t.to_string()))
}

/// A report: metadata, narrative, and one cell per cell of its edition's template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub org: Org,
    pub year: u32,
    pub edition: Edition,
    pub narrative: Narrative,
    /// One cell per [`Template::cells`] entry, in the same order.
    pub cells: Vec<Cell>,
}

impl Report {
    /// An empty report of `edition`: every cell blank, variant rows absent.
    pub fn blank(org: Org, year: u32, edition: Edition) -> Report {
        let template = edition.template();
        let cells = template
            .cells
            .iter()
            .map(|c| match c.row.presence {
                Presence::Always => Cell::BLANK,
                Presence::InsteadOf(_) => Cell::ABSENT,
            })
            .collect();
        Report {
            org,
            year,
            edition,
            narrative: Narrative::default(),
            cells,
        }
    }

    pub fn template(&self) -> &'static Template {
        self.edition.template()
    }

    /// The cell with this key, if the edition has it.
    pub fn get(&self, key: &str) -> Option<&Cell> {
        self.template()
            .ix(key)
            .and_then(|ix| self.cells.get(ix as usize))
    }

    pub fn cell(&self, ix: CellIx) -> &Cell {
        &self.cells[ix as usize]
    }

    /// Sets a cell by key. Panics on an unknown key: for building reports in code and tests.
    pub fn set(&mut self, key: &str, cell: Cell) {
        let ix = self
            .template()
            .ix(key)
            .unwrap_or_else(|| panic!("no cell {key} in the {} edition", self.edition));
        self.cells[ix as usize] = cell;
    }
}

/// Assembles the cells of a report from keyed values, from any input form: checks keys
/// against the edition, refuses duplicates, and resolves variant rows.
#[derive(Debug)]
pub struct CellsBuilder {
    template: &'static Template,
    cells: Vec<Option<Cell>>,
}

/// Why a keyed cell cannot be placed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlaceError {
    #[error("{key}: no such cell in the {edition} edition{hint}")]
    Unknown {
        key: String,
        edition: Edition,
        hint: String,
    },
    #[error("{key}: given more than once")]
    Duplicate { key: String },
    #[error("{key}: {source}")]
    Value { key: String, source: ValueError },
    #[error(
        "{key}: the {edition} edition prints either row {variant} or rows {instead}, not both"
    )]
    Layout {
        key: String,
        edition: Edition,
        variant: String,
        instead: String,
    },
}

impl CellsBuilder {
    pub fn new(edition: Edition) -> CellsBuilder {
        let template = edition.template();
        CellsBuilder {
            template,
            cells: vec![None; template.cells.len()],
        }
    }

    pub fn template(&self) -> &'static Template {
        self.template
    }

    /// Places a cell by key.
    pub fn set(&mut self, key: &str, cell: Cell) -> Result<(), PlaceError> {
        let Some(ix) = self.template.ix(key) else {
            return Err(unknown_key(self.template.edition, key));
        };
        let slot = &mut self.cells[ix as usize];
        if slot.is_some() {
            return Err(PlaceError::Duplicate {
                key: key.to_string(),
            });
        }
        *slot = Some(cell);
        Ok(())
    }

    /// Places a cell given as canonical text (`""`, `"/"`, a number).
    pub fn set_text(
        &mut self,
        key: &str,
        text: &str,
        raw: Option<String>,
    ) -> Result<(), PlaceError> {
        let Some(ix) = self.template.ix(key) else {
            return Err(unknown_key(self.template.edition, key));
        };
        let kind = self.template.cell(ix).kind();
        let value = parse_value(text, kind).map_err(|source| PlaceError::Value {
            key: key.to_string(),
            source,
        })?;
        self.set(key, Cell { value, raw })
    }

    /// Finishes: cells not given are blank; a variant row given replaces the rows it stands
    /// for; a variant row not given is absent.
    pub fn finish(self) -> Result<Vec<Cell>, PlaceError> {
        let t = self.template;
        let mut cells = self.cells;
        for v in &t.variants {
            let given = |cells: &[Option<Cell>], row: &RowCells| {
                row.cells.clone().any(|c| cells[c as usize].is_some())
            };
            let row_given = given(&cells, &v.own);
            let others_given = v.stands_for.iter().any(|o| given(&cells, o));
            if row_given && others_given {
                let instead: Vec<&str> = v.stands_for.iter().map(|o| o.key.as_str()).collect();
                return Err(PlaceError::Layout {
                    key: v.own.key.clone(),
                    edition: t.edition,
                    variant: v.own.key.clone(),
                    instead: instead.join(", "),
                });
            }
            let absent: Vec<&RowCells> = if row_given {
                v.stands_for.iter().collect()
            } else {
                vec![&v.own]
            };
            for row in absent {
                for c in row.cells.clone() {
                    cells[c as usize] = Some(Cell::ABSENT);
                }
            }
        }
        Ok(cells
            .into_iter()
            .map(|c| c.unwrap_or(Cell::BLANK))
            .collect())
    }
}

fn unknown_key(edition: Edition, key: &str) -> PlaceError {
    let other = Edition::ALL.into_iter().find(|e| *e != edition);
    let hint = match other {
        Some(o) if o.template().ix(key).is_some() => {
            format!(" (it is a cell of the {o} edition)")
        }
        _ => String::new(),
    };
    PlaceError::Unknown {
        key: key.to_string(),
        edition,
        hint,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_parse_strictly() {
        assert_eq!(parse_value("", Kind::Count), Ok(Value::Blank));
        assert_eq!(parse_value("/", Kind::Count), Ok(Value::NotApplicable));
        assert_eq!(parse_value("—", Kind::Amount), Ok(Value::NotApplicable));
        assert_eq!(parse_value("12", Kind::Count), Ok(Value::Int(12)));
        assert_eq!(parse_value("-3", Kind::Signed), Ok(Value::Int(-3)));
        assert!(matches!(
            parse_value("1.5", Kind::Count),
            Err(ValueError::NotWhole(_))
        ));
        assert!(matches!(
            parse_value("abc", Kind::Count),
            Err(ValueError::NotNumber(_))
        ));
        assert!(matches!(
            parse_value("99999999999999999999", Kind::Count),
            Err(ValueError::TooLarge(_))
        ));
        assert_eq!(
            parse_value("7730.28", Kind::Amount),
            Ok(Value::Amount(Decimal::from_str("7730.28").unwrap()))
        );
        for bad in ["NaN", "inf", "1e5", "1.", ".5", "1.2.3", "--1"] {
            assert!(parse_value(bad, Kind::Amount).is_err(), "{bad}");
        }
    }

    #[test]
    fn variant_row_replaces_its_sub_rows() {
        let mut b = CellsBuilder::new(Edition::E2021);
        b.set_text("t3.other.natural", "1", None).unwrap();
        let cells = b.finish().unwrap();
        let t = Edition::E2021.template();
        assert_eq!(cells[t.ix("t3.other.total").unwrap() as usize], Cell::BLANK);
        assert_eq!(
            cells[t.ix("t3.other_other.natural").unwrap() as usize],
            Cell::ABSENT
        );

        let cells = CellsBuilder::new(Edition::E2021).finish().unwrap();
        assert_eq!(
            cells[t.ix("t3.other.natural").unwrap() as usize],
            Cell::ABSENT
        );
        assert_eq!(
            cells[t.ix("t3.other_other.natural").unwrap() as usize],
            Cell::BLANK
        );

        let mut b = CellsBuilder::new(Edition::E2021);
        b.set_text("t3.other.natural", "1", None).unwrap();
        b.set_text("t3.other_other.natural", "1", None).unwrap();
        assert!(matches!(b.finish(), Err(PlaceError::Layout { .. })));
    }

    #[test]
    fn unknown_keys_name_the_other_edition() {
        let mut b = CellsBuilder::new(Edition::E2019);
        let e = b.set_text("t3.other_other.natural", "1", None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "t3.other_other.natural: no such cell in the 2019 edition (it is a cell of the 2021 edition)"
        );
    }
}
