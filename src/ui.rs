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
use crate::article::{Direction, Lang, Place};
use crate::document::LineKind;
use crate::keymap::Action;
use crate::layout::{Options, VisualLine, lay_out};
use crate::text::str_width;

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

/// The 16 ANSI colours, in index order, with the RGB values xterm gives them.
const ANSI16: [(Color, (u8, u8, u8)); 16] = [
    (Color::Black, (0, 0, 0)),
    (Color::Red, (205, 0, 0)),
    (Color::Green, (0, 205, 0)),
    (Color::Yellow, (205, 205, 0)),
    (Color::Blue, (0, 0, 238)),
    (Color::Magenta, (205, 0, 205)),
    (Color::Cyan, (0, 205, 205)),
    (Color::Gray, (229, 229, 229)),
    (Color::DarkGray, (127, 127, 127)),
    (Color::LightRed, (255, 0, 0)),
    (Color::LightGreen, (0, 255, 0)),
    (Color::LightYellow, (255, 255, 0)),
    (Color::LightBlue, (92, 92, 255)),
    (Color::LightMagenta, (255, 0, 255)),
    (Color::LightCyan, (0, 255, 255)),
    (Color::White, (255, 255, 255)),
];

/// The RGB value of a palette index (the 16 colours, the 6×6×6 cube, the grey ramp).
fn index_rgb(n: u8) -> (u8, u8, u8) {
    const LEVELS: [u8; 6] = [0, 95, 135, 175, 215, 255];
    match n {
        0..=15 => ANSI16[usize::from(n)].1,
        16..=231 => {
            let k = n - 16;
            (
                LEVELS[usize::from(k / 36)],
                LEVELS[usize::from(k / 6 % 6)],
                LEVELS[usize::from(k % 6)],
            )
        }
        _ => {
            let v = 8 + (n - 232) * 10;
            (v, v, v)
        }
    }
}

fn distance(a: (u8, u8, u8), b: (u8, u8, u8)) -> u32 {
    let d = |x: u8, y: u8| u32::from(x.abs_diff(y)).pow(2);
    d(a.0, b.0) + d(a.1, b.1) + d(a.2, b.2)
}

/// The colour a terminal with `colors` can show that is nearest to `c`: a palette index or
/// an RGB value becomes the nearest of the 16 colours on a 16-colour terminal (never
/// nothing, so that a match's background stays visible), an RGB value the nearest palette
/// index on a 256-colour one.
pub fn downgrade(c: Color, colors: Colors) -> Color {
    let rgb = match c {
        Color::Rgb(r, g, b) => Some((r, g, b)),
        Color::Indexed(n) => Some(index_rgb(n)),
        _ => None,
    };
    match (colors, c, rgb) {
        (Colors::None, ..) => Color::Reset,
        (Colors::Ansi16, Color::Indexed(n), _) if n < 16 => ANSI16[usize::from(n)].0,
        (Colors::Ansi16, _, Some(rgb)) => ANSI16
            .iter()
            .min_by_key(|(_, v)| distance(*v, rgb))
            .map_or(Color::Reset, |(c, _)| *c),
        (Colors::Ansi256, Color::Rgb(..), Some(rgb)) => (16..=255u8)
            .min_by_key(|&n| distance(index_rgb(n), rgb))
            .map_or(Color::Reset, Color::Indexed),
        _ => c,
    }
}

impl Theme {
    /// The theme of the config for a terminal with `colors` (an invalid colour is the
    /// terminal's own; [`crate::config::Theme::validate`] says which).
    pub fn new(cfg: &crate::config::Theme, colors: Colors) -> Self {
        let color = |name: &str| -> Color {
            let c = Color::from_str(name.trim()).unwrap_or(Color::Reset);
            downgrade(c, colors)
        };
        let fg = |name: &str| Style::new().fg(color(name));
        let matched = match color(&cfg.matched) {
            _ if colors == Colors::None => Style::new().add_modifier(Modifier::UNDERLINED),
            // No colour for it: reverse video, never black on the default background.
            Color::Reset => Style::new().add_modifier(Modifier::REVERSED),
            c => Style::new().bg(c).fg(Color::Black),
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
    let g = app.geometry_at(area.width, area.height);
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
    if app.outline().is_some() {
        outline(app, theme, area, buf);
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
    } else if app.filtered() {
        let _ = write!(text, " · {} shown", app.view().len());
    }
    if app.unread_only() {
        text.push_str(" · unread only");
    }
    if let Some(r) = app.reader().filter(|_| app.focus() == Focus::Reader) {
        // What the article is first: its address (`o` opens it, `y` copies it), source,
        // reading time and tags; then the library.
        let words = app.library().entry(r.index).words;
        text = format!("{}{}", article_facts(&r.article, words), text.trim_start());
    }
    buf.set_style(area, theme.bar);
    // Names and addresses may be Arabic: laid out by the engine as one left-to-right line,
    // cut with an ellipsis.
    let line = title_line(
        &text,
        Direction::Ltr,
        usize::from(area.width),
        Options {
            base: crate::layout::BaseDir::Ltr,
            ..app.options()
        },
    );
    let style = theme.bar.add_modifier(Modifier::BOLD);
    put_line(buf, area.x, area.y, area.width, &line, |_| style);
}

/// The facts of an article for the header: address, source, reading time (its catalogue's
/// word count at 200 words a minute, never counted again per frame), tags.
fn article_facts(a: &crate::article::Article, words: usize) -> String {
    let mut s = String::from(" ");
    if let Some(url) = &a.url {
        let _ = write!(s, "{url} · ");
    }
    if let Some(src) = &a.source {
        let _ = write!(s, "{src} · ");
    }
    let minutes = words.div_ceil(200).max(1);
    let _ = write!(s, "{minutes} min · ");
    for t in a.tags.iter().take(8) {
        let _ = write!(s, "#{t} ");
    }
    if !a.tags.is_empty() {
        s.push_str("· ");
    }
    s
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

/// Writes `text` from column `x` of row `y`, at most `max` columns of it, cluster by cluster
/// as the layout measures them ([`crate::text::cluster_width`]), so that what the bars, the
/// list and the help put on screen takes the columns it was measured to take. Clusters that
/// draw nothing (and controls) are left out. Returns the columns written.
fn put_str(buf: &mut Buffer, x: u16, y: u16, text: &str, max: usize, style: Style) -> usize {
    let max = max.min(usize::from(buf.area.right().saturating_sub(x)));
    let mut used = 0;
    for g in unicode_segmentation::UnicodeSegmentation::graphemes(text, true) {
        let w = crate::text::cluster_width(g);
        if w == 0 || g.contains(char::is_control) {
            continue;
        }
        if used + w > max {
            break;
        }
        let cx = x.saturating_add(u16::try_from(used).unwrap_or(u16::MAX));
        put_cell(buf, cx, y, g, w, style);
        used += w;
    }
    used
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
        } else if app.filtered() {
            "No article passes the filter (Esc shows the whole library; U toggles unread only)."
        } else {
            "The library is empty."
        };
        put_str(
            buf,
            area.x + 1,
            area.y,
            msg,
            usize::from(area.width),
            theme.meta,
        );
        return;
    }
    let w = area.width;
    // Columns: mark (2), title, date (10), lang (2), source (≤16), one space between.
    let show_source = w >= 70;
    let show_lang = w >= 50;
    let show_date = w >= 36;
    let source_w: u16 = if show_source { 16 } else { 0 };
    let fixed = 3
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
        // Unread and bookmarked are two columns: one never hides the other.
        put_cell(
            buf,
            area.x,
            y,
            if st.read { " " } else { "●" },
            1,
            theme.mark,
        );
        put_cell(
            buf,
            area.x + 1,
            y,
            if st.bookmark { "★" } else { " " },
            1,
            theme.mark,
        );
        let tx = area.x + 3;
        let title = title_line(&entry.title, entry.direction, usize::from(title_w), opts);
        put_line(buf, tx, y, title_w, &title, |_| Style::new());
        let mut x = tx + title_w + 1;
        if show_date {
            let d = entry
                .date
                .map(crate::article::DateValue::to_iso)
                .unwrap_or_default();
            put_str(buf, x, y, &d, 10, theme.meta);
            x += 11;
        }
        if show_lang {
            let l = match entry.lang {
                Lang::Ar => "ar",
                Lang::En => "en",
                Lang::Mixed => "mx",
            };
            put_str(buf, x, y, l, 2, theme.meta);
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
    let Some((place, m)) = crate::search::first_match(&article, q) else {
        return;
    };
    let Some(text) = place.text(&article) else {
        return;
    };
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
        put_str(
            buf,
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
    let selected = r.selection();
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
            LineKind::Heading(level) => heading_style(theme, level),
            LineKind::Quote => theme.quote,
            _ => Style::new(),
        };
        let base = match (&selected, line.origin) {
            (Some(sel), Place::Block(b)) if sel.contains(&b) => {
                base.add_modifier(Modifier::REVERSED)
            }
            _ => base,
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
            put_str(buf, x, y, m, str_width(m), st);
        }
        let x = if line.line.rtl && !mirrored {
            text.x
        } else {
            text.x + u16::try_from(line.lead).unwrap_or(0)
        };
        let matches: Vec<(bool, std::ops::Range<usize>)> = r
            .matches
            .iter()
            .filter(|(o, range)| *o == line.origin && overlaps(range, &line.line.src))
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

/// Each heading level drawn its own way, with attributes that show under `NO_COLOR` too:
/// level 1 bold and underlined, 2 bold, 3 bold italic, 4 and below italic.
fn heading_style(theme: &Theme, level: u8) -> Style {
    let m = match level {
        0 | 1 => Modifier::BOLD | Modifier::UNDERLINED,
        2 => Modifier::BOLD,
        3 => Modifier::BOLD | Modifier::ITALIC,
        _ => Modifier::ITALIC,
    };
    // The theme's heading colour, with this level's attributes only.
    theme
        .heading
        .remove_modifier(Modifier::BOLD)
        .add_modifier(m)
}

/// The outline overlay: the article's headings, indented by level, each laid out in its own
/// direction, the selected one in reverse video.
fn outline(app: &App, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let Some((items, selected)) = app.outline() else {
        return;
    };
    let w = area.width.min(72).max(area.width.min(20));
    let h = u16::try_from(items.len() + 2)
        .unwrap_or(u16::MAX)
        .min(area.height);
    let rect = Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    );
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
fn cursor_column(line: &VisualLine, text: &str, query: std::ops::Range<usize>) -> usize {
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
fn put_line_with_gap(
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
fn close_hint(app: &App) -> String {
    let km = app.keymap();
    let mut keys: Vec<String> = [Action::Back, Action::Quit, Action::Help]
        .into_iter()
        .filter_map(|a| km.chords(a).first().map(ToString::to_string))
        .collect();
    keys.dedup();
    format!("{} close", keys.join(" "))
}

/// Writes a terminal stream, sending the 16 ANSI colours as SGR 30–37/90–97 (and 40–47/
/// 100–107) instead of the `38;5;N` (`48;5;N`) crossterm writes for them, which terminals
/// without the 256-colour palette (`TERM=xterm`, `linux`, `screen`) may not understand.
/// Everything else passes unchanged; a sequence split across writes is held until its end.
pub struct SgrWriter<W: std::io::Write> {
    inner: W,
    /// Whether to rewrite (off: a plain pass-through).
    rewrite: bool,
    /// An escape sequence begun and not ended yet.
    pending: Vec<u8>,
}

/// The longest escape sequence held back: past it the bytes go out as they are.
const MAX_PENDING: usize = 64;

impl<W: std::io::Write> SgrWriter<W> {
    /// A writer on `inner`, rewriting the colours when `rewrite` is true.
    pub fn new(inner: W, rewrite: bool) -> Self {
        Self {
            inner,
            rewrite,
            pending: Vec::new(),
        }
    }

    /// The inner writer.
    pub fn get_ref(&self) -> &W {
        &self.inner
    }

    /// Ends the pending sequence (if it is complete, rewritten) into `out`.
    fn finish(pending: &[u8], out: &mut Vec<u8>) {
        let rewritten = pending
            .strip_prefix(b"\x1b[")
            .and_then(|p| p.strip_suffix(b"m"))
            .and_then(|p| std::str::from_utf8(p).ok())
            .and_then(rewrite_sgr);
        match rewritten {
            Some(params) => {
                out.extend_from_slice(b"\x1b[");
                out.extend_from_slice(params.as_bytes());
                out.push(b'm');
            }
            None => out.extend_from_slice(pending),
        }
    }
}

/// The parameters of an SGR with each `38;5;N`/`48;5;N` of N below 16 made the 16-colour
/// code; none when there is nothing to change.
fn rewrite_sgr(params: &str) -> Option<String> {
    let parts: Vec<&str> = params.split(';').collect();
    let mut out: Vec<String> = Vec::with_capacity(parts.len());
    let mut changed = false;
    let mut i = 0;
    while i < parts.len() {
        let p = parts[i];
        let n = parts.get(i + 2).and_then(|n| n.parse::<u8>().ok());
        if (p == "38" || p == "48") && parts.get(i + 1) == Some(&"5") && n.is_some_and(|n| n < 16) {
            let n = n.unwrap_or(0);
            let base = match (p, n < 8) {
                ("38", true) => 30,
                ("38", false) => 90 - 8,
                (_, true) => 40,
                (_, false) => 100 - 8,
            };
            out.push((base + u16::from(n)).to_string());
            changed = true;
            i += 3;
        } else if (p == "38" || p == "48" || p == "58") && parts.get(i + 1) == Some(&"2") {
            // An RGB colour: its three values pass as they are.
            out.extend(
                parts[i..(i + 5).min(parts.len())]
                    .iter()
                    .map(|s| (*s).to_owned()),
            );
            i += 5;
        } else if (p == "38" || p == "48" || p == "58") && parts.get(i + 1) == Some(&"5") {
            out.extend(
                parts[i..(i + 3).min(parts.len())]
                    .iter()
                    .map(|s| (*s).to_owned()),
            );
            i += 3;
        } else {
            out.push(p.to_owned());
            i += 1;
        }
    }
    changed.then(|| out.join(";"))
}

impl<W: std::io::Write> std::io::Write for SgrWriter<W> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if !self.rewrite {
            return self.inner.write(data);
        }
        let mut out = Vec::with_capacity(data.len() + 8);
        for &b in data {
            if self.pending.is_empty() {
                if b == 0x1b {
                    self.pending.push(b);
                } else {
                    out.push(b);
                }
                continue;
            }
            self.pending.push(b);
            let len = self.pending.len();
            let done = if len == 2 {
                // Only a CSI is looked into.
                b != b'['
            } else {
                (0x40..=0x7e).contains(&b)
            };
            if done {
                Self::finish(&self.pending, &mut out);
                self.pending.clear();
            } else if len >= MAX_PENDING {
                out.append(&mut self.pending);
            }
        }
        self.inner.write_all(&out)?;
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;

    #[test]
    fn the_16_colours_go_out_as_their_own_codes() {
        let mut w = SgrWriter::new(Vec::new(), true);
        // Split inside a sequence, as a backend's small writes may.
        w.write_all(b"a\x1b[38;5;1;48;5;").unwrap();
        w.write_all(b"11mb\x1b[38;5;200mc\x1b[39;48;5;9m\x1b[2;3Hd\x1b[38;2;1;2;3m")
            .unwrap();
        let s = String::from_utf8(w.get_ref().clone()).unwrap();
        assert_eq!(
            s,
            "a\x1b[31;103mb\x1b[38;5;200mc\x1b[39;101m\x1b[2;3Hd\x1b[38;2;1;2;3m"
        );
        let mut off = SgrWriter::new(Vec::new(), false);
        off.write_all(b"\x1b[38;5;1m").unwrap();
        assert_eq!(off.get_ref(), b"\x1b[38;5;1m");
    }

    #[test]
    fn colours_a_terminal_lacks_become_the_nearest_it_has() {
        assert_eq!(
            downgrade(Color::Indexed(200), Colors::Ansi16),
            Color::LightMagenta
        );
        assert_eq!(downgrade(Color::Indexed(3), Colors::Ansi16), Color::Yellow);
        assert_eq!(
            downgrade(Color::Rgb(250, 250, 0), Colors::Ansi16),
            Color::LightYellow
        );
        assert_eq!(
            downgrade(Color::Rgb(255, 0, 215), Colors::Ansi256),
            Color::Indexed(200)
        );
        assert_eq!(downgrade(Color::Red, Colors::None), Color::Reset);
        assert_eq!(
            downgrade(Color::Rgb(1, 2, 3), Colors::True),
            Color::Rgb(1, 2, 3)
        );
        // `matched = "200"` on TERM=xterm: a visible background, not black on nothing.
        let mut cfg = crate::config::Config::default().theme;
        cfg.matched = "200".into();
        let t = Theme::new(&cfg, Colors::Ansi16);
        assert_eq!(t.matched.bg, Some(Color::LightMagenta));
        cfg.matched = "reset".into();
        let t = Theme::new(&cfg, Colors::Ansi16);
        assert!(t.matched.add_modifier.contains(Modifier::REVERSED));
    }
}
