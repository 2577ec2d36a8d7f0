//! `gxctl backup OUT`: a backup of gxd's store, streamed while gxd keeps serving (admin).

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

use gx::pb;
use gx::pb::integrity_service_client::IntegrityServiceClient;

use crate::config::Connection;
use crate::exit::Exit;
use crate::output;
use crate::remote::{runtime, Remote};

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The archive to write (written to OUT.partial, renamed to OUT once complete).
    out: PathBuf,
}

pub const EXAMPLES: &str = "\
Examples:
  gxctl backup gx-2026-12-02.gxbak
  gxd restore gx-2026-12-02.gxbak --data /var/lib/gx-restored

The archive holds every revision, body and token hash, the log and its head: a consistent
snapshot taken while gxd serves. `gxd restore` verifies every hash and the log before it
writes a new data directory. Admin tokens only.";

pub fn run(conn: &Connection, args: BackupArgs) -> Result<Exit> {
    runtime()?.block_on(async {
        let remote = Remote::connect(conn).await?;
        let mut client = IntegrityServiceClient::new(remote.channel.clone());
        let mut stream = client
            .backup(pb::BackupRequest {})
            .await
            .map_err(|s| remote.fail(s))?
            .into_inner();
        let mut partial = args.out.clone().into_os_string();
        partial.push(".partial");
        let partial = PathBuf::from(partial);
        let mut file = std::io::BufWriter::new(
            std::fs::File::create(&partial)
                .with_context(|| format!("cannot write {}", partial.display()))?,
        );
        let mut bytes = 0u64;
        while let Some(chunk) = stream.message().await.map_err(|s| remote.fail(s))? {
            bytes += chunk.data.len() as u64;
            file.write_all(&chunk.data)
                .with_context(|| format!("cannot write {}", partial.display()))?;
        }
        let file = file
            .into_inner()
            .map_err(|e| e.into_error())
            .with_context(|| format!("cannot write {}", partial.display()))?;
        file.sync_all()
            .with_context(|| format!("cannot write {}", partial.display()))?;
        std::fs::rename(&partial, &args.out)
            .with_context(|| format!("cannot write {}", args.out.display()))?;
        output::print(&format!("{}: {bytes} bytes\n", args.out.display()));
        Ok(Exit::Ok)
    })
}
