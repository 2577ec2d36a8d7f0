//! Sessions of the web console, kept in gxd's memory only.
//!
//! Signing in with a token makes a session: a random id of 256 bits (64 hex digits) is the
//! only thing the browser holds, in the cookie `gx_session` (`HttpOnly`, `SameSite=Strict`,
//! `Path=/`, `Max-Age` of [`SESSION_TTL`], `Secure` when gxd serves TLS). The token itself
//! stays on the server, in the session, and every request authenticates it again through
//! [`crate::auth::authenticate`] — so a revoked token ends its sessions at once, and no
//! cookie value is ever a credential for gRPC. Sessions end at sign-out, after
//! [`SESSION_TTL`] from sign-in, or when gxd stops (signing in again is the remedy).
//!
//! Each session has its own CSRF token, written into every form as the hidden field `csrf`
//! and compared on every POST; the sign-in form, before there is a session, uses a
//! double-submit cookie `gx_signin` instead.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::model::Report;
use crate::provenance::CellSource;

/// How long a session lasts from sign-in.
pub const SESSION_TTL: Duration = Duration::from_secs(8 * 3600);
/// The most sessions kept at once; the oldest go first beyond it.
pub const MAX_SESSIONS: usize = 10_000;
/// The session cookie's name.
pub const SESSION_COOKIE: &str = "gx_session";
/// The sign-in form's double-submit cookie.
pub const SIGNIN_COOKIE: &str = "gx_signin";

/// An uploaded report waiting for the filer to confirm it.
#[derive(Debug, Clone)]
pub struct Pending {
    pub report: Report,
    pub provenance: Vec<CellSource>,
    pub file_name: String,
}

/// One signed-in browser.
#[derive(Debug, Clone)]
pub struct Session {
    /// The bearer token it signed in with (never written to a cookie, a URL or a log).
    pub token: String,
    pub csrf: String,
    pub created: Instant,
    pub pending: Option<Pending>,
}

/// The sessions of one gxd.
#[derive(Debug, Default)]
pub struct Sessions {
    map: Mutex<HashMap<String, Session>>,
}

/// 32 random bytes as 64 hex digits.
pub fn random_id() -> Result<String, getrandom::Error> {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b)?;
    Ok(hex::encode(b))
}

/// Whether two secrets are equal, in time independent of where they differ.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

impl Sessions {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A new session for `token`: its id.
    pub fn create(&self, token: String) -> Result<String, getrandom::Error> {
        let id = random_id()?;
        let session = Session {
            token,
            csrf: random_id()?,
            created: Instant::now(),
            pending: None,
        };
        let mut map = self.lock();
        map.retain(|_, s| s.created.elapsed() < SESSION_TTL);
        if map.len() >= MAX_SESSIONS {
            if let Some(oldest) = map
                .iter()
                .min_by_key(|(_, s)| s.created)
                .map(|(k, _)| k.clone())
            {
                map.remove(&oldest);
            }
        }
        map.insert(id.clone(), session);
        Ok(id)
    }

    /// The live session of an id.
    pub fn get(&self, id: &str) -> Option<Session> {
        let mut map = self.lock();
        match map.get(id) {
            Some(s) if s.created.elapsed() < SESSION_TTL => Some(s.clone()),
            Some(_) => {
                map.remove(id);
                None
            }
            None => None,
        }
    }

    /// Ends a session.
    pub fn remove(&self, id: &str) {
        self.lock().remove(id);
    }

    /// Keeps (or with `None` drops) the upload waiting in a session.
    pub fn set_pending(&self, id: &str, pending: Option<Pending>) {
        if let Some(s) = self.lock().get_mut(id) {
            s.pending = pending;
        }
    }
}

/// The value of cookie `name` in a `Cookie` header.
pub fn cookie<'h>(headers: &'h axum::http::HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

/// A `Set-Cookie` value with the console's flags; `max_age` 0 deletes the cookie.
pub fn set_cookie(name: &str, value: &str, max_age: Duration, secure: bool) -> String {
    let mut s = format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}",
        max_age.as_secs()
    );
    if secure {
        s.push_str("; Secure");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_strict_http_only_and_secure_under_tls() {
        let plain = set_cookie(SESSION_COOKIE, "ab", SESSION_TTL, false);
        assert_eq!(
            plain,
            "gx_session=ab; Path=/; HttpOnly; SameSite=Strict; Max-Age=28800"
        );
        let tls = set_cookie(SESSION_COOKIE, "ab", SESSION_TTL, true);
        assert!(tls.ends_with("; Secure"), "{tls}");
    }

    #[test]
    fn sessions_expire_and_end() {
        let s = Sessions::default();
        let id = s.create("gx_x_y".into()).unwrap();
        assert_eq!(id.len(), 64);
        assert_eq!(s.get(&id).unwrap().token, "gx_x_y");
        s.lock().get_mut(&id).unwrap().created = Instant::now() - SESSION_TTL;
        assert!(s.get(&id).is_none(), "expired");
        let id = s.create("t".into()).unwrap();
        s.remove(&id);
        assert!(s.get(&id).is_none());
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("abc", "ab"));
    }

    #[test]
    fn the_cookie_header_is_read_by_name() {
        let mut h = axum::http::HeaderMap::new();
        h.insert(
            axum::http::header::COOKIE,
            "a=1; gx_session=xyz; b=2".parse().unwrap(),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("xyz"));
        assert_eq!(cookie(&h, "gx_signin"), None);
    }
}
