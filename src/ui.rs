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
use ratatui::widgets::{Paragraph, Widget};

use crate::app::{App, Focus, Geometry, MIN_HEIGHT, MIN_WIDTH};
use crate::article::{Direction, Lang, Place};
use crate::document::LineKind;
use crate::keymap::Action;
use crate::layout::{Options, VisualLine, lay_out};
use crate::text::str_width;

mod links;
mod overlays;
mod sgr;
mod status;
#[cfg(test)]
mod tests;
mod theme;

use overlays::{help, outline};
pub use sgr::SgrWriter;
use status::status;
pub use theme::{Colors, Theme, downgrade};

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
    if app.link_list().is_some() {
        links::link_list(app, theme, area, buf);
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
    // While only the first page is read, the whole library's count, and no unread count yet.
    let counts = match lib.loading() {
        Some(crate::library::Loading::Folders) => "reading the library…".to_owned(),
        Some(crate::library::Loading::Rest(n)) => {
            format!("{n} article{} · … unread", if n == 1 { "" } else { "s" })
        }
        None => format!(
            "{} article{} · {} unread",
            lib.len(),
            if lib.len() == 1 { "" } else { "s" },
            app.unread_count()
        ),
    };
    let mut text = format!(
        " qari · {} · {counts} · sort: {}",
        lib.name(),
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
    buf.set_style(area, theme.bar);
    let style = theme.bar.add_modifier(Modifier::BOLD);
    if let Some(r) = app.reader().filter(|_| app.focus() == Focus::Reader) {
        // What the article is first: its address (`o` opens it, `y` copies it), source,
        // reading time and tags; then the library.
        let words = app.library().entry(r.index).words;
        let facts = article_facts(&r.article, words);
        if r.article.direction == Direction::Rtl {
            rtl_header(app, &facts, &text, area, buf, style);
            return;
        }
        text = format!("{facts}{}", text.trim_start());
    }
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
    put_line(buf, area.x, area.y, area.width, &line, |_| style);
}

/// The header of a right-to-left article: its facts laid out right to left from the right
/// edge (address, source, reading time, tags, read from the right), the library's line on
/// the left in what room is left.
fn rtl_header(app: &App, facts: &str, library: &str, area: Rect, buf: &mut Buffer, style: Style) {
    let facts = facts.trim().trim_end_matches('·').trim_end();
    let width = usize::from(area.width.saturating_sub(1));
    let line = title_line(
        facts,
        Direction::Rtl,
        width,
        Options {
            base: crate::layout::BaseDir::Rtl,
            ..app.options()
        },
    );
    put_line(buf, area.x, area.y, area.width, &line, |_| style);
    let room = width.saturating_sub(line.width + 3);
    if room >= 8 {
        let lib = crate::app::fit(library.trim(), room);
        put_str(buf, area.x + 1, area.y, &lib, room, style);
    }
}

/// The facts of an article for the header: address, source, reading time (its catalogue's
/// word count at 200 words a minute, never counted again per frame), tags. Each is an
/// isolate (never drawn), so that it reads in its own direction whichever way the line runs:
/// the address and the reading time left to right, the source and the tags by their letters.
fn article_facts(a: &crate::article::Article, words: usize) -> String {
    const LRI: char = '\u{2066}';
    const FSI: char = '\u{2068}';
    const PDI: char = '\u{2069}';
    let mut s = String::from(" ");
    if let Some(url) = &a.url {
        let _ = write!(s, "{LRI}{url}{PDI} · ");
    }
    if let Some(src) = &a.source {
        let _ = write!(s, "{FSI}{src}{PDI} · ");
    }
    let minutes = words.div_ceil(200).max(1);
    let _ = write!(s, "{LRI}{minutes} min{PDI} · ");
    for t in a.tags.iter().take(8) {
        let _ = write!(s, "{FSI}#{t}{PDI} ");
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
        } else if lib.loading().is_some() {
            "Reading the library… (the list comes as soon as it is read; q quits)"
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
        let st = app.store().get(&entry.identity);
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
        if show_date || crate::terminal::list_columns(opts).is_some() {
            list_date(buf, x, y, entry, show_date, opts, theme);
        }
        if show_date {
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

/// A list row's date from column `x` (when it is shown), and in the `terminal` mode the bar
/// before it, the date in an isolate for terminals that take one
/// ([`crate::terminal::list_columns`]).
fn list_date(
    buf: &mut Buffer,
    x: u16,
    y: u16,
    entry: &crate::library::Entry,
    show_date: bool,
    opts: Options,
    theme: &Theme,
) {
    let columns = crate::terminal::list_columns(opts);
    if let Some((bar, _)) = columns {
        let bar = if show_date { bar } else { "\u{2502}" };
        put_cell(buf, x - 1, y, bar, 1, theme.meta);
    }
    if !show_date {
        return;
    }
    let d = entry
        .date
        .map(crate::article::DateValue::to_iso)
        .unwrap_or_default();
    let used = put_str(buf, x, y, &d, 10, theme.meta);
    if let Some((_, end)) = columns
        && let Some(c) = (x + u16::try_from(used).unwrap_or(0))
            .checked_sub(1)
            .and_then(|e| buf.cell_mut((e, y)))
    {
        // Ends the isolate the bar's cell began (no date: in the bar's cell).
        let symbol = format!("{}{end}", c.symbol());
        c.set_symbol(&symbol);
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
    // RTL rows the terminal mirrors are placed as LTR lines are (see `crate::terminal` and
    // `crate::document::place`).
    let directed = crate::terminal::rows_carry_direction(app);
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
            LineKind::TableHead => Style::new().add_modifier(Modifier::BOLD),
            _ => Style::new(),
        };
        let base = match (&selected, line.origin) {
            (Some(sel), Place::Block(b)) if sel.contains(&b) => {
                base.add_modifier(Modifier::REVERSED)
            }
            _ => base,
        };
        let mut visual = r.visual(line);
        let mut row = crate::document::place::row_of(
            &visual,
            line.lead,
            line.marker,
            usize::from(text.width),
            app.options().mode,
            directed,
        );
        row.at_row_start = text.x == 0;
        let placed = crate::document::place::place(&row);
        if let Some((col, m)) = placed.marker {
            let x = text.x + u16::try_from(col).unwrap_or(0);
            let st = if line.kind == LineKind::Quote {
                theme.quote
            } else {
                theme.meta
            };
            put_str(buf, x, y, &m, str_width(&m), st);
        }
        let x = text.x + u16::try_from(placed.text_at).unwrap_or(0);
        if placed.controls_before
            && let Some(b) = x.checked_sub(1)
            && buf.cell((b, y)).is_some()
        {
            // The terminal joins them to the cell before the line, as they are sent.
            let controls = visual.take_leading_controls();
            if let Some(c) = buf.cell_mut((b, y)) {
                let symbol = format!("{}{controls}", c.symbol());
                c.set_symbol(&symbol);
            }
        }
        visual.offset = 0;
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
        let marks: &[crate::article::Mark] = match line.origin {
            Place::Block(b) => r.article.blocks.get(b).map_or(&[], |b| &b.marks),
            _ => &[],
        };
        let room = text.width.saturating_sub(x - text.x);
        put_line(buf, x, y, room, &visual, |cell| {
            let base = base.add_modifier(links::marked(marks, &cell.src).0);
            match matches.iter().find(|(_, m)| overlaps(m, &cell.src)) {
                Some((true, _)) => base.patch(theme.current),
                Some((false, _)) => base.patch(theme.matched),
                None => base,
            }
        });
        if theme.hyperlinks && !marks.is_empty() {
            links::hyperlinks(buf, (x, y), room, &visual, marks, &r.article.links);
        }
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

/// Whether two byte ranges share a byte.
fn overlaps(a: &std::ops::Range<usize>, b: &std::ops::Range<usize>) -> bool {
    a.start < b.end && b.start < a.end
}
