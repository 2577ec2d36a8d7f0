//! The report's title: body name and year from a title line, in every form real reports
//! print it (year first or last, full-width digits, 二〇二四年, over two or three lines).

use super::doc::{Block, BlockKind};
use super::normalize::{is_space, trim};
use crate::template::TITLE_SUFFIX;

/// The title's fixed part without the year's 「年」: 「政府信息公开工作年度报告」.
pub(crate) fn title_core() -> &'static str {
    TITLE_SUFFIX.strip_prefix('年').unwrap_or(TITLE_SUFFIX)
}

pub(crate) const CN_NUMERALS: &str = "一二三四五六七八九十";

/// A parsed title line.
#[derive(Debug, Clone)]
pub(crate) struct Title {
    pub block: usize,
    pub name: String,
    pub year: Option<u32>,
}

/// Reads a title line: 「<name><year>年[度]政府信息公开工作年度报告」, the year possibly first.
pub(crate) fn title(text: &str) -> Option<(String, Option<u32>)> {
    if text.len() > 300 {
        return None;
    }
    let compact: String = year_digits(
        &text
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '\u{3000}')
            .collect::<String>(),
    );
    let at = compact.find(title_core())?;
    // A title, not a sentence that names one: nothing after it but a site name
    // (「…年度报告_某某网」), and no sentence punctuation.
    let after = &compact[at + title_core().len()..];
    let after_ok = after.is_empty() || after.starts_with(['_', '-', '|', '—', '（', '(', '－']);
    if !after_ok || compact.contains(['。', '，', '；']) || compact.chars().count() > 80 {
        return None;
    }
    let before = &compact[..at];
    // The year: four digits followed by 年.
    let mut year = None;
    let mut name = before.to_string();
    let b = before.as_bytes();
    let mut i = 0;
    while i + 4 <= b.len() {
        if b[i..i + 4].iter().all(u8::is_ascii_digit)
            && (i == 0 || !b[i - 1].is_ascii_digit())
            && before[i + 4..].starts_with('年')
        {
            let y: u32 = before[i..i + 4].parse().unwrap_or(0);
            if (2000..=2100).contains(&y) {
                year = Some(y);
                let mut end = i + 4 + '年'.len_utf8();
                if before[end..].starts_with('度') {
                    end += '度'.len_utf8();
                }
                name = format!("{}{}", &before[..i], &before[end..]);
                break;
            }
        }
        i += 1;
    }
    // A crawler's field or path before the title (「标题:」, 「…/80613_」) is no part of it.
    let name = match name.rfind([':', '：', '/', '_', '\\']) {
        Some(i) => {
            let width = name[i..].chars().next().map_or(1, char::len_utf8);
            name[i + width..].to_string()
        }
        None => name,
    };
    let name = name
        .trim_start_matches("关于")
        .trim_end_matches("关于")
        .trim_end_matches('的')
        .trim_matches(|c: char| c.is_ascii_punctuation() || "《》“”「」：:、".contains(c))
        .to_string();
    Some((name, year))
}

/// A text with the year's digits as ASCII: full-width digits (２０２４), and four Chinese
/// numerals before 年 (二〇二四年).
pub(crate) fn year_digits(text: &str) -> String {
    /// The digit a Chinese numeral of a year stands for.
    fn cn(c: char) -> Option<u8> {
        match c {
            '〇' | '零' | '○' | 'Ｏ' => Some(0),
            _ => "一二三四五六七八九"
                .chars()
                .position(|x| x == c)
                .map(|p| p as u8 + 1),
        }
    }
    let chars: Vec<char> = text
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            _ => c,
        })
        .collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let digits: Option<Vec<u8>> = chars
            .get(i..i + 4)
            .and_then(|f| f.iter().map(|&c| cn(c)).collect());
        let is_year = chars.get(i + 4) == Some(&'年')
            && (i == 0 || cn(chars[i - 1]).is_none())
            && digits.as_ref().is_some_and(|d| d[0] == 2);
        if let (true, Some(d)) = (is_year, digits) {
            out.extend(d.iter().map(|&d| char::from(b'0' + d)));
            i += 4;
            continue;
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

/// A title broken over two or three short lines (「平潭综合实验区」「2021年度政府信息公开」
/// 「工作年度报告」): the lines it spans, the name and the year. None when one line alone
/// holds the title's fixed part.
pub(crate) fn split_title(blocks: &[Block<'_>]) -> Option<(usize, String, Option<u32>)> {
    let core = title_core();
    let short = |b: &Block<'_>| b.text.chars().count() <= 40 && !b.text.contains(core);
    let mut joined = String::new();
    for (k, b) in blocks.iter().take(3).enumerate() {
        if !short(b) || !textual(b) {
            return None;
        }
        joined.push_str(trim(&b.text));
        if k > 0 {
            let compact: String = joined.chars().filter(|c| !is_space(*c)).collect();
            if compact.contains(core) {
                let (name, year) = title(&joined)?;
                return Some((k + 1, name, year));
            }
        }
    }
    None
}

/// Whether a block is text rather than a table row.
pub(crate) fn textual(b: &Block<'_>) -> bool {
    b.kind != BlockKind::Row
}

/// The first year 「20xx年」 in a text (full-width digits, 二〇二四年 and spaces before 年 too).
pub(crate) fn year_in(text: &str) -> Option<u32> {
    let text = year_digits(text);
    let b = text.as_bytes();
    (0..b.len().saturating_sub(3)).find_map(|i| {
        let digits = b[i..i + 4].iter().all(u8::is_ascii_digit);
        let before = i == 0 || !b[i - 1].is_ascii_digit();
        let after = b.get(i + 4).is_none_or(|c| !c.is_ascii_digit());
        let rest = text.get(i + 4..)?.trim_start_matches(is_space);
        if digits && before && after && rest.starts_with('年') {
            text[i..i + 4]
                .parse()
                .ok()
                .filter(|y| (2000..=2100).contains(y))
        } else {
            None
        }
    })
}
