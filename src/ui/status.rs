//! The status line: messages, the query being typed with its cursor, key hints.

use super::*;

pub(super) fn status(app: &App, theme: &Theme, g: &Geometry, buf: &mut Buffer) {
    let area = g.status;
    buf.set_style(area, theme.bar);
    if let Some(q) = app.query() {
        let prompt = if q.list { "search: " } else { "find: " };
        let mut hint = String::from("  ");
        for note in [app.message(), app.background_status().as_deref()]
            .into_iter()
            .flatten()
        {
            let _ = write!(hint, "{note} · ");
        }
        hint.push_str("Enter done · Esc cancel");
        // A query longer than the line shows its end, where the typing is.
        let width = usize::from(area.width);
        let room = width
            .saturating_sub(str_width(prompt) + 3 + str_width(&hint).min(width / 2))
            .max(8);
        let shown_query = crate::app::fit_end(&q.text, room);
        let head = format!(" {prompt}");
        let shown = format!("{head}{shown_query}");
        let query_bytes = head.len()..shown.len();
        // The query may be Arabic: lay it out so it reads right, as one LTR-based line, and
        // the hint after it on its own.
        let ltr = Options {
            base: crate::layout::BaseDir::Ltr,
            ..app.options()
        };
        if let Some(l) = lay_out(&shown, 0, ltr).first() {
            let cursor = cursor_column(l, &shown, query_bytes);
            put_line_with_gap(buf, area.x, area.y, area.width, l, cursor, theme.bar);
            let cx = area.x + u16::try_from(cursor).unwrap_or(0);
            put_cell(buf, cx, area.y, "▏", 1, theme.bar);
            let hx = area.x + u16::try_from(l.offset + l.width + 1).unwrap_or(u16::MAX);
            if hx < area.right() {
                let room = usize::from(area.right() - hx);
                // Whole notes only, cut at a separator.
                let mut shown = hint.as_str();
                while str_width(shown) > room {
                    match shown.rfind(" · ") {
                        Some(i) => shown = shown.get(..i).unwrap_or_default(),
                        None => shown = "",
                    }
                }
                put_str(buf, hx, area.y, shown, room, theme.bar);
            }
        }
        return;
    }
    let found = app
        .reader()
        .filter(|r| !r.matches.is_empty() && g.reader.is_some())
        .map(|r| {
            format!(
                " match {}/{} ·",
                r.current.map_or(0, |c| c + 1),
                r.matches.len()
            )
        })
        .unwrap_or_default();
    let right = app
        .progress()
        .filter(|_| g.reader.is_some())
        .map(|(pct, shown, total)| format!("{found} {pct:>3}% {shown}/{total} "))
        .or_else(|| app.background_status().map(|b| format!("{found} {b} ")));
    let right_w = right.as_deref().map_or(0, str_width);
    let left_w = usize::from(area.width).saturating_sub(right_w);
    let selecting = app
        .reader()
        .and_then(crate::app::Reader::selection)
        .filter(|_| app.focus() == Focus::Reader);
    let left = if let Some(m) = app.message() {
        format!(" {m}")
    } else if let Some(sel) = selecting {
        let n = sel.count();
        let s = if n == 1 { "" } else { "s" };
        format!(" {n} paragraph{s} selected · j/k extend · y copy · Esc cancel")
    } else {
        key_hints(app, left_w)
    };
    let laid = lay_out(
        &left,
        0,
        Options {
            base: crate::layout::BaseDir::Ltr,
            ..app.options()
        },
    );
    if let Some(l) = laid.first() {
        put_line(
            buf,
            area.x,
            area.y,
            u16::try_from(left_w).unwrap_or(0),
            l,
            |_| theme.bar,
        );
    }
    if let Some(r) = right {
        let x = area
            .right()
            .saturating_sub(u16::try_from(right_w).unwrap_or(0));
        put_str(buf, x, area.y, &r, right_w, theme.bar);
    }
}

/// The column where the next letter typed goes, on a laid-out query line: after the query's
/// last cell when it ends in left-to-right text, at the left end of its last right-to-left
/// run when it ends in Arabic (the next Arabic letter goes there, on the run's left).
pub(super) fn cursor_column(line: &VisualLine, text: &str, query: std::ops::Range<usize>) -> usize {
    use crate::text::bidi_class;
    use unicode_bidi::BidiClass::{AL, L, R};
    let q = text.get(query.clone()).unwrap_or_default();
    let end = line.offset + line.width;
    // The last strong character, and where the run of its direction starts.
    let last_strong = q
        .char_indices()
        .rev()
        .find(|(_, c)| matches!(bidi_class(*c), L | R | AL));
    let Some((_, c)) = last_strong else {
        return end;
    };
    if bidi_class(c) == L {
        return line
            .columns()
            .filter(|(_, cell)| cell.src.start >= query.start)
            .map(|(col, cell)| col + usize::from(cell.width))
            .max()
            .unwrap_or(end);
    }
    let run_start = q
        .char_indices()
        .rev()
        .find(|(_, c)| bidi_class(*c) == L)
        .map_or(0, |(i, c)| i + c.len_utf8())
        + query.start;
    line.columns()
        .filter(|(_, cell)| cell.src.start >= run_start && cell.level % 2 == 1)
        .map(|(col, _)| col)
        .min()
        .unwrap_or(end)
}

/// Writes a laid-out line leaving one blank column at `gap` (where the cursor is drawn).
pub(super) fn put_line_with_gap(
    buf: &mut Buffer,
    x: u16,
    y: u16,
    max: u16,
    line: &VisualLine,
    gap: usize,
    style: Style,
) {
    for (col, cell) in line.columns() {
        let col = if col >= gap { col + 1 } else { col };
        let w = usize::from(cell.width);
        if col + w > usize::from(max) {
            break;
        }
        let cx = x + u16::try_from(col).unwrap_or(u16::MAX);
        put_cell(buf, cx, y, line.cell_text(cell), w, style);
    }
}

/// The keys that matter in the focused pane, from the keymap, as many whole hints as fit in
/// `width` columns.
pub(super) fn key_hints(app: &App, width: usize) -> String {
    let reading = app.focus() == Focus::Reader && app.reader().is_some();
    let actions: &[Action] = if reading {
        &[
            Action::PageDown,
            Action::Back,
            Action::Search,
            Action::NextUnread,
            Action::Bookmark,
            Action::Help,
            Action::Quit,
        ]
    } else {
        &[
            Action::Down,
            Action::Open,
            Action::Search,
            Action::CycleSort,
            Action::ToggleRead,
            Action::Help,
            Action::Quit,
        ]
    };
    let km = app.keymap();
    let mut s = String::new();
    for &a in actions {
        if let Some(c) = km.chords(a).first() {
            // `/` searches the library from the list and finds in the article.
            let label = if a == Action::Search && !reading {
                "search"
            } else {
                a.label()
            };
            let hint = format!(" {c} {label} ");
            // Whole hints only: one cut in half reads as a different key.
            if str_width(&s) + str_width(&hint) > width {
                break;
            }
            s.push_str(&hint);
        }
    }
    s
}
