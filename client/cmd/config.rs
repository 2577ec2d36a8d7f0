//! `gxctl config`: create, choose and show the named contexts.

use anyhow::{bail, Result};
use clap::Subcommand;

use crate::config::{path, Config};
use crate::exit::Exit;
use crate::output::{self, OutputFormat};

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Create or update a named context.
    SetContext {
        name: String,
        /// gxd's address.
        #[arg(long = "server", value_name = "URL")]
        server: Option<String>,
        /// Default reporting body.
        #[arg(long = "org", value_name = "ORG")]
        org: Option<String>,
        /// Bearer token.
        #[arg(long)]
        token: Option<String>,
        /// CA certificate file for TLS.
        #[arg(long)]
        ca: Option<String>,
        /// Client certificate file (mTLS).
        #[arg(long, requires = "key")]
        cert: Option<String>,
        /// The client certificate's key file (mTLS).
        #[arg(long, requires = "cert")]
        key: Option<String>,
    },
    /// Make a context the current one.
    UseContext { name: String },
    /// Show the configuration and where it lives.
    View {
        #[arg(short, long, value_enum, default_value_t)]
        output: OutputFormat,
    },
}

pub const EXAMPLES: &str = "\
Examples:
  gxctl config set-context county --server https://gx.county.example:50051 --ca county-ca.pem --org 621024 --token gx_…
  gxctl config use-context county
  gxctl config view";

pub fn run(cmd: ConfigCommand) -> Result<Exit> {
    let mut config = Config::load()?;
    match cmd {
        ConfigCommand::SetContext {
            name,
            server,
            org,
            token,
            ca,
            cert,
            key,
        } => {
            let ctx = config.contexts.entry(name.clone()).or_default();
            ctx.server = server.or(ctx.server.take());
            ctx.org = org.or(ctx.org.take());
            ctx.token = token.or(ctx.token.take());
            ctx.ca = ca.or(ctx.ca.take());
            ctx.cert = cert.or(ctx.cert.take());
            ctx.key = key.or(ctx.key.take());
            if config.current.is_none() {
                config.current = Some(name.clone());
            }
            config.save()?;
            output::print(&format!(
                "context {name:?} saved in {}\n",
                path()?.display()
            ));
        }
        ConfigCommand::UseContext { name } => {
            if !config.contexts.contains_key(&name) {
                bail!("no context named {name:?} (create it with `gxctl config set-context {name} --server URL`)");
            }
            config.current = Some(name.clone());
            config.save()?;
            output::print(&format!("now using context {name:?}\n"));
        }
        ConfigCommand::View { output } => view(&config, output)?,
    }
    Ok(Exit::Ok)
}

/// The contexts, tokens hidden; for people, where the file is and one line a context.
fn view(config: &Config, format: OutputFormat) -> Result<()> {
    let mut shown = config.clone();
    for c in shown.contexts.values_mut() {
        if c.token.is_some() {
            c.token = Some("(hidden)".into());
        }
    }
    let path = path()?;
    output::print_as(format, &shown, || {
        let mut t = output::table();
        t.set_header(vec!["", "context", "server", "org", "token", "ca"]);
        for (name, c) in &shown.contexts {
            let current = if shown.current.as_deref() == Some(name) {
                "*"
            } else {
                ""
            };
            t.add_row(vec![
                current.to_string(),
                name.clone(),
                c.server.clone().unwrap_or_default(),
                c.org.clone().unwrap_or_default(),
                c.token.clone().unwrap_or_default(),
                c.ca.clone().unwrap_or_default(),
            ]);
        }
        format!("# {}\n{}", path.display(), output::table_text(&t))
    })
}
