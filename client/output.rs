//! Human and machine output: formats, colour (only on a terminal, never with NO_COLOR),
//! tables, and the one-line error.

use std::io::Write;

use anstyle::{AnsiColor, Style};
use clap::ValueEnum;
use comfy_table::{presets, ContentArrangement, Table};

/// `-o` on every read command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum OutputFormat {
    /// Aligned tables for people.
    #[default]
    Table,
    Json,
    Yaml,
}

/// `-o` of the commands that print one report: also the flat cell view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ReportFormat {
    #[default]
    Table,
    Json,
    Yaml,
    Cells,
}

pub const RED: Style = AnsiColor::Red.on_default().bold();
pub const YELLOW: Style = AnsiColor::Yellow.on_default().bold();
pub const GREEN: Style = AnsiColor::Green.on_default().bold();

/// Text in a style; anstream strips it when stdout is not a terminal or NO_COLOR is set.
pub fn paint(style: Style, text: &str) -> String {
    format!("{style}{text}{style:#}")
}

/// A table for people: no borders, columns aligned by display width (CJK counts double).
pub fn table() -> Table {
    let mut t = Table::new();
    t.load_preset(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Dynamic);
    t
}

/// A table as text, without the padding comfy-table leaves at line ends.
pub fn table_text(t: &Table) -> String {
    let mut s = String::new();
    for line in t.lines() {
        s.push_str(line.trim_end());
        s.push('\n');
    }
    s
}

/// Prints to stdout, stripping colour when it is not a terminal; a closed pipe is not an error.
pub fn print(text: &str) {
    let mut out = anstream::stdout();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// Prints to stderr, stripping colour when it is not a terminal.
pub fn eprint(text: &str) {
    let mut err = anstream::stderr();
    let _ = err.write_all(text.as_bytes());
    let _ = err.flush();
}

pub fn print_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    let mut s = serde_json::to_string_pretty(value)?;
    s.push('\n');
    print(&s);
    Ok(())
}

pub fn print_yaml<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    print(&serde_yaml_ng::to_string(value)?);
    Ok(())
}

/// Prints `value` as JSON or YAML, or for people the text `table` makes of it.
pub fn print_as<T: serde::Serialize>(
    format: OutputFormat,
    value: &T,
    table: impl FnOnce() -> String,
) -> anyhow::Result<()> {
    match format {
        OutputFormat::Json => print_json(value),
        OutputFormat::Yaml => print_yaml(value),
        OutputFormat::Table => {
            print(&table());
            Ok(())
        }
    }
}

/// "s" unless there is one.
pub fn plural<N: PartialEq + From<u8>>(n: N) -> &'static str {
    if n == N::from(1) {
        ""
    } else {
        "s"
    }
}

/// One clear line on stderr: `gxctl: <what went wrong>`.
pub fn error_line(e: &anyhow::Error) {
    let mut err = anstream::stderr();
    let chain: Vec<String> = e.chain().map(|c| c.to_string()).collect();
    let _ = writeln!(err, "{}: {}", paint(RED, "gxctl"), chain.join(": "));
}
