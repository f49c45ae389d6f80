//! The reader's state and the actions on it; no drawing and no terminal.
//!
//! A front end (the local terminal in [`crate::tty`], an SSH channel) feeds [`Input`]s to
//! [`App::handle`]; [`crate::ui`] draws the state. The app keeps the laid-out article per
//! width, so a resize costs one layout and the reading position (an offset into the source
//! text, not a line number) stays at the top.

use std::sync::{Arc, OnceLock};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;

use crate::article::Article;
use crate::config::Config;
use crate::keymap::{Action, Keymap};
use crate::layout::document::{DocLine, LineKind, Origin, PreparedArticle};
use crate::layout::{Options, VisualLine};
use crate::library::{Filter, Library, SortKey};
use crate::search::{self, Hit, Query, SharedIndex};
use crate::state::{Position, Store};

/// The terminal is too small below this many columns …
pub const MIN_WIDTH: u16 = 20;
/// … or rows.
pub const MIN_HEIGHT: u16 = 6;
/// From this many columns the list and the reader stand side by side.
pub const SIDE_BY_SIDE: u16 = 120;
/// The longest line of running text, in columns (wider panes centre the text).
pub const MEASURE: u16 = 100;
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

/// Where everything goes on screen, for a size and a focus.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Geometry {
    /// The whole screen.
    pub area: Rect,
    /// True below [`MIN_WIDTH`]×[`MIN_HEIGHT`]: nothing else is drawn.
    pub too_small: bool,
    /// The header row.
    pub header: Rect,
    /// The status row.
    pub status: Rect,
    /// The list pane, when shown.
    pub list: Option<Rect>,
    /// The reader pane, when shown.
    pub reader: Option<Rect>,
    /// The reader's text column inside its pane.
    pub text: Option<Rect>,
    /// The column of the divider between the panes, side by side.
    pub divider: Option<u16>,
}

impl Geometry {
    /// Lays out a screen of `width`×`height`.
    pub fn new(width: u16, height: u16, focus: Focus) -> Self {
        let area = Rect::new(0, 0, width, height);
        if width < MIN_WIDTH || height < MIN_HEIGHT {
            return Self {
                area,
                too_small: true,
                ..Self::default()
            };
        }
        let header = Rect::new(0, 0, width, 1);
        let status = Rect::new(0, height - 1, width, 1);
        let body = Rect::new(0, 1, width, height - 2);
        let (list, reader, divider) = if width >= SIDE_BY_SIDE {
            let lw = (width * 2 / 5).clamp(40, 72);
            (
                Some(Rect::new(0, body.y, lw, body.height)),
                Some(Rect::new(lw + 1, body.y, width - lw - 1, body.height)),
                Some(lw),
            )
        } else if focus == Focus::List {
            (Some(body), None, None)
        } else {
            (None, Some(body), None)
        };
        let text = reader.map(|r| {
            let inner = r.width.saturating_sub(2).max(1);
            let w = inner.min(MEASURE);
            Rect::new(r.x + 1 + (inner - w) / 2, r.y, w, r.height)
        });
        Self {
            area,
            too_small: false,
            header,
            status,
            list,
            reader,
            text,
            divider,
        }
    }
}

/// The query line at the bottom while the user types a filter or a search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryLine {
    /// What was typed.
    pub text: String,
    /// Whether it filters the list (else it searches the article).
    pub list: bool,
}

/// The open article, laid out for the reader's width.
#[derive(Debug, Clone)]
pub struct Reader {
    /// Its index in the library.
    pub index: usize,
    /// The article.
    pub article: Arc<Article>,
    width: usize,
    lines: Arc<Vec<DocLine>>,
    cache: Vec<(usize, Arc<Vec<DocLine>>)>,
    /// The width-independent layout work: a resize only wraps it again, and the lines on
    /// screen take their cells from it.
    prepared: Option<Arc<PreparedArticle>>,
    /// The whole article, being prepared in the background while `prepared` holds its first
    /// part (a long article, just opened).
    rest: Option<Arc<OnceLock<Arc<PreparedArticle>>>>,
    /// The first line shown.
    pub top: usize,
    /// The source position at the top, kept across widths.
    anchor: Position,
    /// Matches of the last search: (origin, source byte range).
    pub matches: Vec<(Origin, std::ops::Range<usize>)>,
    /// The current match.
    pub current: Option<usize>,
}

impl Reader {
    /// The laid-out lines at the current width.
    pub fn lines(&self) -> &[DocLine] {
        &self.lines
    }

    /// The cells of one of [`Self::lines`].
    pub fn visual(&self, line: &DocLine) -> VisualLine {
        self.prepared
            .as_ref()
            .map_or_else(VisualLine::default, |p| p.visual(line))
    }

    /// The width the lines were laid out for.
    pub fn width(&self) -> usize {
        self.width
    }

    /// The source position at the top of the pane.
    pub fn position(&self) -> Position {
        self.anchor
    }

    fn position_of(&self, line: usize) -> Position {
        self.lines.get(line).map_or(self.anchor, |l| Position {
            block: match l.origin {
                Origin::Head => None,
                Origin::Block(b) => Some(b),
            },
            offset: l.line.src.start,
        })
    }

    fn line_of(&self, pos: Position) -> usize {
        let origin = pos.block.map_or(Origin::Head, Origin::Block);
        if origin == Origin::Head {
            return 0;
        }
        let mut best = None;
        for (i, l) in self.lines.iter().enumerate() {
            if l.origin == origin && l.kind != LineKind::Blank {
                if l.line.src.start <= pos.offset || best.is_none() {
                    best = Some(i);
                }
                if l.line.src.end > pos.offset {
                    break;
                }
            } else if l.origin > origin {
                break;
            }
        }
        best.unwrap_or(0)
    }

    fn lay_out(&mut self, width: usize, opts: Options) {
        if width == self.width && !self.lines.is_empty() {
            return;
        }
        let lines = if let Some((_, l)) = self.cache.iter().find(|(w, _)| *w == width) {
            Arc::clone(l)
        } else {
            let prepared = if let Some(p) = &self.prepared {
                Arc::clone(p)
            } else {
                let p = self.start_preparing(opts);
                self.prepared = Some(Arc::clone(&p));
                p
            };
            let l = Arc::new(prepared.lay_out(width));
            if self.cache.len() >= CACHED_WIDTHS {
                self.cache.remove(0);
            }
            self.cache.push((width, Arc::clone(&l)));
            l
        };
        self.lines = lines;
        self.width = width;
        self.top = self.line_of(self.anchor);
    }

    /// Prepares the article for layout: all of it, or for a long article the part from the
    /// block the reader opens on, with the whole prepared in the background
    /// ([`Self::complete`] takes it over).
    fn start_preparing(&mut self, opts: Options) -> Arc<PreparedArticle> {
        let whole = || Arc::new(PreparedArticle::new(&self.article, opts));
        if self.article.body_bytes() < PROGRESSIVE_BYTES {
            return whole();
        }
        let from = self.anchor.block.unwrap_or(0);
        let first = Arc::new(PreparedArticle::first_part(
            &self.article,
            opts,
            from,
            FIRST_PART_BYTES,
        ));
        if first.is_whole() {
            return first;
        }
        let rest = Arc::new(OnceLock::new());
        let (article, cell, fallback) = (
            Arc::clone(&self.article),
            Arc::clone(&rest),
            Arc::clone(&first),
        );
        let spawned = std::thread::Builder::new()
            .name("qari-layout".to_owned())
            .spawn(move || {
                // The cell is always set, so that no reader waits for ever.
                let prepared = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    PreparedArticle::new(&article, opts)
                }));
                let _ = cell.set(prepared.map_or(fallback, Arc::new));
            });
        if spawned.is_ok() {
            self.rest = Some(rest);
            first
        } else {
            whole()
        }
    }

    /// Whether only the first part of the article is laid out yet.
    pub fn is_partial(&self) -> bool {
        self.rest.is_some()
    }

    /// Takes over the whole article's preparation, when only its first part is laid out
    /// (waiting for the background work if it is still running), and lays it out at the
    /// same width and place. Returns whether there was anything to take over.
    fn complete(&mut self, opts: Options) -> bool {
        let Some(rest) = self.rest.take() else {
            return false;
        };
        self.prepared = Some(Arc::clone(rest.wait()));
        self.cache.clear();
        self.lines = Arc::new(Vec::new());
        let width = self.width;
        self.lay_out(width, opts);
        true
    }
}

/// The whole state of one reader.
#[derive(Debug)]
#[allow(
    clippy::struct_excessive_bools,
    reason = "independent flags of the screen state, not a state machine"
)]
pub struct App {
    lib: Arc<Library>,
    keymap: Keymap,
    opts: Options,
    store: Store,
    sort: SortKey,
    filter: String,
    query_terms: Query,
    hits: Option<Vec<Hit>>,
    index: Arc<SharedIndex>,
    view: Vec<usize>,
    /// Articles not read, kept current as marks change (the header shows it every frame).
    unread: usize,
    selected: usize,
    list_top: usize,
    focus: Focus,
    reader: Option<Reader>,
    query: Option<QueryLine>,
    help: bool,
    message: Option<String>,
    size: (u16, u16),
    mouse: bool,
    quit: bool,
    suspend: bool,
}

impl App {
    /// A reader on `lib` with the settings of `config`, remembering into `store`.
    pub fn new(lib: Arc<Library>, config: &Config, store: Store, opts: Options) -> Self {
        let (keymap, message) = match config.keymap() {
            Ok(k) => (k, None),
            Err(e) => (Keymap::default(), Some(e)),
        };
        let mut app = Self {
            lib,
            keymap,
            opts,
            store,
            sort: SortKey::Date,
            filter: String::new(),
            query_terms: Query::default(),
            hits: None,
            index: Arc::default(),
            view: Vec::new(),
            unread: 0,
            selected: 0,
            list_top: 0,
            focus: Focus::List,
            reader: None,
            query: None,
            help: false,
            message,
            size: (80, 24),
            mouse: config.mouse,
            quit: false,
            suspend: false,
        };
        app.refresh_view(None);
        app.recount_unread();
        app
    }

    /// Counts the unread articles again (after read marks changed here or on disk).
    fn recount_unread(&mut self) {
        let store = &self.store;
        self.unread = self
            .lib
            .entries()
            .filter(|e| !store.get(&e.id).read)
            .count();
    }

    /// How many articles of the library are unread.
    pub fn unread_count(&self) -> usize {
        self.unread
    }

    // ----- what the UI reads -----

    /// The library.
    pub fn library(&self) -> &Library {
        &self.lib
    }

    /// The keymap.
    pub fn keymap(&self) -> &Keymap {
        &self.keymap
    }

    /// The layout options.
    pub fn options(&self) -> Options {
        self.opts
    }

    /// The remembered state.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The sort order.
    pub fn sort(&self) -> SortKey {
        self.sort
    }

    /// The library search as typed, empty when none.
    pub fn filter(&self) -> &str {
        &self.filter
    }

    /// The parsed library search (empty when none).
    pub fn search_query(&self) -> &Query {
        &self.query_terms
    }

    /// Whether the list shows search results (two rows each: title and snippet).
    pub fn searching(&self) -> bool {
        self.hits.is_some()
    }

    /// Starts building the library's search index in the background, so the first search
    /// does not wait for it: at once for libraries of up to [`EAGER_INDEX_ARTICLES`] articles,
    /// else when the query line is first opened (the index holds every body in memory).
    pub fn prepare_search(&self) {
        if self.lib.len() <= EAGER_INDEX_ARTICLES {
            self.index.build_in_background(Arc::clone(&self.lib));
        }
    }

    /// Shares a search index with other apps on the same library (the sessions of a server).
    pub fn share_index(&mut self, index: Arc<SharedIndex>) {
        self.index = index;
    }

    /// The library indices of the listed articles, in order.
    pub fn view(&self) -> &[usize] {
        &self.view
    }

    /// The selected row of the list.
    pub fn selected(&self) -> usize {
        self.selected
    }

    /// The first row of the list on screen.
    pub fn list_top(&self) -> usize {
        self.list_top
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
        self.query.as_ref()
    }

    /// Whether the help overlay is shown.
    pub fn help(&self) -> bool {
        self.help
    }

    /// A message for the status line.
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    /// The screen size.
    pub fn size(&self) -> (u16, u16) {
        self.size
    }

    /// Where things go on screen now.
    pub fn geometry(&self) -> Geometry {
        Geometry::new(self.size.0, self.size.1, self.focus)
    }

    /// Whether the mouse wheel is wanted.
    pub fn mouse(&self) -> bool {
        self.mouse
    }

    /// Whether the user asked to quit.
    pub fn should_quit(&self) -> bool {
        self.quit
    }

    /// Whether the user asked to suspend (taken once by the front end).
    pub fn take_suspend(&mut self) -> bool {
        std::mem::take(&mut self.suspend)
    }

    /// Shows a message on the status line.
    pub fn set_message(&mut self, msg: impl Into<String>) {
        self.message = Some(msg.into());
    }

    /// Writes the remembered state; a failure becomes the status message and is returned.
    pub fn save(&mut self) -> Option<String> {
        if let Some(r) = &self.reader {
            let (id, pos) = (r.article.id.clone(), r.anchor);
            self.store.update(&id, |s| s.position = Some(pos));
        }
        let saved = self.store.save();
        // Saving merges what other readers stored: their read marks count too.
        self.recount_unread();
        match saved {
            Ok(()) => None,
            Err(e) => {
                self.message = Some(e.clone());
                Some(e)
            }
        }
    }

    /// The number of text rows of the reader.
    fn page(&self) -> usize {
        self.geometry()
            .text
            .map_or(1, |t| usize::from(t.height).max(1))
    }

    /// How many articles the list shows at once.
    fn list_rows(&self) -> usize {
        let rows = self
            .geometry()
            .list
            .map_or(1, |l| usize::from(l.height).max(1));
        if self.searching() {
            (rows / 2).max(1)
        } else {
            rows
        }
    }

    // ----- input -----

    /// Handles one input from the front end.
    pub fn handle(&mut self, input: Input) {
        self.take_over_whole();
        match input {
            Input::Resize(w, h) => self.resize(w, h),
            Input::Paste(text) => {
                if let Some(q) = &mut self.query {
                    let clean = crate::article::sanitize(&text);
                    q.text.extend(clean.chars().filter(|c| !c.is_control()));
                    self.query_changed();
                }
            }
            Input::ScrollUp | Input::ScrollDown if self.mouse && !self.help => {
                let d = if input == Input::ScrollUp { -3 } else { 3 };
                match self.focus {
                    Focus::Reader => self.scroll(d),
                    Focus::List => self.move_selection(d),
                }
            }
            Input::ScrollUp | Input::ScrollDown => {}
            Input::Key(ev) => self.key(ev),
        }
    }

    fn key(&mut self, ev: KeyEvent) {
        if ev.kind == crossterm::event::KeyEventKind::Release {
            return;
        }
        if self.query.is_some() {
            self.query_key(ev);
            return;
        }
        if let Some(action) = self.keymap.action(&ev) {
            self.message = None;
            self.apply(action);
        }
    }

    fn query_key(&mut self, ev: KeyEvent) {
        let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
        match ev.code {
            KeyCode::Char('c') if ctrl => self.quit = true,
            KeyCode::Esc => {
                let q = self.query.take();
                if q.is_some_and(|q| q.list) {
                    self.clear_search();
                }
            }
            KeyCode::Enter => {
                if let Some(q) = self.query.take() {
                    if q.list {
                        if self.searching() {
                            self.open_selected();
                        }
                    } else {
                        self.find(&q.text);
                    }
                }
            }
            KeyCode::Backspace => {
                if let Some(q) = &mut self.query {
                    q.text.pop();
                }
                self.query_changed();
            }
            KeyCode::Char('u') if ctrl => {
                if let Some(q) = &mut self.query {
                    q.text.clear();
                }
                self.query_changed();
            }
            KeyCode::Char(c) if !ctrl && !c.is_control() => {
                if let Some(q) = &mut self.query {
                    q.text.push(c);
                }
                self.query_changed();
            }
            _ => {}
        }
    }

    fn query_changed(&mut self) {
        if let Some(q) = &self.query
            && q.list
        {
            let text = q.text.clone();
            self.search_library(&text);
        }
    }

    /// Searches the library for `text` (results replace the list; empty restores it).
    pub fn search_library(&mut self, text: &str) {
        let query = Query::parse(text);
        if query.is_empty() {
            text.clone_into(&mut self.filter);
            self.query_terms = query;
            self.hits = None;
            self.refresh_view(None);
            return;
        }
        let index = self.index.get_or_build(&self.lib);
        // Typing on: the new query's hits are among the old one's when every old term is
        // inside a new term.
        let narrowing = self.hits.as_ref().filter(|_| {
            self.query_terms
                .terms
                .iter()
                .all(|old| query.terms.iter().any(|new| new.contains(old.as_str())))
        });
        let candidates: Option<Vec<usize>> = narrowing.map(|h| h.iter().map(|h| h.index).collect());
        let hits = index.search_within(&query, candidates.as_deref());
        text.clone_into(&mut self.filter);
        self.query_terms = query;
        self.view = hits.iter().map(|h| h.index).collect();
        self.hits = Some(hits);
        self.selected = 0;
        self.list_top = 0;
    }

    fn clear_search(&mut self) {
        self.filter.clear();
        self.query_terms = Query::default();
        self.hits = None;
        self.refresh_view(self.current_id());
    }

    /// Carries out one action.
    pub fn apply(&mut self, action: Action) {
        self.take_over_whole();
        if self.help {
            // Any key closes the help; quitting still quits.
            self.help = false;
            if action == Action::Quit {
                self.quit = true;
            }
            return;
        }
        let in_reader = self.focus == Focus::Reader && self.reader.is_some();
        match action {
            Action::Quit => self.quit = true,
            Action::Help => self.help = true,
            Action::Suspend => self.suspend = true,
            Action::CycleSort => {
                self.sort = self.sort.next();
                if self.searching() {
                    self.clear_search();
                }
                self.refresh_view(self.current_id());
                self.message = Some(format!("sorted by {}", self.sort.name()));
            }
            Action::SwitchPane => {
                if self.geometry().divider.is_some() && self.reader.is_some() {
                    self.focus = match self.focus {
                        Focus::List => Focus::Reader,
                        Focus::Reader => Focus::List,
                    };
                }
            }
            Action::Open => {
                if self.focus == Focus::List {
                    self.open_selected();
                }
            }
            Action::Back => {
                if self.focus == Focus::Reader {
                    self.focus = Focus::List;
                    if let Some(e) = self.save() {
                        self.message = Some(e);
                    }
                } else if !self.filter.is_empty() {
                    self.clear_search();
                }
            }
            Action::Down if in_reader => self.scroll(1),
            Action::Up if in_reader => self.scroll(-1),
            Action::PageDown if in_reader => self.scroll(self.page_step()),
            Action::PageUp if in_reader => self.scroll(-self.page_step()),
            Action::HalfDown if in_reader => self.scroll(self.half_step()),
            Action::HalfUp if in_reader => self.scroll(-self.half_step()),
            Action::Top if in_reader => self.scroll(isize::MIN / 2),
            Action::Bottom if in_reader => self.scroll(isize::MAX / 2),
            Action::Down => self.move_selection(1),
            Action::Up => self.move_selection(-1),
            Action::PageDown => self.move_selection(self.list_step()),
            Action::PageUp => self.move_selection(-self.list_step()),
            Action::HalfDown => self.move_selection(self.list_step() / 2),
            Action::HalfUp => self.move_selection(-self.list_step() / 2),
            Action::Top => self.move_selection(isize::MIN / 2),
            Action::Bottom => self.move_selection(isize::MAX / 2),
            Action::NextUnread => self.unread(true, in_reader),
            Action::PrevUnread => self.unread(false, in_reader),
            Action::ToggleRead => {
                if let Some(id) = self.target_id() {
                    self.store.update(&id, |s| s.read = !s.read);
                    let read = self.store.get(&id).read;
                    self.recount_unread();
                    self.message = Some(if read { "marked read" } else { "marked unread" }.into());
                }
            }
            Action::Bookmark => {
                if let Some(id) = self.target_id() {
                    self.store.update(&id, |s| s.bookmark = !s.bookmark);
                    let b = self.store.get(&id).bookmark;
                    self.message = Some(if b { "bookmarked" } else { "bookmark removed" }.into());
                }
            }
            Action::Search => {
                if !in_reader {
                    // The index is built while the query is typed.
                    self.index.build_in_background(Arc::clone(&self.lib));
                }
                self.query = Some(QueryLine {
                    text: if in_reader {
                        String::new()
                    } else {
                        self.filter.clone()
                    },
                    list: !in_reader,
                });
            }
            Action::NextMatch => self.next_match(true),
            Action::PrevMatch => self.next_match(false),
        }
    }

    fn page_step(&self) -> isize {
        isize::try_from(self.page().saturating_sub(2).max(1)).unwrap_or(1)
    }

    fn half_step(&self) -> isize {
        isize::try_from((self.page() / 2).max(1)).unwrap_or(1)
    }

    fn list_step(&self) -> isize {
        isize::try_from(self.list_rows().saturating_sub(1).max(1)).unwrap_or(1)
    }

    fn resize(&mut self, w: u16, h: u16) {
        self.size = (w, h);
        if self.geometry().divider.is_none() && self.reader.is_none() {
            self.focus = Focus::List;
        }
        self.relayout();
        self.keep_selection_visible();
    }

    /// A long article opened on its first part: from the first input on, the whole.
    fn take_over_whole(&mut self) {
        if let Some(r) = &mut self.reader
            && r.complete(self.opts)
        {
            self.relayout();
        }
    }

    fn relayout(&mut self) {
        let width = self.geometry().text.map(|t| usize::from(t.width));
        let page = self.page();
        if let (Some(r), Some(w)) = (&mut self.reader, width) {
            r.lay_out(w, self.opts);
            r.top = r.top.min(r.lines.len().saturating_sub(page));
        }
    }

    fn current_id(&self) -> Option<String> {
        self.view
            .get(self.selected)
            .map(|&i| self.lib.entry(i).id.clone())
    }

    /// The article an action on "this article" means: the open one in the reader, else the
    /// selected one.
    fn target_id(&self) -> Option<String> {
        match (&self.reader, self.focus) {
            (Some(r), Focus::Reader) => Some(r.article.id.clone()),
            _ => self.current_id(),
        }
    }

    fn refresh_view(&mut self, keep: Option<String>) {
        self.view = self.lib.view(self.sort, &Filter::default());
        self.selected = keep
            .and_then(|id| self.view.iter().position(|&i| self.lib.entry(i).id == id))
            .unwrap_or(0);
        self.keep_selection_visible();
    }

    fn move_selection(&mut self, d: isize) {
        if self.view.is_empty() {
            return;
        }
        let last = self.view.len() - 1;
        self.selected = self.selected.saturating_add_signed(d).min(last);
        self.keep_selection_visible();
    }

    fn keep_selection_visible(&mut self) {
        let rows = self.list_rows();
        if self.selected < self.list_top {
            self.list_top = self.selected;
        } else if self.selected >= self.list_top + rows {
            self.list_top = self.selected + 1 - rows;
        }
        let max_top = self.view.len().saturating_sub(rows);
        self.list_top = self.list_top.min(max_top);
    }

    fn scroll(&mut self, d: isize) {
        let page = self.page();
        if let Some(r) = &mut self.reader {
            let max_top = r.lines.len().saturating_sub(page);
            r.top = r.top.saturating_add_signed(d).min(max_top);
            r.anchor = r.position_of(r.top);
        }
    }

    fn open_selected(&mut self) {
        let Some(&index) = self.view.get(self.selected) else {
            return;
        };
        self.open(index);
    }

    /// Opens library article `index` in the reader, at its remembered position.
    pub fn open(&mut self, index: usize) {
        if self.reader.as_ref().is_some_and(|r| r.index == index) {
            self.focus = Focus::Reader;
            return;
        }
        if self.reader.is_some() {
            self.save();
        }
        match self.lib.article(index) {
            Ok(article) => {
                let id = article.id.clone();
                let remembered = self.store.get(&id);
                self.store.update(&id, |s| s.read = true);
                if !remembered.read {
                    self.unread = self.unread.saturating_sub(1);
                }
                self.reader = Some(Reader {
                    index,
                    article,
                    width: 0,
                    lines: Arc::new(Vec::new()),
                    cache: Vec::new(),
                    prepared: None,
                    rest: None,
                    top: 0,
                    anchor: remembered.position.unwrap_or_default(),
                    matches: Vec::new(),
                    current: None,
                });
                if let Some(pos) = self.view.iter().position(|&i| i == index) {
                    self.selected = pos;
                    self.keep_selection_visible();
                }
                self.focus = Focus::Reader;
                self.relayout();
                if self.searching() {
                    // Going to a match needs every line.
                    self.take_over_whole();
                    let q = self.query_terms.clone();
                    self.find_query(&q, true);
                }
            }
            Err(problem) => self.message = Some(problem.to_string()),
        }
    }

    fn unread(&mut self, forward: bool, open: bool) {
        let is_unread = |app: &Self, pos: usize| {
            let id = &app.lib.entry(app.view[pos]).id;
            !app.store.get(id).read
        };
        let from = self.selected;
        let found = if forward {
            (from + 1..self.view.len()).find(|&p| is_unread(self, p))
        } else {
            (0..from).rev().find(|&p| is_unread(self, p))
        };
        match found {
            Some(p) => {
                self.selected = p;
                self.keep_selection_visible();
                if open {
                    self.open(self.view[p]);
                }
            }
            None => self.message = Some("no more unread articles".into()),
        }
    }

    /// Finds `text` in the open article (folded: hamza, tashkeel, case …) and goes to the
    /// first match at or after the top of the pane.
    fn find(&mut self, text: &str) {
        let q = Query::parse(text);
        self.find_query(&q, false);
        if q.is_empty() {
            return;
        }
        if self.reader.as_ref().is_some_and(|r| r.matches.is_empty()) {
            self.message = Some(format!("\"{text}\" is not in this article"));
        }
    }

    fn find_query(&mut self, q: &Query, from_start: bool) {
        let Some(r) = &mut self.reader else {
            return;
        };
        r.matches = search::all_matches(&r.article, q)
            .into_iter()
            .map(|(b, range)| (b.map_or(Origin::Head, Origin::Block), range))
            .collect();
        r.current = None;
        if r.matches.is_empty() {
            return;
        }
        let top = if from_start {
            Position::default()
        } else {
            r.position()
        };
        let first = r
            .matches
            .iter()
            .position(|(o, range)| {
                let block = match o {
                    Origin::Head => None,
                    Origin::Block(b) => Some(*b),
                };
                (block, range.start) >= (top.block, top.offset)
            })
            .unwrap_or(0);
        self.go_to_match(first);
    }

    fn next_match(&mut self, forward: bool) {
        let Some(r) = &self.reader else { return };
        if r.matches.is_empty() {
            self.message = Some("no search: / finds text in the article".into());
            return;
        }
        let n = r.matches.len();
        let cur = r.current.unwrap_or(0);
        let next = if forward {
            (cur + 1) % n
        } else {
            (cur + n - 1) % n
        };
        self.go_to_match(next);
    }

    fn go_to_match(&mut self, k: usize) {
        let page = self.page();
        let Some(r) = &mut self.reader else { return };
        let Some((origin, range)) = r.matches.get(k).cloned() else {
            return;
        };
        r.current = Some(k);
        let line = r
            .lines
            .iter()
            .position(|l| {
                l.origin == origin
                    && matches!(
                        (l.origin, l.kind),
                        (Origin::Block(_), _) | (Origin::Head, LineKind::Title)
                    )
                    && l.kind != LineKind::Blank
                    && l.line.src.end > range.start
            })
            .unwrap_or(0);
        if line < r.top || line >= r.top + page {
            let max_top = r.lines.len().saturating_sub(page);
            r.top = line.saturating_sub(page / 3).min(max_top);
            r.anchor = r.position_of(r.top);
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geometry_by_size() {
        let g = Geometry::new(80, 24, Focus::List);
        assert!(!g.too_small);
        assert_eq!(g.list, Some(Rect::new(0, 1, 80, 22)));
        assert!(g.reader.is_none());
        let g = Geometry::new(80, 24, Focus::Reader);
        assert_eq!(g.text, Some(Rect::new(1, 1, 78, 22)));
        let g = Geometry::new(200, 50, Focus::List);
        let (l, r, t) = (g.list.unwrap(), g.reader.unwrap(), g.text.unwrap());
        assert_eq!(l.width, 72);
        assert_eq!(r.x, 73);
        assert_eq!(t.width, MEASURE);
        assert!(t.x > r.x && t.right() < r.right());
        assert!(Geometry::new(19, 24, Focus::List).too_small);
        assert!(Geometry::new(0, 0, Focus::List).too_small);
    }
}
