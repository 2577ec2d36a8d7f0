//! Reviews in the store: states, optimistic concurrency, the chain, the log, the upgrade
//! from format 3, backup and restore.

use prost::Message;

use super::keys::revision_key;
use super::reviews::ReviewRecord;
use super::tests::{new, reopen};
use super::*;

fn review(org: &str, revision: u32, decision: Decision, reason: &str) -> NewReview {
    NewReview {
        org_id: org.into(),
        year: 2020,
        revision,
        decision,
        reason: reason.into(),
        cells: vec![
            CellNote {
                cell: "t3.new.total".into(),
                note: "应与正文一致".into(),
            },
            CellNote {
                cell: "t4.review.total".into(),
                note: "合计有误".into(),
            },
        ],
        reviewed_by: "rev".into(),
    }
}

#[tokio::test]
async fn return_amend_accept_and_the_chain_through_them() {
    let dir = tempfile::tempdir().unwrap();
    let store = reopen(dir.path());
    assert_eq!(store.filing_state("ab", 2020).unwrap(), None);
    // Nothing filed: nothing to review.
    assert!(matches!(
        store.review(review("ab", 1, Decision::Accepted, "")).await,
        Err(StoreError::Stale {
            reviewed: 1,
            current: 0
        })
    ));
    let r1 = store.submit(new("ab", 2020, 1, "")).await.unwrap().revision;
    let s = store.filing_state("ab", 2020).unwrap().unwrap();
    assert_eq!((s.state, s.revision, s.review), (State::Filed, 1, None));
    let returned = store
        .review(review("ab", 1, Decision::Returned, "表三合计与正文不一致"))
        .await
        .unwrap();
    assert_eq!(returned.review.number, 1);
    assert_eq!(returned.review.previous_hash, r1.chain_hash);
    assert_eq!(returned.review.revision_hash, r1.chain_hash);
    assert_eq!(returned.head.size, 2);
    let s = store.filing_state("ab", 2020).unwrap().unwrap();
    assert_eq!(s.state, State::Returned);
    assert_eq!(s.review.as_ref().map(|r| r.cells.len()), Some(2));
    // The amendment links to the review and is filed again.
    let r2 = store
        .submit(new("ab", 2020, 2, "按退回意见修改"))
        .await
        .unwrap();
    assert_eq!(r2.revision.previous_hash, returned.review.chain_hash);
    assert!(r2.revision.submitted_at > returned.review.reviewed_at);
    assert_eq!(
        store.filing_state("ab", 2020).unwrap().unwrap().state,
        State::Filed
    );
    // A review of revision 1 now is stale.
    assert!(matches!(
        store.review(review("ab", 1, Decision::Accepted, "")).await,
        Err(StoreError::Stale {
            reviewed: 1,
            current: 2
        })
    ));
    let accepted = store
        .review(review("ab", 2, Decision::Accepted, ""))
        .await
        .unwrap();
    assert_eq!(accepted.review.number, 2);
    assert_eq!(accepted.review.previous_hash, r2.revision.chain_hash);
    let s = store.filing_state("ab", 2020).unwrap().unwrap();
    assert_eq!((s.state, s.revision), (State::Accepted, 2));
    // Accepting revision 2 says nothing about revision 3.
    store.submit(new("ab", 2020, 3, "补充")).await.unwrap();
    assert_eq!(
        store.filing_state("ab", 2020).unwrap().unwrap().state,
        State::Filed
    );
    let all = store.reviews("ab", 2020).unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(
        store.review_by_number("ab", 2020, 2).unwrap(),
        Some(accepted.review)
    );
    assert_eq!(store.review_by_number("ab", 2020, 3).unwrap(), None);
    let v = store.verify(None, None).unwrap();
    assert!(v.breaks.is_empty(), "{:?}", v.breaks);
    assert_eq!((v.reports, v.revisions, v.reviews), (1, 3, 2));
    store.close().await.unwrap();
    drop(store);
    // The log check on open matches reviews too.
    let store = reopen(dir.path());
    assert!(store.damage().is_empty(), "{:?}", store.damage());
    assert_eq!(store.log_head().size, 5);
}

#[tokio::test]
async fn a_changed_or_removed_review_breaks_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let store = reopen(dir.path());
    store.submit(new("ab", 2020, 1, "")).await.unwrap();
    store
        .review(review("ab", 1, Decision::Returned, "请修改"))
        .await
        .unwrap();
    store.submit(new("ab", 2020, 2, "改")).await.unwrap();
    let key = revision_key("ab", 2020, 1).unwrap();
    let v = store.inner.reviews.get(&key).unwrap().unwrap();
    let mut r = ReviewRecord::decode(v.as_ref()).unwrap();
    r.reason = "同意".into();
    store.inner.reviews.insert(&key, r.encode_to_vec()).unwrap();
    let v = store.verify(Some("ab"), None).unwrap();
    let text: Vec<String> = v.breaks.iter().map(|b| b.to_string()).collect();
    assert!(
        text.iter()
            .any(|t| t.contains("chain-hash: review 1: the review")),
        "{text:?}"
    );
    // The whole-store check names the log entry too.
    let v = store.verify(None, None).unwrap();
    assert!(v.breaks.iter().any(|b| b.kind == BreakKind::Log), "{v:?}");
    // Removed: revision 2 no longer links to what is there.
    store.inner.reviews.remove(&key).unwrap();
    let v = store.verify(Some("ab"), None).unwrap();
    assert!(
        v.breaks
            .iter()
            .any(|b| b.kind == BreakKind::PreviousHash && b.revision == 2),
        "{:?}",
        v.breaks
    );
    store.close().await.unwrap();
}

#[tokio::test]
async fn a_format_3_directory_is_upgraded_and_reviews_back_up() {
    let dir = tempfile::tempdir().unwrap();
    let store = reopen(dir.path());
    store.submit(new("ab", 2020, 1, "")).await.unwrap();
    // What format-3 code left: the same trees and log, no reviews, format 3.
    let meta = store.inner.db.open_tree("meta").unwrap();
    meta.insert("format", &FORMAT_UNREVIEWED.to_be_bytes())
        .unwrap();
    store.inner.db.drop_tree("reviews").unwrap();
    store.close().await.unwrap();
    drop((meta, store));
    let store = reopen(dir.path());
    assert!(store.damage().is_empty(), "{:?}", store.damage());
    let meta = store.inner.db.open_tree("meta").unwrap();
    assert_eq!(
        meta.get("format").unwrap().unwrap().as_ref(),
        FORMAT.to_be_bytes()
    );
    store
        .review(review("ab", 1, Decision::Accepted, ""))
        .await
        .unwrap();
    let v = store.verify(None, None).unwrap();
    assert!(v.breaks.is_empty(), "{:?}", v.breaks);
    // A backup holds the review; the restore verifies it.
    let mut archive = Vec::new();
    store.backup(&mut archive).unwrap();
    store.close().await.unwrap();
    let target = dir.path().join("restored");
    restore(&mut archive.as_slice(), &target).unwrap();
    let restored = reopen(&target);
    assert_eq!(
        restored.filing_state("ab", 2020).unwrap().unwrap().state,
        State::Accepted
    );
    assert_eq!(restored.verify(None, None).unwrap().reviews, 1);
}

#[tokio::test]
async fn a_review_without_its_log_entry_is_logged_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let store = reopen(dir.path());
    store.submit(new("ab", 2020, 1, "")).await.unwrap();
    let size = store.log_head().size;
    // As if a crash came between the review's insert and its log entry.
    store
        .review(review("ab", 1, Decision::Accepted, ""))
        .await
        .unwrap();
    let value = store
        .inner
        .reviews
        .get(revision_key("ab", 2020, 1).unwrap())
        .unwrap()
        .unwrap();
    store.close().await.unwrap();
    drop(store);
    let log = std::fs::read(dir.path().join(LOG_FILE)).unwrap();
    let frames = log::read_log(dir.path()).unwrap().frames;
    let keep: usize = frames[..size as usize].iter().map(|f| f.len() + 4).sum();
    std::fs::write(dir.path().join(LOG_FILE), &log[..keep]).unwrap();
    // The head names the cut log: rewrite it for `size` entries.
    let leaves: Vec<_> = frames[..size as usize]
        .iter()
        .map(|f| crate::merkle::leaf_hash(f))
        .collect();
    log::write_head(
        dir.path(),
        &LogHead {
            size,
            root: crate::merkle::root(&leaves),
        },
    )
    .unwrap();
    let store = reopen(dir.path());
    assert!(store.damage().is_empty(), "{:?}", store.damage());
    assert_eq!(store.log_head().size, size + 1);
    let v = store.verify(None, None).unwrap();
    assert!(v.breaks.is_empty(), "{:?}", v.breaks);
    assert_eq!(
        store
            .inner
            .reviews
            .get(revision_key("ab", 2020, 1).unwrap())
            .unwrap()
            .unwrap(),
        value
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_review_and_a_concurrent_amendment_serialise() {
    let dir = tempfile::tempdir().unwrap();
    let store = reopen(dir.path());
    for round in 0..20u8 {
        let org = format!("o{round}");
        store.submit(new(&org, 2020, 1, "")).await.unwrap();
        let (a, b) = (store.clone(), store.clone());
        let (o1, o2) = (org.clone(), org.clone());
        let amend = tokio::spawn(async move { a.submit(new(&o1, 2020, 2, "改")).await });
        let review =
            tokio::spawn(async move { b.review(review(&o2, 1, Decision::Returned, "退回")).await });
        let amended = amend.await.unwrap().unwrap();
        match review.await.unwrap() {
            // Reviewed first: the amendment links to the review.
            Ok(r) => assert_eq!(amended.revision.previous_hash, r.review.chain_hash),
            // Amended first: the review of revision 1 is stale.
            Err(StoreError::Stale {
                reviewed: 1,
                current: 2,
            }) => {}
            Err(e) => panic!("{e}"),
        }
        assert_eq!(
            store.filing_state(&org, 2020).unwrap().unwrap().state,
            State::Filed
        );
    }
    let v = store.verify(None, None).unwrap();
    assert!(v.breaks.is_empty(), "{:?}", v.breaks);
    store.close().await.unwrap();
}
