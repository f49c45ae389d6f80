//! Format detection and dispatch: which format a file is, and its bytes through that format's
//! parser to finished [`Article`]s (or, for the catalog, their [`Head`]s).

use std::path::Path;

use serde::Serialize;

use super::{
    Article, ArticleDate, Direction, Lang, RawArticle, TextEncoding, WordCounter, clean_inline,
    csv, date_warnings, encoding, feed, finish_dates, html, json, markdown, title_from_file_name,
    txt,
};

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

    /// True for the formats the library reads from the file's path rather than as bytes:
    /// newsboat's cache, which `SQLite` opens itself; its items come back through
    /// [`from_cache`](super::from_cache).
    pub fn reads_path(self) -> bool {
        self == Self::Newsboat
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
    /// The byline, as [`Article::byline`].
    pub byline: Option<String>,
    /// The tags, as [`Article::tags`].
    pub tags: Vec<String>,
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
            byline: a.byline.clone(),
            tags: a.tags.clone(),
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
    // The byline is not part of the body (as the full parse has it).
    let byline = txt::byline(&head);
    let byline_words = byline.map_or(0, |b| {
        let mut c = WordCounter::default();
        c.feed(b.as_bytes());
        c.words
    });
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
            byline: byline.map(clean_inline).filter(|b| !b.is_empty()),
            tags: Vec::new(),
            words: counter.words.saturating_sub(byline_words),
            unread: None,
            encoding,
        }],
        articles: None,
        warnings,
        encoding,
    })
}

/// Parses the bytes of one file. `id` is the stable id of the file (its path relative to the
/// library root); its last part, the file name, is the title of last resort.
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

/// The longest own key (a feed's guid, a cache's item id) that becomes part of an article id;
/// a longer one gives way to the article's place in the file.
const MAX_KEY_BYTES: usize = 256;

/// Cleans and completes the articles a format parser found, and gives each its id: the file's
/// id, plus `#` and the article's own key (a feed item's guid) or its place in the file.
pub(super) fn finish_all(
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
