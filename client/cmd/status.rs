//! `gxctl status`: the filing board — every body below --org (or every body), filed or missing.

use anyhow::Result;
use clap::Args;

use gx::pb;

use crate::config::Connection;
use crate::exit::Exit;
use crate::output::{self, OutputFormat};
use crate::remote::{runtime, Remote};
use crate::show::{body_json, level_name, timestamp};
use crate::show_review::ReviewStateArg;

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The year.
    year: u32,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t)]
    output: OutputFormat,
    /// Only the bodies whose report is in this review state (the counts cover every body).
    #[arg(long, value_enum)]
    state: Option<ReviewStateArg>,
}

pub const EXAMPLES: &str = "\
Examples:
  gxctl status 2021 --org 621024        # every body below 合水县: filed or missing
  gxctl status 2021 -o json             # the context's body, or every body without one
  gxctl status 2021 --org 621024 --state returned   # the reports sent back for amendment";

fn entry_json(e: &pb::FilingEntry) -> serde_json::Value {
    let b = e.body.clone().unwrap_or_default();
    let cross = e.cross_year.unwrap_or_default();
    serde_json::json!({
        "body": body_json(&b),
        "depth": e.depth,
        "filed": e.filed,
        "revision": e.filed.then_some(e.revision),
        "submitted_at": e.filed.then(|| timestamp(&e.submitted_at)),
        "edition": e.filed.then_some(e.edition),
        "warnings": e.warnings,
        "explained": e.explained,
        "unexplained": e.unexplained,
        "cross_year_checked": e.filed.then_some(cross.checked),
        "state": status_cell(e),
        "review_state": crate::show_review::review_state_name(e.state),
        "review": e.review.as_ref().map(crate::show_review::review_json),
    })
}

fn status_cell(e: &pb::FilingEntry) -> String {
    if e.published_with_errors {
        crate::show::PUBLISHED_WITH_ERRORS.to_string()
    } else if e.fixed {
        "filed (fixed)".to_string()
    } else if e.filed {
        "filed".to_string()
    } else {
        "missing".to_string()
    }
}

fn warnings_cell(e: &pb::FilingEntry) -> String {
    if !e.filed {
        return String::new();
    }
    let mut s = e.warnings.to_string();
    if !e.explained.is_empty() {
        s.push_str(&format!(" (explained: {})", e.explained.join(", ")));
    }
    if !e.unexplained.is_empty() {
        s.push_str(&format!(" (unexplained: {})", e.unexplained.join(", ")));
    }
    s
}

fn cross_cell(e: &pb::FilingEntry) -> String {
    match &e.cross_year {
        Some(c) if e.filed && c.checked => {
            format!("vs {} rev {}", c.previous_year, c.previous_revision)
        }
        Some(c) if e.filed => format!("no {} report", c.previous_year),
        _ => String::new(),
    }
}

pub fn run(conn: &Connection, args: StatusArgs) -> Result<Exit> {
    runtime()?.block_on(async {
        let remote = Remote::connect(conn).await?;
        let r = remote
            .call(remote.orgs().get_filing_status(pb::GetFilingStatusRequest {
                state: args.state.map_or(0, |s| pb::ReviewState::from(s) as i32),
                year: args.year,
                org_id: remote.org.clone().unwrap_or_default(),
            }))
            .await?;
        let json = serde_json::json!({
            "year": args.year,
            "body": r.body.as_ref().map(body_json),
            "own": r.own.as_ref().map(entry_json),
            "bodies": r.entries.len(),
            "filed": r.filed,
            "missing": r.missing,
            "unexplained": r.unexplained,
            "published_with_errors": r.with_errors,
            "accepted": r.accepted,
            "returned": r.returned,
            "awaiting_review": r.awaiting_review,
            "entries": r.entries.iter().map(entry_json).collect::<Vec<_>>(),
        });
        output::print_as(args.output, &json, || text(args.year, &r, args.state))?;
        Ok(Exit::Ok)
    })
}

/// The board for people: whose board, the counts, the body's own report, then one line a body.
fn text(year: u32, r: &pb::GetFilingStatusResponse, state: Option<ReviewStateArg>) -> String {
    let mut s = match &r.body {
        Some(b) => format!("{} {} {year}年 — filing board\n", b.id, b.name),
        None => format!("every body {year}年 — filing board\n"),
    };
    // Every body counts (the rows may be filtered by --state).
    let bodies = r.filed + r.missing + r.with_errors;
    s.push_str(&format!(
        "{} bod{}: {} filed, {} missing, {} with unexplained warnings\n",
        bodies,
        if bodies == 1 { "y" } else { "ies" },
        r.filed,
        r.missing,
        r.unexplained
    ));
    s.push_str(&format!(
        "review: {} accepted, {} returned, {} awaiting review\n",
        r.accepted, r.returned, r.awaiting_review
    ));
    if r.with_errors > 0 {
        s.push_str(&format!(
            "{} {}\n",
            r.with_errors,
            crate::show::PUBLISHED_WITH_ERRORS
        ));
    }
    if let Some(st) = state {
        let name = crate::show_review::review_state_name(pb::ReviewState::from(st) as i32);
        s.push_str(&format!("showing the {} {name}\n", r.entries.len()));
    }
    if let Some(own) = &r.own {
        s.push_str(&format!(
            "its own report (本级): {}\n",
            if own.filed {
                format!(
                    "{}, revision {}, {}",
                    status_cell(own),
                    own.revision,
                    timestamp(&own.submitted_at)
                )
            } else {
                "missing".to_string()
            }
        ));
    }
    s.push_str(&table(r));
    s
}

/// One line a body, indented below the board's own body by depth.
fn table(r: &pb::GetFilingStatusResponse) -> String {
    let mut t = output::table();
    t.set_header([
        "  body",
        "name",
        "level",
        "status",
        "review",
        "rev",
        "submitted",
        "warnings",
        "cross-year",
    ]);
    let base = if r.body.is_some() { 1 } else { 0 };
    for e in &r.entries {
        let b = e.body.clone().unwrap_or_default();
        let filed = |text: String| if e.filed { text } else { String::new() };
        t.add_row(vec![
            format!(
                "  {}{}",
                "  ".repeat((e.depth as usize).saturating_sub(base)),
                b.id
            ),
            b.name.clone(),
            level_name(b.level).to_string(),
            status_cell(e),
            filed(crate::show_review::review_state_name(e.state).to_string()),
            filed(e.revision.to_string()),
            filed(timestamp(&e.submitted_at)),
            warnings_cell(e),
            cross_cell(e),
        ]);
    }
    output::table_text(&t)
}
