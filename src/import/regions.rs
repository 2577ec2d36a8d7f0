//! Where the tables of a report are: from the first table heading (or, without headings, the
//! first table label) to the next section, and where table 4 begins within them.

use super::doc::Block;
use super::lexicon::{Lexicon, Role};
use super::normalize::label_key;
use super::outline::Outline;
use super::tables::{self, Unit, T4};

/// The blocks of a report's tables, as indices into its blocks.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Regions {
    /// The first block of the tables.
    pub tables_start: usize,
    /// The block after the tables: the first other section heading after the last table
    /// heading, or the end.
    pub tables_end: usize,
    /// The first block of table 4 (its heading, or its first label), or `tables_end`.
    pub t4_block: usize,
}

impl Regions {
    /// Finds the tables in the blocks of one report (`blocks` ends at `o.end`).
    pub(crate) fn find(blocks: &[Block<'_>], o: &Outline) -> Regions {
        let end = o.end;
        let h = |n: u8| o.heading(n);
        let intro = h(1)
            .map(|b| b + 1)
            .or(o.title.as_ref().map(|t| t.block + 1))
            .unwrap_or(0);
        let tables_start = [h(2), h(3), h(4)]
            .into_iter()
            .flatten()
            .min()
            .or_else(|| tables_anchor(blocks, intro, end))
            .unwrap_or(end);
        let last_table_heading = [h(2), h(3), h(4)]
            .into_iter()
            .flatten()
            .max()
            .unwrap_or(tables_start);
        let tables_end = o
            .headings
            .iter()
            .filter(|(b, n)| *b > last_table_heading && !(2..=4).contains(n))
            .map(|(b, _)| *b)
            .min()
            .unwrap_or(end);
        let t4_block = h(4)
            .filter(|&b| b >= tables_start && b < tables_end)
            .or_else(|| {
                let from = h(3).unwrap_or(tables_start);
                t4_anchor(blocks, from, tables_end)
            })
            .unwrap_or(tables_end);
        Regions {
            tables_start,
            tables_end,
            t4_block,
        }
    }

    /// The units of tables 2 and 3, then those of table 4, without the regions' headings;
    /// and the index of table 4's first unit.
    pub(crate) fn units(&self, blocks: &[Block<'_>], o: &Outline) -> (Vec<Unit>, usize) {
        let Regions {
            tables_start,
            tables_end,
            t4_block,
        } = *self;
        let sep = tables::separator(blocks);
        // A region's heading is not part of its table.
        let skip_heading = |b: usize, n: u8| if o.heading(n) == Some(b) { b + 1 } else { b };
        let t2_from = skip_heading(tables_start, 2).min(t4_block);
        let t4_units_from = skip_heading(t4_block, 4).min(tables_end);
        let mut units = tables::units(&blocks[t2_from..t4_block], blocks.get(t4_block), sep);
        let t4_from = units.len();
        units.extend(tables::units(
            &blocks[t4_units_from.min(tables_end)..tables_end],
            blocks.get(tables_end),
            sep,
        ));
        (units, t4_from)
    }
}

/// The first block in `from..to` with a text (the paragraph, or one of its cells) that
/// `is_anchor`.
fn anchor(
    blocks: &[Block<'_>],
    from: usize,
    to: usize,
    is_anchor: impl Fn(&str) -> bool,
) -> Option<usize> {
    (from..to).find(|&i| {
        let b = &blocks[i];
        let texts: Vec<&str> = if b.cells.is_empty() {
            vec![b.text.as_ref()]
        } else {
            b.cells.iter().map(|c| c.text.as_ref()).collect()
        };
        texts.iter().any(|t| is_anchor(t))
    })
}

/// The first block at or after `from` whose text is a label of table 4 only.
fn t4_anchor(blocks: &[Block<'_>], from: usize, to: usize) -> Option<usize> {
    let lex = Lexicon::get();
    anchor(blocks, from, to, |t| {
        lex.exact(&label_key(t))
            .is_some_and(|m| m.entries.iter().all(|&e| lex.entry(e).role.table() == T4))
    })
}

/// The first block at or after `from` with a label of tables 2 or 3.
fn tables_anchor(blocks: &[Block<'_>], from: usize, to: usize) -> Option<usize> {
    let lex = Lexicon::get();
    anchor(blocks, from, to, |t| {
        t.chars().count() >= 4
            && lex.exact(&label_key(t)).is_some_and(|m| {
                m.entries.iter().any(|&e| {
                    matches!(
                        lex.entry(e).role,
                        Role::BlockTitle { .. } | Role::Row { .. }
                    )
                })
            })
    })
}
