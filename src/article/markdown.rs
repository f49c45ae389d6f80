//! Markdown with YAML (`---`) or TOML (`+++`) front matter, through pulldown-cmark.

use std::fmt::Write as _;

use pulldown_cmark::{Event, MetadataBlockKind, Options, Parser, Tag, TagEnd};

use super::inline::MarkBuf;
use super::{BlockKind, Item, RawArticle, Style, html, json};

/// Front matter larger than this is not read.
const MAX_FRONT_MATTER_BYTES: usize = 256 * 1024;

/// YAML front matter nested deeper than this (in brackets or by indentation) is not read: the
/// YAML parser's cost grows with the square of the depth.
const MAX_YAML_DEPTH: usize = 64;

/// Why front matter is refused before it is parsed, if it is: too large, or YAML nested too
/// deep. One linear pass; quoted text and comments are skipped.
fn refuse_front_matter(kind: MetadataBlockKind, src: &str) -> Option<String> {
    if src.len() > MAX_FRONT_MATTER_BYTES {
        return Some(format!(
            "its front matter is larger than {} KiB; it was not read",
            MAX_FRONT_MATTER_BYTES / 1024
        ));
    }
    if kind != MetadataBlockKind::YamlStyle {
        return None;
    }
    let mut indents: Vec<usize> = Vec::new();
    let too_deep = || {
        Some(format!(
            "its YAML front matter is nested deeper than {MAX_YAML_DEPTH} levels; it was not read"
        ))
    };
    let mut flow = 0usize;
    for line in src.lines() {
        let indent = line.len() - line.trim_start_matches([' ', '-', '?', ':']).len();
        if flow == 0 && !line.trim().is_empty() && !line.trim_start().starts_with('#') {
            while indents.last().is_some_and(|&i| i >= indent) {
                indents.pop();
            }
            indents.push(indent);
            if indents.len() > MAX_YAML_DEPTH {
                return too_deep();
            }
        }
        let mut quote: Option<char> = None;
        let mut prev = ' ';
        for c in line.chars() {
            match (quote, c) {
                (Some(q), c) if c == q && prev != '\\' => quote = None,
                (None, '"' | '\'') => quote = Some(c),
                (None, '#') if prev == ' ' => break,
                (None, '[' | '{') => {
                    flow += 1;
                    if flow + indents.len() > MAX_YAML_DEPTH {
                        return too_deep();
                    }
                }
                (None, ']' | '}') => flow = flow.saturating_sub(1),
                _ => {} // Quoted text, and every other character.
            }
            prev = c;
        }
    }
    None
}

/// Parses a whole Markdown document, front matter included.
pub(super) fn parse_document(text: &str, warnings: &mut Vec<String>) -> RawArticle {
    let mut raw = RawArticle::default();
    let meta = walk(text, &mut raw);
    if let Some((kind, src)) = meta {
        if let Some(why) = refuse_front_matter(kind, &src) {
            warnings.push(why);
            return finish_title(raw);
        }
        let parsed: Result<serde_json::Value, String> = match kind {
            MetadataBlockKind::YamlStyle => serde_yaml_ng::from_str::<serde_json::Value>(&src)
                .map_err(|e| format!("its YAML front matter is malformed ({e})")),
            MetadataBlockKind::PlusesStyle => toml::from_str::<toml::Table>(&src)
                .map_err(|e| format!("its TOML front matter is malformed ({})", e.message()))
                .map(|t| toml_to_json(toml::Value::Table(t))),
        };
        match parsed {
            Ok(serde_json::Value::Object(map)) => {
                let fm = json::raw_from_fields(&map);
                raw.title = fm.title.or(raw.title);
                raw.dates = fm.dates;
                raw.byline = fm.byline;
                raw.lang = fm.lang;
                raw.source = fm.source;
                raw.url = fm.url;
                raw.tags = fm.tags;
            }
            Ok(_) => warnings.push("its front matter is not a table of fields".to_owned()),
            Err(e) => warnings.push(e),
        }
    }
    finish_title(raw)
}

/// Without a title in the front matter, a leading level-1 heading is the title; a line near
/// the top that only repeats the front matter's author and date (`By Jane Doe, 16 November
/// 2017`) is not kept in the body.
fn finish_title(mut raw: RawArticle) -> RawArticle {
    if raw.title.is_none()
        && let Some(first) = raw.blocks.first()
        && first.kind == BlockKind::Heading(1)
    {
        raw.title = Some(raw.blocks.remove(0).text);
    }
    let known: Vec<String> = raw.byline.iter().chain(&raw.dates).cloned().collect();
    if !known.is_empty() {
        let known: Vec<&str> = known.iter().map(String::as_str).collect();
        let mut seen = 0;
        raw.blocks.retain(|b| {
            seen += 1;
            !(seen <= 3 && b.kind == BlockKind::Paragraph && html::only_repeats(&b.text, &known))
        });
    }
    raw
}

/// A TOML value as JSON; dates and times (unquoted in TOML) become their text.
fn toml_to_json(v: toml::Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        toml::Value::String(s) => J::String(s),
        toml::Value::Integer(i) => J::from(i),
        toml::Value::Float(f) => J::from(f),
        toml::Value::Boolean(b) => J::Bool(b),
        toml::Value::Datetime(d) => J::String(d.to_string()),
        toml::Value::Array(a) => J::Array(a.into_iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => {
            J::Object(t.into_iter().map(|(k, v)| (k, toml_to_json(v))).collect())
        }
    }
}

/// Parses a Markdown body into `raw`'s blocks (front matter is not looked for).
///
/// Text nested too deep for the Markdown parser is read as plain paragraphs without a note:
/// that is how a `.txt` is read anyway (and the catalog, which reads only a `.txt`'s head,
/// warns the same).
pub(super) fn parse_body(text: &str, raw: &mut RawArticle) {
    let notes = raw.notes.len();
    walk(text, raw);
    raw.notes.truncate(notes);
}

/// Lists and quotes nested deeper than this make the body be read as plain paragraphs: the
/// Markdown parser's work grows with the square of the depth.
const MAX_MARKDOWN_DEPTH: usize = 64;

/// How deep the lines of a Markdown text nest lists and quotes, at most (list and quote
/// markers at the start of a line, and indentation by two columns).
fn markdown_depth(text: &str) -> usize {
    let mut deepest = 0;
    for line in text.lines() {
        let mut depth = 0usize;
        let mut spaces = 0usize;
        let mut rest = line;
        loop {
            let trimmed = rest.trim_start_matches(' ');
            spaces += rest.len() - trimmed.len();
            let marker = ["- ", "* ", "+ ", "> ", ">"]
                .iter()
                .find(|m| trimmed.starts_with(*m))
                .map(|m| m.len())
                .or_else(|| {
                    let digits = trimmed.bytes().take_while(u8::is_ascii_digit).count();
                    (digits > 0
                        && digits < 10
                        && trimmed.get(digits..).is_some_and(|r| r.starts_with(". ")))
                    .then_some(digits + 2)
                });
            match marker {
                Some(len) => {
                    depth += 1;
                    rest = trimmed.get(len..).unwrap_or("");
                }
                None => break,
            }
            if depth > MAX_MARKDOWN_DEPTH {
                return depth;
            }
        }
        // Indentation nests only under a list item or a quote; a plain indented line (code,
        // verse) is no nesting at all.
        if depth > 0 {
            deepest = deepest.max(depth + spaces / 2);
        }
    }
    deepest
}

/// The text after a leading `---` or `+++` block, or all of it.
fn after_front_matter(text: &str) -> &str {
    for fence in ["---", "+++"] {
        if let Some(rest) = text.strip_prefix(fence)
            && rest.starts_with(['\n', '\r'])
        {
            let mut at = fence.len();
            for line in rest.split_inclusive('\n').skip(1) {
                at += line.len();
                if line.trim_end() == fence {
                    return text.get(at + 1..).unwrap_or("");
                }
            }
        }
    }
    text
}

/// Walks the events, pushing blocks into `raw`; returns the front matter's kind and text.
fn walk(text: &str, raw: &mut RawArticle) -> Option<(MetadataBlockKind, String)> {
    if markdown_depth(after_front_matter(text)) > MAX_MARKDOWN_DEPTH {
        raw.notes.push(format!(
            "its Markdown nests lists or quotes deeper than {MAX_MARKDOWN_DEPTH} levels; it is read as plain paragraphs"
        ));
        for p in super::paragraphs_at_blank_lines(text) {
            raw.push_block(BlockKind::Paragraph, p);
        }
        return None;
    }
    let opts = Options::ENABLE_YAML_STYLE_METADATA_BLOCKS
        | Options::ENABLE_PLUSES_DELIMITED_METADATA_BLOCKS
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_TABLES;
    let mut w = Walker {
        raw,
        meta: None,
        in_meta: false,
        buf: String::new(),
        kind: None,
        quote_depth: 0,
        item_depth: 0,
        marks: MarkBuf::default(),
        lists: Vec::new(),
        item: None,
        notes: Notes::default(),
        table: None,
        tables: 0,
    };
    for event in Parser::new_ext(text, opts) {
        if let Some(event) = w.table(event).and_then(|e| w.inline(e)) {
            w.block(event);
        }
    }
    w.flush();
    w.notes.append_to(w.raw);
    w.meta
}

/// Footnotes: their numbers, in the order of the first reference to each, and the blocks of
/// their definitions, set aside to be put at the end.
#[derive(Default)]
struct Notes {
    /// Labels by number (the first is note 1).
    labels: Vec<String>,
    /// Each definition's label and blocks.
    defined: Vec<(String, Vec<super::Block>)>,
    /// The definition being read: its label and where its blocks start.
    open: Option<(String, usize)>,
}

/// At most this many footnotes are numbered; references past them are left as they are.
const MAX_NOTES: usize = 1000;

impl Notes {
    /// The number of the note `label`, given it at its first reference.
    fn number(&mut self, label: &str) -> Option<usize> {
        if let Some(i) = self.labels.iter().position(|l| l == label) {
            return Some(i + 1);
        }
        if self.labels.len() >= MAX_NOTES {
            return None;
        }
        self.labels.push(label.to_owned());
        Some(self.labels.len())
    }

    /// The definitions at the end of the article, numbered, each first block after its
    /// `[n] `; definitions never referred to get the numbers after the others.
    fn append_to(mut self, raw: &mut RawArticle) {
        let mut defined = std::mem::take(&mut self.defined);
        let mut numbered: Vec<(usize, Vec<super::Block>)> = defined
            .drain(..)
            .filter_map(|(label, blocks)| Some((self.number(&label)?, blocks)))
            .collect();
        numbered.sort_by_key(|(n, _)| *n);
        for (n, blocks) in numbered {
            for (k, mut b) in blocks.into_iter().enumerate() {
                if k == 0 {
                    let prefix = format!("[{n}] ");
                    let len = prefix.len() as u32;
                    b.text.insert_str(0, &prefix);
                    for m in &mut b.marks {
                        m.start += len;
                        m.end += len;
                    }
                }
                raw.blocks.push(b);
            }
        }
    }
}

/// A walk over the Markdown parser's events.
struct Walker<'r> {
    raw: &'r mut RawArticle,
    meta: Option<(MetadataBlockKind, String)>,
    in_meta: bool,
    buf: String,
    kind: Option<BlockKind>,
    quote_depth: usize,
    item_depth: usize,
    marks: MarkBuf,
    /// The lists the walk is in: the next number of each ordered one.
    lists: Vec<Option<u32>>,
    /// The list item being read.
    item: Option<Item>,
    notes: Notes,
    /// The table being read, if any: its cells' text goes to it, not to blocks.
    table: Option<super::table::Table>,
    /// How many tables were read.
    tables: u32,
}

impl Walker<'_> {
    /// Pushes the block being read, if any.
    fn flush(&mut self) {
        let taken = self.marks.take();
        if let Some(k) = self.kind.take() {
            let before = self.raw.blocks.len();
            self.raw.push_marked(k, &self.buf, taken);
            if k == BlockKind::ListItem
                && let Some(b) = self.raw.blocks.get_mut(before)
            {
                b.item = self.item.take();
            }
        }
        self.buf.clear();
    }

    /// Takes an event of a table: its rows and cells are read apart, then pushed as labelled
    /// rows ([`super::table`]); the marks in cells are not kept.
    fn table<'a>(&mut self, event: Event<'a>) -> Option<Event<'a>> {
        match event {
            Event::Start(Tag::Table(_)) => {
                self.flush();
                self.table = Some(super::table::Table {
                    head: true,
                    ..Default::default()
                });
            }
            Event::End(TagEnd::Table) => {
                if let Some(t) = self.table.take() {
                    self.tables += 1;
                    t.finish(self.tables, self.raw);
                }
            }
            Event::Start(Tag::TableHead | Tag::TableRow) => {
                if let Some(t) = &mut self.table {
                    t.row();
                }
            }
            Event::Start(Tag::TableCell) => {
                self.buf.clear();
                self.marks.take();
            }
            Event::End(TagEnd::TableCell) => {
                if let Some(t) = &mut self.table {
                    t.cell(&self.buf);
                }
                self.buf.clear();
                self.marks.take();
                self.kind = None;
            }
            Event::End(TagEnd::TableHead | TagEnd::TableRow) => {}
            other => return Some(other),
        }
        None
    }

    /// Takes an event that marks inline text (a link, emphasis, code), or gives it back.
    fn inline<'a>(&mut self, event: Event<'a>) -> Option<Event<'a>> {
        let at = self.buf.len();
        match event {
            Event::Start(Tag::Link { dest_url, .. }) => {
                let style = self.raw.link(&dest_url);
                self.marks.open(at, style);
            }
            Event::Start(Tag::Strong) => self.marks.open(at, Some(Style::Strong)),
            Event::Start(Tag::Emphasis) => self.marks.open(at, Some(Style::Emphasis)),
            Event::End(TagEnd::Link | TagEnd::Strong | TagEnd::Emphasis) => self.marks.close(at),
            Event::Code(t) => {
                self.kind.get_or_insert(BlockKind::Paragraph);
                self.marks.open(at, Some(Style::Code));
                self.buf.push_str(&t);
                self.marks.close(self.buf.len());
            }
            Event::FootnoteReference(label) => {
                self.kind.get_or_insert(BlockKind::Paragraph);
                let _ = match self.notes.number(&label) {
                    Some(n) => write!(self.buf, "[{n}]"),
                    None => write!(self.buf, "[^{label}]"),
                };
            }
            Event::Start(Tag::Image { .. })
                if self.buf.trim().is_empty()
                    && matches!(self.kind, None | Some(BlockKind::Paragraph)) =>
            {
                // An image that starts its paragraph: a placeholder block with its alt text.
                self.buf.clear();
                self.kind = Some(BlockKind::Figure);
                self.buf.push_str(html::FIGURE_MARK);
                self.buf.push(' ');
            }
            Event::End(TagEnd::Image) if self.kind == Some(BlockKind::Figure) => {
                if self.buf.trim() == html::FIGURE_MARK {
                    self.buf.push_str("image");
                }
                self.flush();
            }
            other => return Some(other),
        }
        None
    }

    /// Takes an event of the blocks: front matter, headings, quotes, lists, paragraphs.
    fn block(&mut self, event: Event<'_>) {
        match event {
            Event::Start(Tag::MetadataBlock(k)) => {
                self.in_meta = true;
                self.meta = Some((k, String::new()));
            }
            Event::End(TagEnd::MetadataBlock(_)) => self.in_meta = false,
            Event::Text(t) if self.in_meta => {
                if let Some((_, m)) = self.meta.as_mut() {
                    m.push_str(&t);
                }
            }
            Event::Start(Tag::Heading { level, .. }) => {
                self.flush();
                self.kind = Some(BlockKind::Heading(level as u8));
            }
            Event::Start(Tag::BlockQuote(_)) => {
                self.flush();
                self.quote_depth += 1;
            }
            Event::End(TagEnd::BlockQuote(_)) => {
                self.flush();
                self.quote_depth = self.quote_depth.saturating_sub(1);
            }
            Event::Start(Tag::List(first)) => {
                self.flush();
                self.lists
                    .push(first.map(|n| u32::try_from(n).unwrap_or(u32::MAX)));
            }
            Event::End(TagEnd::List(_)) => {
                self.flush();
                self.lists.pop();
            }
            Event::Start(Tag::FootnoteDefinition(label)) => {
                self.flush();
                self.notes.open = Some((label.to_string(), self.raw.blocks.len()));
            }
            Event::End(TagEnd::FootnoteDefinition) => {
                self.flush();
                if let Some((label, from)) = self.notes.open.take() {
                    let blocks = self.raw.blocks.split_off(from.min(self.raw.blocks.len()));
                    self.notes.defined.push((label, blocks));
                }
            }
            Event::Start(Tag::Item) => {
                self.flush();
                self.item_depth += 1;
                self.kind = Some(BlockKind::ListItem);
                self.item = Some(Item::next_in(&mut self.lists));
            }
            Event::End(TagEnd::Item) => {
                self.flush();
                self.item_depth = self.item_depth.saturating_sub(1);
            }
            Event::Start(tag @ (Tag::Paragraph | Tag::CodeBlock(_))) => {
                if self.item_depth > 0 && self.kind == Some(BlockKind::ListItem) {
                    if !self.buf.is_empty() {
                        self.buf.push('\n');
                    }
                } else {
                    self.flush();
                    self.kind = Some(if self.quote_depth > 0 {
                        BlockKind::Quote
                    } else if self.item_depth > 0 {
                        BlockKind::ListItem
                    } else {
                        BlockKind::Paragraph
                    });
                }
                if matches!(tag, Tag::CodeBlock(_)) {
                    self.marks.open(self.buf.len(), Some(Style::Code));
                }
            }
            Event::End(TagEnd::CodeBlock) => {
                self.marks.close(self.buf.len());
                if self.kind != Some(BlockKind::ListItem) {
                    self.flush();
                }
            }
            Event::End(TagEnd::Paragraph | TagEnd::Heading(_))
                if self.kind != Some(BlockKind::ListItem) =>
            {
                self.flush();
            }
            Event::Text(t) => {
                self.kind.get_or_insert(BlockKind::Paragraph);
                self.buf.push_str(&t);
            }
            Event::SoftBreak => self.buf.push(' '),
            Event::HardBreak => self.buf.push('\n'),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests;
