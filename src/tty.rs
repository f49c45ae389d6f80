//! The local terminal front end: raw mode, the alternate screen, the bidi mode, signals.
//!
//! On entry, after the alternate screen is entered with the cursor at home, qari sends its bidi
//! mode's entry sequence ([`crate::terminal::enter`]: in the `app` mode `ESC[8l` (BDSM reset:
//! explicit mode, the terminal must not reorder) and `ESC[1 k` (SCP: left to right), as the
//! terminal-wg `BiDi` recommendation asks); every way out (quit, error, panic, suspend, and
//! every signal of [`ENDING_SIGNALS`]) sends the mode's way out (`ESC[8h ESC[0 k` in `app`),
//! and a resume sends the entry sequence again. In the `terminal` mode each redrawn row also
//! gets its paragraph direction ([`crate::terminal::Directed`]). The app never reads the tty: this
//! module is a [`Source`] for the shared loop ([`event_loop::run`]) that hands it crossterm's
//! events, read on a thread of their own, as [`Input`]s, the app's wakes, the ending signals
//! and the suspend (SIGTSTP); its backend is the loop's [`Output`].

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use crossterm::event::{self, Event};
use crossterm::terminal;
use ratatui::backend::CrosstermBackend;

use crate::app::{App, Input};
use crate::frontend::event_loop::{self, Event as LoopEvent, Output, Source};
use crate::layout::BidiMode;
use crate::screen::Screen;
use crate::terminal::{Directed, Modes, from_crossterm};
use crate::ui::Theme;

/// Whether the terminal is in qari's modes now (so restoring twice is harmless).
static ACTIVE: AtomicBool = AtomicBool::new(false);
/// The bidi mode whose sequences were sent on entry ([`mode_code`]).
static BIDI: AtomicU8 = AtomicU8::new(0);

/// A bidi mode as the number [`BIDI`] keeps.
fn mode_code(mode: BidiMode) -> u8 {
    match mode {
        BidiMode::Off => 0,
        BidiMode::App => 1,
        BidiMode::Terminal => 2,
    }
}
/// Whether mouse capture was enabled.
static MOUSE: AtomicBool = AtomicBool::new(false);

fn enter(bidi: BidiMode, mouse: bool) -> std::io::Result<()> {
    terminal::enable_raw_mode()?;
    ACTIVE.store(true, Ordering::SeqCst);
    BIDI.store(mode_code(bidi), Ordering::SeqCst);
    MOUSE.store(mouse, Ordering::SeqCst);
    let mut out = std::io::stdout();
    out.write_all(Modes { bidi, mouse }.enter().as_bytes())?;
    out.flush()
}

/// Puts the terminal back as it was; safe to call from any exit path, any number of times.
pub fn restore() {
    if !ACTIVE.swap(false, Ordering::SeqCst) {
        return;
    }
    let mode = [BidiMode::Off, BidiMode::App, BidiMode::Terminal]
        .into_iter()
        .find(|&m| mode_code(m) == BIDI.load(Ordering::SeqCst));
    let modes = Modes {
        bidi: mode.unwrap_or(BidiMode::Off),
        mouse: MOUSE.load(Ordering::SeqCst),
    };
    let mut out = std::io::stdout();
    let _ = out.write_all(modes.leave().as_bytes());
    let _ = out.flush();
    let _ = terminal::disable_raw_mode();
}

/// The tty's panic hook, for as long as the reader holds the terminal: the terminal put back
/// first, then one sentence. Installed by [`run`] alone, before raw mode; the other commands
/// and the server keep their own.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        if std::thread::current().name() != Some("main") {
            // The app's background threads catch their panics and the reader goes on (a
            // search that failed says so): the terminal stays as it is.
            return;
        }
        restore();
        let what = crate::escape::display(&crate::frontend::panic_report(info)).into_owned();
        // Never `eprintln!` here: on a terminal that is gone it panics inside the hook.
        let _ = writeln!(
            std::io::stderr(),
            "qari: an internal error ({what}) stopped the reader; the terminal was restored."
        );
    }));
}

/// The signals that end the reader, restoring the terminal first: every signal whose default
/// action ends the process and that a program may catch, but those that mean the program
/// itself went wrong (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGSYS, SIGTRAP), after
/// which nothing can be trusted to run.
pub const ENDING_SIGNALS: [i32; 12] = [
    signal_hook::consts::SIGTERM,
    signal_hook::consts::SIGHUP,
    signal_hook::consts::SIGINT,
    signal_hook::consts::SIGQUIT,
    signal_hook::consts::SIGUSR1,
    signal_hook::consts::SIGUSR2,
    signal_hook::consts::SIGALRM,
    signal_hook::consts::SIGPIPE,
    signal_hook::consts::SIGVTALRM,
    signal_hook::consts::SIGPROF,
    signal_hook::consts::SIGXCPU,
    signal_hook::consts::SIGXFSZ,
];

/// Runs the reader on the local terminal until the user quits or a signal ends it. Returns
/// the signal number when one did.
pub fn run(mut app: App, theme: Theme) -> anyhow::Result<Option<i32>> {
    let signal = Arc::new(AtomicUsize::new(0));
    for sig in ENDING_SIGNALS {
        signal_hook::flag::register_usize(sig, Arc::clone(&signal), usize::try_from(sig)?)?;
    }
    let previous = std::panic::take_hook();
    install_panic_hook();
    if let Err(e) = enter(app.options().mode, app.mouse()) {
        restore();
        std::panic::set_hook(previous);
        return Err(e.into());
    }
    let result = event_loop(&mut app, theme, &signal);
    app.cancel_background();
    let save_error = app.save();
    restore();
    std::panic::set_hook(previous);
    if let Some(e) = save_error {
        let _ = writeln!(std::io::stderr(), "qari: {e}");
    }
    result?;
    let sig = signal.load(Ordering::SeqCst);
    Ok((sig != 0).then(|| i32::try_from(sig).unwrap_or(1)))
}

fn event_loop(app: &mut App, theme: Theme, signal: &Arc<AtomicUsize>) -> anyhow::Result<()> {
    // Terminals of 16 colours get them as SGR 30–37/90–97.
    let ansi16 = crate::ui::Colors::from_env() == crate::ui::Colors::Ansi16;
    let backend = Directed::new(
        CrosstermBackend::new(crate::ui::SgrWriter::new(std::io::stdout(), ansi16)),
        app.options().mode,
    );
    let mut screen = Screen::new(backend, theme)?;
    // For terminals that mishandle scroll regions: every frame is then a plain diff.
    screen.scroll_regions = std::env::var_os("QARI_NO_SCROLL_REGIONS").is_none();
    let result = drive(&mut screen, app, signal);
    // ratatui's Terminal shows the cursor when dropped and prints (a panic, on a terminal that
    // is gone) if it cannot; `restore` shows the cursor on every way out instead.
    std::mem::forget(screen);
    result
}

/// What the tty's source waits for: the terminal's events, read on a thread of their own,
/// and the app's wakes.
enum Msg {
    Event(Event),
    /// The terminal cannot be read any more.
    Gone,
    /// Background work finished, or a signal came.
    Wake,
}

/// Events waiting to be handled at most: past it the reading thread waits (a paste or a key
/// repeat faster than the frames); also the most taken before the screen is looked at.
const QUEUED_EVENTS: usize = 1024;

/// How often a loop with nothing to do looks at the signal flag and the terminal.
const LOOK_EVERY: Duration = Duration::from_millis(250);

/// Reads the terminal's events on a thread, so that the loop also wakes for the app's
/// background work.
fn spawn_reader(tx: std::sync::mpsc::SyncSender<Msg>) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("qari-input".to_owned())
        .spawn(move || {
            loop {
                let read = std::panic::catch_unwind(event::read);
                // An error or a panic reading: the terminal is as good as gone.
                let msg = match read {
                    Ok(Ok(ev)) => Msg::Event(ev),
                    Ok(Err(_)) | Err(_) => Msg::Gone,
                };
                let gone = matches!(msg, Msg::Gone);
                if tx.send(msg).is_err() || gone {
                    return;
                }
            }
        })
        .map(drop)
}

/// Why the tty's loop ended without the reader quitting: a signal (the flag says which), or
/// the terminal went away.
struct Gone;

/// The local terminal as the loop's source of events: crossterm's events, the ending
/// signals, SIGTSTP for a suspend.
struct TtySource {
    rx: Receiver<Msg>,
    signal: Arc<AtomicUsize>,
    bidi: BidiMode,
    /// Events handed over since the loop last looked at the screen.
    batch: usize,
}

impl Source for TtySource {
    type End = Gone;

    fn next(
        &mut self,
        deadline: Option<Instant>,
        _held: bool,
    ) -> std::io::Result<Option<LoopEvent<Gone>>> {
        // Never loop forever on a terminal that keeps saying it has input.
        if deadline.is_some() && self.batch >= QUEUED_EVENTS {
            self.batch = 0;
            return Ok(None);
        }
        loop {
            if self.signal.load(Ordering::SeqCst) != 0 {
                return Ok(Some(LoopEvent::End(Gone)));
            }
            let now = Instant::now();
            let wait = deadline.map_or(LOOK_EVERY, |d| d.saturating_duration_since(now));
            let msg = match self.rx.recv_timeout(wait.min(LOOK_EVERY)) {
                Ok(msg) => msg,
                Err(RecvTimeoutError::Timeout) => {
                    if deadline.is_some_and(|d| Instant::now() >= d) {
                        self.batch = 0;
                        return Ok(None);
                    }
                    // A terminal that went away without its hangup signal reaching us (its
                    // window closed, its multiplexer killed) reads as end of file forever:
                    // stop, saving.
                    if terminal::size().is_err() {
                        return Ok(Some(LoopEvent::End(Gone)));
                    }
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => return Ok(Some(LoopEvent::End(Gone))),
            };
            self.batch += 1;
            match msg {
                Msg::Event(ev) => {
                    if let Some(input) = from_crossterm(ev) {
                        return Ok(Some(LoopEvent::Input(input)));
                    }
                }
                Msg::Gone => return Ok(Some(LoopEvent::End(Gone))),
                Msg::Wake => return Ok(Some(LoopEvent::Wake)),
            }
        }
    }

    fn suspend(&mut self, app: &mut App) -> std::io::Result<bool> {
        app.save();
        restore();
        signal_hook::low_level::raise(signal_hook::consts::SIGTSTP)?;
        // Here again after `fg`.
        enter(self.bidi, app.mouse())?;
        let (w, h) = terminal::size()?;
        app.handle(Input::Resize(w, h));
        Ok(true)
    }
}

/// The tty's backend: crossterm on stdout (16 colours rewritten when that is all the
/// terminal shows), each row's direction in the `terminal` mode.
type TtyBackend = Directed<CrosstermBackend<crate::ui::SgrWriter<std::io::Stdout>>>;

impl Output for TtyBackend {
    fn follow(&mut self, app: &App) {
        Directed::follow(self, app);
    }

    fn write_extra(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.inner_mut().write_all(bytes)?;
        self.inner_mut().flush()
    }

    fn open(&mut self, url: &str) -> Option<String> {
        open_in_browser(url).err().map(|e| e.to_string())
    }
}

fn drive(
    screen: &mut Screen<TtyBackend>,
    app: &mut App,
    signal: &Arc<AtomicUsize>,
) -> anyhow::Result<()> {
    let (tx, rx) = std::sync::mpsc::sync_channel(QUEUED_EVENTS);
    let waker = tx.clone();
    // When the queue is full, events wake the loop anyway.
    app.set_waker(Arc::new(move || {
        let _ = waker.try_send(Msg::Wake);
    }));
    // A signal wakes the loop at once (the flag says which it was).
    if let Ok(mut signals) = signal_hook::iterator::Signals::new(ENDING_SIGNALS) {
        let tx = tx.clone();
        let _ = std::thread::Builder::new()
            .name("qari-signals".to_owned())
            .spawn(move || {
                for _ in signals.forever() {
                    let _ = tx.try_send(Msg::Wake);
                }
            });
    }
    spawn_reader(tx)?;
    let (w, h) = terminal::size()?;
    app.handle(Input::Resize(w, h));
    app.set_local(true);
    let mut source = TtySource {
        rx,
        signal: Arc::clone(signal),
        bidi: app.options().mode,
        batch: 0,
    };
    event_loop::run(app, screen, &mut source)?;
    Ok(())
}

/// A browser that could not be started: one sentence for the status line.
#[derive(Debug, thiserror::Error)]
#[error("{browser} could not be started ({why}); y copies the address")]
struct BrowserError {
    browser: String,
    why: std::io::Error,
}

/// Hands `url` (a web address, checked by the app) to `$BROWSER`, else `xdg-open` (`open` on
/// macOS), detached from the terminal: its output would garble the screen. The child is
/// waited for on a thread of its own. The error is one sentence for the status line.
fn open_in_browser(url: &str) -> Result<(), BrowserError> {
    use std::process::{Command, Stdio};
    let browser = std::env::var("BROWSER")
        .ok()
        .and_then(|b| b.split(':').next().map(str::trim).map(str::to_owned))
        .filter(|b| !b.is_empty())
        .unwrap_or_else(|| {
            if cfg!(target_os = "macos") {
                "open".to_owned()
            } else {
                "xdg-open".to_owned()
            }
        });
    let child = Command::new(&browser)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| BrowserError {
            browser: crate::escape::display(&browser).into_owned(),
            why: e,
        })?;
    let _ = std::thread::Builder::new()
        .name("qari-browser".to_owned())
        .spawn(move || {
            let mut child = child;
            let _ = child.wait();
        });
    Ok(())
}
