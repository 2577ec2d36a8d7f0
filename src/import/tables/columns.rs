//! pdftotext: where a row's columns are, learnt from complete rows of the same width or from
//! the column headers printed above it, and values placed on them.

use super::fit::{place, Fit};
use super::units::{Slot, Unit};
use super::{has_role, roles, Deferred, Reading, T4};
use crate::import::lexicon::{Lexicon, Role};
use crate::import::normalize::{is_value, label_key};
use crate::import::Unreadable;
use crate::template::CellIx;

impl<'u> Reading<'u> {
    /// pdftotext rows with fewer values than columns: placed by column positions learnt from
    /// complete rows of the same width or from the headers above, or reported unreadable.
    pub(super) fn place_deferred(&mut self) {
        for d in std::mem::take(&mut self.deferred) {
            let peers = self.peers(&d);
            let fits = self
                .positions(&d, &peers)
                .iter()
                .find(|p| peers.iter().all(|u| align(&u.slots, p).is_some()))
                .and_then(|p| align(&d.slots, p));
            match fits {
                Some(fits) => place(self.t, d.ix, &fits, d.loc, &mut self.out),
                None => self.unreadable_row(&d),
            }
        }
    }

    /// The table's other positioned rows of the width of `d`: every placement must fit them
    /// (none for table 4, whose rows differ).
    fn peers(&self, d: &Deferred) -> Vec<&'u Unit> {
        let t = self.t;
        let table = t.table_of(d.ix).key;
        if table == T4 {
            return Vec::new();
        }
        self.units
            .iter()
            .filter(|u| u.layout && u.values() > 0)
            .filter(|u| {
                u.label.as_ref().is_some_and(|m| {
                    roles(m, self.edition).iter().any(|(r, _)| match r {
                        Role::Row { table: tt, row } => {
                            *tt == table && t.row_cells(&format!("{tt}.{row}")).len() == d.n
                        }
                        _ => false,
                    })
                })
            })
            .collect()
    }

    /// The column positions to try for `d`: learnt from its complete peers, then from the
    /// headers above it (in the peers' metric).
    fn positions(&self, d: &Deferred, peers: &[&Unit]) -> Vec<(bool, Vec<f32>)> {
        let t = self.t;
        let labels: Vec<&str> = (0..d.n)
            .map(|i| t.cell(d.ix + i as CellIx).column.label)
            .collect();
        let complete = column_positions(peers, d.n);
        let display = complete.as_ref().is_none_or(|(display, _)| *display);
        let floor = if d.ui >= self.t4_from {
            self.t4_from
        } else {
            0
        };
        let mut candidates: Vec<(bool, Vec<f32>)> = complete.into_iter().collect();
        candidates.extend(
            header_positions(self.units, floor, d.ui, &labels)
                .into_iter()
                .filter(|(m, _)| *m == display),
        );
        candidates
    }

    /// Every cell of a row that could not be placed: unreadable, with why.
    fn unreadable_row(&mut self, d: &Deferred) {
        let t = self.t;
        let texts: Vec<String> = d
            .slots
            .iter()
            .filter_map(|s| match s {
                Slot::Cell { text, .. } => Some(text.clone()),
                _ => None,
            })
            .collect();
        if !texts.is_empty() && texts.len() <= d.n {
            self.out.damaged.push(super::Damaged {
                start: d.ix,
                n: d.n,
                texts,
            });
        }
        for i in 0..d.n {
            let ix = d.ix + i as CellIx;
            self.out.unreadable.push(Unreadable {
                key: t.cell(ix).key.clone(),
                label: t.label(ix),
                loc: Some(d.loc),
                text: None,
                reason: format!("「{}」{}", d.row_label, d.reason),
            });
        }
    }
}

/// Which metric (chars or display columns) and the centre of each of `n` columns, learnt
/// from positioned units with exactly `n` value cells.
fn column_positions(units: &[&Unit], n: usize) -> Option<(bool, Vec<f32>)> {
    let mut sums = [vec![Vec::<f32>::new(); n], vec![Vec::<f32>::new(); n]];
    for u in units {
        if !u.layout || u.slots.len() != n || u.values() != n {
            continue;
        }
        for (c, s) in u.slots.iter().enumerate() {
            if let Slot::Cell {
                pos: Some((x, w)), ..
            } = s
            {
                sums[0][c].push((x.0 + x.1) as f32 / 2.0);
                sums[1][c].push((w.0 + w.1) as f32 / 2.0);
            }
        }
    }
    if sums[0].iter().any(Vec::is_empty) {
        return None;
    }
    let spread = |cols: &Vec<Vec<f32>>| -> f32 {
        cols.iter()
            .map(|v| {
                let (lo, hi) = v
                    .iter()
                    .fold((f32::MAX, f32::MIN), |(a, b), &x| (a.min(x), b.max(x)));
                hi - lo
            })
            .sum()
    };
    // pdftotext places words by their physical position: display columns (a CJK character
    // two) are the natural metric; characters only where they are clearly more regular.
    let display = spread(&sums[1]) <= spread(&sums[0]);
    let cols = &sums[usize::from(display)];
    // Rows that do not line up are no ground for placing anything.
    if spread(cols) > 2.0 * n as f32 {
        return None;
    }
    let centres: Vec<f32> = cols
        .iter()
        .map(|v| {
            let mut v = v.clone();
            v.sort_by(f32::total_cmp);
            v[v.len() / 2]
        })
        .collect();
    Some((display, centres))
}

/// A column header in pdftotext text: a piece, or a piece joined with the overlapping pieces
/// of the lines below, with its columns (characters, display).
struct Header {
    key: String,
    x: (u32, u32),
    w: (u32, u32),
}

/// Column centres from the column headers printed above a row in pdftotext text (headers
/// may be wrapped over lines: 「上一年项」/「目数量」). Both metrics are returned (characters,
/// display columns); `labels` are the row's column labels in order.
fn header_positions(
    units: &[Unit],
    floor: usize,
    ui: usize,
    labels: &[&str],
) -> Vec<(bool, Vec<f32>)> {
    if !units.get(ui).is_some_and(|u| u.layout) {
        return Vec::new();
    }
    let headers = headers(&header_lines(units, floor, ui));
    [false, true]
        .into_iter()
        .filter_map(|display| Some((display, centres_in_order(&headers, labels, display)?)))
        .collect()
}

/// The value-less lines above the row `ui`, back to its block's title or the previous table
/// (not above `floor`), top to bottom.
fn header_lines(units: &[Unit], floor: usize, ui: usize) -> Vec<&Unit> {
    let table = units[ui].label.as_ref().and_then(|m| {
        let lex = Lexicon::get();
        m.entries.iter().find_map(|&i| match lex.entry(i).role {
            Role::Row { table, .. } => Some(table),
            _ => None,
        })
    });
    let mut lines: Vec<&Unit> = Vec::new();
    for u in units[floor.min(ui)..ui].iter().rev().take(80) {
        if !u.layout {
            break;
        }
        if let Some(m) = &u.label {
            if has_role(m, |r| matches!(r, Role::BlockTitle { .. })) {
                break;
            }
            let other_table = has_role(
                m,
                |r| matches!(r, Role::Row { table: t, .. } if Some(t) != table),
            ) && !has_role(
                m,
                |r| matches!(r, Role::Row { table: t, .. } if Some(t) == table),
            );
            if other_table && table.is_some() {
                break;
            }
        }
        let numbers = u.slots.iter().any(|s| match s {
            Slot::Cell { text, .. } => is_value(text),
            _ => false,
        });
        if !numbers {
            lines.push(u);
        }
    }
    lines.reverse();
    lines
}

/// The candidate headers of header lines: each piece, and each piece joined with the
/// overlapping pieces of up to two lines below.
fn headers(lines: &[&Unit]) -> Vec<Header> {
    let mut cands: Vec<Header> = Vec::new();
    for (li, line) in lines.iter().enumerate() {
        for p in &line.pieces {
            let mut text = p.text.clone();
            let (mut x, mut w) = (p.x, p.w);
            cands.push(Header {
                key: label_key(&text),
                x,
                w,
            });
            // Up to two more parts on the next three lines (merged header cells centre
            // their text vertically, so a line between may hold other headers).
            let mut prev_line = line.loc.line;
            let mut parts = 0;
            for below in lines.iter().skip(li + 1) {
                if below.loc.line > prev_line + 2 || parts == 2 {
                    break;
                }
                // Overlapping in display columns, else in characters.
                let Some(q) = below
                    .pieces
                    .iter()
                    .find(|q| q.w.0 < w.1 && q.w.1 > w.0)
                    .or_else(|| below.pieces.iter().find(|q| q.x.0 < x.1 && q.x.1 > x.0))
                else {
                    continue;
                };
                prev_line = below.loc.line;
                parts += 1;
                text.push_str(&q.text);
                x = (x.0.min(q.x.0), x.1.max(q.x.1));
                w = (w.0.min(q.w.0), w.1.max(q.w.1));
                cands.push(Header {
                    key: label_key(&text),
                    x,
                    w,
                });
            }
        }
    }
    cands
}

/// The centres of `labels` found among the headers in order, left to right, in one metric
/// (display columns or characters); None unless every label is found.
fn centres_in_order(headers: &[Header], labels: &[&str], display: bool) -> Option<Vec<f32>> {
    let span = |c: &Header| if display { c.w } else { c.x };
    let mut order: Vec<&Header> = headers.iter().collect();
    order.sort_by_key(|c| span(c).0);
    let mut centres = Vec::new();
    let mut after = 0u32;
    for label in labels {
        let key = label_key(label);
        let Some(c) = order.iter().find(|c| span(c).0 >= after && c.key == key) else {
            break;
        };
        after = span(c).1;
        centres.push((span(c).0 + span(c).1) as f32 / 2.0);
    }
    (centres.len() == labels.len()).then_some(centres)
}

/// Places positioned values on the nearest column centre; None unless every value lands
/// unambiguously on its own column, in order.
fn align<'s>(slots: &'s [Slot], (display, centres): &(bool, Vec<f32>)) -> Option<Vec<Fit<'s>>> {
    let n = centres.len();
    let min_gap = centres
        .windows(2)
        .map(|w| w[1] - w[0])
        .fold(f32::MAX, f32::min);
    if n < 2 || min_gap <= 1.0 {
        return None;
    }
    let tol = min_gap * 0.45;
    let mut fits = vec![Fit::Blank; n];
    let mut last: Option<usize> = None;
    for s in slots {
        let Slot::Cell {
            pos: Some((x, w)), ..
        } = s
        else {
            if matches!(s, Slot::Unknown) {
                return None;
            }
            continue;
        };
        let p = if *display {
            (w.0 + w.1) as f32 / 2.0
        } else {
            (x.0 + x.1) as f32 / 2.0
        };
        let (col, dist) = centres
            .iter()
            .enumerate()
            .map(|(i, c)| (i, (c - p).abs()))
            .min_by(|a, b| a.1.total_cmp(&b.1))?;
        if dist > tol || last.is_some_and(|l| col <= l) {
            return None;
        }
        fits[col] = Fit::Cell(s);
        last = Some(col);
    }
    Some(fits)
}
