//! Comparing two reports of one body: cell by cell (edition-aware), the narrative sentence by
//! sentence, each side's verdict, and the carry-over between consecutive years.
//!
//! Across editions (2020 → 2021) tables 3 and 4 compare one to one, except the single
//! （六）其他处理 row, which compares with the sum of the rows it stands for. In table 2 only
//! cells with the same key *and* meaning compare: within one edition all of them; across
//! editions only `decisions` of 第二十条第（五）（六）项. Every other cell is listed as not
//! comparable — a 2019 column is never passed off as a 2021 column. Both relations are declared
//! in the template ([`counterparts`], [`variant_groups`]); the carry-over is
//! [`crate::crossyear::carry`].

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use similar::{Algorithm, DiffOp};

pub use crate::crossyear::{CarryColumn, CarryOver};
use crate::model::{Cell, Report, Section, Value};
pub use crate::narrative::diff::FigureDiff;
use crate::rules::{self, Finding};
use crate::template::relations::{counterparts, variant_groups, VariantGroup};
use crate::template::{CellIx, SECTIONS};

/// What to include.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Include unchanged cells too.
    pub all: bool,
}

/// One side of a diff.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Side {
    pub org_id: String,
    pub org_name: String,
    pub year: u32,
    pub edition: u32,
    /// The stored revision, when the report came from gxd.
    pub revision: Option<u64>,
    pub valid: bool,
    pub errors: usize,
    pub warnings: usize,
    pub findings: Vec<Finding>,
    /// Explanations stored with the revision (stored reports only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub explanations: Vec<crate::crossyear::Explanation>,
}

/// A compared cell (or, across editions, a cell and the sum of the rows it stands for).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellDiff {
    /// The key the comparison is known by (the old side's cell key).
    pub key: String,
    /// Official label (the new side's, when the new side is one cell).
    pub label: String,
    pub old_cells: Vec<String>,
    pub new_cells: Vec<String>,
    /// As published (a sum when several cells); `""` for blank.
    pub old: String,
    pub new: String,
    /// new − old, when both are numbers.
    pub delta: Option<String>,
    /// Δ as a percentage of old, one decimal, when old is a non-zero number.
    pub pct: Option<String>,
    pub changed: bool,
}

/// The changed cells of one table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableDiff {
    /// `t2`, `t3`, `t4`.
    pub table: String,
    /// The section heading, e.g. 「三、收到和处理政府信息公开申请情况」.
    pub heading: String,
    pub cells: Vec<CellDiff>,
}

/// A cell that exists on one side only (its column changed meaning between editions).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotComparable {
    /// `old` or `new`.
    pub side: String,
    pub cell: String,
    pub label: String,
    pub value: String,
}

/// One narrative section compared sentence by sentence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SectionDiff {
    /// `preamble`, `overview`, `problems`, `other`.
    pub section: String,
    /// The official heading (none for the preamble).
    pub heading: Option<String>,
    /// Characters in sentences kept unchanged × 2 / all characters, 0..=1.
    pub similarity: f64,
    /// The sentences removed and added, in order.
    pub changes: Vec<TextChange>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextChange {
    /// `delete` or `insert`.
    pub op: String,
    pub text: String,
}

/// The whole comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Diff {
    /// The earlier report (or revision) and the later one.
    pub old: Side,
    pub new: Side,
    /// The compared cells, table by table (only changed ones unless [`Options::all`]).
    pub tables: Vec<TableDiff>,
    /// Cells on one side only.
    pub not_comparable: Vec<NotComparable>,
    /// The narrative sections that are not both empty.
    pub narrative: Vec<SectionDiff>,
    /// Present when `new` is the year after `old` ([`crate::crossyear::carry`]).
    pub carry_over: Option<CarryOver>,
    /// The figures the narratives state about the tables, where they changed (all with
    /// [`Options::all`]) — [`crate::narrative::diff`].
    #[serde(default)]
    pub figures: Vec<FigureDiff>,
}

impl Diff {
    /// Number of changed cells.
    pub fn changed_cells(&self) -> usize {
        self.tables
            .iter()
            .flat_map(|t| &t.cells)
            .filter(|c| c.changed)
            .count()
    }
}

fn side(r: &Report, revision: Option<u64>) -> Side {
    let v = rules::validate(r);
    Side {
        org_id: r.org.id.clone(),
        org_name: r.org.name.clone(),
        year: r.year,
        edition: r.edition.number(),
        revision,
        valid: v.is_valid(),
        errors: v.errors().count(),
        warnings: v.warnings().count(),
        findings: v.findings,
        explanations: Vec::new(),
    }
}

/// Compares `old` with `new` (e.g. 2019 with 2020, or revision 1 with 3).
pub fn diff(
    old: &Report,
    old_revision: Option<u64>,
    new: &Report,
    new_revision: Option<u64>,
    options: Options,
) -> Diff {
    let (units, not_comparable) = pair_cells(old, new);
    let (to, tn) = (old.template(), new.template());
    let mut tables: Vec<TableDiff> = Vec::new();
    for u in units {
        // Most cells are unchanged: decide that without building any text.
        if !options.all {
            if let ([o], [n]) = (u.old.as_slice(), u.new.as_slice()) {
                if old.cell(*o) == new.cell(*n) {
                    continue;
                }
            }
        }
        let cd = compare(old, new, &u);
        if !cd.changed && !options.all {
            continue;
        }
        let table = u.table;
        match tables.last_mut() {
            Some(t) if t.table == table => t.cells.push(cd),
            _ => tables.push(TableDiff {
                table: table.to_string(),
                heading: tn
                    .table(table)
                    .or_else(|| to.table(table))
                    .map(|t| t.section.heading.to_string())
                    .unwrap_or_default(),
                cells: vec![cd],
            }),
        }
    }
    let carry_over = (new.year == old.year + 1).then(|| crate::crossyear::carry(old, new));
    Diff {
        old: side(old, old_revision),
        new: side(new, new_revision),
        tables,
        not_comparable,
        narrative: narrative(old, new),
        carry_over,
        figures: crate::narrative::diff::compare(old, new, options.all),
    }
}

/// A comparison unit: cells of the old side against cells of the new side.
struct Unit {
    table: &'static str,
    old: Vec<CellIx>,
    new: Vec<CellIx>,
}

fn present(r: &Report, table: &str, row: &str, col: &str) -> Option<CellIx> {
    let ix = r.template().cell_at(table, row, col)?;
    (r.cell(ix).value != Value::Absent).then_some(ix)
}

/// The cells a report uses for one column of a variant group: the variant row's cell, or the
/// cells of the rows it stands for.
fn group_cells(r: &Report, g: &VariantGroup, col: &str) -> (bool, Vec<CellIx>) {
    if let Some(ix) = present(r, g.table, g.row, col) {
        return (true, vec![ix]);
    }
    let cells = g
        .stands_for
        .iter()
        .filter_map(|o| present(r, g.table, o, col))
        .collect();
    (false, cells)
}

fn pair_cells(old: &Report, new: &Report) -> (Vec<Unit>, Vec<NotComparable>) {
    let (to, tn) = (old.template(), new.template());
    let mut used_new = vec![false; tn.cells.len()];
    let mut used_old = vec![false; to.cells.len()];
    let mut units = Vec::new();
    let mut not_comparable = Vec::new();
    for (i, def) in to.cells.iter().enumerate() {
        let ix = i as CellIx;
        if used_old[i] || old.cell(ix).value == Value::Absent {
            continue;
        }
        let table = to.tables[def.table as usize].key;
        let col = def.column.key;
        let group = variant_groups()
            .iter()
            .find(|g| g.covers(table, def.row.key));
        if let Some(g) = group {
            let (old_variant, old_cells) = group_cells(old, g, col);
            let (new_variant, new_cells) = group_cells(new, g, col);
            if old_variant != new_variant && !new_cells.is_empty() {
                for &c in &old_cells {
                    used_old[c as usize] = true;
                }
                for &c in &new_cells {
                    used_new[c as usize] = true;
                }
                units.push(Unit {
                    table,
                    old: old_cells,
                    new: new_cells,
                });
                continue;
            }
        }
        // Across editions only cells of the same meaning pair up (not table 2's changed
        // columns): the rest are not comparable.
        let counterpart = counterparts(old.edition, new.edition)[i]
            .filter(|&n| new.cell(n).value != Value::Absent);
        match counterpart {
            Some(n) if !used_new[n as usize] => {
                used_new[n as usize] = true;
                units.push(Unit {
                    table,
                    old: vec![ix],
                    new: vec![n],
                });
            }
            _ => not_comparable.push(one_side("old", old, ix)),
        }
    }
    for (i, _) in tn.cells.iter().enumerate() {
        let ix = i as CellIx;
        if !used_new[i] && new.cell(ix).value != Value::Absent {
            not_comparable.push(one_side("new", new, ix));
        }
    }
    (units, not_comparable)
}

fn one_side(side: &str, r: &Report, ix: CellIx) -> NotComparable {
    let t = r.template();
    NotComparable {
        side: side.to_string(),
        cell: t.cell(ix).key.clone(),
        label: t.label(ix),
        value: r.cell(ix).published(),
    }
}

/// The value and text of a side: one cell as published, or the sum of several.
fn side_value(r: &Report, cells: &[CellIx]) -> (Option<Decimal>, String) {
    if let [one] = cells {
        let c: &Cell = r.cell(*one);
        return (number(c.value), c.published());
    }
    let values: Vec<Value> = cells.iter().map(|&c| r.cell(c).value).collect();
    if values.iter().all(|v| !v.is_number()) {
        return (None, String::new());
    }
    let sum: Decimal = values.into_iter().filter_map(number).sum();
    (Some(sum), sum.to_string())
}

fn number(v: Value) -> Option<Decimal> {
    match v {
        Value::Int(n) => Some(Decimal::from(n)),
        Value::Amount(d) => Some(d),
        _ => None,
    }
}

fn compare(old: &Report, new: &Report, u: &Unit) -> CellDiff {
    let (to, tn) = (old.template(), new.template());
    let (ov, otext) = side_value(old, &u.old);
    let (nv, ntext) = side_value(new, &u.new);
    let delta = match (ov, nv) {
        (Some(a), Some(b)) => Some(b - a),
        _ => None,
    };
    let pct = match (ov, delta) {
        (Some(a), Some(d)) if !a.is_zero() => Some(
            (d * Decimal::ONE_HUNDRED / a)
                .round_dp(1)
                .normalize()
                .to_string(),
        ),
        _ => None,
    };
    let changed = otext != ntext || ov != nv;
    let label = match u.new.as_slice() {
        [one] => tn.label(*one),
        _ => u.old.first().map(|&c| to.label(c)).unwrap_or_default(),
    };
    let key = u
        .old
        .first()
        .map(|&c| to.cell(c).key.clone())
        .unwrap_or_default();
    CellDiff {
        key,
        label,
        old_cells: u.old.iter().map(|&c| to.cell(c).key.clone()).collect(),
        new_cells: u.new.iter().map(|&c| tn.cell(c).key.clone()).collect(),
        old: otext,
        new: ntext,
        delta: delta.map(|d| d.normalize().to_string()),
        pct,
        changed,
    }
}

/// The section as one text: its text, then each sub-section's title and text.
fn section_text(s: &Section) -> String {
    let mut out = s.text.clone();
    for sub in &s.subsections {
        for part in [&sub.title, &sub.text] {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(part);
        }
    }
    out
}

/// Splits Chinese text into sentences, each keeping its closing punctuation (。！？；!?; or a
/// line end). Scans bytes: UTF-8 lead bytes never occur inside another character.
fn sentences(text: &str) -> Vec<&str> {
    let b = text.as_bytes();
    let mut out: Vec<&str> = Vec::with_capacity(b.len() / 40 + 1);
    fn push<'a>(out: &mut Vec<&'a str>, s: &'a str) {
        let s = s.trim();
        if !s.is_empty() {
            out.push(s);
        }
    }
    let (mut start, mut i) = (0, 0);
    while i < b.len() {
        let len = match b[i] {
            b'!' | b'?' | b';' | b'\n' => 1,
            // 。 U+3002
            0xE3 if b.get(i + 1) == Some(&0x80) && b.get(i + 2) == Some(&0x82) => 3,
            // ！ U+FF01, ； U+FF1B, ？ U+FF1F
            0xEF if b.get(i + 1) == Some(&0xBC)
                && matches!(b.get(i + 2), Some(0x81 | 0x9B | 0x9F)) =>
            {
                3
            }
            _ => 0,
        };
        if len == 0 {
            i += 1;
            continue;
        }
        i += len;
        push(&mut out, &text[start..i]);
        start = i;
    }
    push(&mut out, &text[start..]);
    out
}

fn narrative(old: &Report, new: &Report) -> Vec<SectionDiff> {
    let (o, n) = (&old.narrative, &new.narrative);
    let parts: [(&str, Option<&str>, String, String); 4] = [
        ("preamble", None, o.preamble.clone(), n.preamble.clone()),
        (
            "overview",
            Some(SECTIONS[0].heading),
            section_text(&o.overview),
            section_text(&n.overview),
        ),
        (
            "problems",
            Some(SECTIONS[4].heading),
            section_text(&o.problems),
            section_text(&n.problems),
        ),
        (
            "other",
            Some(SECTIONS[5].heading),
            section_text(&o.other),
            section_text(&n.other),
        ),
    ];
    parts
        .into_iter()
        .filter(|(_, _, a, b)| !(a.is_empty() && b.is_empty()))
        .map(|(section, heading, a, b)| text_diff(section, heading, &a, &b))
        .collect()
}

/// The whole narrative as one text — the preamble, then sections 一, 五 and 六 — in the form the
/// diff compares it.
pub fn narrative_text(n: &crate::model::Narrative) -> String {
    let parts = [
        n.preamble.clone(),
        section_text(&n.overview),
        section_text(&n.problems),
        section_text(&n.other),
    ];
    parts
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The similarity the diff computes for a narrative section (characters in sentences kept
/// unchanged × 2 / all characters, 0..=1), for any two texts.
pub fn text_similarity(a: &str, b: &str) -> f64 {
    text_diff("", None, a, b).similarity
}

fn text_diff(section: &str, heading: Option<&str>, a: &str, b: &str) -> SectionDiff {
    if a == b {
        return SectionDiff {
            section: section.to_string(),
            heading: heading.map(str::to_string),
            similarity: 1.0,
            changes: Vec::new(),
        };
    }
    let (sa, sb) = (sentences(a), sentences(b));
    let ops = similar::capture_diff_slices(Algorithm::Myers, &sa, &sb);
    let chars = |s: &[&str]| s.iter().map(|x| x.chars().count()).sum::<usize>();
    let mut kept = 0;
    let mut changes = Vec::new();
    for op in ops {
        match op {
            DiffOp::Equal { old_index, len, .. } => kept += chars(&sa[old_index..old_index + len]),
            DiffOp::Delete {
                old_index, old_len, ..
            } => push_changes(&mut changes, "delete", &sa[old_index..old_index + old_len]),
            DiffOp::Insert {
                new_index, new_len, ..
            } => push_changes(&mut changes, "insert", &sb[new_index..new_index + new_len]),
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => {
                push_changes(&mut changes, "delete", &sa[old_index..old_index + old_len]);
                push_changes(&mut changes, "insert", &sb[new_index..new_index + new_len]);
            }
        }
    }
    let total = chars(&sa) + chars(&sb);
    let similarity = if total == 0 {
        1.0
    } else {
        ((2 * kept) as f64 / total as f64 * 1000.0).round() / 1000.0
    };
    SectionDiff {
        section: section.to_string(),
        heading: heading.map(str::to_string),
        similarity,
        changes,
    }
}

fn push_changes(out: &mut Vec<TextChange>, op: &str, sentences: &[&str]) {
    out.extend(sentences.iter().map(|s| TextChange {
        op: op.to_string(),
        text: (*s).to_string(),
    }));
}
