//! The bidi layout engine: one block of logical text and a width in, visual lines out.
//!
//! Pure: no terminal, no I/O. For each paragraph (a block splits at `\n`), in this order:
//! 1. the paragraph direction (UAX #9 P2/P3; a paragraph without a strong letter takes the
//!    article's direction);
//! 2. the embedding levels of the whole paragraph, once (unicode-bidi);
//! 3. Arabic shaping in logical order ([`shaping`]), grouped into grapheme clusters, each of
//!    which becomes one cell;
//! 4. line breaking at UAX #14 opportunities (unicode-linebreak), measured in cells with
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
/// 2 for wide characters, else 1. The project's one width function: a line's width is the sum
/// of its cells', measured this way.
#[inline]
pub fn cell_width(c: char) -> usize {
    if c == '\t' || (' '..='~').contains(&c) {
        return 1;
    }
    c.width().unwrap_or(0)
}

/// The width of a string measured cell by cell with [`cell_width`] (for text qari does not
/// shape: Latin labels, numbers; never for unshaped Arabic).
pub fn str_width(s: &str) -> usize {
    s.chars().map(cell_width).sum()
}

/// Lays out one block. `width` 0 means no wrapping (one visual line per paragraph).
pub fn lay_out(text: &str, width: usize, opts: Options) -> Vec<VisualLine> {
    prepare(text, opts).lay_out(width)
}

/// One block with all the work that does not depend on the width done: paragraph directions,
/// bidi levels, shaping, grapheme clusters and their widths, line-break opportunities.
/// [`Prepared::lay_out`] then wraps and reorders it for any width, which is all a resize
/// has to do.
#[derive(Debug, Clone, Default)]
pub struct Prepared {
    paragraphs: Vec<PreparedParagraph>,
}

#[derive(Debug, Clone)]
struct PreparedParagraph {
    /// Where the paragraph starts in the block.
    base: usize,
    len: usize,
    rtl: bool,
    reorder: bool,
    /// The sum of the clusters' widths (to size the output).
    total_width: usize,
    clusters: Vec<Cluster>,
    shaped: String,
}

/// Prepares one block for layout at any width.
pub fn prepare(text: &str, opts: Options) -> Prepared {
    let mut paragraphs = Vec::new();
    if !text.is_empty() {
        let mut start = 0;
        for para in text.split('\n') {
            paragraphs.push(prepare_paragraph(para, start, opts));
            start += para.len() + 1;
        }
    }
    Prepared { paragraphs }
}

impl Prepared {
    /// The visual lines for `width` columns (0: no wrapping).
    pub fn lay_out(&self, width: usize) -> Vec<VisualLine> {
        let max = if width == 0 { usize::MAX } else { width };
        let estimate = self
            .paragraphs
            .iter()
            .map(|p| p.total_width / max + 1)
            .sum();
        let mut out = Vec::with_capacity(estimate);
        for p in &self.paragraphs {
            p.lay_out(max, &mut out);
        }
        out
    }
}

/// The direction of one paragraph.
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

/// A grapheme cluster of the paragraph, in logical order, shaped.
#[derive(Debug, Clone)]
struct Cluster {
    /// Source bytes, relative to the paragraph.
    src: Range<u32>,
    /// What to draw: a range of the paragraph's shaped text.
    text: Range<u32>,
    /// The first character of `text` (most clusters are that one character).
    first: char,
    width: u8,
    level: u8,
    class: BidiClass,
    /// A line may break before this cluster.
    break_before: bool,
    /// Whitespace that may hang past the edge and is not drawn at a soft break.
    space: bool,
}

fn prepare_paragraph(para: &str, base: usize, opts: Options) -> PreparedParagraph {
    let dir = paragraph_direction(para, opts.base, opts.fallback);
    let rtl = dir == Direction::Rtl;
    let para_level: u8 = u8::from(rtl);
    let reorder = opts.mode == BidiMode::App;
    let shape = opts.shape && opts.mode != BidiMode::Terminal;
    let (clusters, shaped) = clusters(para, para_level, reorder, shape);
    PreparedParagraph {
        base,
        len: para.len(),
        rtl,
        reorder,
        total_width: clusters.iter().map(|c| usize::from(c.width)).sum(),
        clusters,
        shaped,
    }
}

impl PreparedParagraph {
    fn lay_out(&self, max: usize, out: &mut Vec<VisualLine>) {
        let Self {
            base,
            len,
            rtl,
            reorder,
            total_width: _,
            ref clusters,
            ref shaped,
        } = *self;
        let para_level = u8::from(rtl);
        if clusters.is_empty() {
            out.push(VisualLine {
                rtl,
                src: base..base + len,
                ..VisualLine::default()
            });
            return;
        }
        for range in wrap(clusters, max) {
            let line_src = clusters[range.start].src.start as usize
                ..clusters
                    .get(range.end)
                    .map_or(len, |c| c.src.start as usize);
            // Trailing whitespace is never drawn.
            let mut end = range.end;
            while end > range.start && clusters[end - 1].space {
                end -= 1;
            }
            let line = &clusters[range.start..end];
            let mut vl = VisualLine {
                text: String::with_capacity(line.iter().map(|c| c.text.len()).sum()),
                cells: Vec::with_capacity(line.len()),
                offset: 0,
                width: 0,
                rtl,
                src: base + line_src.start..base + line_src.end,
            };
            let mut push = |c: &Cluster, level: u8| {
                let start = vl.text.len() as u32;
                // Only ON characters mirror (a test checks the table): letters skip the look-up.
                let mirrors = reorder && level % 2 == 1 && c.class == BidiClass::ON;
                if !mirrors && (c.text.end - c.text.start) as usize == c.first.len_utf8() {
                    // One character: no slicing.
                    vl.text.push(c.first);
                } else {
                    let text = shaped
                        .get(c.text.start as usize..c.text.end as usize)
                        .unwrap_or("");
                    let mirrored = if mirrors { mirror_cluster(text) } else { None };
                    // Character by character: cells are a few bytes, too short for a copy call.
                    for ch in mirrored.as_deref().unwrap_or(text).chars() {
                        vl.text.push(ch);
                    }
                }
                vl.cells.push(Cell {
                    text: start..vl.text.len() as u32,
                    width: c.width,
                    level,
                    src: base + c.src.start as usize..base + c.src.end as usize,
                });
                vl.width += usize::from(c.width);
            };
            if !reorder || line.iter().all(|c| c.level == para_level) {
                // The whole line at the paragraph level (L1 can only set that level): it
                // reads as it is, or reversed.
                if reorder && para_level == 1 {
                    for c in line.iter().rev() {
                        push(c, para_level);
                    }
                } else {
                    for c in line {
                        push(c, para_level);
                    }
                }
            } else {
                let mut levels: Vec<u8> = line.iter().map(|c| c.level).collect();
                let classes: Vec<BidiClass> = line.iter().map(|c| c.class).collect();
                apply_l1(&mut levels, &classes, para_level);
                for i in visual_order(&levels) {
                    push(&line[i], levels[i]);
                }
            }
            if rtl && max != usize::MAX {
                vl.offset = max.saturating_sub(vl.width);
            }
            out.push(vl);
        }
    }
}

/// Splits the paragraph into shaped grapheme clusters, dropping bidi controls.
fn clusters(para: &str, para_level: u8, reorder: bool, shape: bool) -> (Vec<Cluster>, String) {
    // Most paragraphs of news text resolve to one level throughout; only the others need
    // unicode-bidi's full resolution.
    let chars: Vec<(usize, char)> = para.char_indices().collect();
    let info = (reorder && uniform_level(&chars, para_level).is_none()).then(|| {
        let level = if para_level == 1 {
            Level::rtl()
        } else {
            Level::ltr()
        };
        ParagraphBidiInfo::new_with_data_source(&FastClasses, para, Some(level))
    });
    // Text with no byte from U+0600 up (the Arabic blocks, the joiners) has nothing to shape.
    let shaped: Option<Vec<Shaped>> =
        (shape && para.bytes().any(|b| b >= 0xD8)).then(|| shaping::shape_indexed(&chars));
    let mut breaks = unicode_linebreak::linebreaks(para).peekable();
    let mut out: Vec<Cluster> = Vec::with_capacity(para.len() / 2);
    let mut buf = String::with_capacity(para.len() + 8);
    let mut ci = 0; // index into `chars`
    let mut pending_break = false;
    for (start, end) in grapheme_ranges(para, &chars) {
        let g = para.get(start..end).unwrap_or("");
        while let Some(&(at, _)) = breaks.peek() {
            if at > start {
                break;
            }
            if at == start && start > 0 {
                pending_break = true;
            }
            breaks.next();
        }
        let text_start = buf.len();
        let mut width = 0;
        let mut absorbed = false;
        let mut visible = false;
        let first_ci = ci;
        while ci < chars.len() && chars[ci].0 < end {
            let c = chars[ci].1;
            let s = shaped.as_ref().map_or(Shaped::Char(c), |v| v[ci]);
            ci += 1;
            if is_bidi_control(c) {
                continue;
            }
            match s {
                Shaped::Char(d) | Shaped::Ligature(d) => {
                    let d = if d == '\t' { ' ' } else { d };
                    width += cell_width(d);
                    buf.push(d);
                    visible = true;
                }
                Shaped::Absorbed => absorbed = true,
                Shaped::Hidden => {}
            }
        }
        if absorbed && let Some(prev) = out.last_mut() {
            // The alef of a lam-alef ligature: its marks join the ligature's cell (the
            // ligature is the last text written, so they follow it in the buffer).
            prev.text.end = buf.len() as u32;
            prev.src.end = end as u32;
            continue;
        }
        if !visible || buf.len() == text_start {
            buf.truncate(text_start);
            continue;
        }
        if width == 0 {
            // A mark with no base (a leading haraka): give it a blank cell to sit on.
            buf.insert(text_start, ' ');
            width = 1;
        }
        let first = chars[first_ci].0;
        let (level, class) = match &info {
            Some(info) => (info.levels[first].number(), info.original_classes[first]),
            None => (para_level, bidi_class(chars[first_ci].1)),
        };
        let space = g.chars().all(|c| c == ' ' || c == '\u{3000}' || c == '\t');
        let first_char = buf
            .get(text_start..)
            .and_then(|t| t.chars().next())
            .unwrap_or(' ');
        out.push(Cluster {
            first: first_char,
            src: start as u32..end as u32,
            text: text_start as u32..buf.len() as u32,
            width: width.min(2) as u8,
            level,
            class,
            break_before: std::mem::take(&mut pending_break),
            space,
        });
    }
    (out, buf)
}

/// How a character takes part in grapheme clustering, for the characters news text is made
/// of. Learnt from unicode-segmentation itself (see [`grapheme_class`]), never typed in.
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

/// The class of `c`, or `None` outside [`GRAPHEME_RANGES`].
fn grapheme_class(c: char) -> Option<GraphemeClass> {
    static TABLE: OnceLock<Vec<GraphemeClass>> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        GRAPHEME_RANGES
            .iter()
            .flat_map(|&(lo, hi)| lo..hi)
            .map(|u| char::from_u32(u).map_or(GraphemeClass::Complex, probe_grapheme_class))
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

/// The byte ranges of the paragraph's grapheme clusters (UAX #29 extended clusters). Text made
/// only of characters with a known [`GraphemeClass`] is split in one pass (a cluster starts at
/// every base or control, and after a control); anything else goes to unicode-segmentation.
fn grapheme_ranges(para: &str, chars: &[(usize, char)]) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::with_capacity(chars.len() + 1);
    let mut prev_control = false;
    for &(i, c) in chars {
        let class = if c.is_ascii() && c != '\r' && c != '\t' && !c.is_ascii_control() {
            GraphemeClass::Base
        } else {
            match grapheme_class(c) {
                Some(GraphemeClass::Complex) | None => {
                    return para
                        .grapheme_indices(true)
                        .map(|(s, g)| (s, s + g.len()))
                        .collect();
                }
                Some(k) => k,
            }
        };
        let starts = class != GraphemeClass::Extend || prev_control || out.is_empty();
        if starts {
            if let Some(last) = out.last_mut() {
                last.1 = i;
            }
            out.push((i, para.len()));
        }
        prev_control = class == GraphemeClass::Control;
    }
    out
}

/// The one level every character of the paragraph resolves to, when UAX #9 needs no more
/// than a look at its classes: an LTR paragraph without right-to-left letters, Arabic
/// numbers or explicit formatting is all level 0 (European numbers among Latin letters
/// become L by W7); an RTL paragraph without left-to-right letters, numbers or explicit
/// formatting is all level 1. `None` when the full algorithm must run.
fn uniform_level(chars: &[(usize, char)], para_level: u8) -> Option<u8> {
    use BidiClass::{AL, AN, BN, EN, FSI, L, LRE, LRI, LRO, PDF, PDI, R, RLE, RLI, RLO};
    for &(_, c) in chars {
        let bail = match bidi_class(c) {
            L | EN => para_level == 1,
            R | AL => para_level == 0,
            AN | BN | LRE | RLE | LRO | RLO | PDF | LRI | RLI | FSI | PDI => true,
            _ => false,
        };
        if bail {
            return None;
        }
    }
    Some(para_level)
}

/// The bidi class of a character, from a table for the Basic Multilingual Plane (built once
/// from unicode-bidi's own data) and unicode-bidi's search above it.
pub fn bidi_class(c: char) -> BidiClass {
    static BMP: OnceLock<Box<[BidiClass]>> = OnceLock::new();
    let table = BMP.get_or_init(|| {
        (0..=0xFFFF_u32)
            .map(|u| char::from_u32(u).map_or(BidiClass::L, unicode_bidi::bidi_class))
            .collect()
    });
    table
        .get(c as usize)
        .copied()
        .unwrap_or_else(|| unicode_bidi::bidi_class(c))
}

/// unicode-bidi's data with the fast class lookup of [`bidi_class`].
struct FastClasses;

impl unicode_bidi::BidiDataSource for FastClasses {
    fn bidi_class(&self, c: char) -> BidiClass {
        bidi_class(c)
    }
}

/// Greedy line filling: the cluster ranges of each line.
fn wrap(clusters: &[Cluster], max: usize) -> Vec<Range<usize>> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut used = 0;
    let mut last_break: Option<usize> = None;
    let mut i = 0;
    while i < clusters.len() {
        let c = &clusters[i];
        if i > start && c.break_before {
            last_break = Some(i);
        }
        if c.space || used + usize::from(c.width) <= max {
            used += usize::from(c.width);
            i += 1;
            continue;
        }
        // Over the edge: break at the last opportunity, else between clusters.
        let at = match last_break {
            Some(b) if b > start => b,
            _ if i > start => i,
            _ => i + 1, // a cluster wider than the line: alone on its own line
        };
        lines.push(start..at);
        start = at;
        last_break = None;
        used = clusters[start..i.max(start)]
            .iter()
            .map(|c| usize::from(c.width))
            .sum();
        i = i.max(start);
    }
    if start < clusters.len() || lines.is_empty() {
        lines.push(start..clusters.len());
    }
    lines
}

/// The resolved level and original bidi class of each character of one paragraph (before L1),
/// with `None` for the characters rule X9 removes. This is what the layout reorders by; it is
/// public for the conformance tests.
pub fn char_levels(text: &str, dir: Direction) -> Vec<(Option<u8>, BidiClass)> {
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
fn removed_by_x9(class: BidiClass) -> bool {
    use BidiClass::{BN, LRE, LRO, PDF, RLE, RLO};
    matches!(class, RLE | LRE | RLO | LRO | PDF | BN)
}

/// UAX #9 L1 on one line: segment separators, and whitespace and isolate controls before them
/// or at the end of the line, take the paragraph level.
pub fn apply_l1(levels: &mut [u8], classes: &[BidiClass], para_level: u8) {
    use BidiClass::{B, BN, FSI, LRE, LRI, LRO, PDF, PDI, RLE, RLI, RLO, S, WS};
    let resets = |c: BidiClass| {
        matches!(
            c,
            WS | FSI | LRI | RLI | PDI | BN | LRE | RLE | LRO | RLO | PDF
        )
    };
    let mut trailing = true;
    for i in (0..levels.len()).rev() {
        let c = classes[i];
        if matches!(c, S | B) {
            levels[i] = para_level;
            trailing = true;
        } else if trailing && resets(c) {
            levels[i] = para_level;
        } else {
            trailing = false;
        }
    }
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
    // Below the first mirrored character past Latin-1 (the Arabic blocks among them), only
    // the few ASCII and Latin-1 ones need the search.
    const FIRST_BEYOND: u32 = {
        let mut i = 0;
        while i < tables::MIRRORS.len() && tables::MIRRORS[i].0 <= 0xFF {
            i += 1;
        }
        if i < tables::MIRRORS.len() {
            tables::MIRRORS[i].0
        } else {
            u32::MAX
        }
    };
    /// Which of U+0000–U+00FF have a mirror.
    const LATIN1: [bool; 256] = {
        let mut t = [false; 256];
        let mut i = 0;
        while i < tables::MIRRORS.len() && tables::MIRRORS[i].0 <= 0xFF {
            t[tables::MIRRORS[i].0 as usize] = true;
            i += 1;
        }
        t
    };
    let cp = u32::from(c);
    if cp <= 0xFF && !LATIN1[cp as usize] || cp > 0xFF && cp < FIRST_BEYOND {
        return None;
    }
    tables::MIRRORS
        .binary_search_by_key(&u32::from(c), |&(a, _)| a)
        .ok()
        .and_then(|i| char::from_u32(tables::MIRRORS[i].1))
}

/// A cluster whose base character has a mirror, with the mirror in its place.
fn mirror_cluster(text: &str) -> Option<String> {
    let mut chars = text.chars();
    let first = chars.next()?;
    let m = mirror(first)?;
    let mut s = String::with_capacity(text.len());
    s.push(m);
    s.extend(chars);
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

        /// Where the one-level shortcut answers, it answers what unicode-bidi resolves.
        #[test]
        fn uniform_levels_agree_with_unicode_bidi(
            chars in proptest::collection::vec(proptest::sample::select(vec![
                'a', 'Z', 'é', 'ب', 'ل', 'ا', '\u{05D0}', '1', '9', '\u{0661}', '\u{06F1}', ' ',
                '\t', '.', ',', ':', '%', '$', '-', '+', '/', '(', ')', '[', ']', '«', '»', '"',
                '!', '\u{064E}', '\u{0651}', '\u{200C}', '\u{00A0}', '\u{2022}',
            ]), 0..40),
            rtl in proptest::prelude::any::<bool>(),
        ) {
            let text: String = chars.into_iter().collect();
            let level = u8::from(rtl);
            let chars: Vec<(usize, char)> = text.char_indices().collect();
            if let Some(uniform) = uniform_level(&chars, level) {
                let dir = if rtl { Direction::Rtl } else { Direction::Ltr };
                for (l, _) in char_levels(&text, dir) {
                    proptest::prop_assert_eq!(l, Some(uniform), "{:?}", text);
                }
            }
        }
    }

    #[test]
    fn every_mirrored_character_is_other_neutral() {
        for &(c, _) in tables::MIRRORS {
            let c = char::from_u32(c).unwrap();
            assert_eq!(bidi_class(c), BidiClass::ON, "{c:?}");
        }
    }

    fn fast_ranges(s: &str) -> Vec<(usize, usize)> {
        let chars: Vec<(usize, char)> = s.char_indices().collect();
        grapheme_ranges(s, &chars)
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
        let zwnj = one("می‌خواهم");
        assert_eq!(
            zwnj.chars().count(),
            7,
            "the ZWNJ keeps the break and is not drawn"
        );
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
