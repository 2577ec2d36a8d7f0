//! The console blocks of a Markdown file: their commands, the output each should print and
//! its exit code, with the file's line numbers for messages and for blessing.

use std::ops::Range;

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag};

/// One fenced ```` ```console ```` block.
#[derive(Debug)]
pub struct Block {
    /// Line of the opening fence (1-based).
    pub line: usize,
    /// Info string `console gxd-stopped`: gxd is stopped while the block runs (for the
    /// offline `gxd token …` and `gxd verify`, which need the data directory to themselves).
    pub gxd_stopped: bool,
    pub commands: Vec<Command>,
}

/// One `$ command` and what it should print.
#[derive(Debug)]
pub struct Command {
    /// Line of the `$` (1-based).
    pub line: usize,
    /// The shell command; lines ending in `\` continue on the next line.
    pub text: String,
    /// Expected output, stdout and stderr as one stream, trailing spaces trimmed.
    pub expected: Vec<String>,
    /// Line (1-based) of each expected line.
    pub expected_lines: Vec<usize>,
    /// The expected exit code: `(exit N)` as the last output line, else 0.
    pub exit: i32,
    /// The lines (1-based, end exclusive) holding the output and the `(exit N)` line, not
    /// the blank lines after them: what blessing rewrites.
    pub output_span: Range<usize>,
}

/// A line alone that stands for any number of output lines.
pub const ELISION: &str = "...";

/// Reads every console block of `text`. Errors name the line: output before the first `$`,
/// an unknown flag, or a `$ ` prompt in a block that is not a console block (an example that
/// would never run).
pub fn console_blocks(text: &str) -> Result<Vec<Block>, String> {
    let lines: Vec<&str> = text.lines().collect();
    let line_of = |offset: usize| text[..offset].matches('\n').count();
    let mut blocks = Vec::new();
    for (event, range) in Parser::new_ext(text, Options::empty()).into_offset_iter() {
        let Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) = event else {
            continue;
        };
        let fence = line_of(range.start);
        let last = line_of(range.end.saturating_sub(1)).min(lines.len().saturating_sub(1));
        let closed = last > fence && is_fence(lines[last]);
        let end = if closed { last } else { last + 1 };
        let indent = lines[fence].len() - lines[fence].trim_start_matches(' ').len();
        let content: Vec<(usize, &str)> = (fence + 1..end)
            .map(|i| (i + 1, strip_indent(lines[i], indent)))
            .collect();
        let mut words = info.split_whitespace();
        if words.next() != Some("console") {
            if let Some((n, _)) = content.iter().find(|(_, l)| l.starts_with("$ ")) {
                return Err(format!(
                    "line {n}: a `$ ` prompt in a ```{info} block: console examples go in \
                     ```console blocks, which `cargo test` runs"
                ));
            }
            continue;
        }
        let mut gxd_stopped = false;
        for flag in words {
            match flag {
                "gxd-stopped" => gxd_stopped = true,
                other => return Err(format!("line {}: unknown flag `{other}`", fence + 1)),
            }
        }
        blocks.push(Block {
            line: fence + 1,
            gxd_stopped,
            commands: commands(&content)?,
        });
    }
    Ok(blocks)
}

fn is_fence(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with("```") || t.starts_with("~~~")
}

fn strip_indent(line: &str, indent: usize) -> &str {
    let spaces = line.len() - line.trim_start_matches(' ').len();
    &line[spaces.min(indent)..]
}

/// Splits a console block's lines into commands.
fn commands(content: &[(usize, &str)]) -> Result<Vec<Command>, String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < content.len() {
        let (n, line) = content[i];
        let Some(first) = line.strip_prefix("$ ") else {
            return Err(format!("line {n}: output before the first `$ ` line"));
        };
        let mut text = first.to_string();
        i += 1;
        while text.ends_with('\\') && i < content.len() {
            text.push('\n');
            text.push_str(content[i].1);
            i += 1;
        }
        let start = i;
        while i < content.len() && !content[i].1.starts_with("$ ") {
            i += 1;
        }
        let mut body: Vec<(usize, String)> = content[start..i]
            .iter()
            .map(|(n, l)| (*n, trim_end(l).to_string()))
            .collect();
        while body.last().is_some_and(|(_, l)| l.is_empty()) {
            body.pop();
        }
        // From the line after the command to the last non-blank output line.
        let span_start = content[start - 1].0 + 1;
        let span_end = body.last().map_or(span_start, |(n, _)| n + 1);
        let mut exit = 0;
        if let Some(code) = body.last().and_then(|(_, l)| exit_line(l)) {
            exit = code;
            body.pop();
        }
        out.push(Command {
            line: n,
            text,
            expected_lines: body.iter().map(|(n, _)| *n).collect(),
            expected: body.into_iter().map(|(_, l)| l).collect(),
            exit,
            output_span: span_start..span_end,
        });
    }
    Ok(out)
}

/// `(exit 5)` → 5.
pub fn exit_line(line: &str) -> Option<i32> {
    line.strip_prefix("(exit ")?.strip_suffix(')')?.parse().ok()
}

/// Trailing spaces and tabs are not output anyone can see (editors strip them too).
pub fn trim_end(line: &str) -> &str {
    line.trim_end_matches([' ', '\t', '\r'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_outputs_exit_codes_and_lines() {
        let md = "# t\n\n```console\n$ a \\\n  --b\nout 1\n\nout 2  \n(exit 3)\n\n$ c\n```\n\n\
                  ```sh\ncargo test\n```\n";
        let blocks = console_blocks(md).unwrap();
        assert_eq!(blocks.len(), 1);
        let b = &blocks[0];
        assert_eq!((b.line, b.gxd_stopped), (3, false));
        let a = &b.commands[0];
        assert_eq!((a.line, a.text.as_str()), (4, "a \\\n  --b"));
        assert_eq!(a.expected, ["out 1", "", "out 2"]);
        assert_eq!(a.expected_lines, [6, 7, 8]);
        assert_eq!((a.exit, a.output_span.clone()), (3, 6..10));
        let c = &b.commands[1];
        assert_eq!((c.line, c.exit, c.expected.len()), (11, 0, 0));
        assert_eq!(c.output_span, 12..12);
    }

    #[test]
    fn prompts_outside_console_blocks_and_stray_output_are_refused() {
        let e = console_blocks("```text\n$ gxctl list\n```\n").unwrap_err();
        assert!(e.starts_with("line 2: a `$ ` prompt"), "{e}");
        let e = console_blocks("```console\nhello\n```\n").unwrap_err();
        assert!(e.starts_with("line 2: output before"), "{e}");
        let e = console_blocks("```console offline\n$ x\n```\n").unwrap_err();
        assert!(e.contains("unknown flag `offline`"), "{e}");
        let b = console_blocks("```console gxd-stopped\n$ x\n```\n").unwrap();
        assert!(b[0].gxd_stopped);
    }
}
