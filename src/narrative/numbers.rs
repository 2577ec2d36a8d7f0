//! Figures in running text: Arabic digits (half- or full-width, with thousands commas) or
//! Chinese numerals (三, 十二, 两, 二十三, 一百零五), followed by a unit: 件/起/宗 (counts),
//! 元/万元/亿元 (money, read in 万元), or % (a rate).

use rust_decimal::Decimal;

/// What a figure's unit says it measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// 件, 起, 宗.
    Count,
    /// Money; the value is in 万元.
    Money,
    /// %.
    Percent,
}

/// A number with its unit, as found in a clause.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Figure<'a> {
    /// The value: a count, an amount in 万元, or a percentage.
    pub value: Decimal,
    /// Decimal places as written in the text's own unit (for comparing amounts as rounded).
    pub scale: u32,
    /// How many 万元 one unit of the text is (元 → 0.0001, 万元 → 1, 亿元 → 10000).
    pub per_unit: Decimal,
    pub unit: Unit,
    /// Written as approximate: 约, 近, 超过, 余, 多.
    pub approximate: bool,
    /// The figure as written, number and unit (`258件`, `十二件`, `3.5万元`).
    pub text: &'a str,
    /// Byte offset of the figure in its clause.
    pub at: usize,
}

const APPROX_BEFORE: [&str; 6] = ["约", "近", "超过", "逾", "将近", "大约"];

fn digit(c: char) -> Option<u32> {
    match c {
        '0'..='9' => c.to_digit(10),
        '０'..='９' => Some(c as u32 - '０' as u32),
        _ => None,
    }
}

fn cn_digit(c: char) -> Option<u64> {
    Some(match c {
        '零' | '〇' => 0,
        '一' => 1,
        '二' | '两' => 2,
        '三' => 3,
        '四' => 4,
        '五' => 5,
        '六' => 6,
        '七' => 7,
        '八' => 8,
        '九' => 9,
        _ => return None,
    })
}

fn cn_mult(c: char) -> Option<u64> {
    Some(match c {
        '十' => 10,
        '百' => 100,
        '千' => 1000,
        '万' => 10_000,
        _ => return None,
    })
}

/// Whether `c` is part of a Chinese numeral (一…九, 两, 零, 十, 百, 千).
pub fn is_chinese_digit(c: char) -> bool {
    is_cn(c)
}

fn is_cn(c: char) -> bool {
    cn_digit(c).is_some() || matches!(c, '十' | '百' | '千')
}

/// The value of a Chinese numeral made of 零一二两三…九十百千 (no 万: 万元 is a unit).
pub fn chinese(s: &str) -> Option<u64> {
    let mut total = 0u64;
    let mut pending: Option<u64> = None;
    for c in s.chars() {
        if let Some(d) = cn_digit(c) {
            if pending.is_some() && d != 0 {
                return None; // 三四: not a number
            }
            pending = if d == 0 { pending } else { Some(d) };
        } else if let Some(m) = cn_mult(c) {
            // 十二: a bare 十 is 1×10.
            total = total.checked_add(pending.take().unwrap_or(1).checked_mul(m)?)?;
        } else {
            return None;
        }
    }
    Some(total + pending.unwrap_or(0))
}

/// The unit at the start of `rest`: its kind, its size in 万元 and its length in bytes.
fn unit_at(rest: &str) -> Option<(Unit, Decimal, usize)> {
    let trimmed = rest.trim_start_matches([' ', '\u{3000}']);
    let pad = rest.len() - trimmed.len();
    let rest = trimmed;
    for (u, unit, per) in [
        ("万元", Unit::Money, Decimal::ONE),
        ("亿元", Unit::Money, Decimal::from(10_000)),
        ("元", Unit::Money, Decimal::new(1, 4)),
        ("件", Unit::Count, Decimal::ONE),
        ("起", Unit::Count, Decimal::ONE),
        ("宗", Unit::Count, Decimal::ONE),
        ("%", Unit::Percent, Decimal::ONE),
        ("％", Unit::Percent, Decimal::ONE),
    ] {
        if let Some(after) = rest.strip_prefix(u) {
            // 起 as in 起诉/起草 or 件 as in 文件名 is not a unit.
            let next = after.chars().next();
            if u == "起" && matches!(next, Some('诉' | '草' | '止' | '来' | '到')) {
                return None;
            }
            // 一件事一次办 is a slogan, not a figure.
            if u == "件" && matches!(next, Some('事')) {
                return None;
            }
            return Some((unit, per, pad + u.len()));
        }
    }
    None
}

/// Every figure of `clause`, in order. Numbers without a unit (years, 6项, 100条) are not
/// figures.
pub fn figures(clause: &str) -> Vec<Figure<'_>> {
    let mut out = Vec::new();
    let mut chars = clause.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        let arabic = digit(c).is_some();
        if !arabic && !is_cn(c) {
            continue;
        }
        let mut end = start + c.len_utf8();
        while let Some(&(i, n)) = chars.peek() {
            let more = if arabic {
                digit(n).is_some() || matches!(n, '.' | ',' | '．')
            } else {
                is_cn(n)
            };
            if !more {
                break;
            }
            end = i + n.len_utf8();
            chars.next();
        }
        // A figure does not run on from letters or digits before it (第三, 2.5 etc.).
        let mut num = &clause[start..end];
        // A trailing comma or point belongs to the text, not the number.
        while let Some(stripped) = num.strip_suffix([',', '.', '．']) {
            num = stripped;
        }
        let after = &clause[start + num.len()..];
        let (after, approx_after) = match after.strip_prefix(['余', '多']) {
            Some(a) => (a, true),
            None => (after, false),
        };
        let Some((unit, per_unit, ulen)) = unit_at(after) else {
            continue;
        };
        let Some((value, scale)) = parse(num, arabic) else {
            continue;
        };
        if !arabic && unit != Unit::Count {
            continue;
        }
        let before = &clause[..start];
        let approximate = approx_after || APPROX_BEFORE.iter().any(|a| before.ends_with(a));
        let text_end = clause.len() - after.len() + ulen;
        out.push(Figure {
            value: value * per_unit,
            scale,
            per_unit,
            unit,
            approximate,
            text: &clause[start..text_end],
            at: start,
        });
    }
    out
}

fn parse(num: &str, arabic: bool) -> Option<(Decimal, u32)> {
    if !arabic {
        return chinese(num).map(|n| (Decimal::from(n), 0));
    }
    let mut s = String::with_capacity(num.len());
    for c in num.chars() {
        match c {
            ',' => {}
            '.' | '．' => s.push('.'),
            c => s.push(char::from_digit(digit(c)?, 10)?),
        }
    }
    if s.len() > 24 {
        return None;
    }
    let d: Decimal = s.parse().ok()?;
    Some((d, d.scale()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_numerals() {
        for (s, n) in [
            ("三", 3),
            ("十二", 12),
            ("两", 2),
            ("二十三", 23),
            ("一百零五", 105),
            ("十", 10),
            ("一千二百", 1200),
            ("一百一十", 110),
        ] {
            assert_eq!(chinese(s), Some(n), "{s}");
        }
        assert_eq!(chinese("三四"), None);
    }

    #[test]
    fn figures_with_units() {
        let f = figures("予以公开及部分公开258件");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].value, Decimal::from(258));
        assert_eq!(f[0].text, "258件");
        let f = figures("结转至2026年6件");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].value, Decimal::from(6));
        let f = figures("收费3.5亿元");
        assert_eq!(f[0].value, Decimal::from(35_000));
        let f = figures("收费5000元");
        assert_eq!(f[0].value, Decimal::new(5, 1));
        let f = figures("行政复议十二件");
        assert_eq!(f[0].value, Decimal::from(12));
        let f = figures("同比增长12.5%");
        assert_eq!((f[0].unit, f[0].scale), (Unit::Percent, 1));
        assert!(figures("100余件")[0].approximate);
        assert!(figures("公开信息100条，6项，1,000次").is_empty());
        assert!(figures("一是加强领导").is_empty());
        assert!(figures("2起诉").is_empty());
    }
}
