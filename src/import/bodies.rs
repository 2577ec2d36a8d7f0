//! Finding the registered body a published report names: the exact name, else a unique
//! abbreviation (市科委 for 上海市科学技术委员会 under 上海市) — never a guess between two.

/// A registered body, as matching needs it.
#[derive(Debug, Clone)]
pub struct Known {
    pub id: String,
    pub name: String,
    /// The parent's name, if any.
    pub parent_name: Option<String>,
}

/// What a name matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyMatch {
    /// One body: its id, and how ("exact" or "abbreviation").
    One {
        id: String,
        how: &'static str,
    },
    /// Several fit: their ids (a person must choose).
    Several(Vec<String>),
    None,
}

/// Whether the characters of `short` appear in `long` in order.
fn subsequence(short: &str, long: &str) -> bool {
    let mut it = long.chars();
    short.chars().all(|c| it.any(|l| l == c))
}

/// Whether `short` abbreviates `body`: its characters in order in the name, the same first
/// character; a leading level word (市, 县, 区, 省) stands for the parent's name.
fn abbreviates(short: &str, body: &Known) -> bool {
    let full = body.name.as_str();
    let plain = |s: &str, f: &str| {
        s.chars().count() < f.chars().count()
            && s.chars().next() == f.chars().next()
            && subsequence(s, f)
    };
    if plain(short, full) {
        return true;
    }
    let Some(parent) = &body.parent_name else {
        return false;
    };
    let Some(rest) = full.strip_prefix(parent.as_str()) else {
        return false;
    };
    let Some(level) = parent.chars().last() else {
        return false;
    };
    short
        .strip_prefix(level)
        .is_some_and(|s| !s.is_empty() && plain(s, rest))
}

/// The body `name` stands for among `bodies`.
pub fn match_body(name: &str, bodies: &[Known]) -> BodyMatch {
    let name = name.trim();
    if name.is_empty() {
        return BodyMatch::None;
    }
    let pick = |ids: Vec<&Known>, how| match ids.as_slice() {
        [] => None,
        [one] => Some(BodyMatch::One {
            id: one.id.clone(),
            how,
        }),
        many => Some(BodyMatch::Several(
            many.iter().map(|b| b.id.clone()).collect(),
        )),
    };
    let exact: Vec<&Known> = bodies.iter().filter(|b| b.name == name).collect();
    if let Some(m) = pick(exact, "exact") {
        return m;
    }
    let short: Vec<&Known> = bodies.iter().filter(|b| abbreviates(name, b)).collect();
    pick(short, "abbreviation").unwrap_or(BodyMatch::None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(id: &str, name: &str, parent: Option<&str>) -> Known {
        Known {
            id: id.into(),
            name: name.into(),
            parent_name: parent.map(Into::into),
        }
    }

    #[test]
    fn exact_then_unique_abbreviation() {
        let bodies = [
            known("31", "上海市", None),
            known("31-kw", "上海市科学技术委员会", Some("上海市")),
            known("31-jw", "上海市教育委员会", Some("上海市")),
            known("31-kx", "上海市科学技术协会", Some("上海市")),
        ];
        assert_eq!(
            match_body("上海市教育委员会", &bodies),
            BodyMatch::One {
                id: "31-jw".into(),
                how: "exact"
            }
        );
        assert_eq!(
            match_body("市科委", &bodies),
            BodyMatch::One {
                id: "31-kw".into(),
                how: "abbreviation"
            }
        );
        assert_eq!(
            match_body("市教委", &bodies),
            BodyMatch::One {
                id: "31-jw".into(),
                how: "abbreviation"
            }
        );
        // Two fit: neither is taken.
        assert_eq!(
            match_body("市科会", &bodies),
            BodyMatch::Several(vec!["31-kw".into(), "31-kx".into()])
        );
        assert_eq!(match_body("某某局", &bodies), BodyMatch::None);
        let twins = [
            known("a", "固城镇", Some("甲县")),
            known("b", "固城镇", Some("乙县")),
        ];
        assert_eq!(
            match_body("固城镇", &twins),
            BodyMatch::Several(vec!["a".into(), "b".into()])
        );
    }
}
