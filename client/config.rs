//! Named contexts: which gxd to talk to and as which body, kept in the user's config dir
//! (`$GX_CONFIG`, or `<config dir>/gx/config.yaml`, written readable by its owner only).
//! Flags and env (`GX_SERVER`, `GX_ORG`, `GX_TOKEN`, `GX_CA`, …) override the current context.
//!
//! The token is the first of `--token`/`GX_TOKEN`, the context's `token`, and — only for a
//! gxd on this machine (a loopback address) — the admin token gxd wrote on its first start
//! in its data directory (`$GX_DATA/admin.token`, else `<data dir>/gx/admin.token`).

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{bail, Context as _, Result};
use clap::Args;
use serde::{Deserialize, Serialize};

/// The address gxd listens on by default.
pub const DEFAULT_SERVER: &str = "http://127.0.0.1:50051";

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Context {
    /// gxd's address, e.g. `http://127.0.0.1:50051`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    /// The default reporting body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<String>,
    /// Bearer token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// CA certificate file for TLS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca: Option<String>,
    /// Client certificate file (PEM), for a gxd that requires client certificates (mTLS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert: Option<String>,
    /// The client certificate's private key (PEM).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<String>,
    #[serde(default)]
    pub contexts: BTreeMap<String, Context>,
}

pub fn path() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os("GX_CONFIG") {
        return Ok(PathBuf::from(p));
    }
    let dir =
        dirs::config_dir().context("cannot find the user's config directory; set GX_CONFIG")?;
    Ok(dir.join("gx").join("config.yaml"))
}

impl Config {
    pub fn load() -> Result<Config> {
        let path = path()?;
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_yaml_ng::from_str(&text)
                .with_context(|| format!("{}: not a gxctl config", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
        }
    }

    pub fn save(&self) -> Result<()> {
        let path = path()?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let text = serde_yaml_ng::to_string(self)?;
        // It may hold tokens: owner only.
        gx::auth::write_private(&path, &text)
            .with_context(|| format!("cannot write {}", path.display()))
    }

    /// The context in force: `--context`, else the current one.
    pub fn context(&self, name: Option<&str>) -> Result<Context> {
        match name.or(self.current.as_deref()) {
            None => Ok(Context::default()),
            Some(n) => match self.contexts.get(n) {
                Some(c) => Ok(c.clone()),
                None if name.is_some() => bail!("no context named {n:?} (see `gxctl config view`)"),
                None => Ok(Context::default()),
            },
        }
    }
}

/// Connection settings common to every command that talks to gxd.
#[derive(Debug, Clone, Args)]
pub struct Connection {
    /// gxd's address [default: from the context, else http://127.0.0.1:50051]
    #[arg(long, global = true, env = "GX_SERVER", value_name = "URL")]
    pub server: Option<String>,
    /// The reporting body [default: from the context]
    #[arg(long, global = true, env = "GX_ORG", value_name = "ORG")]
    pub org: Option<String>,
    /// Use this named context instead of the current one.
    #[arg(long, global = true, env = "GX_CONTEXT", value_name = "NAME")]
    pub context: Option<String>,
    /// Bearer token [default: from the context; on gxd's own machine, its admin.token].
    /// Prefer GX_TOKEN or a context: a flag shows in the process list.
    #[arg(long, global = true, env = "GX_TOKEN", value_name = "TOKEN")]
    #[arg(hide_env_values = true)]
    pub token: Option<String>,
    /// CA certificate (PEM) that signed gxd's TLS certificate; implies https://.
    #[arg(long, global = true, env = "GX_CA", value_name = "FILE")]
    pub ca: Option<String>,
    /// Client certificate (PEM) for a gxd requiring client certificates (mTLS).
    #[arg(long, global = true, env = "GX_CERT", value_name = "FILE")]
    #[arg(requires = "key")]
    pub cert: Option<String>,
    /// The client certificate's private key (PEM).
    #[arg(long, global = true, env = "GX_KEY", value_name = "FILE")]
    #[arg(requires = "cert")]
    pub key: Option<String>,
}

/// What a command ends up using.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub server: String,
    pub org: Option<String>,
    pub token: Option<String>,
    pub ca: Option<String>,
    pub cert: Option<String>,
    pub key: Option<String>,
}

impl Connection {
    pub fn resolve(&self) -> Result<Resolved> {
        let ctx = Config::load()?.context(self.context.as_deref())?;
        let mut server = self
            .server
            .clone()
            .or(ctx.server)
            .unwrap_or_else(|| DEFAULT_SERVER.to_string());
        let ca = self.ca.clone().or(ctx.ca);
        let (cert, key) = match (&self.cert, &self.key) {
            (Some(c), Some(k)) => (Some(c.clone()), Some(k.clone())),
            _ => (ctx.cert, ctx.key),
        };
        if !server.contains("://") {
            let tls = ca.is_some() || cert.is_some();
            server = format!("{}://{server}", if tls { "https" } else { "http" });
        }
        let token = self
            .token
            .clone()
            .or(ctx.token)
            .or_else(|| crate::local::admin_token(&server));
        Ok(Resolved {
            server,
            org: self.org.clone().or(ctx.org),
            token,
            ca,
            cert,
            key,
        })
    }
}
