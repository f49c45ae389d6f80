//! Line breaking: greedy filling at the prepared break opportunities, measured in cells, and
//! where each line sits.

use super::{
    BREAK, Cursor, KIND, KIND_SOFT_HYPHEN, LineRef, P_BLOCK, P_RTL, Prepared, SPACE, VisualLine,
    WIDTH,
};

impl Prepared {
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
    pub fn wrap_paragraph(
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
}

/// One line found by [`wrap`]: clusters `start..end`, of which `start..drawn` are drawn
/// (trailing whitespace is not), `width` columns wide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Wrapped {
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
pub(super) fn wrap(clusters: &[u8], max: usize, mut emit: impl FnMut(Wrapped)) {
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
