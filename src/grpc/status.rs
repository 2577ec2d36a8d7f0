//! The one place where errors become gRPC statuses: codes, messages and `google.rpc` details.

use std::collections::HashMap;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, FieldViolation, StatusExt};

use crate::rules::Finding;
use crate::store::StoreError;

/// The `domain` of every `google.rpc.ErrorInfo` gxd sends.
pub const DOMAIN: &str = "gx.v1";

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// A malformed or out-of-range request: one or more fields, each with what is wrong.
    #[error("{}", describe(.0))]
    BadRequest(Vec<Violation>),
    /// A well-formed report that the rules reject (its error findings).
    #[error("报告未通过校验，共 {} 处错误", .0.len())]
    Rejected(Vec<Finding>),
    /// No such report, revision, or no revision at the time asked for.
    #[error("{0}")]
    NotFound(String),
    /// Cross-year warnings that the submission did not explain.
    #[error("{}", explanation_message(.0))]
    ExplanationRequired(Vec<Finding>),
    /// A roll-up that cannot be made.
    #[error(transparent)]
    RollUp(#[from] crate::rollup::RollUpError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Not authenticated, or not allowed.
    #[error(transparent)]
    Auth(Box<crate::auth::AuthError>),
}

impl From<crate::auth::AuthError> for ServiceError {
    fn from(e: crate::auth::AuthError) -> ServiceError {
        ServiceError::Auth(Box::new(e))
    }
}

fn explanation_message(findings: &[Finding]) -> String {
    let mut rules: Vec<&str> = findings.iter().map(|f| f.rule.as_str()).collect();
    rules.dedup();
    let example = rules
        .iter()
        .map(|r| format!("--explain {r}='…'"))
        .collect::<Vec<_>>()
        .join(" ");
    format!(
        "cross-year check: {} warning{} against last year's report need{} an explanation per rule ({}); \
         resubmit with the reasons (gxctl submit FILE {example})",
        findings.len(),
        if findings.len() == 1 { "" } else { "s" },
        if findings.len() == 1 { "s" } else { "" },
        rules.join(", ")
    )
}

/// One bad field: a cell key or a request field path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub field: String,
    pub description: String,
}

/// A field the conversions refused: a bad request of that one field.
impl From<crate::grpc::convert::FieldError> for ServiceError {
    fn from(e: crate::grpc::convert::FieldError) -> ServiceError {
        ServiceError::field(e.field, e.message)
    }
}

impl ServiceError {
    /// A bad request of one field.
    pub fn field(field: impl Into<String>, description: impl Into<String>) -> ServiceError {
        ServiceError::BadRequest(vec![Violation {
            field: field.into(),
            description: description.into(),
        }])
    }
}

fn describe(v: &[Violation]) -> String {
    v.iter()
        .map(|v| format!("{}: {}", v.field, v.description))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The field a finding is about: the cell fault localisation singles out, else its first
/// cell (the total side of a sum), else the report field the rule checks.
pub fn finding_field(f: &Finding) -> String {
    if let Some(s) = &f.suggestion {
        if let [one] = s.candidates.as_slice() {
            return one.cell.clone();
        }
    }
    match f.cells.first() {
        Some(c) => c.clone(),
        None if f.rule.starts_with("YEAR") => "report.year".into(),
        None if f.rule.starts_with("EDITION") => "report.edition".into(),
        None => "report".into(),
    }
}

/// The finding in Chinese, followed by its suggested correction when one was found.
pub fn finding_description(f: &Finding) -> String {
    match &f.suggestion {
        Some(s) if !s.candidates.is_empty() => format!("{}。{}", f.message, s.message),
        _ => f.message.clone(),
    }
}

fn error_info(reason: &str, metadata: &[(&str, String)]) -> ErrorDetails {
    let mut d = ErrorDetails::new();
    let metadata: HashMap<String, String> = metadata
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    d.set_error_info(reason, DOMAIN, metadata);
    d
}

impl From<ServiceError> for Status {
    fn from(e: ServiceError) -> Status {
        let message = e.to_string();
        match e {
            ServiceError::BadRequest(violations) => {
                let mut d = error_info("BAD_REQUEST", &[]);
                d.set_bad_request(
                    violations
                        .into_iter()
                        .map(|v| FieldViolation::new(v.field, v.description))
                        .collect::<Vec<_>>(),
                );
                Status::with_error_details(Code::InvalidArgument, message, d)
            }
            ServiceError::Rejected(findings) => {
                let rules: Vec<&str> = findings.iter().map(|f| f.rule.as_str()).collect();
                let mut d = error_info(
                    "REPORT_INVALID",
                    &[
                        ("errors", findings.len().to_string()),
                        ("rules", rules.join(",")),
                    ],
                );
                d.set_bad_request(
                    findings
                        .iter()
                        .map(|f| FieldViolation::new(finding_field(f), finding_description(f)))
                        .collect::<Vec<_>>(),
                );
                let first = findings
                    .first()
                    .map(|f| format!("：{}", f.message))
                    .unwrap_or_default();
                Status::with_error_details(Code::InvalidArgument, format!("{message}{first}"), d)
            }
            ServiceError::NotFound(m) => Status::not_found(m),
            ServiceError::ExplanationRequired(findings) => {
                let mut rules: Vec<&str> = findings.iter().map(|f| f.rule.as_str()).collect();
                rules.dedup();
                let mut d = error_info("EXPLANATION_REQUIRED", &[("rules", rules.join(","))]);
                for f in &findings {
                    d.add_precondition_failure_violation(
                        "CROSS_YEAR",
                        f.rule.clone(),
                        f.message.clone(),
                    );
                }
                Status::with_error_details(Code::FailedPrecondition, message, d)
            }
            ServiceError::RollUp(crate::rollup::RollUpError::Mixed(m)) => {
                let meta: Vec<(String, String)> =
                    m.0.iter()
                        .map(|(e, ids)| (format!("edition_{e}"), ids.join(",")))
                        .collect();
                let meta: Vec<(&str, String)> =
                    meta.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
                let mut d = error_info("MIXED_EDITIONS", &meta);
                d.add_precondition_failure_violation("EDITION", "reports", message.clone());
                Status::with_error_details(Code::FailedPrecondition, message, d)
            }
            ServiceError::RollUp(e) => Status::out_of_range(e.to_string()),
            ServiceError::Store(e) => store_status(e),
            ServiceError::Auth(e) => (*e).into(),
        }
    }
}

fn store_status(e: StoreError) -> Status {
    let message = e.to_string();
    match e {
        StoreError::Conflict { expected, current } => {
            let mut d = error_info(
                "REVISION_CONFLICT",
                &[
                    ("expected_revision", expected.to_string()),
                    ("current_revision", current.to_string()),
                ],
            );
            let m = format!(
                "expected_revision is {expected} but the current revision is {current}{}",
                if current == 0 {
                    " (none has been submitted)"
                } else {
                    ""
                }
            );
            d.add_precondition_failure_violation("REVISION", "expected_revision", m.clone());
            Status::with_error_details(Code::FailedPrecondition, m, d)
        }
        StoreError::Stale { reviewed, current } => {
            let mut d = error_info(
                "REVISION_CONFLICT",
                &[
                    ("revision", reviewed.to_string()),
                    ("current_revision", current.to_string()),
                ],
            );
            let m = if current == 0 {
                format!("revision {reviewed} cannot be reviewed: no revision has been filed")
            } else {
                format!(
                    "revision {reviewed} is no longer the latest: revision {current} was filed since; read it and review again"
                )
            };
            d.add_precondition_failure_violation("REVISION", "revision", m.clone());
            Status::with_error_details(Code::FailedPrecondition, m, d)
        }
        StoreError::ReasonRequired { current } => {
            let mut d = error_info(
                "REASON_REQUIRED",
                &[("current_revision", current.to_string())],
            );
            let m = format!(
                "reason: required to amend a report; revision {current} exists, say why it is amended"
            );
            d.add_precondition_failure_violation("REASON", "reason", m.clone());
            Status::with_error_details(Code::FailedPrecondition, m, d)
        }
        StoreError::BadKey => Status::invalid_argument(format!("report.org.id: {message}")),
        StoreError::Directory(d) => directory_status(d),
        StoreError::TooManyRevisions => Status::resource_exhausted(message),
        StoreError::Closed => Status::unavailable("gxd is shutting down; retry elsewhere or later"),
        StoreError::ReadOnly => Status::failed_precondition(message),
        StoreError::Archive(_) => Status::internal(message),
        StoreError::Flush(_) | StoreError::Log(_) => {
            tracing::error!(error = %message, "submission not made durable");
            Status::unavailable(format!(
                "{message}; the submission was not acknowledged, retry it"
            ))
        }
        StoreError::Corrupt { .. } => {
            tracing::error!(error = %message, "corrupt store");
            Status::data_loss(message)
        }
        StoreError::Locked { .. } | StoreError::Format { .. } | StoreError::Sled(_) => {
            tracing::error!(error = %message, "store error");
            Status::internal(format!("storage error: {message}"))
        }
    }
}

// ---------------------------------------------------------------- authentication, limits

impl From<crate::auth::AuthError> for Status {
    fn from(e: crate::auth::AuthError) -> Status {
        use crate::auth::AuthError as A;
        let message = e.to_string();
        match e {
            A::Missing { .. } => Status::with_error_details(
                Code::Unauthenticated,
                message,
                error_info("TOKEN_MISSING", &[]),
            ),
            A::Malformed(_) => Status::with_error_details(
                Code::Unauthenticated,
                message,
                error_info("TOKEN_MALFORMED", &[]),
            ),
            A::Unknown { id } => Status::with_error_details(
                Code::Unauthenticated,
                message,
                error_info("TOKEN_UNKNOWN", &[("token_id", id)]),
            ),
            A::Revoked { id, at } => Status::with_error_details(
                Code::Unauthenticated,
                message,
                error_info("TOKEN_REVOKED", &[("token_id", id), ("revoked_at", at)]),
            ),
            A::Denied {
                needed,
                token_id,
                role,
                org,
                ..
            } => Status::with_error_details(
                Code::PermissionDenied,
                message,
                error_info(
                    "PERMISSION_DENIED",
                    &[
                        ("needed", needed),
                        ("token_id", token_id),
                        ("role", role.to_string()),
                        ("org", org),
                    ],
                ),
            ),
            A::BadRequest { field, description } => ServiceError::field(field, description).into(),
            A::LastAdmin(id) => {
                let mut d = error_info("LAST_ADMIN", &[("token_id", id)]);
                d.add_precondition_failure_violation("LAST_ADMIN", "id", message.clone());
                Status::with_error_details(Code::FailedPrecondition, message, d)
            }
            A::NoSuchToken(_) => Status::not_found(message),
            A::Random(_) => {
                tracing::error!(error = %message, "no randomness");
                Status::internal(message)
            }
            A::Store(e) => store_status(e),
        }
    }
}

impl From<crate::grpc::layers::LimitError> for Status {
    fn from(e: crate::grpc::layers::LimitError) -> Status {
        use crate::grpc::layers::LimitError as L;
        let message = e.to_string();
        match e {
            L::Overloaded { max } => {
                let mut d = error_info("OVERLOADED", &[("max_concurrent", max.to_string())]);
                d.set_retry_info(Some(std::time::Duration::from_millis(100)));
                Status::with_error_details(Code::ResourceExhausted, message, d)
            }
            L::Timeout { after } => Status::with_error_details(
                Code::DeadlineExceeded,
                message,
                error_info("TIMEOUT", &[("timeout_ms", after.as_millis().to_string())]),
            ),
        }
    }
}

fn directory_status(e: crate::orgs::DirectoryError) -> Status {
    use crate::orgs::DirectoryError as D;
    let message = e.to_string();
    let bad = |field: &str, description: String| {
        Status::from(ServiceError::BadRequest(vec![Violation {
            field: field.into(),
            description,
        }]))
    };
    match e {
        D::Invalid { field, message } => bad(&field, message),
        D::Cycle { .. } => bad("parent", message),
        D::Unknown(_) => Status::not_found(format!(
            "{message}; register it first (gxctl org add ID --name NAME --level LEVEL [--parent ID])"
        )),
        D::Exists { .. } => Status::already_exists(message),
    }
}
