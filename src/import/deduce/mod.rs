//! Deduce, never guess: the cells of damaged rows — fewer printed numbers than columns (blanks
//! lost), or numbers run together with no separator (`21710000218`) — from the identities of
//! the edition (勾稽关系: row sums, column sums, the balance of table 3, table 4's totals).
//!
//! For each damaged row every placement of its printed texts over its columns is enumerated
//! ([`splits`], bounded). Rows that share identities are searched together: a combination
//! stands when every identity whose cells are all known (read as printed, or in the rows
//! searched) holds. A row is deduced only when every standing combination gives it the same
//! cells; then each of its cells names the identities that were checked. Otherwise its cells
//! stay unreadable, and the reason says how many placements remained and shows some.

mod splits;

use std::collections::{BTreeSet, HashSet};

use serde::Serialize;

use super::normalize::clip;
use super::tables::{Damaged, Tables};
use crate::model::Cell;
use crate::template::{Along, CellIx, Identity, Template};

pub(crate) use splits::{MAX_CANDIDATES, MAX_VISITS};

/// Nodes of the joint search over the rows of one group, at most.
const MAX_JOINT: usize = 2_000_000;
/// Placements shown in the reason of a row left unreadable.
const SHOWN: usize = 3;

/// A cell deduced from a damaged row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Deduced {
    /// `t3.new.natural`
    pub key: String,
    /// The official name of the cell.
    pub label: String,
    /// The row's printed texts, as printed.
    pub printed: String,
    /// The identities that left this placement alone (rule id and where it runs); empty when
    /// the printed texts split only one way (`000` over three columns).
    pub identities: Vec<String>,
}

/// One damaged row in the search.
struct Row {
    damaged: Damaged,
    cands: Vec<Vec<Cell>>,
}

/// How an identity reads: `T3-ROW-SUM「一、本年新收政府信息公开申请数量」`.
fn identity_name(id: &Identity) -> String {
    let along = match id.along {
        Along::Row(r) => r.label,
        Along::Column(c) => c.label,
    };
    format!("{}「{along}」", id.rule)
}

/// Resolves the damaged rows of `tables` that the identities fix; returns the cells deduced.
pub(crate) fn resolve(t: &Template, tables: &mut Tables) -> Vec<Deduced> {
    let damaged = std::mem::take(&mut tables.damaged);
    if damaged.is_empty() {
        return Vec::new();
    }
    let unknown: HashSet<&str> = tables.unreadable.iter().map(|u| u.key.as_str()).collect();
    // Values known for sure: read as printed.
    // Values known for sure: read as printed, or not printed at all (a variant row the
    // report does not print counts as 0, as in the rules).
    let mut known: Vec<Option<i128>> = (0..t.cells.len())
        .map(|ix| {
            if unknown.contains(t.cells[ix].key.as_str()) {
                return None;
            }
            Some(tables.cells[ix].as_ref().map_or(0, |c| c.value.as_i128()))
        })
        .collect();
    let in_rows: HashSet<CellIx> = damaged
        .iter()
        .flat_map(|d| d.start..d.start + d.n as CellIx)
        .collect();
    for &ix in &in_rows {
        known[ix as usize] = None;
    }
    let mut rows: Vec<Row> = Vec::new();
    let mut reasons: Vec<(Damaged, String)> = Vec::new();
    for d in damaged {
        match row_candidates(t, &d, &known) {
            Ok(cands) => rows.push(Row { damaged: d, cands }),
            Err(_) => reasons.push((
                d,
                format!("拆分方式过多（超过{MAX_CANDIDATES}种或{MAX_VISITS}步），不作推断"),
            )),
        }
    }
    let mut deduced = Vec::new();
    for group in groups(t, &rows, &known) {
        let outcome = joint(t, &rows, &group, &known);
        for (k, &ri) in group.iter().enumerate() {
            let row = &rows[ri];
            match &outcome {
                Some(seen) if seen[k].len() == 1 => {
                    let Some(&ci) = seen[k].iter().next() else {
                        continue;
                    };
                    let ids = checked(t, &rows, &group, ri, &known);
                    place(t, tables, row, &row.cands[ci], &ids, &mut deduced);
                }
                Some(seen) => {
                    reasons.push((clone_damaged(&row.damaged), remaining(row, &seen[k])));
                }
                None => reasons.push((
                    clone_damaged(&row.damaged),
                    format!("与相关行合并搜索超过{MAX_JOINT}步，不作推断"),
                )),
            }
        }
    }
    for (d, why) in reasons {
        explain(t, tables, &d, &why);
    }
    deduced
}

fn clone_damaged(d: &Damaged) -> Damaged {
    d.clone()
}

/// A row's placements that the identities within it (and the cells read) let through.
fn row_candidates(
    t: &Template,
    d: &Damaged,
    known: &[Option<i128>],
) -> Result<Vec<Vec<Cell>>, splits::Bound> {
    let kinds: Vec<_> = (0..d.n)
        .map(|i| t.cell(d.start + i as CellIx).kind())
        .collect();
    let end = d.start + d.n as CellIx;
    // Identities over this row and cells read: checked once their last cell is placed.
    let local: Vec<(&Identity, usize)> = t
        .identities
        .iter()
        .filter_map(|id| {
            let cells = id.total.iter().chain(&id.parts);
            let mut last = None;
            for &c in cells {
                if (d.start..end).contains(&c) {
                    let col = (c - d.start) as usize;
                    last = Some(last.map_or(col, |l: usize| l.max(col)));
                } else if known[c as usize].is_none() {
                    return None;
                }
            }
            last.map(|l| (id, l))
        })
        .collect();
    let value = |partial: &[Cell], c: CellIx| -> i128 {
        if (d.start..end).contains(&c) {
            partial[(c - d.start) as usize].value.as_i128()
        } else {
            known[c as usize].unwrap_or(0)
        }
    };
    splits::candidates(&d.texts, &kinds, |partial: &[Cell]| {
        let Some(col) = partial.len().checked_sub(1) else {
            return true;
        };
        local.iter().filter(|(_, l)| *l == col).all(|(id, _)| {
            let total: i128 = id.total.iter().map(|&c| value(partial, c)).sum();
            let parts: i128 = id.parts.iter().map(|&c| value(partial, c)).sum();
            total == parts
        })
    })
}

/// Groups of rows that share an identity whose other cells are known (union–find).
fn groups(t: &Template, rows: &[Row], known: &[Option<i128>]) -> Vec<Vec<usize>> {
    let row_of = |c: CellIx| {
        rows.iter()
            .position(|r| (r.damaged.start..r.damaged.start + r.damaged.n as CellIx).contains(&c))
    };
    let mut parent: Vec<usize> = (0..rows.len()).collect();
    fn find(p: &mut [usize], x: usize) -> usize {
        let mut x = x;
        while p[x] != x {
            p[x] = p[p[x]];
            x = p[x];
        }
        x
    }
    for id in &t.identities {
        let mut members: BTreeSet<usize> = BTreeSet::new();
        let mut evaluable = true;
        for &c in id.total.iter().chain(&id.parts) {
            match row_of(c) {
                Some(r) => {
                    members.insert(r);
                }
                None => evaluable &= known[c as usize].is_some(),
            }
        }
        if !evaluable {
            continue;
        }
        let mut it = members.into_iter();
        if let Some(first) = it.next() {
            for other in it {
                let (a, b) = (find(&mut parent, first), find(&mut parent, other));
                parent[a] = b;
            }
        }
    }
    let mut out: Vec<Vec<usize>> = Vec::new();
    let mut roots: Vec<usize> = Vec::new();
    for r in 0..rows.len() {
        let root = find(&mut parent, r);
        match roots.iter().position(|&x| x == root) {
            Some(g) => out[g].push(r),
            None => {
                roots.push(root);
                out.push(vec![r]);
            }
        }
    }
    out
}

/// The identities that involve `group`'s rows and whose other cells are known.
fn group_identities<'t>(
    t: &'t Template,
    rows: &[Row],
    group: &[usize],
    known: &[Option<i128>],
) -> Vec<&'t Identity> {
    let in_group = |c: CellIx| {
        group.iter().any(|&r| {
            let d = &rows[r].damaged;
            (d.start..d.start + d.n as CellIx).contains(&c)
        })
    };
    t.identities
        .iter()
        .filter(|id| {
            let cells = || id.total.iter().chain(&id.parts);
            cells().any(|&c| in_group(c))
                && cells().all(|&c| in_group(c) || known[c as usize].is_some())
        })
        .collect()
}

/// The joint search over a group: for each row, the placements that some standing
/// combination uses; None when the search hit its bound.
fn joint(
    t: &Template,
    rows: &[Row],
    group: &[usize],
    known: &[Option<i128>],
) -> Option<Vec<BTreeSet<usize>>> {
    let ids = group_identities(t, rows, group, known);
    // Each identity is checked once the last of its group rows is chosen.
    let row_pos = |c: CellIx| {
        group.iter().position(|&r| {
            let d = &rows[r].damaged;
            (d.start..d.start + d.n as CellIx).contains(&c)
        })
    };
    let at: Vec<Vec<&Identity>> = (0..group.len())
        .map(|k| {
            ids.iter()
                .copied()
                .filter(|id| {
                    id.total
                        .iter()
                        .chain(&id.parts)
                        .filter_map(|&c| row_pos(c))
                        .max()
                        == Some(k)
                })
                .collect()
        })
        .collect();
    let mut values = known.to_vec();
    let mut seen = vec![BTreeSet::new(); group.len()];
    let mut chosen = vec![0usize; group.len()];
    let mut visits = 0usize;
    let ok = dfs(
        &Joint {
            rows,
            group,
            at: &at,
        },
        0,
        &mut values,
        &mut chosen,
        &mut seen,
        &mut visits,
    );
    ok.then_some(seen)
}

struct Joint<'a> {
    rows: &'a [Row],
    group: &'a [usize],
    at: &'a [Vec<&'a Identity>],
}

fn holds(id: &Identity, values: &[Option<i128>]) -> bool {
    let side =
        |cells: &[CellIx]| -> i128 { cells.iter().map(|&c| values[c as usize].unwrap_or(0)).sum() };
    side(&id.total) == side(&id.parts)
}

fn dfs(
    j: &Joint<'_>,
    k: usize,
    values: &mut [Option<i128>],
    chosen: &mut [usize],
    seen: &mut [BTreeSet<usize>],
    visits: &mut usize,
) -> bool {
    *visits += 1;
    if *visits > MAX_JOINT {
        return false;
    }
    if k == j.group.len() {
        for (s, &c) in seen.iter_mut().zip(chosen.iter()) {
            s.insert(c);
        }
        return true;
    }
    let row = &j.rows[j.group[k]];
    let start = row.damaged.start as usize;
    for (ci, cand) in row.cands.iter().enumerate() {
        for (i, cell) in cand.iter().enumerate() {
            values[start + i] = Some(cell.value.as_i128());
        }
        if j.at[k].iter().all(|id| holds(id, values)) {
            chosen[k] = ci;
            if !dfs(j, k + 1, values, chosen, seen, visits) {
                return false;
            }
        }
    }
    for v in &mut values[start..start + row.cands.first().map_or(0, Vec::len)] {
        *v = None;
    }
    true
}

/// The identities checked for row `ri` of `group`: every identity involving it whose cells
/// were all known or searched.
fn checked(
    t: &Template,
    rows: &[Row],
    group: &[usize],
    ri: usize,
    known: &[Option<i128>],
) -> Vec<String> {
    let d = &rows[ri].damaged;
    group_identities(t, rows, group, known)
        .into_iter()
        .filter(|id| {
            id.total
                .iter()
                .chain(&id.parts)
                .any(|&c| (d.start..d.start + d.n as CellIx).contains(&c))
        })
        .map(identity_name)
        .collect()
}

/// The printed texts of a row, as one string.
fn printed(d: &Damaged) -> String {
    d.texts.join(" ")
}

/// Places a deduced row's cells and clears their unreadable entries.
fn place(
    t: &Template,
    tables: &mut Tables,
    row: &Row,
    cells: &[Cell],
    ids: &[String],
    out: &mut Vec<Deduced>,
) {
    let d = &row.damaged;
    let keys: HashSet<String> = (0..d.n)
        .map(|i| t.cell(d.start + i as CellIx).key.clone())
        .collect();
    tables.unreadable.retain(|u| !keys.contains(&u.key));
    for (i, cell) in cells.iter().enumerate() {
        let ix = d.start + i as CellIx;
        tables.cells[ix as usize] = Some(cell.clone());
        out.push(Deduced {
            key: t.cell(ix).key.clone(),
            label: t.label(ix),
            printed: printed(d),
            identities: ids.to_vec(),
        });
    }
}

/// Why a row stays unreadable: how many placements remained, and some of them.
fn remaining(row: &Row, seen: &BTreeSet<usize>) -> String {
    if seen.is_empty() {
        return format!(
            "「{}」与相关各行的拆分合在一起，无论怎样都不满足勾稽关系（报告本身的数字可能有误），不作推断",
            clip(&printed(&row.damaged))
        );
    }
    let shown: Vec<String> = seen
        .iter()
        .take(SHOWN)
        .map(|&ci| {
            let cells: Vec<String> = row.cands[ci]
                .iter()
                .map(|c| {
                    let s = c.value.to_string();
                    if s.is_empty() {
                        "空".to_string()
                    } else {
                        s
                    }
                })
                .collect();
            format!("[{}]", cells.join(","))
        })
        .collect();
    let more = if seen.len() > SHOWN { "等" } else { "" };
    format!(
        "「{}」按勾稽关系仍有{}种拆分：{}{more}，无法确定",
        clip(&printed(&row.damaged)),
        seen.len(),
        shown.join("；")
    )
}

/// Rewrites the reason of a row's unreadable cells.
fn explain(t: &Template, tables: &mut Tables, d: &Damaged, why: &str) {
    let keys: HashSet<String> = (0..d.n)
        .map(|i| t.cell(d.start + i as CellIx).key.clone())
        .collect();
    for u in &mut tables.unreadable {
        if keys.contains(&u.key) {
            u.reason = format!("{}；{why}", u.reason);
            u.text = Some(printed(d));
        }
    }
}
