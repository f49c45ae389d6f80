//! The one event loop of every front end: the local terminal ([`crate::tty`]) and each SSH
//! session ([`crate::ssh`]) run [`run`], each with its own [`Source`] of events and its own
//! [`Output`] (a ratatui backend with the front end's ways of writing what the app emits
//! beside the frame).
//!
//! The loop owns what the front ends share:
//! - events in batches: the first waited for, the rest taken while the source has them at
//!   once (the source says where a batch ends), then the app's background work taken in;
//! - a frame drawn only when something changed, and while more input waits at most once per
//!   [`FRAME`], and only when the output keeps up ([`Output::ready`]);
//! - what the app has for the terminal besides the frame (a clipboard write, OSC 52) written
//!   right after it, and an address to open handed to the output;
//! - the full redraw the app asks for (Ctrl-L, through [`Screen::draw`]) and the one a
//!   suspend needs, the suspend itself left to the source;
//! - the end: the reader quits, or the source ends (closed, hung up, a signal, idle).
//!
//! What stays with each front end is how events are read (crossterm on the tty; the
//! channel's bytes, window changes and the idle timeout over SSH), its signals and terminal
//! modes, and where the bytes go.

use std::time::{Duration, Instant};

use ratatui::backend::Backend;

use crate::app::{App, Input};
use crate::screen::Screen;

/// While input keeps arriving, frames are drawn at most this often.
pub const FRAME: Duration = Duration::from_millis(25);

/// What a source hands the loop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event<E> {
    /// Input for the app (a resize too: the loop tells the output first).
    Input(Input),
    /// Something to look at again: background work finished, output went out.
    Wake,
    /// The source is done (the client closed, the terminal is gone, a signal).
    End(E),
}

/// Where a front end's events come from.
pub trait Source {
    /// Why the source ended.
    type End;

    /// The next event, waiting until `deadline` at most (`None`: as long as it takes); `None`
    /// when the deadline passed first, or when a batch of events ends (the loop then looks at
    /// the screen). `held`: a frame waits for the output to go out ([`Output::ready`]); the
    /// source wakes the loop ([`Event::Wake`]) when some did.
    fn next(
        &mut self,
        deadline: Option<Instant>,
        held: bool,
    ) -> std::io::Result<Option<Event<Self::End>>>;

    /// Whether more input waits already: frames are then drawn at most once per [`FRAME`].
    fn waiting(&self) -> bool {
        false
    }

    /// The app asked to be suspended (Ctrl-Z); true when the screen must be drawn whole
    /// afterwards.
    fn suspend(&mut self, app: &mut App) -> std::io::Result<bool>;
}

/// A front end's screen backend, with what the loop needs of its output besides frames.
pub trait Output: Backend<Error = std::io::Error> {
    /// Takes what it needs of the app before a frame of it is drawn (each row's direction).
    fn follow(&mut self, app: &App);

    /// The terminal has a new size (a backend that cannot ask its terminal keeps it).
    fn set_size(&mut self, _width: u16, _height: u16) {}

    /// Whether a frame may go out now (a client that stops reading holds them back).
    fn ready(&self) -> bool {
        true
    }

    /// Writes the bytes the app has for the terminal besides the frame, at once.
    fn write_extra(&mut self, bytes: &[u8]) -> std::io::Result<()>;

    /// Opens a web address the app asked for; the sentence for the status line when it
    /// could not.
    fn open(&mut self, url: &str) -> Option<String>;
}

/// How the loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop<E> {
    /// The reader quit.
    Quit,
    /// The source ended.
    Ended(E),
}

/// Runs `app` on `screen`, fed by `source`, until the reader quits or the source ends.
pub fn run<S: Source, B: Output>(
    app: &mut App,
    screen: &mut Screen<B>,
    source: &mut S,
) -> std::io::Result<Stop<S::End>> {
    // Work that finished before the front end's waker was set.
    app.poll_background();
    let mut dirty = true;
    let mut last_draw: Option<Instant> = None;
    let mut first = true;
    loop {
        let now = Instant::now();
        let due = !source.waiting() || last_draw.is_none_or(|t| now >= t + FRAME);
        if dirty && due && screen.backend().ready() {
            draw(app, screen)?;
            dirty = false;
            last_draw = Some(now);
            if std::mem::take(&mut first) {
                // With the list on screen, ready the search index in the background.
                app.prepare_search();
            }
        }
        // One batch: the first event waited for, then what is there already.
        let mut deadline = None;
        while let Some(event) = source.next(deadline, dirty)? {
            match event {
                Event::Input(input) => {
                    if let Input::Resize(w, h) = input {
                        screen.backend_mut().set_size(w, h);
                    }
                    app.handle(input);
                    dirty = true;
                }
                Event::Wake => {}
                Event::End(end) => return Ok(Stop::Ended(end)),
            }
            if app.should_quit() {
                return Ok(Stop::Quit);
            }
            deadline = Some(Instant::now());
        }
        if app.poll_background() {
            dirty = true;
        }
        if app.take_suspend() && source.suspend(app)? {
            screen.invalidate()?;
            dirty = true;
        }
    }
}

/// A frame, then what the app has besides it: the bytes for the terminal, an address to open.
fn draw<B: Output>(app: &mut App, screen: &mut Screen<B>) -> std::io::Result<()> {
    screen.backend_mut().follow(app);
    screen.draw(app)?;
    let out = app.take_output();
    if !out.is_empty() {
        screen.backend_mut().write_extra(&out)?;
    }
    if let Some(url) = app.take_open_request()
        && let Some(why) = screen.backend_mut().open(&url)
    {
        app.set_message(why);
        screen.draw(app)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
