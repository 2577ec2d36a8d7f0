//! Who may do what — decided here and nowhere else.
//!
//! # Tokens
//!
//! A bearer token is `gx_<id>_<secret>`: a public id of 16 hex digits (64 random bits; it is
//! what revisions record as `submitted_by` and what logs show) and a secret of 64 hex digits
//! (256 random bits). gxd stores the id and the SHA-256 of the whole token, never the token:
//! a copy of the data directory yields no working credential. A plain hash is enough because
//! the secret is random and long — there is nothing to guess a dictionary from.
//!
//! # Roles and the decision
//!
//! Every call is classified by its gRPC path into a [`Need`] ([`need`]); [`decide`] compares
//! it with the caller's token, and [`decide_submit`] adds the body check of SubmitReport:
//!
//! | need | none | none, `--public-read` | reader | filer | admin |
//! |---|---|---|---|---|---|
//! | open (health, reflection) | ✓ | ✓ | ✓ | ✓ | ✓ |
//! | read (Get, List, ListRevisions, Diff, Render, Validate) | UNAUTHENTICATED | ✓ | ✓ | ✓ | ✓ |
//! | audit (VerifyChains, GetLogHead, WatchFilings²) | UNAUTHENTICATED | UNAUTHENTICATED | ✓ | ✓ | ✓ |
//! | submit (SubmitReport) | UNAUTHENTICATED | UNAUTHENTICATED | PERMISSION_DENIED | its body¹ | ✓ |
//! | review (ReviewReport) | UNAUTHENTICATED | UNAUTHENTICATED | PERMISSION_DENIED | PERMISSION_DENIED | ✓ |
//! | admin (TokenService, anything unclassified) | UNAUTHENTICATED | UNAUTHENTICATED | PERMISSION_DENIED | PERMISSION_DENIED | ✓ |
//!
//! ¹ the token's own body; with `subtree`, also every body within it ([`Hierarchy`]).
//! A reviewer token passes `review` and `read`/`audit` only; its body check is below.
//!
//! Two more roles: an archivist stores published reports as printed (and reads); a reviewer
//! reviews (ReviewReport: accepts or returns) the reports of the bodies within its body —
//! never its own body's report, which is reviewed from above — and reads ([`decide_review`]).
//! Admins may review any report. Every token reads, so filers see their reports' states and
//! the reasons of returns.
//!
//! ² A watch stream says what reads say (filings and bodies), but it lasts: it needs a token
//! even when reads are public. Any token may watch any subtree.
//!
//! A token that is present but malformed, unknown or revoked is `UNAUTHENTICATED` even where
//! no token is needed: a broken credential is never quietly treated as none.
//!
//! # Where it runs
//!
//! gxd's tower layer (`gx::grpc::layers::Authorize`) authenticates every request, applies
//! [`decide`], and leaves a [`Caller`] in the request's extensions; ReportService asks the
//! caller [`Caller::may_submit_for`] once it knows the report's body.
//!
//! # The body hierarchy (issue 6 plugs in here)
//!
//! Reporting bodies with parents do not exist yet. Until they do, [`CodeHierarchy`] derives
//! "within" from the codes themselves (see there). The roll-up issue should implement
//! [`Hierarchy`] over its parent relation and pass it as `gx::serve::Options::hierarchy`.
//!
//! # Where things are
//!
//! This file holds the decision: roles, needs, [`decide`], [`Caller`], [`AuthError`]. Tokens
//! (minting, hashing, [`authenticate`], [`bearer`]) are in `tokens.rs`, the body hierarchy in
//! `hierarchy.rs`, the bootstrap token file and [`write_private`] in `bootstrap.rs`. Everything
//! is used as `gx::auth::…`; the tower layer that runs the decision on every call is gxd's
//! (`gx::grpc::layers`).

mod bootstrap;
mod hierarchy;
mod tokens;

use std::sync::Arc;

use crate::store::StoreError;

pub use bootstrap::{bootstrap, write_private, BootstrapError, ADMIN_TOKEN_FILE, BOOTSTRAP};
pub use hierarchy::{CodeHierarchy, Hierarchy};
pub use tokens::{
    authenticate, bearer, issue, mint, revoke, token_hash, token_id, Issued, TokenSpec,
    MAX_TOKEN_NOTE_CHARS, MAX_TOKEN_ORG_CHARS, OFFLINE,
};

// ---------------------------------------------------------------- roles and principals

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Everything.
    Admin,
    /// Submit for its body (and descendants with `subtree`), and read.
    Filer,
    /// Read.
    Reader,
    /// Archive published reports as printed (`as_published`, errors and all) for any body,
    /// and read; never a plain filing.
    Archivist,
    /// Review (accept or return) the reports of the bodies within its body, and read.
    Reviewer,
}

impl Role {
    /// The name stored with a token and shown to people: `admin`, `filer`, `reader`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Filer => "filer",
            Role::Reader => "reader",
            Role::Archivist => "archivist",
            Role::Reviewer => "reviewer",
        }
    }

    /// The role of a name [`Role::as_str`] gives, `None` for any other string.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "filer" => Some(Role::Filer),
            "reader" => Some(Role::Reader),
            "archivist" => Some(Role::Archivist),
            "reviewer" => Some(Role::Reviewer),
            _ => None,
        }
    }

    /// "an admin", "a filer", "a reader".
    fn article(self) -> &'static str {
        match self {
            Role::Admin | Role::Archivist => "an",
            Role::Filer | Role::Reader | Role::Reviewer => "a",
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The authenticated holder of a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The token's public id (what revisions record as `submitted_by`).
    pub token_id: String,
    pub role: Role,
    /// The body a filer token submits for; for other roles, only a label (may be empty).
    pub org: String,
    /// A filer token that also covers the bodies within `org`.
    pub subtree: bool,
}

impl Principal {
    /// "a reader token", "a filer token for 621024101", "a filer token for 621024 and the
    /// bodies within it".
    pub fn describe(&self) -> String {
        match self.role {
            Role::Filer if self.subtree => {
                format!("a filer token for {} and the bodies within it", self.org)
            }
            Role::Filer => format!("a filer token for {}", self.org),
            Role::Reviewer => format!("a reviewer token for the bodies within {}", self.org),
            r if self.org.is_empty() => format!("{} {r} token", r.article()),
            r => format!("{} {r} token (of {})", r.article(), self.org),
        }
    }
}

// ---------------------------------------------------------------- what a call needs

/// What a call needs from its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Nothing: health and reflection.
    Open,
    /// Reading published reports: any token, or none with `--public-read`.
    Read,
    /// Recomputing the hash chains: any token.
    Audit,
    /// Storing a report: a filer token covering the report's body, or an admin token.
    Submit,
    /// Reviewing a report: a reviewer token of a body above the report's, or an admin token.
    Review,
    /// Managing gxd: an admin token.
    Admin,
}

/// The need of a gRPC path (`/package.Service/Method`). Paths not listed need an admin token:
/// a new RPC is closed until it is classified here.
pub fn need(path: &str) -> Need {
    let (service, method) = path
        .strip_prefix('/')
        .and_then(|p| p.split_once('/'))
        .unwrap_or(("", ""));
    match (service, method) {
        ("grpc.health.v1.Health", _)
        | ("grpc.reflection.v1.ServerReflection", _)
        | ("grpc.reflection.v1alpha.ServerReflection", _) => Need::Open,
        ("gx.v1.ReportService", "SubmitReport") => Need::Submit,
        ("gx.v1.ReportService", "ReviewReport") => Need::Review,
        (
            "gx.v1.ReportService",
            "ValidateReport" | "GetReport" | "ListReports" | "ListRevisions" | "DiffReports"
            | "RenderReport",
        ) => Need::Read,
        (
            "gx.v1.OrgService",
            "GetOrg" | "ListOrgs" | "RollUp" | "GetFilingStatus" | "ExportReports"
            | "AnalyzeRegion",
        ) => Need::Read,
        ("gx.v1.IntegrityService", "VerifyChains" | "GetLogHead")
        | ("gx.v1.WatchService", "WatchFilings") => Need::Audit,
        _ => Need::Admin,
    }
}

/// The method name of a path, for messages.
fn method(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

// ---------------------------------------------------------------- errors

/// Why a call is refused.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No token where one is needed.
    #[error("{call} needs a bearer token (metadata `authorization: Bearer gx_…`): {hint}")]
    Missing { call: String, hint: &'static str },
    /// The `authorization` value is not `Bearer gx_<id>_<secret>`.
    #[error("the authorization metadata is not a gx bearer token: {0}")]
    Malformed(&'static str),
    /// No such token, or a wrong secret.
    #[error("unknown token {id}: no token with this id and secret exists")]
    Unknown { id: String },
    /// The token was revoked.
    #[error("token {id} was revoked at {at}")]
    Revoked { id: String, at: String },
    /// The token does not cover the call.
    #[error("permission denied: {call} needs {needed}; token {token_id} is {is}")]
    Denied {
        call: String,
        needed: String,
        token_id: String,
        role: Role,
        org: String,
        is: String,
    },
    /// A request field of the TokenService.
    #[error("{field}: {description}")]
    BadRequest {
        field: &'static str,
        description: String,
    },
    /// Revoking the last active admin token.
    #[error("{0} is the last active admin token; issue another admin token first (or use `gxd token create --role admin` on the data directory)")]
    LastAdmin(String),
    /// No token with this id (RevokeToken).
    #[error("no token with id {0:?}")]
    NoSuchToken(String),
    /// No randomness from the operating system.
    #[error("cannot get random bytes from the operating system: {0}")]
    Random(String),
    /// Reading or writing the tokens failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

const HINT: &str =
    "gxctl takes one from --token, GX_TOKEN or its context, and on gxd's own machine \
     from the admin.token file gxd writes in its data directory; an admin issues tokens with \
     `gxctl token create`";

// ---------------------------------------------------------------- the decision

/// The one decision, by need. `call` is the gRPC path.
pub fn decide(
    principal: Option<&Principal>,
    need: Need,
    call: &str,
    public_read: bool,
) -> Result<(), AuthError> {
    let denied = |p: &Principal, needed: &str| AuthError::Denied {
        call: method(call).to_string(),
        needed: needed.to_string(),
        token_id: p.token_id.clone(),
        role: p.role,
        org: p.org.clone(),
        is: p.describe(),
    };
    match (need, principal) {
        (Need::Open, _) => Ok(()),
        (Need::Read, None) if public_read => Ok(()),
        (_, None) => Err(AuthError::Missing {
            call: method(call).to_string(),
            hint: HINT,
        }),
        (Need::Read | Need::Audit, Some(_)) => Ok(()),
        (Need::Submit, Some(p)) => match p.role {
            Role::Admin | Role::Filer | Role::Archivist => Ok(()),
            Role::Reader | Role::Reviewer => Err(denied(
                p,
                "a filer token for the report's body (or an admin token)",
            )),
        },
        (Need::Review, Some(p)) => match p.role {
            Role::Admin | Role::Reviewer => Ok(()),
            _ => Err(denied(
                p,
                "a reviewer token for a body above the report's (or an admin token)",
            )),
        },
        (Need::Admin, Some(p)) => match p.role {
            Role::Admin => Ok(()),
            _ => Err(denied(p, "an admin token")),
        },
    }
}

/// May `p` submit a report of body `org`?
pub fn decide_submit(p: &Principal, org: &str, h: &dyn Hierarchy) -> Result<(), AuthError> {
    let ok = match p.role {
        Role::Admin => true,
        Role::Filer => p.org == org || (p.subtree && h.contains(&p.org, org)),
        Role::Reader | Role::Archivist | Role::Reviewer => false,
    };
    if ok {
        return Ok(());
    }
    Err(AuthError::Denied {
        call: format!("SubmitReport for {org}"),
        needed: format!(
            "a filer token for {org} (or for a body it is within, issued with --subtree), or an admin token"
        ),
        token_id: p.token_id.clone(),
        role: p.role,
        org: p.org.clone(),
        is: p.describe(),
    })
}

/// May `p` review a report of body `org`? Admins any; a reviewer the bodies within its body
/// but not its own (the county's 本级 report is reviewed from above).
pub fn decide_review(p: &Principal, org: &str, h: &dyn Hierarchy) -> Result<(), AuthError> {
    let ok = match p.role {
        Role::Admin => true,
        Role::Reviewer => p.org != org && h.contains(&p.org, org),
        Role::Filer | Role::Reader | Role::Archivist => false,
    };
    if ok {
        return Ok(());
    }
    let own = p.role == Role::Reviewer && p.org == org;
    Err(AuthError::Denied {
        call: format!("ReviewReport for {org}"),
        needed: if own {
            format!("a reviewer token for a body above {org} (a body's own report is reviewed from above), or an admin token")
        } else {
            format!("a reviewer token for a body above {org}, or an admin token")
        },
        token_id: p.token_id.clone(),
        role: p.role,
        org: p.org.clone(),
        is: p.describe(),
    })
}

// ---------------------------------------------------------------- the caller

/// Who is calling, left in every request's extensions by gxd's auth layer.
#[derive(Debug, Clone)]
pub struct Caller {
    /// `None` for an anonymous read (`--public-read`).
    pub principal: Option<Principal>,
    hierarchy: Arc<dyn Hierarchy>,
}

impl Caller {
    /// A caller whose submissions are checked against `hierarchy`.
    pub fn new(principal: Option<Principal>, hierarchy: Arc<dyn Hierarchy>) -> Caller {
        Caller {
            principal,
            hierarchy,
        }
    }

    /// The caller of a request. Without gxd's auth layer in front there is none, and nothing
    /// is allowed.
    pub fn of<T>(request: &tonic::Request<T>) -> Result<&Caller, AuthError> {
        request
            .extensions()
            .get::<Caller>()
            .ok_or(AuthError::Missing {
                call: "this call".into(),
                hint: HINT,
            })
    }

    /// The token id, "" when anonymous.
    pub fn token_id(&self) -> &str {
        self.principal.as_ref().map_or("", |p| p.token_id.as_str())
    }

    /// May the caller store a report as it was published, errors and all? Admins and
    /// archivists.
    pub fn may_archive(&self) -> Result<(), AuthError> {
        let p = self.principal.as_ref().ok_or(AuthError::Missing {
            call: "SubmitReport".into(),
            hint: HINT,
        })?;
        if matches!(p.role, Role::Admin | Role::Archivist) {
            return Ok(());
        }
        Err(AuthError::Denied {
            call: "SubmitReport as published (with its errors)".into(),
            needed: "an admin or archivist token".into(),
            token_id: p.token_id.clone(),
            role: p.role,
            org: p.org.clone(),
            is: p.describe(),
        })
    }

    /// May the caller review a report of body `org`?
    pub fn may_review(&self, org: &str) -> Result<(), AuthError> {
        let p = self.principal.as_ref().ok_or(AuthError::Missing {
            call: "ReviewReport".into(),
            hint: HINT,
        })?;
        decide_review(p, org, self.hierarchy.as_ref())
    }

    /// May the caller submit a report of body `org`?
    pub fn may_submit_for(&self, org: &str) -> Result<(), AuthError> {
        let p = self.principal.as_ref().ok_or(AuthError::Missing {
            call: "SubmitReport".into(),
            hint: HINT,
        })?;
        decide_submit(p, org, self.hierarchy.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(role: Role, org: &str, subtree: bool) -> Principal {
        Principal {
            token_id: "0123456789abcdef".into(),
            role,
            org: org.into(),
            subtree,
        }
    }

    #[test]
    fn paths_are_classified_and_the_rest_is_closed() {
        assert_eq!(need("/grpc.health.v1.Health/Check"), Need::Open);
        assert_eq!(
            need("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"),
            Need::Open
        );
        assert_eq!(need("/gx.v1.ReportService/SubmitReport"), Need::Submit);
        assert_eq!(need("/gx.v1.ReportService/GetReport"), Need::Read);
        assert_eq!(need("/gx.v1.ReportService/RenderReport"), Need::Read);
        assert_eq!(need("/gx.v1.IntegrityService/VerifyChains"), Need::Audit);
        assert_eq!(need("/gx.v1.WatchService/WatchFilings"), Need::Audit);
        assert_eq!(need("/gx.v1.TokenService/CreateToken"), Need::Admin);
        assert_eq!(need("/gx.v1.ReportService/SomethingNew"), Need::Admin);
        assert_eq!(need("garbage"), Need::Admin);
    }

    #[test]
    fn the_decision_table() {
        use Need::*;
        let call = "/gx.v1.ReportService/X";
        let reader = p(Role::Reader, "", false);
        let filer = p(Role::Filer, "621024101", false);
        let admin = p(Role::Admin, "", false);
        for (need, public, who, ok) in [
            (Open, false, None, true),
            (Read, false, None, false),
            (Read, true, None, true),
            (Audit, true, None, false),
            (Submit, true, None, false),
            (Read, false, Some(&reader), true),
            (Audit, false, Some(&reader), true),
            (Submit, false, Some(&reader), false),
            (Admin, false, Some(&reader), false),
            (Submit, false, Some(&filer), true),
            (Admin, false, Some(&filer), false),
            (Admin, false, Some(&admin), true),
        ] {
            assert_eq!(
                decide(who, need, call, public).is_ok(),
                ok,
                "{need:?} public={public} {who:?}"
            );
        }
        let e = decide(
            Some(&reader),
            Admin,
            "/gx.v1.TokenService/CreateToken",
            false,
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            e,
            "permission denied: CreateToken needs an admin token; token 0123456789abcdef is a reader token"
        );
    }

    #[test]
    fn filers_submit_within_their_scope() {
        let h = CodeHierarchy;
        let own = p(Role::Filer, "621024101", false);
        assert!(decide_submit(&own, "621024101", &h).is_ok());
        assert!(decide_submit(&own, "621024102", &h).is_err());
        let county = p(Role::Filer, "621024", false);
        assert!(decide_submit(&county, "621024101", &h).is_err());
        let county_tree = p(Role::Filer, "621024", true);
        assert!(decide_submit(&county_tree, "621024101", &h).is_ok());
        assert!(decide_submit(&county_tree, "621024-zrzy", &h).is_ok());
        assert!(decide_submit(&county_tree, "621025101", &h).is_err());
        let e = decide_submit(&own, "621024102", &h)
            .unwrap_err()
            .to_string();
        assert!(e.contains("needs a filer token for 621024102"), "{e}");
        assert!(e.contains("is a filer token for 621024101"), "{e}");
        assert!(decide_submit(&p(Role::Reader, "", false), "x", &h).is_err());
        assert!(decide_submit(&p(Role::Admin, "", false), "x", &h).is_ok());
        assert!(decide_submit(&p(Role::Reviewer, "621024", true), "621024101", &h).is_err());
    }

    #[test]
    fn reviewers_review_below_their_body_only() {
        let h = CodeHierarchy;
        assert_eq!(need("/gx.v1.ReportService/ReviewReport"), Need::Review);
        let call = "/gx.v1.ReportService/ReviewReport";
        let county = p(Role::Reviewer, "621024", true);
        assert!(decide(Some(&county), Need::Review, call, false).is_ok());
        assert!(decide(Some(&county), Need::Submit, call, false).is_err());
        let filer = p(Role::Filer, "621024", true);
        assert!(decide(Some(&filer), Need::Review, call, false).is_err());
        assert!(decide_review(&county, "621024101", &h).is_ok());
        assert!(decide_review(&county, "621025101", &h).is_err());
        let own = decide_review(&county, "621024", &h)
            .unwrap_err()
            .to_string();
        assert!(own.contains("reviewed from above"), "{own}");
        assert!(decide_review(&filer, "621024101", &h).is_err());
        assert!(decide_review(&p(Role::Admin, "", false), "621024", &h).is_ok());
        assert_eq!(Role::parse("reviewer"), Some(Role::Reviewer));
    }
}
