//! gxd end to end: the real binary on `127.0.0.1:0` with a temporary data directory, driven
//! by the generated tonic client (and, in `interop`, by Python grpcio).

#![allow(dead_code)]

mod bad_input;
mod contract;
mod interop;
mod ops;
mod orgs;
mod reports;
mod watch;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use gx::pb;
use gx::pb::report_service_client::ReportServiceClient;
use tonic::metadata::MetadataValue;
use tonic::service::interceptor::InterceptedService;
use tonic::{Code, Status};
use tonic_types::StatusExt;

/// A channel that sends a bearer token (or none) with every call.
pub type Channel = InterceptedService<tonic::transport::Channel, Token>;

/// Adds `authorization: Bearer <token>` to every call.
#[derive(Clone, Debug, Default)]
pub struct Token(pub Option<String>);

impl tonic::service::Interceptor for Token {
    fn call(&mut self, mut r: tonic::Request<()>) -> Result<tonic::Request<()>, Status> {
        if let Some(t) = &self.0 {
            let v = MetadataValue::try_from(format!("Bearer {t}"))
                .map_err(|_| Status::internal("test token is not a metadata value"))?;
            r.metadata_mut().insert("authorization", v);
        }
        Ok(r)
    }
}

/// A running gxd. Killed when dropped; [`Gxd::stop`] stops it as an operator would.
pub struct Gxd {
    child: Option<Child>,
    pub addr: SocketAddr,
    pub data: PathBuf,
    pub stderr: PathBuf,
    /// The admin token gxd wrote to `<data>/admin.token` on its first start.
    pub admin_token: Option<String>,
    _stdout: BufReader<ChildStdout>,
}

/// Starts gxd on `data`; returns the first line's address.
pub fn start_in(data: &Path) -> Gxd {
    start_with(data, &[])
}

/// Starts gxd on `data` with extra arguments.
pub fn start_with(data: &Path, extra: &[&str]) -> Gxd {
    static STARTS: AtomicUsize = AtomicUsize::new(0);
    let n = STARTS.fetch_add(1, Ordering::Relaxed);
    let stderr = data.with_extension(format!("gxd-{}-{n}.log", std::process::id()));
    let mut child = Command::new(env!("CARGO_BIN_EXE_gxd"))
        .args(["--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .args(extra)
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&stderr).expect("stderr log"))
        .spawn()
        .expect("gxd starts");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = String::new();
    let n = stdout.read_line(&mut first).expect("read gxd stdout");
    if n == 0 {
        let status = child.wait().expect("wait");
        panic!(
            "gxd exited ({status}) before printing its address:\n{}",
            std::fs::read_to_string(&stderr).unwrap_or_default()
        );
    }
    let addr: SocketAddr = first
        .trim()
        .parse()
        .unwrap_or_else(|e| panic!("first stdout line {first:?} is not an address: {e}"));
    let mut second = String::new();
    stdout.read_line(&mut second).expect("read gxd stdout");
    assert_eq!(second.trim(), format!("data: {}", data.display()));
    Gxd {
        child: Some(child),
        addr,
        data: data.to_path_buf(),
        stderr,
        admin_token: admin_token(data),
        _stdout: stdout,
    }
}

/// The admin token gxd wrote in `data` on its first start, if any.
pub fn admin_token(data: &Path) -> Option<String> {
    std::fs::read_to_string(data.join(gx::auth::ADMIN_TOKEN_FILE))
        .ok()
        .map(|t| t.trim().to_string())
}

impl Gxd {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A connection that calls as the admin.
    pub async fn channel(&self) -> Channel {
        self.channel_as(self.admin_token.as_deref()).await
    }

    /// A connection that calls with `token` (none: anonymous).
    pub async fn channel_as(&self, token: Option<&str>) -> Channel {
        let channel = tonic::transport::Channel::from_shared(self.url())
            .expect("url")
            .connect()
            .await
            .expect("connect to gxd");
        InterceptedService::new(channel, Token(token.map(str::to_string)))
    }

    /// A ReportService client that calls as the admin.
    pub async fn client(&self) -> ReportServiceClient<Channel> {
        self.client_as(self.admin_token.as_deref()).await
    }

    /// A ReportService client that calls with `token`.
    pub async fn client_as(&self, token: Option<&str>) -> ReportServiceClient<Channel> {
        ReportServiceClient::new(self.channel_as(token).await)
            .max_decoding_message_size(64 << 20)
            .max_encoding_message_size(64 << 20)
    }

    /// SIGTERM, then waits for the exit (at most 60 s).
    pub async fn stop(self) -> ExitStatus {
        self.stop_with_log().await.0
    }

    /// [`Gxd::stop`], also returning what gxd wrote to standard error.
    pub async fn stop_with_log(self) -> (ExitStatus, String) {
        self.terminate();
        self.wait().await
    }

    /// Sends SIGTERM and returns at once.
    pub fn terminate(&self) {
        let child = self.child.as_ref().expect("running");
        let ok = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .expect("kill runs")
            .success();
        assert!(ok, "kill -TERM failed");
    }

    /// Waits for gxd to exit (at most 60 s); returns its status and standard error.
    pub async fn wait(mut self) -> (ExitStatus, String) {
        let mut child = self.child.take().expect("running");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = child.try_wait().expect("try_wait") {
                return (status, self.log());
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("gxd did not stop within 60 s");
            }
            // Async: the test's own client connections must go on running to see the GOAWAY.
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }
}

impl Drop for Gxd {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = std::fs::remove_file(&self.stderr);
    }
}

/// A temporary data directory.
pub fn data_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("gxd-test-")
        .tempdir()
        .expect("temp dir")
}

/// The sample report on the wire.
pub fn sample_pb() -> pb::Report {
    gx::grpc::convert::report_to_pb(&crate::support::sample())
}

/// The sample as another body's report (valid, distinct content).
pub fn sample_for(org_id: &str, year: u32) -> pb::Report {
    let mut r = sample_pb();
    r.org.as_mut().expect("org").id = org_id.to_string();
    r.year = year;
    r
}

pub fn submit_request(report: pb::Report, reason: &str) -> pb::SubmitReportRequest {
    pb::SubmitReportRequest {
        report: Some(report),
        reason: reason.into(),
        expected_revision: None,
        explanations: Vec::new(),
        as_published: false,
        provenance: Vec::new(),
    }
}

/// The field violations of a status, as (field, description).
pub fn violations(s: &Status) -> Vec<(String, String)> {
    s.get_error_details()
        .bad_request()
        .map(|b| {
            b.field_violations
                .iter()
                .map(|v| (v.field.clone(), v.description.clone()))
                .collect()
        })
        .unwrap_or_default()
}

#[track_caller]
pub fn assert_code<T: std::fmt::Debug>(r: Result<T, Status>, code: Code) -> Status {
    match r {
        Ok(v) => panic!("expected {code:?}, got Ok({v:?})"),
        Err(s) => {
            assert_eq!(s.code(), code, "status: {s:?}");
            s
        }
    }
}

/// An OrgService client for `gxd`.
pub async fn org_client(gxd: &Gxd) -> gx::pb::org_service_client::OrgServiceClient<Channel> {
    gx::pb::org_service_client::OrgServiceClient::new(gxd.channel().await)
}

/// Registers reporting bodies (at the top, level other; the sample's 621024101 as 固城镇, a
/// township), so that reports naming them are accepted.
pub async fn register(gxd: &Gxd, ids: &[&str]) {
    let bodies = ids
        .iter()
        .map(|id| pb::Body {
            id: id.to_string(),
            name: if *id == "621024101" {
                "固城镇".into()
            } else {
                format!("测试单位 {id}")
            },
            level: if *id == "621024101" {
                pb::OrgLevel::Township as i32
            } else {
                pb::OrgLevel::Other as i32
            },
            ..Default::default()
        })
        .collect();
    org_client(gxd)
        .await
        .import_orgs(pb::ImportOrgsRequest {
            bodies,
            update: false,
        })
        .await
        .expect("bodies registered");
}

/// The revisions of `org_id`'s report for `year`, as `client` lists them (the call must
/// succeed).
pub async fn revisions_of(
    client: &mut ReportServiceClient<Channel>,
    org_id: &str,
    year: u32,
) -> Vec<pb::RevisionInfo> {
    client
        .list_revisions(pb::ListRevisionsRequest {
            org_id: org_id.into(),
            year,
        })
        .await
        .expect("list revisions")
        .into_inner()
        .revisions
}

/// A ReportService client over a test [`Channel`].
pub type ReportClient = ReportServiceClient<Channel>;

/// An OrgService client over a test [`Channel`].
pub type OrgClient = gx::pb::org_service_client::OrgServiceClient<Channel>;
