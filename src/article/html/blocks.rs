//! The body's blocks: headings, paragraphs, quotes, list items and figure placeholders, from
//! the inline text under each block element.

use super::dom::{CLOSES_P, Dom, FIGURE_MARK, Kind, Mask, collapse};
use super::inline::{MarkBuf, collapse_lines};
use super::meta::LABELS;
use super::{BlockKind, Item, MAX_LINKS, Mark, Style};

/// Block elements and the kind of block they start.
pub(super) fn block_kind(name: &str, in_quote: bool) -> Option<BlockKind> {
    Some(match name {
        "h1" => BlockKind::Heading(1),
        "h2" => BlockKind::Heading(2),
        "h3" => BlockKind::Heading(3),
        "h4" => BlockKind::Heading(4),
        "h5" => BlockKind::Heading(5),
        "h6" => BlockKind::Heading(6),
        "li" => BlockKind::ListItem,
        "p" | "pre" | "dd" | "dt" | "td" | "th" | "figcaption" | "address" | "caption"
            if in_quote =>
        {
            BlockKind::Quote
        }
        "p" | "pre" | "dd" | "dt" | "td" | "th" | "figcaption" | "address" | "caption" => {
            BlockKind::Paragraph
        }
        _ => return None,
    })
}

/// The walk that turns the content's nodes into blocks.
pub(super) struct Blocks<'a> {
    pub(super) dom: &'a Dom,
    pub(super) skip: &'a Mask,
    /// The blocks: kind, text, marks and (for a list item) its place in its list.
    pub(super) out: Vec<(BlockKind, String, Vec<Mark>, Option<Item>)>,
    /// The lists the walk is in: the next number of each ordered one.
    pub(super) lists: Vec<Option<u32>>,
    /// The list item being read.
    pub(super) item: Option<Item>,
    /// The table rows among `out`: (index in `out`, the row), in order.
    pub(super) rows: Vec<(usize, Box<crate::article::Row>)>,
    /// How many tables were read.
    pub(super) tables: u32,
    pub(super) buf: String,
    /// The inline marks over `buf`; links number `links`.
    pub(super) marks: MarkBuf,
    /// The links' targets as the page gives them.
    pub(super) links: Vec<String>,
    pub(super) kind: Option<BlockKind>,
    pub(super) quote_depth: usize,
    /// Inside how many links the walk is, and how many letters of the buffer are in links.
    pub(super) link_depth: usize,
    pub(super) link_chars: usize,
}

/// A line break (`<br>`) in the walk's buffer, told from the page's own newlines, which are
/// white space.
pub(super) const BR: char = '\u{2028}';

/// Blocks shorter than this, most of whose letters are links, are navigation.
pub(super) const LINK_BLOCK_CHARS: usize = 200;

/// Formatting and other inline elements, which never end a block.
pub(super) const INLINE: &[&str] = &[
    "a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "dfn", "em", "font", "i", "kbd",
    "mark", "q", "s", "samp", "small", "span", "strong", "sub", "sup", "time", "u", "var", "big",
    "strike", "tt", "ins", "del", "label", "nobr",
];

impl Blocks<'_> {
    pub(super) fn new<'a>(dom: &'a Dom, skip: &'a Mask) -> Blocks<'a> {
        Blocks {
            dom,
            skip,
            out: Vec::new(),
            lists: Vec::new(),
            item: None,
            rows: Vec::new(),
            tables: 0,
            buf: String::new(),
            marks: MarkBuf::default(),
            links: Vec::new(),
            kind: None,
            quote_depth: 0,
            link_depth: 0,
            link_chars: 0,
        }
    }

    pub(super) fn flush(&mut self) {
        let linked = std::mem::take(&mut self.link_chars);
        let letters = self.buf.chars().filter(|c| !c.is_whitespace()).count();
        let mut marks = self.marks.take();
        if letters > 0 && letters < LINK_BLOCK_CHARS && linked * 2 > letters {
            self.buf.clear();
            self.kind = None;
            return;
        }
        let text = collapse_lines(&self.buf, BR, &mut marks);
        self.buf.clear();
        let kind = self.kind.take();
        if text.is_empty() {
            return;
        }
        let kind = kind.unwrap_or(if self.quote_depth > 0 {
            BlockKind::Quote
        } else {
            BlockKind::Paragraph
        });
        let item = if kind == BlockKind::ListItem {
            self.item.take()
        } else {
            None
        };
        self.out.push((kind, text, marks, item));
    }

    /// Walks an element that marks its text (bold, italic, code); `false` for any other.
    fn styled(&mut self, i: usize, name: &str) -> bool {
        let style = match name {
            "b" | "strong" => Style::Strong,
            "code" | "kbd" | "samp" | "tt" => Style::Code,
            "i" | "em" | "cite" | "dfn" | "var" => Style::Emphasis,
            _ => return false,
        };
        self.marks.open(self.buf.len(), Some(style));
        self.children(i);
        self.marks.close(self.buf.len());
        true
    }

    /// Walks a list or a list item, numbering ordered items; `false` for any other element.
    fn list(&mut self, i: usize, name: &str) -> bool {
        let dom = self.dom;
        match name {
            "ol" | "ul" => {
                self.flush();
                let start = (name == "ol").then(|| {
                    dom.attr(i, "start")
                        .and_then(|s| s.trim().parse::<u32>().ok())
                        .unwrap_or(1)
                });
                self.lists.push(start);
                self.children(i);
                self.flush();
                self.lists.pop();
            }
            "li" => {
                self.flush();
                self.kind = Some(BlockKind::ListItem);
                self.item = Some(Item::next_in(&mut self.lists));
                self.children(i);
                self.flush();
            }
            _ => return false,
        }
        true
    }

    /// A table of data (no table inside it, every cell short) as labelled rows
    /// ([`crate::article::table`]); `false` for a table that lays out a page, whose cells are read as
    /// blocks.
    fn data_table(&mut self, i: usize) -> bool {
        const MAX_CELL_CHARS: usize = 300;
        let dom = self.dom;
        let all = dom.descendants(i);
        if all.iter().any(|&n| n != i && dom.name(n) == "table") {
            return false;
        }
        let rows: Vec<usize> = all
            .iter()
            .copied()
            .filter(|&n| dom.name(n) == "tr")
            .collect();
        let cells_of = |r: usize| -> Vec<usize> {
            dom.nodes[r]
                .children
                .iter()
                .copied()
                .filter(|&c| matches!(dom.name(c), "td" | "th") && !self.skip[c])
                .collect()
        };
        if rows.len() < 2
            || rows.iter().any(|&r| {
                cells_of(r)
                    .iter()
                    .any(|&c| dom.text(c, self.skip).chars().count() > MAX_CELL_CHARS)
            })
        {
            return false;
        }
        let head = all.iter().any(|&n| dom.name(n) == "thead")
            || rows
                .first()
                .is_some_and(|&r| cells_of(r).iter().all(|&c| dom.name(c) == "th"));
        let mut table = crate::article::table::Table {
            head,
            ..Default::default()
        };
        for &r in &rows {
            table.row();
            for c in cells_of(r) {
                table.cell(&dom.text(c, self.skip));
            }
        }
        self.flush();
        self.tables += 1;
        for (text, row) in table.labelled(self.tables) {
            self.rows.push((self.out.len(), Box::new(row)));
            self.out
                .push((BlockKind::Paragraph, text, Vec::new(), None));
        }
        true
    }

    pub(super) fn walk(&mut self, i: usize) {
        if self.skip[i] {
            return;
        }
        let dom = self.dom;
        let name = match &dom.nodes[i].kind {
            Kind::Text(t) => {
                if self.link_depth > 0 {
                    self.link_chars += t.chars().filter(|c| !c.is_whitespace()).count();
                }
                self.buf.push_str(t);
                return;
            }
            Kind::Element { name, .. } => name.as_str(),
        };
        if self.styled(i, name) {
            return;
        }
        if !INLINE.contains(&name)
            && name != "br"
            && name != "img"
            && !dom.nodes[i].children.is_empty()
            && {
                let (all, linked) = dom.text_and_link_chars(i, self.skip);
                all < 600 && linked * 2 > all
            }
        {
            // Links with little text between: a menu, tags, more stories.
            self.flush();
            return;
        }
        match name {
            "br" => {
                // Two line breaks in a row end a paragraph (old pages have no `<p>`).
                if self
                    .buf
                    .trim_end_matches(|c: char| c.is_ascii_whitespace())
                    .ends_with(BR)
                {
                    let kind = self.kind;
                    self.flush();
                    self.kind = kind;
                } else {
                    self.buf.push(BR);
                }
            }
            "a" => {
                let style = dom
                    .attr(i, "href")
                    .filter(|_| self.links.len() < MAX_LINKS)
                    .map(|href| {
                        self.links.push(href.to_owned());
                        Style::Link((self.links.len() - 1) as u32)
                    });
                self.marks.open(self.buf.len(), style);
                self.link_depth += 1;
                self.children(i);
                self.link_depth -= 1;
                self.marks.close(self.buf.len());
            }
            "figure" | "picture" => {
                self.flush();
                self.figure(i);
            }
            "img" => {
                let alt = dom.attr(i, "alt").map(collapse).unwrap_or_default();
                if !alt.is_empty() {
                    self.flush();
                    self.out.push((
                        BlockKind::Figure,
                        format!("{FIGURE_MARK} {alt}"),
                        Vec::new(),
                        None,
                    ));
                }
            }
            "blockquote" => {
                self.flush();
                self.quote_depth += 1;
                self.children(i);
                self.flush();
                self.quote_depth -= 1;
            }
            _ if self.list(i, name) => {}
            "table" if self.data_table(i) => {}
            _ => {
                if let Some(kind) = block_kind(name, self.quote_depth > 0) {
                    self.flush();
                    self.kind = Some(kind);
                    self.children(i);
                    self.flush();
                } else if CLOSES_P.contains(&name)
                    || matches!(name, "tr" | "section" | "header" | "center" | "details")
                {
                    self.flush();
                    self.children(i);
                    self.flush();
                } else {
                    self.children(i);
                }
            }
        }
    }

    pub(super) fn children(&mut self, i: usize) {
        for &c in &self.dom.nodes[i].children {
            self.walk(c);
        }
    }

    /// A figure as one placeholder block: its caption, else the alt text of its image.
    pub(super) fn figure(&mut self, i: usize) {
        let dom = self.dom;
        let all = dom.descendants(i);
        let caption = all
            .iter()
            .find(|&&n| dom.name(n) == "figcaption")
            .map(|&n| dom.text(n, self.skip))
            .unwrap_or_default();
        let alt = all
            .iter()
            .find(|&&n| dom.name(n) == "img")
            .and_then(|&n| dom.attr(n, "alt"))
            .map(collapse)
            .unwrap_or_default();
        let text = if !caption.is_empty() {
            if alt.is_empty() || caption.contains(&alt) {
                caption
            } else {
                format!("{alt} — {caption}")
            }
        } else if !alt.is_empty() {
            alt
        } else {
            // A figure without words: a quotation or a table in a figure is text.
            if !dom.text(i, self.skip).is_empty() {
                self.children(i);
                self.flush();
            }
            return;
        };
        self.out.push((
            BlockKind::Figure,
            format!("{FIGURE_MARK} {text}"),
            Vec::new(),
            None,
        ));
    }
}

/// How many blocks at the top of the body may hold the title, the byline or the date again.
pub(super) const HEAD_BLOCKS: usize = 8;

/// Whether a short block only repeats the byline, the date or the title, with labels and
/// separators between them.
pub(in crate::article) fn only_repeats(text: &str, known: &[&str]) -> bool {
    if text.chars().count() > 300 {
        return false;
    }
    let mut rest = text.to_lowercase();
    let mut known: Vec<String> = known
        .iter()
        .map(|k| k.to_lowercase())
        .filter(|k| k.chars().count() >= 3)
        .collect();
    known.sort_by_key(|k| std::cmp::Reverse(k.len()));
    let mut removed = false;
    for k in &known {
        if rest.contains(k.as_str()) {
            rest = rest.replace(k.as_str(), " ");
            removed = true;
        }
    }
    if !removed {
        return false;
    }
    let left = rest
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && !LABELS.contains(w))
        .count();
    left == 0
}
