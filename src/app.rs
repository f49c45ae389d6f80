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

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;

use crate::article::{Article, Place};
use crate::config::Config;
use crate::keymap::{Action, Keymap};
use crate::layout::document::{DocLine, LineKind, PreparedArticle};
use crate::layout::{Options, VisualLine};
use crate::library::{Filter, Library, SortKey};
use crate::search::{self, Hit, Match, Query, SharedIndex};
use crate::state::{Position, Store};

mod filter;
pub use filter::{Field, Fields, Split, title_key};

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
    /// Lays out a screen of `width`×`height` with the default measure.
    pub fn new(width: u16, height: u16, focus: Focus) -> Self {
        Self::with_measure(width, height, focus, MEASURE)
    }

    /// Lays out a screen of `width`×`height`, the text at most `measure` columns wide (0:
    /// the pane's width), centred in a wider pane.
    pub fn with_measure(width: u16, height: u16, focus: Focus, measure: u16) -> Self {
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
            let w = if measure == 0 {
                inner
            } else {
                inner.min(measure)
            };
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

/// One heading of the outline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutlineItem {
    /// Its block in the article.
    pub block: usize,
    /// Its level, 1 to 6.
    pub level: u8,
    /// Its text (logical).
    pub text: String,
}

/// The most text copied at once, in bytes (terminals cap OSC 52; the cut is said).
pub const MAX_COPY_BYTES: usize = 96 * 1024;

/// The OSC 52 sequence that puts `text` on the clipboard (`c`), base64 inside, ended by
/// ST (`ESC \\`), which every terminal that takes OSC 52 understands.
pub fn osc52(text: &str) -> Vec<u8> {
    let mut out = b"\x1b]52;c;".to_vec();
    out.extend_from_slice(base64(text.as_bytes()).as_bytes());
    out.extend_from_slice(b"\x1b\\");
    out
}

/// Standard base64 with padding.
fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (k, shift) in [18u32, 12, 6, 0].into_iter().enumerate() {
            if k <= chunk.len() {
                out.push(char::from(ABC[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Whether `url` is a web address a browser may be handed: `http` or `https`, no space or
/// control character, at most 4096 bytes.
pub fn is_web_address(url: &str) -> bool {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    (lower.starts_with("http://") || lower.starts_with("https://"))
        && url.len() <= 4096
        && !url.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// The help overlay at a screen size: a box centred on the screen, as wide as its longest
/// line allows, its lines fitted to that width (a key and its description on two lines when
/// the screen is narrow, cut with an ellipsis past that), scrolled to `top`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpView {
    /// The box, borders included.
    pub area: Rect,
    /// Every line of the help, fitted to the box.
    pub lines: Vec<String>,
    /// The first line shown.
    pub top: usize,
}

impl HelpView {
    fn new(keymap: &Keymap, (w, h): (u16, u16), top: usize) -> Self {
        use crate::layout::str_width;
        let rows = keymap.help_rows();
        let keys_w = rows.iter().map(|(k, _)| str_width(k)).max().unwrap_or(0);
        let desc_w = rows.iter().map(|(_, d)| str_width(d)).max().unwrap_or(0);
        // Borders and one blank column each side.
        let want = u16::try_from(keys_w + 2 + desc_w + 4).unwrap_or(u16::MAX);
        let bw = want.min(w);
        let inner = usize::from(bw.saturating_sub(4)).max(1);
        let mut lines = Vec::new();
        for (k, d) in &rows {
            if keys_w + 2 + str_width(d) <= inner {
                lines.push(format!("{k:<keys_w$}  {d}"));
            } else {
                lines.push(fit(k, inner));
                lines.push(fit(&format!("  {d}"), inner));
            }
        }
        let bh = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX).min(h);
        let area = Rect::new((w - bw) / 2, (h - bh) / 2, bw, bh);
        let mut view = Self { area, lines, top };
        view.top = top.min(view.max_top());
        view
    }

    /// How many lines the box shows.
    pub fn rows(&self) -> usize {
        usize::from(self.area.height.saturating_sub(2))
    }

    /// The last first line: the end of the help at the bottom of the box.
    pub fn max_top(&self) -> usize {
        self.lines.len().saturating_sub(self.rows())
    }

    /// Whether lines are hidden above the box, and below it.
    pub fn more(&self) -> (bool, bool) {
        (self.top > 0, self.top < self.max_top())
    }
}

/// `text` cut to `width` columns, an ellipsis at the cut.
pub fn fit(text: &str, width: usize) -> String {
    use crate::layout::str_width;
    if str_width(text) <= width {
        return text.to_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    // Cut between grapheme clusters, measured as terminals draw them (a ZWJ sequence is one
    // wide cell), so no cluster is split and no mark is left before the ellipsis.
    for g in unicode_segmentation::UnicodeSegmentation::graphemes(text, true) {
        let cw = str_width(g);
        if used + cw + 1 > width {
            break;
        }
        out.push_str(g);
        used += cw;
    }
    if width > 0 {
        out.push('…');
    }
    out
}

/// `text` cut from its start to `width` columns, an ellipsis before what is kept (the end of a
/// long query, where the next letter goes); cut between grapheme clusters as [`fit`] is.
pub fn fit_end(text: &str, width: usize) -> std::borrow::Cow<'_, str> {
    use crate::layout::str_width;
    if str_width(text) <= width {
        return text.into();
    }
    let mut used = 1;
    let mut start = text.len();
    for (i, g) in unicode_segmentation::UnicodeSegmentation::grapheme_indices(text, true).rev() {
        used += str_width(g);
        if used > width {
            break;
        }
        start = i;
    }
    format!("…{}", text.get(start..).unwrap_or_default()).into()
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
    /// The job preparing the whole article in the background while `prepared` holds its
    /// first part (a long article, just opened).
    whole: Option<u64>,
    /// Go to the first match (from the top of the article when true) once the whole is laid
    /// out: matches that came in while only the first part was.
    go_when_whole: Option<bool>,
    /// The first line shown.
    pub top: usize,
    /// The source position at the top, kept across widths.
    anchor: Position,
    /// Matches of the last search: (origin, source byte range).
    pub matches: Vec<Match>,
    /// The current match.
    pub current: Option<usize>,
    /// Shown as a preview of the list's selection (side by side): not read yet, its place
    /// not remembered.
    preview: bool,
    /// Paragraphs selected to copy: the block it started at and the block it reaches.
    selection: Option<(usize, usize)>,
}

impl Reader {
    /// The selected blocks (first to last), while selecting.
    pub fn selection(&self) -> Option<std::ops::RangeInclusive<usize>> {
        self.selection.map(|(a, b)| a.min(b)..=a.max(b))
    }

    /// Whether the article is only previewed beside the list (not opened, not marked read).
    pub fn is_preview(&self) -> bool {
        self.preview
    }

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
            place: l.origin,
            offset: l.line.src.start,
        })
    }

    fn line_of(&self, pos: Position) -> usize {
        let origin = pos.place;
        if origin.in_head() {
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

    /// Lays the article out for `width` columns: from the cache, at once for a short
    /// article, else on its first part at once with the whole laid out in the background.
    fn lay_out(&mut self, width: usize, opts: Options, bg: &mut Background) {
        if width == self.width && !self.lines.is_empty() {
            return;
        }
        let lines = if let Some((_, l)) = self.cache.iter().find(|(w, _)| *w == width) {
            Arc::clone(l)
        } else {
            let prepared = match &self.prepared {
                Some(p) if p.is_whole() && self.article.body_bytes() >= REWRAP_BYTES => {
                    // Wrapping a long article again takes long: its first part from the top
                    // of the pane now, the whole in the background.
                    let whole = Arc::clone(p);
                    self.start_partial(Source::Prepared(whole), width, opts, bg)
                }
                Some(p) => Arc::clone(p),
                None => self.start_preparing(width, opts, bg),
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
    /// block the reader opens on, with the whole prepared and laid out in the background (it
    /// comes in through [`App::poll_background`]).
    fn start_preparing(
        &mut self,
        width: usize,
        opts: Options,
        bg: &mut Background,
    ) -> Arc<PreparedArticle> {
        if self.article.body_bytes() < PROGRESSIVE_BYTES {
            let whole = Arc::new(PreparedArticle::new(&self.article, opts));
            self.prepared = Some(Arc::clone(&whole));
            return whole;
        }
        let article = Arc::clone(&self.article);
        self.start_partial(Source::Article(article), width, opts, bg)
    }

    /// Makes the first part from the block at the top of the pane the article shown, and
    /// starts the work that brings the whole, laid out at `width`, from `source`.
    fn start_partial(
        &mut self,
        source: Source,
        width: usize,
        opts: Options,
        bg: &mut Background,
    ) -> Arc<PreparedArticle> {
        let from = self.anchor.place.block().unwrap_or(0);
        let first = Arc::new(PreparedArticle::first_part(
            &self.article,
            opts,
            from,
            FIRST_PART_BYTES,
        ));
        self.cache.clear();
        let shown = if first.is_whole() {
            first
        } else if let Some(job) =
            Self::spawn_whole(source.clone(), width, opts, bg, Arc::clone(&first))
        {
            self.whole = Some(job);
            first
        } else {
            // No thread to spare: the whole, here.
            match source {
                Source::Article(a) => Arc::new(PreparedArticle::new(&a, opts)),
                Source::Prepared(p) => p,
            }
        };
        self.prepared = Some(Arc::clone(&shown));
        shown
    }

    /// Starts a thread that prepares the whole article (or takes it prepared) and lays it
    /// out at `width`; its job number, or none when no thread could be started. On a panic
    /// it sends `fallback` (the first part) as the whole, so the reader never waits for ever.
    fn spawn_whole(
        source: Source,
        width: usize,
        opts: Options,
        bg: &mut Background,
        fallback: Arc<PreparedArticle>,
    ) -> Option<u64> {
        let job = bg.next_job();
        let notifier = bg.notifier.clone();
        std::thread::Builder::new()
            .name("qari-layout".to_owned())
            .spawn(move || {
                notifier.hold();
                let stopped = &notifier.stopped;
                let made = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    let prepared = match source {
                        Source::Article(a) => {
                            Arc::new(PreparedArticle::new_cancellable(&a, opts, stopped)?)
                        }
                        Source::Prepared(p) => p,
                    };
                    if stopped.load(Ordering::Acquire) {
                        return None;
                    }
                    let lines = Arc::new(prepared.lay_out(width));
                    Some((prepared, lines))
                }));
                let (prepared, lines) = match made {
                    Ok(Some(made)) => made,
                    // Cancelled with the app's background work.
                    Ok(None) => return,
                    Err(_) => {
                        let lines = Arc::new(fallback.lay_out(width));
                        (fallback, lines)
                    }
                };
                notifier.send(Done::Whole {
                    job,
                    prepared,
                    width,
                    lines,
                });
            })
            .ok()
            .map(|_| job)
    }

    /// Whether only the first part of the article is laid out yet.
    pub fn is_partial(&self) -> bool {
        self.whole.is_some()
    }

    /// Takes over the whole article and its lines at `width` from job `job`, when it is the
    /// one this reader waits for, keeping the place. When the pane's width changed
    /// meanwhile, the whole is wrapped again in the background (and false returned).
    fn complete(
        &mut self,
        job: u64,
        prepared: Arc<PreparedArticle>,
        (width, lines): (usize, Arc<Vec<DocLine>>),
        opts: Options,
        bg: &mut Background,
    ) -> bool {
        if self.whole != Some(job) {
            return false;
        }
        self.whole = None;
        let lines = if width == self.width {
            lines
        } else {
            let first = self
                .prepared
                .clone()
                .unwrap_or_else(|| Arc::clone(&prepared));
            let again = Source::Prepared(Arc::clone(&prepared));
            if let Some(j) = Self::spawn_whole(again, self.width, opts, bg, first) {
                self.whole = Some(j);
                return false;
            }
            Arc::new(prepared.lay_out(self.width))
        };
        self.prepared = Some(prepared);
        self.cache.clear();
        self.cache.push((self.width, Arc::clone(&lines)));
        self.lines = lines;
        self.top = self.line_of(self.anchor);
        true
    }
}

/// Where the whole of a long article comes from: the article, to prepare, or prepared.
#[derive(Clone)]
enum Source {
    Article(Arc<Article>),
    Prepared(Arc<PreparedArticle>),
}

// ----- background work -----

/// Work finished off the input path, for the app that asked for it.
enum Done {
    /// The library's hits for `query` (typed as `text`).
    Hits {
        job: u64,
        text: String,
        query: Query,
        hits: Vec<Hit>,
    },
    /// The index is built (what a job with an empty query waits for).
    Indexed { job: u64 },
    /// Every match of a query in the open article.
    Matches {
        job: u64,
        text: String,
        matches: Vec<Match>,
        from_start: bool,
    },
    /// The whole of a long article shown on its first part, and its lines at `width`.
    Whole {
        job: u64,
        prepared: Arc<PreparedArticle>,
        width: usize,
        lines: Arc<Vec<DocLine>>,
    },
    /// A job ended in a panic: nothing will come of it.
    Failed { job: u64 },
    /// Library article `index`, read and parsed (or why it could not be).
    Opened {
        job: u64,
        index: usize,
        article: Result<Arc<Article>, String>,
    },
}

/// A search to run on the app's worker.
enum Job {
    /// Waits for the index, then searches the library (an empty query only waits).
    Library {
        lib: Arc<Library>,
        index: Arc<SharedIndex>,
        text: String,
        query: Query,
        /// The hits of a shorter query the new one extends: the only articles to look at.
        candidates: Option<Vec<usize>>,
    },
    /// Finds every match in an article.
    Article {
        article: Arc<Article>,
        text: String,
        query: Query,
        from_start: bool,
    },
}

impl Job {
    /// Runs the job; `None` when it was cancelled.
    fn run(self, job: u64, cancel: &AtomicBool) -> Option<Done> {
        match self {
            Self::Library {
                lib,
                index,
                text,
                query,
                candidates,
            } => {
                let index = index.wait(&lib, cancel)?;
                if query.is_empty() {
                    return Some(Done::Indexed { job });
                }
                let hits = index.search_cancellable(&query, candidates.as_deref(), cancel)?;
                Some(Done::Hits {
                    job,
                    text,
                    query,
                    hits,
                })
            }
            Self::Article {
                article,
                text,
                query,
                from_start,
            } => {
                let matches = search::all_matches_cancellable(&article, &query, cancel)?;
                Some(Done::Matches {
                    job,
                    text,
                    matches,
                    from_start,
                })
            }
        }
    }
}

/// What the worker does next, and whether it runs.
#[derive(Default)]
struct Slot {
    /// The job to run next, with its number and cancel flag (a newer one replaces it).
    next: Option<(u64, Job, Arc<AtomicBool>)>,
    running: bool,
}

/// How background threads hand their results to the app.
#[derive(Clone)]
struct Notifier {
    tx: Sender<Done>,
    waker: Arc<Mutex<Option<Waker>>>,
    /// Set when the app's background work is cancelled: nothing more is sent.
    stopped: Arc<AtomicBool>,
    /// What the unit tests hold background work at, to see the app while it runs.
    #[cfg(test)]
    gate: Option<Arc<tests::Gate>>,
}

impl Notifier {
    /// Where background work starts: the unit tests may hold it there.
    #[cfg_attr(
        not(test),
        allow(clippy::unused_self, reason = "the gate exists in unit tests only")
    )]
    fn hold(&self) {
        #[cfg(test)]
        if let Some(g) = &self.gate {
            g.pass();
        }
    }

    fn send(&self, done: Done) {
        if self.stopped.load(Ordering::Acquire) || self.tx.send(done).is_err() {
            return;
        }
        let waker = self
            .waker
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let Some(wake) = waker {
            // A front end's waker that panics must not take the worker down with a job
            // queued: the result is in the channel, the next poll takes it.
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| wake()));
        }
    }
}

/// The search awaited, by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Awaited {
    /// The index only (the query is empty).
    Index,
    /// The library's hits.
    Library,
    /// The matches in the open article.
    Article,
}

/// One app's background work: at most one search worker (a keystroke cancels the running
/// search and queues the next; the worker ends when nothing is queued) and the preparation
/// of the article opened on its first part.
struct Background {
    notifier: Notifier,
    rx: Receiver<Done>,
    slot: Arc<Mutex<Slot>>,
    /// The cancel flag of the search queued or running.
    cancel: Option<Arc<AtomicBool>>,
    /// The last job number given out.
    jobs: u64,
    /// The search whose answer is awaited.
    awaited: Option<(u64, Awaited)>,
    /// Open the first hit when the awaited library search answers (Enter came first).
    open_first: bool,
    /// The article being read from a huge file, to open when it is parsed: job, index.
    opening: Option<(u64, usize)>,
}

impl std::fmt::Debug for Background {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Background")
            .field("jobs", &self.jobs)
            .field("awaited", &self.awaited)
            .field("open_first", &self.open_first)
            .field("opening", &self.opening)
            .finish_non_exhaustive()
    }
}

impl Background {
    fn new() -> Self {
        let (tx, rx) = std::sync::mpsc::channel();
        Self {
            notifier: Notifier {
                tx,
                waker: Arc::default(),
                stopped: Arc::default(),
                #[cfg(test)]
                gate: None,
            },
            rx,
            slot: Arc::default(),
            cancel: None,
            jobs: 0,
            awaited: None,
            open_first: false,
            opening: None,
        }
    }

    fn next_job(&mut self) -> u64 {
        self.jobs += 1;
        self.jobs
    }

    /// Cancels the search queued or running, and awaits none.
    fn cancel_search(&mut self) {
        if let Some(c) = self.cancel.take() {
            c.store(true, Ordering::Release);
        }
        self.awaited = None;
        self.open_first = false;
    }

    /// Cancels the running search and hands `job` to the worker, starting one when none
    /// runs. False when no thread could be started.
    fn submit(&mut self, job: Job, awaited: Awaited) -> bool {
        self.cancel_search();
        let (n, cancel) = (self.next_job(), Arc::new(AtomicBool::new(false)));
        let mut slot = self.slot.lock().unwrap_or_else(PoisonError::into_inner);
        slot.next = Some((n, job, Arc::clone(&cancel)));
        if !slot.running {
            let (work, notifier) = (Arc::clone(&self.slot), self.notifier.clone());
            let spawned = std::thread::Builder::new()
                .name("qari-search".to_owned())
                .spawn(move || run_jobs(&work, &notifier));
            if spawned.is_err() {
                slot.next = None;
                return false;
            }
            slot.running = true;
        }
        drop(slot);
        self.cancel = Some(cancel);
        self.awaited = Some((n, awaited));
        true
    }

    /// Takes `job`'s answer when it is the one awaited.
    fn take(&mut self, job: u64) -> bool {
        if self.awaited.is_some_and(|(n, _)| n == job) {
            self.awaited = None;
            self.cancel = None;
            true
        } else {
            false
        }
    }
}

/// The worker: runs the queued job until none is left.
fn run_jobs(slot: &Mutex<Slot>, notifier: &Notifier) {
    loop {
        let (n, job, cancel) = {
            let mut s = slot.lock().unwrap_or_else(PoisonError::into_inner);
            let Some(next) = s.next.take() else {
                s.running = false;
                return;
            };
            next
        };
        notifier.hold();
        if cancel.load(Ordering::Acquire) || notifier.stopped.load(Ordering::Acquire) {
            continue;
        }
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job.run(n, &cancel))) {
            Ok(Some(done)) => notifier.send(done),
            Ok(None) => {}
            Err(_) => notifier.send(Done::Failed { job: n }),
        }
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
    /// The field filters of the query shown (`is:unread`, `lang:ar`, …).
    fields: Fields,
    /// Only unread articles are listed (`U`).
    unread_only: bool,
    /// Asking whether to mark this many articles read (`A`): `y` does.
    confirm: Option<usize>,
    /// The list's selection was moved (side by side, the reader then previews it; until
    /// then it says how to open one).
    moved: bool,
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
    /// The first help line shown.
    help_top: usize,
    /// The outline's selected heading, while it is shown.
    outline: Option<usize>,
    /// Whether `y` may write the clipboard (OSC 52).
    clipboard: bool,
    /// Bytes for the terminal besides the frame (OSC 52), for the front end to write.
    output: Vec<u8>,
    /// An address to open in the browser, for a local front end.
    open_request: Option<String>,
    /// Whether the front end runs on the reader's own machine (it can open a browser).
    local: bool,
    /// The reading measure (0: the pane's width).
    measure: u16,
    /// How many times a full redraw was asked for (Ctrl-L): a screen that saw fewer draws
    /// the whole screen again.
    redraws: u64,
    message: Option<String>,
    size: (u16, u16),
    mouse: bool,
    quit: bool,
    suspend: bool,
    bg: Background,
}

impl App {
    /// A reader on `lib` with the settings of `config`, remembering into `store`.
    pub fn new(lib: Arc<Library>, config: &Config, mut store: Store, opts: Options) -> Self {
        // Articles read in the store they come from (newsboat's cache) start read.
        for e in lib.entries().filter(|e| e.unread == Some(false)) {
            store.assume_read(&e.id);
        }
        let (keymap, message) = match config.keymap() {
            Ok(k) => (k, crate::ui::validate_theme(&config.theme).err()),
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
            fields: Fields::default(),
            unread_only: false,
            confirm: None,
            moved: false,
            index: Arc::default(),
            view: Vec::new(),
            unread: 0,
            selected: 0,
            list_top: 0,
            focus: Focus::List,
            reader: None,
            query: None,
            help: false,
            help_top: 0,
            outline: None,
            measure: config.measure,
            clipboard: config.clipboard,
            output: Vec::new(),
            open_request: None,
            local: false,
            redraws: 0,
            message,
            size: (80, 24),
            mouse: config.mouse,
            quit: false,
            suspend: false,
            bg: Background::new(),
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

    /// The field filters in force.
    pub fn fields(&self) -> &Fields {
        &self.fields
    }

    /// Whether only unread articles are listed.
    pub fn unread_only(&self) -> bool {
        self.unread_only
    }

    /// Whether the list shows fewer articles than the library (a filter, a search, unread
    /// only).
    pub fn filtered(&self) -> bool {
        self.unread_only || !self.fields.is_empty() || self.searching()
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

    // ----- background work -----

    /// Sets what the app calls, from a background thread, when a result is ready (a search's
    /// hits, the whole of an article opened on its first part, the index built): the front
    /// end then calls [`Self::poll_background`]. Replaces the waker set before.
    pub fn set_waker(&mut self, waker: Waker) {
        *self
            .bg
            .notifier
            .waker
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(waker);
    }

    /// Takes in the background work that finished (never waiting for any): returns true when
    /// the screen must be drawn again. A front end calls it after a wake, and may call it at
    /// any time.
    pub fn poll_background(&mut self) -> bool {
        let mut redraw = false;
        while let Ok(done) = self.bg.rx.try_recv() {
            redraw |= self.take_in(done);
        }
        if redraw {
            self.sync_preview();
        }
        redraw
    }

    /// Whether background work this app waits for is under way (a search, the index, the
    /// whole of the open article).
    pub fn busy(&self) -> bool {
        self.bg.awaited.is_some()
            || self.bg.opening.is_some()
            || self.reader.as_ref().is_some_and(Reader::is_partial)
    }

    /// What the background is doing, for the status line: none when it does nothing the
    /// reader waits for.
    pub fn background_status(&self) -> Option<&'static str> {
        if self.bg.opening.is_some() {
            return Some("opening the article…");
        }
        match self.bg.awaited.map(|(_, a)| a) {
            Some(Awaited::Index | Awaited::Library) if !self.index.is_ready() => {
                Some("indexing the library…")
            }
            Some(Awaited::Library) => Some("searching…"),
            Some(Awaited::Article) => Some("finding…"),
            Some(Awaited::Index) | None => self
                .reader
                .as_ref()
                .filter(|r| r.is_partial() && self.focus == Focus::Reader)
                .map(|_| "preparing the whole article…"),
        }
    }

    /// Waits up to `max` for the background work under way ([`Self::busy`]), taking in what
    /// finishes; true when none is left. For tests and batch use: a front end never waits,
    /// it polls on a wake.
    pub fn wait_background(&mut self, max: Duration) -> bool {
        let end = Instant::now() + max;
        while self.busy() {
            let left = end.saturating_duration_since(Instant::now());
            match self.bg.rx.recv_timeout(left) {
                Ok(done) => {
                    self.take_in(done);
                }
                Err(_) => return !self.busy(),
            }
        }
        true
    }

    /// Cancels the background work of this app: the running search stops at its next check,
    /// and nothing started before is taken in any more (an article still being prepared
    /// stays on its first part). Dropping the app does the same.
    pub fn cancel_background(&mut self) {
        self.bg.cancel_search();
        self.bg.notifier.stopped.store(true, Ordering::Release);
        // A fresh channel and flag for what is started from now on.
        let waker = Arc::clone(&self.bg.notifier.waker);
        self.bg = Background::new();
        self.bg.notifier.waker = waker;
        if let Some(r) = &mut self.reader {
            r.whole = None;
            r.go_when_whole = None;
        }
    }

    /// Takes in one finished piece of background work; true when the screen changes.
    fn take_in(&mut self, done: Done) -> bool {
        match done {
            Done::Hits {
                job,
                text,
                query,
                hits,
            } => {
                if !self.bg.take(job) {
                    return false;
                }
                let open = std::mem::take(&mut self.bg.open_first);
                self.show_hits(text, query, hits);
                if open && self.searching() {
                    self.open_selected();
                }
                true
            }
            Done::Indexed { job } => self.bg.take(job),
            Done::Matches {
                job,
                text,
                matches,
                from_start,
            } => {
                if !self.bg.take(job) {
                    return false;
                }
                self.show_matches(&text, matches, from_start);
                true
            }
            Done::Whole {
                job,
                prepared,
                width,
                lines,
            } => {
                let opts = self.opts;
                let Some(r) = &mut self.reader else {
                    return false;
                };
                if !r.complete(job, prepared, (width, lines), opts, &mut self.bg) {
                    return false;
                }
                let go = r.go_when_whole.take();
                self.relayout();
                if let Some(from_start) = go {
                    self.go_to_first_match(from_start);
                }
                true
            }
            Done::Opened {
                job,
                index,
                article,
            } => {
                if self.bg.opening != Some((job, index)) {
                    return false;
                }
                self.bg.opening = None;
                match article {
                    Ok(a) => self.show_article(index, a),
                    Err(problem) => self.message = Some(problem),
                }
                true
            }
            Done::Failed { job } => {
                if !self.bg.take(job) {
                    return false;
                }
                self.message = Some("the search stopped on an internal error".into());
                true
            }
        }
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

    /// The help overlay as it is drawn now: its box, its lines (fitted to the box's width)
    /// and the first line shown; none when the help is closed.
    pub fn help_view(&self) -> Option<HelpView> {
        self.help
            .then(|| HelpView::new(&self.keymap, self.size, self.help_top))
    }

    /// The outline of the open article while it is shown: its headings and the selected one.
    pub fn outline(&self) -> Option<(Vec<OutlineItem>, usize)> {
        let k = self.outline?;
        Some((self.outline_items(), k))
    }

    fn outline_items(&self) -> Vec<OutlineItem> {
        let Some(r) = &self.reader else {
            return Vec::new();
        };
        r.article
            .blocks
            .iter()
            .enumerate()
            .filter_map(|(block, b)| match b.kind {
                crate::article::BlockKind::Heading(level) => Some(OutlineItem {
                    block,
                    level,
                    text: b.text.replace('\n', " "),
                }),
                _ => None,
            })
            .collect()
    }

    /// Shows the outline, the heading of the text at the top of the pane selected.
    fn open_outline(&mut self, in_reader: bool) {
        let items = self.outline_items();
        if !in_reader {
            self.message = Some("open an article to see its outline".into());
            return;
        }
        if items.is_empty() {
            self.message = Some("this article has no headings".into());
            return;
        }
        let at = self
            .reader
            .as_ref()
            .and_then(|r| r.position().place.block())
            .unwrap_or(0);
        let k = items.iter().rposition(|i| i.block <= at).unwrap_or(0);
        self.outline = Some(k);
    }

    /// An action while the outline is shown: the moves move the selection, Enter jumps to
    /// the heading, any other key closes it.
    fn outline_action(&mut self, action: Action) {
        let Some(k) = self.outline else {
            return;
        };
        let n = self.outline_items().len();
        let last = n.saturating_sub(1);
        let page = usize::from(self.size.1.saturating_sub(4)).max(1);
        self.outline = match action {
            Action::Down => Some((k + 1).min(last)),
            Action::Up => Some(k.saturating_sub(1)),
            Action::PageDown | Action::HalfDown => Some((k + page).min(last)),
            Action::PageUp | Action::HalfUp => Some(k.saturating_sub(page)),
            Action::Top => Some(0),
            Action::Bottom => Some(last),
            Action::Open => {
                if let Some(item) = self.outline_items().get(k) {
                    self.jump_to_block(item.block);
                }
                None
            }
            Action::Redraw => {
                self.redraws += 1;
                Some(k)
            }
            _ => None,
        };
    }

    /// Puts block `b` of the open article at the top of the pane.
    fn jump_to_block(&mut self, b: usize) {
        let page = self.page();
        if let Some(r) = &mut self.reader {
            r.anchor = Position {
                place: Place::Block(b),
                offset: 0,
            };
            let max_top = r.lines.len().saturating_sub(page);
            r.top = r.line_of(r.anchor).min(max_top);
            // While only the first part is laid out the block may have no line yet: the anchor
            // stays the block, and the whole is laid out at it when it comes.
            if !r.is_partial() {
                r.anchor = r.position_of(r.top);
            }
        }
    }

    /// How many full redraws were asked for (Ctrl-L): a front end that drew fewer clears the
    /// terminal and draws every cell again.
    pub fn redraws(&self) -> u64 {
        self.redraws
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
        self.geometry_at(self.size.0, self.size.1)
    }

    /// Where things go on a screen of `width`×`height`.
    pub fn geometry_at(&self, width: u16, height: u16) -> Geometry {
        Geometry::with_measure(width, height, self.focus, self.measure)
    }

    /// Takes the bytes to write to the terminal after the frame (a clipboard write, OSC 52):
    /// the app never writes to a terminal itself, every front end (the local tty, an SSH
    /// session) drains this after drawing.
    pub fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.output)
    }

    /// Takes the address the user asked to open, for a local front end to hand to the
    /// browser (`$BROWSER`, else `xdg-open`). Only `http`/`https` addresses are asked for.
    pub fn take_open_request(&mut self) -> Option<String> {
        self.open_request.take()
    }

    /// Says whether the front end runs on the reader's machine: there `o` opens the browser,
    /// elsewhere (SSH) it copies the address and shows it.
    pub fn set_local(&mut self, local: bool) {
        self.local = local;
    }

    /// The reading measure in columns (0: the pane's width).
    pub fn measure(&self) -> u16 {
        self.measure
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
        if let Some(r) = self.reader.as_ref().filter(|r| !r.preview) {
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

    /// How many articles the list shows at once (when it is shown: in one-pane mode the
    /// list keeps its place while an article is read).
    fn list_rows(&self) -> usize {
        let (w, h) = self.size;
        let rows = Geometry::new(w, h, Focus::List)
            .list
            .map_or(1, |l| usize::from(l.height).max(1));
        if self.searching() {
            (rows / 2).max(1)
        } else {
            rows
        }
    }

    // ----- input -----

    /// Handles one input from the front end. Nothing here waits for background work: a
    /// search is started on the worker (cancelling the one running), an article still being
    /// prepared is read on its first part.
    pub fn handle(&mut self, input: Input) {
        self.poll_background();
        match input {
            Input::Resize(w, h) => self.resize(w, h),
            Input::Paste(text) => self.paste(&text),
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
        self.sync_preview();
    }

    /// A paste: one input, into the query line only, at most [`MAX_PASTE_BYTES`] of it, its
    /// line breaks and tabs made spaces and every other control character dropped.
    fn paste(&mut self, text: &str) {
        if self.query.is_none() {
            return;
        }
        let mut end = text.len().min(MAX_PASTE_BYTES);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let cut = end < text.len();
        let clean = crate::article::sanitize(text.get(..end).unwrap_or_default());
        let chars = clean
            .chars()
            .map(|c| if c.is_whitespace() { ' ' } else { c })
            .filter(|c| !c.is_control());
        let dropped = self.extend_query(chars);
        if cut || dropped {
            self.message = Some(format!("the query is cut at {MAX_QUERY_CHARS} characters"));
        }
        self.query_changed();
    }

    /// Adds `chars` to the query line up to [`MAX_QUERY_CHARS`]; true when some were
    /// dropped.
    fn extend_query(&mut self, chars: impl Iterator<Item = char>) -> bool {
        let Some(q) = &mut self.query else {
            return false;
        };
        let mut room = MAX_QUERY_CHARS.saturating_sub(q.text.chars().count());
        for c in chars {
            if room == 0 {
                return true;
            }
            q.text.push(c);
            room -= 1;
        }
        false
    }

    fn key(&mut self, ev: KeyEvent) {
        if ev.kind == crossterm::event::KeyEventKind::Release {
            return;
        }
        if self.query.is_some() {
            self.query_key(ev);
            return;
        }
        let ctrl_c = ev.code == KeyCode::Char('c') && ev.modifiers.contains(KeyModifiers::CONTROL);
        if let Some(n) = self.confirm.take() {
            if ctrl_c {
                self.quit = true;
            } else if matches!(ev.code, KeyCode::Char('y' | 'Y')) && !ctrl_c {
                self.mark_shown_read();
                let s = if n == 1 { "" } else { "s" };
                self.message = Some(format!("{n} article{s} marked read"));
            } else {
                self.message = Some("nothing was marked".into());
            }
            return;
        }
        match self.keymap.action(&ev) {
            Some(Action::Quit) if ctrl_c => self.quit = true,
            Some(action) => {
                self.message = None;
                self.apply(action);
            }
            // A key bound to nothing closes the help or the outline (and does nothing else).
            None if self.help => self.help = false,
            None if self.outline.is_some() => self.outline = None,
            None => {}
        }
    }

    /// An action while the help is shown: the moves scroll it, a redraw redraws, any other
    /// (quit and back included) closes it and is not carried out.
    fn help_action(&mut self, action: Action) {
        let Some(view) = self.help_view() else {
            return;
        };
        let page = isize::try_from(view.rows().max(1)).unwrap_or(1);
        let d = match action {
            Action::Down => 1,
            Action::Up => -1,
            Action::PageDown => (page - 1).max(1),
            Action::PageUp => -(page - 1).max(1),
            Action::HalfDown => (page / 2).max(1),
            Action::HalfUp => -(page / 2).max(1),
            Action::Top => isize::MIN / 2,
            Action::Bottom => isize::MAX / 2,
            Action::Redraw => {
                self.redraws += 1;
                return;
            }
            _ => {
                self.help = false;
                return;
            }
        };
        self.help_top = view.top.saturating_add_signed(d).min(view.max_top());
    }

    fn query_key(&mut self, ev: KeyEvent) {
        let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
        match ev.code {
            KeyCode::Char('c') if ctrl => self.quit = true,
            KeyCode::Esc => {
                self.message = None;
                let q = self.query.take();
                if q.is_some_and(|q| q.list) {
                    self.clear_search();
                }
            }
            KeyCode::Enter => {
                self.message = None;
                if let Some(q) = self.query.take() {
                    if q.list {
                        if matches!(self.bg.awaited, Some((_, Awaited::Library))) {
                            // The hits are on their way: open the first when they come.
                            self.bg.open_first = true;
                        } else if self.searching() {
                            self.open_selected();
                        }
                    } else {
                        self.find(&q.text);
                    }
                }
            }
            KeyCode::Backspace => {
                self.message = None;
                if let Some(q) = &mut self.query {
                    q.text.pop();
                }
                self.query_changed();
            }
            KeyCode::Char('u') if ctrl => {
                self.message = None;
                if let Some(q) = &mut self.query {
                    q.text.clear();
                }
                self.query_changed();
            }
            KeyCode::Char(c) if !ctrl && !c.is_control() => {
                if self.extend_query(std::iter::once(c)) {
                    self.message =
                        Some(format!("the query is cut at {MAX_QUERY_CHARS} characters"));
                } else {
                    self.query_changed();
                }
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

    /// Searches the library for `text` on the worker, cancelling the search running: the
    /// hits replace the list when they come in (through [`Self::poll_background`]). An empty
    /// query restores the list at once.
    pub fn search_library(&mut self, text: &str) {
        let split = Fields::split(text);
        if let Some(bad) = &split.unknown {
            self.message = Some(format!(
                "\"{bad}\" is not a filter (is:unread is:read is:bookmarked lang:ar|en|mix source: author: tag:)"
            ));
        }
        let query = Query::parse(&split.words);
        if query.is_empty() {
            self.bg.cancel_search();
            text.clone_into(&mut self.filter);
            self.query_terms = query;
            self.hits = None;
            self.fields = split.fields;
            self.refresh_view(self.current_id());
            if !self.index.is_ready() {
                // Only so that the status says the index is being built, and clears when it is.
                self.submit_library(String::new(), Query::default(), None);
            }
            return;
        }
        // Typing on: the new query's hits are among those shown when every term shown is
        // inside a new term.
        let narrowing = self.hits.as_ref().filter(|_| {
            split.fields == self.fields
                && self
                    .query_terms
                    .terms
                    .iter()
                    .all(|old| query.terms.iter().any(|new| new.contains(old.as_str())))
        });
        let candidates: Option<Vec<usize>> = narrowing.map(|h| h.iter().map(|h| h.index).collect());
        self.submit_library(text.to_owned(), query, candidates);
    }

    fn submit_library(&mut self, text: String, query: Query, candidates: Option<Vec<usize>>) {
        let awaited = if query.is_empty() {
            Awaited::Index
        } else {
            Awaited::Library
        };
        let job = Job::Library {
            lib: Arc::clone(&self.lib),
            index: Arc::clone(&self.index),
            text,
            query,
            candidates,
        };
        if !self.bg.submit(job, awaited) {
            self.message = Some("the search could not start: no thread is left".into());
        }
    }

    /// The hits of a library search, in the list.
    fn show_hits(&mut self, text: String, query: Query, mut hits: Vec<Hit>) {
        self.fields = Fields::split(&text).fields;
        hits.retain(|h| self.passes(h.index));
        self.filter = text;
        self.query_terms = query;
        self.view = hits.iter().map(|h| h.index).collect();
        self.hits = Some(hits);
        self.moved = true;
        self.selected = 0;
        self.list_top = 0;
    }

    fn clear_search(&mut self) {
        self.bg.cancel_search();
        self.fields = Fields::default();
        self.filter.clear();
        self.query_terms = Query::default();
        self.hits = None;
        self.refresh_view(self.current_id());
    }

    /// Carries out one action.
    pub fn apply(&mut self, action: Action) {
        self.apply_action(action);
        self.sync_preview();
    }

    fn apply_action(&mut self, action: Action) {
        if self.help {
            self.help_action(action);
            return;
        }
        if self.outline.is_some() {
            self.outline_action(action);
            return;
        }
        let in_reader = self.focus == Focus::Reader && self.reader.is_some();
        if in_reader && self.selecting(action) {
            return;
        }
        match action {
            Action::Quit => self.quit = true,
            Action::Help => {
                self.help = true;
                self.help_top = 0;
            }
            Action::Redraw => self.redraws += 1,
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
                    if self.focus == Focus::Reader {
                        self.mark_opened();
                    }
                }
            }
            Action::Open => {
                if self.focus == Focus::List {
                    self.open_selected();
                }
            }
            Action::Back => {
                if self.bg.opening.take().is_some() {
                    self.message = Some("the article was not opened".into());
                } else if self.focus == Focus::Reader {
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
            Action::PageDown if in_reader && self.at_end() => {
                // At the end of the article Space goes on to the next unread one.
                self.unread(true, true);
            }
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
            Action::Outline => self.open_outline(in_reader),
            Action::Select => self.start_selection(in_reader),
            Action::Copy => self.copy_address(),
            Action::OpenAddress => self.open_address(),
            Action::Wider => self.change_measure(true),
            Action::Narrower => self.change_measure(false),
            Action::NextArticle => self.step_article(true, in_reader),
            Action::PrevArticle => self.step_article(false, in_reader),
            Action::UnreadOnly => self.toggle_unread_only(),
            Action::MarkAllRead => self.ask_mark_all_read(),
            Action::NextUnread => self.unread(true, in_reader),
            Action::PrevUnread => self.unread(false, in_reader),
            Action::ToggleRead => self.toggle_read(),
            Action::Bookmark => self.toggle_bookmark(),
            Action::Search => self.start_query(in_reader),
            Action::NextMatch => self.next_match(true),
            Action::PrevMatch => self.next_match(false),
        }
    }

    /// Opens the query line: a library filter from the list, a find in the reader.
    fn start_query(&mut self, in_reader: bool) {
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
        if !in_reader && !self.index.is_ready() && self.bg.awaited.is_none() {
            // Only so that the status says the index is being built, and clears when
            // it is.
            self.submit_library(String::new(), Query::default(), None);
        }
    }

    /// Shows only the unread articles, or all again.
    fn toggle_unread_only(&mut self) {
        self.unread_only = !self.unread_only;
        self.message = Some(
            if self.unread_only {
                "only unread articles (U shows all)"
            } else {
                "all articles"
            }
            .into(),
        );
        if self.searching() {
            // Searched again, with or without the read ones.
            let text = self.filter.clone();
            self.hits = None;
            self.search_library(&text);
        } else {
            self.refresh_view(self.current_id());
        }
    }

    /// Asks whether to mark every unread article shown read (`y` does).
    fn ask_mark_all_read(&mut self) {
        let store = &self.store;
        let lib = &self.lib;
        let n = self
            .view
            .iter()
            .filter(|&&i| !store.get(&lib.entry(i).id).read)
            .count();
        if n == 0 {
            self.message = Some("every article shown is read".into());
        } else {
            let s = if n == 1 { "" } else { "s" };
            self.confirm = Some(n);
            self.message = Some(format!(
                "mark the {n} unread article{s} shown read? y: yes, any other key: no"
            ));
        }
    }

    /// Marks the article read or unread.
    fn toggle_read(&mut self) {
        if let Some(id) = self.target_id() {
            self.store.update(&id, |s| s.read = !s.read);
            let read = self.store.get(&id).read;
            self.recount_unread();
            self.message = Some(if read { "marked read" } else { "marked unread" }.into());
        }
    }

    /// Bookmarks the article, or removes its bookmark.
    fn toggle_bookmark(&mut self) {
        if let Some(id) = self.target_id() {
            self.store.update(&id, |s| s.bookmark = !s.bookmark);
            let b = self.store.get(&id).bookmark;
            self.message = Some(if b { "bookmarked" } else { "bookmark removed" }.into());
        }
    }

    /// An action while paragraphs are selected: j/k move its end, `y` copies it, Esc or `v`
    /// ends it; true when the action was taken here (others work as usual).
    fn selecting(&mut self, action: Action) -> bool {
        let page = self.page();
        let Some(r) = &mut self.reader else {
            return false;
        };
        let Some((anchor, end)) = r.selection else {
            return false;
        };
        let last = r.article.blocks.len().saturating_sub(1);
        match action {
            Action::Down | Action::Up => {
                let end = if action == Action::Down {
                    (end + 1).min(last)
                } else {
                    end.saturating_sub(1)
                };
                r.selection = Some((anchor, end));
                // Keep the moving end on screen.
                let first = r.lines.iter().position(|l| l.origin == Place::Block(end));
                let past = r.lines.iter().rposition(|l| l.origin == Place::Block(end));
                if let (Some(first), Some(past)) = (first, past) {
                    let max_top = r.lines.len().saturating_sub(page);
                    if first < r.top {
                        r.top = first;
                    } else if past >= r.top + page {
                        r.top = (past + 1).saturating_sub(page).min(first).min(max_top);
                    }
                    r.anchor = r.position_of(r.top);
                }
                true
            }
            Action::Copy => {
                let blocks = r.selection().unwrap_or(0..=0);
                let n = blocks.clone().count();
                let text = r
                    .article
                    .blocks
                    .get(blocks)
                    .unwrap_or_default()
                    .iter()
                    .map(|b| b.text.as_str())
                    .collect::<Vec<_>>()
                    .join("\n\n");
                r.selection = None;
                let what = if n == 1 {
                    "1 paragraph".to_owned()
                } else {
                    format!("{n} paragraphs")
                };
                self.copy(&what, &text);
                true
            }
            Action::Back | Action::Select => {
                r.selection = None;
                self.message = Some("selection cancelled".into());
                true
            }
            _ => false,
        }
    }

    /// Starts selecting paragraphs at the first one on screen.
    fn start_selection(&mut self, in_reader: bool) {
        let Some(r) = self.reader.as_mut().filter(|_| in_reader) else {
            self.message = Some("open an article to select its paragraphs".into());
            return;
        };
        let first = r.lines.iter().skip(r.top).find_map(|l| match l.origin {
            Place::Block(b) if l.kind != LineKind::Blank => Some(b),
            _ => None,
        });
        match first {
            Some(b) => r.selection = Some((b, b)),
            None => self.message = Some("nothing to select here".into()),
        }
    }

    /// The address of the article an action means (the open one, else the selected one).
    fn target_address(&self) -> Option<String> {
        let article = if let (Some(r), Focus::Reader) = (&self.reader, self.focus) {
            Some(Arc::clone(&r.article))
        } else {
            let i = *self.view.get(self.selected)?;
            self.lib.loaded(i).or_else(|| self.lib.kept(i))
        };
        article?.url.clone()
    }

    /// Copies the article's address.
    fn copy_address(&mut self) {
        match self.target_address() {
            Some(url) => self.copy("the address", &url),
            None => self.message = Some("this article has no address".into()),
        }
    }

    /// Opens the article's address in the browser on a local terminal; elsewhere copies it
    /// and shows it.
    fn open_address(&mut self) {
        let Some(url) = self.target_address() else {
            self.message = Some("this article has no address".into());
            return;
        };
        if self.local && is_web_address(&url) {
            self.message = Some(format!("opening {url}"));
            self.open_request = Some(url);
        } else {
            self.copy("the address", &url);
            let said = self.message.take().unwrap_or_default();
            self.message = Some(format!("{url} · {said}"));
        }
    }

    /// Writes `text` to the clipboard through the terminal (OSC 52), in logical order as
    /// stored, and says so in one line.
    fn copy(&mut self, what: &str, text: &str) {
        if !self.clipboard {
            self.message = Some("copying is off (clipboard = false in the config)".into());
            return;
        }
        let mut end = text.len().min(MAX_COPY_BYTES);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let copied = text.get(..end).unwrap_or_default();
        self.output = osc52(copied);
        let chars = copied.chars().count();
        let cut = if end < text.len() {
            format!(", cut at {} KiB", MAX_COPY_BYTES / 1024)
        } else {
            String::new()
        };
        self.message = Some(format!("copied {what} ({chars} characters{cut})"));
    }

    /// Widens or narrows the reading measure by [`MEASURE_STEP`] (from [`MIN_MEASURE`] to
    /// the pane's width, which is measure 0), keeping the text at the top of the pane.
    fn change_measure(&mut self, wider: bool) {
        let Some(pane) = self.geometry().reader else {
            self.message = Some("the measure changes while an article is shown".into());
            return;
        };
        let full = pane.width.saturating_sub(2).max(1);
        let now = if self.measure == 0 {
            full
        } else {
            self.measure.min(full)
        };
        let next = if wider {
            now.saturating_add(MEASURE_STEP)
        } else {
            now.saturating_sub(MEASURE_STEP).max(MIN_MEASURE.min(full))
        };
        self.measure = if next >= full { 0 } else { next };
        self.relayout();
        self.message = Some(if self.measure == 0 {
            format!("measure: the pane's width ({full} columns)")
        } else {
            format!("measure: {} columns", self.measure)
        });
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

    /// A new size, held to [`crate::screen::MAX_COLS`] × [`crate::screen::MAX_ROWS`] (what
    /// the front ends draw at most).
    fn resize(&mut self, w: u16, h: u16) {
        self.size = crate::screen::clamp_size(w, h);
        if self.geometry().divider.is_none() && self.reader.is_none() {
            self.focus = Focus::List;
        }
        self.relayout();
        self.keep_selection_visible();
    }

    fn relayout(&mut self) {
        let width = self.geometry().text.map(|t| usize::from(t.width));
        let page = self.page();
        if let (Some(r), Some(w)) = (&mut self.reader, width) {
            r.lay_out(w, self.opts, &mut self.bg);
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

    /// Whether library article `index` passes the field filters and the unread-only toggle.
    fn passes(&self, index: usize) -> bool {
        let entry = self.lib.entry(index);
        let state = self.store.get(&entry.id);
        if self.unread_only && state.read {
            return false;
        }
        self.fields.matches(entry, &state, || {
            self.lib.loaded(index).or_else(|| self.lib.kept(index))
        })
    }

    /// Marks every article of the list read.
    fn mark_shown_read(&mut self) {
        for &i in &self.view {
            let id = &self.lib.entry(i).id;
            if !self.store.get(id).read {
                self.store.update(id, |s| s.read = true);
            }
        }
        self.recount_unread();
    }

    /// The articles of the list the next/previous article keys go to, from the selection.
    fn step_article(&mut self, forward: bool, open: bool) {
        let next = if forward {
            Some(self.selected + 1).filter(|&p| p < self.view.len())
        } else {
            self.selected.checked_sub(1)
        };
        match next {
            Some(p) => {
                self.selected = p;
                self.keep_selection_visible();
                if open {
                    self.open(self.view[p]);
                }
            }
            None => {
                self.message = Some(
                    if forward {
                        "this is the last article of the list"
                    } else {
                        "this is the first article of the list"
                    }
                    .into(),
                );
            }
        }
    }

    /// Whether the reader shows the end of the whole article.
    fn at_end(&self) -> bool {
        let page = self.page();
        self.reader
            .as_ref()
            .is_some_and(|r| !r.is_partial() && r.top + page >= r.lines.len())
    }

    fn refresh_view(&mut self, keep: Option<String>) {
        self.view = self.lib.view(self.sort, &Filter::default());
        if self.sort == SortKey::Title {
            // Arabic alphabetical order: hamza forms with alef (a stable sort keeps the
            // library's ties).
            let lib = &self.lib;
            self.view
                .sort_by_cached_key(|&i| title_key(&lib.entry(i).title));
        }
        if self.unread_only || !self.fields.is_empty() {
            let view = std::mem::take(&mut self.view);
            self.view = view.into_iter().filter(|&i| self.passes(i)).collect();
        }
        self.selected = keep
            .and_then(|id| self.view.iter().position(|&i| self.lib.entry(i).id == id))
            .unwrap_or(0);
        self.keep_selection_visible();
    }

    fn move_selection(&mut self, d: isize) {
        if self.view.is_empty() {
            return;
        }
        self.moved = true;
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
            self.mark_opened();
            if self.searching() {
                // Opened again from a search: its matches, from the top, as on a first open.
                let q = self.query_terms.clone();
                self.find_query(String::new(), q, true);
            }
            return;
        }
        if self.lib.loaded(index).is_none() && self.lib.is_huge(index) {
            self.open_in_background(index);
            return;
        }
        // Opening another article at once: one being read is not wanted any more.
        self.bg.opening = None;
        match self.lib.article(index) {
            Ok(article) => self.show_article(index, article),
            Err(problem) => self.message = Some(problem.to_string()),
        }
    }

    /// Reads and parses an article of a huge file on a thread of its own: the reader shows
    /// it when it is ready (keys work on meanwhile; Esc gives it up).
    fn open_in_background(&mut self, index: usize) {
        if self.bg.opening.is_some_and(|(_, i)| i == index) {
            return;
        }
        let job = self.bg.next_job();
        let (lib, notifier) = (Arc::clone(&self.lib), self.bg.notifier.clone());
        let spawned = std::thread::Builder::new()
            .name("qari-open".to_owned())
            .spawn(move || {
                notifier.hold();
                if notifier.stopped.load(Ordering::Acquire) {
                    return;
                }
                let article =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| lib.article(index)))
                        .map_or_else(
                            |_| Err("the article could not be read (an internal error)".into()),
                            |r| r.map_err(|p| p.to_string()),
                        );
                notifier.send(Done::Opened {
                    job,
                    index,
                    article,
                });
            });
        match spawned {
            Ok(_) => self.bg.opening = Some((job, index)),
            Err(_) => {
                self.message = Some("the article could not be opened: no thread is left".into());
            }
        }
    }

    /// Shows `article` (library article `index`) in the reader, at its remembered position.
    fn show_article(&mut self, index: usize, article: Arc<Article>) {
        self.show(index, article, false);
    }

    /// Marks the article in the reader read (it is opened, no longer a preview).
    fn mark_opened(&mut self) {
        let Some(r) = &mut self.reader else {
            return;
        };
        r.preview = false;
        let id = r.article.id.clone();
        if !self.store.get(&id).read {
            self.store.update(&id, |s| s.read = true);
            self.unread = self.unread.saturating_sub(1);
        }
    }

    /// Side by side with the list focused, the reader previews the selected article (an
    /// article of a huge file is not read for a preview: Enter opens it).
    fn sync_preview(&mut self) {
        if self.focus != Focus::List
            || self.geometry().divider.is_none()
            || self.help
            || !(self.moved || self.reader.is_some())
        {
            return;
        }
        let Some(&index) = self.view.get(self.selected) else {
            return;
        };
        if self.reader.as_ref().is_some_and(|r| r.index == index) || self.bg.opening.is_some() {
            return;
        }
        match self.lib.loaded(index) {
            None if self.lib.is_huge(index) => {
                if self.reader.is_some() {
                    self.save();
                }
                self.reader = None;
            }
            _ => match self.lib.article(index) {
                Ok(article) => self.show(index, article, true),
                Err(_) => self.reader = None,
            },
        }
    }

    /// Shows `article` in the reader: opened (focused, marked read) or as a preview.
    fn show(&mut self, index: usize, article: Arc<Article>, preview: bool) {
        // A preview has no place of its own to remember; an opened article has.
        if self.reader.as_ref().is_some_and(|r| !r.preview) {
            self.save();
        }
        let id = article.id.clone();
        let remembered = self.store.get(&id);
        self.reader = Some(Reader {
            index,
            article,
            width: 0,
            lines: Arc::new(Vec::new()),
            cache: Vec::new(),
            prepared: None,
            whole: None,
            go_when_whole: None,
            top: 0,
            anchor: remembered.position.unwrap_or_default(),
            matches: Vec::new(),
            current: None,
            preview: true,
            selection: None,
        });
        if let Some(pos) = self.view.iter().position(|&i| i == index) {
            self.selected = pos;
            self.keep_selection_visible();
        }
        if !preview {
            self.mark_opened();
            self.focus = Focus::Reader;
        }
        self.relayout();
        if self.searching() {
            let q = self.query_terms.clone();
            self.find_query(String::new(), q, true);
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

    /// Finds `text` in the open article (folded: hamza, tashkeel, case …) on the worker, and
    /// goes to the first match at or after the top of the pane when they come in.
    fn find(&mut self, text: &str) {
        let q = Query::parse(text);
        if q.is_empty() {
            if let Some(r) = &mut self.reader {
                r.matches.clear();
                r.current = None;
            }
            return;
        }
        self.find_query(text.to_owned(), q, false);
    }

    /// Starts looking for `q` in the open article (`text`, when not empty, is named in the
    /// message if nothing is found).
    fn find_query(&mut self, text: String, q: Query, from_start: bool) {
        let Some(r) = &self.reader else {
            return;
        };
        let job = Job::Article {
            article: Arc::clone(&r.article),
            text,
            query: q,
            from_start,
        };
        if !self.bg.submit(job, Awaited::Article) {
            self.message = Some("the search could not start: no thread is left".into());
        }
    }

    /// The matches found in the open article: shown, and the first gone to (once the whole
    /// article is laid out).
    fn show_matches(&mut self, text: &str, matches: Vec<Match>, from_start: bool) {
        let Some(r) = &mut self.reader else {
            return;
        };
        r.matches = matches;
        r.current = None;
        if r.matches.is_empty() {
            if !text.is_empty() {
                self.message = Some(format!("\"{text}\" is not in this article"));
            }
            return;
        }
        if r.is_partial() {
            r.go_when_whole = Some(from_start);
            return;
        }
        self.go_to_first_match(from_start);
    }

    /// Goes to the first match at or after the top of the pane (or of the article).
    fn go_to_first_match(&mut self, from_start: bool) {
        let Some(r) = &mut self.reader else {
            return;
        };
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
            .position(|(place, range)| (*place, range.start) >= (top.place, top.offset))
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
                l.origin == origin && l.kind != LineKind::Blank && l.line.src.end > range.start
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

impl Drop for App {
    /// The background work ends with the app (a search stops at its next check).
    fn drop(&mut self) {
        self.bg.cancel_search();
        self.bg.notifier.stopped.store(true, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_fall_between_grapheme_clusters() {
        let family = "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}";
        let text = format!("ab{family}cdefgh");
        // The family is one cluster of 2 columns: kept whole or not at all.
        assert_eq!(fit(&text, 5), format!("ab{family}…"));
        assert_eq!(fit(&text, 3), "ab…");
        assert_eq!(
            fit_end(&format!("abcdef{family}gh"), 5),
            format!("…{family}gh")
        );
        let marked = "بِسْمِ";
        assert_eq!(fit(marked, 2), "بِ…", "a letter keeps its mark");
    }
    use std::fmt::Write as _;
    use std::sync::Condvar;

    /// Holds background work where it starts until released (or for ten seconds at most, so
    /// that a test that fails never hangs).
    #[derive(Default)]
    pub(super) struct Gate {
        open: Mutex<bool>,
        cv: Condvar,
    }

    impl Gate {
        pub(super) fn pass(&self) {
            let open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
            let _ = self
                .cv
                .wait_timeout_while(open, Duration::from_secs(10), |open| !*open);
        }

        fn release(&self) {
            *self.open.lock().unwrap() = true;
            self.cv.notify_all();
        }
    }

    fn key(c: KeyCode) -> Input {
        Input::Key(KeyEvent::new(c, KeyModifiers::NONE))
    }

    fn type_text(app: &mut App, text: &str) {
        for c in text.chars() {
            app.handle(key(KeyCode::Char(c)));
        }
    }

    /// The app on the sample library at 100×30, its background work held at `gate`.
    fn held_app(lib: Arc<Library>, gate: &Arc<Gate>) -> App {
        let mut app = App::new(
            lib,
            &Config::default(),
            Store::in_memory(),
            Options::default(),
        );
        app.bg.notifier.gate = Some(Arc::clone(gate));
        app.handle(Input::Resize(100, 30));
        app
    }

    /// A library of one article of about 300 KB (opened on its first part).
    fn long_library(dir: &std::path::Path) -> Arc<Library> {
        let mut body = String::new();
        let mut n = 0;
        while body.len() < 300_000 {
            let _ = write!(
                body,
                "{n}. قال المبعوث إن داعش فقد معظم الأراضي التي سيطر عليها منذ 2014.\n\n"
            );
            n += 1;
        }
        std::fs::write(dir.join("long.txt"), format!("مقال طويل\n\n{body}")).unwrap();
        Arc::new(Library::open(&[dir.to_path_buf()]))
    }

    #[test]
    fn a_search_runs_off_the_input_path_and_its_hits_come_with_a_wake() {
        let gate = Arc::new(Gate::default());
        let mut app = held_app(Arc::new(Library::embedded()), &gate);
        let (tx, rx) = std::sync::mpsc::channel();
        let tx = Mutex::new(tx);
        app.set_waker(Arc::new(move || {
            let _ = tx.lock().unwrap().send(());
        }));
        let all = app.view().len();
        app.handle(key(KeyCode::Char('/')));
        type_text(&mut app, "ماكجورك");
        // The worker is held: the prompt has the text, the list is as it was.
        assert_eq!(app.query().unwrap().text, "ماكجورك");
        assert!(app.busy());
        assert!(!app.searching());
        assert_eq!(app.view().len(), all);
        assert!(app.background_status().is_some());
        assert!(!app.poll_background(), "nothing finished yet");
        gate.release();
        rx.recv_timeout(Duration::from_secs(60))
            .expect("the waker is called when the hits are ready");
        assert!(app.poll_background(), "the hits need a redraw");
        assert!(app.searching());
        assert_eq!(app.view().len(), 1);
        assert_eq!(app.filter(), "ماكجورك");
        assert!(!app.busy());
        assert_eq!(app.background_status(), None);
    }

    #[test]
    fn each_keystroke_cancels_the_running_search() {
        let gate = Arc::new(Gate::default());
        let mut app = held_app(Arc::new(Library::embedded()), &gate);
        app.handle(key(KeyCode::Char('/')));
        type_text(&mut app, "دا");
        let first = Arc::clone(app.bg.cancel.as_ref().unwrap());
        assert!(!first.load(Ordering::Acquire));
        type_text(&mut app, "عش");
        assert!(first.load(Ordering::Acquire), "the next key cancels it");
        let last = Arc::clone(app.bg.cancel.as_ref().unwrap());
        assert!(!last.load(Ordering::Acquire));
        gate.release();
        assert!(app.wait_background(Duration::from_secs(60)));
        assert_eq!(app.filter(), "داعش", "only the last query's hits are shown");
        assert!(app.searching() && !app.view().is_empty());
        // A scorer given a set flag gives up.
        let index = search::Index::build(&app.lib);
        let stop = AtomicBool::new(true);
        assert!(
            index
                .search_cancellable(&Query::parse("داعش"), None, &stop)
                .is_none()
        );
    }

    #[test]
    fn dropping_the_app_or_cancelling_stops_its_work() {
        let gate = Arc::new(Gate::default());
        let mut app = held_app(Arc::new(Library::embedded()), &gate);
        app.handle(key(KeyCode::Char('/')));
        type_text(&mut app, "hostage");
        let flag = Arc::clone(app.bg.cancel.as_ref().unwrap());
        let stopped = Arc::clone(&app.bg.notifier.stopped);
        app.cancel_background();
        assert!(flag.load(Ordering::Acquire) && stopped.load(Ordering::Acquire));
        assert!(!app.busy());
        // Searching again works after a cancel.
        app.bg.notifier.gate = Some(Arc::clone(&gate));
        type_text(&mut app, "s");
        let flag = Arc::clone(app.bg.cancel.as_ref().unwrap());
        let stopped = Arc::clone(&app.bg.notifier.stopped);
        drop(app);
        assert!(flag.load(Ordering::Acquire) && stopped.load(Ordering::Acquire));
        gate.release();
    }

    #[test]
    fn a_waker_that_panics_does_not_stop_later_searches() {
        let gate = Arc::new(Gate::default());
        gate.release();
        let mut app = held_app(Arc::new(Library::embedded()), &gate);
        app.set_waker(Arc::new(|| panic!("a front end's waker failed")));
        app.handle(key(KeyCode::Char('/')));
        type_text(&mut app, "hostage");
        assert!(app.wait_background(Duration::from_secs(60)));
        assert_eq!(app.view().len(), 3);
        app.set_waker(Arc::new(|| {}));
        app.handle(key(KeyCode::Backspace));
        assert!(
            app.wait_background(Duration::from_secs(60)),
            "a new worker runs"
        );
        assert_eq!(app.filter(), "hostag");
    }

    #[test]
    fn the_index_build_never_blocks_the_prompt() {
        let lib = Arc::new(Library::embedded());
        let gate = Arc::new(Gate::default());
        gate.release();
        let mut app = held_app(Arc::clone(&lib), &gate);
        let index = Arc::new(SharedIndex::default());
        // As if another session were building it: nothing here builds it until the test does.
        index.pretend_building();
        app.share_index(Arc::clone(&index));
        app.handle(key(KeyCode::Char('/')));
        assert_eq!(app.background_status(), Some("indexing the library…"));
        type_text(&mut app, "hostage");
        assert_eq!(app.query().unwrap().text, "hostage");
        assert_eq!(app.background_status(), Some("indexing the library…"));
        assert!(
            !app.wait_background(Duration::from_millis(50)),
            "waits for the index"
        );
        index.get_or_build(&lib);
        assert!(app.wait_background(Duration::from_secs(60)));
        assert_eq!(app.view().len(), 3);
        assert_eq!(app.background_status(), None);
    }

    #[test]
    fn quitting_never_waits_for_an_article_being_prepared() {
        let dir = tempfile::tempdir().unwrap();
        let lib = long_library(dir.path());
        for quit in [
            key(KeyCode::Char('q')),
            Input::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
        ] {
            let gate = Arc::new(Gate::default());
            let mut app = held_app(Arc::clone(&lib), &gate);
            app.open(0);
            assert!(app.reader().unwrap().is_partial());
            assert_eq!(
                app.background_status(),
                Some("preparing the whole article…")
            );
            // Keys work on the first part meanwhile.
            app.handle(key(KeyCode::Char('j')));
            assert_eq!(app.reader().unwrap().top, 1);
            app.handle(quit);
            assert!(app.should_quit());
            assert!(app.reader().unwrap().is_partial(), "the key did not wait");
            gate.release();
        }
        let gate = Arc::new(Gate::default());
        let mut app = held_app(Arc::clone(&lib), &gate);
        app.open(0);
        app.handle(key(KeyCode::Esc));
        assert_eq!(app.focus(), Focus::List);
        assert!(app.reader().unwrap().is_partial());
        gate.release();
        assert!(app.wait_background(Duration::from_secs(60)));
        assert!(!app.reader().unwrap().is_partial());
    }

    #[test]
    fn the_preparation_of_the_whole_stops_with_the_app() {
        let dir = tempfile::tempdir().unwrap();
        let lib = long_library(dir.path());
        let article = lib.article(0).unwrap();
        let stop = AtomicBool::new(true);
        assert!(PreparedArticle::new_cancellable(&article, Options::default(), &stop).is_none());
        stop.store(false, Ordering::Release);
        let whole = PreparedArticle::new_cancellable(&article, Options::default(), &stop);
        assert!(whole.is_some_and(|p| p.is_whole()));
        // The app's flag is the one its preparation looks at.
        let gate = Arc::new(Gate::default());
        let mut app = held_app(lib, &gate);
        app.open(0);
        let stopped = Arc::clone(&app.bg.notifier.stopped);
        assert!(!stopped.load(Ordering::Acquire));
        drop(app);
        assert!(stopped.load(Ordering::Acquire));
        gate.release();
    }

    #[test]
    fn an_article_of_a_huge_file_is_read_off_the_input_path() {
        let dir = tempfile::tempdir().unwrap();
        let para = "قال المبعوث إن داعش فقد معظم الأراضي التي سيطر عليها منذ 2014.\n\n";
        let big = usize::try_from(crate::library::LAZY_BYTES).unwrap() + 1024;
        let body = para.repeat(big / para.len() + 1);
        std::fs::write(dir.path().join("huge.txt"), format!("مقال ضخم\n\n{body}")).unwrap();
        let lib = Arc::new(Library::open(&[dir.path().to_path_buf()]));
        assert!(lib.is_huge(0));
        let gate = Arc::new(Gate::default());
        let mut app = held_app(Arc::clone(&lib), &gate);
        app.open(0);
        // Held: the list is still there, the status says why, keys work.
        assert!(app.reader().is_none());
        assert_eq!(app.background_status(), Some("opening the article…"));
        app.handle(key(KeyCode::Esc));
        assert!(app.bg.opening.is_none(), "Esc gives it up");
        app.open(0);
        app.handle(key(KeyCode::Char('q')));
        assert!(app.should_quit(), "q is answered while the file is read");
        assert!(app.reader().is_none());
        gate.release();
        let end = Instant::now() + Duration::from_secs(120);
        while app.reader().is_none() && Instant::now() < end {
            app.poll_background();
            std::thread::sleep(Duration::from_millis(10));
        }
        let r = app.reader().expect("the article opens once read");
        assert_eq!(r.index, 0);
        assert_eq!(app.focus(), Focus::Reader);
        assert!(r.is_partial(), "a huge article opens on its first part");
    }

    #[test]
    fn a_long_article_is_wrapped_again_in_the_background() {
        let dir = tempfile::tempdir().unwrap();
        let lib = long_library(dir.path());
        let article = lib.article(0).unwrap();
        let whole = PreparedArticle::new(&article, Options::default());
        let gate = Arc::new(Gate::default());
        gate.release();
        let mut app = held_app(lib, &gate);
        app.open(0);
        assert!(app.wait_background(Duration::from_secs(60)));
        for _ in 0..400 {
            app.apply(Action::Down);
        }
        let at = app.reader().unwrap().position();
        let held = Arc::new(Gate::default());
        app.bg.notifier.gate = Some(Arc::clone(&held));
        app.handle(Input::Resize(62, 30));
        let r = app.reader().unwrap();
        assert!(r.is_partial(), "the first part, at once");
        assert_eq!(r.position().place, at.place, "at the same text");
        // Another width while the whole is wrapped for the first: one job, redone after.
        app.handle(Input::Resize(72, 30));
        assert!(app.reader().unwrap().is_partial());
        app.handle(key(KeyCode::Char('q')));
        assert!(app.should_quit(), "keys never wait for the wrapping");
        held.release();
        assert!(app.wait_background(Duration::from_secs(60)));
        let r = app.reader().unwrap();
        assert!(!r.is_partial());
        assert_eq!(r.width(), 70);
        assert_eq!(r.lines(), &whole.lay_out(70)[..]);
        assert_eq!(r.position().place, at.place);
    }

    #[test]
    fn matches_found_while_the_article_is_partial_are_gone_to_with_the_whole() {
        let dir = tempfile::tempdir().unwrap();
        let lib = long_library(dir.path());
        let gate = Arc::new(Gate::default());
        let mut app = held_app(lib, &gate);
        app.open(0);
        app.handle(key(KeyCode::Char('/')));
        type_text(&mut app, "1200.");
        app.handle(key(KeyCode::Enter));
        gate.release();
        assert!(app.wait_background(Duration::from_secs(60)));
        let r = app.reader().unwrap();
        assert!(!r.is_partial());
        assert_eq!(r.current, Some(0));
        let (origin, _) = r.matches[0].clone();
        let page = app.page();
        assert!(
            r.lines()[r.top..r.top + page]
                .iter()
                .any(|l| l.origin == origin),
            "the match is on screen"
        );
    }

    #[test]
    fn queries_and_pastes_are_capped_and_cleaned() {
        let gate = Arc::new(Gate::default());
        gate.release();
        let mut app = held_app(Arc::new(Library::embedded()), &gate);
        app.handle(Input::Paste("ignored outside the query line".into()));
        assert!(app.query().is_none() && !app.should_quit());
        app.handle(key(KeyCode::Char('/')));
        app.handle(Input::Paste("a\nq\tb\u{1b}]0;x\u{7}\rc".into()));
        let text = &app.query().unwrap().text;
        assert!(!text.chars().any(char::is_control), "{text:?}");
        assert!(text.starts_with("a q b"), "{text:?}");
        assert!(!app.should_quit(), "a q pasted is text");
        app.handle(Input::Paste("x".repeat(100 * 1024)));
        assert_eq!(app.query().unwrap().text.chars().count(), MAX_QUERY_CHARS);
        assert!(app.message().unwrap().contains("1024"));
        app.handle(key(KeyCode::Char('y')));
        assert_eq!(app.query().unwrap().text.chars().count(), MAX_QUERY_CHARS);
        app.handle(key(KeyCode::Backspace));
        assert_eq!(
            app.query().unwrap().text.chars().count(),
            MAX_QUERY_CHARS - 1
        );
        assert!(app.message().is_none());
        assert!(app.wait_background(Duration::from_secs(60)));
    }

    #[test]
    fn sizes_are_held_to_the_screen_cap() {
        let gate = Arc::new(Gate::default());
        let mut app = held_app(Arc::new(Library::embedded()), &gate);
        app.handle(Input::Resize(65535, 65535));
        assert_eq!(
            app.size(),
            (crate::screen::MAX_COLS, crate::screen::MAX_ROWS)
        );
        assert!(app.geometry().text.is_some_and(|t| t.width <= MEASURE));
        gate.release();
    }

    #[test]
    fn osc_52_carries_the_text_in_base64() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        // Logical order, UTF-8: ل (d9 84) then ا (d8 a7).
        assert_eq!(base64("لا".as_bytes()), "2YTYpw==");
        assert_eq!(osc52("hi"), b"\x1b]52;c;aGk=\x1b\\".to_vec());
    }

    #[test]
    fn a_copy_is_capped() {
        let gate = Arc::new(Gate::default());
        gate.release();
        let mut app = held_app(Arc::new(Library::embedded()), &gate);
        app.copy("it", &"ب".repeat(MAX_COPY_BYTES));
        let out = app.take_output();
        // 4 bytes of base64 for 3 of text, plus the sequence's ends.
        assert!(out.len() <= MAX_COPY_BYTES / 3 * 4 + 16, "{}", out.len());
        assert!(app.message().unwrap().contains("cut at 96 KiB"));
    }

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
