//! The library as the database's catalog last saw it: the reader's list before the folders
//! are looked at. Nothing is read but the catalog; [`Library::rescan`] then walks the folders
//! and reads only the files whose size or modification time differ from the catalog's.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use super::{Entry, Item, LAZY_BYTES, Library, Origin, SourceFile};
use crate::article::{DateValue, Direction, Format};
use crate::store::scan::Link;
use crate::store::{Db, ListRow};

/// What of a library is still being read, while a first frame stands for it (see
/// [`Library::loading`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loading {
    /// Its folders: nothing of it is known yet ([`Library::unread_yet`]).
    Folders,
    /// The catalog's rows after its first page ([`Library::first_page`]); the whole holds
    /// this many articles.
    Rest(usize),
}

impl Library {
    /// The library under `paths` as the catalog of `db` holds it, without reading a file.
    /// `None` when the catalog cannot stand for it: a path no scan of the catalog has covered
    /// to its end, one that cannot be seen, a store read in place (newsboat's cache), a
    /// catalog that cannot be read, or no article at all.
    pub fn from_catalog(db: &Db, paths: &[PathBuf]) -> Option<Self> {
        if paths.is_empty() {
            return None;
        }
        let mut sources: Vec<SourceFile> = Vec::new();
        let mut items: Vec<Item> = Vec::new();
        for root in paths {
            let (canon, is_dir) = folder_of(root)?;
            let canon = is_dir.then_some(canon.as_str());
            let (first_source, first_item) = (sources.len(), items.len());
            let mut linked = false;
            // Each file's rows become its articles as they are read.
            let whole = db.rows_under(root, |link, group| {
                linked |= link.is_some();
                let Some(source) = source_of(root, canon, link, &group) else {
                    return false;
                };
                let file = sources.len();
                let many = group.len() > 1 || source.format.holds_many();
                items.extend(
                    group
                        .into_iter()
                        .map(|row| item_of(row, &source, file, many)),
                );
                sources.push(source);
                true
            });
            if !whole.ok()?? {
                return None;
            }
            if linked {
                // The walk lists a folder's files by id, those of its links among the others.
                sort_by_id(&mut sources, &mut items, first_source, first_item);
            }
        }
        if items.is_empty() {
            // Nothing to show is no first frame: the files may hold what the catalog does not.
            return None;
        }
        let (name, key) = (Self::name_of(paths), Self::key_of(paths));
        Some(Self {
            name,
            key,
            sources,
            items,
            from_catalog: true,
            ..Self::default()
        })
    }

    /// The first `limit` articles of the list of the library under `paths`, in its date
    /// order, as the catalog of `db` holds them: the reader's first frame of a big library,
    /// read in milliseconds where the whole catalog takes seconds. The watcher then reads the
    /// whole catalog ([`Self::from_catalog`]) and the list takes it in; until then
    /// [`Self::loading`] tells how many articles the library holds. `None` as for
    /// [`Self::from_catalog`].
    pub fn first_page(db: &Db, paths: &[PathBuf], limit: usize) -> Option<Self> {
        if paths.is_empty() || limit == 0 {
            return None;
        }
        let mut total = 0u64;
        let mut rows: Vec<(usize, Option<Link>, ListRow)> = Vec::new();
        let mut folders = Vec::new();
        for (r, root) in paths.iter().enumerate() {
            folders.push(folder_of(root)?);
            let (n, first) = db.first_rows_under(root, limit).ok()??;
            total += n;
            rows.extend(first.into_iter().map(|(link, row)| (r, link, row)));
        }
        if rows.is_empty() {
            return None;
        }
        let mut sources: Vec<SourceFile> = Vec::new();
        let mut items: Vec<Item> = Vec::with_capacity(rows.len());
        // Each file once, from all its rows (what its manifest gave, how many it holds).
        let mut file_of: HashMap<(usize, String), (usize, bool)> = HashMap::new();
        for (r, link, row) in rows {
            let key = (r, row.identity.path.clone());
            let (file, many) = if let Some(&f) = file_of.get(&key) {
                f
            } else {
                let group = db.rows_of_file(&row.identity.path).ok()?;
                let (canon, is_dir) = &folders[r];
                let canon = is_dir.then_some(canon.as_str());
                let source = source_of(&paths[r], canon, link.as_ref(), &group)?;
                let many = group.len() > 1 || source.format.holds_many();
                sources.push(source);
                let f = (sources.len() - 1, many);
                file_of.insert(key, f);
                f
            };
            items.push(item_of(row, &sources[file], file, many));
        }
        // The list's date order (newest first, undated last), its ties by id as the list's
        // sort has them (by index only when that is id order), across the roots.
        items.sort_by_cached_key(|item| {
            let t = item.entry.date.map(DateValue::sort_key);
            (
                t.is_none(),
                std::cmp::Reverse(t.unwrap_or(0)),
                item.entry.id.clone(),
            )
        });
        items.truncate(limit);
        let n = items.len();
        let lib = Self {
            name: Self::name_of(paths),
            key: Self::key_of(paths),
            sources,
            items,
            from_catalog: true,
            loading: Some(Loading::Rest(
                usize::try_from(total).unwrap_or(usize::MAX).max(n),
            )),
            ..Self::default()
        };
        // The rows came in the list's order already.
        let _ = lib.views[0].set((0..n).collect());
        Some(lib)
    }

    /// A library of `paths` whose articles are still to be read: the reader's first frame
    /// while its watcher reads them ([`super::watch_loading`]), so the terminal is the reader's at
    /// once; [`Self::loading`] is [`Loading::Folders`].
    pub fn unread_yet(paths: &[PathBuf]) -> Self {
        Self {
            name: Self::name_of(paths),
            key: Self::key_of(paths),
            loading: Some(Loading::Folders),
            ..Self::default()
        }
    }

    /// What is still being read of this library, while it stands for the whole one (see
    /// [`Self::first_page`] and [`Self::unread_yet`]).
    pub fn loading(&self) -> Option<Loading> {
        self.loading
    }

    /// Whether this library came from the catalog ([`Self::from_catalog`]) and no rescan has
    /// replaced it yet.
    pub fn is_from_catalog(&self) -> bool {
        self.from_catalog
    }

    /// The catalog id of article `i` in the database this library was read from, while it is
    /// the library [`Self::from_catalog`] made (a rescan's articles have none: the database
    /// may have changed since).
    pub fn catalog_id(&self, i: usize) -> Option<i64> {
        self.items
            .get(i)
            .filter(|_| self.from_catalog)
            .and_then(|item| item.row)
    }
}

/// The canonical path of `root` with a separator at its end, and whether it is a folder;
/// `None` when it cannot be seen.
fn folder_of(root: &Path) -> Option<(String, bool)> {
    let is_dir = std::fs::metadata(root).ok()?.is_dir();
    let mut canon = root.canonicalize().ok()?.to_string_lossy().into_owned();
    if !canon.ends_with(std::path::MAIN_SEPARATOR) {
        canon.push(std::path::MAIN_SEPARATOR);
    }
    Some((canon, is_dir))
}

/// Puts the files of `sources[from_source..]` (their articles `items[from_item..]`, each
/// file's together) in id order, as the walk of a folder lists them.
fn sort_by_id(
    sources: &mut Vec<SourceFile>,
    items: &mut Vec<Item>,
    from_source: usize,
    from_item: usize,
) {
    let files = sources.split_off(from_source);
    let mut of_file: Vec<Vec<Item>> = (0..files.len()).map(|_| Vec::new()).collect();
    for item in items.split_off(from_item) {
        of_file[item.file - from_source].push(item);
    }
    let mut order: Vec<usize> = (0..files.len()).collect();
    order.sort_by(|&a, &b| files[a].id.cmp(&files[b].id));
    let mut files: Vec<Option<SourceFile>> = files.into_iter().map(Some).collect();
    for old in order {
        let file = sources.len();
        items.extend(
            std::mem::take(&mut of_file[old])
                .into_iter()
                .map(|mut item| {
                    item.file = file;
                    item
                }),
        );
        sources.extend(files[old].take());
    }
}

/// The file of a group of rows (one file's articles), as the walk of `root` would have found
/// it: its path under `root` as given, its id relative to the folder (`canon` is the folder's
/// canonical path with a separator at its end, or `None` for a file named on its own; `link`
/// the link out of the folder the file was found through, when it was).
fn source_of(
    root: &Path,
    canon: Option<&str>,
    link: Option<&Link>,
    group: &[ListRow],
) -> Option<SourceFile> {
    let first = &group[0];
    let at = first.identity.path.as_str();
    let format = Format::from_path(Path::new(at)).filter(|f| !f.reads_path())?;
    let (path, id) = if let Some(canon) = canon {
        let rel = match link {
            None => at.strip_prefix(canon)?.to_owned(),
            Some(link) => {
                let sep = std::path::MAIN_SEPARATOR;
                let under = link.rel.replace('/', std::path::MAIN_SEPARATOR_STR);
                match at.strip_prefix(link.target.as_str())? {
                    "" => under,
                    rest => format!("{under}{sep}{}", rest.strip_prefix(sep)?),
                }
            }
        };
        let rel = rel.as_str();
        let id = if std::path::MAIN_SEPARATOR == '/' {
            crate::escape::display(rel).into_owned()
        } else {
            crate::escape::display(&rel.replace(std::path::MAIN_SEPARATOR, "/")).into_owned()
        };
        (root.join(rel), id)
    } else {
        let name = root.file_name().map_or_else(
            || crate::escape::path(root),
            |n| crate::escape::display(&n.to_string_lossy()).into_owned(),
        );
        (root.to_path_buf(), name)
    };
    // What a manifest gave the file, as far as the rows tell: a value every article has.
    let common = |field: fn(&ListRow) -> &Option<String>| {
        let v = field(first);
        group
            .iter()
            .all(|r| field(r) == v)
            .then(|| v.clone())
            .flatten()
    };
    let mtime = u64::try_from(first.mtime).ok().filter(|&n| n > 0);
    Some(SourceFile {
        display: crate::escape::path(&path),
        id,
        format,
        huge: first.size > LAZY_BYTES,
        source: common(|r| &r.source),
        url: common(|r| &r.url),
        stamp: mtime.map(|n| (first.size, Some(UNIX_EPOCH + Duration::from_nanos(n)), None)),
        problems: Vec::new(),
        origin: Origin::Disk(path),
    })
}

/// The catalog item of one row of file `file`.
fn item_of(row: ListRow, source: &SourceFile, file: usize, many: bool) -> Item {
    let id = if row.identity.key.is_empty() && !many {
        source.id.clone()
    } else {
        format!("{}#{}", source.id, row.identity.key)
    };
    let index = usize::try_from(row.place).unwrap_or(usize::MAX);
    let id_in_catalog = row.id;
    let entry = Entry {
        id,
        path: source.display.clone(),
        title: row.title,
        date: row.dates.first().copied(),
        dates: row.dates,
        lang: row.lang,
        direction: if row.rtl {
            Direction::Rtl
        } else {
            Direction::Ltr
        },
        source: row.source,
        byline: row.author,
        tags: row.tags,
        words: usize::try_from(row.words).unwrap_or(usize::MAX),
        unread: None,
        encoding: row.encoding,
        identity: row.identity,
    };
    Item {
        entry: std::sync::Arc::new(entry),
        file,
        index,
        pinned: None,
        gone: false,
        row: Some(id_in_catalog),
    }
}

#[cfg(test)]
mod tests;
