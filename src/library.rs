//! The library: the catalog of every article under the given paths (or the embedded sample
//! library), sorted and filtered for the list.
//!
//! Files are catalogued on all cores at start: for the `.txt` layout only the head of each
//! article is read (see [`crate::article::scan`]); bodies are parsed when first asked for
//! and kept. Files larger than [`LAZY_BYTES`] are catalogued from their head and parsed in full
//! each time they are opened, never kept, so one huge file neither holds the list up nor fills
//! memory; files over [`MAX_ARTICLE_BYTES`] are refused.
//!
//! Only regular files are read: every file is opened without blocking and checked after it is
//! open ([`open_regular`]), so a FIFO or a device, named on the command line, met in a folder
//! or swapped in for a file while the reader runs, is refused with a message and never read.
//! Linked folders are followed once each (a link back to a folder already read is reported).
//! File and folder names are made safe to print where they enter ([`crate::escape`]): ids,
//! paths and titles made from a file name never hold a control character.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use serde::Serialize;

use crate::article::{self, Article, DateValue, Direction, Format, Lang};

/// Files over this size are catalogued from their first 256 KiB and loaded on open.
pub const LAZY_BYTES: u64 = 16 * 1024 * 1024;
/// The largest article file qari reads into memory; a larger file is refused with a message.
pub const MAX_ARTICLE_BYTES: u64 = 256 * 1024 * 1024;
/// The largest `manifest.tsv` read.
const MAX_MANIFEST_BYTES: u64 = 16 * 1024 * 1024;
/// How much of a large file is read to catalogue it.
const HEAD_BYTES: usize = 256 * 1024;
/// The name of the optional per-folder file giving each article's source and address.
pub const MANIFEST: &str = "manifest.tsv";

/// The files of the sample library, embedded at build time: (path, bytes).
const EMBEDDED: &[(&str, &[u8])] = include!(concat!(env!("OUT_DIR"), "/embedded.rs"));

/// What the list shows of one article.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// The article's stable id.
    pub id: String,
    /// The file it came from, as given or relative to the library root.
    pub path: String,
    /// Its title.
    pub title: String,
    /// The first parsed date.
    pub date: Option<DateValue>,
    /// Every parsed date, in article order.
    pub dates: Vec<DateValue>,
    /// The first date as printed in the article.
    pub date_text: Option<String>,
    /// Its language.
    pub lang: Lang,
    /// Its base direction.
    pub direction: Direction,
    /// Where it was published, when known.
    pub source: Option<String>,
    /// Number of words in the body.
    pub words: usize,
    /// The unread mark of the store it came from (newsboat's), `None` for plain files.
    pub unread: Option<bool>,
}

/// A file that could not be used, or was used in part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The file, as shown to the user.
    pub path: String,
    /// What is wrong, as the end of a sentence ("it is binary …").
    pub message: String,
    /// True when nothing of the file could be used.
    pub unusable: bool,
    /// True for a note about the library's layout rather than a file's content (a link to a
    /// folder already read): printed without a verdict.
    pub note: bool,
}

impl Problem {
    fn new(path: String, message: impl Into<String>, unusable: bool) -> Self {
        Self {
            path,
            message: message.into(),
            unusable,
            note: false,
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The path was made safe when it was recorded; the message may quote a parser's view
        // of the file, so it is made safe here.
        let message = crate::escape::display(&self.message);
        if self.note {
            return write!(f, "{}: {message}.", self.path);
        }
        let verdict = if self.unusable { "skipped" } else { "loaded" };
        write!(f, "{}: {verdict}: {message}.", self.path)
    }
}

/// Why a file was not read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// A FIFO, a device, a socket or a folder where a file was expected.
    #[error("it is {0}, not a regular file")]
    NotRegular(&'static str),
    /// Larger than the limit for its kind of file.
    #[error("it is {}, over the limit of {}", size_text(*size), size_text(*max))]
    TooLarge {
        /// Its size in bytes.
        size: u64,
        /// The limit in bytes.
        max: u64,
    },
    /// The system refused.
    #[error("{}", io_reason(.0))]
    Io(#[from] std::io::Error),
}

/// A size in bytes for a message: `300.5 MiB`, `12 KiB`, `100 bytes`.
pub fn size_text(bytes: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * KIB;
    const GIB: u64 = 1024 * MIB;
    let f = bytes as f64;
    match bytes {
        b if b >= GIB => format!("{:.1} GiB", f / GIB as f64),
        b if b >= MIB && b % MIB == 0 => format!("{} MiB", b / MIB),
        b if b >= MIB => format!("{:.1} MiB", f / MIB as f64),
        b if b >= KIB && b % KIB == 0 => format!("{} KiB", b / KIB),
        b if b >= KIB => format!("{:.1} KiB", f / KIB as f64),
        b => format!("{b} bytes"),
    }
}

/// What a file that is not a regular file is, for a message.
fn kind_of(ft: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if ft.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if ft.is_char_device() {
            return "a character device";
        }
        if ft.is_block_device() {
            return "a block device";
        }
        if ft.is_socket() {
            return "a socket";
        }
    }
    if ft.is_dir() { "a folder" } else { "something" }
}

/// Opens `path` for reading if it is a regular file (links followed), with its metadata.
///
/// The file is opened without blocking (`O_NONBLOCK`, so opening a FIFO never waits for a
/// writer) and without becoming a controlling terminal (`O_NOCTTY`), and the type is checked on
/// the opened file (`fstat`), so a file swapped for a FIFO or a device between a check and the
/// read is refused, never read.
pub fn open_regular(path: &Path) -> Result<(std::fs::File, std::fs::Metadata), ReadError> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    let file = match options.open(path) {
        Ok(f) => f,
        // Opening a socket fails with ENXIO: say what it is.
        Err(e) => {
            return Err(match std::fs::metadata(path) {
                Ok(m) if !m.is_file() => ReadError::NotRegular(kind_of(m.file_type())),
                _ => ReadError::Io(e),
            });
        }
    };
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(ReadError::NotRegular(kind_of(meta.file_type())));
    }
    Ok((file, meta))
}

/// Reads the whole of `path` if it is a regular file of at most `max` bytes (see
/// [`open_regular`]); a file that grows past `max` while it is read is refused too.
pub fn read_regular(path: &Path, max: u64) -> Result<Vec<u8>, ReadError> {
    let (file, meta) = open_regular(path)?;
    if meta.len() > max {
        return Err(ReadError::TooLarge {
            size: meta.len(),
            max,
        });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(max + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(ReadError::TooLarge {
            size: bytes.len() as u64,
            max,
        });
    }
    Ok(bytes)
}

/// One article of the catalog: its entry, where it comes from, and its body once parsed.
#[derive(Debug, Clone)]
struct Item {
    entry: Entry,
    /// Index of its file in [`Library::sources`].
    file: usize,
    /// Its place among the articles of that file.
    index: usize,
    /// The parsed article, kept once read (except for huge files, parsed on each open).
    body: OnceLock<Arc<Article>>,
}

/// Sort orders of the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SortKey {
    /// Newest first; undated articles last.
    #[default]
    Date,
    /// By title.
    Title,
    /// By source, then newest first.
    Source,
}

impl SortKey {
    /// The next order in the cycle date → title → source.
    #[must_use]
    pub fn next(self) -> Self {
        match self {
            Self::Date => Self::Title,
            Self::Title => Self::Source,
            Self::Source => Self::Date,
        }
    }

    /// A short name for the status line.
    pub fn name(self) -> &'static str {
        match self {
            Self::Date => "date",
            Self::Title => "title",
            Self::Source => "source",
        }
    }
}

/// A filter on the catalog; every set field must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only articles in this language.
    pub lang: Option<Lang>,
    /// Only articles whose title contains this text (case-insensitive).
    pub title: Option<String>,
}

/// The catalog of articles.
///
/// The catalog reads the head of each article (title, dates, language, word count) and
/// parses bodies when they are first asked for ([`Library::article`]), so a library of
/// 100,000 articles lists in well under a second and holds only what was read.
#[derive(Debug, Clone, Default)]
pub struct Library {
    name: String,
    sources: Vec<SourceFile>,
    items: Vec<Item>,
    problems: Vec<Problem>,
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

/// The manifests of a library: (folder prefix of the ids, rows by file name).
type Manifests = Vec<(String, HashMap<String, ManifestRow>)>;

/// The source and address the manifests give a file (the first manifest that names it wins).
fn manifest_row(manifests: &Manifests, file_id: &str) -> ManifestRow {
    let mut out = ManifestRow::default();
    for (prefix, rows) in manifests {
        let Some(row) = file_id
            .strip_prefix(prefix.as_str())
            .and_then(|r| rows.get(r))
        else {
            continue;
        };
        if out.source.is_none() {
            out.source.clone_from(&row.source);
        }
        if out.url.is_none() {
            out.url.clone_from(&row.url);
        }
    }
    out
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
                })
            })
            .collect();
        Self::catalogue("sample library".to_owned(), sources)
    }

    /// Loads every article under `paths` (files, or folders walked recursively; files of
    /// unknown extensions are skipped; linked folders are followed once each).
    pub fn open(paths: &[PathBuf]) -> Self {
        // (display path, file id, path) of every file, and the manifests met on the way.
        let mut found: Vec<(String, String, PathBuf)> = Vec::new();
        let mut manifests: Manifests = Vec::new();
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
            .filter_map(|(display, id, path)| {
                let format = Format::from_path(&path)?;
                let row = manifest_row(&manifests, &id);
                Some(SourceFile {
                    display,
                    id,
                    format,
                    origin: Origin::Disk(path),
                    huge: false,
                    source: row.source,
                    url: row.url,
                })
            })
            .collect();
        let name = match paths {
            [one] => one
                .canonicalize()
                .ok()
                .and_then(|p| {
                    p.file_name()
                        .map(|n| crate::escape::display(&n.to_string_lossy()).into_owned())
                })
                .unwrap_or_else(|| crate::escape::path(one)),
            _ => format!("{} paths", paths.len()),
        };
        let mut lib = Self::catalogue(name, sources);
        problems.append(&mut lib.problems);
        lib.problems = problems;
        lib
    }

    /// The files catalogued from their head only (over [`LAZY_BYTES`]): their text is parsed
    /// when opened and not indexed for search, which finds them by their titles.
    pub fn title_only(&self) -> impl Iterator<Item = &str> {
        self.sources
            .iter()
            .filter(|s| s.huge)
            .map(|s| s.display.as_str())
    }

    /// Catalogues `sources` on every core.
    fn catalogue(name: String, mut sources: Vec<SourceFile>) -> Self {
        let scanned = crate::par::par_map(sources.len(), |i| scan_file(&sources[i]));
        let mut lib = Self {
            name,
            ..Self::default()
        };
        for (file, result) in scanned.into_iter().enumerate() {
            let source = &mut sources[file];
            source.huge = result.huge;
            lib.problems.extend(result.problems);
            for (index, (mut entry, body)) in result.items.into_iter().enumerate() {
                if entry.source.is_none() {
                    entry.source.clone_from(&source.source);
                }
                let cell = OnceLock::new();
                if let Some(mut article) = body {
                    fill_from_manifest(&mut article, source);
                    let _ = cell.set(Arc::new(article));
                }
                lib.items.push(Item {
                    entry,
                    file,
                    index,
                    body: cell,
                });
            }
        }
        lib.sources = sources;
        lib
    }

    /// The library's name for the header.
    pub fn name(&self) -> &str {
        &self.name
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
        self.items.iter().map(|i| &i.entry)
    }

    /// The index of the article with this id.
    pub fn position(&self, id: &str) -> Option<usize> {
        self.items.iter().position(|i| i.entry.id == id)
    }

    /// What was wrong with the files, one per file.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    /// The article if it has been parsed already (see [`Library::article`]).
    pub fn loaded(&self, i: usize) -> Option<Arc<Article>> {
        self.items.get(i)?.body.get().cloned()
    }

    /// The full article `i`, reading and parsing its file the first time it is asked for.
    pub fn article(&self, i: usize) -> Result<Arc<Article>, Problem> {
        let item = &self.items[i];
        if let Some(a) = item.body.get() {
            return Ok(Arc::clone(a));
        }
        let file = &self.sources[item.file];
        let fail = |message: String| Problem::new(file.display.clone(), message, true);
        let bytes = match &file.origin {
            Origin::Disk(path) if file.format.reads_path() => {
                return Self::keep(item, file, article::parse_file(path, file.format, &file.id));
            }
            Origin::Disk(path) => std::borrow::Cow::Owned(
                read_regular(path, MAX_ARTICLE_BYTES).map_err(|e| fail(e.to_string()))?,
            ),
            Origin::Embedded(b) => std::borrow::Cow::Borrowed(*b),
        };
        Self::keep(item, file, article::parse(&bytes, file.format, &file.id))
    }

    /// The article of `item` among those parsed from its file, kept unless the file is huge.
    fn keep(
        item: &Item,
        file: &SourceFile,
        parsed: Result<article::Loaded, article::ArticleError>,
    ) -> Result<Arc<Article>, Problem> {
        let fail = |message: String| Problem::new(file.display.clone(), message, true);
        let loaded = parsed.map_err(|e| fail(e.to_string()))?;
        let mut a = loaded
            .articles
            .into_iter()
            .nth(item.index)
            .ok_or_else(|| fail("the article is no longer in the file".to_owned()))?;
        a.id.clone_from(&item.entry.id);
        fill_from_manifest(&mut a, file);
        let a = Arc::new(a);
        if !file.huge {
            // Another thread may have parsed it meanwhile; either copy is the same.
            let _ = item.body.set(Arc::clone(&a));
        }
        Ok(a)
    }

    /// Whether article `i` comes from a huge file (catalogued from its head, parsed in full on
    /// each open): reading it takes long enough to be done off the input path.
    pub fn is_huge(&self, i: usize) -> bool {
        self.items
            .get(i)
            .is_some_and(|item| self.sources[item.file].huge)
    }

    /// The article, parsed if it was not yet, unless it comes from a huge file (parsed only
    /// when opened) or can no longer be read.
    pub fn kept(&self, i: usize) -> Option<Arc<Article>> {
        let item = self.items.get(i)?;
        if self.sources[item.file].huge {
            return None;
        }
        self.article(i).ok()
    }

    /// Parses every article not parsed yet, on every core (for what needs all the bodies),
    /// but those of huge files.
    pub fn load_all(&self) {
        crate::par::par_map(self.items.len(), |i| {
            let _ = self.kept(i);
        });
    }

    /// The indices of the articles that pass `filter`, in `sort` order.
    pub fn view(&self, sort: SortKey, filter: &Filter) -> Vec<usize> {
        let needle = filter.title.as_ref().map(|t| t.to_lowercase());
        let v: Vec<usize> = (0..self.items.len())
            .filter(|&i| {
                let e = &self.items[i].entry;
                filter.lang.is_none_or(|l| e.lang == l)
                    && needle
                        .as_ref()
                        .is_none_or(|n| e.title.to_lowercase().contains(n.as_str()))
            })
            .collect();
        // Keys are computed once per article, not once per comparison; ties go by id.
        let newest = |e: &Entry| {
            let t = e.date.map(DateValue::sort_key);
            (t.is_none(), std::cmp::Reverse(t.unwrap_or(0)))
        };
        match sort {
            SortKey::Date => self.sorted_by_key(v, newest),
            SortKey::Title => self.sorted_by_key(v, |e| e.title.to_lowercase()),
            SortKey::Source => self.sorted_by_key(v, |e| {
                (
                    e.source.is_none(),
                    e.source.clone().unwrap_or_default(),
                    newest(e),
                )
            }),
        }
    }

    fn sorted_by_key<K: Ord>(&self, v: Vec<usize>, key: impl Fn(&Entry) -> K) -> Vec<usize> {
        let mut keyed: Vec<(K, usize)> = v
            .into_iter()
            .map(|i| (key(&self.items[i].entry), i))
            .collect();
        keyed.sort_unstable_by(|(ka, a), (kb, b)| {
            ka.cmp(kb)
                .then_with(|| self.items[*a].entry.id.cmp(&self.items[*b].entry.id))
        });
        keyed.into_iter().map(|(_, i)| i).collect()
    }
}

/// Adds the files a walk of `root` found: the articles to `found` (display path, id, path),
/// the manifests to `manifests`.
fn add_folder(
    root: &Path,
    files: Vec<PathBuf>,
    found: &mut Vec<(String, String, PathBuf)>,
    manifests: &mut Manifests,
) {
    let mut files: Vec<(String, PathBuf)> = files
        .into_iter()
        .map(|f| {
            let rel = f.strip_prefix(root).unwrap_or(&f);
            let id = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            (crate::escape::display(&id).into_owned(), f)
        })
        .collect();
    files.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    for (id, f) in files {
        if f.file_name().is_some_and(|n| n == MANIFEST) {
            if let Ok(bytes) = read_regular(&f, MAX_MANIFEST_BYTES) {
                let prefix = id.strip_suffix(MANIFEST).unwrap_or("").to_owned();
                manifests.push((prefix, parse_manifest(&String::from_utf8_lossy(&bytes))));
            }
            continue;
        }
        found.push((crate::escape::path(&f), id, f));
    }
}

/// Per-file facts from a folder's `manifest.tsv`.
#[derive(Debug, Clone, Default)]
struct ManifestRow {
    source: Option<String>,
    url: Option<String>,
}

/// Reads a tab-separated manifest with a header naming at least `file` and `source` or `url`.
fn parse_manifest(text: &str) -> HashMap<String, ManifestRow> {
    let mut lines = text.lines();
    let Some(header) = lines.next() else {
        return HashMap::new();
    };
    let cols: Vec<&str> = header.split('\t').collect();
    let col = |name: &str| cols.iter().position(|c| c.eq_ignore_ascii_case(name));
    let Some(file_col) = col("file") else {
        return HashMap::new();
    };
    let (source_col, url_col) = (col("source"), col("url"));
    let clean = |s: &str| {
        let s = article::sanitize(s.trim()).into_owned();
        (!s.is_empty()).then_some(s)
    };
    lines
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            let file = f.get(file_col)?.trim().to_owned();
            Some((
                file,
                ManifestRow {
                    source: source_col.and_then(|c| f.get(c)).and_then(|s| clean(s)),
                    url: url_col.and_then(|c| f.get(c)).and_then(|s| clean(s)),
                },
            ))
        })
        .collect()
}

/// A folder's identity: the device and inode of the folder a path leads to (its canonical path
/// where there are no inodes).
#[cfg(unix)]
type FolderKey = (u64, u64);
#[cfg(not(unix))]
type FolderKey = PathBuf;

#[cfg(unix)]
#[allow(
    clippy::unnecessary_wraps,
    reason = "one signature for both: canonicalizing, elsewhere, can fail"
)]
fn folder_key(_path: &Path, meta: &std::fs::Metadata) -> Option<FolderKey> {
    use std::os::unix::fs::MetadataExt as _;
    Some((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn folder_key(path: &Path, _meta: &std::fs::Metadata) -> Option<FolderKey> {
    path.canonicalize().ok()
}

/// Walks a folder tree: the regular files in it, and a problem for everything skipped.
///
/// Real folders are walked first; links to folders are followed afterwards, in name order,
/// each only if its folder was not read yet, so a loop ends and which path a file is listed
/// under does not depend on the order the system lists a folder in.
#[derive(Default)]
struct Walker {
    files: Vec<PathBuf>,
    problems: Vec<Problem>,
    seen: HashSet<FolderKey>,
    links: Vec<PathBuf>,
}

impl Walker {
    fn run(&mut self, root: &Path, meta: &std::fs::Metadata) {
        if let Some(k) = folder_key(root, meta) {
            self.seen.insert(k);
        }
        self.walk(root);
        while !self.links.is_empty() {
            let mut links = std::mem::take(&mut self.links);
            links.sort_unstable();
            for link in links {
                let Ok(meta) = std::fs::metadata(&link) else {
                    continue;
                };
                match folder_key(&link, &meta) {
                    Some(k) if !self.seen.insert(k) => self.problems.push(Problem {
                        path: crate::escape::path(&link),
                        message: "it is a link to a folder already read, so that folder's \
                                  articles are listed once, under their other path"
                            .to_owned(),
                        unusable: false,
                        note: true,
                    }),
                    _ => self.walk(&link),
                }
            }
        }
    }

    fn skip(&mut self, path: &Path, message: impl Into<String>) {
        self.problems
            .push(Problem::new(crate::escape::path(path), message, true));
    }

    fn walk(&mut self, dir: &Path) {
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) => {
                self.skip(dir, io_reason(&e));
                return;
            }
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(ft) = entry.file_type() else { continue };
            let hidden = entry.file_name().to_string_lossy().starts_with('.');
            if hidden {
                continue;
            }
            // Things that are not files are reported when they look like articles; any other
            // name is skipped without a word, like every file of an unknown extension.
            let article_like = Format::from_path(&path).is_some();
            if ft.is_symlink() {
                match std::fs::metadata(&path) {
                    Ok(m) if m.is_dir() => self.links.push(path),
                    Ok(m) if m.is_file() => self.files.push(path),
                    Ok(m) if article_like => {
                        self.skip(
                            &path,
                            ReadError::NotRegular(kind_of(m.file_type())).to_string(),
                        );
                    }
                    Err(_) if article_like => self.skip(&path, "it is a link to nothing"),
                    _ => {}
                }
            } else if ft.is_dir() {
                let first = entry
                    .metadata()
                    .ok()
                    .and_then(|m| folder_key(&path, &m))
                    .is_none_or(|k| self.seen.insert(k));
                if first {
                    self.walk(&path);
                }
            } else if ft.is_file() {
                self.files.push(path);
            } else if article_like {
                self.skip(&path, ReadError::NotRegular(kind_of(ft)).to_string());
            }
        }
    }
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or folder".to_owned(),
        std::io::ErrorKind::PermissionDenied => "it cannot be read (permission denied)".to_owned(),
        _ => format!("it cannot be read ({e})"),
    }
}

/// What cataloguing one file gave: an entry per article (with the article itself when the
/// format had to be parsed in full), and the file's problems.
#[derive(Default)]
struct Scanned {
    items: Vec<(Entry, Option<Article>)>,
    problems: Vec<Problem>,
    huge: bool,
}

/// Fills in an article's source and address from the manifest when it does not give them.
fn fill_from_manifest(a: &mut Article, file: &SourceFile) {
    if a.source.is_none() {
        a.source.clone_from(&file.source);
    }
    if a.url.is_none() {
        a.url.clone_from(&file.url);
    }
}

/// How much of a file the catalog reads in its first read, into a buffer each thread reuses.
const FIRST_READ: usize = 64 * 1024;

thread_local! {
    /// Each cataloguing thread's read buffer (zeroed once, reused for every file).
    static READ_BUFFER: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(vec![0; FIRST_READ]);
}

/// What a file's bytes were read into.
enum Bytes {
    /// The whole file is the first `n` bytes of the thread's buffer.
    InBuffer(usize),
    /// A larger file, whole or (huge) its head.
    Owned(Vec<u8>, bool),
}

/// Reads a file, or only its head when it is huge; a file over [`MAX_ARTICLE_BYTES`] or one
/// that is not a regular file is refused.
///
/// Most articles are small: they are read whole into the thread's buffer of [`FIRST_READ`]
/// bytes, with no allocation.
fn read_file(path: &Path, format: Format, buf: &mut [u8]) -> Result<Bytes, ReadError> {
    let (mut f, meta) = open_regular(path)?;
    let too_large = |size: u64| ReadError::TooLarge {
        size,
        max: MAX_ARTICLE_BYTES,
    };
    if meta.len() > MAX_ARTICLE_BYTES {
        return Err(too_large(meta.len()));
    }
    // Read until the buffer is full or the file ends (a read of 0; a short read alone does not
    // prove the end on every file system).
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..]) {
            Ok(0) => return Ok(Bytes::InBuffer(n)),
            Ok(got) => n += got,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
    let mut bytes = buf.to_vec();
    let size = meta.len();
    let whole = matches!(
        format,
        Format::Json | Format::Jsonl | Format::Feed | Format::Csv | Format::Tsv
    );
    if size > LAZY_BYTES && !whole {
        (&mut f)
            .take(HEAD_BYTES.saturating_sub(bytes.len()) as u64)
            .read_to_end(&mut bytes)?;
        // Cut the head at the last whole character, so it decodes cleanly.
        let valid = match std::str::from_utf8(&bytes) {
            Err(e) if e.error_len().is_none() => e.valid_up_to(),
            _ => bytes.len(),
        };
        bytes.truncate(valid);
        return Ok(Bytes::Owned(bytes, true));
    }
    bytes.reserve(usize::try_from(size).unwrap_or(0).saturating_sub(n) + 1);
    // A file that grows while it is read is held to the limit too.
    (&mut f)
        .take(MAX_ARTICLE_BYTES + 1 - n as u64)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_ARTICLE_BYTES {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(Bytes::Owned(bytes, false))
}

fn scan_file(file: &SourceFile) -> Scanned {
    match &file.origin {
        Origin::Embedded(b) => scan_bytes(file, b, false),
        Origin::Disk(path) if file.format.reads_path() => {
            let scan =
                article::parse_file(path, file.format, &file.id).map(|loaded| article::Scan {
                    heads: loaded.articles.iter().map(article::Head::of).collect(),
                    articles: Some(loaded.articles),
                    warnings: loaded.warnings,
                });
            scanned(file, scan, false)
        }
        Origin::Disk(path) => {
            READ_BUFFER.with_borrow_mut(|buf| match read_file(path, file.format, buf) {
                Ok(Bytes::InBuffer(n)) => scan_bytes(file, &buf[..n], false),
                Ok(Bytes::Owned(bytes, huge)) => scan_bytes(file, &bytes, huge),
                Err(e) => Scanned {
                    problems: vec![Problem::new(file.display.clone(), e.to_string(), true)],
                    ..Scanned::default()
                },
            })
        }
    }
}

fn scan_bytes(file: &SourceFile, bytes: &[u8], huge: bool) -> Scanned {
    scanned(file, article::scan(bytes, file.format, &file.id), huge)
}

fn scanned(
    file: &SourceFile,
    scan: Result<article::Scan, article::ArticleError>,
    huge: bool,
) -> Scanned {
    let problem =
        |message: String, unusable: bool| Problem::new(file.display.clone(), message, unusable);
    let scan = match scan {
        Ok(scan) => scan,
        Err(e) => {
            return Scanned {
                problems: vec![problem(e.to_string(), true)],
                ..Scanned::default()
            };
        }
    };
    let mut problems: Vec<Problem> = scan
        .warnings
        .into_iter()
        .map(|w| problem(w, false))
        .collect();
    let words_in_file = match &file.origin {
        Origin::Disk(path) if huge => Some(count_words_in_file(path)),
        _ => None,
    };
    // A huge file's articles were parsed from its head only: they are not kept.
    let mut bodies = scan.articles.filter(|_| !huge).map(Vec::into_iter);
    let many = scan.heads.len() > 1 || file.format.holds_many();
    let items = scan
        .heads
        .into_iter()
        .enumerate()
        .map(|(index, head)| {
            let body = bodies.as_mut().and_then(Iterator::next);
            let id = match &body {
                Some(a) => a.id.clone(),
                None if many => format!("{}#{}", file.id, index + 1),
                None => file.id.clone(),
            };
            let entry = Entry {
                id,
                path: file.display.clone(),
                title: head.title,
                date: head.dates.iter().find_map(|d| d.value),
                dates: head.dates.iter().filter_map(|d| d.value).collect(),
                date_text: head.dates.first().map(|d| d.original.clone()),
                lang: head.lang,
                direction: head.direction,
                source: head.source,
                words: words_in_file.unwrap_or(head.words),
                unread: head.unread,
            };
            (entry, body)
        })
        .collect();
    if huge {
        problems.push(problem(
            format!(
                "it is over {}, so it is parsed in full only when opened, and search finds it \
                 by its title only",
                size_text(LAZY_BYTES)
            ),
            false,
        ));
    }
    Scanned {
        items,
        problems,
        huge,
    }
}

/// Counts words in a file by streaming it (for huge files).
fn count_words_in_file(path: &Path) -> usize {
    let Ok((f, _)) = open_regular(path) else {
        return 0;
    };
    let mut f = f.take(MAX_ARTICLE_BYTES);
    let mut buf = vec![0u8; 1 << 20];
    let mut counter = article::WordCounter::default();
    while let Ok(n) = f.read(&mut buf) {
        if n == 0 {
            break;
        }
        counter.feed(&buf[..n]);
    }
    counter.words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_library_loads_everything() {
        let lib = Library::embedded();
        assert_eq!(lib.len(), 185);
        assert!(lib.problems().is_empty(), "{:?}", lib.problems());
        let seed = lib.position("000_c76da13a58358bbb.txt").unwrap();
        assert_eq!(lib.entry(seed).lang, Lang::Ar);
        let jawhara = lib.position("0001.txt").unwrap();
        assert_eq!(lib.entry(jawhara).source.as_deref(), Some("Jawhara FM"));
    }

    #[test]
    fn sorts() {
        let lib = Library::embedded();
        let by_date = lib.view(SortKey::Date, &Filter::default());
        assert_eq!(by_date.len(), lib.len());
        let keys: Vec<_> = by_date
            .iter()
            .map(|&i| lib.entry(i).date.map(DateValue::sort_key))
            .collect();
        let dated = keys.iter().take_while(|k| k.is_some()).count();
        assert!(keys[dated..].iter().all(Option::is_none), "undated last");
        assert!(
            keys[..dated].windows(2).all(|w| w[0] >= w[1]),
            "newest first"
        );
        let by_title = lib.view(SortKey::Title, &Filter::default());
        let titles: Vec<_> = by_title
            .iter()
            .map(|&i| lib.entry(i).title.to_lowercase())
            .collect();
        assert!(titles.windows(2).all(|w| w[0] <= w[1]));
        let by_source = lib.view(SortKey::Source, &Filter::default());
        assert_eq!(
            lib.entry(by_source[0]).source.as_deref(),
            Some("Jawhara FM")
        );
    }

    #[test]
    fn filters() {
        let lib = Library::embedded();
        let en = lib.view(
            SortKey::Date,
            &Filter {
                lang: Some(Lang::En),
                title: None,
            },
        );
        assert_eq!(en.len(), 14);
        let t = lib.view(
            SortKey::Date,
            &Filter {
                lang: None,
                title: Some("JANUARY 07".to_owned()),
            },
        );
        assert_eq!(t.len(), 1);
    }

    fn mkfifo(path: &Path) -> bool {
        std::process::Command::new("mkfifo")
            .arg(path)
            .status()
            .is_ok_and(|s| s.success())
    }

    #[test]
    fn fifos_and_devices_are_skipped_with_a_message() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), "Title\n\nBody.\n").unwrap();
        let fifo = dir.path().join("pipe.txt");
        assert!(mkfifo(&fifo), "mkfifo is needed for this test");
        // In a folder: skipped with one line, the rest read.
        let lib = Library::open(&[dir.path().to_path_buf()]);
        assert_eq!(lib.len(), 1);
        let p = lib.problems();
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].unusable);
        assert_eq!(
            p[0].to_string(),
            format!(
                "{}: skipped: it is a FIFO (named pipe), not a regular file.",
                fifo.display()
            )
        );
        // Named on the command line, and a device.
        let lib = Library::open(&[fifo.clone(), PathBuf::from("/dev/zero")]);
        assert!(lib.is_empty());
        let shown: Vec<String> = lib.problems().iter().map(ToString::to_string).collect();
        assert!(shown[0].ends_with("it is a FIFO (named pipe), not a regular file."));
        assert_eq!(
            shown[1],
            "/dev/zero: skipped: it is a character device, not a regular file."
        );
        // Through a link.
        let link = dir.path().join("link.txt");
        std::os::unix::fs::symlink(&fifo, &link).unwrap();
        assert!(matches!(
            read_regular(&link, 100),
            Err(ReadError::NotRegular("a FIFO (named pipe)"))
        ));
    }

    #[test]
    fn a_file_swapped_for_a_fifo_is_refused_not_waited_on() {
        let dir = tempfile::tempdir().unwrap();
        let small = dir.path().join("a.txt");
        std::fs::write(&small, "Title\n\nBody.\n").unwrap();
        // A huge file is parsed each time it is opened: the swap is met when it is read.
        let huge = dir.path().join("huge.txt");
        let mut text = String::from("Huge\n\n");
        while text.len() as u64 <= LAZY_BYTES {
            text.push_str("A paragraph of the huge file.\n\n");
        }
        std::fs::write(&huge, &text).unwrap();
        let lib = Library::open(&[dir.path().to_path_buf()]);
        let i = lib.position("huge.txt").unwrap();
        assert!(lib.article(i).is_ok());
        std::fs::remove_file(&huge).unwrap();
        assert!(mkfifo(&huge));
        // Without a writer, a blocking open would never return.
        let e = lib.article(i).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "{}: skipped: it is a FIFO (named pipe), not a regular file.",
                huge.display()
            )
        );
        // The catalog of a folder where a file became a FIFO does not wait either.
        std::fs::remove_file(&small).unwrap();
        assert!(mkfifo(&small));
        let lib = Library::open(&[dir.path().to_path_buf()]);
        assert!(lib.is_empty());
        assert_eq!(lib.problems().len(), 2);
    }

    #[test]
    fn linked_folders_are_followed_once_and_loops_reported() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("lib");
        let real = root.join("real");
        std::fs::create_dir_all(&real).unwrap();
        std::fs::write(real.join("a.txt"), "A\n\nBody.\n").unwrap();
        let outside = dir.path().join("outside");
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(outside.join("b.txt"), "B\n\nBody.\n").unwrap();
        // A link out of the tree is followed; a link back up and one to a folder already read
        // are reported, once each.
        std::os::unix::fs::symlink(&outside, root.join("linked")).unwrap();
        std::os::unix::fs::symlink(&root, real.join("loop")).unwrap();
        std::os::unix::fs::symlink(&real, root.join("again")).unwrap();
        std::os::unix::fs::symlink(root.join("missing"), root.join("gone.txt")).unwrap();
        let lib = Library::open(std::slice::from_ref(&root));
        let mut ids: Vec<&str> = lib.entries().map(|e| e.id.as_str()).collect();
        ids.sort_unstable();
        assert_eq!(ids, ["linked/b.txt", "real/a.txt"]);
        let mut shown: Vec<String> = lib.problems().iter().map(ToString::to_string).collect();
        shown.sort();
        let link_note = "it is a link to a folder already read, so that folder's articles are \
                         listed once, under their other path.";
        assert_eq!(
            shown,
            [
                format!("{}: {link_note}", root.join("again").display()),
                format!(
                    "{}: skipped: it is a link to nothing.",
                    root.join("gone.txt").display()
                ),
                format!("{}: {link_note}", real.join("loop").display()),
            ]
        );
        assert!(lib.problems().iter().all(|p| p.note != p.unusable));
    }

    #[test]
    fn files_over_the_limit_are_refused_by_size() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("a.txt");
        std::fs::write(&f, "x".repeat(3000)).unwrap();
        let e = read_regular(&f, 2048).unwrap_err();
        assert_eq!(e.to_string(), "it is 2.9 KiB, over the limit of 2 KiB");
        assert_eq!(read_regular(&f, 3000).unwrap().len(), 3000);
        assert_eq!(size_text(MAX_ARTICLE_BYTES), "256 MiB");
        assert_eq!(size_text(300 * 1024 * 1024 + 1), "300.0 MiB");
        assert_eq!(size_text(5 * 1024 * 1024 * 1024), "5.0 GiB");
    }

    #[test]
    fn names_are_clean_where_they_enter() {
        let dir = tempfile::tempdir().unwrap();
        let name = "x\u{1b}]0;PWNED\u{7}\u{1b}c\u{9b}\u{202e}.md";
        // No title and no heading: the title is made from the file name.
        std::fs::write(dir.path().join(name), "just a line of text\n").unwrap();
        let lib = Library::open(&[dir.path().to_path_buf()]);
        let e = lib.entry(0);
        for s in [&e.id, &e.path, &e.title, &lib.article(0).unwrap().title] {
            assert!(
                !s.chars().any(|c| c.is_control() || c == '\u{202e}'),
                "{s:?}"
            );
        }
        assert_eq!(e.title, "x␛]0;PWNED␇␛c\u{FFFD}⟨RLO⟩");
    }

    #[test]
    fn manifest_parsing() {
        let m = parse_manifest("file\tlang\tsource\turl\na.txt\tar\tJawhara FM\thttp://x\nb.txt\n");
        assert_eq!(m["a.txt"].source.as_deref(), Some("Jawhara FM"));
        assert_eq!(m["a.txt"].url.as_deref(), Some("http://x"));
        assert!(m["b.txt"].source.is_none());
        assert!(parse_manifest("no header here\n").is_empty());
    }
}
