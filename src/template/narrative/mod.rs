//! The narrative's vocabulary, as data: which phrasings of a report's text name which cells (or
//! sums of cells) of its tables, and which statements (「均获维持」, 「未发生…行政复议」) are
//! claims about cells. `crate::narrative` reads text with it; nothing else names a quantity.
//!
//! A phrasing matches a clause (text between ，、；：（） and the like; for claims, a list joined by
//! 、 stays one clause) when every entry of
//! [`Phrasing::clause`] matches it (an entry is alternatives separated by `|`), every entry of
//! [`Phrasing::sentence`] matches its sentence, and no alternative of [`Phrasing::unless`]
//! (clause) or [`Phrasing::unless_sentence`] occurs. A clause whose phrasings name more than one
//! quantity names none: precision first.
//!
//! Cells are cell keys of the template; a row key ending in `*` stands for every row of the
//! table whose key starts with what comes before it (`t3.deny_*.total`: the eight 不予公开
//! rows). Absent variant rows count as nothing.

use super::Edition;

mod claims;
mod quantities;
pub use claims::CLAIMS;
pub use quantities::QUANTITIES;

/// What a quantity's figure is measured in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// Whole numbers: 件, 起, 宗.
    Count,
    /// Money in 万元 (the text may say 元, 万元 or 亿元).
    Amount,
}

/// How a clause names a quantity.
#[derive(Debug)]
pub struct Phrasing {
    pub clause: &'static [&'static str],
    pub sentence: &'static [&'static str],
    pub unless: &'static [&'static str],
    pub unless_sentence: &'static [&'static str],
}

/// A quantity of the tables the narrative states as a figure.
#[derive(Debug)]
pub struct Quantity {
    /// Stable id, e.g. `granted_partial`.
    pub id: &'static str,
    /// How findings name it in Chinese, e.g. 「予以公开及部分公开」.
    pub name: &'static str,
    /// The cells whose sum it is.
    pub cells: &'static [&'static str],
    /// The editions whose tables hold it.
    pub editions: &'static [Edition],
    pub measure: Measure,
    pub phrasings: &'static [Phrasing],
}

/// What a claim says about its cells.
#[derive(Debug, Clone, Copy)]
pub enum Assertion {
    /// Every cell is 0.
    Zero(&'static [&'static str]),
    /// The sum of the first cells equals the sum of the second (e.g. 维持 = 总计).
    Equal(&'static [&'static str], &'static [&'static str]),
}

/// A statement without a figure that still says something about cells (「均获维持」). A
/// claim that cells are 0 is not read from a sentence that states a count.
#[derive(Debug)]
pub struct Claim {
    pub id: &'static str,
    /// What the text claims, in Chinese, e.g. 「行政复议均获维持」.
    pub name: &'static str,
    pub assertion: Assertion,
    pub phrasing: Phrasing,
}

const BOTH: &[Edition] = &[Edition::E2019, Edition::E2021];
const E19: &[Edition] = &[Edition::E2019];
const E21: &[Edition] = &[Edition::E2021];

const fn p(clause: &'static [&'static str], unless: &'static [&'static str]) -> Phrasing {
    Phrasing {
        clause,
        sentence: &[],
        unless,
        unless_sentence: &[],
    }
}

const fn ps(
    clause: &'static [&'static str],
    sentence: &'static [&'static str],
    unless: &'static [&'static str],
    unless_sentence: &'static [&'static str],
) -> Phrasing {
    Phrasing {
        clause,
        sentence,
        unless,
        unless_sentence,
    }
}

const fn q(
    id: &'static str,
    name: &'static str,
    cells: &'static [&'static str],
    editions: &'static [Edition],
    phrasings: &'static [Phrasing],
) -> Quantity {
    Quantity {
        id,
        name,
        cells,
        editions,
        measure: Measure::Count,
        phrasings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every key of the vocabulary names cells of every edition it is declared for.
    #[test]
    fn every_key_names_cells() {
        let keys_of = |keys: &[&str], editions: &[Edition], what: &str| {
            for e in editions {
                let t = e.template();
                for k in keys {
                    let found = match k.split_once("*.") {
                        None => t.ix(k).is_some(),
                        Some((prefix, col)) => t
                            .cells
                            .iter()
                            .any(|c| c.key.starts_with(prefix) && c.column.key == col),
                    };
                    assert!(found, "{what}: {k} is no cell of the {e} edition");
                }
            }
        };
        for q in QUANTITIES {
            keys_of(q.cells, q.editions, q.id);
        }
        for c in CLAIMS {
            let keys: Vec<&str> = match c.assertion {
                Assertion::Zero(k) => k.to_vec(),
                Assertion::Equal(a, b) => a.iter().chain(b).copied().collect(),
            };
            keys_of(&keys, &Edition::ALL, c.id);
        }
    }
}
