//! Every console example in `README.md` and `docs/*.md` runs here, so a changed output fails
//! a test instead of leaving a stale page.
//!
//! A ```` ```console ```` block holds `$ command` lines, each followed by what it prints
//! (stdout and stderr as one stream); a command line ending in `\` goes on on the next line.
//! - The commands of one file run in order, with `sh -c`, on one machine of their own
//!   (`session`): a fresh `HOME`, a working directory holding copies of `examples/`,
//!   `tests/fixtures/` and `tests/golden/` (paths read as from the repository's root),
//!   `gxctl` and `gxd` on `PATH`, one fresh gxd on its default data directory under that
//!   home, `GX_SERVER` pointing at it, and its first admin token where gxctl finds it by
//!   itself — as on a fresh machine after `cargo run --release --bin gxd`.
//! - `(exit N)` as the last output line: the command exits with N; without it, with 0.
//! - `[..]` in a line stands for any text within that line, and a line `...` for any number
//!   of lines: only for what legitimately varies (times, token ids, temporary paths).
//! - Trailing spaces and trailing blank lines are not compared.
//! - ```` ```console gxd-stopped ````: gxd is stopped while the block runs (offline `gxd`
//!   commands) and started again, on the same data, after it.
//! - Blocks not meant to run (set-up, `cargo bench`, TLS certificates, grpcurl) use another
//!   fence (```` ```sh ````); a `$ ` prompt in one of them is an error.
//!
//! On a mismatch the test names the file and line and shows a line diff. `GX_BLESS=1 cargo
//! test --test it docs::` writes the actual output into the file instead, keeping each expected line
//! that matched (with its wildcards) and each `...`.

mod expect;
mod markdown;
mod session;

use std::path::Path;

use markdown::Command;
use session::{Outcome, Session};

/// One test per documentation file; [`every_doc_file_is_tested`] keeps the list complete.
macro_rules! doc_tests {
    ($($name:ident => $path:literal,)*) => {
        const DOC_FILES: &[&str] = &[$($path),*];
        $(
            #[test]
            fn $name() {
                run_doc($path);
            }
        )*
    };
}

doc_tests! {
    readme => "README.md",
    docs_index => "docs/README.md",
    report_files => "docs/report-files.md",
    diff => "docs/diff.md",
    render => "docs/render.md",
    gxd => "docs/gxd.md",
    security => "docs/security.md",
    integrity => "docs/integrity.md",
    bodies_and_rollup => "docs/bodies-and-rollup.md",
    import => "docs/import.md",
    json_output => "docs/json-output.md",
    benchmarks => "docs/benchmarks.md",
    analysis => "docs/analysis.md",
    integration => "docs/integration.md",
    narrative => "docs/narrative.md",
    web => "docs/web.md",
    review => "docs/review.md",
}

#[test]
fn every_doc_file_is_tested() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut found = vec!["README.md".to_string()];
    for entry in std::fs::read_dir(root.join("docs")).expect("docs/") {
        let name = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        if name.ends_with(".md") {
            found.push(format!("docs/{name}"));
        }
    }
    found.sort();
    let mut listed: Vec<String> = DOC_FILES.iter().map(|s| s.to_string()).collect();
    listed.sort();
    assert_eq!(
        found, listed,
        "add each Markdown file to doc_tests! in tests/docs/mod.rs"
    );
}

/// Runs every console block of `rel` and fails with every mismatch; with `GX_BLESS` set,
/// writes the actual outputs into the file instead.
fn run_doc(rel: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{rel}: {e}"));
    let blocks = markdown::console_blocks(&text).unwrap_or_else(|e| panic!("{rel}: {e}"));
    if blocks.is_empty() {
        return;
    }
    let bless = std::env::var_os("GX_BLESS").is_some();
    let mut session = Session::new();
    let mut failures = Vec::new();
    let mut rewrites = Vec::new();
    for block in &blocks {
        if block.gxd_stopped {
            session.stop_gxd();
        }
        for cmd in &block.commands {
            let outcome = session.run(&cmd.text);
            if let Some((failure, blessed)) = check(rel, cmd, &outcome) {
                failures.push(failure);
                rewrites.push((cmd.output_span.clone(), blessed));
            }
        }
        if block.gxd_stopped {
            session.start_gxd();
        }
    }
    if bless && !rewrites.is_empty() {
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        for (span, new) in rewrites.into_iter().rev() {
            lines.splice(span.start - 1..span.end - 1, new);
        }
        std::fs::write(&path, lines.join("\n") + "\n").expect("write blessed doc");
        eprintln!("{rel}: blessed {} command outputs", failures.len());
        return;
    }
    assert!(
        failures.is_empty(),
        "{rel}: {} of its console examples do not print what the page says \
         (GX_BLESS=1 rewrites them):\n\n{}\ngxd's log:\n{}",
        failures.len(),
        failures.join("\n"),
        session.gxd_log()
    );
}

/// The failure message and the blessed output lines, when `outcome` is not what `cmd` says.
fn check(rel: &str, cmd: &Command, outcome: &Outcome) -> Option<(String, Vec<String>)> {
    let actual: Vec<String> = outcome
        .output
        .lines()
        .map(|l| markdown::trim_end(l).to_string())
        .collect();
    let actual = trim_trailing_blank(actual);
    let ops = expect::align(&cmd.expected, &actual);
    let same_output = expect::matched(&ops);
    let same_code = outcome.code == Some(cmd.exit);
    if same_output && same_code {
        return None;
    }
    let mut msg = format!("{rel}:{}: $ {}\n", cmd.line, cmd.text);
    if !same_code {
        let code = outcome
            .code
            .map_or("no exit code (killed or hung)".to_string(), |c| {
                format!("exit {c}")
            });
        msg.push_str(&format!("  {code}, but the page says exit {}\n", cmd.exit));
    }
    if !same_output {
        msg.push_str(&format!(
            "  the output differs (- the page, with its line in {rel}; + actual):\n{}",
            expect::diff(&ops, &cmd.expected, &cmd.expected_lines, &actual)
        ));
    }
    let mut blessed = expect::bless(&ops, &cmd.expected, &actual);
    match outcome.code {
        Some(0) | None => {}
        Some(c) => blessed.push(format!("(exit {c})")),
    }
    Some((msg, blessed))
}

fn trim_trailing_blank(mut lines: Vec<String>) -> Vec<String> {
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines
}
