//! Search that understands Arabic: folding for matching (never for display), queries of
//! several words and quoted phrases, the library index, and snippets.
//!
//! Folding, one table ([`fold_char`]), applied to the query and the text alike:
//!
//! | what | becomes |
//! | --- | --- |
//! | tashkeel U+064B–065F, U+0670, Quranic marks U+06D6–06ED, tatweel U+0640 | removed |
//! | bidi controls, ZWJ, ZWNJ, soft hyphen, BOM | removed |
//! | أ إ آ ٱ | ا |
//! | ى, Persian ی | ي |
//! | ة | ه |
//! | ؤ ئ (hamza on a seat) | ء |
//! | Persian ک | ك |
//! | Arabic-Indic ٠–٩ and extended ۰–۹ digits | 0–9 |
//! | NBSP, the other Unicode spaces, tab, newline | space |
//! | Latin and other cased letters | lower case |
//!
//! Letters that are different letters stay different: ج and غ are not folded, so `ماكجورك` and
//! `ماكغورك` (both in the seed) are two spellings, and a search for one does not find the
//! other. Folding keeps a map from every folded byte back to the source bytes, so every match is
//! a byte range of the original text.

use std::ops::Range;

use crate::article::{Article, Place};
use crate::library::Library;

/// What one source character folds to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fold {
    /// Dropped for matching.
    Drop,
    /// This one character.
    One(char),
    /// Lower case that is more than one character (rare: `İ`).
    Lower(char),
}

/// The folding table: what `c` is when matching.
pub fn fold_char(c: char) -> Fold {
    match c {
        '\u{064B}'..='\u{065F}'
        | '\u{0670}'
        | '\u{06D6}'..='\u{06ED}'
        | '\u{0640}'
        | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2066}'..='\u{2069}'
        | '\u{061C}'
        | '\u{00AD}'
        | '\u{FEFF}' => Fold::Drop,
        '\u{0623}' | '\u{0625}' | '\u{0622}' | '\u{0671}' => Fold::One('\u{0627}'),
        '\u{0649}' | '\u{06CC}' => Fold::One('\u{064A}'),
        '\u{0629}' => Fold::One('\u{0647}'),
        '\u{0624}' | '\u{0626}' => Fold::One('\u{0621}'),
        '\u{06A9}' => Fold::One('\u{0643}'),
        '\u{0660}'..='\u{0669}' => Fold::One(shift_digit(c, 0x0660)),
        '\u{06F0}'..='\u{06F9}' => Fold::One(shift_digit(c, 0x06F0)),
        '\u{00A0}'
        | '\u{1680}'
        | '\u{2000}'..='\u{200A}'
        | '\u{202F}'
        | '\u{205F}'
        | '\u{3000}'
        | '\t'
        | '\n'
        | '\r' => Fold::One(' '),
        'A'..='Z' => Fold::One(c.to_ascii_lowercase()),
        c if c.is_ascii() => Fold::One(c),
        c if c.is_uppercase() => {
            let mut lower = c.to_lowercase();
            match (lower.next(), lower.next()) {
                (Some(l), None) => Fold::One(l),
                _ => Fold::Lower(c),
            }
        }
        c => Fold::One(c),
    }
}

fn shift_digit(c: char, zero: u32) -> char {
    char::from_digit(u32::from(c) - zero, 10).unwrap_or(c)
}

fn push_folded(out: &mut String, c: char) -> bool {
    match fold_char(c) {
        Fold::Drop => false,
        Fold::One(f) => {
            out.push(f);
            true
        }
        Fold::Lower(u) => {
            out.extend(u.to_lowercase());
            true
        }
    }
}

/// Folds `text` for matching.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    if text.is_ascii() {
        out.extend(text.bytes().map(|b| match b {
            b'A'..=b'Z' => char::from(b.to_ascii_lowercase()),
            b'\t' | b'\n' | b'\r' => ' ',
            _ => char::from(b),
        }));
        return out;
    }
    for c in text.chars() {
        push_folded(&mut out, c);
    }
    out
}

/// Folded text with the way back to the source.
#[derive(Debug, Clone, Default)]
pub struct Folded {
    /// The folded text.
    pub text: String,
    /// For every byte of `text`, the source range of the character it came from.
    starts: Vec<u32>,
    ends: Vec<u32>,
}

impl Folded {
    /// Folds `source`, remembering where every folded byte came from.
    pub fn new(source: &str) -> Self {
        let mut f = Self {
            text: String::with_capacity(source.len()),
            starts: Vec::with_capacity(source.len()),
            ends: Vec::with_capacity(source.len()),
        };
        for (i, c) in source.char_indices() {
            let before = f.text.len();
            if push_folded(&mut f.text, c) {
                let (s, e) = (to_u32(i), to_u32(i + c.len_utf8()));
                for _ in before..f.text.len() {
                    f.starts.push(s);
                    f.ends.push(e);
                }
            }
        }
        f
    }

    /// The source byte range of the folded range `r` (non-empty).
    pub fn source(&self, r: Range<usize>) -> Range<usize> {
        let (Some(&s), Some(&e)) = (
            self.starts.get(r.start),
            self.ends.get(r.end.saturating_sub(1)),
        ) else {
            return 0..0;
        };
        s as usize..e as usize
    }

    /// Every match of every term, as source ranges, in text order.
    pub fn find_all(&self, query: &Query) -> Vec<Range<usize>> {
        let mut out: Vec<Range<usize>> = query
            .terms
            .iter()
            .flat_map(|t| {
                self.text
                    .match_indices(t.as_str())
                    .map(|(at, m)| self.source(at..at + m.len()))
            })
            .collect();
        out.sort_by_key(|r| (r.start, r.end));
        out.dedup();
        out
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// A parsed query: words and quoted phrases, folded; all must occur.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Query {
    /// The folded terms (a phrase keeps its inner spaces, collapsed to one).
    pub terms: Vec<String>,
}

impl Query {
    /// Parses what the user typed: `word word "a phrase"` (also «…» and “…” as quotes).
    pub fn parse(input: &str) -> Self {
        let mut terms: Vec<String> = Vec::new();
        let mut push = |raw: &str| {
            let folded = fold(raw);
            let collapsed = folded.split_whitespace().collect::<Vec<_>>().join(" ");
            if !collapsed.is_empty() && !terms.contains(&collapsed) {
                terms.push(collapsed);
            }
        };
        let mut current = String::new();
        let mut closing: Option<char> = None;
        for c in input.chars() {
            match closing {
                Some(close) if c == close => {
                    push(&current);
                    current.clear();
                    closing = None;
                }
                None if matches!(c, '"' | '«' | '“') => {
                    push(&current);
                    current.clear();
                    closing = Some(match c {
                        '«' => '»',
                        '“' => '”',
                        _ => '"',
                    });
                }
                None if c.is_whitespace() => {
                    push(&current);
                    current.clear();
                }
                _ => current.push(c),
            }
        }
        push(&current);
        Self { terms }
    }

    /// Whether there is nothing to look for.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Whether every term occurs in the folded text.
    pub fn matches(&self, folded: &str) -> bool {
        self.terms.iter().all(|t| folded.contains(t.as_str()))
    }
}

/// Occurrences counted per term and article, at most.
pub const COUNT_CAP: usize = 64;

/// One article found: its library index and how well it matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// The article's index in the library.
    pub index: usize,
    /// How many of the terms occur in the title.
    pub title_terms: usize,
    /// How many times the terms occur in all (each term counted up to [`COUNT_CAP`] in the
    /// body); from a [`Finder`], what stands for it in its ranking (higher is better).
    pub count: usize,
}

/// What answers a query for a library from elsewhere than folded copies in memory: the
/// library database's full-text index ([`crate::store::finder`]). It gives the same set of
/// articles as [`Index`]'s scan, ranked its own way.
pub trait Finder: Send + Sync + std::fmt::Debug {
    /// The library's articles matching `query`, best first; `None` once `cancel` is set.
    fn find(&self, query: &Query, cancel: &std::sync::atomic::AtomicBool) -> Option<Vec<Hit>>;
}

/// Makes a [`Finder`] for a library, counting its progress (the database brought up to date
/// with the files); `None` when it cannot (the index is then built in memory).
pub type MakeFinder = std::sync::Arc<
    dyn Fn(&std::sync::Arc<Library>, &crate::progress::Shared) -> Option<Box<dyn Finder>>
        + Send
        + Sync,
>;

/// The newest generation's index, shared by an index and those renewed from it.
type Latest = std::sync::Arc<std::sync::Mutex<Option<(u64, std::sync::Weak<SharedIndex>)>>>;

/// A library's search index, built once on first need and shared (by every session of a
/// server too). It can be built on a background thread ahead of the first search; a search
/// that comes first waits for that build instead of starting another. With a
/// [`MakeFinder`], building it brings the library database up to date and searches go there.
#[derive(Default)]
pub struct SharedIndex {
    once: std::sync::Arc<crate::once::Once<Index>>,
    make: Option<MakeFinder>,
    progress: std::sync::Arc<crate::progress::Shared>,
    /// The index of the newest library (its generation in the feed that published it), while
    /// an app holds it; one slot for this index and every index renewed from it: what every
    /// app following that feed takes, so a change is indexed once for all the sessions of a
    /// server, however late they came.
    latest: Latest,
}

impl std::fmt::Debug for SharedIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedIndex")
            .field("ready", &self.once.is_ready())
            .field("database", &self.make.is_some())
            .finish_non_exhaustive()
    }
}

impl SharedIndex {
    /// An index that searches through what `make` gives (the library database).
    pub fn with_finder(make: MakeFinder) -> Self {
        Self {
            make: Some(make),
            ..Self::default()
        }
    }

    /// A new index of the same kind, not built (for a newer library).
    #[must_use]
    pub fn renewed(&self) -> Self {
        Self {
            make: self.make.clone(),
            latest: std::sync::Arc::clone(&self.latest),
            ..Self::default()
        }
    }

    /// The index for generation `generation` of the feed this index's library came from:
    /// the one another app made already, else a new one of the same kind (not built), which
    /// the apps taking that generation after this one share. An app behind the others (asking
    /// for an older generation than the newest one made) gets one of its own.
    #[must_use]
    pub fn successor(&self, generation: u64) -> std::sync::Arc<Self> {
        let mut slot = self
            .latest
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((at, index)) = slot.as_ref().and_then(|(g, w)| Some((*g, w.upgrade()?))) {
            if at == generation {
                return index;
            }
            if at > generation {
                return std::sync::Arc::new(self.renewed());
            }
        }
        let new = std::sync::Arc::new(self.renewed());
        *slot = Some((generation, std::sync::Arc::downgrade(&new)));
        new
    }

    /// Whether searches go to the library database (its build is the database's rescan).
    pub fn uses_database(&self) -> bool {
        self.make.is_some()
    }

    /// How far the build is, once it counts (the database's rescan).
    pub fn progress(&self) -> &crate::progress::Shared {
        &self.progress
    }

    fn build(&self, lib: &std::sync::Arc<Library>) -> Index {
        Index::build_with(lib, self.make.as_ref(), &self.progress)
    }

    /// The index, building it now if no one has.
    pub fn get_or_build(&self, lib: &std::sync::Arc<Library>) -> std::sync::Arc<Index> {
        self.once.get_or_build(|| self.build(lib))
    }

    /// The index once it is built, starting the build in the background if no one has:
    /// `None` as soon as `cancel` is set while waiting (the build goes on for the others).
    /// For workers off the input path; when no thread can be started the build is done here.
    pub fn wait(
        self: &std::sync::Arc<Self>,
        lib: &std::sync::Arc<Library>,
        cancel: &std::sync::atomic::AtomicBool,
    ) -> Option<std::sync::Arc<Index>> {
        if let Some(i) = self.once.get() {
            return Some(i);
        }
        self.build_in_background(std::sync::Arc::clone(lib));
        self.once.wait(|| self.build(lib), cancel)
    }

    /// For unit tests: as if a build had started elsewhere, so that nothing builds the index
    /// until the test does.
    #[cfg(test)]
    pub(crate) fn pretend_building(&self) {
        self.once.pretend_started();
    }

    /// True once the index is ready.
    pub fn is_ready(&self) -> bool {
        self.once.is_ready()
    }

    /// Starts building the index on a thread of its own, unless that was done already (when
    /// no thread can be started, or the build fails, the first search builds it instead).
    pub fn build_in_background(self: &std::sync::Arc<Self>, lib: std::sync::Arc<Library>) {
        let me = std::sync::Arc::clone(self);
        let progress = std::sync::Arc::clone(&self.progress);
        // Once built, whoever shows the rescan's progress is woken to take it away.
        self.once.start(
            "qari-index",
            move || Some(me.build(&lib)),
            move |_| progress.wake(),
        );
    }
}

/// The folded text of every article, built once, searched per keystroke; or the library
/// database's index standing in for it.
#[derive(Debug, Default)]
pub struct Index {
    docs: Vec<(String, String)>,
    finder: Option<Box<dyn Finder>>,
}

impl Index {
    /// Folds the title and body of every article of `lib` (articles of huge files, which are
    /// parsed only when opened, are searched by their title).
    pub fn build(lib: &Library) -> Self {
        let docs = lib.map_articles(|i, a| {
            // An article kept open after its file went is listed nowhere, so found by no
            // search (and the index may serve an app whose library lacks it).
            if lib.is_gone(i) {
                return (String::new(), String::new());
            }
            let title = fold(&lib.entry(i).title);
            let body = a.map(fold_body).unwrap_or_default();
            (title, body)
        });
        Self { docs, finder: None }
    }

    /// The index `make` gives for `lib` (counting into `progress`), else [`Index::build`].
    pub fn build_with(
        lib: &std::sync::Arc<Library>,
        make: Option<&MakeFinder>,
        progress: &crate::progress::Shared,
    ) -> Self {
        match make.and_then(|m| m(lib, progress)) {
            Some(finder) => Self {
                docs: Vec::new(),
                finder: Some(finder),
            },
            None => Self::build(lib),
        }
    }

    /// Whether this index answers from the library database.
    pub fn is_database(&self) -> bool {
        self.finder.is_some()
    }

    /// The articles where every term occurs (in the title or the body), best first: more
    /// terms in the title, then more matches, then library order.
    pub fn search(&self, query: &Query) -> Vec<Hit> {
        self.search_within(query, None)
    }

    /// As [`Index::search`], looking only at `candidates` (the hits of a shorter query the
    /// new one extends, as the user types).
    pub fn search_within(&self, query: &Query, candidates: Option<&[usize]>) -> Vec<Hit> {
        let never = std::sync::atomic::AtomicBool::new(false);
        self.search_cancellable(query, candidates, &never)
            .unwrap_or_default()
    }

    /// As [`Index::search_within`], stopping early (with `None`) once `cancel` is set: it is
    /// looked at before every term of every article, so a search over a big library or with
    /// many terms gives way to the next keystroke at once.
    pub fn search_cancellable(
        &self,
        query: &Query,
        candidates: Option<&[usize]>,
        cancel: &std::sync::atomic::AtomicBool,
    ) -> Option<Vec<Hit>> {
        use std::sync::atomic::Ordering;
        if query.is_empty() {
            return Some(Vec::new());
        }
        if let Some(f) = &self.finder {
            let mut hits = f.find(query, cancel)?;
            if let Some(c) = candidates {
                let keep: std::collections::HashSet<usize> = c.iter().copied().collect();
                hits.retain(|h| keep.contains(&h.index));
            }
            return Some(hits);
        }
        let score = |i: usize| -> Option<Hit> {
            let (title, body) = self.docs.get(i)?;
            let mut title_terms = 0;
            let mut count = 0;
            for t in &query.terms {
                if cancel.load(Ordering::Relaxed) {
                    return None;
                }
                let in_title = title.matches(t.as_str()).count();
                // Counting stops at COUNT_CAP: a letter or two that is everywhere must not cost
                // a scan of every occurrence, and ranking gains nothing past it.
                let in_body = body.matches(t.as_str()).take(COUNT_CAP).count();
                if in_title + in_body == 0 {
                    return None;
                }
                title_terms += usize::from(in_title > 0);
                count += in_title + in_body;
            }
            Some(Hit {
                index: i,
                title_terms,
                count,
            })
        };
        let all: Vec<usize>;
        let ids: &[usize] = if let Some(c) = candidates {
            c
        } else {
            all = (0..self.docs.len()).collect();
            &all
        };
        // Once `cancel` is set every article left scores `None` at its first term.
        let mut hits: Vec<Hit> = crate::par::par_map(ids.len(), |k| score(ids[k]))
            .into_iter()
            .flatten()
            .collect();
        if cancel.load(Ordering::Acquire) {
            // Some articles were skipped: the hits are not the answer.
            return None;
        }
        hits.sort_by(|a, b| {
            b.title_terms
                .cmp(&a.title_terms)
                .then(b.count.cmp(&a.count))
                .then(a.index.cmp(&b.index))
        });
        Some(hits)
    }

    /// Number of articles indexed.
    pub fn len(&self) -> usize {
        self.docs.len()
    }

    /// Whether nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }
}

fn fold_body(a: &Article) -> String {
    let mut s = String::with_capacity(a.blocks.iter().map(|b| b.text.len() + 1).sum());
    for b in &a.blocks {
        s.push_str(&fold(&b.text));
        // A block boundary: no phrase crosses it.
        s.push('\u{1}');
    }
    s
}

/// A match of a query in an article: the text it is in and its source range there.
pub type Match = (Place, Range<usize>);

/// Where a query first matches in an article: the text and the source range in it.
pub fn first_match(article: &Article, query: &Query) -> Option<Match> {
    let t = Folded::new(&article.title);
    if let Some(r) = t.find_all(query).into_iter().next() {
        return Some((Place::Title, r));
    }
    article.blocks.iter().enumerate().find_map(|(i, b)| {
        Folded::new(&b.text)
            .find_all(query)
            .into_iter()
            .next()
            .map(|r| (Place::Block(i), r))
    })
}

/// Every match of a query in an article (the text and the source range in it), stopping early (with `None`) once `cancel` is set, which it looks at
/// before every block.
pub fn all_matches_cancellable(
    article: &Article,
    query: &Query,
    cancel: &std::sync::atomic::AtomicBool,
) -> Option<Vec<Match>> {
    let mut out: Vec<Match> = Folded::new(&article.title)
        .find_all(query)
        .into_iter()
        .map(|r| (Place::Title, r))
        .collect();
    for (i, b) in article.blocks.iter().enumerate() {
        if cancel.load(std::sync::atomic::Ordering::Relaxed) {
            return None;
        }
        out.extend(
            Folded::new(&b.text)
                .find_all(query)
                .into_iter()
                .map(|r| (Place::Block(i), r)),
        );
    }
    Some(out)
}

/// A window of `text` around `m` (about `chars` characters), cut at word boundaries: the
/// window's byte range and the match range inside it.
pub fn snippet_window(text: &str, m: &Range<usize>, chars: usize) -> (Range<usize>, Range<usize>) {
    let m = m.start.min(text.len())..m.end.min(text.len()).max(m.start.min(text.len()));
    let bounds: Vec<usize> = text
        .char_indices()
        .map(|(i, _)| i)
        .chain([text.len()])
        .collect();
    let at = |b: usize| bounds.partition_point(|&x| x < b);
    let (ms, me) = (at(m.start), at(m.end));
    let before = chars / 3;
    let mut s = ms.saturating_sub(before);
    let mut e = (s + chars).max(me).min(bounds.len() - 1);
    let space_at = |k: usize| text.as_bytes().get(bounds[k]) == Some(&b' ');
    if s > 0 {
        // Begin at a word.
        if let Some(k) = (s..ms).find(|&k| space_at(k)) {
            s = k + 1;
        }
    }
    if e < bounds.len() - 1 {
        // End at a word.
        if let Some(k) = (me..e).rev().find(|&k| space_at(k)) {
            e = k;
        }
    }
    let (start, end) = (bounds[s], bounds[e]);
    (start..end, m.start - start..m.end - start)
}

#[cfg(test)]
mod tests;
