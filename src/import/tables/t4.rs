//! Table 4 (行政复议、行政诉讼), printed across: one printed row of all its cells, or (seen in
//! the wild) a row per group. Its rows and cells come from the template.

use std::ops::Range;

use super::units::{Slot, Unit};
use super::{roles, Reading, T4};
use crate::import::lexicon::Role;
use crate::template::{CellIx, TableDecl, Template};

/// The key of a row of a table (`t4.review`).
fn row_key(table: &TableDecl, row: &str) -> String {
    format!("{}.{row}", table.key)
}

/// The cells of a table in printed order (a table's rows are contiguous in the template).
fn table_cells(t: &Template, table: &TableDecl) -> Range<CellIx> {
    let mut rows = table.blocks.iter().flat_map(|b| &b.rows);
    let first = rows.next().map(|r| t.row_cells(&row_key(table, r.key)));
    let last = rows.last().map(|r| t.row_cells(&row_key(table, r.key)));
    match (first, last) {
        (Some(first), Some(last)) => first.start..last.end,
        (Some(only), None) => only,
        _ => 0..0,
    }
}

impl Reading<'_> {
    /// Table 4: by its printed rows when they carry their labels, else as one printed row.
    pub(super) fn table4(&mut self) {
        let Some(table) = self.t.table(T4) else {
            return;
        };
        if !self.table4_rows(table) {
            self.table4_across(table);
        }
    }

    /// Table 4 printed a row per group: each labelled unit with values placed on its row.
    /// Whether there was any.
    fn table4_rows(&mut self, table: &TableDecl) -> bool {
        let t = self.t;
        let units = self.units;
        let mut by_row = false;
        for (k, u) in units[self.t4_from.min(units.len())..].iter().enumerate() {
            let ui = self.t4_from + k;
            let Some(m) = &u.label else { continue };
            let Some(row) = roles(m, self.edition).iter().find_map(|(r, _)| match r {
                Role::Row { table: tk, row } if *tk == table.key => Some(*row),
                _ => None,
            }) else {
                continue;
            };
            if u.values() == 0 {
                continue;
            }
            by_row = true;
            let row_key = row_key(table, row);
            if self.out.rows.contains(&row_key) {
                continue;
            }
            let range = t.row_cells(&row_key);
            self.out.rows.insert(row_key);
            let row_label = t.cell(range.start).row.label;
            self.fit_or_defer(ui, u, range, row_label);
        }
        by_row
    }

    /// Table 4 printed as one row: the slots of the value-bearing units, from the first one
    /// on, while they continue, placed over all of the table's cells.
    fn table4_across(&mut self, table: &TableDecl) {
        let cells = table_cells(self.t, table);
        let units = &self.units[self.t4_from.min(self.units.len())..];
        if cells.is_empty() || units.is_empty() {
            return;
        }
        let mut slots: Vec<Slot> = Vec::new();
        let mut loc = None;
        let mut first_ui = self.t4_from;
        let mut structured = false;
        for (k, u) in units.iter().enumerate() {
            // Text that is no header of the table ends the values (a note, a paragraph).
            let stray = u.label.is_none() && !u.label_text.is_empty();
            if loc.is_some() && stray {
                break;
            }
            if u.values() == 0 {
                continue;
            }
            if loc.is_none() {
                first_ui = self.t4_from + k;
            }
            loc.get_or_insert(u.loc);
            structured |= u.structured;
            slots.extend(u.slots.iter().cloned());
        }
        let Some(loc) = loc else {
            return;
        };
        for row in table.blocks.iter().flat_map(|b| &b.rows) {
            self.out.rows.insert(row_key(table, row.key));
        }
        let mut printed = Unit::new(loc, String::new());
        printed.slots = slots;
        printed.structured = structured;
        self.fit_or_defer(first_ui, &printed, cells, table.name());
    }
}
