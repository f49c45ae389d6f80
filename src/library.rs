//! The library: the catalog of every article under the given paths (or the embedded sample
//! library), sorted and filtered for the list.
//!
//! Files are catalogued on all cores at start: for the `.txt` layout only the head of each
//! article is read (see [`crate::article::scan`]); bodies are parsed when asked for and kept
//! while recently used, [`BODY_CACHE_BYTES`] of them at most (`bodies`). Files larger than
//! [`LAZY_BYTES`] are catalogued from their head and parsed in full
//! each time they are opened, never kept, so one huge file neither holds the list up nor fills
//! memory; files over [`MAX_ARTICLE_BYTES`] are refused.
//!
//! Only regular files are read: every file is opened without blocking and checked after it is
//! open ([`open_regular`]), so a FIFO or a device, named on the command line, met in a folder
//! or swapped in for a file while the reader runs, is refused with a message and never read.
//! Linked folders are followed once each (a link back to a folder already read is reported).
//! File and folder names are made safe to print where they enter ([`crate::escape`]): ids,
//! paths and titles made from a file name never hold a control character.

mod articles;
mod bodies;
mod catalog;
mod manifest;
mod newsboat;
mod problem;
mod read;
mod sort;
mod stored;
mod walk;
mod watch;

#[cfg(test)]
mod tests;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

use crate::article::{self, Article, DateValue, Direction, Format, Lang};

pub use bodies::BODY_CACHE_BYTES;
pub use catalog::EMBEDDED_PREFIX;
pub use manifest::folder_manifest;
pub use newsboat::{CacheError, read_cache};
pub use problem::Problem;
pub use read::{ReadError, open_regular, read_regular, size_text};
pub use sort::SortKey;
pub use stored::Loading;
pub use watch::{Changes, Feed, RESCAN_EVERY, watch, watch_loading};

use manifest::{Manifests, fill_from_manifest, manifest_row, parse_manifest};
use read::{io_reason, kind_of};
use walk::{Walker, add_folder};
pub use walk::{article_files, holds_article_file};

/// Files over this size are catalogued from their first 256 KiB and loaded on open.
pub const LAZY_BYTES: u64 = 16 * 1024 * 1024;
/// The largest article file qari reads into memory; a larger file is refused with a message.
pub const MAX_ARTICLE_BYTES: u64 = 256 * 1024 * 1024;
/// The largest `manifest.tsv` read.
const MAX_MANIFEST_BYTES: u64 = 16 * 1024 * 1024;
/// How much of a large file is read to catalogue it.
const HEAD_BYTES: usize = 256 * 1024;
/// How many articles of a library from the catalog the reader's first frame reads
/// ([`Library::first_page`]); the rest follow a moment later.
pub const FIRST_PAGE: usize = 1000;
/// The name of the optional per-folder file giving each article's source and address.
pub const MANIFEST: &str = "manifest.tsv";

/// The files of the sample library, embedded at build time: (path, bytes).
const EMBEDDED: &[(&str, &[u8])] = include!(concat!(env!("OUT_DIR"), "/embedded.rs"));

/// What the list shows of one article.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// The article's id in this library: its file's path relative to the folder opened, with
    /// `#KEY` for a record of a file holding many.
    pub id: String,
    /// Who the article is wherever it was opened from (reading state is kept by it).
    #[serde(skip)]
    pub identity: crate::store::Identity,
    /// The file it came from, as given or relative to the library root.
    pub path: String,
    /// Its title.
    pub title: String,
    /// The first parsed date.
    pub date: Option<DateValue>,
    /// Every parsed date, in article order.
    pub dates: Vec<DateValue>,
    /// Its language.
    pub lang: Lang,
    /// Its base direction.
    pub direction: Direction,
    /// Where it was published, when known.
    pub source: Option<String>,
    /// Who wrote it, when known.
    pub byline: Option<String>,
    /// Its tags.
    pub tags: Vec<String>,
    /// Number of words in the body.
    pub words: usize,
    /// The unread mark of the store it came from (newsboat's), `None` for plain files.
    pub unread: Option<bool>,
    /// The character encoding its file was read in.
    pub encoding: article::TextEncoding,
}

/// One article of the catalog: its entry, where it comes from, and its body once parsed.
#[derive(Debug, Clone)]
struct Item {
    /// Shared with the rescans that find its file unchanged: a newer library of a big
    /// folder holds no second copy of the entries it kept.
    entry: Arc<Entry>,
    /// Index of its file in [`Library::sources`].
    file: usize,
    /// Its place among the articles of that file.
    index: usize,
    /// The article as it was shown, for one whose file vanished while it was open (the
    /// others are kept, parsed, in [`Library::bodies`] while they are recently used).
    pinned: Option<Arc<Article>>,
    /// Its file vanished while it was open: kept for the reader, listed nowhere.
    gone: bool,
    /// Its catalog id in the database it was read from (see [`Library::from_catalog`]).
    row: Option<i64>,
}

/// The catalog of articles.
///
/// The catalog reads the head of each article (title, dates, language, word count) and
/// parses bodies when they are first asked for ([`Library::article`]), so a library of
/// 100,000 articles lists in well under a second and holds only what was read.
#[derive(Debug, Clone, Default)]
pub struct Library {
    name: String,
    /// What tells this library from others: its canonical paths, or the sample's name.
    key: String,
    sources: Vec<SourceFile>,
    items: Vec<Item>,
    problems: Vec<Problem>,
    /// How many of [`Self::problems`] the walk of the folders gave (they come first).
    walked: usize,
    /// Made from the database's catalog, not yet from the files (see
    /// [`Library::from_catalog`]).
    from_catalog: bool,
    /// What is still being read of it, while it stands for the whole (see
    /// [`Library::loading`]).
    loading: Option<Loading>,
    /// The articles parsed lately, shared with the libraries rescanned from this one.
    bodies: Arc<bodies::Bodies>,
    /// The list's orders once made (see [`Library::view`]), by [`SortKey`].
    views: [std::sync::OnceLock<Vec<usize>>; 3],
    /// Whether the listed articles are in strictly increasing id order, once looked at (see
    /// [`Library::in_id_order`]).
    id_ordered: std::sync::OnceLock<bool>,
}

/// One file of the library.
#[derive(Debug, Clone)]
struct SourceFile {
    /// The path as shown to the user.
    display: String,
    /// The stable id of the file (relative to its library root).
    id: String,
    format: Format,
    origin: Origin,
    /// Catalogued from its head only (a huge file): parsed in full on each open, never kept.
    huge: bool,
    /// Source and address given by a folder's manifest.
    source: Option<String>,
    url: Option<String>,
    /// Its size and modification time when it was catalogued (none when not on disk).
    stamp: Option<watch::Stamp>,
    /// What cataloguing it found wrong.
    problems: Vec<Problem>,
}

#[derive(Clone)]
enum Origin {
    Disk(PathBuf),
    Embedded(&'static [u8]),
}

impl fmt::Debug for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Disk(p) => write!(f, "Disk({})", p.display()),
            Self::Embedded(b) => write!(f, "Embedded({} bytes)", b.len()),
        }
    }
}

impl Library {
    /// The sample library embedded in the binary.
    pub fn embedded() -> Self {
        let manifests: Manifests = EMBEDDED
            .iter()
            .filter(|(path, _)| *path == MANIFEST)
            .map(|(_, bytes)| {
                (
                    String::new(),
                    parse_manifest(&String::from_utf8_lossy(bytes)),
                )
            })
            .collect();
        let sources = EMBEDDED
            .iter()
            .filter_map(|&(path, bytes)| {
                // The manifest describes the files; it is no dataset of its own.
                if path == MANIFEST {
                    return None;
                }
                let format = Format::from_path(Path::new(path))?;
                let row = manifest_row(&manifests, path);
                Some(SourceFile {
                    display: format!("(embedded)/{path}"),
                    id: path.to_owned(),
                    format,
                    origin: Origin::Embedded(bytes),
                    huge: false,
                    source: row.source,
                    url: row.url,
                    stamp: None,
                    problems: Vec::new(),
                })
            })
            .collect();
        let mut lib = Self::catalogue("sample library".to_owned(), sources);
        "embedded sample".clone_into(&mut lib.key);
        lib
    }

    /// Loads every article under `paths` (files, or folders walked recursively; files of
    /// unknown extensions are skipped; linked folders are followed once each).
    pub fn open(paths: &[PathBuf]) -> Self {
        let (name, sources, problems) = Self::gather(paths);
        let mut lib = Self::catalogue(name, sources);
        lib.key = Self::key_of(paths);
        lib.walked = problems.len();
        let mut problems = problems;
        problems.append(&mut lib.problems);
        lib.problems = problems;
        lib
    }

    /// The key of the library opened on `paths` (see [`Self::key`]).
    fn key_of(paths: &[PathBuf]) -> String {
        paths
            .iter()
            .map(|p| {
                let p = p.canonicalize().unwrap_or_else(|_| p.clone());
                crate::escape::path(&p)
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The files under `paths`, the library's name, and what the walk found wrong.
    fn gather(paths: &[PathBuf]) -> (String, Vec<SourceFile>, Vec<Problem>) {
        // (display path, file id, path) of every file, and the manifests met on the way.
        let mut found: Vec<(String, String, PathBuf)> = Vec::new();
        let mut manifests: Manifests = Vec::new();
        // What the manifest of its own folder says of each file named on its own, by its place
        // in `found`.
        let mut named = std::collections::HashMap::new();
        let mut problems = Vec::new();
        for root in paths {
            let shown = crate::escape::path(root);
            match std::fs::metadata(root) {
                Ok(m) if m.is_dir() => {
                    let mut walker = Walker::default();
                    walker.run(root, &m);
                    problems.append(&mut walker.problems);
                    add_folder(root, walker.files, &mut found, &mut manifests);
                }
                Ok(m) if !m.is_file() => problems.push(Problem::new(
                    shown,
                    ReadError::NotRegular(kind_of(m.file_type())).to_string(),
                    true,
                )),
                Ok(_) if Format::from_path(root).is_some() => {
                    let id = root.file_name().map_or_else(
                        || shown.clone(),
                        |n| crate::escape::display(&n.to_string_lossy()).into_owned(),
                    );
                    let folder = root.parent().filter(|d| !d.as_os_str().is_empty());
                    let name = root.file_name().map(|n| n.to_string_lossy());
                    if let Some((source, url)) = name.and_then(|n| {
                        folder_manifest(folder.unwrap_or_else(|| Path::new("."))).remove(&*n)
                    }) {
                        named.insert(found.len(), manifest::ManifestRow { source, url });
                    }
                    found.push((shown, id, root.clone()));
                }
                Ok(_) => problems.push(Problem::new(
                    shown,
                    "its extension is not one qari reads (txt, md, html, json, jsonl, rss, atom, xml, csv, tsv, or newsboat's cache.db)",
                    true,
                )),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    let broken = std::fs::symlink_metadata(root).is_ok();
                    problems.push(Problem::new(
                        shown,
                        if broken {
                            "it is a link to nothing"
                        } else {
                            "no such file or folder"
                        },
                        true,
                    ));
                }
                Err(e) => problems.push(Problem::new(shown, io_reason(&e), true)),
            }
        }
        let sources = found
            .into_iter()
            .enumerate()
            .filter_map(|(n, (display, id, path))| {
                let format = Format::from_path(&path)?;
                let row = named
                    .remove(&n)
                    .unwrap_or_else(|| manifest_row(&manifests, &id));
                Some(SourceFile {
                    display,
                    id,
                    format,
                    origin: Origin::Disk(path),
                    huge: false,
                    source: row.source,
                    url: row.url,
                    stamp: None,
                    problems: Vec::new(),
                })
            })
            .collect();
        (Self::name_of(paths), sources, problems)
    }

    /// The name of the library opened on `paths`, for the header.
    fn name_of(paths: &[PathBuf]) -> String {
        match paths {
            [one] => one
                .canonicalize()
                .ok()
                .and_then(|p| {
                    p.file_name()
                        .map(|n| crate::escape::display(&n.to_string_lossy()).into_owned())
                })
                .unwrap_or_else(|| crate::escape::path(one)),
            _ => format!("{} paths", paths.len()),
        }
    }

    /// The files catalogued from their head only (over [`LAZY_BYTES`]): their text is parsed
    /// when opened and not indexed for search, which finds them by their titles.
    pub fn title_only(&self) -> impl Iterator<Item = &str> {
        self.sources
            .iter()
            .filter(|s| s.huge)
            .map(|s| s.display.as_str())
    }

    /// The library's name for the header.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What tells this library from others (its settings are remembered by it): the
    /// canonical paths it was opened on, one a line, or `embedded sample` for the sample.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Number of articles.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when no article was loaded.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Number of files read (whether or not they held articles).
    pub fn files(&self) -> usize {
        self.sources.len()
    }

    /// The catalog entry of article `i`.
    pub fn entry(&self, i: usize) -> &Entry {
        &self.items[i].entry
    }

    /// All catalog entries, in load order.
    pub fn entries(&self) -> impl ExactSizeIterator<Item = &Entry> {
        self.items.iter().map(|i| &*i.entry)
    }

    /// The index of the article with this id.
    pub fn position(&self, id: &str) -> Option<usize> {
        self.items.iter().position(|i| i.entry.id == id)
    }

    /// What was wrong with the files, one per file.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }
}
