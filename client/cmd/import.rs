//! `gxctl import`: published reports (web text, HTML, Markdown, pdftotext text, PDF) into
//! report files, with a short import report on standard error.

use anyhow::Result;
use clap::{Args, ValueEnum};

use gx::files::{self, Format};
use gx::import::{self, ImportOptions, Imported};
use gx::rules;
use gx::Edition;

use crate::exit::Exit;
use crate::output;

pub const EXAMPLES: &str = "\
Examples:
  gxctl import report.txt -o cells
  gxctl import report.html --org-id 621024101 > report.json
  gxctl import report.pdf -o yaml          (needs pdftotext: apt-get install poppler-utils)
  gxctl import a.html b.md c.txt -o cells
  gxctl import county-2023/ --submit                 (a folder: find each body, submit)
  gxctl import county-2023/ --submit --manifest bodies.csv --as-published -o json

The import report (edition and why; cells read, blank, not applicable, unreadable; labels
matched approximately; validation findings) goes to standard error.

Exit codes: 0 every cell was read (validation findings or not); 1 some cells are unreadable;
2 unusable input (binary, no report in it, unreadable file).";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ImportFormat {
    #[default]
    Json,
    Yaml,
    /// The flat `key=value` cell view.
    Cells,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Published reports: flat text, HTML, Markdown, pdftotext -layout text, PDF (`-` for
    /// standard input); with --submit also folders (every .pdf, .html, .htm, .md and .txt
    /// file in them, recursively).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<String>,
    /// Output format of the imported report [default: json]; with --submit, `json` prints
    /// the outcome of every file as data.
    #[arg(short, long, value_enum)]
    output: Option<ImportFormat>,
    /// Submit every file to gxd (on all cores; GBK or UTF-8): each body is found by its name
    /// among the registered bodies — exact, else a unique abbreviation — or by --manifest.
    /// Prints one line per file and the totals; exit 0 only when every file went in.
    #[arg(long)]
    submit: bool,
    /// With --submit: store reports whose tables do not add up as published, with their
    /// errors (admin or archivist tokens).
    #[arg(long, requires = "submit")]
    as_published: bool,
    /// With --submit: a CSV of `file,org_id` rows naming the body of each file (by file name
    /// or path), before any name matching.
    #[arg(long, value_name = "CSV", requires = "submit")]
    manifest: Option<String>,
    /// With --submit: submit files with unreadable cells too (stored as unreadable, never as
    /// 0 or blank).
    #[arg(long, requires = "submit")]
    allow_unreadable: bool,
    /// With --submit: the reason stored with amendments.
    #[arg(long, short, requires = "submit")]
    reason: Option<String>,
    /// With --submit: explain the warnings of a rule for every file where it fires (needed
    /// for the cross-year rules X-CARRY, X-IN-FORCE); repeatable.
    #[arg(long = "explain", value_name = "RULE=TEXT", requires = "submit")]
    explain: Vec<String>,
    /// The body's code (an import cannot know it) [default: --org, GX_ORG or the context's org].
    #[arg(long)]
    org_id: Option<String>,
    /// The body's name, when the title does not give it.
    #[arg(long)]
    org_name: Option<String>,
    /// The report's year, when the title and text do not give it.
    #[arg(long)]
    year: Option<u32>,
    /// Force the edition (2019 or 2021) instead of detecting it from the labels.
    #[arg(long, value_parser = parse_edition)]
    edition: Option<Edition>,
    /// Print no import report on standard error.
    #[arg(short, long)]
    quiet: bool,
}

fn parse_edition(s: &str) -> Result<Edition, String> {
    s.parse::<u32>()
        .ok()
        .and_then(Edition::from_number)
        .ok_or_else(|| format!("expected 2019 or 2021, found {s:?}"))
}

/// Reads a file or standard input.
pub fn read_bytes(path: &str) -> Result<Vec<u8>> {
    let bytes = if path == "-" {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf).map(|_| buf)
    } else {
        std::fs::read(path)
    };
    bytes.map_err(|e| anyhow::anyhow!("{path}: {e}"))
}

/// Imports one file with the options of the command line.
pub fn import_file(path: &str, opts: &ImportOptions) -> Result<Imported> {
    let bytes = read_bytes(path)?;
    let mut opts = opts.clone();
    if path != "-" {
        opts.name_hint = Some(path.to_string());
    }
    import::import(&bytes, &opts).map_err(|e| anyhow::anyhow!("{path}: {e}"))
}

/// The import report plus the validation verdict, for standard error.
pub fn report_text(path: &str, imported: &Imported) -> String {
    let mut s = format!("{path}: ");
    s.push_str(&imported.summary());
    let verdict = rules::validate(&imported.report);
    let errors = verdict.errors().count();
    let warnings = verdict.warnings().count();
    s.push_str(&format!("校验：{errors}个错误，{warnings}个警告\n"));
    for f in &verdict.findings {
        let mark = if f.is_error() { "错误" } else { "警告" };
        s.push_str(&format!("  {mark} {} {}\n", f.rule, f.message));
    }
    s
}

pub fn run(conn: &crate::config::Connection, args: ImportArgs) -> Result<Exit> {
    if args.submit {
        let batch = super::folder::Batch {
            as_published: args.as_published,
            manifest: args.manifest.clone(),
            allow_unreadable: args.allow_unreadable,
            json: args.output == Some(ImportFormat::Json),
            reason: args.reason.clone(),
            explanations: super::submit::explanations(&args.explain)?,
        };
        return super::folder::run(conn, &args.files, batch);
    }
    let format = args.output.unwrap_or_default();
    let org_id = match &args.org_id {
        Some(id) => id.clone(),
        None => conn.resolve()?.org.unwrap_or_default(),
    };
    let opts = ImportOptions {
        name_hint: None,
        org_id,
        org_name: args.org_name.clone(),
        year: args.year,
        edition: args.edition,
    };
    let mut exit = Exit::Ok;
    let mut docs: Vec<String> = Vec::new();
    let many = args.files.len() > 1;
    for path in &args.files {
        let imported = match import_file(path, &opts) {
            Ok(i) => i,
            Err(e) => {
                output::error_line(&e);
                exit = Exit::Usage;
                continue;
            }
        };
        if !imported.is_complete() && exit == Exit::Ok {
            exit = Exit::Invalid;
        }
        if !args.quiet {
            output::eprint(&report_text(path, &imported));
        }
        let doc = match format {
            ImportFormat::Json => files::write(&imported.report, Format::Json),
            ImportFormat::Yaml => files::write(&imported.report, Format::Yaml),
            ImportFormat::Cells => {
                let cells = files::write(&imported.report, Format::Cells);
                if many {
                    format!("# file: {path}\n{cells}")
                } else {
                    cells
                }
            }
        };
        docs.push(doc);
    }
    let out = match format {
        ImportFormat::Json if many => format!(
            "[\n{}]\n",
            docs.iter()
                .map(|d| d.trim_end())
                .collect::<Vec<_>>()
                .join(",\n")
                + "\n"
        ),
        ImportFormat::Yaml if many => docs.iter().map(|d| format!("---\n{d}")).collect::<String>(),
        _ => docs.concat(),
    };
    output::print(&out);
    Ok(exit)
}
