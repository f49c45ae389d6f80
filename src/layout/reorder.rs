//! A line as it is drawn: its clusters in visual order (UAX #9 L1 and L2 with the paragraph's
//! levels), mirrored at odd levels (L4), as cells or as plain text.

use std::ops::Range;

use super::{
    Cell, KIND, KIND_DRAWN, KIND_HIDDEN, KIND_REMOVED, KIND_SOFT_HYPHEN, L1, L1_SEPARATOR,
    L1_TRAILING, LineRef, P_RTL, Prepared, VisualLine, WIDTH,
};
use crate::text::mirror;

impl Prepared {
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
                // An isolate or a mark kept for the terminal ([`Prepared::controls`]).
                KIND_HIDDEN if t1 > t0 => {
                    f(i, level, self.shaped.get(t0..t1).unwrap_or(""), s0..s1);
                }
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
        // Where the next cell's text starts: before the controls that lead the line.
        let mut pending: Option<u32> = None;
        self.each_drawn(line, |i, level, text, src| {
            if self.flags[i] & KIND == KIND_HIDDEN {
                // A control kept for the terminal: the end of the cell before it, else the
                // start of the line's first cell.
                let start = vl.text.len() as u32;
                vl.text.push_str(text);
                match vl.cells.last_mut() {
                    Some(c) => c.text.end = vl.text.len() as u32,
                    None => pending = pending.or(Some(start)),
                }
                return;
            }
            let start = pending.take().unwrap_or(vl.text.len() as u32);
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
            let text = self.shaped.get(start..start + len).unwrap_or("");
            // Controls kept for the terminal go with a cell: a line of nothing else has none
            // (as its cells show).
            if !(self.controls && text.chars().all(crate::text::is_bidi_control)) {
                out.push_str(text);
            }
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
