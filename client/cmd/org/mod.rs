//! `gxctl org`: reporting bodies in gxd — add, get, list, rename, move, import and export.

mod bodies;

use std::collections::{BTreeMap, HashSet};

use anyhow::Result;
use clap::{Args, Subcommand, ValueEnum};

use gx::orgs::Level;
use gx::pb;

use crate::config::Connection;
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

pub fn run(conn: &Connection, cmd: OrgCommand) -> Result<Exit> {
    if let OrgCommand::Import { file, .. } = &cmd {
        // Read the file before connecting: a bad file is a usage error either way.
        bodies::read(file)?;
    }
    runtime()?.block_on(async {
        let remote = Remote::connect(conn).await?;
        match cmd {
            OrgCommand::Add(a) => add(&remote, a).await,
            OrgCommand::Get { id, output } => get(&remote, id, output).await,
            OrgCommand::List { under, output } => list(&remote, under.as_deref(), output).await,
            OrgCommand::Rename { id, name } => rename(&remote, id, name).await,
            OrgCommand::Move { id, parent, top: _ } => move_to(&remote, id, parent).await,
            OrgCommand::Import { file, update } => import(&remote, &file, update).await,
            OrgCommand::Export { under, output } => export(&remote, under.as_deref(), output).await,
        }?;
        Ok(Exit::Ok)
    })
}

async fn add(remote: &Remote, a: AddArgs) -> Result<()> {
    let body = bodies::body_pb(&a.id, &a.name, a.level, a.parent.as_deref());
    let r = remote
        .call(
            remote
                .orgs()
                .create_org(pb::CreateOrgRequest { body: Some(body) }),
        )
        .await?;
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
    Ok(())
}

async fn get(remote: &Remote, id: String, format: OutputFormat) -> Result<()> {
    let r = remote
        .call(remote.orgs().get_org(pb::GetOrgRequest { id }))
        .await?;
    let b = r.body.clone().unwrap_or_default();
    let json = serde_json::json!({
        "body": body_json(&b),
        "path": r.ancestors.iter().rev().map(body_json).collect::<Vec<_>>(),
        "children": r.children.iter().map(body_json).collect::<Vec<_>>(),
        "descendants": r.descendants,
    });
    output::print_as(format, &json, || {
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
        s
    })
}

async fn list(remote: &Remote, under: Option<&str>, format: OutputFormat) -> Result<()> {
    let tree = tree(remote, under).await?;
    output::print_as(format, &bodies_json(&tree), || {
        let mut t = output::table();
        t.set_header(vec!["id", "name", "level", "parent"]);
        for (b, depth) in &tree {
            t.add_row(vec![
                format!("{}{}", "  ".repeat(*depth), b.id),
                b.name.clone(),
                level_name(b.level).to_string(),
                b.parent.clone(),
            ]);
        }
        format!(
            "{}{} bod{}\n",
            output::table_text(&t),
            tree.len(),
            if tree.len() == 1 { "y" } else { "ies" }
        )
    })
}

async fn rename(remote: &Remote, id: String, name: String) -> Result<()> {
    let r = remote
        .call(remote.orgs().rename_org(pb::RenameOrgRequest { id, name }))
        .await?;
    let b = r.body.unwrap_or_default();
    output::print(&format!("{} is now {}\n", b.id, b.name));
    Ok(())
}

async fn move_to(remote: &Remote, id: String, parent: Option<String>) -> Result<()> {
    let parent = parent.unwrap_or_default();
    let r = remote
        .call(remote.orgs().move_org(pb::MoveOrgRequest { id, parent }))
        .await?;
    let b = r.body.unwrap_or_default();
    let place = if b.parent.is_empty() {
        "at the top".to_string()
    } else {
        format!("under {}", b.parent)
    };
    output::print(&format!("{} {} is now {place}\n", b.id, b.name));
    Ok(())
}

/// Registers the bodies of a file, all or nothing: each one changed is named, then the counts.
async fn import(remote: &Remote, file: &str, update: bool) -> Result<()> {
    let bodies = bodies::read(file)?;
    let r = remote
        .call(remote.orgs().import_orgs(pb::ImportOrgsRequest {
            bodies: bodies.clone(),
            update,
        }))
        .await?;
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
    Ok(())
}

async fn export(remote: &Remote, under: Option<&str>, format: ExportFormat) -> Result<()> {
    let tree = tree(remote, under).await?;
    match format {
        ExportFormat::Csv => output::print(&bodies::write(tree.iter().map(|(b, _)| b))?),
        ExportFormat::Json => output::print_json(&bodies_json(&tree))?,
        ExportFormat::Yaml => output::print_yaml(&bodies_json(&tree))?,
    }
    Ok(())
}

fn bodies_json(tree: &[(pb::Body, usize)]) -> Vec<serde_json::Value> {
    tree.iter().map(|(b, _)| body_json(b)).collect()
}

/// Every body (of a subtree) in tree order — parents before children, siblings by id — with
/// its depth.
async fn tree(remote: &Remote, under: Option<&str>) -> Result<Vec<(pb::Body, usize)>> {
    let mut bodies = Vec::new();
    let mut token = String::new();
    loop {
        let page = remote
            .call(remote.orgs().list_orgs(pb::ListOrgsRequest {
                root: under.unwrap_or_default().to_string(),
                page_size: 1000,
                page_token: token,
            }))
            .await?;
        bodies.extend(page.bodies);
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    Ok(tree_order(&bodies)
        .into_iter()
        .map(|(b, depth)| (b.clone(), depth))
        .collect())
}

/// Bodies in tree order (parents before children, siblings by id), with depths.
fn tree_order(bodies: &[pb::Body]) -> Vec<(&pb::Body, usize)> {
    let ids: HashSet<&str> = bodies.iter().map(|b| b.id.as_str()).collect();
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
