//! The two national editions of the report, declared once as data.
//!
//! Everything that knows the layout of a report — validation, the flat cell view, JSON and
//! YAML files, the proto mapping, import, diff and render — reads it from here. Every official
//! label of the report is written in this module and nowhere else:
//!
//! - `tables`: what both editions share (sections, tables 3 and 4, the unchanged rows of
//!   table 2) and the assembly of an edition's tables;
//! - `e2019`, `e2021`: what each edition declares on its own;
//! - [`narrative`]: the narrative's vocabulary — phrasings that name cells or sums of cells;
//! - [`relations`]: how cells relate beyond the sums of one report — across years (carry-over,
//!   the in-force chain), across editions (which cells compare), and variant rows.
//!
//! A [`Template`] is the compiled form of an edition: the flat list of cells in printed order
//! (tables → blocks → rows → columns), a key index, the identities (勾稽关系) that the
//! declared sums imply, and the variant rows with the rows each stands for.

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;
use std::sync::OnceLock;

mod e2019;
mod e2021;
pub mod indicators;
pub mod narrative;
pub mod relations;
mod tables;

pub use relations::{
    CarryDecl, ChainDecl, ChainLink, RowCells, Variant, VariantGroup, CARRY_OVER, IN_FORCE_CHAIN,
};
pub use tables::{group_parent, NESTED_GROUPS, SECTIONS, SECTION_VARIANTS, TITLE_SUFFIX};

/// The national layout a report follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Edition {
    /// 2019年版（试行）: reports for 2019 and 2020.
    E2019,
    /// 2021年版: reports for 2021 onward.
    E2021,
}

impl Edition {
    pub const ALL: [Edition; 2] = [Edition::E2019, Edition::E2021];

    /// The edition's number as written in files: 2019 or 2021.
    pub fn number(self) -> u32 {
        match self {
            Edition::E2019 => 2019,
            Edition::E2021 => 2021,
        }
    }

    pub fn from_number(n: u32) -> Option<Edition> {
        match n {
            2019 => Some(Edition::E2019),
            2021 => Some(Edition::E2021),
            _ => None,
        }
    }

    /// The edition in force for reports of `year` (2019–2020 → 2019, later → 2021).
    pub fn for_year(year: u32) -> Edition {
        if year <= 2020 {
            Edition::E2019
        } else {
            Edition::E2021
        }
    }

    /// The document that fixed this edition.
    pub fn document(self) -> &'static str {
        match self {
            Edition::E2019 => "国办公开办函〔2019〕60号",
            Edition::E2021 => "国办公开办函〔2021〕30号",
        }
    }

    pub fn template(self) -> &'static Template {
        static T2019: OnceLock<Template> = OnceLock::new();
        static T2021: OnceLock<Template> = OnceLock::new();
        match self {
            Edition::E2019 => T2019.get_or_init(|| Template::compile(Edition::E2019)),
            Edition::E2021 => T2021.get_or_init(|| Template::compile(Edition::E2021)),
        }
    }
}

impl fmt::Display for Edition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.number())
    }
}

/// The first year a national format existed.
pub const FIRST_YEAR: u32 = 2019;

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A non-negative whole number.
    Count,
    /// A whole number that may be negative (2019 本年增/减).
    Signed,
    /// An exact decimal amount in 万元.
    Amount,
}

/// A column of a block.
#[derive(Debug)]
pub struct ColumnDecl {
    /// The last part of its cells' keys, e.g. `natural` in `t3.new.natural`.
    pub key: &'static str,
    /// Official label, e.g. 「商业企业」.
    pub label: &'static str,
    /// The merged header above it, if any, e.g. 「法人或其他组织」.
    pub group: Option<&'static str>,
    /// What its cells hold: every cell of a column is of one kind.
    pub kind: Kind,
}

/// Whether a row is part of every report of the edition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// Printed in every report of the edition.
    Always,
    /// A variant row: printed instead of the rows named (e.g. the single 2019-style
    /// （六）其他处理 row seen in some 2021-edition reports).
    InsteadOf(&'static [&'static str]),
}

/// A row of a block.
#[derive(Debug)]
pub struct RowDecl {
    /// The middle part of its cells' keys, e.g. `new` in `t3.new.natural`; `t3.new` names the
    /// row itself.
    pub key: &'static str,
    /// The group label printed above it, if any, e.g. 「（三）不予公开」.
    pub group: Option<&'static str>,
    /// Official label, e.g. 「（七）总计」.
    pub label: &'static str,
    /// Whether every report of the edition prints it.
    pub presence: Presence,
}

/// A block: one header line and its rows. Table 2 has one block per cited provision; tables
/// 3 and 4 have one block each.
#[derive(Debug)]
pub struct BlockDecl {
    /// The block's heading, e.g. 「第二十条第（一）项」.
    pub title: Option<&'static str>,
    /// The corner header above the row labels, e.g. 「信息内容」, 「申请人情况」.
    pub corner: Option<&'static str>,
    pub columns: &'static [ColumnDecl],
    pub rows: Vec<&'static RowDecl>,
}

/// How a table is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Orientation {
    /// Rows down, columns across (tables 2 and 3).
    Rows,
    /// One printed data row: each declared row becomes a group of columns (table 4).
    Across,
}

/// Which cells sum to which, in one table: for every row (or column) the identity
/// `Σ total = Σ parts` holds.
#[derive(Debug)]
pub struct SumDecl {
    /// Stable rule id, e.g. `T3-ROW-SUM`.
    pub rule: &'static str,
    pub over: Over,
    /// The keys (columns when `over` is `EachRow`, rows when `EachColumn`) of the total side.
    pub total: &'static [&'static str],
    /// The keys of the parts side.
    pub parts: Vec<&'static str>,
    /// Whether the identity is printed on the form (「勾稽关系」) or implied by the totals.
    pub printed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Over {
    EachRow,
    EachColumn,
}

/// A table of the report.
#[derive(Debug)]
pub struct TableDecl {
    /// `t2`, `t3`, `t4`.
    pub key: &'static str,
    /// 2, 3, 4.
    pub number: u8,
    /// How findings and labels name the table: 「表二」, 「表三」, 「表四」.
    pub name: &'static str,
    /// The section heading the table sits under.
    pub section: &'static SectionDecl,
    /// A note printed above the table.
    pub note: Option<&'static str>,
    pub orientation: Orientation,
    pub blocks: Vec<BlockDecl>,
    pub sums: Vec<SumDecl>,
}

/// The six sections.
#[derive(Debug)]
pub struct SectionDecl {
    /// 1..=6
    pub number: u8,
    /// The official heading, e.g. 「一、总体情况」.
    pub heading: &'static str,
}

impl TableDecl {
    /// 表二, 表三, 表四 (the declared [`TableDecl::name`]).
    pub fn name(&self) -> &'static str {
        self.name
    }
}

// ------------------------------------------------------------------------------------------
// The compiled template.
// ------------------------------------------------------------------------------------------

/// Index of a cell in a report's cell vector.
pub type CellIx = u16;

/// One cell of the template.
#[derive(Debug)]
pub struct CellDef {
    /// `t3.new.natural`
    pub key: String,
    /// Index into [`Template::tables`].
    pub table: u8,
    /// Index of the block within the table.
    pub block: u8,
    pub row: &'static RowDecl,
    pub column: &'static ColumnDecl,
}

impl CellDef {
    pub fn kind(&self) -> Kind {
        self.column.kind
    }

    /// `t3.new`
    pub fn row_key(&self) -> &str {
        let end = self.key.rfind('.').unwrap_or(self.key.len());
        &self.key[..end]
    }
}

/// A compiled identity `Σ total = Σ parts` over cells.
#[derive(Debug)]
pub struct Identity {
    pub rule: &'static str,
    pub table: u8,
    pub printed: bool,
    /// The row (for `EachRow`) or column (for `EachColumn`) the identity runs along.
    pub along: Along,
    pub total: Vec<CellIx>,
    pub parts: Vec<CellIx>,
}

#[derive(Debug, Clone, Copy)]
pub enum Along {
    Row(&'static RowDecl),
    Column(&'static ColumnDecl),
}

/// An edition compiled: tables, the flat list of cells in printed order, the key index, the
/// identities and the variant rows.
#[derive(Debug)]
pub struct Template {
    pub edition: Edition,
    pub tables: Vec<TableDecl>,
    pub cells: Vec<CellDef>,
    pub identities: Vec<Identity>,
    index: HashMap<String, CellIx>,
    /// `t3.new` → its cells (a row's cells are contiguous).
    rows: HashMap<String, Range<CellIx>>,
    /// For each cell, the identities it takes part in.
    pub cell_identities: Vec<Vec<u16>>,
    /// The variant rows, with the rows each stands for.
    pub variants: Vec<Variant>,
}

impl Template {
    fn compile(edition: Edition) -> Template {
        let tables = tables::tables(edition);
        let (cells, index) = compile_cells(&tables);
        let mut rows: HashMap<String, Range<CellIx>> = HashMap::new();
        for (i, c) in cells.iter().enumerate() {
            let i = i as CellIx;
            rows.entry(c.row_key().to_string())
                .and_modify(|r| r.end = i + 1)
                .or_insert(i..i + 1);
        }
        let identities = compile_identities(&tables, &index);
        let mut cell_identities = vec![Vec::new(); cells.len()];
        for (ii, id) in identities.iter().enumerate() {
            for &c in id.total.iter().chain(&id.parts) {
                cell_identities[c as usize].push(ii as u16);
            }
        }
        let mut t = Template {
            edition,
            tables,
            cells,
            identities,
            index,
            rows,
            cell_identities,
            variants: Vec::new(),
        };
        t.variants = relations::compile_variants(&t);
        t
    }

    /// The index of the cell with this key.
    pub fn ix(&self, key: &str) -> Option<CellIx> {
        self.index.get(key).copied()
    }

    pub fn cell(&self, ix: CellIx) -> &CellDef {
        &self.cells[ix as usize]
    }

    pub fn table_of(&self, ix: CellIx) -> &TableDecl {
        &self.tables[self.cells[ix as usize].table as usize]
    }

    /// The table with key `t2`, `t3` or `t4`.
    pub fn table(&self, key: &str) -> Option<&TableDecl> {
        self.tables.iter().find(|t| t.key == key)
    }

    /// The cells of the row `table.row`, in column order.
    /// Empty when the edition has no such row.
    pub fn row_cells(&self, row_key: &str) -> Range<CellIx> {
        self.rows.get(row_key).cloned().unwrap_or(0..0)
    }

    /// The cells of row `row` of table `table` (see [`Template::row_cells`]).
    pub fn row_at(&self, table: &str, row: &str) -> Range<CellIx> {
        self.row_cells(&format!("{table}.{row}"))
    }

    /// The cell in row `row`, column `column` of table `table`, if the edition has it.
    pub fn cell_at(&self, table: &str, row: &str, column: &str) -> Option<CellIx> {
        self.ix(&format!("{table}.{row}.{column}"))
    }

    /// The official name of a cell: 表三「（七）总计」行「总计」列.
    pub fn label(&self, ix: CellIx) -> String {
        let c = self.cell(ix);
        let table = self.table_of(ix);
        let block = &table.blocks[c.block as usize];
        let mut s = String::from(table.name());
        if let Some(title) = block.title {
            s.push_str(title);
        }
        match table.orientation {
            Orientation::Rows => {
                push_quoted(&mut s, c.row.label);
                s.push('行');
                push_quoted(&mut s, c.column.label);
                s.push('列');
            }
            Orientation::Across => {
                if let Some(g) = c.row.group {
                    push_quoted(&mut s, g);
                }
                push_quoted(&mut s, c.row.label);
                push_quoted(&mut s, c.column.label);
            }
        }
        s
    }
}

/// The cells of every table in printed order (tables → blocks → rows → columns), and the key
/// index.
fn compile_cells(tables: &[TableDecl]) -> (Vec<CellDef>, HashMap<String, CellIx>) {
    let mut cells = Vec::new();
    let mut index = HashMap::new();
    for (ti, table) in tables.iter().enumerate() {
        for (bi, block) in table.blocks.iter().enumerate() {
            for row in &block.rows {
                for column in block.columns {
                    let key = format!("{}.{}.{}", table.key, row.key, column.key);
                    let ix = CellIx::try_from(cells.len()).expect("template fits in u16");
                    assert!(
                        index.insert(key.clone(), ix).is_none(),
                        "duplicate key {key}"
                    );
                    cells.push(CellDef {
                        key,
                        table: ti as u8,
                        block: bi as u8,
                        row,
                        column,
                    });
                }
            }
        }
    }
    (cells, index)
}

/// The identities the sum declarations imply: one per row (or column) of every block.
fn compile_identities(tables: &[TableDecl], index: &HashMap<String, CellIx>) -> Vec<Identity> {
    let mut identities = Vec::new();
    for (ti, table) in tables.iter().enumerate() {
        for sum in &table.sums {
            // The identity along one row or column: `cell(k)` is its cell on key `k` of the
            // other axis.
            let mut push = |along: Along, cell: &dyn Fn(&str) -> CellIx| {
                identities.push(Identity {
                    rule: sum.rule,
                    table: ti as u8,
                    printed: sum.printed,
                    along,
                    total: sum.total.iter().map(|k| cell(k)).collect(),
                    parts: sum.parts.iter().map(|k| cell(k)).collect(),
                });
            };
            let ix = |row: &str, col: &str| index[&format!("{}.{}.{}", table.key, row, col)];
            for block in &table.blocks {
                match sum.over {
                    Over::EachRow => {
                        for row in &block.rows {
                            push(Along::Row(row), &|col| ix(row.key, col));
                        }
                    }
                    Over::EachColumn => {
                        for column in block.columns {
                            push(Along::Column(column), &|row| ix(row, column.key));
                        }
                    }
                }
            }
        }
    }
    identities
}

fn push_quoted(s: &mut String, label: &str) {
    s.push('「');
    s.push_str(label);
    s.push('」');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_counts_match_the_reference() {
        let t19 = Edition::E2019.template();
        let t21 = Edition::E2021.template();
        let count =
            |t: &Template, table: &str| t.cells.iter().filter(|c| c.key.starts_with(table)).count();
        assert_eq!(count(t19, "t3."), 23 * 7);
        // 25 rows plus the variant single （六）其他处理 row.
        assert_eq!(count(t21, "t3."), 26 * 7);
        assert_eq!(count(t19, "t4."), 15);
        assert_eq!(count(t21, "t4."), 15);
        assert_eq!(count(t19, "t2."), 6 + 6 + 6 + 2 + 2);
        assert_eq!(count(t21, "t2."), 6 + 1 + 2 + 1);
    }

    #[test]
    fn labels_read_as_officials_write_them() {
        let t = Edition::E2019.template();
        let ix = t.ix("t3.results_total.total").unwrap();
        assert_eq!(t.label(ix), "表三「（七）总计」行「总计」列");
        let ix = t.ix("t4.review.total").unwrap();
        assert_eq!(t.label(ix), "表四「行政复议」「总计」");
        let ix = t.ix("t4.lit_direct.upheld").unwrap();
        assert_eq!(
            t.label(ix),
            "表四「行政诉讼」「未经复议直接起诉」「结果维持」"
        );
        let ix = t.ix("t2.regulations.made").unwrap();
        assert_eq!(
            t.label(ix),
            "表二第二十条第（一）项「规章」行「本年新制作数量」列"
        );
    }

    #[test]
    fn identities_per_edition() {
        let t19 = Edition::E2019.template();
        // 7 balance + 23 row sums + 7 results sums + 3 table-4 sums.
        assert_eq!(t19.identities.len(), 7 + 23 + 7 + 3);
        let t21 = Edition::E2021.template();
        assert_eq!(t21.identities.len(), 7 + 26 + 7 + 3);
    }
}
