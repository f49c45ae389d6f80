//! Reading newsboat's `cache.db`: its items out of `SQLite`, handed to
//! [`article::from_cache`] to become articles.
//!
//! The cache is opened through `SQLite` read-only and immutable (`mode=ro&immutable=1`): qari
//! takes no lock, writes no journal and changes nothing, whether newsboat runs or not. `SQLite`'s
//! length limit caps every value read from the file; the number of items read is capped too.

use std::fmt::Write as _;
use std::io::Read;
use std::path::Path;

use rusqlite::limits::Limit;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};

use crate::article::{self, ArticleError, CacheItem, Loaded, clean_inline};

/// Why a newsboat cache gave no article.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// The file is empty.
    #[error("the file is empty")]
    Empty,
    /// The system refused to open or read it.
    #[error("it cannot be read ({0})")]
    Unreadable(String),
    /// A FIFO, a device or a folder in the cache's place.
    #[error("it is not a regular file, so not a newsboat cache")]
    NotRegular,
    /// It does not start as an `SQLite` database does.
    #[error("it is not an SQLite database, so not a newsboat cache")]
    NotSqlite,
    /// `SQLite` would not open it.
    #[error("it cannot be opened as SQLite ({0})")]
    CannotOpen(String),
    /// `SQLite` failed on it.
    #[error("it is a damaged SQLite database ({0})")]
    Damaged(String),
    /// A database without newsboat's tables.
    #[error(
        "it is an SQLite database but not a newsboat cache (it has no rss_item and rss_feed tables)"
    )]
    NoTables,
    /// Newsboat's tables without the columns qari reads.
    #[error("it is an SQLite database but not a newsboat cache (it lacks the columns {0})")]
    MissingColumns(String),
    /// Its items gave no article.
    #[error(transparent)]
    Article(#[from] ArticleError),
}

/// Items read from one cache; the rest are left with a warning.
const MAX_ITEMS: usize = 200_000;
/// The longest value (a title, an item's HTML) `SQLite` hands over from the file.
const MAX_VALUE_BYTES: i32 = 16 * 1024 * 1024;

/// The columns of `rss_item` qari needs; a table without them is not newsboat's.
const ITEM_COLUMNS: &[&str] = &[
    "id", "title", "url", "feedurl", "pubDate", "content", "unread",
];

/// The file as a read-only, immutable `SQLite` URI (every byte outside the unreserved set and `/`
/// percent-encoded, so no `?` or `#` in a name is read as part of the URI).
fn uri(path: &Path) -> String {
    #[cfg(unix)]
    let bytes = {
        use std::os::unix::ffi::OsStrExt;
        path.as_os_str().as_bytes().to_vec()
    };
    #[cfg(not(unix))]
    let bytes = path.to_string_lossy().into_owned().into_bytes();
    let mut out = String::from("file:");
    for b in bytes {
        if b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out.push_str("?mode=ro&immutable=1");
    out
}

/// A message from `SQLite`, on one line without a control.
fn why(e: &rusqlite::Error) -> String {
    /// `SQLite` may quote a damaged file's own schema: enough of it to say where, no more.
    const MAX_CHARS: usize = 120;
    let text = clean_inline(&e.to_string());
    match text.char_indices().nth(MAX_CHARS) {
        Some((cut, _)) => format!("{}…", text.get(..cut).unwrap_or_default()),
        None => text,
    }
}

/// A value as text: text and blobs decoded (lossily), numbers printed, NULL none.
fn text(v: ValueRef<'_>) -> Option<String> {
    match v {
        ValueRef::Null => None,
        ValueRef::Integer(i) => Some(i.to_string()),
        ValueRef::Real(f) => Some(f.to_string()),
        ValueRef::Text(b) | ValueRef::Blob(b) => Some(String::from_utf8_lossy(b).into_owned()),
    }
}

/// Checks the first bytes of the file: an `SQLite` database starts with its magic string.
fn check_magic(path: &Path) -> Result<(), CacheError> {
    let mut head = [0u8; 16];
    let cannot = |e: std::io::Error| CacheError::Unreadable(clean_inline(&e.to_string()));
    // Opened without blocking and checked on the open file: a FIFO or a device put in the
    // cache's place is refused, never waited on or read.
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    let mut f = options.open(path).map_err(cannot)?;
    if !f.metadata().map_err(cannot)?.is_file() {
        return Err(CacheError::NotRegular);
    }
    let n = f.read(&mut head).unwrap_or(0);
    if n == 0 {
        return Err(CacheError::Empty);
    }
    if n < head.len() || &head != b"SQLite format 3\0" {
        return Err(CacheError::NotSqlite);
    }
    Ok(())
}

/// The column names of a table.
fn columns(conn: &Connection, table: &str) -> rusqlite::Result<Vec<String>> {
    let mut st = conn.prepare(&format!("PRAGMA table_info({table})"))?;
    let names = st
        .query_map([], |r| r.get::<_, String>(1))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(names)
}

/// Opens the cache read-only and immutable, every value capped.
fn open(path: &Path) -> Result<Connection, CacheError> {
    let conn = Connection::open_with_flags(
        uri(path),
        OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| CacheError::CannotOpen(why(&e)))?;
    conn.set_limit(Limit::SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
        .map_err(|e| damaged(&e))?;
    Ok(conn)
}

fn damaged(e: &rusqlite::Error) -> CacheError {
    CacheError::Damaged(why(e))
}

/// The query of the items, once the tables are known to be newsboat's.
fn items_query(conn: &Connection) -> Result<String, CacheError> {
    let item_cols = columns(conn, "rss_item").map_err(|e| damaged(&e))?;
    let feed_cols = columns(conn, "rss_feed").map_err(|e| damaged(&e))?;
    if item_cols.is_empty() || feed_cols.is_empty() {
        return Err(CacheError::NoTables);
    }
    let has = |cols: &[String], c: &str| cols.iter().any(|n| n.eq_ignore_ascii_case(c));
    let mut missing: Vec<String> = ITEM_COLUMNS
        .iter()
        .filter(|c| !has(&item_cols, c))
        .map(|c| format!("rss_item.{c}"))
        .collect();
    missing.extend(
        ["rssurl", "title"]
            .iter()
            .filter(|c| !has(&feed_cols, c))
            .map(|c| format!("rss_feed.{c}")),
    );
    if !missing.is_empty() {
        return Err(CacheError::MissingColumns(missing.join(", ")));
    }
    let optional = |c: &str| {
        if has(&item_cols, c) {
            format!("i.{c}")
        } else {
            "NULL".to_owned()
        }
    };
    let not_deleted = if has(&item_cols, "deleted") {
        "WHERE i.deleted = 0"
    } else {
        ""
    };
    Ok(format!(
        "SELECT i.id, {guid}, i.title, {author}, i.url, i.pubDate, i.content, i.unread, f.title, i.feedurl \
         FROM rss_item i LEFT JOIN rss_feed f ON f.rssurl = i.feedurl {not_deleted} \
         ORDER BY i.id LIMIT {limit}",
        guid = optional("guid"),
        author = optional("author"),
        limit = MAX_ITEMS + 1,
    ))
}

/// One row of the items query as a cache item.
fn item_of(row: &rusqlite::Row<'_>) -> CacheItem {
    let get = |i: usize| row.get_ref(i).ok().and_then(text);
    let int = |i: usize| row.get_ref(i).ok().and_then(|v| v.as_i64().ok());
    CacheItem {
        guid: get(1),
        title: get(2),
        author: get(3),
        url: get(4),
        published: int(5),
        content: get(6),
        unread: int(7).map(|u| u != 0),
        feed_title: get(8),
        feed_url: get(9),
    }
}

/// Reads a newsboat cache: every item not deleted, in the order newsboat stored them, made
/// into articles. `id` is the cache's file id.
pub fn read_cache(path: &Path, id: &str) -> Result<Loaded, CacheError> {
    check_magic(path)?;
    let conn = open(path)?;
    let sql = items_query(&conn)?;
    let mut st = conn.prepare(&sql).map_err(|e| damaged(&e))?;
    let mut rows = st.query([]).map_err(|e| damaged(&e))?;
    let mut items = Vec::new();
    let mut warnings = Vec::new();
    loop {
        let row = match rows.next() {
            Ok(Some(row)) => row,
            Ok(None) => break,
            Err(e) => {
                if items.is_empty() {
                    return Err(damaged(&e));
                }
                warnings.push(format!(
                    "reading stopped after item {} ({}); the items before are kept",
                    items.len(),
                    why(&e)
                ));
                break;
            }
        };
        if items.len() == MAX_ITEMS {
            warnings.push(format!(
                "it holds more than {MAX_ITEMS} items; the rest were left out"
            ));
            break;
        }
        items.push(item_of(row));
    }
    Ok(article::from_cache(items, id, warnings)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_errors_are_cut_to_a_short_reason() {
        let long = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(11),
            Some(format!(
                "malformed database schema (rss_item) - {}",
                "x".repeat(5000)
            )),
        );
        let reason = why(&long);
        assert!(reason.chars().count() <= 121, "{reason}");
        assert!(reason.ends_with('…'));
        let short = rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(11), None);
        assert!(!why(&short).ends_with('…'));
    }

    #[test]
    fn uri_escapes_every_special_byte() {
        assert_eq!(
            uri(Path::new("/a b/c?d#e%.db")),
            "file:/a%20b/c%3Fd%23e%25.db?mode=ro&immutable=1"
        );
    }
}
