//! Tables drawn as grids where they fit: each cell laid out on its own (its own bidi
//! paragraph), columns as wide as their widest cell, ` │ ` between them, the heading row and a
//! rule above the rows; the columns run from the side the article starts on. Where a table
//! does not fit, its rows are drawn as the labelled rows they are stored as.

use std::ops::Range;

use crate::article::Article;
use crate::layout::{BidiMode, Options, VisualLine, lay_out};
use crate::text::Direction;

/// What a grid line shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GridPart {
    /// The headings.
    Head,
    /// The rule under them.
    Rule,
    /// A row of the body (the line's block).
    Row,
}

/// A table of the prepared blocks, measured.
#[derive(Debug, Clone)]
pub(super) struct Grid {
    /// The article's blocks that are its rows.
    pub(super) rows: Range<usize>,
    heads: Vec<String>,
    /// Each row's cells: their text and where it starts in the block's text.
    cells: Vec<Vec<(String, usize)>>,
    /// The width of each column: its widest cell or heading.
    widths: Vec<usize>,
    /// The columns and the separators between them.
    pub(super) total: usize,
    /// Each row's text length.
    lens: Vec<usize>,
}

/// Between two columns.
const SEPARATOR: &str = " │ ";

/// A table wider than this many columns is never a grid.
const MAX_COLUMNS: usize = 32;

/// The tables among `article`'s blocks `range` (whole tables only: rows cut off by the range
/// are drawn as labelled rows), measured with `opts`. None in the `terminal` bidi mode,
/// where the terminal reorders each row as one line.
pub(super) fn grids(article: &Article, range: Range<usize>, opts: Options) -> Vec<Grid> {
    if opts.mode == BidiMode::Terminal {
        return Vec::new();
    }
    let width = |s: &str| lay_out(s, 0, opts).first().map_or(0, |l| l.width);
    let mut out: Vec<Grid> = Vec::new();
    let mut b = range.start;
    while b < range.end {
        let Some(first) = article.blocks[b].row.as_deref() else {
            b += 1;
            continue;
        };
        let start = b;
        while b < range.end
            && article.blocks[b]
                .row
                .as_deref()
                .is_some_and(|r| r.table == first.table)
        {
            b += 1;
        }
        let mut grid = Grid {
            rows: start..b,
            heads: first.heads.clone(),
            cells: Vec::new(),
            widths: first.heads.iter().map(|h| width(h)).collect(),
            total: 0,
            lens: Vec::new(),
        };
        for block in &article.blocks[start..b] {
            let Some(row) = block.row.as_deref() else {
                continue;
            };
            let mut cells = Vec::new();
            for (c, &(from, to)) in row.cells.iter().enumerate() {
                let text = block
                    .text
                    .get(from as usize..to as usize)
                    .unwrap_or("")
                    .to_owned();
                let w = width(&text);
                if grid.widths.len() <= c {
                    grid.widths.resize(c + 1, 0);
                }
                grid.widths[c] = grid.widths[c].max(w);
                cells.push((text, from as usize));
            }
            grid.cells.push(cells);
            grid.lens.push(block.text.len());
        }
        let n = grid.widths.len();
        // (The separator is three columns.)
        grid.total = grid.widths.iter().sum::<usize>() + 3 * n.saturating_sub(1);
        if n > 0 && n <= MAX_COLUMNS {
            out.push(grid);
        }
    }
    out
}

impl Grid {
    /// Whether the table fits `width` columns (0: any).
    pub(super) fn fits(&self, width: usize) -> bool {
        width == 0 || self.total <= width
    }

    /// The length of row `block`'s text.
    pub(super) fn len_of(&self, block: usize) -> usize {
        self.lens
            .get(block.saturating_sub(self.rows.start))
            .copied()
            .unwrap_or(0)
    }

    /// Whether it has a heading row.
    pub(super) fn has_heads(&self) -> bool {
        self.heads.iter().any(|h| !h.is_empty())
    }

    /// The cells of one of its lines: `block` is the row's block for [`GridPart::Row`].
    pub(super) fn visual(
        &self,
        part: GridPart,
        block: usize,
        dir: Direction,
        opts: Options,
    ) -> VisualLine {
        let rtl = dir == Direction::Rtl;
        let n = self.widths.len();
        let cells: Vec<VisualLine> = (0..n)
            .map(|c| {
                let w = self.widths[c];
                match part {
                    GridPart::Rule => VisualLine::filler(&"─".repeat(w)),
                    GridPart::Head => cell(
                        self.heads.get(c).map_or("", String::as_str),
                        0,
                        w,
                        rtl,
                        opts,
                    ),
                    GridPart::Row => {
                        let row = self.cells.get(block.saturating_sub(self.rows.start));
                        let (text, at) = row
                            .and_then(|r| r.get(c))
                            .map_or(("", 0), |(t, at)| (t.as_str(), *at));
                        cell(text, at, w, rtl, opts)
                    }
                }
            })
            .collect();
        let sep = VisualLine::filler(if part == GridPart::Rule {
            "─┼─"
        } else {
            SEPARATOR
        });
        let mut line = VisualLine::default();
        let order: Vec<usize> = if rtl {
            (0..n).rev().collect()
        } else {
            (0..n).collect()
        };
        for (k, &c) in order.iter().enumerate() {
            if k > 0 {
                line.append(&sep);
            }
            line.append(&cells[c]);
        }
        line.rtl = rtl;
        line
    }
}

/// One cell laid out on its own, `w` columns wide (padded on the side away from where its
/// text starts), its cells' source ranges counted from byte `at` of the row's text.
fn cell(text: &str, at: usize, w: usize, rtl: bool, opts: Options) -> VisualLine {
    let mut line = lay_out(text, 0, opts)
        .into_iter()
        .next()
        .unwrap_or_default();
    for c in &mut line.cells {
        c.src = c.src.start + at..c.src.end + at;
    }
    line.offset = 0;
    let pad = VisualLine::filler(&" ".repeat(w.saturating_sub(line.width)));
    if rtl {
        line.prepend(&pad);
    } else {
        line.append(&pad);
    }
    line
}
