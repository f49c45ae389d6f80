//! Preparing a paragraph in one pass over its characters: grapheme clusters (by a table learnt
//! from unicode-segmentation where it knows the characters, else by unicode-segmentation),
//! Arabic shaping, each cluster's width, the line-break opportunities and a summary of the
//! bidi classes for the levels.

use std::sync::OnceLock;

use unicode_bidi::BidiClass;
use unicode_segmentation::UnicodeSegmentation;

use super::levels::{ClassSummary, Quick};
use super::shaping::{self, Shaped};
use super::{
    BREAK, KIND_HIDDEN, KIND_REMOVED, KIND_SOFT_HYPHEN, L1_SEPARATOR, L1_TRAILING, Prepared, SPACE,
    Scratch,
};
use crate::text::{
    Joining, SOFT_HYPHEN, bmp_classes, cell_width, is_bidi_control, is_joiner, joining, keeps_level,
};

/// Where the grapheme boundaries and the bidi levels come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Sources {
    /// Boundaries from the classes learnt from unicode-segmentation ([`char_info`]),
    /// else from unicode-segmentation itself.
    pub(super) fast_graphemes: bool,
    /// Levels from a look at the paragraph's classes where that settles them
    /// ([`ClassSummary::quick`]), else always from unicode-bidi.
    pub(super) quick_levels: bool,
}

impl Sources {
    pub(super) const FAST: Self = Self {
        fast_graphemes: true,
        quick_levels: true,
    };
    pub(super) const LIBRARY_GRAPHEMES: Self = Self {
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
            // An isolate or a mark keeps its text when the terminal is to get it.
            let kept = if self.invisible == KIND_HIDDEN && out.controls && !self.absorbed {
                out.shaped.len() - self.text_start
            } else {
                out.shaped.truncate(self.text_start);
                0
            };
            out.push_cluster(flags | self.invisible, end - self.start, kept);
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
    pub(super) fn build(
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
                let joining = info.map_or_else(|| joining(c), |i| i.joining);
                joiner.step(i, c, joining, || match chars.peek() {
                    // Most often the very next character (already decoded).
                    Some(&(j, d)) if joining_of(d) != Joining::Transparent => Some((j, d)),
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
            if keeps_level(c) {
                o.invisible = KIND_HIDDEN;
                if self.controls {
                    self.shaped.push(c);
                }
            }
            true
        } else if class == BidiClass::BN {
            if is_joiner(c) {
                self.shaped.push(c);
                o.after_zwj = c == '\u{200D}';
            } else if c == SOFT_HYPHEN {
                o.invisible = KIND_SOFT_HYPHEN;
            }
            true
        } else {
            false
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
        .find(|&(_, c)| joining_of(c) != Joining::Transparent)
        .map(|(k, c)| (from + k, c))
}

/// The joining type of `c`, from [`char_info`] where it has it.
#[inline]
fn joining_of(c: char) -> Joining {
    char_info(c).map_or_else(|| joining(c), |i| i.joining)
}

/// How a character takes part in grapheme clustering, for the characters news text is made
/// of. Learnt from unicode-segmentation itself (see [`char_info`]), never typed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum GraphemeClass {
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
pub(super) const GRAPHEME_RANGES: [(u32, u32); 3] =
    [(0, 0x800), (0x2000, 0x2070), (0xFB50, 0xFF00)];

/// What the one-pass clustering asks of a character of [`GRAPHEME_RANGES`], in one look-up:
/// its grapheme class (learnt from unicode-segmentation), its width ([`cell_width`]) and its
/// joining type ([`shaping::joining`]).
#[derive(Debug, Clone, Copy)]
pub(super) struct CharInfo {
    pub(super) grapheme: GraphemeClass,
    width: u8,
    joining: Joining,
}

/// The [`CharInfo`] of `c`, or `None` outside [`GRAPHEME_RANGES`].
#[inline]
pub(super) fn char_info(c: char) -> Option<CharInfo> {
    static TABLE: OnceLock<Vec<CharInfo>> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        GRAPHEME_RANGES
            .iter()
            .flat_map(|&(lo, hi)| lo..hi)
            .map(|u| match char::from_u32(u) {
                Some(c) => CharInfo {
                    grapheme: probe_grapheme_class(c),
                    width: cell_width(c) as u8,
                    joining: joining(c),
                },
                None => CharInfo {
                    grapheme: GraphemeClass::Complex,
                    width: 0,
                    joining: Joining::NonJoining,
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
pub(super) fn probe_grapheme_class(c: char) -> GraphemeClass {
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
pub(super) fn fast_grapheme_class(info: Option<CharInfo>) -> Option<GraphemeClass> {
    match info?.grapheme {
        GraphemeClass::Complex => None,
        known => Some(known),
    }
}

/// Whether a character of class `class` starts a cluster: every base and control does, and
/// whatever follows a control or opens the paragraph.
#[inline]
pub(super) fn starts_cluster(class: GraphemeClass, prev_control: bool, first: bool) -> bool {
    first || prev_control || class != GraphemeClass::Extend
}
