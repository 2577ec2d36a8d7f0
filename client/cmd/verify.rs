//! `gxctl verify [ORG [YEAR]]`: gxd recomputes the hash chains of its stored revisions.

use anyhow::Result;
use clap::Args;
use serde_json::json;

use gx::pb;
use gx::pb::integrity_service_client::IntegrityServiceClient;
use gx::store::Verification;

use crate::config::Connection;
use crate::exit::Exit;
use crate::output::{self, paint, OutputFormat};
use crate::remote::{runtime, Remote};

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Only this reporting body (default: every body).
    org: Option<String>,
    /// Only this year of ORG.
    year: Option<u32>,
    #[arg(short, long, value_enum, default_value_t)]
    output: OutputFormat,
}

pub const EXAMPLES: &str = "\
Examples:
  gxctl verify
  gxctl verify 621024101
  gxctl verify 621024101 2020 -o json

Exit code 0: every chain holds; 1: a break was found (each is printed: body, year,
revision, what differs). Offline, on the data directory: gxd verify.";

pub fn run(conn: &Connection, args: VerifyArgs) -> Result<Exit> {
    runtime()?.block_on(async {
        let remote = Remote::connect(conn).await?;
        let mut client = IntegrityServiceClient::new(remote.channel.clone());
        let response = client
            .verify_chains(pb::VerifyChainsRequest {
                org_id: args.org.clone().unwrap_or_default(),
                year: args.year,
            })
            .await
            .map_err(|s| remote.fail(s))?
            .into_inner();
        let v = Verification::try_from(response)?;
        match args.output {
            OutputFormat::Json => output::print_json(&to_json(&v))?,
            OutputFormat::Yaml => output::print_yaml(&to_json(&v))?,
            OutputFormat::Table => output::print(&text(&v)),
        }
        Ok(if v.breaks.is_empty() {
            Exit::Ok
        } else {
            Exit::Invalid
        })
    })
}

fn to_json(v: &Verification) -> serde_json::Value {
    let breaks: Vec<serde_json::Value> = v
        .breaks
        .iter()
        .map(|b| {
            json!({
                "org_id": b.org_id,
                "year": b.year,
                "revision": b.revision,
                "kind": b.kind.as_str(),
                "detail": b.detail,
                "stored": b.stored,
                "expected": b.expected,
            })
        })
        .collect();
    json!({
        "reports": v.reports,
        "revisions": v.revisions,
        "intact": v.breaks.is_empty(),
        "breaks": breaks,
    })
}

/// Through the library's Display, as `gxd verify` prints: each break (its stored and expected
/// values on lines of their own), then the summary line.
fn text(v: &Verification) -> String {
    let mut s = String::new();
    for b in &v.breaks {
        s.push_str(&format!("{} {b:#}\n", paint(output::RED, "broken")));
    }
    let tone = if v.breaks.is_empty() {
        output::GREEN
    } else {
        output::RED
    };
    s.push_str(&paint(tone, &v.to_string()));
    s.push('\n');
    s
}
