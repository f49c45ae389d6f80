//! A session's events, for the shared loop ([`event_loop::run`]) that runs on a thread of
//! its own so that one client's expensive key never holds up the runtime that serves the
//! others (nor the accept loop).
//!
//! The connection's handler and the session meet in a [`Mailbox`]:
//! - input bytes queue up to [`INBOX_LIMIT`]; past that the handler waits, so the client's
//!   SSH window and TCP push back instead of the server buffering (or dropping, which would cut
//!   a paste's end marker and run the rest of the paste as keys);
//! - a window change only records the newest size, which the session applies at most once per
//!   [`RESIZE_EVERY`]: a flood of them costs a lock each, and one layout per interval;
//! - the session takes at most [`INPUT_BATCH`] bytes a frame and, while more wait, draws at most
//!   once per [`event_loop::FRAME`], so a flood of keys is worked off in bounded batches with the frames
//!   coalesced;
//! - only input bytes count as activity for the idle timeout: keepalives, window changes and
//!   other requests do not.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::app::{App, Input};
use crate::frontend::event_loop::{self, Event, Source, Stop};
use crate::screen::Screen;

use super::input::KeyParser;
use super::output::SessionBackend;
use super::{ESC_WAIT, Faults};

/// Input bytes a session holds before the connection waits for it to catch up.
pub const INBOX_LIMIT: usize = 64 * 1024;
/// Input bytes handled between two looks at everything else (window changes, shutdown, the
/// screen).
pub const INPUT_BATCH: usize = 4096;
/// Window changes are applied at most this often; the newest size wins.
pub const RESIZE_EVERY: Duration = Duration::from_millis(50);

/// What the handler has left for the session.
#[derive(Debug)]
#[allow(
    clippy::struct_excessive_bools,
    reason = "independent pieces of news, each set by another party"
)]
struct Inbox {
    data: VecDeque<u8>,
    /// The newest window size not applied yet.
    size: Option<(u16, u16)>,
    closed: bool,
    shutdown: bool,
    /// The session's thread has ended: nothing waits for input any more.
    ended: bool,
    /// The app has finished background work.
    woken: bool,
    /// Output went out since the session last looked.
    sent: bool,
    /// The session holds back a frame until output goes out.
    held: bool,
    /// The handler waits for room in `data`.
    producer_waiting: bool,
    last_input: Instant,
}

/// Where a connection's handler leaves input and news for its session.
#[derive(Debug)]
pub struct Mailbox {
    inbox: Mutex<Inbox>,
    wake: Condvar,
    space: tokio::sync::Notify,
    stopping: AtomicBool,
}

/// The connection's end of a mailbox: when it goes (the client closed the channel, or the
/// connection is gone without a word), the session ends.
#[derive(Debug)]
pub struct Inlet(pub std::sync::Arc<Mailbox>);

impl std::ops::Deref for Inlet {
    type Target = Mailbox;

    fn deref(&self) -> &Mailbox {
        &self.0
    }
}

impl Drop for Inlet {
    fn drop(&mut self) {
        self.0.close();
    }
}

/// What the session took from its mailbox.
#[derive(Debug)]
#[allow(
    clippy::struct_excessive_bools,
    reason = "independent pieces of news, each set by another party"
)]
pub struct Taken {
    /// Input bytes, at most [`INPUT_BATCH`].
    pub data: Vec<u8>,
    /// A new size to apply.
    pub size: Option<(u16, u16)>,
    /// A size waits that was not due yet.
    pub size_waiting: bool,
    /// More input waits.
    pub more: bool,
    /// The client closed the channel.
    pub closed: bool,
    /// The server shuts down.
    pub shutdown: bool,
    /// The app has background work to take in.
    pub woken: bool,
    /// Output went out since the last take.
    pub sent: bool,
    /// When input last came.
    pub last_input: Instant,
}

impl Default for Mailbox {
    fn default() -> Self {
        Self {
            inbox: Mutex::new(Inbox {
                data: VecDeque::new(),
                size: None,
                closed: false,
                shutdown: false,
                ended: false,
                woken: false,
                sent: false,
                held: false,
                producer_waiting: false,
                last_input: Instant::now(),
            }),
            wake: Condvar::new(),
            space: tokio::sync::Notify::new(),
            stopping: AtomicBool::new(false),
        }
    }
}

impl Mailbox {
    fn lock(&self) -> MutexGuard<'_, Inbox> {
        self.inbox.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Hands the session input bytes; waits while it holds [`INBOX_LIMIT`] bytes already.
    pub async fn push(&self, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        loop {
            {
                let mut inbox = self.lock();
                if inbox.ended || inbox.closed || inbox.shutdown {
                    return;
                }
                if inbox.data.len() < INBOX_LIMIT {
                    inbox.data.extend(data);
                    inbox.last_input = Instant::now();
                    drop(inbox);
                    self.wake.notify_one();
                    return;
                }
                inbox.producer_waiting = true;
            }
            // `notify_one` leaves a permit when nobody waits yet: no wake-up is lost between
            // the check above and this wait.
            self.space.notified().await;
        }
    }

    /// The client's terminal has a new size (already held to the cap).
    pub fn resize(&self, size: (u16, u16)) {
        // A size already waiting has woken the session, which looks again when it is due: a
        // burst costs one wake-up, not one each.
        let waiting = self.lock().size.replace(size).is_some();
        if !waiting {
            self.wake.notify_one();
        }
    }

    /// The client closed the channel.
    pub fn close(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        self.lock().closed = true;
        self.wake.notify_one();
    }

    /// The server shuts down.
    pub fn shutdown(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        self.lock().shutdown = true;
        self.wake.notify_one();
    }

    /// The app's background work is ready (called from any thread).
    pub fn wake_app(&self) {
        self.lock().woken = true;
        self.wake.notify_one();
    }

    /// Some output went out.
    pub fn sent(&self) {
        let mut inbox = self.lock();
        inbox.sent = true;
        if inbox.held {
            drop(inbox);
            self.wake.notify_one();
        }
    }

    /// Whether the session should stop what it does (the client left, or the server stops).
    pub fn stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    /// The session's thread has ended (also by a panic): the handler stops waiting for it.
    pub fn end(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        self.lock().ended = true;
        self.space.notify_one();
    }

    /// Takes up to [`INPUT_BATCH`] bytes and the news; the size only when `resize_due`.
    pub fn take(&self, resize_due: bool) -> Taken {
        let mut inbox = self.lock();
        let n = inbox.data.len().min(INPUT_BATCH);
        let data: Vec<u8> = inbox.data.drain(..n).collect();
        if inbox.producer_waiting && inbox.data.len() < INBOX_LIMIT {
            inbox.producer_waiting = false;
            self.space.notify_one();
        }
        let size = if resize_due { inbox.size.take() } else { None };
        let sent = std::mem::take(&mut inbox.sent);
        Taken {
            sent,
            data,
            size,
            size_waiting: inbox.size.is_some(),
            more: !inbox.data.is_empty(),
            closed: inbox.closed,
            shutdown: inbox.shutdown,
            woken: std::mem::take(&mut inbox.woken),
            last_input: inbox.last_input,
        }
    }

    /// Sleeps until something is there for the session or `deadline` passes. `held`: a frame
    /// waits for output to go out. A waiting size counts from `resize_at` on.
    pub fn wait(&self, deadline: Instant, held: bool, resize_at: Instant) {
        let mut inbox = self.lock();
        inbox.held = held;
        loop {
            let now = Instant::now();
            let ready = !inbox.data.is_empty()
                || inbox.closed
                || inbox.shutdown
                || inbox.woken
                || (held && inbox.sent)
                || (inbox.size.is_some() && now >= resize_at);
            if ready || now >= deadline {
                break;
            }
            // A size that came during the wait is due at `resize_at`.
            let until = if inbox.size.is_some() {
                deadline.min(resize_at)
            } else {
                deadline
            };
            inbox = self
                .wake
                .wait_timeout(inbox, until - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        inbox.held = false;
    }
}

/// Why a session's loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The reader quit.
    Quit,
    /// The client closed the channel.
    Closed,
    /// The server shuts down.
    Shutdown,
    /// No input for the idle timeout.
    Idle,
}

/// Runs a session until it ends: input in bounded batches, window changes coalesced, frames
/// drawn (by the shared loop, [`event_loop::run`]) when something changed and the client
/// keeps up (its queued output below [`OUTPUT_LIMIT`](super::OUTPUT_LIMIT)).
pub fn run(
    app: &mut App,
    screen: &mut Screen<SessionBackend>,
    mailbox: &Mailbox,
    idle: Duration,
    faults: &Faults,
) -> std::io::Result<End> {
    let mut source = SessionSource {
        mailbox,
        idle,
        faults,
        parser: KeyParser::default(),
        esc_at: None,
        resize_at: Instant::now(),
        queue: VecDeque::new(),
        fetched: false,
        more: false,
    };
    Ok(match event_loop::run(app, screen, &mut source)? {
        Stop::Quit => End::Quit,
        Stop::Ended(end) => end,
    })
}

/// A session's mailbox as the loop's source of events.
struct SessionSource<'a> {
    mailbox: &'a Mailbox,
    idle: Duration,
    #[cfg_attr(not(test), allow(dead_code, reason = "no fault in a shipped build"))]
    faults: &'a Faults,
    parser: KeyParser,
    /// When the input ended on a lone ESC.
    esc_at: Option<Instant>,
    /// When the next window change may be applied.
    resize_at: Instant,
    /// What the last take from the mailbox came to.
    queue: VecDeque<Event<End>>,
    /// A batch was taken from the mailbox since the loop last looked at the screen.
    fetched: bool,
    /// More input waits in the mailbox.
    more: bool,
}

impl SessionSource<'_> {
    /// Takes what the mailbox has into the queue.
    /// `held`: a frame waits for output to go out, so that it going out is news.
    fn fetch(&mut self, held: bool) -> Taken {
        let now = Instant::now();
        let got = self.mailbox.take(now >= self.resize_at);
        self.more = got.more;
        if got.shutdown {
            self.queue.push_back(Event::End(End::Shutdown));
            return got;
        }
        if let Some((w, h)) = got.size {
            self.resize_at = now + RESIZE_EVERY;
            self.queue.push_back(Event::Input(Input::Resize(w, h)));
        }
        if !got.data.is_empty() {
            self.fetched = true;
            for input in self.parser.feed(&got.data) {
                #[cfg(test)]
                if self.faults.panic_on_f12
                    && input
                        == Input::Key(crossterm::event::KeyEvent::new(
                            crossterm::event::KeyCode::F(12),
                            crossterm::event::KeyModifiers::NONE,
                        ))
                {
                    panic!("F12 pressed where the tests make it a fault");
                }
                self.queue.push_back(Event::Input(input));
            }
            self.esc_at = self.parser.pending_escape().then_some(now);
        }
        if got.woken || (held && got.sent) {
            self.queue.push_back(Event::Wake);
        }
        if let Some(at) = self.esc_at
            && !got.more
            && now >= at + ESC_WAIT
        {
            self.esc_at = None;
            if let Some(input) = self.parser.flush_escape() {
                self.queue.push_back(Event::Input(input));
            }
        }
        if got.closed {
            self.queue.push_back(Event::End(End::Closed));
        } else if now >= got.last_input + self.idle {
            self.queue.push_back(Event::End(End::Idle));
        }
        got
    }
}

impl Source for SessionSource<'_> {
    type End = End;

    fn next(
        &mut self,
        deadline: Option<Instant>,
        held: bool,
    ) -> std::io::Result<Option<Event<End>>> {
        loop {
            if self.mailbox.stopping() {
                // The client left or the server stops: what it typed after that is dropped.
                self.queue.retain(|e| matches!(e, Event::End(_)));
            }
            if let Some(event) = self.queue.pop_front() {
                return Ok(Some(event));
            }
            if std::mem::take(&mut self.fetched) {
                // The batch is done: the loop looks at the screen.
                return Ok(None);
            }
            let got = self.fetch(held);
            if !self.queue.is_empty() || self.more {
                continue;
            }
            let now = Instant::now();
            if deadline.is_some_and(|d| now >= d) {
                return Ok(None);
            }
            let mut until = got.last_input + self.idle;
            if let Some(at) = self.esc_at {
                until = until.min(at + ESC_WAIT);
            }
            if got.size_waiting {
                until = until.min(self.resize_at);
            }
            if let Some(d) = deadline {
                until = until.min(d);
            }
            self.mailbox.wait(until, held, self.resize_at);
        }
    }

    fn waiting(&self) -> bool {
        self.more
    }

    fn suspend(&mut self, app: &mut App) -> std::io::Result<bool> {
        app.set_message("suspend is for a local terminal; q quits");
        Ok(false)
    }
}

/// A duration as people say it: "30 min", "2 s", "1 h".
pub fn spoken(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 && s.is_multiple_of(3600) {
        format!("{} h", s / 3600)
    } else if s >= 60 && s.is_multiple_of(60) {
        format!("{} min", s / 60)
    } else if s >= 1 {
        format!("{s} s")
    } else {
        format!("{} ms", d.as_millis())
    }
}

#[cfg(test)]
mod tests;
