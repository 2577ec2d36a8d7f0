//! `gxctl man`: the man page (roff) of the whole command tree.

use anyhow::Result;

use crate::exit::Exit;
use crate::output;

pub const EXAMPLES: &str = "Example:\n  gxctl man > /usr/local/share/man/man1/gxctl.1";

/// Prints the man page of `cli` (gxctl's command tree).
pub fn run(cli: clap::Command) -> Result<Exit> {
    let mut out = Vec::new();
    clap_mangen::Man::new(cli).render(&mut out)?;
    output::print(&String::from_utf8_lossy(&out));
    Ok(Exit::Ok)
}
