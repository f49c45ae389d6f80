//! The library: the catalog of every article under the given paths (or the embedded sample
//! library), sorted and filtered for the list.
//!
//! Files are catalogued on all cores at start: for the `.txt` layout only the head of each
//! article is read (see [`crate::article::scan`]); bodies are parsed when first asked for
//! and kept. Files larger than [`LAZY_BYTES`] are catalogued from their head and parsed in full
//! each time they are opened, never kept, so one huge file neither holds the list up nor fills
//! memory.

use std::collections::HashMap;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use serde::Serialize;

use crate::article::{self, Article, DateValue, Direction, Format, Lang};

/// Files over this size are catalogued from their first 256 KiB and loaded on open.
pub const LAZY_BYTES: u64 = 16 * 1024 * 1024;
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
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = if self.unusable { "skipped" } else { "loaded" };
        write!(f, "{}: {verdict}: {}.", self.path, self.message)
    }
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
    /// unknown extensions are skipped).
    pub fn open(paths: &[PathBuf]) -> Self {
        // (display path, file id, path) of every file, and the manifests met on the way.
        let mut found: Vec<(String, String, PathBuf)> = Vec::new();
        let mut manifests: Manifests = Vec::new();
        let mut problems = Vec::new();
        for root in paths {
            if root.is_dir() {
                let mut files = Vec::new();
                walk(root, &mut files, &mut problems);
                let mut files: Vec<(String, PathBuf)> = files
                    .into_iter()
                    .map(|f| {
                        let rel = f.strip_prefix(root).unwrap_or(&f);
                        let id = rel
                            .components()
                            .map(|c| c.as_os_str().to_string_lossy())
                            .collect::<Vec<_>>()
                            .join("/");
                        (id, f)
                    })
                    .collect();
                files.sort_unstable_by(|a, b| a.0.cmp(&b.0));
                for (id, f) in files {
                    if f.file_name().is_some_and(|n| n == MANIFEST) {
                        if let Ok(text) = std::fs::read_to_string(&f) {
                            let prefix = id.strip_suffix(MANIFEST).unwrap_or("").to_owned();
                            manifests.push((prefix, parse_manifest(&text)));
                        }
                        continue;
                    }
                    found.push((f.display().to_string(), id, f));
                }
            } else if Format::from_path(root).is_some() {
                let id = root.file_name().map_or_else(
                    || root.display().to_string(),
                    |n| n.to_string_lossy().into_owned(),
                );
                found.push((root.display().to_string(), id, root.clone()));
            } else if root.exists() {
                problems.push(Problem {
                    path: root.display().to_string(),
                    message: "its extension is not one qari reads (txt, md, html, json, jsonl, rss, atom, xml, csv, tsv, or newsboat's cache.db)"
                        .to_owned(),
                    unusable: true,
                });
            } else {
                problems.push(Problem {
                    path: root.display().to_string(),
                    message: "no such file or folder".to_owned(),
                    unusable: true,
                });
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
                .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                .unwrap_or_else(|| one.display().to_string()),
            _ => format!("{} paths", paths.len()),
        };
        let mut lib = Self::catalogue(name, sources);
        problems.append(&mut lib.problems);
        lib.problems = problems;
        lib
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
        let fail = |message: String| Problem {
            path: file.display.clone(),
            message,
            unusable: true,
        };
        let bytes = match &file.origin {
            Origin::Disk(path) if file.format.reads_path() => {
                return Self::keep(item, file, article::parse_file(path, file.format, &file.id));
            }
            Origin::Disk(path) => {
                std::borrow::Cow::Owned(std::fs::read(path).map_err(|e| fail(io_reason(&e)))?)
            }
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
        let fail = |message: String| Problem {
            path: file.display.clone(),
            message,
            unusable: true,
        };
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

fn walk(dir: &Path, out: &mut Vec<PathBuf>, problems: &mut Vec<Problem>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            problems.push(Problem {
                path: dir.display().to_string(),
                message: io_reason(&e),
                unusable: true,
            });
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
        if ft.is_dir() {
            walk(&path, out, problems);
        } else if ft.is_file() || (ft.is_symlink() && path.is_file()) {
            out.push(path);
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

/// Reads a file, or only its head when it is huge.
///
/// Most articles are small: they are read whole into the thread's buffer of [`FIRST_READ`]
/// bytes, with no `stat` and no allocation.
fn read_file(path: &Path, format: Format, buf: &mut [u8]) -> std::io::Result<Bytes> {
    let mut f = std::fs::File::open(path)?;
    // Read until the buffer is full or the file ends (a read of 0; a short read alone does not
    // prove the end on every file system).
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..]) {
            Ok(0) => return Ok(Bytes::InBuffer(n)),
            Ok(got) => n += got,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let mut bytes = buf.to_vec();
    let size = f.metadata().map_or(0, |m| m.len());
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
    f.read_to_end(&mut bytes)?;
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
                    problems: vec![Problem {
                        path: file.display.clone(),
                        message: io_reason(&e),
                        unusable: true,
                    }],
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
    let problem = |message: String, unusable: bool| Problem {
        path: file.display.clone(),
        message,
        unusable,
    };
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
            "it is large, so it is parsed in full only when opened".to_owned(),
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
    let Ok(mut f) = std::fs::File::open(path) else {
        return 0;
    };
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

    #[test]
    fn manifest_parsing() {
        let m = parse_manifest("file\tlang\tsource\turl\na.txt\tar\tJawhara FM\thttp://x\nb.txt\n");
        assert_eq!(m["a.txt"].source.as_deref(), Some("Jawhara FM"));
        assert_eq!(m["a.txt"].url.as_deref(), Some("http://x"));
        assert!(m["b.txt"].source.is_none());
        assert!(parse_manifest("no header here\n").is_empty());
    }
}
