//! The library's memory on disk: one `SQLite` file holding the catalog (one row per article,
//! with a stable identity), every reader's reading state, and a full-text index over the
//! same folding as [`crate::search::fold`].
//!
//! - [`Db::open`] opens (or creates) the file: WAL mode, a busy timeout, the schema brought up
//!   to date by an ordered list of migrations ([`schema`]). A file that is not `SQLite`, or is
//!   another application's database, or whose reading state fails its integrity check at open,
//!   is moved aside as `NAME.corrupt-SECONDS` and a fresh one is made; the caller gets one
//!   sentence to show.
//! - [`catalog`]: batch upserts in one transaction, "is this file unchanged", removal of
//!   vanished files, pages of rows in a sort order, the rows of a folder for the reader's first
//!   list ([`Db::rows_under`], once a scan of it ended).
//! - [`reading`]: reading state per reader, every change in its own immediate transaction, so
//!   concurrent processes and sessions never lose an update;
//! - [`legacy`]: the old `state.json`, read and imported once per reader.
//! - [`shelf`]: the one trait the app keeps reading state through ([`ReadingStore`]), its
//!   `SQLite` and in-memory implementations, and [`Shelf`], what the app holds (a store, and the
//!   changes kept in memory when the disk is read-only or full).
//! - [`fts`]: the full-text index: an FTS5 `trigram` table for terms of three characters and
//!   more, a table of one- and two-character grams for shorter terms; its answer set is exactly
//!   the scanner's (substring matching on folded text, every term present).
//!
//! The article files stay the truth: everything here can be rebuilt from them, except the
//! reading state.

pub mod catalog;
pub mod finder;
pub mod fts;
pub mod legacy;
pub mod reading;
pub mod scan;
pub mod schema;
pub mod shelf;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, ErrorCode, OpenFlags};

pub use catalog::{ArticleRow, Identity, ListRow, Order};
pub use fts::{Hit, IndexDoc, Indexed};
pub use reading::{Pos, Reader, ReadingState};
pub use shelf::{MemoryStore, ReadingStore, Shelf, SqliteStore};

/// How long a write waits for another process's transaction before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Why the store could not do what was asked. Every variant reads as one sentence naming the
/// file; the reader keeps working without the store when it sees one.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The file or its folder cannot be written (read-only file system, permissions).
    #[error("the library database {} is read-only ({reason})", crate::escape::path(.path))]
    ReadOnly {
        /// The database file.
        path: PathBuf,
        /// What the system said.
        reason: String,
    },
    /// The disk is full.
    #[error("the library database {} could not be written: the disk is full", crate::escape::path(.path))]
    DiskFull {
        /// The database file.
        path: PathBuf,
    },
    /// Another process held the database longer than [`BUSY_TIMEOUT`].
    #[error("the library database {} is busy in another process", crate::escape::path(.path))]
    Busy {
        /// The database file.
        path: PathBuf,
    },
    /// The database was found damaged while in use (at open it is moved aside instead).
    #[error("the library database {} is damaged ({reason})", crate::escape::path(.path))]
    Corrupt {
        /// The database file.
        path: PathBuf,
        /// What `SQLite` said.
        reason: String,
    },
    /// A file next to the database (the old state file) could not be read.
    #[error("{} could not be read ({reason})", crate::escape::path(.path))]
    Import {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// Anything else `SQLite` or the system reported.
    #[error("the library database {} failed ({reason})", crate::escape::path(.path))]
    Other {
        /// The database file.
        path: PathBuf,
        /// What was said.
        reason: String,
    },
}

impl StoreError {
    /// Classifies a rusqlite error met on `path`.
    pub fn from_sqlite(path: &Path, e: &rusqlite::Error) -> Self {
        let path = path.to_path_buf();
        let reason = crate::escape::display(&e.to_string()).into_owned();
        match e.sqlite_error_code() {
            Some(ErrorCode::ReadOnly | ErrorCode::CannotOpen | ErrorCode::PermissionDenied) => {
                Self::ReadOnly { path, reason }
            }
            Some(ErrorCode::DiskFull) => Self::DiskFull { path },
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => Self::Busy { path },
            Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => {
                Self::Corrupt { path, reason }
            }
            _ => Self::Other { path, reason },
        }
    }

    fn io(path: &Path, e: &std::io::Error) -> Self {
        let path = path.to_path_buf();
        let reason = crate::escape::display(&e.to_string()).into_owned();
        match e.kind() {
            std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem => {
                Self::ReadOnly { path, reason }
            }
            std::io::ErrorKind::StorageFull => Self::DiskFull { path },
            _ => Self::Other { path, reason },
        }
    }
}

/// A result of the store.
pub type Result<T> = std::result::Result<T, StoreError>;

/// An open library database.
#[derive(Debug)]
pub struct Db {
    conn: Connection,
    path: PathBuf,
    /// The most files, and about the most bytes, a scan stores in one transaction.
    batch: (usize, u64),
}

impl Db {
    /// The default file: `$QARI_DB`, else `library.db` in the XDG data directory.
    pub fn default_path() -> Option<PathBuf> {
        if let Some(p) = std::env::var_os("QARI_DB").filter(|p| !p.is_empty()) {
            return Some(PathBuf::from(p));
        }
        let dirs = directories::ProjectDirs::from("", "", "qari")?;
        Some(dirs.data_dir().join("library.db"))
    }

    /// Opens the database at `path` (`--db`), creating it and its folder when missing. A file
    /// that is not this application's database is moved aside and replaced; the second value is
    /// then the one sentence to show.
    pub fn open(path: &Path) -> Result<(Self, Option<String>)> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::io(path, &e))?;
        }
        // Processes opening a new file at once take turns making it (its journal mode, its
        // schema): a busy or locked file is tried again for up to the busy timeout.
        let started = std::time::Instant::now();
        let first = loop {
            match Self::open_checked(path) {
                Err(Refused::Again(e)) if started.elapsed() >= BUSY_TIMEOUT => {
                    break Err(Refused::Store(e));
                }
                Err(Refused::Again(_)) => std::thread::sleep(Duration::from_millis(10)),
                other => break other,
            }
        };
        match first {
            Ok(db) => Ok((db, None)),
            Err(Refused::Store(e) | Refused::Again(e)) => Err(e),
            Err(Refused::Foreign(why)) => {
                let aside = move_aside(path).map_err(|e| StoreError::io(path, &e))?;
                let db = Self::open_checked(path).map_err(|r| match r {
                    Refused::Store(e) | Refused::Again(e) => e,
                    Refused::Foreign(why) => StoreError::Corrupt {
                        path: path.to_path_buf(),
                        reason: why,
                    },
                })?;
                let msg = format!(
                    "{} {why}; it was moved to {} and a new library database was made.",
                    crate::escape::path(path),
                    crate::escape::path(&aside)
                );
                Ok((db, Some(crate::escape::display(&msg).into_owned())))
            }
        }
    }

    /// A database in memory: tests, and `qari search` of the embedded sample or when the file
    /// cannot be opened.
    pub fn in_memory() -> Result<Self> {
        let path = PathBuf::from(":memory:");
        let mut conn =
            Connection::open_in_memory().map_err(|e| StoreError::from_sqlite(&path, &e))?;
        schema::migrate(&mut conn).map_err(|e| StoreError::from_sqlite(&path, &e))?;
        Ok(Self {
            conn,
            path,
            batch: scan::BATCH,
        })
    }

    fn open_checked(path: &Path) -> std::result::Result<Self, Refused> {
        let sql = |e: rusqlite::Error| classify_open(path, &e);
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn = Connection::open_with_flags(path, flags).map_err(sql)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(sql)?;
        // Reading any page tells a file that is not `SQLite` at all. The three facts are read
        // in one transaction: another process may be making the file at this moment.
        conn.execute_batch("BEGIN").map_err(sql)?;
        let app: i64 = conn
            .pragma_query_value(None, "application_id", |r| r.get(0))
            .map_err(sql)?;
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(sql)?;
        let tables: i64 = conn
            .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))
            .map_err(sql)?;
        conn.execute_batch("COMMIT").map_err(sql)?;
        if app != schema::APPLICATION_ID && (app != 0 || tables > 0) {
            return Err(Refused::Foreign(
                "is not a qari library database (it belongs to another program)".to_owned(),
            ));
        }
        if version > schema::VERSION {
            return Err(Refused::Foreign(format!(
                "was written by a newer qari (schema {version}, this one knows {})",
                schema::VERSION
            )));
        }
        // The reading state, which nothing else can rebuild, is checked at every open (its
        // table and index: milliseconds); a check of the whole file would read all of it (1.2 s
        // for a library of 10,000 articles). Damage elsewhere, in what the files rebuild, is
        // reported as met ([`StoreError::Corrupt`]).
        let has_state: bool = conn
            .query_row(
                "SELECT EXISTS(SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'state')",
                [],
                |r| r.get(0),
            )
            .map_err(sql)?;
        let check = if has_state {
            "PRAGMA quick_check(state)"
        } else {
            "PRAGMA quick_check(1)"
        };
        let quick: String = conn.query_row(check, [], |r| r.get(0)).map_err(sql)?;
        if quick != "ok" {
            return Err(Refused::Foreign(format!(
                "was damaged ({})",
                crate::escape::display(&quick)
            )));
        }
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(sql)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(sql)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(sql)?;
        schema::migrate(&mut conn).map_err(sql)?;
        #[cfg(unix)]
        {
            // Reading habits are nobody else's business.
            use std::os::unix::fs::PermissionsExt as _;
            let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
        }
        Ok(Self {
            conn,
            path: path.to_path_buf(),
            batch: scan::BATCH,
        })
    }

    /// This database, storing at most `files` files and about `bytes` bytes of them in each
    /// transaction of a scan (by default [`scan::BATCH`]): smaller transactions, for tests of
    /// what a kill loses.
    #[must_use]
    pub fn with_batches(mut self, files: usize, bytes: u64) -> Self {
        self.batch = (files.max(1), bytes);
        self
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The connection, for the submodules.
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Runs `f` in one immediate transaction (the write lock is taken at the start, so two
    /// writers queue instead of failing), committed when `f` succeeds.
    pub(crate) fn write<T>(
        &mut self,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> rusqlite::Result<T>,
    ) -> Result<T> {
        let path = self.path.clone();
        let err = |e: rusqlite::Error| StoreError::from_sqlite(&path, &e);
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(err)?;
        let out = f(&tx).map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(out)
    }

    /// Maps a rusqlite error met on this database.
    pub(crate) fn err(&self, e: &rusqlite::Error) -> StoreError {
        StoreError::from_sqlite(&self.path, e)
    }

    /// `PRAGMA integrity_check`: the problems `SQLite` found in the file, none when it is
    /// sound.
    pub fn integrity_check(&self) -> Result<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare("PRAGMA integrity_check")
            .map_err(|e| self.err(&e))?;
        let rows: Vec<String> = stmt
            .query_map([], |r| r.get(0))
            .and_then(Iterator::collect)
            .map_err(|e| self.err(&e))?;
        Ok(if rows == ["ok"] { Vec::new() } else { rows })
    }

    /// A value of the `meta` table.
    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        use rusqlite::OptionalExtension as _;
        self.conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(|e| self.err(&e))
    }
}

enum Refused {
    /// The file is not (usable as) this application's database: move it aside.
    Foreign(String),
    /// The system refused: report it.
    Store(StoreError),
    /// Another process holds the file for a moment: try again.
    Again(StoreError),
}

fn classify_open(path: &Path, e: &rusqlite::Error) -> Refused {
    match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) => Refused::Foreign("is not an SQLite database".to_owned()),
        Some(ErrorCode::DatabaseCorrupt) => Refused::Foreign("was damaged".to_owned()),
        Some(
            ErrorCode::DatabaseBusy
            | ErrorCode::DatabaseLocked
            | ErrorCode::FileLockingProtocolFailed,
        ) => Refused::Again(StoreError::from_sqlite(path, e)),
        _ => Refused::Store(StoreError::from_sqlite(path, e)),
    }
}

/// Moves a database that cannot be used out of the way, with its WAL and shared-memory files;
/// returns where it went.
fn move_aside(path: &Path) -> std::io::Result<PathBuf> {
    let secs = now_millis() / 1000;
    let name = path
        .file_name()
        .map_or_else(|| "library.db".into(), |n| n.to_string_lossy().into_owned());
    let aside = path.with_file_name(format!("{name}.corrupt-{secs}"));
    std::fs::rename(path, &aside)?;
    for suffix in ["-wal", "-shm"] {
        let side = path.with_file_name(format!("{name}{suffix}"));
        if side.exists() {
            let _ = std::fs::rename(
                &side,
                aside.with_file_name(format!("{name}.corrupt-{secs}{suffix}")),
            );
        }
    }
    Ok(aside)
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
