//! Who may submit for whom (issue 8), end to end against the real gxd: the role × RPC matrix,
//! tokens that are missing, malformed, unknown or revoked, secrets kept out of logs and out of
//! the data directory, TLS and mTLS, limits under overload, and tamper evidence.

#![allow(dead_code)]

mod cli;
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
