//! Bringing the database up to date with folders of article files: files whose size and mtime
//! the catalog already has are not read; the others are parsed on every core and stored a batch
//! at a time, one transaction per batch; files gone since the last scan leave the catalog.
//!
//! A kill at any moment loses at most the batch being written: the next scan finds the files of
//! the lost batch changed (not in the catalog) and stores them again.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::catalog::{ArticleRow, Identity, ListRow, canonical, fingerprint, mtime_nanos};
use super::fts::Indexed;
use super::{Db, Result};
use crate::article::{self, Format};
use crate::library::{MAX_ARTICLE_BYTES, read_regular};

/// The most files parsed and stored together, in one transaction, and the bytes of files after
/// which a batch ends (a batch holds one file at least). FTS5 writes the index of each
/// transaction as one new segment, and merges fewer, larger segments in less time: a library
/// of 100,000 articles is indexed in 40 s instead of 66 s with transactions of 256 files;
/// larger batches gain nothing more.
pub const BATCH: (usize, u64) = (2048, 6 * 1024 * 1024);
/// How much of a transaction's index FTS5 keeps in memory before writing it out (its
/// `hashsize`; 1 MiB by default): a scan's transaction is then one segment, not a dozen of
/// 1 MiB merged again and again.
const PENDING_INDEX_BYTES: i64 = 32 * 1024 * 1024;
/// The page cache of the connection while a scan stores files, in KiB (2 MiB by default).
const SCAN_CACHE_KIB: i64 = 64 * 1024;
/// The prefix of the `meta` keys recording that a root was scanned to its end …
const SCANNED: &str = "scanned:";
/// … and of those recording the links its walk followed out of it.
const LINKS: &str = "links:";

/// A link the walk of a folder followed out of it: the articles under `target` (canonical)
/// are the folder's articles under `rel` (its path in the folder, `/` between names), and
/// are stored under their canonical paths.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Link {
    /// Where the link is in the folder.
    pub rel: String,
    /// The canonical path it leads to.
    pub target: String,
}

/// A catalog row, with the link out of the folder asked for that it lies under, if any.
pub type LinkedRow = (Option<Link>, ListRow);

/// The link that made file `f`, found under `root`, have the canonical path `canon` outside
/// it: the names `f` and `canon` end in alike are left off both.
fn link_of(root: &Path, f: &Path, canon: &str) -> Option<Link> {
    let rel: Vec<String> = f
        .strip_prefix(root)
        .ok()?
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let target = Path::new(canon);
    let mut same = 0;
    for (a, b) in rel.iter().rev().zip(target.components().rev()) {
        if *a != b.as_os_str().to_string_lossy() {
            break;
        }
        same += 1;
    }
    let rel = &rel[..rel.len() - same];
    if rel.is_empty() {
        return None;
    }
    let mut t = target;
    for _ in 0..same {
        t = t.parent()?;
    }
    Some(Link {
        rel: rel.join("/"),
        target: t.to_string_lossy().into_owned(),
    })
}

/// What a scan did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scanned {
    /// Files found.
    pub files: usize,
    /// Files read and stored (new or changed).
    pub stored_files: usize,
    /// Articles stored.
    pub stored_articles: usize,
    /// Articles removed (their files are gone).
    pub removed: usize,
    /// One sentence for each file that could not be used.
    pub problems: Vec<String>,
}

/// Every file of a format qari reads under `root` (a file or a folder), as the library's walk
/// finds them ([`crate::library::article_files`]: hidden names skipped, linked folders followed
/// once each), sorted.
pub fn files_under(root: &Path) -> Vec<PathBuf> {
    let mut out = crate::library::article_files(root);
    out.sort();
    out
}

/// Canonical paths of the files of a walk, each folder's made once: a file that is no link is
/// its folder's canonical path and its name (one `lstat` for the file, where making its own
/// canonical path looks at every folder on the way).
#[derive(Default)]
struct Canonical {
    folders: std::collections::HashMap<PathBuf, Option<String>>,
}

impl Canonical {
    /// The canonical path of file `f` and its metadata (the target's, for a link); `None` when
    /// it cannot be seen.
    fn file(&mut self, f: &Path) -> Option<(String, std::fs::Metadata)> {
        let own = std::fs::symlink_metadata(f).ok()?;
        let (Some(folder), Some(name), false) = (f.parent(), f.file_name(), own.is_symlink())
        else {
            return Some((canonical(f).ok()?, std::fs::metadata(f).ok()?));
        };
        let folder = self
            .folders
            .entry(folder.to_path_buf())
            .or_insert_with(|| canonical(folder).ok())
            .as_deref()?;
        let mut canon = String::with_capacity(folder.len() + name.len() + 1);
        canon.push_str(folder);
        if !canon.ends_with(std::path::MAIN_SEPARATOR) {
            canon.push(std::path::MAIN_SEPARATOR);
        }
        canon.push_str(&name.to_string_lossy());
        Some((canon, own))
    }
}

/// One file read and parsed: its rows and index entries, or why not.
type Parsed = std::result::Result<Vec<(ArticleRow, Indexed)>, String>;

/// The manifests of the folders met in a scan, read once each.
#[derive(Default)]
struct Manifests(std::collections::HashMap<PathBuf, Manifest>);

type Manifest = std::collections::HashMap<String, (Option<String>, Option<String>)>;

impl Manifests {
    /// The source and address the nearest manifest naming `file` gives it (up to `root`).
    fn of(&mut self, file: &Path, root: &Path) -> (Option<String>, Option<String>) {
        let mut dir = file.parent();
        while let Some(d) = dir {
            let rel = file.strip_prefix(d).ok().map(|r| {
                r.components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/")
            });
            let m = self
                .0
                .entry(d.to_path_buf())
                .or_insert_with(|| crate::library::folder_manifest(d));
            if let Some(found) = rel.and_then(|r| m.get(&r)) {
                return found.clone();
            }
            if d == root || !d.starts_with(root) {
                break;
            }
            dir = d.parent();
        }
        (None, None)
    }
}

/// Files of these `sizes` cut into batches of at most `files` files and about `bytes` bytes
/// (a batch ends with the file that reaches it), as ranges of `sizes`.
fn batches(sizes: &[u64], (files, max_bytes): (usize, u64)) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, 0u64);
    for (i, size) in sizes.iter().enumerate() {
        bytes = bytes.saturating_add(*size);
        if i + 1 - start >= files || bytes >= max_bytes {
            out.push(start..i + 1);
            (start, bytes) = (i + 1, 0);
        }
    }
    if start < sizes.len() {
        out.push(start..sizes.len());
    }
    out
}

fn parse_file(path: &Path, canon: &str, given: &(Option<String>, Option<String>)) -> Parsed {
    let shown = crate::escape::path(path);
    let format =
        Format::from_path(path).ok_or_else(|| format!("{shown}: not a format qari reads."))?;
    let meta = std::fs::metadata(path).map_err(|e| format!("{shown}: {e}."))?;
    let file_id = path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let (fp, loaded) = if format.reads_path() {
        let loaded = crate::library::read_cache(path, &file_id).map_err(|e| e.to_string());
        (super::catalog::CACHE_FINGERPRINT, loaded)
    } else {
        let bytes = read_regular(path, MAX_ARTICLE_BYTES).map_err(|e| format!("{shown}: {e}."))?;
        let loaded = article::parse(&bytes, format, &file_id).map_err(|e| e.to_string());
        (fingerprint(&bytes), loaded)
    };
    let loaded = loaded.map_err(|e| format!("{shown}: {e}."))?;
    let (size, mtime) = (meta.len(), mtime_nanos(&meta));
    let mut articles = loaded.articles;
    for a in &mut articles {
        if a.source.is_none() {
            a.source.clone_from(&given.0);
        }
        if a.url.is_none() {
            a.url.clone_from(&given.1);
        }
    }
    Ok(articles
        .iter()
        .enumerate()
        .map(|(place, a)| {
            let identity = Identity {
                path: canon.to_owned(),
                key: super::catalog::record_key(&a.id, &file_id).to_owned(),
                fingerprint: fp,
            };
            let row = ArticleRow::of(a, identity, size, mtime).at(place);
            (row, Indexed::of(a))
        })
        .collect())
}

/// The article a catalog row names, read from its file (bodies are never kept in the
/// database); `None` when the file no longer holds it.
pub fn read_article(row: &ArticleRow) -> Option<article::Article> {
    let path = Path::new(&row.identity.path);
    let format = Format::from_path(path)?;
    let file_id = path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let loaded = if format.reads_path() {
        crate::library::read_cache(path, &file_id).ok()?
    } else {
        let bytes = read_regular(path, MAX_ARTICLE_BYTES).ok()?;
        article::parse(&bytes, format, &file_id).ok()?
    };
    loaded
        .articles
        .into_iter()
        .find(|a| super::catalog::record_key(&a.id, &file_id) == row.identity.key)
}

impl Db {
    /// Brings the catalog and index up to date with the files under `root`; `progress` is
    /// called after each batch with the files looked at so far and the total.
    pub fn scan(&mut self, root: &Path, mut progress: impl FnMut(usize, usize)) -> Result<Scanned> {
        let files = files_under(root);
        let mut done = Scanned {
            files: files.len(),
            ..Scanned::default()
        };
        let mut present = HashSet::with_capacity(files.len());
        let mut todo: Vec<(PathBuf, String, u64)> = Vec::new();
        let root_dir = if root.is_dir() {
            root
        } else {
            root.parent().unwrap_or(root)
        };
        let mut canon_of = Canonical::default();
        let inside = {
            let mut c = canonical(root_dir).unwrap_or_default();
            if !c.ends_with(std::path::MAIN_SEPARATOR) {
                c.push(std::path::MAIN_SEPARATOR);
            }
            c
        };
        let mut links = std::collections::BTreeSet::new();
        for f in files {
            let Some((canon, meta)) = canon_of.file(&f) else {
                continue;
            };
            if root.is_dir() && !canon.starts_with(&inside) {
                links.extend(link_of(root, &f, &canon));
            }
            present.insert(canon.clone());
            if !self.unchanged(&canon, meta.len(), mtime_nanos(&meta))? {
                todo.push((f, canon, meta.len()));
            }
        }
        let skipped = done.files - todo.len();
        if !todo.is_empty() {
            self.set_pending_index(PENDING_INDEX_BYTES)?;
            // FTS5's segments and the catalog's indexes are written through a larger page
            // cache while the files are stored (a tenth less time at 100,000 files), given
            // back after.
            let cache: i64 = self
                .conn()
                .pragma_query_value(None, "cache_size", |r| r.get(0))
                .map_err(|e| self.err(&e))?;
            self.conn()
                .pragma_update(None, "cache_size", -SCAN_CACHE_KIB)
                .map_err(|e| self.err(&e))?;
            let stored = self.store_files(root_dir, &todo, skipped, &mut done, &mut progress);
            // A cache that stays larger costs memory, not correctness.
            let _ = self.conn().pragma_update(None, "cache_size", cache);
            stored?;
        }
        let root_canon = canonical(root).unwrap_or_default();
        if Path::new(&root_canon).is_dir() {
            done.removed = self.remove_vanished(&root_canon, &present)?;
        }
        // A single file: only it can have vanished, and the next scan sees to it.
        if !root_canon.is_empty() {
            self.mark_scanned(&root_canon, &links.into_iter().collect::<Vec<_>>())?;
        }
        Ok(done)
    }

    /// Reads, parses and stores the files `todo` (the next batch parsed while one is written),
    /// counting them into `done`.
    fn store_files(
        &mut self,
        root_dir: &Path,
        todo: &[(PathBuf, String, u64)],
        skipped: usize,
        done: &mut Scanned,
        progress: &mut impl FnMut(usize, usize),
    ) -> Result<()> {
        let sizes: Vec<u64> = todo.iter().map(|(_, _, size)| *size).collect();
        let batches = batches(&sizes, self.batch);
        // The files of the next batch are parsed (on every core) while this thread writes the
        // batch before: the writer, where FTS5 spends its time, never waits for the parser.
        let (send, parsed) = std::sync::mpsc::sync_channel::<Vec<Parsed>>(0);
        std::thread::scope(|s| {
            let batches = &batches;
            s.spawn(move || {
                let mut manifests = Manifests::default();
                for range in batches {
                    let chunk = &todo[range.clone()];
                    let given: Vec<_> = chunk
                        .iter()
                        .map(|(f, _, _)| manifests.of(f, root_dir))
                        .collect();
                    let parsed = crate::par::par_map(chunk.len(), |i| {
                        parse_file(&chunk[i].0, &chunk[i].1, &given[i])
                    });
                    // The writer stopped (a write failed): nothing more is wanted.
                    if send.send(parsed).is_err() {
                        return;
                    }
                }
            });
            for (range, parsed) in batches.iter().zip(parsed) {
                let mut batch = Vec::new();
                for (p, (_, canon, _)) in parsed.into_iter().zip(&todo[range.clone()]) {
                    match p {
                        Ok(rows) => {
                            done.stored_files += 1;
                            batch.push((canon.clone(), rows));
                        }
                        Err(why) => done.problems.push(why),
                    }
                }
                done.stored_articles += self.replace_files(&batch)?;
                progress(skipped + range.end, done.files);
            }
            Ok::<_, super::StoreError>(())
        })
    }

    /// Sets the `hashsize` of both FTS5 tables, unless it is set already: a setting FTS5 keeps
    /// in the file, written once, by the first scan that stores anything (not by a migration:
    /// every reader opening a new file at once would load the tables' settings while another
    /// writes them).
    fn set_pending_index(&mut self, bytes: i64) -> Result<()> {
        let set: i64 = self
            .conn()
            .query_row(
                "SELECT count(*) FROM fts_config WHERE k = 'hashsize' AND v = ?1",
                [bytes],
                |r| r.get(0),
            )
            .map_err(|e| self.err(&e))?;
        if set > 0 {
            return Ok(());
        }
        self.write(|tx| {
            for table in ["fts", "grams"] {
                tx.execute(
                    &format!("INSERT INTO {table}({table}, rank) VALUES('hashsize', ?1)"),
                    [bytes],
                )?;
            }
            Ok(())
        })
    }

    /// Records that the catalog held every file under `root` (canonical) when a scan ended,
    /// and the links the walk followed out of it (see [`Link`]).
    fn mark_scanned(&mut self, root: &str, links: &[Link]) -> Result<()> {
        let key = format!("{SCANNED}{root}");
        let links_key = format!("{LINKS}{root}");
        let now = super::now_millis().to_string();
        let pairs: Vec<(&str, &str)> = links
            .iter()
            .map(|l| (l.rel.as_str(), l.target.as_str()))
            .collect();
        let links = serde_json::to_string(&pairs).unwrap_or_default();
        self.write(|tx| {
            tx.prepare_cached("INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)")?
                .execute([key.as_str(), now.as_str()])?;
            if pairs.is_empty() {
                tx.prepare_cached("DELETE FROM meta WHERE key = ?1")?
                    .execute([links_key.as_str()])?;
            } else {
                tx.prepare_cached("INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)")?
                    .execute([links_key.as_str(), links.as_str()])?;
            }
            Ok(())
        })
    }

    /// The links out of `root` (canonical) its last scan followed, when it recorded them.
    pub fn links_of(&self, root: &str) -> Result<Vec<Link>> {
        let Some(value) = self.meta(&format!("{LINKS}{root}"))? else {
            return Ok(Vec::new());
        };
        let pairs: Vec<(String, String)> = serde_json::from_str(&value).unwrap_or_default();
        Ok(pairs
            .into_iter()
            .map(|(rel, target)| Link { rel, target })
            .collect())
    }

    /// Hands `each` the catalog's rows of every article under `root` (a file or a folder), a
    /// file at a time in the order of their paths, each file's in their order in it, when a
    /// scan of `root` (or of a folder holding it) has ended before: `Some(true)`, or
    /// `Some(false)` when `each` stopped it by returning false; `None` when no scan has ended,
    /// so the catalog cannot tell what is there. The rows of the links its last scan followed
    /// out of `root` come after the others, each with its [`Link`]. What the reader's list
    /// starts from, before the folders are looked at.
    pub fn rows_under(
        &self,
        root: &Path,
        mut each: impl FnMut(Option<&Link>, Vec<ListRow>) -> bool,
    ) -> Result<Option<bool>> {
        let Some(canon) = self.scanned(root)? else {
            return Ok(None);
        };
        let is_dir = Path::new(&canon).is_dir();
        if !self.rows_at(&canon, is_dir, |group| each(None, group))? {
            return Ok(Some(false));
        }
        for link in self.links_under(&canon, is_dir)? {
            let folder = Path::new(&link.target).is_dir();
            if !self.rows_at(&link.target, folder, |group| each(Some(&link), group))? {
                return Ok(Some(false));
            }
        }
        Ok(Some(true))
    }

    /// The first `limit` rows under `root` in the list's date order, and the number of rows
    /// under `root` in all, when a scan of `root` (or of a folder holding it) has ended (see
    /// [`Self::rows_under`], links included): the reader's first frame of a big library, the
    /// rest read after it.
    pub fn first_rows_under(
        &self,
        root: &Path,
        limit: usize,
    ) -> Result<Option<(u64, Vec<LinkedRow>)>> {
        let Some(canon) = self.scanned(root)? else {
            return Ok(None);
        };
        let is_dir = Path::new(&canon).is_dir();
        let (mut total, first) = self.first_rows_at(&canon, is_dir, limit)?;
        let mut rows: Vec<LinkedRow> = first.into_iter().map(|row| (None, row)).collect();
        for link in self.links_under(&canon, is_dir)? {
            let folder = Path::new(&link.target).is_dir();
            let (n, first) = self.first_rows_at(&link.target, folder, limit)?;
            total += n;
            rows.extend(first.into_iter().map(|row| (Some(link.clone()), row)));
        }
        Ok(Some((total, rows)))
    }

    /// The links out of folder `canon` its own last scan followed (none for a file).
    fn links_under(&self, canon: &str, is_dir: bool) -> Result<Vec<Link>> {
        if is_dir {
            self.links_of(canon)
        } else {
            Ok(Vec::new())
        }
    }

    /// The canonical path of `root` when a scan of it or of a folder holding it has ended.
    fn scanned(&self, root: &Path) -> Result<Option<String>> {
        let Ok(canon) = canonical(root) else {
            return Ok(None);
        };
        let scanned = Path::new(&canon)
            .ancestors()
            .map(|a| format!("{SCANNED}{}", a.to_string_lossy()))
            .map(|key| self.meta(&key).map(|v| v.is_some()))
            .find(|r| !matches!(r, Ok(false)))
            .transpose()?
            .unwrap_or(false);
        Ok(scanned.then_some(canon))
    }
}

#[cfg(test)]
mod tests {
    use super::{Canonical, Db, PENDING_INDEX_BYTES, batches, canonical};

    #[test]
    fn canonical_paths_made_per_folder_are_those_of_each_file() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real");
        std::fs::create_dir(&real).unwrap();
        std::fs::write(real.join("a.txt"), "a").unwrap();
        std::fs::write(dir.path().join("b.txt"), "b").unwrap();
        let mut canon = Canonical::default();
        let mut paths = vec![real.join("a.txt"), dir.path().join("b.txt")];
        #[cfg(unix)]
        {
            // Through a linked folder, and a link to a file.
            std::os::unix::fs::symlink(&real, dir.path().join("link")).unwrap();
            std::os::unix::fs::symlink(real.join("a.txt"), dir.path().join("c.txt")).unwrap();
            paths.push(dir.path().join("link/a.txt"));
            paths.push(dir.path().join("c.txt"));
            // A path with `..` in it.
            paths.push(dir.path().join("real/../b.txt"));
        }
        for p in &paths {
            let (got, meta) = canon.file(p).unwrap();
            assert_eq!(got, canonical(p).unwrap(), "{}", p.display());
            assert_eq!(meta.len(), std::fs::metadata(p).unwrap().len());
        }
        assert!(canon.file(&dir.path().join("missing.txt")).is_none());
    }

    #[test]
    fn the_first_scan_that_stores_sets_the_pending_index_size_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut db = Db::in_memory().unwrap();
        let hashsize = |db: &Db, table: &str| -> Vec<i64> {
            let sql = format!("SELECT v FROM {table}_config WHERE k = 'hashsize'");
            let mut stmt = db.conn().prepare(&sql).unwrap();
            stmt.query_map([], |r| r.get(0))
                .unwrap()
                .map(Result::unwrap)
                .collect()
        };
        db.scan(dir.path(), |_, _| {}).unwrap();
        assert_eq!(hashsize(&db, "fts"), Vec::<i64>::new(), "nothing stored");
        std::fs::write(dir.path().join("a.txt"), "A\n2024-05-01\n\nBody.\n").unwrap();
        db.scan(dir.path(), |_, _| {}).unwrap();
        std::fs::write(dir.path().join("b.txt"), "B\n2024-05-01\n\nBody.\n").unwrap();
        db.scan(dir.path(), |_, _| {}).unwrap();
        for table in ["fts", "grams"] {
            assert_eq!(hashsize(&db, table), vec![PENDING_INDEX_BYTES], "{table}");
        }
        assert_eq!(
            db.matching(&crate::search::Query::parse("body"))
                .unwrap()
                .len(),
            2
        );
    }

    #[test]
    fn a_file_outside_its_folder_names_the_link_it_came_through() {
        use super::{Link, link_of};
        use std::path::Path;
        let link = |rel: &str, target: &str| {
            Some(Link {
                rel: rel.to_owned(),
                target: target.to_owned(),
            })
        };
        let root = Path::new("/lib");
        assert_eq!(
            link_of(
                root,
                Path::new("/lib/linked/deep/a.txt"),
                "/far/away/deep/a.txt"
            ),
            link("linked", "/far/away")
        );
        assert_eq!(
            link_of(root, Path::new("/lib/x/linked/a.txt"), "/far/a.txt"),
            link("x/linked", "/far")
        );
        // A link to a file is a link of its own name.
        assert_eq!(
            link_of(root, Path::new("/lib/b.txt"), "/far/a.txt"),
            link("b.txt", "/far/a.txt")
        );
        assert_eq!(
            link_of(root, Path::new("/elsewhere/a.txt"), "/far/a.txt"),
            None
        );
    }

    #[test]
    fn a_scan_gives_back_the_page_cache_it_took_to_store() {
        let dir = tempfile::tempdir().unwrap();
        let mut db = Db::in_memory().unwrap();
        let cache = |db: &Db| -> i64 {
            db.conn()
                .pragma_query_value(None, "cache_size", |r| r.get(0))
                .unwrap()
        };
        let before = cache(&db);
        assert_ne!(before, -super::SCAN_CACHE_KIB);
        std::fs::write(dir.path().join("a.txt"), "A\n2024-05-01\n\nBody.\n").unwrap();
        let done = db.scan(dir.path(), |_, _| {}).unwrap();
        assert_eq!(done.stored_articles, 1);
        assert_eq!(cache(&db), before);
    }

    #[test]
    fn batches_end_at_the_file_count_or_the_file_that_reaches_the_bytes() {
        assert_eq!(batches(&[], (2, 100)), Vec::new());
        assert_eq!(batches(&[1, 1, 1, 1, 1], (2, 100)), vec![0..2, 2..4, 4..5]);
        // 60 + 50 reaches 100: the batch ends with the second file.
        assert_eq!(
            batches(&[60, 50, 10, 200, 5], (10, 100)),
            vec![0..2, 2..4, 4..5]
        );
        // A file larger than the bytes is a batch of its own.
        assert_eq!(batches(&[500, 500], (10, 100)), vec![0..1, 1..2]);
    }
}
