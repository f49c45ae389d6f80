//! Reading state per reader: where reading stopped, read, bookmarked, last opened.
//!
//! A reader is the local user or one SSH key (by fingerprint). State is keyed by the article's
//! content fingerprint and record key (see [`super::catalog`]), so it follows a moved or renamed
//! file. Every change is a read-modify-write inside one immediate transaction: the write lock
//! is taken before the row is read, so two processes or sessions changing state at once queue
//! and neither loses the other's change.

use rusqlite::{OptionalExtension as _, params};

use super::catalog::{Fingerprint, Identity};
use super::{Db, Result, now_millis};
use crate::article::Place;

/// Who reads: the local user, or one SSH key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reader(String);

impl Reader {
    /// The user at this machine.
    pub fn local() -> Self {
        Self("local".to_owned())
    }

    /// The holder of an SSH key, by its fingerprint (`SHA256:…`).
    pub fn ssh(fingerprint: &str) -> Self {
        Self(format!("ssh:{fingerprint}"))
    }

    /// How the reader is stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where reading stopped: a place in the article (the title, the metadata line, a block of
/// the body) and a byte offset into its text. It survives resizes and width changes, unlike a
/// line number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    /// The text it is in.
    pub place: Place,
    /// Byte offset into that text.
    pub offset: usize,
}

impl Pos {
    /// The columns `block`, `meta` of this place: `(NULL, 0)` the title, `(NULL, 1)` the
    /// metadata line, `(n, 0)` block `n`.
    fn columns(self) -> (Option<i64>, bool) {
        match self.place {
            Place::Title => (None, false),
            Place::Meta => (None, true),
            Place::Block(b) => (Some(i64::try_from(b).unwrap_or(i64::MAX)), false),
        }
    }

    /// The place the columns name (a block number out of range is the title: the file was
    /// not ours to trust).
    fn from_columns(block: Option<i64>, meta: bool, offset: i64) -> Self {
        let place = match block {
            Some(b) => usize::try_from(b).map_or(Place::Title, Place::Block),
            None if meta => Place::Meta,
            None => Place::Title,
        };
        Self {
            place,
            offset: usize::try_from(offset).unwrap_or(0),
        }
    }
}

/// What is remembered of one article for one reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReadingState {
    /// Read (opened, or marked).
    pub read: bool,
    /// Bookmarked.
    pub bookmark: bool,
    /// Where reading stopped.
    pub pos: Option<Pos>,
    /// When it was last opened (milliseconds since the epoch).
    pub opened: Option<i64>,
    /// When this state last changed (milliseconds since the epoch).
    pub updated: i64,
}

fn state_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<ReadingState> {
    let block: Option<i64> = r.get(2)?;
    let offset: Option<i64> = r.get(3)?;
    let meta: bool = r.get(6)?;
    let pos = offset.map(|o| Pos::from_columns(block, meta, o));
    Ok(ReadingState {
        read: r.get(0)?,
        bookmark: r.get(1)?,
        pos,
        opened: r.get(4)?,
        updated: r.get(5)?,
    })
}

/// The state of one article: by content and key, else (a file edited in place and not
/// rescanned yet) the newest state written for its path and key.
const SELECT: &str = "SELECT read, bookmark, block, offset, opened, updated, meta FROM state
                      WHERE reader = ?1 AND fingerprint = ?2 AND key = ?3
                      UNION ALL
                      SELECT * FROM (SELECT read, bookmark, block, offset, opened, updated, meta
                      FROM state WHERE reader = ?1 AND path = ?4 AND key = ?3
                      ORDER BY updated DESC LIMIT 1)
                      LIMIT 1";

pub(super) fn put(
    tx: &rusqlite::Transaction<'_>,
    reader: &Reader,
    id: &Identity,
    s: &ReadingState,
) -> rusqlite::Result<()> {
    let (block, meta) = s.pos.map_or((None, false), Pos::columns);
    tx.prepare_cached(
        "INSERT OR REPLACE INTO state(reader, fingerprint, key, read, bookmark, block, offset,
         opened, updated, path, meta) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        reader.as_str(),
        id.fingerprint.as_slice(),
        id.key,
        s.read,
        s.bookmark,
        block,
        s.pos.map(|p| i64::try_from(p.offset).unwrap_or(i64::MAX)),
        s.opened,
        s.updated,
        id.path,
        meta,
    ])?;
    Ok(())
}

pub(super) fn select(
    conn: &rusqlite::Connection,
    reader: &Reader,
    id: &Identity,
) -> rusqlite::Result<Option<ReadingState>> {
    conn.prepare_cached(SELECT)?
        .query_row(
            params![reader.as_str(), id.fingerprint.as_slice(), id.key, id.path],
            state_of,
        )
        .optional()
}

/// The most rows of state loaded for one reader ([`Db::reader_states`]): far more than anyone
/// reads, and a bound on what a hostile database file can make this process hold.
pub const MAX_STATES: usize = 4_000_000;

/// One stored state with what it is keyed by: fingerprint, record key, last path.
pub type StateRow = (Fingerprint, String, Option<String>, ReadingState);

impl Db {
    /// The state of one article for `reader` (default when never seen).
    pub fn state(&self, reader: &Reader, id: &Identity) -> Result<ReadingState> {
        select(self.conn(), reader, id)
            .map(Option::unwrap_or_default)
            .map_err(|e| self.err(&e))
    }

    /// Changes the state of one article for `reader` in one transaction (the row is read under
    /// the write lock); returns the new state.
    pub fn update_state(
        &mut self,
        reader: &Reader,
        id: &Identity,
        f: impl FnOnce(&mut ReadingState),
    ) -> Result<ReadingState> {
        self.write(|tx| {
            let before = select(tx, reader, id)?.unwrap_or_default();
            let mut after = before;
            f(&mut after);
            if after != before {
                after.updated = now_millis().max(before.updated + 1);
                put(tx, reader, id, &after)?;
            }
            Ok(after)
        })
    }

    /// Every article with state for `reader`, by catalog id (for the list's marks).
    pub fn states(&self, reader: &Reader) -> Result<Vec<(i64, ReadingState)>> {
        self.conn()
            .prepare_cached(
                "SELECT s.read, s.bookmark, s.block, s.offset, s.opened, s.updated, s.meta, a.id
                 FROM state s JOIN article a ON a.fingerprint = s.fingerprint AND a.key = s.key
                 WHERE s.reader = ?1 ORDER BY a.id",
            )
            .and_then(|mut s| {
                s.query_map([reader.as_str()], |r| Ok((r.get(7)?, state_of(r)?)))?
                    .collect()
            })
            .map_err(|e| self.err(&e))
    }

    /// Every state stored for `reader`, whether or not its article is in the catalog, at most
    /// [`MAX_STATES`] (the newest).
    pub fn reader_states(&self, reader: &Reader) -> Result<Vec<StateRow>> {
        let cap = i64::try_from(MAX_STATES).unwrap_or(i64::MAX);
        self.conn()
            .prepare_cached(
                "SELECT read, bookmark, block, offset, opened, updated, meta, fingerprint, key,
                 path FROM state WHERE reader = ?1 ORDER BY updated DESC LIMIT ?2",
            )
            .and_then(|mut s| {
                s.query_map(params![reader.as_str(), cap], |r| {
                    let fp: Vec<u8> = r.get(7)?;
                    Ok((
                        fp.try_into().unwrap_or_default(),
                        r.get(8)?,
                        r.get(9)?,
                        state_of(r)?,
                    ))
                })?
                .collect()
            })
            .map_err(|e| self.err(&e))
    }
}
