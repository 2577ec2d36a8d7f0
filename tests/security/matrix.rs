//! Every RPC × every kind of caller → the expected code.

use gx::pb;
use gx::pb::integrity_service_client::IntegrityServiceClient;
use gx::pb::token_service_client::TokenServiceClient;
use tonic::Code;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;

use super::issue;
use crate::server::{data_dir, sample_pb, start_with, submit_request, Channel, Gxd, ReportClient};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rpc {
    Submit,
    Validate,
    Get,
    List,
    Revisions,
    Diff,
    Render,
    CreateToken,
    ListTokens,
    RevokeToken,
    Verify,
    Health,
    Reflection,
}

const RPCS: [Rpc; 13] = [
    Rpc::Submit,
    Rpc::Validate,
    Rpc::Get,
    Rpc::List,
    Rpc::Revisions,
    Rpc::Diff,
    Rpc::Render,
    Rpc::CreateToken,
    Rpc::ListTokens,
    Rpc::RevokeToken,
    Rpc::Verify,
    Rpc::Health,
    Rpc::Reflection,
];

/// One call as `token`; `victim` is a token id RevokeToken may revoke.
async fn call(gxd: &Gxd, token: Option<&str>, rpc: Rpc, victim: &str) -> Result<(), tonic::Status> {
    match rpc {
        Rpc::Submit
        | Rpc::Validate
        | Rpc::Get
        | Rpc::List
        | Rpc::Revisions
        | Rpc::Diff
        | Rpc::Render => report_call(gxd.client_as(token).await, rpc).await,
        Rpc::CreateToken | Rpc::ListTokens | Rpc::RevokeToken => {
            token_call(gxd.channel_as(token).await, rpc, victim).await
        }
        Rpc::Verify | Rpc::Health | Rpc::Reflection => {
            service_call(gxd.channel_as(token).await, rpc).await
        }
    }
}

/// 固城镇's 2020 report, at `revision` (none: the latest).
fn the_sample(revision: Option<u32>) -> Option<pb::ReportRef> {
    Some(pb::ReportRef {
        year: 2020,
        version: revision.map(pb::report_ref::Version::Revision),
    })
}

/// A ReportService call, about the sample the admin stored.
async fn report_call(mut c: ReportClient, rpc: Rpc) -> Result<(), tonic::Status> {
    let org_id = String::from("621024101");
    match rpc {
        Rpc::Submit => c
            .submit_report(submit_request(sample_pb(), ""))
            .await
            .map(drop),
        Rpc::Validate => c
            .validate_report(pb::ValidateReportRequest {
                report: Some(sample_pb()),
            })
            .await
            .map(drop),
        Rpc::Get => c
            .get_report(pb::GetReportRequest {
                org_id,
                year: 2020,
                version: None,
            })
            .await
            .map(drop),
        Rpc::List => c
            .list_reports(pb::ListReportsRequest::default())
            .await
            .map(drop),
        Rpc::Revisions => c
            .list_revisions(pb::ListRevisionsRequest { org_id, year: 2020 })
            .await
            .map(drop),
        Rpc::Diff => c
            .diff_reports(pb::DiffReportsRequest {
                org_id,
                old: the_sample(Some(1)),
                new: the_sample(None),
                all: false,
            })
            .await
            .map(drop),
        Rpc::Render => c
            .render_report(pb::RenderReportRequest {
                org_id,
                report: the_sample(None),
                format: 0,
            })
            .await
            .map(drop),
        other => panic!("{other:?} is not a ReportService call"),
    }
}

/// A TokenService call; `victim` is a token id RevokeToken may revoke.
async fn token_call(channel: Channel, rpc: Rpc, victim: &str) -> Result<(), tonic::Status> {
    let mut c = TokenServiceClient::new(channel);
    match rpc {
        Rpc::CreateToken => c
            .create_token(pb::CreateTokenRequest {
                role: pb::Role::Reader as i32,
                ..Default::default()
            })
            .await
            .map(drop),
        Rpc::ListTokens => c
            .list_tokens(pb::ListTokensRequest::default())
            .await
            .map(drop),
        Rpc::RevokeToken => c
            .revoke_token(pb::RevokeTokenRequest {
                id: victim.to_string(),
            })
            .await
            .map(drop),
        other => panic!("{other:?} is not a TokenService call"),
    }
}

/// IntegrityService, health and reflection.
async fn service_call(channel: Channel, rpc: Rpc) -> Result<(), tonic::Status> {
    match rpc {
        Rpc::Verify => IntegrityServiceClient::new(channel)
            .verify_chains(pb::VerifyChainsRequest::default())
            .await
            .map(drop),
        Rpc::Health => HealthClient::new(channel)
            .check(HealthCheckRequest {
                service: String::new(),
            })
            .await
            .map(drop),
        Rpc::Reflection => {
            use tonic_reflection::pb::v1 as r;
            let mut c = r::server_reflection_client::ServerReflectionClient::new(channel);
            let req = r::ServerReflectionRequest {
                host: String::new(),
                message_request: Some(r::server_reflection_request::MessageRequest::ListServices(
                    String::new(),
                )),
            };
            let mut s = c
                .server_reflection_info(tokio_stream::iter(vec![req]))
                .await?
                .into_inner();
            s.message().await.map(drop)
        }
        other => panic!("{other:?} is not an IntegrityService, health or reflection call"),
    }
}

use Code::{Ok as OK, PermissionDenied as PD, Unauthenticated as UA};

/// Expected codes, in the order of [`RPCS`].
fn expected(who: &str) -> [Code; 13] {
    // Submit Valid Get List Revs Diff Render | Create ListT Revoke | Verify | Health Refl
    match who {
        "none" => [UA, UA, UA, UA, UA, UA, UA, UA, UA, UA, UA, OK, OK],
        "none, --public-read" => [UA, OK, OK, OK, OK, OK, OK, UA, UA, UA, UA, OK, OK],
        "reader" => [PD, OK, OK, OK, OK, OK, OK, PD, PD, PD, OK, OK, OK],
        "filer of the body" => [OK, OK, OK, OK, OK, OK, OK, PD, PD, PD, OK, OK, OK],
        "filer of another body" => [PD, OK, OK, OK, OK, OK, OK, PD, PD, PD, OK, OK, OK],
        "filer of the county, no subtree" => [PD, OK, OK, OK, OK, OK, OK, PD, PD, PD, OK, OK, OK],
        "filer of the county with subtree" => [OK, OK, OK, OK, OK, OK, OK, PD, PD, PD, OK, OK, OK],
        "admin" => [OK; 13],
        other => panic!("no row for {other}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_rpc_for_every_role() {
    let dir = data_dir();
    let private = start_with(dir.path(), &[]);
    super::bodies(&private).await;
    // The report every read looks for.
    private
        .client()
        .await
        .submit_report(submit_request(sample_pb(), ""))
        .await
        .expect("the admin submits");
    let reader = issue(&private, pb::Role::Reader, "", false).await.token;
    let own = issue(&private, pb::Role::Filer, "621024101", false)
        .await
        .token;
    let other = issue(&private, pb::Role::Filer, "621024102", false)
        .await
        .token;
    let county = issue(&private, pb::Role::Filer, "621024", false)
        .await
        .token;
    let county_tree = issue(&private, pb::Role::Filer, "621024", true).await.token;
    let admin = private.admin_token.clone().expect("bootstrap admin token");
    let callers: Vec<(&str, Option<&str>)> = vec![
        ("none", None),
        ("reader", Some(&reader)),
        ("filer of the body", Some(&own)),
        ("filer of another body", Some(&other)),
        ("filer of the county, no subtree", Some(&county)),
        ("filer of the county with subtree", Some(&county_tree)),
        ("admin", Some(&admin)),
    ];
    let mut failures = Vec::new();
    for (who, token) in &callers {
        for (rpc, want) in RPCS.iter().zip(expected(who)) {
            let victim = issue(&private, pb::Role::Reader, "", false).await;
            let victim = victim.info.expect("info").id;
            let got = call(&private, *token, *rpc, &victim).await;
            let code = got.as_ref().err().map_or(Code::Ok, |s| s.code());
            if code != want {
                failures.push(format!(
                    "{who:>34} × {rpc:?}: {code:?}, expected {want:?} ({got:?})"
                ));
            }
            if let Err(s) = &got {
                if s.code() == PD {
                    assert!(
                        s.message().contains(" needs "),
                        "{who} {rpc:?}: {}",
                        s.message()
                    );
                }
            }
        }
    }
    // The same anonymous calls against a gxd serving reads publicly.
    private.stop().await;
    let public = start_with(dir.path(), &["--public-read"]);
    super::bodies(&public).await;
    let admin_victims = issue(&public, pb::Role::Reader, "", false)
        .await
        .info
        .expect("info")
        .id;
    for (rpc, want) in RPCS.iter().zip(expected("none, --public-read")) {
        let got = call(&public, None, *rpc, &admin_victims).await;
        let code = got.as_ref().err().map_or(Code::Ok, |s| s.code());
        if code != want {
            failures.push(format!(
                "none, --public-read × {rpc:?}: {code:?}, expected {want:?} ({got:?})"
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[tokio::test(flavor = "multi_thread")]
async fn denials_say_what_was_needed() {
    let dir = data_dir();
    let gxd = start_with(dir.path(), &[]);
    super::bodies(&gxd).await;
    let other = issue(&gxd, pb::Role::Filer, "621024102", false).await;
    let s = gxd
        .client_as(Some(&other.token))
        .await
        .submit_report(submit_request(sample_pb(), ""))
        .await
        .expect_err("another body's filer");
    assert_eq!(s.code(), Code::PermissionDenied);
    let id = other.info.expect("info").id;
    assert_eq!(
        s.message(),
        format!(
            "permission denied: SubmitReport for 621024101 needs a filer token for 621024101 \
             (or for a body it is within, issued with --subtree), or an admin token; token {id} \
             is a filer token for 621024102"
        )
    );
    assert_eq!(super::reason(&s), "PERMISSION_DENIED");
    let reader = issue(&gxd, pb::Role::Reader, "", false).await;
    let s = TokenServiceClient::new(gxd.channel_as(Some(&reader.token)).await)
        .list_tokens(pb::ListTokensRequest::default())
        .await
        .expect_err("a reader");
    assert_eq!(s.code(), Code::PermissionDenied);
    assert!(
        s.message()
            .starts_with("permission denied: ListTokens needs an admin token; token "),
        "{}",
        s.message()
    );
    // Nothing was stored by the refused submission.
    let list = gxd
        .client()
        .await
        .list_reports(pb::ListReportsRequest::default())
        .await
        .expect("list")
        .into_inner();
    assert!(list.reports.is_empty());
}
