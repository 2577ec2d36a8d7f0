//! Bad input, table-driven: every malformed or out-of-range request gets the right code and a
//! message naming the field; nothing is stored; gxd keeps serving.

use gx::pb;
use gx::pb::get_report_request::Version;
use prost::bytes::BufMut;
use prost::Message;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::codegen::http::uri::PathAndQuery;
use tonic::{Code, Status};

use super::{data_dir, register, sample_pb, start_in, submit_request, violations, Channel};

/// A request as sent.
enum Call {
    Submit(pb::SubmitReportRequest),
    Validate(pb::ValidateReportRequest),
    Get(pb::GetReportRequest),
    List(pb::ListReportsRequest),
    Revisions(pb::ListRevisionsRequest),
    /// Raw bytes as the body of a SubmitReport message.
    RawSubmit(Vec<u8>),
    /// A submission sent gzip-compressed.
    GzipSubmit(pb::SubmitReportRequest),
    /// A SubmitReport call with this content-type and body; an HTTP status other than 200
    /// reads as `UNKNOWN` with message `HTTP <status>`.
    ContentType(&'static str, Vec<u8>),
}

struct Case {
    name: &'static str,
    call: Call,
    code: Code,
    /// The field a violation must name, or (without violations) text the message contains.
    names: &'static str,
    /// Text the message or a violation's description must contain too.
    says: &'static str,
}

fn with(f: impl FnOnce(&mut pb::Report)) -> pb::Report {
    let mut r = sample_pb();
    f(&mut r);
    r
}

fn submit(r: pb::Report) -> Call {
    Call::Submit(submit_request(r, ""))
}

fn t3(r: &mut pb::Report) -> &mut pb::Table3 {
    r.table3.as_mut().expect("table 3")
}

fn cell(count: i64) -> Option<pb::Cell> {
    Some(pb::Cell {
        value: Some(pb::cell::Value::Count(count)),
        raw: String::new(),
    })
}

fn amount(text: &str) -> Option<pb::Cell> {
    Some(pb::Cell {
        value: Some(pb::cell::Value::Amount(text.into())),
        raw: String::new(),
    })
}

fn procurement(r: &mut pb::Report) -> &mut pb::ProcurementRow2019 {
    match r.table2.as_mut() {
        Some(pb::report::Table2::Table22019(t)) => {
            t.central_procurement.get_or_insert_with(Default::default)
        }
        _ => panic!("the sample is a 2019-edition report"),
    }
}

fn get(org_id: &str, year: u32, version: Option<Version>) -> Call {
    Call::Get(pb::GetReportRequest {
        org_id: org_id.into(),
        year,
        version,
    })
}

/// Every case, grouped by concern, in the order they are sent.
fn cases() -> Vec<Case> {
    [
        request_cases(),
        year_and_edition_cases(),
        cell_value_cases(),
        size_cases(),
        rule_cases(),
        wire_cases(),
        get_cases(),
        listing_cases(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The request and the body it names.
fn request_cases() -> Vec<Case> {
    vec![
        Case {
            name: "empty request",
            call: Call::Submit(pb::SubmitReportRequest::default()),
            code: Code::InvalidArgument,
            names: "report",
            says: "",
        },
        Case {
            name: "empty validate request",
            call: Call::Validate(pb::ValidateReportRequest::default()),
            code: Code::InvalidArgument,
            names: "report",
            says: "",
        },
        Case {
            name: "missing org",
            call: submit(with(|r| r.org = None)),
            code: Code::InvalidArgument,
            names: "report.org",
            says: "",
        },
        Case {
            name: "a body nobody registered",
            call: submit(with(|r| r.org.as_mut().unwrap().id = "unregistered".into())),
            code: Code::NotFound,
            names: "unregistered",
            says: "gxctl org add",
        },
        Case {
            name: "an explanation of no rule",
            call: Call::Submit(pb::SubmitReportRequest {
                report: Some(sample_pb()),
                reason: "x".into(),
                expected_revision: None,
                explanations: vec![pb::Explanation {
                    rule: "x-carry".into(),
                    text: "机构改革".into(),
                }],
                as_published: false,
                provenance: Vec::new(),
            }),
            code: Code::InvalidArgument,
            names: "explanations[0]",
            says: "not a rule id",
        },
        Case {
            name: "empty org.id",
            call: submit(with(|r| r.org.as_mut().unwrap().id = " ".into())),
            code: Code::InvalidArgument,
            names: "report.org.id",
            says: "",
        },
        Case {
            name: "org.id with NUL",
            call: submit(with(|r| r.org.as_mut().unwrap().id = "62\u{0}1".into())),
            code: Code::InvalidArgument,
            names: "report.org.id",
            says: "U+0000",
        },
        Case {
            name: "org.id too long",
            call: submit(with(|r| r.org.as_mut().unwrap().id = "9".repeat(129))),
            code: Code::InvalidArgument,
            names: "report.org.id",
            says: "",
        },
    ]
}

/// The year, and the edition its tables follow.
fn year_and_edition_cases() -> Vec<Case> {
    let next_year = gx::rules::latest_year();
    vec![
        Case {
            name: "missing year",
            call: submit(with(|r| r.year = 0)),
            code: Code::InvalidArgument,
            names: "report.year",
            says: "",
        },
        Case {
            name: "year before any national format",
            call: submit(with(|r| r.year = 2018)),
            code: Code::InvalidArgument,
            names: "report.year",
            says: "没有全国统一",
        },
        Case {
            name: "year after next year",
            call: submit(with(|r| {
                r.year = next_year + 1;
                r.edition = pb::Edition::Edition2021 as i32;
                r.table2 = Some(pb::report::Table2::Table22021(Default::default()));
            })),
            code: Code::InvalidArgument,
            names: "report.year",
            says: "晚于",
        },
        Case {
            name: "unknown edition",
            call: submit(with(|r| r.edition = 2020)),
            code: Code::InvalidArgument,
            names: "report.edition",
            says: "unknown edition 2020",
        },
        Case {
            name: "table 2 of the other edition",
            call: submit(with(|r| {
                r.table2 = Some(pb::report::Table2::Table22021(Default::default()))
            })),
            code: Code::InvalidArgument,
            names: "report.table2_2021",
            says: "",
        },
    ]
}

/// Cell values: rows of the other edition, counts out of range, amounts that are no exact
/// decimal.
fn cell_value_cases() -> Vec<Case> {
    vec![
        Case {
            name: "a 2021-edition row in a 2019-edition report",
            call: submit(with(|r| {
                t3(r).other_fee_unpaid = Some(pb::Table3Row {
                    natural: cell(1),
                    ..Default::default()
                })
            })),
            code: Code::InvalidArgument,
            names: "t3.other_fee_unpaid.natural",
            says: "",
        },
        Case {
            name: "u64-overflowing count (wraps on the wire to a huge negative)",
            call: submit(with(|r| {
                t3(r).new.as_mut().unwrap().natural = cell(10_000_000_000_000_000_000u64 as i64)
            })),
            code: Code::InvalidArgument,
            names: "t3.new.natural",
            says: "too large",
        },
        Case {
            name: "u64::MAX count (reads as -1)",
            call: submit(with(|r| {
                t3(r).granted.as_mut().unwrap().natural = cell(u64::MAX as i64)
            })),
            code: Code::InvalidArgument,
            names: "t3.granted.natural",
            says: "",
        },
        Case {
            name: "i64::MAX count",
            call: submit(with(|r| {
                t3(r).new.as_mut().unwrap().commercial = cell(i64::MAX)
            })),
            code: Code::InvalidArgument,
            names: "t3.new.commercial",
            says: "",
        },
        Case {
            name: "NaN amount",
            call: submit(with(|r| procurement(r).amount = amount("NaN"))),
            code: Code::InvalidArgument,
            names: "t2.central_procurement.amount",
            says: "NaN",
        },
        Case {
            name: "infinite amount",
            call: submit(with(|r| procurement(r).amount = amount("inf"))),
            code: Code::InvalidArgument,
            names: "t2.central_procurement.amount",
            says: "",
        },
        Case {
            name: "exponent amount",
            call: submit(with(|r| procurement(r).amount = amount("1e400"))),
            code: Code::InvalidArgument,
            names: "t2.central_procurement.amount",
            says: "",
        },
        Case {
            name: "amount overflowing a decimal",
            call: submit(with(|r| {
                procurement(r).amount = amount("99999999999999999999999999999999")
            })),
            code: Code::InvalidArgument,
            names: "t2.central_procurement.amount",
            says: "",
        },
        Case {
            name: "amount in a count column",
            call: submit(with(|r| {
                t3(r).new.as_mut().unwrap().natural = amount("1.5")
            })),
            code: Code::InvalidArgument,
            names: "t3.new.natural",
            says: "",
        },
    ]
}

/// Sizes: of the narrative, of the whole message, of a raw text, of a reason.
fn size_cases() -> Vec<Case> {
    let big_text = "政".repeat((10 << 20) / 3);
    vec![
        Case {
            name: "a 10 MB narrative",
            call: submit(with(|r| {
                r.narrative.get_or_insert_with(Default::default).preamble = big_text.clone()
            })),
            code: Code::InvalidArgument,
            names: "report.narrative",
            says: "at most 1048576",
        },
        Case {
            name: "a message over the maximum size",
            call: submit(with(|r| {
                r.narrative.get_or_insert_with(Default::default).preamble = "x".repeat(17 << 20)
            })),
            code: Code::OutOfRange,
            names: "too large",
            says: "",
        },
        Case {
            name: "a compressed message over the maximum size once decompressed",
            call: Call::GzipSubmit(submit_request(
                with(|r| {
                    r.narrative.get_or_insert_with(Default::default).preamble = "x".repeat(17 << 20)
                }),
                "",
            )),
            code: Code::OutOfRange,
            names: "too large once decompressed",
            says: "--max-message-bytes",
        },
        Case {
            name: "an over-long raw text",
            call: submit(with(|r| {
                let c = t3(r).new.as_mut().unwrap().natural.as_mut().unwrap();
                c.raw = "注".repeat(300);
            })),
            code: Code::InvalidArgument,
            names: "t3.new.natural",
            says: "",
        },
        Case {
            name: "an over-long reason",
            call: Call::Submit(submit_request(sample_pb(), &"因".repeat(2001))),
            code: Code::InvalidArgument,
            names: "reason",
            says: "",
        },
    ]
}

/// What the rules refuse: totals that do not add up, negative counts.
fn rule_cases() -> Vec<Case> {
    vec![
        Case {
            name: "totals that do not add up",
            call: submit(with(|r| {
                let review = r.table4.as_mut().unwrap().review.as_mut().unwrap();
                review.total = cell(3);
            })),
            code: Code::InvalidArgument,
            names: "t4.review.total",
            says: "（t4.review.total）改为 0",
        },
        Case {
            name: "a negative count",
            call: submit(with(|r| {
                t3(r).forward.as_mut().unwrap().research = cell(-2)
            })),
            code: Code::InvalidArgument,
            names: "t3.forward.research",
            says: "",
        },
    ]
}

/// Bytes that are no SubmitReportRequest.
fn wire_cases() -> Vec<Case> {
    let valid_bytes = submit_request(sample_pb(), "").encode_to_vec();
    let mut truncated = valid_bytes.clone();
    truncated.truncate(valid_bytes.len() - 7);
    vec![
        Case {
            name: "garbage protobuf bytes",
            call: Call::RawSubmit(vec![0xff; 64]),
            code: Code::InvalidArgument,
            names: "not a valid protobuf",
            says: "",
        },
        Case {
            name: "truncated protobuf bytes",
            call: Call::RawSubmit(truncated),
            code: Code::InvalidArgument,
            names: "not a valid protobuf",
            says: "",
        },
        Case {
            name: "JSON instead of gRPC",
            call: Call::ContentType("application/json", br#"{"report":{}}"#.to_vec()),
            code: Code::Unknown,
            names: "HTTP 415",
            says: "",
        },
        Case {
            name: "a valid message without the gRPC content-type",
            call: Call::ContentType("application/octet-stream", {
                let b = submit_request(sample_pb(), "").encode_to_vec();
                let mut framed = vec![0];
                framed.extend_from_slice(&(b.len() as u32).to_be_bytes());
                framed.extend_from_slice(&b);
                framed
            }),
            code: Code::Unknown,
            names: "HTTP 415",
            says: "",
        },
        Case {
            name: "invalid UTF-8 in a string",
            call: Call::RawSubmit(vec![0x12, 0x02, 0xc3, 0x28]),
            code: Code::InvalidArgument,
            names: "not a valid protobuf",
            says: "",
        },
    ]
}

/// GetReport: missing or impossible keys, versions that do not exist.
fn get_cases() -> Vec<Case> {
    vec![
        Case {
            name: "get without org_id",
            call: get("", 2020, None),
            code: Code::InvalidArgument,
            names: "org_id",
            says: "",
        },
        Case {
            name: "get without year",
            call: get("621024101", 0, None),
            code: Code::InvalidArgument,
            names: "year",
            says: "",
        },
        Case {
            name: "get revision 0",
            call: get("621024101", 2020, Some(Version::Revision(0))),
            code: Code::InvalidArgument,
            names: "revision",
            says: "",
        },
        Case {
            name: "get an unknown revision",
            call: get("621024101", 2020, Some(Version::Revision(99))),
            code: Code::NotFound,
            names: "no revision 99",
            says: "",
        },
        Case {
            name: "get an unknown report",
            call: get("nobody", 2020, None),
            code: Code::NotFound,
            names: "nobody",
            says: "",
        },
        Case {
            name: "get as_of an invalid timestamp",
            call: get(
                "621024101",
                2020,
                Some(Version::AsOf(prost_types::Timestamp {
                    seconds: 0,
                    nanos: 2_000_000_000,
                })),
            ),
            code: Code::InvalidArgument,
            names: "as_of",
            says: "",
        },
    ]
}

/// ListReports and ListRevisions.
fn listing_cases() -> Vec<Case> {
    vec![
        Case {
            name: "list with page_size over 1000",
            call: Call::List(pb::ListReportsRequest {
                page_size: 1001,
                ..Default::default()
            }),
            code: Code::InvalidArgument,
            names: "page_size",
            says: "",
        },
        Case {
            name: "list with a negative page_size",
            call: Call::List(pb::ListReportsRequest {
                page_size: -1,
                ..Default::default()
            }),
            code: Code::InvalidArgument,
            names: "page_size",
            says: "",
        },
        Case {
            name: "list with a forged page_token",
            call: Call::List(pb::ListReportsRequest {
                page_token: "not-a-token".into(),
                ..Default::default()
            }),
            code: Code::InvalidArgument,
            names: "page_token",
            says: "",
        },
        Case {
            name: "list year 0",
            call: Call::List(pb::ListReportsRequest {
                year: Some(0),
                ..Default::default()
            }),
            code: Code::InvalidArgument,
            names: "year",
            says: "",
        },
        Case {
            name: "revisions of an unknown report",
            call: Call::Revisions(pb::ListRevisionsRequest {
                org_id: "nobody".into(),
                year: 2020,
            }),
            code: Code::NotFound,
            names: "nobody",
            says: "",
        },
    ]
}

/// Sends bytes as they are; decodes the answer as a SubmitReportResponse.
#[derive(Debug, Clone, Default)]
struct RawCodec;

struct RawEncoder;

impl Encoder for RawEncoder {
    type Item = Vec<u8>;
    type Error = Status;
    fn encode(&mut self, item: Vec<u8>, buf: &mut EncodeBuf<'_>) -> Result<(), Status> {
        buf.put_slice(&item);
        Ok(())
    }
}

struct ResponseDecoder;

impl Decoder for ResponseDecoder {
    type Item = pb::SubmitReportResponse;
    type Error = Status;
    fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<Self::Item>, Status> {
        pb::SubmitReportResponse::decode(buf)
            .map(Some)
            .map_err(|e| Status::internal(e.to_string()))
    }
}

impl Codec for RawCodec {
    type Encode = Vec<u8>;
    type Decode = pb::SubmitReportResponse;
    type Encoder = RawEncoder;
    type Decoder = ResponseDecoder;
    fn encoder(&mut self) -> RawEncoder {
        RawEncoder
    }
    fn decoder(&mut self) -> ResponseDecoder {
        ResponseDecoder
    }
}

async fn call(channel: &Channel, call: Call) -> Result<(), Status> {
    let mut c = pb::report_service_client::ReportServiceClient::new(channel.clone())
        .max_encoding_message_size(64 << 20);
    match call {
        Call::Submit(r) => c.submit_report(r).await.map(drop),
        Call::Validate(r) => c.validate_report(r).await.map(drop),
        Call::Get(r) => c.get_report(r).await.map(drop),
        Call::List(r) => c.list_reports(r).await.map(drop),
        Call::Revisions(r) => c.list_revisions(r).await.map(drop),
        Call::GzipSubmit(r) => c
            .send_compressed(tonic::codec::CompressionEncoding::Gzip)
            .submit_report(r)
            .await
            .map(drop),
        Call::ContentType(content_type, body) => http_call(channel, content_type, body).await,
        Call::RawSubmit(bytes) => {
            let mut grpc = tonic::client::Grpc::new(channel.clone());
            grpc.ready()
                .await
                .map_err(|e| Status::unavailable(e.to_string()))?;
            grpc.unary(
                tonic::Request::new(bytes),
                PathAndQuery::from_static("/gx.v1.ReportService/SubmitReport"),
                RawCodec,
            )
            .await
            .map(drop)
        }
    }
}

/// A SubmitReport call as plain HTTP/2 with this content-type.
async fn http_call(channel: &Channel, content_type: &str, body: Vec<u8>) -> Result<(), Status> {
    use tonic::codegen::http;
    use tower::{Service, ServiceExt};
    let req = http::Request::post("http://gxd/gx.v1.ReportService/SubmitReport")
        .header("content-type", content_type)
        .header("te", "trailers")
        .body(tonic::body::Body::new(http_body_util::Full::new(
            prost::bytes::Bytes::from(body),
        )))
        .map_err(|e| Status::internal(e.to_string()))?;
    let mut ch = channel.clone();
    let resp = ch
        .ready()
        .await
        .map_err(|e| Status::unavailable(e.to_string()))?
        .call(req)
        .await
        .map_err(|e| Status::unavailable(e.to_string()))?;
    if resp.status() != http::StatusCode::OK {
        return Err(Status::unknown(format!("HTTP {}", resp.status().as_u16())));
    }
    match resp.headers().get("grpc-status").map(|v| v.as_bytes()) {
        Some(b"0") | None => Ok(()),
        Some(code) => Err(Status::unknown(format!(
            "grpc-status {}",
            String::from_utf8_lossy(code)
        ))),
    }
}

#[tokio::test]
async fn bad_input_gets_the_right_code_and_names_the_field() {
    let dir = data_dir();
    let gxd = start_in(dir.path());
    register(&gxd, &["621024101"]).await;
    let channel = gxd.channel().await;
    let mut c = gxd.client().await;
    // One real report, so that "unknown revision" has a report to miss in.
    let stored = c
        .submit_report(submit_request(sample_pb(), ""))
        .await
        .expect("the sample is accepted")
        .into_inner();

    let mut failures = Vec::new();
    for case in cases() {
        let result = call(&channel, case.call).await;
        let Err(status) = result else {
            failures.push(format!("{}: accepted", case.name));
            continue;
        };
        if status.code() != case.code {
            failures.push(format!(
                "{}: {:?} instead of {:?}: {}",
                case.name,
                status.code(),
                case.code,
                status.message()
            ));
            continue;
        }
        let fields = violations(&status);
        let named = if fields.is_empty() {
            status.message().contains(case.names)
        } else {
            fields.iter().any(|(f, d)| f == case.names && !d.is_empty())
        };
        let says = status.message().contains(case.says)
            || fields.iter().any(|(_, d)| d.contains(case.says));
        if !named || !says {
            failures.push(format!(
                "{}: does not name {:?} or say {:?}: {:?} {:?}",
                case.name,
                case.names,
                case.says,
                status.message(),
                fields
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));

    // Nothing was stored, and gxd is still serving.
    let list = c
        .list_reports(pb::ListReportsRequest::default())
        .await
        .expect("still serving")
        .into_inner();
    assert_eq!(list.reports.len(), 1);
    let revs = super::revisions_of(&mut c, "621024101", 2020).await;
    assert_eq!(revs.len(), 1);
    assert_eq!(revs[0].content_hash, stored.content_hash);
    drop(c);
    let (status, log) = gxd.stop_with_log().await;
    assert!(status.success(), "{log}");
    assert!(!log.contains("panicked"), "{log}");
}

#[tokio::test]
async fn rule_errors_carry_the_chinese_finding_and_the_suggestion() {
    let dir = data_dir();
    let gxd = start_in(dir.path());
    let mut c = gxd.client().await;
    // One part changed: its row sum and its column's results sum break, and only that cell
    // explains both.
    let report = with(|r| t3(r).granted.as_mut().unwrap().natural = cell(1));
    let s = c
        .submit_report(submit_request(report.clone(), ""))
        .await
        .expect_err("rejected");
    assert_eq!(s.code(), Code::InvalidArgument);
    assert!(s.message().starts_with("报告未通过校验"), "{}", s.message());
    let fields = violations(&s);
    let offline = gx::validate(&gx::grpc::convert::report_from_pb(&report).unwrap());
    assert_eq!(fields.len(), offline.errors().count());
    let (field, description) = &fields[0];
    assert_eq!(field, "t3.granted.natural");
    assert!(description.contains("最可能的修正"), "{description}");
    // ValidateReport gives the same answer.
    let v = c
        .validate_report(pb::ValidateReportRequest {
            report: Some(report),
        })
        .await
        .expect_err("rejected");
    assert_eq!(violations(&v), fields);
}

mod no_input_panics {
    //! Admission (what gxd runs on every SubmitReport and ValidateReport) on arbitrary
    //! reports: it answers, it never panics, and what it admits is canonical.

    use gx::pb;
    use proptest::prelude::*;

    use super::super::sample_pb;

    fn any_value() -> impl Strategy<Value = Option<pb::cell::Value>> {
        prop_oneof![
            Just(None),
            any::<i64>().prop_map(|n| Some(pb::cell::Value::Count(n))),
            (0i64..1000).prop_map(|n| Some(pb::cell::Value::Count(n))),
            "[-+0-9.eE NaInfity]{0,24}".prop_map(|s| Some(pb::cell::Value::Amount(s))),
            Just(Some(pb::cell::Value::NotApplicable(pb::NotApplicable {}))),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn admission_never_panics(
            year in prop_oneof![Just(0u32), 2015u32..2030, any::<u32>()],
            edition in prop_oneof![Just(0i32), Just(2019), Just(2021), any::<i32>()],
            table2_2021 in any::<bool>(),
            org_id in "[\\PC\\x00-\\x1f]{0,12}",
            values in proptest::collection::vec(any_value(), 0..40),
            raw in "\\PC{0,8}",
        ) {
            let mut r = sample_pb();
            r.year = year;
            r.edition = edition;
            if table2_2021 {
                r.table2 = Some(pb::report::Table2::Table22021(pb::Table2Edition2021 {
                    licensing: Some(pb::DecisionRow2021 {
                        decisions: Some(pb::Cell { value: values.first().cloned().flatten(), raw: raw.clone() }),
                    }),
                    ..Default::default()
                }));
            }
            r.org.get_or_insert_with(Default::default).id = org_id;
            let t3 = r.table3.get_or_insert_with(Default::default);
            let rows = [&mut t3.new, &mut t3.carried, &mut t3.granted, &mut t3.results_total, &mut t3.forward, &mut t3.other_other];
            for (i, (row, value)) in rows.into_iter().zip(values.chunks(7)).enumerate() {
                let row = row.get_or_insert_with(Default::default);
                let cells = [&mut row.natural, &mut row.commercial, &mut row.research, &mut row.nonprofit, &mut row.legal_svc, &mut row.other_org, &mut row.total];
                for (cell, v) in cells.into_iter().zip(value) {
                    *cell = Some(pb::Cell { value: v.clone(), raw: if i == 0 { raw.clone() } else { String::new() } });
                }
            }
            if let Ok(admitted) = gx::grpc::reports::admit(Some(&r)) {
                // What is admitted reads back to itself: the canonical form is a fixed point.
                let back: pb::Report = prost::Message::decode(admitted.canonical.as_slice()).unwrap();
                let again = gx::grpc::reports::admit(Some(&back)).expect("canonical form admitted");
                prop_assert_eq!(again.content_hash, admitted.content_hash);
            }
        }
    }
}

/// A gxctl command against bad input: its exit code and the one line it prints.
struct CliCase {
    name: &'static str,
    args: Vec<String>,
    exit: i32,
    /// Text the stderr line must contain, each.
    says: &'static [&'static str],
    /// Text it must not contain (internal names, a location said twice).
    never: &'static [&'static str],
}

/// YAML nested thousands of levels by indentation.
fn deep_block_yaml() -> String {
    (0..100_000)
        .map(|i| format!("{}a:\n", " ".repeat(i % 3000)))
        .collect()
}

/// The sample with a 17 MiB preamble: over the size limit, small once compressed.
fn oversized_report() -> String {
    let mut big: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(crate::support::fixture("gucheng-town-2020.json")).unwrap(),
    )
    .unwrap();
    big["narrative"]["preamble"] = "x".repeat(17 << 20).into();
    serde_json::to_string(&big).unwrap()
}

/// The files the CLI cases read, written into `dir`.
fn bad_files(dir: &std::path::Path) -> Vec<CliCase> {
    let write = |name: &str, bytes: &[u8]| {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p.display().to_string()
    };
    let deep_flow = write(
        "deep-flow.yaml",
        format!(
            "year: 2020\nt3: {}{}\n",
            "[".repeat(100_000),
            "]".repeat(100_000)
        )
        .as_bytes(),
    );
    let deep_block = write("deep-block.yaml", deep_block_yaml().as_bytes());
    let flow_error = write(
        "flow.yaml",
        b"year: 2020\nedition: 2019\nt3:\n  new: {natural: [1, 2\n",
    );
    let json_error = write(
        "comma.json",
        br#"{"year": 2020, "t3": {"new": {"natural": 1,}}}"#,
    );
    let binary = write(
        "scan.json",
        &[0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0],
    );
    let string = write("string.json", br#""just a string""#);
    let empty = write("empty.yaml", b"");
    let big = write("big.json", oversized_report().as_bytes());
    let s = |v: &[&str]| v.iter().map(|a| a.to_string()).collect::<Vec<_>>();
    vec![
        CliCase {
            name: "YAML nested 100,000 levels in flow style",
            args: s(&["validate", &deep_flow]),
            exit: 2,
            says: &["deep-flow.yaml: line 2: nested deeper than 64 levels"],
            never: &[],
        },
        CliCase {
            name: "YAML nested thousands of levels by indentation",
            args: s(&["validate", &deep_block]),
            exit: 2,
            says: &["nested deeper than 64 levels"],
            never: &[],
        },
        CliCase {
            name: "a YAML syntax error: its location once",
            args: s(&["validate", &flow_error]),
            exit: 2,
            says: &["flow.yaml: line 5, column 1: did not find expected ',' or ']'"],
            never: &["at line", "line 5, column 1: did not find expected ',' or ']', while parsing a flow sequence: line"],
        },
        CliCase {
            name: "a JSON syntax error: its location once",
            args: s(&["validate", &json_error]),
            exit: 2,
            says: &["comma.json: line 1, column 44: "],
            never: &["at line", "column 44: key must be a string: line"],
        },
        CliCase {
            name: "a binary file",
            args: s(&["validate", &binary]),
            exit: 2,
            says: &["scan.json: not a text file", "expected a report as JSON, YAML or cells text"],
            never: &["Peek"],
        },
        CliCase {
            name: "a JSON string instead of a report",
            args: s(&["validate", &string]),
            exit: 2,
            says: &["string.json: line 1", "expected a report: a mapping of year"],
            never: &["Peek"],
        },
        CliCase {
            name: "an empty YAML file",
            args: s(&["validate", &empty]),
            exit: 2,
            says: &["empty.yaml: expected a report", "found nothing"],
            never: &["Peek"],
        },
        CliCase {
            name: "a submission over the size limit (sent compressed)",
            args: s(&["submit", &big]),
            exit: 2,
            says: &["big.json: refused — the message is too large once decompressed"],
            never: &["too many calls", "RESOURCE_EXHAUSTED"],
        },
        CliCase {
            name: "get --as-of before the first revision: the server's reason",
            args: s(&["get", "621024101", "2020", "--as-of", "1970-01-01T00:00:00Z"]),
            exit: 3,
            says: &["had no revision at 1970-01-01T00:00:00", "the first was submitted at"],
            never: &["reports exist for"],
        },
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_files_and_edges_through_gxctl_say_one_clear_line() {
    let served = crate::support::Served::start();
    register(&served.gxd, &["621024101"]).await;
    served
        .gxd
        .client()
        .await
        .submit_report(submit_request(sample_pb(), ""))
        .await
        .expect("the sample is accepted");
    let mut failures = Vec::new();
    for case in bad_files(served.dir()) {
        let out = served.ctl().args(&case.args).output().unwrap();
        // One line in all (submit reports each file on standard output).
        let err = String::from_utf8_lossy(&out.stderr).into_owned()
            + &String::from_utf8_lossy(&out.stdout);
        let code = out.status.code().unwrap_or(-1);
        let lines = err.lines().count();
        let missing: Vec<_> = case.says.iter().filter(|s| !err.contains(*s)).collect();
        let present: Vec<_> = case.never.iter().filter(|s| err.contains(*s)).collect();
        if code != case.exit || lines != 1 || !missing.is_empty() || !present.is_empty() {
            failures.push(format!(
                "{}: exit {code} (want {}), {lines} lines, missing {missing:?}, present {present:?}: {err}",
                case.name, case.exit
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}
