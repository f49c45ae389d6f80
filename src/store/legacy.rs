//! The old JSON state file (`state.json`, written by qari before the database), read once to
//! be imported: `{"version": 1, "articles": {ID: {read, bookmark, position, updated}}}`, where
//! an ID is a file's path relative to the folder that was opened, with `#KEY` for a record.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use rusqlite::params;

use super::catalog::{Identity, canonical};
use super::reading::{Pos, Reader, ReadingState, put, select};
use super::{Db, Result, StoreError, now_millis};
use crate::article::Place;

/// The largest old state file read.
pub const MAX_LEGACY_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Deserialize)]
struct File {
    #[serde(default)]
    articles: BTreeMap<String, Entry>,
}

#[derive(Deserialize)]
struct Entry {
    #[serde(default)]
    read: bool,
    #[serde(default)]
    bookmark: bool,
    #[serde(default)]
    position: Option<Position>,
    #[serde(default)]
    updated: u64,
}

/// `block` is `null` in the head, where `meta` tells the metadata line from the title.
#[derive(Deserialize)]
struct Position {
    block: Option<usize>,
    offset: usize,
    #[serde(default)]
    meta: bool,
}

/// The default old file: `$QARI_STATE`, else `state.json` in the XDG state directory.
pub fn default_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("QARI_STATE").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let dirs = directories::ProjectDirs::from("", "", "qari")?;
    let dir = dirs
        .state_dir()
        .unwrap_or_else(|| dirs.data_local_dir())
        .to_path_buf();
    Some(dir.join("state.json"))
}

/// The entries of the old state file, by id; a missing file has none.
pub fn read(file: &Path) -> Result<Vec<(String, ReadingState)>> {
    let fail = |reason: String| StoreError::Import {
        path: file.to_path_buf(),
        reason: crate::escape::display(&reason).into_owned(),
    };
    let parsed: File = match crate::library::read_regular(file, MAX_LEGACY_BYTES) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| fail(e.to_string()))?,
        Err(crate::library::ReadError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Vec::new());
        }
        Err(e) => return Err(fail(e.to_string())),
    };
    Ok(parsed
        .articles
        .into_iter()
        .map(|(id, e)| {
            let pos = e.position.map(|p| Pos {
                place: match (p.block, p.meta) {
                    (Some(b), _) => Place::Block(b),
                    (None, false) => Place::Title,
                    (None, true) => Place::Meta,
                },
                offset: p.offset,
            });
            let state = ReadingState {
                read: e.read,
                bookmark: e.bookmark,
                pos,
                opened: None,
                updated: i64::try_from(e.updated).unwrap_or(i64::MAX),
            };
            (id, state)
        })
        .collect())
}

/// The meta key that records the import of the old state file for a reader.
fn imported_key(reader: &Reader) -> String {
    format!("state_json_imported:{}", reader.as_str())
}

/// What an import of the old state file did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Imported {
    /// Entries now in the database.
    pub taken: usize,
    /// Entries naming no article of the catalog under the given folders (left out).
    pub unmatched: usize,
}

impl Db {
    /// Imports the old JSON state file once per reader (later calls return `None`): each
    /// entry's id is resolved against the catalogued articles under the folders in `roots`
    /// (the first under which it names one wins). See [`Db::import_legacy`].
    pub fn import_state_json(
        &mut self,
        file: &Path,
        roots: &[PathBuf],
        reader: &Reader,
    ) -> Result<Option<Imported>> {
        if self.meta(&imported_key(reader))?.is_some() {
            return Ok(None);
        }
        let legacy = read(file)?;
        let mut resolved = Vec::new();
        let mut unmatched = 0;
        for (id, old) in legacy {
            match self.resolve_legacy(&id, roots)? {
                Some(identity) => resolved.push((identity, old)),
                None => unmatched += 1,
            }
        }
        let mut done = self.import_legacy(file, &resolved, reader)?;
        done.unmatched = unmatched;
        Ok(Some(done))
    }

    /// Whether the old state file was imported for `reader` already.
    pub fn imported(&self, reader: &Reader) -> Result<bool> {
        Ok(self.meta(&imported_key(reader))?.is_some())
    }

    /// Stores the entries of the old state file `file`, already resolved to identities, for
    /// `reader`, keeping the newer of two states, and records that the file was imported, in
    /// one transaction.
    pub fn import_legacy(
        &mut self,
        file: &Path,
        resolved: &[(Identity, ReadingState)],
        reader: &Reader,
    ) -> Result<Imported> {
        let shown = crate::escape::path(file);
        let key = imported_key(reader);
        let taken = self.write(|tx| {
            let mut taken = 0;
            for (id, old) in resolved {
                let have = select(tx, reader, id)?;
                if have.is_some_and(|h| h.updated >= old.updated) {
                    continue;
                }
                put(tx, reader, id, old)?;
                taken += 1;
            }
            tx.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)",
                params![key, format!("{} {shown}", now_millis())],
            )?;
            Ok(taken)
        })?;
        Ok(Imported {
            taken,
            unmatched: 0,
        })
    }

    /// The identity of an old state id (`folder/file.txt`, `feeds.jsonl#KEY`) under `roots`.
    fn resolve_legacy(&self, id: &str, roots: &[PathBuf]) -> Result<Option<Identity>> {
        // The file part ends at a `#` (record keys may hold `#` too: try each, shortest first).
        let mut cuts: Vec<usize> = id.match_indices('#').map(|(i, _)| i).collect();
        cuts.push(id.len());
        for root in roots {
            for &cut in &cuts {
                let (file, key) = id.split_at(cut);
                let key = key.strip_prefix('#').unwrap_or(key);
                let Ok(path) = canonical(&root.join(file)) else {
                    continue;
                };
                if let Some(row) = self.find(&path, key)? {
                    return Ok(Some(row.identity));
                }
            }
        }
        Ok(None)
    }
}
