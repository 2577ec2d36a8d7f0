//! The report's outline: title (body name and year), the six section headings, where the
//! tables lie, where the report ends (a page may hold several), and the narrative.

use std::sync::OnceLock;

use super::doc::{Block, BlockKind};
use super::lexicon::{Lexicon, Role};
use super::normalize::{is_space, label_key, lcs, strip_numeral, trim};
use super::title::{split_title, textual, title, title_core, Title, CN_NUMERALS};
use crate::model::{Narrative, Section, Subsection};
use crate::template::{SECTIONS, SECTION_VARIANTS};

/// Whether a line reads as a section heading; returns its section number (1..=6).
/// The numeral is not trusted (reports renumber); the words are matched against the official
/// headings and the variants of the template.
pub(crate) fn heading(text: &str) -> Option<u8> {
    let first = text.trim_start_matches(is_space).chars().next()?;
    if !heading_firsts().contains(&first) {
        return None;
    }
    let t = trim(text);
    if t.chars().nth(48).is_some() {
        return None;
    }
    let keys = section_keys();
    let key = label_key(t);
    let key = key.trim_end_matches(['。', ':', '.', ',', ';']);
    let (rest, numbered) = strip_numeral(key);
    if !numbered {
        // Without a numeral only an exact heading counts.
        let rest: Vec<char> = rest.chars().collect();
        return keys
            .iter()
            .find(|(_, official, core)| *official && *core == rest)
            .map(|(n, _, _)| *n);
    }
    // A row label of table 3 (「一、本年新收…」, 「四、结转下年度继续办理」) is not a heading.
    let lex = Lexicon::get();
    if let Some(m) = lex.exact(key) {
        if m.entries
            .iter()
            .any(|&i| matches!(lex.entry(i).role, Role::Row { .. } | Role::RowGroup { .. }))
        {
            return None;
        }
    }
    let rest: Vec<char> = rest.chars().collect();
    // The official words exactly: no need to measure.
    if let Some((n, _, _)) = keys.iter().find(|(_, _, core)| *core == rest) {
        return Some(*n);
    }
    let mut best: Option<(f32, u8)> = None;
    for (number, _, core) in keys {
        if core.is_empty() || rest.len() > core.len() * 2 + 4 {
            continue;
        }
        let common = lcs(&rest, core) as f32;
        // Most of the official words, in order, and not much else.
        let score =
            common / core.len() as f32 * (common * 2.0 / (rest.len() + core.len()) as f32).sqrt();
        if best.is_none_or(|(b, _)| score > b) {
            best = Some((score, *number));
        }
    }
    best.filter(|(s, _)| *s >= 0.7).map(|(_, n)| n)
}

/// The characters a heading may start with: a numeral, or the first word of a heading.
fn heading_firsts() -> &'static [char] {
    static FIRSTS: OnceLock<Vec<char>> = OnceLock::new();
    FIRSTS.get_or_init(|| {
        let mut v: Vec<char> = CN_NUMERALS.chars().collect();
        v.extend(section_keys().iter().filter_map(|k| k.2.first().copied()));
        v.sort_unstable();
        v.dedup();
        v
    })
}

/// The section headings without numerals, in comparison form: (section, official, words).
fn section_keys() -> &'static [(u8, bool, Vec<char>)] {
    static KEYS: OnceLock<Vec<(u8, bool, Vec<char>)>> = OnceLock::new();
    KEYS.get_or_init(|| {
        SECTIONS
            .iter()
            .map(|s| (s.number, true, s.heading))
            .chain(SECTION_VARIANTS.iter().map(|(n, h)| (*n, false, *h)))
            .map(|(n, official, h)| {
                let key = label_key(h);
                (n, official, strip_numeral(&key).0.chars().collect())
            })
            .collect()
    })
}

/// Lines of web-page furniture around a report (not part of its text).
const CHROME: &[&str] = &[
    "发布时间",
    "来源：",
    "来源:",
    "浏览次数",
    "【字体",
    "索引号",
    "发布机构",
    "生成日期",
    "打印本页",
    "关闭窗口",
    "分享到",
    "访问量",
    "发布日期：",
    "发布日期:",
];

pub(crate) fn chrome(text: &str) -> bool {
    // Every marker holds one of these characters: most lines are cleared by one pass.
    text.len() < 360
        && text.contains(['发', '来', '浏', '字', '索', '生', '打', '关', '分', '访'])
        && text.chars().count() < 120
        && CHROME.iter().any(|c| text.contains(c))
}

/// The outline of the (first) report in a document.
#[derive(Debug, Default)]
pub(crate) struct Outline {
    pub title: Option<Title>,
    /// (block index, section number) in reading order.
    pub headings: Vec<(usize, u8)>,
    /// Blocks of this report: [start, end).
    pub end: usize,
    /// Titles of further reports after this one.
    pub more_titles: usize,
    /// Titles seen in all (for list pages).
    pub titles: usize,
}

impl Outline {
    pub(crate) fn heading(&self, n: u8) -> Option<usize> {
        self.headings.iter().find(|(_, s)| *s == n).map(|(b, _)| *b)
    }

    /// The first heading after block `b`.
    pub(crate) fn next_heading(&self, b: usize) -> usize {
        self.headings
            .iter()
            .map(|(i, _)| *i)
            .find(|&i| i > b)
            .unwrap_or(self.end)
    }
}

/// Finds titles and headings; cuts the document after the first report.
pub(crate) fn outline(blocks: &[Block<'_>]) -> Outline {
    let mut o = Outline {
        end: blocks.len(),
        ..Outline::default()
    };
    let core = title_core();
    let mut max_section = 0u8;
    let mut title_candidates: Vec<Title> = Vec::new();
    let mut skip_to = 0usize;
    for (i, b) in blocks.iter().enumerate() {
        let text = b.text.as_ref();
        if max_section == 0 && i >= skip_to {
            if let Some((span, name, year)) = split_title(&blocks[i..]) {
                title_candidates.push(Title {
                    block: i,
                    name,
                    year,
                });
                o.titles += 1;
                skip_to = i + span;
                continue;
            }
        }
        if i < skip_to {
            continue;
        }
        if text.len() <= 300 && text.contains(core) {
            if let Some((name, year)) = title(text) {
                // The report's own title again: a page header.
                let header = title_candidates
                    .last()
                    .is_some_and(|t| t.name == name && t.year == year);
                if header && max_section >= 1 {
                    continue;
                }
                o.titles += 1;
                if max_section >= 2 {
                    // A new report begins.
                    o.end = i;
                    o.more_titles = 1 + blocks[i + 1..]
                        .iter()
                        .filter(|b| b.text.contains(core) && title(&b.text).is_some())
                        .count();
                    o.titles += o.more_titles - 1;
                    break;
                }
                if max_section == 0 {
                    title_candidates.push(Title {
                        block: i,
                        name,
                        year,
                    });
                }
                continue;
            }
        }
        if !textual(b) && b.cells.len() > 1 {
            continue;
        }
        if let Some(n) = heading(text) {
            if n <= max_section && max_section >= 2 && n == 1 {
                o.end = i;
                o.more_titles = 1;
                break;
            }
            if o.headings.iter().any(|(_, s)| *s == n) {
                continue;
            }
            max_section = max_section.max(n);
            o.headings.push((i, n));
        }
    }
    // Page furniture between this report and the next (menus, site names) is not part of
    // this report's last section: short lines that are not sentences.
    if o.more_titles > 0 {
        let floor = o.headings.last().map_or(0, |(b, _)| *b + 1);
        while o.end > floor {
            let t = trim(&blocks[o.end - 1].text);
            let short = t.chars().count() <= 24 && !sentence_end(t) && !subsection_marker(t);
            if !(short || chrome(t)) {
                break;
            }
            o.end -= 1;
        }
    }
    // The title: the last one before section 一 (a page may print it twice).
    let first_heading = o.headings.first().map_or(o.end, |(b, _)| *b);
    o.title = title_candidates
        .into_iter()
        .rfind(|t| t.block < first_heading);
    o
}

/// Whether a paragraph starts a sub-section: 「(一)」 or 「（一）」.
fn subsection_marker(p: &str) -> bool {
    let mut chars = p.chars();
    if !matches!(chars.next(), Some('(' | '（')) {
        return false;
    }
    let mut n = 0;
    for c in chars {
        if CN_NUMERALS.contains(c) {
            n += 1;
        } else {
            return n > 0 && (c == ')' || c == '）');
        }
    }
    false
}

/// A section from its paragraphs: text before the first sub-section marker, then
/// sub-sections (title up to the first 「。」 when text follows on the same line).
pub(crate) fn section(paras: &[String]) -> Section {
    let mut s = Section::default();
    let mut text: Vec<&str> = Vec::new();
    let mut current: Option<(String, Vec<String>)> = None;
    for p in paras {
        if subsection_marker(p) {
            if let Some((title, body)) = current.take() {
                s.subsections.push(Subsection {
                    title,
                    text: body.join("\n"),
                });
            }
            let (title, rest) = match p.find('。') {
                Some(i) if i + '。'.len_utf8() < p.len() => {
                    let cut = i + '。'.len_utf8();
                    (p[..cut].to_string(), Some(p[cut..].to_string()))
                }
                _ => (p.clone(), None),
            };
            current = Some((title, rest.into_iter().collect()));
        } else if let Some((_, body)) = current.as_mut() {
            body.push(p.clone());
        } else {
            text.push(p);
        }
    }
    if let Some((title, body)) = current.take() {
        s.subsections.push(Subsection {
            title,
            text: body.join("\n"),
        });
    }
    s.text = text.join("\n");
    s
}

fn sentence_end(s: &str) -> bool {
    s.ends_with(['。', '：', ':', '；', '！', '？', '」', '”'])
}

/// The paragraphs of blocks [from, to): each text line a paragraph; lines of pdftotext text
/// joined into paragraphs (a paragraph ends at an empty line, a sentence end short of the
/// right margin, or before an indented line or a numbered one).
pub(crate) fn paragraphs(blocks: &[Block<'_>], from: usize, to: usize) -> Vec<String> {
    let to = to.min(blocks.len());
    let slice = &blocks[from.min(to)..to];
    let mut out: Vec<String> = Vec::new();
    let layout = slice.iter().any(|b| b.kind == BlockKind::Layout);
    if !layout {
        for b in slice {
            if b.kind == BlockKind::Row || chrome(&b.text) {
                continue;
            }
            let t = trim(&b.text);
            if !t.is_empty() {
                out.push(t.to_string());
            }
        }
        return out;
    }
    // pdftotext: the body's left margin and right edge (display columns).
    let lefts: Vec<u32> = slice
        .iter()
        .filter_map(|b| b.cells.first().map(|c| c.w.0))
        .collect();
    let left = lefts.iter().copied().min().unwrap_or(0);
    let right = slice
        .iter()
        .filter_map(|b| b.cells.last().map(|c| c.w.1))
        .max()
        .unwrap_or(0);
    let mut open = false;
    for b in slice {
        let t = trim(&b.text);
        if t.is_empty() || chrome(t) {
            continue;
        }
        let start = b.cells.first().map_or(left, |c| c.w.0);
        let end = b.cells.last().map_or(right, |c| c.w.1);
        let indented = start >= left + 2;
        let numbered = subsection_marker(t)
            || t.starts_with(|c: char| c.is_ascii_digit())
                && t.chars().nth(1).is_some_and(|c| ".．、".contains(c));
        let new_para = !open || b.gap > 0 || indented || numbered;
        match out.last_mut() {
            Some(last) if !new_para => {
                if last.ends_with(|c: char| c.is_ascii_alphanumeric())
                    && t.starts_with(|c: char| c.is_ascii_alphanumeric())
                {
                    last.push(' ');
                }
                last.push_str(t);
            }
            _ => out.push(t.to_string()),
        }
        open = !(sentence_end(t) && end + 4 < right);
    }
    out
}

/// The narrative: preamble, sections 一, 五 and 六.
pub(crate) fn narrative(blocks: &[Block<'_>], o: &Outline, tables_start: usize) -> Narrative {
    let mut n = Narrative::default();
    let section_range = |num: u8| -> Option<(usize, usize)> {
        let h = o.heading(num)?;
        let mut end = o.next_heading(h);
        if h < tables_start && tables_start < end {
            end = tables_start;
        }
        Some((h + 1, end))
    };
    let first = o
        .headings
        .first()
        .map(|(b, _)| *b)
        .unwrap_or(tables_start.min(o.end));
    let pre_from = o.title.as_ref().map(|t| t.block + 1);
    n.preamble = match pre_from {
        Some(from) if from <= first => paragraphs(blocks, from, first).join("\n"),
        _ => {
            // No title: the prose paragraphs right before section 一.
            let mut from = first;
            while from > 0 {
                let b = &blocks[from - 1];
                let t = trim(&b.text);
                let prose = b.kind != BlockKind::Row
                    && t.chars().count() >= 20
                    && t.contains(['，', '。', '：', ',', ':'])
                    && !chrome(t);
                if !prose {
                    break;
                }
                from -= 1;
            }
            paragraphs(blocks, from, first).join("\n")
        }
    };
    if let Some((a, b)) = section_range(1) {
        n.overview = section(&paragraphs(blocks, a, b));
    }
    if let Some((a, b)) = section_range(5) {
        n.problems = section(&paragraphs(blocks, a, b));
    }
    if let Some((a, b)) = section_range(6) {
        n.other = section(&paragraphs(blocks, a, b));
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_and_variants() {
        assert_eq!(heading("一、总体情况"), Some(1));
        assert_eq!(heading("二、主动公开政府信息情况"), Some(2));
        assert_eq!(heading("四、政府信息公开行政复议、行政诉讼情况"), Some(4));
        assert_eq!(
            heading("五、政府信息公开工作存在的主要问题及改进情况"),
            Some(5)
        );
        assert_eq!(heading("五、存在的主要问题及整改措施"), Some(5));
        assert_eq!(heading("六、其他需要报告的事项"), Some(6));
        assert_eq!(heading("五、其他需要报告的事项"), Some(6));
        assert_eq!(heading("一、本年新收政府信息公开申请数量"), None);
        assert_eq!(heading("四、结转下年度继续办理"), None);
        assert_eq!(heading("三、本年度办理结果"), None);
        assert_eq!(heading("(一)主动公开。主动公开的政府信息主要包括"), None);
    }

    #[test]
    fn titles() {
        let (name, year) = title("固城镇2020年度政府信息公开工作年度报告").unwrap();
        assert_eq!((name.as_str(), year), ("固城镇", Some(2020)));
        let (name, year) = title("2021年某某县交通运输局政府信息公开工作年度报告").unwrap();
        assert_eq!((name.as_str(), year), ("某某县交通运输局", Some(2021)));
        let (name, _) = title("某县2022年政府信息公开工作年度报告_某县人民政府").unwrap();
        assert_eq!(name, "某县");
        assert!(title("我县按时发布了2019年政府信息公开工作年度报告。").is_none());
        // Damaged and unusual forms.
        for (t, name, year) in [
            ("某某县 2024 年政府信息公开工作年度报告", "某某县", 2024),
            ("某某县２０２４年度政府信息公开工作年度报告", "某某县", 2024),
            ("某某县二〇二四年政府信息公开工作年度报告", "某某县", 2024),
            ("关于某某县2023年政府信息公开工作年度报告", "某某县", 2023),
            (
                "2023年度上海市科委政府信息公开工作年度报告",
                "上海市科委",
                2023,
            ),
            (
                "标题: 平潭综合实验区2021年度政府信息公开工作年度报告",
                "平潭综合实验区",
                2021,
            ),
        ] {
            assert_eq!(title(t), Some((name.to_string(), Some(year))), "{t}");
        }
        let lines = [
            "平潭综合实验区",
            "2021 年度政府信息公开",
            "工作年度报告",
            "一、总体情况",
        ];
        let blocks: Vec<Block<'_>> = lines
            .iter()
            .enumerate()
            .map(|(i, l)| Block::para(crate::import::doc::Loc::line(i + 1), *l))
            .collect();
        let o = outline(&blocks);
        let t = o.title.unwrap();
        assert_eq!((t.name.as_str(), t.year), ("平潭综合实验区", Some(2021)));
        assert!(title("关于政府信息公开工作年度报告有关事项的通知").is_none());
    }
}
