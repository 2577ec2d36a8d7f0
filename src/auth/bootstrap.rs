//! The first admin token of an empty data directory, and the one writer of files only their
//! owner may read (that token file, and gxctl's config, which may hold tokens).

use std::path::{Path, PathBuf};

use super::{mint, AuthError, Issued, Role, TokenSpec};
use crate::store::{Store, StoreError};

/// The file, in the data directory, where gxd writes the first admin token it creates.
pub const ADMIN_TOKEN_FILE: &str = "admin.token";

/// `created_by` of the token gxd creates on an empty data directory.
pub const BOOTSTRAP: &str = "bootstrap";

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
    /// The token file could not be written (the token was not stored).
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
