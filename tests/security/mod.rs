//! Who may submit for whom (issue 8), end to end against the real gxd: the role × RPC matrix,
//! tokens that are missing, malformed, unknown or revoked, secrets kept out of logs and out of
//! the data directory, TLS and mTLS, limits under overload, and tamper evidence.

#![allow(dead_code)]

mod backup;
mod cli;
mod corruption;
mod crash;
mod limits;
mod matrix;
mod tamper;
mod tls;
mod tokens;

use gx::pb;
use gx::pb::token_service_client::TokenServiceClient;
use tonic::Status;
use tonic_types::StatusExt;

use crate::server::Gxd;

/// Issues a token through the TokenService as gxd's bootstrap admin.
pub async fn issue(gxd: &Gxd, role: pb::Role, org: &str, subtree: bool) -> pb::CreateTokenResponse {
    TokenServiceClient::new(gxd.channel().await)
        .create_token(pb::CreateTokenRequest {
            role: role as i32,
            org: org.into(),
            subtree,
            note: format!("test {role:?} {org}"),
        })
        .await
        .expect("the admin issues a token")
        .into_inner()
}

/// The `google.rpc.ErrorInfo` reason of a status ("" without one).
pub fn reason(s: &Status) -> String {
    s.get_details_error_info()
        .map(|i| i.reason)
        .unwrap_or_default()
}

/// Runs the real gxd binary with `args` (offline commands) and returns (code, stdout, stderr).
pub fn gxd_run(args: &[&str], data: &std::path::Path) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gxd"))
        .args(args)
        .arg("--data")
        .arg(data)
        .env_remove("RUST_LOG")
        .output()
        .expect("gxd runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The bodies these tests file for: 合水县 (621024), three of its townships
/// (621024101–621024103) and `extra` townships, so that reports naming them are accepted and
/// subtree tokens of the county cover the townships.
pub fn bodies_request(extra: &[String]) -> pb::ImportOrgsRequest {
    let body = |id: &str, name: &str, level: pb::OrgLevel, parent: &str| pb::Body {
        id: id.into(),
        name: name.into(),
        level: level as i32,
        parent: parent.into(),
        ..Default::default()
    };
    let mut list = vec![body("621024", "合水县", pb::OrgLevel::County, "")];
    for (id, name) in [
        ("621024101", "固城镇"),
        ("621024102", "太白镇"),
        ("621024103", "老城镇"),
    ] {
        list.push(body(id, name, pb::OrgLevel::Township, "621024"));
    }
    for id in extra {
        list.push(body(
            id,
            &format!("测试镇 {id}"),
            pb::OrgLevel::Township,
            "621024",
        ));
    }
    pb::ImportOrgsRequest {
        bodies: list,
        update: false,
    }
}

/// Registers [`bodies_request`]'s bodies as gxd's bootstrap admin.
pub async fn bodies(gxd: &Gxd) {
    bodies_with(gxd, &[]).await;
}

pub async fn bodies_with(gxd: &Gxd, extra: &[String]) {
    crate::server::org_client(gxd)
        .await
        .import_orgs(bodies_request(extra))
        .await
        .expect("bodies registered");
}

/// The sample of `org` for 2020, amended `n` times (its preamble grows).
pub fn amended(org: &str, n: usize) -> pb::Report {
    let mut r = crate::server::sample_for(org, 2020);
    r.narrative
        .as_mut()
        .expect("narrative")
        .preamble
        .push_str(&"（修订）".repeat(n));
    r
}

/// Stores `revisions` revisions of each body's 2020 report, then stops gxd; returns the admin
/// token.
pub async fn store_revisions(gxd: Gxd, plan: &[(&str, usize)]) -> String {
    let mut c = gxd.client().await;
    for &(org, revisions) in plan {
        for n in 0..revisions {
            let reason = if n == 0 { "" } else { "补充说明" };
            c.submit_report(crate::server::submit_request(amended(org, n), reason))
                .await
                .expect("submit");
        }
    }
    drop(c);
    let token = gxd.admin_token.clone().expect("admin token");
    gxd.stop().await;
    token
}
