//! `gxctl list`: the reports gxd holds (latest revisions), by body then year.

use anyhow::Result;
use clap::Args;

use gx::pb;

use crate::config::Connection;
use crate::exit::Exit;
use crate::output::{self, OutputFormat};
use crate::remote::{runtime, Remote};

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

pub const EXAMPLES: &str = "\
Examples:
  gxctl list
  gxctl list --year 2020 --prefix 621024 -o json";

pub fn run(conn: &Connection, args: ListArgs) -> Result<Exit> {
    runtime()?.block_on(async {
        let remote = Remote::connect(conn).await?;
        let prefix = args.prefix.unwrap_or_default();
        let rows = rows(&remote, args.year, &prefix).await?;
        output::print_as(args.output, &rows, || table(&rows))?;
        Ok(Exit::Ok)
    })
}

/// Every report that matches, all pages, as `-o json` prints them.
async fn rows(remote: &Remote, year: Option<u32>, prefix: &str) -> Result<Vec<serde_json::Value>> {
    let mut rows = Vec::new();
    let mut token = String::new();
    loop {
        let page = remote
            .call(remote.reports().list_reports(pb::ListReportsRequest {
                year,
                org_id_prefix: prefix.to_string(),
                page_size: 1000,
                page_token: token,
            }))
            .await?;
        rows.extend(page.reports.into_iter().map(row_json));
        if page.next_page_token.is_empty() {
            return Ok(rows);
        }
        token = page.next_page_token;
    }
}

fn row_json(r: pb::ReportSummary) -> serde_json::Value {
    let org = r.org.unwrap_or_default();
    let mut v = serde_json::json!({
        "org_id": org.id,
        "org_name": org.name,
        "year": r.year,
        "edition": pb::Edition::try_from(r.edition).map(edition_number).unwrap_or(0),
        "revision": r.revision,
        "submitted_at": r.submitted_at.map(|t| t.to_string()),
        "content_hash": r.content_hash,
        "warnings": r.warning_count,
        "review_state": crate::show_review::review_state_name(r.state),
    });
    if r.published_with_errors {
        v["state"] = crate::show::PUBLISHED_WITH_ERRORS.into();
    }
    v
}

/// The rows for people, and how many.
fn table(rows: &[serde_json::Value]) -> String {
    let mut t = output::table();
    t.set_header([
        "org",
        "name",
        "year",
        "edition",
        "rev",
        "submitted",
        "warnings",
    ]);
    for r in rows {
        t.add_row(vec![
            r["org_id"].as_str().unwrap_or("").to_string(),
            r["org_name"].as_str().unwrap_or("").to_string(),
            r["year"].to_string(),
            r["edition"].to_string(),
            r["revision"].to_string(),
            r["submitted_at"].as_str().unwrap_or("").to_string(),
            match r["state"].as_str() {
                Some(state) => format!("{} ({state})", r["warnings"]),
                None => r["warnings"].to_string(),
            },
        ]);
    }
    format!(
        "{}{} report{}\n",
        output::table_text(&t),
        rows.len(),
        output::plural(rows.len())
    )
}

fn edition_number(e: pb::Edition) -> u32 {
    match e {
        pb::Edition::Edition2019 => 2019,
        pb::Edition::Edition2021 => 2021,
        pb::Edition::Unspecified => 0,
    }
}
