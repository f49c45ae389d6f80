//! Work off the input path: one worker per app for searches and finds in an article, threads
//! preparing a long article or reading a huge file; results come back with a wake.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::{App, EAGER_INDEX_ARTICLES, Focus, Waker};
use crate::article::Article;
use crate::document::{DocLine, PreparedArticle};
use crate::library::{Library, Loading};
use crate::search;
use crate::search::{Hit, Match, Query, SharedIndex};

/// How many of a search's first results have their articles read with it, for their
/// snippets.
const SNIPPET_ARTICLES: usize = 200;

/// Where the whole of a long article comes from: the article, to prepare, or prepared.
#[derive(Clone)]
pub(super) enum Source {
    Article(Arc<Article>),
    Prepared(Arc<PreparedArticle>),
}

/// Work finished off the input path, for the app that asked for it.
pub(super) enum Done {
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
    /// A newer library, read again after its files changed, and what changed from the one
    /// held when the watcher counted it.
    Library(Arc<Library>, crate::library::Changes),
    /// A job ended in a panic: nothing will come of it.
    Failed { job: u64 },
    /// The articles of search `job`'s first results were read, for their snippets.
    Read { job: u64 },
    /// Library article `index`, read and parsed (or why it could not be).
    Opened {
        job: u64,
        index: usize,
        article: Result<Arc<Article>, String>,
    },
}

/// A search to run on the app's worker.
pub(super) enum Job {
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
    pub(super) fn run(self, job: u64, cancel: &AtomicBool) -> Option<Done> {
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
pub(super) struct Slot {
    /// The job to run next, with its number and cancel flag (a newer one replaces it).
    pub(super) next: Option<(u64, Job, Arc<AtomicBool>)>,
    pub(super) running: bool,
}

/// How background threads hand their results to the app.
#[derive(Clone)]
pub(super) struct Notifier {
    pub(super) tx: Sender<Done>,
    pub(super) waker: Arc<Mutex<Option<Waker>>>,
    /// Set when the app's background work is cancelled: nothing more is sent.
    pub(super) stopped: Arc<AtomicBool>,
    /// What the unit tests hold background work at, to see the app while it runs.
    #[cfg(test)]
    pub(super) gate: Option<Arc<super::tests::Gate>>,
}

impl Notifier {
    /// Where background work starts: the unit tests may hold it there.
    #[cfg_attr(
        not(test),
        allow(clippy::unused_self, reason = "the gate exists in unit tests only")
    )]
    pub(super) fn hold(&self) {
        #[cfg(test)]
        if let Some(g) = &self.gate {
            g.pass();
        }
    }

    pub(super) fn send(&self, done: Done) {
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
pub(super) enum Awaited {
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
pub(super) struct Background {
    pub(super) notifier: Notifier,
    pub(super) rx: Receiver<Done>,
    pub(super) slot: Arc<Mutex<Slot>>,
    /// The cancel flag of the search queued or running.
    pub(super) cancel: Option<Arc<AtomicBool>>,
    /// The last job number given out.
    pub(super) jobs: u64,
    /// The search whose answer is awaited.
    pub(super) awaited: Option<(u64, Awaited)>,
    /// Open the first hit when the awaited library search answers (Enter came first).
    pub(super) open_first: bool,
    /// The search whose first results' articles are read for their snippets, after its hits.
    pub(super) reading: Option<u64>,
    /// The article being read from a huge file, to open when it is parsed: job, index.
    pub(super) opening: Option<(u64, usize)>,
    /// Wakes the front end when the search index's rescan counts on (held here: the index,
    /// shared by the sessions of a server, holds it weakly).
    pub(super) progress_wake: crate::progress::Notify,
    /// The rescan's progress was on screen at the last poll.
    pub(super) showed_progress: bool,
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
    pub(super) fn new() -> Self {
        let (tx, rx) = std::sync::mpsc::channel();
        let waker: Arc<Mutex<Option<Waker>>> = Arc::default();
        let front = Arc::clone(&waker);
        Self {
            progress_wake: Arc::new(move || {
                if let Some(w) = &*front.lock().unwrap_or_else(PoisonError::into_inner) {
                    w();
                }
            }),
            notifier: Notifier {
                tx,
                waker,
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
            reading: None,
            showed_progress: false,
        }
    }

    pub(super) fn next_job(&mut self) -> u64 {
        self.jobs += 1;
        self.jobs
    }

    /// Cancels the search queued or running, and awaits none.
    pub(super) fn cancel_search(&mut self) {
        if let Some(c) = self.cancel.take() {
            c.store(true, Ordering::Release);
        }
        self.awaited = None;
        self.open_first = false;
    }

    /// Cancels the running search and hands `job` to the worker, starting one when none
    /// runs. False when no thread could be started.
    pub(super) fn submit(&mut self, job: Job, awaited: Awaited) -> bool {
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
    pub(super) fn take(&mut self, job: u64) -> bool {
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
pub(super) fn run_jobs(slot: &Mutex<Slot>, notifier: &Notifier) {
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
        let lib = match &job {
            Job::Library { lib, .. } => Some(Arc::clone(lib)),
            Job::Article { .. } => None,
        };
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job.run(n, &cancel))) {
            Ok(Some(done)) => {
                let first: Vec<usize> = match &done {
                    Done::Hits { hits, .. } => hits
                        .iter()
                        .take(SNIPPET_ARTICLES)
                        .map(|h| h.index)
                        .collect(),
                    _ => Vec::new(),
                };
                notifier.send(done);
                let waiting = || {
                    notifier.stopped.load(Ordering::Acquire)
                        || slot
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .next
                            .is_some()
                };
                if let Some(lib) = lib.filter(|_| !first.is_empty()) {
                    // The first results' articles, read after their hits were sent, so their
                    // snippets are drawn without a file read on the input path.
                    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        lib.keep_articles(&first, waiting);
                    }));
                    notifier.send(Done::Read { job: n });
                }
            }
            Ok(None) => {}
            Err(_) => notifier.send(Done::Failed { job: n }),
        }
    }
}

impl App {
    /// Starts building the library's search index in the background, so the first search
    /// does not wait for it: at once for libraries of up to [`EAGER_INDEX_ARTICLES`] articles,
    /// else when the query line is first opened (the index holds every body in memory).
    ///
    /// With the library database, always at once: the build is the rescan of the folders
    /// into it (the first of a big library takes a while: its progress is in the status line,
    /// and a search waits for it), and the index keeps nothing of the bodies in memory.
    pub fn prepare_search(&self) {
        // A library still being read is searched once it is whole (see `submit_library`).
        if self.lib.loading().is_some() {
            return;
        }
        if self.index.uses_database() {
            self.index.progress().on_update(&self.bg.progress_wake);
        }
        if self.index.uses_database() || self.lib.len() <= EAGER_INDEX_ARTICLES {
            self.index.build_in_background(Arc::clone(&self.lib));
        }
    }

    /// The progress of the library database's rescan, while it runs and counts.
    fn indexing(&self) -> Option<String> {
        if self.index.is_ready() {
            return None;
        }
        self.index
            .progress()
            .line()
            .map(|l| format!("search index: {l}"))
    }

    /// Shares a search index with other apps on the same library (the sessions of a server).
    pub fn share_index(&mut self, index: Arc<SharedIndex>) {
        self.index = index;
    }

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
        let mut redraw = self.feed_note();
        if let Some(done) = self.newer_library() {
            redraw |= self.take_in(done);
        }
        while let Ok(done) = self.bg.rx.try_recv() {
            redraw |= self.take_in(done);
        }
        // The rescan's count moved (it wakes the front end after each batch), or it ended.
        let indexing = self.indexing().is_some();
        let showed = std::mem::replace(&mut self.bg.showed_progress, indexing);
        redraw |= indexing || showed;
        if redraw {
            self.sync_preview();
        }
        redraw
    }

    /// Whether background work this app waits for is under way (a search, the index, the
    /// whole of the open article).
    pub fn busy(&self) -> bool {
        self.bg.awaited.is_some()
            || self.bg.reading.is_some()
            || self.bg.opening.is_some()
            || self.reader_partial()
    }

    /// What the background is doing, for the status line: none when it does nothing the
    /// reader waits for.
    pub fn background_status(&self) -> Option<String> {
        if self.bg.opening.is_some() {
            return Some("opening the article…".to_owned());
        }
        match self.lib.loading() {
            Some(Loading::Folders) => return Some("reading the library…".to_owned()),
            Some(Loading::Rest(_)) => return Some("reading the list…".to_owned()),
            None => {}
        }
        let fixed = match self.bg.awaited.map(|(_, a)| a) {
            Some(Awaited::Index | Awaited::Library) if !self.index.is_ready() => {
                return Some(
                    self.indexing()
                        .unwrap_or_else(|| "indexing the library…".to_owned()),
                );
            }
            Some(Awaited::Library) => Some("searching…"),
            Some(Awaited::Article) => Some("finding…"),
            Some(Awaited::Index) | None => (self.reader_partial() && self.focus == Focus::Reader)
                .then_some("preparing the whole article…"),
        };
        fixed.map(str::to_owned).or_else(|| self.indexing())
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
    pub(super) fn take_in(&mut self, done: Done) -> bool {
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
                // Their first articles are read next, for the snippets.
                self.bg.reading = (!hits.is_empty()).then_some(job);
                self.show_hits(text, query, hits);
                if open && self.searching() {
                    self.open_selected();
                }
                true
            }
            Done::Indexed { job } => self.bg.take(job),
            Done::Read { job } => {
                let was = self.bg.reading == Some(job);
                if was {
                    self.bg.reading = None;
                }
                was
            }
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
                let opts = self.prefs.opts;
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
            Done::Library(lib, changes) => {
                self.swap_library(lib, changes);
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
}
