//! `gxctl render`: the publishable report of a report file, or of a stored revision (fetched
//! with the `RenderReport` RPC), as HTML, Markdown or text.

use std::io::Write;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};

use gx::files;
use gx::render::{self, Format};
use gx::rules;

use crate::config::Connection;
use crate::exit::{Exit, Failure};
use crate::output::{self, paint};
use crate::remote::Remote;
use gx::pb;

pub const EXAMPLES: &str = "\
Examples:
  gxctl render report.json -f html -o report.html
  gxctl render 621024101 2020 -f html -o report.html   # a stored report, from gxd
  gxctl render 2020 --rev 1 -f txt                     # the context's body
  gxctl render report.yaml -f md
  gxctl render report.json -f txt --strict";

/// `-f`: the rendering format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RenderFormat {
    /// One self-contained HTML page.
    Html,
    /// Markdown with pipe tables.
    Md,
    /// Flat text, one heading, paragraph, label or cell per line.
    Txt,
}

impl From<RenderFormat> for Format {
    fn from(f: RenderFormat) -> Format {
        match f {
            RenderFormat::Html => Format::Html,
            RenderFormat::Md => Format::Markdown,
            RenderFormat::Txt => Format::Text,
        }
    }
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// A report file (JSON, YAML or the flat cell view; `-` for standard input), or
    /// [ORG] YEAR of a report stored in gxd.
    #[arg(value_name = "FILE | ORG YEAR", num_args = 1..=2, required = true)]
    target: Vec<String>,
    /// With ORG YEAR: a given revision instead of the latest.
    #[arg(long = "rev", value_name = "N")]
    revision: Option<u32>,
    /// Output format [default: from the extension of OUT, else html].
    #[arg(short = 'f', long = "format", value_enum)]
    format: Option<RenderFormat>,
    /// Write the rendering to OUT instead of standard output.
    #[arg(short = 'o', long = "out", value_name = "OUT")]
    out: Option<String>,
    /// Refuse to render a report with validation errors (exit 1, the findings on stderr).
    #[arg(long)]
    strict: bool,
}

fn is_file(target: &[String]) -> bool {
    match target {
        [one] => {
            one == "-"
                || std::path::Path::new(one).exists()
                || !one.bytes().all(|b| b.is_ascii_digit())
        }
        _ => false,
    }
}

pub fn run(conn: &Connection, args: RenderArgs) -> Result<Exit> {
    let format = match (args.format, &args.out) {
        (Some(f), _) => f.into(),
        (None, Some(out)) => Format::from_path(out).unwrap_or(Format::Html),
        (None, None) => Format::Html,
    };
    if !is_file(&args.target) {
        let (org, year) = super::org_year(&args.target)?;
        let text = crate::remote::runtime()?.block_on(async {
            let mut remote = Remote::connect(conn).await?;
            let org = remote.org(org)?;
            let req = pb::RenderReportRequest {
                org_id: org.clone(),
                report: Some(pb::ReportRef {
                    year,
                    version: args.revision.map(pb::report_ref::Version::Revision),
                }),
                format: match format {
                    Format::Html => pb::RenderFormat::Html,
                    Format::Markdown => pb::RenderFormat::Markdown,
                    Format::Text => pb::RenderFormat::Text,
                } as i32,
            };
            match remote.client.render_report(req).await {
                Ok(r) => Ok(r.into_inner().content),
                Err(s) if s.code() == tonic::Code::NotFound && args.revision.is_none() => {
                    Err(remote.not_found(&org, year).await)
                }
                Err(s) => Err(remote.fail(s)),
            }
        })?;
        return write_out(&args.out, &text);
    }
    let file = &args.target[0];
    if args.revision.is_some() {
        return Err(Failure::new(Exit::Usage, "--rev goes with ORG YEAR, not a file").into());
    }
    let report = files::read_path(file)?;
    let verdict = rules::validate(&report);
    if !verdict.is_valid() {
        let errors = verdict.errors().count();
        if args.strict {
            let mut err = anstream::stderr();
            let _ =
                err.write_all(super::validate::human(file, &report, &verdict.findings).as_bytes());
            let _ = writeln!(
                err,
                "{}: refusing to render {}: {errors} validation error{} (--strict)",
                paint(output::RED, "gxctl"),
                file,
                if errors == 1 { "" } else { "s" },
            );
            return Ok(Exit::Invalid);
        }
        let mut err = anstream::stderr();
        let _ = writeln!(
            err,
            "{}: {}: {errors} validation error{}; rendered as it stands \
             (`gxctl validate {}` lists them, --strict refuses)",
            paint(output::YELLOW, "warning"),
            file,
            if errors == 1 { "" } else { "s" },
            file,
        );
    }
    write_out(&args.out, &render::render(&report, format))
}

fn write_out(out: &Option<String>, text: &str) -> Result<Exit> {
    match out {
        Some(path) if path != "-" => {
            std::fs::write(path, text).with_context(|| format!("cannot write {path}"))?
        }
        _ => {
            // Raw bytes: the rendering is data, not terminal output to be restyled.
            let mut out = std::io::stdout().lock();
            match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                Err(e) => return Err(e).context("cannot write to standard output"),
            }
        }
    }
    Ok(Exit::Ok)
}
