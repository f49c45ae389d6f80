//! The library kept current while the reader runs: the folders opened are watched (inotify
//! and its kin, through `notify`) and read again a moment after something changed, and every
//! [`RESCAN_EVERY`] in any case (the only way when the watcher cannot start). A rescan walks
//! the folders again and reads only the files whose size or modification time changed.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, Weak};
use std::time::{Duration, Instant, SystemTime};

use notify::Watcher as _;

use super::{Item, Library, Origin, SourceFile};

/// How often the folders are read again when nothing was heard from the watcher …
pub const RESCAN_EVERY: Duration = Duration::from_secs(30);
/// … or this many times as long as the last reading took, when that is longer: looking at a
/// million files' sizes and times takes seconds, and an idle reader spends about 1% of a core
/// on it, not a tenth.
const RESCAN_COST_FACTOR: u32 = 100;
/// How long the folders must be quiet after an event before they are read again …
const QUIET: Duration = Duration::from_millis(300);
/// … but a stream of events waits no longer than this.
const MAX_WAIT: Duration = Duration::from_secs(2);
/// The watcher's queue of events: when it is full, events are dropped (a rescan is due anyway).
const QUEUED_EVENTS: usize = 256;

/// A file's size and modification time (and those of its write-ahead log, for a database).
pub(super) type Stamp = (u64, Option<SystemTime>, Option<(u64, Option<SystemTime>)>);

fn stat(path: &Path) -> Option<(u64, Option<SystemTime>)> {
    let m = std::fs::metadata(path).ok()?;
    Some((m.len(), m.modified().ok()))
}

/// The stamp of a file on disk (none for an embedded one, or a file that cannot be seen).
pub(super) fn stamp_of(source: &SourceFile) -> Option<Stamp> {
    let Origin::Disk(path) = &source.origin else {
        return None;
    };
    let (len, mtime) = stat(path)?;
    let wal = source.format.reads_path().then(|| {
        let mut p = path.clone().into_os_string();
        p.push("-wal");
        stat(Path::new(&p))
    });
    Some((len, mtime, wal.flatten()))
}

impl Library {
    /// The library under `paths` as it is now, or none when no file changed since this one
    /// was read. Files whose size and modification time are unchanged are not read again.
    pub fn rescan(&self, paths: &[PathBuf]) -> Option<Self> {
        let (name, mut sources, walked) = Self::gather(paths);
        // By the path's bytes (a `Path` hashes component by component, a tenth of a rescan
        // of a million files): a path spelt otherwise is only read again.
        let old: HashMap<&std::ffi::OsStr, usize> = self
            .sources
            .iter()
            .enumerate()
            .filter_map(|(i, s)| match &s.origin {
                Origin::Disk(p) => Some((p.as_os_str(), i)),
                Origin::Embedded(_) => None,
            })
            .collect();
        let reuse: Vec<Option<usize>> = sources
            .iter_mut()
            .map(|s| {
                let Origin::Disk(p) = &s.origin else {
                    return None;
                };
                let &i = old.get(p.as_os_str())?;
                let stamp = stamp_of(s);
                s.stamp = stamp;
                (stamp.is_some() && self.sources[i].stamp == stamp).then_some(i)
            })
            .collect();
        if sources.len() == self.sources.len()
            && reuse.iter().all(Option::is_some)
            && walked[..] == self.problems[..self.walked.min(self.problems.len())]
        {
            return None;
        }
        let mut lib = Self::catalogue_reusing(name, sources, Some((self, &reuse)));
        lib.key.clone_from(&self.key);
        lib.walked = walked.len();
        let mut problems = walked;
        problems.append(&mut lib.problems);
        lib.problems = problems;
        Some(lib)
    }

    /// Whether article `i` is one whose file vanished while it was open (listed nowhere).
    pub fn is_gone(&self, i: usize) -> bool {
        self.items.get(i).is_some_and(|item| item.gone)
    }

    /// Keeps article `i` of `old`, shown as `article`, in this library although its file is
    /// gone, listed nowhere: its index here.
    pub fn keep_gone(
        &mut self,
        old: &Library,
        i: usize,
        article: Arc<crate::article::Article>,
    ) -> usize {
        let was = &old.items[i];
        let mut source = old.sources[was.file].clone();
        source.stamp = None;
        source.problems.clear();
        self.sources.push(source);
        // Listed nowhere: the orders made already, and whether the list is in id order, stay
        // true.
        self.items.push(Item {
            entry: was.entry.clone(),
            file: self.sources.len() - 1,
            index: was.index,
            pinned: Some(article),
            gone: true,
            row: None,
        });
        self.items.len() - 1
    }

    /// What changed from `old` to this library, for the status line ("3 articles added, 1
    /// removed"); none when the articles are the same.
    pub fn changes_from(&self, old: &Library) -> Option<String> {
        let (added, removed, changed) = count_changes(old, self);
        let mut parts = Vec::new();
        let s = |n: usize| if n == 1 { "" } else { "s" };
        for (n, what) in [(added, "added"), (removed, "removed"), (changed, "changed")] {
            if n > 0 {
                let noun = if parts.is_empty() {
                    format!("{n} article{} ", s(n))
                } else {
                    format!("{n} ")
                };
                parts.push(format!("{noun}{what}"));
            }
        }
        (!parts.is_empty()).then(|| format!("the library changed: {}", parts.join(", ")))
    }
}

/// The articles `new` has that `old` has not, those it lost, and those of both whose identity
/// changed (by id). A walk of both in step when both are in id order, as a library walked or
/// read from the catalog nearly always is (a million articles compared in milliseconds, on the
/// input path); else through a map of one of them.
fn count_changes(old: &Library, new: &Library) -> (usize, usize, usize) {
    fn listed(lib: &Library) -> impl Iterator<Item = &super::Entry> + Clone {
        lib.items.iter().filter(|i| !i.gone).map(|i| &*i.entry)
    }
    let (mut added, mut removed, mut changed) = (0, 0, 0);
    if old.in_id_order() && new.in_id_order() {
        let (mut a, mut b) = (listed(old).peekable(), listed(new).peekable());
        loop {
            match (a.peek(), b.peek()) {
                (Some(x), Some(y)) => match x.id.cmp(&y.id) {
                    std::cmp::Ordering::Less => {
                        removed += 1;
                        a.next();
                    }
                    std::cmp::Ordering::Greater => {
                        added += 1;
                        b.next();
                    }
                    std::cmp::Ordering::Equal => {
                        changed += usize::from(x.identity != y.identity);
                        a.next();
                        b.next();
                    }
                },
                (Some(_), None) => {
                    removed += 1;
                    a.next();
                }
                (None, Some(_)) => {
                    added += 1;
                    b.next();
                }
                (None, None) => break,
            }
        }
        return (added, removed, changed);
    }
    let ids = |lib| -> HashMap<&str, &crate::store::Identity> {
        listed(lib).map(|e| (e.id.as_str(), &e.identity)).collect()
    };
    let (before, after) = (ids(old), ids(new));
    added = after.keys().filter(|k| !before.contains_key(*k)).count();
    removed = before.keys().filter(|k| !after.contains_key(*k)).count();
    changed = after
        .iter()
        .filter(|(k, v)| before.get(*k).is_some_and(|b| b != *v))
        .count();
    (added, removed, changed)
}

/// What changed from one library of a feed to the next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Changes {
    /// Not counted (a library published by [`Feed::publish`]).
    Uncounted,
    /// Counted by the watcher: the status line's sentence, none when the articles are the same.
    Counted(Option<String>),
}

/// A library kept current: the latest one read, and the readers to wake when a newer one
/// comes. One feed serves every reader of a process (every session of a server).
pub struct Feed {
    /// The latest library, its generation, and what changed from the generation before.
    latest: Mutex<(u64, Arc<Library>, Changes)>,
    /// Each returns false once its reader is gone.
    wakers: Mutex<Vec<Box<dyn Fn() -> bool + Send + Sync>>>,
    /// The one-line message of a watcher that could not start (it starts on the feed's own
    /// thread, so the first frame does not wait for a watch on every folder).
    note: OnceLock<String>,
    /// How many times the folders were read again.
    rescans: AtomicU64,
}

impl std::fmt::Debug for Feed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Feed").finish_non_exhaustive()
    }
}

impl Feed {
    /// A feed of `lib` that nothing updates but [`Self::publish`] (for tests).
    pub fn fixed(lib: Arc<Library>) -> Arc<Self> {
        Arc::new(Self {
            latest: Mutex::new((0, lib, Changes::Uncounted)),
            wakers: Mutex::default(),
            note: OnceLock::new(),
            rescans: AtomicU64::new(0),
        })
    }

    /// The latest library and its generation (0 for the one first read).
    pub fn latest(&self) -> (u64, Arc<Library>) {
        let l = self.latest.lock().unwrap_or_else(PoisonError::into_inner);
        (l.0, Arc::clone(&l.1))
    }

    /// The latest library, its generation, and what changed from the generation before it
    /// ([`Library::changes_from`], counted on the watcher's thread so that no reader counts
    /// it on its input path).
    pub fn latest_with_changes(&self) -> (u64, Arc<Library>, Changes) {
        let l = self.latest.lock().unwrap_or_else(PoisonError::into_inner);
        (l.0, Arc::clone(&l.1), l.2.clone())
    }

    /// Why the folders are only read again every [`RESCAN_EVERY`], when the watcher could not
    /// start (known once its thread tried: the readers are woken then).
    pub fn note(&self) -> Option<&str> {
        self.note.get().map(String::as_str)
    }

    /// How many times the folders were read again since the feed started (each read looks at
    /// every file's size and modification time).
    pub fn rescans(&self) -> u64 {
        self.rescans.load(Ordering::Relaxed)
    }

    /// Calls `wake` whenever a newer library comes, until it returns false.
    pub fn subscribe(&self, wake: Box<dyn Fn() -> bool + Send + Sync>) {
        self.wakers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(wake);
    }

    /// Makes `lib` the latest library and wakes every reader.
    pub fn publish(&self, lib: Arc<Library>) {
        self.publish_counted(lib, Changes::Uncounted);
    }

    /// [`Self::publish`], with what changed from the latest library, when counted.
    fn publish_counted(&self, lib: Arc<Library>, changes: Changes) {
        {
            let mut l = self.latest.lock().unwrap_or_else(PoisonError::into_inner);
            *l = (l.0 + 1, lib, changes);
        }
        self.wake();
    }

    /// Wakes every reader.
    fn wake(&self) {
        let mut wakers = self.wakers.lock().unwrap_or_else(PoisonError::into_inner);
        wakers.retain(|wake| {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(wake)).unwrap_or(false)
        });
    }
}

/// Keeps `lib`, read from `paths`, current on a background thread: the feed it publishes to.
/// The thread ends once the feed is dropped.
pub fn watch(paths: Vec<PathBuf>, lib: Arc<Library>) -> Arc<Feed> {
    start(paths, lib, None)
}

/// [`watch`] for a reader that shows `first`, the first page of its library
/// ([`Library::first_page`]): the background thread reads the whole library with `load` first
/// and publishes it (no change is counted: it is the same library, whole), then keeps that
/// current.
pub fn watch_loading(
    paths: Vec<PathBuf>,
    first: Arc<Library>,
    load: Box<dyn FnOnce() -> Library + Send>,
) -> Arc<Feed> {
    start(paths, first, Some(load))
}

fn start(
    paths: Vec<PathBuf>,
    lib: Arc<Library>,
    load: Option<Box<dyn FnOnce() -> Library + Send>>,
) -> Arc<Feed> {
    let feed = Arc::new(Feed {
        latest: Mutex::new((0, lib, Changes::Uncounted)),
        wakers: Mutex::default(),
        note: OnceLock::new(),
        rescans: AtomicU64::new(0),
    });
    let weak = Arc::downgrade(&feed);
    let spawned = std::thread::Builder::new()
        .name("qari-watch".to_owned())
        .spawn(move || {
            if let Some(load) = load {
                let whole = load();
                // The list's default order, made here rather than on the readers' input path.
                let _ = whole.view(super::SortKey::Date);
                let Some(feed) = weak.upgrade() else { return };
                feed.publish_counted(Arc::new(whole), Changes::Counted(None));
            }
            let (tx, rx) = std::sync::mpsc::sync_channel::<()>(QUEUED_EVENTS);
            let _watcher = match start_watcher(&paths, tx) {
                Ok(w) => Some(w),
                Err(e) => {
                    let note = format!(
                        "the library folders are not watched ({}): they are read again every {} s",
                        crate::escape::display(&e.to_string()),
                        RESCAN_EVERY.as_secs()
                    );
                    tracing::warn!("{note}");
                    if let Some(feed) = weak.upgrade() {
                        let _ = feed.note.set(note);
                        feed.wake();
                    }
                    None
                }
            };
            run(&paths, &rx, &weak);
        });
    if spawned.is_err() {
        tracing::warn!("the library watcher could not start: no thread is left");
    }
    feed
}

/// Whether an event of this kind may change the library. A file or folder opened, read or
/// closed unwritten changes nothing: those events come of every read of the library (an
/// article opened, a snippet read, another program's walk) and of each rescan's own walk of
/// the folders, which would otherwise call for the next rescan without end.
fn is_change(kind: notify::EventKind) -> bool {
    use notify::event::{AccessKind, AccessMode};
    match kind {
        notify::EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        notify::EventKind::Access(_) => false,
        _ => true,
    }
}

/// Watches every folder recursively, and the folder of every file named (so a file replaced
/// by a rename, or a database's log, is seen).
fn start_watcher(
    paths: &[PathBuf],
    tx: SyncSender<()>,
) -> notify::Result<notify::RecommendedWatcher> {
    let mut w = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if event.as_ref().is_ok_and(|e| !is_change(e.kind)) {
            return;
        }
        // A full queue already asks for a rescan: the event is dropped.
        let _ = tx.try_send(());
    })?;
    let mut watched = HashSet::new();
    for p in paths {
        let (target, mode) = if p.is_dir() {
            (p.clone(), notify::RecursiveMode::Recursive)
        } else {
            let parent = p.parent().filter(|d| !d.as_os_str().is_empty());
            (
                parent.map_or_else(|| PathBuf::from("."), Path::to_path_buf),
                notify::RecursiveMode::NonRecursive,
            )
        };
        if watched.insert(target.clone()) {
            w.watch(&target, mode)?;
        }
    }
    Ok(w)
}

/// The watcher's loop: waits for an event (then for the folders to be quiet) or for the
/// rescan period, reads the library again, publishes what changed.
fn run(paths: &[PathBuf], rx: &Receiver<()>, feed: &Weak<Feed>) {
    let mut heard = true;
    let mut period = RESCAN_EVERY;
    // A library made from the database's catalog is checked against the files at once.
    let mut due = feed
        .upgrade()
        .is_some_and(|f| f.latest().1.is_from_catalog());
    loop {
        let woke = if std::mem::take(&mut due) {
            Err(RecvTimeoutError::Timeout)
        } else if heard {
            rx.recv_timeout(period)
        } else {
            // The watcher is gone (or never started): only the period is left.
            std::thread::sleep(period);
            Err(RecvTimeoutError::Timeout)
        };
        match woke {
            Ok(()) => {
                let start = Instant::now();
                while start.elapsed() < MAX_WAIT {
                    match rx.recv_timeout(QUIET) {
                        Ok(()) => {}
                        Err(RecvTimeoutError::Timeout) => break,
                        Err(RecvTimeoutError::Disconnected) => {
                            heard = false;
                            break;
                        }
                    }
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => heard = false,
        }
        let Some(feed) = feed.upgrade() else { return };
        let (_, lib) = feed.latest();
        let started = Instant::now();
        let new = lib.rescan(paths);
        period = period_after(started.elapsed());
        feed.rescans.fetch_add(1, Ordering::Relaxed);
        if let Some(new) = new {
            // The list's default order and the count of changes, made here rather than on the
            // readers' input path.
            let _ = new.view(super::SortKey::Date);
            let changes = new.changes_from(&lib);
            feed.publish_counted(Arc::new(new), Changes::Counted(changes));
        }
    }
}

/// How long to wait for the next rescan when nothing is heard, after one that took `cost`.
fn period_after(cost: Duration) -> Duration {
    RESCAN_EVERY.max(cost.saturating_mul(RESCAN_COST_FACTOR))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use super::{Library, RESCAN_EVERY, period_after, watch};

    #[test]
    fn the_rescan_period_grows_with_what_a_rescan_costs() {
        assert_eq!(period_after(Duration::ZERO), RESCAN_EVERY);
        assert_eq!(period_after(Duration::from_millis(40)), RESCAN_EVERY);
        // A million files: 3.5 s to look at, read again about every six minutes.
        assert_eq!(
            period_after(Duration::from_millis(3500)),
            Duration::from_secs(350)
        );
        assert_eq!(period_after(Duration::MAX), Duration::MAX);
    }

    /// Waits until `done` holds, for 20 s at most.
    fn until(what: &str, done: impl Fn() -> bool) {
        let start = Instant::now();
        while !done() {
            assert!(start.elapsed() < Duration::from_secs(20), "{what}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    #[test]
    fn changes_are_counted_alike_whether_or_not_the_libraries_are_in_id_order() {
        for with_feed in [false, true] {
            let dir = tempfile::tempdir().unwrap();
            let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text);
            for name in ["a.txt", "b.txt", "c.txt"] {
                write(name, &format!("{name}\n2024-05-01\n\nBody.\n")).unwrap();
            }
            if with_feed {
                // Eleven records: `#10` sorts before `#2`, so the library is not in id order.
                let records: Vec<String> = (1..=11)
                    .map(|n| format!(r#"{{"title": "T{n}", "text": "x", "date": "2025-01-05"}}"#))
                    .collect();
                write("feed.jsonl", &records.join("\n")).unwrap();
            }
            let paths = vec![dir.path().to_path_buf()];
            let old = Library::open(&paths);
            assert_eq!(Library::open(&paths).changes_from(&old), None);
            std::fs::remove_file(dir.path().join("a.txt")).unwrap();
            write("b.txt", "b, edited\n2024-05-01\n\nOther body.\n").unwrap();
            write("d.txt", "d\n2024-05-01\n\nBody.\n").unwrap();
            assert_eq!(
                Library::open(&paths).changes_from(&old).as_deref(),
                Some("the library changed: 1 article added, 1 removed, 1 changed"),
                "with the feed: {with_feed}"
            );
        }
    }

    #[test]
    fn reading_the_library_calls_for_no_rescan_but_a_new_file_does() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("a.txt"), "A\n2024-05-01\n\nBody.\n").unwrap();
        std::fs::write(dir.path().join("sub/b.txt"), "B\n2024-05-01\n\nBody.\n").unwrap();
        let paths = vec![dir.path().to_path_buf()];
        let feed = watch(paths.clone(), Arc::new(Library::open(&paths)));
        // The watcher starts on its thread: files are added until it sees one.
        let n = std::cell::Cell::new(0);
        until("the watcher saw no new file", || {
            n.set(n.get() + 1);
            let name = dir.path().join(format!("new{}.txt", n.get()));
            std::fs::write(name, "New\n2024-05-02\n\nBody.\n").unwrap();
            std::thread::sleep(Duration::from_millis(200));
            feed.latest().0 > 0
        });
        until("the rescans did not settle", || {
            let before = feed.rescans();
            std::thread::sleep(Duration::from_secs(1));
            feed.rescans() == before
        });
        let (generation, rescans) = (feed.latest().0, feed.rescans());
        // Every file and folder opened and read, as a reader or another program does.
        for _ in 0..5 {
            let lib = Library::open(&paths);
            for i in 0..lib.len() {
                lib.article(i).unwrap();
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        std::thread::sleep(Duration::from_secs(1));
        assert_eq!(feed.rescans(), rescans, "reads called for a rescan");
        std::fs::write(dir.path().join("sub/c.txt"), "C\n2024-05-03\n\nBody.\n").unwrap();
        until("the new file was not seen", || feed.latest().0 > generation);
        assert!(feed.latest().1.position("sub/c.txt").is_some());
    }
}
