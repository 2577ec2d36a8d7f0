//! gx: China's 政府信息公开工作年度报告 (government information disclosure annual reports) as
//! validated, comparable data.
//!
//! - [`template`]: the two national editions declared as data — tables, rows, columns,
//!   official labels, cell keys and which cells sum to which. Everything else reads it.
//! - [`model`]: the report as the library holds it.
//! - [`rules`]: the one rules engine (勾稽关系, types, fault localisation).
//! - [`files`]: JSON, YAML and the flat cell view.
//! - [`convert`]: the wire form ([`pb`]) to and from the model.

pub mod convert;
pub mod files;
pub mod import;
pub mod model;
pub mod rules;
pub mod template;

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
