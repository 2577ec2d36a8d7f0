//! Reporting bodies (报告主体) as data: who files, at which level, under whom.
//!
//! A body has a stable id, a name, a [`Level`] and an optional parent. The bodies form a forest
//! (a province at the top of one tree, or a county's own tree, …); a body's *descendants* are
//! every body below it at any depth. The [`Directory`] is the whole forest in memory, built by
//! the store from its `orgs` tree and kept in step with every change; [`Directory::is_within`]
//! and [`Directory::ancestors`] answer the hierarchy questions (roll-up, the filing board,
//! export, and access control by subtree).
//!
//! # Ids
//!
//! An id is an administrative-division code (`621024`, `621024101`), a unified social credit
//! code (`11621024MB1234567X`) or another stable code: 1 to 64 characters, each an ASCII
//! letter, digit, `-`, `_` or `.`, beginning with a letter or digit. Ids are case-sensitive and
//! never change: a body that is renamed or moved keeps its id, and so its reports.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;
use std::time::SystemTime;

/// Longest id, in characters.
pub const MAX_ID_CHARS: usize = 64;
/// Longest name, in characters.
pub const MAX_NAME_CHARS: usize = 256;

/// Where a body sits in the administrative hierarchy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Level {
    /// 省 (and 自治区, 直辖市).
    Province,
    /// 市 (地级市, 州, 盟).
    City,
    /// 县 (县, 县级市, 区, 旗).
    County,
    /// 乡镇 (乡, 镇, 街道).
    Township,
    /// 部门: a department of a government at any level.
    Department,
    /// Anything else (a development zone's committee, a public institution, …).
    Other,
}

impl Level {
    pub const ALL: [Level; 6] = [
        Level::Province,
        Level::City,
        Level::County,
        Level::Township,
        Level::Department,
        Level::Other,
    ];

    /// The Chinese name used in files and tables: 省, 市, 县, 乡镇, 部门, 其他.
    pub fn chinese(self) -> &'static str {
        match self {
            Level::Province => "省",
            Level::City => "市",
            Level::County => "县",
            Level::Township => "乡镇",
            Level::Department => "部门",
            Level::Other => "其他",
        }
    }

    /// The number on the wire and on disk (`gx.v1.OrgLevel`): 1 province … 6 other.
    pub fn number(self) -> u32 {
        match self {
            Level::Province => 1,
            Level::City => 2,
            Level::County => 3,
            Level::Township => 4,
            Level::Department => 5,
            Level::Other => 6,
        }
    }

    pub fn from_number(n: u32) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.number() == n)
    }

    /// The English name: province, city, county, township, department, other.
    pub fn english(self) -> &'static str {
        match self {
            Level::Province => "province",
            Level::City => "city",
            Level::County => "county",
            Level::Township => "township",
            Level::Department => "department",
            Level::Other => "other",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.chinese())
    }
}

impl FromStr for Level {
    type Err = String;

    /// Either name, Chinese or English (any case).
    fn from_str(s: &str) -> Result<Level, String> {
        let t = s.trim();
        Level::ALL
            .into_iter()
            .find(|l| l.chinese() == t || l.english().eq_ignore_ascii_case(t))
            .or(match t {
                "other" | "其它" => Some(Level::Other),
                _ => None,
            })
            .ok_or_else(|| {
                format!(
                    "unknown level {t:?}; expected one of {}",
                    Level::ALL
                        .iter()
                        .map(|l| format!("{} ({})", l.chinese(), l.english()))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
    }
}

/// Why an id is not a body id.
pub fn check_id(id: &str) -> Result<(), String> {
    if id.is_empty() {
        return Err("required: the body's code".into());
    }
    let n = id.chars().count();
    if n > MAX_ID_CHARS {
        return Err(format!("{n} characters; at most {MAX_ID_CHARS}"));
    }
    if let Some(c) = id
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Err(format!(
            "{c:?} is not allowed: an id is ASCII letters, digits, '-', '_' and '.'"
        ));
    }
    if !id.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err("must begin with a letter or digit".into());
    }
    Ok(())
}

/// Why a name is not a body name.
pub fn check_name(name: &str) -> Result<(), String> {
    if name.trim().is_empty() {
        return Err("required: the body's name, e.g. 固城镇".into());
    }
    if name.trim() != name {
        return Err("must not begin or end with whitespace".into());
    }
    let n = name.chars().count();
    if n > MAX_NAME_CHARS {
        return Err(format!("{n} characters; at most {MAX_NAME_CHARS}"));
    }
    if let Some(c) = name.chars().find(|c| c.is_control()) {
        return Err(format!("contains the control character U+{:04X}", c as u32));
    }
    Ok(())
}

/// A reporting body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body {
    pub id: String,
    pub name: String,
    pub level: Level,
    /// The parent's id; `None` for a body at the top.
    pub parent: Option<String>,
    pub created_at: SystemTime,
    pub updated_at: SystemTime,
}

/// Why a change to the directory is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DirectoryError {
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error("no reporting body {0:?}")]
    Unknown(String),
    #[error("reporting body {id:?} exists: {existing}")]
    Exists { id: String, existing: String },
    #[error("cannot move {id:?} under {parent:?}: {parent:?} is {id:?} itself or one of its descendants")]
    Cycle { id: String, parent: String },
}

fn invalid(field: &str, message: String) -> DirectoryError {
    DirectoryError::Invalid {
        field: field.into(),
        message,
    }
}

/// Every body, with the parent → children index (children ordered by id).
#[derive(Debug, Clone, Default)]
pub struct Directory {
    bodies: BTreeMap<String, Body>,
    children: BTreeMap<String, BTreeSet<String>>,
}

impl Directory {
    /// Builds the directory from stored bodies (any order).
    pub fn from_bodies(bodies: impl IntoIterator<Item = Body>) -> Directory {
        let mut d = Directory::default();
        for b in bodies {
            d.put(b);
        }
        d
    }

    pub fn len(&self) -> usize {
        self.bodies.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bodies.is_empty()
    }

    pub fn get(&self, id: &str) -> Option<&Body> {
        self.bodies.get(id)
    }

    /// Every body, ordered by id.
    pub fn iter(&self) -> impl Iterator<Item = &Body> {
        self.bodies.values()
    }

    /// Bodies ordered by id, starting after `after`.
    pub fn range_after<'a>(&'a self, after: &str) -> impl Iterator<Item = &'a Body> + 'a {
        use std::ops::Bound;
        self.bodies
            .range::<str, _>((Bound::Excluded(after), Bound::Unbounded))
            .map(|(_, b)| b)
    }

    /// The direct children of `id` (ordered by id).
    pub fn children<'a>(&'a self, id: &str) -> impl Iterator<Item = &'a Body> + 'a {
        self.children
            .get(id)
            .into_iter()
            .flatten()
            .filter_map(|c| self.bodies.get(c))
    }

    /// The bodies at the top (no parent), ordered by id.
    pub fn roots(&self) -> impl Iterator<Item = &Body> {
        self.bodies.values().filter(|b| b.parent.is_none())
    }

    /// The ancestors of `id`, nearest first (parent, grandparent, …). Empty for an unknown id.
    pub fn ancestors(&self, id: &str) -> Vec<&Body> {
        let mut out = Vec::new();
        let mut cur = self.bodies.get(id).and_then(|b| b.parent.as_deref());
        while let Some(p) = cur {
            let Some(b) = self.bodies.get(p) else { break };
            if out.iter().any(|x: &&Body| x.id == b.id) {
                break; // never loops, but a corrupt store must not hang us
            }
            out.push(b);
            cur = b.parent.as_deref();
        }
        out
    }

    /// Whether `id` is `root` or one of its descendants. The one hierarchy question access
    /// control asks ("is this body within the subtree I may act on?").
    pub fn is_within(&self, id: &str, root: &str) -> bool {
        id == root || self.ancestors(id).iter().any(|a| a.id == root)
    }

    /// Every descendant of `id` in tree order (depth first, children by id), with its depth
    /// below `id` (children are at depth 1). `id` itself is not included.
    pub fn descendants(&self, id: &str) -> Vec<(&Body, u32)> {
        let mut out = Vec::new();
        let mut stack: Vec<(&String, u32)> = Vec::new();
        if let Some(cs) = self.children.get(id) {
            // Reversed, so that the smallest id is popped first.
            stack.extend(cs.iter().rev().map(|c| (c, 1)));
        }
        while let Some((c, depth)) = stack.pop() {
            let Some(b) = self.bodies.get(c) else {
                continue;
            };
            if out.len() > self.bodies.len() {
                break; // a cycle in a corrupt store
            }
            out.push((b, depth));
            if let Some(cs) = self.children.get(&b.id) {
                stack.extend(cs.iter().rev().map(|c| (c, depth + 1)));
            }
        }
        out
    }

    /// Every body in tree order: each root, then its descendants, with depths from 0.
    pub fn forest(&self) -> Vec<(&Body, u32)> {
        let mut out = Vec::new();
        for r in self.roots() {
            out.push((r, 0));
            out.extend(self.descendants(&r.id));
        }
        out
    }

    /// Adds or replaces a body as stored (no checks).
    pub fn put(&mut self, body: Body) {
        if let Some(old) = self.bodies.get(&body.id) {
            let old_parent = old.parent.clone().unwrap_or_default();
            if let Some(cs) = self.children.get_mut(&old_parent) {
                cs.remove(&body.id);
            }
        }
        self.children
            .entry(body.parent.clone().unwrap_or_default())
            .or_default()
            .insert(body.id.clone());
        self.bodies.insert(body.id.clone(), body);
    }

    /// Checks a new body: fields, parent known, id not taken (an identical body is fine:
    /// `Ok(false)` means "already there, nothing to do").
    pub fn check_create(
        &self,
        id: &str,
        name: &str,
        parent: Option<&str>,
        level: Level,
    ) -> Result<bool, DirectoryError> {
        check_id(id).map_err(|m| invalid("id", m))?;
        check_name(name).map_err(|m| invalid("name", m))?;
        if let Some(p) = parent {
            check_id(p).map_err(|m| invalid("parent", m))?;
            if self.get(p).is_none() {
                return Err(DirectoryError::Unknown(p.to_string()));
            }
        }
        if let Some(b) = self.get(id) {
            if b.name == name && b.parent.as_deref() == parent && b.level == level {
                return Ok(false);
            }
            return Err(DirectoryError::Exists {
                id: id.to_string(),
                existing: describe(b),
            });
        }
        Ok(true)
    }

    /// Checks moving `id` under `parent` (`None`: to the top).
    pub fn check_move(&self, id: &str, parent: Option<&str>) -> Result<(), DirectoryError> {
        if self.get(id).is_none() {
            return Err(DirectoryError::Unknown(id.to_string()));
        }
        if let Some(p) = parent {
            check_id(p).map_err(|m| invalid("parent", m))?;
            if self.get(p).is_none() {
                return Err(DirectoryError::Unknown(p.to_string()));
            }
            if self.is_within(p, id) {
                return Err(DirectoryError::Cycle {
                    id: id.to_string(),
                    parent: p.to_string(),
                });
            }
        }
        Ok(())
    }
}

/// `固城镇 (乡镇, under 621024)`.
pub fn describe(b: &Body) -> String {
    match &b.parent {
        Some(p) => format!("{} ({}, under {p})", b.name, b.level),
        None => format!("{} ({}, at the top)", b.name, b.level),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(id: &str, parent: Option<&str>) -> Body {
        Body {
            id: id.into(),
            name: format!("{id} name"),
            level: Level::Other,
            parent: parent.map(str::to_string),
            created_at: SystemTime::UNIX_EPOCH,
            updated_at: SystemTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn ids_and_levels() {
        for ok in [
            "621024",
            "621024101",
            "11621024MB1234567X",
            "621024-zrzy",
            "a.b_c",
        ] {
            assert!(check_id(ok).is_ok(), "{ok}");
        }
        for bad in ["", "-a", "62 10", "固城镇", "a/b", &"1".repeat(65)] {
            assert!(check_id(bad).is_err(), "{bad}");
        }
        assert_eq!("乡镇".parse::<Level>(), Ok(Level::Township));
        assert_eq!("County".parse::<Level>(), Ok(Level::County));
        assert!("村".parse::<Level>().is_err());
    }

    #[test]
    fn hierarchy_questions() {
        let d = Directory::from_bodies([
            body("c2", Some("p")),
            body("p", None),
            body("c1", Some("p")),
            body("g", Some("c1")),
            body("q", None),
        ]);
        let ids = |v: Vec<(&Body, u32)>| {
            v.into_iter()
                .map(|(b, d)| format!("{}@{d}", b.id))
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(d.descendants("p")), ["c1@1", "g@2", "c2@1"]);
        assert_eq!(ids(d.forest()), ["p@0", "c1@1", "g@2", "c2@1", "q@0"]);
        assert!(d.is_within("g", "p"));
        assert!(d.is_within("p", "p"));
        assert!(!d.is_within("p", "g"));
        assert!(!d.is_within("q", "p"));
        assert_eq!(
            d.ancestors("g").iter().map(|b| &b.id).collect::<Vec<_>>(),
            ["c1", "p"]
        );
        assert!(matches!(
            d.check_move("p", Some("g")),
            Err(DirectoryError::Cycle { .. })
        ));
        assert!(d.check_move("g", Some("q")).is_ok());
        let mut d = d;
        let mut g = d.get("g").unwrap().clone();
        g.parent = Some("q".into());
        d.put(g);
        assert_eq!(ids(d.descendants("p")), ["c1@1", "c2@1"]);
        assert_eq!(ids(d.descendants("q")), ["g@1"]);
    }
}
