//! Markdown: CommonMark with GFM pipe tables (GitHub, GitLab).
//!
//! Layout (for importers), blocks separated by one blank line:
//! - `# <title>`; the preamble, one paragraph per line of the stored text.
//! - Each of the six sections: `## <official heading>`; a narrative section's text, one
//!   paragraph per line; then each sub-section as `### <title>` followed by its text, one
//!   paragraph per line.
//! - Table 2: per block, a paragraph `**<block title>**` then a pipe table. Table 3: the
//!   printed 勾稽 note as a paragraph, then one pipe table. Table 4: one pipe table.
//! - Pipe tables have one header row; merged headers are flattened into one cell per column
//!   by joining the label path with a space (`法人或其他组织 商业企业`,
//!   `行政诉讼 未经复议直接起诉 结果维持`). Likewise the row label is the row's label path
//!   joined with a space (`三、本年度办理结果 （三）不予公开 1.属于国家秘密`). Tables 2 and 3
//!   open with the row-label column (header: the corner label, 信息内容 / 申请人情况); table 4
//!   has no row-label column and a single data row of 15 cells. Rows the report does not print
//!   are left out. A value cell is the cell as published: empty for blank, `/`, or the
//!   annotated text.
//! - Escaping, everywhere stored text or a label is written: `\` `` ` `` `*` `_` `[` `]`
//!   `<` `>` `|` `~` `&` `$` `#` `{` `}` get a backslash; at the start of a paragraph or heading also
//!   `+` `-` `=` and the `.`/`)` of a leading `1.`-style number followed by a space; control
//!   characters (tab and line breaks included) and spaces or tabs leading or trailing a
//!   paragraph, heading or cell become decimal character references (`&#10;`, `&#32;`).
//!   [`unescape`] is the exact inverse.

use super::layout::{self, Grid};
use super::{lines, narrative, push_num, push_published, title};
use crate::model::{Report, Section};
use crate::template::SECTIONS;

pub(super) fn render(report: &Report) -> String {
    let mut out = String::with_capacity(24 * 1024);
    out.push_str("# ");
    esc(&mut out, &title(report), true);
    out.push('\n');
    paragraphs(&mut out, &report.narrative.preamble);
    let grids = layout::grids(report);
    for section in &SECTIONS {
        out.push_str("\n## ");
        esc(&mut out, section.heading, true);
        out.push('\n');
        if let Some(s) = narrative(report, section) {
            narrative_section(&mut out, s);
        }
        for g in grids
            .iter()
            .filter(|g| g.table.section.number == section.number)
        {
            table(&mut out, report, g);
        }
    }
    out
}

fn narrative_section(out: &mut String, s: &Section) {
    paragraphs(out, &s.text);
    for sub in &s.subsections {
        out.push_str("\n### ");
        esc(out, &sub.title, true);
        out.push('\n');
        paragraphs(out, &sub.text);
    }
}

fn paragraphs(out: &mut String, text: &str) {
    for line in lines(text) {
        out.push('\n');
        esc(out, line, true);
        out.push('\n');
    }
}

fn table(out: &mut String, report: &Report, g: &Grid) {
    if g.block == 0 {
        if let Some(note) = g.table.note {
            out.push('\n');
            esc(out, note, true);
            out.push('\n');
        }
    }
    if let Some(c) = g.caption {
        out.push_str("\n**");
        esc(out, c, false);
        out.push_str("**\n");
    }
    out.push('\n');
    // Header row.
    out.push('|');
    if g.has_corner {
        let corner = g
            .head
            .first()
            .and_then(|r| r.first())
            .map_or("", |h| h.label);
        out.push(' ');
        esc(out, corner, false);
        out.push_str(" |");
    }
    for path in &g.col_paths {
        out.push(' ');
        joined(out, path);
        out.push_str(" |");
    }
    out.push('\n');
    // Delimiter row: labels left, values right.
    out.push('|');
    if g.has_corner {
        out.push_str(" :-- |");
    }
    for _ in &g.col_paths {
        out.push_str(" --: |");
    }
    out.push('\n');
    for row in &g.rows {
        out.push('|');
        if g.has_corner {
            out.push(' ');
            joined(out, &row.path);
            out.push_str(" |");
        }
        for &ix in &row.cells {
            out.push(' ');
            push_published(out, report.cell(ix), |o, s| esc(o, s, false));
            out.push_str(" |");
        }
        out.push('\n');
    }
}

fn joined(out: &mut String, path: &[&str]) {
    for (i, label) in path.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        esc(out, label, false);
    }
}

/// Always escaped with a backslash.
fn always(c: char) -> bool {
    matches!(
        c,
        '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '&' | '$' | '#' | '{' | '}'
    )
}

/// Escapes one line of text. `block_start`: the text opens a paragraph or heading, where
/// `+ - =` and list numbers are significant too.
pub(crate) fn esc(out: &mut String, s: &str, block_start: bool) {
    let b = s.as_bytes();
    let risky_first = |c: &u8| {
        matches!(c, b' ' | b'\t') || (block_start && matches!(c, b'+' | b'-' | b'=' | b'0'..=b'9'))
    };
    let plain = !b
        .iter()
        .any(|&c| c.is_ascii_control() || always(char::from(c)))
        && !b.first().is_some_and(risky_first)
        && !b.last().is_some_and(|c| matches!(c, b' ' | b'\t'));
    if plain {
        out.push_str(s);
        return;
    }
    let lead = s.len() - s.trim_start_matches([' ', '\t']).len();
    let trail_start = s.trim_end_matches([' ', '\t']).len().max(lead);
    // The `.` or `)` of a leading ordered-list number (`1. `), if any.
    let list_mark = if block_start {
        let body = &s[lead..];
        let digits = body.bytes().take_while(u8::is_ascii_digit).count();
        let rest = &body[digits..];
        let after = rest.chars().nth(1);
        if (1..=9).contains(&digits)
            && (rest.starts_with('.') || rest.starts_with(')'))
            && after.is_none_or(|c| c == ' ' || c == '\t')
        {
            Some(lead + digits)
        } else {
            None
        }
    } else {
        None
    };
    for (i, c) in s.char_indices() {
        if i < lead || i >= trail_start || c.is_control() {
            match c {
                '\0' => out.push('\u{FFFD}'),
                c if c.is_control() || c == ' ' => {
                    out.push_str("&#");
                    push_num(out, u64::from(u32::from(c)));
                    out.push(';');
                }
                c => out.push(c),
            }
            continue;
        }
        let first = block_start && i == lead;
        if always(c) || (first && matches!(c, '+' | '-' | '=')) || list_mark == Some(i) {
            out.push('\\');
        }
        out.push(c);
    }
}

/// The inverse of the escaping above, for one paragraph, heading, or table cell (after its
/// surrounding spaces are trimmed): a backslash before ASCII punctuation yields the
/// punctuation; `&#N;` and `&#xH;` yield the character. Anything else is kept as is.
pub fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find(['\\', '&']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if let Some(stripped) = tail.strip_prefix('\\') {
            match stripped.chars().next() {
                Some(c) if c.is_ascii_punctuation() => {
                    out.push(c);
                    rest = &stripped[1..];
                }
                _ => {
                    out.push('\\');
                    rest = stripped;
                }
            }
            continue;
        }
        // `&`: a numeric character reference, or a literal ampersand.
        match numeric_ref(tail) {
            Some((c, len)) => {
                out.push(c);
                rest = &tail[len..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// `&#N;` or `&#xH;` at the start of `s`: the character and the reference's length.
fn numeric_ref(s: &str) -> Option<(char, usize)> {
    let body = s.strip_prefix("&#")?;
    let (digits, radix, skip) = match body.strip_prefix(['x', 'X']) {
        Some(hex) => (hex, 16, 3),
        None => (body, 10, 2),
    };
    let end = digits.find(';')?;
    let num = &digits[..end];
    if num.is_empty() || num.len() > 7 {
        return None;
    }
    let n = u32::from_str_radix(num, radix).ok()?;
    let c = match n {
        0 => '\u{FFFD}',
        n => char::from_u32(n).unwrap_or('\u{FFFD}'),
    };
    Some((c, skip + end + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(s: &str, start: bool) -> String {
        let mut out = String::new();
        esc(&mut out, s, start);
        out
    }

    #[test]
    fn escapes_and_unescapes() {
        assert_eq!(e("1.政府规章", true), "1.政府规章");
        assert_eq!(e("1. 政府规章", true), "1\\. 政府规章");
        assert_eq!(e("1)", true), "1\\)");
        assert_eq!(e("- x", true), "\\- x");
        assert_eq!(e("-3", false), "-3");
        assert_eq!(e("a|b", false), "a\\|b");
        assert_eq!(e("  x ", true), "&#32;&#32;x&#32;");
        assert_eq!(e("a\nb\r", true), "a&#10;b&#13;");
        assert_eq!(e("<script>", true), "\\<script\\>");
        for s in [
            "1. x",
            "  x ",
            "a\\|b&#32;",
            "&amp; \\ \\\\",
            "# h #",
            "\t-\r\n",
            "本年增/减",
            "",
        ] {
            for start in [true, false] {
                assert_eq!(unescape(&e(s, start)), s, "{s:?}");
            }
        }
    }
}
