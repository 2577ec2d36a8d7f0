//! `gxd token …` and `gxd verify`: work on the data directory itself, with gxd stopped (sled
//! lets one process open it). `gxd token create --role admin` is how an operator who lost
//! every admin token gets one back: holding the data directory is holding the keys.

use std::io::Write;
use std::path::Path;

use anyhow::{anyhow, Context};
use clap::{Args, Subcommand, ValueEnum};

use gx::auth::{self, Role, TokenSpec};
use gx::store::{Store, StoreError};

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Issue, list or revoke tokens on the data directory (gxd must be stopped; while it
    /// runs, use `gxctl token`).
    #[command(subcommand)]
    Token(TokenCommand),
    /// Recompute the hash chain of every stored revision, and the log against the records
    /// and its head file, and report any break (exit 1).
    #[command(
        after_help = "Examples:\n  gxd verify --data /var/lib/gx\n  gxd verify 621024101 2020"
    )]
    Verify(VerifyArgs),
    /// Write a backup archive of the data directory (gxd stopped; while it runs, use
    /// `gxctl backup`).
    #[command(after_help = "Example:\n  gxd backup --data /var/lib/gx gx.gxbak")]
    Backup {
        /// The archive to write.
        out: std::path::PathBuf,
    },
    /// Restore a backup archive into a new data directory (--data), verifying every hash and
    /// the log before anything is written there; refuses an archive with a break.
    #[command(after_help = "Example:\n  gxd restore gx.gxbak --data /var/lib/gx-restored")]
    Restore {
        /// The archive (from `gxctl backup` or `gxd backup`).
        archive: std::path::PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Issue a token. Prints the token alone on standard output (shown once: gxd keeps only
    /// its hash), and what it is on standard error.
    #[command(
        after_help = "Examples:\n  gxd token create --role admin --note 'county office'\n  \
        gxd token create --role filer --org 621024101 --note '固城镇'\n  \
        gxd token create --role filer --org 621024 --subtree"
    )]
    Create {
        /// What the token may do.
        #[arg(long, value_enum)]
        role: RoleArg,
        /// The reporting body (required for filers).
        #[arg(long, visible_alias = "for")]
        org: Option<String>,
        /// Filers: also submit for the bodies within ORG.
        #[arg(long)]
        subtree: bool,
        /// Who or what the token is for.
        #[arg(long)]
        note: Option<String>,
    },
    /// List tokens (never their secrets).
    List {
        /// Include revoked tokens.
        #[arg(long)]
        all: bool,
    },
    /// Revoke a token by id.
    Revoke { id: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RoleArg {
    Admin,
    Filer,
    Reader,
    Archivist,
    Reviewer,
}

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Role {
        match r {
            RoleArg::Admin => Role::Admin,
            RoleArg::Filer => Role::Filer,
            RoleArg::Reader => Role::Reader,
            RoleArg::Archivist => Role::Archivist,
            RoleArg::Reviewer => Role::Reviewer,
        }
    }
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Only this reporting body.
    org: Option<String>,
    /// Only this year of ORG.
    year: Option<u32>,
}

/// How an offline command failed.
#[derive(Debug, Clone, Copy)]
pub enum Exit {
    /// A hash chain is broken.
    Broken,
    Usage,
    /// The data directory cannot be used.
    Data,
}

type Outcome = Result<(), (Exit, anyhow::Error)>;

fn open(data: &Path, create: bool) -> Result<Store, (Exit, anyhow::Error)> {
    if !create && !data.exists() {
        return Err((
            Exit::Data,
            anyhow!("there is no data directory at {}", data.display()),
        ));
    }
    Store::open(data).map_err(|e| {
        let hint = if matches!(e, StoreError::Locked { .. }) {
            "; stop gxd first, or use gxctl against the running gxd"
        } else {
            ""
        };
        (Exit::Data, anyhow!("{e}{hint}"))
    })
}

pub fn run(command: Command, data: &Path) -> Outcome {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the runtime")
        .map_err(|e| (Exit::Data, e))?;
    runtime.block_on(async {
        match command {
            Command::Token(t) => token(t, data).await,
            Command::Verify(v) => verify(v, data).await,
            Command::Backup { out } => backup(&out, data).await,
            Command::Restore { archive } => restore(&archive, data),
        }
    })
}

async fn close(store: &Store) -> Outcome {
    store
        .close()
        .await
        .map_err(|e| (Exit::Data, anyhow::Error::new(e)))
}

async fn token(command: TokenCommand, data: &Path) -> Outcome {
    let store = open(data, matches!(command, TokenCommand::Create { .. }))?;
    let data_err = |e: auth::AuthError| (Exit::Data, anyhow::Error::new(e));
    match command {
        TokenCommand::Create {
            role,
            org,
            subtree,
            note,
        } => {
            let spec = TokenSpec {
                role: role.into(),
                org: org.unwrap_or_default(),
                subtree,
                note: note.unwrap_or_default(),
            };
            spec.check()
                .map_err(|e| (Exit::Usage, anyhow::Error::new(e)))?;
            let issued = auth::issue(&store, &spec, auth::OFFLINE)
                .await
                .map_err(data_err)?;
            close(&store).await?;
            println!("{}", issued.token);
            let _ = writeln!(
                std::io::stderr(),
                "gxd: issued {} token {}{} — shown once above; gxd keeps only its hash",
                spec.role,
                issued.stored.id,
                match (spec.org.is_empty(), subtree) {
                    (true, _) => String::new(),
                    (false, false) => format!(" for {}", spec.org),
                    (false, true) => format!(" for {} and the bodies within it", spec.org),
                }
            );
        }
        TokenCommand::List { all } => {
            let mut tokens = store
                .tokens()
                .map_err(|e| (Exit::Data, anyhow::Error::new(e)))?;
            tokens.sort_by_key(|t| t.created_at);
            let mut out =
                String::from("id\trole\torg\tsubtree\tcreated\tcreated_by\trevoked\tnote\n");
            for t in tokens.iter().filter(|t| all || t.revoked_at.is_none()) {
                let ts = |t: std::time::SystemTime| prost_types::Timestamp::from(t).to_string();
                out.push_str(&format!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
                    t.id,
                    t.role,
                    t.org,
                    if t.subtree { "yes" } else { "" },
                    ts(t.created_at),
                    t.created_by,
                    t.revoked_at.map(ts).unwrap_or_default(),
                    t.note
                ));
            }
            close(&store).await?;
            print!("{out}");
        }
        TokenCommand::Revoke { id } => {
            let t = auth::revoke(&store, &id, auth::OFFLINE)
                .await
                .map_err(|e| match e {
                    auth::AuthError::NoSuchToken(_) | auth::AuthError::LastAdmin(_) => {
                        (Exit::Usage, anyhow::Error::new(e))
                    }
                    e => data_err(e),
                })?;
            close(&store).await?;
            println!("revoked token {} ({} {})", t.id, t.role, t.org);
        }
    }
    Ok(())
}

async fn verify(args: VerifyArgs, data: &Path) -> Outcome {
    if args.year.is_some() && args.org.is_none() {
        return Err((Exit::Usage, anyhow!("a YEAR needs an ORG")));
    }
    let store = open(data, false)?;
    let v = store
        .verify(args.org.as_deref(), args.year)
        .map_err(|e| (Exit::Data, anyhow::Error::new(e)))?;
    close(&store).await?;
    let mut out = String::new();
    for b in &v.breaks {
        out.push_str(&format!("BROKEN {b}\n"));
    }
    out.push_str(&format!("{v}\n"));
    print!("{out}");
    if v.breaks.is_empty() {
        Ok(())
    } else {
        Err((
            Exit::Broken,
            anyhow!(
                "{} break{} in the hash chains of {}",
                v.breaks.len(),
                if v.breaks.len() == 1 { "" } else { "s" },
                data.display()
            ),
        ))
    }
}

async fn backup(out: &Path, data: &Path) -> Outcome {
    let store = open(data, false)?;
    let write = || -> anyhow::Result<gx::store::LogHead> {
        let mut partial = out.as_os_str().to_owned();
        partial.push(".partial");
        let partial = std::path::PathBuf::from(partial);
        let file = std::fs::File::create(&partial)
            .with_context(|| format!("cannot write {}", partial.display()))?;
        let mut w = std::io::BufWriter::new(file);
        let head = store.backup(&mut w)?;
        let file = w.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::fs::rename(&partial, out)
            .with_context(|| format!("cannot write {}", out.display()))?;
        Ok(head)
    };
    let result = write();
    close(&store).await?;
    let head = result.map_err(|e| (Exit::Data, e))?;
    println!("{}: log head {head}", out.display());
    Ok(())
}

fn restore(archive: &Path, data: &Path) -> Outcome {
    let file = std::fs::File::open(archive)
        .with_context(|| format!("cannot read {}", archive.display()))
        .map_err(|e| (Exit::Usage, e))?;
    let r = gx::store::restore(&mut std::io::BufReader::new(file), data).map_err(|e| {
        (
            Exit::Broken,
            anyhow!("{e}; nothing was written to {}", data.display()),
        )
    })?;
    println!(
        "restored {} report{}, {} revision{} into {}: every hash and the log verified (log head {})",
        r.reports,
        if r.reports == 1 { "" } else { "s" },
        r.revisions,
        if r.revisions == 1 { "" } else { "s" },
        data.display(),
        r.head
    );
    Ok(())
}
