//! Text normalisation for label matching, and reading a published cell's text as a value.
//!
//! Labels are compared after [`label_key`]: full-width ASCII folded to half-width, every kind
//! of space removed, quotes dropped, brackets unified, list numbering `1．` `1、` `1,` written
//! `1.` and `一.` written `一、`. Both sides — the template's labels and the published text —
//! go through the same function, so no label is ever typed twice.

use rust_decimal::Decimal;

use crate::model::{Cell, Value, NOT_APPLICABLE_SYMBOLS};
use crate::template::Kind;

/// Folds one character: full-width ASCII to ASCII, the odd dashes and brackets to one form.
/// Returns `None` for characters dropped from labels (spaces, quotes).
fn fold(c: char) -> Option<char> {
    match c {
        '\u{FF01}'..='\u{FF5E}' => {
            let a = char::from_u32(c as u32 - 0xFEE0).unwrap_or(c);
            fold(a)
        }
        '"' | '\'' | '“' | '”' | '‘' | '’' | '「' | '」' | '『' | '』' | '`' => None,
        c if c.is_whitespace() => None,
        '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{FEFF}' | '\u{00AD}' => None,
        '〔' | '【' => Some('['),
        '〕' | '】' => Some(']'),
        '−' | '–' | '—' => Some('-'),
        '它' => Some('他'),
        c => Some(c),
    }
}

const CN_DIGITS: &str = "一二三四五六七八九十";

/// The comparison form of a label (see the module docs).
pub(crate) fn label_key(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if let Some(f) = fold(c) {
            out.push(f);
        }
    }
    // Numbering at the start: `1、` `1,` → `1.`; `一.` `一,` → `一、`.
    let lead_digits = out.bytes().take_while(u8::is_ascii_digit).count();
    if lead_digits > 0 && lead_digits < out.len() {
        let rest = &out[lead_digits..];
        if let Some(r) = rest.strip_prefix('、').or_else(|| rest.strip_prefix(',')) {
            out = format!("{}.{}", &out[..lead_digits], r);
        }
    } else {
        let lead: usize = out
            .chars()
            .take_while(|c| CN_DIGITS.contains(*c))
            .map(char::len_utf8)
            .sum();
        if lead > 0 && lead < out.len() {
            let rest = &out[lead..];
            if let Some(r) = rest.strip_prefix('.').or_else(|| rest.strip_prefix(',')) {
                out = format!("{}、{}", &out[..lead], r);
            }
        }
    }
    out
}

/// Strips a leading section numeral (`一、`, `五.`, `(五)`) from a comparison form.
pub(crate) fn strip_numeral(key: &str) -> (&str, bool) {
    let lead: usize = key
        .chars()
        .take_while(|c| CN_DIGITS.contains(*c))
        .map(char::len_utf8)
        .sum();
    if lead > 0 {
        if let Some(r) = key[lead..].strip_prefix('、') {
            return (r, true);
        }
    }
    (key, false)
}

/// Whether a character is a space of any width (ASCII, ideographic, no-break).
pub(crate) fn is_space(c: char) -> bool {
    c.is_whitespace() || c == '\u{3000}' || c == '\u{00A0}' || c == '\u{FEFF}'
}

/// Trims spaces of every width.
pub(crate) fn trim(s: &str) -> &str {
    s.trim_matches(is_space)
}

/// Folds a value's text: full-width digits and signs to ASCII, spaces removed.
fn fold_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\u{FF01}'..='\u{FF5E}' => {
                out.push(char::from_u32(c as u32 - 0xFEE0).unwrap_or(c));
            }
            '−' | '–' => out.push('-'),
            c if is_space(c) => {}
            c => out.push(c),
        }
    }
    out
}

/// Units accepted after a number in a cell.
const UNITS: &[&str] = &["万元", "万", "元", "件", "个", "项", "条", "次", "宗"];

/// A cell's text understood: number, unit and note, before the column's kind is applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reading {
    /// The digits with sign and point, thousands separators removed.
    pub number: String,
    pub unit: Option<&'static str>,
    pub has_note: bool,
}

/// What a published cell holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CellText {
    Empty,
    NotApplicable,
    Number(Reading),
    /// Anything else: a label or unreadable text.
    Other,
}

/// Reads a cell's text without knowing its column: empty, not applicable, or a number with
/// an optional unit and an optional bracketed note (`22（其中修订16件）`).
pub(crate) fn cell_text(text: &str) -> CellText {
    let t = trim(text);
    if t.is_empty() {
        return CellText::Empty;
    }
    if t.len() > 120 {
        return CellText::Other;
    }
    let f = fold_value(t);
    if NOT_APPLICABLE_SYMBOLS.contains(&t)
        || NOT_APPLICABLE_SYMBOLS.contains(&f.as_str())
        || f == "—"
        || f == "--"
    {
        return CellText::NotApplicable;
    }
    match number(&f) {
        Some(r) => CellText::Number(r),
        None => CellText::Other,
    }
}

fn number(f: &str) -> Option<Reading> {
    let b = f.as_bytes();
    let mut i = 0;
    let mut number = String::new();
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        if b[i] == b'-' {
            number.push('-');
        }
        i += 1;
    }
    let start = i;
    let mut groups_ok = true;
    let mut last_comma: Option<usize> = None;
    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b',') {
        if b[i] == b',' {
            if let Some(lc) = last_comma {
                groups_ok &= i - lc == 4;
            } else {
                groups_ok &= i - start >= 1 && i - start <= 3;
            }
            last_comma = Some(i);
        } else {
            number.push(b[i] as char);
        }
        i += 1;
    }
    if i == start || !groups_ok || b[i - 1] == b',' {
        return None;
    }
    if let Some(lc) = last_comma {
        if i - lc != 4 {
            return None;
        }
    }
    if i < b.len() && b[i] == b'.' {
        let fs = i + 1;
        let mut j = fs;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        if j == fs {
            return None;
        }
        number.push('.');
        number.push_str(&f[fs..j]);
        i = j;
    }
    let mut rest = &f[i..];
    let mut unit = None;
    for u in UNITS {
        if let Some(r) = rest.strip_prefix(u) {
            unit = Some(*u);
            rest = r;
            break;
        }
    }
    let has_note = !rest.is_empty();
    if has_note {
        let open = rest.starts_with('(') || rest.starts_with('（');
        let close = rest.ends_with(')') || rest.ends_with('）');
        if !(open && close) {
            return None;
        }
    }
    Some(Reading {
        number,
        unit,
        has_note,
    })
}

/// Whether text reads as a cell value (empty, not applicable or a number).
pub(crate) fn is_value(text: &str) -> bool {
    let b = text.as_bytes();
    if !b.is_empty() && b.len() <= 18 && b.iter().all(u8::is_ascii_digit) {
        return true;
    }
    // A value starts with a digit, a sign, a dash or a slash (or is empty).
    let t = trim(text);
    match t.chars().next() {
        None => true,
        Some(c) if c.is_ascii_digit() || "+-/／—－–−０１２３４５６７８９".contains(c) => {
            !matches!(cell_text(t), CellText::Other)
        }
        Some(_) => false,
    }
}

/// Reads a published cell for a column of `kind`. The raw text is kept when it held more
/// than the value. `Err` carries the reason (Chinese, for the import report).
pub(crate) fn read_cell(text: &str, kind: Kind) -> Result<Cell, String> {
    let t = trim(text);
    // The common case: plain digits, no leading zero.
    let b = t.as_bytes();
    if !b.is_empty()
        && b.len() <= 17
        && b.iter().all(u8::is_ascii_digit)
        && (b[0] != b'0' || b.len() == 1)
    {
        let n: i64 = t.parse().map_err(|_| format!("「{}」数值过大", clip(t)))?;
        return Ok(match kind {
            Kind::Count | Kind::Signed => Cell::int(n),
            Kind::Amount => Cell::new(Value::Amount(Decimal::from(n))),
        });
    }
    let raw = |value: Value| -> Cell {
        let canonical = value.to_string();
        let folded = fold_value(t);
        Cell {
            value,
            raw: (folded != canonical).then(|| t.to_string()),
        }
    };
    match cell_text(t) {
        CellText::Empty => Ok(Cell::BLANK),
        CellText::NotApplicable => Ok(raw(Value::NotApplicable)),
        CellText::Other => Err(format!("「{}」不是数值", clip(t))),
        CellText::Number(r) => match kind {
            Kind::Count | Kind::Signed => {
                if r.number.contains('.') {
                    return Err(format!("「{}」不是整数", clip(t)));
                }
                if matches!(r.unit, Some("万" | "万元" | "元")) {
                    return Err(format!("「{}」带金额单位，本栏应为件数", clip(t)));
                }
                if r.number.trim_start_matches('-').len() > 18 {
                    return Err(format!("「{}」数值过大", clip(t)));
                }
                let n: i64 = r
                    .number
                    .parse()
                    .map_err(|_| format!("「{}」数值过大", clip(t)))?;
                Ok(raw(Value::Int(n)))
            }
            Kind::Amount => {
                let digits = r.number.trim_start_matches('-');
                let int_len = digits.split('.').next().map_or(0, str::len);
                let frac_len = digits.split('.').nth(1).map_or(0, str::len);
                if int_len > 18 || frac_len > 10 {
                    return Err(format!("「{}」数值过大", clip(t)));
                }
                let d: Decimal = r
                    .number
                    .parse()
                    .map_err(|_| format!("「{}」不是金额", clip(t)))?;
                let d = match r.unit {
                    Some("元") => d
                        .checked_div(Decimal::from(10_000))
                        .map(|d| d.normalize())
                        .ok_or_else(|| format!("「{}」无法换算为万元", clip(t)))?,
                    Some("万" | "万元") | None => d,
                    Some(_) => return Err(format!("「{}」的单位不是金额单位", clip(t))),
                };
                Ok(raw(Value::Amount(d)))
            }
        },
    }
}

/// At most 40 characters of a text, for messages.
pub(crate) fn clip(s: &str) -> String {
    let mut out: String = s.chars().take(40).collect();
    if s.chars().nth(40).is_some() {
        out.push('…');
    }
    out
}

/// Similarity of two comparison forms in [0, 1]: 2·LCS / (|a| + |b|), on characters.
/// Inputs longer than 96 characters score 0.
pub(crate) fn similarity(a: &[char], b: &[char]) -> f32 {
    if a.is_empty() || b.is_empty() || a.len() > 96 || b.len() > 96 {
        return 0.0;
    }
    lcs(a, b) as f32 * 2.0 / (a.len() + b.len()) as f32
}

/// Length of the longest common subsequence, O(|a|·|b|) with one row of memory.
pub(crate) fn lcs(a: &[char], b: &[char]) -> usize {
    let mut row = [0u8; 97];
    for &ca in a {
        let mut prev_diag = 0u8;
        for (j, &cb) in b.iter().enumerate() {
            let up = row[j + 1];
            row[j + 1] = if ca == cb {
                prev_diag + 1
            } else {
                up.max(row[j])
            };
            prev_diag = up;
        }
    }
    row[b.len().min(96)] as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn labels_normalise() {
        assert_eq!(label_key("1．属于国家秘密"), "1.属于国家秘密");
        assert_eq!(label_key("1、属于 国家秘密"), "1.属于国家秘密");
        assert_eq!(label_key("（二）部分公开"), "(二)部分公开");
        assert_eq!(label_key("3.危及\"三安全一稳定\""), "3.危及三安全一稳定");
        assert_eq!(label_key("3.危及“三安全一稳定”"), "3.危及三安全一稳定");
        assert_eq!(label_key("一．总体情况"), "一、总体情况");
        assert_eq!(label_key("本年增／减"), "本年增/减");
        assert_eq!(label_key("１２"), "12");
    }

    #[test]
    fn cells_read_with_units_and_notes() {
        let c = read_cell("170万", Kind::Amount).unwrap();
        assert_eq!(c.value, Value::Amount(Decimal::from(170)));
        assert_eq!(c.raw.as_deref(), Some("170万"));
        let c = read_cell("251000元", Kind::Amount).unwrap();
        assert_eq!(c.value, Value::Amount(Decimal::from_str("25.1").unwrap()));
        assert_eq!(c.raw.as_deref(), Some("251000元"));
        let c = read_cell("22（其中修订16件）", Kind::Count).unwrap();
        assert_eq!(c.value, Value::Int(22));
        assert_eq!(c.raw.as_deref(), Some("22（其中修订16件）"));
        assert_eq!(read_cell("0", Kind::Count).unwrap(), Cell::int(0));
        assert_eq!(read_cell("１２", Kind::Count).unwrap(), Cell::int(12));
        assert_eq!(read_cell(" ", Kind::Count).unwrap(), Cell::BLANK);
        let c = read_cell("—", Kind::Count).unwrap();
        assert_eq!(c.value, Value::NotApplicable);
        assert_eq!(c.raw.as_deref(), Some("—"));
        assert_eq!(read_cell("/", Kind::Count).unwrap().raw, None);
        assert_eq!(read_cell("-3", Kind::Signed).unwrap().value, Value::Int(-3));
        assert!(read_cell("1.5", Kind::Count).is_err());
        assert!(read_cell("无", Kind::Count).is_err());
        assert!(read_cell("1.属于国家秘密", Kind::Count).is_err());
        assert!(read_cell("99999999999999999999", Kind::Count).is_err());
        let c = read_cell("1,234", Kind::Count).unwrap();
        assert_eq!(c.value, Value::Int(1234));
        assert!(!is_value("1,23"));
        assert!(!is_value("1."));
        assert!(is_value("7730.28"));
    }

    #[test]
    fn lcs_similarity() {
        let a: Vec<char> = label_key("2.其他法律行政止公开").chars().collect();
        let b: Vec<char> = label_key("2.其他法律行政法规禁止公开").chars().collect();
        assert!(similarity(&a, &b) > 0.85);
    }
}
