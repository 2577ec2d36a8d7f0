//! Bearer tokens as stored: a tree `tokens`, id → [`TokenRecord`].

use std::time::SystemTime;

use prost::Message;

use super::log::EntryKind;

use super::record::{from_micros, micros};
use super::{corrupt, Result, Store};

/// A bearer token as stored: its id and the SHA-256 of the whole token, never the token.
/// What the fields mean is [`crate::auth`]'s business.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredToken {
    pub id: String,
    pub secret_hash: [u8; 32],
    /// "admin", "filer" or "reader".
    pub role: String,
    pub org: String,
    pub subtree: bool,
    pub note: String,
    pub created_at: SystemTime,
    pub created_by: String,
    pub revoked_at: Option<SystemTime>,
    pub revoked_by: String,
}

/// The value of a `tokens` key.
#[derive(Clone, PartialEq, Message)]
struct TokenRecord {
    #[prost(bytes = "vec", tag = "1")]
    secret_hash: Vec<u8>,
    #[prost(string, tag = "2")]
    role: String,
    #[prost(string, tag = "3")]
    org: String,
    #[prost(bool, tag = "4")]
    subtree: bool,
    #[prost(string, tag = "5")]
    note: String,
    #[prost(int64, tag = "6")]
    created_at_us: i64,
    #[prost(string, tag = "7")]
    created_by: String,
    #[prost(int64, optional, tag = "8")]
    revoked_at_us: Option<i64>,
    #[prost(string, tag = "9")]
    revoked_by: String,
}

fn token_from(key: &[u8], value: &[u8]) -> Result<StoredToken> {
    let r = TokenRecord::decode(value).map_err(|e| corrupt(key, e.to_string()))?;
    Ok(StoredToken {
        id: String::from_utf8_lossy(key).into_owned(),
        secret_hash: r
            .secret_hash
            .as_slice()
            .try_into()
            .map_err(|_| corrupt(key, "token hash not 32 bytes"))?,
        role: r.role,
        org: r.org,
        subtree: r.subtree,
        note: r.note,
        created_at: from_micros(r.created_at_us),
        created_by: r.created_by,
        revoked_at: r.revoked_at_us.map(from_micros),
        revoked_by: r.revoked_by,
    })
}

impl Store {
    /// Stores (or replaces) a token; returns once it is on disk.
    pub async fn put_token(&self, t: &StoredToken) -> Result<()> {
        let record = TokenRecord {
            secret_hash: t.secret_hash.to_vec(),
            role: t.role.clone(),
            org: t.org.clone(),
            subtree: t.subtree,
            note: t.note.clone(),
            created_at_us: micros(t.created_at),
            created_by: t.created_by.clone(),
            revoked_at_us: t.revoked_at.map(micros),
            revoked_by: t.revoked_by.clone(),
        };
        self.writable()?;
        let value = record.encode_to_vec();
        {
            // Under the directory's lock, as bodies are written: a backup reads bodies,
            // tokens and the log's size together under it.
            let _dir = self.directory_write();
            self.inner
                .tokens
                .insert(t.id.as_bytes(), value.as_slice())?;
            self.log_write(EntryKind::Token, &t.id, 0, 0, &value)?;
        }
        self.durable().await.map(|_| ())
    }

    /// One token by id, or `None`.
    pub fn token(&self, id: &str) -> Result<Option<StoredToken>> {
        match self.inner.tokens.get(id.as_bytes())? {
            Some(v) => Ok(Some(token_from(id.as_bytes(), &v)?)),
            None => Ok(None),
        }
    }

    /// Every token, by id.
    pub fn tokens(&self) -> Result<Vec<StoredToken>> {
        self.inner
            .tokens
            .iter()
            .map(|kv| {
                let (k, v) = kv?;
                token_from(&k, &v)
            })
            .collect()
    }

    /// Whether any token (even a revoked one) was ever stored.
    pub fn has_tokens(&self) -> Result<bool> {
        Ok(!self.inner.tokens.is_empty())
    }
}
