//! Draws the app's state into a ratatui buffer; never changes the state.
//!
//! Text laid out by the engine is written cell by cell at the columns the engine gave, each
//! cell's grapheme with its marks: nothing of an article goes through ratatui's own wrapping
//! or alignment (which would measure unshaped Arabic wrongly).

use std::fmt::Write as _;
use std::str::FromStr;

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget};

use crate::app::{App, Focus, Geometry, MIN_HEIGHT, MIN_WIDTH};
use crate::article::{Direction, Lang};
use crate::keymap::Action;
use crate::layout::document::{LineKind, Origin};
use crate::layout::{Options, VisualLine, lay_out, str_width};

/// How many colours the terminal shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Colors {
    /// None: `NO_COLOR` is set, or the terminal is dumb.
    None,
    /// The 16 ANSI colours.
    Ansi16,
    /// The 256-colour palette.
    Ansi256,
    /// 24-bit colour.
    True,
}

impl Colors {
    /// Decides from the values of `TERM`, `COLORTERM` and `NO_COLOR` given (a session's own,
    /// never read from the process here, so SSH sessions do not leak into each other).
    pub fn detect(term: Option<&str>, colorterm: Option<&str>, no_color: Option<&str>) -> Self {
        if no_color.is_some_and(|v| !v.is_empty()) {
            return Self::None;
        }
        let term = term.unwrap_or("");
        if term == "dumb" {
            return Self::None;
        }
        if let Some("truecolor" | "24bit") = colorterm.map(str::to_ascii_lowercase).as_deref() {
            return Self::True;
        }
        if term.contains("256color") || term.contains("direct") {
            Self::Ansi256
        } else {
            Self::Ansi16
        }
    }

    /// From this process's environment (the local terminal).
    pub fn from_env() -> Self {
        let var = |k: &str| std::env::var(k).ok();
        Self::detect(
            var("TERM").as_deref(),
            var("COLORTERM").as_deref(),
            var("NO_COLOR").as_deref(),
        )
    }
}

/// Resolved styles for each part of the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    title: Style,
    heading: Style,
    quote: Style,
    meta: Style,
    bar: Style,
    mark: Style,
    matched: Style,
    current: Style,
}

impl Theme {
    /// The theme of the config for a terminal with `colors`.
    pub fn new(cfg: &crate::config::Theme, colors: Colors) -> Self {
        let color = |name: &str| -> Color {
            let c = Color::from_str(name.trim()).unwrap_or(Color::Reset);
            match (colors, c) {
                (Colors::None, _)
                | (Colors::Ansi16, Color::Rgb(..) | Color::Indexed(_))
                | (Colors::Ansi256, Color::Rgb(..)) => Color::Reset,
                _ => c,
            }
        };
        let fg = |name: &str| Style::new().fg(color(name));
        let matched = if colors == Colors::None {
            Style::new().add_modifier(Modifier::UNDERLINED)
        } else {
            Style::new().bg(color(&cfg.matched)).fg(Color::Black)
        };
        Self {
            title: fg(&cfg.title).add_modifier(Modifier::BOLD),
            heading: fg(&cfg.heading).add_modifier(Modifier::BOLD),
            quote: fg(&cfg.quote),
            meta: fg(&cfg.meta),
            bar: fg(&cfg.bar).add_modifier(Modifier::REVERSED),
            mark: fg(&cfg.mark).add_modifier(Modifier::BOLD),
            matched,
            current: Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD),
        }
    }
}

impl Default for Theme {
    fn default() -> Self {
        Self::new(&crate::config::Config::default().theme, Colors::Ansi16)
    }
}

/// Draws the whole screen.
pub fn draw(app: &App, theme: &Theme, frame: &mut Frame<'_>) {
    let area = frame.area();
    render(app, theme, area, frame.buffer_mut());
}

/// Draws the whole screen into `buf` (its area is the screen).
pub fn render(app: &App, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let g = Geometry::new(area.width, area.height, app.focus());
    if g.too_small {
        too_small(area, buf);
        return;
    }
    header(app, theme, g.header, buf);
    if let Some(list) = g.list {
        draw_list(app, theme, list, buf);
    }
    if let Some(x) = g.divider {
        for y in g.header.bottom()..g.status.y {
            if let Some(c) = buf.cell_mut((x, y)) {
                c.set_symbol("│").set_style(theme.meta);
            }
        }
    }
    if let (Some(pane), Some(text)) = (g.reader, g.text) {
        draw_reader(app, theme, pane, text, buf);
    }
    status(app, theme, &g, buf);
    if app.help() {
        help(app, theme, area, buf);
    }
}

fn too_small(area: Rect, buf: &mut Buffer) {
    if area.is_empty() {
        return;
    }
    let msg = format!(
        "terminal too small: {}×{} (needs {MIN_WIDTH}×{MIN_HEIGHT})",
        area.width, area.height
    );
    Paragraph::new(msg)
        .wrap(ratatui::widgets::Wrap { trim: true })
        .render(area, buf);
}

fn header(app: &App, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let lib = app.library();
    let unread = app.unread_count();
    let plural = if lib.len() == 1 { "" } else { "s" };
    let mut text = format!(
        " qari · {} · {} article{plural} · {unread} unread · sort: {}",
        lib.name(),
        lib.len(),
        app.sort().name()
    );
    if app.searching() {
        let _ = write!(text, " · {} found", app.view().len());
    }
    buf.set_style(area, theme.bar);
    buf.set_stringn(
        area.x,
        area.y,
        &text,
        usize::from(area.width),
        theme.bar.add_modifier(Modifier::BOLD),
    );
}

/// Writes a laid-out line's cells with its offset from `x`, clipped to `max` columns.
fn put_line(
    buf: &mut Buffer,
    x: u16,
    y: u16,
    max: u16,
    line: &VisualLine,
    style: impl Fn(&crate::layout::Cell) -> Style,
) {
    for (col, cell) in line.columns() {
        let w = usize::from(cell.width);
        if col + w > usize::from(max) {
            break;
        }
        let cx = x + u16::try_from(col).unwrap_or(u16::MAX);
        put_cell(buf, cx, y, line.cell_text(cell), w, style(cell));
    }
}

fn put_cell(buf: &mut Buffer, x: u16, y: u16, text: &str, width: usize, style: Style) {
    if let Some(c) = buf.cell_mut((x, y)) {
        c.set_symbol(text).set_style(style);
    }
    for k in 1..width {
        let k = u16::try_from(k).unwrap_or(0);
        if let Some(c) = buf.cell_mut((x + k, y)) {
            c.reset();
        }
    }
}

fn draw_list(app: &App, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let lib = app.library();
    if app.view().is_empty() {
        let msg = if app.searching() {
            "Nothing matches every word (Esc shows the whole library)."
        } else {
            "The library is empty."
        };
        buf.set_stringn(area.x + 1, area.y, msg, usize::from(area.width), theme.meta);
        return;
    }
    let w = area.width;
    // Columns: mark (2), title, date (10), lang (2), source (≤16), one space between.
    let show_source = w >= 70;
    let show_lang = w >= 50;
    let show_date = w >= 36;
    let source_w: u16 = if show_source { 16 } else { 0 };
    let fixed = 2
        + if show_date { 11 } else { 0 }
        + if show_lang { 3 } else { 0 }
        + if show_source { source_w + 1 } else { 0 };
    let title_w = w.saturating_sub(fixed + 1).max(4);
    let per_item = if app.searching() { 2 } else { 1 };
    let rows = usize::from(area.height) / per_item;
    let focused = app.focus() == Focus::List;
    let opts = app.options();
    for (row, pos) in (app.list_top()..app.view().len()).take(rows).enumerate() {
        let y = area.y + u16::try_from(row * per_item).unwrap_or(0);
        let entry = lib.entry(app.view()[pos]);
        let st = app.store().get(&entry.id);
        let mark = match (st.bookmark, st.read) {
            (true, _) => "★",
            (false, false) => "●",
            (false, true) => " ",
        };
        put_cell(buf, area.x, y, mark, 1, theme.mark);
        let tx = area.x + 2;
        let title = title_line(&entry.title, entry.direction, usize::from(title_w), opts);
        put_line(buf, tx, y, title_w, &title, |_| Style::new());
        let mut x = tx + title_w + 1;
        if show_date {
            let d = entry
                .date
                .map(crate::article::DateValue::to_iso)
                .unwrap_or_default();
            let d: String = d.chars().take(10).collect();
            buf.set_stringn(x, y, &d, 10, theme.meta);
            x += 11;
        }
        if show_lang {
            let l = match entry.lang {
                Lang::Ar => "ar",
                Lang::En => "en",
                Lang::Mixed => "mx",
            };
            buf.set_stringn(x, y, l, 2, theme.meta);
            x += 3;
        }
        if show_source && let Some(s) = &entry.source {
            let line = title_line(
                s,
                Direction::Ltr,
                usize::from(source_w),
                Options {
                    base: crate::layout::BaseDir::Ltr,
                    ..opts
                },
            );
            put_line(buf, x, y, source_w, &line, |_| theme.meta);
        }
        if per_item == 2 {
            let line = Rect::new(area.x + 4, y + 1, area.width.saturating_sub(5), 1);
            draw_snippet(app, theme, app.view()[pos], line, buf);
        }
        if pos == app.selected() {
            let mut sel = Style::new().add_modifier(Modifier::REVERSED);
            if !focused {
                sel = sel.add_modifier(Modifier::DIM);
            }
            buf.set_style(Rect::new(area.x, y, area.width, 1), sel);
        }
    }
}

/// The line of text around an article's first match, laid out by the engine (an RTL snippet
/// right-aligned), the match highlighted.
fn draw_snippet(app: &App, theme: &Theme, index: usize, area: Rect, buf: &mut Buffer) {
    let Some(article) = app.library().loaded(index) else {
        return;
    };
    let q = app.search_query();
    let Some((block, m)) = crate::search::first_match(&article, q) else {
        return;
    };
    let text = block.map_or(article.title.as_str(), |b| article.blocks[b].text.as_str());
    let width = usize::from(area.width);
    let (window, inner) = crate::search::snippet_window(text, &m, width.saturating_sub(2));
    let Some(slice) = text.get(window) else {
        return;
    };
    let lines = lay_out(
        slice,
        width,
        Options {
            fallback: article.direction,
            ..app.options()
        },
    );
    let line = lines
        .iter()
        .find(|l| l.src.start <= inner.start && inner.start < l.src.end.max(l.src.start + 1))
        .or(lines.first());
    if let Some(l) = line {
        put_line(buf, area.x, area.y, area.width, l, |cell| {
            if overlaps(&cell.src, &inner) {
                theme.matched
            } else {
                theme.meta
            }
        });
    }
}

/// One line of a title at `width`: laid out by the engine (RTL titles right-aligned inside
/// the column), cut with an ellipsis at its visual end when it does not fit.
fn title_line(title: &str, dir: Direction, width: usize, opts: Options) -> VisualLine {
    let opts = Options {
        fallback: dir,
        ..opts
    };
    let mut lines = lay_out(title, width, opts);
    if lines.len() <= 1 {
        return lines.pop().unwrap_or_default();
    }
    let mut lines = lay_out(title, width.saturating_sub(1).max(1), opts);
    let mut first = lines.swap_remove(0);
    let ell = VisualLine::ellipsis();
    if first.rtl {
        first.prepend(&ell);
        first.offset = width.saturating_sub(first.width);
    } else {
        first.append(&ell);
    }
    first
}

fn draw_reader(app: &App, theme: &Theme, pane: Rect, text: Rect, buf: &mut Buffer) {
    let Some(r) = app.reader() else {
        buf.set_stringn(
            text.x,
            text.y,
            "Enter opens the selected article.",
            usize::from(text.width),
            theme.meta,
        );
        return;
    };
    let current = r.current.and_then(|k| r.matches.get(k)).cloned();
    // RTL rows the terminal mirrors are placed as LTR lines are (see `crate::terminal`).
    let mirror = crate::terminal::rows_carry_direction(app);
    for (row, line) in r
        .lines()
        .iter()
        .skip(r.top)
        .take(usize::from(pane.height))
        .enumerate()
    {
        let y = text.y + u16::try_from(row).unwrap_or(0);
        let base = match line.kind {
            LineKind::Title => theme.title,
            LineKind::Meta => theme.meta,
            LineKind::Heading(_) => theme.heading,
            LineKind::Quote => theme.quote,
            _ => Style::new(),
        };
        let mirrored = mirror && line.line.rtl;
        let marker_at = if mirrored {
            line.marker.map(|_| 0)
        } else {
            line.marker_column(usize::from(text.width))
        };
        if let (Some(m), Some(col)) = (line.marker, marker_at) {
            let x = text.x + u16::try_from(col).unwrap_or(0);
            let st = if line.kind == LineKind::Quote {
                theme.quote
            } else {
                theme.meta
            };
            buf.set_stringn(x, y, m, str_width(m), st);
        }
        let x = if line.line.rtl && !mirrored {
            text.x
        } else {
            text.x + u16::try_from(line.lead).unwrap_or(0)
        };
        let matches: Vec<(bool, std::ops::Range<usize>)> = r
            .matches
            .iter()
            .filter(|(o, range)| {
                *o == line.origin
                    && (line.origin != Origin::Head || line.kind == LineKind::Title)
                    && overlaps(range, &line.line.src)
            })
            .map(|(o, range)| {
                (
                    current.as_ref() == Some(&(*o, range.clone())),
                    range.clone(),
                )
            })
            .collect();
        let mut visual = r.visual(line);
        if mirrored {
            visual.offset = 0;
        }
        put_line(buf, x, y, text.width, &visual, |cell| {
            match matches.iter().find(|(_, m)| overlaps(m, &cell.src)) {
                Some((true, _)) => base.patch(theme.current),
                Some((false, _)) => base.patch(theme.matched),
                None => base,
            }
        });
    }
}

/// Whether two byte ranges share a byte.
fn overlaps(a: &std::ops::Range<usize>, b: &std::ops::Range<usize>) -> bool {
    a.start < b.end && b.start < a.end
}

fn status(app: &App, theme: &Theme, g: &Geometry, buf: &mut Buffer) {
    let area = g.status;
    buf.set_style(area, theme.bar);
    if let Some(q) = app.query() {
        let prompt = if q.list { "filter: " } else { "find: " };
        let mut hint = String::from("  ");
        for note in [app.message(), app.background_status()]
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
        let line = format!(" {prompt}{}▏", tail(&q.text, room));
        let shown = format!("{line}{hint}");
        // The query may be Arabic: lay it out so it reads right, as one LTR-based line.
        let laid = lay_out(
            &shown,
            usize::from(area.width),
            Options {
                base: crate::layout::BaseDir::Ltr,
                ..app.options()
            },
        );
        if let Some(l) = laid.first() {
            put_line(buf, area.x, area.y, area.width, l, |_| theme.bar);
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
    let left = if let Some(m) = app.message() {
        format!(" {m}")
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
        buf.set_stringn(x, area.y, &r, right_w, theme.bar);
    }
}

/// The keys that matter in the focused pane, from the keymap, as many whole hints as fit in
/// `width` columns.
/// The end of `text` that fits in `room` columns, after an ellipsis when cut.
fn tail(text: &str, room: usize) -> std::borrow::Cow<'_, str> {
    if str_width(text) <= room {
        return text.into();
    }
    let mut used = 1;
    let mut start = text.len();
    for (i, c) in text.char_indices().rev() {
        used += str_width(c.encode_utf8(&mut [0; 4]));
        if used > room {
            break;
        }
        start = i;
    }
    format!("…{}", text.get(start..).unwrap_or_default()).into()
}

fn key_hints(app: &App, width: usize) -> String {
    let actions: &[Action] = if app.focus() == Focus::Reader && app.reader().is_some() {
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
            let hint = format!(" {c} {} ", a.label());
            // Whole hints only: one cut in half reads as a different key.
            if str_width(&s) + str_width(&hint) > width {
                break;
            }
            s.push_str(&hint);
        }
    }
    s
}

fn help(app: &App, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let rows = app.keymap().help_rows();
    let keys_w = rows.iter().map(|(k, _)| str_width(k)).max().unwrap_or(0);
    let lines: Vec<String> = rows
        .iter()
        .map(|(k, d)| format!("{k:<keys_w$}  {d}"))
        .collect();
    let w = lines.iter().map(|l| str_width(l)).max().unwrap_or(10) + 4;
    let h = lines.len() + 4;
    let w = u16::try_from(w).unwrap_or(u16::MAX).min(area.width);
    let h = u16::try_from(h).unwrap_or(u16::MAX).min(area.height);
    let x = area.x + (area.width - w) / 2;
    let y = area.y + (area.height - h) / 2;
    let rect = Rect::new(x, y, w, h);
    Clear.render(rect, buf);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(" keys (any key closes) ")
        .border_style(theme.title);
    let inner = block.inner(rect);
    block.render(rect, buf);
    let text = lines.join("\n");
    Paragraph::new(text).render(
        Rect::new(
            inner.x + 1,
            inner.y + 1,
            inner.width.saturating_sub(1),
            inner.height.saturating_sub(1),
        ),
        buf,
    );
}
