//! The old JSON state file (`state.json`, written by qari before the database), read once to
//! be imported: `{"version": 1, "articles": {ID: {read, bookmark, position, updated}}}`, where
//! an ID is a file's path relative to the folder that was opened, with `#KEY` for a record.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::reading::{Pos, ReadingState};
use super::{Result, StoreError};
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
