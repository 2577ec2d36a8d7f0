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
