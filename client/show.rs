//! How gxctl shows what gxd sends: a report's tables (laid out by the template), revisions,
//! reporting bodies and times.

use anyhow::Result;

use gx::files::{self, Format};
use gx::grpc::convert::report_from_pb;
use gx::orgs::Level;
use gx::pb;
use gx::template::Orientation;
use gx::{Report, Value};

use crate::exit::{Exit, Failure};
use crate::output::{self, paint, ReportFormat};

/// A report gxd sent (`what` it is, for the message when gxctl cannot read it).
pub fn report(r: Option<pb::Report>, what: &str) -> Result<Report> {
    report_from_pb(&r.unwrap_or_default()).map_err(|e| {
        Failure::new(
            Exit::Failure,
            format!("gxd sent a {what} gxctl cannot read: {e}"),
        )
        .into()
    })
}

/// Prints a report: as the flat cell view; as JSON or YAML, under "report" in what `meta`
/// puts around it; or for people, as the text `table` makes.
pub fn print_report(
    format: ReportFormat,
    report: &Report,
    meta: impl FnOnce(serde_json::Value) -> serde_json::Value,
    table: impl FnOnce() -> String,
) -> Result<()> {
    let doc = || -> Result<serde_json::Value> {
        Ok(meta(serde_json::from_str(&files::write(
            report,
            Format::Json,
        ))?))
    };
    match format {
        ReportFormat::Cells => output::print(&files::write(report, Format::Cells)),
        ReportFormat::Json => output::print_json(&doc()?)?,
        ReportFormat::Yaml => output::print_yaml(&doc()?)?,
        ReportFormat::Table => output::print(&table()),
    }
    Ok(())
}

/// One finding on a line: its mark (an error in red, a warning in yellow), rule and message.
pub fn finding_line(error: bool, rule: &str, message: &str) -> String {
    let (mark, style) = if error {
        ("error", output::RED)
    } else {
        ("warning", output::YELLOW)
    };
    format!("{} {rule} {message}\n", paint(style, mark))
}

/// Tables 2–4 as aligned text: one grid per block, official labels from the template.
pub fn report_tables(r: &Report) -> String {
    let t = r.template();
    let mut out = String::new();
    for table in &t.tables {
        out.push('\n');
        out.push_str(table.section.heading);
        out.push('\n');
        for block in &table.blocks {
            let mut grid = output::table();
            let corner = block.title.or(block.corner).unwrap_or("");
            let mut header = vec![format!("  {corner}")];
            header.extend(block.columns.iter().map(|c| c.label.to_string()));
            grid.set_header(header);
            for row in &block.rows {
                let key = format!("{}.{}", table.key, row.key);
                let cells: Vec<_> = t.row_cells(&key).map(|ix| r.cell(ix)).collect();
                if cells.iter().all(|c| c.value == Value::Absent) {
                    continue;
                }
                let label = match (table.orientation, row.group) {
                    (Orientation::Across, Some(g)) => format!("{g}·{}", row.label),
                    _ => row.label.to_string(),
                };
                let mut line = vec![format!("  {label}")];
                line.extend(cells.iter().map(|c| c.published()));
                grid.add_row(line);
            }
            out.push_str(&output::table_text(&grid));
        }
    }
    out
}

/// A wire time as RFC 3339 text ("" when there is none).
pub fn timestamp(t: &Option<prost_types::Timestamp>) -> String {
    t.as_ref().map(|t| t.to_string()).unwrap_or_default()
}

/// 省, 市, … for a wire level ("" when unknown).
pub fn level_name(n: i32) -> &'static str {
    u32::try_from(n)
        .ok()
        .and_then(Level::from_number)
        .map_or("", Level::chinese)
}

/// A body as gxctl prints it in JSON.
pub fn body_json(b: &pb::Body) -> serde_json::Value {
    serde_json::json!({
        "id": b.id,
        "name": b.name,
        "level": level_name(b.level),
        "parent": if b.parent.is_empty() { None } else { Some(&b.parent) },
    })
}

/// The cross-year check of a revision, as gxctl prints it in JSON.
pub fn cross_year_json(c: &pb::CrossYearCheck) -> serde_json::Value {
    serde_json::json!({
        "checked": c.checked,
        "previous_year": c.previous_year,
        "previous_revision": c.checked.then_some(c.previous_revision),
    })
}

/// A revision as gxctl prints it in JSON.
pub fn revision_json(info: &pb::RevisionInfo) -> serde_json::Value {
    let mut v = revision_fields(info);
    if info.published_with_errors {
        v["state"] = PUBLISHED_WITH_ERRORS.into();
    }
    if !info.provenance.is_empty() {
        v["provenance"] = serde_json::to_value(provenance(info)).unwrap_or_default();
    }
    v
}

/// The provenance of a revision: the cells not read as printed.
pub fn provenance(info: &pb::RevisionInfo) -> Vec<gx::provenance::CellSource> {
    info.provenance
        .iter()
        .filter_map(|s| {
            Some(gx::provenance::CellSource {
                cell: s.cell.clone(),
                origin: gx::provenance::Origin::parse(&s.origin)?,
                printed: s.printed.clone(),
                why: s.why.clone(),
            })
        })
        .collect()
}

/// The state of a revision stored as published with the rules' errors.
pub const PUBLISHED_WITH_ERRORS: &str = "published with errors";

fn revision_fields(info: &pb::RevisionInfo) -> serde_json::Value {
    serde_json::json!({
        "org_id": info.org_id,
        "year": info.year,
        "revision": info.revision,
        "submission_id": info.submission_id,
        "submitted_at": info.submitted_at.as_ref().map(|t| t.to_string()),
        "reason": info.reason,
        "content_hash": info.content_hash,
        "warnings": info.warnings.iter().map(gx::Finding::from).collect::<Vec<_>>(),
        "submitted_by": info.submitted_by,
        "chain_hash": info.chain_hash,
        "explanations": info.explanations.iter().map(gx::crossyear::Explanation::from).collect::<Vec<_>>(),
        "cross_year": cross_year_json(&info.cross_year.unwrap_or_default()),
    })
}
