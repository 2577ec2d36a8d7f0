//! Everything that knows the wire: the gRPC services over the library, their conversions and
//! the one error→status map. The server that runs them (with the web console beside them) is
//! [`crate::serve`].
//!
//! - [`layers`]: the tower layers every call passes (request span, limits, tokens and the
//!   decision).
//! - [`reports`]: `gx.v1.ReportService` — admission, the cross-year gate, diff and render;
//!   [`orgs`]: `gx.v1.OrgService` — bodies, roll-up, the filing board, export;
//!   [`tokens`]: `gx.v1.TokenService`; [`integrity`]: `gx.v1.IntegrityService`;
//!   [`watch`]: `gx.v1.WatchService` (following filings from a cursor).
//! - [`convert`]: the wire form ([`crate::pb`]) to and from the library's types;
//!   [`status`]: the one map from errors to gRPC statuses; [`codec`]: the protobuf codec
//!   (malformed bytes are `INVALID_ARGUMENT`).
//!
//! What every service's calls share — the one shape of a call, the page size, blocking
//! work — is in `calls.rs`.

mod calls;
pub mod codec;
pub mod convert;
pub mod edges;
pub mod integrity;
pub mod layers;
pub mod orgs;
pub mod reports;
pub mod status;
pub mod tokens;
pub mod watch;
