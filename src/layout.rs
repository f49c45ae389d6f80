//! The bidi layout engine: one block of logical text and a width in, visual lines out.
//!
//! Pure: no terminal, no I/O. For each paragraph (a block splits at `\n`), in this order:
//! 1. the paragraph direction (an article's paragraph by [`article_paragraph_direction`],
//!    other text by UAX #9 P2/P3; a paragraph without a strong letter takes the article's
//!    direction);
//! 2. the embedding levels of the whole paragraph, once (unicode-bidi);
//! 3. Arabic shaping in logical order ([`shaping`]), grouped into grapheme clusters, each of
//!    which becomes one cell as wide as terminals draw it ([`cluster_width`]); clusters that
//!    draw nothing (bidi controls, invisible format characters, a soft hyphen but where a line
//!    breaks after it) take no cell, and isolates and bidi marks among them still take part
//!    in reordering (UAX #9 X9);
//! 4. line breaking at the current UAX #14's opportunities (ICU4X's segmenter, which follows
//!    Unicode 15.1's relaxed LB15 and later rules), measured in cells with
//!    [`cell_width`], words wider than the line broken between clusters;
//! 5. per line, UAX #9 L1 and L2 with the paragraph's levels, reversing whole clusters (so a
//!    haraka stays with its letter), then L4 mirroring at odd levels;
//! 6. alignment: RTL paragraphs to the right edge, LTR to the left.
//!
//! Every cell keeps the byte range of the source text it came from, so search highlights and
//! reading positions survive reordering and re-wrapping. Bidi controls steer the algorithm and
//! never appear in the output.

pub mod document;
pub mod shaping;
mod tables;

use std::ops::Range;
use std::sync::OnceLock;

use unicode_bidi::{BidiClass, Level, ParagraphBidiInfo};
use unicode_segmentation::UnicodeSegmentation;
use unicode_width::UnicodeWidthChar;

use crate::article::{Direction, is_bidi_control};
use shaping::Shaped;

/// The base direction asked for a paragraph.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum BaseDir {
    /// From the first strong character (UAX #9 P2/P3), else the article's direction.
    #[default]
    Auto,
    /// Right to left.
    Rtl,
    /// Left to right.
    Ltr,
}

/// Who does the bidi work.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum BidiMode {
    /// qari reorders and shapes; the terminal must not (explicit mode is requested).
    #[default]
    App,
    /// Logical order, unshaped, for terminals that reorder by themselves.
    Terminal,
    /// Logical order, for diagnosis.
    Off,
}

impl BidiMode {
    /// Parses `app`, `terminal` or `off`.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "app" => Some(Self::App),
            "terminal" => Some(Self::Terminal),
            "off" => Some(Self::Off),
            _ => None,
        }
    }
}

/// How to lay out a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Options {
    /// Base direction of each paragraph.
    pub base: BaseDir,
    /// The article's direction, for paragraphs without a strong letter.
    pub fallback: Direction,
    /// Who reorders.
    pub mode: BidiMode,
    /// Whether to shape Arabic into presentation forms (never in [`BidiMode::Terminal`]).
    pub shape: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            base: BaseDir::Auto,
            fallback: Direction::Ltr,
            mode: BidiMode::App,
            shape: true,
        }
    }
}

/// One terminal cell of a visual line: a grapheme (base and marks) and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    text: Range<u32>,
    /// Columns the cell takes: 1 or 2.
    pub width: u8,
    /// The resolved bidi level (even: LTR, odd: RTL).
    pub level: u8,
    /// The bytes of the block's source text this cell shows.
    pub src: Range<usize>,
}

/// One line on screen, its cells in left-to-right screen order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VisualLine {
    text: String,
    /// The cells, left to right.
    pub cells: Vec<Cell>,
    /// Blank columns before the first cell (right alignment of RTL lines).
    pub offset: usize,
    /// The sum of the cells' widths.
    pub width: usize,
    /// Whether the paragraph is right to left.
    pub rtl: bool,
    /// The source bytes the line covers, in logical order (trailing spaces included).
    pub src: Range<usize>,
}

impl VisualLine {
    /// The text of one cell (its grapheme: base and marks).
    pub fn cell_text(&self, cell: &Cell) -> &str {
        self.text
            .get(cell.text.start as usize..cell.text.end as usize)
            .unwrap_or("")
    }

    /// The cells' text, left to right, without the alignment offset.
    pub fn visual_text(&self) -> String {
        self.cells.iter().map(|c| self.cell_text(c)).collect()
    }

    /// The line as printed: `offset` spaces, then the cells.
    pub fn padded_text(&self) -> String {
        let mut s = String::with_capacity(self.offset + self.text.len());
        self.push_padded(&mut s);
        s
    }

    /// Appends the line as printed (`offset` spaces, then the cells) to `out`.
    pub fn push_padded(&self, out: &mut String) {
        out.extend(std::iter::repeat_n(' ', self.offset));
        for c in &self.cells {
            out.push_str(self.cell_text(c));
        }
    }

    /// A line of one cell, "…", that comes from no source text.
    pub fn ellipsis() -> Self {
        Self {
            text: "…".to_owned(),
            cells: vec![Cell {
                text: 0..3,
                width: 1,
                level: 0,
                src: 0..0,
            }],
            width: 1,
            ..Self::default()
        }
    }

    /// Appends `other`'s cells after this line's (on screen, to the right).
    pub fn append(&mut self, other: &Self) {
        for c in &other.cells {
            let start = self.text.len() as u32;
            self.text.push_str(other.cell_text(c));
            self.cells.push(Cell {
                text: start..self.text.len() as u32,
                ..c.clone()
            });
        }
        self.width += other.width;
    }

    /// Puts `other`'s cells before this line's (on screen, to the left).
    pub fn prepend(&mut self, other: &Self) {
        let mut joined = other.clone();
        joined.append(self);
        self.text = joined.text;
        self.cells = joined.cells;
        self.width = joined.width;
    }

    /// The column at which each cell starts, with the offset.
    pub fn columns(&self) -> impl Iterator<Item = (usize, &Cell)> {
        let mut x = self.offset;
        self.cells.iter().map(move |c| {
            let at = x;
            x += usize::from(c.width);
            (at, c)
        })
    }
}

/// Columns a character takes in a terminal, after shaping: 0 for marks and format characters,
/// 2 for wide characters, else 1. [`cluster_width`] and [`str_width`] measure text with it.
#[inline]
pub fn cell_width(c: char) -> usize {
    if c == '\t' || (' '..='~').contains(&c) {
        return 1;
    }
    c.width().unwrap_or(0)
}

/// Columns a grapheme cluster takes as terminals draw it: the sum of its characters' widths
/// ([`cell_width`]), except that an emoji joined by a ZWJ to the one before it is drawn in
/// that one's glyph (`👨‍👩‍👧‍👦` is one wide cell). A cell's width is its cluster's.
pub fn cluster_width(g: &str) -> usize {
    let mut width = 0;
    let mut after_zwj = false;
    for c in g.chars() {
        let w = cell_width(c);
        if !(std::mem::take(&mut after_zwj) && w == 2) {
            width += w;
        }
        after_zwj = c == '\u{200D}';
    }
    width
}

/// The width of a string as terminals draw it, cluster by cluster ([`cluster_width`]). The
/// project's one width function: a line is never wider than the width it was laid out for,
/// measured this way (for shaped text, or text qari does not shape: Latin labels, numbers;
/// never for unshaped Arabic).
pub fn str_width(s: &str) -> usize {
    s.graphemes(true).map(cluster_width).sum()
}

/// Lays out one block. `width` 0 means no wrapping (one visual line per paragraph).
pub fn lay_out(text: &str, width: usize, opts: Options) -> Vec<VisualLine> {
    prepare(text, opts).lay_out(width)
}

/// Text with all the work that does not depend on the width done: paragraph directions,
/// bidi levels, shaping, grapheme clusters and their widths, line-break opportunities.
/// [`Prepared::lay_out`] then wraps and reorders it for any width, which is all a resize
/// has to do.
///
/// One arena of columns for any number of paragraphs (a block, or many blocks of an
/// article): a byte of flags and a byte of lengths per cluster, the shaped text, and five
/// bytes per paragraph. Only paragraphs whose clusters are not all at the paragraph's level
/// keep a level per cluster. Nothing is allocated per paragraph.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Prepared {
    /// Whether the text is reordered ([`BidiMode::App`]).
    reorder: bool,
    /// The first cluster of each paragraph; its clusters end where the next one's start.
    para_start: Vec<u32>,
    /// [`P_RTL`], [`P_BLOCK`], [`P_EMPTY`] and a tag (the caller's, above [`P_TAG_SHIFT`]).
    para_flags: Vec<u8>,
    /// The paragraphs with a level per cluster: (paragraph, where its levels start in
    /// `levels`), sorted.
    multi: Vec<(u32, u32)>,
    /// Per cluster: the [`WIDTH`] bits, [`SPACE`], [`BREAK`], a [`KIND`] and an [`L1`] class.
    flags: Vec<u8>,
    /// Per cluster: bytes of source text (high nibble) and of shaped text (low nibble);
    /// [`LONG`] in both when either is longer, the lengths then in `long`.
    lens: Vec<u8>,
    /// The lengths of the clusters too long for a nibble: (cluster, source, shaped), sorted.
    long: Vec<(u32, u32, u32)>,
    /// The levels of the paragraphs listed in `multi`.
    levels: Vec<u8>,
    /// What the clusters draw, one after another.
    shaped: String,
}

/// The paragraph is right to left.
const P_RTL: u8 = 1;
/// The paragraph starts a block (source offsets count from it).
const P_BLOCK: u8 = 2;
/// The paragraph stands for a block with no text: it has no lines.
const P_EMPTY: u8 = 4;
/// A paragraph's tag sits in the flags' high bits.
const P_TAG_SHIFT: u32 = 4;

/// The bits of a cluster's flags that hold its width in columns (0 to 2).
const WIDTH: u8 = 0b11;
/// Whitespace that may hang past the edge and is not drawn at a soft break.
const SPACE: u8 = 1 << 2;
/// A line may break before this cluster.
const BREAK: u8 = 1 << 3;
/// What a cluster draws: the bits of its flags.
const KIND: u8 = 0b11 << 4;
/// Its shaped text.
const KIND_DRAWN: u8 = 0;
/// Nothing, but it keeps a level and takes part in reordering (isolates, bidi marks).
const KIND_HIDDEN: u8 = 1 << 4;
/// Nothing, and UAX #9 X9 removes it (embeddings, overrides, PDF, boundary neutrals).
const KIND_REMOVED: u8 = 2 << 4;
/// A soft hyphen: nothing, or a hyphen where the line breaks after it (removed by X9).
const KIND_SOFT_HYPHEN: u8 = 3 << 4;
/// How UAX #9 L1 treats the cluster: the bits of its flags.
const L1: u8 = 0b11 << 6;
/// Whitespace or an isolate control: takes the paragraph level before a separator or at the
/// end of a line.
const L1_TRAILING: u8 = 1 << 6;
/// A segment or paragraph separator: takes the paragraph level.
const L1_SEPARATOR: u8 = 2 << 6;
/// A length nibble that says "look in the long table".
const LONG: u8 = 15;

/// Prepares one block for layout at any width.
pub fn prepare(text: &str, opts: Options) -> Prepared {
    thread_local! {
        static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::default();
    }
    let mut p = Prepared::with_capacity(opts, text);
    SCRATCH.with_borrow_mut(|scratch| p.push_block(text, opts, 0, false, scratch));
    p.shrink();
    p
}

/// Buffers reused from paragraph to paragraph while preparing.
#[derive(Debug, Default)]
struct Scratch {
    /// Where each cluster of the paragraph starts in it.
    starts: Vec<u32>,
    /// The bidi class of each cluster's first character.
    classes: Vec<BidiClass>,
    /// The paragraph's levels, by cluster.
    levels: Vec<u8>,
}

/// How far a walk over the clusters has come: the cluster, and the source (from the start of
/// the paragraph) and shaped text (from the start of the arena) before it.
#[derive(Debug, Clone, Copy, Default)]
struct Cursor {
    cluster: usize,
    src: usize,
    text: usize,
}

/// Where the arena stood, to undo a paragraph.
#[derive(Debug, Clone, Copy)]
struct Mark {
    clusters: usize,
    long: usize,
    shaped: usize,
    levels: usize,
    multi: usize,
}

impl Prepared {
    /// An empty arena with room for `text` (an upper bound on its clusters and shaped bytes:
    /// a character of the Arabic block grows from two bytes to three when shaped).
    fn with_capacity(opts: Options, text: &str) -> Self {
        let mut p = Self {
            reorder: opts.mode == BidiMode::App,
            ..Self::default()
        };
        p.reserve_for(text);
        p
    }

    /// Room for the clusters of `text`.
    fn reserve_for(&mut self, text: &str) {
        let bytes = text.as_bytes();
        let (mut chars, mut arabic, mut paragraphs) = (0, 0, 1);
        for &b in bytes {
            chars += usize::from(b & 0xC0 != 0x80);
            arabic += usize::from((0xD8..=0xDB).contains(&b));
            paragraphs += usize::from(b == b'\n');
        }
        self.flags.reserve(chars);
        self.lens.reserve(chars);
        self.shaped.reserve(bytes.len() + arabic);
        self.para_start.reserve(paragraphs);
        self.para_flags.reserve(paragraphs);
    }

    /// Gives back the room not used, where it is worth a copy.
    fn shrink(&mut self) {
        fn shrink<T>(v: &mut Vec<T>) {
            if (v.capacity() - v.len()) * std::mem::size_of::<T>() > 4096 {
                v.shrink_to_fit();
            }
        }
        shrink(&mut self.para_start);
        shrink(&mut self.para_flags);
        shrink(&mut self.multi);
        shrink(&mut self.flags);
        shrink(&mut self.lens);
        shrink(&mut self.long);
        shrink(&mut self.levels);
        if self.shaped.capacity() - self.shaped.len() > 4096 {
            self.shaped.shrink_to_fit();
        }
    }

    /// Appends a block: its paragraphs (split at `\n`), the first marked as starting a block,
    /// all with `tag`. A block of an article (`in_article`) has its paragraphs' directions by
    /// the article's rule ([`article_paragraph_direction`]), and an empty one has a paragraph
    /// with no lines; otherwise each paragraph's is its own ([`paragraph_direction`]) and an
    /// empty block has no paragraph.
    fn push_block(
        &mut self,
        text: &str,
        opts: Options,
        tag: u8,
        in_article: bool,
        scratch: &mut Scratch,
    ) {
        let tag = tag << P_TAG_SHIFT;
        if text.is_empty() {
            if in_article {
                self.para_start.push(self.flags.len() as u32);
                self.para_flags.push(tag | P_BLOCK | P_EMPTY);
            }
            return;
        }
        let mut first = P_BLOCK;
        for para in text.split('\n') {
            let flags = tag | std::mem::take(&mut first);
            self.push_paragraph(para, opts, flags, in_article, scratch);
        }
    }

    fn mark(&self) -> Mark {
        Mark {
            clusters: self.flags.len(),
            long: self.long.len(),
            shaped: self.shaped.len(),
            levels: self.levels.len(),
            multi: self.multi.len(),
        }
    }

    fn rollback(&mut self, m: Mark) {
        self.flags.truncate(m.clusters);
        self.lens.truncate(m.clusters);
        self.long.truncate(m.long);
        self.shaped.truncate(m.shaped);
        self.levels.truncate(m.levels);
        self.multi.truncate(m.multi);
    }

    fn push_paragraph(
        &mut self,
        para: &str,
        opts: Options,
        flags: u8,
        in_article: bool,
        scratch: &mut Scratch,
    ) {
        let dir = if in_article {
            article_paragraph_direction(para, opts.base, opts.fallback)
        } else {
            paragraph_direction(para, opts.base, opts.fallback)
        };
        let rtl = dir == Direction::Rtl;
        let shape = opts.shape && opts.mode != BidiMode::Terminal;
        self.para_start.push(self.flags.len() as u32);
        self.para_flags.push(flags | if rtl { P_RTL } else { 0 });
        let mark = self.mark();
        if self
            .build(para, u8::from(rtl), shape, Sources::FAST, scratch)
            .is_none()
        {
            // A character the fast grapheme table does not know: again with the library's
            // boundaries, which always succeeds.
            self.rollback(mark);
            let _ = self.build(
                para,
                u8::from(rtl),
                shape,
                Sources::LIBRARY_GRAPHEMES,
                scratch,
            );
        }
    }

    /// The clusters of paragraph `p`.
    fn clusters_of(&self, p: usize) -> Range<usize> {
        let start = self.para_start[p] as usize;
        let end = self
            .para_start
            .get(p + 1)
            .map_or(self.flags.len(), |&e| e as usize);
        start..end
    }

    /// The levels of paragraph `p`'s clusters, if they are not all at its level.
    fn levels_of(&self, p: usize) -> Option<&[u8]> {
        let k = self
            .multi
            .binary_search_by_key(&(p as u32), |&(q, _)| q)
            .ok()?;
        let start = self.multi[k].1 as usize;
        let n = self.clusters_of(p).len();
        self.levels.get(start..start + n)
    }

    /// The source and shaped bytes of cluster `i`.
    #[inline]
    fn lens_of(&self, i: usize) -> (usize, usize) {
        let b = self.lens[i];
        if b >> 4 == LONG {
            let k = self.long.partition_point(|e| (e.0 as usize) < i);
            let e = self.long[k];
            (e.1 as usize, e.2 as usize)
        } else {
            (usize::from(b >> 4), usize::from(b & 0xF))
        }
    }

    /// The source and shaped bytes of the clusters in `range`.
    fn lens_sum(&self, range: Range<usize>) -> (usize, usize) {
        let lens = &self.lens[range.clone()];
        let mut src: usize = lens.iter().map(|&b| usize::from(b >> 4)).sum();
        let mut text: usize = lens.iter().map(|&b| usize::from(b & 0xF)).sum();
        let from = self.long.partition_point(|e| (e.0 as usize) < range.start);
        for e in self.long[from..]
            .iter()
            .take_while(|e| (e.0 as usize) < range.end)
        {
            src = src + e.1 as usize - usize::from(LONG);
            text = text + e.2 as usize - usize::from(LONG);
        }
        (src, text)
    }

    /// Sets the lengths of cluster `i` (the last one, or the one before it).
    fn set_lens(&mut self, i: usize, src: usize, text: usize) {
        let k = self.long.partition_point(|e| (e.0 as usize) < i);
        let is_long = self.long.get(k).is_some_and(|e| e.0 as usize == i);
        if src < usize::from(LONG) && text < usize::from(LONG) {
            self.lens[i] = (src as u8) << 4 | text as u8;
            if is_long {
                self.long.remove(k);
            }
        } else {
            self.lens[i] = LONG << 4 | LONG;
            let e = (i as u32, src as u32, text as u32);
            if is_long {
                self.long[k] = e;
            } else {
                self.long.insert(k, e);
            }
        }
    }

    /// The last cluster that draws its text among the last `n` (those of the paragraph being
    /// built).
    fn last_drawn(&self, n: usize) -> Option<usize> {
        let len = self.flags.len();
        (len - n..len)
            .rev()
            .find(|&i| self.flags[i] & KIND == KIND_DRAWN)
    }

    #[inline]
    fn push_cluster(&mut self, flags: u8, src: usize, text: usize) {
        self.flags.push(flags);
        if src < usize::from(LONG) && text < usize::from(LONG) {
            self.lens.push((src as u8) << 4 | text as u8);
        } else {
            self.lens.push(0);
            self.set_lens(self.flags.len() - 1, src, text);
        }
    }

    /// Moves `cur` on to cluster `to`.
    fn advance(&self, cur: &mut Cursor, to: usize) {
        let (src, text) = self.lens_sum(cur.cluster..to);
        cur.src += src;
        cur.text += text;
        cur.cluster = to;
    }

    /// The visual lines for `width` columns (0: no wrapping).
    pub fn lay_out(&self, width: usize) -> Vec<VisualLine> {
        self.wrap(width).iter().map(|l| self.visual(l)).collect()
    }

    /// Where the lines break for `width` columns (0: no wrapping), and where each sits; the
    /// cells of a line are made when it is drawn ([`Self::visual`], [`Self::push_plain`]).
    pub fn wrap(&self, width: usize) -> Vec<LineRef> {
        let max = if width == 0 { usize::MAX } else { width };
        let mut out = Vec::with_capacity(self.para_start.len() + self.flags.len() / max);
        let mut cur = Cursor::default();
        let mut base = 0;
        for p in 0..self.para_start.len() {
            if self.para_flags[p] & P_BLOCK != 0 {
                base = 0;
            }
            let len = self.wrap_paragraph(p, max, &mut cur, base, &mut |l| out.push(l));
            base += len + 1;
        }
        out
    }

    /// Breaks paragraph `p` into lines of `max` columns, its source starting at `base` of its
    /// block; `cur` comes in at its first cluster and leaves at the next paragraph's. Returns
    /// the paragraph's source length.
    fn wrap_paragraph(
        &self,
        p: usize,
        max: usize,
        cur: &mut Cursor,
        base: usize,
        emit: &mut impl FnMut(LineRef),
    ) -> usize {
        let range = self.clusters_of(p);
        let rtl = self.para_flags[p] & P_RTL != 0;
        cur.src = 0;
        if range.is_empty() {
            emit(LineRef {
                para: p as u32,
                clusters: range.start as u32..range.start as u32,
                end: range.start as u32,
                text: cur.text as u32,
                rtl,
                src: base..base,
                ..LineRef::default()
            });
            return 0;
        }
        wrap(&self.flags[range.clone()], max, |w| {
            let (start, drawn, end) = (
                range.start + w.start,
                range.start + w.drawn,
                range.start + w.end,
            );
            self.advance(cur, start);
            let (src_start, text) = (cur.src, cur.text);
            self.advance(cur, end);
            let offset = if rtl && max != usize::MAX {
                max.saturating_sub(w.width)
            } else {
                0
            };
            emit(LineRef {
                para: p as u32,
                clusters: start as u32..drawn as u32,
                end: end as u32,
                text: text as u32,
                hyphen: w.hyphen,
                offset,
                width: w.width,
                rtl,
                src: base + src_start..base + cur.src,
            });
        });
        cur.src
    }

    /// The paragraph `line` draws from, if it draws anything.
    fn line_paragraph(&self, line: &LineRef) -> Option<usize> {
        let p = line.para as usize;
        (!line.clusters.is_empty()
            && p < self.para_start.len()
            && self.clusters_of(p).end >= line.clusters.end as usize)
            .then_some(p)
    }

    /// Calls `f` with each cluster of `line` that draws something, left to right: its index,
    /// level, shaped text (a hyphen for a soft hyphen the line ends at) and source bytes.
    fn each_drawn<F: FnMut(usize, u8, &str, Range<usize>)>(&self, line: &LineRef, mut f: F) {
        let Some(p) = self.line_paragraph(line) else {
            return;
        };
        let range = line.clusters.start as usize..line.clusters.end as usize;
        let last = range.end - 1;
        let draw =
            |i: usize, level: u8, t0: usize, t1: usize, s0: usize, s1: usize, f: &mut F| match self
                .flags[i]
                & KIND
            {
                KIND_DRAWN => f(i, level, self.shaped.get(t0..t1).unwrap_or(""), s0..s1),
                KIND_SOFT_HYPHEN if line.hyphen && i == last => f(i, level, "-", s0..s1),
                _ => {}
            };
        if let Some(level) = self.line_level(p, range.clone()) {
            // One level: in logical order, or reversed; each cluster's place found on the way.
            let (mut text, mut src) = (line.text as usize, line.src.start);
            if self.reorder && level == 1 {
                let (s_len, t_len) = self.lens_sum(range.clone());
                (text, src) = (text + t_len, src + s_len);
                for i in range.rev() {
                    let (s, t) = self.lens_of(i);
                    draw(i, level, text - t, text, src - s, src, &mut f);
                    (text, src) = (text - t, src - s);
                }
            } else {
                for i in range {
                    let (s, t) = self.lens_of(i);
                    draw(i, level, text, text + t, src, src + s, &mut f);
                    (text, src) = (text + t, src + s);
                }
            }
            return;
        }
        // Where each cluster's text and source start, and where the last ends.
        let mut at = Vec::with_capacity(range.len() + 1);
        let (mut text, mut src) = (line.text as usize, line.src.start);
        for i in range.clone() {
            at.push((text, src));
            let (s, t) = self.lens_of(i);
            text += t;
            src += s;
        }
        at.push((text, src));
        self.each_cell(p, range.clone(), line.hyphen, |i, level| {
            let k = i - range.start;
            let ((t0, s0), (t1, s1)) = (at[k], at[k + 1]);
            draw(i, level, t0, t1, s0, s1, &mut f);
        });
    }

    /// The units of `line` as UAX #9 orders them, left to right: each grapheme cluster that
    /// is drawn or keeps a level (isolates and bidi marks, which draw nothing), with its
    /// source bytes and level. Its trailing whitespace is included; what X9 removes is not.
    /// The same reordering as [`Self::visual`], for the conformance tests.
    pub fn units(&self, line: &LineRef) -> Vec<(Range<usize>, u8)> {
        let p = line.para as usize;
        let range = line.clusters.start as usize..line.end as usize;
        if range.is_empty() || p >= self.para_start.len() {
            return Vec::new();
        }
        let mut at = Vec::with_capacity(range.len() + 1);
        let mut src = line.src.start;
        for i in range.clone() {
            at.push(src);
            src += self.lens_of(i).0;
        }
        at.push(src);
        let mut out = Vec::new();
        self.each_cell(p, range.clone(), false, |i, level| {
            if self.flags[i] & KIND < KIND_REMOVED {
                let k = i - range.start;
                out.push((at[k]..at[k + 1], level));
            }
        });
        out
    }

    /// The cells of `line`, left to right.
    pub fn visual(&self, line: &LineRef) -> VisualLine {
        let mut vl = VisualLine {
            text: String::new(),
            cells: Vec::new(),
            offset: line.offset,
            width: line.width,
            rtl: line.rtl,
            src: line.src.clone(),
        };
        vl.cells.reserve(line.clusters.len());
        self.each_drawn(line, |i, level, text, src| {
            let start = vl.text.len() as u32;
            self.push_cell_text(text, level, &mut vl.text);
            let width = if text == "-" && self.flags[i] & KIND == KIND_SOFT_HYPHEN {
                1
            } else {
                self.flags[i] & WIDTH
            };
            vl.cells.push(Cell {
                text: start..vl.text.len() as u32,
                width,
                level,
                src,
            });
        });
        vl
    }

    /// Appends `line` as printed (`offset` spaces, then the cells) to `out`.
    pub fn push_plain(&self, line: &LineRef, out: &mut String) {
        out.extend(std::iter::repeat_n(' ', line.offset));
        let Some(p) = self.line_paragraph(line) else {
            return;
        };
        let range = line.clusters.start as usize..line.clusters.end as usize;
        let in_order = !self.reorder || !line.rtl && self.levels_of(p).is_none();
        if in_order {
            // Cells in logical order, none mirrored: the shaped text as it is.
            let start = line.text as usize;
            let (_, len) = self.lens_sum(range);
            out.push_str(self.shaped.get(start..start + len).unwrap_or(""));
            if line.hyphen {
                out.push('-');
            }
        } else {
            self.each_drawn(line, |_, level, text, _| {
                self.push_cell_text(text, level, out);
            });
        }
    }

    /// Calls `f` with each cluster of paragraph `p` in `line` (a range of its clusters) and
    /// its level, in left-to-right screen order: UAX #9 L1 and L2 with the paragraph's levels.
    /// Clusters X9 removes are left out of the reordering (and come in the paragraph's order
    /// where all are at one level).
    fn each_cell(&self, p: usize, line: Range<usize>, hyphen: bool, mut f: impl FnMut(usize, u8)) {
        let para_level = u8::from(self.para_flags[p] & P_RTL != 0);
        let Some(levels) = self.line_levels(p, line.clone()) else {
            // The whole line at the paragraph level (L1 can only set that level): it reads
            // as it is, or reversed.
            if self.reorder && para_level == 1 {
                for i in line.rev() {
                    f(i, para_level);
                }
            } else {
                for i in line {
                    f(i, para_level);
                }
            }
            return;
        };
        let last = line.end - 1;
        let kept: Vec<usize> = line
            .clone()
            .filter(|&i| self.flags[i] & KIND < KIND_REMOVED || hyphen && i == last)
            .collect();
        let mut lv: Vec<u8> = kept.iter().map(|&i| levels[i - line.start]).collect();
        let mut l1: Vec<u8> = kept.iter().map(|&i| self.flags[i] & L1).collect();
        if hyphen
            && let (Some(&k), n) = (kept.last(), kept.len())
            && k == last
        {
            // The hyphen goes with the word it ends: its level, and not trailing for L1.
            lv[n - 1] = if n > 1 { lv[n - 2] } else { para_level };
            l1[n - 1] = 0;
        }
        l1_by_flags(&mut lv, &l1, para_level);
        for k in visual_order(&lv) {
            f(kept[k], lv[k]);
        }
    }

    /// The levels of paragraph `p`'s clusters in `line`, unless the line is drawn at the
    /// paragraph's level as it is (not reordered, or all at that level: L1 can only set it).
    fn line_levels(&self, p: usize, line: Range<usize>) -> Option<&[u8]> {
        let para_level = u8::from(self.para_flags[p] & P_RTL != 0);
        let first = self.clusters_of(p).start;
        self.levels_of(p)
            .and_then(|l| l.get(line.start - first..line.end - first))
            .filter(|l| self.reorder && l.iter().any(|&x| x != para_level))
    }

    /// The level a whole line of paragraph `p` is drawn at, if it is drawn at one.
    fn line_level(&self, p: usize, line: Range<usize>) -> Option<u8> {
        self.line_levels(p, line)
            .is_none()
            .then_some(u8::from(self.para_flags[p] & P_RTL != 0))
    }

    /// Appends `text` (a cluster's) drawn at `level` to `out`, with its mirror glyph at odd
    /// levels (L4).
    #[inline]
    fn push_cell_text(&self, text: &str, level: u8, out: &mut String) {
        let mut chars = text.chars();
        if self.reorder
            && level % 2 == 1
            && let Some(m) = chars.next().and_then(mirror)
        {
            out.push(m);
            out.push_str(chars.as_str());
        } else {
            out.push_str(text);
        }
    }
}

/// UAX #9 L1 on one line, by the clusters' [`L1`] bits.
fn l1_by_flags(levels: &mut [u8], l1: &[u8], para_level: u8) {
    let mut trailing = true;
    for i in (0..levels.len()).rev() {
        if l1[i] == L1_SEPARATOR {
            levels[i] = para_level;
            trailing = true;
        } else if trailing && l1[i] == L1_TRAILING {
            levels[i] = para_level;
        } else {
            trailing = false;
        }
    }
}

/// One line of a [`Prepared`] text at some width: which clusters of which paragraph, where
/// it sits and what it covers. [`Prepared::visual`] makes its cells.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LineRef {
    para: u32,
    /// The clusters drawn (trailing whitespace left out), in logical order.
    clusters: Range<u32>,
    /// Where the line's clusters end, trailing whitespace included.
    end: u32,
    /// Where the first cluster's shaped text starts.
    text: u32,
    /// Whether the line ends at a soft hyphen, drawn as a hyphen.
    hyphen: bool,
    /// Blank columns before the first cell (right alignment of RTL lines).
    pub offset: usize,
    /// The sum of the cells' widths.
    pub width: usize,
    /// Whether the paragraph is right to left.
    pub rtl: bool,
    /// The source bytes the line covers, in logical order (trailing spaces included).
    pub src: Range<usize>,
}

/// The direction of a paragraph of an article whose direction is `article` (the reader's and
/// `qari render`'s rule): `base` if it is not [`BaseDir::Auto`]; else an explicit mark or
/// embedding before the first strong letter (RLM, ALM, RLE, RLO: right to left; LRM, LRE,
/// LRO: left to right); else the article's direction, unless most of the paragraph's words
/// (runs of strong letters of one direction, outside isolates) are of the other direction. A
/// paragraph without strong letters takes the article's direction.
///
/// So in an Arabic article `BBC عربي: قال المتحدث …` reads right to left (it starts with a
/// Latin name, but most of its words are Arabic), `وقال Brett McGurk إن` too (as many words
/// of each: the article's), and an English sentence quoting one Arabic word stays left to
/// right in an English article, or in an Arabic one. Words, not letters: a Latin name spelled
/// out is longer than the Arabic words around it.
pub fn article_paragraph_direction(text: &str, base: BaseDir, article: Direction) -> Direction {
    use BidiClass::{AL, BN, FSI, L, LRE, LRI, LRO, NSM, PDI, R, RLE, RLI, RLO};
    match base {
        BaseDir::Rtl => return Direction::Rtl,
        BaseDir::Ltr => return Direction::Ltr,
        BaseDir::Auto => {}
    }
    // Words: runs of strong letters of one direction (marks and joiners inside them).
    let (mut ltr, mut rtl) = (0usize, 0usize);
    let mut isolates = 0usize;
    let mut seen_strong = false;
    let mut run: Option<bool> = None;
    for c in text.chars() {
        match c {
            '\u{200F}' | '\u{061C}' if !seen_strong && isolates == 0 => return Direction::Rtl,
            '\u{200E}' if !seen_strong && isolates == 0 => return Direction::Ltr,
            _ => {}
        }
        let class = bidi_class(c);
        let strong_rtl = match class {
            RLE | RLO if !seen_strong && isolates == 0 => return Direction::Rtl,
            LRE | LRO if !seen_strong && isolates == 0 => return Direction::Ltr,
            LRI | RLI | FSI => {
                isolates += 1;
                None
            }
            PDI => {
                isolates = isolates.saturating_sub(1);
                None
            }
            L if isolates == 0 => Some(false),
            R | AL if isolates == 0 => Some(true),
            NSM | BN => continue,
            _ => None,
        };
        if let Some(is_rtl) = strong_rtl
            && run != Some(is_rtl)
        {
            seen_strong = true;
            if is_rtl {
                rtl += 1;
            } else {
                ltr += 1;
            }
        }
        run = strong_rtl;
    }
    match article {
        Direction::Rtl if ltr > rtl => Direction::Ltr,
        Direction::Ltr if rtl > ltr => Direction::Rtl,
        _ => article,
    }
}

/// The direction of one paragraph on its own (UAX #9 P2/P3, else `fallback`), for text that
/// is not an article's paragraph: titles in the list, `qari render --plain`'s lines.
pub fn paragraph_direction(text: &str, base: BaseDir, fallback: Direction) -> Direction {
    match base {
        BaseDir::Rtl => Direction::Rtl,
        BaseDir::Ltr => Direction::Ltr,
        BaseDir::Auto => match unicode_bidi::get_base_direction(text) {
            unicode_bidi::Direction::Rtl => Direction::Rtl,
            unicode_bidi::Direction::Ltr => Direction::Ltr,
            unicode_bidi::Direction::Mixed => fallback,
        },
    }
}

/// Where the grapheme boundaries and the bidi levels come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Sources {
    /// Boundaries from the classes learnt from unicode-segmentation ([`char_info`]),
    /// else from unicode-segmentation itself.
    fast_graphemes: bool,
    /// Levels from a look at the paragraph's classes where that settles them
    /// ([`ClassSummary::quick`]), else always from unicode-bidi.
    quick_levels: bool,
}

impl Sources {
    const FAST: Self = Self {
        fast_graphemes: true,
        quick_levels: true,
    };
    const LIBRARY_GRAPHEMES: Self = Self {
        fast_graphemes: false,
        quick_levels: true,
    };
}

/// The cluster being read.
#[expect(
    clippy::struct_excessive_bools,
    reason = "independent facts about one cluster, read once when it closes"
)]
struct OpenCluster {
    start: usize,
    text_start: usize,
    width: usize,
    class: BidiClass,
    absorbed: bool,
    visible: bool,
    space: bool,
    /// A character that X9 keeps came after the first (a mark on a space).
    marked: bool,
    /// The last character was a ZWJ: an emoji after it joins the one before in one glyph.
    after_zwj: bool,
    /// What it is if it draws nothing: [`KIND_REMOVED`], [`KIND_HIDDEN`] (an isolate control
    /// or a bidi mark) or [`KIND_SOFT_HYPHEN`].
    invisible: u8,
}

impl OpenCluster {
    /// A cluster that starts at byte `start` with a character of class `class`, its text at
    /// `text_start` of the shaped text.
    fn new(start: usize, text_start: usize, class: BidiClass) -> Self {
        Self {
            start,
            text_start,
            width: 0,
            class,
            absorbed: false,
            visible: false,
            space: true,
            marked: false,
            after_zwj: false,
            invisible: KIND_REMOVED,
        }
    }

    /// Ends the cluster at byte `end`: it becomes a cell, joins the ligature before it (the
    /// alef of a lam-alef), or draws nothing (bidi controls, joiners).
    #[expect(
        clippy::inline_always,
        reason = "called once a cluster from the hot loop; measured: 6% fewer instructions \
                  for a layout when inlined, which the compiler does not choose by itself"
    )]
    #[inline(always)]
    fn close(self, end: usize, out: &mut Prepared, s: &mut Scratch, pending_break: &mut bool) {
        if self.absorbed
            && let Some(lig) = out.last_drawn(s.starts.len())
        {
            // The alef's marks join the ligature's cell: the ligature is the last text
            // written, so they follow it. Controls between lam and alef join it too.
            let last = out.flags.len() - 1;
            let (src, _) = out.lens_sum(lig..last + 1);
            let text_start = self.text_start - out.lens_of(lig).1;
            out.long
                .truncate(out.long.partition_point(|e| (e.0 as usize) <= lig));
            out.flags.truncate(lig + 1);
            out.lens.truncate(lig + 1);
            let kept = s.starts.len() - (last - lig);
            s.starts.truncate(kept);
            s.classes.truncate(kept);
            out.set_lens(lig, src + end - self.start, out.shaped.len() - text_start);
            return;
        }
        let l1 = match self.class {
            BidiClass::S | BidiClass::B => L1_SEPARATOR,
            BidiClass::WS
            | BidiClass::FSI
            | BidiClass::LRI
            | BidiClass::RLI
            | BidiClass::PDI
            | BidiClass::BN
            | BidiClass::LRE
            | BidiClass::RLE
            | BidiClass::LRO
            | BidiClass::RLO
            | BidiClass::PDF
                if !self.marked =>
            {
                L1_TRAILING
            }
            _ => 0,
        };
        let mut flags = l1;
        if std::mem::take(pending_break) {
            flags |= BREAK;
        }
        s.starts.push(self.start as u32);
        s.classes.push(self.class);
        if !self.visible || self.absorbed || out.shaped.len() == self.text_start {
            out.shaped.truncate(self.text_start);
            out.push_cluster(flags | self.invisible, end - self.start, 0);
            return;
        }
        let mut width = self.width;
        if width == 0 {
            // A mark with no base (a leading haraka): give it a blank cell to sit on.
            out.shaped.insert(self.text_start, ' ');
            width = 1;
        }
        flags |= width.min(2) as u8;
        if self.space {
            flags |= SPACE;
        }
        out.push_cluster(flags, end - self.start, out.shaped.len() - self.text_start);
    }
}

impl Prepared {
    /// One pass over the paragraph's characters: grapheme clusters, Arabic shaping, line-break
    /// opportunities (ICU4X's line segmenter, alongside) and a summary of the bidi classes; then
    /// the levels, from that summary where it settles them, else from unicode-bidi. `None`
    /// (with the arena to roll back) when `sources` asks for fast grapheme boundaries and the
    /// text has a character the table does not know.
    fn build(
        &mut self,
        para: &str,
        para_level: u8,
        shape: bool,
        sources: Sources,
        s: &mut Scratch,
    ) -> Option<()> {
        s.starts.clear();
        s.classes.clear();
        // Text with no byte from U+0600 up (the Arabic blocks, the joiners) has nothing to
        // shape.
        let shape = shape && para.bytes().any(|b| b >= 0xD8);
        let mut library_starts = (!sources.fast_graphemes)
            .then(|| para.grapheme_indices(true).map(|(i, _)| i).peekable());
        let mut breaks = line_segmenter().segment_str(para);
        let mut next_break = breaks.next().unwrap_or(usize::MAX);
        let classes = bmp_classes();
        let mut summary = ClassSummary::default();
        let mut joiner = shaping::Joiner::default();
        let mut open: Option<OpenCluster> = None;
        let mut pending_break = false;
        let mut prev_control = false;
        let mut chars = para.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if library_starts.is_none() && (' '..='~').contains(&c) {
                // Printable ASCII: a cluster of its own, one column, joining nothing.
                let class = classes[c as usize];
                summary.add(class);
                if let Some(o) = open.take() {
                    o.close(i, self, s, &mut pending_break);
                }
                next_break = self.advance_breaks(&mut breaks, next_break, i, s, &mut pending_break);
                if shape {
                    joiner.non_joining();
                }
                prev_control = false;
                let o = open.insert(OpenCluster::new(i, self.shaped.len(), class));
                o.width = 1;
                o.visible = true;
                o.space = c == ' ';
                self.shaped.push(c);
                continue;
            }
            let class = classes
                .get(c as usize)
                .copied()
                .unwrap_or_else(|| unicode_bidi::bidi_class(c));
            summary.add(class);
            let info = char_info(c);
            let starts = match &mut library_starts {
                None => {
                    let g = fast_grapheme_class(info)?;
                    let starts = starts_cluster(g, prev_control, open.is_none());
                    prev_control = g == GraphemeClass::Control;
                    starts
                }
                Some(starts) => starts.next_if_eq(&i).is_some(),
            };
            if starts {
                if let Some(o) = open.take() {
                    o.close(i, self, s, &mut pending_break);
                }
                next_break = self.advance_breaks(&mut breaks, next_break, i, s, &mut pending_break);
            } else if let Some(o) = &mut open {
                o.marked |= class != BidiClass::BN;
                if matches!(o.class, BidiClass::ES | BidiClass::CS) {
                    summary.marked_separator = true;
                }
            }
            let o = open.get_or_insert_with(|| OpenCluster::new(i, self.shaped.len(), class));
            let shaped = if shape {
                let joining = info.map_or_else(|| shaping::joining(c), |i| i.joining);
                joiner.step(i, c, joining, || match chars.peek() {
                    // Most often the very next character (already decoded).
                    Some(&(j, d)) if joining_of(d) != shaping::Joining::Transparent => Some((j, d)),
                    Some(&(j, _)) => next_joining(para, j),
                    None => None,
                })
            } else {
                Shaped::Char(c)
            };
            o.space &= matches!(c, ' ' | '\u{3000}' | '\t');
            if self.invisible(o, c, class, &mut summary) {
                continue;
            }
            match shaped {
                Shaped::Char(d) | Shaped::Ligature(d) => {
                    self.draw(o, d, i, class, s, &mut pending_break);
                }
                Shaped::Absorbed => o.absorbed = true,
                Shaped::Hidden => {}
            }
        }
        if let Some(o) = open {
            o.close(para.len(), self, s, &mut pending_break);
        }
        let quick = match (self.reorder, sources.quick_levels) {
            (false, _) => Some(Quick::Uniform(para_level)),
            (true, true) => summary.quick(para_level),
            (true, false) => None,
        };
        self.resolve_levels(para, para_level, quick, s);
        Some(())
    }

    /// Adds `shaped` (from the character at byte `at`, of class `class`) to what `o` draws.
    #[inline]
    fn draw(
        &mut self,
        o: &mut OpenCluster,
        shaped: char,
        at: usize,
        class: BidiClass,
        scratch: &mut Scratch,
        pending_break: &mut bool,
    ) {
        let d = if shaped == '\t' { ' ' } else { shaped };
        let w = match char_info(d) {
            Some(info) => usize::from(info.width),
            None => cell_width(d),
        };
        // An emoji joined by a ZWJ to the one before is drawn in its glyph.
        let w = if std::mem::take(&mut o.after_zwj) && w == 2 {
            0
        } else {
            w
        };
        if o.width > 0 && o.width + w > 2 {
            // Wider than a wide character (spacing marks piled on a base, never in news
            // text): the rest goes on as a cluster of its own, so that every cell fits a line
            // of two columns.
            let next = OpenCluster::new(at, self.shaped.len(), class);
            std::mem::replace(o, next).close(at, self, scratch, pending_break);
        }
        o.width += w;
        self.shaped.push(d);
        o.visible = true;
    }

    /// Moves past the break opportunities up to byte `i`, where a cluster starts, and notes
    /// one right there (other than at the paragraph's start). One inside the cluster before
    /// (UAX #14 breaks between a space and a mark on it, LB10) becomes one before that
    /// cluster. Returns the next opportunity after `i`.
    #[inline]
    fn advance_breaks(
        &mut self,
        breaks: &mut impl Iterator<Item = usize>,
        mut next: usize,
        i: usize,
        s: &Scratch,
        pending_break: &mut bool,
    ) -> usize {
        while next <= i {
            if next == i && i > 0 {
                *pending_break = true;
            } else if s.starts.len() > 1
                && s.starts.last().is_some_and(|&start| next > start as usize)
                && let Some(last) = self.flags.last_mut()
            {
                *last |= BREAK;
            }
            next = breaks.next().unwrap_or(usize::MAX);
        }
        next
    }

    /// Takes `c` (of class `class`) into `o` if it draws nothing, and says whether it did.
    /// Bidi controls draw nothing (and the quick levels could not see them): isolates and
    /// the marks keep a level (X9 keeps them), embeddings, overrides and PDF do not. Other
    /// invisible format characters (boundary neutrals) take no cell either; the joiners stay
    /// in their cluster's text (a ZWJ joins an emoji sequence into one glyph, and both steer
    /// the terminal's shaping), and a soft hyphen shows only where a line breaks after it.
    #[inline]
    fn invisible(
        &mut self,
        o: &mut OpenCluster,
        c: char,
        class: BidiClass,
        summary: &mut ClassSummary,
    ) -> bool {
        if is_bidi_control(c) {
            summary.dropped_control = true;
            if matches!(
                c,
                '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{2066}'..='\u{2069}'
            ) {
                o.invisible = KIND_HIDDEN;
            }
            true
        } else if class == BidiClass::BN {
            if matches!(c, '\u{200C}' | '\u{200D}') {
                self.shaped.push(c);
                o.after_zwj = c == '\u{200D}';
            } else if c == '\u{00AD}' {
                o.invisible = KIND_SOFT_HYPHEN;
            }
            true
        } else {
            false
        }
    }

    /// Sets the level of every cluster of the paragraph just built: from the quick answer if
    /// there is one, else from unicode-bidi's resolution of the whole paragraph.
    fn resolve_levels(
        &mut self,
        para: &str,
        para_level: u8,
        quick: Option<Quick>,
        s: &mut Scratch,
    ) {
        s.levels.clear();
        match quick {
            Some(Quick::Uniform(level)) => {
                if level != para_level {
                    s.levels.resize(s.starts.len(), level);
                }
            }
            Some(Quick::RtlNumbers) => {
                s.levels.resize(s.classes.len(), 0);
                rtl_number_levels(&s.classes, &mut s.levels);
            }
            None => {
                let level = if para_level == 1 {
                    Level::rtl()
                } else {
                    Level::ltr()
                };
                let info = ParagraphBidiInfo::new_with_data_source(&FastClasses, para, Some(level));
                s.levels
                    .extend(s.starts.iter().map(|&i| info.levels[i as usize].number()));
            }
        }
        if s.levels.iter().any(|&l| l != para_level) {
            let p = self.para_start.len() - 1;
            self.multi.push((p as u32, self.levels.len() as u32));
            self.levels.extend_from_slice(&s.levels);
        }
    }
}

/// The line segmenter of the current UAX #14, with ICU4X's compiled data. Scripts written
/// without spaces between words (Thai, Lao, Khmer, Myanmar) break only where UAX #14's
/// rules say, with no dictionary: what the layout did before, and no model in the binary.
fn line_segmenter() -> icu_segmenter::LineSegmenterBorrowed<'static> {
    icu_segmenter::LineSegmenter::new_for_non_complex_scripts(
        icu_segmenter::options::LineBreakOptions::default(),
    )
}

/// The next character from byte `from` on that is not transparent to joining, with its index.
fn next_joining(para: &str, from: usize) -> Option<(usize, char)> {
    para.get(from..)?
        .char_indices()
        .find(|&(_, c)| joining_of(c) != shaping::Joining::Transparent)
        .map(|(k, c)| (from + k, c))
}

/// The joining type of `c`, from [`char_info`] where it has it.
#[inline]
fn joining_of(c: char) -> shaping::Joining {
    char_info(c).map_or_else(|| shaping::joining(c), |i| i.joining)
}

/// Which bidi classes a paragraph has, as far as telling whether its levels need unicode-bidi.
#[derive(Debug, Clone, Copy, Default)]
struct ClassSummary {
    /// A bit for each class seen (`1 << class`).
    seen: u32,
    /// Bidi marks and other controls the clusters drop, which the quick levels could not see.
    dropped_control: bool,
    /// A separator (ES, CS) carrying a mark, which rule W4 would read differently cluster by
    /// cluster than character by character.
    marked_separator: bool,
}

/// Levels settled by a look at the classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quick {
    /// Every character resolves to this level.
    Uniform(u8),
    /// An RTL paragraph whose only strong letters are right to left: see [`rtl_number_levels`].
    RtlNumbers,
}

impl ClassSummary {
    #[inline]
    fn add(&mut self, class: BidiClass) {
        self.seen |= 1 << class as u32;
    }

    /// Whether any of `classes` was seen.
    fn has(self, classes: &[BidiClass]) -> bool {
        classes.iter().any(|&c| self.seen & 1 << c as u32 != 0)
    }

    /// The levels, when UAX #9 needs no more than a look at the classes: an LTR paragraph
    /// without right-to-left letters, Arabic numbers or explicit formatting is all level 0
    /// (European numbers among Latin letters become L by W7); an RTL paragraph without
    /// left-to-right letters or explicit formatting is all level 1 but for its numbers.
    /// `None` when the full algorithm must run.
    fn quick(self, para_level: u8) -> Option<Quick> {
        use BidiClass::{AL, AN, B, BN, EN, FSI, L, LRE, LRI, LRO, PDF, PDI, R, RLE, RLI, RLO};
        // Explicit embeddings, overrides and isolates, boundary neutrals, paragraph separators.
        let explicit = [BN, LRE, RLE, LRO, RLO, PDF, LRI, RLI, FSI, PDI, B];
        if self.dropped_control || self.has(&explicit) {
            None
        } else if para_level == 0 {
            (!self.has(&[R, AL, AN])).then_some(Quick::Uniform(0))
        } else if self.has(&[L]) {
            None
        } else if !self.has(&[EN, AN]) {
            Some(Quick::Uniform(1))
        } else if self.marked_separator {
            None
        } else {
            Some(Quick::RtlNumbers)
        }
    }
}

/// UAX #9 for an RTL paragraph with no left-to-right letter and no explicit formatting, by
/// cluster (a cluster's marks take its base's type, W1). Every neutral sits between
/// right-to-left letters, numbers (which count as R for N1) or the paragraph's edges (R), so
/// it resolves to R: level 1. What ends up a number after the weak rules is at level 2: a
/// European number after an Arabic letter becomes Arabic (W2); a single separator between two
/// numbers of its kind joins them (W4); terminators next to a European number join it (W5).
fn rtl_number_levels(classes: &[BidiClass], levels: &mut [u8]) {
    const OTHER: u8 = 0;
    const EN: u8 = 1;
    const AN: u8 = 2;
    const ES: u8 = 3;
    const CS: u8 = 4;
    const ET: u8 = 5;
    // W1–W3, the resolved type kept in `levels` for now.
    let mut after_arabic = false;
    let mut prev = OTHER;
    for (level, &class) in levels.iter_mut().zip(classes) {
        let t = match class {
            BidiClass::AL => {
                after_arabic = true;
                OTHER
            }
            BidiClass::R => {
                after_arabic = false;
                OTHER
            }
            BidiClass::EN if after_arabic => AN,
            BidiClass::EN => EN,
            BidiClass::AN => AN,
            BidiClass::ES => ES,
            BidiClass::CS => CS,
            BidiClass::ET => ET,
            BidiClass::NSM => prev,
            _ => OTHER,
        };
        *level = t;
        prev = t;
    }
    // W4.
    for k in 1..levels.len().saturating_sub(1) {
        let (before, after, t) = (levels[k - 1], levels[k + 1], levels[k]);
        if before == after && (before == EN && (t == ES || t == CS) || before == AN && t == CS) {
            levels[k] = before;
        }
    }
    // W5.
    let mut k = 0;
    while k < levels.len() {
        if levels[k] != ET {
            k += 1;
            continue;
        }
        let start = k;
        while k < levels.len() && levels[k] == ET {
            k += 1;
        }
        let next_to_en = start > 0 && levels[start - 1] == EN || levels.get(k) == Some(&EN);
        if next_to_en {
            levels[start..k].fill(EN);
        }
    }
    // I2: numbers go up to 2, the rest stays at the paragraph's 1.
    for level in levels {
        *level = if *level == EN || *level == AN { 2 } else { 1 };
    }
}

/// How a character takes part in grapheme clustering, for the characters news text is made
/// of. Learnt from unicode-segmentation itself (see [`char_info`]), never typed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GraphemeClass {
    /// Starts a cluster, and the next character may attach to it.
    Base,
    /// Attaches to the character before it (marks, ZWNJ, ZWJ, spacing marks).
    Extend,
    /// A cluster of its own (tab, bidi controls, BOM): nothing attaches to it.
    Control,
    /// Takes part in rules this fast path does not follow (prepended concatenation marks,
    /// emoji sequences, CR): the paragraph goes to unicode-segmentation.
    Complex,
}

/// The ranges the fast path knows: Latin to Arabic Supplement, general punctuation (with
/// the joiners and bidi controls), and the Arabic presentation forms to the BOM.
const GRAPHEME_RANGES: [(u32, u32); 3] = [(0, 0x800), (0x2000, 0x2070), (0xFB50, 0xFF00)];

/// What the one-pass clustering asks of a character of [`GRAPHEME_RANGES`], in one look-up:
/// its grapheme class (learnt from unicode-segmentation), its width ([`cell_width`]) and its
/// joining type ([`shaping::joining`]).
#[derive(Debug, Clone, Copy)]
struct CharInfo {
    grapheme: GraphemeClass,
    width: u8,
    joining: shaping::Joining,
}

/// The [`CharInfo`] of `c`, or `None` outside [`GRAPHEME_RANGES`].
#[inline]
fn char_info(c: char) -> Option<CharInfo> {
    static TABLE: OnceLock<Vec<CharInfo>> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        GRAPHEME_RANGES
            .iter()
            .flat_map(|&(lo, hi)| lo..hi)
            .map(|u| match char::from_u32(u) {
                Some(c) => CharInfo {
                    grapheme: probe_grapheme_class(c),
                    width: cell_width(c) as u8,
                    joining: shaping::joining(c),
                },
                None => CharInfo {
                    grapheme: GraphemeClass::Complex,
                    width: 0,
                    joining: shaping::Joining::NonJoining,
                },
            })
            .collect()
    });
    let u = u32::from(c);
    let mut base = 0;
    for &(lo, hi) in &GRAPHEME_RANGES {
        if (lo..hi).contains(&u) {
            return table.get(base + (u - lo) as usize).copied();
        }
        base += (hi - lo) as usize;
    }
    None
}

/// Asks unicode-segmentation how `c` clusters with its neighbours.
fn probe_grapheme_class(c: char) -> GraphemeClass {
    let one = |s: String| s.graphemes(true).count() == 1;
    if c == '\r' {
        GraphemeClass::Complex
    } else if one(format!("a{c}")) {
        GraphemeClass::Extend
    } else if one(format!("{c}a")) || one(format!("{c}\u{200D}{c}")) {
        // Prepend (joins what follows), or an emoji that joins across a ZWJ.
        GraphemeClass::Complex
    } else if !one(format!("{c}\u{0301}")) {
        GraphemeClass::Control
    } else {
        GraphemeClass::Base
    }
}

/// The grapheme class of `c` for the fast path, `None` for what it leaves to
/// unicode-segmentation.
#[inline]
fn fast_grapheme_class(info: Option<CharInfo>) -> Option<GraphemeClass> {
    match info?.grapheme {
        GraphemeClass::Complex => None,
        known => Some(known),
    }
}

/// Whether a character of class `class` starts a cluster: every base and control does, and
/// whatever follows a control or opens the paragraph.
#[inline]
fn starts_cluster(class: GraphemeClass, prev_control: bool, first: bool) -> bool {
    first || prev_control || class != GraphemeClass::Extend
}

/// The bidi class of a character, from a table for the Basic Multilingual Plane (built once
/// from unicode-bidi's own data) and unicode-bidi's search above it.
pub fn bidi_class(c: char) -> BidiClass {
    bmp_classes()
        .get(c as usize)
        .copied()
        .unwrap_or_else(|| unicode_bidi::bidi_class(c))
}

/// The bidi classes of U+0000–U+FFFF, built once from unicode-bidi's data.
fn bmp_classes() -> &'static [BidiClass] {
    static BMP: OnceLock<Box<[BidiClass]>> = OnceLock::new();
    BMP.get_or_init(|| {
        (0..=0xFFFF_u32)
            .map(|u| char::from_u32(u).map_or(BidiClass::L, unicode_bidi::bidi_class))
            .collect()
    })
}

/// unicode-bidi's data with the fast class lookup of [`bidi_class`].
struct FastClasses;

impl unicode_bidi::BidiDataSource for FastClasses {
    fn bidi_class(&self, c: char) -> BidiClass {
        bidi_class(c)
    }
}

/// One line found by [`wrap`]: clusters `start..end`, of which `start..drawn` are drawn
/// (trailing whitespace is not), `width` columns wide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Wrapped {
    start: usize,
    drawn: usize,
    end: usize,
    width: usize,
    /// The line ends at a soft hyphen, drawn as a hyphen (counted in `width`).
    hyphen: bool,
}

/// The width of a run of clusters and of the whitespace at its end.
#[derive(Debug, Clone, Copy, Default)]
struct Fill {
    used: usize,
    trail: usize,
    trail_clusters: usize,
}

impl Fill {
    fn add(&mut self, flags: u8) {
        let w = usize::from(flags & WIDTH);
        self.used += w;
        if flags & SPACE != 0 {
            self.trail += w;
            self.trail_clusters += 1;
        } else {
            self.trail = 0;
            self.trail_clusters = 0;
        }
    }
}

/// Greedy line filling in one pass: each line ends at the last break opportunity that fits
/// (whitespace may hang past the edge), else between clusters; a cluster wider than the line
/// stands alone.
fn wrap(clusters: &[u8], max: usize, mut emit: impl FnMut(Wrapped)) {
    let mut start = 0;
    let mut fill = Fill::default();
    // The last break opportunity on this line, the fill of the line before it, and whether
    // the line would end with a hyphen (a break after a soft hyphen, which must fit).
    let mut last_break: Option<(usize, Fill, bool)> = None;
    let mut i = 0;
    while i < clusters.len() {
        let c = clusters[i];
        if i > start && c & BREAK != 0 {
            let hyphen = clusters[i - 1] & KIND == KIND_SOFT_HYPHEN;
            if !hyphen || fill.used < max {
                last_break = Some((i, fill, hyphen));
            }
        }
        if c & SPACE != 0 || fill.used + usize::from(c & WIDTH) <= max {
            fill.add(c);
            i += 1;
            continue;
        }
        // Over the edge: break at the last opportunity, else between clusters.
        let (at, line, hyphen) = match last_break {
            Some((b, before, hyphen)) if b > start => (b, before, hyphen),
            _ if i > start => (i, fill, false),
            _ => {
                // A cluster wider than the line: alone on its own line.
                let mut alone = Fill::default();
                alone.add(c);
                (i + 1, alone, false)
            }
        };
        emit(Wrapped {
            start,
            drawn: at - line.trail_clusters,
            end: at,
            width: line.used - line.trail + usize::from(hyphen),
            hyphen,
        });
        // What is left of this line (from the break to `i`) starts the next one.
        fill = if at < i {
            let rest = fill.used - line.used;
            Fill {
                used: rest,
                trail: fill.trail.min(rest),
                trail_clusters: fill.trail_clusters.min(i - at),
            }
        } else {
            Fill::default()
        };
        start = at;
        last_break = None;
        i = i.max(start);
    }
    if start < clusters.len() || start == 0 {
        emit(Wrapped {
            start,
            drawn: clusters.len() - fill.trail_clusters,
            end: clusters.len(),
            width: fill.used - fill.trail,
            hyphen: false,
        });
    }
}

/// The resolved level and original bidi class of each character of one paragraph (before L1),
/// with `None` for the characters rule X9 removes (unicode-bidi's answer, for the tests that
/// hold the quick levels to it).
#[cfg(test)]
fn char_levels(text: &str, dir: Direction) -> Vec<(Option<u8>, BidiClass)> {
    let level = match dir {
        Direction::Rtl => Level::rtl(),
        Direction::Ltr => Level::ltr(),
    };
    let info = ParagraphBidiInfo::new_with_data_source(&FastClasses, text, Some(level));
    text.char_indices()
        .map(|(i, _)| {
            let class = info.original_classes[i];
            let removed = removed_by_x9(class);
            ((!removed).then(|| info.levels[i].number()), class)
        })
        .collect()
}

/// The classes rule X9 removes: embeddings, overrides, PDF and boundary neutrals.
#[cfg(test)]
fn removed_by_x9(class: BidiClass) -> bool {
    use BidiClass::{BN, LRE, LRO, PDF, RLE, RLO};
    matches!(class, RLE | LRE | RLO | LRO | PDF | BN)
}

/// UAX #9 L2: the visual order of units with these levels (indices, left to right).
pub fn visual_order(levels: &[u8]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..levels.len()).collect();
    let Some(&max) = levels.iter().max() else {
        return order;
    };
    let min_odd = levels
        .iter()
        .copied()
        .filter(|l| l % 2 == 1)
        .min()
        .unwrap_or(max + 1);
    let mut level = max;
    while level >= min_odd && level > 0 {
        let mut i = 0;
        while i < order.len() {
            if levels[order[i]] >= level {
                let start = i;
                while i < order.len() && levels[order[i]] >= level {
                    i += 1;
                }
                order[start..i].reverse();
            } else {
                i += 1;
            }
        }
        level -= 1;
    }
    order
}

/// The mirrored glyph of a character (BidiMirroring.txt), if it has one.
pub fn mirror(c: char) -> Option<char> {
    /// Which characters of the Basic Multilingual Plane have a mirror, a bit each (8 KB,
    /// built at compile time): the letters and presentation forms of a right-to-left line
    /// are passed by one look.
    const BMP: [u64; 1024] = {
        let mut t = [0u64; 1024];
        let mut i = 0;
        while i < tables::MIRRORS.len() {
            let cp = tables::MIRRORS[i].0;
            if cp <= 0xFFFF {
                t[(cp / 64) as usize] |= 1 << (cp % 64);
            }
            i += 1;
        }
        t
    };
    let cp = u32::from(c);
    if cp <= 0xFFFF && BMP[(cp / 64) as usize] & 1 << (cp % 64) == 0 {
        return None;
    }
    tables::MIRRORS
        .binary_search_by_key(&cp, |&(a, _)| a)
        .ok()
        .and_then(|i| char::from_u32(tables::MIRRORS[i].1))
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

        /// The fast ways (grapheme boundaries from the learnt table, levels from a look at
        /// the classes) give the clusters the libraries give: unicode-segmentation's
        /// boundaries and unicode-bidi's levels.
        #[test]
        fn fast_clusters_agree_with_the_libraries(
            chars in proptest::collection::vec(proptest::sample::select(vec![
                'a', 'Z', 'é', 'ب', 'ل', 'ا', 'أ', 'ـ', '\u{05D0}', '1', '9', '\u{0661}',
                '\u{06F1}', ' ', '\t', '.', ',', ':', '%', '$', '#', '-', '+', '/', '(', ')',
                '[', ']', '«', '»', '"', '!', '\u{064E}', '\u{0651}', '\u{0301}', '\u{200C}',
                '\u{200D}', '\u{00A0}', '\u{2022}', '\u{200F}', '\u{2067}', '\u{2069}',
                '\u{202B}', '\u{202C}', '\u{061C}', '\u{FEFF}', '\u{3000}', '😀',
            ]), 0..40),
            rtl in proptest::prelude::any::<bool>(),
            reorder in proptest::prelude::any::<bool>(),
        ) {
            let text: String = chars.into_iter().collect();
            let libraries = Sources { fast_graphemes: false, quick_levels: false };
            let reference = built(&text, rtl, reorder, libraries);
            proptest::prop_assert!(reference.is_some());
            for sources in [Sources::FAST, Sources::LIBRARY_GRAPHEMES] {
                if let Some(got) = built(&text, rtl, reorder, sources) {
                    proptest::prop_assert_eq!(&Some(got), &reference, "{:?} {:?}", text, sources);
                }
            }
        }

        /// Paragraphs of Arabic letters, numbers, separators and terminators: the quick
        /// levels are unicode-bidi's, character by character.
        #[test]
        fn rtl_number_levels_agree_with_unicode_bidi(
            chars in proptest::collection::vec(proptest::sample::select(vec![
                'ب', 'ل', 'ا', '\u{05D0}', '1', '9', '\u{0661}', '\u{06F1}', ' ', '.', ',',
                ':', '%', '$', '#', '-', '+', '/', '(', ')', '«', '»', '\u{064E}', '\u{066A}',
                '\u{060C}', '\u{00B0}', '\u{2212}',
            ]), 1..40),
        ) {
            let text: String = chars.into_iter().collect();
            let p = built(&text, true, true, Sources::LIBRARY_GRAPHEMES).unwrap();
            let levels = char_levels(&text, Direction::Rtl);
            let starts: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
            let mut src = 0;
            for i in p.clusters_of(0) {
                let level = p.levels_of(0).map_or(1, |l| l[i]);
                let k = starts.binary_search(&src).unwrap();
                proptest::prop_assert_eq!(levels[k].0, Some(level), "{:?} at {}", text, k);
                src += p.lens_of(i).0;
            }
        }
    }

    /// One paragraph prepared with the grapheme boundaries and levels from `sources`.
    fn built(text: &str, rtl: bool, reorder: bool, sources: Sources) -> Option<Prepared> {
        let mut p = Prepared {
            reorder,
            ..Prepared::default()
        };
        p.para_start.push(0);
        p.para_flags.push(if rtl { P_RTL } else { 0 });
        p.build(text, u8::from(rtl), true, sources, &mut Scratch::default())?;
        Some(p)
    }

    #[test]
    fn every_mirrored_character_is_other_neutral() {
        for &(c, _) in tables::MIRRORS {
            let c = char::from_u32(c).unwrap();
            assert_eq!(bidi_class(c), BidiClass::ON, "{c:?}");
        }
    }

    /// The clusters the fast table makes of `s`, or unicode-segmentation's where it declines.
    fn fast_ranges(s: &str) -> Vec<(usize, usize)> {
        let mut out: Vec<(usize, usize)> = Vec::new();
        let mut prev_control = false;
        for (i, c) in s.char_indices() {
            let Some(class) = fast_grapheme_class(char_info(c)) else {
                return library_ranges(s);
            };
            if starts_cluster(class, prev_control, out.is_empty()) {
                if let Some(last) = out.last_mut() {
                    last.1 = i;
                }
                out.push((i, s.len()));
            }
            prev_control = class == GraphemeClass::Control;
        }
        out
    }

    fn grapheme_class(c: char) -> Option<GraphemeClass> {
        char_info(c).map(|i| i.grapheme)
    }

    fn library_ranges(s: &str) -> Vec<(usize, usize)> {
        s.grapheme_indices(true)
            .map(|(i, g)| (i, i + g.len()))
            .collect()
    }

    #[test]
    fn fast_grapheme_clusters_agree_with_unicode_segmentation() {
        // Every character the fast path knows, before, after and between neighbours of each
        // class (and the characters it leaves to the library, which must take over).
        let neighbours = [
            'a', 'ب', ' ', '\t', '\u{064E}', '\u{0651}', '\u{200C}', '\u{200D}', '\u{200F}',
            '\u{2067}', '\u{FEFF}', '\u{FEFB}', '\u{0600}', '\u{00A9}', '\r', '가', '😀',
        ];
        let mut checked = 0;
        for &(lo, hi) in &GRAPHEME_RANGES {
            for c in (lo..hi).filter_map(char::from_u32) {
                for &n in &neighbours {
                    for s in [
                        format!("{n}{c}"),
                        format!("{c}{n}"),
                        format!("{n}{c}{n}"),
                        format!("{c}{c}{n}{c}"),
                    ] {
                        assert_eq!(fast_ranges(&s), library_ranges(&s), "{s:?}");
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 100_000);
        // The fast path does cover news text.
        assert_eq!(grapheme_class('ب'), Some(GraphemeClass::Base));
        assert_eq!(grapheme_class('«'), Some(GraphemeClass::Base));
        assert_eq!(grapheme_class('\u{064E}'), Some(GraphemeClass::Extend));
        assert_eq!(grapheme_class('\u{200C}'), Some(GraphemeClass::Extend));
        assert_eq!(grapheme_class('\u{200F}'), Some(GraphemeClass::Control));
        assert_eq!(grapheme_class('\u{0600}'), Some(GraphemeClass::Complex));
        assert_eq!(grapheme_class('가'), None);
        let seed = include_str!("../assets/articles/000_c76da13a58358bbb.txt");
        for line in seed.lines() {
            assert_eq!(fast_ranges(line), library_ranges(line));
        }
    }

    fn rtl_opts() -> Options {
        Options {
            fallback: Direction::Rtl,
            ..Options::default()
        }
    }

    fn lines(text: &str, width: usize) -> Vec<String> {
        lay_out(text, width, rtl_opts())
            .iter()
            .map(VisualLine::visual_text)
            .collect()
    }

    fn one(text: &str) -> String {
        let l = lines(text, 0);
        assert_eq!(l.len(), 1, "{l:?}");
        l[0].clone()
    }

    #[test]
    fn the_seed_sentence_unwrapped_and_at_width_30() {
        let s = "وقال ماكجورك إن داعش فقد 95% من الأراضي (Thu - 16 Nov 2017) منذ 2014.";
        // libfribidi's output, minus the U+FEFF filler it leaves after a lam-alef ligature.
        assert_eq!(
            one(s),
            ".2014 ﺬﻨﻣ (Thu - 16 Nov 2017) ﻲﺿﺍﺭﻷﺍ ﻦﻣ %95 ﺪﻘﻓ ﺶﻋﺍﺩ ﻥﺇ ﻙﺭﻮﺠﻛﺎﻣ ﻝﺎﻗﻭ"
        );
        let laid = lay_out(s, 30, rtl_opts());
        let texts: Vec<String> = laid.iter().map(VisualLine::visual_text).collect();
        assert_eq!(
            texts,
            vec![
                "%95 ﺪﻘﻓ ﺶﻋﺍﺩ ﻥﺇ ﻙﺭﻮﺠﻛﺎﻣ ﻝﺎﻗﻭ",
                "(Thu - 16 Nov 2017) ﻲﺿﺍﺭﻷﺍ ﻦﻣ",
                ".2014 ﺬﻨﻣ"
            ]
        );
        for l in &laid {
            assert!(l.rtl);
            assert_eq!(
                l.offset + l.width,
                30,
                "right-aligned: {:?}",
                l.padded_text()
            );
        }
    }

    #[test]
    fn expected_visual_strings() {
        assert_eq!(one("7.5 مليون"), "ﻥﻮﻴﻠﻣ 7.5");
        assert_eq!(one("قال: «مرحبا»"), "«ﺎﺒﺣﺮﻣ» :ﻝﺎﻗ");
        assert_eq!(one("وقال Brett McGurk إن"), "ﻥﺇ Brett McGurk ﻝﺎﻗﻭ");
        assert_eq!(one("عـــربي"), "ﻲﺑﺮـــﻋ");
        assert_eq!(one("پاکستان کے لیے ہے"), "ﮯﮨ ﮯﯿﻟ ﮯﮐ ﻥﺎﺘﺴﮐﺎﭘ");
        let bbc = lay_out("BBC عربي", 0, rtl_opts());
        assert!(!bbc[0].rtl, "first strong letter is Latin");
        assert_eq!(bbc[0].visual_text(), "BBC ﻲﺑﺮﻋ");
    }

    #[test]
    fn cells_of_shaped_words() {
        let l = &lay_out("السلام", 0, rtl_opts())[0];
        assert_eq!(l.visual_text(), "ﻡﻼﺴﻟﺍ");
        assert_eq!(l.cells.len(), 5);
        assert_eq!(l.width, 5);
        let la = &lay_out("لَا", 0, rtl_opts())[0];
        assert_eq!(la.cells.len(), 1);
        assert_eq!(la.cell_text(&la.cells[0]), "\u{FEFB}\u{064E}");
        assert_eq!(la.cells[0].src, 0.."لَا".len());
        let m = &lay_out("مُحَمَّدٌ", 0, rtl_opts())[0];
        assert_eq!(m.cells.len(), 4);
        let marks: usize = m
            .cells
            .iter()
            .map(|c| {
                m.cell_text(c)
                    .chars()
                    .filter(|&ch| cell_width(ch) == 0)
                    .count()
            })
            .sum();
        assert_eq!(marks, 5);
        // Each mark sits on its own letter: the dal (last, leftmost) carries the tanween.
        assert_eq!(m.cell_text(&m.cells[0]), "\u{FEAA}\u{064C}");
        let zwnj = &lay_out("می‌خواهم", 0, rtl_opts())[0];
        assert_eq!(
            zwnj.width, 7,
            "the ZWNJ keeps the break and takes no column"
        );
        assert_eq!(zwnj.cells.len(), 7);
        assert!(
            zwnj.visual_text().contains('\u{200C}'),
            "kept in its cluster, for the terminal's shaping"
        );
    }

    #[test]
    fn isolates_and_marks_take_part_in_reordering() {
        // FriBidi and ICU agree on both.
        assert_eq!(one("قال \u{2066}abc\u{2069}def"), "defabc ﻝﺎﻗ");
        assert_eq!(one("١٢\u{061C}٣٤"), "٣٤١٢");
        // An RLM between two numbers in LTR text makes them a right-to-left run (W7 leaves
        // the second a number after the R; N1 puts the mark between them at level 1).
        let ltr = Options::default();
        assert_eq!(lay_out("1\u{200F}2", 0, ltr)[0].visual_text(), "21");
        assert_eq!(lay_out("12", 0, ltr)[0].visual_text(), "12");
        // What they draw: nothing, no cell.
        let l = &lay_out("قال \u{2066}abc\u{2069}def", 0, rtl_opts())[0];
        assert_eq!(l.cells.len(), 10);
        assert_eq!(l.width, 10);
    }

    #[test]
    fn a_space_with_a_mark_is_not_trailing_whitespace() {
        // In an LTR paragraph, the line ends after an Arabic letter and a space carrying a
        // mark, between two Arabic letters (level 1). L1 resets trailing whitespace to the
        // paragraph level; the marked space is not whitespace, so it stays at level 1 with
        // the letter and is drawn on its left.
        let ltr = Options::default();
        let marked = &lay_out("a ب \u{064E} ب", 5, ltr)[0];
        let texts: Vec<&str> = marked.cells.iter().map(|c| marked.cell_text(c)).collect();
        assert_eq!(texts, ["a", " ", " \u{064E}", "\u{FE8F}"]);
        assert_eq!(marked.cells[2].level, 1);
        // A bare space there is trailing: reset to level 0, and not drawn.
        let bare = &lay_out("a ب  ب", 5, ltr)[0];
        assert_eq!(bare.visual_text(), "a \u{FE8F}");
    }

    #[test]
    fn invisible_format_characters_take_no_cell() {
        let ltr = Options::default();
        for c in [
            '\u{200B}', '\u{2060}', '\u{2061}', '\u{2062}', '\u{2063}', '\u{2064}', '\u{206A}',
            '\u{206F}', '\u{180E}', '\u{FEFF}', '\u{00AD}',
        ] {
            let s = format!("news{c}paper");
            let l = &lay_out(&s, 0, ltr)[0];
            assert_eq!(l.visual_text(), "newspaper", "U+{:04X}", u32::from(c));
            assert_eq!(l.width, 9);
        }
        assert_eq!(one("كلمة\u{200B}أخرى"), "ﻯﺮﺧﺃﺔﻤﻠﻛ");
        // ZWSP is a break opportunity; the line breaks there and draws nothing for it.
        let lines: Vec<String> = lay_out("news\u{200B}paper", 6, ltr)
            .iter()
            .map(VisualLine::visual_text)
            .collect();
        assert_eq!(lines, ["news", "paper"]);
    }

    #[test]
    fn a_soft_hyphen_shows_only_where_the_line_breaks() {
        let ltr = Options::default();
        let at = |w: usize| -> Vec<String> {
            lay_out("a news\u{00AD}paper", w, ltr)
                .iter()
                .map(VisualLine::visual_text)
                .collect()
        };
        assert_eq!(at(0), ["a newspaper"]);
        assert_eq!(at(7), ["a news-", "paper"]);
        // No room for the hyphen: the line breaks before the word.
        assert_eq!(at(6), ["a", "news-", "paper"]);
        let laid = lay_out("a news\u{00AD}paper", 7, ltr);
        assert_eq!(laid[0].width, 7);
        let hyphen = laid[0].cells.last().unwrap();
        assert_eq!((hyphen.width, laid[0].cell_text(hyphen)), (1, "-"));
        // Arabic: the hyphen ends the word, on its left.
        let ar: Vec<String> = lay_out("قال كلمة\u{00AD}أخرى", 9, rtl_opts())
            .iter()
            .map(VisualLine::visual_text)
            .collect();
        assert_eq!(ar, ["-ﺔﻤﻠﻛ ﻝﺎﻗ", "ﻯﺮﺧﺃ"]);
    }

    #[test]
    fn emoji_sequences_are_one_wide_cell() {
        let family = "👨\u{200D}👩\u{200D}👧\u{200D}👦";
        assert_eq!(cluster_width(family), 2);
        assert_eq!(str_width(family), 2);
        let l = &lay_out(&format!("{family} ok"), 0, Options::default())[0];
        assert_eq!(l.cells.len(), 4);
        assert_eq!(l.cell_text(&l.cells[0]), family, "the ZWJs are kept");
        assert_eq!(l.cells[0].width, 2);
        assert_eq!(l.width, 5);
        assert_eq!(str_width(&l.padded_text()), 5);
        // Without the joiners, four emoji: eight columns.
        assert_eq!(str_width("👨👩👧👦"), 8);
    }

    #[test]
    fn levels_of_the_whole_paragraph_not_of_each_line() {
        // The second line starts with Latin; it must stay in the RTL paragraph.
        let laid = lay_out("منذ Thu - 16 Nov 2017) منذ 2014.", 12, rtl_opts());
        assert!(laid.iter().all(|l| l.rtl));
        for l in &laid {
            assert!(l.width <= 12);
        }
    }

    #[test]
    fn bidi_controls_never_reach_the_output() {
        let s = "\u{202B}نص\u{202C} \u{2067}BBC\u{2069} \u{200F}x\u{061C}\u{FEFF}";
        for l in lay_out(s, 0, rtl_opts()) {
            assert!(
                !l.visual_text().chars().any(is_bidi_control),
                "{:?}",
                l.visual_text()
            );
        }
    }

    #[test]
    fn deep_isolate_nesting_does_not_panic() {
        let s = format!("{}1", "\u{2067}".repeat(125));
        let _ = lay_out(&s, 10, rtl_opts());
        let s = format!("{}1{}", "\u{202B}".repeat(200), "\u{202C}".repeat(3));
        let _ = lay_out(&s, 10, rtl_opts());
    }

    #[test]
    fn odd_input_does_not_panic() {
        for s in [
            "\u{064E}عربي",
            "\u{200D}",
            "",
            "\n\n",
            "a\tb",
            "\u{064E}",
            "😀 عربي 中文",
        ] {
            for w in [0, 1, 2, 5] {
                for l in lay_out(s, w, rtl_opts()) {
                    if w > 0 {
                        assert!(l.width <= w.max(2));
                    }
                }
            }
        }
        let lead = &lay_out("\u{064E}ب", 0, rtl_opts())[0];
        assert_eq!(lead.width, 2);
    }

    #[test]
    fn modes() {
        let s = "قال: «مرحبا» BBC";
        let terminal = Options {
            mode: BidiMode::Terminal,
            ..rtl_opts()
        };
        let l = &lay_out(s, 40, terminal)[0];
        assert_eq!(l.visual_text(), s, "logical and unshaped");
        assert!(l.rtl);
        assert_eq!(l.offset, 40 - l.width);
        let off = Options {
            mode: BidiMode::Off,
            ..rtl_opts()
        };
        let l = &lay_out("لا", 0, off)[0];
        assert_eq!(
            l.visual_text(),
            "\u{FEFB}",
            "off keeps logical order but shapes"
        );
        let no_shape = Options {
            shape: false,
            ..rtl_opts()
        };
        assert_eq!(lay_out("سلام", 0, no_shape)[0].visual_text(), "مالس");
    }

    #[test]
    fn empty_and_neutral_paragraphs() {
        assert!(lay_out("", 10, rtl_opts()).is_empty());
        let l = lay_out("123 - 456", 20, rtl_opts());
        assert!(l[0].rtl, "no strong letter: the article's direction");
        let ltr = Options::default();
        assert!(!lay_out("123 - 456", 20, ltr)[0].rtl);
    }

    #[test]
    fn hard_breaks_and_byte_ranges() {
        let s = "first line\nسطر ثان";
        let laid = lay_out(s, 40, rtl_opts());
        assert_eq!(laid.len(), 2);
        assert!(!laid[0].rtl);
        assert!(laid[1].rtl);
        assert_eq!(laid[1].src, 11..s.len());
        for l in &laid {
            for c in &l.cells {
                assert!(s.get(c.src.clone()).is_some());
            }
        }
    }

    #[test]
    fn long_words_break_between_clusters() {
        let laid = lay_out("abcdefghij", 4, Options::default());
        let t: Vec<_> = laid.iter().map(VisualLine::visual_text).collect();
        assert_eq!(t, vec!["abcd", "efgh", "ij"]);
    }

    #[test]
    fn visual_order_reverses_by_level() {
        assert_eq!(visual_order(&[0, 0, 1, 1, 0]), vec![0, 1, 3, 2, 4]);
        assert_eq!(visual_order(&[1, 2, 2, 1]), vec![3, 1, 2, 0]);
        assert_eq!(mirror('('), Some(')'));
        assert_eq!(mirror('«'), Some('»'));
        assert_eq!(mirror('a'), None);
    }
}
