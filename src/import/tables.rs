//! Reading the tables from blocks, whatever the layout.
//!
//! Every input form becomes a list of [`Unit`]s: a label (matched against the template's
//! labels) and the value slots printed after it. Rows are found by their labels — not by
//! position — so rows out of order, stray headers, wrapped labels and page numbers do not
//! matter. The values of a row are placed only when their columns are certain: a row with
//! fewer values than columns is placed only when the empty cells are explicit (HTML,
//! Markdown), shown by empty lines (flat text) or by column positions (pdftotext text);
//! otherwise its cells are reported unreadable. No number is ever made up.

use std::collections::{HashMap, HashSet};

use super::doc::{Block, BlockKind, Loc, Tok};
use super::lexicon::{Lexicon, Match, Role};
use super::normalize::{cell_text, clip, is_value, label_key, read_cell, trim, CellText};
use super::outline::heading;
use super::{FuzzyMatch, Unreadable};
use crate::model::Cell;
use crate::template::{CellIx, Edition, Presence, Template};

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
    fn is_number(&self) -> bool {
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
    fn new(loc: Loc, label_text: String) -> Unit {
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

    fn values(&self) -> usize {
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
            Role::Row { table, row } if table != "t4" => Some((table, row)),
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

fn has_role(m: &Match, f: impl Fn(Role) -> bool) -> bool {
    let lex = Lexicon::get();
    m.entries.iter().any(|&i| f(lex.entry(i).role))
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
pub(crate) fn units(blocks: &[Block<'_>], after: Option<&Block<'_>>, sep: u32) -> Vec<Unit> {
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
    merge_wrapped(&mut out);
    out
}

/// pdftotext: a label wrapped over lines, its values on one of them. Joins the label parts
/// from up to two lines above and below that lie in the label's column.
fn merge_wrapped(units: &mut Vec<Unit>) {
    let lex = Lexicon::get();
    let mut consumed: HashSet<usize> = HashSet::new();
    for i in 0..units.len() {
        let u = &units[i];
        if !u.layout || u.values() == 0 || u.label.as_ref().is_some_and(Match::exact) {
            continue;
        }
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
        let free = |k: usize, consumed: &HashSet<usize>| -> bool {
            let n = &units[k];
            n.layout
                && n.values() == 0
                && !consumed.contains(&k)
                && (!own_label || !n.label.as_ref().is_some_and(Match::exact))
        };
        // Own suffixes: the last 0..=3 pieces left of the values.
        let own_all: Vec<&Piece> = u.pieces.iter().filter(|p| p.x.0 < first_value).collect();
        let np = own_all.len();
        let mut best: Option<(f32, usize, Vec<usize>, String)> = None;
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
                if above > i || !(1..=above).all(|d| free(i - d, &consumed)) {
                    break;
                }
                for below in 0..=2usize {
                    if i + below >= units.len() || !(1..=below).all(|d| free(i + d, &consumed)) {
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
                    let better = best.as_ref().is_none_or(|(s, l, _, _)| {
                        m.score > *s + 1e-6 || (m.score >= *s - 1e-6 && lines < *l)
                    });
                    if better {
                        let mut used: Vec<usize> = (1..=above).map(|d| i - d).collect();
                        used.extend((1..=below).map(|d| i + d));
                        best = Some((m.score, lines, used, text));
                    }
                }
            }
        }
        if let Some((score, _, used, text)) = best {
            let current = units[i].label.as_ref().map_or(0.0, |m| m.score);
            if score > current {
                let m = lex.find(&label_key(&text));
                units[i].label = m;
                units[i].label_text = text;
                consumed.extend(used);
            }
        }
    }
    // A row with no values whose label wraps over lines: joined when the parts make an
    // official row label exactly.
    for i in 0..units.len() {
        let u = &units[i];
        if !u.layout || u.values() > 0 || consumed.contains(&i) || u.pieces.is_empty() {
            continue;
        }
        if u.label.as_ref().is_some_and(Match::exact) {
            continue;
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
    if !consumed.is_empty() {
        let mut k = 0;
        units.retain(|_| {
            let keep = !consumed.contains(&k);
            k += 1;
            keep
        });
    }
}

/// How a row's slots fill its columns.
#[derive(Debug, Clone, Copy)]
enum Fit<'s> {
    Blank,
    Cell(&'s Slot),
    /// A number in a cell merged over several columns.
    Spanned(&'s Slot),
}

fn fit(slots: &[Slot], n: usize, structured: bool) -> Result<Vec<Fit<'_>>, String> {
    // One cell per column, whatever the cells span in a wider grid.
    if slots.len() == n && slots.iter().all(|s| !matches!(s, Slot::Unknown)) {
        return Ok(slots
            .iter()
            .map(|s| match s {
                Slot::Cell { .. } => Fit::Cell(s),
                _ => Fit::Blank,
            })
            .collect());
    }
    let mut v: Vec<Fit> = Vec::new();
    let mut unknown = false;
    for s in slots {
        match s {
            Slot::Empty { span } => v.extend((0..*span).map(|_| Fit::Blank)),
            Slot::Unknown => unknown = true,
            Slot::Cell { text, span, .. } => {
                if *span > 1 && s.is_number() {
                    v.extend((0..*span).map(|_| Fit::Spanned(s)));
                } else {
                    let _ = text;
                    v.extend((0..*span).map(|_| Fit::Cell(s)));
                }
            }
        }
        if v.len() > 4 * n + 64 {
            break;
        }
    }
    let k = v.iter().filter(|f| !matches!(f, Fit::Blank)).count();
    if !unknown && v.len() == n {
        return Ok(v);
    }
    if k == n {
        return Ok(v.into_iter().filter(|f| !matches!(f, Fit::Blank)).collect());
    }
    if k == 0 {
        return Ok(vec![Fit::Blank; n]);
    }
    if !unknown && v.len() > n && k < n {
        let mut w = v.clone();
        let trim_front = |w: &mut Vec<Fit>| {
            while w.len() > n && matches!(w.first(), Some(Fit::Blank)) {
                w.remove(0);
            }
        };
        let trim_back = |w: &mut Vec<Fit>| {
            while w.len() > n && matches!(w.last(), Some(Fit::Blank)) {
                w.pop();
            }
        };
        if structured {
            trim_front(&mut w);
            trim_back(&mut w);
        } else {
            trim_back(&mut w);
            trim_front(&mut w);
        }
        if w.len() == n {
            return Ok(w);
        }
    }
    if k > n {
        return Err(format!("有{k}个数值，多于该行的{n}栏"));
    }
    Err(format!("只有{k}个数值，该行有{n}栏，无法确定哪些栏为空"))
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

fn place(t: &Template, start: CellIx, fits: &[Fit<'_>], loc: Loc, out: &mut Tables) {
    for (i, f) in fits.iter().enumerate() {
        let ix = start + i as CellIx;
        let def = t.cell(ix);
        match f {
            Fit::Blank => {
                out.cells[ix as usize] = Some(Cell::BLANK);
            }
            Fit::Cell(Slot::Cell { text, loc, .. }) => match read_cell(text, def.kind()) {
                Ok(cell) => {
                    out.cells[ix as usize] = Some(cell);
                }
                Err(reason) => {
                    out.cells[ix as usize] = Some(Cell {
                        value: crate::model::Value::Blank,
                        raw: Some(text.clone()),
                    });
                    out.unreadable.push(Unreadable {
                        key: def.key.clone(),
                        label: t.label(ix),
                        loc: Some(*loc),
                        text: Some(text.clone()),
                        reason,
                    });
                }
            },
            Fit::Spanned(Slot::Cell { text, loc, .. }) => out.unreadable.push(Unreadable {
                key: def.key.clone(),
                label: t.label(ix),
                loc: Some(*loc),
                text: Some(text.clone()),
                reason: format!("「{}」是跨多栏的合并单元格，无法确定属于哪一栏", clip(text)),
            }),
            _ => out.unreadable.push(Unreadable {
                key: def.key.clone(),
                label: t.label(ix),
                loc: Some(loc),
                text: None,
                reason: "无法读取".to_string(),
            }),
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
    // The value-less lines above the row, back to its block's title or the previous table.
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
    // Candidates: a piece, joined with the overlapping pieces of up to two lines below.
    struct Cand {
        key: String,
        x: (u32, u32),
        w: (u32, u32),
    }
    let mut cands: Vec<Cand> = Vec::new();
    for (li, line) in lines.iter().enumerate() {
        for p in &line.pieces {
            let mut text = p.text.clone();
            let (mut x, mut w) = (p.x, p.w);
            cands.push(Cand {
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
                cands.push(Cand {
                    key: label_key(&text),
                    x,
                    w,
                });
            }
        }
    }
    // The labels in order, left to right, in each metric on its own.
    let mut out = Vec::new();
    for display in [false, true] {
        let span = |c: &Cand| if display { c.w } else { c.x };
        let mut order: Vec<&Cand> = cands.iter().collect();
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
        if centres.len() == labels.len() {
            out.push((display, centres));
        }
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(t: &str) -> Slot {
        Slot::Cell {
            text: t.into(),
            loc: Loc::default(),
            span: 1,
            pos: None,
        }
    }

    #[test]
    fn fitting_never_guesses() {
        let s = vec![cell("1"), cell("2")];
        assert!(fit(&s, 3, false).is_err());
        let s = vec![cell("1"), Slot::Empty { span: 1 }, cell("2")];
        assert_eq!(fit(&s, 3, false).unwrap().len(), 3);
        let s = vec![Slot::Empty { span: 1 }, cell("1"), cell("2"), cell("3")];
        assert_eq!(fit(&s, 3, true).unwrap().len(), 3);
        let s = vec![cell("1"), Slot::Unknown, cell("2")];
        assert!(fit(&s, 3, false).is_err());
        assert!(matches!(
            fit(&[], 3, false).unwrap()[..],
            [Fit::Blank, Fit::Blank, Fit::Blank]
        ));
    }

    #[test]
    fn gaps() {
        assert!(gap_slots(1, 1).is_none());
        assert!(matches!(gap_slots(3, 1), Some(Slot::Empty { span: 1 })));
        assert!(matches!(gap_slots(2, 1), Some(Slot::Unknown)));
        assert!(matches!(gap_slots(2, 0), Some(Slot::Empty { span: 2 })));
    }
}
