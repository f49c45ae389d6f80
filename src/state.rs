//! What the reader remembers per article: the reading position, read or unread, bookmark;
//! and per library its sort order ([`Store::library_sort`], kept as an entry of its own whose
//! key no article id can have).
//!
//! Stored as JSON in the XDG state directory (`$QARI_STATE` names the file instead), at most
//! [`MAX_STATE_BYTES`]. Writes are atomic (a temporary file in the same folder, synced, then
//! renamed over the old one) and merge with what is on disk, so two readers open at once lose
//! nothing of each other's. A corrupt or oversized file is moved aside, never overwritten, and
//! the user is told in one sentence.
//!
//! Saving never blocks the caller: [`Store::save`] queues the changes for a writer thread (one
//! per file in a process, so the sessions of one server that share a file take turns, and
//! saves queued while one is written are written together), and a failure comes back as one
//! sentence from a later [`Store::save`], [`Store::flush`] or [`flush_all`]. Temporary files
//! are named by process and by save; those a killed run left are removed when the file is next
//! opened.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::article::Place;
use crate::escape;
use crate::library::{ReadError, read_regular};

/// The largest state file read (about 600,000 articles' worth).
pub const MAX_STATE_BYTES: u64 = 64 * 1024 * 1024;

/// A temporary file older than this is a leftover, whoever made it.
const STALE_TEMP: Duration = Duration::from_secs(60);

/// Where reading stopped: a place in the article and a byte offset into its text. It
/// survives resizes and width changes, unlike a line number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(from = "StoredPosition", into = "StoredPosition")]
pub struct Position {
    /// The text it is in.
    pub place: Place,
    /// Byte offset into that text.
    pub offset: usize,
}

/// A position as `state.json` holds it: `block` is `null` in the head, where `meta` tells the
/// metadata line from the title (absent: the title, as files written before it say).
#[derive(Serialize, Deserialize)]
struct StoredPosition {
    block: Option<usize>,
    offset: usize,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    meta: bool,
}

impl From<StoredPosition> for Position {
    fn from(p: StoredPosition) -> Self {
        let place = match (p.block, p.meta) {
            (Some(b), _) => Place::Block(b),
            (None, false) => Place::Title,
            (None, true) => Place::Meta,
        };
        Self {
            place,
            offset: p.offset,
        }
    }
}

impl From<Position> for StoredPosition {
    fn from(p: Position) -> Self {
        Self {
            block: p.place.block(),
            offset: p.offset,
            meta: p.place == Place::Meta,
        }
    }
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
    /// The list's sort order: only in a library's entry ([`Store::library_sort`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort: Option<crate::library::SortKey>,
}

/// The key of a library's own entry: no article's id starts with NUL (ids are paths).
fn library_entry(library: &str) -> String {
    format!("\0library\0{library}")
}

type Articles = BTreeMap<String, ArticleState>;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct File {
    version: u32,
    articles: Articles,
}

/// The state of every article, and where it is kept.
#[derive(Debug, Clone, Default)]
pub struct Store {
    path: Option<PathBuf>,
    writer: Option<Arc<Writer>>,
    /// What the file held when last read or written.
    base: Arc<Articles>,
    /// Entries changed here that `base` does not have yet.
    local: Articles,
    /// Entries changed since the last save was queued.
    dirty: BTreeSet<String>,
    /// The writer's generation `base` comes from.
    seen: u64,
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

    /// Opens the file at `path`, after the saves this process still has in flight to it. A
    /// missing file is an empty state; a corrupt or oversized one is moved aside, and one that
    /// cannot be read (or is not a regular file) leaves the store unsaved; the second value
    /// says so in one sentence, safe to print.
    pub fn open(path: &Path) -> (Self, Option<String>) {
        Self::open_capped(path, MAX_STATE_BYTES)
    }

    fn open_capped(path: &Path, max: u64) -> (Self, Option<String>) {
        let writer = writer_for(path);
        // What this process wrote last is on disk now: the file read below is newer.
        let seen = writer.idle().written.as_ref().map_or(0, |(g, _)| *g);
        remove_stale_temps(path);
        let mut store = Self {
            path: Some(path.to_path_buf()),
            writer: Some(writer),
            seen,
            ..Self::default()
        };
        let shown = escape::path(path);
        let parsed = match read_regular(path, max) {
            Ok(bytes) => {
                serde_json::from_slice::<File>(&bytes).map_err(|e| format!("was corrupt ({e})"))
            }
            Err(e @ ReadError::TooLarge { .. }) => Err(format!("was too large ({e})")),
            Err(ReadError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
                return (store, None);
            }
            Err(e) => {
                store.path = None;
                store.writer = None;
                let msg =
                    format!("{shown} cannot be read ({e}); nothing will be saved this session.");
                return (store, Some(escape::display(&msg).into_owned()));
            }
        };
        let why = match parsed {
            Ok(f) => {
                store.base = Arc::new(f.articles);
                return (store, None);
            }
            Err(why) => why,
        };
        let msg = match move_aside(path) {
            Ok(aside) => format!(
                "{shown} {why}; it was moved to {} and reading positions start afresh.",
                escape::path(&aside)
            ),
            Err(m) => {
                // Never overwrite what could not be moved: keep this session in memory.
                store.path = None;
                store.writer = None;
                format!(
                    "{shown} {why} and could not be moved aside ({m}); nothing will be saved this session."
                )
            }
        };
        (store, Some(escape::display(&msg).into_owned()))
    }

    /// The sort order last chosen for the library `library` (see
    /// [`crate::library::Library::key`]), if any.
    pub fn library_sort(&self, library: &str) -> Option<crate::library::SortKey> {
        self.get(&library_entry(library)).sort
    }

    /// Remembers the sort order chosen for the library `library`; written with the next save,
    /// merged with other readers' as an article's state is (the newer wins).
    pub fn set_library_sort(&mut self, library: &str, sort: crate::library::SortKey) {
        self.update(&library_entry(library), |s| s.sort = Some(sort));
    }

    /// The file, if the store is saved.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The state of one article (default when never seen).
    pub fn get(&self, id: &str) -> ArticleState {
        self.local
            .get(id)
            .or_else(|| self.base.get(id))
            .copied()
            .unwrap_or_default()
    }

    /// Takes an article as read when nothing is remembered of it, because the store it came
    /// from says so (newsboat's own read flag). Nothing is written for it: the mark stays the
    /// other store's until the reader changes it here, and any state saved for it wins.
    pub fn assume_read(&mut self, id: &str) {
        if self.get(id) == ArticleState::default() {
            let read = ArticleState {
                read: true,
                ..ArticleState::default()
            };
            self.local.insert(id.to_owned(), read);
        }
    }

    /// Changes the state of one article.
    pub fn update(&mut self, id: &str, f: impl FnOnce(&mut ArticleState)) {
        let before = self.get(id);
        let mut entry = before;
        f(&mut entry);
        if entry != before {
            entry.updated = now_millis().max(before.updated + 1);
            self.local.insert(id.to_owned(), entry);
            self.dirty.insert(id.to_owned());
        }
    }

    /// Whether there are changes not yet handed to the writer.
    pub fn is_dirty(&self) -> bool {
        !self.dirty.is_empty()
    }

    /// Queues the changes for the writer thread, which re-reads the file, keeps the newer
    /// entry of each article, writes a temporary file beside it and renames it over; returns at
    /// once. What other readers saved comes in here once a write has read it. The error is
    /// that of an earlier write that failed (its changes are tried again now), in one
    /// sentence.
    pub fn save(&mut self) -> Result<(), String> {
        let Some(writer) = self.writer.clone() else {
            self.dirty.clear();
            return Ok(());
        };
        let mut queue = writer.lock();
        let error = self.adopt(&mut queue);
        for id in std::mem::take(&mut self.dirty) {
            if let Some(mine) = self.local.get(&id) {
                keep_newer(&mut queue.pending, id, *mine);
            }
        }
        // Changes a failed write gave back are tried again too, with or without new ones.
        if !queue.running && !queue.pending.is_empty() {
            queue.running = true;
            let w = Arc::clone(&writer);
            if let Err(e) = std::thread::Builder::new()
                .name("qari-state".to_owned())
                .spawn(move || w.run())
            {
                queue.running = false;
                return Err(format!(
                    "reading positions could not be saved (no thread: {e})."
                ));
            }
        }
        error.map_or(Ok(()), Err)
    }

    /// [`Store::save`], then waits until the writer is done; the error is the first failure
    /// not reported yet.
    pub fn flush(&mut self) -> Result<(), String> {
        let queued = self.save();
        let Some(writer) = self.writer.clone() else {
            return queued;
        };
        let mut queue = writer.idle();
        let error = self.adopt(&mut queue);
        queued.and(error.map_or(Ok(()), Err))
    }

    /// Takes what the writer last wrote (keeping the changes made here since) and its error.
    fn adopt(&mut self, queue: &mut Queue) -> Option<String> {
        if let Some((generation, written)) = &queue.written
            && *generation > self.seen
        {
            self.seen = *generation;
            let old = std::mem::replace(&mut self.base, Arc::clone(written));
            let (base, dirty) = (&self.base, &self.dirty);
            self.local.retain(|id, mine| {
                dirty.contains(id) || base.get(id).is_none_or(|t| t.updated < mine.updated)
            });
            // A large map is freed off the caller's thread.
            if Arc::strong_count(&old) == 1 && old.len() > 10_000 {
                let _ = std::thread::Builder::new().spawn(move || drop(old));
            }
        }
        queue.error.take()
    }
}

/// Keeps the newer of two states of an article.
fn keep_newer(map: &mut Articles, id: String, state: ArticleState) {
    match map.get(&id) {
        Some(have) if have.updated > state.updated => {}
        _ => {
            map.insert(id, state);
        }
    }
}

/// The writer of one state file in this process.
#[derive(Debug)]
struct Writer {
    path: PathBuf,
    queue: Mutex<Queue>,
    done: Condvar,
}

#[derive(Debug, Default)]
struct Queue {
    /// Changes waiting to be written.
    pending: Articles,
    /// Whether a writer thread runs.
    running: bool,
    /// The first failure not reported yet.
    error: Option<String>,
    /// The file as last written, and a generation counting the writes.
    written: Option<(u64, Arc<Articles>)>,
}

impl Writer {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The queue once no write is running.
    fn idle(&self) -> MutexGuard<'_, Queue> {
        let mut queue = self.lock();
        while queue.running {
            queue = self
                .done
                .wait(queue)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
        queue
    }

    /// The writer thread: writes until nothing is pending, or a write fails (its changes stay
    /// pending for the next save).
    fn run(&self) {
        loop {
            let job = {
                let mut queue = self.lock();
                if queue.pending.is_empty() {
                    queue.running = false;
                    self.done.notify_all();
                    return;
                }
                std::mem::take(&mut queue.pending)
            };
            let result = self.write(&job);
            let mut queue = self.lock();
            match result {
                Ok(written) => {
                    let generation = queue.written.as_ref().map_or(0, |(g, _)| *g) + 1;
                    queue.written = Some((generation, Arc::new(written)));
                }
                Err(e) => {
                    for (id, state) in job {
                        keep_newer(&mut queue.pending, id, state);
                    }
                    queue.error.get_or_insert(e);
                    queue.running = false;
                    self.done.notify_all();
                    return;
                }
            }
        }
    }

    /// Merges `job` into the file: ours win unless the file has a newer change.
    fn write(&self, job: &Articles) -> Result<Articles, String> {
        let path = &self.path;
        let shown = escape::path(path);
        let mut on_disk = match read_regular(path, MAX_STATE_BYTES) {
            Ok(bytes) => {
                if let Ok(f) = serde_json::from_slice::<File>(&bytes) {
                    f.articles
                } else {
                    // Something else wrote there: keep it aside rather than overwrite it.
                    move_aside(path).map_err(|e| {
                        escape::display(&format!(
                            "reading positions were not saved: {shown} is no longer readable state and could not be moved aside ({e})."
                        ))
                        .into_owned()
                    })?;
                    Articles::new()
                }
            }
            Err(ReadError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => Articles::new(),
            Err(e) => {
                return Err(escape::display(&format!(
                    "reading positions could not be saved to {shown} ({e})."
                ))
                .into_owned());
            }
        };
        for (id, mine) in job {
            keep_newer(&mut on_disk, id.clone(), *mine);
        }
        let file = File {
            version: 1,
            articles: on_disk,
        };
        write_atomic(path, &file).map_err(|e| {
            escape::display(&format!(
                "reading positions could not be saved to {shown} ({e})."
            ))
            .into_owned()
        })?;
        Ok(file.articles)
    }
}

/// The writers of this process, by file.
fn writers() -> MutexGuard<'static, HashMap<PathBuf, Weak<Writer>>> {
    static WRITERS: OnceLock<Mutex<HashMap<PathBuf, Weak<Writer>>>> = OnceLock::new();
    WRITERS
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The one writer of `path` in this process.
fn writer_for(path: &Path) -> Arc<Writer> {
    let key = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut all = writers();
    if let Some(w) = all.get(&key).and_then(Weak::upgrade) {
        return w;
    }
    all.retain(|_, w| w.strong_count() > 0);
    let w = Arc::new(Writer {
        path: path.to_path_buf(),
        queue: Mutex::default(),
        done: Condvar::new(),
    });
    all.insert(key, Arc::downgrade(&w));
    w
}

/// Waits for every save in flight in this process and returns the failures not reported yet,
/// one sentence each (for the end of a run: the last save was queued as the reader closed).
pub fn flush_all() -> Vec<String> {
    let live: Vec<Arc<Writer>> = writers().values().filter_map(Weak::upgrade).collect();
    live.iter().filter_map(|w| w.idle().error.take()).collect()
}

/// A temporary name beside `path`, unique per process and per save: `.state.json.PID.N.tmp`.
fn temp_name(path: &Path) -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    path.with_file_name(format!(
        ".{}.{}.{n}.tmp",
        file_name(path),
        std::process::id()
    ))
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map_or_else(|| "state.json".into(), |n| n.to_string_lossy().into_owned())
}

/// Removes the temporary files a killed run left beside `path`: those of a process that is
/// gone, and any older than a minute.
fn remove_stale_temps(path: &Path) {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let prefix = format!(".{}.", file_name(path));
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(middle) = name
            .to_str()
            .and_then(|n| n.strip_prefix(prefix.as_str()))
            .and_then(|n| n.strip_suffix(".tmp"))
        else {
            continue;
        };
        let Some(pid) = middle.split('.').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        let old = entry
            .metadata()
            .ok()
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > STALE_TEMP);
        let gone = pid != std::process::id() && !process_alive(pid);
        if old || gone {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Whether a process runs (from `/proc`; where there is none, every process counts as running
/// and only the age of a temporary file tells).
fn process_alive(pid: u32) -> bool {
    let proc = Path::new("/proc");
    !proc.join("self").exists() || proc.join(pid.to_string()).exists()
}

fn write_atomic(path: &Path, file: &File) -> std::io::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    if let Some(d) = dir {
        std::fs::create_dir_all(d)?;
    }
    let mut bytes = serde_json::to_vec(file)?;
    bytes.push(b'\n');
    // Never write what could not be read back.
    if bytes.len() as u64 > MAX_STATE_BYTES {
        return Err(std::io::Error::other(format!(
            "it would take {}, over the limit of {}",
            crate::library::size_text(bytes.len() as u64),
            crate::library::size_text(MAX_STATE_BYTES)
        )));
    }
    let tmp = temp_name(path);
    let result = (|| {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            // Reading habits are nobody else's business.
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        let mut f = options.open(&tmp)?;
        f.write_all(&bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Moves a file that is not usable state out of the way; returns where it went.
fn move_aside(path: &Path) -> std::io::Result<PathBuf> {
    let secs = now_millis() / 1000;
    let aside = path.with_file_name(format!("{}.corrupt-{secs}", file_name(path)));
    std::fs::rename(path, &aside)?;
    Ok(aside)
}

fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests;
