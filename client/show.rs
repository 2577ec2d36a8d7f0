//! A report's tables for the terminal, laid out by the template.

use gx::template::Orientation;
use gx::{Report, Value};

use crate::output;

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
