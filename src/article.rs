//! Stored files to [`Article`]s: pure, bytes in and articles out, no I/O.
//!
//! The format is chosen by the file's extension ([`Format::from_path`]); each format has its own
//! submodule. Every text that leaves this module has been through [`sanitize`], so no byte of an
//! article can reach a terminal as a control. Newsboat's `cache.db` is the one format read from
//! its path rather than its bytes ([`parse_file`]): `SQLite` opens the file itself, read-only.

mod csv;
mod date;
mod encoding;
mod feed;
mod html;
mod json;
mod markdown;
mod newsboat;
mod place;
mod sanitize;
mod txt;

use std::path::Path;

use serde::Serialize;

pub use date::{ArticleDate, DateValue, parse_date};
pub use encoding::{Found as EncodingFound, TextEncoding};
pub use place::Place;
pub use sanitize::{is_bidi_control, sanitize};

/// Blocks longer than this are split at a paragraph, line or word boundary, so that one huge
/// paragraph never has to be laid out in one piece.
pub const MAX_BLOCK_BYTES: usize = 64 * 1024;

/// The stored formats qari reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Plain text in the newspaper layout: title, date lines, blank-line separated paragraphs.
    Txt,
    /// Markdown with optional YAML or TOML front matter.
    Markdown,
    /// A saved web page.
    Html,
    /// One JSON object, or an array of objects.
    Json,
    /// One JSON object a line.
    Jsonl,
    /// An RSS 2.0, RSS 1.0 (RDF) or Atom feed: every item an article.
    Feed,
    /// Comma-separated values with a header row: every row an article.
    Csv,
    /// Tab-separated values with a header row: every row an article.
    Tsv,
    /// Newsboat's `cache.db` (SQLite): every item an article, every feed a source.
    Newsboat,
}

impl Format {
    /// The format for a path, by its extension (case-insensitive); `None` for any other file.
    pub fn from_path(path: &Path) -> Option<Self> {
        if path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.eq_ignore_ascii_case("cache.db"))
        {
            return Some(Self::Newsboat);
        }
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        Some(match ext.as_str() {
            "txt" | "text" => Self::Txt,
            "md" | "markdown" => Self::Markdown,
            "html" | "htm" | "xhtml" => Self::Html,
            "json" => Self::Json,
            "jsonl" | "ndjson" => Self::Jsonl,
            "rss" | "atom" | "xml" | "rdf" => Self::Feed,
            "csv" => Self::Csv,
            "tsv" | "tab" => Self::Tsv,
            _ => return None,
        })
    }

    /// True for the formats that hold many articles a file, each with its own `#` id.
    pub fn holds_many(self) -> bool {
        matches!(
            self,
            Self::Jsonl | Self::Feed | Self::Csv | Self::Tsv | Self::Newsboat
        )
    }

    /// True for the formats read from the file's path rather than from its bytes
    /// (see [`parse_file`]).
    pub fn reads_path(self) -> bool {
        self == Self::Newsboat
    }
}

/// The language of an article, from the script of its letters (or its own metadata).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// Mostly Arabic-script letters.
    Ar,
    /// Mostly Latin letters.
    En,
    /// A real mix of both.
    Mixed,
}

impl Lang {
    /// The short code shown in the list: `ar`, `en` or `mix`.
    pub fn code(self) -> &'static str {
        match self {
            Self::Ar => "ar",
            Self::En => "en",
            Self::Mixed => "mix",
        }
    }
}

/// A base direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Left to right.
    Ltr,
    /// Right to left.
    Rtl,
}

/// What kind of block a piece of an article is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BlockKind {
    /// A heading of level 1 to 6.
    Heading(u8),
    /// A paragraph of running text.
    Paragraph,
    /// A quotation.
    Quote,
    /// One item of a list.
    ListItem,
    /// A placeholder for an image or a figure: its caption or alt text.
    Figure,
}

/// One block of an article, holding its logical (stored-order) text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Block {
    /// What the block is.
    pub kind: BlockKind,
    /// The logical text: sanitized, whitespace-trimmed, `\n` only for hard line breaks.
    pub text: String,
}

/// A loaded article.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Article {
    /// Stable id: the path relative to the library root, plus `#N` for the N-th article of a
    /// file that holds several.
    pub id: String,
    /// The title (never empty: a file without one is titled by its file name).
    pub title: String,
    /// The dates found, in the order they appear.
    pub dates: Vec<ArticleDate>,
    /// The author or byline, when present.
    pub byline: Option<String>,
    /// The language from the article's metadata or the script of its letters.
    pub lang: Lang,
    /// The base direction of the whole article.
    pub direction: Direction,
    /// Where it was published (a site or a publication), when known.
    pub source: Option<String>,
    /// The original address, when known.
    pub url: Option<String>,
    /// Tags from front matter or metadata.
    pub tags: Vec<String>,
    /// The body, in order.
    pub blocks: Vec<Block>,
    /// Whether the store it came from marks it unread (newsboat's own flag); `None` for the
    /// formats that keep no such mark.
    pub unread: Option<bool>,
    /// The character encoding the file was read in.
    pub encoding: TextEncoding,
}

impl Article {
    /// The first parsed date, the one the library sorts by.
    pub fn date(&self) -> Option<DateValue> {
        self.dates.iter().find_map(|d| d.value)
    }

    /// Words in the body (runs of bytes between ASCII whitespace).
    pub fn word_count(&self) -> usize {
        let mut counter = WordCounter::default();
        for b in &self.blocks {
            counter.feed(b.text.as_bytes());
            counter.feed(b" ");
        }
        counter.words
    }

    /// Total bytes of body text.
    pub fn body_bytes(&self) -> usize {
        self.blocks.iter().map(|b| b.text.len()).sum()
    }
}

/// Counts words (runs of bytes between ASCII whitespace) over text fed in pieces.
#[derive(Debug, Default, Clone, Copy)]
pub struct WordCounter {
    /// Words counted so far.
    pub words: usize,
    in_word: bool,
}

impl WordCounter {
    /// Counts the words that start in `bytes`.
    pub fn feed(&mut self, bytes: &[u8]) {
        // 64 bytes at a time: a flag per byte (a vectorizable map), then the count of
        // space-to-word transitions (a vectorizable sum).
        fn space(b: u8) -> u8 {
            u8::from(b == b' ')
                | u8::from(b == b'\t')
                | u8::from(b == b'\n')
                | u8::from(b == b'\r')
                | u8::from(b == 0x0c)
        }
        let mut prev_space = u8::from(!self.in_word);
        let mut n = 0usize;
        let mut blocks = bytes.chunks_exact(64);
        for block in &mut blocks {
            let mut flags = [0u8; 65];
            flags[0] = prev_space;
            for (f, &b) in flags[1..].iter_mut().zip(block) {
                *f = space(b);
            }
            let mut starts = 0u8;
            for pair in 0..64 {
                starts += flags[pair] & (flags[pair + 1] ^ 1);
            }
            n += usize::from(starts);
            prev_space = flags[64];
        }
        for &b in blocks.remainder() {
            let sp = space(b);
            n += usize::from(prev_space & (sp ^ 1));
            prev_space = sp;
        }
        self.words += n;
        self.in_word = prev_space == 0;
    }
}

/// The outcome of loading one file: the articles it held and what was wrong with it.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Articles found, in file order.
    pub articles: Vec<Article>,
    /// One sentence per problem met (without the file name, which the caller adds).
    pub warnings: Vec<String>,
    /// The character encoding the file was read in.
    pub encoding: TextEncoding,
}

/// Why a file yielded no article at all.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ArticleError {
    /// The file is empty or holds only whitespace.
    #[error("the file is empty")]
    Empty,
    /// The file holds NUL bytes: it is binary, not text.
    #[error("the file is binary (it holds NUL bytes), not text")]
    Binary,
    /// The file could not be parsed in its format.
    #[error("{0}")]
    Malformed(String),
}

/// What the catalog needs of one article, read without parsing its whole body when the
/// format allows (the `.txt` layout).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// The title, as [`Article::title`].
    pub title: String,
    /// The dates, as [`Article::dates`].
    pub dates: Vec<ArticleDate>,
    /// The language, as [`Article::lang`].
    pub lang: Lang,
    /// The base direction, as [`Article::direction`].
    pub direction: Direction,
    /// Where it was published, when the file says.
    pub source: Option<String>,
    /// Words in the body as stored.
    pub words: usize,
    /// The store's own unread mark, as [`Article::unread`].
    pub unread: Option<bool>,
    /// The character encoding of its file, as [`Article::encoding`].
    pub encoding: TextEncoding,
}

impl Head {
    /// The head of an article already parsed.
    pub fn of(a: &Article) -> Self {
        Self {
            title: a.title.clone(),
            dates: a.dates.clone(),
            lang: a.lang,
            direction: a.direction,
            source: a.source.clone(),
            words: a.word_count(),
            unread: a.unread,
            encoding: a.encoding,
        }
    }
}

/// The outcome of cataloguing one file.
#[derive(Debug, Default)]
pub struct Scan {
    /// One head per article, in file order.
    pub heads: Vec<Head>,
    /// The articles themselves when the format had to be parsed in full to find the heads
    /// (everything but `.txt`); `None` when only the heads were read.
    pub articles: Option<Vec<Article>>,
    /// One sentence per problem met.
    pub warnings: Vec<String>,
    /// The character encoding the file was read in.
    pub encoding: TextEncoding,
}

/// Catalogues the bytes of one file: the heads of its articles, agreeing field for field with
/// what [`parse`] gives, at a fraction of the cost for the `.txt` layout.
pub fn scan(bytes: &[u8], format: Format, id: &str) -> Result<Scan, ArticleError> {
    if format != Format::Txt {
        let loaded = parse(bytes, format, id)?;
        return Ok(Scan {
            heads: loaded.articles.iter().map(Head::of).collect(),
            articles: Some(loaded.articles),
            warnings: loaded.warnings,
            encoding: loaded.encoding,
        });
    }
    let mut warnings = Vec::new();
    let (text, encoding) = encoding::decode(bytes, format, &mut warnings)?;
    let head = txt::head(&text);
    let (lang, direction) = head.guess();
    let mut counter = WordCounter::default();
    for piece in head.body_text() {
        counter.feed(piece.as_bytes());
        counter.feed(b" ");
    }
    let mut title = clean_inline(head.title);
    if title.is_empty() {
        title = title_from_file_name(id);
    }
    let dates = finish_dates(head.dates.iter().copied());
    let hint = txt::undated_hint(&head);
    date_warnings(
        std::iter::once((dates.as_slice(), hint)),
        false,
        &mut warnings,
    );
    Ok(Scan {
        heads: vec![Head {
            title,
            dates,
            lang,
            direction,
            source: None,
            words: counter.words,
            unread: None,
            encoding,
        }],
        articles: None,
        warnings,
        encoding,
    })
}

/// Parses the bytes of one file. `id` is the stable id of the file (its path relative to the
/// library root); `name` its file name, used as a title of last resort.
pub fn parse(bytes: &[u8], format: Format, id: &str) -> Result<Loaded, ArticleError> {
    let mut warnings = Vec::new();
    let (text, encoding) = encoding::decode(bytes, format, &mut warnings)?;
    let text = text.as_ref();
    let raws = match format {
        Format::Txt => vec![txt::parse(text)],
        Format::Markdown => vec![markdown::parse_document(text, &mut warnings)],
        Format::Html => vec![html::parse(text)],
        Format::Json => json::parse_json(text)?,
        Format::Jsonl => json::parse_jsonl(text, &mut warnings),
        Format::Feed => feed::parse(text, &mut warnings)?,
        Format::Csv => csv::parse(text, b',', &mut warnings)?,
        Format::Tsv => csv::parse(text, b'\t', &mut warnings)?,
        Format::Newsboat => {
            return Err(ArticleError::Malformed(
                "a newsboat cache is read from its file, not from bytes".to_owned(),
            ));
        }
    };
    finish_all(raws, format, id, warnings, encoding)
}

/// Reads a file of a format read from its path ([`Format::reads_path`]: newsboat's cache);
/// every other format is read by the library (a regular file, within its size limit) and
/// handed to [`parse`].
pub fn parse_file(path: &Path, format: Format, id: &str) -> Result<Loaded, ArticleError> {
    if !format.reads_path() {
        return Err(ArticleError::Malformed(
            "this format is read from its bytes, not from its path".to_owned(),
        ));
    }
    let mut warnings = Vec::new();
    let raws = newsboat::read(path, &mut warnings)?;
    // SQLite keeps its text in UTF-8.
    finish_all(raws, format, id, warnings, TextEncoding::UTF8)
}

/// The longest own key (a feed's guid, a cache's item id) that becomes part of an article id;
/// a longer one gives way to the article's place in the file.
const MAX_KEY_BYTES: usize = 256;

/// Cleans and completes the articles a format parser found, and gives each its id: the file's
/// id, plus `#` and the article's own key (a feed item's guid) or its place in the file.
fn finish_all(
    raws: Vec<RawArticle>,
    format: Format,
    id: &str,
    mut warnings: Vec<String>,
    encoding: TextEncoding,
) -> Result<Loaded, ArticleError> {
    let many = raws.len() > 1 || format.holds_many();
    let mut articles = Vec::with_capacity(raws.len());
    let mut keys_seen = std::collections::HashSet::new();
    let mut hints = Vec::new();
    for (i, mut raw) in raws.into_iter().enumerate() {
        let hint = raw.date_hint.take();
        warnings.append(&mut raw.notes);
        let key = raw
            .key
            .take()
            .map(|k| clean_inline(&k))
            // A key of digits alone could be another article's place: places are kept for those.
            .filter(|k| k.len() <= MAX_KEY_BYTES && !k.bytes().all(|b| b.is_ascii_digit()))
            .filter(|k| keys_seen.insert(k.clone()));
        let article_id = match key {
            Some(k) if many => format!("{id}#{k}"),
            _ if many => format!("{id}#{}", i + 1),
            _ => id.to_owned(),
        };
        if let Some(mut a) = raw.finish(article_id, id) {
            a.encoding = encoding;
            articles.push(a);
            hints.push(hint);
        } else {
            warnings.push(if many {
                format!("article {} has neither a title nor any text", i + 1)
            } else {
                "it has neither a title nor any text".to_owned()
            });
        }
    }
    date_warnings(
        articles
            .iter()
            .zip(&hints)
            .map(|(a, h)| (a.dates.as_slice(), h.as_deref())),
        many,
        &mut warnings,
    );
    if articles.is_empty() {
        let why = warnings
            .pop()
            .unwrap_or_else(|| "no article was found in it".to_owned());
        return Err(ArticleError::Malformed(why));
    }
    Ok(Loaded {
        articles,
        warnings,
        encoding,
    })
}

/// How many characters of a text that was not understood a message quotes.
const QUOTED_CHARS: usize = 60;

/// A text from a file quoted in a message: one line, controls made visible, clipped.
fn quote(s: &str) -> String {
    let one_line = collapse_inline(s);
    let mut clipped: String = one_line.chars().take(QUOTED_CHARS).collect();
    if clipped.len() < one_line.len() {
        clipped.push('…');
    }
    format!("'{}'", crate::escape::display(&clipped))
}

/// How many articles of one file the date warnings name one by one.
const NAMED_ARTICLES: usize = 3;

/// Warnings for articles without a date qari understands: each article's dates, and for an
/// article without any the text that looked like a date but was not understood. The articles
/// of a file of many are counted, a few named.
fn date_warnings<'a>(
    articles: impl Iterator<Item = (&'a [ArticleDate], Option<&'a str>)>,
    many: bool,
    warnings: &mut Vec<String>,
) {
    let mut total = 0usize;
    let mut missing: Vec<usize> = Vec::new();
    let mut missing_count = 0usize;
    let mut unread: Vec<String> = Vec::new();
    let mut unread_count = 0usize;
    for (n, (dates, hint)) in articles.enumerate() {
        total += 1;
        if dates.iter().any(|d| d.value.is_some()) {
            continue;
        }
        let text = dates.first().map(|d| d.original.as_str()).or(hint);
        match (text, many) {
            (Some(t), false) => unread.push(if dates.is_empty() {
                format!("it has no date qari understands ({} is not one)", quote(t))
            } else {
                format!("its date {} is not one qari understands", quote(t))
            }),
            (None, false) => missing.push(n),
            (Some(t), true) => {
                unread_count += 1;
                if unread.len() < NAMED_ARTICLES {
                    unread.push(format!(
                        "article {}'s date {} is not one qari understands",
                        n + 1,
                        quote(t)
                    ));
                }
            }
            (None, true) => {
                missing_count += 1;
                if missing.len() < NAMED_ARTICLES {
                    missing.push(n);
                }
            }
        }
    }
    if !many {
        if !missing.is_empty() {
            warnings.push("it has no date".to_owned());
        }
        warnings.append(&mut unread);
        return;
    }
    if missing_count > 0 {
        let named: Vec<String> = missing.iter().map(|n| (n + 1).to_string()).collect();
        let more = if missing_count > named.len() {
            ", …"
        } else {
            ""
        };
        warnings.push(if missing_count == 1 {
            format!("article {} has no date", named[0])
        } else {
            format!(
                "{missing_count} of its {total} articles have no date (articles {}{more})",
                named.join(", ")
            )
        });
    }
    warnings.append(&mut unread);
    if unread_count > NAMED_ARTICLES {
        warnings.push(format!(
            "{} more of its articles have a date qari does not understand",
            unread_count - NAMED_ARTICLES
        ));
    }
}

/// A one-line field made safe: sanitized, whitespace collapsed, trimmed.
fn clean_inline(s: &str) -> String {
    collapse_inline(&sanitize(s))
}

/// The title of last resort: the file name without its extension, cleaned like any title (a
/// file name is outside text too).
fn title_from_file_name(file_id: &str) -> String {
    let name = file_id.rsplit('/').next().unwrap_or(file_id);
    clean_inline(name.rsplit_once('.').map_or(name, |(stem, _)| stem))
}

/// Date lines cleaned and parsed; empty ones dropped.
fn finish_dates<'a>(lines: impl IntoIterator<Item = &'a str>) -> Vec<ArticleDate> {
    lines
        .into_iter()
        .map(clean_inline)
        .filter(|d| !d.is_empty())
        .map(|original| ArticleDate {
            value: parse_date(&original),
            original,
        })
        .collect()
}

/// Fields as a format parser found them, before they are cleaned and completed.
#[derive(Debug, Default)]
struct RawArticle {
    title: Option<String>,
    dates: Vec<String>,
    byline: Option<String>,
    lang: Option<String>,
    source: Option<String>,
    url: Option<String>,
    tags: Vec<String>,
    blocks: Vec<Block>,
    /// For an article without a date: a text that looked like one but was not understood.
    date_hint: Option<String>,
    /// The base direction the file gives (an HTML `dir` attribute).
    dir: Option<Direction>,
    /// Problems the format parser met, one sentence each.
    notes: Vec<String>,
    /// Language and direction guessed by the format parser from the text as stored (the
    /// catalog reads them the same way without parsing the body).
    guessed: Option<(Lang, Direction)>,
    /// The article's own key in a file of many (a feed item's guid), for its id.
    key: Option<String>,
    /// The store's own unread mark (newsboat).
    unread: Option<bool>,
}

impl RawArticle {
    fn push_block(&mut self, kind: BlockKind, text: &str) {
        let text = text.trim();
        if !text.is_empty() {
            self.blocks.push(Block {
                kind,
                text: text.to_owned(),
            });
        }
    }

    /// As [`RawArticle::push_block`], keeping the string when it needs no trimming.
    fn push_block_owned(&mut self, kind: BlockKind, text: String) {
        if text.trim().len() == text.len() {
            if !text.is_empty() {
                self.blocks.push(Block { kind, text });
            }
        } else {
            self.push_block(kind, &text);
        }
    }

    /// Sanitizes every field, fills in what is missing and splits huge blocks.
    fn finish(self, id: String, file_id: &str) -> Option<Article> {
        let clean = clean_inline;
        let mut blocks = Vec::with_capacity(self.blocks.len());
        for b in self.blocks {
            // Most blocks are clean, trimmed and not huge: they are kept as they are.
            let text = match sanitize(&b.text) {
                std::borrow::Cow::Borrowed(_) => b.text,
                std::borrow::Cow::Owned(t) => t,
            };
            let trimmed = text.trim();
            if trimmed.is_empty() {
                continue;
            }
            if trimmed.len() == text.len() && text.len() <= MAX_BLOCK_BYTES {
                blocks.push(Block { kind: b.kind, text });
            } else {
                split_block(b.kind, trimmed, &mut blocks);
            }
        }
        let title = self
            .title
            .map(|t| clean(&t))
            .filter(|t| !t.is_empty())
            .or_else(|| {
                // No title: the first heading, else the file name.
                let first = blocks.first()?;
                matches!(first.kind, BlockKind::Heading(_)).then(|| collapse_inline(&first.text))
            });
        if title.is_none() && blocks.is_empty() {
            return None;
        }
        let title = title.unwrap_or_else(|| title_from_file_name(file_id));
        let dates = finish_dates(self.dates.iter().map(String::as_str));
        let texts = std::iter::once(title.as_str()).chain(blocks.iter().map(|b| b.text.as_str()));
        let lang = self
            .lang
            .as_deref()
            .and_then(lang_from_code)
            .or(self.guessed.map(|(lang, _)| lang))
            .unwrap_or_else(|| guess_lang(texts.clone()));
        let direction = match (self.dir, self.guessed) {
            (Some(dir), _) => dir,
            (None, Some((guessed, direction))) if guessed == lang => direction,
            _ => direction_of(lang, texts),
        };
        Some(Article {
            id,
            title,
            dates,
            byline: self.byline.map(|b| clean(&b)).filter(|b| !b.is_empty()),
            lang,
            direction,
            source: self.source.map(|s| clean(&s)).filter(|s| !s.is_empty()),
            url: self.url.map(|s| clean(&s)).filter(|s| !s.is_empty()),
            tags: self
                .tags
                .iter()
                .map(|t| clean(t))
                .filter(|t| !t.is_empty())
                .collect(),
            blocks,
            unread: self.unread,
            encoding: TextEncoding::UTF8,
        })
    }
}

/// Collapses runs of whitespace (newlines included) to one space and trims.
fn collapse_inline(s: &str) -> String {
    let t = s.trim();
    let mut prev_space = false;
    let collapsed = t.chars().all(|c| {
        let space = c.is_whitespace();
        let ok = !space || (c == ' ' && !prev_space);
        prev_space = space;
        ok
    });
    if collapsed {
        return t.to_owned();
    }
    t.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Pushes `text` as one or more blocks of `kind`, none over [`MAX_BLOCK_BYTES`].
fn split_block(kind: BlockKind, mut text: &str, out: &mut Vec<Block>) {
    while text.len() > MAX_BLOCK_BYTES {
        let mut cut = MAX_BLOCK_BYTES;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        let head = text.get(..cut).unwrap_or(text);
        let at = head
            .rfind('\n')
            .or_else(|| head.rfind(' '))
            .filter(|&i| i > 0)
            .unwrap_or(cut);
        let (a, b) = text.split_at(at);
        let a = a.trim();
        if !a.is_empty() {
            out.push(Block {
                kind,
                text: a.to_owned(),
            });
        }
        text = b.trim_start();
    }
    if !text.is_empty() {
        out.push(Block {
            kind,
            text: text.to_owned(),
        });
    }
}

/// Maps a language code or name from metadata to a [`Lang`].
fn lang_from_code(code: &str) -> Option<Lang> {
    let code = code.trim().to_ascii_lowercase();
    let primary = code.split(['-', '_']).next().unwrap_or("");
    match primary {
        "ar" | "arz" | "ary" | "apc" | "acm" | "aeb" | "arabic" | "fa" | "ur" | "ps" => {
            Some(Lang::Ar)
        }
        "en" | "english" | "fr" | "de" | "es" | "it" | "pt" | "nl" => Some(Lang::En),
        "mixed" | "mix" => Some(Lang::Mixed),
        _ => None,
    }
}

/// Is this an Arabic-script letter (any of the Arabic blocks)?
pub fn is_arabic_letter(c: char) -> bool {
    matches!(c,
        '\u{0620}'..='\u{064A}' | '\u{066E}'..='\u{06D3}' | '\u{06D5}' | '\u{06EE}'..='\u{06FF}'
        | '\u{0750}'..='\u{077F}' | '\u{08A0}'..='\u{08C9}' | '\u{FB50}'..='\u{FDFF}'
        | '\u{FE70}'..='\u{FEFC}')
}

/// How many characters at the start of an article decide its language.
const LANG_SAMPLE_CHARS: usize = 1000;

/// Counts in one block of 64 bytes (followed by the next byte, for two-byte characters):
/// (Latin letters, Arabic-script letters, characters started). One- and two-byte characters
/// are classed without branches, in 16-bit lanes, so the loop vectorizes; the rare three-byte
/// characters (Arabic Extended-A, presentation forms) take a scalar pass.
#[expect(
    clippy::needless_bitwise_bool,
    reason = "bitwise on purpose: no branches, so the loop vectorizes"
)]
fn block_counts(w: &[u8; 65], len: usize) -> (usize, usize, usize) {
    let (mut latin, mut arabic, mut starts) = (0u8, 0u8, 0u8);
    for i in 0..64 {
        let (x, y) = (u16::from(w[i]), u16::from(w[i + 1]));
        let cp = if x < 0x80 {
            x
        } else if x & 0xE0 == 0xC0 {
            ((x & 0x1F) << 6) | (y & 0x3F)
        } else {
            0
        };
        let in_range = |lo: u16, hi: u16| cp.wrapping_sub(lo) <= hi - lo;
        latin += u8::from(
            in_range(0x41, 0x5A)
                | in_range(0x61, 0x7A)
                | (in_range(0xC0, 0x24F) & (cp != 0xD7) & (cp != 0xF7)),
        );
        arabic += u8::from(
            in_range(0x620, 0x64A)
                | in_range(0x66E, 0x6D3)
                | (cp == 0x6D5)
                | in_range(0x6EE, 0x6FF)
                | in_range(0x750, 0x77F),
        );
        starts += u8::from(x & 0xC0 != 0x80);
    }
    let mut arabic = usize::from(arabic);
    let three_byte = w[..64].iter().fold(0u8, |m, &b| m | u8::from(b >= 0xE0));
    if three_byte != 0 {
        let text = String::from_utf8_lossy(&w[..len]);
        arabic += text
            .chars()
            .filter(|&c| u32::from(c) >= 0x800 && is_arabic_letter(c))
            .count();
    }
    // Zero padding after the text counts as characters started.
    (usize::from(latin), arabic, usize::from(starts) - (64 - len))
}

/// The language of a text from the script of its letters among (about) its first
/// [`LANG_SAMPLE_CHARS`] characters: the texts are read in order, 64 bytes at a time, and
/// reading stops after the block where the count is reached.
fn guess_lang<'a>(texts: impl IntoIterator<Item = &'a str>) -> Lang {
    let (mut latin, mut arabic, mut chars) = (0usize, 0usize, 0usize);
    'texts: for text in texts {
        let b = text.as_bytes();
        let mut at = 0;
        while at < b.len() {
            if chars >= LANG_SAMPLE_CHARS {
                break 'texts;
            }
            // The block and the byte after it (a character's continuation), zero padded.
            let mut window = [0u8; 65];
            let end = (at + 65).min(b.len());
            window[..end - at].copy_from_slice(&b[at..end]);
            let len = (b.len() - at).min(64);
            let (l, a, c) = block_counts(&window, len);
            latin += l;
            arabic += a;
            chars += c;
            at += len;
        }
    }
    let total = arabic + latin;
    if total == 0 {
        Lang::En
    } else if arabic * 10 >= total * 6 {
        Lang::Ar
    } else if latin * 10 >= total * 6 {
        Lang::En
    } else {
        Lang::Mixed
    }
}

/// The base direction that goes with a language: a mixed text takes the direction of its
/// first strong character.
fn direction_of<'a>(lang: Lang, texts: impl IntoIterator<Item = &'a str>) -> Direction {
    match lang {
        Lang::Ar => Direction::Rtl,
        Lang::En => Direction::Ltr,
        Lang::Mixed => texts
            .into_iter()
            .find_map(first_strong)
            .unwrap_or(Direction::Ltr),
    }
}

/// The direction of the first strong character (UAX #9 P2, without skipping isolates).
pub fn first_strong(s: &str) -> Option<Direction> {
    use unicode_bidi::BidiClass::{AL, L, R};
    s.chars().find_map(|c| match unicode_bidi::bidi_class(c) {
        L => Some(Direction::Ltr),
        R | AL => Some(Direction::Rtl),
        _ => None,
    })
}

/// Splits a body string into paragraphs: at blank lines when there are any, else at newlines.
fn split_paragraphs(body: &str) -> Vec<&str> {
    let paragraphs = paragraphs_at_blank_lines(body);
    if paragraphs.len() > 1 {
        return paragraphs;
    }
    body.split('\n')
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect()
}

/// The blank-line separated paragraphs of `s`, each trimmed.
fn paragraphs_at_blank_lines(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let mut end = 0;
    let mut pos = 0;
    for line in s.split_inclusive('\n') {
        let blank = line.trim().is_empty();
        if blank {
            if let Some(st) = start.take() {
                out.push(s.get(st..end).unwrap_or("").trim());
            }
        } else {
            if start.is_none() {
                start = Some(pos);
            }
            end = pos + line.len();
        }
        pos += line.len();
    }
    if let Some(st) = start {
        out.push(s.get(st..end).unwrap_or("").trim());
    }
    out
}

#[cfg(test)]
mod word_tests {
    use super::WordCounter;

    #[test]
    fn words_are_counted_across_blocks_and_pieces() {
        let mut text = String::new();
        for i in 0..300 {
            text.push_str(["a", "  bc", "\tdéf\n", " ", "ش ", "x\r\n"][i % 6]);
        }
        let want = text.split_ascii_whitespace().count();
        let bytes = text.as_bytes();
        for split in [0, 1, 63, 64, 65, 127, 200, bytes.len()] {
            let mut c = WordCounter::default();
            c.feed(&bytes[..split]);
            c.feed(&bytes[split..]);
            assert_eq!(c.words, want, "split at {split}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_by_extension() {
        assert_eq!(Format::from_path(Path::new("a/b.TXT")), Some(Format::Txt));
        assert_eq!(
            Format::from_path(Path::new("x.markdown")),
            Some(Format::Markdown)
        );
        assert_eq!(Format::from_path(Path::new("x.htm")), Some(Format::Html));
        assert_eq!(Format::from_path(Path::new("x.jsonl")), Some(Format::Jsonl));
        assert_eq!(Format::from_path(Path::new("x.pdf")), None);
        assert_eq!(Format::from_path(Path::new("README")), None);
    }

    #[test]
    fn empty_and_binary_are_errors() {
        assert_eq!(
            parse(b"", Format::Txt, "a.txt").unwrap_err(),
            ArticleError::Empty
        );
        assert_eq!(
            parse(b" \n\n \t", Format::Txt, "a.txt").unwrap_err(),
            ArticleError::Empty
        );
        assert_eq!(
            parse(b"PK\x03\x04\0\0binary", Format::Txt, "a.txt").unwrap_err(),
            ArticleError::Binary
        );
    }

    #[test]
    fn invalid_utf8_is_kept_with_a_warning() {
        let loaded = parse(b"Title\n\nsome \xff\xfe text", Format::Txt, "a.txt").unwrap();
        assert_eq!(
            loaded.articles[0].blocks[0].text,
            "some \u{FFFD}\u{FFFD} text"
        );
        assert!(
            loaded.warnings[0].contains("not valid UTF-8"),
            "{:?}",
            loaded.warnings
        );
    }

    #[test]
    fn language_and_direction() {
        let a = parse("عنوان\n\nنص عربي فيه BBC".as_bytes(), Format::Txt, "a.txt").unwrap();
        assert_eq!(a.articles[0].lang, Lang::Ar);
        assert_eq!(a.articles[0].direction, Direction::Rtl);
        let e = parse(b"Title\n\nEnglish text", Format::Txt, "e.txt").unwrap();
        assert_eq!(e.articles[0].lang, Lang::En);
        assert_eq!(e.articles[0].direction, Direction::Ltr);
        let m = parse(
            "Arabic عربية كثيرة جدا\n\nmixed نص وكلمات English".as_bytes(),
            Format::Txt,
            "m.txt",
        )
        .unwrap();
        assert_eq!(m.articles[0].lang, Lang::Mixed);
        assert_eq!(m.articles[0].direction, Direction::Ltr);
    }

    #[test]
    fn language_by_letters_in_every_encoding_length() {
        // Two-byte Arabic and Latin-1, three-byte presentation forms and Extended-A.
        assert_eq!(guess_lang(["مرحبا بالعالم"]), Lang::Ar);
        assert_eq!(guess_lang(["ﻡﻼﺴﻟﺍ ﻢﻜﻴﻠﻋ"]), Lang::Ar);
        assert_eq!(guess_lang(["\u{08A0}\u{08A1}\u{08A2}"]), Lang::Ar);
        assert_eq!(guess_lang(["Ça été très déjà vu"]), Lang::En);
        assert_eq!(guess_lang(["1234 — 5678 «»"]), Lang::En, "no letters");
        // Signs that are not letters (× ÷, Arabic digits and punctuation) do not count.
        assert_eq!(guess_lang(["ab ×÷×÷×÷ ٠١٢٣٤٥٦٧٨٩ ، ؟"]), Lang::En);
        // Pieces are read as one text, across block boundaries.
        let arabic = "ب".repeat(63);
        assert_eq!(
            guess_lang([arabic.as_str(), "ab", arabic.as_str()]),
            Lang::Ar
        );
        // Only the start is sampled: 1,100 Arabic letters, then much English.
        let long = format!("{} {}", "ع".repeat(1100), "English ".repeat(500));
        assert_eq!(guess_lang([long.as_str()]), Lang::Ar);
        let half = format!("{} {}", "ع".repeat(300), "e".repeat(300));
        assert_eq!(guess_lang([half.as_str()]), Lang::Mixed);
    }

    #[test]
    fn huge_blocks_are_split_at_spaces() {
        let word = "كلمة ";
        let body = word.repeat(40_000);
        let text = format!("T\n\n{body}");
        let a = parse(text.as_bytes(), Format::Txt, "big.txt").unwrap();
        let blocks = &a.articles[0].blocks;
        assert!(blocks.len() > 1);
        assert!(blocks.iter().all(|b| b.text.len() <= MAX_BLOCK_BYTES));
        let words: usize = blocks
            .iter()
            .map(|b| b.text.split_whitespace().count())
            .sum();
        assert_eq!(words, 40_000, "no word lost in the split");
    }

    #[test]
    fn paragraphs_split_at_blank_lines_or_newlines() {
        assert_eq!(split_paragraphs("a\nb\n\nc"), vec!["a\nb", "c"]);
        assert_eq!(split_paragraphs("a\nb\nc"), vec!["a", "b", "c"]);
    }

    #[test]
    fn missing_and_unreadable_dates_are_warnings() {
        use std::fmt::Write as _;
        let w = |bytes: &[u8], format: Format| parse(bytes, format, "x").unwrap().warnings;
        assert_eq!(w(b"Title\n\nBody text.", Format::Txt), ["it has no date"]);
        assert_eq!(
            w(
                "Title\n\nنشر في: 13 يونيو 2024 الساعة 10:30 بتوقيت مكة\n\nBody.".as_bytes(),
                Format::Txt
            ),
            [
                "it has no date qari understands ('نشر في: 13 يونيو 2024 الساعة 10:30 بتوقيت مكة' is not one)"
            ]
        );
        assert!(
            w(
                "Title\n\nنشر في: 13 أيار/مايو 2024\n\nBody.".as_bytes(),
                Format::Txt
            )
            .is_empty()
        );
        assert_eq!(
            w(
                br#"{"title":"T","body":"b","date":"sometime in June"}"#,
                Format::Json
            ),
            ["its date 'sometime in June' is not one qari understands"]
        );
        let mut lines = String::new();
        for n in 0..10 {
            let date = match n {
                0 | 5 => "\"2024-06-13\"",
                1..=3 => "null",
                _ => "\"soon\"",
            };
            writeln!(
                lines,
                "{{\"title\":\"t{n}\",\"body\":\"b\",\"date\":{date}}}"
            )
            .unwrap();
        }
        assert_eq!(
            w(lines.as_bytes(), Format::Jsonl),
            [
                "3 of its 10 articles have no date (articles 2, 3, 4)",
                "article 5's date 'soon' is not one qari understands",
                "article 7's date 'soon' is not one qari understands",
                "article 8's date 'soon' is not one qari understands",
                "2 more of its articles have a date qari does not understand",
            ]
        );
        // The catalog's quick read of a `.txt` warns the same, also for a body of Markdown
        // nested too deep to be read as Markdown.
        let mut deep = String::from("Title\n\n2024-06-13\n\n");
        for i in 1..200 {
            deep.push_str(&"- ".repeat(i));
            deep.push_str("x\n");
        }
        assert_eq!(
            scan(deep.as_bytes(), Format::Txt, "x").unwrap().warnings,
            w(deep.as_bytes(), Format::Txt)
        );
        let text = "Title\n\nBody text.";
        assert_eq!(
            scan(text.as_bytes(), Format::Txt, "x").unwrap().warnings,
            w(text.as_bytes(), Format::Txt)
        );
    }
}
