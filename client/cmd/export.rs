//! `gxctl export`: every report of a year (below --org, or all) as CSV or JSON lines, written
//! as gxd streams them.

use std::io::Write;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use tokio_stream::StreamExt;

use gx::pb;
use gx::template::{Edition, Kind};

use crate::config::Connection;
use crate::output;
use crate::remote::{runtime, Remote};
use crate::show::{level_name, timestamp};
use crate::{csv, Exit, Failure};

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

pub const EXAMPLES: &str = "\
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

pub fn run(conn: &Connection, args: ExportArgs) -> Result<Exit> {
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
