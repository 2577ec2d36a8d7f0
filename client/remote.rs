//! Commands that talk to gxd: submit, get, list, history, and the server forms of diff.

use anyhow::Result;
use clap::Args;
use serde::Serialize;
use tonic::{Code, Status};
use tonic_types::StatusExt;

use gx::convert::{finding_from_pb, report_from_pb, report_to_pb};
use gx::files::{self, Format};
use gx::pb;
use gx::pb::report_service_client::ReportServiceClient;
use gx::rules::Finding;

use crate::config::Connection;
use crate::connect::{self, AuthChannel};
use crate::output::{self, paint, OutputFormat};
use crate::{Exit, Failure};

/// A connected client and the address it talks to (for messages).
pub struct Remote {
    pub client: ReportServiceClient<AuthChannel>,
    /// The same connection, for gxd's other services.
    pub channel: AuthChannel,
    pub server: String,
    pub org: Option<String>,
}

pub fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

fn host(server: &str) -> &str {
    server.split_once("://").map_or(server, |(_, h)| h)
}

/// The one map from a gRPC status code to gxctl's exit code (the table in `gxctl --help`):
/// every command that reports a failed call uses it.
pub fn exit_code(code: Code) -> Exit {
    match code {
        Code::InvalidArgument => Exit::Invalid,
        Code::NotFound => Exit::NotFound,
        Code::Unavailable => Exit::Unavailable,
        // The report or body changed meanwhile, or is already there.
        Code::FailedPrecondition | Code::Aborted | Code::AlreadyExists => Exit::Conflict,
        Code::Unauthenticated | Code::PermissionDenied => Exit::Denied,
        _ => Exit::Failure,
    }
}

fn unreachable(server: &str, why: &str) -> Failure {
    Failure::new(
        Exit::Unavailable,
        format!(
            "cannot reach gxd at {}: {why}{}",
            host(server),
            connect::hint(server, why)
        ),
    )
}

impl Remote {
    pub async fn connect(conn: &Connection) -> Result<Remote> {
        let resolved = conn.resolve()?;
        let bearer = connect::bearer(&resolved)?;
        let endpoint = connect::endpoint(&resolved)?;
        let (server, org) = (resolved.server, resolved.org);
        let channel = endpoint.connect().await.map_err(|e| {
            // The innermost cause says what happened ("Connection refused (os error 111)").
            let why = connect::innermost(&e);
            let why = match why.find(" (os error") {
                Some(i) => why[..i].to_lowercase(),
                None => why,
            };
            unreachable(&server, &why)
        })?;
        let channel = AuthChannel::new(channel, bearer);
        let client = ReportServiceClient::new(channel.clone())
            .max_decoding_message_size(64 * 1024 * 1024)
            .send_compressed(tonic::codec::CompressionEncoding::Gzip)
            .accept_compressed(tonic::codec::CompressionEncoding::Gzip);
        Ok(Remote {
            client,
            channel,
            server,
            org,
        })
    }

    /// The org given on the command line, else the context's default.
    pub fn org(&self, given: Option<&str>) -> Result<String> {
        given
            .map(str::to_string)
            .or_else(|| self.org.clone())
            .ok_or_else(|| {
                Failure::new(
                    Exit::Usage,
                    "no reporting body given: pass ORG, --org, GX_ORG, or set a context's org \
                     (gxctl config set-context NAME --org ORG)",
                )
                .into()
            })
    }

    /// A failed call as a one-line failure with the right exit code.
    pub fn fail(&self, status: Status) -> anyhow::Error {
        let broken = status.message().starts_with("transport error")
            || status.message().starts_with("h2 protocol error");
        match exit_code(status.code()) {
            Exit::Unavailable => unreachable(&self.server, status.message()).into(),
            // The connection broke under the call (e.g. plaintext against TLS).
            Exit::Failure if broken => {
                unreachable(&self.server, &connect::innermost(&status)).into()
            }
            exit => Failure::new(exit, status.message().to_string()).into(),
        }
    }

    /// NOT_FOUND for (org, year): name the years that do exist.
    pub async fn not_found(&mut self, org: &str, year: u32) -> anyhow::Error {
        let mut years: Vec<u32> = Vec::new();
        if let Ok(resp) = self
            .client
            .list_reports(pb::ListReportsRequest {
                year: None,
                org_id_prefix: org.to_string(),
                page_size: 1000,
                page_token: String::new(),
            })
            .await
        {
            years = resp
                .into_inner()
                .reports
                .iter()
                .filter(|r| r.org.as_ref().is_some_and(|o| o.id == org))
                .map(|r| r.year)
                .collect();
        }
        let exist = match years.as_slice() {
            [] => "no reports exist for it".to_string(),
            ys => format!(
                "reports exist for {}",
                ys.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")
            ),
        };
        Failure::new(
            Exit::NotFound,
            format!("no report for {org} in {year} ({exist})"),
        )
        .into()
    }

    pub async fn get(
        &mut self,
        org: &str,
        year: u32,
        version: Option<pb::get_report_request::Version>,
    ) -> Result<pb::GetReportResponse> {
        let asked_revision = matches!(version, Some(pb::get_report_request::Version::Revision(_)));
        match self
            .client
            .get_report(pb::GetReportRequest {
                org_id: org.to_string(),
                year,
                version,
            })
            .await
        {
            Ok(r) => Ok(r.into_inner()),
            Err(s) if s.code() == Code::NotFound && !asked_revision => {
                Err(self.not_found(org, year).await)
            }
            Err(s) => Err(self.fail(s)),
        }
    }
}

// ------------------------------------------------------------------------------ submit

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
    /// Output format.
    #[arg(short, long, value_enum, default_value_t)]
    output: OutputFormat,
}

pub const SUBMIT_EXAMPLES: &str = "\
Examples:
  gxctl submit report.json
  gxctl submit 2020/*.yaml
  gxctl submit report.json --reason '更正表四合计' --expected-revision 1
  gxctl submit report.json --explain X-CARRY='机构改革，原两镇合并，结转数按合并后口径填报'";

/// `--explain RULE=TEXT` arguments, checked.
fn explanations(given: &[String]) -> Result<Vec<pb::Explanation>> {
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

#[derive(Debug, Serialize)]
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

pub fn submit(conn: &Connection, args: SubmitArgs) -> Result<Exit> {
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
        let bar = indicatif::ProgressBar::new(args.files.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} {wide_msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        if args.files.len() < 2 {
            bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
        }
        let mut outcomes = Vec::new();
        let mut exit = Exit::Ok;
        for path in &args.files {
            bar.set_message(path.clone());
            let report = match read_report(path, remote.org.as_deref()) {
                Ok(r) => r,
                Err(e) => {
                    bar.suspend(|| output::error_line(&e));
                    exit = exit.max(e.downcast_ref::<Failure>().map_or(Exit::Usage, |f| f.exit));
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
            };
            let outcome = match remote.client.submit_report(req).await {
                Ok(resp) => {
                    let r = resp.into_inner();
                    SubmitOutcome {
                        file: path.clone(),
                        org,
                        year,
                        accepted: true,
                        revision: Some(r.revision),
                        created: Some(r.created),
                        content_hash: Some(r.content_hash),
                        warnings: r.warnings.iter().map(finding_from_pb).collect(),
                        explanations: r
                            .explanations
                            .iter()
                            .map(gx::convert::explanation_from_pb)
                            .collect(),
                        cross_year: r.cross_year.as_ref().map(cross_year_json),
                        error: None,
                        violations: Vec::new(),
                    }
                }
                Err(status) => {
                    if status.code() == Code::Unavailable
                        || status.code() == Code::Unauthenticated
                        || status.code() == Code::Unknown && outcomes.is_empty()
                    {
                        bar.finish_and_clear();
                        return Err(remote.fail(status));
                    }
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
                    // Cross-year warnings to explain: one per warning, named by its rule.
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
                    exit = exit.max(exit_code(status.code()));
                    SubmitOutcome {
                        file: path.clone(),
                        org,
                        year,
                        accepted: false,
                        revision: None,
                        created: None,
                        content_hash: None,
                        warnings: Vec::new(),
                        explanations: Vec::new(),
                        cross_year: None,
                        error: Some(status.message().to_string()),
                        violations,
                    }
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
            OutputFormat::Table => {}
            OutputFormat::Json => output::print_json(&outcomes)?,
            OutputFormat::Yaml => output::print_yaml(&outcomes)?,
        }
        Ok(exit)
    })
}

/// A report file (JSON, YAML, cells) as it is, or a published report (web text, HTML,
/// Markdown, PDF) through the importer — refused when any cell could not be read: a number
/// is never guessed.
fn read_report(path: &str, org: Option<&str>) -> Result<gx::Report> {
    let lower = path.to_ascii_lowercase();
    let report_file = [".json", ".yaml", ".yml", ".cells"]
        .iter()
        .any(|e| lower.ends_with(e))
        || path == "-";
    if report_file {
        return Ok(files::read_path(path)?);
    }
    let opts = gx::import::ImportOptions {
        org_id: org.unwrap_or_default().to_string(),
        ..Default::default()
    };
    let imported = crate::import::import_file(path, &opts)?;
    if org.is_none() {
        return Err(Failure::new(
            Exit::Usage,
            format!("{path}: a published report does not say its body's code: give --org ORG (or GX_ORG, or a context's org)"),
        )
        .into());
    }
    if !imported.is_complete() {
        output::eprint(&crate::import::report_text(path, &imported));
        return Err(Failure::new(
            Exit::Invalid,
            format!(
                "{path}: {} cell(s) could not be read; nothing was submitted (fix them with `gxctl import {path} -o yaml` and submit the file)",
                imported.unreadable.len()
            ),
        )
        .into());
    }
    Ok(imported.report)
}

fn submit_line(o: &SubmitOutcome) -> String {
    let mut s = String::new();
    if o.accepted {
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
        if !o.warnings.is_empty() {
            s.push_str(&format!(
                " — {} warning{}",
                o.warnings.len(),
                if o.warnings.len() == 1 { "" } else { "s" }
            ));
        }
        s.push('\n');
        for w in &o.warnings {
            s.push_str(&format!(
                "  {} {} {}\n",
                paint(output::YELLOW, "warning"),
                w.rule,
                w.message
            ));
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
                if o.violations.len() == 1 { "" } else { "s" }
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

// ------------------------------------------------------------------------------ get

#[derive(Debug, Args)]
pub struct GetArgs {
    /// [ORG] YEAR: the body (default: from the context) and the year.
    #[arg(required = true, num_args = 1..=2, value_name = "ORG YEAR")]
    target: Vec<String>,
    /// A given revision instead of the latest.
    #[arg(long = "rev", value_name = "N", conflicts_with = "as_of")]
    revision: Option<u32>,
    /// The revision that was current at this time (RFC 3339, e.g. 2024-02-01T00:00:00Z).
    #[arg(long, value_name = "TIME")]
    as_of: Option<String>,
    /// Output format: table, json, yaml, or the flat cell view.
    #[arg(short, long, value_enum, default_value_t)]
    output: ReportFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum ReportFormat {
    #[default]
    Table,
    Json,
    Yaml,
    Cells,
}

pub const GET_EXAMPLES: &str = "\
Examples:
  gxctl get 621024101 2020
  gxctl get 2020                       # the context's body
  gxctl get 621024101 2020 --rev 1 -o cells
  gxctl get 621024101 2020 --as-of 2021-03-01T00:00:00Z -o json";

/// Parses `[ORG] YEAR`.
pub fn org_year(target: &[String]) -> Result<(Option<&str>, u32)> {
    let (org, year) = match target {
        [year] => (None, year),
        [org, year] => (Some(org.as_str()), year),
        _ => return Err(Failure::new(Exit::Usage, "expected [ORG] YEAR").into()),
    };
    let year = year
        .parse()
        .map_err(|_| Failure::new(Exit::Usage, format!("not a year: {year:?}")))?;
    Ok((org, year))
}

pub fn get(conn: &Connection, args: GetArgs) -> Result<Exit> {
    let (org, year) = org_year(&args.target)?;
    let version = match (&args.revision, &args.as_of) {
        (Some(r), _) => Some(pb::get_report_request::Version::Revision(*r)),
        (None, Some(t)) => {
            let ts: prost_types::Timestamp = t.parse().map_err(|_| {
                Failure::new(
                    Exit::Usage,
                    format!("--as-of: not an RFC 3339 time: {t:?} (e.g. 2024-02-01T00:00:00Z)"),
                )
            })?;
            Some(pb::get_report_request::Version::AsOf(ts))
        }
        _ => None,
    };
    runtime()?.block_on(async {
        let mut remote = Remote::connect(conn).await?;
        let org = remote.org(org)?;
        let resp = remote.get(&org, year, version).await?;
        let report = report_from_pb(&resp.report.unwrap_or_default()).map_err(|e| {
            Failure::new(
                Exit::Failure,
                format!("gxd sent a report gxctl cannot read: {e}"),
            )
        })?;
        let info = resp.revision.unwrap_or_default();
        match args.output {
            ReportFormat::Cells => output::print(&files::write(&report, Format::Cells)),
            ReportFormat::Json | ReportFormat::Yaml => {
                let doc: serde_json::Value =
                    serde_json::from_str(&files::write(&report, Format::Json))?;
                let out = serde_json::json!({
                    "revision": revision_json(&info),
                    "report": doc,
                });
                if args.output == ReportFormat::Json {
                    output::print_json(&out)?
                } else {
                    output::print_yaml(&out)?
                }
            }
            ReportFormat::Table => {
                let mut s = format!(
                    "{} {} {}年 — revision {}, {}, {} edition\n",
                    report.org.id,
                    report.org.name,
                    report.year,
                    info.revision,
                    info.submitted_at.map(|t| t.to_string()).unwrap_or_default(),
                    report.edition
                );
                if !info.reason.is_empty() {
                    s.push_str(&format!("reason: {}\n", info.reason));
                }
                s.push_str(&format!("content: sha256:{}\n", info.content_hash));
                if !info.submitted_by.is_empty() {
                    s.push_str(&format!("submitted by token {}\n", info.submitted_by));
                }
                s.push_str(&cross_year_text(&info));
                for w in &info.warnings {
                    s.push_str(&format!(
                        "{} {} {}\n",
                        paint(output::YELLOW, "warning"),
                        w.rule,
                        w.message
                    ));
                }
                s.push_str(&crate::show::report_tables(&report));
                output::print(&s);
            }
        }
        Ok(Exit::Ok)
    })
}

/// The cross-year check of a revision, as gxctl prints it in JSON.
pub fn cross_year_json(c: &pb::CrossYearCheck) -> serde_json::Value {
    serde_json::json!({
        "checked": c.checked,
        "previous_year": c.previous_year,
        "previous_revision": c.checked.then_some(c.previous_revision),
    })
}

/// The cross-year line of `get`: what the revision was checked against, and its explanations.
fn cross_year_text(info: &pb::RevisionInfo) -> String {
    let c = info.cross_year.unwrap_or_default();
    let mut s = if c.checked {
        format!(
            "cross-year: checked against {} revision {}\n",
            c.previous_year, c.previous_revision
        )
    } else {
        format!(
            "cross-year: not checked — there was no {} report of this body when it was submitted\n",
            info.year.saturating_sub(1)
        )
    };
    for e in &info.explanations {
        s.push_str(&format!("explained {}: {}\n", e.rule, e.text));
    }
    s
}

fn revision_json(info: &pb::RevisionInfo) -> serde_json::Value {
    serde_json::json!({
        "org_id": info.org_id,
        "year": info.year,
        "revision": info.revision,
        "submission_id": info.submission_id,
        "submitted_at": info.submitted_at.as_ref().map(|t| t.to_string()),
        "reason": info.reason,
        "content_hash": info.content_hash,
        "warnings": info.warnings.iter().map(finding_from_pb).collect::<Vec<_>>(),
        "submitted_by": info.submitted_by,
        "chain_hash": info.chain_hash,
        "explanations": info.explanations.iter().map(gx::convert::explanation_from_pb).collect::<Vec<_>>(),
        "cross_year": cross_year_json(&info.cross_year.unwrap_or_default()),
    })
}

// ------------------------------------------------------------------------------ list, history

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only reports for this year.
    #[arg(long)]
    year: Option<u32>,
    /// Only bodies whose id starts with this (default: every body).
    #[arg(long = "prefix", value_name = "PREFIX")]
    prefix: Option<String>,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t)]
    output: OutputFormat,
}

pub const LIST_EXAMPLES: &str = "\
Examples:
  gxctl list
  gxctl list --year 2020 --prefix 621024 -o json";

pub fn list(conn: &Connection, args: ListArgs) -> Result<Exit> {
    runtime()?.block_on(async {
        let mut remote = Remote::connect(conn).await?;
        let mut rows = Vec::new();
        let mut token = String::new();
        loop {
            let resp = remote
                .client
                .list_reports(pb::ListReportsRequest {
                    year: args.year,
                    org_id_prefix: args.prefix.clone().unwrap_or_default(),
                    page_size: 1000,
                    page_token: token,
                })
                .await
                .map_err(|s| remote.fail(s))?
                .into_inner();
            rows.extend(resp.reports.into_iter().map(|r| {
                let org = r.org.unwrap_or_default();
                serde_json::json!({
                    "org_id": org.id,
                    "org_name": org.name,
                    "year": r.year,
                    "edition": pb::Edition::try_from(r.edition).map(edition_number).unwrap_or(0),
                    "revision": r.revision,
                    "submitted_at": r.submitted_at.map(|t| t.to_string()),
                    "content_hash": r.content_hash,
                    "warnings": r.warning_count,
                })
            }));
            if resp.next_page_token.is_empty() {
                break;
            }
            token = resp.next_page_token;
        }
        match args.output {
            OutputFormat::Json => output::print_json(&rows)?,
            OutputFormat::Yaml => output::print_yaml(&rows)?,
            OutputFormat::Table => {
                let mut t = output::table();
                t.set_header(vec![
                    "org",
                    "name",
                    "year",
                    "edition",
                    "rev",
                    "submitted",
                    "warnings",
                ]);
                for r in &rows {
                    t.add_row(vec![
                        r["org_id"].as_str().unwrap_or("").to_string(),
                        r["org_name"].as_str().unwrap_or("").to_string(),
                        r["year"].to_string(),
                        r["edition"].to_string(),
                        r["revision"].to_string(),
                        r["submitted_at"].as_str().unwrap_or("").to_string(),
                        r["warnings"].to_string(),
                    ]);
                }
                output::print(&format!(
                    "{}{} report{}\n",
                    output::table_text(&t),
                    rows.len(),
                    if rows.len() == 1 { "" } else { "s" }
                ));
            }
        }
        Ok(Exit::Ok)
    })
}

fn edition_number(e: pb::Edition) -> u32 {
    match e {
        pb::Edition::Edition2019 => 2019,
        pb::Edition::Edition2021 => 2021,
        pb::Edition::Unspecified => 0,
    }
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// [ORG] YEAR: the body (default: from the context) and the year.
    #[arg(required = true, num_args = 1..=2, value_name = "ORG YEAR")]
    target: Vec<String>,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t)]
    output: OutputFormat,
}

pub const HISTORY_EXAMPLES: &str = "\
Examples:
  gxctl history 621024101 2020
  gxctl history 2020 -o json";

pub fn history(conn: &Connection, args: HistoryArgs) -> Result<Exit> {
    let (org, year) = org_year(&args.target)?;
    runtime()?.block_on(async {
        let mut remote = Remote::connect(conn).await?;
        let org = remote.org(org)?;
        let revisions = match remote
            .client
            .list_revisions(pb::ListRevisionsRequest {
                org_id: org.clone(),
                year,
            })
            .await
        {
            Ok(r) => r.into_inner().revisions,
            Err(s) if s.code() == Code::NotFound => return Err(remote.not_found(&org, year).await),
            Err(s) => return Err(remote.fail(s)),
        };
        if revisions.is_empty() {
            return Err(remote.not_found(&org, year).await);
        }
        let rows: Vec<serde_json::Value> = revisions.iter().map(revision_json).collect();
        match args.output {
            OutputFormat::Json => output::print_json(&rows)?,
            OutputFormat::Yaml => output::print_yaml(&rows)?,
            OutputFormat::Table => {
                let mut t = output::table();
                t.set_header(vec![
                    "rev",
                    "submitted",
                    "by",
                    "reason",
                    "content",
                    "warnings",
                ]);
                for r in &revisions {
                    t.add_row(vec![
                        r.revision.to_string(),
                        r.submitted_at
                            .as_ref()
                            .map(|t| t.to_string())
                            .unwrap_or_default(),
                        if r.submitted_by.is_empty() {
                            "-".to_string()
                        } else {
                            r.submitted_by.clone()
                        },
                        r.reason.clone(),
                        format!(
                            "sha256:{}",
                            r.content_hash.get(..12).unwrap_or(&r.content_hash)
                        ),
                        r.warnings.len().to_string(),
                    ]);
                }
                output::print(&format!("{org} {year}\n{}", output::table_text(&t)));
            }
        }
        Ok(Exit::Ok)
    })
}
