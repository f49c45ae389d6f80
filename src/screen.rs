//! Drives a ratatui terminal on any backend (the local tty, an SSH channel, a test backend).
//!
//! ratatui redraws only the cells that changed, but scrolling a text pane by one line changes
//! every cell of it. When the reader fills the width of the screen and scrolls by less than a
//! page, the screen asks the terminal to scroll the pane's rows (a scroll region) and shifts its
//! record of the previous frame to match, so the diff sends only the lines that came into view.
//! Side by side the list shares those rows, so there the plain diff is used.

use ratatui::backend::{Backend, ClearType};
use ratatui::buffer::{Buffer, Cell};
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};

use crate::app::{App, Focus};
pub use crate::app::{MAX_COLS, MAX_ROWS, clamp_size};
use crate::ui::{self, Theme};

/// What decides whether a frame can scroll the previous one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FrameKey {
    size: (u16, u16),
    article: Option<usize>,
    width: usize,
    top: usize,
    /// The text rows, when the reader fills the screen's width alone.
    region: Option<(u16, u16)>,
}

impl FrameKey {
    fn of(app: &App) -> Self {
        let g = app.geometry();
        let r = app.reader();
        let alone =
            g.divider.is_none() && app.focus() == Focus::Reader && !app.help() && r.is_some();
        Self {
            size: app.size(),
            article: r.map(|r| r.index),
            width: r.map_or(0, crate::app::Reader::width),
            top: r.map_or(0, |r| r.top),
            region: g.text.filter(|_| alone).map(|t| (t.y, t.y + t.height)),
        }
    }
}

/// A terminal and what was last drawn on it. The frame is the app's size (held to
/// [`MAX_COLS`] × [`MAX_ROWS`]), at the top left of the terminal, whatever size the terminal
/// says it is: ratatui's buffers never grow past the cap.
pub struct Screen<B: Backend> {
    terminal: Terminal<B>,
    theme: Theme,
    last: Option<(FrameKey, Buffer)>,
    /// The frame's size.
    size: (u16, u16),
    /// Whether scroll regions may be used (on by default).
    pub scroll_regions: bool,
    /// The app's full redraws (Ctrl-L) seen so far.
    redraws: u64,
}

impl<B: Backend> Screen<B> {
    /// A terminal on `backend`, its frame the backend's size held to the cap.
    pub fn new(backend: B, theme: Theme) -> Result<Self, B::Error> {
        let size = backend.size()?;
        let (w, h) = clamp_size(size.width, size.height);
        let viewport = Viewport::Fixed(Rect::new(0, 0, w, h));
        Ok(Self {
            terminal: Terminal::with_options(backend, TerminalOptions { viewport })?,
            theme,
            last: None,
            size: (w, h),
            scroll_regions: true,
            redraws: 0,
        })
    }

    /// The backend (to write to it, or for tests to read it).
    pub fn backend(&self) -> &B {
        self.terminal.backend()
    }

    /// The backend, mutably.
    pub fn backend_mut(&mut self) -> &mut B {
        self.terminal.backend_mut()
    }

    /// Forgets what is on screen: the next frame is drawn whole (after a resume, a resize of
    /// a backend that cannot tell its size, or anything that may have disturbed the screen).
    pub fn invalidate(&mut self) -> Result<(), B::Error> {
        self.last = None;
        // Never ratatui's `clear`: it asks the terminal where the cursor is, and the answer
        // would go to whoever reads the input.
        self.terminal.backend_mut().clear_region(ClearType::All)?;
        // Both buffers blank: the next frame is sent whole.
        self.terminal.swap_buffers();
        self.terminal.swap_buffers();
        Ok(())
    }

    /// Sets the size of the frame (held to the cap), for a backend that cannot ask the
    /// terminal (an SSH channel); [`Self::draw`] also follows the app's size.
    pub fn resize(&mut self, width: u16, height: u16) -> Result<(), B::Error> {
        self.last = None;
        let (w, h) = clamp_size(width, height);
        self.size = (w, h);
        self.terminal.resize(Rect::new(0, 0, w, h))
    }

    /// The size of the frame drawn.
    pub fn size(&self) -> (u16, u16) {
        self.size
    }

    /// Draws the app, scrolling what is on screen first when that saves output.
    pub fn draw(&mut self, app: &App) -> Result<(), B::Error> {
        let (w, h) = clamp_size(app.size().0, app.size().1);
        if self.size() != (w, h) {
            self.resize(w, h)?;
        }
        if app.redraws() != self.redraws {
            // Ctrl-L: the terminal may hold anything; clear it and send every cell.
            self.redraws = app.redraws();
            self.invalidate()?;
        }
        let key = FrameKey::of(app);
        if self.scroll_regions
            && let Some((prev, mut buf)) = self.last.take()
            && let Some((rows, delta)) = scroll_between(&prev, &key)
            && buf.area.width == key.size.0
            && buf.area.height == key.size.1
        {
            let n = u16::try_from(delta.unsigned_abs()).unwrap_or(u16::MAX);
            let backend = self.terminal.backend_mut();
            if delta > 0 {
                backend.scroll_region_up(rows.0..rows.1, n)?;
            } else {
                backend.scroll_region_down(rows.0..rows.1, n)?;
            }
            shift_rows(&mut buf, rows, delta);
            // Make the shifted record the frame the next diff compares against.
            self.terminal.swap_buffers();
            *self.terminal.current_buffer_mut() = buf;
            self.terminal.swap_buffers();
        }
        let theme = self.theme;
        let done = self.terminal.draw(|f| ui::draw(app, &theme, f))?;
        self.last = Some((key, done.buffer.clone()));
        Ok(())
    }
}

/// The rows to scroll and by how much (positive: content moves up), when `next` is `prev`
/// scrolled by less than its text height.
fn scroll_between(prev: &FrameKey, next: &FrameKey) -> Option<((u16, u16), isize)> {
    let rows = next.region?;
    if prev.region != Some(rows)
        || prev.size != next.size
        || prev.article != next.article
        || prev.width != next.width
    {
        return None;
    }
    let delta = isize::try_from(next.top).ok()? - isize::try_from(prev.top).ok()?;
    let height = isize::try_from(rows.1 - rows.0).ok()?;
    (delta != 0 && delta.abs() < height).then_some((rows, delta))
}

/// Moves the rows `rows` of `buf` up by `delta` (down when negative), blanking what is left.
fn shift_rows(buf: &mut Buffer, rows: (u16, u16), delta: isize) {
    let w = usize::from(buf.area.width);
    let (top, bottom) = (usize::from(rows.0), usize::from(rows.1));
    let n = delta.unsigned_abs();
    let content = &mut buf.content;
    if delta > 0 {
        for y in top..bottom {
            let src = y + n;
            for x in 0..w {
                content[y * w + x] = if src < bottom {
                    content[src * w + x].clone()
                } else {
                    Cell::default()
                };
            }
        }
    } else {
        for y in (top..bottom).rev() {
            for x in 0..w {
                content[y * w + x] = if y >= top + n {
                    content[(y - n) * w + x].clone()
                } else {
                    Cell::default()
                };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;

    #[test]
    fn sizes_from_outside_are_held_to_the_cap() {
        assert_eq!(clamp_size(65535, 65535), (MAX_COLS, MAX_ROWS));
        assert_eq!(clamp_size(80, 24), (80, 24));
        assert_eq!(clamp_size(8000, 20), (MAX_COLS, 20));
    }

    #[test]
    fn rows_shift_both_ways() {
        let mut b = Buffer::empty(Rect::new(0, 0, 2, 5));
        for y in 0..5 {
            b.set_string(0, y, y.to_string(), ratatui::style::Style::new());
        }
        shift_rows(&mut b, (1, 4), 1);
        let col: String = (0..5).map(|y| b[(0, y)].symbol().to_owned()).collect();
        assert_eq!(col, "023 4");
        shift_rows(&mut b, (1, 4), -2);
        let col: String = (0..5).map(|y| b[(0, y)].symbol().to_owned()).collect();
        assert_eq!(col, "0  24");
    }
}
