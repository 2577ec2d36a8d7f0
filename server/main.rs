//! gxd — the gx gRPC service: validated, durable, versioned storage of annual reports.
//!
//! The first line on standard output is the bound address (`127.0.0.1:50051`), the second the
//! data directory (`data: /path`); logs go to standard error.
//!
//! Exit codes (also in `--help`):
//!   0  stopped cleanly (SIGINT or SIGTERM): calls in flight completed, store flushed
//!   1  failed while serving, or the final flush failed
//!   2  usage error (bad flag or environment value, no data directory)
//!   3  the data directory cannot be used (held by another gxd, unreadable, unknown format)
//!   4  the listen address cannot be bound

use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, ValueEnum};
use tracing_subscriber::EnvFilter;

use gx::store::Store;

const AFTER_HELP: &str = "\
Standard output: the bound address on the first line (use --listen 127.0.0.1:0 for any free
port), then `data: <dir>`. Logs go to standard error; RUST_LOG filters them (default: info).

Exit codes:
  0  stopped cleanly (SIGINT or SIGTERM): calls in flight completed, store flushed
  1  failed while serving, or the final flush failed
  2  usage error (bad flag or environment value, no data directory)
  3  the data directory cannot be used (held by another gxd, unreadable, unknown format)
  4  the listen address cannot be bound";

/// gxd: the gx gRPC service (gx.v1.ReportService, grpc.health.v1.Health, server reflection).
#[derive(Debug, Parser)]
#[command(name = "gxd", version, after_help = AFTER_HELP)]
struct Args {
    /// Address to listen on.
    #[arg(long, env = "GX_LISTEN", default_value = "127.0.0.1:50051")]
    listen: SocketAddr,
    /// Data directory (created if missing). Default: `gx` under the user's data directory,
    /// e.g. ~/.local/share/gx.
    #[arg(long, env = "GX_DATA", value_name = "DIR")]
    data: Option<PathBuf>,
    /// Log format on standard error.
    #[arg(long, env = "GX_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

#[derive(Debug, Clone, Copy)]
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
    let args = Args::parse();
    init_logging(args.log_format);
    let (exit, error) = match serve(args) {
        Ok(()) => (Exit::Ok, None),
        Err((exit, e)) => (exit, Some(e)),
    };
    if let Some(e) = error {
        let chain: Vec<String> = e.chain().map(ToString::to_string).collect();
        let _ = writeln!(std::io::stderr(), "gxd: {}", chain.join(": "));
    }
    ExitCode::from(exit as u8)
}

fn serve(args: Args) -> Result<(), (Exit, anyhow::Error)> {
    let data = match args.data {
        Some(d) => d,
        None => dirs::data_dir().map(|d| d.join("gx")).ok_or_else(|| {
            (
                Exit::Usage,
                anyhow::anyhow!("no user data directory is known here; set GX_DATA or --data"),
            )
        })?,
    };
    // Open the store first: a second gxd on the same directory stops here, at once.
    let store = Store::open(&data).map_err(|e| (Exit::Data, anyhow::Error::new(e)))?;
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
        {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{addr}");
            let _ = writeln!(out, "data: {}", data.display());
            let _ = out.flush();
        }
        tracing::info!(%addr, data = %data.display(), "gxd listening");
        gx::server::run(listener, store, shutdown_signal())
            .await
            .map_err(|e| (Exit::Failed, anyhow::Error::new(e)))?;
        tracing::info!("gxd stopped");
        Ok(())
    })
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
