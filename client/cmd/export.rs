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
content_hash, verdict (valid, or published with errors), then one column per cell key of the year's edition in template order
(t2.regulations.issued, …, t4.lit_after_review.total). A cell is its number; blank is an
empty field; not applicable is /; a row not printed in the report's layout is `absent`.
JSONL: the same fields, and `cells` with a number (amounts as strings), null for blank and
\"/\" for not applicable; rows not printed are left out.";

/// The fixed leading CSV columns.
pub const FIXED_COLUMNS: [&str; 10] = [
    "org_id",
    "org_name",
    "level",
    "parent",
    "year",
    "edition",
    "revision",
    "submitted_at",
    "content_hash",
    "verdict",
];

pub fn run(conn: &Connection, args: ExportArgs) -> Result<Exit> {
    let mut sink = BufWriter::new(open(args.out.as_deref())?);
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
        let mut rows = Rows::new(args.output, Edition::for_year(args.year));
        if closed(sink.write_all(&rows.header()?))? {
            return Ok(Exit::Ok);
        }
        while let Some(msg) = stream.next().await {
            let msg = msg.map_err(|s| remote.fail(s))?;
            if let Some(h) = msg.header {
                rows.announce(h);
            }
            if closed(sink.write_all(rows.message(msg.rows)?))? {
                return Ok(Exit::Ok);
            }
        }
        closed(sink.flush())?;
        rows.note(args.year);
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

/// Whether a write found the reader gone (`gxctl export | head`: not a failure, the export
/// just ends); any other error is one.
fn closed(written: io::Result<()>) -> Result<bool> {
    match written {
        Ok(()) => Ok(false),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(true),
        Err(e) => Err(e).context("writing the export"),
    }
}

fn edition_of(n: i32) -> Option<Edition> {
    match pb::Edition::try_from(n) {
        Ok(pb::Edition::Edition2019) => Some(Edition::E2019),
        Ok(pb::Edition::Edition2021) => Some(Edition::E2021),
        _ => None,
    }
}

/// The export's text, one message of gxd's stream at a time.
struct Rows {
    format: ExportFormat,
    /// The edition in force for the year: its cell keys are the CSV's columns.
    edition: Edition,
    /// Keys of each edition's rows, as the stream announces them.
    keys: [Vec<String>; 2],
    /// CSV rows of the other edition: only the cells both editions share are in them.
    other_edition: u64,
    text: CellText,
    submitted_at: String,
    /// A message's text; its CSV records as the csv crate writes them; the cells appended to
    /// them. Kept from message to message for their memory.
    out: Vec<u8>,
    records: Vec<u8>,
    cells: Vec<u8>,
}

impl Rows {
    fn new(format: ExportFormat, edition: Edition) -> Rows {
        Rows {
            format,
            edition,
            keys: [Vec::new(), Vec::new()],
            other_edition: 0,
            text: CellText::default(),
            submitted_at: String::new(),
            out: Vec::new(),
            records: Vec::new(),
            cells: Vec::new(),
        }
    }

    /// The CSV header: the fixed columns, then the cell keys of the year's edition.
    fn header(&self) -> Result<Vec<u8>> {
        if self.format == ExportFormat::Jsonl {
            return Ok(Vec::new());
        }
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(FIXED_COLUMNS.into_iter().chain(self.columns()))?;
        Ok(w.into_inner().map_err(|e| e.into_error())?)
    }

    fn columns(&self) -> impl Iterator<Item = &'static str> {
        self.edition.template().cells.iter().map(|c| c.key.as_str())
    }

    fn announce(&mut self, header: pb::ExportHeader) {
        if let Some(e) = edition_of(header.edition) {
            self.keys[e as usize] = header.keys;
        }
    }

    /// The text of one message's rows. A row gxctl cannot read fails the whole message, so
    /// that none of it is written.
    fn message(&mut self, rows: Vec<pb::ExportRow>) -> Result<&[u8]> {
        self.out.clear();
        match self.format {
            ExportFormat::Csv => self.csv(rows)?,
            ExportFormat::Jsonl => {
                for row in rows {
                    if let Some(row) = decode(row)? {
                        self.json_line(row)?;
                    }
                }
            }
        }
        Ok(&self.out)
    }

    /// The CSV of a message. The csv crate writes each row's record: the fixed fields (a name
    /// may need quoting) and any cells that came as text. The numbers of the common row,
    /// which never need quoting, are appended to its record as they are: through the crate
    /// field by field, the export took half as long again.
    fn csv(&mut self, rows: Vec<pb::ExportRow>) -> Result<()> {
        let mut w = csv::WriterBuilder::new()
            .flexible(true)
            .from_writer(std::mem::take(&mut self.records));
        self.cells.clear();
        // Where each record, and its appended cells, end.
        let mut ends = Vec::with_capacity(rows.len());
        for row in rows {
            let Some(row) = decode(row)? else {
                continue;
            };
            let appended = self.record(&mut w, row)?;
            w.flush()?;
            ends.push((w.get_ref().len(), self.cells.len(), appended));
        }
        let records = w.into_inner().map_err(|e| e.into_error())?;
        let (mut r, mut c) = (0, 0);
        for (record_end, cells_end, appended) in ends {
            if appended {
                // The record but its line end ("\n"), its cells, the line end.
                self.out.extend_from_slice(&records[r..record_end - 1]);
                self.out.extend_from_slice(&self.cells[c..cells_end]);
                self.out.push(b'\n');
            } else {
                self.out.extend_from_slice(&records[r..record_end]);
            }
            (r, c) = (record_end, cells_end);
        }
        self.records = records;
        self.records.clear();
        Ok(())
    }

    /// Writes a row's record; the numbers of a row of the year's edition go to `cells`
    /// instead (then it returns true).
    fn record(&mut self, w: &mut csv::Writer<Vec<u8>>, mut row: Row) -> Result<bool> {
        let none = pb::Body::default();
        let body = row.row.body.as_ref().unwrap_or(&none);
        self.submitted_at.clear();
        if let Some(t) = &row.row.submitted_at {
            let _ = write!(self.submitted_at, "{t}");
        }
        for field in row.fixed(body, &self.submitted_at) {
            match field {
                Field::Text(s) => w.write_field(s)?,
                Field::Number(n) => w.write_field(self.text.number.format(n))?,
            }
        }
        let appended = row.edition == self.edition && !row.unpacked.is_empty();
        if appended {
            for v in &row.unpacked {
                self.cells.push(b',');
                self.cells.extend_from_slice(self.text.of(*v).as_bytes());
            }
        } else if row.edition == self.edition {
            for value in &row.row.values {
                w.write_field(value)?;
            }
        } else {
            // By key: a cell the row's edition does not have is `absent`.
            self.other_edition += 1;
            let keys = &self.keys[row.edition as usize];
            let values = row.texts(&mut self.text);
            for column in self.columns() {
                let value = keys
                    .iter()
                    .position(|k| k == column)
                    .and_then(|i| values.get(i))
                    .map_or("absent", String::as_str);
                w.write_field(value)?;
            }
        }
        w.write_record(None::<&[u8]>)?;
        Ok(appended)
    }

    /// One JSON object on a line: the fixed fields, and `cells` with numbers (amounts as
    /// strings), null for blank and "/" for not applicable; cells the layout leaves out are
    /// left out.
    fn json_line(&mut self, mut row: Row) -> Result<()> {
        let t = row.edition.template();
        let keys = &self.keys[row.edition as usize];
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
        if !row.row.provenance.is_empty() {
            let sources: Vec<serde_json::Value> = row
                .row
                .provenance
                .iter()
                .map(|s| {
                    serde_json::json!({
                        "cell": s.cell, "origin": s.origin, "printed": s.printed, "why": s.why,
                    })
                })
                .collect();
            obj.insert("provenance".into(), sources.into());
        }
        serde_json::to_writer(&mut self.out, &obj)?;
        self.out.push(b'\n');
        Ok(())
    }

    /// On standard error: how many reports of the other edition lost cells in the CSV.
    fn note(&self, year: u32) {
        let n = self.other_edition;
        if n > 0 {
            output::error_line(&anyhow::anyhow!(
                "note: {n} report{} of {year} in the other edition: the CSV has the \
                 {} edition's columns, so only the cells both editions share are in it \
                 (-o jsonl keeps every cell)",
                output::plural(n),
                self.edition
            ));
        }
    }
}

/// One report as it arrived, with its edition and its cells unpacked (empty when gxd sent them
/// as text, in `row.values`).
struct Row {
    row: pb::ExportRow,
    edition: Edition,
    unpacked: Vec<Value>,
}

/// A row with its cells unpacked; none when its edition is unknown (it is left out).
fn decode(row: pb::ExportRow) -> Result<Option<Row>> {
    let Some(edition) = edition_of(row.edition) else {
        return Ok(None);
    };
    let mut unpacked = Vec::new();
    if row.values.is_empty() {
        unpacked = gx::packed::unpack(edition, &row.packed)
            .ok_or_else(|| Failure::new(Exit::Failure, "gxd sent a row gxctl cannot read"))?;
    }
    Ok(Some(Row {
        row,
        edition,
        unpacked,
    }))
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
    fn fixed<'a>(&'a self, body: &'a pb::Body, submitted_at: &'a str) -> [Field<'a>; 10] {
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
            Field::Text(if self.row.published_with_errors {
                crate::show::PUBLISHED_WITH_ERRORS
            } else {
                "valid"
            }),
        ]
    }
}

enum Field<'a> {
    Text(&'a str),
    Number(u32),
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
