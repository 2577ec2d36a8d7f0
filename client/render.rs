//! `gxctl render`: the publishable report of a report file, as HTML, Markdown or text.
//!
//! TODO(lead): the server form `gxctl render ORG YEAR [--rev N]` fetches the rendering with
//! the `RenderReport` RPC once gxd is merged (the RPC calls `gx::render::render`).

use std::io::Write;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};

use gx::files;
use gx::render::{self, Format};
use gx::rules;

use crate::output::{self, paint};
use crate::Exit;

pub const EXAMPLES: &str = "\
Examples:
  gxctl render report.json -f html -o report.html
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
    /// A report file: JSON, YAML or the flat cell view (`-` for standard input).
    #[arg(value_name = "FILE")]
    file: String,
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

pub fn render(args: RenderArgs) -> Result<Exit> {
    let report = files::read_path(&args.file)?;
    let format = match (args.format, &args.out) {
        (Some(f), _) => f.into(),
        (None, Some(out)) => Format::from_path(out).unwrap_or(Format::Html),
        (None, None) => Format::Html,
    };
    let verdict = rules::validate(&report);
    if !verdict.is_valid() {
        let errors = verdict.errors().count();
        if args.strict {
            let mut err = anstream::stderr();
            let _ = err.write_all(
                crate::validate::human(&args.file, &report, &verdict.findings).as_bytes(),
            );
            let _ = writeln!(
                err,
                "{}: refusing to render {}: {errors} validation error{} (--strict)",
                paint(output::RED, "gxctl"),
                args.file,
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
            args.file,
            if errors == 1 { "" } else { "s" },
            args.file,
        );
    }
    let text = render::render(&report, format);
    match &args.out {
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
