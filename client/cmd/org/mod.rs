//! `gxctl org`: reporting bodies in gxd — add, get, list, rename, move, import and export.

mod bodies;

use anyhow::Result;
use clap::{Args, Subcommand, ValueEnum};

use gx::orgs::Level;
use gx::pb;
use gx::pb::org_service_client::OrgServiceClient;

use crate::config::Connection;
use crate::connect::AuthChannel;
use crate::exit::Exit;
use crate::output::{self, OutputFormat};
use crate::remote::{runtime, Remote};
use crate::show::{body_json, level_name};

pub const EXAMPLES: &str = "\
Examples:
  gxctl org add 621024 --name 合水县 --level 县
  gxctl org add 621024101 --name 固城镇 --level 乡镇 --parent 621024
  gxctl org get 621024101
  gxctl org list --under 621024
  gxctl org rename 621024101 固城镇人民政府
  gxctl org move 621024101 --parent 621025
  gxctl org import bodies.csv            # id,name,level,parent
  gxctl org export --under 621024 > bodies.csv";

#[derive(Debug, Subcommand)]
pub enum OrgCommand {
    /// Register a reporting body.
    Add(AddArgs),
    /// Show a body: its path from the top, its children, how many bodies are below it.
    Get {
        id: String,
        #[arg(short, long, value_enum, default_value_t)]
        output: OutputFormat,
    },
    /// List bodies as a tree (every body, or one subtree).
    List {
        /// Only this body and the bodies below it.
        #[arg(long, value_name = "ID")]
        under: Option<String>,
        #[arg(short, long, value_enum, default_value_t)]
        output: OutputFormat,
    },
    /// Give a body a new name (its reports keep the names they were published with).
    Rename { id: String, name: String },
    /// Put a body under another parent; its reports stay its reports.
    Move {
        id: String,
        /// The new parent.
        #[arg(long, value_name = "ID", required_unless_present = "top")]
        parent: Option<String>,
        /// Move it to the top (no parent).
        #[arg(long, conflicts_with = "parent")]
        top: bool,
    },
    /// Register the bodies of a CSV file (columns id,name,level,parent; a header line naming
    /// them first). All or nothing.
    Import {
        #[arg(value_name = "FILE.csv")]
        file: String,
        /// Also rename, move and re-level bodies that exist with other fields.
        #[arg(long)]
        update: bool,
    },
    /// Write the bodies as CSV (id,name,level,parent), parents before children: what
    /// `org import` reads.
    Export {
        /// Only this body and the bodies below it.
        #[arg(long, value_name = "ID")]
        under: Option<String>,
        #[arg(short, long, value_enum, default_value_t)]
        output: ExportFormat,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ExportFormat {
    #[default]
    Csv,
    Json,
    Yaml,
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// The body's code: an administrative-division code, a unified social credit code or
    /// another stable code (ASCII letters, digits, '-', '_', '.'; at most 64).
    id: String,
    /// 机关名称, e.g. 固城镇.
    #[arg(long)]
    name: String,
    /// 省, 市, 县, 乡镇, 部门 or 其他 (or province, city, county, township, department, other).
    #[arg(long, value_parser = parse_level)]
    level: Level,
    /// The body it belongs under (default: at the top).
    #[arg(long, value_name = "ID")]
    parent: Option<String>,
}

fn parse_level(s: &str) -> Result<Level, String> {
    s.parse()
}

fn bodies_json(ordered: &[(&pb::Body, usize)]) -> Vec<serde_json::Value> {
    ordered.iter().map(|(b, _)| body_json(b)).collect()
}

/// Every body (of a subtree), all pages.
pub async fn all_bodies(
    remote: &Remote,
    orgs: &mut OrgServiceClient<AuthChannel>,
    under: Option<&str>,
) -> Result<Vec<pb::Body>> {
    let mut out = Vec::new();
    let mut token = String::new();
    loop {
        let page = orgs
            .list_orgs(pb::ListOrgsRequest {
                root: under.unwrap_or_default().to_string(),
                page_size: 1000,
                page_token: token,
            })
            .await
            .map_err(|s| remote.fail(s))?
            .into_inner();
        out.extend(page.bodies);
        if page.next_page_token.is_empty() {
            return Ok(out);
        }
        token = page.next_page_token;
    }
}

/// Bodies in tree order (parents before children, siblings by id), with depths.
pub fn tree_order(bodies: &[pb::Body]) -> Vec<(&pb::Body, usize)> {
    use std::collections::BTreeMap;
    let ids: std::collections::HashSet<&str> = bodies.iter().map(|b| b.id.as_str()).collect();
    let mut children: BTreeMap<&str, Vec<&pb::Body>> = BTreeMap::new();
    let mut tops = Vec::new();
    for b in bodies {
        if b.parent.is_empty() || !ids.contains(b.parent.as_str()) {
            tops.push(b);
        } else {
            children.entry(b.parent.as_str()).or_default().push(b);
        }
    }
    let mut out = Vec::new();
    let mut stack: Vec<(&pb::Body, usize)> = tops.into_iter().rev().map(|b| (b, 0)).collect();
    while let Some((b, depth)) = stack.pop() {
        out.push((b, depth));
        if let Some(cs) = children.get(b.id.as_str()) {
            stack.extend(cs.iter().rev().map(|c| (*c, depth + 1)));
        }
    }
    out
}

fn change_name(c: i32) -> &'static str {
    match pb::ImportChange::try_from(c) {
        Ok(pb::ImportChange::Created) => "created",
        Ok(pb::ImportChange::Updated) => "updated",
        _ => "unchanged",
    }
}

pub fn run(conn: &Connection, cmd: OrgCommand) -> Result<Exit> {
    if let OrgCommand::Import { file, .. } = &cmd {
        // Read the file before connecting: a bad file is a usage error either way.
        bodies::read(file)?;
    }
    runtime()?.block_on(async {
        let remote = Remote::connect(conn).await?;
        let mut orgs = remote.orgs();
        match cmd {
            OrgCommand::Add(a) => {
                let r = orgs
                    .create_org(pb::CreateOrgRequest {
                        body: Some(bodies::body_pb(
                            &a.id,
                            &a.name,
                            a.level,
                            a.parent.as_deref(),
                        )),
                    })
                    .await
                    .map_err(|s| remote.fail(s))?
                    .into_inner();
                let b = r.body.unwrap_or_default();
                let what = if r.created {
                    "registered"
                } else {
                    "already registered"
                };
                output::print(&format!(
                    "{} {} ({}){}: {what}\n",
                    b.id,
                    b.name,
                    level_name(b.level),
                    if b.parent.is_empty() {
                        String::new()
                    } else {
                        format!(" under {}", b.parent)
                    }
                ));
            }
            OrgCommand::Get { id, output: format } => {
                let r = orgs
                    .get_org(pb::GetOrgRequest { id: id.clone() })
                    .await
                    .map_err(|s| remote.fail(s))?
                    .into_inner();
                let b = r.body.unwrap_or_default();
                let json = serde_json::json!({
                    "body": body_json(&b),
                    "path": r.ancestors.iter().rev().map(body_json).collect::<Vec<_>>(),
                    "children": r.children.iter().map(body_json).collect::<Vec<_>>(),
                    "descendants": r.descendants,
                });
                match format {
                    OutputFormat::Json => output::print_json(&json)?,
                    OutputFormat::Yaml => output::print_yaml(&json)?,
                    OutputFormat::Table => {
                        let path: Vec<String> = r
                            .ancestors
                            .iter()
                            .rev()
                            .map(|a| format!("{} {}", a.id, a.name))
                            .collect();
                        let mut s = format!("{} {} ({})\n", b.id, b.name, level_name(b.level));
                        s.push_str(&format!(
                            "path: {}\n",
                            if path.is_empty() {
                                "(at the top)".to_string()
                            } else {
                                path.join(" › ")
                            }
                        ));
                        s.push_str(&format!(
                            "children: {}, bodies below it: {}\n",
                            r.children.len(),
                            r.descendants
                        ));
                        for c in &r.children {
                            s.push_str(&format!(
                                "  {} {} ({})\n",
                                c.id,
                                c.name,
                                level_name(c.level)
                            ));
                        }
                        output::print(&s);
                    }
                }
            }
            OrgCommand::List {
                under,
                output: format,
            } => {
                let bodies = all_bodies(&remote, &mut orgs, under.as_deref()).await?;
                let ordered = tree_order(&bodies);
                match format {
                    OutputFormat::Json => output::print_json(&bodies_json(&ordered))?,
                    OutputFormat::Yaml => output::print_yaml(&bodies_json(&ordered))?,
                    OutputFormat::Table => {
                        let mut t = output::table();
                        t.set_header(vec!["id", "name", "level", "parent"]);
                        for (b, depth) in &ordered {
                            t.add_row(vec![
                                format!("{}{}", "  ".repeat(*depth), b.id),
                                b.name.clone(),
                                level_name(b.level).to_string(),
                                b.parent.clone(),
                            ]);
                        }
                        output::print(&format!(
                            "{}{} bod{}\n",
                            output::table_text(&t),
                            ordered.len(),
                            if ordered.len() == 1 { "y" } else { "ies" }
                        ));
                    }
                }
            }
            OrgCommand::Rename { id, name } => {
                let b = orgs
                    .rename_org(pb::RenameOrgRequest { id, name })
                    .await
                    .map_err(|s| remote.fail(s))?
                    .into_inner()
                    .body
                    .unwrap_or_default();
                output::print(&format!("{} is now {}\n", b.id, b.name));
            }
            OrgCommand::Move { id, parent, top: _ } => {
                let b = orgs
                    .move_org(pb::MoveOrgRequest {
                        id,
                        parent: parent.unwrap_or_default(),
                    })
                    .await
                    .map_err(|s| remote.fail(s))?
                    .into_inner()
                    .body
                    .unwrap_or_default();
                output::print(&format!(
                    "{} {} is now {}\n",
                    b.id,
                    b.name,
                    if b.parent.is_empty() {
                        "at the top".to_string()
                    } else {
                        format!("under {}", b.parent)
                    }
                ));
            }
            OrgCommand::Import { file, update } => {
                let bodies = bodies::read(&file)?;
                let r = orgs
                    .import_orgs(pb::ImportOrgsRequest {
                        bodies: bodies.clone(),
                        update,
                    })
                    .await
                    .map_err(|s| remote.fail(s))?
                    .into_inner();
                let mut counts = [0usize; 3];
                for (b, c) in bodies.iter().zip(&r.changes) {
                    let name = change_name(*c);
                    counts[match name {
                        "created" => 0,
                        "updated" => 1,
                        _ => 2,
                    }] += 1;
                    if name != "unchanged" {
                        output::print(&format!("{name} {} {}\n", b.id, b.name));
                    }
                }
                output::print(&format!(
                    "{file}: {} bodies — {} created, {} updated, {} unchanged\n",
                    bodies.len(),
                    counts[0],
                    counts[1],
                    counts[2]
                ));
            }
            OrgCommand::Export {
                under,
                output: format,
            } => {
                let bodies = all_bodies(&remote, &mut orgs, under.as_deref()).await?;
                let ordered = tree_order(&bodies);
                match format {
                    ExportFormat::Csv => {
                        output::print(&bodies::write(ordered.iter().map(|(b, _)| *b))?)
                    }
                    ExportFormat::Json => output::print_json(&bodies_json(&ordered))?,
                    ExportFormat::Yaml => output::print_yaml(&bodies_json(&ordered))?,
                }
            }
        }
        Ok(Exit::Ok)
    })
}
