//! `gxctl import DIR_OR_FILES… --submit`: a county's folder of published reports in one
//! command — every file imported on all cores, each body found by its name among the
//! registered bodies (or by a manifest), submitted, one line per file and the totals.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use anyhow::Result;
use serde::Serialize;

use gx::grpc::convert::report_to_pb;
use gx::import::bodies::{match_body, BodyMatch, Known};
use gx::import::{ImportOptions, Imported};
use gx::pb;

use crate::exit::{Exit, Failure};
use crate::output;
use crate::remote::{runtime, Remote};

/// What `--submit` was asked.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    pub as_published: bool,
    pub manifest: Option<String>,
    pub allow_unreadable: bool,
    pub json: bool,
    pub reason: Option<String>,
    pub explanations: Vec<pb::Explanation>,
}

/// The extensions read from a directory.
const READ: [&str; 7] = ["pdf", "html", "htm", "md", "markdown", "txt", "text"];

/// The files named: directories walked (sorted), files as given.
pub fn expand(args: &[String]) -> Result<Vec<PathBuf>> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(&p, out)?;
            } else if p
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| READ.contains(&e.to_ascii_lowercase().as_str()))
            {
                out.push(p);
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    for a in args {
        let p = PathBuf::from(a);
        if p.is_dir() {
            walk(&p, &mut out).map_err(|e| anyhow::anyhow!("{a}: {e}"))?;
        } else {
            out.push(p);
        }
    }
    Ok(out)
}

/// What became of one file.
#[derive(Debug, Default, Serialize)]
struct Line {
    file: String,
    org_id: Option<String>,
    body: Option<String>,
    year: Option<u32>,
    edition: Option<u32>,
    read: usize,
    deduced: usize,
    unreadable: usize,
    verdict: Option<String>,
    revision: Option<u32>,
    /// Whether the revision is new (false: the same content was already stored).
    created: Option<bool>,
    /// Why the file did not go in.
    error: Option<String>,
}

/// The manifest: `file,org_id` rows (a header row is skipped); files by name or path.
fn manifest(path: &str) -> Result<HashMap<String, String>> {
    let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{path}: {e}"))?;
    let mut out = HashMap::new();
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    for rec in r.records() {
        let rec = rec.map_err(|e| anyhow::anyhow!("{path}: {e}"))?;
        let (Some(file), Some(org)) = (rec.get(0), rec.get(1)) else {
            continue;
        };
        if file.trim() == "file" {
            continue;
        }
        out.insert(file.trim().to_string(), org.trim().to_string());
    }
    Ok(out)
}

/// Imports every file on all cores, with a progress bar.
fn import_all(files: &[PathBuf]) -> Vec<Result<Imported, String>> {
    let bar = indicatif::ProgressBar::new(files.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} importing {wide_msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<Imported, String>>>> =
        Mutex::new((0..files.len()).map(|_| None).collect());
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    std::thread::scope(|s| {
        for _ in 0..threads.min(files.len().max(1)) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(path) = files.get(i) else { break };
                let name = path.display().to_string();
                let got = super::import::import_file(&name, &ImportOptions::default())
                    .map_err(|e| e.to_string());
                if let Ok(mut r) = results.lock() {
                    r[i] = Some(got);
                }
                bar.set_message(name);
                bar.inc(1);
            });
        }
    });
    bar.finish_and_clear();
    results
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err("not imported".into())))
        .collect()
}

/// The registered bodies, every page.
async fn bodies(remote: &Remote) -> Result<Vec<Known>> {
    let mut all: Vec<pb::Body> = Vec::new();
    let mut token = String::new();
    loop {
        let r = remote
            .call(remote.orgs().list_orgs(pb::ListOrgsRequest {
                root: String::new(),
                page_size: 1000,
                page_token: token.clone(),
            }))
            .await?;
        all.extend(r.bodies);
        if r.next_page_token.is_empty() {
            break;
        }
        token = r.next_page_token;
    }
    let names: HashMap<String, String> =
        all.iter().map(|b| (b.id.clone(), b.name.clone())).collect();
    Ok(all
        .into_iter()
        .map(|b| Known {
            parent_name: names.get(&b.parent).cloned(),
            id: b.id,
            name: b.name,
        })
        .collect())
}

/// The body of a file: the manifest's, else the one its name matches.
fn body_of(
    path: &Path,
    imported: &Imported,
    manifest: &HashMap<String, String>,
    known: &[Known],
) -> Result<String, String> {
    let by_manifest = [
        path.display().to_string(),
        path.file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default(),
    ]
    .into_iter()
    .find_map(|k| manifest.get(&k).cloned());
    if let Some(id) = by_manifest {
        return Ok(id);
    }
    let name = &imported.report.org.name;
    match match_body(name, known) {
        BodyMatch::One { id, .. } => Ok(id),
        BodyMatch::Several(ids) => Err(format!(
            "「{name}」 fits several registered bodies: {} (name it in --manifest)",
            ids.join(", ")
        )),
        BodyMatch::None => Err(format!(
            "no registered body is named 「{name}」 (register it, or name it in --manifest)"
        )),
    }
}

fn counts(imported: &Imported, line: &mut Line) {
    let c = imported.counts;
    line.deduced = c.deduced;
    line.unreadable = c.unreadable;
    line.read = c.cells.saturating_sub(c.unreadable + c.deduced);
    line.year = Some(imported.report.year);
    line.edition = Some(imported.edition.number());
    line.body = Some(imported.report.org.name.clone());
    let verdict = gx::validate(&imported.report);
    line.verdict = Some(if verdict.is_valid() {
        "valid".to_string()
    } else {
        format!("{} error(s)", verdict.errors().count())
    });
}

/// `gxctl import … --submit`.
pub fn run(conn: &crate::config::Connection, files: &[String], batch: Batch) -> Result<Exit> {
    let paths = expand(files)?;
    if paths.is_empty() {
        return Err(Failure::new(Exit::Usage, "no PDF, HTML, Markdown or text file found").into());
    }
    let manifest = match &batch.manifest {
        Some(m) => manifest(m)?,
        None => HashMap::new(),
    };
    let imported = import_all(&paths);
    runtime()?.block_on(async {
        let mut remote = Remote::connect(conn).await?;
        let known = bodies(&remote).await?;
        let mut lines = Vec::new();
        for (path, got) in paths.iter().zip(imported) {
            let line = submit_one(&mut remote, path, got, &manifest, &known, &batch).await?;
            if !batch.json {
                output::print(&line_text(&line));
            }
            lines.push(line);
        }
        let went_in = lines.iter().filter(|l| l.revision.is_some()).count();
        let new = lines.iter().filter(|l| l.created == Some(true)).count();
        if batch.json {
            output::print_json(&serde_json::json!({
                "files": lines,
                "submitted": went_in,
                "new_revisions": new,
                "not_submitted": lines.len() - went_in,
            }))?;
        } else {
            output::print(&format!(
                "{} file{}: {went_in} submitted ({new} new revision{}, {} unchanged), {} not submitted\n",
                lines.len(),
                output::plural(lines.len()),
                output::plural(new),
                went_in - new,
                lines.len() - went_in
            ));
        }
        Ok(if went_in == lines.len() {
            Exit::Ok
        } else {
            Exit::Invalid
        })
    })
}

async fn submit_one(
    remote: &mut Remote,
    path: &Path,
    got: Result<Imported, String>,
    manifest: &HashMap<String, String>,
    known: &[Known],
    batch: &Batch,
) -> Result<Line> {
    let mut line = Line {
        file: path.display().to_string(),
        ..Line::default()
    };
    let mut imported = match got {
        Ok(i) => i,
        Err(e) => {
            line.error = Some(e);
            return Ok(line);
        }
    };
    counts(&imported, &mut line);
    let id = match body_of(path, &imported, manifest, known) {
        Ok(id) => id,
        Err(e) => {
            line.error = Some(e);
            return Ok(line);
        }
    };
    line.org_id = Some(id.clone());
    if !imported.is_complete() && !batch.allow_unreadable {
        line.error = Some(format!(
            "{} cell(s) unreadable: not submitted (--allow-unreadable stores them as unreadable)",
            imported.unreadable.len()
        ));
        return Ok(line);
    }
    imported.report.org.id = id;
    let provenance = gx::provenance::of_import(&imported);
    let req = pb::SubmitReportRequest {
        report: Some(report_to_pb(&imported.report)),
        reason: batch.reason.clone().unwrap_or_default(),
        expected_revision: None,
        explanations: batch.explanations.clone(),
        as_published: batch.as_published,
        provenance: provenance.iter().map(pb::CellSource::from).collect(),
    };
    match remote.client.submit_report(req).await {
        Ok(r) => {
            let r = r.into_inner();
            line.revision = Some(r.revision);
            line.created = Some(r.created);
            if r.warnings.iter().any(|w| gx::Finding::from(w).is_error()) {
                line.verdict = Some(crate::show::PUBLISHED_WITH_ERRORS.to_string());
            }
        }
        Err(status) if status.code() == tonic::Code::Unavailable => {
            return Err(remote.fail(status));
        }
        Err(status) => line.error = Some(status.message().to_string()),
    }
    Ok(line)
}

fn line_text(l: &Line) -> String {
    let what = match (&l.error, l.revision, l.created) {
        (Some(e), _, _) => format!("not submitted: {e}"),
        (None, Some(r), Some(true)) => format!("stored as revision {r}"),
        (None, Some(r), _) => format!("unchanged: already revision {r}"),
        _ => "not submitted".to_string(),
    };
    let body = match (&l.body, &l.org_id) {
        (Some(b), Some(id)) => format!("{b} ({id})"),
        (Some(b), None) => b.clone(),
        _ => "-".to_string(),
    };
    format!(
        "{}: {body} {} · {} edition · read {}, deduced {}, unreadable {} · {} · {what}\n",
        l.file,
        l.year.map_or("-".to_string(), |y| format!("{y}年")),
        l.edition.map_or("-".to_string(), |e| e.to_string()),
        l.read,
        l.deduced,
        l.unreadable,
        l.verdict.as_deref().unwrap_or("-"),
    )
}
