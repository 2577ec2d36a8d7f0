//! Presenting a [`Diff`]: aligned tables for people, Markdown, JSON and YAML.

use clap::ValueEnum;
use gx::diff::{CarryOver, CellDiff, Diff, Side, TableDiff};
use gx::pb::report_ref::Version;
use gx::pb::ReportRef;

use crate::config::Connection;
use crate::exit::{Exit, Failure};
use crate::output::{self, paint, plural};
use crate::remote::Remote;

/// `-o` for diff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum DiffFormat {
    #[default]
    Table,
    Json,
    Yaml,
    Markdown,
}

fn side_line(s: &Side) -> String {
    let rev = s
        .revision
        .map(|r| format!(", revision {r}"))
        .unwrap_or_default();
    let verdict = if s.valid {
        paint(output::GREEN, "valid")
    } else {
        paint(output::RED, "invalid")
    };
    format!(
        "{}: {} edition{rev}, {verdict} ({} error{}, {} warning{})",
        s.year,
        s.edition,
        s.errors,
        plural(s.errors),
        s.warnings,
        plural(s.warnings)
    )
}

fn signed(d: &Option<String>) -> String {
    match d.as_deref() {
        None => String::new(),
        Some(s) if s.starts_with('-') || s == "0" => s.to_string(),
        Some(s) => format!("+{s}"),
    }
}

fn pct(p: &Option<String>) -> String {
    match p.as_deref() {
        None => String::new(),
        Some(s) if s.starts_with('-') || s == "0" => format!("{s}%"),
        Some(s) => format!("+{s}%"),
    }
}

fn side_names(d: &Diff) -> (String, String) {
    if d.old.year == d.new.year {
        let r = |s: &Side| s.revision.map_or("old".to_string(), |r| format!("rev {r}"));
        (r(&d.old), r(&d.new))
    } else {
        (d.old.year.to_string(), d.new.year.to_string())
    }
}

fn title(d: &Diff) -> String {
    let who = if d.new.org_name.is_empty() {
        d.new.org_id.clone()
    } else {
        format!("{} ({})", d.new.org_name, d.new.org_id)
    };
    let (a, b) = side_names(d);
    format!("{who}  {a} → {b}")
}

/// The diff for people.
pub fn table(d: &Diff) -> String {
    let (a, b) = side_names(d);
    let mut out = heading(d);
    for t in &d.tables {
        out.push_str(&cell_table(t, &a, &b));
    }
    out.push_str(&not_comparable(d, &a, &b));
    if let Some(c) = &d.carry_over {
        out.push_str(&carry_over(c, &a, &b));
    }
    for (name, s) in [(&a, &d.old), (&b, &d.new)] {
        for e in &s.explanations {
            out.push_str(&format!("Explained in {name}: {} — {}\n", e.rule, e.text));
        }
    }
    out.push_str(&narrative(d));
    out.push_str(&figures(d, &a, &b));
    out
}

/// The figures the narratives state about the tables, where they changed.
fn figures(d: &Diff, a: &str, b: &str) -> String {
    if d.figures.is_empty() {
        return String::new();
    }
    let mut out = format!("\nNarrative figures ({a} → {b})\n");
    for f in &d.figures {
        let text = |t: &str| {
            if t.is_empty() {
                "—".to_string()
            } else {
                t.to_string()
            }
        };
        out.push_str(&format!(
            "  {}  {} → {}\n",
            f.name,
            text(&f.old),
            text(&f.new)
        ));
    }
    out
}

/// Who, which two sides and their verdicts, and how many cells changed.
fn heading(d: &Diff) -> String {
    let changed = d.changed_cells();
    format!(
        "{}\n  {}\n  {}\n  {changed} cell{} changed\n",
        title(d),
        side_line(&d.old),
        side_line(&d.new),
        plural(changed)
    )
}

/// One table's cells: old and new value, difference and change in percent.
fn cell_table(t: &TableDiff, a: &str, b: &str) -> String {
    let mut grid = output::table();
    grid.set_header(vec!["  cell", "label", a, b, "Δ", "%"]);
    for c in &t.cells {
        grid.add_row(cell_row(c));
    }
    format!("\n{}\n{}", t.heading, output::table_text(&grid))
}

/// The cells only one side has: columns that changed meaning between the editions.
fn not_comparable(d: &Diff, a: &str, b: &str) -> String {
    if d.not_comparable.is_empty() {
        return String::new();
    }
    let mut grid = output::table();
    grid.set_header(vec!["  only in", "cell", "label", "value"]);
    for n in &d.not_comparable {
        let year = if n.side == "old" { a } else { b };
        grid.add_row(vec![
            format!("  {year}"),
            n.cell.clone(),
            n.label.clone(),
            n.value.clone(),
        ]);
    }
    format!(
        "\nNot comparable ({} → {} edition: these columns changed meaning)\n{}",
        d.old.edition,
        d.new.edition,
        output::table_text(&grid)
    )
}

/// Whether what the old side sent forward is what the new side carried, column by column.
fn carry_over(c: &CarryOver, a: &str, b: &str) -> String {
    if c.ok {
        return format!(
            "\nCarry-over: {}'s t3.carried equals {}'s t3.forward in all {} columns {}\n",
            b,
            a,
            c.columns.len(),
            paint(output::GREEN, "✓")
        );
    }
    let mut grid = output::table();
    grid.set_header(vec![
        "  column",
        &format!("{a} forward"),
        &format!("{b} carried"),
        "",
    ]);
    for col in &c.columns {
        grid.add_row(vec![
            format!("  {}", col.label),
            col.previous.clone(),
            col.carried.clone(),
            if col.ok {
                String::new()
            } else {
                paint(output::YELLOW, "≠")
            },
        ]);
    }
    format!(
        "\nCarry-over: {} t3.carried differs from {} t3.forward {}\n{}",
        b,
        a,
        paint(output::YELLOW, "!"),
        output::table_text(&grid)
    )
}

/// Each section's similarity and its changed sentences.
fn narrative(d: &Diff) -> String {
    if d.narrative.is_empty() {
        return String::new();
    }
    let mut out = String::from("\nNarrative\n");
    for s in &d.narrative {
        let heading = s.heading.as_deref().unwrap_or("preamble");
        out.push_str(&format!(
            "  {heading}  similarity {:.1}%\n",
            s.similarity * 100.0
        ));
        for ch in &s.changes {
            let (mark, style) = if ch.op == "delete" {
                ("-", output::RED)
            } else {
                ("+", output::GREEN)
            };
            out.push_str(&format!(
                "    {}\n",
                paint(style, &format!("{mark} {}", ch.text))
            ));
        }
    }
    out
}

fn cell_row(c: &CellDiff) -> Vec<String> {
    let key = if c.new_cells.len() > 1 {
        format!("{} ↔ Σ{}", c.key, c.new_cells.len())
    } else {
        c.key.clone()
    };
    vec![
        format!("  {key}"),
        c.label.clone(),
        c.old.clone(),
        c.new.clone(),
        signed(&c.delta),
        pct(&c.pct),
    ]
}

fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '|' | '\\' | '*' | '_' | '`' | '<' | '>' | '[' | ']' | '#' => {
                out.push('\\');
                out.push(ch);
            }
            '\n' => out.push(' '),
            _ => out.push(ch),
        }
    }
    out
}

/// The diff as Markdown (pipe tables).
pub fn markdown(d: &Diff) -> String {
    let mut out = format!("## {}\n\n", md(&title(d)));
    let verdict = |s: &Side| {
        format!(
            "- **{}**: {} edition{}, {} ({} errors, {} warnings)\n",
            s.year,
            s.edition,
            s.revision
                .map(|r| format!(", revision {r}"))
                .unwrap_or_default(),
            if s.valid { "valid" } else { "invalid" },
            s.errors,
            s.warnings
        )
    };
    out.push_str(&verdict(&d.old));
    out.push_str(&verdict(&d.new));
    out.push_str(&format!("- {} cells changed\n", d.changed_cells()));
    let (a, b) = side_names(d);
    for t in &d.tables {
        out.push_str(&format!(
            "\n### {}\n\n| cell | label | {a} | {b} | Δ | % |\n|---|---|---:|---:|---:|---:|\n",
            md(&t.heading)
        ));
        for c in &t.cells {
            let row = cell_row(c);
            out.push_str(&format!(
                "| `{}` | {} | {} | {} | {} | {} |\n",
                row[0].trim(),
                md(&row[1]),
                md(&row[2]),
                md(&row[3]),
                row[4],
                row[5]
            ));
        }
    }
    if !d.not_comparable.is_empty() {
        out.push_str(&format!(
            "\n### Not comparable ({} → {} edition)\n\n| only in | cell | label | value |\n|---|---|---|---:|\n",
            d.old.edition, d.new.edition
        ));
        for n in &d.not_comparable {
            let year = if n.side == "old" { &a } else { &b };
            out.push_str(&format!(
                "| {year} | `{}` | {} | {} |\n",
                n.cell,
                md(&n.label),
                md(&n.value)
            ));
        }
    }
    if let Some(c) = &d.carry_over {
        out.push_str(&format!(
            "\n### Carry-over\n\n{}\n\n| column | {a} forward | {b} carried | ok |\n|---|---:|---:|---|\n",
            if c.ok { "All columns carry over." } else { "Some columns do not carry over." }
        ));
        for col in &c.columns {
            out.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                md(&col.label),
                md(&col.previous),
                md(&col.carried),
                if col.ok { "✓" } else { "≠" }
            ));
        }
    }
    if !d.figures.is_empty() {
        out.push_str(&format!(
            "\n### Narrative figures\n\n| quantity | {a} | {b} |\n|---|---:|---:|\n"
        ));
        for f in &d.figures {
            out.push_str(&format!(
                "| {} | {} | {} |\n",
                md(&f.name),
                md(&f.old),
                md(&f.new)
            ));
        }
    }
    if !d.narrative.is_empty() {
        out.push_str("\n### Narrative\n");
        for s in &d.narrative {
            out.push_str(&format!(
                "\n**{}** — similarity {:.1}%\n\n",
                md(s.heading.as_deref().unwrap_or("preamble")),
                s.similarity * 100.0
            ));
            if !s.changes.is_empty() {
                out.push_str("```diff\n");
                for ch in &s.changes {
                    let mark = if ch.op == "delete" { '-' } else { '+' };
                    out.push_str(&format!("{mark} {}\n", ch.text.replace('`', "'")));
                }
                out.push_str("```\n");
            }
        }
    }
    out
}

/// `gxctl diff`.
#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// Two years (from gxd), one year with --rev, or two report files (offline).
    #[arg(value_name = "YEAR_OR_FILE", num_args = 1..=2, required = true)]
    pub sides: Vec<String>,
    /// Two revisions of one year, e.g. 1..3.
    #[arg(long = "rev", value_name = "A..B")]
    pub rev: Option<String>,
    /// Show unchanged cells too.
    #[arg(long)]
    pub all: bool,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t)]
    pub output: DiffFormat,
}

pub const EXAMPLES: &str = "\
Examples:
  gxctl diff 2019 2020                 # the context's body: its 2019 and 2020 reports, from gxd
  gxctl diff 2019 2020 --org 621024    # another body
  gxctl diff 2020 --rev 1..3           # two revisions of one year
  gxctl diff old.json new.json -o json # two files, offline";

pub fn print(d: &Diff, format: DiffFormat) -> anyhow::Result<()> {
    match format {
        DiffFormat::Table => output::print(&table(d)),
        DiffFormat::Markdown => output::print(&markdown(d)),
        DiffFormat::Json => output::print_json(d)?,
        DiffFormat::Yaml => output::print_yaml(d)?,
    }
    Ok(())
}

fn year(s: &str) -> Option<u32> {
    (s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()) && !std::path::Path::new(s).exists())
        .then(|| s.parse().ok())
        .flatten()
}

fn revisions(range: &str) -> Result<(u32, u32), Failure> {
    let bad = || {
        Failure::new(
            Exit::Usage,
            format!("--rev: expected A..B like 1..3, found {range:?}"),
        )
    };
    let (a, b) = range.split_once("..").ok_or_else(bad)?;
    Ok((
        a.trim().parse().map_err(|_| bad())?,
        b.trim().parse().map_err(|_| bad())?,
    ))
}

/// What to compare: two report files, or two reports stored in gxd.
enum Sides<'a> {
    Files(&'a str, &'a str),
    Stored(ReportRef, ReportRef),
}

/// Reads the command line: two years, one year with --rev A..B, or two files.
fn sides(args: &DiffArgs) -> Result<Sides<'_>, Failure> {
    let stored = |year, version| ReportRef { year, version };
    match (args.sides.as_slice(), &args.rev) {
        ([a, b], None) => match (year(a), year(b)) {
            (Some(ya), Some(yb)) => Ok(Sides::Stored(stored(ya, None), stored(yb, None))),
            (None, None) => Ok(Sides::Files(a, b)),
            _ => Err(Failure::new(
                Exit::Usage,
                "give two years or two files, not one of each",
            )),
        },
        ([y], Some(range)) => {
            let y =
                year(y).ok_or_else(|| Failure::new(Exit::Usage, format!("not a year: {y:?}")))?;
            let (ra, rb) = revisions(range)?;
            Ok(Sides::Stored(
                stored(y, Some(Version::Revision(ra))),
                stored(y, Some(Version::Revision(rb))),
            ))
        }
        ([_], None) => Err(Failure::new(
            Exit::Usage,
            "one year needs --rev A..B; or give two years or two files",
        )),
        (_, Some(_)) => Err(Failure::new(
            Exit::Usage,
            "--rev takes one year: gxctl diff 2020 --rev 1..3",
        )),
        _ => Err(Failure::new(
            Exit::Usage,
            "give two years, one year with --rev, or two files",
        )),
    }
}

pub fn run(conn: &Connection, args: DiffArgs) -> anyhow::Result<Exit> {
    let (old, new) = match sides(&args)? {
        Sides::Files(a, b) => {
            let old = gx::files::read_path(a)?;
            let new = gx::files::read_path(b)?;
            let options = gx::diff::Options { all: args.all };
            print(
                &gx::diff::diff(&old, None, &new, None, options),
                args.output,
            )?;
            return Ok(Exit::Ok);
        }
        Sides::Stored(old, new) => (old, new),
    };
    let rt = crate::remote::runtime()?;
    rt.block_on(async {
        let mut remote = Remote::connect(conn).await?;
        let org = remote.org(None)?;
        let (old_year, new_year) = (old.year, new.year);
        let asked_revisions = old.version.is_some();
        let resp = remote
            .client
            .diff_reports(gx::pb::DiffReportsRequest {
                org_id: org.clone(),
                old: Some(old),
                new: Some(new),
                all: args.all,
            })
            .await;
        let d = match resp {
            Ok(r) => r.into_inner().diff.unwrap_or_default(),
            Err(s) if s.code() == tonic::Code::NotFound && !asked_revisions => {
                // Name the year that is missing, and the years that exist.
                for y in [old_year, new_year] {
                    remote.get(&org, y, None).await?;
                }
                return Err(remote.fail(s));
            }
            Err(s) => return Err(remote.fail(s)),
        };
        print(&gx::diff::Diff::from(&d), args.output)?;
        Ok(Exit::Ok)
    })
}
