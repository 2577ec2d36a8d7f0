//! Storing reports: round trip, revisions, idempotency, concurrency, restarts.

use std::collections::BTreeSet;
use std::time::SystemTime;

use gx::pb;
use gx::pb::get_report_request::Version;
use tonic::Code;
use tonic_types::StatusExt;

use super::{assert_code, data_dir, register, sample_for, sample_pb, start_in, submit_request};

fn get(org_id: &str, year: u32, version: Option<Version>) -> pb::GetReportRequest {
    pb::GetReportRequest {
        org_id: org_id.into(),
        year,
        version,
    }
}

fn revisions(org_id: &str, year: u32) -> pb::ListRevisionsRequest {
    pb::ListRevisionsRequest {
        org_id: org_id.into(),
        year,
    }
}

/// The report as gxd stores it: read into the model and written back.
fn canonical(r: &pb::Report) -> pb::Report {
    gx::grpc::convert::report_to_pb(&gx::grpc::convert::report_from_pb(r).expect("valid shape"))
}

#[tokio::test]
async fn submit_get_list_revisions_round_trip() {
    let dir = data_dir();
    let gxd = start_in(dir.path());
    register(&gxd, &["621024101"]).await;
    let mut c = gxd.client().await;
    let report = sample_pb();
    let org = report.org.clone().unwrap();

    let sub = c
        .submit_report(submit_request(report.clone(), ""))
        .await
        .expect("the sample is accepted")
        .into_inner();
    assert_eq!(sub.revision, 1);
    assert!(sub.created);
    assert_eq!(sub.content_hash.len(), 64);
    assert!(!sub.submission_id.is_empty());
    // The warnings are exactly those of the offline rules.
    let offline: Vec<pb::Finding> =
        gx::validate(&gx::grpc::convert::report_from_pb(&report).unwrap())
            .findings
            .iter()
            .map(pb::Finding::from)
            .collect();
    assert_eq!(sub.warnings, offline);

    let got = c
        .get_report(get(&org.id, 2020, None))
        .await
        .expect("get")
        .into_inner();
    assert_eq!(got.report.as_ref(), Some(&canonical(&report)));
    let meta = got.revision.expect("metadata");
    assert_eq!(meta.revision, 1);
    assert_eq!(meta.org_id, org.id);
    assert_eq!(meta.year, 2020);
    assert_eq!(meta.content_hash, sub.content_hash);
    assert_eq!(meta.submission_id, sub.submission_id);
    assert_eq!(meta.submitted_at, sub.submitted_at);
    assert_eq!(meta.warnings, sub.warnings);

    let list = c
        .list_reports(pb::ListReportsRequest::default())
        .await
        .expect("list")
        .into_inner();
    assert_eq!(list.reports.len(), 1);
    let s = &list.reports[0];
    assert_eq!(s.org.as_ref(), Some(&org));
    assert_eq!((s.year, s.revision), (2020, 1));
    assert_eq!(s.edition, pb::Edition::Edition2019 as i32);
    assert_eq!(s.content_hash, sub.content_hash);
    assert_eq!(s.warning_count as usize, sub.warnings.len());
    assert!(list.next_page_token.is_empty());

    let revs = c
        .list_revisions(revisions(&org.id, 2020))
        .await
        .expect("revisions")
        .into_inner()
        .revisions;
    assert_eq!(revs.len(), 1);
    assert_eq!(revs[0], meta);

    // ValidateReport: the same answer, nothing stored.
    let other = sample_for("validate-only", 2020);
    let v = c
        .validate_report(pb::ValidateReportRequest {
            report: Some(other.clone()),
        })
        .await
        .expect("validate")
        .into_inner();
    assert_eq!(v.warnings, sub.warnings);
    let s = assert_code(
        c.get_report(get("validate-only", 2020, None)).await,
        Code::NotFound,
    );
    assert!(s.message().contains("validate-only"), "{s:?}");
}

#[tokio::test]
async fn resubmitting_the_same_content_returns_the_same_revision() {
    let dir = data_dir();
    let gxd = start_in(dir.path());
    register(&gxd, &["621024101"]).await;
    let mut c = gxd.client().await;
    let report = sample_pb();
    let first = c
        .submit_report(submit_request(report.clone(), "first"))
        .await
        .unwrap()
        .into_inner();
    // Same content, different reason: content excludes the reason.
    let again = c
        .submit_report(submit_request(report.clone(), "retry"))
        .await
        .unwrap()
        .into_inner();
    assert!(!again.created);
    assert_eq!(again.revision, first.revision);
    assert_eq!(again.submission_id, first.submission_id);
    assert_eq!(again.content_hash, first.content_hash);
    assert_eq!(again.submitted_at, first.submitted_at);

    // Content is the canonical form: leaving the edition to the year, or spelling out blank
    // rows, says the same thing.
    let mut loose = report.clone();
    loose.edition = pb::Edition::Unspecified as i32;
    let same = c
        .submit_report(submit_request(loose, ""))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(same.revision, 1);
    assert_eq!(same.content_hash, first.content_hash);

    let revs = c
        .list_revisions(revisions("621024101", 2020))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(revs.revisions.len(), 1);
    assert_eq!(revs.revisions[0].reason, "first");
}

fn amended(report: &pb::Report, note: &str) -> pb::Report {
    let mut r = report.clone();
    let n = r.narrative.get_or_insert_with(Default::default);
    n.preamble = format!("{}{note}", n.preamble);
    r
}

#[tokio::test]
async fn amendments_conflicts_and_as_of() {
    let dir = data_dir();
    let gxd = start_in(dir.path());
    register(&gxd, &["621024101"]).await;
    let mut c = gxd.client().await;
    let r1 = sample_pb();
    let org_id = r1.org.as_ref().unwrap().id.clone();
    let r2 = create_then_amend_with_a_reason(&mut c, &r1).await;
    let r3 = a_stale_expected_revision_conflicts(&mut c, &r2).await;
    let revs = every_revision_stays_as_it_was(&mut c, &org_id, [&r1, &r2, &r3]).await;
    as_of_reads_what_was_current(&mut c, &org_id, &revs).await;
}

/// `r1` created with expected_revision 0 (create only), then amended: an amendment needs a
/// reason. Returns the amended report (revision 2).
async fn create_then_amend_with_a_reason(
    c: &mut super::ReportClient,
    r1: &pb::Report,
) -> pb::Report {
    let mut req = submit_request(r1.clone(), "");
    req.expected_revision = Some(0);
    let s1 = c.submit_report(req).await.unwrap().into_inner();
    assert_eq!(s1.revision, 1);

    let r2 = amended(r1, "（更正）");
    let s = assert_code(
        c.submit_report(submit_request(r2.clone(), "  ")).await,
        Code::FailedPrecondition,
    );
    assert!(s.message().starts_with("reason:"), "{s:?}");

    let s2 = c
        .submit_report(submit_request(r2.clone(), "更正前言"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(s2.revision, 2);
    assert!(s2.created);
    assert_ne!(s2.content_hash, s1.content_hash);
    r2
}

/// Optimistic concurrency: a stale expected_revision names the current one; the fresh one
/// stores revision 3 (returned).
async fn a_stale_expected_revision_conflicts(
    c: &mut super::ReportClient,
    r2: &pb::Report,
) -> pb::Report {
    let r3 = amended(r2, "（再更正）");
    let mut stale = submit_request(r3.clone(), "再次更正");
    stale.expected_revision = Some(1);
    let s = assert_code(c.submit_report(stale).await, Code::FailedPrecondition);
    assert!(s.message().contains("current revision is 2"), "{s:?}");
    let info = s.get_error_details();
    let info = info.error_info().expect("ErrorInfo");
    assert_eq!(info.reason, "REVISION_CONFLICT");
    assert_eq!(
        info.metadata.get("current_revision").map(String::as_str),
        Some("2")
    );
    let mut fresh = submit_request(r3.clone(), "再次更正");
    fresh.expected_revision = Some(2);
    let s3 = c.submit_report(fresh).await.unwrap().into_inner();
    assert_eq!(s3.revision, 3);
    r3
}

/// Every revision (of `reports`, in order) stays as it was, with its reason; there is no
/// revision 4. Returns the revisions as listed.
async fn every_revision_stays_as_it_was(
    c: &mut super::ReportClient,
    org_id: &str,
    reports: [&pb::Report; 3],
) -> Vec<pb::RevisionInfo> {
    for (n, r) in (1..).zip(reports) {
        let got = c
            .get_report(get(org_id, 2020, Some(Version::Revision(n))))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(got.report.as_ref(), Some(&canonical(r)), "revision {n}");
    }
    let revs = super::revisions_of(c, org_id, 2020).await;
    let reasons: Vec<_> = revs
        .iter()
        .map(|r| (r.revision, r.reason.as_str()))
        .collect();
    assert_eq!(reasons, [(1, ""), (2, "更正前言"), (3, "再次更正")]);
    let s = assert_code(
        c.get_report(get(org_id, 2020, Some(Version::Revision(4))))
            .await,
        Code::NotFound,
    );
    assert!(s.message().contains("latest is 3"), "{s:?}");
    revs
}

/// as_of: what was current at each instant of `revs`; nothing before the first; the latest
/// now.
async fn as_of_reads_what_was_current(
    c: &mut super::ReportClient,
    org_id: &str,
    revs: &[pb::RevisionInfo],
) {
    let at = |r: &pb::RevisionInfo| r.submitted_at.unwrap();
    for (i, rev) in revs.iter().enumerate() {
        let got = c
            .get_report(get(org_id, 2020, Some(Version::AsOf(at(rev)))))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(got.revision.unwrap().revision, i as u32 + 1);
    }
    let mut before = at(&revs[0]);
    before.seconds -= 1;
    let s = assert_code(
        c.get_report(get(org_id, 2020, Some(Version::AsOf(before))))
            .await,
        Code::NotFound,
    );
    assert!(s.message().contains("no revision at"), "{s:?}");
    let now = prost_types::Timestamp::from(SystemTime::now());
    let latest = c
        .get_report(get(org_id, 2020, Some(Version::AsOf(now))))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(latest.revision.unwrap().revision, 3);
}

#[tokio::test]
async fn listing_is_ordered_filtered_and_paged() {
    let dir = data_dir();
    let gxd = start_in(dir.path());
    register(&gxd, &["a", "b", "ab", "a1"]).await;
    let mut c = gxd.client().await;
    let keys = [
        ("b", 2020),
        ("a", 2021),
        ("a", 2019),
        ("ab", 2020),
        ("a1", 2020),
    ];
    for (org, year) in keys {
        let r = sample_for(org, year);
        c.submit_report(submit_request(r, "")).await.unwrap();
    }
    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let page = c
            .list_reports(pb::ListReportsRequest {
                page_size: 2,
                page_token: token.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert!(page.reports.len() <= 2);
        seen.extend(
            page.reports
                .iter()
                .map(|s| (s.org.clone().unwrap().id, s.year)),
        );
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    let expected: Vec<(String, u32)> = [
        ("a", 2019),
        ("a", 2021),
        ("a1", 2020),
        ("ab", 2020),
        ("b", 2020),
    ]
    .iter()
    .map(|(o, y)| (o.to_string(), *y))
    .collect();
    assert_eq!(seen, expected);

    let by_prefix = c
        .list_reports(pb::ListReportsRequest {
            org_id_prefix: "a".into(),
            year: Some(2020),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let got: Vec<_> = by_prefix
        .reports
        .iter()
        .map(|s| s.org.clone().unwrap().id)
        .collect();
    assert_eq!(got, ["a1", "ab"]);
}

#[tokio::test]
async fn concurrent_submissions_are_all_acknowledged_and_survive_a_restart() {
    let dir = data_dir();
    let gxd = start_in(dir.path());
    let mut ids: Vec<String> = (0..48).map(|i| format!("org-{i:02}")).collect();
    ids.push("shared".into());
    register(&gxd, &ids.iter().map(String::as_str).collect::<Vec<_>>()).await;
    let channel = gxd.channel().await;
    // 48 distinct reports and 16 amendments racing on one report.
    let mut tasks = Vec::new();
    for i in 0..64u32 {
        let mut c = pb::report_service_client::ReportServiceClient::new(channel.clone());
        tasks.push(tokio::spawn(async move {
            let (report, reason) = if i < 48 {
                (
                    sample_for(&format!("org-{i:02}"), 2019 + i % 2),
                    String::new(),
                )
            } else {
                (
                    amended(&sample_for("shared", 2020), &format!("#{i}")),
                    format!("amendment {i}"),
                )
            };
            c.submit_report(submit_request(report, &reason))
                .await
                .map(|r| r.into_inner())
        }));
    }
    let mut acked = Vec::new();
    for t in tasks {
        acked.push(
            t.await
                .expect("task")
                .expect("every submission is acknowledged"),
        );
    }
    let shared: BTreeSet<u32> = acked[48..].iter().map(|s| s.revision).collect();
    assert_eq!(shared, (1..=16).collect(), "one revision each, no gaps");

    let status = gxd.stop().await;
    assert!(status.success(), "clean shutdown: {status}");

    let gxd = start_in(dir.path());
    let mut c = gxd.client().await;
    let list = c
        .list_reports(pb::ListReportsRequest {
            page_size: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(list.reports.len(), 49);
    for (i, s) in acked.iter().enumerate().take(48) {
        let got = c
            .get_report(get(&format!("org-{i:02}"), 2019 + i as u32 % 2, None))
            .await
            .expect("present after restart")
            .into_inner();
        assert_eq!(got.revision.unwrap().content_hash, s.content_hash);
    }
    let revs = c
        .list_revisions(revisions("shared", 2020))
        .await
        .unwrap()
        .into_inner()
        .revisions;
    assert_eq!(revs.len(), 16);
    for s in &acked[48..] {
        let r = &revs[s.revision as usize - 1];
        assert_eq!(r.submission_id, s.submission_id);
        assert_eq!(r.content_hash, s.content_hash);
    }
}

/// All reports listed, and the revisions of the sample's report.
async fn reports_and_revisions(
    c: &mut super::ReportClient,
) -> (pb::ListReportsResponse, pb::ListRevisionsResponse) {
    let list = c
        .list_reports(pb::ListReportsRequest::default())
        .await
        .unwrap()
        .into_inner();
    let revs = c
        .list_revisions(revisions("621024101", 2020))
        .await
        .unwrap()
        .into_inner();
    (list, revs)
}

#[tokio::test]
async fn a_restart_keeps_everything() {
    let dir = data_dir();
    let gxd = start_in(dir.path());
    register(&gxd, &["621024101", "other"]).await;
    let mut c = gxd.client().await;
    let r1 = sample_pb();
    c.submit_report(submit_request(r1.clone(), ""))
        .await
        .unwrap();
    c.submit_report(submit_request(amended(&r1, "。"), "补充"))
        .await
        .unwrap();
    c.submit_report(submit_request(sample_for("other", 2019), ""))
        .await
        .unwrap();
    let before = reports_and_revisions(&mut c).await;
    drop(c);
    assert!(gxd.stop().await.success());

    let gxd = start_in(dir.path());
    let mut c = gxd.client().await;
    let after = reports_and_revisions(&mut c).await;
    assert_eq!(after.0, before.0);
    assert_eq!(after.1, before.1);
    // And it goes on numbering from there.
    let s = c
        .submit_report(submit_request(amended(&r1, "！"), "再补充"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(s.revision, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load_keeps_every_acknowledged_submission() {
    let dir = data_dir();
    let gxd = start_in(dir.path());
    let ids: Vec<String> = (0..32).map(|t| format!("load-{t:02}")).collect();
    register(&gxd, &ids.iter().map(String::as_str).collect::<Vec<_>>()).await;
    let channel = gxd.channel().await;
    let mut tasks = Vec::new();
    for t in 0..32u32 {
        let mut c = pb::report_service_client::ReportServiceClient::new(channel.clone());
        tasks.push(tokio::spawn(async move {
            let base = sample_for(&format!("load-{t:02}"), 2020);
            let mut acked = Vec::new();
            for i in 0..500u32 {
                let req = submit_request(amended(&base, &format!("#{i}")), &format!("r{i}"));
                match c.submit_report(req).await {
                    Ok(r) => acked.push((t, r.into_inner())),
                    Err(_) => break,
                }
            }
            acked
        }));
    }
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    gxd.terminate();
    let mut acked = Vec::new();
    for task in tasks {
        acked.extend(task.await.expect("task"));
    }
    drop(channel);
    let (status, log) = gxd.wait().await;
    assert!(status.success(), "{log}");
    assert!(!acked.is_empty());

    let gxd = start_in(dir.path());
    let mut c = gxd.client().await;
    for (t, s) in &acked {
        let got = c
            .get_report(get(
                &format!("load-{t:02}"),
                2020,
                Some(Version::Revision(s.revision)),
            ))
            .await
            .expect("every acknowledged revision is there after the restart")
            .into_inner();
        let meta = got.revision.unwrap();
        assert_eq!(meta.content_hash, s.content_hash);
        assert_eq!(meta.submission_id, s.submission_id);
    }
    // And nothing was stored that was not acknowledged: the calls in flight got their
    // answers before the connections closed.
    for t in 0..32u32 {
        let org = format!("load-{t:02}");
        let stored = super::revisions_of(&mut c, &org, 2020).await.len();
        let answered = acked.iter().filter(|(a, _)| *a == t).count();
        assert_eq!(
            stored, answered,
            "{org}: stored {stored}, acknowledged {answered}"
        );
    }
}
