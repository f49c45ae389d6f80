//! Reading state per reader: where reading stopped, read, bookmarked, last opened.
//!
//! A reader is the local user or one SSH key (by fingerprint). State is keyed by the article's
//! content fingerprint and record key (see [`super::catalog`]), so it follows a moved or renamed
//! file. Every change is a read-modify-write inside one immediate transaction: the write lock
//! is taken before the row is read, so two processes or sessions changing state at once queue
//! and neither loses the other's change.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rusqlite::{OptionalExtension as _, params};
use serde::Deserialize;

use super::catalog::{Identity, canonical};
use super::{Db, Result, StoreError, now_millis};

/// Who reads: the local user, or one SSH key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reader(String);

impl Reader {
    /// The user at this machine.
    pub fn local() -> Self {
        Self("local".to_owned())
    }

    /// The holder of an SSH key, by its fingerprint (`SHA256:…`).
    pub fn ssh(fingerprint: &str) -> Self {
        Self(format!("ssh:{fingerprint}"))
    }

    /// How the reader is stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A place in an article: a block of the body (`None`: the title and dates) and a byte
/// offset into its text. Conversions to the reader's own place type come with the wiring.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    /// The block of the body, or `None` for the head.
    pub block: Option<u32>,
    /// Byte offset into that block's text.
    pub offset: u32,
}

/// What is remembered of one article for one reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReadingState {
    /// Read (opened, or marked).
    pub read: bool,
    /// Bookmarked.
    pub bookmark: bool,
    /// Where reading stopped.
    pub pos: Option<Pos>,
    /// When it was last opened (milliseconds since the epoch).
    pub opened: Option<i64>,
    /// When this state last changed (milliseconds since the epoch).
    pub updated: i64,
}

fn state_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<ReadingState> {
    let block: Option<i64> = r.get(2)?;
    let offset: Option<i64> = r.get(3)?;
    let pos = match (block, offset) {
        (b, Some(o)) => Some(Pos {
            block: b.and_then(|b| u32::try_from(b).ok()),
            offset: u32::try_from(o).unwrap_or(0),
        }),
        _ => None,
    };
    Ok(ReadingState {
        read: r.get(0)?,
        bookmark: r.get(1)?,
        pos,
        opened: r.get(4)?,
        updated: r.get(5)?,
    })
}

const SELECT: &str = "SELECT read, bookmark, block, offset, opened, updated FROM state
                      WHERE reader = ?1 AND fingerprint = ?2 AND key = ?3";

fn put(
    tx: &rusqlite::Transaction<'_>,
    reader: &Reader,
    fp: &[u8],
    key: &str,
    s: &ReadingState,
) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT OR REPLACE INTO state(reader, fingerprint, key, read, bookmark, block, offset,
         opened, updated) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        reader.as_str(),
        fp,
        key,
        s.read,
        s.bookmark,
        s.pos.and_then(|p| p.block),
        s.pos.map(|p| p.offset),
        s.opened,
        s.updated,
    ])?;
    Ok(())
}

/// The old JSON state file, as `crate::state` writes it.
#[derive(Deserialize)]
struct LegacyFile {
    #[serde(default)]
    articles: BTreeMap<String, crate::state::ArticleState>,
}

/// The meta key that records the import of the old state file.
const IMPORTED: &str = "state_json_imported";

/// What an import of the old state file did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Imported {
    /// Entries now in the database.
    pub taken: usize,
    /// Entries naming no article of the catalog under the given folders (left out).
    pub unmatched: usize,
}

impl Db {
    /// The state of one article for `reader` (default when never seen).
    pub fn state(&self, reader: &Reader, id: &Identity) -> Result<ReadingState> {
        self.conn()
            .prepare_cached(SELECT)
            .and_then(|mut s| {
                s.query_row(
                    params![reader.as_str(), id.fingerprint.as_slice(), id.key],
                    state_of,
                )
                .optional()
            })
            .map(Option::unwrap_or_default)
            .map_err(|e| self.err(&e))
    }

    /// Changes the state of one article for `reader` in one transaction (the row is read under
    /// the write lock); returns the new state.
    pub fn update_state(
        &mut self,
        reader: &Reader,
        id: &Identity,
        f: impl FnOnce(&mut ReadingState),
    ) -> Result<ReadingState> {
        self.write(|tx| {
            let fp = id.fingerprint.as_slice();
            let before = tx
                .prepare_cached(SELECT)?
                .query_row(params![reader.as_str(), fp, id.key], state_of)
                .optional()?
                .unwrap_or_default();
            let mut after = before;
            f(&mut after);
            if after != before {
                after.updated = now_millis().max(before.updated + 1);
                put(tx, reader, fp, &id.key, &after)?;
            }
            Ok(after)
        })
    }

    /// Every article with state for `reader`, by catalog id (for the list's marks).
    pub fn states(&self, reader: &Reader) -> Result<Vec<(i64, ReadingState)>> {
        self.conn()
            .prepare_cached(
                "SELECT s.read, s.bookmark, s.block, s.offset, s.opened, s.updated, a.id
                 FROM state s JOIN article a ON a.fingerprint = s.fingerprint AND a.key = s.key
                 WHERE s.reader = ?1 ORDER BY a.id",
            )
            .and_then(|mut s| {
                s.query_map([reader.as_str()], |r| Ok((r.get(6)?, state_of(r)?)))?
                    .collect()
            })
            .map_err(|e| self.err(&e))
    }

    /// Imports the old JSON state file once (later calls return `None`): each entry's id is
    /// resolved against the folders in `roots` (the first under which it names a catalogued
    /// article wins) and stored for `reader`, keeping the newer of two states. A missing file
    /// counts as imported.
    pub fn import_state_json(
        &mut self,
        file: &Path,
        roots: &[PathBuf],
        reader: &Reader,
    ) -> Result<Option<Imported>> {
        if self.meta(IMPORTED)?.is_some() {
            return Ok(None);
        }
        let legacy = match crate::library::read_regular(file, crate::state::MAX_STATE_BYTES) {
            Ok(bytes) => {
                serde_json::from_slice::<LegacyFile>(&bytes).map_err(|e| StoreError::Import {
                    path: file.to_path_buf(),
                    reason: crate::escape::display(&e.to_string()).into_owned(),
                })?
            }
            Err(crate::library::ReadError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
                LegacyFile {
                    articles: BTreeMap::new(),
                }
            }
            Err(e) => {
                return Err(StoreError::Import {
                    path: file.to_path_buf(),
                    reason: e.to_string(),
                });
            }
        };
        let mut resolved = Vec::new();
        let mut done = Imported::default();
        for (id, old) in &legacy.articles {
            match self.resolve_legacy(id, roots)? {
                Some(identity) => resolved.push((identity, *old)),
                None => done.unmatched += 1,
            }
        }
        let shown = file.to_string_lossy().into_owned();
        done.taken = self.write(|tx| {
            let mut taken = 0;
            for (id, old) in &resolved {
                let fp = id.fingerprint.as_slice();
                let have = tx
                    .prepare_cached(SELECT)?
                    .query_row(params![reader.as_str(), fp, id.key], state_of)
                    .optional()?;
                let updated = i64::try_from(old.updated).unwrap_or(i64::MAX);
                if have.is_some_and(|h| h.updated >= updated) {
                    continue;
                }
                let state = ReadingState {
                    read: old.read,
                    bookmark: old.bookmark,
                    pos: old.position.map(|p| Pos {
                        block: p.place.block().and_then(|b| u32::try_from(b).ok()),
                        offset: u32::try_from(p.offset).unwrap_or(u32::MAX),
                    }),
                    opened: None,
                    updated,
                };
                put(tx, reader, fp, &id.key, &state)?;
                taken += 1;
            }
            tx.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)",
                params![IMPORTED, format!("{} {shown}", now_millis())],
            )?;
            Ok(taken)
        })?;
        Ok(Some(done))
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
