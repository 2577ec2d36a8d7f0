//! The whole record under the chain hash, and the store-wide log against its records and
//! head file.

use prost::Message;

use super::keys::revision_key;
use super::record::{Record, StoredCrossYear, StoredExplanation, StoredFinding};
use super::tests::{new, reopen};
use super::*;
use crate::merkle;

type Edit = (&'static str, fn(&mut Record));

/// Every stored field of a revision, changed one at a time.
const EDITS: &[Edit] = &[
    ("cells", |r| r.cells.push(1)),
    ("report", |r| r.report.push(1)),
    ("org name", |r| r.meta.as_mut().unwrap().org_name.push('x')),
    ("edition", |r| r.meta.as_mut().unwrap().edition = 2021),
    ("explanations", |r| {
        r.meta
            .as_mut()
            .unwrap()
            .explanations
            .push(StoredExplanation {
                rule: "X".into(),
                text: "t".into(),
            })
    }),
    ("cross-year", |r| {
        r.meta.as_mut().unwrap().cross_year = Some(StoredCrossYear {
            previous_revision: 7,
        })
    }),
    ("warnings", |r| {
        r.meta
            .as_mut()
            .unwrap()
            .warnings
            .push(StoredFinding::default())
    }),
    ("reason", |r| r.meta.as_mut().unwrap().reason.push('x')),
    ("submitter", |r| {
        r.meta.as_mut().unwrap().submitted_by.push('x')
    }),
    ("submission id", |r| {
        r.meta.as_mut().unwrap().submission_id.push('x')
    }),
    ("time", |r| r.meta.as_mut().unwrap().submitted_at_us += 1),
    ("content hash", |r| {
        r.meta.as_mut().unwrap().content_hash[0] ^= 1
    }),
    ("revision", |r| r.meta.as_mut().unwrap().revision += 1),
];

#[tokio::test]
async fn every_stored_field_is_under_the_chain_hash_and_the_log() {
    for (what, edit) in EDITS {
        let dir = tempfile::tempdir().unwrap();
        let store = reopen(dir.path());
        store.submit(new("ab", 2020, 1, "")).await.unwrap();
        let key = revision_key("ab", 2020, 1).unwrap();
        let v = store.inner.revisions.get(&key).unwrap().unwrap();
        let mut r = Record::decode(v.as_ref()).unwrap();
        edit(&mut r);
        store
            .inner
            .revisions
            .insert(&key, r.encode_to_vec())
            .unwrap();
        let v = store.verify(None, None).unwrap();
        let kinds: Vec<_> = v.breaks.iter().map(|b| b.kind).collect();
        assert!(kinds.contains(&BreakKind::Log), "{what}: {kinds:?}");
        assert!(
            kinds.contains(&BreakKind::ChainHash) || kinds.contains(&BreakKind::Numbering),
            "{what}: {kinds:?}"
        );
        // Bytes appended outside any field are found too.
        let mut bytes = r.encode_to_vec();
        bytes.extend_from_slice(&[0x7a, 1, 0]);
        store.inner.revisions.insert(&key, bytes).unwrap();
        let v = store.verify(Some("ab"), None).unwrap();
        assert!(!v.breaks.is_empty(), "{what}: appended bytes");
        store.close().await.unwrap();
    }
}

#[tokio::test]
async fn a_removed_latest_revision_is_found_on_open_and_the_store_turns_read_only() {
    let dir = tempfile::tempdir().unwrap();
    let store = reopen(dir.path());
    store.submit(new("ab", 2020, 1, "")).await.unwrap();
    let second = store.submit(new("ab", 2020, 2, "fix")).await.unwrap();
    assert_eq!(second.head.size, 2);
    assert_eq!(store.log_head(), second.head);
    store
        .inner
        .revisions
        .remove(revision_key("ab", 2020, 2).unwrap())
        .unwrap();
    // The chain that is left holds; the log does not.
    let v = store.verify(None, None).unwrap();
    assert_eq!(v.breaks.len(), 1, "{:?}", v.breaks);
    assert_eq!(
        v.breaks[0].to_string(),
        "ab 2020 revision 2: log: log entry 2 (revision 2 of ab 2020): the record is missing"
    );
    store.close().await.unwrap();
    drop(store);
    let store = reopen(dir.path());
    assert_eq!(store.damage().len(), 1);
    assert!(matches!(
        store.submit(new("ab", 2020, 3, "again")).await,
        Err(StoreError::ReadOnly)
    ));
    assert!(store.get("ab", 2020, Version::Latest).unwrap().is_some());
}

#[tokio::test]
async fn the_log_is_built_for_an_old_directory_and_a_torn_tail_is_cut() {
    let dir = tempfile::tempdir().unwrap();
    let store = reopen(dir.path());
    store.submit(new("ab", 2020, 1, "")).await.unwrap();
    store.submit(new("b", 2020, 2, "")).await.unwrap();
    let meta = store.inner.db.open_tree("meta").unwrap();
    meta.insert("format", &FORMAT_UNLOGGED.to_be_bytes())
        .unwrap();
    store.close().await.unwrap();
    drop((meta, store));
    std::fs::remove_file(dir.path().join(LOG_FILE)).unwrap();
    std::fs::remove_file(dir.path().join(HEAD_FILE)).unwrap();
    let store = reopen(dir.path());
    assert!(store.damage().is_empty());
    let head = store.log_head();
    assert_eq!(head.size, 2);
    store.close().await.unwrap();
    drop(store);
    // A write cut short past the head is dropped on open.
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(dir.path().join(LOG_FILE))
        .unwrap();
    f.write_all(&[0, 0, 0, 9, 1, 2]).unwrap();
    drop(f);
    let store = reopen(dir.path());
    assert!(store.damage().is_empty(), "{:?}", store.damage());
    assert_eq!(store.log_head(), head);
    let third = store.submit(new("c", 2020, 3, "")).await.unwrap();
    assert_eq!(third.head.size, 3);
    // The old head is a prefix of the new one.
    let (root, proof) = store.log_proof(2, &third.head).unwrap();
    assert_eq!(root, head.root);
    assert!(merkle::verify_consistency(
        2,
        3,
        &head.root,
        &third.head.root,
        &proof
    ));
    assert!(store.verify(None, None).unwrap().breaks.is_empty());
    store.close().await.unwrap();
    drop(store);
    // Without its head file, a format-3 directory is damaged (not rebuilt).
    std::fs::remove_file(dir.path().join(HEAD_FILE)).unwrap();
    let store = reopen(dir.path());
    assert_eq!(store.damage().len(), 1, "{:?}", store.damage());
}
