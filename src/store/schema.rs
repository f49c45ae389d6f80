//! The schema, versioned by `PRAGMA user_version` and brought up to date by an ordered list of
//! migrations, each run once in its own transaction.
//!
//! Version 1:
//!
//! ```sql
//! meta(key TEXT PRIMARY KEY, value TEXT)                 -- facts about the file
//! article(id INTEGER PRIMARY KEY,                        -- the rowid of both FTS tables
//!         path TEXT, key TEXT,                           -- canonical file path; record key or ''
//!         fingerprint BLOB,                              -- XXH3-128 of the file's bytes
//!         size INTEGER, mtime INTEGER,                   -- bytes; nanoseconds since the epoch
//!         title, date, date_text, lang, source, author, url, tags, words,
//!         UNIQUE(path, key))
//! state(reader, fingerprint, key,                        -- who, and the article's identity
//!       read, bookmark, block, offset, opened, updated,
//!       PRIMARY KEY(reader, fingerprint, key))
//! fts   USING fts5(title, body, byline, source, tags)   -- trigram, contentless, folded text
//! grams USING fts5(title, rest)                          -- 1- and 2-character grams, as tokens
//! ```
//!
//! Version 2: `state` gains `path` (the canonical path the state was last written for, so a
//! file edited in place keeps its state before a rescan moves it to the new fingerprint) and
//! `meta` (1 when a position in the head is on the metadata line rather than the title).
//!
//! Version 3: `article` gains what the reader's list needs to start from the catalog without
//! reading a file: `place` (the article's position among its file's), `rtl` (its base
//! direction), `encoding` and `found` (how its file was decoded) and `dates` (every parsed
//! date, ISO 8601, separated by U+001F). Rows stored before it are marked changed (size -1), so
//! the next scan reads their files once more and fills them in.

use rusqlite::Connection;

/// `PRAGMA application_id` of a qari library database ("qari" in ASCII).
pub const APPLICATION_ID: i64 = 0x7161_7269;

/// The migrations, in order: migration `i` brings the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: the catalog, reading state and the full-text index.
    "
    CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE article(
        id INTEGER PRIMARY KEY,
        path TEXT NOT NULL,
        key TEXT NOT NULL,
        fingerprint BLOB NOT NULL,
        size INTEGER NOT NULL,
        mtime INTEGER NOT NULL,
        title TEXT NOT NULL,
        date INTEGER,
        date_text TEXT,
        lang TEXT NOT NULL,
        source TEXT,
        author TEXT,
        url TEXT,
        tags TEXT NOT NULL DEFAULT '',
        words INTEGER NOT NULL DEFAULT 0,
        UNIQUE(path, key)
    );
    CREATE INDEX article_fingerprint ON article(fingerprint, key);
    CREATE INDEX article_title ON article(title COLLATE NOCASE, id);
    CREATE INDEX article_date ON article(date DESC, id);
    CREATE INDEX article_source ON article(source COLLATE NOCASE, date DESC, id);
    CREATE TABLE state(
        reader TEXT NOT NULL,
        fingerprint BLOB NOT NULL,
        key TEXT NOT NULL,
        read INTEGER NOT NULL DEFAULT 0,
        bookmark INTEGER NOT NULL DEFAULT 0,
        block INTEGER,
        offset INTEGER,
        opened INTEGER,
        updated INTEGER NOT NULL,
        PRIMARY KEY(reader, fingerprint, key)
    ) WITHOUT ROWID;
    CREATE VIRTUAL TABLE fts USING fts5(
        title, body, byline, source, tags,
        content='', contentless_delete=1, tokenize='trigram case_sensitive 1'
    );
    CREATE VIRTUAL TABLE grams USING fts5(
        title, rest,
        content='', contentless_delete=1, detail=column, tokenize='ascii'
    );
    ",
    // 2: positions on the metadata line; state found by path for a file edited in place.
    "
    ALTER TABLE state ADD COLUMN path TEXT;
    ALTER TABLE state ADD COLUMN meta INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX state_path ON state(reader, path, key);
    ",
    // 3: what the list needs, so the reader starts from the catalog.
    "
    ALTER TABLE article ADD COLUMN place INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE article ADD COLUMN rtl INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE article ADD COLUMN encoding TEXT NOT NULL DEFAULT 'UTF-8';
    ALTER TABLE article ADD COLUMN found INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE article ADD COLUMN dates TEXT NOT NULL DEFAULT '';
    UPDATE article SET size = -1;
    ",
];

/// The version this build writes.
#[allow(clippy::cast_possible_wrap)] // reason: a handful of migrations, far below i64::MAX
pub const VERSION: i64 = MIGRATIONS.len() as i64;

/// Brings the schema of `conn` up to [`VERSION`], one transaction per migration.
pub fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    loop {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        // Read inside the write lock: two processes opening a new file migrate it once.
        let version: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
        let Some(step) = usize::try_from(version)
            .ok()
            .and_then(|v| MIGRATIONS.get(v))
        else {
            return tx.commit();
        };
        if version == 0 {
            tx.pragma_update(None, "application_id", APPLICATION_ID)?;
        }
        tx.execute_batch(step)?;
        tx.pragma_update(None, "user_version", version + 1)?;
        tx.commit()?;
    }
}
