//! The one table of proto cell fields, compiled per edition against the template.
//!
//! The proto's field names are the cell keys' segments (`table3.new.natural` is the cell
//! `t3.new.natural`), so the table lists field names only: [`row_messages!`] the columns of
//! each row message, [`proto_table!`] the rows of each table message. Labels, kinds and which
//! rows an edition has stay in the template. [`layout`] maps every proto cell field of an
//! edition's tables to its template cell once, at first use; reading, writing and the fast
//! value walk all run over that mapping.

use std::sync::OnceLock;

use crate::pb;
use crate::pb::report::Table2;
use crate::template::{CellIx, Edition};

/// The most cells a row message has (table 3's seven).
const MAX_COLUMNS: usize = 7;

/// A row's cells in column order, `None` where not given (and past its last column).
pub(super) type RowCells<'a> = [Option<&'a pb::Cell>; MAX_COLUMNS];

/// A proto row message: its cell fields in column order.
trait Row: Default {
    /// The cell fields' names, in column order: the template's column keys.
    const COLUMNS: &'static [&'static str];
    /// All cells at once: one call per row keeps the value walk a direct index per cell.
    fn cells(&self) -> RowCells<'_>;
    fn cell_mut(&mut self, col: usize) -> Option<&mut Option<pb::Cell>>;
}

/// Implements [`Row`] for row messages from their cell fields, in the proto's order.
macro_rules! row_messages {
    ($($message:ident { $($col:ident),* $(,)? })*) => { $(
        impl Row for pb::$message {
            const COLUMNS: &'static [&'static str] = &[$(stringify!($col)),*];
            fn cells(&self) -> RowCells<'_> {
                let mut cells = [None; MAX_COLUMNS];
                for (out, cell) in cells.iter_mut().zip([$(&self.$col),*]) {
                    *out = cell.as_ref();
                }
                cells
            }
            fn cell_mut(&mut self, col: usize) -> Option<&mut Option<pb::Cell>> {
                [$(&mut self.$col),*].into_iter().nth(col)
            }
        }
        const _: () = assert!(<pb::$message as Row>::COLUMNS.len() <= MAX_COLUMNS);
    )* };
}

row_messages! {
    DocumentRow2019 { made, published, total_public }
    ItemRow2019 { prev_items, change, decisions }
    FeeRow2019 { prev_items, change }
    ProcurementRow2019 { projects, amount }
    DocumentRow2021 { issued, repealed, in_force }
    DecisionRow2021 { decisions }
    FeeRow2021 { amount }
    Table3Row { natural, commercial, research, nonprofit, legal_svc, other_org, total }
    Table4Group { upheld, corrected, other, pending, total }
}

/// A row field of a table message (`Option<SomeRow>`), whatever its row message.
pub(super) trait RowSlot {
    /// The row message's cell fields, in column order.
    fn columns(&self) -> &'static [&'static str];
    /// The cells given, in column order (none when the row is not given).
    fn cells(&self) -> RowCells<'_>;
    /// Sets the cell in column `col`. A row is created by its first given cell, so a row
    /// with no cell given stays left out.
    fn put(&mut self, col: usize, cell: Option<pb::Cell>);
}

impl<R: Row> RowSlot for Option<R> {
    fn columns(&self) -> &'static [&'static str] {
        R::COLUMNS
    }

    fn cells(&self) -> RowCells<'_> {
        self.as_ref().map_or([None; MAX_COLUMNS], R::cells)
    }

    fn put(&mut self, col: usize, cell: Option<pb::Cell>) {
        if cell.is_none() && self.is_none() {
            return;
        }
        if let Some(slot) = self.get_or_insert_with(R::default).cell_mut(col) {
            *slot = cell;
        }
    }
}

/// A row field of a table message: its name (the row key) and how to reach it in a report.
pub(super) struct RowField {
    pub key: &'static str,
    /// The row field, when its table is in the report.
    pub get: fn(&pb::Report) -> Option<&dyn RowSlot>,
    pub get_mut: fn(&mut pb::Report) -> Option<&mut dyn RowSlot>,
}

/// A table message of the report.
pub(super) struct ProtoTable {
    /// The report's field holding it: `table2_2019`, `table3`, …
    pub field: &'static str,
    /// The template table it holds ([`crate::template::TableDecl::number`]).
    pub number: u8,
    /// Whether the report holds this table (for table 2: this variant of the oneof).
    pub given: fn(&pb::Report) -> bool,
    /// Puts an empty table into the report (for table 2: as this variant).
    pub create: fn(&mut pb::Report),
    /// The row fields, in the proto's order.
    pub rows: &'static [RowField],
}

/// Declares a [`ProtoTable`] from the report field holding it and its row fields.
macro_rules! proto_table {
    // Table 2: one variant of the `table2` oneof per edition.
    ($field:ident: $number:literal, Table2::$variant:ident, [$($row:ident),* $(,)?]) => {
        proto_table!(@ $field, $number,
            |p| match &p.table2 { Some(Table2::$variant(t)) => Some(t), _ => None },
            |p| match &mut p.table2 { Some(Table2::$variant(t)) => Some(t), _ => None },
            |p| p.table2 = Some(Table2::$variant(Default::default())),
            [$($row),*])
    };
    ($field:ident: $number:literal, [$($row:ident),* $(,)?]) => {
        proto_table!(@ $field, $number,
            |p| p.$field.as_ref(),
            |p| p.$field.as_mut(),
            |p| p.$field = Some(Default::default()),
            [$($row),*])
    };
    (@ $field:ident, $number:literal, |$p:ident| $get:expr, |$q:ident| $get_mut:expr,
        |$r:ident| $create:expr, [$($row:ident),*]) => {
        ProtoTable {
            field: stringify!($field),
            number: $number,
            given: |$p| $get.is_some(),
            create: |$r| $create,
            rows: &[$(RowField {
                key: stringify!($row),
                get: |$p| $get.map(|t| &t.$row as &dyn RowSlot),
                get_mut: |$q| $get_mut.map(|t| &mut t.$row as &mut dyn RowSlot),
            }),*],
        }
    };
}

static T2_2019: ProtoTable = proto_table!(
    table2_2019: 2,
    Table2::Table22019,
    [
        regulations,
        normative_docs,
        licensing,
        other_mgmt_services,
        punishment,
        coercion,
        admin_fees,
        central_procurement,
    ]
);

static T2_2021: ProtoTable = proto_table!(
    table2_2021: 2,
    Table2::Table22021,
    [regulations, normative_docs, licensing, punishment, coercion, admin_fees]
);

static T3: ProtoTable = proto_table!(
    table3: 3,
    [
        new,
        carried,
        granted,
        partial,
        deny_state_secret,
        deny_law_forbidden,
        deny_safety_stability,
        deny_third_party,
        deny_internal,
        deny_process,
        deny_enforcement,
        deny_query,
        unable_not_held,
        unable_needs_making,
        unable_unclear,
        reject_petition,
        reject_repeat,
        reject_publication,
        reject_massive,
        reject_confirm,
        other,
        other_no_correction,
        other_fee_unpaid,
        other_other,
        results_total,
        forward,
    ]
);

static T4: ProtoTable = proto_table!(table4: 4, [review, lit_direct, lit_after_review]);

/// The table messages of a report of `edition`, in template order.
pub(super) fn tables(edition: Edition) -> [&'static ProtoTable; 3] {
    match edition {
        Edition::E2019 => [&T2_2019, &T3, &T4],
        Edition::E2021 => [&T2_2021, &T3, &T4],
    }
}

/// A proto cell field of an edition's tables.
pub(super) struct ProtoCell {
    /// `t3.new.natural`
    pub key: String,
    /// Its template cell; `None` for a cell the edition does not have (t3.other_other in a
    /// 2019-edition report: table 3 is one message for both editions).
    pub ix: Option<CellIx>,
}

/// A row field and its cells, in column order.
pub(super) struct ProtoRow {
    pub field: &'static RowField,
    pub cells: Vec<ProtoCell>,
}

/// Every proto cell field of an edition's tables mapped to its template cell.
pub(super) struct Layout {
    pub tables: [&'static ProtoTable; 3],
    /// In the proto's order: tables, then rows.
    pub rows: Vec<ProtoRow>,
}

/// The layout of `edition`, compiled at first use.
pub(super) fn layout(edition: Edition) -> &'static Layout {
    static LAYOUTS: [OnceLock<Layout>; 2] = [OnceLock::new(), OnceLock::new()];
    LAYOUTS[edition as usize].get_or_init(|| Layout::compile(edition))
}

impl Layout {
    fn compile(edition: Edition) -> Layout {
        let template = edition.template();
        let tables = tables(edition);
        // An empty report with the tables in it, to ask each row field for its columns.
        let mut scratch = pb::Report::default();
        let mut rows = Vec::new();
        for table in tables {
            (table.create)(&mut scratch);
            let table_key = template
                .tables
                .iter()
                .find(|decl| decl.number == table.number)
                .map_or("", |decl| decl.key);
            for field in table.rows {
                let columns = (field.get_mut)(&mut scratch).map_or(&[][..], |s| s.columns());
                let cells = columns
                    .iter()
                    .map(|col| {
                        let key = format!("{table_key}.{}.{col}", field.key);
                        ProtoCell {
                            ix: template.ix(&key),
                            key,
                        }
                    })
                    .collect();
                rows.push(ProtoRow { field, cells });
            }
        }
        Layout { tables, rows }
    }

    /// Calls `f` with every cell given in `p`, in the proto's order. Tables of another
    /// edition are not looked at.
    pub fn each_given<E>(
        &self,
        p: &pb::Report,
        mut f: impl FnMut(&ProtoCell, &pb::Cell) -> Result<(), E>,
    ) -> Result<(), E> {
        for row in &self.rows {
            let Some(slot) = (row.field.get)(p) else {
                continue;
            };
            for (cell, given) in row.cells.iter().zip(slot.cells()) {
                if let Some(given) = given {
                    f(cell, given)?;
                }
            }
        }
        Ok(())
    }

    /// Puts the edition's tables into `p` and fills them with `cell` of each template cell.
    /// Rows with no cell given are left out.
    pub fn write(&self, p: &mut pb::Report, mut cell: impl FnMut(CellIx) -> Option<pb::Cell>) {
        for table in self.tables {
            (table.create)(p);
        }
        for row in &self.rows {
            let Some(slot) = (row.field.get_mut)(p) else {
                continue;
            };
            for (col, c) in row.cells.iter().enumerate() {
                slot.put(col, c.ix.and_then(&mut cell));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use prost::Message;
    use prost_types::{DescriptorProto, FileDescriptorSet};

    use super::*;

    fn message<'a>(fds: &'a FileDescriptorSet, name: &str) -> &'a DescriptorProto {
        let name = name.rsplit('.').next().unwrap_or(name);
        fds.file
            .iter()
            .flat_map(|f| &f.message_type)
            .find(|m| m.name() == name)
            .unwrap_or_else(|| panic!("no message {name}"))
    }

    fn field_names(m: &DescriptorProto) -> Vec<&str> {
        m.field.iter().map(|f| f.name()).collect()
    }

    /// The table lists every row and cell field the proto declares, in the proto's order.
    #[test]
    fn the_table_is_the_proto() {
        let fds = FileDescriptorSet::decode(pb::FILE_DESCRIPTOR_SET).unwrap();
        let report = message(&fds, "Report");
        let mut scratch = pb::Report::default();
        for table in [&T2_2019, &T2_2021, &T3, &T4] {
            let field = report.field.iter().find(|f| f.name() == table.field);
            let decl = message(&fds, field.expect(table.field).type_name());
            let rows: Vec<&str> = table.rows.iter().map(|r| r.key).collect();
            assert_eq!(rows, field_names(decl), "{}", table.field);
            (table.create)(&mut scratch);
            assert!((table.given)(&scratch));
            for (row, decl) in table.rows.iter().zip(&decl.field) {
                let slot = (row.get_mut)(&mut scratch).expect("the table was created");
                let columns = field_names(message(&fds, decl.type_name()));
                assert_eq!(slot.columns(), columns, "{}.{}", table.field, row.key);
            }
        }
    }

    /// Every template cell is exactly one proto cell field, and the other way round except
    /// for rows of the other edition in table 3.
    #[test]
    fn every_template_cell_is_one_proto_field() {
        for e in Edition::ALL {
            let t = e.template();
            let mut seen = vec![0; t.cells.len()];
            for cell in layout(e).rows.iter().flat_map(|r| &r.cells) {
                match cell.ix {
                    Some(ix) => {
                        seen[ix as usize] += 1;
                        assert_eq!(t.cell(ix).key, cell.key);
                    }
                    None => {
                        let other = Edition::ALL.into_iter().find(|o| *o != e).unwrap();
                        assert!(other.template().ix(&cell.key).is_some(), "{}", cell.key);
                    }
                }
            }
            for (def, n) in t.cells.iter().zip(seen) {
                assert_eq!(n, 1, "{} in the {e} edition", def.key);
            }
        }
    }
}
