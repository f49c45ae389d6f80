//! The library: the catalog of every article under the given paths (or the embedded sample
//! library), sorted and filtered for the list.
//!
//! Files are read and parsed on all cores at start. Files larger than [`LAZY_BYTES`] are
//! catalogued from their head and parsed in full only when opened, so one huge file neither
//! holds the list up nor fills memory.

use std::collections::HashMap;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

use crate::article::{self, Article, DateValue, Direction, Format, Lang};

/// Files over this size are catalogued from their first [`HEAD_BYTES`] and loaded on open.
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
    /// Number of body blocks.
    pub blocks: usize,
    /// Number of words in the body.
    pub words: usize,
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

/// Where an article's full text comes from.
#[derive(Debug, Clone)]
enum Body {
    Loaded(Arc<Article>),
    Lazy { path: PathBuf, index: usize },
}

#[derive(Debug, Clone)]
struct Item {
    entry: Entry,
    body: Body,
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
#[derive(Debug, Clone, Default)]
pub struct Library {
    name: String,
    items: Vec<Item>,
    problems: Vec<Problem>,
    files: usize,
}

/// One file to load: its display path, stable id base and where its bytes are.
struct FileJob {
    display: String,
    id: String,
    format: Format,
    origin: Origin,
}

enum Origin {
    Disk(PathBuf),
    Embedded(&'static [u8]),
}

impl Library {
    /// The sample library embedded in the binary.
    pub fn embedded() -> Self {
        let mut jobs = Vec::new();
        let mut manifest = HashMap::new();
        for &(path, bytes) in EMBEDDED {
            if path == MANIFEST {
                manifest = parse_manifest(&String::from_utf8_lossy(bytes));
                continue;
            }
            if let Some(format) = Format::from_path(Path::new(path)) {
                jobs.push(FileJob {
                    display: format!("(embedded)/{path}"),
                    id: path.to_owned(),
                    format,
                    origin: Origin::Embedded(bytes),
                });
            }
        }
        let mut lib = Self::load_jobs("sample library".to_owned(), &jobs);
        lib.apply_manifest(&manifest, "");
        lib
    }

    /// Loads every article under `paths` (files, or folders walked recursively; files of
    /// unknown extensions are skipped).
    pub fn open(paths: &[PathBuf]) -> Self {
        let mut jobs = Vec::new();
        let mut manifests = Vec::new();
        let mut problems = Vec::new();
        for root in paths {
            if root.is_dir() {
                let mut files = Vec::new();
                walk(root, &mut files, &mut problems);
                files.sort();
                for f in files {
                    let rel = f.strip_prefix(root).unwrap_or(&f);
                    let id = rel
                        .components()
                        .map(|c| c.as_os_str().to_string_lossy())
                        .collect::<Vec<_>>()
                        .join("/");
                    if f.file_name().is_some_and(|n| n == MANIFEST) {
                        if let Ok(text) = std::fs::read_to_string(&f) {
                            let prefix = id.strip_suffix(MANIFEST).unwrap_or("").to_owned();
                            manifests.push((prefix, parse_manifest(&text)));
                        }
                        continue;
                    }
                    if let Some(format) = Format::from_path(&f) {
                        jobs.push(FileJob {
                            display: f.display().to_string(),
                            id,
                            format,
                            origin: Origin::Disk(f),
                        });
                    }
                }
            } else if let Some(format) = Format::from_path(root) {
                let id = root.file_name().map_or_else(
                    || root.display().to_string(),
                    |n| n.to_string_lossy().into_owned(),
                );
                jobs.push(FileJob {
                    display: root.display().to_string(),
                    id,
                    format,
                    origin: Origin::Disk(root.clone()),
                });
            } else if root.exists() {
                problems.push(Problem {
                    path: root.display().to_string(),
                    message: "its extension is not one qari reads (txt, md, html, json, jsonl)"
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
        let name = match paths {
            [one] => one
                .canonicalize()
                .ok()
                .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                .unwrap_or_else(|| one.display().to_string()),
            _ => format!("{} paths", paths.len()),
        };
        let mut lib = Self::load_jobs(name, &jobs);
        problems.append(&mut lib.problems);
        lib.problems = problems;
        for (prefix, m) in &manifests {
            lib.apply_manifest(m, prefix);
        }
        lib
    }

    fn load_jobs(name: String, jobs: &[FileJob]) -> Self {
        let threads = std::thread::available_parallelism()
            .map_or(1, std::num::NonZero::get)
            .min(jobs.len().max(1));
        let chunk = jobs.len().div_ceil(threads).max(1);
        let results: Vec<(Vec<Item>, Vec<Problem>)> = std::thread::scope(|s| {
            let handles: Vec<_> = jobs
                .chunks(chunk)
                .map(|part| s.spawn(move || part.iter().map(load_job).collect::<Vec<_>>()))
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_default())
                .collect()
        });
        let mut lib = Self {
            name,
            files: jobs.len(),
            ..Self::default()
        };
        for (items, problems) in results {
            lib.items.extend(items);
            lib.problems.extend(problems);
        }
        lib
    }

    fn apply_manifest(&mut self, manifest: &HashMap<String, ManifestRow>, prefix: &str) {
        if manifest.is_empty() {
            return;
        }
        for item in &mut self.items {
            let file_id = item.entry.id.split('#').next().unwrap_or("");
            let Some(rel) = file_id.strip_prefix(prefix) else {
                continue;
            };
            if let Some(row) = manifest.get(rel) {
                if item.entry.source.is_none() {
                    item.entry.source.clone_from(&row.source);
                }
                if let Body::Loaded(a) = &mut item.body {
                    let a = Arc::make_mut(a);
                    if a.source.is_none() {
                        a.source.clone_from(&row.source);
                    }
                    if a.url.is_none() {
                        a.url.clone_from(&row.url);
                    }
                }
            }
        }
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
        self.files
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

    /// The article already in memory, if it is (every article but those of huge files).
    pub fn loaded(&self, i: usize) -> Option<Arc<Article>> {
        match &self.items.get(i)?.body {
            Body::Loaded(a) => Some(Arc::clone(a)),
            Body::Lazy { .. } => None,
        }
    }

    /// The full article `i`, reading and parsing its file if it was catalogued lazily.
    pub fn article(&self, i: usize) -> Result<Arc<Article>, Problem> {
        let item = &self.items[i];
        match &item.body {
            Body::Loaded(a) => Ok(Arc::clone(a)),
            Body::Lazy { path, index } => {
                let display = item.entry.path.clone();
                let fail = |message: String| Problem {
                    path: display.clone(),
                    message,
                    unusable: true,
                };
                let bytes = std::fs::read(path).map_err(|e| fail(io_reason(&e)))?;
                let format = Format::from_path(path).unwrap_or(Format::Txt);
                let loaded = article::parse(&bytes, format, &item.entry.id)
                    .map_err(|e| fail(e.to_string()))?;
                let mut a = loaded
                    .articles
                    .into_iter()
                    .nth(*index)
                    .ok_or_else(|| fail("the article is no longer in the file".to_owned()))?;
                a.id.clone_from(&item.entry.id);
                if a.source.is_none() {
                    a.source.clone_from(&item.entry.source);
                }
                Ok(Arc::new(a))
            }
        }
    }

    /// The indices of the articles that pass `filter`, in `sort` order.
    pub fn view(&self, sort: SortKey, filter: &Filter) -> Vec<usize> {
        let needle = filter.title.as_ref().map(|t| t.to_lowercase());
        let mut v: Vec<usize> = (0..self.items.len())
            .filter(|&i| {
                let e = &self.items[i].entry;
                filter.lang.is_none_or(|l| e.lang == l)
                    && needle
                        .as_ref()
                        .is_none_or(|n| e.title.to_lowercase().contains(n.as_str()))
            })
            .collect();
        let newest = |a: &Entry, b: &Entry| {
            let ka = a.date.map(DateValue::sort_key);
            let kb = b.date.map(DateValue::sort_key);
            match (ka, kb) {
                (Some(x), Some(y)) => y.cmp(&x),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            }
        };
        v.sort_by(|&a, &b| {
            let (ea, eb) = (&self.items[a].entry, &self.items[b].entry);
            let primary = match sort {
                SortKey::Date => newest(ea, eb),
                SortKey::Title => ea.title.to_lowercase().cmp(&eb.title.to_lowercase()),
                SortKey::Source => match (&ea.source, &eb.source) {
                    (Some(x), Some(y)) => x.cmp(y),
                    (Some(_), None) => std::cmp::Ordering::Less,
                    (None, Some(_)) => std::cmp::Ordering::Greater,
                    (None, None) => std::cmp::Ordering::Equal,
                }
                .then_with(|| newest(ea, eb)),
            };
            primary.then_with(|| ea.id.cmp(&eb.id))
        });
        v
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

fn load_job(job: &FileJob) -> (Vec<Item>, Vec<Problem>) {
    let problem = |message: String, unusable: bool| Problem {
        path: job.display.clone(),
        message,
        unusable,
    };
    let (bytes, lazy_path): (std::borrow::Cow<'_, [u8]>, Option<&PathBuf>) = match &job.origin {
        Origin::Embedded(b) => (std::borrow::Cow::Borrowed(*b), None),
        Origin::Disk(path) => {
            let size = std::fs::metadata(path).map_or(0, |m| m.len());
            let lazy = size > LAZY_BYTES && !matches!(job.format, Format::Json | Format::Jsonl);
            let read = if lazy {
                read_head(path)
            } else {
                std::fs::read(path)
            };
            match read {
                Ok(b) => (std::borrow::Cow::Owned(b), lazy.then_some(path)),
                Err(e) => return (Vec::new(), vec![problem(io_reason(&e), true)]),
            }
        }
    };
    let bytes = if lazy_path.is_some() {
        // Cut the head at the last whole character, so it decodes cleanly.
        let valid = match std::str::from_utf8(&bytes) {
            Err(e) if e.error_len().is_none() => e.valid_up_to(),
            _ => bytes.len(),
        };
        std::borrow::Cow::Owned(bytes[..valid].to_vec())
    } else {
        bytes
    };
    match article::parse(&bytes, job.format, &job.id) {
        Ok(loaded) => {
            let mut problems: Vec<Problem> = loaded
                .warnings
                .into_iter()
                .map(|w| problem(w, false))
                .collect();
            let words_in_file = lazy_path.map(|p| count_words_in_file(p));
            let items = loaded
                .articles
                .into_iter()
                .enumerate()
                .map(|(index, a)| {
                    let entry = Entry {
                        id: a.id.clone(),
                        path: job.display.clone(),
                        title: a.title.clone(),
                        date: a.date(),
                        dates: a.dates.iter().filter_map(|d| d.value).collect(),
                        date_text: a.dates.first().map(|d| d.original.clone()),
                        lang: a.lang,
                        direction: a.direction,
                        source: a.source.clone(),
                        blocks: a.blocks.len(),
                        words: words_in_file.unwrap_or_else(|| a.word_count()),
                    };
                    let body = match lazy_path {
                        Some(p) => Body::Lazy {
                            path: p.clone(),
                            index,
                        },
                        None => Body::Loaded(Arc::new(a)),
                    };
                    Item { entry, body }
                })
                .collect();
            if lazy_path.is_some() {
                problems.push(problem(
                    "it is large, so it is parsed in full only when opened".to_owned(),
                    false,
                ));
            }
            (items, problems)
        }
        Err(e) => (Vec::new(), vec![problem(e.to_string(), true)]),
    }
}

fn read_head(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut f = std::fs::File::open(path)?;
    let mut buf = vec![0; HEAD_BYTES];
    let mut n = 0;
    while n < buf.len() {
        let got = f.read(&mut buf[n..])?;
        if got == 0 {
            break;
        }
        n += got;
    }
    buf.truncate(n);
    Ok(buf)
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
