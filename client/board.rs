//! `gxctl rollup`, `gxctl status` (the filing board) and `gxctl export`.

use std::io::Write;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use tokio_stream::StreamExt;

use gx::convert::report_from_pb;
use gx::files::{self, Format};
use gx::pb;
use gx::template::{Edition, Kind};

use crate::config::Connection;
use crate::org::{body_json, client, level_name};
use crate::output::{self, paint, OutputFormat};
use crate::remote::{org_year, runtime, Remote, ReportFormat};
use crate::{csv, Exit, Failure};

// ------------------------------------------------------------------------------ rollup

#[derive(Debug, Args)]
pub struct RollupArgs {
    /// [ORG] YEAR: the body whose descendants are summed (default: the context's) and the year.
    #[arg(required = true, num_args = 1..=2, value_name = "ORG YEAR")]
    target: Vec<String>,
    /// Output format: table, json, yaml, or the flat cell view.
    #[arg(short, long, value_enum, default_value_t)]
    output: ReportFormat,
}

pub const ROLLUP_EXAMPLES: &str = "\
Examples:
  gxctl rollup 621024 2021                # 合水县: every body below it, summed
  gxctl rollup 621024 2021 -o cells
  gxctl rollup 2021 -o json               # the context's body";

fn timestamp(t: &Option<prost_types::Timestamp>) -> String {
    t.as_ref().map(|t| t.to_string()).unwrap_or_default()
}

pub fn rollup(conn: &Connection, args: RollupArgs) -> Result<Exit> {
    let (org, year) = org_year(&args.target)?;
    runtime()?.block_on(async {
        let remote = Remote::connect(conn).await?;
        let org = remote.org(org)?;
        let r = client(&remote)
            .roll_up(pb::RollUpRequest {
                org_id: org.clone(),
                year,
            })
            .await
            .map_err(|s| remote.fail(s))?
            .into_inner();
        let report = report_from_pb(&r.report.clone().unwrap_or_default()).map_err(|e| {
            Failure::new(Exit::Failure, format!("gxd sent a roll-up gxctl cannot read: {e}"))
        })?;
        let findings: Vec<_> = r.findings.iter().map(gx::Finding::from).collect();
        let valid = !findings.iter().any(|f| f.is_error());
        match args.output {
            ReportFormat::Cells => output::print(&files::write(&report, Format::Cells)),
            ReportFormat::Json | ReportFormat::Yaml => {
                let doc: serde_json::Value =
                    serde_json::from_str(&files::write(&report, Format::Json))?;
                let out = serde_json::json!({
                    "org_id": org,
                    "year": year,
                    "edition": report.edition.number(),
                    "descendants": r.descendants,
                    "parts": r.parts.iter().map(|p| serde_json::json!({
                        "body": p.body.as_ref().map(body_json),
                        "revision": p.revision,
                        "content_hash": p.content_hash,
                    })).collect::<Vec<_>>(),
                    "missing": r.missing.iter().map(body_json).collect::<Vec<_>>(),
                    "blank_cells": r.blank_cells,
                    "not_applicable_cells": r.not_applicable_cells,
                    "valid": valid,
                    "findings": findings,
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
                    "{} {} {}年 — roll-up (汇总) of {} report{} from the {} bod{} below it, {} edition\n",
                    report.org.id,
                    report.org.name,
                    year,
                    r.parts.len(),
                    if r.parts.len() == 1 { "" } else { "s" },
                    r.descendants,
                    if r.descendants == 1 { "y" } else { "ies" },
                    report.edition
                );
                s.push_str("its own report (本级) is not part of the sum\n");
                for p in &r.parts {
                    let b = p.body.clone().unwrap_or_default();
                    s.push_str(&format!(
                        "  + {} {} (revision {})\n",
                        b.id, b.name, p.revision
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
                for f in &findings {
                    let (mark, style) = if f.is_error() {
                        ("error", output::RED)
                    } else {
                        ("warning", output::YELLOW)
                    };
                    s.push_str(&format!("{} {} {}\n", paint(style, mark), f.rule, f.message));
                }
                s.push_str(&crate::show::report_tables(&report));
                output::print(&s);
            }
        }
        Ok(if valid { Exit::Ok } else { Exit::Invalid })
    })
}

// ------------------------------------------------------------------------------ status

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The year.
    year: u32,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t)]
    output: OutputFormat,
}

pub const STATUS_EXAMPLES: &str = "\
Examples:
  gxctl status 2021 --org 621024        # every body below 合水县: filed or missing
  gxctl status 2021 -o json             # the context's body, or every body without one";

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
    })
}

fn status_cell(e: &pb::FilingEntry) -> String {
    if e.filed {
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

pub fn status(conn: &Connection, args: StatusArgs) -> Result<Exit> {
    runtime()?.block_on(async {
        let remote = Remote::connect(conn).await?;
        let org = remote.org.clone();
        let r = client(&remote)
            .get_filing_status(pb::GetFilingStatusRequest {
                year: args.year,
                org_id: org.clone().unwrap_or_default(),
            })
            .await
            .map_err(|s| remote.fail(s))?
            .into_inner();
        match args.output {
            OutputFormat::Json | OutputFormat::Yaml => {
                let out = serde_json::json!({
                    "year": args.year,
                    "body": r.body.as_ref().map(body_json),
                    "own": r.own.as_ref().map(entry_json),
                    "bodies": r.entries.len(),
                    "filed": r.filed,
                    "missing": r.missing,
                    "unexplained": r.unexplained,
                    "entries": r.entries.iter().map(entry_json).collect::<Vec<_>>(),
                });
                if args.output == OutputFormat::Json {
                    output::print_json(&out)?
                } else {
                    output::print_yaml(&out)?
                }
            }
            OutputFormat::Table => {
                let mut s = match &r.body {
                    Some(b) => format!("{} {} {}年 — filing board\n", b.id, b.name, args.year),
                    None => format!("every body {}年 — filing board\n", args.year),
                };
                s.push_str(&format!(
                    "{} bod{}: {} filed, {} missing, {} with unexplained warnings\n",
                    r.entries.len(),
                    if r.entries.len() == 1 { "y" } else { "ies" },
                    r.filed,
                    r.missing,
                    r.unexplained
                ));
                if let Some(own) = &r.own {
                    s.push_str(&format!(
                        "its own report (本级): {}\n",
                        if own.filed {
                            format!(
                                "filed, revision {}, {}",
                                own.revision,
                                timestamp(&own.submitted_at)
                            )
                        } else {
                            "missing".to_string()
                        }
                    ));
                }
                let mut t = output::table();
                t.set_header(vec![
                    "  body",
                    "name",
                    "level",
                    "status",
                    "rev",
                    "submitted",
                    "warnings",
                    "cross-year",
                ]);
                let base = if r.body.is_some() { 1 } else { 0 };
                for e in &r.entries {
                    let b = e.body.clone().unwrap_or_default();
                    t.add_row(vec![
                        format!(
                            "  {}{}",
                            "  ".repeat((e.depth as usize).saturating_sub(base)),
                            b.id
                        ),
                        b.name.clone(),
                        level_name(b.level).to_string(),
                        status_cell(e),
                        if e.filed {
                            e.revision.to_string()
                        } else {
                            String::new()
                        },
                        if e.filed {
                            timestamp(&e.submitted_at)
                        } else {
                            String::new()
                        },
                        warnings_cell(e),
                        cross_cell(e),
                    ]);
                }
                s.push_str(&output::table_text(&t));
                output::print(&s);
            }
        }
        Ok(Exit::Ok)
    })
}

// ------------------------------------------------------------------------------ export

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ExportFormat {
    /// One header line, then one line per report.
    #[default]
    Csv,
    /// One JSON object per line, one line per report.
    Jsonl,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The year.
    #[arg(long)]
    year: u32,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t)]
    output: ExportFormat,
    /// Write to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    out: Option<String>,
}

pub const EXPORT_EXAMPLES: &str = "\
Examples:
  gxctl export --year 2021 --org 621024 > hs-2021.csv
  gxctl export --year 2021 -o jsonl --out all-2021.jsonl

CSV columns: org_id, org_name, level, parent, year, edition, revision, submitted_at,
content_hash, then one column per cell key of the year's edition in template order
(t2.regulations.issued, …, t4.lit_after_review.total). A cell is its number; blank is an
empty field; not applicable is /; a row not printed in the report's layout is `absent`.
JSONL: the same fields, and `cells` with a number (amounts as strings), null for blank and
\"/\" for not applicable; rows not printed are left out.";

/// The fixed leading CSV columns.
pub const FIXED_COLUMNS: [&str; 9] = [
    "org_id",
    "org_name",
    "level",
    "parent",
    "year",
    "edition",
    "revision",
    "submitted_at",
    "content_hash",
];

/// A cell as export text: the number; "" blank; "/" not applicable; "absent".
fn export_text(v: gx::Value) -> String {
    match v {
        gx::Value::Absent => "absent".into(),
        v => v.to_string(),
    }
}

/// Appends [`export_text`] of a value (numbers never need CSV quoting).
fn push_text(line: &mut String, v: gx::Value) {
    match v {
        gx::Value::Blank => {}
        gx::Value::NotApplicable => line.push('/'),
        gx::Value::Absent => line.push_str("absent"),
        gx::Value::Int(n) => {
            if n < 0 {
                line.push('-');
            }
            let mut digits = [0u8; 20];
            let mut i = digits.len();
            let mut m = n.unsigned_abs();
            loop {
                i -= 1;
                digits[i] = b'0' + (m % 10) as u8;
                m /= 10;
                if m == 0 {
                    break;
                }
            }
            for d in &digits[i..] {
                line.push(*d as char);
            }
        }
        gx::Value::Amount(d) => line.push_str(&d.to_string()),
    }
}

fn edition_of(n: i32) -> Option<Edition> {
    match pb::Edition::try_from(n) {
        Ok(pb::Edition::Edition2019) => Some(Edition::E2019),
        Ok(pb::Edition::Edition2021) => Some(Edition::E2021),
        _ => None,
    }
}

pub fn export(conn: &Connection, args: ExportArgs) -> Result<Exit> {
    let mut sink: Box<dyn Write> = match &args.out {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .map_err(|e| Failure::new(Exit::Usage, format!("cannot write {path}: {e}")))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    runtime()?.block_on(async {
        let remote = Remote::connect(conn).await?;
        let org = remote.org.clone();
        // Not compressed: on the way from gxd, gzip costs more time than it saves.
        let mut stream = gx::pb::org_service_client::OrgServiceClient::new(remote.channel.clone())
            .max_decoding_message_size(64 * 1024 * 1024)
            .export_reports(pb::ExportReportsRequest {
                year: args.year,
                org_id: org.clone().unwrap_or_default(),
                packed: true,
            })
            .await
            .map_err(|s| remote.fail(s))?
            .into_inner();
        // The CSV header: the cell keys of the edition in force for the year.
        let edition = Edition::for_year(args.year);
        let columns: Vec<&str> = edition
            .template()
            .cells
            .iter()
            .map(|c| c.key.as_str())
            .collect();
        let mut line = String::new();
        if args.output == ExportFormat::Csv {
            csv::record(
                &mut line,
                FIXED_COLUMNS.iter().copied().chain(columns.iter().copied()),
            );
            sink.write_all(line.as_bytes())
                .context("writing the export")?;
        }
        // Keys of each edition's rows, as the stream announces them.
        let mut keys: [Vec<String>; 2] = [Vec::new(), Vec::new()];
        let mut other_edition = 0u64;
        while let Some(msg) = stream.next().await {
            let msg = msg.map_err(|s| remote.fail(s))?;
            if let Some(h) = msg.header {
                if let Some(e) = edition_of(h.edition) {
                    keys[e as usize] = h.keys;
                }
            }
            line.clear();
            for mut row in msg.rows {
                let Some(row_edition) = edition_of(row.edition) else {
                    continue;
                };
                let mut unpacked = Vec::new();
                if row.values.is_empty() {
                    unpacked = gx::packed::unpack(row_edition, &row.packed).ok_or_else(|| {
                        Failure::new(Exit::Failure, "gxd sent a row gxctl cannot read")
                    })?;
                }
                let fast_csv = args.output == ExportFormat::Csv
                    && row_edition == edition
                    && !unpacked.is_empty();
                if !fast_csv && !unpacked.is_empty() {
                    row.values = unpacked.iter().map(|v| export_text(*v)).collect();
                }
                let row_keys = &keys[row_edition as usize];
                let b = row.body.clone().unwrap_or_default();
                let fixed = [
                    b.id.clone(),
                    b.name.clone(),
                    level_name(b.level).to_string(),
                    b.parent.clone(),
                    row.year.to_string(),
                    row_edition.number().to_string(),
                    row.revision.to_string(),
                    timestamp(&row.submitted_at),
                    row.content_hash.clone(),
                ];
                match args.output {
                    ExportFormat::Csv if fast_csv => {
                        // The common case, without a string per cell.
                        csv::record(&mut line, fixed.iter().map(String::as_str));
                        line.pop();
                        for v in &unpacked {
                            line.push(',');
                            push_text(&mut line, *v);
                        }
                        line.push('\n');
                    }
                    ExportFormat::Csv => {
                        if row_edition == edition {
                            csv::record(
                                &mut line,
                                fixed
                                    .iter()
                                    .map(String::as_str)
                                    .chain(row.values.iter().map(String::as_str)),
                            );
                        } else {
                            other_edition += 1;
                            let value = |key: &str| -> &str {
                                row_keys
                                    .iter()
                                    .position(|k| k == key)
                                    .and_then(|i| row.values.get(i))
                                    .map_or("absent", String::as_str)
                            };
                            csv::record(
                                &mut line,
                                fixed
                                    .iter()
                                    .map(String::as_str)
                                    .chain(columns.iter().map(|k| value(k))),
                            );
                        }
                    }
                    ExportFormat::Jsonl => {
                        let t = row_edition.template();
                        let mut cells = serde_json::Map::new();
                        for (k, v) in row_keys.iter().zip(&row.values) {
                            let value = match v.as_str() {
                                "absent" => continue,
                                "" => serde_json::Value::Null,
                                "/" => "/".into(),
                                v => match t.ix(k).map(|ix| t.cell(ix).kind()) {
                                    Some(Kind::Amount) | None => v.into(),
                                    _ => v.parse::<i64>().map_or_else(|_| v.into(), Into::into),
                                },
                            };
                            cells.insert(k.clone(), value);
                        }
                        let mut obj = serde_json::Map::new();
                        for (name, v) in FIXED_COLUMNS.iter().zip(fixed) {
                            let v: serde_json::Value = match *name {
                                "year" | "edition" | "revision" => {
                                    v.parse::<u64>().map_or_else(|_| v.into(), Into::into)
                                }
                                "parent" if v.is_empty() => serde_json::Value::Null,
                                _ => v.into(),
                            };
                            obj.insert(name.to_string(), v);
                        }
                        obj.insert("cells".into(), cells.into());
                        line.push_str(&serde_json::to_string(&obj)?);
                        line.push('\n');
                    }
                }
            }
            if let Err(e) = sink.write_all(line.as_bytes()) {
                if e.kind() == std::io::ErrorKind::BrokenPipe {
                    return Ok(Exit::Ok);
                }
                return Err(e).context("writing the export");
            }
        }
        match sink.flush() {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                return Err(e).context("writing the export")
            }
            _ => {}
        }
        if other_edition > 0 {
            output::error_line(&anyhow::anyhow!(
                "note: {other_edition} report{} of {} in the other edition: the CSV has the \
                 {edition} edition's columns, so only the cells both editions share are in it \
                 (-o jsonl keeps every cell)",
                if other_edition == 1 { "" } else { "s" },
                args.year
            ));
        }
        Ok(Exit::Ok)
    })
}
