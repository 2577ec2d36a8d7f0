//! Two edges of the wire that tonic answers differently from gxd's documentation:
//!
//! - a request whose `content-type` is not gRPC (`application/json` from a curious client)
//!   is answered HTTP 415 Unsupported Media Type, as the gRPC over HTTP/2 spec says, before
//!   anything is decoded;
//! - a compressed request over `--max-message-bytes` is `OUT_OF_RANGE`, as an uncompressed
//!   one is (tonic says `RESOURCE_EXHAUSTED` — "too many calls, retry later" to a client —
//!   when the limit is crossed while decompressing).

use tonic::codegen::http;
use tower_http::validate_request::{ValidateRequest, ValidateRequestHeaderLayer};

/// Refuses requests that are not gRPC with HTTP 415.
#[derive(Debug, Clone, Copy, Default)]
pub struct GrpcOnly;

impl GrpcOnly {
    pub fn layer() -> ValidateRequestHeaderLayer<GrpcOnly> {
        ValidateRequestHeaderLayer::custom(GrpcOnly)
    }
}

/// Whether a content-type is gRPC's (`application/grpc`, `application/grpc+proto`, …).
pub fn is_grpc(content_type: Option<&http::HeaderValue>) -> bool {
    content_type.and_then(|v| v.to_str().ok()).is_some_and(|v| {
        let v = v.trim().to_ascii_lowercase();
        v == "application/grpc"
            || v.starts_with("application/grpc+")
            || v.starts_with("application/grpc;")
    })
}

impl<B> ValidateRequest<B> for GrpcOnly {
    type ResponseBody = tonic::body::Body;

    fn validate(
        &mut self,
        req: &mut http::Request<B>,
    ) -> Result<(), http::Response<tonic::body::Body>> {
        if is_grpc(req.headers().get(http::header::CONTENT_TYPE)) {
            return Ok(());
        }
        let mut r = http::Response::new(tonic::body::Body::empty());
        *r.status_mut() = http::StatusCode::UNSUPPORTED_MEDIA_TYPE;
        r.headers_mut().insert(
            http::header::ACCEPT,
            http::HeaderValue::from_static("application/grpc"),
        );
        Err(r)
    }
}

/// `RESOURCE_EXHAUSTED` for a message over the limit once decompressed, as `OUT_OF_RANGE`.
pub fn decompressed_over_limit<B>(mut r: http::Response<B>) -> http::Response<B> {
    let h = r.headers_mut();
    let exhausted = h.get("grpc-status").is_some_and(|v| v.as_bytes() == b"8");
    let decompressing = h
        .get("grpc-message")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|m| m.contains("decompressing"));
    if exhausted && decompressing {
        h.insert("grpc-status", http::HeaderValue::from_static("11"));
        h.insert(
            "grpc-message",
            http::HeaderValue::from_static(
                "the message is too large once decompressed: over gxd's --max-message-bytes",
            ),
        );
    }
    r
}
