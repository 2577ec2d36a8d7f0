//! Report files: JSON and YAML keyed by the cell keys, and the flat cell view.
//!
//! JSON and YAML nest the cell key: `{"t3": {"new": {"natural": 0}}}` is `t3.new.natural`.
//! A cell is `null` (blank), a number (count), a string (`"/"` not applicable, `"7730.28"` an
//! amount), or `{"value": …, "raw": "22（其中修订16件）"}` when the published text held more.
//! Unknown fields, duplicate keys and malformed values are rejected with the line and key.

mod cells;
mod nested;

use crate::model::Report;
pub use cells::cells_view;

/// A report file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Yaml,
    /// The flat `key=value` cell view.
    Cells,
}

impl Format {
    /// Guesses the format from the file name, then from the content.
    pub fn detect(path: &str, text: &str) -> Format {
        let lower = path.to_ascii_lowercase();
        if lower.ends_with(".json") {
            return Format::Json;
        }
        if lower.ends_with(".yaml") || lower.ends_with(".yml") {
            return Format::Yaml;
        }
        if lower.ends_with(".cells") {
            return Format::Cells;
        }
        let first = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('#'))
            .unwrap_or("");
        if first.starts_with('{') {
            Format::Json
        } else if first.contains('=') && !first.contains(':') {
            Format::Cells
        } else {
            Format::Yaml
        }
    }
}

/// Why a file could not be read as a report. `Display` gives line, key and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", location(*line, *column))]
pub struct ParseError {
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

fn location(line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!("line {l}, column {c}: "),
        (Some(l), None) => format!("line {l}: "),
        _ => String::new(),
    }
}

impl ParseError {
    /// An error on a line.
    fn at(line: usize, message: impl Into<String>) -> ParseError {
        ParseError {
            line: Some(line),
            column: None,
            message: message.into(),
        }
    }

    /// An error of the whole file, on no line of its own.
    fn whole(message: impl Into<String>) -> ParseError {
        ParseError {
            line: None,
            column: None,
            message: message.into(),
        }
    }
}

/// Reads a report in the given format.
pub fn parse(text: &str, format: Format) -> Result<Report, ParseError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    match format {
        Format::Json => nested::parse_json(text),
        Format::Yaml => nested::parse_yaml(text),
        Format::Cells => cells::parse_cells(text),
    }
}

/// Writes a report in the given format.
pub fn write(report: &Report, format: Format) -> String {
    match format {
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&nested::Doc(report)).unwrap_or_default();
            s.push('\n');
            s
        }
        Format::Yaml => serde_yaml_ng::to_string(&nested::Doc(report)).unwrap_or_default(),
        Format::Cells => cells_view(report),
    }
}

/// A report file that could not be read. Each prints as one line that holds everything
/// (the error inside is not a `source`: printing the chain would say it twice).
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("{path}: {error}")]
    Io { path: String, error: std::io::Error },
    #[error("{path}: not a text file (byte {offset} is not valid UTF-8); expected a report as JSON, YAML or cells text")]
    Encoding { path: String, offset: usize },
    #[error("{path}: {error}")]
    Parse { path: String, error: ParseError },
}

/// Reads a report file (`-` is standard input), choosing the format by name and content.
pub fn read_path(path: &str) -> Result<Report, FileError> {
    let bytes = if path == "-" {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf).map(|_| buf)
    } else {
        std::fs::read(path)
    }
    .map_err(|error| FileError::Io {
        path: path.to_string(),
        error,
    })?;
    let text = String::from_utf8(bytes).map_err(|e| FileError::Encoding {
        path: path.to_string(),
        offset: e.utf8_error().valid_up_to(),
    })?;
    parse(&text, Format::detect(path, &text)).map_err(|error| FileError::Parse {
        path: path.to_string(),
        error,
    })
}
