//! Every way a row's printed texts can stand for its cells: each text cut into numbers (no
//! number with a leading zero but 0 itself, as every report prints them), the numbers placed
//! in order over the columns, the columns left over blank. The search is bounded: it visits
//! at most [`MAX_VISITS`] partial placements and keeps at most [`MAX_CANDIDATES`].

use crate::import::normalize::read_cell;
use crate::model::Cell;
use crate::template::Kind;

/// Partial placements visited for one row, at most.
pub(crate) const MAX_VISITS: usize = 2_000_000;
/// Placements kept for one row, at most.
pub(crate) const MAX_CANDIDATES: usize = 20_000;

/// Why a row's texts could not be enumerated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Bound {
    /// The search hit its bound (visits or candidates).
    TooMany,
}

/// A printed text of a row: digits that may hold several numbers run together, or a text
/// that is one cell as it stands (`/`, `22（其中修订16件）`).
#[derive(Debug, Clone)]
enum Printed {
    Digits { digits: Vec<char>, unit: String },
    Whole(String),
}

fn printed(text: &str) -> Printed {
    let t: String = text
        .trim()
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
            '．' => '.',
            _ => c,
        })
        .collect();
    let (body, unit) = ["万元", "元"]
        .iter()
        .find_map(|u| t.strip_suffix(u).map(|b| (b.to_string(), u.to_string())))
        .unwrap_or((t.clone(), String::new()));
    let dots = body.matches('.').count();
    let ok = !body.is_empty()
        && dots <= 1
        && body.chars().all(|c| c.is_ascii_digit() || c == '.')
        && !body.starts_with('.')
        && !body.ends_with('.');
    if ok {
        Printed::Digits {
            digits: body.chars().collect(),
            unit,
        }
    } else {
        Printed::Whole(t)
    }
}

/// Whether `s` reads as one printed number: no leading zero but 0 itself (0.5 is fine).
fn one_number(s: &[char]) -> bool {
    if s.is_empty() || s[0] == '.' || s[s.len() - 1] == '.' {
        return false;
    }
    let int_len = s.iter().position(|&c| c == '.').unwrap_or(s.len());
    !(s[0] == '0' && int_len > 1)
}

/// The search over one row.
struct Search<'a, F: Fn(&[Cell]) -> bool> {
    texts: &'a [Printed],
    kinds: &'a [Kind],
    /// Whether a partial placement (cells of the first columns) can still hold.
    ok: F,
    visits: usize,
    out: Vec<Vec<Cell>>,
    partial: Vec<Cell>,
}

impl<F: Fn(&[Cell]) -> bool> Search<'_, F> {
    /// Places from text `ti`, character `pos` on, into column `partial.len()`.
    fn go(&mut self, ti: usize, pos: usize) -> Result<(), Bound> {
        self.visits += 1;
        if self.visits > MAX_VISITS || self.out.len() > MAX_CANDIDATES {
            return Err(Bound::TooMany);
        }
        let col = self.partial.len();
        let n = self.kinds.len();
        if !(self.ok)(&self.partial) {
            return Ok(());
        }
        if ti == self.texts.len() {
            if col == n {
                self.out.push(self.partial.clone());
            } else {
                self.partial.push(Cell::BLANK);
                self.go(ti, pos)?;
                self.partial.pop();
            }
            return Ok(());
        }
        if col == n {
            return Ok(());
        }
        // This column printed nothing (its blank lost).
        self.partial.push(Cell::BLANK);
        self.go(ti, pos)?;
        self.partial.pop();
        // This column takes the next number of the current text.
        let kind = self.kinds[col];
        match &self.texts[ti] {
            Printed::Whole(t) => {
                if let Ok(cell) = read_cell(t, kind) {
                    self.partial.push(cell);
                    self.go(ti + 1, 0)?;
                    self.partial.pop();
                }
            }
            Printed::Digits { digits, unit } => {
                for end in pos + 1..=digits.len() {
                    let piece = &digits[pos..end];
                    if !one_number(piece) {
                        continue;
                    }
                    let last = end == digits.len();
                    let mut text: String = piece.iter().collect();
                    if last {
                        text.push_str(unit);
                    }
                    let Ok(cell) = read_cell(&text, kind) else {
                        continue;
                    };
                    self.partial.push(cell);
                    if last {
                        self.go(ti + 1, 0)?;
                    } else {
                        self.go(ti, end)?;
                    }
                    self.partial.pop();
                }
            }
        }
        Ok(())
    }
}

/// Every placement of the printed `texts` over columns of `kinds` that `ok` lets through
/// (`ok` sees the cells of the first columns placed so far and says whether they can hold).
pub(crate) fn candidates(
    texts: &[String],
    kinds: &[Kind],
    ok: impl Fn(&[Cell]) -> bool,
) -> Result<Vec<Vec<Cell>>, Bound> {
    let texts: Vec<Printed> = texts.iter().map(|t| printed(t)).collect();
    let mut s = Search {
        texts: &texts,
        kinds,
        ok,
        visits: 0,
        out: Vec::new(),
        partial: Vec::with_capacity(kinds.len()),
    };
    s.go(0, 0)?;
    Ok(s.out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Value;

    fn ints(c: &[Cell]) -> Vec<Option<i64>> {
        c.iter()
            .map(|c| match c.value {
                Value::Int(n) => Some(n),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn zeros_split_one_way_only() {
        let c = candidates(&["000".into()], &[Kind::Count; 3], |_| true).unwrap();
        assert_eq!(c.len(), 1);
        assert_eq!(ints(&c[0]), [Some(0); 3]);
    }

    #[test]
    fn a_row_sum_picks_the_split() {
        // 217, 1, 0, 0, 0, 0, 218: the last column is the sum of the others.
        let sum_ok = |p: &[Cell]| {
            p.len() < 7
                || p[..6].iter().map(|c| c.value.as_i128()).sum::<i128>() == p[6].value.as_i128()
        };
        let c = candidates(&["21710000218".into()], &[Kind::Count; 7], sum_ok).unwrap();
        assert_eq!(
            c.len(),
            1,
            "{:?}",
            c.iter().map(|c| ints(c)).collect::<Vec<_>>()
        );
        assert_eq!(ints(&c[0]), [217, 1, 0, 0, 0, 0, 218].map(Some).to_vec());
    }

    #[test]
    fn without_an_identity_every_split_remains() {
        let c = candidates(&["693665".into()], &[Kind::Count; 3], |_| true).unwrap();
        assert!(c.len() > 1);
    }
}
