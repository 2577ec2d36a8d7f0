//! The relations between cells beyond the sums within one report, declared once:
//!
//! - across years: [`CARRY_OVER`] (this year's 二、上年结转 = last year's
//!   四、结转下年度继续办理, per column) and [`IN_FORCE_CHAIN`] (2021 edition: 现行有效件数 =
//!   last year's + 本年制发件数 − 本年废止件数, for 规章 and 行政规范性文件);
//! - across editions: which cells hold the same quantity ([`CHANGED_MEANING`],
//!   [`counterparts`]), and which rows a variant row stands for ([`variant_groups`]);
//! - within a report: the variant rows compiled into cells ([`Variant`], in
//!   [`Template::variants`]).
//!
//! The cross-year checks (`crossyear`), the diff, the roll-up, the model and the test data
//! read these instead of naming rows and columns themselves.

use std::ops::Range;
use std::sync::OnceLock;

use super::e2021::{IN_FORCE, ISSUED, NORMATIVE, REPEALED};
use super::tables::{DECISIONS, REGULATIONS, T2, T3, T3_CARRIED, T3_FORWARD};
use super::{CellIx, Edition, Presence, RowDecl, Template};

/// A row carried over from one year to the next: column by column, this year's `row` equals
/// last year's `previous`.
#[derive(Debug)]
pub struct CarryDecl {
    /// The table's key.
    pub table: &'static str,
    /// This year's row.
    pub row: &'static RowDecl,
    /// Last year's row.
    pub previous: &'static RowDecl,
}

/// Table 3: this year's 二、上年结转 (`t3.carried.*`) = last year's 四、结转下年度继续办理
/// (`t3.forward.*`), per column.
pub static CARRY_OVER: CarryDecl = CarryDecl {
    table: T3,
    row: &T3_CARRIED,
    previous: &T3_FORWARD,
};

impl CarryDecl {
    /// Column by column, `(this year's cell, last year's cell)`: the cells of the row in
    /// `current`, each with the cell of the previous row in `previous` (columns `previous`
    /// lacks are left out).
    pub fn pairs(&self, previous: &Template, current: &Template) -> Vec<(CellIx, CellIx)> {
        current
            .row_at(self.table, self.row.key)
            .filter_map(|ix| {
                let column = current.cell(ix).column.key;
                let before = previous.cell_at(self.table, self.previous.key, column)?;
                Some((ix, before))
            })
            .collect()
    }
}

/// A stock that moves by a flow from one year to the next: per row, this year's `stock` =
/// last year's `stock` + this year's `added` − this year's `removed`.
#[derive(Debug)]
pub struct ChainDecl {
    /// The table's key.
    pub table: &'static str,
    /// The rows the chain runs along.
    pub rows: &'static [&'static RowDecl],
    /// Column keys.
    pub stock: &'static str,
    pub added: &'static str,
    pub removed: &'static str,
}

/// Table 2, 2021 edition: 现行有效件数 = last year's 现行有效件数 + 本年制发件数 − 本年废止件数,
/// for 规章 and 行政规范性文件.
pub static IN_FORCE_CHAIN: ChainDecl = ChainDecl {
    table: T2,
    rows: &[&REGULATIONS, &NORMATIVE],
    stock: IN_FORCE.key,
    added: ISSUED.key,
    removed: REPEALED.key,
};

/// One row of a chain between two reports, as cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainLink {
    /// This year's stock.
    pub stock: CellIx,
    /// This year's inflow.
    pub added: CellIx,
    /// This year's outflow.
    pub removed: CellIx,
    /// Last year's stock (a cell of the previous report's template).
    pub previous: CellIx,
}

impl ChainDecl {
    /// The chain's rows that both templates have (for the in-force chain: only pairs of
    /// 2021-edition reports), in declared order.
    pub fn links(&self, previous: &Template, current: &Template) -> Vec<ChainLink> {
        self.rows
            .iter()
            .filter_map(|row| {
                let at = |t: &Template, column| t.cell_at(self.table, row.key, column);
                Some(ChainLink {
                    stock: at(current, self.stock)?,
                    added: at(current, self.added)?,
                    removed: at(current, self.removed)?,
                    previous: at(previous, self.stock)?,
                })
            })
            .collect()
    }
}

/// The tables whose columns changed meaning between the editions, each with the columns that
/// kept theirs: table 2, where only `decisions` of 第二十条第（五）（六）项 is the same quantity in
/// both. Across editions a cell of such a table compares only in a listed column; a cell of
/// any other table (3 and 4) compares with the cell of the same key.
pub static CHANGED_MEANING: [(&str, &[&str]); 1] = [(T2, &[DECISIONS])];

/// Whether the cells of `table` in `column` hold the same quantity in editions `a` and `b`.
pub fn same_meaning(a: Edition, b: Edition, table: &str, column: &str) -> bool {
    a == b
        || CHANGED_MEANING
            .iter()
            .find(|(t, _)| *t == table)
            .is_none_or(|(_, kept)| kept.contains(&column))
}

/// For each cell of `from`'s template, the cell of `to`'s that holds the same quantity: the
/// one with the same key, when its column means the same in both ([`same_meaning`]).
/// Computed once per pair of editions.
pub fn counterparts(from: Edition, to: Edition) -> &'static [Option<CellIx>] {
    static MAPS: [OnceLock<Vec<Option<CellIx>>>; 4] = [const { OnceLock::new() }; 4];
    let slot = &MAPS[from as usize * 2 + to as usize];
    slot.get_or_init(|| {
        let (source, target) = (from.template(), to.template());
        source
            .cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let table = source.table_of(i as CellIx).key;
                if !same_meaning(from, to, table, c.column.key) {
                    return None;
                }
                target.ix(&c.key)
            })
            .collect()
    })
}

/// A row and its cells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowCells {
    /// `t3.other`
    pub key: String,
    /// The row's cells, in column order.
    pub cells: Range<CellIx>,
}

/// A variant row of a template ([`Presence::InsteadOf`]) with the rows it stands for, as
/// cells: a report prints either the variant row or those rows, never both, and the variant
/// row holds their sum (e.g. the single 2019-style （六）其他处理 row of a 2021-edition report).
#[derive(Debug)]
pub struct Variant {
    /// The table's key.
    pub table: &'static str,
    pub row: &'static RowDecl,
    /// The variant row's cells.
    pub own: RowCells,
    /// The rows it stands for, in declared order; each has the variant row's columns.
    pub stands_for: Vec<RowCells>,
}

/// The variant rows of a compiled template, in printed order.
pub(super) fn compile_variants(t: &Template) -> Vec<Variant> {
    let row_cells = |table: &str, row: &str| RowCells {
        key: format!("{table}.{row}"),
        cells: t.row_at(table, row),
    };
    let mut out = Vec::new();
    for table in &t.tables {
        for row in table.blocks.iter().flat_map(|b| &b.rows) {
            let Presence::InsteadOf(others) = row.presence else {
                continue;
            };
            out.push(Variant {
                table: table.key,
                row,
                own: row_cells(table.key, row.key),
                stands_for: others.iter().map(|o| row_cells(table.key, o)).collect(),
            });
        }
    }
    out
}

/// A variant row as every edition sees it: `row` of `table` stands for the rows `stands_for`
/// in some edition (in another, `row` may be an ordinary row, as （六）其他处理 is in 2019).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VariantGroup {
    /// The table's key.
    pub table: &'static str,
    /// The variant row's key.
    pub row: &'static str,
    /// The keys of the rows it stands for.
    pub stands_for: &'static [&'static str],
}

impl VariantGroup {
    /// Whether `row` of `table` is the variant row or one it stands for.
    pub fn covers(&self, table: &str, row: &str) -> bool {
        self.table == table && (self.row == row || self.stands_for.contains(&row))
    }
}

/// The variant rows of every edition, once each: across editions, the single row compares with
/// the sum of the rows it stands for.
pub fn variant_groups() -> &'static [VariantGroup] {
    static GROUPS: OnceLock<Vec<VariantGroup>> = OnceLock::new();
    GROUPS.get_or_init(|| {
        let mut groups: Vec<VariantGroup> = Vec::new();
        for e in Edition::ALL {
            for v in &e.template().variants {
                let Presence::InsteadOf(others) = v.row.presence else {
                    continue;
                };
                if !groups
                    .iter()
                    .any(|g| g.table == v.table && g.row == v.row.key)
                {
                    groups.push(VariantGroup {
                        table: v.table,
                        row: v.row.key,
                        stands_for: others,
                    });
                }
            }
        }
        groups
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(t: &Template, cells: impl IntoIterator<Item = CellIx>) -> Vec<&str> {
        cells.into_iter().map(|c| t.cell(c).key.as_str()).collect()
    }

    #[test]
    fn carry_over_pairs_every_column_across_editions() {
        let (t19, t21) = (Edition::E2019.template(), Edition::E2021.template());
        let pairs = CARRY_OVER.pairs(t19, t21);
        assert_eq!(pairs.len(), 7);
        let (now, before): (Vec<CellIx>, Vec<CellIx>) = pairs.into_iter().unzip();
        assert_eq!(keys(t21, now)[0], "t3.carried.natural");
        assert_eq!(keys(t19, before)[6], "t3.forward.total");
    }

    #[test]
    fn the_in_force_chain_links_2021_pairs_only() {
        let (t19, t21) = (Edition::E2019.template(), Edition::E2021.template());
        assert!(IN_FORCE_CHAIN.links(t19, t21).is_empty());
        let links = IN_FORCE_CHAIN.links(t21, t21);
        let stocks = keys(t21, links.iter().map(|l| l.stock));
        assert_eq!(
            stocks,
            ["t2.regulations.in_force", "t2.normative_docs.in_force"]
        );
        assert_eq!(t21.cell(links[1].added).key, "t2.normative_docs.issued");
        assert_eq!(t21.cell(links[1].removed).key, "t2.normative_docs.repealed");
    }

    #[test]
    fn across_editions_table_2_compares_only_decisions() {
        let t19 = Edition::E2019.template();
        let map = counterparts(Edition::E2019, Edition::E2021);
        let t2: Vec<&str> = (0..t19.cells.len())
            .filter(|&i| map[i].is_some() && t19.cells[i].key.starts_with("t2."))
            .map(|i| t19.cells[i].key.as_str())
            .collect();
        assert_eq!(
            t2,
            [
                "t2.licensing.decisions",
                "t2.punishment.decisions",
                "t2.coercion.decisions"
            ]
        );
        // Within one edition every cell has its counterpart.
        assert!(counterparts(Edition::E2019, Edition::E2019)
            .iter()
            .all(Option::is_some));
    }

    #[test]
    fn the_single_other_row_stands_for_three_sub_rows() {
        let groups = variant_groups();
        assert_eq!(groups.len(), 1);
        assert!(groups[0].covers("t3", "other") && groups[0].covers("t3", "other_other"));
        assert!(Edition::E2019.template().variants.is_empty());
        let v = &Edition::E2021.template().variants[0];
        assert_eq!(v.own.key, "t3.other");
        let rows: Vec<&str> = v.stands_for.iter().map(|r| r.key.as_str()).collect();
        assert_eq!(
            rows,
            [
                "t3.other_no_correction",
                "t3.other_fee_unpaid",
                "t3.other_other"
            ]
        );
        assert!(v
            .stands_for
            .iter()
            .all(|r| r.cells.len() == v.own.cells.len()));
    }
}
