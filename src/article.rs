//! Stored files to [`Article`]s: pure, bytes in and articles out, no I/O.
//!
//! The format is chosen by the file's extension ([`Format::from_path`]); each format has its own
//! submodule. Every text that leaves this module has been through [`sanitize`], so no byte of an
//! article can reach a terminal as a control. Newsboat's `cache.db` is the one format not read
//! as bytes: the library reads its items out of `SQLite` and hands them over ([`from_cache`]).

mod csv;
mod date;
mod encoding;
mod feed;
mod finish;
mod format;
mod html;
mod inline;
mod json;
mod lang;
mod link;
mod markdown;
mod newsboat;
mod place;
mod sanitize;
mod table;
mod txt;

#[cfg(test)]
mod tests;

use serde::Serialize;

pub use crate::text::{Direction, is_bidi_control};
pub use date::{ArticleDate, DateValue, parse_date};
pub use encoding::{Found as EncodingFound, TextEncoding};
pub use sanitize::sanitize;

pub use format::{ArticleError, Format, Head, Loaded, Scan, parse, scan};
pub use lang::{first_strong, is_arabic_letter};
pub use newsboat::{CacheItem, from_cache};

pub use finish::clean_inline;
pub use link::{MAX_LINKS, MAX_TARGET_BYTES, safe_target};

use finish::{
    RawArticle, date_warnings, finish_dates, paragraphs_at_blank_lines, split_paragraphs,
    title_from_file_name,
};
use format::finish_all;
use lang::{direction_of, guess_lang, lang_from_code};
pub use place::Place;

/// Blocks longer than this are split at a paragraph, line or word boundary, so that one huge
/// paragraph never has to be laid out in one piece.
pub const MAX_BLOCK_BYTES: usize = 64 * 1024;

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

    /// The language of a code [`Self::code`] gave.
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "ar" => Some(Self::Ar),
            "en" => Some(Self::En),
            "mix" => Some(Self::Mixed),
            _ => None,
        }
    }
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
    /// The inline marks over the text (emphasis, code, links), sorted by where they start.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub marks: Vec<Mark>,
    /// For a list item: how deep its list is nested and its number in an ordered list.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<Item>,
    /// For a row of a table (its text the labelled row, `Heading: cell` a line): where its
    /// cells are, so the reader can lay the table out as a grid where it fits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<Box<Row>>,
}

/// A row of a table, read as a labelled row ([`Block::text`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    /// The table's number in the article; the rows of one table are neighbouring blocks.
    pub table: u32,
    /// The column headings, on a table's first row only (empty on the others, and for a
    /// table without a heading row).
    pub heads: Vec<String>,
    /// Each cell's text: its byte range in the block's text (empty for an empty cell).
    pub cells: Vec<(u32, u32)>,
}

/// Where a list item stands in its list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Item {
    /// 1 for an item of a list at the top, 2 for one of a list inside an item, and so on.
    pub depth: u8,
    /// Its number in an ordered list; `None` in a list of bullets.
    pub number: Option<u32>,
}

#[cfg(test)]
impl Block {
    /// Each mark's text and style, for the parsers' tests.
    pub(crate) fn marked(&self) -> Vec<(&str, Style)> {
        self.marks
            .iter()
            .map(|m| (self.text.get(m.range()).unwrap_or("?"), m.style))
            .collect()
    }
}

#[cfg(test)]
impl Article {
    /// Each link's text and target, for the parsers' tests.
    pub(crate) fn link_pairs(&self) -> Vec<(&str, &str)> {
        self.links
            .iter()
            .map(|l| (l.text.as_str(), l.target.as_str()))
            .collect()
    }
}

/// Lists nested deeper than this are drawn as deep as this.
pub const MAX_LIST_DEPTH: u8 = 8;

impl Item {
    /// The next item of the innermost of the open `lists` (each an ordered list's next number,
    /// or `None` for a list of bullets), counting it.
    pub fn next_in(lists: &mut [Option<u32>]) -> Self {
        let depth = u8::try_from(lists.len().max(1))
            .unwrap_or(MAX_LIST_DEPTH)
            .min(MAX_LIST_DEPTH);
        let number = lists.last_mut().and_then(|n| {
            let this = n.as_mut()?;
            let now = *this;
            *this = this.saturating_add(1);
            Some(now)
        });
        Self { depth, number }
    }
}

impl Block {
    /// A block of `kind` with `text` and no marks.
    pub fn new(kind: BlockKind, text: String) -> Self {
        Self {
            kind,
            text,
            marks: Vec::new(),
            item: None,
            row: None,
        }
    }

    /// The link (its number in [`Article::links`]) at byte `at` of the text, if any.
    pub fn link_at(&self, at: usize) -> Option<usize> {
        self.marks.iter().find_map(|m| match m.style {
            Style::Link(n) if m.range().contains(&at) => Some(n as usize),
            _ => None,
        })
    }
}

/// What an inline mark makes of its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Style {
    /// Strong emphasis (bold).
    Strong,
    /// Emphasis (italic).
    Emphasis,
    /// Code or other machine text.
    Code,
    /// A link: its number in [`Article::links`].
    Link(u32),
}

/// A range of a block's text and what it is: emphasised, code, a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Mark {
    /// The first byte of the text it covers.
    pub start: u32,
    /// The byte after the last it covers.
    pub end: u32,
    /// What it makes of the text.
    pub style: Style,
}

impl Mark {
    /// The bytes of the block's text it covers.
    pub fn range(&self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// A link of an article: the text it is on and where it leads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Link {
    /// The text it is on, on one line (an image's alt text, or its address, when it has none).
    pub text: String,
    /// Where it leads: an `http`, `https` or `mailto` address, resolved against the article's
    /// own address, percent-encoded printable ASCII, at most [`MAX_TARGET_BYTES`] long (see
    /// [`safe_target`]).
    pub target: String,
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
    /// The links of the body, in order (the blocks' [`Style::Link`] marks number them).
    pub links: Vec<Link>,
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
