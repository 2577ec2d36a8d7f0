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
mod units;
mod wrapped;

use std::collections::{HashMap, HashSet};

use super::doc::Loc;
use super::lexicon::{Lexicon, Match, Role};
use super::normalize::clip;
use super::{FuzzyMatch, Unreadable};
use crate::model::Cell;
use crate::template::{CellIx, Edition, Presence};
use columns::{align, column_positions, header_positions};
use fit::{fit, place};
pub(crate) use units::{separator, units, Slot, Unit};

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

/// Reads the tables of `edition` from units; `t4_from` is the first unit of table 4's region.
pub(crate) fn read(units: &[Unit], t4_from: usize, edition: Edition, region: Loc) -> Tables {
    let t = edition.template();
    let mut out = Tables {
        cells: vec![None; t.cells.len()],
        ..Tables::default()
    };
    let mut deferred: Vec<Deferred> = Vec::new();
    let mut placed_rows: HashMap<String, Loc> = HashMap::new();

    let row_units = &units[..t4_from.min(units.len())];
    for (ui, u) in row_units.iter().enumerate() {
        let Some(m) = &u.label else {
            if u.slots.iter().any(Slot::is_number) {
                out.notes.push(format!(
                    "{}：「{}」后的数值未导入：无法识别该行标签",
                    u.loc,
                    clip(&u.label_text)
                ));
            }
            continue;
        };
        let rs = roles(m, edition);
        let row = rs.iter().find_map(|(r, other)| match r {
            Role::Row { table, row } if *table != "t4" => Some((*table, *row, *other)),
            _ => None,
        });
        let Some((table, row, other_edition)) = row else {
            if u.slots.iter().any(Slot::is_number) {
                let what = if rs.is_empty() {
                    format!("该标签不属于{}年版格式", edition)
                } else {
                    "标签不是行标签".to_string()
                };
                out.notes.push(format!(
                    "{}：「{}」后的数值未导入：{}",
                    u.loc,
                    clip(&u.label_text),
                    what
                ));
            }
            continue;
        };
        // A group label that is also a (variant) row label: a group when its rows follow.
        if u.values() == 0 && rs.iter().any(|(r, _)| matches!(r, Role::RowGroup { .. })) {
            let next = row_units[ui + 1..].iter().find_map(|n| n.label.as_ref());
            let group_follows = next.is_some_and(|n| {
                roles(n, edition).iter().any(|(r, _)| match r {
                    Role::Row { table: nt, row: nr } => t
                        .row_cells(&format!("{nt}.{nr}"))
                        .next()
                        .is_some_and(|c| t.cell(c).row.group == Some(official(m))),
                    _ => false,
                })
            });
            if group_follows {
                continue;
            }
        }
        // In pdftotext text a row's label alone on a line is blank only when matched exactly.
        if u.layout && u.values() == 0 && !m.exact() {
            continue;
        }
        let row_key = format!("{table}.{row}");
        let range = t.row_cells(&row_key);
        let n = range.len();
        if n == 0 {
            continue;
        }
        if !m.exact() {
            out.fuzzy.push(FuzzyMatch {
                loc: u.loc,
                found: u.label_text.clone(),
                label: official(m).to_string(),
                score: m.score,
            });
        }
        if other_edition {
            out.notes.push(format!(
                "{}：行标签「{}」是另一版本格式的写法，按本报告{}年版的同一行读取",
                u.loc,
                clip(&u.label_text),
                edition
            ));
        }
        if let Some(first) = placed_rows.get(&row_key) {
            out.notes.push(format!(
                "{}：「{}」行重复出现（首次在{}），以首次为准",
                u.loc,
                clip(&u.label_text),
                first
            ));
            continue;
        }
        placed_rows.insert(row_key.clone(), u.loc);
        out.rows.insert(row_key);
        let row_label = t.cell(range.start).row.label;
        match fit(&u.slots, n, u.structured) {
            Ok(fits) => place(t, range.start, &fits, u.loc, &mut out),
            Err(reason) => deferred.push(Deferred {
                ui,
                ix: range.start,
                n,
                slots: u.slots.clone(),
                row_label,
                loc: u.loc,
                reason,
            }),
        }
    }

    // Table 4: one printed row of 15 cells, or (seen in the wild) a row per group.
    let t4_units = &units[t4_from.min(units.len())..];
    let t4_cells: Vec<CellIx> = (0..t.cells.len() as CellIx)
        .filter(|&i| t.cell(i).key.starts_with("t4."))
        .collect();
    let mut by_row = false;
    for (k, u) in t4_units.iter().enumerate() {
        let ui = t4_from + k;
        let Some(m) = &u.label else { continue };
        let Some(row) = roles(m, edition).iter().find_map(|(r, _)| match r {
            Role::Row { table: "t4", row } => Some(*row),
            _ => None,
        }) else {
            continue;
        };
        if u.values() == 0 {
            continue;
        }
        by_row = true;
        let row_key = format!("t4.{row}");
        if out.rows.contains(&row_key) {
            continue;
        }
        let range = t.row_cells(&row_key);
        out.rows.insert(row_key);
        match fit(&u.slots, range.len(), u.structured) {
            Ok(fits) => place(t, range.start, &fits, u.loc, &mut out),
            Err(reason) => deferred.push(Deferred {
                ui,
                ix: range.start,
                n: range.len(),
                slots: u.slots.clone(),
                row_label: t.cell(range.start).row.label,
                loc: u.loc,
                reason,
            }),
        }
    }
    if !by_row && !t4_cells.is_empty() && !t4_units.is_empty() {
        // The slots of the value-bearing units, from the first one on, while they continue.
        let mut slots: Vec<Slot> = Vec::new();
        let mut loc = None;
        let mut first_ui = t4_from;
        let mut structured = false;
        for (k, u) in t4_units.iter().enumerate() {
            // Text that is no header of the table ends the values (a note, a paragraph).
            let stray = u.label.is_none() && !u.label_text.is_empty();
            if loc.is_some() && stray {
                break;
            }
            if u.values() == 0 {
                continue;
            }
            if loc.is_none() {
                first_ui = t4_from + k;
            }
            loc.get_or_insert(u.loc);
            structured |= u.structured;
            slots.extend(u.slots.iter().cloned());
        }
        if let Some(loc) = loc {
            for key in ["t4.review", "t4.lit_direct", "t4.lit_after_review"] {
                out.rows.insert(key.to_string());
            }
            let n = t4_cells.len();
            match fit(&slots, n, structured) {
                Ok(fits) => place(t, t4_cells[0], &fits, loc, &mut out),
                Err(reason) => deferred.push(Deferred {
                    ui: first_ui,
                    ix: t4_cells[0],
                    n,
                    slots,
                    row_label: "表四",
                    loc,
                    reason,
                }),
            }
        }
    }

    // pdftotext rows with fewer values than columns: place by column positions learnt from
    // complete rows of the same width, or give up.
    for d in deferred {
        let labels: Vec<&str> = (0..d.n)
            .map(|i| t.cell(d.ix + i as CellIx).column.label)
            .collect();
        // The table's other positioned rows of the same width: every placement must fit them.
        let table = t.cell(d.ix).key.split('.').next().unwrap_or("");
        let peers: Vec<&Unit> = if table == "t4" {
            Vec::new()
        } else {
            units
                .iter()
                .filter(|u| u.layout && u.values() > 0)
                .filter(|u| {
                    u.label.as_ref().is_some_and(|m| {
                        roles(m, edition).iter().any(|(r, _)| match r {
                            Role::Row { table: tt, row } => {
                                *tt == table && t.row_cells(&format!("{tt}.{row}")).len() == d.n
                            }
                            _ => false,
                        })
                    })
                })
                .collect()
        };
        let complete = column_positions(&peers, d.n);
        let display = complete.as_ref().is_none_or(|(display, _)| *display);
        let floor = if d.ui >= t4_from { t4_from } else { 0 };
        let mut candidates: Vec<(bool, Vec<f32>)> = complete.into_iter().collect();
        candidates.extend(
            header_positions(units, floor, d.ui, &labels)
                .into_iter()
                .filter(|(m, _)| *m == display),
        );
        let fits = candidates
            .iter()
            .find(|p| peers.iter().all(|u| align(&u.slots, p).is_some()))
            .and_then(|p| align(&d.slots, p));
        match fits {
            Some(fits) => place(t, d.ix, &fits, d.loc, &mut out),
            None => {
                for i in 0..d.n {
                    let ix = d.ix + i as CellIx;
                    out.unreadable.push(Unreadable {
                        key: t.cell(ix).key.clone(),
                        label: t.label(ix),
                        loc: Some(d.loc),
                        text: None,
                        reason: format!("「{}」{}", d.row_label, d.reason),
                    });
                }
            }
        }
    }

    // Rows not found.
    let variant_given = |key: &str| out.rows.contains(key);
    for table in &t.tables {
        for block in &table.blocks {
            for row in &block.rows {
                let key = format!("{}.{}", table.key, row.key);
                if out.rows.contains(&key) {
                    continue;
                }
                let expected = match row.presence {
                    Presence::Always => {
                        // Sub-rows replaced by a variant row that was printed.
                        !t.tables.iter().any(|tt| {
                            tt.blocks.iter().any(|b| {
                                b.rows.iter().any(|r| match r.presence {
                                    Presence::InsteadOf(others) => {
                                        others.contains(&row.key)
                                            && variant_given(&format!("{}.{}", tt.key, r.key))
                                    }
                                    Presence::Always => false,
                                })
                            })
                        })
                    }
                    Presence::InsteadOf(_) => false,
                };
                if !expected {
                    continue;
                }
                for ix in t.row_cells(&key) {
                    out.unreadable.push(Unreadable {
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
    out
}
