//! Every label the importer recognises, derived from the template of both editions (never
//! typed here), in comparison form, with exact and fuzzy lookup.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::normalize::{label_key, similarity};
use crate::template::{Edition, Orientation};

/// What a label is in the printed tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// A table-2 block heading (第二十条第（一）项).
    BlockTitle { table: &'static str },
    /// A column header, column group, corner or note; in table 4 also the group labels.
    Header { table: &'static str },
    /// A row label with numbers after it.
    Row {
        table: &'static str,
        row: &'static str,
    },
    /// A group label printed above rows (（三）不予公开).
    RowGroup { table: &'static str },
}

impl Role {
    pub(crate) fn table(self) -> &'static str {
        match self {
            Role::BlockTitle { table }
            | Role::Header { table }
            | Role::Row { table, .. }
            | Role::RowGroup { table } => table,
        }
    }
}

#[derive(Debug)]
pub(crate) struct Entry {
    pub key: String,
    pub chars: Vec<char>,
    /// The official label as the template writes it.
    pub label: &'static str,
    pub role: Role,
    /// Bit 0: the 2019 edition prints it; bit 1: the 2021 edition.
    pub editions: u8,
}

pub(crate) fn bit(e: Edition) -> u8 {
    match e {
        Edition::E2019 => 1,
        Edition::E2021 => 2,
    }
}

impl Entry {
    pub(crate) fn in_edition(&self, e: Edition) -> bool {
        self.editions & bit(e) != 0
    }
}

/// A label found in the published text.
#[derive(Debug, Clone)]
pub(crate) struct Match {
    /// Indices into [`Lexicon::entries`] (one label may have several roles).
    pub entries: Vec<usize>,
    /// 1.0 for an exact match after normalisation.
    pub score: f32,
}

impl Match {
    pub(crate) fn exact(&self) -> bool {
        self.score >= 1.0
    }
}

#[derive(Debug)]
pub(crate) struct Lexicon {
    pub entries: Vec<Entry>,
    exact: HashMap<String, Vec<usize>, Fnv>,
    /// Longest label in characters.
    max_len: usize,
}

/// FNV-1a: the lexicon's keys are short and trusted (they come from the template).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Fnv;

impl std::hash::BuildHasher for Fnv {
    type Hasher = FnvHasher;
    fn build_hasher(&self) -> FnvHasher {
        FnvHasher(0xcbf2_9ce4_8422_2325)
    }
}

pub(crate) struct FnvHasher(u64);

impl std::hash::Hasher for FnvHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// Below this similarity a label is not taken as a misprint of an official one.
pub(crate) const FUZZY_THRESHOLD: f32 = 0.8;
/// Labels this short are matched exactly only: one character off is another label.
const FUZZY_MIN_LEN: usize = 5;

impl Lexicon {
    pub(crate) fn get() -> &'static Lexicon {
        static L: OnceLock<Lexicon> = OnceLock::new();
        L.get_or_init(Lexicon::build)
    }

    fn build() -> Lexicon {
        let mut lex = Lexicon {
            entries: Vec::new(),
            exact: HashMap::default(),
            max_len: 0,
        };
        for edition in Edition::ALL {
            let t = edition.template();
            for table in &t.tables {
                let tk = table.key;
                if let Some(note) = table.note {
                    lex.add(note, Role::Header { table: tk }, edition);
                }
                for block in &table.blocks {
                    if let Some(title) = block.title {
                        lex.add(title, Role::BlockTitle { table: tk }, edition);
                    }
                    if let Some(corner) = block.corner {
                        lex.add(corner, Role::Header { table: tk }, edition);
                    }
                    for col in block.columns {
                        lex.add(col.label, Role::Header { table: tk }, edition);
                        if let Some(g) = col.group {
                            lex.add(g, Role::Header { table: tk }, edition);
                        }
                    }
                    for row in &block.rows {
                        match table.orientation {
                            Orientation::Rows => {
                                lex.add(
                                    row.label,
                                    Role::Row {
                                        table: tk,
                                        row: row.key,
                                    },
                                    edition,
                                );
                                if let Some(g) = row.group {
                                    lex.add(g, Role::RowGroup { table: tk }, edition);
                                }
                            }
                            Orientation::Across => {
                                lex.add(row.label, Role::Header { table: tk }, edition);
                                if let Some(g) = row.group {
                                    lex.add(g, Role::Header { table: tk }, edition);
                                }
                            }
                        }
                    }
                }
            }
        }
        lex
    }

    fn add(&mut self, label: &'static str, role: Role, edition: Edition) {
        let key = label_key(label);
        let ids = self.exact.entry(key.clone()).or_default();
        for &i in ids.iter() {
            if self.entries[i].role == role {
                self.entries[i].editions |= bit(edition);
                return;
            }
        }
        let chars: Vec<char> = key.chars().collect();
        self.max_len = self.max_len.max(chars.len());
        ids.push(self.entries.len());
        self.entries.push(Entry {
            key,
            chars,
            label,
            role,
            editions: bit(edition),
        });
    }

    pub(crate) fn entry(&self, i: usize) -> &Entry {
        &self.entries[i]
    }

    /// Exact lookup of a comparison form.
    pub(crate) fn exact(&self, key: &str) -> Option<Match> {
        self.exact.get(key).map(|ids| Match {
            entries: ids.clone(),
            score: 1.0,
        })
    }

    /// Exact lookup, then a fuzzy one over row labels and block titles: the best label at or
    /// above [`FUZZY_THRESHOLD`], clearly better than any other row's.
    pub(crate) fn find(&self, key: &str) -> Option<Match> {
        if let Some(m) = self.exact(key) {
            return Some(m);
        }
        if let Some(m) = self.after_groups(key) {
            return Some(m);
        }
        self.fuzzy(key)
    }

    /// A row label printed after the labels of the groups it sits in, as Markdown and other
    /// converters flatten merged row headers (「三、本年度办理结果 （三）不予公开 1.属于国家秘密」):
    /// the shortest run of whole known labels, then a known label.
    pub(crate) fn after_groups(&self, key: &str) -> Option<Match> {
        let mut rest = key;
        loop {
            let cut = rest
                .char_indices()
                .skip(1)
                .map(|(i, _)| i)
                .find(|&i| self.exact(&rest[..i]).is_some())?;
            rest = &rest[cut..];
            if let Some(m) = self.exact(rest) {
                return Some(m);
            }
        }
    }

    pub(crate) fn fuzzy(&self, key: &str) -> Option<Match> {
        let chars: Vec<char> = key.chars().collect();
        if chars.len() < FUZZY_MIN_LEN - 1 || chars.len() > self.max_len * 2 {
            return None;
        }
        let mut best: Option<(f32, usize)> = None;
        let mut second = 0.0f32;
        for (i, e) in self.entries.iter().enumerate() {
            if !matches!(e.role, Role::Row { .. } | Role::BlockTitle { .. })
                || e.chars.len() < FUZZY_MIN_LEN
            {
                continue;
            }
            // 2·LCS/(a+b) ≤ 2·min/(a+b): skip hopeless lengths without the DP.
            let (a, b) = (chars.len(), e.chars.len());
            if 2.0 * a.min(b) as f32 / (a + b) as f32 + f32::EPSILON < FUZZY_THRESHOLD {
                continue;
            }
            let s = similarity(&chars, &e.chars);
            match best {
                None => best = Some((s, i)),
                Some((_, bi)) if self.entries[bi].key == e.key => {}
                Some((bs, _)) if s > bs => {
                    second = bs;
                    best = Some((s, i));
                }
                Some(_) => second = second.max(s),
            }
        }
        let (score, i) = best?;
        if score < FUZZY_THRESHOLD || score - second < 0.05 {
            return None;
        }
        // Every entry with the same label (the same text may have several roles).
        let entries = self.exact.get(&self.entries[i].key).cloned()?;
        Some(Match { entries, score })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_come_from_the_template() {
        let lex = Lexicon::get();
        let m = lex.exact(&label_key("(七)总计")).unwrap();
        assert!(m.entries.iter().any(|&i| lex.entry(i).role
            == Role::Row {
                table: "t3",
                row: "results_total"
            }));
        let m = lex.find(&label_key("2、其他法律行政止公开")).unwrap();
        assert!(!m.exact());
        assert_eq!(lex.entry(m.entries[0]).label, "2.其他法律行政法规禁止公开");
        assert!(lex.find(&label_key("规范")).is_none());
        let m = lex.exact(&label_key("本年制发件数")).unwrap();
        assert_eq!(lex.entry(m.entries[0]).editions, 2);
    }
}
