//! gxd — the gx gRPC service: validated, durable, versioned storage of annual reports.
//!
//! The first line on standard output is the bound address (`127.0.0.1:50051`), the second the
//! data directory (`data: /path`); on a data directory without tokens a third line says where
//! the first admin token was written. Logs go to standard error.
//!
//! `gxd token create|list|revoke` and `gxd verify` work offline on the data directory.
//!
//! Exit codes (also in `--help`):
//!   0  stopped cleanly (SIGINT or SIGTERM): calls in flight completed, store flushed
//!   1  failed while serving, or the final flush failed; `gxd verify`: a chain is broken
//!   2  usage error (bad flag or environment value, no data directory)
//!   3  the data directory cannot be used (held by another gxd, unreadable, unknown format, or
//!      its log does not match its records: see `gxd verify`, or --serve-damaged)
//!   4  the listen address cannot be bound

use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, ValueEnum};
use tracing_subscriber::EnvFilter;

use gx::serve::{Options, Tls};
use gx::store::Store;

mod offline;

const AFTER_HELP: &str = "\
Standard output: the bound address on the first line (use --listen 127.0.0.1:0 for any free
port), then `data: <dir>`. Logs go to standard error; RUST_LOG filters them (default: info).

Tokens: every call but health and reflection needs `authorization: Bearer <token>` (reads
need none with --public-read). On a data directory without tokens gxd issues an admin token
and writes it to <data>/admin.token (mode 0600), where gxctl on this machine finds it; the
third stdout line says so. Issue more with `gxctl token create` or `gxd token create`.

Plaintext is served only on loopback addresses: elsewhere give --tls-cert and --tls-key
(or --insecure-listen, which sends tokens in the clear).

Exit codes:
  0  stopped cleanly (SIGINT or SIGTERM): calls in flight completed, store flushed
  1  failed while serving, or the final flush failed; `gxd verify`: a chain is broken
  2  usage error (bad flag or environment value, no data directory)
  3  the data directory cannot be used (held by another gxd, unreadable, unknown format, or
     its log does not match its records: see `gxd verify`, or --serve-damaged)
  4  the listen address cannot be bound";

/// gxd: the gx gRPC service (gx.v1.ReportService, grpc.health.v1.Health, server reflection).
#[derive(Debug, Parser)]
#[command(name = "gxd", version, after_help = AFTER_HELP)]
struct Args {
    #[command(subcommand)]
    command: Option<offline::Command>,
    /// Address to listen on.
    #[arg(long, env = "GX_LISTEN", default_value = "127.0.0.1:50051")]
    listen: SocketAddr,
    /// Data directory (created if missing). Default: `gx` under the user's data directory,
    /// e.g. ~/.local/share/gx.
    #[arg(long, env = "GX_DATA", value_name = "DIR", global = true)]
    data: Option<PathBuf>,
    /// Log format on standard error.
    #[arg(long, env = "GX_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    log_format: LogFormat,
    /// Reads (get, list, history, diff, validate) need no token: published reports are
    /// public documents. Submissions and administration still do.
    #[arg(long, env = "GX_PUBLIC_READ")]
    public_read: bool,
    /// TLS certificate chain (PEM). With --tls-key, gxd serves TLS only.
    #[arg(long, env = "GX_TLS_CERT", value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    #[arg(long, env = "GX_TLS_KEY", value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Require client certificates signed by this CA (PEM): mutual TLS. Tokens are still
    /// required.
    #[arg(
        long,
        env = "GX_TLS_CLIENT_CA",
        value_name = "FILE",
        requires = "tls_cert"
    )]
    tls_client_ca: Option<PathBuf>,
    /// Serve plaintext on a non-loopback address (tokens and reports cross the network
    /// unencrypted). Without it gxd refuses to.
    #[arg(long)]
    insecure_listen: bool,
    /// Largest request or response, in bytes.
    #[arg(long, env = "GX_MAX_MESSAGE_BYTES", value_name = "N", default_value_t = gx::serve::MAX_MESSAGE_BYTES)]
    max_message_bytes: usize,
    /// Calls in flight beyond this are answered RESOURCE_EXHAUSTED at once.
    #[arg(long, env = "GX_MAX_CONCURRENT", value_name = "N", default_value_t = gx::grpc::layers::DEFAULT_MAX_CONCURRENT)]
    max_concurrent: usize,
    /// Calls taking longer than this many seconds are answered DEADLINE_EXCEEDED.
    #[arg(long, env = "GX_REQUEST_TIMEOUT", value_name = "SECONDS", default_value_t = gx::grpc::layers::DEFAULT_TIMEOUT.as_secs_f64())]
    request_timeout: f64,
    /// Serve a data directory whose log does not match its records (see `gxd verify`):
    /// read-only, every change refused, every response marked with a `gx-warning` header.
    /// Without it gxd refuses to serve such a directory (exit 3).
    #[arg(long)]
    serve_damaged: bool,
    /// Do not serve the web console (pages at `/`, `/board/…`, `/reports/…` on the same
    /// address and TLS as gRPC; see docs/web.md). Without it, requests that are not gRPC get
    /// the console.
    #[arg(long, env = "GX_NO_WEB")]
    no_web: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Exit {
    Ok = 0,
    Failed = 1,
    Usage = 2,
    Data = 3,
    Listen = 4,
}

fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().with_current_span(true).init(),
    }
}

fn main() -> ExitCode {
    let mut args = Args::parse();
    init_logging(args.log_format);
    let outcome = match args.command.take() {
        Some(command) => data_dir(args.data.clone())
            .and_then(|data| offline::run(command, &data).map_err(|(e, err)| (e.into(), err))),
        None => serve(args),
    };
    let (exit, error) = match outcome {
        Ok(()) => (Exit::Ok, None),
        Err((exit, e)) => (exit, Some(e)),
    };
    if let Some(e) = error {
        let chain: Vec<String> = e.chain().map(ToString::to_string).collect();
        let _ = writeln!(std::io::stderr(), "gxd: {}", chain.join(": "));
    }
    ExitCode::from(exit as u8)
}

fn data_dir(data: Option<PathBuf>) -> Result<PathBuf, (Exit, anyhow::Error)> {
    match data {
        Some(d) => Ok(d),
        None => dirs::data_dir().map(|d| d.join("gx")).ok_or_else(|| {
            (
                Exit::Usage,
                anyhow::anyhow!("no user data directory is known here; set GX_DATA or --data"),
            )
        }),
    }
}

impl From<offline::Exit> for Exit {
    fn from(e: offline::Exit) -> Exit {
        match e {
            offline::Exit::Broken => Exit::Failed,
            offline::Exit::Usage => Exit::Usage,
            offline::Exit::Data => Exit::Data,
        }
    }
}

/// The security options from the flags; reads the TLS files.
fn options(args: &Args) -> Result<Options, (Exit, anyhow::Error)> {
    let usage = |e: anyhow::Error| (Exit::Usage, e);
    let read = |p: &PathBuf, what: &str| {
        std::fs::read(p)
            .with_context(|| format!("cannot read the {what} {}", p.display()))
            .map_err(usage)
    };
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(Tls {
            cert: read(cert, "TLS certificate")?,
            key: read(key, "TLS key")?,
            client_ca: match &args.tls_client_ca {
                Some(ca) => Some(read(ca, "client CA certificate")?),
                None => None,
            },
        }),
        _ => None,
    };
    if tls.is_none() && !args.listen.ip().is_loopback() {
        if !args.insecure_listen {
            return Err(usage(anyhow::anyhow!(
                "refusing to serve plaintext on {}: tokens and reports would cross the network \
                 unencrypted. Give --tls-cert and --tls-key, listen on a loopback address, or \
                 accept the risk with --insecure-listen",
                args.listen
            )));
        }
        tracing::warn!(
            listen = %args.listen,
            "serving plaintext on a non-loopback address (--insecure-listen): tokens and reports cross the network unencrypted"
        );
    }
    if !(args.request_timeout > 0.0 && args.request_timeout.is_finite()) {
        return Err(usage(anyhow::anyhow!(
            "--request-timeout: {} is not a positive number of seconds",
            args.request_timeout
        )));
    }
    if args.max_concurrent == 0 || args.max_message_bytes == 0 {
        return Err(usage(anyhow::anyhow!(
            "--max-concurrent and --max-message-bytes must be at least 1"
        )));
    }
    Ok(Options {
        public_read: args.public_read,
        tls,
        max_message_bytes: args.max_message_bytes,
        max_concurrent: args.max_concurrent,
        request_timeout: Duration::from_secs_f64(args.request_timeout),
        damaged: args.serve_damaged,
        web: !args.no_web,
        ..Options::default()
    })
}

fn serve(args: Args) -> Result<(), (Exit, anyhow::Error)> {
    let data = data_dir(args.data.clone())?;
    let options = options(&args)?;
    // Open the store first: a second gxd on the same directory stops here, at once.
    let store = Store::open(&data).map_err(|e| (Exit::Data, anyhow::Error::new(e)))?;
    refuse_damaged(&store, &data, args.serve_damaged)?;
    // Filer tokens with --subtree follow the registered bodies' hierarchy.
    let options = Options {
        hierarchy: std::sync::Arc::new(store.clone()),
        ..options
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")
        .map_err(|e| (Exit::Failed, e))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))
            .map_err(|e| (Exit::Listen, e))?;
        let addr = listener
            .local_addr()
            .context("reading the bound address")
            .map_err(|e| (Exit::Listen, e))?;
        // Before the address is printed: whoever waits for it can use the token file.
        let bootstrapped = gx::auth::bootstrap(&store)
            .await
            .map_err(|e| (Exit::Data, anyhow::Error::new(e)))?;
        {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{addr}");
            let _ = writeln!(out, "data: {}", data.display());
            if let Some((issued, path)) = &bootstrapped {
                // Shown once, to a person at a terminal; never into a log or a pipe.
                if out.is_terminal() {
                    let _ = writeln!(
                        out,
                        "admin token: {} (saved in {}, readable only by you; gxctl on this machine uses it)",
                        issued.token,
                        path.display()
                    );
                } else {
                    let _ = writeln!(
                        out,
                        "admin token: saved in {} (readable only by you; gxctl on this machine uses it)",
                        path.display()
                    );
                }
            }
            let _ = out.flush();
        }
        if let Some((issued, path)) = &bootstrapped {
            tracing::info!(token_id = %issued.stored.id, file = %path.display(), "issued the first admin token");
        }
        tracing::info!(%addr, data = %data.display(), tls = options.tls.is_some(), public_read = options.public_read, "gxd listening");
        gx::serve::run_with(listener, store, options, shutdown_signal())
            .await
            .map_err(|e| (Exit::Failed, anyhow::Error::new(e)))?;
        tracing::info!("gxd stopped");
        Ok(())
    })
}

/// A data directory whose log does not match its records is not served, unless
/// `--serve-damaged` (then read-only, with a warning).
fn refuse_damaged(
    store: &Store,
    data: &std::path::Path,
    serve_damaged: bool,
) -> Result<(), (Exit, anyhow::Error)> {
    let damage = store.damage();
    if damage.is_empty() {
        return Ok(());
    }
    let mut err = std::io::stderr().lock();
    for b in damage {
        let _ = writeln!(err, "gxd: BROKEN {b}");
    }
    if serve_damaged {
        tracing::warn!(
            breaks = damage.len(),
            "serving a damaged data directory read-only (--serve-damaged): changes are refused"
        );
        return Ok(());
    }
    Err((
        Exit::Data,
        anyhow::anyhow!(
            "the data directory {dir} does not match its log ({n} break{s} above): refusing to serve it. \
             Inspect it with `gxd verify --data {dir}` (gxd stopped), restore a backup with \
             `gxd restore`, or serve it read-only with --serve-damaged",
            dir = data.display(),
            n = damage.len(),
            s = if damage.len() == 1 { "" } else { "s" },
        ),
    ))
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for SIGINT");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("SIGINT received"),
        () = term => tracing::info!("SIGTERM received"),
    }
}
