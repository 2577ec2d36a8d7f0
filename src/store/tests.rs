//! The store's own tests: revisions, the chain upgrade, verification, tokens, bodies.

use std::time::UNIX_EPOCH;

use prost::Message;

use super::keys::revision_key;
use super::record::{from_micros, Record};
use super::*;
use crate::orgs::Level;
use crate::template::Edition;

/// Opens the store, waiting (at most 5 s) for a closed store's lock to be released: sled
/// releases its file lock from a background thread once the last handle is gone.
pub(super) fn reopen(path: &std::path::Path) -> Store {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        match Store::open(path) {
            Err(StoreError::Locked { .. }) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(20))
            }
            r => return r.unwrap(),
        }
    }
}

pub(super) fn new(org: &str, year: u32, content: u8, reason: &str) -> NewRevision {
    NewRevision {
        org_id: org.into(),
        org_name: format!("{org} name"),
        year,
        edition: Edition::E2019,
        report: vec![content],
        content_hash: chain::content_hash(&[content]),
        reason: reason.into(),
        warnings: vec![],
        expected_revision: None,
        submitted_by: "tok".into(),
        explanations: vec![],
        cross_year_previous: None,
        cells: vec![],
        provenance: vec![],
    }
}

#[tokio::test]
async fn revisions_heads_and_listing() {
    let dir = tempfile::tempdir().unwrap();
    let store = reopen(dir.path());
    let a = store.submit(new("ab", 2020, 1, "")).await.unwrap();
    assert!(a.created);
    assert_eq!(a.revision.revision, 1);
    let again = store.submit(new("ab", 2020, 1, "retry")).await.unwrap();
    assert!(!again.created);
    assert_eq!(again.revision, a.revision);
    assert!(matches!(
        store.submit(new("ab", 2020, 2, " ")).await,
        Err(StoreError::ReasonRequired { current: 1 })
    ));
    let mut n = new("ab", 2020, 2, "fix");
    n.expected_revision = Some(0);
    assert!(matches!(
        store.submit(n).await,
        Err(StoreError::Conflict {
            expected: 0,
            current: 1
        })
    ));
    let b = store.submit(new("ab", 2020, 2, "fix")).await.unwrap();
    assert_eq!(b.revision.revision, 2);
    assert!(b.revision.submitted_at > a.revision.submitted_at);
    store.submit(new("ab1", 2019, 3, "")).await.unwrap();
    store.submit(new("ab", 2021, 4, "")).await.unwrap();
    store.submit(new("b", 2020, 5, "")).await.unwrap();

    let all = store.list(None, "", None, 10).unwrap();
    let order: Vec<_> = all
        .reports
        .iter()
        .map(|s| (s.org_id.as_str(), s.year))
        .collect();
    assert_eq!(
        order,
        [("ab", 2020), ("ab", 2021), ("ab1", 2019), ("b", 2020)]
    );
    assert!(all.next.is_none());

    let p1 = store.list(None, "ab", None, 2).unwrap();
    assert_eq!(p1.reports.len(), 2);
    let token = p1.next.unwrap().to_token();
    let cursor = Cursor::from_token(&token).unwrap();
    let p2 = store.list(None, "ab", Some(&cursor), 2).unwrap();
    assert_eq!(p2.reports.len(), 1);
    assert_eq!(p2.reports[0].org_id, "ab1");
    assert!(p2.next.is_none());

    let y = store.list(Some(2020), "", None, 10).unwrap();
    assert_eq!(y.reports.len(), 2);

    let as_of = store
        .get("ab", 2020, Version::AsOf(a.revision.submitted_at))
        .unwrap()
        .unwrap();
    assert_eq!(as_of.revision, 1);
    assert!(store
        .get("ab", 2020, Version::AsOf(UNIX_EPOCH))
        .unwrap()
        .is_none());
    assert_eq!(store.revisions("ab", 2020).unwrap().len(), 2);
    assert!(Cursor::from_token("zz").is_none());
    store.close().await.unwrap();
}

#[tokio::test]
async fn a_format_1_directory_is_chained_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let store = reopen(dir.path());
    store.submit(new("ab", 2020, 1, "")).await.unwrap();
    store.submit(new("ab", 2020, 2, "fix")).await.unwrap();
    store.submit(new("b", 2021, 3, "")).await.unwrap();
    // Unchain it, as format 1 wrote it: no links, no submitter, format 1.
    for kv in store.inner.revisions.iter() {
        let (k, v) = kv.unwrap();
        let mut r = Record::decode(v.as_ref()).unwrap();
        let m = r.meta.as_mut().unwrap();
        m.previous_hash.clear();
        m.chain_hash.clear();
        m.submitted_by.clear();
        store.inner.revisions.insert(k, r.encode_to_vec()).unwrap();
    }
    let meta = store.inner.db.open_tree("meta").unwrap();
    meta.insert("format", &FORMAT_UNCHAINED.to_be_bytes())
        .unwrap();
    drop(meta);
    store.close().await.unwrap();
    drop(store);
    // Format 1 had no log.
    std::fs::remove_file(dir.path().join(LOG_FILE)).unwrap();
    std::fs::remove_file(dir.path().join(HEAD_FILE)).unwrap();

    let store = reopen(dir.path());
    let v = store.verify(None, None).unwrap();
    assert_eq!(v.log.map(|h| h.size), Some(3));
    assert_eq!((v.reports, v.revisions), (2, 3));
    assert!(v.breaks.is_empty(), "{:?}", v.breaks);
    let revs = store.revisions("ab", 2020).unwrap();
    assert_eq!(revs[0].previous_hash, chain::GENESIS);
    assert_eq!(revs[1].previous_hash, revs[0].chain_hash);
    assert_eq!(revs[1].submitted_by, "");
    // New revisions continue the chain.
    let c = store.submit(new("ab", 2020, 4, "again")).await.unwrap();
    assert_eq!(c.revision.previous_hash, revs[1].chain_hash);
    assert!(store
        .verify(Some("ab"), Some(2020))
        .unwrap()
        .breaks
        .is_empty());
    store.close().await.unwrap();
}

#[tokio::test]
async fn verify_names_what_differs() {
    let dir = tempfile::tempdir().unwrap();
    let store = reopen(dir.path());
    for (org, n) in [("ab", 3), ("b", 3)] {
        for c in 1..=n {
            let reason = if c == 1 { "" } else { "fix" };
            store.submit(new(org, 2020, c, reason)).await.unwrap();
        }
    }
    // ab: the submitter of revision 2 rewritten.
    let key = revision_key("ab", 2020, 2).unwrap();
    let mut r = Record::decode(store.inner.revisions.get(&key).unwrap().unwrap().as_ref()).unwrap();
    r.meta.as_mut().unwrap().submitted_by = "someone else".into();
    store
        .inner
        .revisions
        .insert(&key, r.encode_to_vec())
        .unwrap();
    // b: revision 2 removed.
    store
        .inner
        .revisions
        .remove(revision_key("b", 2020, 2).unwrap())
        .unwrap();
    let v = store.verify(None, None).unwrap();
    let kinds: Vec<(&str, u32, BreakKind)> = v
        .breaks
        .iter()
        .map(|b| (b.org_id.as_str(), b.revision, b.kind))
        .collect();
    assert_eq!(
        kinds,
        [
            ("ab", 2, BreakKind::ChainHash),
            ("b", 3, BreakKind::Numbering),
            ("ab", 2, BreakKind::Log),
            ("b", 2, BreakKind::Log),
        ]
    );
    assert_eq!(
        v.breaks[3].to_string(),
        "b 2020 revision 2: log: log entry 5 (revision 2 of b 2020): the record is missing"
    );
    assert_eq!(
        v.breaks[1].to_string(),
        "b 2020 revision 3: numbering: revision 3 follows revision 1: revision 2 missing"
    );
    assert_eq!((v.reports, v.revisions), (2, 5));
    // One body's chains: the log is checked only for the whole store.
    assert_eq!(store.verify(Some("b"), None).unwrap().breaks.len(), 1);
    assert!(store.verify(Some("a"), None).unwrap().breaks.is_empty());
}

#[tokio::test]
async fn verify_checks_content_links_and_hash_lengths() {
    let dir = tempfile::tempdir().unwrap();
    let store = reopen(dir.path());
    for (org, n) in [("c", 2), ("l", 2), ("s", 1)] {
        for c in 1..=n {
            let reason = if c == 1 { "" } else { "fix" };
            store.submit(new(org, 2020, c, reason)).await.unwrap();
        }
    }
    let rewrite = |org: &str, revision: u32, f: &dyn Fn(&mut Record)| {
        let key = revision_key(org, 2020, revision).unwrap();
        let v = store.inner.revisions.get(&key).unwrap().unwrap();
        let mut r = Record::decode(v.as_ref()).unwrap();
        f(&mut r);
        store
            .inner
            .revisions
            .insert(&key, r.encode_to_vec())
            .unwrap();
    };
    // c: the report of revision 1 changed (its chain hash covers the whole record, the
    // report included).
    rewrite("c", 1, &|r| r.report = vec![9]);
    // l: the link of revision 2 changed (so its chain hash breaks too).
    rewrite("l", 2, &|r| {
        r.meta.as_mut().unwrap().previous_hash = vec![1; 32]
    });
    // s: a content hash cut short.
    rewrite("s", 1, &|r| {
        r.meta.as_mut().unwrap().content_hash.truncate(31)
    });
    let v = store.verify(None, None).unwrap();
    let kinds: Vec<(&str, u32, BreakKind, bool)> = v
        .breaks
        .iter()
        .map(|b| (b.org_id.as_str(), b.revision, b.kind, b.stored.is_empty()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("c", 1, BreakKind::ContentHash, false),
            ("c", 1, BreakKind::ChainHash, false),
            ("l", 2, BreakKind::PreviousHash, false),
            ("l", 2, BreakKind::ChainHash, false),
            ("s", 1, BreakKind::ContentHash, false),
            ("s", 1, BreakKind::ChainHash, true),
            ("c", 1, BreakKind::Log, false),
            ("l", 2, BreakKind::Log, false),
            ("s", 1, BreakKind::Log, false),
        ]
    );
    assert_eq!(v.breaks[0].expected, hex::encode(chain::content_hash(&[9])));
    assert_eq!(v.breaks[2].stored, hex::encode([1; 32]));
    assert_eq!(
        v.breaks[2].detail,
        "the link to revision 1 is not that revision's chain hash"
    );
    assert_eq!(v.breaks[5].detail, "a stored hash is not 32 bytes long");
}

#[tokio::test]
async fn tokens_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let store = reopen(dir.path());
    assert!(!store.has_tokens().unwrap());
    let t = StoredToken {
        id: "0123456789abcdef".into(),
        secret_hash: [9; 32],
        role: "filer".into(),
        org: "621024101".into(),
        subtree: true,
        note: "固城镇".into(),
        created_at: from_micros(1_700_000_000_000_000),
        created_by: "bootstrap".into(),
        revoked_at: None,
        revoked_by: String::new(),
    };
    store.put_token(&t).await.unwrap();
    assert!(store.has_tokens().unwrap());
    assert_eq!(store.token(&t.id).unwrap(), Some(t.clone()));
    assert_eq!(store.tokens().unwrap(), vec![t]);
    assert_eq!(store.token("nope").unwrap(), None);
}

#[tokio::test]
async fn a_second_open_fails_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let _store = Store::open(dir.path()).unwrap();
    assert!(matches!(
        Store::open(dir.path()),
        Err(StoreError::Locked { .. })
    ));
}

fn nb(id: &str, parent: Option<&str>) -> NewBody {
    NewBody {
        id: id.into(),
        name: format!("{id} name"),
        level: Level::Other,
        parent: parent.map(str::to_string),
    }
}

#[tokio::test]
async fn bodies_import_move_and_survive_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let store = reopen(dir.path());
    // Children before their parent: fine within one import.
    let changes = store
        .import_orgs(
            vec![nb("t1", Some("c")), nb("c", Some("p")), nb("p", None)],
            false,
        )
        .await
        .unwrap();
    assert_eq!(changes, [Change::Created; 3]);
    assert!(store.is_within("t1", "p"));
    assert_eq!(store.ancestors("t1"), ["c", "p"]);
    // All or nothing: an unknown parent fails the whole import.
    let e = store
        .import_orgs(vec![nb("t2", Some("c")), nb("t3", Some("nowhere"))], false)
        .await
        .unwrap_err();
    assert!(
        matches!(e, StoreError::Directory(DirectoryError::Unknown(_))),
        "{e}"
    );
    assert!(store.org("t2").is_none());
    // Other fields: refused without update, applied with it.
    let mut moved = nb("t1", Some("p"));
    moved.name = "新名".into();
    assert!(store.import_orgs(vec![moved.clone()], false).await.is_err());
    let changes = store.import_orgs(vec![moved], true).await.unwrap();
    assert_eq!(changes, [Change::Updated]);
    // A cycle is refused.
    assert!(store
        .update_org("p", None, Some(Some("t1".into())), None)
        .await
        .is_err());
    // Creating the same body twice is not an error; with other fields it is.
    let (_, created) = store.create_org(nb("q", None)).await.unwrap();
    assert!(created);
    let (_, created) = store.create_org(nb("q", None)).await.unwrap();
    assert!(!created);
    assert!(matches!(
        store.create_org(nb("q", Some("p"))).await,
        Err(StoreError::Directory(DirectoryError::Exists { .. }))
    ));
    store.close().await.unwrap();
    drop(store);
    let store = reopen(dir.path());
    let t1 = store.org("t1").unwrap();
    assert_eq!(
        (t1.name.as_str(), t1.parent.as_deref()),
        ("新名", Some("p"))
    );
    assert_eq!(store.with_directory(|d| d.len()), 4);
}

#[test]
fn verification_prints_its_breaks_and_summary() {
    let b = ChainBreak {
        org_id: "ab".into(),
        year: 2020,
        revision: 2,
        kind: BreakKind::ChainHash,
        detail: "d".into(),
        stored: "aa".into(),
        expected: "bb".into(),
    };
    assert_eq!(
        b.to_string(),
        "ab 2020 revision 2: chain-hash: d (stored aa, expected bb)"
    );
    assert_eq!(
        format!("{b:#}"),
        "ab 2020 revision 2: chain-hash: d\n  stored   aa\n  expected bb"
    );
    let plain = ChainBreak {
        stored: String::new(),
        expected: String::new(),
        ..b.clone()
    };
    assert_eq!(format!("{plain:#}"), "ab 2020 revision 2: chain-hash: d");
    let mut v = Verification {
        reports: 1,
        revisions: 1,
        reviews: 0,
        breaks: vec![],
        log: None,
    };
    assert_eq!(
        v.to_string(),
        "verified 1 report, 1 revision: every chain holds"
    );
    (v.reports, v.revisions, v.breaks) = (2, 3, vec![b.clone()]);
    assert_eq!(v.to_string(), "verified 2 reports, 3 revisions: 1 break");
    v.breaks.push(plain);
    assert_eq!(v.to_string(), "verified 2 reports, 3 revisions: 2 breaks");
    v.reviews = 2;
    assert_eq!(
        v.to_string(),
        "verified 2 reports, 3 revisions, 2 reviews: 2 breaks"
    );
    for k in BreakKind::ALL {
        assert_eq!(BreakKind::parse(k.as_str()), Some(k));
    }
    assert_eq!(BreakKind::parse("chain"), None);
}
