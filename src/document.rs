//! A whole article laid out: title, dates, byline, then each block, with blank lines between
//! blocks, list markers and quote margins on the side where the line starts.

mod grid;
mod logical;

pub use grid::GridPart;
pub use logical::write_logical;

use crate::article::{Article, ArticleDate, BlockKind, Place};
use crate::layout::{BidiMode, Cursor, LineRef, Options, Prepared, Scratch, VisualLine};
use crate::text::{Direction, str_width};

pub mod place;

/// What a document line shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// The article's title.
    Title,
    /// A date or the byline.
    Meta,
    /// A heading of the body.
    Heading(u8),
    /// Running text.
    Paragraph,
    /// A quotation.
    Quote,
    /// A list item.
    ListItem,
    /// The headings of a table drawn as a grid.
    TableHead,
    /// The space between blocks.
    Blank,
}

/// One line of a laid-out article. Its cells are made when it is drawn
/// ([`PreparedArticle::visual`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocLine {
    /// What the line shows.
    pub kind: LineKind,
    /// Which text it comes from (source ranges of the cells are relative to that text).
    pub origin: Place,
    /// Where the line breaks and sits; `line.offset` counts from the start of the text area
    /// (after `lead` for LTR).
    pub line: LineRef,
    /// Columns reserved on the side where the line starts (quote margin, list marker).
    pub lead: usize,
    /// The list marker or quote bar drawn in the lead, if any.
    pub marker: Option<Marker>,
    /// The arena of the article it comes from.
    chunk: u32,
    /// For a line of a table drawn as a grid: the table (among the prepared ones) and which
    /// of its lines.
    pub grid: Option<(u32, GridPart)>,
}

/// What is drawn in a line's lead, on the side where the line starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    /// A quotation's bar.
    Bar,
    /// A list item's bullet.
    Bullet,
    /// An ordered list item's number.
    Number(u32),
}

impl Marker {
    /// What it draws: `┃`, `•`, or the number with its full stop after it (`3.`; on the
    /// left of the number, where a right-to-left line reads it last: `.3`).
    pub fn text(self, rtl: bool) -> std::borrow::Cow<'static, str> {
        match self {
            Self::Bar => "┃".into(),
            Self::Bullet => "•".into(),
            Self::Number(n) if rtl => format!(".{n}").into(),
            Self::Number(n) => format!("{n}.").into(),
        }
    }
}

/// An article with the work that does not depend on the width done for every block (see
/// [`Prepared`]): laying it out again at another width, as a resize does, only wraps and
/// reorders lines.
///
/// The blocks are kept in a few arenas (one per 256 KB of text, so that a long
/// article is prepared on every core and no arena is ever copied into another), each
/// paragraph tagged with its block's kind.
#[derive(Debug, Clone)]
pub struct PreparedArticle {
    direction: Direction,
    /// How many of the blocks are the head (title, dates, byline).
    head: usize,
    /// The body block the prepared body blocks start at.
    first_body: usize,
    /// The arenas, and the number of the block each starts with (the head's first, then the
    /// body's).
    chunks: Vec<(usize, Prepared)>,
    /// The body text of the blocks prepared.
    body_bytes: usize,
    /// Whether every block of the article is prepared (see [`Self::first_part`]).
    whole: bool,
    /// The list items among the prepared blocks: (block number in the article, its place in
    /// its list), in order.
    items: Vec<(usize, crate::article::Item)>,
    /// The tables among the prepared blocks, measured to be drawn as grids where they fit.
    grids: Vec<grid::Grid>,
    /// How the text was prepared (the grids' cells are laid out with it as they are drawn).
    opts: Options,
}

/// The text of a chunk of an article is prepared in one arena up to about this size.
const CHUNK_BYTES: usize = 256 * 1024;

/// The tag a paragraph of a block of this kind carries in its arena.
fn tag(kind: LineKind) -> u8 {
    match kind {
        LineKind::Title => 0,
        LineKind::Meta => 1,
        LineKind::Heading(n) => 1 + n.clamp(1, 6),
        LineKind::Paragraph | LineKind::Blank | LineKind::TableHead => 8,
        LineKind::Quote => 9,
        LineKind::ListItem => 10,
    }
}

/// The kind of block a paragraph's tag says.
fn kind_of(tag: u8) -> LineKind {
    match tag {
        0 => LineKind::Title,
        1 => LineKind::Meta,
        2..=7 => LineKind::Heading(tag - 1),
        9 => LineKind::Quote,
        10 => LineKind::ListItem,
        _ => LineKind::Paragraph,
    }
}

impl PreparedArticle {
    /// Prepares every block of `article`.
    pub fn new(article: &Article, opts: Options) -> Self {
        Self::blocks(article, opts, 0..article.blocks.len(), None)
    }

    /// As [`Self::new`], giving up (with `None`) once `cancel` is set, which is looked at
    /// before every block: the reader's background preparation ends with its session.
    pub fn new_cancellable(
        article: &Article,
        opts: Options,
        cancel: &std::sync::atomic::AtomicBool,
    ) -> Option<Self> {
        let whole = Self::blocks(article, opts, 0..article.blocks.len(), Some(cancel));
        (!cancel.load(std::sync::atomic::Ordering::Acquire)).then_some(whole)
    }

    /// Prepares the head of `article` and the body blocks from `block` on, until `bytes` of
    /// their text: enough to show the top of a long article, or the place its reader left
    /// it, at once, while [`Self::new`] prepares the whole. (Its lines go from the head
    /// straight to `block`: a screen is drawn from them, not scrolled.)
    pub fn first_part(article: &Article, opts: Options, block: usize, bytes: usize) -> Self {
        let from = block.min(article.blocks.len());
        let mut to = from;
        let mut taken = 0;
        while to < article.blocks.len() && taken < bytes {
            taken += article.blocks[to].text.len();
            to += 1;
        }
        Self::blocks(article, opts, from..to, None)
    }

    /// Whether every block of the article is prepared.
    pub fn is_whole(&self) -> bool {
        self.whole
    }

    /// Prepares the head and the body blocks in `range`.
    fn blocks(
        article: &Article,
        opts: Options,
        range: std::ops::Range<usize>,
        cancel: Option<&std::sync::atomic::AtomicBool>,
    ) -> Self {
        let opts = Options {
            fallback: article.direction,
            ..opts
        };
        let mut head: Vec<(LineKind, std::borrow::Cow<'_, str>)> =
            vec![(LineKind::Title, article.title.as_str().into())];
        for d in &article.dates {
            head.push((LineKind::Meta, shown_date(d)));
        }
        if let Some(b) = &article.byline {
            head.push((LineKind::Meta, b.as_str().into()));
        }
        let whole = range.len() == article.blocks.len();
        let body = &article.blocks[range.clone()];
        let body_bytes: usize = body.iter().map(|b| b.text.len()).sum();
        // The blocks, numbered from the head's first: chunks of them, cut at about
        // CHUNK_BYTES of text.
        let count = head.len() + body.len();
        let text_of = |g: usize| -> (&str, LineKind) {
            if g < head.len() {
                (&head[g].1, head[g].0)
            } else {
                let b = &body[g - head.len()];
                let kind = match b.kind {
                    BlockKind::Heading(n) => LineKind::Heading(n),
                    BlockKind::Paragraph => LineKind::Paragraph,
                    BlockKind::Quote => LineKind::Quote,
                    BlockKind::ListItem => LineKind::ListItem,
                    BlockKind::Figure => LineKind::Meta,
                };
                (&b.text, kind)
            }
        };
        let mut bounds = vec![0];
        let mut taken = 0;
        for g in 0..count {
            if taken >= CHUNK_BYTES {
                bounds.push(g);
                taken = 0;
            }
            taken += text_of(g).0.len() + 1;
        }
        bounds.push(count);
        let prepare_chunk = |k: usize| {
            let blocks = bounds[k]..bounds[k + 1];
            let mut p = Prepared::new(opts);
            for g in blocks.clone() {
                p.reserve_for(text_of(g).0);
            }
            let mut scratch = Scratch::default();
            for g in blocks.clone() {
                let (text, kind) = text_of(g);
                // Cancelled: the result is thrown away, the rest costs nothing.
                let cancelled =
                    cancel.is_some_and(|c| c.load(std::sync::atomic::Ordering::Relaxed));
                let text = if cancelled { "" } else { text };
                p.push_block(text, opts, tag(kind), true, &mut scratch);
            }
            p.shrink();
            (blocks.start, p)
        };
        let n = bounds.len() - 1;
        let chunks = if body_bytes >= PARALLEL_BYTES {
            // Chunks are independent: a long article uses every core.
            crate::par::par_map(n, prepare_chunk)
        } else {
            (0..n).map(prepare_chunk).collect()
        };
        let items = body
            .iter()
            .enumerate()
            .filter_map(|(k, b)| Some((range.start + k, b.item?)))
            .collect();
        Self {
            direction: article.direction,
            head: head.len(),
            first_body: range.start,
            chunks,
            body_bytes,
            whole,
            items,
            grids: grid::grids(article, range, opts),
            opts,
        }
    }

    /// The article's lines for `width` columns (0: no wrapping): where each breaks and sits.
    pub fn lay_out(&self, width: usize) -> Vec<DocLine> {
        /// Chunks laid out at once (on every core): only their lines are held twice.
        const GROUP: usize = 32;
        let chunk_lines = |k: usize| {
            let mut lines = Vec::new();
            self.chunk_lines(k, width, &mut |l| lines.push(l));
            lines
        };
        // Room for about every line: a paragraph's clusters fill its lines to more than two
        // thirds, and each paragraph has a blank line before it at most.
        let max = if width == 0 { usize::MAX } else { width };
        let estimate: usize = self
            .chunks
            .iter()
            .map(|(_, p)| p.clusters() / max * 3 / 2 + 2 * p.paragraphs())
            .sum();
        let mut out = Vec::with_capacity(estimate);
        let n = self.chunks.len();
        for from in (0..n).step_by(GROUP) {
            let count = GROUP.min(n - from);
            let parts = if self.body_bytes >= PARALLEL_BYTES {
                crate::par::par_map(count, |k| chunk_lines(from + k))
            } else {
                (from..from + count).map(chunk_lines).collect()
            };
            for lines in parts {
                out.extend(lines);
            }
        }
        // Given back only when the estimate was far over: a copy of every line on each
        // re-layout is not worth a few spare records.
        if out.capacity() > 2 * out.len() {
            out.shrink_to_fit();
        }
        out
    }

    /// Calls `emit` with each line of chunk `k` at `width`, in order: a blank line before
    /// each body block, then the block's lines.
    fn chunk_lines(&self, k: usize, width: usize, emit: &mut impl FnMut(DocLine)) {
        let (first, p) = &self.chunks[k];
        let mut block = *first;
        let mut origin = Place::Title;
        let mut kind = LineKind::Title;
        let mut n = 0;
        let mut cur = Cursor::default();
        let mut base = 0;
        // The grid the block being walked is a row of, when it is drawn as one.
        let mut in_grid = false;
        for para in 0..p.paragraphs() {
            let info = p.paragraph(para);
            if info.starts_block {
                if para > 0 {
                    block += 1;
                }
                origin = if block == 0 {
                    Place::Title
                } else if block < self.head {
                    Place::Meta
                } else {
                    Place::Block(self.first_body + block - self.head)
                };
                kind = kind_of(info.tag);
                in_grid = false;
                if let Place::Block(b) = origin {
                    match self.grid_at(b, width) {
                        Some(g) => {
                            in_grid = true;
                            self.grid_lines(g, b, k, width, emit);
                        }
                        None => emit(blank(origin, k, self.direction)),
                    }
                }
                n = 0;
                base = 0;
            }
            if info.empty {
                continue;
            }
            if in_grid {
                // The row is drawn by its grid: its text is walked past, not drawn.
                base += p.wrap_paragraph(para, usize::MAX, &mut cur, base, &mut |_| {}) + 1;
                continue;
            }
            let (lead, marker) = match (kind, origin) {
                (LineKind::Quote, _) => (2, Some(Marker::Bar)),
                (LineKind::ListItem, Place::Block(b)) => self.item_lead(b, width),
                (LineKind::ListItem, _) => (2, Some(Marker::Bullet)),
                _ => (0, None),
            };
            let max = if width == 0 {
                usize::MAX
            } else {
                width.saturating_sub(lead).max(1)
            };
            let len = p.wrap_paragraph(para, max, &mut cur, base, &mut |line| {
                let marker = match kind {
                    LineKind::ListItem if n > 0 => None,
                    _ => marker,
                };
                n += 1;
                emit(DocLine {
                    kind,
                    origin,
                    line,
                    lead,
                    marker,
                    chunk: k as u32,
                    grid: None,
                });
            });
            base += len + 1;
        }
    }

    /// The grid (by number) that block `b` is a row of, if it fits `width`.
    fn grid_at(&self, b: usize, width: usize) -> Option<usize> {
        let g = self.grids.iter().position(|g| g.rows.contains(&b))?;
        self.grids[g].fits(width).then_some(g)
    }

    /// The lines of grid `g` for its row `b`: before the first row a blank line, the
    /// headings and their rule; then the row.
    fn grid_lines(
        &self,
        g: usize,
        b: usize,
        chunk: usize,
        width: usize,
        emit: &mut impl FnMut(DocLine),
    ) {
        let grid = &self.grids[g];
        let rtl = self.direction == Direction::Rtl;
        let line = |kind, part, src: std::ops::Range<usize>| {
            let mut line = LineRef::default();
            line.rtl = rtl;
            line.width = grid.total;
            line.src = src;
            // A right-to-left table stands at the right edge.
            if rtl {
                line.offset = width.saturating_sub(grid.total);
            }
            DocLine {
                kind,
                origin: Place::Block(b),
                line,
                lead: 0,
                marker: None,
                chunk: chunk as u32,
                grid: Some((g as u32, part)),
            }
        };
        if b == grid.rows.start {
            emit(blank(Place::Block(b), chunk, self.direction));
            if grid.has_heads() {
                emit(line(LineKind::TableHead, GridPart::Head, 0..0));
                emit(line(LineKind::Meta, GridPart::Rule, 0..0));
            }
        }
        emit(line(LineKind::Paragraph, GridPart::Row, 0..grid.len_of(b)));
    }

    /// A list item's lead and marker: two columns of indent for each list it is nested in
    /// (at most half of what `width` leaves; 0 is no limit), then its bullet or number and a
    /// space.
    fn item_lead(&self, block: usize, width: usize) -> (usize, Option<Marker>) {
        let item = self
            .items
            .binary_search_by_key(&block, |&(b, _)| b)
            .ok()
            .map(|i| self.items[i].1);
        let marker = match item.and_then(|i| i.number) {
            Some(n) => Marker::Number(n),
            None => Marker::Bullet,
        };
        let depth = item.map_or(1, |i| usize::from(i.depth.max(1)));
        let w = str_width(&marker.text(false));
        let mut indent = 2 * (depth - 1);
        if width > 0 {
            indent = indent.min(width.saturating_sub(w + 1) / 2);
        }
        (indent + w + 1, Some(marker))
    }

    /// Calls `f` with each line of the article at `width`, in order, without keeping them.
    pub fn for_each_line(&self, width: usize, mut f: impl FnMut(&DocLine)) {
        for k in 0..self.chunks.len() {
            self.chunk_lines(k, width, &mut |l| f(&l));
        }
    }

    /// The cells of `line` (a line this article laid out).
    pub fn visual(&self, line: &DocLine) -> VisualLine {
        if let (Some((g, part)), Place::Block(b)) = (line.grid, line.origin)
            && let Some(grid) = self.grids.get(g as usize)
        {
            let mut v = grid.visual(part, b, self.direction, self.opts);
            v.src = line.line.src.clone();
            v.offset = line.line.offset;
            return v;
        }
        if let Some((_, prepared)) = self.chunks.get(line.chunk as usize) {
            prepared.visual(&line.line)
        } else {
            let mut empty = VisualLine::default();
            empty.rtl = line.line.rtl;
            empty
        }
    }

    /// `line` as plain text, `width` columns wide at most, with no trailing spaces.
    pub fn plain(&self, line: &DocLine, width: usize) -> String {
        self.plain_placed(line, width, BidiMode::App, false)
    }

    /// As [`Self::plain`], placed for `mode` ([`place::place`]): a `directed` RTL line (its
    /// row sent with the RTL direction control in the `terminal` mode) is placed as an LTR
    /// line is, marker first and unpadded, so the terminal puts it on the right.
    pub fn plain_placed(
        &self,
        line: &DocLine,
        width: usize,
        mode: BidiMode,
        directed: bool,
    ) -> String {
        let visual = self.visual(line);
        let row = place::row_of(&visual, line.lead, line.marker, width, mode, directed);
        let mut out = String::new();
        place::push_placed(&visual, &row, &mut out);
        out
    }
}

/// A date line as the reader shows it: a machine timestamp from metadata
/// (`2017-06-18T13:50:00+01:00`) reads `2017-06-18 13:50 +01:00`, kept in that order by a
/// left-to-right isolate and aligned with the article (the isolate is never drawn); any
/// other date as the article writes it.
fn shown_date(d: &ArticleDate) -> std::borrow::Cow<'_, str> {
    match chrono::DateTime::parse_from_rfc3339(d.original.trim()) {
        Ok(t) => format!("\u{2066}{}\u{2069}", t.format("%Y-%m-%d %H:%M %:z")).into(),
        Err(_) => d.original.as_str().into(),
    }
}

/// Articles with at least this much body text are laid out on every core.
const PARALLEL_BYTES: usize = 64 * 1024;

fn blank(origin: Place, chunk: usize, dir: Direction) -> DocLine {
    DocLine {
        kind: LineKind::Blank,
        origin,
        line: {
            let mut line = LineRef::default();
            line.rtl = dir == Direction::Rtl;
            line
        },
        lead: 0,
        marker: None,
        chunk: chunk as u32,
        grid: None,
    }
}

/// The article as plain text lines, as `qari render` prints it.
pub fn render_plain(article: &Article, width: usize, opts: Options) -> String {
    render_lines(article, width, opts, None)
}

/// As [`render_plain`]; with `directed`, each line starts with what it gives for the line's
/// direction (`true`: right to left), the paragraph-direction control of a terminal that
/// reorders (`terminal::direction`). In the `terminal` bidi mode RTL lines are unpadded and
/// placed for the terminal to mirror ([`place::place`]).
pub fn render_lines(
    article: &Article,
    width: usize,
    opts: Options,
    directed: Option<fn(bool) -> &'static str>,
) -> String {
    let mut s = Vec::new();
    // Writing to a vector cannot fail.
    let _ = write_lines(article, width, opts, directed, &mut s);
    String::from_utf8(s).unwrap_or_default()
}

/// Writes the lines of [`render_lines`] to `out`, a line at a time (the lines are never all
/// kept).
pub fn write_lines(
    article: &Article,
    width: usize,
    opts: Options,
    directed: Option<fn(bool) -> &'static str>,
    out: &mut impl std::io::Write,
) -> std::io::Result<()> {
    let prepared = PreparedArticle::new(article, opts);
    let mut result = Ok(());
    let mut text = String::new();
    prepared.for_each_line(width, |l| {
        if result.is_ok() {
            text.clear();
            if let Some(direction) = directed {
                text.push_str(direction(l.line.rtl));
            }
            // Every printed line is a row of its own, its direction the terminal's to know.
            text.push_str(&prepared.plain_placed(l, width, opts.mode, true));
            text.push('\n');
            result = out.write_all(text.as_bytes());
        }
    });
    result
}

#[cfg(test)]
mod tests;
