//! Reporting bodies. A tree `orgs` holds one key per body: its id → an [`OrgRecord`] (name,
//! level, parent, times). Renaming or moving a body rewrites its one record; its reports,
//! keyed by its id, stay where they are. The whole directory is also kept in memory
//! ([`Directory`]), loaded at open and updated under its write lock by every change.

use std::time::SystemTime;

use prost::Message;

use super::log::EntryKind;
use super::record::{from_micros, micros};
use super::{corrupt, Result, Store};
use crate::orgs::{Body, Directory, DirectoryError, Level};

/// A body as stored (the id is the key).
#[derive(Clone, PartialEq, Message)]
struct OrgRecord {
    #[prost(string, tag = "1")]
    name: String,
    /// [`Level::number`].
    #[prost(uint32, tag = "2")]
    level: u32,
    /// Empty: at the top.
    #[prost(string, tag = "3")]
    parent: String,
    #[prost(int64, tag = "4")]
    created_at_us: i64,
    #[prost(int64, tag = "5")]
    updated_at_us: i64,
}

fn body_from_record(key: &[u8], value: &[u8]) -> Result<Body> {
    let r = OrgRecord::decode(value).map_err(|e| corrupt(key, e.to_string()))?;
    let id = std::str::from_utf8(key)
        .map_err(|_| corrupt(key, "body id is not UTF-8"))?
        .to_string();
    Ok(Body {
        id,
        name: r.name,
        level: Level::from_number(r.level).unwrap_or(Level::Other),
        parent: (!r.parent.is_empty()).then_some(r.parent),
        created_at: from_micros(r.created_at_us),
        updated_at: from_micros(r.updated_at_us),
    })
}

fn record_of(b: &Body) -> OrgRecord {
    OrgRecord {
        name: b.name.clone(),
        level: b.level.number(),
        parent: b.parent.clone().unwrap_or_default(),
        created_at_us: micros(b.created_at),
        updated_at_us: micros(b.updated_at),
    }
}

pub(super) fn load_directory(orgs: &sled::Tree) -> Result<Directory> {
    let mut bodies = Vec::new();
    for kv in orgs.iter() {
        let (k, v) = kv?;
        bodies.push(body_from_record(&k, &v)?);
    }
    Ok(Directory::from_bodies(bodies))
}

/// A body to create or (with `update`) to bring in line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBody {
    pub id: String,
    pub name: String,
    pub level: Level,
    pub parent: Option<String>,
}

/// What an import did to one body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Created,
    Unchanged,
    /// Renamed, moved or given another level (with `update`).
    Updated,
}

impl Store {
    pub(super) fn directory_read(&self) -> std::sync::RwLockReadGuard<'_, Directory> {
        // Writers update the map after their insert succeeded; a panic cannot leave it half
        // changed in a way later readers would mind.
        self.inner
            .directory
            .read()
            .unwrap_or_else(|p| p.into_inner())
    }

    pub(super) fn directory_write(&self) -> std::sync::RwLockWriteGuard<'_, Directory> {
        self.inner
            .directory
            .write()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` on the directory (read-locked: keep it short, never await inside).
    pub fn with_directory<T>(&self, f: impl FnOnce(&Directory) -> T) -> T {
        f(&self.directory_read())
    }

    /// The body with this id.
    pub fn org(&self, id: &str) -> Option<Body> {
        self.directory_read().get(id).cloned()
    }

    /// Whether body `id` is `root` or one of its descendants (see [`Directory::is_within`]).
    pub fn is_within(&self, id: &str, root: &str) -> bool {
        self.directory_read().is_within(id, root)
    }

    /// The ids of the ancestors of `id`, nearest first.
    pub fn ancestors(&self, id: &str) -> Vec<String> {
        self.directory_read()
            .ancestors(id)
            .into_iter()
            .map(|b| b.id.clone())
            .collect()
    }

    /// Writes a body under the directory's write lock (held by the caller).
    fn put_body(&self, dir: &mut Directory, body: Body) -> Result<()> {
        self.writable()?;
        let value = record_of(&body).encode_to_vec();
        self.inner
            .orgs
            .insert(body.id.as_bytes(), value.as_slice())?;
        self.log_write(EntryKind::Body, &body.id, 0, 0, &value)?;
        dir.put(body);
        Ok(())
    }

    /// Creates a body. Creating an identical body again returns it (`false`: nothing new).
    pub async fn create_org(&self, new: NewBody) -> Result<(Body, bool)> {
        let (body, created) = {
            let mut dir = self.directory_write();
            let created = dir.check_create(&new.id, &new.name, new.parent.as_deref(), new.level)?;
            if created {
                let now = SystemTime::now();
                let body = Body {
                    id: new.id,
                    name: new.name,
                    level: new.level,
                    parent: new.parent,
                    created_at: now,
                    updated_at: now,
                };
                self.put_body(&mut dir, body.clone())?;
                (body, true)
            } else {
                let b = dir
                    .get(&new.id)
                    .cloned()
                    .ok_or_else(|| DirectoryError::Unknown(new.id.clone()))?;
                (b, false)
            }
        };
        self.durable().await?;
        Ok((body, created))
    }

    /// Changes a body's name, parent or level (a `None` argument leaves it as it is; `parent:
    /// Some(None)` moves it to the top). Its reports stay its reports.
    pub async fn update_org(
        &self,
        id: &str,
        name: Option<String>,
        parent: Option<Option<String>>,
        level: Option<Level>,
    ) -> Result<Body> {
        let body = {
            let mut dir = self.directory_write();
            let mut body = dir
                .get(id)
                .cloned()
                .ok_or_else(|| DirectoryError::Unknown(id.to_string()))?;
            if let Some(n) = name {
                crate::orgs::check_name(&n).map_err(|message| DirectoryError::Invalid {
                    field: "name".into(),
                    message,
                })?;
                body.name = n;
            }
            if let Some(p) = parent {
                dir.check_move(id, p.as_deref())?;
                body.parent = p;
            }
            if let Some(l) = level {
                body.level = l;
            }
            if dir.get(id) != Some(&body) {
                body.updated_at = SystemTime::now();
                self.put_body(&mut dir, body.clone())?;
            }
            body
        };
        self.durable().await?;
        Ok(body)
    }

    /// Creates (and, with `update`, renames, moves and re-levels) many bodies at once, in
    /// any order: a parent may come after its children. All or nothing: the first refusal
    /// fails the whole import and nothing is written. One flush for all.
    pub async fn import_orgs(&self, new: Vec<NewBody>, update: bool) -> Result<Vec<Change>> {
        let changes = {
            let mut dir = self.directory_write();
            // Work on a copy; write only when every body has passed.
            let mut next = dir.clone();
            let mut pending: Vec<usize> = (0..new.len()).collect();
            let mut changes = vec![Change::Unchanged; new.len()];
            let mut seen = std::collections::HashSet::new();
            for n in &new {
                if !seen.insert(n.id.as_str()) {
                    return Err(DirectoryError::Invalid {
                        field: n.id.clone(),
                        message: "given more than once".into(),
                    }
                    .into());
                }
            }
            let now = SystemTime::now();
            let mut touched = Vec::new();
            // Parents first: place what can be placed until nothing moves.
            while !pending.is_empty() {
                let before = pending.len();
                let mut later = Vec::new();
                for i in pending {
                    let n = &new[i];
                    let parent_ready = n.parent.as_deref().is_none_or(|p| next.get(p).is_some());
                    let parent_in_batch = n
                        .parent
                        .as_deref()
                        .is_some_and(|p| new.iter().any(|m| m.id == p));
                    if !parent_ready && parent_in_batch {
                        later.push(i);
                        continue;
                    }
                    let change = place(&mut next, n, update, now)?;
                    if change != Change::Unchanged {
                        changes[i] = change;
                        touched.push(n.id.clone());
                    }
                }
                if later.len() == before {
                    // Parents only named inside the batch, in a cycle.
                    let n = &new[later[0]];
                    return Err(DirectoryError::Cycle {
                        id: n.id.clone(),
                        parent: n.parent.clone().unwrap_or_default(),
                    }
                    .into());
                }
                pending = later;
            }
            if !touched.is_empty() {
                self.writable()?;
            }
            for id in &touched {
                if let Some(b) = next.get(id) {
                    let value = record_of(b).encode_to_vec();
                    self.inner.orgs.insert(id.as_bytes(), value.as_slice())?;
                    self.log_write(EntryKind::Body, id, 0, 0, &value)?;
                }
            }
            *dir = next;
            changes
        };
        self.durable().await?;
        Ok(changes)
    }
}

/// Places one body of an import in the directory's working copy: created, updated (renamed,
/// moved or re-levelled; refused without `update`) or unchanged.
fn place(next: &mut Directory, n: &NewBody, update: bool, now: SystemTime) -> Result<Change> {
    let Some(b) = next.get(&n.id).cloned() else {
        next.check_create(&n.id, &n.name, n.parent.as_deref(), n.level)?;
        next.put(Body {
            id: n.id.clone(),
            name: n.name.clone(),
            level: n.level,
            parent: n.parent.clone(),
            created_at: now,
            updated_at: now,
        });
        return Ok(Change::Created);
    };
    if b.name == n.name && b.parent == n.parent && b.level == n.level {
        return Ok(Change::Unchanged);
    }
    if !update {
        next.check_create(&n.id, &n.name, n.parent.as_deref(), n.level)?;
    }
    crate::orgs::check_name(&n.name).map_err(|message| DirectoryError::Invalid {
        field: format!("{}.name", n.id),
        message,
    })?;
    next.check_move(&n.id, n.parent.as_deref())?;
    next.put(Body {
        name: n.name.clone(),
        level: n.level,
        parent: n.parent.clone(),
        updated_at: now,
        ..b
    });
    Ok(Change::Updated)
}
