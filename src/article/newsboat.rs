//! Newsboat's `cache.db`: its feeds as sources, its items as articles, with newsboat's unread
//! flags.
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

use super::{ArticleError, RawArticle, clean_inline, feed};

/// Items read from one cache; the rest are left with a warning.
pub(super) const MAX_ITEMS: usize = 200_000;
/// The longest value (a title, an item's HTML) `SQLite` hands over from the file.
const MAX_VALUE_BYTES: i32 = 16 * 1024 * 1024;
/// The bytes kept of an item's content.
const MAX_CONTENT_BYTES: usize = feed::MAX_FIELD_BYTES;

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
fn check_magic(path: &Path) -> Result<(), ArticleError> {
    let mut head = [0u8; 16];
    let cannot = |e: std::io::Error| {
        ArticleError::Malformed(format!(
            "it cannot be read ({})",
            clean_inline(&e.to_string())
        ))
    };
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
        return Err(ArticleError::Malformed(
            "it is not a regular file, so not a newsboat cache".to_owned(),
        ));
    }
    let n = f.read(&mut head).unwrap_or(0);
    if n == 0 {
        return Err(ArticleError::Empty);
    }
    if n < head.len() || &head != b"SQLite format 3\0" {
        return Err(ArticleError::Malformed(
            "it is not an SQLite database, so not a newsboat cache".to_owned(),
        ));
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
fn open(path: &Path) -> Result<Connection, ArticleError> {
    let conn = Connection::open_with_flags(
        uri(path),
        OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| ArticleError::Malformed(format!("it cannot be opened as SQLite ({})", why(&e))))?;
    conn.set_limit(Limit::SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
        .map_err(|e| damaged(&e))?;
    Ok(conn)
}

fn damaged(e: &rusqlite::Error) -> ArticleError {
    ArticleError::Malformed(format!("it is a damaged SQLite database ({})", why(e)))
}

/// The query of the items, once the tables are known to be newsboat's.
fn items_query(conn: &Connection) -> Result<String, ArticleError> {
    let item_cols = columns(conn, "rss_item").map_err(|e| damaged(&e))?;
    let feed_cols = columns(conn, "rss_feed").map_err(|e| damaged(&e))?;
    if item_cols.is_empty() || feed_cols.is_empty() {
        return Err(ArticleError::Malformed(
            "it is an SQLite database but not a newsboat cache (it has no rss_item and rss_feed tables)"
                .to_owned(),
        ));
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
        return Err(ArticleError::Malformed(format!(
            "it is an SQLite database but not a newsboat cache (it lacks the columns {})",
            missing.join(", ")
        )));
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

/// One item of the query as an article; `cut` counts contents cut at their cap.
fn raw_of(row: &rusqlite::Row<'_>, cut: &mut usize) -> RawArticle {
    let get = |i: usize| row.get_ref(i).ok().and_then(text);
    let url = get(4).filter(|u| !u.trim().is_empty());
    let key = get(1)
        .filter(|g| !g.trim().is_empty())
        .or_else(|| url.clone());
    let date = row
        .get_ref(5)
        .ok()
        .and_then(|v| v.as_i64().ok())
        .filter(|&secs| secs > 0)
        .and_then(|secs| chrono::DateTime::from_timestamp(secs, 0))
        .map(|t| t.to_rfc3339());
    let unread = row
        .get_ref(7)
        .ok()
        .and_then(|v| v.as_i64().ok())
        .map(|u| u != 0);
    let source = get(8).filter(|t| !t.trim().is_empty()).or_else(|| get(9));
    let mut raw = RawArticle {
        title: get(2),
        byline: get(3),
        url,
        key,
        dates: date.into_iter().collect(),
        source,
        unread,
        ..RawArticle::default()
    };
    if let Some(mut content) = get(6) {
        if content.len() > MAX_CONTENT_BYTES {
            let mut at = MAX_CONTENT_BYTES;
            while !content.is_char_boundary(at) {
                at -= 1;
            }
            content.truncate(at);
            *cut += 1;
        }
        feed::fill_body(&mut raw, &content);
    }
    raw
}

/// Reads a newsboat cache: every item not deleted, in the order newsboat stored them.
pub(super) fn read(
    path: &Path,
    warnings: &mut Vec<String>,
) -> Result<Vec<RawArticle>, ArticleError> {
    check_magic(path)?;
    let conn = open(path)?;
    let sql = items_query(&conn)?;
    let mut st = conn.prepare(&sql).map_err(|e| damaged(&e))?;
    let mut rows = st.query([]).map_err(|e| damaged(&e))?;
    let mut items = Vec::new();
    let mut cut = 0usize;
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
        items.push(raw_of(row, &mut cut));
    }
    if cut > 0 {
        warnings.push(format!(
            "{cut} item(s) hold more than {} MiB of content; it was cut there",
            MAX_CONTENT_BYTES / (1024 * 1024)
        ));
    }
    if items.is_empty() {
        return Err(ArticleError::Malformed(
            "the newsboat cache holds no item".to_owned(),
        ));
    }
    Ok(items)
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
