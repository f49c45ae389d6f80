//! What the reader remembers per article: the reading position, read or unread, bookmark.
//!
//! Stored as JSON in the XDG state directory (`$QARI_STATE` names the file instead). Writes are
//! atomic (a temporary file in the same folder, synced, then renamed over the old one) and
//! merge with what is on disk, so two readers open at once lose nothing of each other's. A
//! corrupt file is moved aside, never overwritten, and the user is told in one sentence.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// A place in an article: a block of the body (`None`: the head) and a byte offset into its
/// source text. It survives resizes and width changes, unlike a line number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Position {
    /// The block of the body, or `None` for the title and dates.
    pub block: Option<usize>,
    /// Byte offset into that block's text.
    pub offset: usize,
}

/// What is remembered of one article.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ArticleState {
    /// Read (opened, or marked).
    #[serde(default)]
    pub read: bool,
    /// Bookmarked.
    #[serde(default)]
    pub bookmark: bool,
    /// Where reading stopped.
    #[serde(default)]
    pub position: Option<Position>,
    /// When this entry last changed (milliseconds since the Unix epoch), for merging.
    #[serde(default)]
    pub updated: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct File {
    version: u32,
    articles: BTreeMap<String, ArticleState>,
}

/// The state of every article, and where it is kept.
#[derive(Debug, Clone, Default)]
pub struct Store {
    path: Option<PathBuf>,
    articles: BTreeMap<String, ArticleState>,
    dirty: BTreeSet<String>,
}

impl Store {
    /// A store that is never written (`qari serve --open`, tests).
    pub fn in_memory() -> Self {
        Self::default()
    }

    /// The default file: `$QARI_STATE`, else `state.json` in the XDG state directory.
    pub fn default_path() -> Option<PathBuf> {
        if let Some(p) = std::env::var_os("QARI_STATE") {
            return Some(PathBuf::from(p));
        }
        let dirs = directories::ProjectDirs::from("", "", "qari")?;
        let dir = dirs
            .state_dir()
            .unwrap_or_else(|| dirs.data_local_dir())
            .to_path_buf();
        Some(dir.join("state.json"))
    }

    /// Opens the file at `path`. A missing file is an empty state; a corrupt one is moved
    /// aside and the second value says so in one sentence.
    pub fn open(path: &Path) -> (Self, Option<String>) {
        let mut store = Self {
            path: Some(path.to_path_buf()),
            ..Self::default()
        };
        match std::fs::read(path) {
            Ok(bytes) => match serde_json::from_slice::<File>(&bytes) {
                Ok(f) => {
                    store.articles = f.articles;
                    (store, None)
                }
                Err(e) => {
                    let aside = aside_name(path);
                    let moved = std::fs::rename(path, &aside);
                    let msg = match moved {
                        Ok(()) => format!(
                            "{} was corrupt ({e}); it was moved to {} and reading positions start afresh.",
                            path.display(),
                            aside.display()
                        ),
                        Err(m) => {
                            // Never overwrite what could not be moved: keep this session in memory.
                            store.path = None;
                            format!(
                                "{} is corrupt ({e}) and could not be moved aside ({m}); nothing will be saved this session.",
                                path.display()
                            )
                        }
                    };
                    (store, Some(msg))
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (store, None),
            Err(e) => {
                store.path = None;
                (
                    store,
                    Some(format!(
                        "{} cannot be read ({e}); nothing will be saved this session.",
                        path.display()
                    )),
                )
            }
        }
    }

    /// The file, if the store is saved.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The state of one article (default when never seen).
    pub fn get(&self, id: &str) -> ArticleState {
        self.articles.get(id).copied().unwrap_or_default()
    }

    /// Changes the state of one article.
    pub fn update(&mut self, id: &str, f: impl FnOnce(&mut ArticleState)) {
        let entry = self.articles.entry(id.to_owned()).or_default();
        let before = *entry;
        f(entry);
        if *entry != before {
            entry.updated = now_millis().max(before.updated + 1);
            self.dirty.insert(id.to_owned());
        }
    }

    /// Whether there are changes not yet saved.
    pub fn is_dirty(&self) -> bool {
        !self.dirty.is_empty()
    }

    /// Writes the changes: re-reads the file, keeps the newer entry of each article, writes a
    /// temporary file beside it and renames it over. Errors are one sentence.
    pub fn save(&mut self) -> Result<(), String> {
        let Some(path) = self.path.clone() else {
            self.dirty.clear();
            return Ok(());
        };
        if self.dirty.is_empty() {
            return Ok(());
        }
        let mut on_disk = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice::<File>(&bytes)
                .map(|f| f.articles)
                .unwrap_or_default(),
            Err(_) => BTreeMap::new(),
        };
        // Ours win for what changed here, unless the disk has a newer change.
        for id in &self.dirty {
            if let Some(mine) = self.articles.get(id) {
                match on_disk.get(id) {
                    Some(theirs) if theirs.updated > mine.updated => {}
                    _ => {
                        on_disk.insert(id.clone(), *mine);
                    }
                }
            }
        }
        // What other readers saved for articles this one did not touch comes in.
        for (id, theirs) in &on_disk {
            if !self.dirty.contains(id) {
                self.articles.insert(id.clone(), *theirs);
            }
        }
        let file = File {
            version: 1,
            articles: on_disk,
        };
        write_atomic(&path, &file).map_err(|e| {
            format!(
                "reading positions could not be saved to {} ({e}).",
                path.display()
            )
        })?;
        self.dirty.clear();
        Ok(())
    }
}

fn write_atomic(path: &Path, file: &File) -> std::io::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    if let Some(d) = dir {
        std::fs::create_dir_all(d)?;
    }
    let name = path
        .file_name()
        .map_or_else(|| "state.json".into(), |n| n.to_string_lossy().into_owned());
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        serde_json::to_writer(&mut f, file)?;
        f.write_all(b"\n")?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn aside_name(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(|| "state.json".into(), |n| n.to_string_lossy().into_owned());
    let secs = now_millis() / 1000;
    path.with_file_name(format!("{name}.corrupt-{secs}"))
}

fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saves_and_reloads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/state.json");
        let (mut s, msg) = Store::open(&path);
        assert!(msg.is_none());
        s.update("a.txt", |a| {
            a.read = true;
            a.position = Some(Position {
                block: Some(3),
                offset: 120,
            });
        });
        assert!(s.is_dirty());
        s.save().unwrap();
        assert!(!s.is_dirty());
        let (t, _) = Store::open(&path);
        assert_eq!(t.get("a.txt"), s.get("a.txt"));
        assert!(t.get("a.txt").read);
        assert!(!t.get("b.txt").read);
        // No temporary file is left behind.
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("state.json")]);
    }

    #[test]
    fn a_corrupt_file_is_moved_aside_not_lost() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        std::fs::write(&path, b"{\"version\":1,\"articles\":{\"a\":").unwrap();
        let (mut s, msg) = Store::open(&path);
        let msg = msg.expect("the user is told");
        assert!(msg.contains("state.json was corrupt"), "{msg}");
        assert_eq!(msg.matches(". ").count(), 0, "one sentence: {msg}");
        let aside: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("state.json.corrupt-"))
            .collect();
        assert_eq!(aside.len(), 1);
        let kept = std::fs::read(dir.path().join(&aside[0])).unwrap();
        assert_eq!(kept, b"{\"version\":1,\"articles\":{\"a\":");
        s.update("x", |a| a.bookmark = true);
        s.save().unwrap();
        assert!(Store::open(&path).0.get("x").bookmark);
    }

    #[test]
    fn two_readers_merge() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let (mut one, _) = Store::open(&path);
        let (mut two, _) = Store::open(&path);
        one.update("a", |a| a.read = true);
        two.update("b", |a| a.bookmark = true);
        one.save().unwrap();
        two.save().unwrap();
        let (three, _) = Store::open(&path);
        assert!(three.get("a").read);
        assert!(three.get("b").bookmark);
        // The second writer also learned of the first one's change.
        assert!(two.get("a").read);
    }

    #[test]
    fn in_memory_never_writes() {
        let mut s = Store::in_memory();
        s.update("a", |a| a.read = true);
        assert!(s.save().is_ok());
        assert!(s.get("a").read);
        assert!(s.path().is_none());
    }
}
