//! Finishing what a format parser found: every field sanitized and completed, huge blocks
//! split, warnings for missing or unreadable dates.

use super::inline::{sanitize_marked, separate_links, slice_marks, trim_marked};
use super::{
    Article, ArticleDate, Block, BlockKind, Direction, Lang, Link, MAX_BLOCK_BYTES, MAX_LINKS,
    Mark, Style, TextEncoding, direction_of, guess_lang, lang_from_code, parse_date, safe_target,
    sanitize,
};

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
pub(super) fn date_warnings<'a>(
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
pub fn clean_inline(s: &str) -> String {
    collapse_inline(&sanitize(s))
}

/// The title of last resort: the file name without its extension, cleaned like any title (a
/// file name is outside text too).
pub(super) fn title_from_file_name(file_id: &str) -> String {
    let name = file_id.rsplit('/').next().unwrap_or(file_id);
    clean_inline(name.rsplit_once('.').map_or(name, |(stem, _)| stem))
}

/// Date lines cleaned and parsed; empty ones dropped.
pub(super) fn finish_dates<'a>(lines: impl IntoIterator<Item = &'a str>) -> Vec<ArticleDate> {
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
pub(super) struct RawArticle {
    pub(super) title: Option<String>,
    pub(super) dates: Vec<String>,
    pub(super) byline: Option<String>,
    pub(super) lang: Option<String>,
    pub(super) source: Option<String>,
    pub(super) url: Option<String>,
    pub(super) tags: Vec<String>,
    pub(super) blocks: Vec<Block>,
    /// The links' targets as the file gives them (the blocks' link marks number them).
    pub(super) links: Vec<String>,
    /// For an article without a date: a text that looked like one but was not understood.
    pub(super) date_hint: Option<String>,
    /// The base direction the file gives (an HTML `dir` attribute).
    pub(super) dir: Option<Direction>,
    /// Problems the format parser met, one sentence each.
    pub(super) notes: Vec<String>,
    /// Language and direction guessed by the format parser from the text as stored (the
    /// catalog reads them the same way without parsing the body).
    pub(super) guessed: Option<(Lang, Direction)>,
    /// The article's own key in a file of many (a feed item's guid), for its id.
    pub(super) key: Option<String>,
    /// The store's own unread mark (newsboat).
    pub(super) unread: Option<bool>,
}

impl RawArticle {
    pub(super) fn push_block(&mut self, kind: BlockKind, text: &str) {
        let text = text.trim();
        if !text.is_empty() {
            self.blocks.push(Block::new(kind, text.to_owned()));
        }
    }

    /// As [`RawArticle::push_block`], with the inline marks over `text`.
    pub(super) fn push_marked(&mut self, kind: BlockKind, text: &str, mut marks: Vec<Mark>) {
        if marks.is_empty() {
            return self.push_block(kind, text);
        }
        let range = trim_marked(text, &mut marks);
        if let Some(text) = text.get(range).filter(|t| !t.is_empty()) {
            self.blocks.push(Block {
                kind,
                text: text.to_owned(),
                marks,
                item: None,
                row: None,
            });
        }
    }

    /// Keeps a link's target (as the file gives it) for a mark; `None` past [`MAX_LINKS`].
    pub(super) fn link(&mut self, target: &str) -> Option<Style> {
        if self.links.len() >= MAX_LINKS {
            return None;
        }
        // A target over the cap is refused when the article is finished: not kept till then.
        self.links
            .push(if target.len() > 2 * super::MAX_TARGET_BYTES {
                String::new()
            } else {
                target.to_owned()
            });
        Some(Style::Link((self.links.len() - 1) as u32))
    }

    /// As [`RawArticle::push_block`], keeping the string when it needs no trimming.
    pub(super) fn push_block_owned(&mut self, kind: BlockKind, text: String) {
        if text.trim().len() == text.len() {
            if !text.is_empty() {
                self.blocks.push(Block::new(kind, text));
            }
        } else {
            self.push_block(kind, &text);
        }
    }

    /// Sanitizes every field, fills in what is missing and splits huge blocks.
    pub(super) fn finish(self, id: String, file_id: &str) -> Option<Article> {
        let clean = clean_inline;
        let mut blocks = Vec::with_capacity(self.blocks.len());
        for b in self.blocks {
            let (kind, item, from) = (b.kind, b.item, blocks.len());
            if !b.marks.is_empty() {
                let mut marks = b.marks;
                let text = sanitize_marked(&b.text, &mut marks);
                let range = trim_marked(&text, &mut marks);
                let trimmed = text.get(range).unwrap_or("");
                split_block(kind, trimmed, &marks, &mut blocks);
                for nb in blocks.get_mut(from..).into_iter().flatten() {
                    nb.item = item;
                }
                continue;
            }
            // Most blocks are clean, trimmed and not huge: they are kept as they are.
            let (text, unchanged) = match sanitize(&b.text) {
                std::borrow::Cow::Borrowed(_) => (b.text, true),
                std::borrow::Cow::Owned(t) => (t, false),
            };
            let trimmed = text.trim();
            if trimmed.is_empty() {
                continue;
            }
            if trimmed.len() == text.len() && text.len() <= MAX_BLOCK_BYTES {
                // A table row's cells are ranges of its text: kept only with the text as it was.
                let row = b.row.filter(|_| unchanged);
                blocks.push(Block {
                    row,
                    ..Block::new(kind, text)
                });
            } else {
                split_block(kind, trimmed, &[], &mut blocks);
            }
            for nb in blocks.get_mut(from..).into_iter().flatten() {
                nb.item = item;
            }
        }
        let url = self.url.map(|s| clean(&s)).filter(|s| !s.is_empty());
        let links = finish_links(&self.links, url.as_deref(), &mut blocks);
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
            url,
            tags: self
                .tags
                .iter()
                .map(|t| clean(t))
                .filter(|t| !t.is_empty())
                .collect(),
            blocks,
            links,
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

/// The links whose targets are safe ([`safe_target`], relative ones resolved against the
/// article's address `base`), numbered anew in the order of the text; the marks of the others
/// are dropped (their text stays); neighbouring links get a dot between them.
fn finish_links(raw: &[String], base: Option<&str>, blocks: &mut [Block]) -> Vec<Link> {
    let mut links: Vec<Link> = Vec::new();
    // The raw link → its new number (or none).
    let mut renumbered: Vec<Option<Option<u32>>> = vec![None; raw.len()];
    for b in blocks.iter_mut() {
        if b.marks.is_empty() {
            continue;
        }
        let text = std::mem::take(&mut b.text);
        b.marks.retain_mut(|m| {
            let Style::Link(n) = m.style else {
                return true;
            };
            let Some(slot) = renumbered.get_mut(n as usize) else {
                return false;
            };
            let new = *slot.get_or_insert_with(|| {
                let target = safe_target(&raw[n as usize], base)?;
                links.push(Link {
                    text: String::new(),
                    target,
                });
                Some((links.len() - 1) as u32)
            });
            match new {
                Some(k) => {
                    m.style = Style::Link(k);
                    true
                }
                None => false,
            }
        });
        b.text = separate_links(text, &mut b.marks);
        for m in &b.marks {
            if let Style::Link(k) = m.style
                && let Some(link) = links.get_mut(k as usize)
                && link.text.is_empty()
            {
                link.text = collapse_inline(b.text.get(m.range()).unwrap_or(""));
            }
        }
    }
    for l in &mut links {
        if l.text.is_empty() {
            l.text.clone_from(&l.target);
        }
    }
    links
}

/// Pushes `text` as one or more blocks of `kind`, none over [`MAX_BLOCK_BYTES`], each with
/// the `marks` that fall in it.
fn split_block(kind: BlockKind, text: &str, marks: &[Mark], out: &mut Vec<Block>) {
    let whole = text;
    let piece = |part: &str| {
        let start = part.as_ptr() as usize - whole.as_ptr() as usize;
        Block {
            kind,
            text: part.to_owned(),
            marks: slice_marks(marks, start..start + part.len()),
            item: None,
            row: None,
        }
    };
    let mut text = text;
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
            out.push(piece(a));
        }
        text = b.trim_start();
    }
    if !text.is_empty() {
        out.push(piece(text));
    }
}

/// Splits a body string into paragraphs: at blank lines when there are any, else at newlines.
pub(super) fn split_paragraphs(body: &str) -> Vec<&str> {
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
pub(super) fn paragraphs_at_blank_lines(s: &str) -> Vec<&str> {
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
