//! Links and inline marks in the reader's text, terminal hyperlinks (OSC 8), and the
//! numbered list of the article's links drawn over the panes.
//!
//! A hyperlink travels inside the buffer, one cell at a time: each cell of a link holds the
//! OSC 8 sequence that opens the link, its grapheme, and the sequence that closes it, and
//! declares the grapheme's own width ([`CellDiffOption::ForcedWidth`]), so ratatui's width
//! arithmetic and diff stay what they are. A cell is self-contained: whatever part of a link
//! a frame redraws is a link, and no link is left open after it (OSC 8 is a mode the terminal
//! keeps until it is closed). The cells of one link share its `id`, so a terminal lights
//! the whole link, on every line it spans, under the pointer. A target is printable ASCII
//! (see [`crate::article::safe_target`]): it cannot end the sequence early.

use std::num::NonZeroU16;
use std::ops::Range;

use ratatui::buffer::{Buffer, CellDiffOption};
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::widgets::{Block, Borders, Clear, Widget};

use super::{Theme, put_line, put_str, title_line};
use crate::app::App;
use crate::article::{Direction, Mark};
use crate::layout::VisualLine;

/// What the marks over a cell's source bytes make of it: attributes that show under
/// `NO_COLOR` too (bold, italic, code in reverse video, links underlined), and the link it
/// is on.
pub(super) fn marked(marks: &[Mark], src: &Range<usize>) -> (Modifier, Option<u32>) {
    let mut m = Modifier::empty();
    let mut link = None;
    for mark in marks {
        if mark.start as usize >= src.end {
            break;
        }
        if (mark.end as usize) <= src.start {
            continue;
        }
        m |= match mark.style {
            crate::article::Style::Strong => Modifier::BOLD,
            crate::article::Style::Emphasis => Modifier::ITALIC,
            crate::article::Style::Code => Modifier::REVERSED,
            crate::article::Style::Link(n) => {
                link = Some(n);
                Modifier::UNDERLINED
            }
        };
    }
    (m, link)
}

/// The OSC 8 sequence that opens a link to `target` with `id`.
pub fn osc8_open(id: u32, target: &str) -> String {
    format!("\x1b]8;id=qari-{id};{target}\x1b\\")
}

/// The OSC 8 sequence that closes a link.
pub const OSC8_CLOSE: &str = "\x1b]8;;\x1b\\";

/// Makes the cell at (`x`, `y`), `width` columns wide, a self-contained hyperlink to
/// `target` (see the module's documentation).
pub(super) fn hyperlink(buf: &mut Buffer, x: u16, y: u16, width: u8, id: u32, target: &str) {
    let Some(cell) = buf.cell_mut((x, y)) else {
        return;
    };
    let glyph = cell.symbol().to_owned();
    let symbol = format!("{}{glyph}{OSC8_CLOSE}", osc8_open(id, target));
    cell.set_symbol(&symbol);
    cell.set_diff_option(CellDiffOption::ForcedWidth(
        NonZeroU16::new(u16::from(width.max(1))).unwrap_or(NonZeroU16::MIN),
    ));
}

/// Makes every linked cell of `visual`, drawn from `at` and `room` columns wide at most, a
/// hyperlink to its link's target.
pub(super) fn hyperlinks(
    buf: &mut Buffer,
    (x, y): (u16, u16),
    room: u16,
    visual: &VisualLine,
    marks: &[Mark],
    links: &[crate::article::Link],
) {
    for (col, cell) in visual.columns() {
        if col + usize::from(cell.width) > usize::from(room) {
            break;
        }
        if let (_, Some(n)) = marked(marks, &cell.src)
            && let Some(link) = links.get(n as usize)
        {
            let cx = x + u16::try_from(col).unwrap_or(u16::MAX);
            hyperlink(buf, cx, y, cell.width, n, &link.target);
        }
    }
}

/// The list of the open article's links (`L`): numbered, each text laid out in its own
/// direction, the selected one in reverse video and its target on the bottom border.
pub(super) fn link_list(app: &App, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let Some((links, selected)) = app.link_list() else {
        return;
    };
    let rect = super::overlays::list_box(area, 76, links.len());
    Clear.render(rect, buf);
    let enter = if app.is_local() { "opens" } else { "copies" };
    let block = Block::default()
        .borders(Borders::ALL)
        .title(format!(" links · Enter {enter} · Esc closes "))
        .border_style(theme.title);
    let inner = block.inner(rect);
    block.render(rect, buf);
    let rows = usize::from(inner.height).max(1);
    let top = (selected + 1).saturating_sub(rows);
    let digits = links.len().to_string().len();
    let opts = app.options();
    for (row, (k, link)) in links.iter().enumerate().skip(top).take(rows).enumerate() {
        let y = inner.y + u16::try_from(row).unwrap_or(0);
        let number = format!("{:>digits$}", k + 1);
        put_str(buf, inner.x + 1, y, &number, digits, theme.meta);
        let skip = u16::try_from(digits + 2).unwrap_or(u16::MAX);
        let width = inner.width.saturating_sub(skip + 1);
        let dir = crate::article::first_strong(&link.text).unwrap_or(Direction::Ltr);
        let line = title_line(&link.text, dir, usize::from(width), opts);
        let style = Style::new().add_modifier(Modifier::UNDERLINED);
        put_line(buf, inner.x + skip, y, width, &line, |_| style);
        if k == selected {
            buf.set_style(
                Rect::new(inner.x, y, inner.width, 1),
                Style::new().add_modifier(Modifier::REVERSED),
            );
        }
    }
    // The selected link's target on the bottom border, cut to fit.
    if let Some(link) = links.get(selected) {
        let room = usize::from(rect.width.saturating_sub(4));
        let more = if top + rows < links.len() { "▼ " } else { "" };
        let text = crate::app::fit(&format!(" {more}{} ", link.target), room);
        put_str(
            buf,
            rect.x + 2,
            rect.bottom().saturating_sub(1),
            &text,
            room,
            theme.title,
        );
    }
}
