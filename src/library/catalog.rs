//! Cataloguing: every file read (or, when huge, its head) on every core, its articles' heads
//! turned into entries.

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use super::manifest::fill_from_manifest;
use super::{
    Entry, HEAD_BYTES, Item, LAZY_BYTES, Library, MAX_ARTICLE_BYTES, Origin, Problem, ReadError,
    SourceFile, open_regular, read_cache, size_text,
};
use crate::article::{self, Article, Format};
use crate::store::catalog::{Identity, fingerprint, record_key};

impl Library {
    /// Catalogues `sources` on every core.
    pub(super) fn catalogue(name: String, sources: Vec<SourceFile>) -> Self {
        Self::catalogue_reusing(name, sources, None)
    }

    /// Catalogues `sources` on every core, taking the articles of file `reuse[i]` of `old`
    /// for each source `i` that names one (a file unchanged since `old` read it).
    pub(super) fn catalogue_reusing(
        name: String,
        mut sources: Vec<SourceFile>,
        old: Option<(&Library, &[Option<usize>])>,
    ) -> Self {
        let reused = |i: usize| old.and_then(|(_, r)| r.get(i).copied().flatten());
        for (i, source) in sources.iter_mut().enumerate() {
            if reused(i).is_none() {
                // Taken before the file is read: a change while it is read shows next time.
                source.stamp = super::watch::stamp_of(source);
            }
        }
        let scanned = crate::par::par_map(sources.len(), |i| {
            if reused(i).is_some() {
                Scanned::default()
            } else {
                scan_file(&sources[i])
            }
        });
        let mut lib = Self {
            name,
            // A rescan keeps the articles parsed before: those of unchanged files are found
            // again under the same keys.
            bodies: old.map_or_else(Arc::default, |(o, _)| Arc::clone(&o.bodies)),
            ..Self::default()
        };
        // Where each file's articles start among the old library's items.
        let starts: Vec<usize> = old.map_or_else(Vec::new, |(o, _)| {
            let mut starts = vec![o.items.len(); o.sources.len() + 1];
            for (n, item) in o.items.iter().enumerate().rev() {
                starts[item.file] = n;
            }
            starts
        });
        for (file, result) in scanned.into_iter().enumerate() {
            if let (Some(from), Some((o, _))) = (reused(file), old) {
                let was = &o.sources[from];
                sources[file].huge = was.huge;
                sources[file].problems.clone_from(&was.problems);
                lib.problems.extend(was.problems.iter().cloned());
                let items = o.items[starts[from]..]
                    .iter()
                    .take_while(|item| item.file == from && !item.gone);
                lib.items.extend(items.map(|item| Item {
                    file,
                    ..item.clone()
                }));
                continue;
            }
            let source = &mut sources[file];
            source.huge = result.huge;
            source.problems.clone_from(&result.problems);
            lib.problems.extend(result.problems);
            for (index, (mut entry, body)) in result.items.into_iter().enumerate() {
                if entry.source.is_none() {
                    entry.source.clone_from(&source.source);
                }
                if let Some(mut article) = body {
                    // Parsed to be catalogued: kept while the cache has room.
                    fill_from_manifest(&mut article, source);
                    let key = (entry.identity.clone(), source.stamp);
                    lib.bodies.put(key, Arc::new(article));
                }
                lib.items.push(Item {
                    entry: Arc::new(entry),
                    file,
                    index,
                    pinned: None,
                    gone: false,
                    row: None,
                });
            }
        }
        lib.sources = sources;
        lib
    }
}

/// What cataloguing one file gave: an entry per article (with the article itself when the
/// format had to be parsed in full), and the file's problems.
#[derive(Default)]
pub(super) struct Scanned {
    items: Vec<(Entry, Option<Article>)>,
    problems: Vec<Problem>,
    huge: bool,
}

/// How much of a file the catalog reads in its first read, into a buffer each thread reuses.
const FIRST_READ: usize = 64 * 1024;

thread_local! {
    /// Each cataloguing thread's read buffer (zeroed once, reused for every file).
    static READ_BUFFER: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(vec![0; FIRST_READ]);
}

/// What a file's bytes were read into.
pub(super) enum Bytes {
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

pub(super) fn scan_file(file: &SourceFile) -> Scanned {
    match &file.origin {
        Origin::Embedded(b) => {
            let base = Identity {
                path: format!("{EMBEDDED_PREFIX}{}", file.id),
                key: String::new(),
                fingerprint: fingerprint(b),
            };
            scan_bytes(file, b, false, &base)
        }
        Origin::Disk(path) if file.format.reads_path() => {
            let scan = read_cache(path, &file.id).map(|loaded| article::Scan {
                encoding: loaded.encoding,
                heads: loaded.articles.iter().map(article::Head::of).collect(),
                articles: Some(loaded.articles),
                warnings: loaded.warnings,
            });
            let base = Identity {
                path: canonical_or_given(path),
                key: String::new(),
                fingerprint: crate::store::catalog::CACHE_FINGERPRINT,
            };
            scanned(file, scan, false, &base)
        }
        Origin::Disk(path) => {
            let mut base = Identity {
                path: canonical_or_given(path),
                ..Identity::default()
            };
            READ_BUFFER.with_borrow_mut(|buf| match read_file(path, file.format, buf) {
                Ok(Bytes::InBuffer(n)) => {
                    base.fingerprint = fingerprint(&buf[..n]);
                    scan_bytes(file, &buf[..n], false, &base)
                }
                Ok(Bytes::Owned(bytes, huge)) => {
                    base.fingerprint = if huge {
                        fingerprint_file(path)
                    } else {
                        fingerprint(&bytes)
                    };
                    scan_bytes(file, &bytes, huge, &base)
                }
                Err(e) => Scanned {
                    problems: vec![Problem::new(file.display.clone(), e.to_string(), true)],
                    ..Scanned::default()
                },
            })
        }
    }
}

/// The start of the path of an embedded file in its identity (no canonical path starts so).
pub const EMBEDDED_PREFIX: &str = "embedded:";

/// The canonical path of a file, as the store keys it (the path as given if it is gone).
fn canonical_or_given(path: &Path) -> String {
    crate::store::catalog::canonical(path).unwrap_or_else(|_| path.to_string_lossy().into_owned())
}

/// The fingerprint of a huge file, streamed (the same as [`fingerprint`] of its bytes).
fn fingerprint_file(path: &Path) -> crate::store::catalog::Fingerprint {
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    if let Ok((f, _)) = open_regular(path) {
        let mut f = f.take(MAX_ARTICLE_BYTES);
        let mut buf = vec![0u8; 1 << 20];
        while let Ok(n) = f.read(&mut buf) {
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
    }
    hasher.digest128().to_be_bytes()
}

fn scan_bytes(file: &SourceFile, bytes: &[u8], huge: bool, base: &Identity) -> Scanned {
    scanned(
        file,
        article::scan(bytes, file.format, &file.id),
        huge,
        base,
    )
}

fn scanned(
    file: &SourceFile,
    scan: Result<article::Scan, impl std::fmt::Display>,
    huge: bool,
    base: &Identity,
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
            let identity = Identity {
                key: record_key(&id, &file.id).to_owned(),
                ..base.clone()
            };
            let entry = Entry {
                identity,
                id,
                path: file.display.clone(),
                title: head.title,
                date: head.dates.iter().find_map(|d| d.value),
                dates: head.dates.iter().filter_map(|d| d.value).collect(),
                lang: head.lang,
                direction: head.direction,
                source: head.source,
                // A huge `.txt` was read to its head only: its last paragraph there is a cut
                // one, no byline.
                byline: head
                    .byline
                    .filter(|_| !(huge && file.format == article::Format::Txt)),
                tags: head.tags,
                words: words_in_file.unwrap_or(head.words),
                unread: head.unread,
                encoding: head.encoding,
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
