//! RSS 2.0, RSS 1.0 (RDF) and Atom feeds, through the quick-xml pull parser: every item an
//! article, the feed's title its source.
//!
//! The document type is never read: entities a DTD declares are not expanded (a
//! "billion laughs" file stays as small as it is), an unknown entity is kept as written (so
//! `&nbsp;` in escaped HTML reaches the HTML reader as it was meant). The number of items, the
//! size of a field and the depth of nesting are capped.

use quick_xml::Reader;
use quick_xml::XmlVersion;
use quick_xml::events::{BytesRef, BytesStart, Event};

use super::{ArticleError, BlockKind, RawArticle, clean_inline, html, split_paragraphs};

/// Items read from one feed; the rest are left with a warning.
pub(super) const MAX_ITEMS: usize = 100_000;
/// Bytes kept of one field (a title, a body); the rest is cut with a warning.
pub(super) const MAX_FIELD_BYTES: usize = 4 * 1024 * 1024;
/// Elements nested deeper than this end the reading (with what was read kept).
pub(super) const MAX_DEPTH: usize = 256;

/// The fields of an item, as read.
#[derive(Default)]
struct Item {
    title: Option<String>,
    link: Option<String>,
    key: Option<String>,
    published: Vec<String>,
    updated: Vec<String>,
    authors: Vec<String>,
    tags: Vec<String>,
    /// `content:encoded` or Atom's `content`.
    content: Option<String>,
    /// `description` or Atom's `summary`.
    summary: Option<String>,
    lang: Option<String>,
}

/// Which field of an item the text being read goes to.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Field {
    Title,
    Link,
    Key,
    Published,
    Updated,
    Author,
    Tag,
    Content,
    Summary,
    FeedTitle,
}

/// A field being read: where its text goes, the text so far, and where its markup starts
/// (Atom's `type="xhtml"` content is markup, not text).
struct Capture {
    field: Field,
    depth: usize,
    text: String,
    /// Where the field's content starts in the file.
    content_from: usize,
    /// True once an element was met inside the field: its content is then taken as markup.
    markup: bool,
    cut: bool,
}

/// What kind of feed the root element says it is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Rss,
    Rdf,
    Atom,
}

/// The field an element starts, by its (possibly prefixed) name and where it stands.
fn field_of(name: &str, in_item: bool, parent: &str, in_author: bool) -> Option<Field> {
    let (prefix, local) = name.split_once(':').unwrap_or(("", name));
    if !in_item {
        return match local {
            // The feed's language is not taken for its items: a feed in one language often
            // carries items in another, and the letters of each tell better.
            "title" if matches!(parent, "channel" | "feed") => Some(Field::FeedTitle),
            _ => None,
        };
    }
    if in_author {
        return (local == "name").then_some(Field::Author);
    }
    // Atom's elements may be written with a prefix inside an RSS feed.
    let prefix = if prefix == "atom" { "" } else { prefix };
    Some(match (prefix, local) {
        ("" | "dc", "title") => Field::Title,
        ("", "link") => Field::Link,
        ("", "guid" | "id") => Field::Key,
        ("", "pubDate" | "published" | "issued") | ("dc", "date") => Field::Published,
        ("", "updated" | "modified") | ("dcterms", "modified") => Field::Updated,
        ("", "author") | ("dc", "creator") => Field::Author,
        ("", "category") | ("dc", "subject") => Field::Tag,
        ("content", "encoded") | ("", "content") => Field::Content,
        ("", "description" | "summary") => Field::Summary,
        _ => return None,
    })
}

/// An attribute's value, entities resolved (an unknown one kept as written).
fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes().flatten().find_map(|a| {
        (a.key.as_ref() == name).then(|| {
            a.normalized_value(XmlVersion::Implicit1_0)
                .map_or_else(|_| a.value.to_string(), std::borrow::Cow::into_owned)
        })
    })
}

/// The text an entity reference stands for: the five XML entities and character references;
/// any other entity is kept as written (never expanded from a DTD).
fn reference(r: &BytesRef<'_>, out: &mut String) {
    if let Ok(Some(c)) = r.resolve_char_ref() {
        out.push(c);
        return;
    }
    let name: &str = r;
    match name {
        "lt" => out.push('<'),
        "gt" => out.push('>'),
        "amp" => out.push('&'),
        "apos" => out.push('\''),
        "quot" => out.push('"'),
        _ => {
            out.push('&');
            out.push_str(name);
            out.push(';');
        }
    }
}

/// Appends to a capped field, cutting at a character boundary.
fn push_capped(c: &mut Capture, s: &str) {
    let room = MAX_FIELD_BYTES.saturating_sub(c.text.len());
    if s.len() <= room {
        c.text.push_str(s);
    } else {
        let mut cut = room;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        c.text.push_str(s.get(..cut).unwrap_or(""));
        c.cut = true;
    }
}

/// A message fragment from outside text: one line, no control, at most 80 characters.
fn quoted(s: &str) -> String {
    let s = clean_inline(s);
    match s.char_indices().nth(80) {
        Some((i, _)) => format!("{}…", s.get(..i).unwrap_or("")),
        None => s,
    }
}

/// The walk over one feed's events.
struct Walker<'t> {
    text: &'t str,
    kind: Option<Kind>,
    stack: Vec<String>,
    item: Option<(usize, Item)>,
    author_depth: Option<usize>,
    capture: Option<Capture>,
    items: Vec<Item>,
    feed_title: Option<String>,
    warned_cut: bool,
    dropped: usize,
}

impl Walker<'_> {
    fn start(&mut self, e: &BytesStart<'_>, empty: bool, after: usize) -> Result<(), String> {
        let name = e.name().as_ref().to_owned();
        let depth = self.stack.len();
        if self.kind.is_none() {
            let local = name.rsplit(':').next().unwrap_or(&name);
            self.kind = Some(match local {
                "rss" => Kind::Rss,
                "RDF" => Kind::Rdf,
                "feed" => Kind::Atom,
                _ => {
                    return Err(format!(
                        "it is XML but not an RSS or Atom feed (its root element is <{}>)",
                        quoted(&name)
                    ));
                }
            });
        }
        if let Some(c) = &mut self.capture {
            // Markup inside a field (Atom's XHTML content): the HTML reader takes it as written.
            c.markup = true;
            if !empty {
                self.stack.push(name);
            }
            return Ok(());
        }
        let local = name.rsplit(':').next().unwrap_or(&name).to_owned();
        let in_item = self.item.is_some();
        if !in_item && matches!(local.as_str(), "item" | "entry") {
            if self.items.len() >= MAX_ITEMS {
                self.dropped += 1;
            } else if !empty {
                let mut item = Item {
                    lang: attr(e, "xml:lang"),
                    ..Item::default()
                };
                item.key = attr(e, "rdf:about");
                self.item = Some((depth, item));
            }
        } else if in_item && local == "link" && attr(e, "href").is_some() {
            // Atom's link: the first `alternate` (or untyped) one is the article's address.
            let rel = attr(e, "rel");
            if rel.as_deref().is_none_or(|r| r == "alternate")
                && let Some((_, item)) = &mut self.item
                && item.link.is_none()
            {
                item.link = attr(e, "href");
            }
        } else if in_item && local == "category" && attr(e, "term").is_some() {
            if let Some((_, item)) = &mut self.item {
                item.tags
                    .extend(attr(e, "label").or_else(|| attr(e, "term")));
            }
        } else if in_item && local == "author" && !empty && self.kind == Some(Kind::Atom) {
            self.author_depth = Some(depth);
        } else if !empty {
            let parent = self
                .stack
                .last()
                .map_or("", |p| p.rsplit(':').next().unwrap_or(p));
            // Only the item's own children are its fields (not those of an Atom `source`),
            // and the name inside its author.
            let in_author = self.author_depth.is_some_and(|d| d + 1 == depth);
            let own = self.item.as_ref().is_none_or(|(d, _)| d + 1 == depth);
            let field = field_of(&name, in_item, parent, in_author)
                .filter(|_| own || in_author)
                .filter(|f| self.author_depth.is_none() || *f == Field::Author);
            if let Some(field) = field {
                self.capture = Some(Capture {
                    field,
                    depth,
                    text: String::new(),
                    content_from: after,
                    markup: false,
                    cut: false,
                });
            }
        }
        if !empty {
            self.stack.push(name);
        }
        Ok(())
    }

    fn end(&mut self, at: usize) {
        self.stack.pop();
        let depth = self.stack.len();
        if self.capture.as_ref().is_some_and(|c| c.depth == depth)
            && let Some(c) = self.capture.take()
        {
            self.finish_field(c, at);
        }
        if self.author_depth == Some(depth) {
            self.author_depth = None;
        }
        if self.item.as_ref().is_some_and(|(d, _)| *d == depth)
            && let Some((_, item)) = self.item.take()
        {
            self.items.push(item);
        }
    }

    fn finish_field(&mut self, c: Capture, end_at: usize) {
        let mut cut = c.cut;
        let value = if c.markup {
            let from = c.content_from.min(self.text.len());
            let mut end = end_at.clamp(from, self.text.len());
            if end - from > MAX_FIELD_BYTES {
                end = from + MAX_FIELD_BYTES;
                cut = true;
            }
            while !self.text.is_char_boundary(end) {
                end -= 1;
            }
            self.text.get(from..end).unwrap_or("").to_owned()
        } else {
            c.text
        };
        self.warned_cut |= cut;
        let value = value.trim().to_owned();
        if value.is_empty() {
            return;
        }
        if c.field == Field::FeedTitle {
            self.feed_title.get_or_insert(value);
            return;
        }
        let Some((_, item)) = &mut self.item else {
            return;
        };
        match c.field {
            Field::Title => {
                item.title.get_or_insert(value);
            }
            Field::Link => {
                item.link.get_or_insert(value);
            }
            Field::Key => item.key = Some(value),
            Field::Published => item.published.push(value),
            Field::Updated => item.updated.push(value),
            Field::Author => item.authors.push(value),
            Field::Tag => item.tags.push(value),
            Field::Content => {
                item.content.get_or_insert(value);
            }
            Field::Summary => {
                item.summary.get_or_insert(value);
            }
            Field::FeedTitle => {}
        }
    }

    fn text(&mut self, s: &str) {
        if let Some(c) = &mut self.capture
            && !c.markup
        {
            push_capped(c, s);
        }
    }

    fn reference(&mut self, r: &BytesRef<'_>) {
        if let Some(c) = &mut self.capture
            && !c.markup
        {
            let mut s = String::new();
            reference(r, &mut s);
            push_capped(c, &s);
        }
    }
}

/// Does this text hold markup or entities for the HTML reader?
fn is_html(s: &str) -> bool {
    (s.contains('<') && s.contains('>')) || s.contains('&')
}

/// The body of an item from its HTML or plain text.
pub(super) fn fill_body(raw: &mut RawArticle, body: &str) {
    if is_html(body) {
        // A fragment, not a page: every element read, none scored away.
        html::fragment_blocks(body, raw);
    } else {
        for p in split_paragraphs(body) {
            raw.push_block(BlockKind::Paragraph, p);
        }
    }
}

fn finish(walker: Walker<'_>, warnings: &mut Vec<String>) -> Vec<RawArticle> {
    if walker.warned_cut {
        warnings.push(format!(
            "a field is longer than {} MiB; it was cut there",
            MAX_FIELD_BYTES / (1024 * 1024)
        ));
    }
    if walker.dropped > 0 {
        warnings.push(format!(
            "it holds more than {MAX_ITEMS} items; the {} after them were left out",
            walker.dropped
        ));
    }
    let source = walker.feed_title;
    walker
        .items
        .into_iter()
        .map(|item| {
            let mut raw = RawArticle {
                // A title of escaped HTML (Atom `type="html"`): its text only.
                title: item.title.map(|t| html::decode_inline(&t)),
                url: item.link.clone(),
                key: item.key.or(item.link),
                dates: item.published.into_iter().chain(item.updated).collect(),
                byline: (!item.authors.is_empty()).then(|| item.authors.join(", ")),
                tags: item.tags,
                lang: item.lang,
                source: source.clone(),
                ..RawArticle::default()
            };
            if let Some(body) = item.content.or(item.summary) {
                fill_body(&mut raw, &body);
            }
            raw
        })
        .collect()
}

/// A feed file: its items as articles. A file that breaks off (truncated, or not well formed
/// further on) keeps the items read before, with a warning.
pub(super) fn parse(
    text: &str,
    warnings: &mut Vec<String>,
) -> Result<Vec<RawArticle>, ArticleError> {
    let mut reader = Reader::from_str(text);
    {
        let config = reader.config_mut();
        config.check_end_names = true;
        config.allow_dangling_amp = true;
    }
    let mut walker = Walker {
        text,
        kind: None,
        stack: Vec::new(),
        item: None,
        author_depth: None,
        capture: None,
        items: Vec::new(),
        feed_title: None,
        warned_cut: false,
        dropped: 0,
    };
    let mut broke: Option<String> = None;
    let mut entities_declared = false;
    loop {
        let before = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        let event = reader.read_event();
        let after = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        let event = match event {
            Ok(e) => e,
            Err(e) => {
                let at = reader.error_position();
                let msg = format!(
                    "it is not well-formed XML at byte {at} ({})",
                    quoted(&e.to_string())
                );
                if walker.kind.is_none() {
                    return Err(ArticleError::Malformed(msg));
                }
                broke = Some(msg);
                break;
            }
        };
        match event {
            Event::Start(e) => {
                if walker.stack.len() >= MAX_DEPTH {
                    broke = Some(format!(
                        "its elements nest deeper than {MAX_DEPTH} levels; reading stopped there"
                    ));
                    break;
                }
                walker
                    .start(&e, false, after)
                    .map_err(ArticleError::Malformed)?;
            }
            Event::Empty(e) => walker
                .start(&e, true, after)
                .map_err(ArticleError::Malformed)?,
            Event::End(_) => walker.end(before),
            Event::Text(t) => walker.text(&t.xml10_content()),
            Event::CData(t) => walker.text(&t.xml10_content()),
            Event::GeneralRef(r) => walker.reference(&r),
            Event::DocType(d) => entities_declared |= d.contains("<!ENTITY"),
            Event::Eof => break,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) => {}
        }
    }
    if entities_declared {
        warnings.push("it declares entities in a document type; they are not expanded".to_owned());
    }
    if walker.kind.is_none() {
        return Err(ArticleError::Malformed(
            "it holds no XML element (not an RSS or Atom feed)".to_owned(),
        ));
    }
    if broke.is_none() && !walker.stack.is_empty() {
        let open = walker.stack.last().map_or(String::new(), |n| quoted(n));
        broke = Some(format!(
            "it ends inside <{open}> (the file looks truncated); the items before are kept"
        ));
    }
    let partial = walker.item.is_some();
    let found = walker.items.len();
    let raws = finish(walker, warnings);
    if let Some(why) = broke {
        if found == 0 {
            return Err(ArticleError::Malformed(why));
        }
        warnings.push(if partial {
            format!("{why}; the item it broke off in is left out")
        } else {
            why
        });
    }
    if raws.is_empty() {
        return Err(ArticleError::Malformed("the feed holds no item".to_owned()));
    }
    Ok(raws)
}

#[cfg(test)]
mod tests;
