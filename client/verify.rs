//! `gxctl verify [ORG [YEAR]]`: gxd recomputes the hash chains of its stored revisions.

use anyhow::Result;
use clap::Args;
use serde_json::json;

use gx::pb;
use gx::pb::integrity_service_client::IntegrityServiceClient;

use crate::config::Connection;
use crate::output::{self, paint, OutputFormat};
use crate::remote::{runtime, Remote};
use crate::Exit;

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
        let v = client
            .verify_chains(pb::VerifyChainsRequest {
                org_id: args.org.clone().unwrap_or_default(),
                year: args.year,
            })
            .await
            .map_err(|s| remote.fail(s))?
            .into_inner();
        let breaks: Vec<serde_json::Value> = v
            .breaks
            .iter()
            .map(|b| {
                json!({
                    "org_id": b.org_id,
                    "year": b.year,
                    "revision": b.revision,
                    "kind": b.kind,
                    "detail": b.detail,
                    "stored": b.stored,
                    "expected": b.expected,
                })
            })
            .collect();
        match args.output {
            OutputFormat::Json => output::print_json(&json!({
                "reports": v.reports,
                "revisions": v.revisions,
                "intact": v.breaks.is_empty(),
                "breaks": breaks,
            }))?,
            OutputFormat::Yaml => output::print_yaml(&json!({
                "reports": v.reports,
                "revisions": v.revisions,
                "intact": v.breaks.is_empty(),
                "breaks": breaks,
            }))?,
            OutputFormat::Table => {
                let mut s = String::new();
                for b in &v.breaks {
                    s.push_str(&format!(
                        "{} {} {} revision {}: {}: {}\n",
                        paint(output::RED, "broken"),
                        b.org_id,
                        b.year,
                        b.revision,
                        b.kind,
                        b.detail
                    ));
                    if !b.stored.is_empty() || !b.expected.is_empty() {
                        s.push_str(&format!(
                            "  stored   {}\n  expected {}\n",
                            b.stored, b.expected
                        ));
                    }
                }
                s.push_str(&format!(
                    "verified {} report{}, {} revision{}: {}\n",
                    v.reports,
                    if v.reports == 1 { "" } else { "s" },
                    v.revisions,
                    if v.revisions == 1 { "" } else { "s" },
                    match v.breaks.len() {
                        0 => paint(output::GREEN, "every chain holds"),
                        1 => paint(output::RED, "1 break"),
                        n => paint(output::RED, &format!("{n} breaks")),
                    }
                ));
                output::print(&s);
            }
        }
        Ok(if v.breaks.is_empty() {
            Exit::Ok
        } else {
            Exit::Invalid
        })
    })
}
