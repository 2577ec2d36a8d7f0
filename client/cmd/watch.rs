//! `gxctl watch`: follow the filings of a subtree as they happen (WatchFilings), one line
//! per event, flushed per line. Reconnecting is the caller's job: every line carries its
//! cursor, and `--from CURSOR` resumes after it.

use std::io::{IsTerminal, Write};

use anyhow::Result;
use clap::{Args, ValueEnum};
use tokio_stream::StreamExt;

use gx::pb;
use gx::pb::watch_service_client::WatchServiceClient;

use crate::config::Connection;
use crate::exit::{Exit, Failure};
use crate::remote::{runtime, Remote};
use crate::show::timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WatchFormat {
    /// Aligned columns for people (the default on a terminal).
    Table,
    /// One JSON object per line (the default otherwise).
    Jsonl,
}

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Resume after this cursor (the `cursor` of the last event handled); `now` for only new
    /// events. Default: every event from the first.
    #[arg(long = "from", value_name = "CURSOR")]
    from: Option<String>,
    /// Print the events so far and exit, instead of following new ones.
    #[arg(long)]
    no_follow: bool,
    /// Output format [default: table on a terminal, else jsonl].
    #[arg(short, long, value_enum)]
    output: Option<WatchFormat>,
}

pub const EXAMPLES: &str = "\
Examples:
  gxctl watch --org 621024
  gxctl watch --org 621024 --from 1234 -o jsonl >> events.jsonl
  gxctl watch --org 621024 --from now
  gxctl watch --org 621024 --from \"$(cat last.cursor)\" --no-follow -o jsonl

Events: filed (a revision stored; revision 2 on is an amendment, with its reason),
body_registered, body_changed, accepted, returned (with the reason and cells). The stream
does not end on its own (unless --no-follow): stop it with Ctrl-C. When the connection breaks or gxd restarts,
run it again with --from and the last cursor printed: no event is missed or repeated.";

pub fn run(conn: &Connection, args: WatchArgs) -> Result<Exit> {
    let format = args.output.unwrap_or(if std::io::stdout().is_terminal() {
        WatchFormat::Table
    } else {
        WatchFormat::Jsonl
    });
    runtime()?.block_on(async {
        let remote = Remote::connect(conn).await?;
        let org = remote.org(None)?;
        let mut client = WatchServiceClient::new(remote.channel.clone());
        let request = pb::WatchFilingsRequest {
            org,
            from_cursor: args.from.clone().unwrap_or_default(),
            replay_only: args.no_follow,
        };
        let mut stream = remote.call(client.watch_filings(request)).await?;
        let mut last = args.from.clone().unwrap_or_default();
        let ctrl_c = tokio::signal::ctrl_c();
        tokio::pin!(ctrl_c);
        loop {
            let next = tokio::select! {
                _ = &mut ctrl_c => return Ok(Exit::Ok),
                next = stream.next() => next,
            };
            let event = match next {
                None => return Ok(Exit::Ok),
                Some(Ok(pb::WatchFilingsResponse { event: Some(e) })) => e,
                Some(Ok(_)) => continue,
                Some(Err(status)) => {
                    let resume = if last.is_empty() {
                        String::new()
                    } else {
                        format!(" (resume with --from {last})")
                    };
                    let exit = crate::remote::exit_code(status.code());
                    return Err(Failure::new(
                        exit,
                        format!("the watch ended: {}{resume}", status.message()),
                    )
                    .into());
                }
            };
            let line = match format {
                WatchFormat::Jsonl => format!("{}\n", event_json(&event)),
                WatchFormat::Table => table_line(&event),
            };
            let mut out = std::io::stdout().lock();
            if out
                .write_all(line.as_bytes())
                .and_then(|()| out.flush())
                .is_err()
            {
                // The reader went away (a closed pipe): nothing more to say.
                return Ok(Exit::Ok);
            }
            last = event.cursor;
        }
    })
}

/// The kind's name in output.
fn kind_name(kind: i32) -> &'static str {
    match pb::FilingEventKind::try_from(kind) {
        Ok(pb::FilingEventKind::Filed) => "filed",
        Ok(pb::FilingEventKind::BodyRegistered) => "body_registered",
        Ok(pb::FilingEventKind::BodyChanged) => "body_changed",
        Ok(pb::FilingEventKind::Accepted) => "accepted",
        Ok(pb::FilingEventKind::Returned) => "returned",
        _ => "unknown",
    }
}

/// One event as JSON (a line of `-o jsonl`).
pub fn event_json(e: &pb::FilingEvent) -> serde_json::Value {
    serde_json::json!({
        "cursor": e.cursor,
        "kind": kind_name(e.kind),
        "org_id": e.org_id,
        "org_name": e.org_name,
        "year": e.year,
        "revision": e.revision,
        "actor": e.actor,
        "time": timestamp(&e.time),
        "reason": e.reason,
        "parent_id": e.parent_id,
        "cells": e.cells.iter().map(|c| serde_json::json!({"cell": c.cell, "note": c.note})).collect::<Vec<_>>(),
    })
}

/// One event as a line for people: cursor, time, kind, body, report, who, and what was said.
fn table_line(e: &pb::FilingEvent) -> String {
    let report = if e.year == 0 {
        if e.parent_id.is_empty() {
            "-".to_string()
        } else {
            format!("under {}", e.parent_id)
        }
    } else {
        format!("{} rev {}", e.year, e.revision)
    };
    let mut note = e.reason.clone();
    for c in &e.cells {
        note.push_str(&format!(" [{}: {}]", c.cell, c.note));
    }
    let actor = if e.actor.is_empty() { "-" } else { &e.actor };
    format!(
        "{:>8}  {:<20}  {:<15}  {:<12} {}  {:<14}  {:<16}  {}\n",
        e.cursor,
        timestamp(&e.time).get(..19).unwrap_or_default(),
        kind_name(e.kind),
        e.org_id,
        e.org_name,
        report,
        actor,
        note.trim()
    )
    .trim_end()
    .to_string()
        + "\n"
}
