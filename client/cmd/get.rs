//! `gxctl get`: one report from gxd — the latest revision, a given one, or as of a time.

use anyhow::Result;
use clap::Args;

use gx::pb;

use crate::config::Connection;
use crate::exit::{Exit, Failure};
use crate::output::ReportFormat;
use crate::remote::{runtime, Remote};
use crate::show::{self, revision_json, timestamp};
use crate::show_review::{decision_name, review_json, review_state_name};

use super::org_year;

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

pub const EXAMPLES: &str = "\
Examples:
  gxctl get 621024101 2020
  gxctl get 2020                       # the context's body
  gxctl get 621024101 2020 --rev 1 -o cells
  gxctl get 621024101 2020 --as-of 2021-03-01T00:00:00Z -o json";

pub fn run(conn: &Connection, args: GetArgs) -> Result<Exit> {
    let (org, year) = org_year(&args.target)?;
    let version = version(&args)?;
    runtime()?.block_on(async {
        let mut remote = Remote::connect(conn).await?;
        let org = remote.org(org)?;
        let resp = remote.get(&org, year, version).await?;
        let report = show::report(resp.report, "report")?;
        let info = resp.revision.unwrap_or_default();
        if args.output == ReportFormat::Cells && !info.provenance.is_empty() {
            let view = gx::files::write(&report, gx::files::Format::Cells);
            let sources = show::provenance(&info);
            crate::output::print(&gx::provenance::annotate_cells(&view, &sources));
            return Ok(Exit::Ok);
        }
        show::print_report(
            args.output,
            &report,
            |doc| {
                serde_json::json!({
                    "revision": revision_json(&info),
                    "review_state": review_state_name(resp.state),
                    "reviews": resp.reviews.iter().map(review_json).collect::<Vec<_>>(),
                    "report": doc,
                })
            },
            || text(&report, &info, &resp.reviews),
        )?;
        Ok(Exit::Ok)
    })
}

/// The revision asked for: a number, the one current at a time, or (none) the latest.
fn version(args: &GetArgs) -> Result<Option<pb::get_report_request::Version>> {
    Ok(match (&args.revision, &args.as_of) {
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
    })
}

/// The report for people: what revision it is, its checks and warnings, then its tables.
fn text(report: &gx::Report, info: &pb::RevisionInfo, reviews: &[pb::Review]) -> String {
    let mut s = format!(
        "{} {} {}年 — revision {}, {}, {} edition\n",
        report.org.id,
        report.org.name,
        report.year,
        info.revision,
        timestamp(&info.submitted_at),
        report.edition
    );
    if info.published_with_errors {
        s.push_str(&format!(
            "state: {} — stored as printed; the rules' errors below are the report's own\n",
            show::PUBLISHED_WITH_ERRORS
        ));
    }
    if !info.reason.is_empty() {
        s.push_str(&format!("reason: {}\n", info.reason));
    }
    s.push_str(&format!("content: sha256:{}\n", info.content_hash));
    if !info.submitted_by.is_empty() {
        s.push_str(&format!("submitted by token {}\n", info.submitted_by));
    }
    s.push_str(&cross_year_text(info));
    // Reviewed: the last review decides the state (nothing is shown before any review).
    if let Some(r) = reviews.last() {
        s.push_str(&format!(
            "review: {} (review {} by token {}, {})\n",
            decision_name(r.decision),
            r.number,
            r.reviewed_by,
            timestamp(&r.reviewed_at)
        ));
        if !r.reason.is_empty() {
            s.push_str(&format!("  reason: {}\n", r.reason));
        }
        for c in &r.cells {
            s.push_str(&format!("  {}: {}\n", c.cell, c.note));
        }
    }
    let deduced = info
        .provenance
        .iter()
        .filter(|p| p.origin == "deduced")
        .count();
    let unreadable = info.provenance.len() - deduced;
    if !info.provenance.is_empty() {
        s.push_str(&format!(
            "cells: {deduced} deduced from the identities, {unreadable} unreadable (see -o cells)\n"
        ));
    }
    for w in &info.warnings {
        s.push_str(&show::finding_line(false, &w.rule, &w.message));
    }
    s.push_str(&show::report_tables(report));
    s
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
