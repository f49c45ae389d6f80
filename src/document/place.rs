//! Where a line goes on its row: the one decision the reader, `qari render` and
//! `qari render --plain` share (offset, the marker's column and glyph, and what becomes of the
//! bidi controls that lead the line), in every bidi mode.
//!
//! In [`BidiMode::App`] (and `off`) an RTL line is right-aligned by its offset, its marker on
//! the right; an LTR line starts after its lead, its marker on the left. In
//! [`BidiMode::Terminal`] a row the terminal gets the direction of (a `directed` row: SCP for
//! VTE; mlterm finds it from the first strong letter) is mirrored as a whole by the terminal,
//! so an RTL line is placed as an LTR line is, unpadded, marker first, and the terminal puts it
//! on the right. The quote bar there is `❙` (U+2759), not the box-drawing `┃`: mlterm lays out
//! every line that holds a box-drawing character (U+2500–U+259F) left to right.

use std::borrow::Cow;

use super::Marker;
use crate::layout::{BidiMode, VisualLine};
use crate::text::str_width;

/// The quotation bar in the `terminal` mode (not a box-drawing character: see the module).
pub const TERMINAL_QUOTE_BAR: &str = "\u{2759}";

/// What decides where a line goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "independent facts about one row, each read once by `place`"
)]
pub struct Row {
    /// The line's paragraph is right to left.
    pub rtl: bool,
    /// The blank columns the layout put before the line (right alignment of RTL lines).
    pub offset: usize,
    /// The columns the line's cells take.
    pub width: usize,
    /// Columns reserved on the side where the line starts (quote margin, list marker).
    pub lead: usize,
    /// The marker drawn in the lead, if any.
    pub marker: Option<Marker>,
    /// The columns of the text area (0: no limit).
    pub area: usize,
    /// The bidi mode.
    pub mode: BidiMode,
    /// Whether the terminal gets this row's paragraph direction (in the `terminal` mode).
    pub directed: bool,
    /// Whether the line's first cell starts with bidi controls (kept for the terminal).
    pub leading_controls: bool,
    /// Whether the text area starts at the screen's (or the printed line's) first column.
    pub at_row_start: bool,
}

/// Where a line goes, in columns from the text area's left edge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    /// The column of the line's first cell.
    pub text_at: usize,
    /// The marker's column and what it draws.
    pub marker: Option<(usize, Cow<'static, str>)>,
    /// The line's leading controls go at the end of the cell before its first (where the
    /// terminal joins a zero-width character, VTE at least): there is such a cell.
    pub controls_before: bool,
}

/// Where the line `row` describes goes.
pub fn place(row: &Row) -> Placement {
    let terminal = row.mode == BidiMode::Terminal;
    let mirrored = terminal && row.directed && row.rtl;
    // The marker stands in the lead one column before the text (a nested item's lead holds
    // its indent first), drawn as the row reads it: a mirrored row is sent in logical order.
    let marker = row.marker.map(|m| {
        let text = match m {
            Marker::Bar if terminal => TERMINAL_QUOTE_BAR.into(),
            m => m.text(row.rtl && !mirrored),
        };
        let w = str_width(&text);
        let indent = row.lead.saturating_sub(w + 1);
        let at = if row.rtl && !mirrored {
            row.area.saturating_sub(indent + w)
        } else {
            indent
        };
        (at, text)
    });
    let mut text_at = if mirrored {
        row.lead
    } else if row.rtl {
        row.offset
    } else {
        row.lead + row.offset
    };
    // A terminal joins a zero-width character to the cell before it and drops it at a row's
    // first column: a line that leads with controls there moves one column on, when it can.
    if terminal
        && row.leading_controls
        && text_at == 0
        && row.at_row_start
        && (row.area == 0 || row.width < row.area)
    {
        text_at = 1;
    }
    Placement {
        text_at,
        marker,
        controls_before: terminal && row.leading_controls && (text_at > 0 || !row.at_row_start),
    }
}

/// The row of `visual` with these facts (its offset, width, direction and leading controls
/// from the line).
pub fn row_of(
    visual: &VisualLine,
    lead: usize,
    marker: Option<Marker>,
    area: usize,
    mode: BidiMode,
    directed: bool,
) -> Row {
    Row {
        rtl: visual.rtl,
        offset: visual.offset,
        width: visual.width,
        lead,
        marker,
        area,
        mode,
        directed,
        leading_controls: visual.leading_controls() > 0,
        at_row_start: true,
    }
}

/// Appends `visual` placed as [`place`] says (from column 0 of `out`'s line: a printed line),
/// its marker included, trailing blanks cut.
pub fn push_placed(visual: &VisualLine, row: &Row, out: &mut String) {
    let p = place(row);
    let start = out.len();
    let mut cols: Vec<(usize, &str)> = visual
        .columns()
        .map(|(x, c)| (x - visual.offset + p.text_at, visual.cell_text(c)))
        .collect();
    if let Some((x, m)) = &p.marker {
        cols.push((*x, m));
        cols.sort_by_key(|&(x, _)| x);
    }
    let mut at = 0;
    for (x, text) in cols {
        if x > at {
            out.extend(std::iter::repeat_n(' ', x - at));
            at = x;
        }
        at += str_width(text).max(1);
        out.push_str(text);
    }
    let kept = out.get(start..).map_or(0, |t| t.trim_end().len());
    out.truncate(start + kept);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(rtl: bool, mode: BidiMode, directed: bool) -> Row {
        Row {
            rtl,
            offset: if rtl { 6 } else { 0 },
            width: 14,
            lead: 2,
            marker: Some(Marker::Bar),
            area: 20,
            mode,
            directed,
            leading_controls: false,
            at_row_start: true,
        }
    }

    #[test]
    fn app_mode_aligns_rtl_lines_and_puts_their_marker_on_the_right() {
        let p = place(&row(true, BidiMode::App, true));
        assert_eq!(p.text_at, 6);
        assert_eq!(p.marker, Some((19, "┃".into())));
        let p = place(&row(false, BidiMode::App, false));
        assert_eq!((p.text_at, p.marker), (2, Some((0, "┃".into()))));
    }

    #[test]
    fn a_directed_terminal_row_is_placed_as_an_ltr_line_with_a_bar_mlterm_does_not_force() {
        let p = place(&row(true, BidiMode::Terminal, true));
        assert_eq!(p.text_at, 2, "unpadded, after the lead");
        assert_eq!(
            p.marker,
            Some((0, TERMINAL_QUOTE_BAR.into())),
            "marker first"
        );
        assert!(!('\u{2500}'..='\u{259F}').contains(&'\u{2759}'));
        // Not directed (side by side): padded as in app mode, the bar swapped all the same.
        let p = place(&row(true, BidiMode::Terminal, false));
        assert_eq!(p.text_at, 6);
        assert_eq!(p.marker, Some((19, TERMINAL_QUOTE_BAR.into())));
    }

    #[test]
    fn leading_controls_go_on_the_cell_before_or_the_line_moves_one_column() {
        let mut r = row(true, BidiMode::Terminal, true);
        r.lead = 0;
        r.marker = None;
        r.leading_controls = true;
        let p = place(&r);
        assert_eq!((p.text_at, p.controls_before), (1, true));
        // Inside a margin there is a cell before already.
        r.at_row_start = false;
        let p = place(&r);
        assert_eq!((p.text_at, p.controls_before), (0, true));
        // A line as wide as the area stays where it is; its controls lead it.
        r.at_row_start = true;
        r.width = 20;
        let p = place(&r);
        assert_eq!((p.text_at, p.controls_before), (0, false));
        // The app mode sends no control.
        r.mode = BidiMode::App;
        assert!(!place(&r).controls_before);
    }
}
