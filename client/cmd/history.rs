//! `gxctl history`: every revision of one report.

use anyhow::Result;
use clap::Args;
use tonic::Code;

use gx::pb;

use crate::config::Connection;
use crate::exit::Exit;
use crate::output::{self, OutputFormat};
use crate::remote::{runtime, Remote};
use crate::show::{revision_json, timestamp};
use crate::show_review::{decision_name, events, review_json, review_state_name};

use super::org_year;

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// [ORG] YEAR: the body (default: from the context) and the year.
    #[arg(required = true, num_args = 1..=2, value_name = "ORG YEAR")]
    target: Vec<String>,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t)]
    output: OutputFormat,
}

pub const EXAMPLES: &str = "\
Examples:
  gxctl history 621024101 2020
  gxctl history 2020 -o json";

pub fn run(conn: &Connection, args: HistoryArgs) -> Result<Exit> {
    let (org, year) = org_year(&args.target)?;
    runtime()?.block_on(async {
        let mut remote = Remote::connect(conn).await?;
        let org = remote.org(org)?;
        let resp = match remote
            .client
            .list_revisions(pb::ListRevisionsRequest {
                org_id: org.clone(),
                year,
            })
            .await
        {
            Ok(r) => r.into_inner(),
            Err(s) if s.code() == Code::NotFound => return Err(remote.not_found(&org, year).await),
            Err(s) => return Err(remote.fail(s)),
        };
        let revisions = &resp.revisions;
        if revisions.is_empty() {
            return Err(remote.not_found(&org, year).await);
        }
        // Each revision with its reviews and its state (one row a revision, as before).
        let rows: Vec<serde_json::Value> = revisions
            .iter()
            .map(|r| {
                let mut v = revision_json(r);
                let of: Vec<&pb::Review> = resp
                    .reviews
                    .iter()
                    .filter(|x| x.revision == r.revision)
                    .collect();
                v["review_state"] = of
                    .last()
                    .map_or("filed", |x| decision_name(x.decision))
                    .into();
                v["reviews"] = of.iter().map(|x| review_json(x)).collect();
                v
            })
            .collect();
        output::print_as(args.output, &rows, || {
            let mut s = format!("{org} {year}\n{}", table(revisions));
            // Reviewed: every event in order, and where the report stands.
            if !resp.reviews.is_empty() {
                let list = events(revisions, &resp.reviews);
                s.push_str(&format!(
                    "events — {}\n{}",
                    review_state_name(resp.state),
                    crate::cmd::review::events_table(&list)
                ));
            }
            s
        })?;
        Ok(Exit::Ok)
    })
}

/// The revisions for people: one line each, the content hash shortened.
fn table(revisions: &[pb::RevisionInfo]) -> String {
    let mut t = output::table();
    t.set_header(["rev", "submitted", "by", "reason", "content", "warnings"]);
    for r in revisions {
        t.add_row(vec![
            r.revision.to_string(),
            timestamp(&r.submitted_at),
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
            if r.published_with_errors {
                format!(
                    "{} ({})",
                    r.warnings.len(),
                    crate::show::PUBLISHED_WITH_ERRORS
                )
            } else {
                r.warnings.len().to_string()
            },
        ]);
    }
    output::table_text(&t)
}
