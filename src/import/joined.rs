//! Text a crawler stored with every table cell run together: a page's body on one line, the
//! tables as `…规章000行政规范性文件693665第二十条第（五）项…`.
//!
//! Such a line is rewritten as flat text (one label or one printed number run a line, lines
//! apart by an empty line), which the flat reader then reads. Only the labels are split off:
//! a run of digits is never cut here (`21710000218` stays one printed text), so a row whose
//! cells ran together reaches the table reader as a row with fewer printed numbers than
//! columns, and is split by [`super::deduce`] only where the identities leave one split.
//! Between the headings of sections 二 and 五 (the tables) labels are split off; before and
//! after, only the section headings are.

use super::lexicon::{Lexicon, Role};
use super::normalize::label_key;
use super::outline::heading;

/// Longest label looked for, in characters.
const MAX_LABEL: usize = 64;
/// Lines shorter than this are not crawler pages.
const MIN_LINE: usize = 400;
/// A line is rewritten only when this many row labels are followed by printed numbers.
const MIN_ROWS: usize = 5;

/// The text with every crawler-joined line rewritten as flat text, or None when no line is.
pub(crate) fn unjoin(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len() + text.len() / 4);
    let mut changed = false;
    for line in text.split('\n') {
        if line.len() >= MIN_LINE && printed_rows(line) >= MIN_ROWS {
            if let Some(flat) = split_line(line) {
                out.push_str(&flat);
                changed = true;
                continue;
            }
        }
        out.push_str(line);
        out.push('\n');
    }
    changed.then_some(out)
}

/// The labels of table 3's rows in both editions, as the template prints them.
fn table3_labels() -> &'static [&'static str] {
    static LABELS: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    LABELS.get_or_init(|| {
        let mut out: Vec<&'static str> = Vec::new();
        for e in crate::template::Edition::ALL {
            let t = e.template();
            for table in t.tables.iter().filter(|t| t.number == 3) {
                for row in table.blocks.iter().flat_map(|b| &b.rows) {
                    if !out.contains(&row.label) {
                        out.push(row.label);
                    }
                }
            }
        }
        out
    })
}

/// A cheap first look: how many of table 3's row labels are followed at once by a digit
/// (a narrative paragraph has none; a crawler page has a dozen).
fn printed_rows(line: &str) -> usize {
    table3_labels()
        .iter()
        .filter(|l| {
            line.match_indices(*l).any(|(at, _)| {
                line[at + l.len()..]
                    .trim_start_matches(spacey)
                    .starts_with(|c: char| c.is_ascii_digit())
            })
        })
        .count()
}

/// A piece of a joined line.
#[derive(Debug, PartialEq)]
enum Piece {
    Text(String),
    Label(String),
    Numbers(String),
    Heading(String),
}

/// Section headings in the line: (start, end, section number), numbers rising.
fn headings(chars: &[char]) -> Vec<(usize, usize, u8)> {
    let mut out: Vec<(usize, usize, u8)> = Vec::new();
    let mut i = 0;
    while i + 2 < chars.len() {
        if !"一二三四五六".contains(chars[i]) || chars[i + 1] != '、' {
            i += 1;
            continue;
        }
        let last = out.last().map_or(0, |h| h.2);
        if row_label_at(&chars[i..]) {
            i += 1;
            continue;
        }
        let longest = (3..=MAX_LABEL.min(chars.len() - i)).rev().find_map(|k| {
            let s: String = chars[i..i + k].iter().collect();
            heading(&s).filter(|&n| n > last).map(|n| (k, n))
        });
        match longest {
            Some((k, n)) => {
                out.push((i, i + k, n));
                i += k;
            }
            None => i += 1,
        }
    }
    out
}

/// Whether a row label of the tables starts here (「四、结转下年度继续办理」 is no heading).
fn row_label_at(chars: &[char]) -> bool {
    let lex = Lexicon::get();
    (3..=MAX_LABEL.min(chars.len())).any(|k| {
        let key = label_key(&chars[..k].iter().collect::<String>());
        lex.exact(&key).is_some_and(|m| {
            m.entries
                .iter()
                .any(|&e| matches!(lex.entry(e).role, Role::Row { .. } | Role::RowGroup { .. }))
        })
    })
}

/// Whether `c` can be part of a printed number run.
fn numeric(c: char) -> bool {
    c.is_ascii_digit() || ('０'..='９').contains(&c) || c == '.'
}

fn spacey(c: char) -> bool {
    c == ' ' || c == '\u{3000}' || c == '\u{a0}'
}

/// Splits table text into text runs and number runs. A digit with a dot before a label
/// (`2.其他…`) is the label's numbering; 元 or 万元 right after a number is its unit.
fn number_runs(chars: &[char]) -> Vec<(bool, String)> {
    let mut out: Vec<(bool, String)> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let starts_number = chars[i].is_ascii_digit() || ('０'..='９').contains(&chars[i]);
        if !starts_number {
            let start = i;
            while i < chars.len()
                && !(chars[i].is_ascii_digit() || ('０'..='９').contains(&chars[i]))
            {
                i += 1;
            }
            push_text(&mut out, chars[start..i].iter().collect());
            continue;
        }
        let start = i;
        while i < chars.len()
            && (numeric(chars[i])
                || (spacey(chars[i]) && chars[i + 1..].first().copied().is_some_and(numeric)))
        {
            i += 1;
        }
        let mut end = i;
        // `…0002.其他法律…`: the numbering of the next label.
        let next_is_label = chars.get(i).is_some_and(|c| !numeric(*c) && !spacey(*c));
        if next_is_label && end - start >= 2 && chars[end - 1] == '.' {
            end -= 2;
        }
        let mut run: String = chars[start..end].iter().collect();
        let rest: String = chars[end..i].iter().collect();
        for unit in ["万元", "元"] {
            if rest.is_empty() && chars[i..].starts_with(&unit.chars().collect::<Vec<_>>()) {
                run.push_str(unit);
                i += unit.chars().count();
                break;
            }
        }
        if !run.trim().is_empty() {
            out.push((true, run.trim().to_string()));
        }
        if !rest.is_empty() {
            push_text(&mut out, rest);
        }
    }
    out
}

fn push_text(out: &mut Vec<(bool, String)>, s: String) {
    match out.last_mut() {
        Some((false, t)) => t.push_str(&s),
        _ => out.push((false, s)),
    }
}

/// Splits a text run into the labels it is made of, longest first at each place; what is
/// no label stays text.
fn labels(run: &str, out: &mut Vec<Piece>) {
    let lex = Lexicon::get();
    let chars: Vec<char> = run.chars().collect();
    let mut other = String::new();
    let mut i = 0;
    while i < chars.len() {
        let found = (1..=MAX_LABEL.min(chars.len() - i)).rev().find(|&k| {
            let key = label_key(&chars[i..i + k].iter().collect::<String>());
            !key.is_empty() && lex.exact(&key).is_some()
        });
        match found {
            Some(k) => {
                if !other.trim().is_empty() {
                    out.push(Piece::Text(std::mem::take(&mut other)));
                }
                other.clear();
                out.push(Piece::Label(chars[i..i + k].iter().collect()));
                i += k;
            }
            None => {
                other.push(chars[i]);
                i += 1;
            }
        }
    }
    if !other.trim().is_empty() {
        out.push(Piece::Text(other));
    }
}

/// The pieces of a line: headings everywhere, labels and number runs between the headings of
/// sections 二 and 五.
fn pieces(chars: &[char]) -> Vec<Piece> {
    let hs = headings(chars);
    let table_start = hs.iter().find(|h| h.2 == 2).map(|h| h.1);
    let table_end = hs.iter().find(|h| h.2 >= 5).map_or(chars.len(), |h| h.0);
    let mut out = Vec::new();
    let mut at = 0;
    let text = |from: usize, to: usize, out: &mut Vec<Piece>| {
        if from >= to {
            return;
        }
        let inside = table_start.is_some_and(|s| from >= s && to <= table_end);
        if inside {
            for (number, run) in number_runs(&chars[from..to]) {
                if number {
                    out.push(Piece::Numbers(run));
                } else {
                    labels(&run, out);
                }
            }
        } else {
            let s: String = chars[from..to].iter().collect();
            if !s.trim().is_empty() {
                out.push(Piece::Text(s));
            }
        }
    };
    for &(s, e, _) in &hs {
        text(at, s, &mut out);
        out.push(Piece::Heading(chars[s..e].iter().collect()));
        at = e;
    }
    text(at, chars.len(), &mut out);
    out
}

/// A crawler-joined line as flat text, or None when it holds too few table rows to be one.
fn split_line(line: &str) -> Option<String> {
    let chars: Vec<char> = line.chars().collect();
    let pieces = pieces(&chars);
    let lex = Lexicon::get();
    let rows = pieces
        .windows(2)
        .filter(|w| {
            matches!((&w[0], &w[1]), (Piece::Label(l), Piece::Numbers(_))
                if lex.exact(&label_key(l)).is_some())
        })
        .count();
    if rows < MIN_ROWS {
        return None;
    }
    let mut out = String::with_capacity(line.len() * 2);
    for p in pieces {
        match p {
            Piece::Text(s) | Piece::Label(s) | Piece::Heading(s) => {
                out.push_str(s.trim());
                out.push_str("\n\n");
            }
            Piece::Numbers(s) => {
                for tok in s.split(spacey).filter(|t| !t.is_empty()) {
                    out.push_str(tok);
                    out.push_str("\n\n");
                }
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_runs_keep_digits_together_and_give_numbering_back() {
        let chars: Vec<char> = "规章 000行政规范性文件693665第二十条00000002.其他采购135432.52元三"
            .chars()
            .collect();
        let runs = number_runs(&chars);
        let numbers: Vec<&str> = runs.iter().filter(|r| r.0).map(|r| r.1.as_str()).collect();
        assert_eq!(numbers, ["000", "693665", "0000000", "135432.52元"]);
        assert!(runs.iter().any(|r| !r.0 && r.1.starts_with("2.其他")));
    }
}
