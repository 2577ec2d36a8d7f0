//! Expected output against actual output: `[..]` within a line, `...` for any number of
//! lines, a line diff that knows both, and the blessed text that keeps them.

use std::fmt::Write;

use super::markdown::ELISION;

/// Text a line's `[..]` stands for: anything within that line, even nothing.
pub const WILDCARD: &str = "[..]";

/// How the expected lines line up with the actual ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// Expected line `.0` matches actual line `.1`.
    Same(usize, usize),
    /// The `...` at expected line `.0` stands for actual lines `.1`.
    Elided(usize, std::ops::Range<usize>),
    /// Expected line `.0` is not in the output.
    Missing(usize),
    /// Actual line `.0` was not expected.
    Extra(usize),
}

/// Whether `actual` is `pattern` with each `[..]` standing for any text.
pub fn line_matches(pattern: &str, actual: &str) -> bool {
    let mut parts = pattern.split(WILDCARD);
    let first = parts.next().unwrap_or_default();
    let mut rest: Vec<&str> = parts.collect();
    let Some(last) = rest.pop() else {
        return pattern == actual;
    };
    let Some(mut middle) = actual.strip_prefix(first) else {
        return false;
    };
    if middle.len() < last.len() || !middle.ends_with(last) {
        return false;
    }
    middle = &middle[..middle.len() - last.len()];
    for part in rest {
        match middle.find(part) {
            Some(at) => middle = &middle[at + part.len()..],
            None => return false,
        }
    }
    true
}

/// The cheapest alignment (fewest missing and extra lines) of `expected` with `actual`;
/// it matches when no op is `Missing` or `Extra`.
pub fn align(expected: &[String], actual: &[String]) -> Vec<Op> {
    let (n, m) = (expected.len(), actual.len());
    // cost[i][j]: lines left unmatched aligning expected[i..] with actual[j..].
    let mut cost = vec![vec![0u32; m + 1]; n + 1];
    for (j, c) in cost[n].iter_mut().enumerate() {
        *c = (m - j) as u32;
    }
    for i in (0..n).rev() {
        for j in (0..=m).rev() {
            cost[i][j] = if expected[i] == ELISION {
                let skip = cost[i + 1][j];
                if j < m {
                    skip.min(cost[i][j + 1])
                } else {
                    skip
                }
            } else {
                let mut best = 1 + cost[i + 1][j];
                if j < m {
                    best = best.min(1 + cost[i][j + 1]);
                    if line_matches(&expected[i], &actual[j]) {
                        best = best.min(cost[i + 1][j + 1]);
                    }
                }
                best
            };
        }
    }
    let (mut i, mut j, mut ops) = (0, 0, Vec::new());
    while i < n || j < m {
        if i == n {
            ops.push(Op::Extra(j));
            j += 1;
        } else if expected[i] == ELISION {
            let from = j;
            while j < m && cost[i + 1][j] != cost[i][j] {
                j += 1;
            }
            ops.push(Op::Elided(i, from..j));
            i += 1;
        } else if j < m
            && line_matches(&expected[i], &actual[j])
            && cost[i][j] == cost[i + 1][j + 1]
        {
            ops.push(Op::Same(i, j));
            (i, j) = (i + 1, j + 1);
        } else if cost[i][j] == 1 + cost[i + 1][j] {
            ops.push(Op::Missing(i));
            i += 1;
        } else {
            ops.push(Op::Extra(j));
            j += 1;
        }
    }
    ops
}

/// A line missing or extra.
fn is_change(op: &Op) -> bool {
    matches!(op, Op::Missing(_) | Op::Extra(_))
}

/// Whether an alignment is a match.
pub fn matched(ops: &[Op]) -> bool {
    !ops.iter().any(is_change)
}

/// The differences with two lines of context: `-` expected (with its line in the file), `+`
/// actual.
pub fn diff(ops: &[Op], expected: &[String], lines: &[usize], actual: &[String]) -> String {
    let changed: Vec<bool> = ops.iter().map(is_change).collect();
    let near = |k: usize| changed[k.saturating_sub(2)..(k + 3).min(ops.len())].contains(&true);
    let mut out = String::new();
    let mut skipped = false;
    for (k, op) in ops.iter().enumerate() {
        if !near(k) {
            skipped = true;
            continue;
        }
        if std::mem::take(&mut skipped) {
            out.push_str("        ⋮\n");
        }
        let _ = match op {
            Op::Same(i, j) => writeln!(out, "  {:>5}  {}", lines[*i], actual[*j]),
            Op::Elided(i, r) => writeln!(out, "  {:>5}  ... ({} lines)", lines[*i], r.len()),
            Op::Missing(i) => writeln!(out, "- {:>5}  {}", lines[*i], expected[*i]),
            Op::Extra(j) => writeln!(out, "+ {:>5}  {}", "", actual[*j]),
        };
    }
    if skipped {
        out.push_str("        ⋮\n");
    }
    out
}

/// The expected lines rewritten to the actual output, keeping every expected line that
/// matched (with its wildcards) and every `...`.
pub fn bless(ops: &[Op], expected: &[String], actual: &[String]) -> Vec<String> {
    ops.iter()
        .filter_map(|op| match op {
            Op::Same(i, _) | Op::Elided(i, _) => Some(expected[*i].clone()),
            Op::Missing(_) => None,
            Op::Extra(j) => Some(actual[*j].clone()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Vec<String> {
        s.lines().map(str::to_string).collect()
    }

    #[test]
    fn wildcards_within_a_line() {
        assert!(line_matches("abc", "abc"));
        assert!(!line_matches("abc", "abcd"));
        assert!(line_matches(
            "rev 1, [..], 2019",
            "rev 1, 2026-01-01T00:00:00Z, 2019"
        ));
        assert!(line_matches("[..]", ""));
        assert!(line_matches("a[..]b[..]c", "a-b-b-c"));
        assert!(!line_matches("a[..]b[..]c", "a-c-b"));
        assert!(!line_matches("ab[..]ba", "aba"));
        assert!(line_matches("固城镇[..]年", "固城镇2020年"));
    }

    #[test]
    fn elisions_span_any_number_of_lines() {
        let e = v("head\n...\ntail");
        assert!(matched(&align(&e, &v("head\ntail"))));
        assert!(matched(&align(&e, &v("head\n1\n2\ntail"))));
        assert!(!matched(&align(&e, &v("head\n1\n2"))));
        assert!(matched(&align(&v("...\nx"), &v("a\nx\nb\nx"))));
        assert!(matched(&align(&v(""), &v(""))));
    }

    #[test]
    fn the_diff_and_the_blessed_text_keep_what_matched() {
        let e = v("one\nt [..]\n...\nfour\nfive");
        let a = v("one\nt 12:00\nx\ny\nfour\nsix");
        let ops = align(&e, &a);
        assert!(!matched(&ops));
        let d = diff(&ops, &e, &[10, 11, 12, 13, 14], &a);
        assert!(d.contains("-    14  five\n"), "{d}");
        assert!(d.contains("+        six\n"), "{d}");
        assert!(d.contains("     12  ... (2 lines)\n"), "{d}");
        assert_eq!(bless(&ops, &e, &a), v("one\nt [..]\n...\nfour\nsix"));
    }
}
