//! gxctl — the command-line client of gx.
//!
//! Exit codes (also in `--help` and the README):
//!   0  success; every report valid
//!   1  a report has validation errors
//!   2  usage error or unreadable input
//!   3  not found (no such report, body or revision)
//!   4  server unavailable

mod config;
mod diff;
mod output;
mod validate;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

const AFTER_HELP: &str = "\
Exit codes:
  0  success; every report valid
  1  a report has validation errors
  2  usage error or unreadable input
  3  not found (no such report, body or revision)
  4  server unavailable

Environment:
  GX_SERVER   gxd's address (overrides the context)
  GX_ORG      the default reporting body (overrides the context)
  GX_CONTEXT  the context to use
  GX_CONFIG   the config file [default: <config dir>/gx/config.yaml]
  NO_COLOR    never colour the output";

/// gxctl: validate, submit, query and compare 政府信息公开工作年度报告 (government information
/// disclosure annual reports).
#[derive(Debug, Parser)]
#[command(name = "gxctl", version, after_help = AFTER_HELP)]
struct Cli {
    #[command(flatten)]
    connection: config::Connection,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check report files offline with the same rules gxd runs on submission.
    #[command(after_help = validate::EXAMPLES)]
    Validate(validate::ValidateArgs),
    /// Print a report file as the flat cell view (one `key=value` line per cell).
    #[command(after_help = validate::CELLS_EXAMPLES)]
    Cells(validate::CellsArgs),
    /// Compare two reports of one body: cell by cell, narrative, verdicts and carry-over.
    #[command(after_help = diff::EXAMPLES)]
    Diff(diff::DiffArgs),
    /// Manage named contexts (server address, default body).
    #[command(subcommand, after_help = config::EXAMPLES)]
    Config(config::ConfigCommand),
    /// Print a shell completion script.
    #[command(after_help = "Example:\n  gxctl completions bash > /etc/bash_completion.d/gxctl")]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff).
    #[command(after_help = "Example:\n  gxctl man > /usr/local/share/man/man1/gxctl.1")]
    Man,
}

/// What a command's outcome means for the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Ok = 0,
    Invalid = 1,
    Usage = 2,
    #[allow(dead_code)]
    NotFound = 3,
    #[allow(dead_code)]
    Unavailable = 4,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e as u8)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Validate(args) => validate::validate(args),
        Command::Cells(args) => validate::cells(args),
        Command::Diff(args) => diff::run(args),
        Command::Config(cmd) => config::run(cmd),
        Command::Completions { shell } => {
            let mut cmd = Cli::command();
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut cmd, "gxctl", &mut out);
            output::print(&String::from_utf8_lossy(&out));
            Ok(Exit::Ok)
        }
        Command::Man => {
            let mut out = Vec::new();
            match clap_mangen::Man::new(Cli::command()).render(&mut out) {
                Ok(()) => {
                    output::print(&String::from_utf8_lossy(&out));
                    Ok(Exit::Ok)
                }
                Err(e) => Err(e.into()),
            }
        }
    };
    let _ = &cli.connection;
    match result {
        Ok(exit) => exit.into(),
        Err(e) => {
            output::error_line(&e);
            Exit::Usage.into()
        }
    }
}
