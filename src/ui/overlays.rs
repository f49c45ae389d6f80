//! The outline and the help drawn over the panes.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::widgets::{Block, Borders, Clear, Widget};

use super::{Theme, heading_style, put_line, put_str, title_line};
use crate::app::App;
use crate::article::Direction;
use crate::keymap::Action;

/// The box of an overlay list of `rows` rows, centred in `area`: `max_width` columns wide at
/// most (20 at least, as the screen allows), its rows and borders as high as the screen allows.
pub(super) fn list_box(area: Rect, max_width: u16, rows: usize) -> Rect {
    let w = area.width.min(max_width).max(area.width.min(20));
    let h = u16::try_from(rows.saturating_add(2))
        .unwrap_or(u16::MAX)
        .min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

/// The outline overlay: the article's headings, indented by level, each laid out in its own
/// direction, the selected one in reverse video.
pub(super) fn outline(app: &App, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let Some((items, selected)) = app.outline() else {
        return;
    };
    let rect = list_box(area, 72, items.len());
    Clear.render(rect, buf);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(" outline · Enter jumps · Esc closes ")
        .border_style(theme.title);
    let inner = block.inner(rect);
    block.render(rect, buf);
    let rows = usize::from(inner.height).max(1);
    let top = (selected + 1).saturating_sub(rows);
    let opts = app.options();
    for (row, (k, item)) in items.iter().enumerate().skip(top).take(rows).enumerate() {
        let y = inner.y + u16::try_from(row).unwrap_or(0);
        let indent = u16::from(item.level.saturating_sub(1).min(5)) * 2;
        let indent = indent.min(inner.width / 2);
        let dir = crate::article::first_strong(&item.text).unwrap_or(Direction::Ltr);
        // The indent on the side the heading starts from.
        let x = if dir == Direction::Rtl {
            inner.x + 1
        } else {
            inner.x + 1 + indent
        };
        let width = inner.width.saturating_sub(2 + indent);
        let line = title_line(&item.text, dir, usize::from(width), opts);
        let style = heading_style(theme, item.level);
        put_line(buf, x, y, width, &line, |_| style);
        if k == selected {
            buf.set_style(
                Rect::new(inner.x, y, inner.width, 1),
                Style::new().add_modifier(Modifier::REVERSED),
            );
        }
    }
    if top + rows < items.len() {
        put_str(
            buf,
            rect.x + 1,
            rect.bottom().saturating_sub(1),
            " ▼ more ",
            usize::from(rect.width.saturating_sub(2)),
            theme.title,
        );
    }
}

pub(super) fn help(app: &App, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let Some(view) = app.help_view() else {
        return;
    };
    let rect = view.area.intersection(area);
    Clear.render(rect, buf);
    let (above, below) = view.more();
    let block = Block::default()
        .borders(Borders::ALL)
        .title(" keys ")
        .border_style(theme.title);
    let inner = block.inner(rect);
    block.render(rect, buf);
    for (row, line) in view
        .lines
        .iter()
        .skip(view.top)
        .take(view.rows())
        .enumerate()
    {
        let y = inner.y + u16::try_from(row).unwrap_or(0);
        put_str(
            buf,
            inner.x + 1,
            y,
            line,
            usize::from(inner.width.saturating_sub(1)),
            Style::new(),
        );
    }
    // What is past the box, and how to close it, on its borders.
    let room = usize::from(rect.width.saturating_sub(2));
    if above {
        let x = rect.right().saturating_sub(4);
        put_str(buf, x, rect.y, "▲", 1, theme.title);
    }
    let bottom = if below {
        format!(" ▼ more: j/↓ · {} ", close_hint(app))
    } else {
        format!(" {} ", close_hint(app))
    };
    let bottom = crate::app::fit(&bottom, room);
    put_str(
        buf,
        rect.x + 1,
        rect.bottom().saturating_sub(1),
        &bottom,
        room,
        theme.title,
    );
}

/// The keys that close the help, from the keymap.
pub(super) fn close_hint(app: &App) -> String {
    let km = app.keymap();
    let mut keys: Vec<String> = [Action::Back, Action::Quit, Action::Help]
        .into_iter()
        .filter_map(|a| km.chords(a).first().map(ToString::to_string))
        .collect();
    keys.dedup();
    format!("{} close", keys.join(" "))
}
