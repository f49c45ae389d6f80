//! Reading state as the app sees it: one trait, [`ReadingStore`], with the `SQLite` database as
//! one implementation ([`SqliteStore`]) and a map in memory as another ([`MemoryStore`], for
//! tests and `qari serve --open`), and [`Shelf`], what the app holds: a store, the marks other
//! stores lend (newsboat's read flag), and the changes kept in memory once the store failed.
//!
//! A store keyed by [`Identity`] is all the app needs: a server database (`PostgreSQL` for a
//! fleet of `qari serve` machines) would be one more implementation of the trait, each
//! [`ReadingStore::update`] one transaction that reads the row under a lock.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::catalog::{Fingerprint, Identity};
use super::reading::{Reader, ReadingState};
use super::{Db, Result, now_millis};
use crate::library::SortKey;

/// Where reading state is kept, per reader.
pub trait ReadingStore: Send {
    /// The state of one article (default when never seen).
    fn get(&self, id: &Identity) -> ReadingState;

    /// Changes the state of one article as one transaction: `f` is applied to the state as
    /// stored when the change is made (not as it was read earlier), so a change made meanwhile
    /// by another process or session is kept. Returns the new state.
    fn update(
        &mut self,
        id: &Identity,
        f: &mut dyn FnMut(&mut ReadingState),
    ) -> Result<ReadingState>;

    /// One of the reader's settings (such as a library's sort), none when never set.
    fn setting(&self, name: &str) -> Option<String>;

    /// Sets one of the reader's settings, in one transaction.
    fn set_setting(&mut self, name: &str, value: &str) -> Result<()>;
}

/// Reading state in memory: by content and record key, else by path and key (a file edited in
/// place), as the database finds it.
#[derive(Debug, Default, Clone)]
pub struct MemoryStore {
    /// By fingerprint, then record key (looked up without allocating).
    by_content: HashMap<Fingerprint, HashMap<String, ReadingState>>,
    /// By canonical path, then record key: the newest state written for it.
    by_path: HashMap<String, HashMap<String, ReadingState>>,
    /// The reader's settings.
    settings: HashMap<String, String>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn find(&self, id: &Identity) -> Option<ReadingState> {
        self.by_content
            .get(&id.fingerprint)
            .and_then(|m| m.get(id.key.as_str()))
            .or_else(|| {
                self.by_path
                    .get(id.path.as_str())
                    .and_then(|m| m.get(id.key.as_str()))
            })
            .copied()
    }

    fn put(&mut self, fp: Fingerprint, key: &str, path: Option<&str>, s: ReadingState) {
        self.by_content
            .entry(fp)
            .or_default()
            .insert(key.to_owned(), s);
        if let Some(path) = path {
            let slot = self
                .by_path
                .entry(path.to_owned())
                .or_default()
                .entry(key.to_owned())
                .or_default();
            if s.updated >= slot.updated {
                *slot = s;
            }
        }
    }
}

impl ReadingStore for MemoryStore {
    fn get(&self, id: &Identity) -> ReadingState {
        self.find(id).unwrap_or_default()
    }

    fn update(
        &mut self,
        id: &Identity,
        f: &mut dyn FnMut(&mut ReadingState),
    ) -> Result<ReadingState> {
        let before = self.get(id);
        let mut after = before;
        f(&mut after);
        if after != before {
            after.updated = now_millis().max(before.updated + 1);
            self.put(id.fingerprint, &id.key, Some(&id.path), after);
        }
        Ok(after)
    }

    fn setting(&self, name: &str) -> Option<String> {
        self.settings.get(name).cloned()
    }

    fn set_setting(&mut self, name: &str, value: &str) -> Result<()> {
        self.settings.insert(name.to_owned(), value.to_owned());
        Ok(())
    }
}

/// Reading state in the library database, for one reader: every change one immediate
/// transaction; what is read comes from a copy loaded at open and kept up to date with the
/// changes made here (and with what the database held for an article when it was changed).
#[derive(Debug)]
pub struct SqliteStore {
    db: Db,
    reader: Reader,
    cache: MemoryStore,
}

impl SqliteStore {
    /// The store of `reader` in `db`, its states loaded.
    pub fn new(db: Db, reader: Reader) -> Result<Self> {
        let mut cache = MemoryStore::new();
        // Oldest first, so the newest state of a path wins.
        let mut rows = db.reader_states(&reader)?;
        rows.reverse();
        for (fp, key, path, state) in rows {
            cache.put(fp, &key, path.as_deref(), state);
        }
        Ok(Self { db, reader, cache })
    }

    /// The database.
    pub fn db(&mut self) -> &mut Db {
        &mut self.db
    }
}

impl ReadingStore for SqliteStore {
    fn get(&self, id: &Identity) -> ReadingState {
        self.cache.get(id)
    }

    fn update(
        &mut self,
        id: &Identity,
        f: &mut dyn FnMut(&mut ReadingState),
    ) -> Result<ReadingState> {
        let after = self.db.update_state(&self.reader, id, f)?;
        self.cache
            .put(id.fingerprint, &id.key, Some(&id.path), after);
        Ok(after)
    }

    fn setting(&self, name: &str) -> Option<String> {
        // A setting that cannot be read is as one never set: the default serves.
        self.db
            .meta(&setting_key(&self.reader, name))
            .ok()
            .flatten()
    }

    fn set_setting(&mut self, name: &str, value: &str) -> Result<()> {
        let key = setting_key(&self.reader, name);
        self.db.write(|tx| {
            tx.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)",
                rusqlite::params![key, value],
            )
            .map(drop)
        })
    }
}

/// The meta key of one of a reader's settings.
fn setting_key(reader: &Reader, name: &str) -> String {
    format!("setting:{}:{name}", reader.as_str())
}

/// The setting that holds a library's sort (see [`crate::library::Library::key`]).
fn sort_setting(library: &str) -> String {
    format!("sort:{library}")
}

/// What the app holds: a [`ReadingStore`], the read marks lent by the store an article came
/// from, and, once the store failed (a read-only or full disk), the changes kept in memory for
/// the rest of the run, with one sentence saying so.
pub struct Shelf {
    store: Box<dyn ReadingStore>,
    /// Read by the store they come from (newsboat's flag), until changed here: by
    /// fingerprint, then record key.
    assumed: HashMap<Fingerprint, HashSet<String>>,
    /// The changes made since the store failed.
    unsaved: Option<MemoryStore>,
    /// The failure not shown yet.
    message: Option<String>,
    /// The file, when the store is a database.
    path: Option<PathBuf>,
}

impl std::fmt::Debug for Shelf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shelf")
            .field("path", &self.path)
            .field("failed", &self.unsaved.is_some())
            .finish_non_exhaustive()
    }
}

impl Default for Shelf {
    fn default() -> Self {
        Self::in_memory()
    }
}

impl Shelf {
    /// A shelf over `store`; `path` is the database file, if there is one.
    pub fn new(store: Box<dyn ReadingStore>, path: Option<PathBuf>) -> Self {
        Self {
            store,
            assumed: HashMap::new(),
            unsaved: None,
            message: None,
            path,
        }
    }

    /// A shelf that keeps nothing beyond the run (`qari serve --open`, tests).
    pub fn in_memory() -> Self {
        Self::new(Box::new(MemoryStore::new()), None)
    }

    /// The reading state of `reader` in the database at `path`, with the old state file
    /// `legacy` imported once (its ids resolved by `resolve`). When the database cannot be
    /// opened the shelf keeps state in memory; the second value is the one sentence to show
    /// (also when a damaged database was moved aside).
    pub fn open(
        path: &Path,
        reader: Reader,
        legacy: Option<&Path>,
        resolve: &dyn Fn(&str) -> Option<Identity>,
    ) -> (Self, Option<String>) {
        let kept = "; reading state is kept in memory until the reader closes.";
        let (mut db, moved) = match Db::open(path) {
            Ok(opened) => opened,
            Err(e) => return (Self::in_memory(), Some(format!("{e}{kept}"))),
        };
        let mut note = moved;
        if let Some(file) = legacy
            && let Err(e) = import(&mut db, file, &reader, resolve)
        {
            note.get_or_insert_with(|| format!("{e}."));
        }
        match SqliteStore::new(db, reader) {
            Ok(store) => (Self::new(Box::new(store), Some(path.to_path_buf())), note),
            Err(e) => (Self::in_memory(), Some(format!("{e}{kept}"))),
        }
    }

    /// The database file, if state is kept in one.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The state of one article (default when never seen).
    pub fn get(&self, id: &Identity) -> ReadingState {
        let mut s = self
            .unsaved
            .as_ref()
            .and_then(|m| m.find(id))
            .unwrap_or_else(|| self.store.get(id));
        if s == ReadingState::default() && self.is_assumed(id) {
            s.read = true;
        }
        s
    }

    fn is_assumed(&self, id: &Identity) -> bool {
        self.assumed
            .get(&id.fingerprint)
            .is_some_and(|keys| keys.contains(id.key.as_str()))
    }

    /// Takes an article as read while nothing is stored for it, because the store it came
    /// from says so (newsboat's read flag); nothing is written for it.
    pub fn assume_read(&mut self, id: &Identity) {
        self.assumed
            .entry(id.fingerprint)
            .or_default()
            .insert(id.key.clone());
    }

    /// Changes the state of one article, in one transaction of the store; when the store
    /// fails, the change (and every later one) is kept in memory and [`Shelf::take_message`]
    /// says why, once.
    pub fn update(&mut self, id: &Identity, f: impl FnOnce(&mut ReadingState)) -> ReadingState {
        let assumed = self.is_assumed(id);
        let mut f = Some(f);
        let mut apply = |s: &mut ReadingState| {
            if assumed && *s == ReadingState::default() {
                s.read = true;
            }
            if let Some(f) = f.take() {
                f(s);
            }
        };
        if self.unsaved.is_none() {
            match self.store.update(id, &mut apply) {
                Ok(s) => return s,
                Err(e) => {
                    self.message = Some(format!(
                        "{e}; reading state is kept in memory until the reader closes."
                    ));
                    let mut memory = MemoryStore::new();
                    let now = self.store.get(id);
                    memory.put(id.fingerprint, &id.key, Some(&id.path), now);
                    self.unsaved = Some(memory);
                }
            }
        }
        let memory = self.unsaved.get_or_insert_with(MemoryStore::new);
        if memory.find(id).is_none() {
            let now = self.store.get(id);
            memory.put(id.fingerprint, &id.key, Some(&id.path), now);
        }
        memory.update(id, &mut apply).unwrap_or_default()
    }

    /// The sort order last chosen for the library `library` (see
    /// [`crate::library::Library::key`]), if any.
    pub fn library_sort(&self, library: &str) -> Option<SortKey> {
        let name = sort_setting(library);
        let value = match &self.unsaved {
            Some(memory) => memory.setting(&name),
            None => None,
        };
        SortKey::from_name(&value.or_else(|| self.store.setting(&name))?)
    }

    /// Remembers the sort order chosen for the library `library`; when the store fails it is
    /// kept in memory, as every change then is.
    pub fn set_library_sort(&mut self, library: &str, sort: SortKey) {
        let name = sort_setting(library);
        if self.unsaved.is_none() {
            match self.store.set_setting(&name, sort.name()) {
                Ok(()) => return,
                Err(e) => {
                    self.message = Some(format!(
                        "{e}; reading state is kept in memory until the reader closes."
                    ));
                }
            }
        }
        let memory = self.unsaved.get_or_insert_with(MemoryStore::new);
        let _ = memory.set_setting(&name, sort.name());
    }

    /// The sentence about a failure of the store not shown yet.
    pub fn take_message(&mut self) -> Option<String> {
        self.message.take()
    }

    /// Whether changes are kept in memory only (the store failed).
    pub fn failed(&self) -> bool {
        self.unsaved.is_some()
    }
}

/// Imports the old state file once for `reader`, resolving its ids with `resolve`.
fn import(
    db: &mut Db,
    file: &Path,
    reader: &Reader,
    resolve: &dyn Fn(&str) -> Option<Identity>,
) -> Result<()> {
    if db.imported(reader)? {
        return Ok(());
    }
    let resolved: Vec<_> = super::legacy::read(file)?
        .into_iter()
        .filter_map(|(id, s)| resolve(&id).map(|identity| (identity, s)))
        .collect();
    db.import_legacy(file, &resolved, reader)?;
    Ok(())
}

#[cfg(test)]
mod tests;
