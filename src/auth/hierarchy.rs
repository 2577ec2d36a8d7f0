//! Which bodies are within which: what a filer token with `subtree` covers.

/// Which bodies are within which.
pub trait Hierarchy: Send + Sync + std::fmt::Debug {
    /// Whether `org` is `root` itself or one of its descendants.
    fn contains(&self, root: &str, org: &str) -> bool;
}

/// "Within" read from the codes, until bodies have parents:
///
/// - `org` is `root`, or starts with `root` followed by `-`, `.`, `/` or `:`
///   (`621024-zrzy` and `621024.01` are within `621024`);
/// - or `root` is an administrative-division code (6, 9 or 12 digits) and `org` begins with
///   the digits that code fixes: trailing zero levels are dropped, so 620000 (甘肃省) fixes
///   `62`, 621000 (庆阳市) fixes `6210`, 621024 (合水县) fixes `621024`, 621024101000 fixes
///   `621024101`; `621024101` (a township) is within 621024, 621000 and 620000.
///
/// Other codes (unified social credit codes, internal codes) contain only themselves and what
/// is named after them with a separator.
#[derive(Debug, Clone, Copy, Default)]
pub struct CodeHierarchy;

/// The digits an administrative-division code fixes, or `None` if it is not one.
fn division_prefix(code: &str) -> Option<&str> {
    if !matches!(code.len(), 6 | 9 | 12) || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Levels: province 2, city 2, county 2, township 3, village 3 digits; a level of zeros
    // is not fixed, and neither is anything after it.
    let mut p = code;
    for (len, level) in [(12, 3), (9, 3), (6, 2), (4, 2)] {
        if p.len() != len {
            continue;
        }
        match p.strip_suffix(&"000"[..level]) {
            Some(head) => p = head,
            None => break,
        }
    }
    Some(p)
}

/// The registered bodies' parent relation decides when both bodies are registered; otherwise
/// the codes do ([`CodeHierarchy`]). A body moved to another county moves out of the old
/// county's subtree at once.
impl Hierarchy for crate::store::Store {
    fn contains(&self, root: &str, org: &str) -> bool {
        if org == root {
            return !root.is_empty();
        }
        let registered = self.with_directory(|d| d.get(root).is_some() && d.get(org).is_some());
        if registered {
            self.is_within(org, root)
        } else {
            CodeHierarchy.contains(root, org)
        }
    }
}

impl Hierarchy for CodeHierarchy {
    fn contains(&self, root: &str, org: &str) -> bool {
        if root.is_empty() {
            return false;
        }
        if org == root {
            return true;
        }
        if let Some(rest) = org.strip_prefix(root) {
            if rest.starts_with(['-', '.', '/', ':']) {
                return true;
            }
        }
        match division_prefix(root) {
            Some(p) => {
                let digits = org.bytes().take_while(u8::is_ascii_digit).count();
                digits > p.len() && org.starts_with(p)
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_hierarchy() {
        let h = CodeHierarchy;
        assert_eq!(division_prefix("620000"), Some("62"));
        assert_eq!(division_prefix("621000"), Some("6210"));
        assert_eq!(division_prefix("621024"), Some("621024"));
        assert_eq!(division_prefix("621024101000"), Some("621024101"));
        assert_eq!(division_prefix("621024000000"), Some("621024"));
        assert_eq!(division_prefix("62102410"), None);
        // Each root, the codes within it, and codes that are not.
        let cases: [(&str, &[&str], &[&str]); 7] = [
            (
                "621024",
                &["621024", "621024101", "621024-zrzy", "6210241"],
                &["621025"],
            ),
            ("621000", &["621024101"], &["620100"]),
            ("620000", &["621024-zrzy"], &[]),
            ("621024101", &[], &["621024102"]),
            ("91620000MA", &["91620000MA-1"], &["91620000MAX"]),
            ("abc", &[], &["abcd"]),
            ("", &[], &["x"]),
        ];
        for (root, within, outside) in cases {
            for org in within {
                assert!(h.contains(root, org), "{org} within {root}");
            }
            for org in outside {
                assert!(!h.contains(root, org), "{org} not within {root}");
            }
        }
    }
}
