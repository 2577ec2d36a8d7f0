//! `gxctl submit`: report files (or published reports, through the importer) to gxd, one
//! outcome per file.

use anyhow::Result;
use clap::Args;
use serde::Serialize;
use tonic::{Code, Status};
use tonic_types::StatusExt;

use gx::files;
use gx::grpc::convert::report_to_pb;
use gx::pb;
use gx::rules::Finding;

use crate::config::Connection;
use crate::exit::{Exit, Failure};
use crate::output::{self, paint, OutputFormat};
use crate::remote::{exit_code, runtime, Remote};
use crate::show::{self, cross_year_json};

#[derive(Debug, Args)]
pub struct SubmitArgs {
    /// Report files: JSON, YAML or the flat cell view.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<String>,
    /// Why this revision is submitted (required for an amendment).
    #[arg(long, short)]
    reason: Option<String>,
    /// Refuse unless this is the current revision (optimistic concurrency; 0 = none yet).
    #[arg(long, value_name = "N")]
    expected_revision: Option<u32>,
    /// Explain the warnings of a rule, stored with the revision. Required for each
    /// cross-year rule that fires (X-CARRY, X-IN-FORCE); repeatable.
    #[arg(long = "explain", value_name = "RULE=TEXT")]
    explain: Vec<String>,
    /// Store the report exactly as it was published even when its tables do not add up: the
    /// rules' errors are stored with it and it reads as "published with errors" (admin
    /// or archivist tokens). Numbers are never corrected.
    #[arg(long)]
    as_published: bool,
    /// Submit a published report even when some cells could not be read: they are stored
    /// as unreadable (blank, never 0), each with why.
    #[arg(long)]
    allow_unreadable: bool,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t)]
    output: OutputFormat,
}

pub const EXAMPLES: &str = "\
Examples:
  gxctl submit report.json
  gxctl submit 2020/*.yaml
  gxctl submit report.json --reason '更正表四合计' --expected-revision 1
  gxctl submit report.json --explain X-CARRY='机构改革，原两镇合并，结转数按合并后口径填报'
  gxctl --org 350128 submit --as-published 2021-report.html --reason '按原文存档'";

/// `--explain RULE=TEXT` arguments, checked.
pub fn explanations(given: &[String]) -> Result<Vec<pb::Explanation>> {
    let mut out: Vec<pb::Explanation> = Vec::new();
    for g in given {
        let Some((rule, text)) = g.split_once('=') else {
            return Err(Failure::new(
                Exit::Usage,
                format!("--explain {g:?}: expected RULE=TEXT, e.g. X-CARRY='机构改革，…'"),
            )
            .into());
        };
        let rule = rule.trim();
        gx::crossyear::check_explanation(rule, text)
            .map_err(|m| Failure::new(Exit::Usage, format!("--explain: {m}")))?;
        if out.iter().any(|e| e.rule == rule) {
            return Err(Failure::new(Exit::Usage, format!("--explain: {rule} given twice")).into());
        }
        out.push(pb::Explanation {
            rule: rule.to_string(),
            text: text.trim().to_string(),
        });
    }
    Ok(out)
}

/// What became of one file, as `-o json` prints it.
#[derive(Debug, Default, Serialize)]
struct SubmitOutcome {
    file: String,
    org: String,
    year: u32,
    accepted: bool,
    revision: Option<u32>,
    created: Option<bool>,
    content_hash: Option<String>,
    warnings: Vec<Finding>,
    /// Explanations stored with the revision.
    explanations: Vec<gx::crossyear::Explanation>,
    /// Whether and against what the cross-year checks ran.
    cross_year: Option<serde_json::Value>,
    /// The refusal: the message, and the field violations of a rejected report.
    error: Option<String>,
    violations: Vec<Violation>,
}

#[derive(Debug, Serialize)]
struct Violation {
    field: String,
    description: String,
}

/// Most files one `gxctl submit` takes: a larger batch is split by the caller.
pub const MAX_FILES_PER_BATCH: usize = 1000;

pub fn run(conn: &Connection, args: SubmitArgs) -> Result<Exit> {
    if args.files.len() > MAX_FILES_PER_BATCH {
        return Err(Failure::new(
            Exit::Usage,
            format!(
                "{} files: at most {MAX_FILES_PER_BATCH} per submit; split the batch",
                args.files.len()
            ),
        )
        .into());
    }
    let explanations = explanations(&args.explain)?;
    runtime()?.block_on(async {
        let mut remote = Remote::connect(conn).await?;
        let bar = progress(args.files.len());
        let mut outcomes = Vec::new();
        let mut exit = Exit::Ok;
        for path in &args.files {
            bar.set_message(path.clone());
            let (report, provenance) =
                match read_report(path, remote.org.as_deref(), args.allow_unreadable) {
                    Ok(r) => r,
                    Err(e) => {
                        bar.suspend(|| output::error_line(&e));
                        exit = exit.max(Exit::of(&e));
                        bar.inc(1);
                        continue;
                    }
                };
            let (org, year) = (report.org.id.clone(), report.year);
            let req = pb::SubmitReportRequest {
                report: Some(report_to_pb(&report)),
                reason: args.reason.clone().unwrap_or_default(),
                expected_revision: args.expected_revision,
                explanations: explanations.clone(),
                as_published: args.as_published,
                provenance: provenance.iter().map(pb::CellSource::from).collect(),
            };
            let outcome = match remote.client.submit_report(req).await {
                Ok(resp) => accepted(path, org, year, resp.into_inner()),
                // Nothing later in the batch would fare better: stop.
                Err(status)
                    if status.code() == Code::Unavailable
                        || status.code() == Code::Unauthenticated
                        || status.code() == Code::Unknown && outcomes.is_empty() =>
                {
                    bar.finish_and_clear();
                    return Err(remote.fail(status));
                }
                Err(status) => {
                    exit = exit.max(exit_code(status.code()));
                    refused(path, org, year, &status)
                }
            };
            if args.output == OutputFormat::Table {
                bar.suspend(|| output::print(&submit_line(&outcome)));
            }
            outcomes.push(outcome);
            bar.inc(1);
        }
        bar.finish_and_clear();
        match args.output {
            // Printed file by file above.
            OutputFormat::Table => {}
            OutputFormat::Json => output::print_json(&outcomes)?,
            OutputFormat::Yaml => output::print_yaml(&outcomes)?,
        }
        Ok(exit)
    })
}

/// A progress bar on stderr, for batches of two files or more.
fn progress(files: usize) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(files as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} {wide_msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    if files < 2 {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    bar
}

fn accepted(path: &str, org: String, year: u32, r: pb::SubmitReportResponse) -> SubmitOutcome {
    SubmitOutcome {
        file: path.to_string(),
        org,
        year,
        accepted: true,
        revision: Some(r.revision),
        created: Some(r.created),
        content_hash: Some(r.content_hash),
        warnings: r.warnings.iter().map(gx::Finding::from).collect(),
        explanations: r
            .explanations
            .iter()
            .map(gx::crossyear::Explanation::from)
            .collect(),
        cross_year: r.cross_year.as_ref().map(cross_year_json),
        ..SubmitOutcome::default()
    }
}

/// A refusal: gxd's message, and what it found wrong — the field violations of a rejected
/// report, and the cross-year warnings to explain, one per warning, named by its rule.
fn refused(path: &str, org: String, year: u32, status: &Status) -> SubmitOutcome {
    let mut violations: Vec<Violation> = status
        .get_details_bad_request()
        .map(|b| {
            b.field_violations
                .into_iter()
                .map(|v| Violation {
                    field: v.field,
                    description: v.description,
                })
                .collect()
        })
        .unwrap_or_default();
    if let Some(p) = status.get_details_precondition_failure() {
        violations.extend(
            p.violations
                .into_iter()
                .filter(|v| v.r#type == "CROSS_YEAR")
                .map(|v| Violation {
                    field: v.subject,
                    description: v.description,
                }),
        );
    }
    SubmitOutcome {
        file: path.to_string(),
        org,
        year,
        error: Some(status.message().to_string()),
        violations,
        ..SubmitOutcome::default()
    }
}

/// A report file (JSON, YAML, cells) as it is, or a published report (web text, HTML,
/// Markdown, PDF) through the importer — refused when any cell could not be read: a number
/// is never guessed.
pub fn read_report(
    path: &str,
    org: Option<&str>,
    allow_unreadable: bool,
) -> Result<(gx::Report, Vec<gx::provenance::CellSource>)> {
    let lower = path.to_ascii_lowercase();
    let report_file = [".json", ".yaml", ".yml", ".cells"]
        .iter()
        .any(|e| lower.ends_with(e))
        || path == "-";
    if report_file {
        return Ok((files::read_path(path)?, Vec::new()));
    }
    let opts = gx::import::ImportOptions {
        org_id: org.unwrap_or_default().to_string(),
        ..Default::default()
    };
    let imported = super::import::import_file(path, &opts)?;
    if org.is_none() {
        return Err(Failure::new(
            Exit::Usage,
            format!("{path}: a published report does not say its body's code: give --org ORG (or GX_ORG, or a context's org)"),
        )
        .into());
    }
    if !imported.is_complete() && !allow_unreadable {
        output::eprint(&super::import::report_text(path, &imported));
        return Err(Failure::new(
            Exit::Invalid,
            format!(
                "{path}: {} cell(s) could not be read; nothing was submitted (fix them with `gxctl import {path} -o yaml` and submit the file)",
                imported.unreadable.len()
            ),
        )
        .into());
    }
    let provenance = gx::provenance::of_import(&imported);
    Ok((imported.report, provenance))
}

fn submit_line(o: &SubmitOutcome) -> String {
    let mut s = String::new();
    if o.accepted {
        let errors = o.warnings.iter().filter(|w| w.is_error()).count();
        let what = if o.created == Some(true) {
            "stored as revision"
        } else {
            "unchanged: already revision"
        };
        s.push_str(&format!(
            "{}: {} {} {} of {} {}",
            o.file,
            paint(output::GREEN, "accepted"),
            what,
            o.revision.unwrap_or(0),
            o.org,
            o.year
        ));
        if errors > 0 {
            s.push_str(&format!(
                " — {}: {errors} error{}",
                paint(output::RED, "published with errors"),
                output::plural(errors)
            ));
        }
        let warnings = o.warnings.len() - errors;
        if warnings > 0 {
            s.push_str(&format!(
                " — {warnings} warning{}",
                output::plural(warnings)
            ));
        }
        s.push('\n');
        for w in &o.warnings {
            s.push_str("  ");
            s.push_str(&show::finding_line(false, &w.rule, &w.message));
        }
        for e in &o.explanations {
            s.push_str(&format!("  explained {}: {}\n", e.rule, e.text));
        }
    } else {
        let cross_year = o
            .error
            .as_deref()
            .is_some_and(|e| e.starts_with("cross-year"));
        let why = if o.violations.is_empty() || cross_year {
            o.error.clone().unwrap_or_default()
        } else {
            format!(
                "{} problem{}",
                o.violations.len(),
                output::plural(o.violations.len())
            )
        };
        s.push_str(&format!(
            "{}: {} — {why}\n",
            o.file,
            paint(output::RED, "refused")
        ));
        for v in &o.violations {
            s.push_str(&format!("  {}  {}\n", v.field, v.description));
        }
    }
    s
}
