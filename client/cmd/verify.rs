//! `gxctl verify [ORG [YEAR]]`: gxd recomputes the hash chains of its stored revisions.

use anyhow::Result;
use clap::Args;
use serde_json::json;

use gx::grpc::convert::log_head_from_pb;
use gx::merkle;
use gx::pb;
use gx::pb::integrity_service_client::IntegrityServiceClient;
use gx::store::{LogHead, Verification};

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
    /// A log head kept earlier (SubmitReport's `log_head`, or an earlier `gxctl verify`):
    /// check that today's log extends it (a consistency proof), so nothing up to it was
    /// removed or changed.
    #[arg(long, value_name = "SIZE:ROOT")]
    head: Option<LogHead>,
    #[arg(short, long, value_enum, default_value_t)]
    output: OutputFormat,
}

pub const EXAMPLES: &str = "\
Examples:
  gxctl verify
  gxctl verify 621024101
  gxctl verify 621024101 2020 -o json
  gxctl verify --head 12:3f9a…(64 hex digits)

Exit code 0: every chain holds (and the log extends --head); 1: a break was found (each is
printed: body, year, revision, what differs), or the log does not extend --head. Offline,
on the data directory: gxd verify.";

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
        let extends = match &args.head {
            Some(kept) => Some(check_head(&remote, kept).await?),
            None => None,
        };
        let mut json = to_json(&v);
        if let Some((ok, line)) = &extends {
            json["head"] = json!({ "extends": ok, "detail": line });
        }
        match args.output {
            OutputFormat::Json => output::print_json(&json)?,
            OutputFormat::Yaml => output::print_yaml(&json)?,
            OutputFormat::Table => {
                let mut t = text(&v);
                if let Some((ok, line)) = &extends {
                    let (tone, word) = if *ok {
                        (output::GREEN, "head")
                    } else {
                        (output::RED, "broken")
                    };
                    t.push_str(&format!("{} {line}\n", paint(tone, word)));
                }
                output::print(&t)
            }
        }
        Ok(if v.breaks.is_empty() && extends.is_none_or(|(ok, _)| ok) {
            Exit::Ok
        } else {
            Exit::Invalid
        })
    })
}

/// Whether today's log extends the head kept, and a line saying so.
async fn check_head(remote: &Remote, kept: &LogHead) -> Result<(bool, String)> {
    let mut client = IntegrityServiceClient::new(remote.channel.clone());
    let r = client
        .get_log_head(pb::GetLogHeadRequest {
            since_size: kept.size,
        })
        .await;
    let r = match r {
        Ok(r) => r.into_inner(),
        Err(s) if s.code() == tonic::Code::OutOfRange => {
            return Ok((
                false,
                format!(
                    "the log is shorter than your head {kept}: entries were removed ({})",
                    s.message()
                ),
            ))
        }
        Err(s) => return Err(remote.fail(s)),
    };
    let now = r
        .head
        .as_ref()
        .and_then(log_head_from_pb)
        .ok_or_else(|| anyhow::anyhow!("gxd sent no log head"))?;
    let proof: Option<Vec<merkle::Hash>> = r
        .consistency
        .iter()
        .map(|h| merkle::Hash::try_from(h.as_slice()).ok())
        .collect();
    let ok = proof.is_some_and(|p| {
        merkle::verify_consistency(kept.size, now.size, &kept.root, &now.root, &p)
    });
    Ok(if ok {
        (
            true,
            format!("{now} extends your head {kept} (consistency proof checked)"),
        )
    } else {
        (
            false,
            format!("the log {now} does not extend your head {kept}: entries up to it were changed or removed"),
        )
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
        "reviews": v.reviews,
        "log_head": v.log.map(|h| h.to_string()),
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
