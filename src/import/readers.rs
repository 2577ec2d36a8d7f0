//! Readers of the text forms: flat text (one cell per line), Markdown pipe tables and
//! `pdftotext -layout` text. Each turns the text into [`Block`]s; none allocates per line
//! more than it must, so long inputs stay linear.

use std::borrow::Cow;

use super::doc::{Block, BlockKind, Loc, Tok};
use super::normalize::{is_space, is_value, trim};

/// The blocks of the non-empty lines of a text: `block` makes a line's block, given its
/// 1-based number, the line and the line trimmed, or None to pass the line over. Each block is
/// given the number of empty lines before it (an empty line inside a table may be an empty
/// cell) and whether the line before it was not empty; a line passed over counts as neither.
fn line_blocks<'a>(
    text: &'a str,
    capacity: usize,
    mut block: impl FnMut(usize, &'a str, &'a str) -> Option<Block<'a>>,
) -> Vec<Block<'a>> {
    let mut out = Vec::with_capacity(capacity);
    let mut gap = 0u32;
    let mut prev_nonempty = false;
    for (i, line) in text.split('\n').enumerate() {
        let t = trim(line);
        if t.is_empty() {
            gap = gap.saturating_add(1);
            prev_nonempty = false;
            continue;
        }
        let Some(mut b) = block(i + 1, line, t) else {
            continue;
        };
        b.gap = gap;
        b.cont = prev_nonempty;
        out.push(b);
        gap = 0;
        prev_nonempty = true;
    }
    out
}

/// Flat text scraped from a web page: each line a paragraph or one table cell; the empty
/// lines before each line are counted (an empty line inside a table may be an empty cell).
/// A line with tabs is a row of cells.
pub(crate) fn flat(text: &str) -> Vec<Block<'_>> {
    line_blocks(text, text.len() / 24 + 16, |n, line, t| {
        let loc = Loc::line(n);
        // A page number left by a PDF-to-text step (「- 3 -」, 「第3页」) is no cell.
        if page_number(t) {
            return None;
        }
        Some(if t.contains('\t') {
            // Empty cells at either end are cells too: keep the tabs.
            let row = line.trim_matches(|c: char| is_space(c) && c != '\t');
            let cells: Vec<Tok> = row.split('\t').map(|c| Tok::plain(trim(c))).collect();
            Block {
                loc,
                kind: BlockKind::Row,
                text: Cow::Borrowed(t),
                cells,
                gap: 0,
                cont: false,
            }
        } else {
            Block::para(loc, t)
        })
    })
}

/// Whether a line is a Markdown table separator row (`|---|:--:|`).
fn md_separator(cells: &[&str]) -> bool {
    !cells.is_empty()
        && cells.iter().all(|c| {
            let c = c.trim();
            let c = c.trim_start_matches(':').trim_end_matches(':');
            !c.is_empty() && c.bytes().all(|b| b == b'-')
        })
}

/// Removes Markdown inline markup from a cell or paragraph: backslash escapes, `**`, `__`,
/// `<br>`.
fn md_inline(s: &str) -> Cow<'_, str> {
    if !s.contains(['\\', '*', '_', '<']) {
        return Cow::Borrowed(s);
    }
    let s = s
        .replace("<br>", "")
        .replace("<br/>", "")
        .replace("<br />", "")
        .replace("**", "")
        .replace("__", "");
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(&n) = chars.peek() {
                if n.is_ascii_punctuation() {
                    out.push(n);
                    chars.next();
                    continue;
                }
            }
        }
        out.push(c);
    }
    Cow::Owned(out)
}

/// Splits a pipe-table row into cells, honouring `\|`.
fn md_cells(line: &str) -> Vec<&str> {
    let inner = line.strip_prefix('|').unwrap_or(line);
    let inner = match inner.strip_suffix('|') {
        Some(s) if !s.ends_with('\\') => s,
        _ => inner,
    };
    let mut cells = Vec::new();
    let mut start = 0;
    let b = inner.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'|' => {
                cells.push(&inner[start..i]);
                i += 1;
                start = i;
            }
            _ => i += 1,
        }
    }
    cells.push(&inner[start.min(inner.len())..]);
    cells
}

/// Markdown: pipe tables are rows (separator rows dropped), other lines paragraphs with
/// heading marks and inline markup removed.
pub(crate) fn markdown(text: &str) -> Vec<Block<'_>> {
    line_blocks(text, 0, |n, _, t| {
        let loc = Loc::line(n);
        if t.starts_with('|') {
            let cells = md_cells(t);
            if md_separator(&cells) {
                return None;
            }
            return Some(Block {
                loc,
                kind: BlockKind::Row,
                text: Cow::Borrowed(t),
                cells: cells
                    .into_iter()
                    .map(|c| Tok::plain(md_inline(trim(c))))
                    .collect(),
                gap: 0,
                cont: false,
            });
        }
        let p = t.trim_start_matches('#').trim_start_matches('>');
        let p = trim(p);
        if p.is_empty() || p.bytes().all(|b| b == b'-' || b == b'*' || b == b'_') {
            return None;
        }
        Some(Block::para(loc, md_inline(p)))
    })
}

/// Whether a line of PDF text is a page number: `-3-`, `— 3 —`, `第3页`, `第 3 页 共 9 页`,
/// `3/9`.
pub(crate) fn page_number(t: &str) -> bool {
    if t.chars().count() > 16 {
        return false;
    }
    let s: String = t.chars().filter(|c| !is_space(*c)).collect();
    let s = s.as_str();
    let dashes = ['-', '－', '—', '–', '─'];
    let inner = s.trim_start_matches(dashes).trim_end_matches(dashes);
    if s.starts_with(dashes)
        && s.ends_with(dashes)
        && (1..=4).contains(&inner.len())
        && inner.bytes().all(|b| b.is_ascii_digit())
    {
        return true;
    }
    if let Some(rest) = s.strip_prefix('第') {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 {
            let rest = &rest[digits..];
            if rest == "页" {
                return true;
            }
            if let Some(r) = rest.strip_prefix("页共") {
                let d = r.bytes().take_while(u8::is_ascii_digit).count();
                return d > 0 && &r[d..] == "页";
            }
        }
    }
    if let Some((a, b)) = s.split_once('/') {
        return !a.is_empty()
            && !b.is_empty()
            && a.len() <= 3
            && b.len() <= 3
            && a.bytes().all(|c| c.is_ascii_digit())
            && b.bytes().all(|c| c.is_ascii_digit());
    }
    false
}

/// Whether a character takes two columns: East Asian wide and full-width characters, and the
/// punctuation of ambiguous width that Chinese fonts print full-width (“ ” ‘ ’ … — ·).
fn wide(c: char) -> bool {
    let u = c as u32;
    matches!(
        c,
        '“' | '”' | '‘' | '’' | '…' | '—' | '·' | '※' | '°' | '±' | '×' | '÷'
    ) || (0x1100..=0x115F).contains(&u)
        || (0x2E80..=0xA4CF).contains(&u)
        || (0xAC00..=0xD7A3).contains(&u)
        || (0xF900..=0xFAFF).contains(&u)
        || (0xFE30..=0xFE4F).contains(&u)
        || (0xFF00..=0xFF60).contains(&u)
        || (0xFFE0..=0xFFE6).contains(&u)
        || (0x20000..=0x3FFFD).contains(&u)
}

/// Splits a line of pdftotext text into cells with their columns: runs separated by two or
/// more spaces; single-space-separated numbers are cells of their own.
pub(crate) fn layout_cells(line: &str) -> Vec<Tok<'_>> {
    struct Word {
        start: usize,
        end: usize,
        x: (u32, u32),
        w: (u32, u32),
        gap_before: u32,
    }
    let mut words: Vec<Word> = Vec::new();
    let (mut x, mut w) = (0u32, 0u32);
    let mut cur: Option<Word> = None;
    let mut spaces = 0u32;
    for (bi, c) in line.char_indices() {
        let cw = if wide(c) { 2 } else { 1 };
        if is_space(c) {
            if let Some(mut word) = cur.take() {
                word.end = bi;
                word.x.1 = x;
                word.w.1 = w;
                words.push(word);
                spaces = 0;
            }
            spaces += if c == '\u{3000}' { 2 } else { 1 };
        } else if cur.is_none() {
            cur = Some(Word {
                start: bi,
                end: bi,
                x: (x, x),
                w: (w, w),
                gap_before: spaces,
            });
        }
        x += 1;
        w += cw;
    }
    if let Some(mut word) = cur.take() {
        word.end = line.len();
        word.x.1 = x;
        word.w.1 = w;
        words.push(word);
    }
    let mut out: Vec<Tok> = Vec::new();
    let mut prev_value = true;
    for word in words {
        let text = &line[word.start..word.end];
        let value = is_value(text);
        let join = !out.is_empty() && word.gap_before <= 1 && !value && !prev_value;
        if join {
            if let Some(last) = out.last_mut() {
                let mut s = last.text.to_string();
                s.push_str(text);
                last.text = Cow::Owned(s);
                last.x.1 = word.x.1;
                last.w.1 = word.w.1;
            }
        } else {
            out.push(Tok {
                text: Cow::Borrowed(text),
                span: 1,
                x: word.x,
                w: word.w,
            });
        }
        prev_value = value;
    }
    out
}

/// Text from `pdftotext -layout`: every line a positioned row; page numbers and form feeds
/// dropped.
pub(crate) fn layout(text: &str) -> Vec<Block<'_>> {
    let mut out = Vec::with_capacity(text.len() / 48 + 16);
    let mut gap = 0u32;
    // The empty lines around a page number are the page's margins, not paragraph breaks.
    let mut page_break = false;
    for (i, line) in text.split('\n').enumerate() {
        let line = line.trim_end_matches(['\r', '\u{c}']);
        let line = line.trim_start_matches('\u{c}');
        let t = trim(line);
        if t.is_empty() {
            if !page_break {
                gap = gap.saturating_add(1);
            }
            continue;
        }
        if page_number(t) {
            gap = 0;
            page_break = true;
            continue;
        }
        page_break = false;
        out.push(Block {
            loc: Loc::line(i + 1),
            kind: BlockKind::Layout,
            text: Cow::Borrowed(t),
            cells: layout_cells(line),
            gap,
            cont: gap == 0,
        });
        gap = 0;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_numbers() {
        for p in ["-3-", "- 3 -", "— 12 —", "第3页", "第 3 页 共 9 页", "3/9"] {
            assert!(page_number(p), "{p}");
        }
        for p in [
            "-",
            "3",
            "1.属于国家秘密",
            "本年增/减",
            "32    14    -",
            "3  -",
        ] {
            assert!(!page_number(p), "{p}");
        }
    }

    #[test]
    fn layout_cells_split_on_wide_gaps() {
        let cells = layout_cells("  规  章        0    12   3");
        let t: Vec<&str> = cells.iter().map(|c| c.text.as_ref()).collect();
        assert_eq!(t, ["规", "章", "0", "12", "3"]);
        let cells = layout_cells("行政 许可 1 2 3");
        let t: Vec<&str> = cells.iter().map(|c| c.text.as_ref()).collect();
        assert_eq!(t, ["行政许可", "1", "2", "3"]);
    }

    #[test]
    fn markdown_rows() {
        let b = markdown("| a | b\\|c |\n|---|---|\n## 一、总体情况\n1\\.属于");
        assert_eq!(b.len(), 3);
        assert_eq!(b[0].cells[1].text, "b|c");
        assert_eq!(b[1].text, "一、总体情况");
        assert_eq!(b[2].text, "1.属于");
    }
}
