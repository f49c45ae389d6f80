//! The reader's search through the library database: building it brings the database up to
//! date with the library's folders (files whose size and mtime are unchanged are not read),
//! then each query is answered by the full-text index instead of folded copies of every body
//! in memory.
//!
//! The database answers only for a library it holds whole: when an article of the library has
//! no row after the rescan (a newsboat cache, a file that could not be read), or the database
//! cannot be opened, [`maker`]'s finder is `None` and the reader's index is built in memory as
//! before. A query the database fails on is answered from the files, the same way.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use super::Db;
use crate::library::Library;
use crate::search::{Finder, Hit, Index, MakeFinder, Query};

/// How often a query under way looks whether it was cancelled.
const CANCEL_POLL: std::time::Duration = std::time::Duration::from_millis(5);

/// A library's search through its database.
#[derive(Debug)]
pub struct DbFinder {
    db: Mutex<Db>,
    /// Catalog id → the article's index in the library.
    of_row: HashMap<i64, usize>,
    lib: Arc<Library>,
    /// The index in memory, built only if the database fails a query.
    fallback: OnceLock<Index>,
}

impl DbFinder {
    /// Brings `db` up to date with `roots` and maps its rows to the articles of `lib`; `None`
    /// when the rescan fails or some article of `lib` is not in the database.
    ///
    /// A library read from this database's catalog ([`Library::from_catalog`]) is what the
    /// database holds: it is searched at once, with no rescan (the watcher reads the folders
    /// and, when a file changed, hands over a newer library, whose index brings the database
    /// up to date).
    pub fn new(
        mut db: Db,
        roots: &[PathBuf],
        lib: &Arc<Library>,
        progress: &crate::progress::Shared,
    ) -> Option<Self> {
        if !lib.is_from_catalog() {
            for root in roots {
                if std::fs::metadata(root).is_ok_and(|m| m.is_dir() || m.is_file()) {
                    db.scan(root, |d, t| progress.update(d, t)).ok()?;
                }
            }
        }
        let mut of_row = HashMap::with_capacity(lib.len());
        for (i, e) in lib.entries().enumerate() {
            // An article kept open after its file went is no longer in the database, and
            // found by no search.
            if lib.is_gone(i) {
                continue;
            }
            let id = match lib.catalog_id(i) {
                Some(id) => id,
                None => db.id_of(&e.identity.path, &e.identity.key).ok()??,
            };
            of_row.insert(id, i);
        }
        Some(Self {
            db: Mutex::new(db),
            of_row,
            lib: Arc::clone(lib),
            fallback: OnceLock::new(),
        })
    }
}

impl Finder for DbFinder {
    fn find(&self, query: &Query, cancel: &AtomicBool) -> Option<Vec<Hit>> {
        let ranked = {
            let db = self.db.lock().unwrap_or_else(PoisonError::into_inner);
            let interrupt = db.conn().get_interrupt_handle();
            let answered = AtomicBool::new(false);
            // A long query (a pasted paragraph of terms) gives way to the next key: the
            // database is interrupted as soon as the search is cancelled.
            std::thread::scope(|s| {
                s.spawn(|| {
                    // Again and again: an interrupt between two of the query's statements
                    // stops nothing, so the next one is interrupted too.
                    while !answered.load(Ordering::Acquire) {
                        if cancel.load(Ordering::Acquire) {
                            interrupt.interrupt();
                        }
                        std::thread::sleep(CANCEL_POLL);
                    }
                });
                let r = db.search_where(query, |id| self.of_row.contains_key(&id), usize::MAX);
                answered.store(true, Ordering::Release);
                r
            })
        };
        if cancel.load(Ordering::Acquire) {
            // A newer key came while the database answered: this answer is not wanted.
            return None;
        }
        let Ok(ranked) = ranked else {
            return self
                .fallback
                .get_or_init(|| Index::build(&self.lib))
                .search_cancellable(query, None, cancel);
        };
        let n = ranked.top.len();
        Some(
            ranked
                .top
                .into_iter()
                .enumerate()
                .filter_map(|(rank, h)| {
                    Some(Hit {
                        index: *self.of_row.get(&h.id)?,
                        title_terms: h.title_terms,
                        count: n - rank,
                    })
                })
                .collect(),
        )
    }
}

/// What makes the reader's search go through the database at `path` for the library of
/// `roots` (see the module's doc).
pub fn maker(path: PathBuf, roots: Vec<PathBuf>) -> MakeFinder {
    Arc::new(move |lib, progress| {
        let (db, _moved) = Db::open(&path).ok()?;
        DbFinder::new(db, &roots, lib, progress).map(|f| Box::new(f) as Box<dyn Finder>)
    })
}
