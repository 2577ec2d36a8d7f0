//! `gxctl completions SHELL`: a shell completion script for the whole command tree.

use anyhow::Result;

use crate::exit::Exit;
use crate::output;

pub const EXAMPLES: &str = "Example:\n  gxctl completions bash > /etc/bash_completion.d/gxctl";

/// Prints the completion script of `cli` (gxctl's command tree) for `shell`.
pub fn run(mut cli: clap::Command, shell: clap_complete::Shell) -> Result<Exit> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cli, "gxctl", &mut out);
    output::print(&String::from_utf8_lossy(&out));
    Ok(Exit::Ok)
}
