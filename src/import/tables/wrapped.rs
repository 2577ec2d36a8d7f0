//! pdftotext: row labels wrapped over several lines, joined back to the line holding the
//! row's values.

use std::collections::HashSet;

use super::has_role;
use super::units::{Piece, Slot, Unit};
use crate::import::lexicon::{Lexicon, Match, Role};
use crate::import::normalize::label_key;

/// pdftotext: row labels wrapped over lines. A values line takes the label parts from up to
/// two lines above and below that lie in its label's column; a line without values takes the
/// parts on the next lines that make an official row label. The lines taken are dropped.
pub(super) fn merge_wrapped(units: &mut Vec<Unit>) {
    let mut consumed: HashSet<usize> = HashSet::new();
    for i in 0..units.len() {
        join_around_values(units, i, &mut consumed);
    }
    for i in 0..units.len() {
        join_valueless(units, i, &mut consumed);
    }
    if !consumed.is_empty() {
        let mut k = 0;
        units.retain(|_| {
            let keep = !consumed.contains(&k);
            k += 1;
            keep
        });
    }
}

/// A row label joined from a values line and parts of its neighbours.
struct Join {
    score: f32,
    /// How many neighbouring lines it takes.
    lines: usize,
    /// The neighbouring lines it takes.
    used: Vec<usize>,
    text: String,
}

/// The values line `i` takes the joined label that matches a row label better than its own.
fn join_around_values(units: &mut [Unit], i: usize, consumed: &mut HashSet<usize>) {
    let u = &units[i];
    if !u.layout || u.values() == 0 || u.label.as_ref().is_some_and(Match::exact) {
        return;
    }
    let Some(best) = best_join(units, i, consumed) else {
        return;
    };
    let current = units[i].label.as_ref().map_or(0.0, |m| m.score);
    if best.score > current {
        let m = Lexicon::get().find(&label_key(&best.text));
        units[i].label = m;
        units[i].label_text = best.text;
        consumed.extend(best.used);
    }
}

/// The best row label for the values line `i`: its own last 0..=3 pieces left of the values
/// joined with the parts of up to two free lines above and below; the highest score wins,
/// then the fewest lines.
fn best_join(units: &[Unit], i: usize, consumed: &HashSet<usize>) -> Option<Join> {
    let lex = Lexicon::get();
    let u = &units[i];
    let first_value = u
        .slots
        .iter()
        .find_map(|s| match s {
            Slot::Cell {
                pos: Some((x, _)), ..
            } => Some(x.0),
            _ => None,
        })
        .unwrap_or(u32::MAX);
    let own_label = u.pieces.iter().any(|p| p.x.0 < first_value);
    // A line with a whole label of its own is taken only by a values line with none.
    let free = |k: usize| -> bool {
        let n = &units[k];
        n.layout
            && n.values() == 0
            && !consumed.contains(&k)
            && (!own_label || !n.label.as_ref().is_some_and(Match::exact))
    };
    // Own suffixes: the last 0..=3 pieces left of the values.
    let own_all: Vec<&Piece> = u.pieces.iter().filter(|p| p.x.0 < first_value).collect();
    let np = own_all.len();
    let mut best: Option<Join> = None;
    for own in 0..=np.min(3) {
        let own_pieces = &own_all[np - own..];
        let col = own_pieces.first().map_or(0, |p| p.x.0.saturating_sub(2));
        // A neighbour's part: its rightmost text left of the values (the label column;
        // fragments of group labels further left are not part of the row's label).
        let part = |k: usize| -> String {
            units[k]
                .pieces
                .iter()
                .rfind(|p| p.x.1 > col && p.x.0 < first_value)
                .map(|p| p.text.clone())
                .unwrap_or_default()
        };
        let own_text: String = own_pieces.iter().map(|p| p.text.as_str()).collect();
        for above in 0..=2usize {
            if above > i || !(1..=above).all(|d| free(i - d)) {
                break;
            }
            for below in 0..=2usize {
                if i + below >= units.len() || !(1..=below).all(|d| free(i + d)) {
                    break;
                }
                let mut text = String::new();
                for d in (1..=above).rev() {
                    text.push_str(&part(i - d));
                }
                text.push_str(&own_text);
                for d in 1..=below {
                    text.push_str(&part(i + d));
                }
                let Some(m) = lex.find(&label_key(&text)) else {
                    continue;
                };
                if !has_role(&m, |r| matches!(r, Role::Row { .. })) {
                    continue;
                }
                let lines = above + below;
                let better = best.as_ref().is_none_or(|b| {
                    m.score > b.score + 1e-6 || (m.score >= b.score - 1e-6 && lines < b.lines)
                });
                if better {
                    let mut used: Vec<usize> = (1..=above).map(|d| i - d).collect();
                    used.extend((1..=below).map(|d| i + d));
                    best = Some(Join {
                        score: m.score,
                        lines,
                        used,
                        text,
                    });
                }
            }
        }
    }
    best
}

/// A line with no values whose row label wraps onto the next lines (no more than two):
/// joined when the parts make an official row label exactly.
fn join_valueless(units: &mut [Unit], i: usize, consumed: &mut HashSet<usize>) {
    let lex = Lexicon::get();
    let u = &units[i];
    if !u.layout || u.values() > 0 || consumed.contains(&i) || u.pieces.is_empty() {
        return;
    }
    if u.label.as_ref().is_some_and(Match::exact) {
        return;
    }
    let mut text = u.pieces.last().map(|p| p.text.clone()).unwrap_or_default();
    let mut used = Vec::new();
    for k in i + 1..units.len().min(i + 3) {
        let n = &units[k];
        if !n.layout
            || n.values() > 0
            || consumed.contains(&k)
            || n.loc.line != units[k - 1].loc.line + 1
        {
            break;
        }
        let Some(p) = n.pieces.last() else { break };
        text.push_str(&p.text);
        used.push(k);
        if let Some(m) = lex.exact(&label_key(&text)) {
            if has_role(&m, |r| matches!(r, Role::Row { .. })) {
                units[i].label = Some(m);
                units[i].label_text = text;
                consumed.extend(used);
                break;
            }
        }
    }
}
