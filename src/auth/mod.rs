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
//! | audit (VerifyChains) | UNAUTHENTICATED | UNAUTHENTICATED | ✓ | ✓ | ✓ |
//! | submit (SubmitReport) | UNAUTHENTICATED | UNAUTHENTICATED | PERMISSION_DENIED | its body¹ | ✓ |
//! | admin (TokenService, anything unclassified) | UNAUTHENTICATED | UNAUTHENTICATED | PERMISSION_DENIED | PERMISSION_DENIED | ✓ |
//!
//! ¹ the token's own body; with `subtree`, also every body within it ([`Hierarchy`]).
//!
//! A token that is present but malformed, unknown or revoked is `UNAUTHENTICATED` even where
//! no token is needed: a broken credential is never quietly treated as none.
//!
//! # Where it runs
//!
//! [`AuthLayer`] (wired in [`crate::server`]) authenticates every request, applies [`decide`],
//! and leaves a [`Caller`] in the request's extensions; ReportService asks the caller
//! [`Caller::may_submit_for`] once it knows the report's body.
//!
//! # The body hierarchy (issue 6 plugs in here)
//!
//! Reporting bodies with parents do not exist yet. Until they do, [`CodeHierarchy`] derives
//! "within" from the codes themselves (see there). The roll-up issue should implement
//! [`Hierarchy`] over its parent relation and pass it as [`crate::server::Options::hierarchy`].

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::SystemTime;

use sha2::{Digest, Sha256};
use tonic::codegen::http;
use tonic::Status;

use crate::store::{Store, StoreError, StoredToken};

/// The file, in the data directory, where gxd writes the first admin token it creates.
pub const ADMIN_TOKEN_FILE: &str = "admin.token";

/// `created_by` of the token gxd creates on an empty data directory.
pub const BOOTSTRAP: &str = "bootstrap";
/// `created_by` / `revoked_by` of `gxd token create|revoke`, run on the data directory.
pub const OFFLINE: &str = "offline";

const TOKEN_PREFIX: &str = "gx_";
const ID_HEX: usize = 16;
const SECRET_HEX: usize = 64;

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
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Filer => "filer",
            Role::Reader => "reader",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "filer" => Some(Role::Filer),
            "reader" => Some(Role::Reader),
            _ => None,
        }
    }

    /// "an admin", "a filer", "a reader".
    fn article(self) -> &'static str {
        match self {
            Role::Admin => "an",
            Role::Filer | Role::Reader => "a",
        }
    }

    pub fn to_pb(self) -> crate::pb::Role {
        match self {
            Role::Admin => crate::pb::Role::Admin,
            Role::Filer => crate::pb::Role::Filer,
            Role::Reader => crate::pb::Role::Reader,
        }
    }

    pub fn from_pb(r: crate::pb::Role) -> Option<Role> {
        match r {
            crate::pb::Role::Admin => Some(Role::Admin),
            crate::pb::Role::Filer => Some(Role::Filer),
            crate::pb::Role::Reader => Some(Role::Reader),
            crate::pb::Role::Unspecified => None,
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
    pub token_id: String,
    pub role: Role,
    pub org: String,
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
        (
            "gx.v1.ReportService",
            "ValidateReport" | "GetReport" | "ListReports" | "ListRevisions" | "DiffReports"
            | "RenderReport",
        ) => Need::Read,
        (
            "gx.v1.OrgService",
            "GetOrg" | "ListOrgs" | "RollUp" | "GetFilingStatus" | "ExportReports",
        ) => Need::Read,
        ("gx.v1.IntegrityService", "VerifyChains") => Need::Audit,
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
            Role::Admin | Role::Filer => Ok(()),
            Role::Reader => Err(denied(
                p,
                "a filer token for the report's body (or an admin token)",
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
        Role::Reader => false,
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

// ---------------------------------------------------------------- the body hierarchy

/// Which bodies are within which.
pub trait Hierarchy: Send + Sync + std::fmt::Debug {
    /// Whether `org` is `root` itself or one of its descendants.
    fn contains(&self, root: &str, org: &str) -> bool;
}

/// "Within" read from the codes, until bodies have parents:
///
/// - `org` is `root`, or starts with `root` followed by `-`, `.`, `/` or `:`
///   (`621024-zrzy` and `621024.01` are within `621024`);
/// - or `root` is an administrative-division code (6, 9 or 12 digits) and `org` begins with
///   the digits that code fixes: trailing zero levels are dropped, so 620000 (甘肃省) fixes
///   `62`, 621000 (庆阳市) fixes `6210`, 621024 (合水县) fixes `621024`, 621024101000 fixes
///   `621024101`; `621024101` (a township) is within 621024, 621000 and 620000.
///
/// Other codes (unified social credit codes, internal codes) contain only themselves and what
/// is named after them with a separator.
#[derive(Debug, Clone, Copy, Default)]
pub struct CodeHierarchy;

/// The digits an administrative-division code fixes, or `None` if it is not one.
fn division_prefix(code: &str) -> Option<&str> {
    if !matches!(code.len(), 6 | 9 | 12) || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Levels: province 2, city 2, county 2, township 3, village 3 digits; a level of zeros
    // is not fixed, and neither is anything after it.
    let mut p = code;
    for (len, level) in [(12, 3), (9, 3), (6, 2), (4, 2)] {
        if p.len() != len {
            continue;
        }
        match p.strip_suffix(&"000"[..level]) {
            Some(head) => p = head,
            None => break,
        }
    }
    Some(p)
}

/// The registered bodies' parent relation decides when both bodies are registered; otherwise
/// the codes do ([`CodeHierarchy`]). A body moved to another county moves out of the old
/// county's subtree at once.
impl Hierarchy for crate::store::Store {
    fn contains(&self, root: &str, org: &str) -> bool {
        if org == root {
            return !root.is_empty();
        }
        let registered = self.with_directory(|d| d.get(root).is_some() && d.get(org).is_some());
        if registered {
            self.is_within(org, root)
        } else {
            CodeHierarchy.contains(root, org)
        }
    }
}

impl Hierarchy for CodeHierarchy {
    fn contains(&self, root: &str, org: &str) -> bool {
        if root.is_empty() {
            return false;
        }
        if org == root {
            return true;
        }
        if let Some(rest) = org.strip_prefix(root) {
            if rest.starts_with(['-', '.', '/', ':']) {
                return true;
            }
        }
        match division_prefix(root) {
            Some(p) => {
                let digits = org.bytes().take_while(u8::is_ascii_digit).count();
                digits > p.len() && org.starts_with(p)
            }
            None => false,
        }
    }
}

// ---------------------------------------------------------------- tokens

/// A token just issued: the token itself (shown once) and what is stored.
#[derive(Debug, Clone)]
pub struct Issued {
    pub token: String,
    pub stored: StoredToken,
}

/// The stored hash of a token.
pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Compares without an early exit (no timing signal of where two hashes differ).
fn same(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn random<const N: usize>() -> Result<[u8; N], AuthError> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|e| AuthError::Random(e.to_string()))?;
    Ok(b)
}

/// What a new token is for.
#[derive(Debug, Clone)]
pub struct TokenSpec {
    pub role: Role,
    pub org: String,
    pub subtree: bool,
    pub note: String,
}

/// Longest `org` and `note` of a token, in characters.
pub const MAX_TOKEN_ORG_CHARS: usize = 128;
pub const MAX_TOKEN_NOTE_CHARS: usize = 256;

impl TokenSpec {
    /// Checks the fields (a filer needs a body; `subtree` is for filers).
    pub fn check(&self) -> Result<(), AuthError> {
        let bad = |field, description: String| Err(AuthError::BadRequest { field, description });
        if self.org.chars().count() > MAX_TOKEN_ORG_CHARS {
            return bad("org", format!("at most {MAX_TOKEN_ORG_CHARS} characters"));
        }
        if self.org.trim() != self.org || self.org.chars().any(char::is_control) {
            return bad(
                "org",
                "must not contain control characters or begin or end with whitespace".into(),
            );
        }
        if self.note.chars().count() > MAX_TOKEN_NOTE_CHARS {
            return bad("note", format!("at most {MAX_TOKEN_NOTE_CHARS} characters"));
        }
        if self.note.chars().any(char::is_control) {
            return bad("note", "must not contain control characters".into());
        }
        if self.role == Role::Filer && self.org.is_empty() {
            return bad(
                "org",
                "required for a filer token: the reporting body it submits for".into(),
            );
        }
        if self.subtree && self.role != Role::Filer {
            return bad(
                "subtree",
                format!(
                    "only for filer tokens; {} {} token is not limited to a body",
                    self.role.article(),
                    self.role
                ),
            );
        }
        Ok(())
    }
}

/// Mints a token (not yet stored).
pub fn mint(spec: &TokenSpec, created_by: &str) -> Result<Issued, AuthError> {
    spec.check()?;
    let id = hex::encode(random::<{ ID_HEX / 2 }>()?);
    let secret = hex::encode(random::<{ SECRET_HEX / 2 }>()?);
    let token = format!("{TOKEN_PREFIX}{id}_{secret}");
    Ok(Issued {
        stored: StoredToken {
            id,
            secret_hash: token_hash(&token),
            role: spec.role.as_str().to_string(),
            org: spec.org.clone(),
            subtree: spec.subtree,
            note: spec.note.clone(),
            created_at: SystemTime::now(),
            created_by: created_by.to_string(),
            revoked_at: None,
            revoked_by: String::new(),
        },
        token,
    })
}

/// Mints and stores a token.
pub async fn issue(store: &Store, spec: &TokenSpec, created_by: &str) -> Result<Issued, AuthError> {
    let issued = mint(spec, created_by)?;
    store.put_token(&issued.stored).await?;
    Ok(issued)
}

/// The id of a well-formed token.
pub fn token_id(token: &str) -> Result<&str, AuthError> {
    let rest = token
        .strip_prefix(TOKEN_PREFIX)
        .ok_or(AuthError::Malformed("a gx token begins with gx_"))?;
    let (id, secret) = rest
        .split_once('_')
        .ok_or(AuthError::Malformed("a gx token is gx_<id>_<secret>"))?;
    let lower_hex = |s: &str, n: usize| {
        s.len() == n && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    };
    if !lower_hex(id, ID_HEX) || !lower_hex(secret, SECRET_HEX) {
        return Err(AuthError::Malformed(
            "a gx token is gx_<16 hex digits>_<64 hex digits>",
        ));
    }
    Ok(id)
}

/// The token of an `authorization` value `Bearer <token>`.
pub fn bearer(value: &http::HeaderValue) -> Result<&str, AuthError> {
    let v = value
        .to_str()
        .map_err(|_| AuthError::Malformed("the value is not ASCII"))?;
    let (scheme, token) = v
        .trim()
        .split_once(' ')
        .ok_or(AuthError::Malformed("expected `Bearer <token>`"))?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(AuthError::Malformed("expected the Bearer scheme"));
    }
    Ok(token.trim())
}

/// Who holds `token`, if it is a live token of this store.
pub fn authenticate(store: &Store, token: &str) -> Result<Principal, AuthError> {
    let id = token_id(token)?;
    let unknown = || AuthError::Unknown { id: id.to_string() };
    let stored = store.token(id)?.ok_or_else(unknown)?;
    if !same(&stored.secret_hash, &token_hash(token)) {
        return Err(unknown());
    }
    if let Some(at) = stored.revoked_at {
        return Err(AuthError::Revoked {
            id: stored.id,
            at: prost_types::Timestamp::from(at).to_string(),
        });
    }
    let Some(role) = Role::parse(&stored.role) else {
        tracing::error!(token_id = %stored.id, role = %stored.role, "a stored token has an unknown role");
        return Err(unknown());
    };
    Ok(Principal {
        token_id: stored.id,
        role,
        org: stored.org,
        subtree: stored.subtree,
    })
}

// ---------------------------------------------------------------- bootstrap

/// On a data directory without any token: issues an admin token and writes it to
/// `<data>/admin.token`, readable only by its owner. Returns the token and the file, or
/// `None` when tokens exist.
pub async fn bootstrap(store: &Store) -> Result<Option<(Issued, PathBuf)>, BootstrapError> {
    if store.has_tokens()? {
        return Ok(None);
    }
    let spec = TokenSpec {
        role: Role::Admin,
        org: String::new(),
        subtree: false,
        note: "created by gxd on an empty data directory".into(),
    };
    let issued = mint(&spec, BOOTSTRAP)?;
    let path = store.path().join(ADMIN_TOKEN_FILE);
    // The file first: a token stored but never written anywhere would be lost.
    write_private(&path, &format!("{}\n", issued.token))
        .map_err(|e| BootstrapError::File(path.clone(), e))?;
    store
        .put_token(&issued.stored)
        .await
        .map_err(AuthError::from)?;
    Ok(Some((issued, path)))
}

/// Why bootstrapping failed.
#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    #[error("cannot write the admin token to {0}: {1}")]
    File(PathBuf, std::io::Error),
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Writes `text` to `path` readable and writable by the owner only (0600 on Unix), replacing
/// any file there atomically.
pub fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(&tmp)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, path)
}

// ---------------------------------------------------------------- the caller

/// Who is calling, left in every request's extensions by [`AuthLayer`].
#[derive(Debug, Clone)]
pub struct Caller {
    /// `None` for an anonymous read (`--public-read`).
    pub principal: Option<Principal>,
    hierarchy: Arc<dyn Hierarchy>,
}

impl Caller {
    pub fn new(principal: Option<Principal>, hierarchy: Arc<dyn Hierarchy>) -> Caller {
        Caller {
            principal,
            hierarchy,
        }
    }

    /// The caller of a request. Without [`AuthLayer`] in front there is none, and nothing
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

    /// May the caller submit a report of body `org`?
    pub fn may_submit_for(&self, org: &str) -> Result<(), AuthError> {
        let p = self.principal.as_ref().ok_or(AuthError::Missing {
            call: "SubmitReport".into(),
            hint: HINT,
        })?;
        decide_submit(p, org, self.hierarchy.as_ref())
    }
}

// ---------------------------------------------------------------- the layer

/// Authenticates and authorises every request before it reaches a service (see the module
/// docs). Refusals are answered here, without decoding the request.
#[derive(Debug, Clone)]
pub struct AuthLayer {
    state: Arc<AuthState>,
}

#[derive(Debug)]
struct AuthState {
    store: Store,
    public_read: bool,
    hierarchy: Arc<dyn Hierarchy>,
}

impl AuthLayer {
    pub fn new(store: Store, public_read: bool, hierarchy: Arc<dyn Hierarchy>) -> AuthLayer {
        AuthLayer {
            state: Arc::new(AuthState {
                store,
                public_read,
                hierarchy,
            }),
        }
    }
}

impl AuthState {
    fn admit(
        &self,
        path: &str,
        authorization: Option<&http::HeaderValue>,
    ) -> Result<Caller, AuthError> {
        let need = need(path);
        let principal = match authorization {
            None => None,
            Some(v) => Some(authenticate(&self.store, bearer(v)?)?),
        };
        decide(principal.as_ref(), need, path, self.public_read)?;
        Ok(Caller::new(principal, self.hierarchy.clone()))
    }
}

impl<S> tower::Layer<S> for AuthLayer {
    type Service = Authenticate<S>;

    fn layer(&self, inner: S) -> Authenticate<S> {
        Authenticate {
            inner,
            state: self.state.clone(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Authenticate<S> {
    inner: S,
    state: Arc<AuthState>,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

impl<S, B, RB> tower::Service<http::Request<B>> for Authenticate<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<RB>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    RB: Default + Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<S::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: http::Request<B>) -> Self::Future {
        let admitted = self.state.admit(
            req.uri().path(),
            req.headers().get(http::header::AUTHORIZATION),
        );
        match admitted {
            Ok(caller) => {
                if let Some(p) = &caller.principal {
                    tracing::Span::current().record("token", p.token_id.as_str());
                }
                req.extensions_mut().insert(caller);
                Box::pin(self.inner.call(req))
            }
            Err(e) => {
                match &e {
                    // Authenticated, but not allowed: the log says who.
                    AuthError::Denied { token_id, .. }
                    | AuthError::Revoked { id: token_id, .. } => {
                        tracing::Span::current().record("token", token_id.as_str());
                    }
                    AuthError::Store(s) => tracing::error!(error = %s, "reading tokens failed"),
                    _ => {}
                }
                let response = Status::from(e).into_http::<RB>();
                Box::pin(async move { Ok(response) })
            }
        }
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
    }

    #[test]
    fn code_hierarchy() {
        let h = CodeHierarchy;
        assert_eq!(division_prefix("620000"), Some("62"));
        assert_eq!(division_prefix("621000"), Some("6210"));
        assert_eq!(division_prefix("621024"), Some("621024"));
        assert_eq!(division_prefix("621024101000"), Some("621024101"));
        assert_eq!(division_prefix("621024000000"), Some("621024"));
        assert_eq!(division_prefix("62102410"), None);
        for (root, org, within) in [
            ("621024", "621024", true),
            ("621024", "621024101", true),
            ("621024", "621024-zrzy", true),
            ("621000", "621024101", true),
            ("620000", "621024-zrzy", true),
            ("621000", "620100", false),
            ("621024", "621025", false),
            ("621024", "6210241", true),
            ("621024101", "621024102", false),
            ("91620000MA", "91620000MA-1", true),
            ("91620000MA", "91620000MAX", false),
            ("abc", "abcd", false),
            ("", "x", false),
        ] {
            assert_eq!(h.contains(root, org), within, "{org} within {root}");
        }
    }

    #[test]
    fn tokens_parse_and_hash() {
        let spec = TokenSpec {
            role: Role::Filer,
            org: "621024101".into(),
            subtree: false,
            note: String::new(),
        };
        let a = mint(&spec, "x").unwrap();
        let b = mint(&spec, "x").unwrap();
        assert_ne!(a.token, b.token);
        assert_eq!(a.token.len(), 3 + 16 + 1 + 64);
        assert_eq!(token_id(&a.token).unwrap(), a.stored.id);
        assert!(!a.stored.secret_hash.is_empty());
        assert!(same(&a.stored.secret_hash, &token_hash(&a.token)));
        assert!(!same(&a.stored.secret_hash, &b.stored.secret_hash));
        for bad in [
            "",
            "gx_",
            "xx_0123456789abcdef_00",
            "gx_0123456789ABCDEF_0000000000000000000000000000000000000000000000000000000000000000",
            "gx_0123456789abcdef_000",
        ] {
            assert!(
                matches!(token_id(bad), Err(AuthError::Malformed(_))),
                "{bad}"
            );
        }
        let no_org = TokenSpec {
            org: String::new(),
            ..spec.clone()
        };
        assert!(matches!(
            mint(&no_org, "x"),
            Err(AuthError::BadRequest { field: "org", .. })
        ));
        let reader_subtree = TokenSpec {
            role: Role::Reader,
            subtree: true,
            ..spec
        };
        assert!(matches!(
            mint(&reader_subtree, "x"),
            Err(AuthError::BadRequest {
                field: "subtree",
                ..
            })
        ));
    }

    #[test]
    fn bearer_values() {
        let v = |s: &str| http::HeaderValue::from_str(s).unwrap();
        assert_eq!(bearer(&v("Bearer abc")).unwrap(), "abc");
        assert_eq!(bearer(&v("bearer  abc ")).unwrap(), "abc");
        assert!(bearer(&v("Basic abc")).is_err());
        assert!(bearer(&v("abc")).is_err());
    }
}
