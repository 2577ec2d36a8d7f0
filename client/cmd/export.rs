//! `gxctl export`: every report of a year (below --org, or all) as CSV or JSON lines, written
//! as gxd streams them.

use std::fmt::Write as _;
use std::io::{self, BufWriter, Write};

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use tokio_stream::StreamExt;

use gx::pb;
use gx::template::{Edition, Kind};
use gx::Value;

use crate::config::Connection;
use crate::exit::{Exit, Failure};
use crate::output;
use crate::remote::{runtime, Remote};
use crate::show::{level_name, timestamp};

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

pub fn run(conn: &Connection, args: ExportArgs) -> Result<Exit> {
    let sink = open(args.out.as_deref())?;
    runtime()?.block_on(async {
        let remote = Remote::connect(conn).await?;
        // Not compressed: on the way from gxd, gzip costs more time than it saves.
        let mut stream = pb::org_service_client::OrgServiceClient::new(remote.channel.clone())
            .max_decoding_message_size(64 * 1024 * 1024)
            .export_reports(pb::ExportReportsRequest {
                year: args.year,
                org_id: remote.org.clone().unwrap_or_default(),
                packed: true,
            })
            .await
            .map_err(|s| remote.fail(s))?
            .into_inner();
        let mut out = Out::new(args.output, Edition::for_year(args.year), sink);
        // Keys of each edition's rows, as the stream announces them.
        let mut keys: [Vec<String>; 2] = [Vec::new(), Vec::new()];
        let mut written = out.header();
        while let Some(msg) = stream.next().await {
            let msg = msg.map_err(|s| remote.fail(s))?;
            if let Some(h) = msg.header {
                if let Some(e) = edition_of(h.edition) {
                    keys[e as usize] = h.keys;
                }
            }
            // The whole message is read before any of it is written.
            let rows = decode(msg.rows)?;
            written = written.and_then(|()| out.rows(rows, &keys));
            match written {
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(Exit::Ok),
                Err(e) => return Err(e).context("writing the export"),
                Ok(()) => {}
            }
        }
        match out.flush() {
            Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
                return Err(e).context("writing the export")
            }
            _ => {}
        }
        out.note(args.year);
        Ok(Exit::Ok)
    })
}

/// The file of --out, else standard output: a file that cannot be made is a usage error.
fn open(out: Option<&str>) -> Result<Box<dyn Write>> {
    Ok(match out {
        Some(path) => Box::new(
            std::fs::File::create(path)
                .map_err(|e| Failure::new(Exit::Usage, format!("cannot write {path}: {e}")))?,
        ),
        None => Box::new(io::stdout().lock()),
    })
}

fn edition_of(n: i32) -> Option<Edition> {
    match pb::Edition::try_from(n) {
        Ok(pb::Edition::Edition2019) => Some(Edition::E2019),
        Ok(pb::Edition::Edition2021) => Some(Edition::E2021),
        _ => None,
    }
}

/// One report as it arrived, with its edition and its cells unpacked (empty when gxd sent them
/// as text, in `row.values`).
struct Row {
    row: pb::ExportRow,
    edition: Edition,
    unpacked: Vec<Value>,
}

impl Row {
    /// The cells as export text, in the order of the edition's keys.
    fn texts(&mut self, text: &mut CellText) -> Vec<String> {
        if self.unpacked.is_empty() {
            return std::mem::take(&mut self.row.values);
        }
        self.unpacked
            .iter()
            .map(|v| text.of(*v).to_string())
            .collect()
    }

    /// The fixed fields, in the order of [`FIXED_COLUMNS`].
    fn fixed<'a>(&'a self, body: &'a pb::Body, submitted_at: &'a str) -> [Field<'a>; 9] {
        [
            Field::Text(&body.id),
            Field::Text(&body.name),
            Field::Text(level_name(body.level)),
            Field::Text(&body.parent),
            Field::Number(self.row.year),
            Field::Number(self.edition.number()),
            Field::Number(self.row.revision),
            Field::Text(submitted_at),
            Field::Text(&self.row.content_hash),
        ]
    }
}

enum Field<'a> {
    Text(&'a str),
    Number(u32),
}

/// The rows of one message, their cells unpacked; a row of no known edition is left out.
fn decode(rows: Vec<pb::ExportRow>) -> Result<Vec<Row>> {
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let Some(edition) = edition_of(row.edition) else {
            continue;
        };
        let mut unpacked = Vec::new();
        if row.values.is_empty() {
            unpacked = gx::packed::unpack(edition, &row.packed)
                .ok_or_else(|| Failure::new(Exit::Failure, "gxd sent a row gxctl cannot read"))?;
        }
        out.push(Row {
            row,
            edition,
            unpacked,
        });
    }
    Ok(out)
}

/// Cells and numbers as export text, formatted in place rather than into a string each: the
/// number; "" blank; "/" not applicable; "absent" for a row the report's layout leaves out.
#[derive(Default)]
struct CellText {
    number: itoa::Buffer,
    amount: String,
}

impl CellText {
    fn of(&mut self, v: Value) -> &str {
        match v {
            Value::Blank => "",
            Value::NotApplicable => "/",
            Value::Absent => "absent",
            Value::Int(n) => self.number.format(n),
            Value::Amount(d) => {
                self.amount.clear();
                let _ = write!(self.amount, "{d}");
                &self.amount
            }
        }
    }
}

/// Where the rows go.
enum Out {
    Csv(Csv),
    Jsonl(Jsonl),
}

impl Out {
    fn new(format: ExportFormat, edition: Edition, sink: Box<dyn Write>) -> Out {
        match format {
            ExportFormat::Csv => Out::Csv(Csv {
                w: csv::WriterBuilder::new()
                    .flexible(true)
                    .buffer_capacity(64 * 1024)
                    .from_writer(sink),
                edition,
                other_edition: 0,
                text: CellText::default(),
                submitted_at: String::new(),
            }),
            ExportFormat::Jsonl => Out::Jsonl(Jsonl {
                w: BufWriter::new(sink),
                text: CellText::default(),
            }),
        }
    }

    fn header(&mut self) -> io::Result<()> {
        match self {
            Out::Csv(c) => c.header(),
            Out::Jsonl(_) => Ok(()),
        }
    }

    fn rows(&mut self, rows: Vec<Row>, keys: &[Vec<String>; 2]) -> io::Result<()> {
        for row in rows {
            let keys = &keys[row.edition as usize];
            match self {
                Out::Csv(c) => c.row(row, keys)?,
                Out::Jsonl(j) => j.row(row, keys)?,
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Out::Csv(c) => c.w.flush(),
            Out::Jsonl(j) => j.w.flush(),
        }
    }

    /// On standard error: how many reports of the other edition lost cells in the CSV.
    fn note(&self, year: u32) {
        let Out::Csv(c) = self else { return };
        let n = c.other_edition;
        if n > 0 {
            output::error_line(&anyhow::anyhow!(
                "note: {n} report{} of {year} in the other edition: the CSV has the \
                 {} edition's columns, so only the cells both editions share are in it \
                 (-o jsonl keeps every cell)",
                if n == 1 { "" } else { "s" },
                c.edition
            ));
        }
    }
}

/// CSV with the columns of the year's edition.
struct Csv {
    w: csv::Writer<Box<dyn Write>>,
    /// The edition in force for the year: its cell keys are the columns after the fixed ones.
    edition: Edition,
    /// Rows of the other edition: only the cells both editions share are in them.
    other_edition: u64,
    text: CellText,
    submitted_at: String,
}

impl Csv {
    fn columns(&self) -> impl Iterator<Item = &'static str> {
        self.edition.template().cells.iter().map(|c| c.key.as_str())
    }

    fn header(&mut self) -> io::Result<()> {
        let columns: Vec<&str> = FIXED_COLUMNS.into_iter().chain(self.columns()).collect();
        Ok(self.w.write_record(columns)?)
    }

    fn row(&mut self, mut row: Row, keys: &[String]) -> io::Result<()> {
        let none = pb::Body::default();
        let body = row.row.body.as_ref().unwrap_or(&none);
        self.submitted_at.clear();
        if let Some(t) = &row.row.submitted_at {
            let _ = write!(self.submitted_at, "{t}");
        }
        for field in row.fixed(body, &self.submitted_at) {
            match field {
                Field::Text(s) => self.w.write_field(s)?,
                Field::Number(n) => self.w.write_field(self.text.number.format(n))?,
            }
        }
        if row.edition != self.edition {
            // By key: a cell the row's edition does not have is `absent`.
            self.other_edition += 1;
            let values = row.texts(&mut self.text);
            for column in self.columns() {
                let value = keys
                    .iter()
                    .position(|k| k == column)
                    .and_then(|i| values.get(i))
                    .map_or("absent", String::as_str);
                self.w.write_field(value)?;
            }
        } else if row.unpacked.is_empty() {
            for value in &row.row.values {
                self.w.write_field(value)?;
            }
        } else {
            // The common case, without a string per cell.
            for value in &row.unpacked {
                self.w.write_field(self.text.of(*value))?;
            }
        }
        Ok(self.w.write_record(None::<&[u8]>)?)
    }
}

/// One JSON object per line: the fixed fields, and `cells` with numbers (amounts as strings),
/// null for blank and "/" for not applicable; rows the layout leaves out are left out.
struct Jsonl {
    w: BufWriter<Box<dyn Write>>,
    text: CellText,
}

impl Jsonl {
    fn row(&mut self, mut row: Row, keys: &[String]) -> io::Result<()> {
        let t = row.edition.template();
        let mut cells = serde_json::Map::new();
        for (k, v) in keys.iter().zip(row.texts(&mut self.text)) {
            let value = match v.as_str() {
                "absent" => continue,
                "" => serde_json::Value::Null,
                "/" => "/".into(),
                _ => match t.ix(k).map(|ix| t.cell(ix).kind()) {
                    Some(Kind::Amount) | None => v.into(),
                    _ => v.parse::<i64>().map_or_else(|_| v.into(), Into::into),
                },
            };
            cells.insert(k.clone(), value);
        }
        let none = pb::Body::default();
        let body = row.row.body.as_ref().unwrap_or(&none);
        let submitted_at = timestamp(&row.row.submitted_at);
        let mut obj = serde_json::Map::new();
        for (name, field) in FIXED_COLUMNS.iter().zip(row.fixed(body, &submitted_at)) {
            let value: serde_json::Value = match field {
                Field::Number(n) => n.into(),
                Field::Text("") if *name == "parent" => serde_json::Value::Null,
                Field::Text(s) => s.into(),
            };
            obj.insert(name.to_string(), value);
        }
        obj.insert("cells".into(), cells.into());
        serde_json::to_writer(&mut self.w, &obj)?;
        self.w.write_all(b"\n")
    }
}
