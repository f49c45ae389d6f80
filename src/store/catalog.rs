//! The catalog: one row per article, with a stable identity and what the list shows.
//!
//! An article's identity is its file's canonical path plus the record's own key inside the file
//! (`""` for a file that is one article; the record's id, url or 1-based index for JSONL, JSON
//! arrays, feeds and tables, as after `#` in [`crate::article::Article::id`]), plus the
//! fingerprint of the file's bytes. Reading state is keyed by fingerprint and key, so it
//! follows a file that was moved or renamed; when a file changes in place, its state moves to
//! the new fingerprint in the same transaction.

use std::collections::HashSet;
use std::path::Path;

use rusqlite::{OptionalExtension as _, Transaction, params};

use super::fts::{self, Indexed};
use super::{Db, Result};

/// The fingerprint of a file's bytes: XXH3, 128 bits.
pub type Fingerprint = [u8; 16];

/// The fingerprint of `bytes`.
pub fn fingerprint(bytes: &[u8]) -> Fingerprint {
    xxhash_rust::xxh3::xxh3_128(bytes).to_be_bytes()
}

/// Modification time in nanoseconds since the epoch (0 when unknown), as the catalog keeps it.
pub fn mtime_nanos(meta: &std::fs::Metadata) -> i64 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

/// The canonical form of a file's path, as the catalog keys it.
pub fn canonical(path: &Path) -> std::io::Result<String> {
    Ok(path.canonicalize()?.to_string_lossy().into_owned())
}

/// The fingerprint of the articles of a store read in place (newsboat's cache, rewritten as
/// feeds update): their record keys (the items' addresses) say who they are.
pub const CACHE_FINGERPRINT: Fingerprint = *b"qari-cache-items";

/// Who an article is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Identity {
    /// The canonical path of its file.
    pub path: String,
    /// The record's key inside the file, `""` for a file that is one article.
    pub key: String,
    /// The fingerprint of the file's bytes.
    pub fingerprint: Fingerprint,
}

/// One article of the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleRow {
    /// The row's id (also the rowid of the index); 0 before it is stored.
    pub id: i64,
    /// Who it is.
    pub identity: Identity,
    /// Its file's size in bytes.
    pub size: u64,
    /// Its file's modification time, nanoseconds since the epoch.
    pub mtime: i64,
    /// The title.
    pub title: String,
    /// The first date, as [`crate::article::DateValue::sort_key`].
    pub date: Option<i64>,
    /// The first date as ISO 8601.
    pub date_text: Option<String>,
    /// The language code (`ar`, `en`, `mix`).
    pub lang: String,
    /// Where it was published.
    pub source: Option<String>,
    /// The author or byline.
    pub author: Option<String>,
    /// The original address.
    pub url: Option<String>,
    /// Its tags.
    pub tags: Vec<String>,
    /// Words in the body.
    pub words: u64,
    /// Its position among the articles of its file (0 for the first).
    pub place: u64,
    /// Whether its base direction is right to left.
    pub rtl: bool,
    /// How its file was decoded.
    pub encoding: crate::article::TextEncoding,
    /// Every parsed date, in article order.
    pub dates: Vec<crate::article::DateValue>,
}

impl ArticleRow {
    /// The row for `article` of the file `identity` names.
    pub fn of(
        article: &crate::article::Article,
        identity: Identity,
        size: u64,
        mtime: i64,
    ) -> Self {
        let date = article.date();
        Self {
            id: 0,
            identity,
            size,
            mtime,
            title: article.title.clone(),
            date: date.map(crate::article::DateValue::sort_key),
            date_text: date.map(crate::article::DateValue::to_iso),
            lang: article.lang.code().to_owned(),
            source: article.source.clone(),
            author: article.byline.clone(),
            url: article.url.clone(),
            tags: article.tags.clone(),
            words: article.word_count() as u64,
            place: 0,
            rtl: article.direction == crate::article::Direction::Rtl,
            encoding: article.encoding,
            dates: article.dates.iter().filter_map(|d| d.value).collect(),
        }
    }

    /// The row, as the article at `place` among its file's.
    #[must_use]
    pub fn at(mut self, place: usize) -> Self {
        self.place = place as u64;
        self
    }
}

/// What the reader's list takes from a catalog row (see [`Db::rows_under`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRow {
    /// Its catalog id (the rowid of the index tables).
    pub id: i64,
    /// Who it is.
    pub identity: Identity,
    /// Its file's size in bytes.
    pub size: u64,
    /// Its file's modification time, nanoseconds since the epoch.
    pub mtime: i64,
    /// The title.
    pub title: String,
    /// Its language.
    pub lang: crate::article::Lang,
    /// Where it was published (the manifest's source when the article gives none).
    pub source: Option<String>,
    /// Its address (the manifest's when the article gives none).
    pub url: Option<String>,
    /// The author or byline.
    pub author: Option<String>,
    /// Its tags.
    pub tags: Vec<String>,
    /// Words in the body.
    pub words: u64,
    /// Its position among the articles of its file.
    pub place: u64,
    /// Whether its base direction is right to left.
    pub rtl: bool,
    /// How its file was decoded.
    pub encoding: crate::article::TextEncoding,
    /// Every parsed date, in article order.
    pub dates: Vec<crate::article::DateValue>,
}

/// The record key of an article of the file whose id is `file_id`: what follows `#`.
pub fn record_key<'a>(article_id: &'a str, file_id: &str) -> &'a str {
    article_id
        .strip_prefix(file_id)
        .and_then(|rest| rest.strip_prefix('#'))
        .unwrap_or("")
}

/// Orders of a page of the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Newest first, undated last.
    Date,
    /// By title.
    Title,
    /// By source, then newest first.
    Source,
    /// As stored.
    Id,
}

impl Order {
    fn sql(self) -> &'static str {
        match self {
            Self::Date => "date IS NULL, date DESC, id",
            Self::Title => "title COLLATE NOCASE, id",
            Self::Source => "source IS NULL, source COLLATE NOCASE, date DESC, id",
            Self::Id => "id",
        }
    }
}

/// Tags are kept joined by this separator (a control character, never in a sanitized tag).
const TAG_SEP: char = '\u{1f}';

const COLUMNS: &str = "id, path, key, fingerprint, size, mtime, title, date, date_text, lang, \
                       source, author, url, tags, words, place, rtl, encoding, found, dates";

/// Values joined in one column, `TAG_SEP` between them.
fn split_joined(text: &str) -> impl Iterator<Item = &str> {
    text.split(TAG_SEP).filter(|t| !t.is_empty())
}

fn row_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<ArticleRow> {
    let fp: Vec<u8> = r.get(3)?;
    let tags: String = r.get(13)?;
    Ok(ArticleRow {
        id: r.get(0)?,
        identity: Identity {
            path: r.get(1)?,
            key: r.get(2)?,
            fingerprint: fp.try_into().unwrap_or_default(),
        },
        size: u64::try_from(r.get::<_, i64>(4)?).unwrap_or(0),
        mtime: r.get(5)?,
        title: r.get(6)?,
        date: r.get(7)?,
        date_text: r.get(8)?,
        lang: r.get(9)?,
        source: r.get(10)?,
        author: r.get(11)?,
        url: r.get(12)?,
        tags: split_joined(&tags).map(str::to_owned).collect(),
        words: u64::try_from(r.get::<_, i64>(14)?).unwrap_or(0),
        place: u64::try_from(r.get::<_, i64>(15)?).unwrap_or(0),
        rtl: r.get(16)?,
        encoding: crate::article::TextEncoding::from_stored(
            r.get_ref(17)?.as_str().unwrap_or(""),
            r.get(18)?,
        ),
        dates: split_joined(r.get_ref(19)?.as_str().unwrap_or(""))
            .filter_map(crate::article::DateValue::from_iso)
            .collect(),
    })
}

const LIST_COLUMNS: &str = "path, key, fingerprint, size, mtime, title, lang, source, url, \
                            words, place, rtl, encoding, found, dates, author, tags, id";

fn list_row_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<ListRow> {
    let text =
        |i: usize| -> rusqlite::Result<&str> { Ok(r.get_ref(i)?.as_str_or_null()?.unwrap_or("")) };
    let mut fingerprint = Fingerprint::default();
    if let Ok(b) = <[u8; 16]>::try_from(r.get_ref(2)?.as_blob()?) {
        fingerprint = b;
    }
    Ok(ListRow {
        identity: Identity {
            path: r.get(0)?,
            key: r.get(1)?,
            fingerprint,
        },
        size: u64::try_from(r.get::<_, i64>(3)?).unwrap_or(0),
        mtime: r.get(4)?,
        title: r.get(5)?,
        lang: crate::article::Lang::from_code(text(6)?).unwrap_or(crate::article::Lang::Mixed),
        source: r.get(7)?,
        url: r.get(8)?,
        words: u64::try_from(r.get::<_, i64>(9)?).unwrap_or(0),
        place: u64::try_from(r.get::<_, i64>(10)?).unwrap_or(0),
        rtl: r.get(11)?,
        encoding: crate::article::TextEncoding::from_stored(text(12)?, r.get(13)?),
        dates: split_joined(text(14)?)
            .filter_map(crate::article::DateValue::from_iso)
            .collect(),
        author: r.get(15)?,
        tags: split_joined(text(16)?).map(str::to_owned).collect(),
        id: r.get(17)?,
    })
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Stores one article and its index entry inside `tx`; returns its id.
fn upsert_one(tx: &Transaction<'_>, row: &ArticleRow, doc: &Indexed) -> rusqlite::Result<i64> {
    let id = &row.identity;
    let old: Option<(i64, Vec<u8>)> = tx
        .prepare_cached("SELECT id, fingerprint FROM article WHERE path = ?1 AND key = ?2")?
        .query_row(params![id.path, id.key], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let tags = row.tags.join(&TAG_SEP.to_string());
    let dates = row
        .dates
        .iter()
        .map(|d| d.to_iso())
        .collect::<Vec<_>>()
        .join(&TAG_SEP.to_string());
    let (encoding, found) = row.encoding.to_stored();
    let values = params![
        id.path,
        id.key,
        id.fingerprint.as_slice(),
        to_i64(row.size),
        row.mtime,
        row.title,
        row.date,
        row.date_text,
        row.lang,
        row.source,
        row.author,
        row.url,
        tags,
        to_i64(row.words),
        to_i64(row.place),
        row.rtl,
        encoding,
        found,
        dates,
    ];
    let rowid = if let Some((rowid, old_fp)) = old {
        tx.prepare_cached(
            "UPDATE article SET path = ?1, key = ?2, fingerprint = ?3, size = ?4, mtime = ?5,
             title = ?6, date = ?7, date_text = ?8, lang = ?9, source = ?10, author = ?11,
             url = ?12, tags = ?13, words = ?14, place = ?15, rtl = ?16, encoding = ?17,
             found = ?18, dates = ?19 WHERE id = ?20",
        )?
        .execute(rusqlite::params_from_iter(
            values
                .iter()
                .copied()
                .chain([&rowid as &dyn rusqlite::ToSql]),
        ))?;
        if old_fp != id.fingerprint {
            follow_edit(tx, &old_fp, id)?;
        }
        fts::remove(tx, rowid)?;
        rowid
    } else {
        tx.prepare_cached(
            "INSERT INTO article(path, key, fingerprint, size, mtime, title, date, date_text,
             lang, source, author, url, tags, words, place, rtl, encoding, found, dates)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
             ?17, ?18, ?19)",
        )?
        .execute(values)?;
        tx.last_insert_rowid()
    };
    fts::insert(tx, rowid, doc)?;
    Ok(rowid)
}

/// A file changed in place: its reading state moves to the new fingerprint, unless another
/// article still has the old content (a copy), which keeps it, or the new one has state already.
fn follow_edit(tx: &Transaction<'_>, old_fp: &[u8], id: &Identity) -> rusqlite::Result<()> {
    let still: bool = tx
        .prepare_cached("SELECT EXISTS(SELECT 1 FROM article WHERE fingerprint = ?1 AND key = ?2)")?
        .query_row(params![old_fp, id.key], |r| r.get(0))?;
    let sql = if still {
        "INSERT OR IGNORE INTO state(reader, fingerprint, key, read, bookmark, block, offset,
         opened, updated)
         SELECT reader, ?3, key, read, bookmark, block, offset, opened, updated FROM state
         WHERE fingerprint = ?1 AND key = ?2"
    } else {
        "UPDATE OR IGNORE state SET fingerprint = ?3 WHERE fingerprint = ?1 AND key = ?2"
    };
    tx.prepare_cached(sql)?
        .execute(params![old_fp, id.key, id.fingerprint.as_slice()])?;
    Ok(())
}

impl Db {
    /// Stores every article of `batch` (new or changed) with its index entry, in one
    /// transaction; returns their ids in order.
    pub fn upsert(&mut self, batch: &[(ArticleRow, Indexed)]) -> Result<Vec<i64>> {
        self.write(|tx| {
            batch
                .iter()
                .map(|(row, doc)| upsert_one(tx, row, doc))
                .collect()
        })
    }

    /// Stores the articles of whole files (canonical path, every article the file holds now),
    /// in one transaction: rows of a file's records that are no longer in it are removed.
    pub fn replace_files(
        &mut self,
        files: &[(String, Vec<(ArticleRow, Indexed)>)],
    ) -> Result<usize> {
        self.write(|tx| {
            let mut n = 0;
            for (path, rows) in files {
                let keep: HashSet<&str> =
                    rows.iter().map(|(r, _)| r.identity.key.as_str()).collect();
                let stale: Vec<i64> = {
                    let mut stmt =
                        tx.prepare_cached("SELECT id, key FROM article WHERE path = ?1")?;
                    let all = stmt.query_map([path], |r| {
                        Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
                    })?;
                    let mut stale = Vec::new();
                    for row in all {
                        let (id, key) = row?;
                        if !keep.contains(key.as_str()) {
                            stale.push(id);
                        }
                    }
                    stale
                };
                for id in stale {
                    fts::remove(tx, id)?;
                    tx.prepare_cached("DELETE FROM article WHERE id = ?1")?
                        .execute([id])?;
                }
                for (row, doc) in rows {
                    upsert_one(tx, row, doc)?;
                    n += 1;
                }
            }
            Ok(n)
        })
    }

    /// Whether the catalog holds the file at `path` (canonical) with this size and mtime:
    /// then it need not be read again.
    pub fn unchanged(&self, path: &str, size: u64, mtime: i64) -> Result<bool> {
        self.conn()
            .prepare_cached(
                "SELECT EXISTS(SELECT 1 FROM article WHERE path = ?1 AND size = ?2 AND mtime = ?3)",
            )
            .and_then(|mut s| s.query_row(params![path, to_i64(size), mtime], |r| r.get(0)))
            .map_err(|e| self.err(&e))
    }

    /// Removes the articles of every file under the folder `root` (canonical; `""` for the
    /// whole catalog) that is not in `present`: the files gone since the last scan. Reading
    /// state stays, keyed by content, for a file that comes back. Returns the articles removed.
    pub fn remove_vanished(&mut self, root: &str, present: &HashSet<String>) -> Result<usize> {
        let mut prefix = root.to_owned();
        if !prefix.is_empty() && !prefix.ends_with(std::path::MAIN_SEPARATOR) {
            prefix.push(std::path::MAIN_SEPARATOR);
        }
        self.write(|tx| {
            let gone: Vec<i64> = {
                let mut stmt = tx.prepare("SELECT id, path FROM article")?;
                let rows =
                    stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
                let mut gone = Vec::new();
                for row in rows {
                    let (id, path) = row?;
                    if path.starts_with(&prefix) && !present.contains(&path) {
                        gone.push(id);
                    }
                }
                gone
            };
            for &id in &gone {
                fts::remove(tx, id)?;
                tx.prepare_cached("DELETE FROM article WHERE id = ?1")?
                    .execute([id])?;
            }
            Ok(gone.len())
        })
    }

    /// The number of articles.
    pub fn count(&self) -> Result<u64> {
        self.conn()
            .query_row("SELECT count(*) FROM article", [], |r| r.get::<_, i64>(0))
            .map(|n| u64::try_from(n).unwrap_or(0))
            .map_err(|e| self.err(&e))
    }

    /// `limit` rows from `offset` in `order`: what the list shows.
    pub fn page(&self, order: Order, offset: u64, limit: u64) -> Result<Vec<ArticleRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM article ORDER BY {} LIMIT ?1 OFFSET ?2",
            order.sql()
        );
        self.conn()
            .prepare_cached(&sql)
            .and_then(|mut s| {
                s.query_map(params![to_i64(limit), to_i64(offset)], row_of)?
                    .collect()
            })
            .map_err(|e| self.err(&e))
    }

    /// The row with this id.
    pub fn row(&self, id: i64) -> Result<Option<ArticleRow>> {
        let sql = format!("SELECT {COLUMNS} FROM article WHERE id = ?1");
        self.conn()
            .prepare_cached(&sql)
            .and_then(|mut s| s.query_row([id], row_of).optional())
            .map_err(|e| self.err(&e))
    }

    /// The row of the article at `path` (canonical) with record `key`.
    pub fn find(&self, path: &str, key: &str) -> Result<Option<ArticleRow>> {
        let sql = format!("SELECT {COLUMNS} FROM article WHERE path = ?1 AND key = ?2");
        self.conn()
            .prepare_cached(&sql)
            .and_then(|mut s| s.query_row([path, key], row_of).optional())
            .map_err(|e| self.err(&e))
    }
}

impl Db {
    /// Hands `each` the rows of the file at `path` (canonical), or of every file under it when
    /// it is a folder, a file at a time in path order, each file's rows in their order in the
    /// file; stops when `each` returns false (then returns false). Rows are read as they are
    /// handed over: a million of them are never all in memory at once.
    pub(super) fn rows_at(
        &self,
        path: &str,
        folder: bool,
        mut each: impl FnMut(Vec<ListRow>) -> bool,
    ) -> Result<bool> {
        let sep = std::path::MAIN_SEPARATOR;
        let folder_path = path.strip_suffix(sep).unwrap_or(path);
        // Every path under the folder sorts between `folder/` and the separator's successor.
        let (from, to) = (
            format!("{folder_path}{sep}"),
            format!("{folder_path}{}", char::from(sep as u8 + 1)),
        );
        let mut run = || -> rusqlite::Result<bool> {
            // In the order of the index on (path, key): no sort is needed but of each file's
            // records by place.
            let mut stmt;
            let mut rows = if folder {
                stmt = self.conn().prepare_cached(&format!(
                    "SELECT {LIST_COLUMNS} FROM article WHERE path >= ?1 AND path < ?2 \
                     ORDER BY path, key"
                ))?;
                stmt.query_map([&from, &to], list_row_of)?
            } else {
                stmt = self.conn().prepare_cached(&format!(
                    "SELECT {LIST_COLUMNS} FROM article WHERE path = ?1 ORDER BY path, key"
                ))?;
                stmt.query_map([path], list_row_of)?
            };
            let mut file: Vec<ListRow> = Vec::new();
            let mut hand = |mut file: Vec<ListRow>| {
                file.sort_by_key(|r| r.place);
                each(file)
            };
            for row in &mut rows {
                let row = row?;
                if file
                    .first()
                    .is_some_and(|f| f.identity.path != row.identity.path)
                    && !hand(std::mem::take(&mut file))
                {
                    return Ok(false);
                }
                file.push(row);
            }
            Ok(file.is_empty() || hand(file))
        };
        run().map_err(|e| self.err(&e))
    }

    /// The first `limit` rows at `path` (canonical; every file under it when it is a folder)
    /// in the list's date order (newest first, undated last, ties by path and place in the
    /// file), and how many rows there are in all: what the reader's first frame needs of a
    /// big catalog. The date index is walked from its newest end, so a million rows cost what
    /// the rows asked for do.
    pub(super) fn first_rows_at(
        &self,
        path: &str,
        folder: bool,
        limit: usize,
    ) -> Result<(u64, Vec<ListRow>)> {
        let sep = std::path::MAIN_SEPARATOR;
        let folder_path = path.strip_suffix(sep).unwrap_or(path);
        let (from, to) = if folder {
            (
                format!("{folder_path}{sep}"),
                format!("{folder_path}{}", char::from(sep as u8 + 1)),
            )
        } else {
            // One file: the range of its path alone.
            (path.to_owned(), format!("{path}\0"))
        };
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let run = || -> rusqlite::Result<(u64, Vec<ListRow>)> {
            let total: i64 = self
                .conn()
                .prepare_cached("SELECT count(*) FROM article WHERE path >= ?1 AND path < ?2")?
                .query_row([&from, &to], |r| r.get(0))?;
            let mut stmt = self.conn().prepare_cached(&format!(
                "SELECT {LIST_COLUMNS} FROM article INDEXED BY article_date \
                 WHERE path >= ?1 AND path < ?2 ORDER BY date DESC, path, place LIMIT ?3"
            ))?;
            let rows = stmt
                .query_map(params![from, to, limit], list_row_of)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok((u64::try_from(total).unwrap_or(0), rows))
        };
        run().map_err(|e| self.err(&e))
    }

    /// The rows of the file at `path` (canonical), in their order in the file.
    pub fn rows_of_file(&self, path: &str) -> Result<Vec<ListRow>> {
        let mut rows = Vec::new();
        self.rows_at(path, false, |file| {
            rows = file;
            false
        })?;
        Ok(rows)
    }

    /// The catalog id of the article at `path` (canonical) with record `key`.
    pub fn id_of(&self, path: &str, key: &str) -> Result<Option<i64>> {
        self.conn()
            .prepare_cached("SELECT id FROM article WHERE path = ?1 AND key = ?2")
            .and_then(|mut s| s.query_row([path, key], |r| r.get(0)).optional())
            .map_err(|e| self.err(&e))
    }
}
