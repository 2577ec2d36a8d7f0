//! One module per gxctl command; `main.rs` holds the clap tree and sends each command here.

pub mod analyze;
pub mod analyze_html;
pub mod backup;
pub mod completions;
pub mod config;
pub mod diff;
pub mod export;
pub mod folder;
pub mod get;
pub mod history;
pub mod import;
pub mod list;
pub mod man;
pub mod org;
pub mod render;
pub mod review;
pub mod rollup;
pub mod status;
pub mod submit;
pub mod token;
pub mod validate;
pub mod verify;

use anyhow::Result;

use crate::exit::{Exit, Failure};

/// Parses `[ORG] YEAR`.
pub fn org_year(target: &[String]) -> Result<(Option<&str>, u32)> {
    let (org, year) = match target {
        [year] => (None, year),
        [org, year] => (Some(org.as_str()), year),
        _ => return Err(Failure::new(Exit::Usage, "expected [ORG] YEAR").into()),
    };
    let year = year
        .parse()
        .map_err(|_| Failure::new(Exit::Usage, format!("not a year: {year:?}")))?;
    Ok((org, year))
}
