//! `gxctl rollup`: the sum (汇总) of tables 2–4 over every body below one.

use anyhow::Result;
use clap::Args;

use gx::pb;
use gx::rules::Finding;

use crate::config::Connection;
use crate::exit::Exit;
use crate::output::{self, paint, ReportFormat};
use crate::remote::{runtime, Remote};
use crate::show::{self, body_json};

use super::org_year;

#[derive(Debug, Args)]
pub struct RollupArgs {
    /// [ORG] YEAR: the body whose descendants are summed (default: the context's) and the year.
    #[arg(required = true, num_args = 1..=2, value_name = "ORG YEAR")]
    target: Vec<String>,
    /// Output format: table, json, yaml, or the flat cell view.
    #[arg(short, long, value_enum, default_value_t)]
    output: ReportFormat,
    /// Sum only the reports accepted in review (`gxctl review accept`); the others filed are
    /// listed as left out.
    #[arg(long)]
    accepted_only: bool,
}

pub const EXAMPLES: &str = "\
Examples:
  gxctl rollup 621024 2021                # 合水县: every body below it, summed
  gxctl rollup 621024 2021 -o cells
  gxctl rollup 621024 2021 --accepted-only  # only the reports the county accepted
  gxctl rollup 2021 -o json               # the context's body";

pub fn run(conn: &Connection, args: RollupArgs) -> Result<Exit> {
    let (org, year) = org_year(&args.target)?;
    runtime()?.block_on(async {
        let remote = Remote::connect(conn).await?;
        let org = remote.org(org)?;
        let r = remote
            .call(remote.orgs().roll_up(pb::RollUpRequest {
                accepted_only: args.accepted_only,
                org_id: org.clone(),
                year,
            }))
            .await?;
        let report = show::report(r.report.clone(), "roll-up")?;
        let findings: Vec<Finding> = r.findings.iter().map(Finding::from).collect();
        let valid = !findings.iter().any(|f| f.is_error());
        show::print_report(
            args.output,
            &report,
            |doc| {
                serde_json::json!({
                    "org_id": org,
                    "year": year,
                    "edition": report.edition.number(),
                    "descendants": r.descendants,
                    "parts": r.parts.iter().map(|p| serde_json::json!({
                        "body": p.body.as_ref().map(body_json),
                        "revision": p.revision,
                        "content_hash": p.content_hash,
                        "published_with_errors": p.published_with_errors,
                        "review_state": crate::show_review::review_state_name(p.state),
                    })).collect::<Vec<_>>(),
                    "accepted_only": args.accepted_only,
                    "left_out": r.left_out.iter().map(|p| serde_json::json!({
                        "body": p.body.as_ref().map(body_json),
                        "revision": p.revision,
                        "review_state": crate::show_review::review_state_name(p.state),
                    })).collect::<Vec<_>>(),
                    "parts_with_errors": r.parts.iter().filter(|p| p.published_with_errors).count(),
                    "missing": r.missing.iter().map(body_json).collect::<Vec<_>>(),
                    "blank_cells": r.blank_cells,
                    "not_applicable_cells": r.not_applicable_cells,
                    "valid": valid,
                    "findings": findings,
                    "report": doc,
                })
            },
            || text(&report, year, &r, &findings),
        )?;
        Ok(if valid { Exit::Ok } else { Exit::Invalid })
    })
}

/// The roll-up for people: what was summed and what is missing, the findings, then the tables.
fn text(report: &gx::Report, year: u32, r: &pb::RollUpResponse, findings: &[Finding]) -> String {
    let mut s = format!(
        "{} {} {}年 — roll-up (汇总) of {} report{} from the {} bod{} below it, {} edition\n",
        report.org.id,
        report.org.name,
        year,
        r.parts.len(),
        output::plural(r.parts.len()),
        r.descendants,
        if r.descendants == 1 { "y" } else { "ies" },
        report.edition
    );
    s.push_str("its own report (本级) is not part of the sum\n");
    for p in &r.parts {
        let b = p.body.clone().unwrap_or_default();
        let state = if p.published_with_errors {
            format!(", {}", crate::show::PUBLISHED_WITH_ERRORS)
        } else {
            String::new()
        };
        s.push_str(&format!(
            "  + {} {} (revision {}{state})\n",
            b.id, b.name, p.revision
        ));
    }
    let with_errors = r.parts.iter().filter(|p| p.published_with_errors).count();
    if with_errors > 0 {
        s.push_str(&format!(
            "the sum is of the printed values: {with_errors} part{} {} published with errors\n",
            output::plural(with_errors),
            if with_errors == 1 { "was" } else { "were" }
        ));
    }
    for p in &r.left_out {
        let b = p.body.clone().unwrap_or_default();
        s.push_str(&format!(
            "  {} {} {}: revision {} is {}, not accepted\n",
            paint(output::YELLOW, "left out"),
            b.id,
            b.name,
            p.revision,
            crate::show_review::review_state_name(p.state)
        ));
    }
    for m in &r.missing {
        s.push_str(&format!(
            "  {} {} {}: no report for {year}\n",
            paint(output::YELLOW, "missing"),
            m.id,
            m.name
        ));
    }
    s.push_str(&format!(
        "blank cells counted as 0: {}; not-applicable cells counted as 0: {}\n",
        r.blank_cells, r.not_applicable_cells
    ));
    for f in findings {
        s.push_str(&show::finding_line(f.is_error(), &f.rule, &f.message));
    }
    s.push_str(&show::report_tables(report));
    s
}
