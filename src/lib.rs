//! gx: China's 政府信息公开工作年度报告 (government information disclosure annual reports) as
//! validated, comparable data.
//!
//! - [`template`]: the two national editions declared as data — tables, rows, columns,
//!   official labels, cell keys and which cells sum to which. Everything else reads it.
//! - [`model`]: the report as the library holds it.
//! - [`rules`]: the one rules engine (勾稽关系, types, fault localisation).
//! - [`files`]: JSON, YAML and the flat cell view.
//! - [`store`]: durable, versioned storage (the only module that knows sled) and the
//!   revisions' hash chain.
//! - [`auth`]: tokens, roles and the one authorisation decision.
//! - [`grpc`]: everything that knows the wire — the services (`gx.v1.ReportService`,
//!   `OrgService`, `TokenService`, `IntegrityService`, `WatchService`), the conversions to
//!   and from [`pb`], the one error→status map and the tower layers (request span, limits,
//!   tokens).
//! - [`web`]: the county office's web console, a client of the services in process.
//! - [`serve`]: the server that runs it all on one listener (health, reflection, the
//!   console, TLS, shutdown).
//! - [`render`]: the publishable report as HTML, Markdown or flat text.
//! - [`import`]: published reports (web pages, PDFs, text) read into the model.
//! - [`diff`]: two reports compared; [`crossyear`]: the checks of a report against the same
//!   body's report of the year before.
//! - [`narrative`]: the figures a report's text states about its own tables (`NT-*` rules).
//! - [`orgs`]: reporting bodies and their hierarchy; [`rollup`]: the sum (汇总) of many
//!   reports; [`packed`]: cell values packed for storage and export.
//! - `synth` (with the `synth` feature, which the tests and benches turn on): synthetic,
//!   consistent reports for tests and benchmarks.

pub mod analysis;
pub mod auth;
pub mod crossyear;
pub mod diff;
pub mod files;
pub mod finding;
pub mod grpc;
pub mod import;
pub mod merkle;
pub mod model;
pub mod narrative;
pub mod orgs;
pub mod packed;
pub mod provenance;
pub mod render;
pub mod rollup;
pub mod rules;
pub mod serve;
pub mod store;
#[cfg(any(test, feature = "synth"))]
pub mod synth;
pub mod template;
pub mod web;

/// The generated protobuf and gRPC code of `proto/gx/v1`.
pub mod pb {
    #![allow(clippy::all, missing_docs)]
    tonic::include_proto!("gx.v1");

    /// The encoded `FileDescriptorSet` of `proto/`, for server reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] =
        include_bytes!(concat!(env!("OUT_DIR"), "/gx_descriptor.bin"));
}

pub use model::{Cell, Report, Value};
pub use rules::{validate, Finding, Severity, Verdict};
pub use template::Edition;
