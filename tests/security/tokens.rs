//! Tokens: missing, malformed, unknown, revoked; the bootstrap token; who submitted each
//! revision; secrets kept out of the logs and out of the data directory.

use gx::pb;
use gx::pb::token_service_client::TokenServiceClient;
use tonic::metadata::MetadataValue;
use tonic::Code;

use super::{gxd_run, issue, reason};
use crate::server::{assert_code, data_dir, sample_pb, start_with, submit_request};

/// A call with a raw `authorization` value.
async fn list_with(gxd: &crate::server::Gxd, authorization: &str) -> tonic::Status {
    let channel = gxd.channel_as(None).await;
    let mut req = tonic::Request::new(pb::ListReportsRequest::default());
    req.metadata_mut().insert(
        "authorization",
        MetadataValue::try_from(authorization).expect("ascii"),
    );
    pb::report_service_client::ReportServiceClient::new(channel)
        .list_reports(req)
        .await
        .expect_err("refused")
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_malformed_unknown_and_revoked_tokens() {
    let dir = data_dir();
    // With --public-read too: a broken credential is refused, not taken for none.
    let gxd = start_with(dir.path(), &["--public-read"]);
    super::bodies(&gxd).await;
    let filer = issue(&gxd, pb::Role::Filer, "621024101", false).await;
    let filer_id = filer.info.clone().expect("info").id;
    malformed_and_unknown_tokens_are_refused(&gxd, &filer_id).await;
    a_submission_needs_a_token(&gxd).await;
    the_filer_works_until_revoked(&gxd, &filer.token, &filer_id).await;
    listing_shows_no_secret_and_refuses_what_it_must(&gxd, &filer_id).await;
}

/// Malformed and unknown credentials; `filer_id` is a real token's id.
async fn malformed_and_unknown_tokens_are_refused(gxd: &crate::server::Gxd, filer_id: &str) {
    let unknown =
        "gx_0123456789abcdef_0000000000000000000000000000000000000000000000000000000000000000";
    // The right id with a wrong secret is as unknown as a wrong id.
    let forged = format!("gx_{filer_id}_{}", "f".repeat(64));
    for (value, want, why) in [
        (
            "Bearer nonsense",
            "TOKEN_MALFORMED",
            "not a gx bearer token",
        ),
        ("Basic dXNlcjpwYXNz", "TOKEN_MALFORMED", "Bearer scheme"),
        ("Bearer", "TOKEN_MALFORMED", "Bearer <token>"),
        (
            &format!("Bearer {unknown}"),
            "TOKEN_UNKNOWN",
            "unknown token 0123456789abcdef",
        ),
        (
            &format!("Bearer {forged}"),
            "TOKEN_UNKNOWN",
            "unknown token",
        ),
    ] {
        let s = list_with(gxd, value).await;
        assert_eq!(s.code(), Code::Unauthenticated, "{value}: {s:?}");
        assert_eq!(super::reason(&s), want, "{value}: {s:?}");
        assert!(s.message().contains(why), "{value}: {}", s.message());
    }
}

/// Missing: a submission needs a token even with --public-read.
async fn a_submission_needs_a_token(gxd: &crate::server::Gxd) {
    let s = gxd
        .client_as(None)
        .await
        .submit_report(submit_request(sample_pb(), ""))
        .await
        .expect_err("no token");
    assert_eq!(s.code(), Code::Unauthenticated);
    assert_eq!(reason(&s), "TOKEN_MISSING");
    assert!(
        s.message().starts_with("SubmitReport needs a bearer token"),
        "{}",
        s.message()
    );
}

/// The filer works until revoked, then fails at once.
async fn the_filer_works_until_revoked(gxd: &crate::server::Gxd, token: &str, filer_id: &str) {
    let mut as_filer = gxd.client_as(Some(token)).await;
    as_filer
        .submit_report(submit_request(sample_pb(), ""))
        .await
        .expect("the filer submits");
    let revoked = TokenServiceClient::new(gxd.channel().await)
        .revoke_token(pb::RevokeTokenRequest {
            id: filer_id.to_string(),
        })
        .await
        .expect("revoke")
        .into_inner()
        .info
        .expect("info");
    assert!(revoked.revoked_at.is_some());
    assert_eq!(
        revoked.revoked_by,
        token_id(gxd.admin_token.as_deref().unwrap())
    );
    let s = as_filer
        .list_reports(pb::ListReportsRequest::default())
        .await
        .expect_err("revoked");
    assert_eq!(s.code(), Code::Unauthenticated);
    assert_eq!(reason(&s), "TOKEN_REVOKED");
    assert!(
        s.message()
            .contains(&format!("token {filer_id} was revoked at ")),
        "{}",
        s.message()
    );
}

/// Listing shows no secret, revoked tokens only on request; the last active admin cannot be
/// revoked; a filer token without a body is refused, naming the field.
async fn listing_shows_no_secret_and_refuses_what_it_must(
    gxd: &crate::server::Gxd,
    filer_id: &str,
) {
    let mut tokens = TokenServiceClient::new(gxd.channel().await);
    let live = tokens
        .list_tokens(pb::ListTokensRequest::default())
        .await
        .unwrap()
        .into_inner()
        .tokens;
    assert!(live.iter().all(|t| t.id != filer_id));
    let all = tokens
        .list_tokens(pb::ListTokensRequest {
            include_revoked: true,
        })
        .await
        .unwrap()
        .into_inner()
        .tokens;
    assert!(all.iter().any(|t| t.id == filer_id));
    assert_eq!(all[0].created_by, "bootstrap");
    // The last active admin cannot be revoked.
    let last_admin = pb::RevokeTokenRequest {
        id: all[0].id.clone(),
    };
    let s = assert_code(
        tokens.revoke_token(last_admin).await,
        Code::FailedPrecondition,
    );
    assert!(s.message().contains("last active admin token"), "{s:?}");
    // A filer token without a body is refused, naming the field.
    let no_body = pb::CreateTokenRequest {
        role: pb::Role::Filer as i32,
        ..Default::default()
    };
    let s = assert_code(tokens.create_token(no_body).await, Code::InvalidArgument);
    assert!(
        s.message().starts_with("org: required for a filer token"),
        "{s:?}"
    );
}

fn token_id(token: &str) -> String {
    token[3..19].to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn revisions_record_their_submitter_and_no_secret_is_logged_or_stored() {
    let dir = data_dir();
    let gxd = start_with(dir.path(), &["--log-format", "json"]);
    super::bodies(&gxd).await;
    let admin = gxd.admin_token.clone().expect("bootstrap admin token");
    let filer = issue(&gxd, pb::Role::Filer, "621024101", false).await;
    let filer_id = filer.info.clone().expect("info").id;
    let mut c = gxd.client_as(Some(&filer.token)).await;
    let first = c
        .submit_report(submit_request(sample_pb(), ""))
        .await
        .expect("filer submits")
        .into_inner();
    let mut amended = sample_pb();
    amended
        .narrative
        .as_mut()
        .expect("narrative")
        .preamble
        .push_str("（修订）");
    gxd.client()
        .await
        .submit_report(submit_request(amended, "补充说明"))
        .await
        .expect("admin amends");
    let revs = crate::server::revisions_of(&mut c, "621024101", 2020).await;
    assert_eq!(revs[0].submitted_by, filer_id);
    assert_eq!(revs[1].submitted_by, token_id(&admin));
    // The chain: revision 2 links to revision 1; the submitter got revision 1's chain hash.
    assert_eq!(revs[0].previous_hash, "0".repeat(64));
    assert_eq!(revs[0].chain_hash, first.chain_hash);
    assert_eq!(revs[1].previous_hash, revs[0].chain_hash);
    // Failures with tokens too.
    let _ = gxd
        .client_as(Some(&format!("gx_{}_{}", filer_id, "0".repeat(64))))
        .await
        .list_reports(pb::ListReportsRequest::default())
        .await;
    drop(c);
    let data = gxd.data.clone();
    let (status, log) = gxd.stop_with_log().await;
    assert!(status.success(), "{log}");

    let secrets = [
        admin.as_str(),
        &admin[20..],
        filer.token.as_str(),
        &filer.token[20..],
    ];
    for s in secrets {
        assert!(!log.contains(s), "a token secret is in the log:\n{log}");
    }
    // The log names the token that made each call (its id, which is not secret).
    let submit = log
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|l| l["span"]["method"] == "/gx.v1.ReportService/SubmitReport")
        .expect("a submit event");
    assert_eq!(submit["span"]["token"], filer_id.as_str());

    // The data directory holds no token — except the bootstrap file written for gxctl.
    for entry in walk(&data) {
        if entry
            .file_name()
            .is_some_and(|n| n == gx::auth::ADMIN_TOKEN_FILE)
        {
            continue;
        }
        let bytes = std::fs::read(&entry).unwrap_or_default();
        for s in secrets {
            assert!(
                !bytes.windows(s.len()).any(|w| w == s.as_bytes()),
                "{} holds a token secret",
                entry.display()
            );
        }
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn bootstrap_once_and_offline_tokens() {
    let dir = data_dir();
    let gxd = start_with(dir.path(), &[]);
    super::bodies(&gxd).await;
    let file = dir.path().join(gx::auth::ADMIN_TOKEN_FILE);
    let admin = gxd.admin_token.clone().expect("bootstrap token");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "admin.token is the owner's only");
    }
    gxd.stop().await;
    // A restart does not issue another.
    let again = start_with(dir.path(), &[]);
    super::bodies(&again).await;
    assert_eq!(again.admin_token.as_deref(), Some(admin.as_str()));
    again.stop().await;

    // Offline, on the stopped data directory.
    let (code, out, err) = gxd_run(
        &[
            "token",
            "create",
            "--role",
            "filer",
            "--org",
            "621024101",
            "--note",
            "固城镇",
        ],
        dir.path(),
    );
    assert_eq!(code, 0, "{err}");
    let township = out.trim().to_string();
    assert!(township.starts_with("gx_") && township.len() == 84, "{out}");
    assert!(
        err.contains("issued filer token") && err.contains("for 621024101"),
        "{err}"
    );
    let (code, _, err) = gxd_run(&["token", "create", "--role", "filer"], dir.path());
    assert_eq!(code, 2, "a filer needs --org: {err}");
    assert!(err.contains("org: required for a filer token"), "{err}");
    let (code, out, _) = gxd_run(&["token", "list"], dir.path());
    assert_eq!(code, 0);
    assert!(
        out.contains("filer\t621024101") && out.contains("bootstrap"),
        "{out}"
    );
    assert!(!out.contains(&township[20..]), "no secret in the listing");

    let gxd = start_with(dir.path(), &[]);
    super::bodies(&gxd).await;
    gxd.client_as(Some(&township))
        .await
        .submit_report(submit_request(sample_pb(), ""))
        .await
        .expect("the offline-issued filer token works");
    // Offline commands refuse a data directory gxd holds, saying so.
    let (code, _, err) = gxd_run(&["token", "list"], dir.path());
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("in use by another process") && err.contains("stop gxd first"),
        "{err}"
    );
    gxd.stop().await;
    let (code, out, err) = gxd_run(&["token", "revoke", &township[3..19]], dir.path());
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("revoked token"), "{out}");
}
