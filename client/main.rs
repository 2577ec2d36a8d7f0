//! gxctl — the command-line client of gx.
//!
//! Exit codes (also in `--help` and the README):
//!   0  success; every report valid
//!   1  a report has validation errors
//!   2  usage error or unreadable input
//!   3  not found (no such report, body or revision)
//!   4  server unavailable

mod import;
mod output;
mod validate;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

const AFTER_HELP: &str = "\
Exit codes:
  0  success; every report valid
  1  a report has validation errors
  2  usage error or unreadable input
  3  not found (no such report, body or revision)
  4  server unavailable";

/// gxctl: validate, submit, query and compare 政府信息公开工作年度报告 (government information
/// disclosure annual reports).
#[derive(Debug, Parser)]
#[command(name = "gxctl", version, after_help = AFTER_HELP)]
struct Cli {
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
    /// Import published reports (web text, HTML, Markdown, pdftotext text, PDF) into report
    /// files.
    #[command(after_help = import::EXAMPLES)]
    Import(import::ImportArgs),
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
        Command::Import(args) => import::import(args),
    };
    match result {
        Ok(exit) => exit.into(),
        Err(e) => {
            output::error_line(&e);
            Exit::Usage.into()
        }
    }
}
