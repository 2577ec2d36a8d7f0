//! Limits: an oversize request, a too-long narrative, a burst above the concurrency limit and
//! a call past the timeout get their codes, and gxd goes on serving.

use gx::pb;
use tonic::Code;

use super::reason;
use crate::server::{data_dir, sample_for, sample_pb, start_with, submit_request, violations};

fn with_preamble(bytes: usize) -> pb::Report {
    let mut r = sample_pb();
    r.narrative.as_mut().expect("narrative").preamble = "政".repeat(bytes / 3);
    r
}

#[tokio::test(flavor = "multi_thread")]
async fn oversize_and_too_long_narrative() {
    let dir = data_dir();
    let gxd = start_with(dir.path(), &["--max-message-bytes", "3000000"]);
    super::bodies(&gxd).await;
    let mut c = gxd.client().await;
    // Over the message limit: refused before decoding.
    let s = c
        .submit_report(submit_request(with_preamble(4_000_000), ""))
        .await
        .expect_err("oversize");
    assert_eq!(s.code(), Code::OutOfRange, "{s:?}");
    assert!(s.message().contains("3000000"), "{}", s.message());
    // Within it, but more narrative than a report may have (1 MiB).
    let s = c
        .submit_report(submit_request(with_preamble(1_500_000), ""))
        .await
        .expect_err("too long");
    assert_eq!(s.code(), Code::InvalidArgument);
    let v = violations(&s);
    assert_eq!(v[0].0, "report.narrative", "{v:?}");
    assert!(v[0].1.contains("at most 1048576"), "{v:?}");
    // Still serving.
    c.submit_report(submit_request(sample_pb(), ""))
        .await
        .expect("a normal report after the refusals");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_burst_above_the_limit_is_refused_at_once_and_gxd_keeps_serving() {
    let dir = data_dir();
    let gxd = start_with(dir.path(), &["--max-concurrent", "2"]);
    let ids: Vec<String> = (0..64).map(|i| format!("62102410{i:02}")).collect();
    super::bodies_with(&gxd, &ids).await;
    let clients = [gxd.client().await, gxd.client().await];
    let started = std::time::Instant::now();
    let calls = (0..64).map(|i| {
        let mut c = clients[i % 2].clone();
        async move {
            c.submit_report(submit_request(
                sample_for(&format!("62102410{i:02}"), 2020),
                "",
            ))
            .await
        }
    });
    let results = futures_join_all(calls).await;
    let elapsed = started.elapsed();
    let ok = results.iter().filter(|r| r.is_ok()).count();
    let refused: Vec<&tonic::Status> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(ok >= 1, "some calls get through");
    assert!(
        !refused.is_empty(),
        "a burst of 64 over a limit of 2 is partly refused"
    );
    for s in &refused {
        assert_eq!(s.code(), Code::ResourceExhausted, "{s:?}");
        assert_eq!(reason(s), "OVERLOADED");
        assert!(
            s.message().contains("limit of 2 calls in flight"),
            "{}",
            s.message()
        );
    }
    assert!(
        elapsed.as_secs() < 30,
        "refusals are immediate: {elapsed:?}"
    );
    // Health is exempt, and afterwards every call is served again.
    let mut h = tonic_health::pb::health_client::HealthClient::new(gxd.channel().await);
    h.check(tonic_health::pb::HealthCheckRequest::default())
        .await
        .expect("health");
    let list = clients[0]
        .clone()
        .list_reports(pb::ListReportsRequest::default())
        .await
        .expect("still serving")
        .into_inner();
    assert_eq!(
        list.reports.len(),
        ok,
        "exactly the accepted ones are stored"
    );
}

/// Awaits every future concurrently (tokio tasks), in order.
async fn futures_join_all<F, T>(fs: impl Iterator<Item = F>) -> Vec<T>
where
    F: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let handles: Vec<_> = fs.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.expect("task"));
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn a_call_past_the_timeout_is_deadline_exceeded() {
    let dir = data_dir();
    // Register the bodies first (with the 1 µs timeout nothing would complete), then restart.
    let first = start_with(dir.path(), &[]);
    let ids: Vec<String> = (0..10).map(|i| format!("62102420{i}")).collect();
    super::bodies_with(&first, &ids).await;
    assert!(first.stop().await.success());
    let gxd = start_with(dir.path(), &["--request-timeout", "0.000001"]);
    let mut c = gxd.client().await;
    // A report with a megabyte of narrative takes more than a microsecond to receive and
    // store; the timer's resolution is a millisecond, so allow a few tries.
    let mut timed_out = None;
    for i in 0..10 {
        let mut r = with_preamble(1_000_000);
        r.org.as_mut().expect("org").id = format!("62102420{i}");
        match c.submit_report(submit_request(r, "")).await {
            Ok(_) => continue,
            Err(s) => {
                timed_out = Some(s);
                break;
            }
        }
    }
    let s = timed_out.expect("a call past a 1 µs timeout");
    assert_eq!(s.code(), Code::DeadlineExceeded, "{s:?}");
    assert_eq!(reason(&s), "TIMEOUT");
    assert!(
        s.message()
            .contains("resubmitting the same content is safe"),
        "{}",
        s.message()
    );
    let (status, log) = gxd.stop_with_log().await;
    assert!(status.success(), "{log}");
}
