//! Reading the tables from blocks, whatever the layout.
//!
//! Every input form becomes a list of [`Unit`]s: a label (matched against the template's
//! labels) and the value slots printed after it. Rows are found by their labels — not by
//! position — so rows out of order, stray headers, wrapped labels and page numbers do not
//! matter. The values of a row are placed only when their columns are certain: a row with
//! fewer values than columns is placed only when the empty cells are explicit (HTML,
//! Markdown), shown by empty lines (flat text) or by column positions (pdftotext text);
//! otherwise its cells are reported unreadable. No number is ever made up.

mod columns;
mod fit;
mod rows;
mod t4;
mod units;
mod wrapped;

use std::collections::HashSet;
use std::ops::Range;

use super::doc::{Block, Loc};
use super::lexicon::{Lexicon, Match, Role};
use super::normalize::clip;
use super::{FuzzyMatch, Unreadable};
use crate::model::Cell;
use crate::template::{CellIx, Edition, Template};
use fit::{fit, place};
pub(crate) use units::{separator, Slot, Unit};

/// The template's key of table 4, the one table the importer reads on its own: printed
/// across, its rows are groups of columns of one printed row.
pub(crate) const T4: &str = "t4";

/// Units of a run of blocks (see [`units::units`]), with the labels pdftotext wrapped over
/// lines joined.
pub(crate) fn units(blocks: &[Block<'_>], after: Option<&Block<'_>>, sep: u32) -> Vec<Unit> {
    let mut out = units::units(blocks, after, sep);
    wrapped::merge_wrapped(&mut out);
    out
}

/// Whether any role of the label passes `f`.
fn has_role(m: &Match, f: impl Fn(Role) -> bool) -> bool {
    let lex = Lexicon::get();
    m.entries.iter().any(|&i| f(lex.entry(i).role))
}

/// What reading the tables found.
#[derive(Debug, Default)]
pub(crate) struct Tables {
    /// By cell index; None where nothing was placed.
    pub cells: Vec<Option<Cell>>,
    /// Cells read as blank because the row printed nothing there.
    pub unreadable: Vec<Unreadable>,
    pub fuzzy: Vec<FuzzyMatch>,
    pub notes: Vec<String>,
    /// Rows found (`t3.new`).
    pub rows: HashSet<String>,
    /// Rows whose printed numbers could not be placed by count or position: left for
    /// [`crate::import::deduce`].
    pub damaged: Vec<Damaged>,
}

/// A row whose printed texts are fewer than its columns (blanks lost, cells run together).
#[derive(Debug, Clone)]
pub(crate) struct Damaged {
    /// The row's first cell; its cells are contiguous.
    pub start: CellIx,
    pub n: usize,
    /// The texts printed after the label, in order.
    pub texts: Vec<String>,
}

/// Which edition a label belongs to in a report of `edition`: its own role, or the role of
/// the other edition's label for the same row (规范性文件 in a 2021 report).
fn roles(m: &Match, edition: Edition) -> Vec<(Role, bool)> {
    let lex = Lexicon::get();
    let t = edition.template();
    let mut out = Vec::new();
    for &i in &m.entries {
        let e = lex.entry(i);
        if e.in_edition(edition) {
            out.push((e.role, false));
        } else if let Role::Row { table, row } = e.role {
            if !t.row_cells(&format!("{table}.{row}")).is_empty() {
                out.push((e.role, true));
            }
        }
    }
    out
}

/// The official label a match was taken for.
fn official(m: &Match) -> &'static str {
    m.entries
        .first()
        .map_or("", |&i| Lexicon::get().entry(i).label)
}

/// Evidence for the edition: labels printed only by one edition.
pub(crate) fn edition_evidence(units: &[Unit]) -> [Vec<&'static str>; 2] {
    let lex = Lexicon::get();
    let mut seen: HashSet<usize> = HashSet::new();
    let mut ev: [Vec<&'static str>; 2] = [Vec::new(), Vec::new()];
    for u in units {
        let Some(m) = &u.label else { continue };
        let Some(&first) = m.entries.first() else {
            continue;
        };
        if !seen.insert(first) {
            continue;
        }
        // One text may have several roles: it is evidence only if no role of it is printed
        // by the other edition.
        let editions = m
            .entries
            .iter()
            .fold(0u8, |a, &i| a | lex.entry(i).editions);
        match editions {
            1 => ev[0].push(lex.entry(first).label),
            2 => ev[1].push(lex.entry(first).label),
            _ => {}
        }
    }
    ev
}

/// A row whose values could not be fitted to its columns by their count: left for its column
/// positions (pdftotext).
struct Deferred {
    /// The unit the row's values came from.
    ui: usize,
    ix: CellIx,
    n: usize,
    slots: Vec<Slot>,
    row_label: &'static str,
    loc: Loc,
    reason: String,
}

/// One reading of the tables: the template, the units, and what has been placed so far.
struct Reading<'u> {
    t: &'static Template,
    edition: Edition,
    units: &'u [Unit],
    /// The first unit of table 4's region.
    t4_from: usize,
    out: Tables,
    /// Rows left for their column positions.
    deferred: Vec<Deferred>,
}

/// Reads the tables of `edition` from units; `t4_from` is the first unit of table 4's region.
pub(crate) fn read(units: &[Unit], t4_from: usize, edition: Edition, region: Loc) -> Tables {
    let t = edition.template();
    let mut reading = Reading {
        t,
        edition,
        units,
        t4_from,
        out: Tables {
            cells: vec![None; t.cells.len()],
            ..Tables::default()
        },
        deferred: Vec::new(),
    };
    reading.rows();
    reading.table4();
    reading.place_deferred();
    reading.missing_rows(region);
    reading.out
}

impl Reading<'_> {
    /// Places the values of `u` on the cells `cells` when their count tells the columns;
    /// otherwise leaves the row for its column positions. `ui` is the unit's index.
    fn fit_or_defer(&mut self, ui: usize, u: &Unit, cells: Range<CellIx>, row_label: &'static str) {
        let n = cells.len();
        match fit(&u.slots, n, u.structured) {
            Ok(fits) => place(self.t, cells.start, &fits, u.loc, &mut self.out),
            Err(reason) => self.deferred.push(Deferred {
                ui,
                ix: cells.start,
                n,
                slots: u.slots.clone(),
                row_label,
                loc: u.loc,
                reason,
            }),
        }
    }

    /// A note on a unit: where it is, then what `what` says of its (clipped) label.
    fn note(&mut self, u: &Unit, what: impl FnOnce(&str) -> String) {
        let label = clip(&u.label_text);
        self.out.notes.push(format!("{}：{}", u.loc, what(&label)));
    }
}
