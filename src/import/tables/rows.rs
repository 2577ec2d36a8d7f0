//! Tables 2 and 3: rows found by their labels, and the rows the report should have printed
//! but did not.

use std::collections::HashMap;

use super::units::{Slot, Unit};
use super::{official, roles, Reading, T4};
use crate::import::doc::Loc;
use crate::import::lexicon::{Match, Role};
use crate::import::{FuzzyMatch, Unreadable};
use crate::template::{Presence, RowDecl};

impl Reading<'_> {
    /// Every unit before table 4 whose label is a row label of tables 2 and 3: its values
    /// placed on the row's cells (the first of a repeated row wins).
    pub(super) fn rows(&mut self) {
        let t = self.t;
        let units = self.units;
        let row_units = &units[..self.t4_from.min(units.len())];
        let mut placed_rows: HashMap<String, Loc> = HashMap::new();
        for (ui, u) in row_units.iter().enumerate() {
            let Some(m) = &u.label else {
                self.values_not_imported(u, || "无法识别该行标签".to_string());
                continue;
            };
            let rs = roles(m, self.edition);
            let row = rs.iter().find_map(|(r, other)| match r {
                Role::Row { table, row } if *table != T4 => Some((*table, *row, *other)),
                _ => None,
            });
            let Some((table, row, other_edition)) = row else {
                let edition = self.edition;
                self.values_not_imported(u, || {
                    if rs.is_empty() {
                        format!("该标签不属于{}年版格式", edition)
                    } else {
                        "标签不是行标签".to_string()
                    }
                });
                continue;
            };
            if u.values() == 0 && self.heads_a_group(m, &rs, &row_units[ui + 1..]) {
                continue;
            }
            // In pdftotext text a row's label alone on a line is blank only when matched exactly.
            if u.layout && u.values() == 0 && !m.exact() {
                continue;
            }
            let row_key = format!("{table}.{row}");
            let range = t.row_cells(&row_key);
            if range.is_empty() {
                continue;
            }
            self.matched(u, m, other_edition);
            if let Some(first) = placed_rows.get(&row_key) {
                let first = *first;
                self.note(u, |label| {
                    format!("「{label}」行重复出现（首次在{first}），以首次为准")
                });
                continue;
            }
            placed_rows.insert(row_key.clone(), u.loc);
            self.out.rows.insert(row_key);
            let row_label = t.cell(range.start).row.label;
            self.fit_or_defer(ui, u, range, row_label);
        }
    }

    /// Notes that the numbers after a label that is no row label were not imported, and why.
    fn values_not_imported(&mut self, u: &Unit, why: impl FnOnce() -> String) {
        if u.slots.iter().any(Slot::is_number) {
            let why = why();
            self.note(u, |label| format!("「{label}」后的数值未导入：{why}"));
        }
    }

    /// A group label that is also a (variant) row label, without values: a group when the
    /// next labelled unit is one of its rows.
    fn heads_a_group(&self, m: &Match, rs: &[(Role, bool)], after: &[Unit]) -> bool {
        if !rs.iter().any(|(r, _)| matches!(r, Role::RowGroup { .. })) {
            return false;
        }
        let t = self.t;
        let next = after.iter().find_map(|n| n.label.as_ref());
        next.is_some_and(|n| {
            roles(n, self.edition).iter().any(|(r, _)| match r {
                Role::Row { table: nt, row: nr } => t
                    .row_cells(&format!("{nt}.{nr}"))
                    .next()
                    .is_some_and(|c| t.cell(c).row.group == Some(official(m))),
                _ => false,
            })
        })
    }

    /// Records how a row label was matched: a misprint taken for an official label, or the
    /// other edition's wording of the row.
    fn matched(&mut self, u: &Unit, m: &Match, other_edition: bool) {
        if !m.exact() {
            self.out.fuzzy.push(FuzzyMatch {
                loc: u.loc,
                found: u.label_text.clone(),
                label: official(m).to_string(),
                score: m.score,
            });
        }
        if other_edition {
            let edition = self.edition;
            self.note(u, |label| {
                format!("行标签「{label}」是另一版本格式的写法，按本报告{edition}年版的同一行读取")
            });
        }
    }

    /// Every row the report should print but that was not found: its cells unreadable.
    pub(super) fn missing_rows(&mut self, region: Loc) {
        let t = self.t;
        for table in &t.tables {
            for row in table.blocks.iter().flat_map(|b| &b.rows) {
                let key = format!("{}.{}", table.key, row.key);
                if self.out.rows.contains(&key) || !self.expected(row) {
                    continue;
                }
                for ix in t.row_cells(&key) {
                    self.out.unreadable.push(Unreadable {
                        key: t.cell(ix).key.clone(),
                        label: t.label(ix),
                        loc: Some(region),
                        text: None,
                        reason: format!("未找到「{}」行", row.label),
                    });
                }
            }
        }
    }

    /// Whether a row not found should have been printed: a variant row need not be, nor a
    /// sub-row replaced by a variant row that was printed.
    fn expected(&self, row: &RowDecl) -> bool {
        match row.presence {
            Presence::Always => !self.t.tables.iter().any(|tt| {
                tt.blocks.iter().any(|b| {
                    b.rows.iter().any(|r| match r.presence {
                        Presence::InsteadOf(others) => {
                            others.contains(&row.key)
                                && self.out.rows.contains(&format!("{}.{}", tt.key, r.key))
                        }
                        Presence::Always => false,
                    })
                })
            }),
            Presence::InsteadOf(_) => false,
        }
    }
}
