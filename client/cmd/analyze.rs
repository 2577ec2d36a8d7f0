//! `gxctl analyze`: which reports below a body look wrong, unusual or copied in a year.

use anyhow::{Context, Result};
use clap::Args;
use serde_json::json;

use gx::pb;

use crate::config::Connection;
use crate::exit::Exit;
use crate::output::{self, OutputFormat};
use crate::remote::{runtime, Remote};
use crate::show::level_name;

use super::org_year;

#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// [ORG] YEAR: the body whose descendants are analyzed (default: the context's) and the
    /// year.
    #[arg(required = true, num_args = 1..=2, value_name = "ORG YEAR")]
    target: Vec<String>,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t)]
    output: OutputFormat,
    /// Also write the analysis as one self-contained HTML page (charts as SVG, no script).
    #[arg(long, value_name = "FILE")]
    html: Option<std::path::PathBuf>,
}

pub const EXAMPLES: &str = "\
Examples:
  gxctl analyze 621024 2021               # 合水县: jumps, outliers, copies, patterns
  gxctl analyze 621024 2021 -o json       # with every finding's evidence and the rankings
  gxctl analyze 621024 2021 --html a.html # also a page with charts (SVG), no script";

pub fn run(conn: &Connection, args: AnalyzeArgs) -> Result<Exit> {
    let (org, year) = org_year(&args.target)?;
    runtime()?.block_on(async {
        let remote = Remote::connect(conn).await?;
        let org = remote.org(org)?;
        let r = remote
            .call(remote.orgs().analyze_region(pb::AnalyzeRegionRequest {
                org_id: org.clone(),
                year,
            }))
            .await?;
        if let Some(path) = &args.html {
            std::fs::write(path, super::analyze_html::page(&org, &r))
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        output::print_as(args.output, &to_json(&org, &r), || text(&org, &r))?;
        Ok(Exit::Ok)
    })
}

fn evidence_json(e: &pb::AnalysisEvidence) -> serde_json::Value {
    json!({
        "value": e.value,
        "previous": e.previous,
        "median": e.median,
        "mad": e.mad,
        "score": e.score,
        "threshold": e.threshold,
        "threshold_name": e.threshold_name,
    })
}

fn to_json(org: &str, r: &pb::AnalyzeRegionResponse) -> serde_json::Value {
    let place = |p: &pb::RankingPlace| json!({"rank": p.rank, "org_id": p.org_id, "org_name": p.org_name, "value": p.value});
    json!({
        "org_id": org,
        "year": r.year,
        "descendants": r.descendants,
        "bodies": r.bodies,
        "flagged": r.flagged,
        "findings": r.findings.iter().map(|f| json!({
            "org_id": f.org_id,
            "org_name": f.org_name,
            "level": level_name(f.level),
            "check": f.check,
            "indicator": (!f.indicator.is_empty()).then_some(&f.indicator),
            "evidence": f.evidence.as_ref().map(evidence_json),
            "message": f.message,
        })).collect::<Vec<_>>(),
        "rankings": r.rankings.iter().map(|k| json!({
            "indicator": k.indicator,
            "label": k.label,
            "ranked": k.ranked,
            "top": k.top.iter().map(place).collect::<Vec<_>>(),
            "bottom": k.bottom.iter().map(place).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

/// A number as the table shows it: at most three decimals, none for whole numbers.
fn num(x: Option<f64>) -> String {
    match x {
        None => String::new(),
        Some(v) if v.fract() == 0.0 && v.abs() < 1e15 => format!("{v:.0}"),
        Some(v) => format!("{v:.3}"),
    }
}

/// An indicator's value as officials read it (a percentage for a share); a bare number
/// otherwise.
fn shown(indicator: &str, x: Option<f64>) -> String {
    match (gx::template::indicators::indicator(indicator), x) {
        (Some(d), Some(v)) => gx::analysis::show(d.unit, v),
        _ => num(x),
    }
}

fn text(org: &str, r: &pb::AnalyzeRegionResponse) -> String {
    let mut s = format!(
        "{org} {}年 — {} report{} analyzed of {} bodies below; {} flagged, {} finding{}\n",
        r.year,
        r.bodies,
        output::plural(r.bodies),
        r.descendants,
        r.flagged,
        r.findings.len(),
        output::plural(r.findings.len()),
    );
    if !r.findings.is_empty() {
        let mut t = output::table();
        t.set_header([
            "BODY",
            "NAME",
            "LEVEL",
            "CHECK",
            "INDICATOR",
            "VALUE",
            "BEFORE",
            "MEDIAN",
            "SCORE",
            "THRESHOLD",
        ]);
        for f in &r.findings {
            let e = f.evidence.clone().unwrap_or_default();
            t.add_row([
                f.org_id.clone(),
                f.org_name.clone(),
                level_name(f.level).to_string(),
                f.check.clone(),
                f.indicator.clone(),
                shown(&f.indicator, e.value),
                shown(&f.indicator, e.previous),
                shown(&f.indicator, e.median),
                num(e.score),
                format!("{} {}", e.threshold_name, num(Some(e.threshold))),
            ]);
        }
        s.push_str(&output::table_text(&t));
        s.push('\n');
        for f in &r.findings {
            s.push_str(&format!("{} {}: {}\n", f.org_id, f.check, f.message));
        }
    }
    s.push_str("\nHighest per indicator:\n");
    let mut t = output::table();
    t.set_header(["INDICATOR", "RANKED", "1st", "2nd", "3rd"]);
    for k in &r.rankings {
        let mut row = vec![k.label.clone(), k.ranked.to_string()];
        row.extend(
            k.top
                .iter()
                .take(3)
                .map(|p| format!("{} {}", p.org_id, shown(&k.indicator, Some(p.value)))),
        );
        t.add_row(row);
    }
    s.push_str(&output::table_text(&t));
    s
}
