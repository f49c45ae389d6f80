//! How wide text is in a terminal: the project's one width function ([`str_width`]) and the
//! character and cluster widths it is made of.

use unicode_segmentation::UnicodeSegmentation;
use unicode_width::UnicodeWidthChar;

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
