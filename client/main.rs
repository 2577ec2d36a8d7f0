//! gxctl — the command-line client of gx.
//!
//! This file is the clap tree and the dispatch: each command lives in its own module under
//! `cmd/`. The exit codes and their meanings are in `exit.rs` (`gxctl --help` lists them).

mod cmd;
mod config;
mod connect;
mod exit;
mod local;
mod output;
mod remote;
mod show;
mod show_review;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use exit::Exit;

const ENVIRONMENT: &str = "\
Environment:
  GX_SERVER   gxd's address (overrides the context)
  GX_ORG      the default reporting body (overrides the context)
  GX_TOKEN    bearer token (overrides the context; on gxd's own machine the admin token
              gxd wrote to $GX_DATA/admin.token is used when none is given)
  GX_CA       CA certificate for https:// servers; GX_CERT, GX_KEY: client certificate
  GX_CONTEXT  the context to use
  GX_CONFIG   the config file [default: <config dir>/gx/config.yaml]
  NO_COLOR    never colour the output";

/// The end of `gxctl --help`: the exit codes, then the environment.
fn after_help() -> String {
    format!("Exit codes:\n{}\n{ENVIRONMENT}", Exit::table())
}

/// gxctl: validate, submit, query and compare 政府信息公开工作年度报告 (government information
/// disclosure annual reports).
#[derive(Debug, Parser)]
#[command(name = "gxctl", version, after_help = after_help())]
struct Cli {
    #[command(flatten)]
    connection: config::Connection,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check report files offline with the same rules gxd runs on submission.
    #[command(after_help = cmd::validate::EXAMPLES)]
    Validate(cmd::validate::ValidateArgs),
    /// Print a report file as the flat cell view (one `key=value` line per cell).
    #[command(after_help = cmd::validate::CELLS_EXAMPLES)]
    Cells(cmd::validate::CellsArgs),
    /// Submit report files to gxd (validated there with the same rules; stored as revisions).
    #[command(after_help = cmd::submit::EXAMPLES)]
    Submit(cmd::submit::SubmitArgs),
    /// Show one report from gxd: the latest revision, a given one, or as of a time.
    #[command(after_help = cmd::get::EXAMPLES)]
    Get(cmd::get::GetArgs),
    /// List the reports gxd holds (latest revisions), by body then year.
    #[command(after_help = cmd::list::EXAMPLES)]
    List(cmd::list::ListArgs),
    /// Every revision of one report: when, why, content hash, warnings.
    #[command(after_help = cmd::history::EXAMPLES)]
    History(cmd::history::HistoryArgs),
    /// Compare two reports of one body: cell by cell, narrative, verdicts and carry-over.
    #[command(after_help = cmd::diff::EXAMPLES)]
    Diff(cmd::diff::DiffArgs),
    /// Issue, list and revoke tokens (admin).
    #[command(subcommand, after_help = cmd::token::EXAMPLES)]
    Token(cmd::token::TokenCommand),
    /// Recompute the hash chains of stored revisions on gxd and report any break.
    #[command(after_help = cmd::verify::EXAMPLES)]
    Verify(cmd::verify::VerifyArgs),
    /// Manage named contexts (server address, default body).
    #[command(subcommand, after_help = cmd::config::EXAMPLES)]
    Config(cmd::config::ConfigCommand),
    /// Print a shell completion script.
    #[command(after_help = cmd::completions::EXAMPLES)]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff).
    #[command(after_help = cmd::man::EXAMPLES)]
    Man,
    /// Render a report file as the publishable report: HTML, Markdown or flat text.
    #[command(after_help = cmd::render::EXAMPLES)]
    Render(cmd::render::RenderArgs),
    /// Reporting bodies: add, get, list, rename, move, import and export.
    #[command(subcommand, after_help = cmd::org::EXAMPLES)]
    Org(cmd::org::OrgCommand),
    /// Sum (汇总) tables 2–4 of the reports of every body below ORG for YEAR.
    #[command(after_help = cmd::rollup::EXAMPLES)]
    Rollup(cmd::rollup::RollupArgs),
    /// The filing board: every body below --org (or every body), filed or missing.
    #[command(after_help = cmd::status::EXAMPLES)]
    Status(cmd::status::StatusArgs),
    /// Every report of a year (below --org, or all) as CSV or JSON lines, as it streams.
    #[command(after_help = cmd::export::EXAMPLES)]
    Export(cmd::export::ExportArgs),
    /// Import published reports (web text, HTML, Markdown, pdftotext text, PDF) into report
    /// files.
    #[command(after_help = cmd::import::EXAMPLES)]
    Import(cmd::import::ImportArgs),
    /// Back up gxd's store to one archive while it serves (admin); `gxd restore` reads it.
    #[command(after_help = cmd::backup::EXAMPLES)]
    Backup(cmd::backup::BackupArgs),
    /// Which reports below ORG look wrong, unusual or copied in YEAR: jumps, peer outliers,
    /// copies, patterns, and a ranking per indicator.
    #[command(after_help = cmd::analyze::EXAMPLES)]
    Analyze(cmd::analyze::AnalyzeArgs),
    /// Review filed reports (reviewers): accept, return for amendment with reasons, history.
    #[command(subcommand, after_help = cmd::review::EXAMPLES)]
    Review(cmd::review::ReviewCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Validate(args) => cmd::validate::validate(args),
        Command::Cells(args) => cmd::validate::cells(args),
        Command::Submit(args) => cmd::submit::run(&cli.connection, args),
        Command::Get(args) => cmd::get::run(&cli.connection, args),
        Command::List(args) => cmd::list::run(&cli.connection, args),
        Command::History(args) => cmd::history::run(&cli.connection, args),
        Command::Diff(args) => cmd::diff::run(&cli.connection, args),
        Command::Token(sub) => cmd::token::run(&cli.connection, sub),
        Command::Verify(args) => cmd::verify::run(&cli.connection, args),
        Command::Backup(args) => cmd::backup::run(&cli.connection, args),
        Command::Config(sub) => cmd::config::run(sub),
        Command::Completions { shell } => cmd::completions::run(Cli::command(), shell),
        Command::Man => cmd::man::run(Cli::command()),
        Command::Render(args) => cmd::render::run(&cli.connection, args),
        Command::Org(sub) => cmd::org::run(&cli.connection, sub),
        Command::Rollup(args) => cmd::rollup::run(&cli.connection, args),
        Command::Status(args) => cmd::status::run(&cli.connection, args),
        Command::Export(args) => cmd::export::run(&cli.connection, args),
        Command::Import(args) => cmd::import::run(&cli.connection, args),
        Command::Analyze(args) => cmd::analyze::run(&cli.connection, args),
        Command::Review(sub) => cmd::review::run(&cli.connection, sub),
    };
    match result {
        Ok(exit) => exit.into(),
        Err(e) => {
            output::error_line(&e);
            Exit::of(&e).into()
        }
    }
}
