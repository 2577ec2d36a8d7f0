//! The figures a report's narrative states about its own tables, read with the template's
//! vocabulary ([`crate::template::narrative`]) — never a free-form guess.
//!
//! The text is cut into sentences (。！？ and line ends) and clauses (，、；：and brackets). A
//! clause is a statement when it holds exactly one figure (`258件`, `十二件`, `3.5万元`, not
//! approximate) and the phrasings of exactly one quantity match it; or, without a figure, when
//! exactly one claim matches it (「均获维持」). A change from last year (「同比增长12%」,
//! 「较上年减少3件」) belongs to the quantity of its own clause, or else to the statement of
//! the clause before it in the same sentence. Everything else is left alone: a clause whose
//! figure could belong to more than one quantity, or that talks of things the tables do not
//! hold (信息条数, 访问量, 培训次数), is no statement.
//!
//! [`check`] turns statements into the `NT-*` findings the rules engine reports.

mod check;
pub mod diff;
pub mod numbers;

pub use check::{check, check_yoy, findings, value, CLAIM, FIGURE, RULES, YOY};

use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, MatchKind};

use crate::model::{Narrative, Report};
use crate::template::narrative::{
    Assertion, Claim, Measure, Phrasing, Quantity, CLAIMS, QUANTITIES,
};
use crate::template::{Edition, SECTIONS};
use numbers::{Figure, Unit};

/// Where a sentence is: the section (0 for the text before 一、) and the sub-section title.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place<'a> {
    pub section: u8,
    pub subsection: Option<&'a str>,
}

impl Place<'_> {
    /// 「一、总体情况（二）依申请公开」, or 「报告开头」 for the preamble.
    pub fn describe(&self) -> String {
        let mut s = match self.section {
            0 => String::from("报告开头"),
            n => SECTIONS
                .iter()
                .find(|d| d.number == n)
                .map_or_else(String::new, |d| d.heading.to_string()),
        };
        if let Some(sub) = self.subsection {
            s.push_str(sub.trim().trim_end_matches(['。', '.', '：', ':']));
        }
        s
    }
}

/// A change from last year stated in the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change<'a> {
    /// 增长/增加/上升 (true) or 下降/减少/降低 (false).
    pub up: bool,
    /// A percentage or a count.
    pub figure: Figure<'a>,
}

/// What a statement says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum What<'a> {
    /// A quantity of the tables, with its figure and/or its change from last year.
    Figure {
        quantity: &'static Quantity,
        figure: Option<Figure<'a>>,
        change: Option<Change<'a>>,
    },
    /// A claim without a figure (「均获维持」).
    Claim(&'static Claim),
}

/// One statement of the narrative about the tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Statement<'a> {
    pub place: Place<'a>,
    pub sentence: &'a str,
    pub clause: &'a str,
    pub what: What<'a>,
}

impl Statement<'_> {
    /// The id of the quantity or claim.
    pub fn id(&self) -> &'static str {
        match self.what {
            What::Figure { quantity, .. } => quantity.id,
            What::Claim(c) => c.id,
        }
    }
}

impl PartialEq for Quantity {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}
impl Eq for Quantity {}
impl PartialEq for Claim {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}
impl Eq for Claim {}

/// The texts of a narrative with their places, in reading order.
fn parts(n: &Narrative) -> Vec<(Place<'_>, &str)> {
    let mut v = vec![(
        Place {
            section: 0,
            subsection: None,
        },
        n.preamble.as_str(),
    )];
    for (number, s) in [(1, &n.overview), (5, &n.problems), (6, &n.other)] {
        v.push((
            Place {
                section: number,
                subsection: None,
            },
            s.text.as_str(),
        ));
        for sub in &s.subsections {
            let place = Place {
                section: number,
                subsection: Some(sub.title.as_str()),
            };
            // A title that runs on into text (「（二）依申请公开。本年度共收到…」) is read too.
            v.push((place, sub.title.as_str()));
            v.push((place, sub.text.as_str()));
        }
    }
    v.retain(|(_, t)| !t.is_empty());
    v
}

/// Every statement of the report's narrative, in reading order.
pub fn read(report: &Report) -> Vec<Statement<'_>> {
    let mut out = Vec::new();
    let anchors = &anchors().all;
    for (place, text) in parts(&report.narrative) {
        // Only sentences with a unit or a claim's words can hold a statement: find those in
        // one pass, and read each such sentence once.
        let mut done = 0;
        for m in anchors.find_iter(text) {
            // A unit counts only after a number (「文件」 is no figure).
            if m.start() < done
                || (m.pattern().as_usize() < UNITS.len() && !after_number(text, m.start()))
            {
                continue;
            }
            let start = text[..m.start()]
                .rfind(SENTENCE_BREAKS)
                .map_or(0, |i| i + char_len(text, i));
            let end = text[m.end()..]
                .find(SENTENCE_BREAKS)
                .map_or(text.len(), |i| m.end() + i);
            read_sentence(report.edition, place, text[start..end].trim(), &mut out);
            done = end;
        }
    }
    out
}

/// Whether the text before byte `at` ends in a number (or a number and 余/多).
fn after_number(text: &str, at: usize) -> bool {
    let mut before = text[..at].trim_end_matches([' ', '\u{3000}']).chars().rev();
    let c = match before.next() {
        Some('余' | '多') => before.next(),
        c => c,
    };
    c.is_some_and(|c| {
        c.is_ascii_digit() || ('０'..='９').contains(&c) || numbers::is_chinese_digit(c)
    })
}

fn char_len(text: &str, at: usize) -> usize {
    text[at..].chars().next().map_or(1, char::len_utf8)
}

const SENTENCE_BREAKS: [char; 6] = ['。', '！', '？', '!', '?', '\n'];
/// The units a figure may have.
const UNITS: [&str; 6] = ["件", "起", "宗", "元", "%", "％"];

/// The words that make a text worth reading: every unit, and the first words of every claim
/// (from the vocabulary).
struct Anchors {
    all: AhoCorasick,
    claims: AhoCorasick,
}

fn anchors() -> &'static Anchors {
    static A: OnceLock<Anchors> = OnceLock::new();
    A.get_or_init(|| {
        let mut claim_words: Vec<&str> = CLAIMS
            .iter()
            .filter_map(|c| c.phrasing.clause.first())
            .flat_map(|alts| alts.split('|'))
            .collect();
        // Few distinct words let the automaton use its SIMD prefilter.
        claim_words.sort_unstable();
        claim_words.dedup();
        let build = |words: &[&str]| {
            AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostFirst)
                .build(words)
                .expect("the vocabulary's words build an automaton")
        };
        let all: Vec<&str> = UNITS
            .iter()
            .copied()
            .chain(claim_words.iter().copied())
            .collect();
        Anchors {
            all: build(&all),
            claims: build(&claim_words),
        }
    })
}

/// Where clauses end; a list (「行政复议、行政诉讼」) is one clause for claims, and its items
/// clauses of their own for figures.
const CLAUSE_BREAKS: [char; 13] = [
    '，', ',', '；', ';', '：', ':', '（', '）', '(', ')', '【', '】', '\t',
];
const YOY_MARKERS: [&str; 10] = [
    "同比",
    "较上年",
    "比上年",
    "较去年",
    "比去年",
    "与上年相比",
    "较上一年",
    "比上一年",
    "上年同期",
    "较2",
];
const UP: &str = "增长|增加|上升|提高|增多";
const DOWN: &str = "下降|减少|降低|减";

fn read_sentence<'a>(
    edition: Edition,
    place: Place<'a>,
    sentence: &'a str,
    out: &mut Vec<Statement<'a>>,
) {
    if sentence.is_empty() {
        return;
    }
    // The statement of the previous clause, which a bare change clause may belong to.
    let mut previous: Option<usize> = None;
    for wide in sentence.split(CLAUSE_BREAKS) {
        for (k, clause) in wide.split('、').enumerate() {
            let clause = clause.trim();
            let at = previous.take();
            if clause.is_empty() {
                continue;
            }
            // A list's claim is read once, with its first item.
            let wide = (k == 0).then_some(wide);
            match read_clause(edition, sentence, wide, clause) {
                Reading::Statement(what) => {
                    out.push(Statement {
                        place,
                        sentence,
                        clause,
                        what,
                    });
                    previous = Some(out.len() - 1);
                }
                Reading::BareChange(change) => {
                    if let Some(What::Figure { change: c, .. }) = at.map(|i| &mut out[i].what) {
                        if c.is_none() {
                            *c = Some(change);
                        }
                    }
                }
                Reading::Nothing => {}
            }
        }
    }
}

enum Reading<'a> {
    Statement(What<'a>),
    /// A change from last year with no quantity of its own.
    BareChange(Change<'a>),
    Nothing,
}

fn read_clause<'a>(
    edition: Edition,
    sentence: &str,
    wide: Option<&str>,
    clause: &'a str,
) -> Reading<'a> {
    let figures = numbers::figures(clause);
    if figures.is_empty() {
        return match wide {
            Some(wide) => claim_of(edition, sentence, wide, &figures),
            None => Reading::Nothing,
        };
    }
    if figures.iter().any(|f| f.approximate) {
        return Reading::Nothing;
    }
    let marker = YOY_MARKERS.iter().filter_map(|m| clause.find(m)).min();
    let (before, after): (Vec<_>, Vec<_>) = figures
        .into_iter()
        .partition(|f| marker.is_none_or(|m| f.at < m));
    let amounts: Vec<&Figure> = before.iter().filter(|f| f.unit != Unit::Percent).collect();
    if amounts.len() > 1 || after.len() > 1 {
        return Reading::Nothing;
    }
    let change = marker.and_then(|m| change_of(clause, m, after.first().copied()));
    if marker.is_some() && change.is_none() && !after.is_empty() {
        return Reading::Nothing;
    }
    let figure = amounts.first().map(|f| **f);
    if figure.is_none() && change.is_none() {
        return match wide {
            Some(wide) => claim_of(edition, sentence, wide, &before),
            None => Reading::Nothing,
        };
    }
    let quantity = match the_one(QUANTITIES.iter().filter(|q| {
        q.editions.contains(&edition) && q.phrasings.iter().any(|p| matches(p, sentence, clause))
    })) {
        Some(q) => q,
        None => {
            return match (figure, change) {
                (None, Some(c)) => Reading::BareChange(c),
                _ => Reading::Nothing,
            }
        }
    };
    if let Some(f) = figure {
        let fits = match quantity.measure {
            Measure::Count => f.unit == Unit::Count,
            Measure::Amount => f.unit == Unit::Money,
        };
        if !fits {
            return Reading::Nothing;
        }
    }
    Reading::Statement(What::Figure {
        quantity,
        figure,
        change,
    })
}

/// A claim, for a clause with no figure of a count or an amount.
fn claim_of<'a>(
    edition: Edition,
    sentence: &str,
    clause: &str,
    figures: &[Figure<'_>],
) -> Reading<'a> {
    if !figures.is_empty() || !anchors().claims.is_match(clause) {
        return Reading::Nothing;
    }
    let claims = CLAIMS
        .iter()
        .filter(|c| matches(&c.phrasing, sentence, clause));
    // Every claim is about tables 3 and 4, which both editions share.
    let _ = edition;
    match the_one(claims) {
        Some(c) if !(is_zero(c) && states_a_count(sentence)) => Reading::Statement(What::Claim(c)),
        _ => Reading::Nothing,
    }
}

fn is_zero(c: &Claim) -> bool {
    matches!(c.assertion, Assertion::Zero(_))
}

/// Whether a sentence states a count anywhere (「未发生行政复议，行政诉讼2件」).
fn states_a_count(sentence: &str) -> bool {
    numbers::figures(sentence)
        .iter()
        .any(|f| f.unit == Unit::Count)
}

/// The change a clause states between its marker (at byte `marker`) and its figure.
fn change_of<'a>(clause: &str, marker: usize, figure: Option<Figure<'a>>) -> Option<Change<'a>> {
    let figure = figure?;
    if figure.unit == Unit::Money {
        return None;
    }
    let words = clause.get(marker..figure.at)?;
    let up = any_of(UP, words);
    let down = any_of(DOWN, words);
    match (up, down) {
        (true, false) => Some(Change { up: true, figure }),
        (false, true) => Some(Change { up: false, figure }),
        _ => None,
    }
}

/// The only item, if there is exactly one.
fn the_one<T>(mut it: impl Iterator<Item = T>) -> Option<T> {
    let first = it.next()?;
    it.next().is_none().then_some(first)
}

fn any_of(alternatives: &str, text: &str) -> bool {
    alternatives.split('|').any(|a| text.contains(a))
}

/// Whether a phrasing matches a clause of a sentence.
pub(crate) fn matches(p: &Phrasing, sentence: &str, clause: &str) -> bool {
    p.clause.iter().all(|alts| any_of(alts, clause))
        && p.sentence.iter().all(|alts| any_of(alts, sentence))
        && !p.unless.iter().any(|w| clause.contains(w))
        && !p.unless_sentence.iter().any(|w| sentence.contains(w))
}
