//! Minting, hashing and checking bearer tokens (the format is in [`super`]'s docs).

use std::time::SystemTime;

use sha2::{Digest, Sha256};
use tonic::codegen::http;

use super::{AuthError, Principal, Role};
use crate::store::{Store, StoredToken};

/// `created_by` / `revoked_by` of `gxd token create|revoke`, run on the data directory.
pub const OFFLINE: &str = "offline";

const TOKEN_PREFIX: &str = "gx_";
const ID_HEX: usize = 16;
const SECRET_HEX: usize = 64;

/// A token just issued: the token itself (shown once) and what is stored.
#[derive(Debug, Clone)]
pub struct Issued {
    /// `gx_<id>_<secret>`: shown once, never stored.
    pub token: String,
    /// The id and hash gxd keeps.
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
    /// The body a filer submits for (required for filers); a label for other roles.
    pub org: String,
    /// Filers only: also the bodies within `org`.
    pub subtree: bool,
    /// Free text for the people managing tokens.
    pub note: String,
}

/// Longest `org` and `note` of a token, in characters.
pub const MAX_TOKEN_ORG_CHARS: usize = 128;
/// See [`MAX_TOKEN_ORG_CHARS`].
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
        if self.role == Role::Reviewer && self.org.is_empty() {
            return bad(
                "org",
                "required for a reviewer token: the body whose bodies within it it reviews".into(),
            );
        }
        if self.subtree && !matches!(self.role, Role::Filer | Role::Reviewer) {
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
            // A reviewer always covers the bodies within its body.
            subtree: spec.subtree || spec.role == Role::Reviewer,
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

/// Revokes token `id` unless it is the last active admin token. Revoking a revoked token
/// returns it unchanged. Used by the TokenService and by `gxd token revoke` on the data
/// directory alike.
pub async fn revoke(store: &Store, id: &str, by: &str) -> Result<StoredToken, AuthError> {
    let mut t = store
        .token(id)?
        .ok_or_else(|| AuthError::NoSuchToken(id.to_string()))?;
    if t.revoked_at.is_some() {
        return Ok(t);
    }
    if t.role == Role::Admin.as_str() {
        let active_admins = store
            .tokens()?
            .iter()
            .filter(|o| o.role == Role::Admin.as_str() && o.revoked_at.is_none())
            .count();
        if active_admins <= 1 {
            return Err(AuthError::LastAdmin(t.id));
        }
    }
    t.revoked_at = Some(SystemTime::now());
    t.revoked_by = by.to_string();
    store.put_token(&t).await?;
    Ok(t)
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

#[cfg(test)]
mod tests {
    use super::*;

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
