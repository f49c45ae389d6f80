//! The bidi layout engine: one block of logical text and a width in, visual lines out.
//!
//! Pure: no terminal, no I/O; it imports only the text layer ([`crate::text`]). The work is
//! done in two stages, so that a resize only has to do the second.
//!
//! Preparing ([`prepare`], [`Prepared`]; `arena` holds the result), once per text: for each
//! paragraph (a block splits at `\n`)
//! 1. its direction (`levels`: an article's paragraph by [`article_paragraph_direction`],
//!    other text by UAX #9 P2/P3; a paragraph without a strong letter takes the article's
//!    direction);
//! 2. one pass over its characters (`clusters`): grapheme clusters, Arabic shaping in
//!    logical order ([`shaping`]), each cluster's width as terminals draw it
//!    ([`crate::text::cluster_width`]), the line-break opportunities of the current UAX #14
//!    alongside (ICU4X's segmenter, which follows Unicode 15.1's relaxed LB15 and later
//!    rules), and a summary of the bidi classes. Clusters that draw nothing (bidi controls,
//!    invisible format characters, a soft hyphen but where a line breaks after it) take no
//!    cell; isolates and bidi marks among them still take part in reordering (UAX #9 X9);
//! 3. the embedding levels of the whole paragraph, once (`levels`): from the class summary
//!    where it settles them, else from unicode-bidi.
//!
//! Laying out ([`Prepared::lay_out`]) for a width:
//! 4. line breaking (`wrap`): greedy, at the opportunities found, measured in cells, words
//!    wider than the line broken between clusters; RTL lines aligned to the right edge, LTR
//!    to the left;
//! 5. per line, as it is drawn (`reorder`): UAX #9 L1 and L2 with the paragraph's levels,
//!    reversing whole clusters (so a haraka stays with its letter), then L4 mirroring at odd
//!    levels.
//!
//! Every cell keeps the byte range of the source text it came from, so search highlights and
//! reading positions survive reordering and re-wrapping. Bidi controls steer the algorithm and
//! never appear in the output.

mod arena;
mod clusters;
mod levels;
mod reorder;
pub mod shaping;
#[cfg(test)]
mod tests;
mod wrap;

use std::ops::Range;

use unicode_bidi::BidiClass;

use crate::text::Direction;

pub use levels::{article_paragraph_direction, paragraph_direction};
pub use reorder::visual_order;

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
    /// In [`BidiMode::Terminal`]: whether the text's isolates (LRI, RLI, FSI, PDI) and bidi
    /// marks (LRM, RLM, ALM) go to the terminal, zero-width, at the end of the cell before
    /// them (VTE takes them so); mlterm draws each as a cell of its own, so it gets none.
    pub controls: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            base: BaseDir::Auto,
            fallback: Direction::Ltr,
            mode: BidiMode::App,
            shape: true,
            controls: true,
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

    /// The bytes of bidi controls (kept for the terminal: [`Options::controls`]) that start
    /// the first cell's text.
    pub fn leading_controls(&self) -> usize {
        self.cells.first().map_or(0, |c| {
            let text = self.cell_text(c);
            text.len() - text.trim_start_matches(crate::text::is_bidi_control).len()
        })
    }

    /// Takes the bidi controls that start the first cell's text out of it.
    pub fn take_leading_controls(&mut self) -> String {
        let n = self.leading_controls();
        let Some(c) = self.cells.first_mut() else {
            return String::new();
        };
        let start = c.text.start as usize;
        c.text.start += n as u32;
        self.text.get(start..start + n).unwrap_or("").to_owned()
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

    /// A line of the one-column characters of `s`, one cell each, from no source text
    /// (padding, rules, separators).
    pub fn filler(s: &str) -> Self {
        let mut line = Self::default();
        for c in s.chars() {
            let start = line.text.len() as u32;
            line.text.push(c);
            line.cells.push(Cell {
                text: start..line.text.len() as u32,
                width: 1,
                level: 0,
                src: 0..0,
            });
        }
        line.width = line.cells.len();
        line
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
    /// Whether isolates and bidi marks keep their text (the terminal mode, for a terminal
    /// that takes them: [`Options::controls`]); it goes with the cell before them.
    controls: bool,
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

/// Buffers reused from paragraph to paragraph while preparing ([`Prepared::push_block`]).
#[derive(Debug, Default)]
pub struct Scratch {
    /// Where each cluster of the paragraph starts in it.
    starts: Vec<u32>,
    /// The bidi class of each cluster's first character.
    classes: Vec<BidiClass>,
    /// The paragraph's levels, by cluster.
    levels: Vec<u8>,
}

/// How far a walk over the clusters has come ([`Prepared::wrap_paragraph`]): the cluster, and the source (from the start of
/// the paragraph) and shaped text (from the start of the arena) before it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Cursor {
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
