//! The open article: its lines per width, the reading position, opening and previewing.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::background::{Background, Done, Source};
use super::{App, CACHED_WIDTHS, FIRST_PART_BYTES, Focus, PROGRESSIVE_BYTES, REWRAP_BYTES};
use crate::article::Article;
use crate::document::{DocLine, LineKind, PreparedArticle};
use crate::layout::{Options, VisualLine};
use crate::once::{Once, Outcome};
use crate::search::Match;
use crate::state::Position;

/// The open article, laid out for the reader's width.
#[derive(Debug, Clone)]
pub struct Reader {
    /// Its index in the library.
    pub index: usize,
    /// The article.
    pub article: Arc<Article>,
    pub(super) width: usize,
    pub(super) lines: Arc<Vec<DocLine>>,
    pub(super) cache: Vec<(usize, Arc<Vec<DocLine>>)>,
    /// The width-independent layout work: a resize only wraps it again, and the lines on
    /// screen take their cells from it.
    pub(super) prepared: Option<Arc<PreparedArticle>>,
    /// The job preparing the whole article in the background while `prepared` holds its
    /// first part (a long article, just opened).
    pub(super) whole: Option<u64>,
    /// Go to the first match (from the top of the article when true) once the whole is laid
    /// out: matches that came in while only the first part was.
    pub(super) go_when_whole: Option<bool>,
    /// The first line shown.
    pub top: usize,
    /// The source position at the top, kept across widths.
    pub(super) anchor: Position,
    /// Matches of the last search: (origin, source byte range).
    pub matches: Vec<Match>,
    /// The current match.
    pub current: Option<usize>,
    /// Shown as a preview of the list's selection (side by side): not read yet, its place
    /// not remembered.
    pub(super) preview: bool,
    /// Paragraphs selected to copy: the block it started at and the block it reaches.
    pub(super) selection: Option<(usize, usize)>,
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

    pub(super) fn position_of(&self, line: usize) -> Position {
        self.lines.get(line).map_or(self.anchor, |l| Position {
            place: l.origin,
            offset: l.line.src.start,
        })
    }

    pub(super) fn line_of(&self, pos: Position) -> usize {
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
    pub(super) fn lay_out(&mut self, width: usize, opts: Options, bg: &mut Background) {
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
    pub(super) fn start_preparing(
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
    pub(super) fn start_partial(
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
    pub(super) fn spawn_whole(
        source: Source,
        width: usize,
        opts: Options,
        bg: &mut Background,
        fallback: Arc<PreparedArticle>,
    ) -> Option<u64> {
        let job = bg.next_job();
        let (notifier, hook) = (bg.notifier.clone(), bg.notifier.clone());
        let whole = Arc::new(Once::<(Arc<PreparedArticle>, Arc<Vec<DocLine>>)>::default());
        let build = move || {
            notifier.hold();
            let stopped = &notifier.stopped;
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
        };
        let then = move |outcome: Outcome<_>| {
            let (prepared, lines) = match outcome {
                Outcome::Built(made) => {
                    let (prepared, lines): &(Arc<PreparedArticle>, Arc<Vec<DocLine>>) = &made;
                    (Arc::clone(prepared), Arc::clone(lines))
                }
                // Cancelled with the app's background work.
                Outcome::Cancelled => return,
                Outcome::Failed => {
                    let lines = Arc::new(fallback.lay_out(width));
                    (fallback, lines)
                }
            };
            hook.send(Done::Whole {
                job,
                prepared,
                width,
                lines,
            });
        };
        whole.start("qari-layout", build, then).then_some(job)
    }

    /// Whether only the first part of the article is laid out yet.
    pub fn is_partial(&self) -> bool {
        self.whole.is_some()
    }

    /// Takes over the whole article and its lines at `width` from job `job`, when it is the
    /// one this reader waits for, keeping the place. When the pane's width changed
    /// meanwhile, the whole is wrapped again in the background (and false returned).
    pub(super) fn complete(
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

impl App {
    /// Opens library article `index` in the reader, at its remembered position.
    pub fn open(&mut self, index: usize) {
        if self.reader.as_ref().is_some_and(|r| r.index == index) {
            self.focus = Focus::Reader;
            self.mark_opened();
            if self.searching() {
                // Opened again from a search: its matches, from the top, as on a first open.
                let q = self.list.terms.clone();
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
    pub(super) fn open_in_background(&mut self, index: usize) {
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
    pub(super) fn show_article(&mut self, index: usize, article: Arc<Article>) {
        self.show(index, article, false);
    }

    /// Marks the article in the reader read (it is opened, no longer a preview).
    pub(super) fn mark_opened(&mut self) {
        let Some(r) = &mut self.reader else {
            return;
        };
        r.preview = false;
        let id = r.article.id.clone();
        if !self.store.get(&id).read {
            self.store.update(&id, |s| s.read = true);
            self.list.unread = self.list.unread.saturating_sub(1);
        }
    }

    /// Side by side with the list focused, the reader previews the selected article (an
    /// article of a huge file is not read for a preview: Enter opens it).
    pub(super) fn sync_preview(&mut self) {
        if self.focus != Focus::List
            || self.geometry().divider.is_none()
            || self.overlay.help
            || !(self.list.moved || self.reader.is_some())
        {
            return;
        }
        let Some(&index) = self.list.view.get(self.list.selected) else {
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
    pub(super) fn show(&mut self, index: usize, article: Arc<Article>, preview: bool) {
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
        if let Some(pos) = self.list.view.iter().position(|&i| i == index) {
            self.list.selected = pos;
            self.keep_selection_visible();
        }
        if !preview {
            self.mark_opened();
            self.focus = Focus::Reader;
        }
        self.relayout();
        if self.searching() {
            let q = self.list.terms.clone();
            self.find_query(String::new(), q, true);
        }
    }

    pub(super) fn scroll(&mut self, d: isize) {
        let page = self.page();
        if let Some(r) = &mut self.reader {
            let max_top = r.lines.len().saturating_sub(page);
            r.top = r.top.saturating_add_signed(d).min(max_top);
            r.anchor = r.position_of(r.top);
        }
    }
}
