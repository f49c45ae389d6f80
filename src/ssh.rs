//! `qari serve`: the reader served over SSH, one app per session on a shared, read-only library.
//!
//! Built on russh (the `ring` backend) and tokio. Each session gets its own [`App`], its own
//! size from the pty request, its own colours from its `TERM`, `COLORTERM` and `NO_COLOR` (never the
//! server's environment), and its own reading state, stored per public-key fingerprint. Input
//! arrives as raw bytes and is parsed into key events by terminput (a lone ESC is a key after
//! [`ESC_WAIT`] with nothing behind it). Output goes through a bounded queue: a client that
//! stops reading only stops its own frames, which are coalesced until it reads again.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ratatui::backend::{Backend, ClearType, CrosstermBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};
use russh::keys::{HashAlg, PrivateKey, PublicKey};
use russh::server::{Auth, ChannelOpenHandle, Handle, Msg, Session};
use russh::{Channel, ChannelId, Pty};
use tokio::sync::{mpsc, watch};

use crate::app::{App, Input};
use crate::config::Config;
use crate::layout::{BidiMode, Options};
use crate::library::Library;
use crate::screen::Screen;
use crate::search::SharedIndex;
use crate::state::Store;
use crate::tty::{BIDI_ENTER, BIDI_LEAVE};
use crate::ui::{Colors, Theme};

/// How long a lone ESC waits for the rest of an escape sequence before it is the Esc key.
pub const ESC_WAIT: Duration = Duration::from_millis(40);
/// Output bytes a session may have queued before its frames are held back and coalesced.
pub const OUTPUT_LIMIT: usize = 256 * 1024;
/// Time a client has to authenticate.
pub const AUTH_TIMEOUT: Duration = Duration::from_secs(30);

/// How the server is run.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Only these keys get in (OpenSSH `authorized_keys` format).
    pub authorized_keys: Option<PathBuf>,
    /// Anyone gets in, and nothing is stored.
    pub open: bool,
    /// The host key file (created when missing).
    pub host_key: Option<PathBuf>,
    /// Sessions at once.
    pub max_sessions: usize,
    /// Connections a minute from one address.
    pub rate_per_minute: usize,
    /// A session with no input for this long is closed.
    pub idle_timeout: Duration,
    /// Where per-user state is kept (default: the XDG state directory).
    pub state_dir: Option<PathBuf>,
    /// Where logs go (default: stderr).
    pub log: Option<PathBuf>,
}

/// What every session shares.
struct Shared {
    lib: Arc<Library>,
    index: Arc<SharedIndex>,
    config: Config,
    opts: Options,
    keys: Option<Vec<PublicKey>>,
    open: bool,
    state_dir: PathBuf,
    sessions: AtomicUsize,
    shutdown: watch::Receiver<bool>,
}

/// Parses raw terminal input into the app's inputs.
#[derive(Debug, Default)]
pub struct KeyParser {
    buf: Vec<u8>,
}

impl KeyParser {
    /// Bytes that are not a complete event yet (an escape sequence in progress, a paste) are
    /// dropped past this size.
    const MAX_PENDING: usize = 64 * 1024;

    /// Feeds bytes; returns the complete events. A trailing lone ESC stays pending (see
    /// [`KeyParser::pending_escape`]).
    pub fn feed(&mut self, data: &[u8]) -> Vec<Input> {
        let mut out = Vec::new();
        for &b in data {
            self.buf.push(b);
            if self.buf == [0x1b] {
                // ESC: the start of a sequence if more follows, else (after ESC_WAIT with
                // nothing behind it) the Esc key.
                continue;
            }
            match terminput::Event::parse_from(&self.buf) {
                Ok(Some(ev)) => {
                    self.buf.clear();
                    if let Some(input) = to_input(ev) {
                        out.push(input);
                    }
                }
                Ok(None) => {
                    if self.buf.len() > Self::MAX_PENDING {
                        self.buf.clear();
                    }
                }
                Err(_) => self.buf.clear(),
            }
        }
        out
    }

    /// Whether a lone ESC waits for more bytes.
    pub fn pending_escape(&self) -> bool {
        self.buf == [0x1b]
    }

    /// Nothing came after the ESC: it is the Esc key.
    pub fn flush_escape(&mut self) -> Option<Input> {
        if self.pending_escape() {
            self.buf.clear();
            return Some(Input::Key(crossterm::event::KeyEvent::new(
                crossterm::event::KeyCode::Esc,
                crossterm::event::KeyModifiers::NONE,
            )));
        }
        None
    }
}

fn to_input(ev: terminput::Event) -> Option<Input> {
    let ev = terminput_crossterm::to_crossterm(ev).ok()?;
    crate::tty::to_input(ev)
}

/// Bytes for a session's channel: gathered per frame, sent on flush.
struct ChannelWriter {
    buf: Vec<u8>,
    tx: mpsc::UnboundedSender<Vec<u8>>,
    queued: Arc<AtomicUsize>,
}

impl std::io::Write for ChannelWriter {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(b);
        Ok(b.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let bytes = std::mem::take(&mut self.buf);
        self.queued.fetch_add(bytes.len(), Ordering::SeqCst);
        self.tx
            .send(bytes)
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "session closed"))
    }
}

/// A crossterm backend writing to an SSH channel, with the size the client gave: it never
/// asks the server's own terminal anything.
pub struct SessionBackend {
    inner: CrosstermBackend<ChannelWriter>,
    size: Size,
}

impl Backend for SessionBackend {
    type Error = std::io::Error;

    fn draw<'a, I>(&mut self, content: I) -> std::io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        self.inner.draw(content)
    }

    fn hide_cursor(&mut self) -> std::io::Result<()> {
        self.inner.hide_cursor()
    }

    fn show_cursor(&mut self) -> std::io::Result<()> {
        self.inner.show_cursor()
    }

    fn get_cursor_position(&mut self) -> std::io::Result<Position> {
        Ok(Position::ORIGIN)
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> std::io::Result<()> {
        self.inner.set_cursor_position(position)
    }

    fn clear(&mut self) -> std::io::Result<()> {
        self.inner.clear()
    }

    fn clear_region(&mut self, clear_type: ClearType) -> std::io::Result<()> {
        self.inner.clear_region(clear_type)
    }

    fn size(&self) -> std::io::Result<Size> {
        Ok(self.size)
    }

    fn window_size(&mut self) -> std::io::Result<WindowSize> {
        Ok(WindowSize {
            columns_rows: self.size,
            pixels: Size::default(),
        })
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Backend::flush(&mut self.inner)
    }

    fn scroll_region_up(&mut self, region: std::ops::Range<u16>, n: u16) -> std::io::Result<()> {
        self.inner.scroll_region_up(region, n)
    }

    fn scroll_region_down(&mut self, region: std::ops::Range<u16>, n: u16) -> std::io::Result<()> {
        self.inner.scroll_region_down(region, n)
    }
}

/// What the SSH handler tells a running session.
#[derive(Debug)]
enum SessionEvent {
    Data(Vec<u8>),
    Resize(u16, u16),
    Closed,
}

/// One connection.
struct Conn {
    shared: Arc<Shared>,
    peer: Option<SocketAddr>,
    user: String,
    fingerprint: Option<String>,
    authed: Arc<AtomicBool>,
    channel: Option<ChannelId>,
    pty: Option<(String, u16, u16)>,
    env: HashMap<String, String>,
    events: Option<mpsc::Sender<SessionEvent>>,
}

impl Conn {
    fn peer(&self) -> String {
        self.peer.map_or_else(|| "?".to_owned(), |p| p.to_string())
    }

    /// Answers a request qari does not serve: the reason on the client's stderr, exit status 1,
    /// and the channel closed. `accept` answers the request itself with success first (so
    /// the client shows the reason rather than its own "request failed").
    fn refuse(
        &self,
        channel: ChannelId,
        session: &mut Session,
        why: &str,
        accept: bool,
    ) -> Result<(), russh::Error> {
        if accept {
            session.channel_success(channel)?;
        }
        session.extended_data(channel, 1, format!("qari: {why}\r\n").into_bytes())?;
        if !accept {
            session.channel_failure(channel)?;
        }
        session.exit_status_request(channel, 1)?;
        session.eof(channel)?;
        session.close(channel)?;
        tracing::info!(peer = %self.peer(), user = %self.user, reason = why, "refused");
        Ok(())
    }
}

impl russh::server::Handler for Conn {
    type Error = anyhow::Error;

    async fn auth_none(&mut self, user: &str) -> Result<Auth, Self::Error> {
        if self.shared.open {
            user.clone_into(&mut self.user);
            self.authed.store(true, Ordering::SeqCst);
            return Ok(Auth::Accept);
        }
        Ok(Auth::reject())
    }

    async fn auth_publickey_offered(
        &mut self,
        _user: &str,
        key: &PublicKey,
    ) -> Result<Auth, Self::Error> {
        Ok(if self.key_allowed(key) {
            Auth::Accept
        } else {
            Auth::reject()
        })
    }

    async fn auth_publickey(&mut self, user: &str, key: &PublicKey) -> Result<Auth, Self::Error> {
        if !self.key_allowed(key) {
            tracing::info!(peer = %self.peer(), user, key = %key.fingerprint(HashAlg::Sha256), "key refused");
            return Ok(Auth::reject());
        }
        user.clone_into(&mut self.user);
        self.fingerprint = Some(key.fingerprint(HashAlg::Sha256).to_string());
        self.authed.store(true, Ordering::SeqCst);
        Ok(Auth::Accept)
    }

    async fn channel_open_session(
        &mut self,
        channel: Channel<Msg>,
        reply: ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        if self.channel.is_some() {
            // One reader per connection.
            return Ok(());
        }
        self.channel = Some(channel.id());
        reply.accept().await;
        Ok(())
    }

    async fn pty_request(
        &mut self,
        channel: ChannelId,
        term: &str,
        cols: u32,
        rows: u32,
        _pw: u32,
        _ph: u32,
        _modes: &[(Pty, u32)],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        self.pty = Some((term.to_owned(), clamp16(cols), clamp16(rows)));
        session.channel_success(channel)?;
        Ok(())
    }

    async fn env_request(
        &mut self,
        channel: ChannelId,
        name: &str,
        value: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        if matches!(name, "NO_COLOR" | "COLORTERM" | "LANG" | "QARI_BIDI") && value.len() < 256 {
            self.env.insert(name.to_owned(), value.to_owned());
            session.channel_success(channel)?;
        } else {
            session.channel_failure(channel)?;
        }
        Ok(())
    }

    async fn shell_request(
        &mut self,
        channel: ChannelId,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        let Some((term, cols, rows)) = self.pty.clone() else {
            self.refuse(
                channel,
                session,
                "the reader needs a terminal; connect with `ssh -t` (sessions without a pty are refused).",
                true,
            )?;
            return Ok(());
        };
        session.channel_success(channel)?;
        let (tx, rx) = mpsc::channel(256);
        self.events = Some(tx);
        let start = StartSession {
            shared: Arc::clone(&self.shared),
            handle: session.handle(),
            channel,
            term,
            size: (cols, rows),
            env: self.env.clone(),
            user: self.user.clone(),
            fingerprint: self.fingerprint.clone(),
            peer: self.peer(),
        };
        tokio::spawn(supervise(start, rx));
        Ok(())
    }

    async fn exec_request(
        &mut self,
        channel: ChannelId,
        _data: &[u8],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        self.refuse(
            channel,
            session,
            "this server only serves the reader; commands are refused.",
            true,
        )?;
        Ok(())
    }

    async fn subsystem_request(
        &mut self,
        channel: ChannelId,
        name: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        let why = format!("the {name} subsystem is refused; this server only serves the reader.");
        self.refuse(channel, session, &why, false)?;
        Ok(())
    }

    async fn x11_request(
        &mut self,
        channel: ChannelId,
        _single: bool,
        _proto: &str,
        _cookie: &str,
        _screen: u32,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_failure(channel)?;
        Ok(())
    }

    async fn agent_request(
        &mut self,
        channel: ChannelId,
        session: &mut Session,
    ) -> Result<bool, Self::Error> {
        session.channel_failure(channel)?;
        Ok(false)
    }

    async fn tcpip_forward(
        &mut self,
        _address: &str,
        _port: &mut u32,
        _session: &mut Session,
    ) -> Result<bool, Self::Error> {
        Ok(false)
    }

    async fn data(
        &mut self,
        _channel: ChannelId,
        data: &[u8],
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        if let Some(tx) = &self.events {
            // A client typing faster than its session reads loses keys, not server memory.
            let _ = tx.try_send(SessionEvent::Data(data.to_vec()));
        }
        Ok(())
    }

    async fn window_change_request(
        &mut self,
        _channel: ChannelId,
        cols: u32,
        rows: u32,
        _pw: u32,
        _ph: u32,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        if let Some(tx) = &self.events {
            let _ = tx
                .send(SessionEvent::Resize(clamp16(cols), clamp16(rows)))
                .await;
        }
        Ok(())
    }

    async fn channel_eof(
        &mut self,
        _channel: ChannelId,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        if let Some(tx) = &self.events {
            let _ = tx.send(SessionEvent::Closed).await;
        }
        Ok(())
    }

    async fn channel_close(
        &mut self,
        _channel: ChannelId,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        if let Some(tx) = self.events.take() {
            let _ = tx.send(SessionEvent::Closed).await;
        }
        Ok(())
    }
}

impl Conn {
    fn key_allowed(&self, key: &PublicKey) -> bool {
        if self.shared.open {
            return true;
        }
        self.shared
            .keys
            .as_ref()
            .is_some_and(|keys| keys.iter().any(|k| k.key_data() == key.key_data()))
    }
}

fn clamp16(n: u32) -> u16 {
    u16::try_from(n).unwrap_or(u16::MAX)
}

/// Everything a session task needs.
struct StartSession {
    shared: Arc<Shared>,
    handle: Handle,
    channel: ChannelId,
    term: String,
    size: (u16, u16),
    env: HashMap<String, String>,
    user: String,
    fingerprint: Option<String>,
    peer: String,
}

/// The app and theme of a new session, from its own terminal type and environment.
fn session_app(
    shared: &Arc<Shared>,
    term: &str,
    env: &HashMap<String, String>,
    fingerprint: Option<&str>,
    size: (u16, u16),
) -> (App, Theme) {
    let colors = Colors::detect(
        Some(term),
        env.get("COLORTERM").map(String::as_str),
        env.get("NO_COLOR").map(String::as_str),
    );
    let theme = Theme::new(&shared.config.theme, colors);
    let mut opts = shared.opts;
    if let Some(m) = env.get("QARI_BIDI").and_then(|v| BidiMode::parse(v)) {
        opts.mode = m;
    }
    let (store, warning) = user_store(shared, fingerprint);
    let mut app = App::new(Arc::clone(&shared.lib), &shared.config, store, opts);
    app.share_index(Arc::clone(&shared.index));
    if let Some(w) = warning {
        app.set_message(w);
    }
    app.handle(Input::Resize(size.0, size.1));
    (app, theme)
}

type Writer = (
    tokio::task::JoinHandle<()>,
    mpsc::UnboundedSender<Vec<u8>>,
    Arc<AtomicUsize>,
    Arc<tokio::sync::Notify>,
);

/// The task that sends a session's frames: `queued` counts the bytes not sent yet, `sent`
/// wakes the session when some went out.
fn spawn_writer(handle: Handle, channel: ChannelId) -> Writer {
    let queued = Arc::new(AtomicUsize::new(0));
    let (out_tx, mut out_rx) = mpsc::unbounded_channel::<Vec<u8>>();
    let sent = Arc::new(tokio::sync::Notify::new());
    let (q, n) = (Arc::clone(&queued), Arc::clone(&sent));
    let writer = tokio::spawn(async move {
        while let Some(bytes) = out_rx.recv().await {
            let len = bytes.len();
            let ok = handle.data(channel, bytes).await.is_ok();
            q.fetch_sub(len, Ordering::SeqCst);
            n.notify_one();
            if !ok {
                break;
            }
        }
    });
    (writer, out_tx, queued, sent)
}

/// Runs a session and makes sure a panic in it ends only it, logged.
async fn supervise(start: StartSession, rx: mpsc::Receiver<SessionEvent>) {
    let handle = start.handle.clone();
    let channel = start.channel;
    let peer = start.peer.clone();
    let user = start.user.clone();
    let started = Instant::now();
    let shared = Arc::clone(&start.shared);
    shared.sessions.fetch_add(1, Ordering::SeqCst);
    let task = tokio::spawn(run_session(start, rx));
    let reason = match task.await {
        Ok(Ok(reason)) => reason,
        Ok(Err(e)) => format!("error: {e}"),
        Err(e) if e.is_panic() => {
            let payload = e.into_panic();
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".to_owned());
            let _ = handle
                .data(
                    channel,
                    format!(
                        "\x1b[?1049l\r\nqari: an internal error ended this session ({msg}).\r\n"
                    )
                    .into_bytes(),
                )
                .await;
            format!("panic: {msg}")
        }
        Err(e) => format!("cancelled: {e}"),
    };
    shared.sessions.fetch_sub(1, Ordering::SeqCst);
    let _ = handle.exit_status_request(channel, 0).await;
    let _ = handle.eof(channel).await;
    let _ = handle.close(channel).await;
    tracing::info!(
        peer = %peer,
        user = %user,
        duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        reason = %reason,
        "session ended"
    );
}

fn user_store(shared: &Shared, fingerprint: Option<&str>) -> (Store, Option<String>) {
    match fingerprint {
        Some(fp) if !shared.open => {
            let name: String = fp
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect();
            Store::open(&shared.state_dir.join("users").join(format!("{name}.json")))
        }
        _ => (Store::in_memory(), None),
    }
}

async fn run_session(
    start: StartSession,
    mut rx: mpsc::Receiver<SessionEvent>,
) -> anyhow::Result<String> {
    let StartSession {
        shared,
        handle,
        channel,
        term,
        size,
        env,
        user,
        fingerprint,
        peer,
    } = start;
    tracing::info!(peer = %peer, user = %user, key = fingerprint.as_deref().unwrap_or("-"), term = %term, cols = size.0, rows = size.1, "session started");
    let (mut app, theme) = session_app(&shared, &term, &env, fingerprint.as_deref(), size);
    let opts = app.options();
    let (writer, out_tx, queued, sent) = spawn_writer(handle, channel);
    let backend = SessionBackend {
        inner: CrosstermBackend::new(ChannelWriter {
            buf: Vec::new(),
            tx: out_tx.clone(),
            queued: Arc::clone(&queued),
        }),
        size: Size::new(size.0, size.1),
    };
    let bidi = opts.mode == BidiMode::App;
    send_raw(&out_tx, &queued, enter_sequence(bidi));
    let mut screen = Screen::new(backend, theme)?;
    let mut parser = KeyParser::default();
    let mut shutdown = shared.shutdown.clone();
    let mut dirty = true;
    let reason;
    loop {
        if dirty && queued.load(Ordering::SeqCst) < OUTPUT_LIMIT {
            screen.draw(&app)?;
            dirty = false;
        }
        if app.should_quit() {
            reason = "quit".to_owned();
            break;
        }
        let esc_wait = parser.pending_escape();
        tokio::select! {
            ev = rx.recv() => match ev {
                Some(SessionEvent::Data(bytes)) => {
                    feed(&mut app, &mut parser, &bytes);
                    // Anything else already waiting is handled before the next frame.
                    let mut closed = false;
                    while let Ok(more) = rx.try_recv() {
                        match more {
                            SessionEvent::Data(b) => feed(&mut app, &mut parser, &b),
                            SessionEvent::Resize(w, h) => resize(&mut screen, &mut app, w, h)?,
                            SessionEvent::Closed => closed = true,
                        }
                    }
                    if closed {
                        reason = "the client closed the connection".to_owned();
                        break;
                    }
                    if app.take_suspend() {
                        app.set_message("suspend is for a local terminal; q quits");
                    }
                    dirty = true;
                }
                Some(SessionEvent::Resize(w, h)) => {
                    resize(&mut screen, &mut app, w, h)?;
                    dirty = true;
                }
                Some(SessionEvent::Closed) | None => {
                    reason = "the client closed the connection".to_owned();
                    break;
                }
            },
            () = tokio::time::sleep(ESC_WAIT), if esc_wait => {
                if let Some(input) = parser.flush_escape() {
                    app.handle(input);
                    dirty = true;
                }
            },
            () = sent.notified(), if dirty => {}
            _ = shutdown.changed() => {
                app.save();
                let mut bye = leave_sequence(bidi);
                bye.extend_from_slice(b"\r\nqari: the server is shutting down; goodbye.\r\n");
                send_raw(&out_tx, &queued, bye);
                drop(out_tx);
                let _ = tokio::time::timeout(Duration::from_secs(2), writer).await;
                return Ok("server shutdown".to_owned());
            }
        }
    }
    if let Some(e) = app.save() {
        tracing::warn!(peer = %peer, user = %user, "{e}");
    }
    send_raw(&out_tx, &queued, leave_sequence(bidi));
    drop(screen);
    drop(out_tx);
    let _ = tokio::time::timeout(Duration::from_secs(2), writer).await;
    Ok(reason)
}

/// Alternate screen, cursor home, explicit bidi mode (in the `app` mode), clear, cursor
/// hidden, bracketed paste on: as the local terminal front end does.
fn enter_sequence(bidi: bool) -> Vec<u8> {
    let mut s = String::from("\x1b[?1049h\x1b[H");
    if bidi {
        s.push_str(BIDI_ENTER);
    }
    s.push_str("\x1b[2J\x1b[?25l\x1b[?2004h");
    s.into_bytes()
}

/// Everything [`enter_sequence`] set, undone.
fn leave_sequence(bidi: bool) -> Vec<u8> {
    let mut s = String::from("\x1b[?2004l\x1b[?25h");
    if bidi {
        s.push_str(BIDI_LEAVE);
    }
    s.push_str("\x1b[?1049l");
    s.into_bytes()
}

/// Parses a client's bytes and hands the inputs to its app.
fn feed(app: &mut App, parser: &mut KeyParser, bytes: &[u8]) {
    for input in parser.feed(bytes) {
        test_panic(&input);
        app.handle(input);
    }
}

/// In debug builds with `QARI_TEST_PANIC` set, F12 panics the session: the tests use it to
/// check that a panic ends only its own session. Release builds have no such key.
fn test_panic(input: &Input) {
    #[cfg(debug_assertions)]
    if let Input::Key(k) = input
        && k.code == crossterm::event::KeyCode::F(12)
        && std::env::var_os("QARI_TEST_PANIC").is_some()
    {
        panic!("F12 pressed with QARI_TEST_PANIC set");
    }
    #[cfg(not(debug_assertions))]
    let _ = input;
}

fn send_raw(tx: &mpsc::UnboundedSender<Vec<u8>>, queued: &AtomicUsize, bytes: Vec<u8>) {
    queued.fetch_add(bytes.len(), Ordering::SeqCst);
    let _ = tx.send(bytes);
}

fn resize(
    screen: &mut Screen<SessionBackend>,
    app: &mut App,
    w: u16,
    h: u16,
) -> std::io::Result<()> {
    screen.backend_mut().size = Size::new(w, h);
    screen.resize(w, h)?;
    app.handle(Input::Resize(w, h));
    Ok(())
}

/// Loads the host key at `path`, or creates an Ed25519 one there (mode 0600). Returns it and
/// whether it was created.
pub fn host_key(path: &Path) -> anyhow::Result<(PrivateKey, bool)> {
    if path.exists() {
        let key = PrivateKey::read_openssh_file(path).map_err(|e| {
            anyhow::anyhow!("{}: the host key cannot be read ({e})", path.display())
        })?;
        return Ok((key, false));
    }
    let key = PrivateKey::random(&mut rand::rng(), russh::keys::Algorithm::Ed25519)
        .map_err(|e| anyhow::anyhow!("a host key could not be generated ({e})"))?;
    let text = key
        .to_openssh(russh::keys::ssh_key::LineEnding::LF)
        .map_err(|e| anyhow::anyhow!("the host key could not be encoded ({e})"))?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    write_private(path, text.as_bytes())
        .map_err(|e| anyhow::anyhow!("{}: the host key cannot be written ({e})", path.display()))?;
    Ok((key, true))
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

/// Reads an OpenSSH `authorized_keys` file.
pub fn authorized_keys(path: &Path) -> anyhow::Result<Vec<PublicKey>> {
    let entries = russh::keys::ssh_key::AuthorizedKeys::read_file(path).map_err(|e| {
        anyhow::anyhow!(
            "{}: it is not a readable authorized_keys file ({e})",
            path.display()
        )
    })?;
    Ok(entries.iter().map(|e| e.public_key().clone()).collect())
}

/// Connections a minute per address.
struct RateLimit {
    per_minute: usize,
    seen: HashMap<IpAddr, VecDeque<Instant>>,
}

impl RateLimit {
    fn allow(&mut self, ip: IpAddr) -> bool {
        let now = Instant::now();
        let q = self.seen.entry(ip).or_default();
        while q
            .front()
            .is_some_and(|t| now.duration_since(*t) > Duration::from_secs(60))
        {
            q.pop_front();
        }
        if q.len() >= self.per_minute {
            return false;
        }
        q.push_back(now);
        if self.seen.len() > 10_000 {
            self.seen.retain(|_, q| !q.is_empty());
        }
        true
    }
}

/// Runs `qari serve` until SIGINT or SIGTERM.
pub fn serve(paths: &[PathBuf], opts: &ServeOptions) -> anyhow::Result<()> {
    init_logging(opts.log.as_deref())?;
    if !opts.open && opts.authorized_keys.is_none() {
        anyhow::bail!(
            "say who may read: --authorized-keys FILE (only those keys), or --open (anyone, nothing stored)"
        );
    }
    let keys = opts
        .authorized_keys
        .as_deref()
        .map(authorized_keys)
        .transpose()?;
    let state_dir = opts
        .state_dir
        .clone()
        .or_else(|| Store::default_path().and_then(|p| p.parent().map(Path::to_path_buf)))
        .unwrap_or_else(|| PathBuf::from("."));
    let key_path = opts
        .host_key
        .clone()
        .unwrap_or_else(|| state_dir.join("host_ed25519"));
    let (key, created) = host_key(&key_path)?;
    let (config, warning) = Config::load();
    if let Some(w) = warning {
        tracing::warn!("{w}");
    }
    let lib = if paths.is_empty() {
        if config.library.is_empty() {
            Library::embedded()
        } else {
            Library::open(&config.library)
        }
    } else {
        Library::open(paths)
    };
    // Files skipped are logged; warnings about files that loaded (an article without a date)
    // are for `qari check`, not the server's log.
    for p in lib.problems().iter().filter(|p| p.unusable) {
        tracing::warn!("{p}");
    }
    let layout = Options {
        mode: crate::cli::bidi_mode(None, &config)?,
        shape: config.shape,
        ..Options::default()
    };
    // Colours are decided per session from its own TERM/COLORTERM/NO_COLOR: crossterm's
    // process-wide NO_COLOR check must not decide for everyone.
    crossterm::style::force_color_output(true);
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let shared = Arc::new(Shared {
        lib: Arc::new(lib),
        index: Arc::default(),
        config,
        opts: layout,
        keys,
        open: opts.open,
        state_dir,
        sessions: AtomicUsize::new(0),
        shutdown: shutdown_rx,
    });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(run_server(
        shared,
        key,
        created,
        key_path,
        opts.clone(),
        shutdown_tx,
    ))?;
    Ok(())
}

async fn run_server(
    shared: Arc<Shared>,
    key: PrivateKey,
    created: bool,
    key_path: PathBuf,
    opts: ServeOptions,
    shutdown_tx: watch::Sender<bool>,
) -> anyhow::Result<()> {
    let fp = key.public_key().fingerprint(HashAlg::Sha256);
    let listener = tokio::net::TcpListener::bind(opts.listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {} ({e})", opts.listen))?;
    let local = listener.local_addr()?;
    eprintln!(
        "qari: serving {} articles on {local}; host key {fp}{}",
        shared.lib.len(),
        if created {
            format!(" (new, saved to {})", key_path.display())
        } else {
            String::new()
        }
    );
    tracing::info!(listen = %local, host_key = %fp, articles = shared.lib.len(), "serving");
    // Build the search index in the background: the first search in any session is then
    // instant.
    shared.index.build_in_background(Arc::clone(&shared.lib));
    let config = Arc::new(russh::server::Config {
        keys: vec![key],
        auth_rejection_time: Duration::from_millis(300),
        auth_rejection_time_initial: Some(Duration::ZERO),
        inactivity_timeout: Some(opts.idle_timeout),
        // No keepalives: their replies would count as activity and the idle timeout would
        // never fire; a dropped connection ends at the idle timeout at the latest.
        keepalive_interval: None,
        window_size: 1024 * 1024,
        nodelay: true,
        methods: if opts.open {
            russh::MethodSet::from(&[russh::MethodKind::None, russh::MethodKind::PublicKey][..])
        } else {
            russh::MethodSet::from(&[russh::MethodKind::PublicKey][..])
        },
        ..Default::default()
    });
    let mut rate = RateLimit {
        per_minute: opts.rate_per_minute,
        seen: HashMap::new(),
    };
    let connections = Arc::new(AtomicUsize::new(0));
    let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    loop {
        let (socket, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => { tracing::warn!("accept failed: {e}"); continue; }
            },
            _ = tokio::signal::ctrl_c() => break,
            _ = sigterm.recv() => break,
        };
        if !rate.allow(peer.ip()) {
            tracing::warn!(peer = %peer, "refused: too many connections from this address");
            continue;
        }
        if connections.load(Ordering::SeqCst) >= opts.max_sessions {
            tracing::warn!(peer = %peer, max = opts.max_sessions, "refused: the server is full");
            continue;
        }
        spawn_connection(&shared, &config, &connections, socket, peer);
    }
    tracing::info!("shutting down");
    let _ = shutdown_tx.send(true);
    // Let sessions say goodbye.
    let deadline = Instant::now() + Duration::from_secs(3);
    while shared.sessions.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    anyhow::Ok(())
}

/// Runs one accepted connection; a client that has not authenticated after
/// [`AUTH_TIMEOUT`] is disconnected.
fn spawn_connection(
    shared: &Arc<Shared>,
    config: &Arc<russh::server::Config>,
    connections: &Arc<AtomicUsize>,
    socket: tokio::net::TcpStream,
    peer: SocketAddr,
) {
    let _ = socket.set_nodelay(true);
    let authed = Arc::new(AtomicBool::new(false));
    let conn = Conn {
        shared: Arc::clone(shared),
        peer: Some(peer),
        user: String::new(),
        fingerprint: None,
        authed: Arc::clone(&authed),
        channel: None,
        pty: None,
        env: HashMap::new(),
        events: None,
    };
    let config = Arc::clone(config);
    let connections = Arc::clone(connections);
    connections.fetch_add(1, Ordering::SeqCst);
    tokio::spawn(async move {
        match russh::server::run_stream(config, socket, conn).await {
            Ok(running) => {
                let handle = running.handle();
                let watchdog = tokio::spawn(async move {
                    tokio::time::sleep(AUTH_TIMEOUT).await;
                    if !authed.load(Ordering::SeqCst) {
                        tracing::info!(peer = %peer, "no authentication in time");
                        let _ = handle
                            .disconnect(
                                russh::Disconnect::ByApplication,
                                "authentication timed out".into(),
                                "en".into(),
                            )
                            .await;
                    }
                });
                if let Err(e) = running.await {
                    tracing::info!(peer = %peer, "connection ended: {e}");
                }
                watchdog.abort();
            }
            Err(e) => tracing::info!(peer = %peer, "handshake failed: {e}"),
        }
        connections.fetch_sub(1, Ordering::SeqCst);
    });
}

fn init_logging(file: Option<&Path>) -> anyhow::Result<()> {
    let builder = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_target(false);
    let result = match file {
        Some(path) => {
            let f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|e| {
                    anyhow::anyhow!("{}: the log cannot be opened ({e})", path.display())
                })?;
            builder.with_writer(Mutex::new(f)).try_init()
        }
        None => builder.with_writer(std::io::stderr).try_init(),
    };
    let _ = result;
    std::panic::set_hook(Box::new(|info| {
        tracing::error!("panic: {info}");
    }));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    fn key(code: KeyCode) -> Input {
        Input::Key(KeyEvent::new(code, KeyModifiers::NONE))
    }

    #[test]
    fn keys_arrows_paging_and_text() {
        let mut p = KeyParser::default();
        let got = p.feed(b"j\x1b[A\x1b[B\x1b[5~\x1b[6~q");
        assert_eq!(
            got,
            vec![
                key(KeyCode::Char('j')),
                key(KeyCode::Up),
                key(KeyCode::Down),
                key(KeyCode::PageUp),
                key(KeyCode::PageDown),
                key(KeyCode::Char('q')),
            ]
        );
        assert!(!p.pending_escape());
    }

    #[test]
    fn a_sequence_split_across_reads() {
        let mut p = KeyParser::default();
        assert!(p.feed(b"\x1b").is_empty());
        assert!(p.pending_escape());
        assert_eq!(p.feed(b"[B"), vec![key(KeyCode::Down)]);
        assert!(p.feed("ع".as_bytes().get(..1).unwrap()).is_empty());
        assert_eq!(
            p.feed("ع".as_bytes().get(1..).unwrap()),
            vec![key(KeyCode::Char('ع'))]
        );
    }

    #[test]
    fn a_lone_escape_is_the_esc_key_after_the_wait() {
        let mut p = KeyParser::default();
        assert!(p.feed(b"\x1b").is_empty());
        assert_eq!(p.flush_escape(), Some(key(KeyCode::Esc)));
        assert!(p.flush_escape().is_none());
    }

    #[test]
    fn bracketed_paste_is_one_input_and_bounded() {
        let mut p = KeyParser::default();
        let got = p.feed(b"\x1b[200~rm -rf /\x1b[201~j");
        assert_eq!(
            got,
            vec![Input::Paste("rm -rf /".to_owned()), key(KeyCode::Char('j'))]
        );
        // An endless paste is dropped, never held in memory.
        let mut p = KeyParser::default();
        p.feed(b"\x1b[200~");
        for _ in 0..100 {
            p.feed(&[b'x'; 1024]);
        }
        assert!(p.buf.len() <= KeyParser::MAX_PENDING);
    }

    #[test]
    fn host_key_is_created_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/host");
        let (a, created) = host_key(&path).unwrap();
        assert!(created);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let (b, created) = host_key(&path).unwrap();
        assert!(!created);
        assert_eq!(a.public_key(), b.public_key());
        assert_eq!(a.algorithm(), russh::keys::Algorithm::Ed25519);
    }

    #[test]
    fn rate_limit_per_address() {
        let mut r = RateLimit {
            per_minute: 3,
            seen: HashMap::new(),
        };
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        assert!(r.allow(a) && r.allow(a) && r.allow(a));
        assert!(!r.allow(a));
        assert!(r.allow(b));
    }
}
