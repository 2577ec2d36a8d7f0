//! `gxctl validate` and `gxctl cells`: offline, on files.

use anyhow::Result;
use clap::Args;
use serde::Serialize;

use gx::files::{self, Format};
use gx::rules::{self, Finding, Severity};
use gx::Report;

use crate::exit::{Exit, Failure};
use crate::output::{self, paint, OutputFormat};

pub const EXAMPLES: &str = "\
Examples:
  gxctl validate report.json
  gxctl validate 2020/*.yaml -o json
  gxctl validate report.cells
  gxctl validate 2021.json --previous 2020.json   # also the cross-year checks (X-CARRY, X-IN-FORCE)";

pub const CELLS_EXAMPLES: &str = "\
Examples:
  gxctl cells report.json
  gxctl cells report.yaml > report.cells";

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Report files: JSON, YAML or the flat cell view (`-` for standard input).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<String>,
    /// The same body's report of the year before: also run the cross-year checks (X-CARRY,
    /// X-IN-FORCE), as gxd does on submission. One FILE only.
    #[arg(long, value_name = "FILE")]
    previous: Option<String>,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t)]
    output: OutputFormat,
}

#[derive(Debug, Args)]
pub struct CellsArgs {
    /// A report file: JSON, YAML or the flat cell view (`-` for standard input).
    #[arg(value_name = "FILE")]
    file: String,
}

/// The `-o json` shape of one file's verdict (documented in the README).
#[derive(Debug, Serialize)]
struct FileVerdict<'a> {
    file: &'a str,
    valid: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    findings: Vec<Finding>,
}

/// The report of `--previous`, checked to be the year before of the same body.
fn previous(args: &ValidateArgs) -> Result<Option<Report>> {
    let Some(path) = &args.previous else {
        return Ok(None);
    };
    if args.files.len() != 1 {
        return Err(Failure::new(Exit::Usage, "--previous goes with exactly one FILE").into());
    }
    let prev = files::read_path(path)?;
    let cur = files::read_path(&args.files[0])?;
    if prev.org.id != cur.org.id || cur.year != prev.year + 1 {
        return Err(Failure::new(
            Exit::Usage,
            format!(
                "--previous {path} is {} {}, not the year before of {} {} ({})",
                prev.org.id, prev.year, cur.org.id, cur.year, args.files[0]
            ),
        )
        .into());
    }
    Ok(Some(prev))
}

pub fn validate(args: ValidateArgs) -> Result<Exit> {
    let previous = previous(&args)?;
    let mut exit = Exit::Ok;
    let mut verdicts = Vec::new();
    let mut text = String::new();
    for path in &args.files {
        match files::read_path(path) {
            Ok(report) => {
                let mut verdict = rules::validate(&report);
                if let Some(prev) = &previous {
                    verdict.findings.extend(gx::crossyear::check(prev, &report));
                    verdict
                        .findings
                        .extend(gx::narrative::check_yoy(prev, &report));
                }
                if !verdict.is_valid() && exit == Exit::Ok {
                    exit = Exit::Invalid;
                }
                if args.output == OutputFormat::Table {
                    text.push_str(&human(path, &report, &verdict.findings));
                }
                verdicts.push(FileVerdict {
                    file: path,
                    valid: verdict.is_valid(),
                    error: None,
                    findings: verdict.findings,
                });
            }
            Err(e) => {
                exit = Exit::Usage;
                if args.output == OutputFormat::Table {
                    output::print(&text);
                    text.clear();
                    output::error_line(&anyhow::Error::new(e));
                } else {
                    verdicts.push(FileVerdict {
                        file: path,
                        valid: false,
                        error: Some(e.to_string()),
                        findings: Vec::new(),
                    });
                }
            }
        }
    }
    match args.output {
        OutputFormat::Table => output::print(&text),
        OutputFormat::Json => output::print_json(&verdicts)?,
        OutputFormat::Yaml => output::print_yaml(&verdicts)?,
    }
    Ok(exit)
}

/// Findings grouped by table, then a one-line verdict.
pub(crate) fn human(path: &str, report: &Report, findings: &[Finding]) -> String {
    let mut out = String::new();
    let errors = findings.iter().filter(|f| f.is_error()).count();
    let warnings = findings.len() - errors;
    let mut groups: Vec<(&str, Vec<&Finding>)> = Vec::new();
    for f in findings {
        let table = f.table().unwrap_or("");
        match groups.iter_mut().find(|(t, _)| *t == table) {
            Some((_, v)) => v.push(f),
            None => groups.push((table, vec![f])),
        }
    }
    let t = report.template();
    for (table, fs) in groups {
        let heading = t.table(table).map(|d| d.section.heading).unwrap_or("报告");
        out.push_str(&format!("{path}  {heading}\n"));
        let mut grid = output::table();
        for f in fs {
            let (mark, style) = match f.severity {
                Severity::Error => ("error", output::RED),
                Severity::Warning => ("warning", output::YELLOW),
            };
            let cells = match f.cells.len() {
                0 => String::new(),
                1 => f.cells[0].clone(),
                n => format!("{} (+{})", f.cells[0], n - 1),
            };
            let mut message = f.message.clone();
            if let Some(s) = &f.suggestion {
                message.push_str("\n→ ");
                message.push_str(&s.message);
            }
            grid.add_row(vec![
                format!("  {}", paint(style, mark)),
                f.rule.clone(),
                cells,
                message,
            ]);
        }
        out.push_str(&output::table_text(&grid));
    }
    let who = format!(
        "{} {}年 ({} edition)",
        if report.org.name.is_empty() {
            &report.org.id
        } else {
            &report.org.name
        },
        report.year,
        report.edition
    );
    let verdict = if errors == 0 {
        paint(output::GREEN, "valid")
    } else {
        paint(output::RED, "invalid")
    };
    out.push_str(&format!(
        "{path}: {verdict} — {who}: {errors} error{}, {warnings} warning{}\n",
        if errors == 1 { "" } else { "s" },
        if warnings == 1 { "" } else { "s" },
    ));
    out
}

pub fn cells(args: CellsArgs) -> Result<Exit> {
    let report = files::read_path(&args.file)?;
    output::print(&files::write(&report, Format::Cells));
    Ok(Exit::Ok)
}
