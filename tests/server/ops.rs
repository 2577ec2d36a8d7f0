//! Operating gxd: health, reflection, compression, the data-directory lock, logs, shutdown.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use gx::pb;
use prost::Message;
use tonic::codec::CompressionEncoding;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;

use super::{data_dir, register, sample_pb, start_in, start_with, submit_request};

#[tokio::test]
async fn health_reports_serving() {
    let dir = data_dir();
    let gxd = start_in(dir.path());
    let mut h = HealthClient::new(gxd.channel().await);
    for service in ["", "gx.v1.ReportService"] {
        let r = h
            .check(HealthCheckRequest {
                service: service.into(),
            })
            .await
            .expect("health check")
            .into_inner();
        assert_eq!(r.status(), ServingStatus::Serving, "{service:?}");
    }
}

macro_rules! reflection_case {
    ($name:ident, $pb:path) => {
        #[tokio::test]
        async fn $name() {
            use r::server_reflection_request::MessageRequest;
            use r::server_reflection_response::MessageResponse;
            use $pb as r;

            let dir = data_dir();
            let gxd = start_in(dir.path());
            let mut client =
                r::server_reflection_client::ServerReflectionClient::new(gxd.channel().await);
            let ask = |m: MessageRequest| r::ServerReflectionRequest {
                host: String::new(),
                message_request: Some(m),
            };
            let requests = vec![
                ask(MessageRequest::ListServices(String::new())),
                ask(MessageRequest::FileContainingSymbol(
                    "gx.v1.ReportService".into(),
                )),
                ask(MessageRequest::FileByFilename("gx/v1/report.proto".into())),
                ask(MessageRequest::FileByFilename(
                    "google/protobuf/timestamp.proto".into(),
                )),
                ask(MessageRequest::FileContainingSymbol(
                    "google.rpc.BadRequest".into(),
                )),
                ask(MessageRequest::FileContainingSymbol(
                    "grpc.health.v1.Health".into(),
                )),
            ];
            let mut stream = client
                .server_reflection_info(tokio_stream::iter(requests))
                .await
                .expect("reflection")
                .into_inner();
            let mut responses = Vec::new();
            while let Some(m) = stream.message().await.expect("reflection message") {
                responses.push(m.message_response.expect("a response"));
            }
            assert_eq!(responses.len(), 6);
            let MessageResponse::ListServicesResponse(list) = &responses[0] else {
                panic!("{:?}", responses[0]);
            };
            let names: Vec<&str> = list.service.iter().map(|s| s.name.as_str()).collect();
            for want in ["gx.v1.ReportService", "grpc.health.v1.Health"] {
                assert!(names.contains(&want), "{want} not in {names:?}");
            }
            for (i, file) in [
                "gx/v1/service.proto",
                "gx/v1/report.proto",
                "google/protobuf/timestamp.proto",
                // tonic-types and tonic-health name their files without a directory.
                "error_details.proto",
                "health.proto",
            ]
            .iter()
            .enumerate()
            {
                let MessageResponse::FileDescriptorResponse(fd) = &responses[i + 1] else {
                    panic!("{file}: {:?}", responses[i + 1]);
                };
                let first = prost_types::FileDescriptorProto::decode(
                    fd.file_descriptor_proto[0].as_slice(),
                )
                .expect("descriptor");
                assert_eq!(first.name(), *file);
                if *file == "error_details.proto" {
                    assert_eq!(first.package(), "google.rpc");
                    assert!(first.message_type.iter().any(|m| m.name() == "BadRequest"));
                }
            }
        }
    };
}

reflection_case!(reflection_v1_lists_and_describes, tonic_reflection::pb::v1);
reflection_case!(
    reflection_v1alpha_lists_and_describes,
    tonic_reflection::pb::v1alpha
);

#[tokio::test]
async fn gzip_both_ways() {
    let dir = data_dir();
    let gxd = start_in(dir.path());
    register(&gxd, &["621024101"]).await;
    let mut c = gxd
        .client()
        .await
        .send_compressed(CompressionEncoding::Gzip)
        .accept_compressed(CompressionEncoding::Gzip);
    let sub = c
        .submit_report(submit_request(sample_pb(), ""))
        .await
        .expect("gzip submit")
        .into_inner();
    let got = c
        .get_report(pb::GetReportRequest {
            org_id: "621024101".into(),
            year: 2020,
            version: None,
        })
        .await
        .expect("gzip get");
    assert_eq!(
        got.metadata()
            .get("grpc-encoding")
            .and_then(|v| v.to_str().ok()),
        Some("gzip")
    );
    assert_eq!(
        got.into_inner().revision.unwrap().content_hash,
        sub.content_hash
    );
}

#[test]
fn a_second_gxd_on_the_same_data_fails_at_once() {
    let dir = data_dir();
    let _first = start_in(dir.path());
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_gxd"))
        .args(["--listen", "127.0.0.1:0", "--data"])
        .arg(dir.path())
        .stdin(Stdio::null())
        .output()
        .expect("second gxd runs");
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "it must not hang"
    );
    assert_eq!(out.status.code(), Some(3), "exit code 3: data unusable");
    assert!(out.stdout.is_empty(), "no address printed");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("in use by another process"), "{err}");
    assert!(err.contains(&dir.path().display().to_string()), "{err}");
}

#[test]
fn a_bad_listen_address_is_a_usage_error() {
    let dir = data_dir();
    let out = Command::new(env!("CARGO_BIN_EXE_gxd"))
        .args(["--listen", "not-an-address", "--data"])
        .arg(dir.path())
        .output()
        .expect("gxd runs");
    assert_eq!(out.status.code(), Some(2));
    let out = Command::new(env!("CARGO_BIN_EXE_gxd"))
        .env("GX_LISTEN", "127.0.0.1:0")
        .env("GX_DATA", dir.path())
        .arg("--help")
        .output()
        .expect("gxd runs");
    assert!(String::from_utf8_lossy(&out.stdout).contains("Exit codes"));
}

#[tokio::test]
async fn json_logs_have_one_span_per_request() {
    let dir = data_dir();
    let gxd = start_with(dir.path(), &["--log-format", "json"]);
    register(&gxd, &["621024101"]).await;
    let mut c = gxd.client().await;
    let sub = c
        .submit_report(submit_request(sample_pb(), ""))
        .await
        .unwrap()
        .into_inner();
    drop(c);
    let (status, log) = gxd.stop_with_log().await;
    assert!(status.success(), "{log}");
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let submits: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| l["span"]["method"] == "/gx.v1.ReportService/SubmitReport")
        .collect();
    assert_eq!(submits.len(), 1, "one event per request:\n{log}");
    let span = &submits[0]["span"];
    assert_eq!(span["name"], "request");
    assert_eq!(span["org"], "621024101");
    assert_eq!(span["year"], 2020);
    assert_eq!(span["revision"], sub.revision);
    assert_eq!(span["code"], "Ok");
    assert!(span["latency_us"].is_u64(), "{span}");
    assert!(
        lines
            .iter()
            .any(|l| l["fields"]["message"] == "store flushed and closed"),
        "{log}"
    );
}
