//! The arena a [`Prepared`] text is kept in: paragraphs and clusters appended, their lengths
//! and levels looked up.

use std::ops::Range;

use super::clusters::Sources;
use super::levels::{article_paragraph_direction, paragraph_direction};
use super::{
    BidiMode, Cursor, KIND, KIND_DRAWN, LONG, Mark, Options, P_BLOCK, P_EMPTY, P_RTL, P_TAG_SHIFT,
    Prepared, Scratch,
};
use crate::text::Direction;

/// What a paragraph of a [`Prepared`] text is, besides its clusters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paragraph {
    /// It starts a block ([`Prepared::push_block`]): its source offsets count from 0.
    pub starts_block: bool,
    /// It stands for a block with no text, and has no lines.
    pub empty: bool,
    /// The tag its block was pushed with.
    pub tag: u8,
}

impl Prepared {
    /// An empty arena with room for `text` (an upper bound on its clusters and shaped bytes:
    /// a character of the Arabic block grows from two bytes to three when shaped).
    pub(super) fn with_capacity(opts: Options, text: &str) -> Self {
        let mut p = Self {
            reorder: opts.mode == BidiMode::App,
            controls: opts.mode == BidiMode::Terminal && opts.controls,
            ..Self::default()
        };
        p.reserve_for(text);
        p
    }

    /// Room for the clusters of `text`.
    pub fn reserve_for(&mut self, text: &str) {
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

    /// Empties the arena for text laid out with `opts`, keeping its room: one arena used for
    /// block after block (as `render --plain` does a line at a time) allocates only to grow.
    pub fn reset(&mut self, opts: Options) {
        self.reorder = opts.mode == BidiMode::App;
        self.controls = opts.mode == BidiMode::Terminal && opts.controls;
        self.para_start.clear();
        self.para_flags.clear();
        self.multi.clear();
        self.flags.clear();
        self.lens.clear();
        self.long.clear();
        self.levels.clear();
        self.shaped.clear();
    }

    /// Gives back the room not used, where it is worth a copy.
    pub fn shrink(&mut self) {
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
    pub fn push_block(
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
    pub(super) fn clusters_of(&self, p: usize) -> Range<usize> {
        let start = self.para_start[p] as usize;
        let end = self
            .para_start
            .get(p + 1)
            .map_or(self.flags.len(), |&e| e as usize);
        start..end
    }

    /// The levels of paragraph `p`'s clusters, if they are not all at its level.
    pub(super) fn levels_of(&self, p: usize) -> Option<&[u8]> {
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
    pub(super) fn lens_of(&self, i: usize) -> (usize, usize) {
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
    pub(super) fn lens_sum(&self, range: Range<usize>) -> (usize, usize) {
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
    pub(super) fn set_lens(&mut self, i: usize, src: usize, text: usize) {
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
    pub(super) fn last_drawn(&self, n: usize) -> Option<usize> {
        let len = self.flags.len();
        (len - n..len)
            .rev()
            .find(|&i| self.flags[i] & KIND == KIND_DRAWN)
    }

    #[inline]
    pub(super) fn push_cluster(&mut self, flags: u8, src: usize, text: usize) {
        self.flags.push(flags);
        if src < usize::from(LONG) && text < usize::from(LONG) {
            self.lens.push((src as u8) << 4 | text as u8);
        } else {
            self.lens.push(0);
            self.set_lens(self.flags.len() - 1, src, text);
        }
    }

    /// Moves `cur` on to cluster `to`.
    pub(super) fn advance(&self, cur: &mut Cursor, to: usize) {
        let (src, text) = self.lens_sum(cur.cluster..to);
        cur.src += src;
        cur.text += text;
        cur.cluster = to;
    }

    /// An empty arena for text laid out with `opts`, to [`Self::push_block`] blocks into.
    pub fn new(opts: Options) -> Self {
        Self {
            reorder: opts.mode == BidiMode::App,
            controls: opts.mode == BidiMode::Terminal && opts.controls,
            ..Self::default()
        }
    }

    /// How many clusters the text has.
    pub fn clusters(&self) -> usize {
        self.flags.len()
    }

    /// How many paragraphs the text has.
    pub fn paragraphs(&self) -> usize {
        self.para_start.len()
    }

    /// Paragraph `p` (below [`Self::paragraphs`]).
    pub fn paragraph(&self, p: usize) -> Paragraph {
        let flags = self.para_flags[p];
        Paragraph {
            starts_block: flags & P_BLOCK != 0,
            empty: flags & P_EMPTY != 0,
            tag: flags >> P_TAG_SHIFT,
        }
    }
}
