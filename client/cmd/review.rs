//! `gxctl review`: the county office accepts a filed report or returns it for amendment, and
//! reads a report's history of filings and reviews.

use anyhow::Result;
use clap::{Args, Subcommand};
use tonic::Code;

use gx::pb;
use gx::template::Edition;

use crate::config::Connection;
use crate::exit::{Exit, Failure};
use crate::output::{self, OutputFormat};
use crate::remote::{runtime, Remote};
use crate::show::timestamp;
use crate::show_review::{
    cells_text, decision_name, events, review_json, review_state_name, Event,
};

use super::org_year;

#[derive(Debug, Subcommand)]
pub enum ReviewCommand {
    /// Accept the latest revision of a report (or the one given with --rev, which must still
    /// be the latest).
    Accept(AcceptArgs),
    /// Return the latest revision of a report for amendment (退回修改), with a reason and the
    /// cells to fix.
    Return(ReturnArgs),
    /// A report's history: every revision filed and every review of it, in order.
    History(HistoryArgs),
}

#[derive(Debug, Args)]
pub struct Target {
    /// [ORG] YEAR: the body (default: from the context) and the year.
    #[arg(required = true, num_args = 1..=2, value_name = "ORG YEAR")]
    target: Vec<String>,
    /// The revision you read: the review fails (exit 5) when it is no longer the latest.
    /// Default: the latest, as read just before the review.
    #[arg(long = "rev", value_name = "N")]
    revision: Option<u32>,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t)]
    output: OutputFormat,
}

#[derive(Debug, Args)]
pub struct AcceptArgs {
    #[command(flatten)]
    target: Target,
    /// A remark stored with the acceptance (optional).
    #[arg(long)]
    reason: Option<String>,
}

#[derive(Debug, Args)]
pub struct ReturnArgs {
    #[command(flatten)]
    target: Target,
    /// What is to be fixed, for the filer (in Chinese). Required.
    #[arg(long)]
    reason: String,
    /// A cell to fix and a note on it: KEY='note', e.g. t3.new.total='应与正文一致'
    /// (repeatable; keys as `gxctl cells FILE` prints them).
    #[arg(long = "cell", value_name = "KEY=NOTE", value_parser = parse_cell)]
    cells: Vec<(String, String)>,
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

pub const EXAMPLES: &str = "\
Examples:
  gxctl review return 621024101 2021 --reason '表三数据与正文不一致' \\
      --cell t3.new.total='应与正文一致' --cell t3.results.granted='请核对'
  gxctl review accept 621024101 2021            # the latest revision, as read now
  gxctl review accept 621024101 2021 --rev 2    # fails (exit 5) if revision 3 was filed since
  gxctl review history 621024101 2021 -o json";

fn parse_cell(s: &str) -> Result<(String, String), String> {
    let (k, v) = s
        .split_once('=')
        .ok_or_else(|| format!("{s:?} is not KEY=NOTE (e.g. t3.new.total='应与正文一致')"))?;
    let (k, v) = (k.trim(), v.trim());
    if k.is_empty() || v.is_empty() {
        return Err(format!("{s:?}: both the cell key and the note are needed"));
    }
    Ok((k.to_string(), v.to_string()))
}

pub fn run(conn: &Connection, cmd: ReviewCommand) -> Result<Exit> {
    match cmd {
        ReviewCommand::Accept(a) => {
            let reason = a.reason.unwrap_or_default();
            decide(conn, a.target, pb::ReviewDecision::Accept, reason, vec![])
        }
        ReviewCommand::Return(r) => {
            if r.reason.trim().is_empty() {
                return Err(Failure::new(
                    Exit::Usage,
                    "--reason: say what is to be fixed (in Chinese)",
                )
                .into());
            }
            decide(
                conn,
                r.target,
                pb::ReviewDecision::Return,
                r.reason,
                r.cells,
            )
        }
        ReviewCommand::History(h) => history(conn, h),
    }
}

/// Cell keys not of `edition`, as one usage failure naming them.
fn check_cells(edition: Edition, cells: &[(String, String)]) -> Result<()> {
    let unknown: Vec<&str> = cells
        .iter()
        .map(|(k, _)| k.as_str())
        .filter(|k| edition.template().ix(k).is_none())
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    Err(Failure::new(
        Exit::Usage,
        format!(
            "--cell: not a cell of the {edition} edition: {} (keys as `gxctl cells FILE` prints them, e.g. t3.new.total)",
            unknown.join(", ")
        ),
    )
    .into())
}

fn decide(
    conn: &Connection,
    t: Target,
    decision: pb::ReviewDecision,
    reason: String,
    cells: Vec<(String, String)>,
) -> Result<Exit> {
    let (org, year) = org_year(&t.target)?;
    runtime()?.block_on(async {
        let mut remote = Remote::connect(conn).await?;
        let org = remote.org(org)?;
        // Read first: the review names the revision read, and cell keys are the edition's.
        let version = t.revision.map(pb::get_report_request::Version::Revision);
        let read = remote.get(&org, year, version).await?;
        let info = read.revision.unwrap_or_default();
        let edition = read
            .report
            .as_ref()
            .and_then(|r| Edition::from_number(u32::try_from(r.edition).ok()?))
            .or_else(|| Some(Edition::for_year(year)));
        if let Some(e) = edition {
            check_cells(e, &cells)?;
        }
        let resp = remote
            .call(
                remote.reports().review_report(pb::ReviewReportRequest {
                    org_id: org.clone(),
                    year,
                    revision: info.revision,
                    decision: decision as i32,
                    reason,
                    cells: cells
                        .into_iter()
                        .map(|(cell, note)| pb::CellNote { cell, note })
                        .collect(),
                }),
            )
            .await?;
        let review = resp.review.unwrap_or_default();
        let json = serde_json::json!({
            "org_id": org,
            "year": year,
            "state": review_state_name(resp.state),
            "review": review_json(&review),
            "log_head": resp.log_head.map(|h| format!("{}:{}", h.size, h.root)),
        });
        output::print_as(t.output, &json, || {
            let mut s = format!(
                "{} {org} {year} revision {} (review {})\n",
                decision_name(review.decision),
                review.revision,
                review.number
            );
            if !review.reason.is_empty() {
                s.push_str(&format!("reason: {}\n", review.reason));
            }
            for c in &review.cells {
                s.push_str(&format!("  {}: {}\n", c.cell, c.note));
            }
            s
        })?;
        Ok(Exit::Ok)
    })
}

fn history(conn: &Connection, h: HistoryArgs) -> Result<Exit> {
    let (org, year) = org_year(&h.target)?;
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
        let list = events(&resp.revisions, &resp.reviews);
        let json = serde_json::json!({
            "org_id": org,
            "year": year,
            "state": review_state_name(resp.state),
            "events": list.iter().map(event_json).collect::<Vec<_>>(),
        });
        output::print_as(h.output, &json, || {
            format!(
                "{org} {year} — {}\n{}",
                review_state_name(resp.state),
                events_table(&list)
            )
        })?;
        Ok(Exit::Ok)
    })
}

/// An event as JSON: `event` is filed, amended, accepted or returned.
pub fn event_json(e: &Event<'_>) -> serde_json::Value {
    match e {
        Event::Filed(r) => serde_json::json!({
            "event": if r.revision == 1 { "filed" } else { "amended" },
            "revision": r.revision,
            "at": timestamp(&r.submitted_at),
            "by": r.submitted_by,
            "reason": r.reason,
            "content_hash": r.content_hash,
        }),
        Event::Reviewed(r) => {
            let mut v = review_json(r);
            v["event"] = decision_name(r.decision).into();
            v["at"] = v["reviewed_at"].clone();
            v["by"] = r.reviewed_by.clone().into();
            v
        }
    }
}

/// The events for people: one row each; a return's cells below its reason.
pub fn events_table(list: &[Event<'_>]) -> String {
    let mut t = output::table();
    t.set_header(["event", "rev", "at", "by", "reason"]);
    for e in list {
        let row = match e {
            Event::Filed(r) => [
                if r.revision == 1 { "filed" } else { "amended" }.to_string(),
                r.revision.to_string(),
                timestamp(&r.submitted_at),
                or_dash(&r.submitted_by),
                r.reason.clone(),
            ],
            Event::Reviewed(r) => {
                let mut reason = r.reason.clone();
                let cells = cells_text(r);
                if !cells.is_empty() {
                    reason = format!("{reason}\n{cells}");
                }
                [
                    decision_name(r.decision).to_string(),
                    r.revision.to_string(),
                    timestamp(&r.reviewed_at),
                    or_dash(&r.reviewed_by),
                    reason,
                ]
            }
        };
        t.add_row(row.to_vec());
    }
    output::table_text(&t)
}

fn or_dash(s: &str) -> String {
    if s.is_empty() {
        "-".into()
    } else {
        s.to_string()
    }
}
