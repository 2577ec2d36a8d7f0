//! Blocks into units: a label and the value slots printed after it, whatever the form.

use super::T4;
use crate::import::doc::{Block, BlockKind, Loc, Tok};
use crate::import::lexicon::{Lexicon, Match, Role};
use crate::import::normalize::{cell_text, is_value, label_key, trim, CellText};
use crate::import::outline::heading;
use crate::template::Edition;

/// A value slot after a label.
#[derive(Debug, Clone)]
pub(crate) enum Slot {
    Cell {
        text: String,
        loc: Loc,
        span: u16,
        /// pdftotext columns (chars, display); None elsewhere.
        pos: Option<((u32, u32), (u32, u32))>,
    },
    /// An empty cell (explicit in HTML and Markdown; counted from empty lines in flat text).
    Empty { span: u16 },
    /// Empty lines that do not tell how many empty cells they stand for.
    Unknown,
}

impl Slot {
    pub(super) fn is_number(&self) -> bool {
        match self {
            Slot::Cell { text, .. } => matches!(cell_text(text), CellText::Number(_)),
            _ => false,
        }
    }
}

/// A run of text in pdftotext text, with its columns (characters and display columns).
#[derive(Debug, Clone)]
pub(crate) struct Piece {
    pub text: String,
    pub x: (u32, u32),
    pub w: (u32, u32),
}

/// A label and the slots printed after it.
#[derive(Debug, Clone)]
pub(crate) struct Unit {
    pub loc: Loc,
    pub label_text: String,
    pub label: Option<Match>,
    pub slots: Vec<Slot>,
    /// pdftotext: the text cells before the values (text, start, end column, display
    /// start, display end).
    pub pieces: Vec<Piece>,
    pub layout: bool,
    /// Empty cells are explicit (HTML, Markdown, tabs): leading extra empties come from a
    /// label spanning columns.
    pub structured: bool,
}

impl Unit {
    pub(super) fn new(loc: Loc, label_text: String) -> Unit {
        Unit {
            loc,
            label_text,
            label: None,
            slots: Vec::new(),
            pieces: Vec::new(),
            layout: false,
            structured: false,
        }
    }

    pub(super) fn values(&self) -> usize {
        self.slots
            .iter()
            .filter(|s| matches!(s, Slot::Cell { .. }))
            .count()
    }
}

fn classify(text: &str) -> Option<Match> {
    let key = label_key(text);
    if key.is_empty() {
        return None;
    }
    Lexicon::get().find(&key)
}

/// The most columns a row with this label has in either edition (0 if it is no row).
fn row_width(m: &Match) -> usize {
    let lex = Lexicon::get();
    m.entries
        .iter()
        .filter_map(|&i| match lex.entry(i).role {
            Role::Row { table, row } if table != T4 => Some((table, row)),
            _ => None,
        })
        .flat_map(|(table, row)| {
            Edition::ALL
                .into_iter()
                .map(move |e| e.template().row_cells(&format!("{table}.{row}")).len())
        })
        .max()
        .unwrap_or(0)
}

/// Empty cells shown by `gap` empty lines when cells are separated by `sep` empty lines.
fn gap_slots(gap: u32, sep: u32) -> Option<Slot> {
    if sep == 0 {
        return (gap > 0).then_some(Slot::Empty {
            span: u16::try_from(gap).unwrap_or(u16::MAX),
        });
    }
    if gap <= sep {
        return None;
    }
    let extra = gap - sep;
    if extra % (sep + 1) == 0 {
        Some(Slot::Empty {
            span: u16::try_from(extra / (sep + 1)).unwrap_or(u16::MAX),
        })
    } else {
        Some(Slot::Unknown)
    }
}

/// The number of empty lines that separates two cells (or paragraphs) in flat text: the
/// commonest gap between two lines of the report. Empty cells are a minority of a report's
/// lines, so they do not sway it.
pub(crate) fn separator(blocks: &[Block<'_>]) -> u32 {
    let mut counts = [0usize; 8];
    for b in blocks.iter().skip(1) {
        if b.kind == BlockKind::Para {
            counts[(b.gap as usize).min(7)] += 1;
        }
    }
    counts
        .iter()
        .enumerate()
        .max_by_key(|(gap, n)| (**n, std::cmp::Reverse(*gap)))
        .filter(|(_, n)| **n > 0)
        .map_or(1, |(g, _)| g as u32)
}

/// Splits a row of cells into label and value slots: the label is the rightmost text cell
/// (or run of up to three text cells) that matches a label; the values are the cells after it.
fn split_row(cells: &[Tok<'_>], loc: Loc, layout: bool) -> Unit {
    let is_text: Vec<bool> = cells
        .iter()
        .map(|c| !trim(&c.text).is_empty() && !is_value(&c.text))
        .collect();
    // pdftotext: the label is left of the first number; everything from there on is a slot.
    let first_value = if layout {
        (0..cells.len())
            .find(|&i| !is_text[i] && !trim(&cells[i].text).is_empty())
            .unwrap_or(cells.len())
    } else {
        cells.len()
    };
    let texts: Vec<usize> = (0..first_value).filter(|&i| is_text[i]).collect();
    let join = |i: usize, j: usize| -> String {
        cells[i..=j]
            .iter()
            .map(|c| trim(&c.text))
            .collect::<Vec<_>>()
            .concat()
    };
    let mut chosen: Option<(usize, usize, Match)> = None;
    let mut fuzzy: Option<(usize, usize, Match)> = None;
    'outer: for &j in texts.iter().rev() {
        for len in 1..=3usize {
            let Some(i) = (j + 1).checked_sub(len) else {
                break;
            };
            if !(i..=j).all(|k| is_text[k]) {
                break;
            }
            let key = label_key(&join(i, j));
            let lex = Lexicon::get();
            if let Some(m) = lex.exact(&key).or_else(|| lex.after_groups(&key)) {
                chosen = Some((i, j, m));
                break 'outer;
            }
            if let Some(m) = lex.fuzzy(&key) {
                if fuzzy.as_ref().is_none_or(|(_, _, f)| m.score > f.score) {
                    fuzzy = Some((i, j, m));
                }
            }
        }
        // The rightmost cell that reads as a label is the row's label.
        if fuzzy.is_some() {
            break;
        }
    }
    let chosen = chosen.or(fuzzy);
    let (label_text, label, after) = match chosen {
        Some((i, j, m)) => (
            join(i, j),
            Some(m),
            if layout { first_value } else { j + 1 },
        ),
        None => match texts.last() {
            Some(&last) => (
                texts
                    .iter()
                    .map(|&k| trim(&cells[k].text))
                    .collect::<Vec<_>>()
                    .concat(),
                None,
                if layout { first_value } else { last + 1 },
            ),
            None => (String::new(), None, 0),
        },
    };
    let mut u = Unit::new(loc, label_text);
    u.label = label;
    u.layout = layout;
    u.structured = !layout;
    if layout {
        u.pieces = cells
            .iter()
            .filter(|c| !trim(&c.text).is_empty() && !is_value(&c.text))
            .map(|c| Piece {
                text: trim(&c.text).to_string(),
                x: c.x,
                w: c.w,
            })
            .collect();
    }
    for c in &cells[after..] {
        let t = trim(&c.text);
        if t.is_empty() {
            if !layout {
                u.slots.push(Slot::Empty { span: c.span });
            }
        } else {
            u.slots.push(Slot::Cell {
                text: t.to_string(),
                loc,
                span: c.span,
                pos: layout.then_some((c.x, c.w)),
            });
        }
    }
    u
}

/// Units of a run of blocks; `after` is the block that follows the run, if any (its empty
/// lines before it may be empty cells of the run's last row).
/// `sep` is the document's [`separator`].
pub(super) fn units(blocks: &[Block<'_>], after: Option<&Block<'_>>, sep: u32) -> Vec<Unit> {
    let mut out: Vec<Unit> = Vec::new();
    let mut cur: Option<Unit> = None;
    let mut prev_text = false;
    // Units are classified when made (and again when a wrapped label grows).
    let finish = |u: Unit, out: &mut Vec<Unit>| out.push(u);
    for b in blocks {
        match b.kind {
            BlockKind::Para => {
                let t = trim(&b.text);
                if t.is_empty() {
                    continue;
                }
                let value = is_value(t);
                // A label wrapped over lines with no empty line between (「本年新\n制作数量」).
                if !value && b.cont && prev_text && sep > 0 {
                    if let Some(u) = cur.as_mut().filter(|u| u.slots.is_empty()) {
                        u.label_text.push_str(t);
                        u.label = classify(&u.label_text);
                        continue;
                    }
                }
                prev_text = !value;
                let gap = gap_slots(b.gap, sep);
                let label = if value { None } else { classify(t) };
                // Short unknown text where a value belongs (「无」) is a value slot, read
                // later: when the current unit is a row still short of values.
                let in_row = || {
                    cur.as_ref().is_some_and(|u| {
                        u.label.as_ref().is_some_and(|m| {
                            let width = row_width(m);
                            let filled = u
                                .slots
                                .iter()
                                .filter(|s| !matches!(s, Slot::Unknown))
                                .take(width)
                                .count();
                            filled < width
                        })
                    })
                };
                let cellish = !value
                    && label.is_none()
                    && t.chars().count() <= 6
                    && in_row()
                    && heading(t).is_none();
                if value || cellish {
                    let u = cur.get_or_insert_with(|| Unit::new(b.loc, String::new()));
                    if !u.slots.is_empty() || !u.label_text.is_empty() {
                        u.slots.extend(gap);
                    }
                    u.slots.push(Slot::Cell {
                        text: t.to_string(),
                        loc: b.loc,
                        span: 1,
                        pos: None,
                    });
                } else {
                    if let Some(mut u) = cur.take() {
                        if !u.slots.is_empty() {
                            u.slots.extend(gap);
                        }
                        finish(u, &mut out);
                    }
                    let mut u = Unit::new(b.loc, t.to_string());
                    u.label = label;
                    cur = Some(u);
                }
            }
            BlockKind::Row | BlockKind::Layout => {
                prev_text = false;
                if let Some(u) = cur.take() {
                    finish(u, &mut out);
                }
                if b.cells.iter().all(|c| trim(&c.text).is_empty()) {
                    continue;
                }
                out.push(split_row(&b.cells, b.loc, b.kind == BlockKind::Layout));
            }
        }
    }
    if let Some(mut u) = cur.take() {
        if let Some(next) = after.filter(|b| b.kind == BlockKind::Para) {
            if !u.slots.is_empty() {
                u.slots.extend(gap_slots(next.gap, sep));
            }
        }
        finish(u, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps() {
        assert!(gap_slots(1, 1).is_none());
        assert!(matches!(gap_slots(3, 1), Some(Slot::Empty { span: 1 })));
        assert!(matches!(gap_slots(2, 1), Some(Slot::Unknown)));
        assert!(matches!(gap_slots(2, 0), Some(Slot::Empty { span: 2 })));
    }
}
