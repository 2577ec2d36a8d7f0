//! `gxctl token create|list|revoke`: the TokenService (admin tokens only).

use anyhow::Result;
use clap::{Subcommand, ValueEnum};
use serde_json::json;

use gx::pb;
use gx::pb::token_service_client::TokenServiceClient;

use crate::config::Connection;
use crate::exit::Exit;
use crate::output::{self, OutputFormat};
use crate::remote::{runtime, Remote};

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Issue a token. The token is printed once (alone on standard output with the default
    /// output): gxd keeps only its hash.
    Create {
        /// What the token may do: admin (everything), filer (submit for --org, and read),
        /// reader (read), archivist (archive published reports as printed, and read),
        /// reviewer (accept or return the reports of the bodies within --for, and read).
        #[arg(long, value_enum)]
        role: Role,
        /// The reporting body the token acts for (required for filers and reviewers).
        #[arg(long = "for", visible_alias = "body", value_name = "ORG")]
        body: Option<String>,
        /// Filers: also submit for the bodies within the body.
        #[arg(long)]
        subtree: bool,
        /// Who or what the token is for, e.g. '固城镇党政办'.
        #[arg(long)]
        note: Option<String>,
        #[arg(short, long, value_enum, default_value_t)]
        output: OutputFormat,
    },
    /// List the tokens (never their secrets).
    List {
        /// Include revoked tokens.
        #[arg(long)]
        all: bool,
        #[arg(short, long, value_enum, default_value_t)]
        output: OutputFormat,
    },
    /// Revoke a token by its id (it stops working at once).
    Revoke {
        /// The token's id (16 hex digits; see `gxctl token list`).
        id: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Role {
    Admin,
    Filer,
    Reader,
    /// Archive published reports as printed (`submit --as-published`), and read.
    Archivist,
    /// Accept or return the reports of the bodies within --for (`gxctl review`), and read.
    Reviewer,
}

impl From<Role> for pb::Role {
    fn from(r: Role) -> pb::Role {
        match r {
            Role::Admin => pb::Role::Admin,
            Role::Filer => pb::Role::Filer,
            Role::Reader => pb::Role::Reader,
            Role::Archivist => pb::Role::Archivist,
            Role::Reviewer => pb::Role::Reviewer,
        }
    }
}

pub const EXAMPLES: &str = "\
Examples:
  gxctl token create --role filer --for 621024101 --note '固城镇'
  gxctl token create --role filer --for 621024 --subtree      # the county and its bodies
  gxctl token create --role reader -o json
  gxctl token create --role reviewer --for 621024 --note '县政务公开办'
  gxctl token list --all
  gxctl token revoke 3f2a9c0d4b1e8a77

The token goes to its holder, who uses it with GX_TOKEN=… or
`gxctl config set-context NAME --server URL --token …`.";

fn role_name(r: i32) -> &'static str {
    match pb::Role::try_from(r) {
        Ok(pb::Role::Admin) => "admin",
        Ok(pb::Role::Filer) => "filer",
        Ok(pb::Role::Reader) => "reader",
        Ok(pb::Role::Archivist) => "archivist",
        Ok(pb::Role::Reviewer) => "reviewer",
        _ => "?",
    }
}

fn ts(t: &Option<prost_types::Timestamp>) -> Option<String> {
    t.as_ref().map(ToString::to_string)
}

fn info_json(i: &pb::TokenInfo) -> serde_json::Value {
    json!({
        "id": i.id,
        "role": role_name(i.role),
        "org": i.org,
        "subtree": i.subtree,
        "note": i.note,
        "created_at": ts(&i.created_at),
        "created_by": i.created_by,
        "revoked_at": ts(&i.revoked_at),
        "revoked_by": i.revoked_by,
    })
}

fn describe(i: &pb::TokenInfo) -> String {
    let role = role_name(i.role);
    match (i.org.is_empty(), i.subtree) {
        (true, _) => format!("{role} token {}", i.id),
        (false, false) => format!("{role} token {} for {}", i.id, i.org),
        (false, true) => format!(
            "{role} token {} for {} and the bodies within it",
            i.id, i.org
        ),
    }
}

pub fn run(conn: &Connection, cmd: TokenCommand) -> Result<Exit> {
    runtime()?.block_on(async {
        let remote = Remote::connect(conn).await?;
        let mut client = TokenServiceClient::new(remote.channel.clone());
        match cmd {
            TokenCommand::Create {
                role,
                body,
                subtree,
                note,
                output,
            } => {
                let req = pb::CreateTokenRequest {
                    role: pb::Role::from(role) as i32,
                    org: body.unwrap_or_default(),
                    subtree,
                    note: note.unwrap_or_default(),
                };
                let r = remote.call(client.create_token(req)).await?;
                created(r, output)?
            }
            TokenCommand::List { all, output } => {
                let req = pb::ListTokensRequest {
                    include_revoked: all,
                };
                let tokens = remote.call(client.list_tokens(req)).await?.tokens;
                let rows: Vec<serde_json::Value> = tokens.iter().map(info_json).collect();
                output::print_as(output, &rows, || table(&tokens, all))?
            }
            TokenCommand::Revoke { id } => {
                let r = remote
                    .call(client.revoke_token(pb::RevokeTokenRequest { id }))
                    .await?;
                let info = r.info.unwrap_or_default();
                output::print(&format!(
                    "revoked {} at {}\n",
                    describe(&info),
                    ts(&info.revoked_at).unwrap_or_default()
                ));
            }
        }
        Ok(Exit::Ok)
    })
}

/// A new token: alone on standard output for people (what it is goes to stderr), or with its
/// description as JSON or YAML.
fn created(r: pb::CreateTokenResponse, format: OutputFormat) -> Result<()> {
    let info = r.info.unwrap_or_default();
    let json = json!({"token": r.token, "info": info_json(&info)});
    match format {
        OutputFormat::Table => {
            output::print(&format!("{}\n", r.token));
            eprintln!(
                "issued {} — shown once above; gxd keeps only its hash",
                describe(&info)
            );
        }
        OutputFormat::Json => output::print_json(&json)?,
        OutputFormat::Yaml => output::print_yaml(&json)?,
    }
    Ok(())
}

/// The tokens for people; with `all`, when each was revoked.
fn table(tokens: &[pb::TokenInfo], all: bool) -> String {
    let mut t = output::table();
    let mut header = vec!["id", "role", "org", "subtree", "created", "by", "note"];
    if all {
        header.push("revoked");
    }
    t.set_header(header);
    for i in tokens {
        let mut row = vec![
            i.id.clone(),
            role_name(i.role).to_string(),
            i.org.clone(),
            if i.subtree { "yes" } else { "" }.to_string(),
            ts(&i.created_at).unwrap_or_default(),
            i.created_by.clone(),
            i.note.clone(),
        ];
        if all {
            row.push(ts(&i.revoked_at).unwrap_or_default());
        }
        t.add_row(row);
    }
    output::table_text(&t)
}
