//! What qari knows about terminals and bidi: which bidi mode a terminal gets, the bytes that
//! put a terminal into that mode and take it out again, and the control that gives a row its
//! paragraph direction.
//!
//! # Choosing the mode
//! `--bidi`, else `$QARI_BIDI`, else the config file's `bidi`, else the terminal: mlterm
//! (recognised by `$MLTERM`, which it sets, or a `TERM` starting with `mlterm`) always
//! reorders and shapes by itself and takes neither the explicit-mode control nor the direction
//! control (its list of control sequences has no BDSM and no SCP), so it gets `terminal`;
//! every other terminal gets `app`. An SSH session decides from its own client's values (the
//! `TERM` of its pty request, `MLTERM` and `QARI_BIDI` sent with `SendEnv`), never from the
//! server's environment: [`Terminal::detect`] and [`choose`] take the values, only
//! [`local_mode`] reads the process environment.
//!
//! # The sequences (the terminal-wg `BiDi` recommendation)
//! - `app`: on entry `CSI 8 l` (BDSM reset: explicit mode, the terminal must not reorder what
//!   qari already ordered) and `CSI 1 SP k` (SCP: left to right); on the way out `CSI 8 h`
//!   and `CSI 0 SP k` (implicit mode, the default direction).
//! - `terminal`: on entry `CSI 8 h` (implicit mode: the terminal reorders); every row then
//!   carries its paragraph direction, `CSI 1 SP k` or `CSI 2 SP k` ([`direction`]), sent with
//!   the cursor on that row; on the way out `CSI 0 SP k`.
//! - `off`: nothing.
//!
//! # Rows with their direction
//! In `terminal` mode an RTL paragraph's lines are written in logical order, unshaped and
//! unpadded, after the RTL control, so a terminal that implements SCP (VTE) right-aligns them
//! and ends each sentence with its `.` or `،` on the left; a terminal that chooses the
//! direction of each line by itself (mlterm, Konsole) finds it from the first strong letter,
//! which unpadded lines give it. Such a row is mirrored as a whole by the terminal, so the
//! reader places it as it places an LTR line (quote bar or list marker first) and the
//! terminal puts that on the right. Only the reader's text rows, when the reader fills the
//! screen's width alone, are RTL rows ([`rows_carry_direction`]); every other row (the list,
//! the header, the status line, the two panes side by side, help) stays LTR, its RTL pieces
//! reordered inside their columns by the terminal.
//!
//! mlterm (seen, 3.9.0) takes no SCP: it finds each line's direction from its first strong
//! letter, so the reader's paragraphs come out right; a line that holds a box-drawing
//! character (U+2500–U+259F) it lays out left to right, the pieces on either side of the
//! character apart. So the `terminal` mode's quote bar is not one (`❙`,
//! [`crate::document::place`]), and a list row has one between its title and its date
//! ([`list_columns`]): the row is not mirrored and the date stays apart. A zero-width control
//! (LRM, RLM, an isolate) would tell mlterm more, but it draws an isolate as a cell of its own
//! and gives a mark a column it does not show, moving every later cell of the row; so mlterm
//! gets none ([`Terminal::takes_controls`]), and VTE, which joins them to the cell before as
//! the zero-width characters they are, gets the text's own and the list row's date isolate.

//! ratatui draws cells and diffs them; a control inside a cell's symbol would count as
//! columns in its width arithmetic and be sent only when that cell changes. So the control
//! travels outside the buffer: [`Directed`] wraps a backend and, for every row that a frame
//! redraws any cell of, first sends one extra cell at the row's first column whose symbol is
//! the row's SCP followed by a cursor move to the row's first redrawn cell, then the row's
//! cells. The control must be sent at the row's first column: VTE (seen, 0.70 in sakura)
//! applies SCP to a paragraph only with the cursor at its start, else only to paragraphs
//! begun later. The buffer, its widths and the diff stay what they are; each redrawn row
//! costs about a dozen bytes.

use ratatui::backend::{Backend, ClearType, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};

use crate::app::{App, Focus};
use crate::layout::BidiMode;

/// Explicit bidi mode (BDSM reset) and left-to-right presentation (SCP 1): `app` on entry.
pub const APP_ENTER: &str = "\x1b[8l\x1b[1 k";
/// Implicit bidi mode (BDSM set) and the default presentation (SCP 0): `app` on the way out.
pub const APP_LEAVE: &str = "\x1b[8h\x1b[0 k";
/// Implicit bidi mode (BDSM set): `terminal` on entry.
pub const TERMINAL_ENTER: &str = "\x1b[8h";
/// The default paragraph direction (SCP 0): `terminal` on the way out.
pub const TERMINAL_LEAVE: &str = "\x1b[0 k";
/// The paragraph direction of the cursor's row: left to right (SCP 1).
pub const LTR: &str = "\x1b[1 k";
/// The paragraph direction of the cursor's row: right to left (SCP 2).
pub const RTL: &str = "\x1b[2 k";

/// What goes to the terminal on entry in `mode` (the full-screen reader and `qari render` to
/// a terminal alike).
pub fn enter(mode: BidiMode) -> &'static str {
    match mode {
        BidiMode::App => APP_ENTER,
        BidiMode::Terminal => TERMINAL_ENTER,
        BidiMode::Off => "",
    }
}

/// What goes to the terminal on the way out of `mode`.
pub fn leave(mode: BidiMode) -> &'static str {
    match mode {
        BidiMode::App => APP_LEAVE,
        BidiMode::Terminal => TERMINAL_LEAVE,
        BidiMode::Off => "",
    }
}

/// The paragraph-direction control for a row (SCP 2 for right to left, else SCP 1).
pub fn direction(rtl: bool) -> &'static str {
    if rtl { RTL } else { LTR }
}

/// In the `terminal` mode, the cell between a list row's title and its date, and what is
/// appended to the date's last cell; `None` in the other modes (the row is qari's to order).
///
/// The cell is a box-drawing bar: mlterm (seen, 3.9.0) lays out every line that holds one
/// left to right, and the pieces on either side of it apart, so a row whose title is Arabic
/// is not mirrored and its date stays on its own. A terminal that takes the bidi controls
/// gets the date in a left-to-right isolate (LRI after the bar, PDI after the date), so VTE
/// keeps it out of the title's run instead of showing it on the title's left.
pub fn list_columns(opts: crate::layout::Options) -> Option<(&'static str, &'static str)> {
    (opts.mode == BidiMode::Terminal).then_some(if opts.controls {
        ("\u{2502}\u{2066}", "\u{2069}")
    } else {
        ("\u{2502}", "")
    })
}

/// Mouse capture on (button, drag and motion tracking, in the SGR and RXVT encodings), as
/// crossterm's `EnableMouseCapture` writes it.
pub const MOUSE_ON: &str = "\x1b[?1000h\x1b[?1002h\x1b[?1003h\x1b[?1015h\x1b[?1006h";
/// Mouse capture off, [`MOUSE_ON`] undone in reverse order.
pub const MOUSE_OFF: &str = "\x1b[?1006l\x1b[?1015l\x1b[?1003l\x1b[?1002l\x1b[?1000l";

/// How the full-screen reader holds a terminal: its bidi mode and whether the mouse wheel is
/// captured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Modes {
    /// The bidi mode whose sequences frame the screen.
    pub bidi: BidiMode,
    /// Whether mouse capture is on.
    pub mouse: bool,
}

impl Modes {
    /// What takes a terminal into the reader's screen, the local one and an SSH client's
    /// alike: the alternate screen with the cursor at home, the bidi mode's entry (explicit
    /// mode in `app`), a clear, the cursor hidden, bracketed paste on, and mouse capture when
    /// asked for.
    pub fn enter(self) -> String {
        let mut s = String::from("\x1b[?1049h\x1b[H");
        s.push_str(enter(self.bidi));
        s.push_str("\x1b[2J\x1b[?25l\x1b[?2004h");
        if self.mouse {
            s.push_str(MOUSE_ON);
        }
        s
    }

    /// Everything [`Self::enter`] set, undone.
    pub fn leave(self) -> String {
        let mut s = String::new();
        if self.mouse {
            s.push_str(MOUSE_OFF);
        }
        s.push_str("\x1b[?2004l\x1b[?25h");
        s.push_str(leave(self.bidi));
        s.push_str("\x1b[?1049l");
        s
    }
}

/// A terminal event as the app's input: key presses and repeats, sizes (held to what a
/// `u16` holds), pastes, the wheel. The one converter of both front ends: the SSH sessions
/// parse their bytes into terminput's events, the tty takes crossterm's through terminput's
/// adapter ([`from_crossterm`]). The app's keys are crossterm's key events.
pub fn to_input(ev: terminput::Event) -> Option<crate::app::Input> {
    use crate::app::Input;
    use terminput::{Event, KeyEventKind, MouseEventKind, ScrollDirection};
    let cap = |n: u32| u16::try_from(n).unwrap_or(u16::MAX);
    match ev {
        Event::Key(k) if k.kind != KeyEventKind::Release => {
            Some(Input::Key(terminput_crossterm::to_crossterm_key(k)))
        }
        Event::Resize { cols, rows } => Some(Input::Resize(cap(cols), cap(rows))),
        Event::Paste(p) => Some(Input::Paste(p)),
        Event::Mouse(m) => match m.kind {
            MouseEventKind::Scroll(ScrollDirection::Up) => Some(Input::ScrollUp),
            MouseEventKind::Scroll(ScrollDirection::Down) => Some(Input::ScrollDown),
            _ => None,
        },
        _ => None,
    }
}

/// A crossterm event (the tty's) as the app's input, through terminput's adapter and
/// [`to_input`].
pub fn from_crossterm(ev: crossterm::event::Event) -> Option<crate::app::Input> {
    terminput_crossterm::to_terminput(ev)
        .ok()
        .and_then(to_input)
}

/// The terminals qari tells apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Terminal {
    /// mlterm: reorders and shapes by itself, ignores BDSM and SCP.
    Mlterm,
    /// Any other terminal.
    Other,
}

impl Terminal {
    /// Decides from the values of `TERM` and `MLTERM` given (a session's own).
    pub fn detect(term: Option<&str>, mlterm: Option<&str>) -> Self {
        let term = term.unwrap_or("").trim().to_ascii_lowercase();
        if mlterm.is_some_and(|v| !v.trim().is_empty()) || term.starts_with("mlterm") {
            Self::Mlterm
        } else {
            Self::Other
        }
    }

    /// From this process's environment (the local terminal).
    pub fn from_env() -> Self {
        let var = |k: &str| std::env::var(k).ok();
        Self::detect(var("TERM").as_deref(), var("MLTERM").as_deref())
    }

    /// Whether, in the `terminal` mode, it takes the bidi controls (isolates, marks) as
    /// zero-width characters ([`crate::layout::Options::controls`]): mlterm (seen, 3.9.0)
    /// draws each isolate as a cell of its own and gives each mark a column it does not
    /// show, which moves every later cell of the row; VTE (seen, 0.70) joins them to the
    /// cell before, as the zero-width characters they are.
    pub fn takes_controls(self) -> bool {
        self == Self::Other
    }

    /// The mode this terminal gets when nothing asks for one.
    pub fn mode(self) -> BidiMode {
        match self {
            Self::Mlterm => BidiMode::Terminal,
            Self::Other => BidiMode::App,
        }
    }
}

/// Whether a terminal of this `TERM` takes hyperlinks (OSC 8): all but the Linux console,
/// GNU screen (tmux calls itself `tmux-…`), Emacs' terminals, hardware VTs and `dumb`,
/// which show the sequence or lose the text inside it.
pub fn takes_hyperlinks(term: Option<&str>) -> bool {
    let term = term.unwrap_or("").trim().to_ascii_lowercase();
    !(term.is_empty()
        || term == "linux"
        || term == "dumb"
        || term.starts_with("screen")
        || term.starts_with("eterm")
        || term.starts_with("vt"))
}

/// A `QARI_BIDI` that names no mode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("QARI_BIDI is '{0}', which is not one of app, terminal, off")]
pub struct BadMode(String);

/// Reads a `QARI_BIDI` value: none or blank asks for nothing.
pub fn parse_env(value: Option<&str>) -> Result<Option<BidiMode>, BadMode> {
    match value {
        Some(v) if !v.trim().is_empty() => BidiMode::parse(v)
            .map(Some)
            .ok_or_else(|| BadMode(crate::escape::display(v).chars().take(64).collect())),
        _ => Ok(None),
    }
}

/// The mode: the flag, else `QARI_BIDI`, else the config file, else the terminal's.
pub fn choose(
    flag: Option<BidiMode>,
    env: Option<BidiMode>,
    config: Option<BidiMode>,
    terminal: Terminal,
) -> BidiMode {
    flag.or(env).or(config).unwrap_or_else(|| terminal.mode())
}

/// The mode of the local terminal: [`choose`] with this process's `QARI_BIDI`, `TERM` and
/// `MLTERM`.
pub fn local_mode(flag: Option<BidiMode>, config: Option<BidiMode>) -> Result<BidiMode, BadMode> {
    let env = parse_env(std::env::var("QARI_BIDI").ok().as_deref())?;
    Ok(choose(flag, env, config, Terminal::from_env()))
}

/// Whether the reader's text rows carry their own paragraph direction now: in `terminal`
/// mode, with the reader alone across the screen and no help over it. Then the RTL lines are
/// placed as LTR lines are (the terminal mirrors their rows), unpadded.
pub fn rows_carry_direction(app: &App) -> bool {
    let g = app.geometry();
    app.options().mode == BidiMode::Terminal
        && !g.too_small
        && g.divider.is_none()
        && app.focus() == Focus::Reader
        && !app.help()
        && app.reader().is_some()
        && g.text.is_some()
}

/// Whether each row of the app's screen is right to left, top to bottom (see
/// [`rows_carry_direction`]).
pub fn row_directions(app: &App) -> Vec<bool> {
    let height = usize::from(crate::screen::clamp_size(app.size().0, app.size().1).1);
    let mut rows = vec![false; height];
    if !rows_carry_direction(app) {
        return rows;
    }
    let g = app.geometry();
    if let (Some(r), Some(pane), Some(text)) = (app.reader(), g.reader, g.text) {
        let shown = r.lines().iter().skip(r.top).take(usize::from(pane.height));
        for (row, line) in shown.enumerate() {
            if let Some(slot) = rows.get_mut(usize::from(text.y) + row) {
                *slot = line.line.rtl;
            }
        }
    }
    rows
}

/// A backend that sends each redrawn row's paragraph direction before the row's cells (see
/// the module's documentation); without rows it passes everything through.
pub struct Directed<B> {
    inner: B,
    /// Right to left, per row; `None`: no direction is sent (the `app` and `off` modes).
    rows: Option<Vec<bool>>,
}

impl<B> Directed<B> {
    /// Wraps `inner`; rows get their direction only in the `terminal` mode.
    pub fn new(inner: B, mode: BidiMode) -> Self {
        Self {
            inner,
            rows: (mode == BidiMode::Terminal).then(Vec::new),
        }
    }

    /// Takes the rows' directions from the app, before a frame of it is drawn.
    pub fn follow(&mut self, app: &App) {
        if let Some(rows) = &mut self.rows {
            *rows = row_directions(app);
        }
    }

    /// The wrapped backend.
    pub fn inner(&self) -> &B {
        &self.inner
    }

    /// The wrapped backend, mutably.
    pub fn inner_mut(&mut self) -> &mut B {
        &mut self.inner
    }
}

impl<B: Backend> Backend for Directed<B> {
    type Error = B::Error;

    fn draw<'a, I>(&mut self, content: I) -> Result<(), Self::Error>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        let Some(rows) = &self.rows else {
            return self.inner.draw(content);
        };
        let content: Vec<(u16, u16, &Cell)> = content.collect();
        // One control cell a row, made before borrowing them into the stream: at the row's
        // first column (VTE applies SCP to a paragraph only with the cursor at its start),
        // then the cursor to the row's first redrawn cell (the backend, which counts the
        // control as one column, would otherwise write a cell at column 1 one column left).
        let mut controls: Vec<Cell> = Vec::new();
        let mut last_row = None;
        for &(x, y, cell) in &content {
            if last_row != Some(y) {
                last_row = Some(y);
                let rtl = rows.get(usize::from(y)).copied().unwrap_or(false);
                let mut c = cell.clone();
                let symbol = format!(
                    "{}\x1b[{};{}H",
                    direction(rtl),
                    u32::from(y) + 1,
                    u32::from(x) + 1
                );
                c.set_symbol(&symbol);
                controls.push(c);
            }
        }
        let mut stream = Vec::with_capacity(content.len() + controls.len());
        let mut controls = controls.iter();
        let mut last_row = None;
        for (x, y, cell) in content {
            if last_row != Some(y) {
                last_row = Some(y);
                if let Some(c) = controls.next() {
                    stream.push((0, y, c));
                }
            }
            stream.push((x, y, cell));
        }
        self.inner.draw(stream.into_iter())
    }

    fn hide_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.hide_cursor()
    }

    fn show_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.show_cursor()
    }

    fn get_cursor_position(&mut self) -> Result<Position, Self::Error> {
        self.inner.get_cursor_position()
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> Result<(), Self::Error> {
        self.inner.set_cursor_position(position)
    }

    fn clear(&mut self) -> Result<(), Self::Error> {
        self.inner.clear()
    }

    fn clear_region(&mut self, clear_type: ClearType) -> Result<(), Self::Error> {
        self.inner.clear_region(clear_type)
    }

    fn size(&self) -> Result<Size, Self::Error> {
        self.inner.size()
    }

    fn window_size(&mut self) -> Result<WindowSize, Self::Error> {
        self.inner.window_size()
    }

    fn flush(&mut self) -> Result<(), Self::Error> {
        self.inner.flush()
    }

    fn scroll_region_up(
        &mut self,
        region: std::ops::Range<u16>,
        n: u16,
    ) -> Result<(), Self::Error> {
        self.inner.scroll_region_up(region, n)
    }

    fn scroll_region_down(
        &mut self,
        region: std::ops::Range<u16>,
        n: u16,
    ) -> Result<(), Self::Error> {
        self.inner.scroll_region_down(region, n)
    }
}

#[cfg(test)]
mod tests;
