//! The connection to gxd as every command uses it: connecting, the body in force, the clients
//! of gxd's services, and the one map from a failed call to gxctl's exit code.

use std::future::Future;

use anyhow::Result;
use tonic::{Code, Status};

use gx::pb;
use gx::pb::org_service_client::OrgServiceClient;
use gx::pb::report_service_client::ReportServiceClient;

use crate::config::Connection;
use crate::connect::{self, AuthChannel};
use crate::exit::{Exit, Failure};

/// A connected client and the address it talks to (for messages).
pub struct Remote {
    pub client: ReportServiceClient<AuthChannel>,
    /// The same connection, for gxd's other services.
    pub channel: AuthChannel,
    pub server: String,
    pub org: Option<String>,
}

pub fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

fn host(server: &str) -> &str {
    server.split_once("://").map_or(server, |(_, h)| h)
}

/// The one map from a gRPC status code to gxctl's exit code (the table in `gxctl --help`):
/// every command that reports a failed call uses it.
pub fn exit_code(code: Code) -> Exit {
    match code {
        Code::InvalidArgument => Exit::Invalid,
        Code::NotFound => Exit::NotFound,
        Code::Unavailable => Exit::Unavailable,
        // The report or body changed meanwhile, or is already there.
        Code::FailedPrecondition | Code::Aborted | Code::AlreadyExists => Exit::Conflict,
        Code::Unauthenticated | Code::PermissionDenied => Exit::Denied,
        // A request over gxd's size limit (compressed or not), or an argument out of range.
        Code::OutOfRange => Exit::Usage,
        _ => Exit::Failure,
    }
}

fn unreachable(server: &str, why: &str) -> Failure {
    Failure::new(
        Exit::Unavailable,
        format!(
            "cannot reach gxd at {}: {why}{}",
            host(server),
            connect::hint(server, why)
        ),
    )
}

impl Remote {
    pub async fn connect(conn: &Connection) -> Result<Remote> {
        let resolved = conn.resolve()?;
        let bearer = connect::bearer(&resolved)?;
        let endpoint = connect::endpoint(&resolved)?;
        let (server, org) = (resolved.server, resolved.org);
        let channel = endpoint.connect().await.map_err(|e| {
            // The innermost cause says what happened ("Connection refused (os error 111)").
            let why = connect::innermost(&e);
            let why = match why.find(" (os error") {
                Some(i) => why[..i].to_lowercase(),
                None => why,
            };
            unreachable(&server, &why)
        })?;
        let channel = AuthChannel::new(channel, bearer);
        let client = ReportServiceClient::new(channel.clone())
            .max_decoding_message_size(64 * 1024 * 1024)
            .send_compressed(tonic::codec::CompressionEncoding::Gzip)
            .accept_compressed(tonic::codec::CompressionEncoding::Gzip);
        Ok(Remote {
            client,
            channel,
            server,
            org,
        })
    }

    /// Awaits a call to gxd: its answer, or the failure with its exit code.
    pub async fn call<T>(
        &self,
        call: impl Future<Output = Result<tonic::Response<T>, Status>>,
    ) -> Result<T> {
        call.await
            .map(tonic::Response::into_inner)
            .map_err(|s| self.fail(s))
    }

    /// gxd's ReportService (a handle on the same connection).
    pub fn reports(&self) -> ReportServiceClient<AuthChannel> {
        self.client.clone()
    }

    /// gxd's OrgService on the same connection.
    pub fn orgs(&self) -> OrgServiceClient<AuthChannel> {
        OrgServiceClient::new(self.channel.clone())
            .max_decoding_message_size(64 * 1024 * 1024)
            .send_compressed(tonic::codec::CompressionEncoding::Gzip)
            .accept_compressed(tonic::codec::CompressionEncoding::Gzip)
    }

    /// The org given on the command line, else the context's default.
    pub fn org(&self, given: Option<&str>) -> Result<String> {
        given
            .map(str::to_string)
            .or_else(|| self.org.clone())
            .ok_or_else(|| {
                Failure::new(
                    Exit::Usage,
                    "no reporting body given: pass ORG, --org, GX_ORG, or set a context's org \
                     (gxctl config set-context NAME --org ORG)",
                )
                .into()
            })
    }

    /// A failed call as a one-line failure with the right exit code.
    pub fn fail(&self, status: Status) -> anyhow::Error {
        let broken = status.message().starts_with("transport error")
            || status.message().starts_with("h2 protocol error");
        match exit_code(status.code()) {
            Exit::Unavailable => unreachable(&self.server, status.message()).into(),
            // The connection broke under the call (e.g. plaintext against TLS).
            Exit::Failure if broken => {
                unreachable(&self.server, &connect::innermost(&status)).into()
            }
            exit => Failure::new(exit, status.message().to_string()).into(),
        }
    }

    /// NOT_FOUND for (org, year): name the years that do exist.
    pub async fn not_found(&mut self, org: &str, year: u32) -> anyhow::Error {
        let mut years: Vec<u32> = Vec::new();
        if let Ok(resp) = self
            .client
            .list_reports(pb::ListReportsRequest {
                year: None,
                org_id_prefix: org.to_string(),
                page_size: 1000,
                page_token: String::new(),
            })
            .await
        {
            years = resp
                .into_inner()
                .reports
                .iter()
                .filter(|r| r.org.as_ref().is_some_and(|o| o.id == org))
                .map(|r| r.year)
                .collect();
        }
        let exist = match years.as_slice() {
            [] => "no reports exist for it".to_string(),
            ys => format!(
                "reports exist for {}",
                ys.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")
            ),
        };
        Failure::new(
            Exit::NotFound,
            format!("no report for {org} in {year} ({exist})"),
        )
        .into()
    }

    pub async fn get(
        &mut self,
        org: &str,
        year: u32,
        version: Option<pb::get_report_request::Version>,
    ) -> Result<pb::GetReportResponse> {
        // Asked for a revision or a time: the server's reason names what exists (the
        // latest revision, or when the first was submitted).
        let latest = version.is_none();
        match self
            .client
            .get_report(pb::GetReportRequest {
                org_id: org.to_string(),
                year,
                version,
            })
            .await
        {
            Ok(r) => Ok(r.into_inner()),
            Err(s) if s.code() == Code::NotFound && latest => Err(self.not_found(org, year).await),
            Err(s) => Err(self.fail(s)),
        }
    }
}
