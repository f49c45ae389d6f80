//! The reader's state and the actions on it; no drawing and no terminal.
//!
//! A front end (the local terminal in [`crate::tty`], an SSH channel) feeds [`Input`]s to
//! [`App::handle`]; [`crate::ui`] draws the state. The app keeps the laid-out article per
//! width, so a resize costs one layout and the reading position (an offset into the source
//! text, not a line number) stays at the top.
//!
//! Nothing in [`App::handle`] waits for slow work: library searches and finds in an article
//! run on one worker per app (each keystroke cancels the running search), the whole of a long
//! article is prepared and laid out on a thread while its first part is shown, and an article
//! of a huge file is read on a thread while the list stays live. The app calls the front
//! end's [`Waker`] when a result is ready; the front end then calls [`App::poll_background`].
//! Dropping the app (or [`App::cancel_background`]) cancels its work.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use crossterm::event::KeyEvent;

use crate::config::Config;
use crate::keymap::Keymap;
use crate::layout::Options;
use crate::library::{Feed, Library, SortKey};
use crate::search::{Query, SharedIndex};
use crate::store::{Identity, ReadingState, Shelf};

mod background;
mod copy;
mod filter;
mod find;
mod geometry;
mod input;
mod links;
mod list;
mod live;
mod overlays;
mod reader;

use background::Background;
pub use copy::{MAX_COPY_BYTES, is_web_address, osc52};
pub use filter::{Facts, Field, Fields, Split, title_key};
pub use geometry::{Geometry, MAX_COLS, MAX_ROWS, clamp_size, fit, fit_end};
use list::ListState;
use overlays::Overlays;
pub use overlays::{HelpView, OutlineItem, QueryLine};
pub use reader::Reader;

/// The terminal is too small below this many columns …
pub const MIN_WIDTH: u16 = 20;
/// … or rows.
pub const MIN_HEIGHT: u16 = 6;
/// From this many columns the list and the reader stand side by side.
pub const SIDE_BY_SIDE: u16 = 120;
/// The longest line of running text by default, in columns (wider panes centre the text).
pub const MEASURE: u16 = 80;
/// The narrowest measure `-` goes to.
pub const MIN_MEASURE: u16 = 20;
/// How much `+` and `-` change the measure, in columns.
pub const MEASURE_STEP: u16 = 4;
/// Libraries up to this many articles get their search index built as soon as the list is up.
pub const EAGER_INDEX_ARTICLES: usize = 20_000;
/// Laid-out widths kept per open article.
const CACHED_WIDTHS: usize = 4;
/// Articles with this much body text open on their first part, laid out at once, while the
/// whole is prepared in the background.
const PROGRESSIVE_BYTES: usize = 256 * 1024;
/// Body text in that first part after the block the reader opens on: many screens at any
/// width.
const FIRST_PART_BYTES: usize = 32 * 1024;
/// Articles with this much body text are wrapped again in the background on a resize (on
/// their first part meanwhile): past it wrapping takes more than a frame.
#[cfg(not(test))]
const REWRAP_BYTES: usize = 4 * 1024 * 1024;
/// (Lower in the unit tests, so that their articles stay small.)
#[cfg(test)]
const REWRAP_BYTES: usize = PROGRESSIVE_BYTES;

/// The longest query, in characters: what is typed or pasted past it is dropped, with a
/// message.
pub const MAX_QUERY_CHARS: usize = 1024;
/// The most of one paste taken in, in bytes (a paste is one input; the rest is dropped).
pub const MAX_PASTE_BYTES: usize = 64 * 1024;

/// How a front end is told that background work finished: the app calls it from the thread
/// that did the work, and the front end then calls [`App::poll_background`] on its own
/// thread. It must be quick and must not block (send on a channel, notify a task).
pub type Waker = Arc<dyn Fn() + Send + Sync>;

/// What a front end feeds the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A key press.
    Key(KeyEvent),
    /// The terminal's new size (columns, rows).
    Resize(u16, u16),
    /// The mouse wheel, up.
    ScrollUp,
    /// The mouse wheel, down.
    ScrollDown,
    /// Pasted text (ignored outside the query line).
    Paste(String),
}

/// Which pane has the keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    /// The library list.
    List,
    /// The open article.
    Reader,
}

/// What the reader chose for this run: keys, layout, measure and what the front end allows.
#[derive(Debug)]
struct Prefs {
    keymap: Keymap,
    opts: Options,
    /// The reading measure (0: the pane's width).
    measure: u16,
    /// Whether `y` may write the clipboard (OSC 52).
    clipboard: bool,
    /// Whether the front end runs on the reader's own machine (it can open a browser).
    local: bool,
    mouse: bool,
}

/// What the app asks of its front end besides the frame; the front end takes each.
#[derive(Debug, Default)]
struct Outbox {
    /// Bytes for the terminal besides the frame (OSC 52).
    output: Vec<u8>,
    /// An address to open in the browser, for a local front end.
    open_request: Option<String>,
    /// How many times a full redraw was asked for (Ctrl-L): a screen that saw fewer draws
    /// the whole screen again.
    redraws: u64,
    quit: bool,
    suspend: bool,
}

/// The whole state of one reader: the library and its memory, the list, the open article,
/// the overlays over them, and what goes to the front end.
#[derive(Debug)]
pub struct App {
    lib: Arc<Library>,
    store: Shelf,
    index: Arc<SharedIndex>,
    prefs: Prefs,
    list: ListState,
    focus: Focus,
    reader: Option<Reader>,
    overlay: Overlays,
    message: Option<String>,
    size: (u16, u16),
    out: Outbox,
    bg: Background,
    /// Where newer libraries come from while the reader runs, the last one taken, and whether
    /// the feed's note was shown.
    feed: Option<(Arc<Feed>, u64, bool)>,
}

impl App {
    /// A reader on `lib` with the settings of `config`, remembering into `store`.
    pub fn new(lib: Arc<Library>, config: &Config, mut store: Shelf, opts: Options) -> Self {
        // Articles read in the store they come from (newsboat's cache) start read.
        for e in lib.entries().filter(|e| e.unread == Some(false)) {
            store.assume_read(&e.identity);
        }
        let (keymap, message) = (
            config.keys.clone(),
            config.theme.validate().err().map(|e| e.to_string()),
        );
        let mut app = Self {
            lib,
            store,
            index: Arc::default(),
            prefs: Prefs {
                keymap,
                opts,
                measure: config.measure,
                clipboard: config.clipboard,
                local: false,
                mouse: config.mouse,
            },
            list: ListState::default(),
            focus: Focus::List,
            reader: None,
            overlay: Overlays::default(),
            message,
            size: (80, 24),
            out: Outbox::default(),
            bg: Background::new(),
            feed: None,
        };
        // The sort order last chosen for this library.
        if let Some(sort) = app.store.library_sort(app.lib.key()) {
            app.list.sort = sort;
        }
        app.refresh_view(None);
        app.recount_unread();
        app
    }

    /// Counts the unread articles again (after read marks changed here or on disk).
    fn recount_unread(&mut self) {
        let (store, lib) = (&self.store, &self.lib);
        self.list.unread = (0..lib.len())
            .filter(|&i| !lib.is_gone(i) && !store.get(&lib.entry(i).identity).read)
            .count();
    }

    /// The reading state of library article `index`.
    pub(crate) fn state_at(&self, index: usize) -> ReadingState {
        self.store.get(&self.lib.entry(index).identity)
    }

    /// The reading state of the article with library id `id` (default for an id the library
    /// does not hold).
    pub fn state_of(&self, id: &str) -> ReadingState {
        self.lib
            .position(id)
            .map(|i| self.state_at(i))
            .unwrap_or_default()
    }

    /// Changes the reading state of the article `id` names (one transaction of the store);
    /// a failure of the store becomes the status message once the input is handled
    /// ([`Self::show_store_failure`]), over what the action itself said.
    pub(crate) fn change_state(
        &mut self,
        id: &Identity,
        f: impl FnOnce(&mut ReadingState),
    ) -> ReadingState {
        self.store.update(id, f)
    }

    /// Makes a failure of the store not shown yet the status message.
    pub(crate) fn show_store_failure(&mut self) {
        if let Some(m) = self.store.take_message() {
            self.message = Some(m);
        }
    }

    /// How many articles of the library are unread.
    pub fn unread_count(&self) -> usize {
        self.list.unread
    }

    // ----- what the UI reads -----

    /// The library.
    pub fn library(&self) -> &Library {
        &self.lib
    }

    /// The keymap.
    pub fn keymap(&self) -> &Keymap {
        &self.prefs.keymap
    }

    /// The layout options.
    pub fn options(&self) -> Options {
        self.prefs.opts
    }

    /// The remembered state.
    pub fn store(&self) -> &Shelf {
        &self.store
    }

    /// The sort order.
    pub fn sort(&self) -> SortKey {
        self.list.sort
    }

    /// The library search as typed, empty when none.
    pub fn search_text(&self) -> &str {
        &self.list.search
    }

    /// The parsed library search (empty when none).
    pub fn search_query(&self) -> &Query {
        &self.list.terms
    }

    /// The field filters in force.
    pub fn fields(&self) -> &Fields {
        &self.list.fields
    }

    /// Whether only unread articles are listed.
    pub fn unread_only(&self) -> bool {
        self.list.unread_only
    }

    /// Whether the list shows fewer articles than the library (a filter, a search, unread
    /// only).
    pub fn filtered(&self) -> bool {
        self.list.unread_only || !self.list.fields.is_empty() || self.searching()
    }

    /// Whether the list shows search results (two rows each: title and snippet).
    pub fn searching(&self) -> bool {
        self.list.hits.is_some()
    }

    /// The library indices of the listed articles, in order.
    pub fn view(&self) -> &[usize] {
        &self.list.view
    }

    /// The selected row of the list.
    pub fn selected(&self) -> usize {
        self.list.selected
    }

    /// The first row of the list on screen.
    pub fn list_top(&self) -> usize {
        self.list.top
    }

    /// The focused pane.
    pub fn focus(&self) -> Focus {
        self.focus
    }

    /// The open article.
    pub fn reader(&self) -> Option<&Reader> {
        self.reader.as_ref()
    }

    /// The query line, while typing.
    pub fn query(&self) -> Option<&QueryLine> {
        self.overlay.prompt.as_ref()
    }

    /// Whether the help overlay is shown.
    pub fn help(&self) -> bool {
        self.overlay.help
    }

    /// How many full redraws were asked for (Ctrl-L): a front end that drew fewer clears the
    /// terminal and draws every cell again.
    pub fn redraws(&self) -> u64 {
        self.out.redraws
    }

    /// A message for the status line.
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    /// The screen size.
    pub fn size(&self) -> (u16, u16) {
        self.size
    }

    /// Takes the bytes to write to the terminal after the frame (a clipboard write, OSC 52):
    /// the app never writes to a terminal itself, every front end (the local tty, an SSH
    /// session) drains this after drawing.
    pub fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out.output)
    }

    /// Takes the address the user asked to open, for a local front end to hand to the
    /// browser (`$BROWSER`, else `xdg-open`). Only `http`/`https` addresses are asked for.
    pub fn take_open_request(&mut self) -> Option<String> {
        self.out.open_request.take()
    }

    /// Says whether the front end runs on the reader's machine: there `o` opens the browser,
    /// elsewhere (SSH) it copies the address and shows it.
    pub fn set_local(&mut self, local: bool) {
        self.prefs.local = local;
    }

    /// Whether the front end runs on the reader's machine (see [`Self::set_local`]).
    pub fn is_local(&self) -> bool {
        self.prefs.local
    }

    /// The reading measure in columns (0: the pane's width).
    pub fn measure(&self) -> u16 {
        self.prefs.measure
    }

    /// Whether the mouse wheel is wanted.
    pub fn mouse(&self) -> bool {
        self.prefs.mouse
    }

    /// Whether the user asked to quit.
    pub fn should_quit(&self) -> bool {
        self.out.quit
    }

    /// Whether the user asked to suspend (taken once by the front end).
    pub fn take_suspend(&mut self) -> bool {
        std::mem::take(&mut self.out.suspend)
    }

    /// Shows a message on the status line.
    pub fn set_message(&mut self, msg: impl Into<String>) {
        self.message = Some(msg.into());
    }

    /// Remembers where the open article is read (every change is written when made); a
    /// failure of the store becomes the status message and is returned.
    pub fn save(&mut self) -> Option<String> {
        if let Some(r) = self.reader.as_ref().filter(|r| !r.preview) {
            let (id, pos) = (self.lib.entry(r.index).identity.clone(), r.anchor);
            self.store.update(&id, |s| s.pos = Some(pos));
        }
        let e = self.store.take_message()?;
        self.message = Some(e.clone());
        Some(e)
    }

    /// Reading progress of the open article: (percent, last line shown, lines); none while
    /// only its first part is laid out.
    pub fn progress(&self) -> Option<(usize, usize, usize)> {
        let r = self.reader.as_ref().filter(|r| !r.is_partial())?;
        let total = r.lines.len();
        let shown = (r.top + self.page()).min(total);
        let pct = (shown * 100).checked_div(total).unwrap_or(100);
        Some((pct, shown, total))
    }
}

impl Drop for App {
    /// The background work ends with the app (a search stops at its next check).
    fn drop(&mut self) {
        self.bg.cancel_search();
        self.bg.notifier.stopped.store(true, Ordering::Release);
    }
}

#[cfg(test)]
mod tests;
