//! `qari serve`: the reader served over SSH, one app per session on a shared, read-only library.
//!
//! Built on russh (the `ring` backend) and tokio. Each session gets its own [`App`], its own
//! size from the pty request, its own colours from its `TERM`, `COLORTERM` and `NO_COLOR` (never the
//! server's environment), its own bidi mode from its `QARI_BIDI`, `TERM` and `MLTERM` (see
//! [`crate::terminal`]), and its own reading state, stored per public-key fingerprint. Input
//! arrives as raw bytes and is parsed into key events by terminput (a lone ESC is a key after
//! [`ESC_WAIT`] with nothing behind it). Output goes through a bounded queue: a client that
//! stops reading only stops its own frames, which are coalesced until it reads again.
//!
//! Each session's app runs on a thread of its own (`session`), fed through a bounded mailbox:
//! sizes held to the screen's cap, window changes coalesced, input in bounded batches, a paste
//! one capped input (`input`), and an idle timeout that only input resets.

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
use crate::library::Library;
use crate::screen::Screen;
use crate::search::SharedIndex;
use crate::state::Store;
use crate::ui::Theme;

pub mod gate;
mod input;
pub mod keys;
mod session;

pub use input::KeyParser;
use session::{End, Inlet, Mailbox};

/// How long a lone ESC waits for the rest of an escape sequence before it is the Esc key.
pub const ESC_WAIT: Duration = Duration::from_millis(40);
/// Output bytes a session may have queued before its frames are held back and coalesced.
pub const OUTPUT_LIMIT: usize = 256 * 1024;
/// The connection's own inactivity limit runs this much past the idle timeout, so that a
/// session's goodbye always comes first.
const IDLE_BACKSTOP: Duration = Duration::from_secs(10);
/// A connection turned away with a message (rate limit, full server) is closed after this at
/// the latest, whatever the client does.
const REFUSAL_GRACE: Duration = Duration::from_secs(10);
/// At shutdown, how long a session has to stop what it does and say goodbye itself (past that
/// its goodbye is sent for it and its thread is left to end alone), and its connection before
/// it is closed.
const GOODBYE: Duration = Duration::from_millis(300);
/// At shutdown, how long the server waits for every connection to end before it exits.
const STOP_WAIT: Duration = Duration::from_millis(800);

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
    /// Time from accept to login (banner, key exchange and authentication).
    pub login_grace_time: Duration,
    /// Connections not logged in yet, at once (sshd's `MaxStartups`).
    pub max_startups: usize,
    /// Of those, from one address (sshd's `PerSourceMaxStartups`).
    pub max_startups_per_address: usize,
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
    keys: Option<keys::AuthorizedKeys>,
    open: bool,
    state_dir: PathBuf,
    gate: Arc<gate::Gate>,
    shutdown: watch::Receiver<bool>,
    /// A session with no input for this long says goodbye.
    idle_timeout: Duration,
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
    inner: crate::terminal::Directed<CrosstermBackend<ChannelWriter>>,
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
    /// Where input and window changes go, once the reader runs.
    events: Option<Inlet>,
    /// Held from accept until login.
    startup: Option<gate::Startup>,
    /// Held from login on.
    slot: Option<gate::SessionSlot>,
    /// The connection is turned away with this message at the first chance (rate limit, full
    /// server).
    refusal: Option<String>,
    /// The key's `authorized_keys` line refuses its session with this message.
    forbidden: Option<String>,
    /// How the connection logged in, as whom (as sent) and with which key.
    login: Option<(&'static str, String, Option<PublicKey>)>,
    /// The connection's handle, once russh has one.
    handle: watch::Receiver<Option<Handle>>,
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

    async fn authentication_banner(&mut self) -> Result<Option<String>, Self::Error> {
        // The key exchange is done: a connection turned away hears why before it logs in.
        if let Some(why) = self.refusal.clone() {
            self.disconnect(&why).await;
        }
        Ok(None)
    }

    async fn auth_none(&mut self, user: &str) -> Result<Auth, Self::Error> {
        test_stall(user);
        if self.refusal_pending() {
            return Ok(Auth::reject());
        }
        if self.shared.open {
            return Ok(self.admit(user, "none", None));
        }
        // The OpenSSH client asks with "none" first to learn the methods: not a failure.
        Ok(Auth::reject())
    }

    async fn auth_password(&mut self, user: &str, _password: &str) -> Result<Auth, Self::Error> {
        self.fail("password", user, None, "passwords are never accepted");
        Ok(Auth::reject())
    }

    async fn auth_keyboard_interactive<'a>(
        &'a mut self,
        user: &str,
        _submethods: &str,
        _response: Option<russh::server::Response<'a>>,
    ) -> Result<Auth, Self::Error> {
        self.fail(
            "keyboard-interactive",
            user,
            None,
            "keyboard-interactive is never accepted",
        );
        Ok(Auth::reject())
    }

    async fn auth_openssh_certificate(
        &mut self,
        user: &str,
        certificate: &russh::keys::Certificate,
    ) -> Result<Auth, Self::Error> {
        let key = PublicKey::new(certificate.public_key().clone(), "");
        self.fail(
            "publickey",
            user,
            Some(&key),
            "certificates are not accepted",
        );
        Ok(Auth::reject())
    }

    async fn auth_publickey_offered(
        &mut self,
        user: &str,
        key: &PublicKey,
    ) -> Result<Auth, Self::Error> {
        if self.refusal_pending() {
            return Ok(Auth::reject());
        }
        Ok(match self.key_verdict(key) {
            keys::Verdict::Allowed { .. } => Auth::Accept,
            denied => {
                self.fail("publickey", user, Some(key), &verdict_reason(&denied));
                Auth::reject()
            }
        })
    }

    async fn auth_publickey(&mut self, user: &str, key: &PublicKey) -> Result<Auth, Self::Error> {
        if self.refusal_pending() {
            return Ok(Auth::reject());
        }
        match self.key_verdict(key) {
            keys::Verdict::Allowed { refusal, .. } => {
                self.forbidden = refusal;
                self.fingerprint = Some(key.fingerprint(HashAlg::Sha256).to_string());
                Ok(self.admit(user, "publickey", Some(key.clone())))
            }
            denied => {
                self.fail("publickey", user, Some(key), &verdict_reason(&denied));
                Ok(Auth::reject())
            }
        }
    }

    async fn auth_succeeded(&mut self, session: &mut Session) -> Result<(), Self::Error> {
        let client = String::from_utf8_lossy(session.remote_sshid()).into_owned();
        let Some(peer) = self.peer else {
            return Ok(());
        };
        let (method, user, key) = self.login.clone().unwrap_or(("none", String::new(), None));
        if self.slot.is_none() {
            // Full since this connection came in: it logged in, and hears why it is turned away.
            let why = full_message(self.shared.gate.max_sessions());
            gate::refused(peer, &why);
            session.disconnect(
                russh::Disconnect::ByApplication,
                &format!("qari: {why}"),
                "en",
            )?;
            return Ok(());
        }
        gate::auth_ok(peer, method, &user, key.as_ref(), &client);
        Ok(())
    }

    async fn channel_open_session(
        &mut self,
        channel: Channel<Msg>,
        reply: ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        if self.channel.is_some() || self.slot.is_none() {
            // One reader per connection, and only for a connection that holds a session slot.
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
        // The pixel sizes are never used; a zero size is no size (RFC 4254 6.2).
        let (cols, rows) = peer_size(cols, rows, (80, 24));
        self.pty = Some((term.to_owned(), cols, rows));
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
        if matches!(
            name,
            "NO_COLOR" | "COLORTERM" | "LANG" | "QARI_BIDI" | "MLTERM"
        ) && value.len() < 256
        {
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
        if let Some(why) = self.forbidden.clone() {
            self.refuse(channel, session, &why, true)?;
            return Ok(());
        }
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
        let mailbox = Arc::new(Mailbox::default());
        self.events = Some(Inlet(Arc::clone(&mailbox)));
        let start = StartSession {
            mailbox,
            shared: Arc::clone(&self.shared),
            handle: session.handle(),
            channel,
            term: clean_term(term),
            size: (cols, rows),
            env: self.env.clone(),
            user: self.user.clone(),
            fingerprint: self.fingerprint.clone(),
            peer: self.peer(),
        };
        tokio::spawn(supervise(start));
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
        if let Some(mailbox) = &self.events {
            // A client typing faster than its session reads waits (its SSH window and TCP
            // push back): no key is lost and no memory grows.
            mailbox.push(data).await;
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
        if let Some((_, c, r)) = &mut self.pty {
            (*c, *r) = peer_size(cols, rows, (*c, *r));
            if let Some(mailbox) = &self.events {
                mailbox.resize((*c, *r));
            }
        }
        Ok(())
    }

    async fn channel_eof(
        &mut self,
        _channel: ChannelId,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        if let Some(mailbox) = &self.events {
            mailbox.close();
        }
        Ok(())
    }

    async fn channel_close(
        &mut self,
        _channel: ChannelId,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        // Dropping the inlet closes the mailbox.
        self.events = None;
        Ok(())
    }
}

impl Conn {
    /// What the `authorized_keys` lines say about `key` from this peer now (anything goes under
    /// `--open`).
    fn key_verdict(&self, key: &PublicKey) -> keys::Verdict {
        if self.shared.open {
            return keys::Verdict::Allowed {
                line: 0,
                refusal: None,
            };
        }
        let ip = self.peer.map_or(IpAddr::from([0, 0, 0, 0]), |p| p.ip());
        self.shared
            .keys
            .as_ref()
            .map_or(keys::Verdict::Unknown, |k| {
                k.check(key, ip, chrono::Utc::now())
            })
    }

    /// Logs in: the startup slot is traded for a session slot. A connection that finds the
    /// server full logs in all the same and is then turned away with a message (see
    /// `auth_succeeded`): a rejection here would end the client on "Permission denied".
    fn admit(&mut self, user: &str, method: &'static str, key: Option<PublicKey>) -> Auth {
        self.user = crate::escape::log(user, gate::LOG_USER_CHARS);
        self.login = Some((method, user.to_owned(), key));
        match self.startup.take().map(gate::Startup::promote) {
            Some(Ok(slot)) => {
                self.slot = Some(slot);
                self.authed.store(true, Ordering::SeqCst);
            }
            // Keeps the startup slot and the grace time, which close the connection should
            // the client not go away after the message.
            Some(Err(startup)) => self.startup = Some(startup),
            None => {}
        }
        Auth::Accept
    }

    /// Logs a failed authentication.
    fn fail(&self, method: &str, user: &str, key: Option<&PublicKey>, reason: &str) {
        if let Some(peer) = self.peer {
            gate::auth_failed(peer, method, user, key, reason);
        }
    }

    /// Whether this connection is being turned away (every login is then refused).
    fn refusal_pending(&self) -> bool {
        self.refusal.is_some()
    }

    /// Sends the client a disconnect with `why`, which OpenSSH's client prints ("Received
    /// disconnect from …: qari: why"). The message goes out before the next packet is read.
    async fn disconnect(&mut self, why: &str) {
        let mut rx = self.handle.clone();
        let handle = match tokio::time::timeout(
            Duration::from_secs(1),
            rx.wait_for(Option::is_some),
        )
        .await
        {
            Ok(Ok(h)) => h.clone(),
            _ => None,
        };
        if let Some(h) = handle {
            let _ = h
                .disconnect(
                    russh::Disconnect::ByApplication,
                    format!("qari: {why}"),
                    "en".into(),
                )
                .await;
        }
    }
}

/// Why a key was refused, for the log.
fn verdict_reason(v: &keys::Verdict) -> String {
    match v {
        keys::Verdict::Unknown => "the key is not in authorized_keys".to_owned(),
        keys::Verdict::Denied(why) => why.clone(),
        keys::Verdict::Allowed { .. } => "allowed".to_owned(),
    }
}

/// What a client hears when every session slot is taken.
fn full_message(max: usize) -> String {
    format!("the server is full ({max} readers at once); try again later.")
}

/// `TERM` as the rest of the server may use and log it: a terminal type is a short name; any
/// other value is escaped and capped (it then names no known terminal, and gets plain colours).
fn clean_term(term: String) -> String {
    if term.len() <= 64
        && term
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.+".contains(&b))
    {
        term
    } else {
        crate::escape::log(&term, 64)
    }
}

fn clamp16(n: u32) -> u16 {
    u16::try_from(n).unwrap_or(u16::MAX)
}

/// A size from the peer (pty request or window change), held to the screen's cap before
/// anything is allocated for it; a zero dimension keeps `current`.
fn peer_size(cols: u32, rows: u32, current: (u16, u16)) -> (u16, u16) {
    let cols = if cols == 0 { current.0 } else { clamp16(cols) };
    let rows = if rows == 0 { current.1 } else { clamp16(rows) };
    crate::screen::clamp_size(cols, rows)
}

/// Everything a session task needs.
struct StartSession {
    mailbox: Arc<Mailbox>,
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

/// A session's settings: the server's config file with its own client's terminal (the `TERM`
/// of its pty request, the `QARI_BIDI`, `MLTERM`, `COLORTERM` and `NO_COLOR` it sent), never
/// the server's own environment.
fn session_settings(
    shared: &Shared,
    term: &str,
    env: &HashMap<String, String>,
) -> crate::frontend::Settings {
    let env = crate::frontend::TermEnv::session(term, env);
    let flags = crate::frontend::Flags::default();
    crate::frontend::settings(&flags, &env, &shared.config).unwrap_or_else(|_| {
        // `TermEnv::session` keeps only a `QARI_BIDI` that names a mode.
        let env = crate::frontend::TermEnv {
            qari_bidi: None,
            ..env
        };
        crate::frontend::settings(&flags, &env, &shared.config)
            .unwrap_or_else(|_| unreachable!("without QARI_BIDI there is nothing to refuse"))
    })
}

/// The app and theme of a new session, from its own terminal type and environment.
fn session_app(
    shared: &Arc<Shared>,
    term: &str,
    env: &HashMap<String, String>,
    fingerprint: Option<&str>,
    size: (u16, u16),
) -> (App, Theme) {
    let settings = session_settings(shared, term, env);
    let (store, warning) = user_store(shared, fingerprint);
    let mut app = App::new(
        Arc::clone(&shared.lib),
        &shared.config,
        store,
        settings.layout,
    );
    app.share_index(Arc::clone(&shared.index));
    if let Some(w) = warning {
        app.set_message(w);
    }
    app.handle(Input::Resize(size.0, size.1));
    (app, settings.theme)
}

type Writer = (
    tokio::task::JoinHandle<()>,
    mpsc::UnboundedSender<Vec<u8>>,
    Arc<AtomicUsize>,
);

/// The task that sends a session's frames: `queued` counts the bytes not sent yet; the
/// mailbox hears when some went out.
fn spawn_writer(handle: Handle, channel: ChannelId, mailbox: Arc<Mailbox>) -> Writer {
    let queued = Arc::new(AtomicUsize::new(0));
    let (out_tx, mut out_rx) = mpsc::unbounded_channel::<Vec<u8>>();
    let q = Arc::clone(&queued);
    let writer = tokio::spawn(async move {
        while let Some(bytes) = out_rx.recv().await {
            let len = bytes.len();
            let ok = handle.data(channel, bytes).await.is_ok();
            q.fetch_sub(len, Ordering::SeqCst);
            mailbox.sent();
            if !ok {
                break;
            }
        }
    });
    (writer, out_tx, queued)
}

/// Marks the session's mailbox ended when its thread ends, also by a panic.
struct EndGuard(Arc<Mailbox>);

impl Drop for EndGuard {
    fn drop(&mut self) {
        self.0.end();
    }
}

type SessionResult = std::thread::Result<anyhow::Result<String>>;

/// Runs a session on a thread of its own and makes sure a panic in it ends only it, logged.
async fn supervise(start: StartSession) {
    let handle = start.handle.clone();
    let channel = start.channel;
    let peer = start.peer.clone();
    let user = start.user.clone();
    let started = Instant::now();
    let shared = Arc::clone(&start.shared);
    let mailbox = Arc::clone(&start.mailbox);
    let settings = session_settings(&shared, &start.term, &start.env);
    let modes = crate::terminal::Modes {
        bidi: settings.layout.mode,
        mouse: settings.mouse,
    };
    let (writer, out_tx, queued) = spawn_writer(handle.clone(), channel, Arc::clone(&mailbox));
    let (done_tx, mut done_rx) = tokio::sync::oneshot::channel::<SessionResult>();
    let spawned = std::thread::Builder::new()
        .name("qari-session".to_owned())
        .spawn(move || {
            let _end = EndGuard(Arc::clone(&start.mailbox));
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                run_session(start, &out_tx, &queued)
            }));
            let _ = done_tx.send(result);
        });
    if let Err(e) = &spawned {
        tracing::warn!(peer = %peer, "no thread for the session: {e}");
        // Nobody will read the mailbox: the handler must not wait for room in it.
        mailbox.end();
    }
    let mut shutdown = shared.shutdown.clone();
    let mut shutting = false;
    let outcome = tokio::select! {
        r = &mut done_rx => Some(r),
        () = async { drop(shutdown.wait_for(|&down| down).await) } => {
            shutting = true;
            mailbox.shutdown();
            tokio::time::timeout(GOODBYE, &mut done_rx).await.ok()
        }
    };
    let flush = if shutting {
        GOODBYE
    } else {
        Duration::from_secs(2)
    };
    let reason = match outcome {
        Some(Ok(Ok(Ok(reason)))) => {
            let _ = tokio::time::timeout(flush, writer).await;
            reason
        }
        Some(Ok(Ok(Err(e)))) => {
            let _ = tokio::time::timeout(flush, writer).await;
            format!("error: {e}")
        }
        Some(Ok(Err(payload))) => {
            let _ = tokio::time::timeout(flush, writer).await;
            let msg =
                crate::frontend::panic_text(&*payload).unwrap_or_else(|| "a panic".to_owned());
            let _ = handle
                .data(
                    channel,
                    format!(
                        "\x1b[?1049l\r\nqari: an internal error ended this session ({}).\r\n",
                        crate::escape::display(&msg)
                    )
                    .into_bytes(),
                )
                .await;
            format!("panic: {}", crate::escape::log(&msg, 200))
        }
        Some(Err(_)) => {
            let _ = handle
                .data(
                    channel,
                    b"qari: the server could not start a reader for you now; try again later.\r\n"
                        .to_vec(),
                )
                .await;
            "error: the session could not start".to_owned()
        }
        None => {
            // Still busy: nothing it sends from now on goes out.
            writer.abort();
            let mut bye = modes.leave().into_bytes();
            bye.extend_from_slice(b"\r\nqari: the server is shutting down; goodbye.\r\n");
            let _ = tokio::time::timeout(GOODBYE, handle.data(channel, bye)).await;
            "server shutdown (its work was left unfinished)".to_owned()
        }
    };
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

/// A session's loop, on its own thread: its app, its screen, its goodbye.
fn run_session(
    start: StartSession,
    out_tx: &mpsc::UnboundedSender<Vec<u8>>,
    queued: &Arc<AtomicUsize>,
) -> anyhow::Result<String> {
    let StartSession {
        mailbox,
        shared,
        term,
        size,
        env,
        user,
        fingerprint,
        peer,
        ..
    } = start;
    tracing::info!(peer = %peer, user = %user, key = fingerprint.as_deref().unwrap_or("-"), term = %term, cols = size.0, rows = size.1, "session started");
    let (mut app, theme) = session_app(&shared, &term, &env, fingerprint.as_deref(), size);
    // Background work (searches, the whole of a long article) wakes this session's loop.
    let waker = Arc::downgrade(&mailbox);
    app.set_waker(Arc::new(move || {
        if let Some(mailbox) = waker.upgrade() {
            mailbox.wake_app();
        }
    }));
    let opts = app.options();
    let backend = SessionBackend {
        inner: crate::terminal::Directed::new(
            CrosstermBackend::new(ChannelWriter {
                buf: Vec::new(),
                tx: out_tx.clone(),
                queued: Arc::clone(queued),
            }),
            opts.mode,
        ),
        size: Size::new(size.0, size.1),
    };
    let modes = crate::terminal::Modes {
        bidi: opts.mode,
        mouse: app.mouse(),
    };
    send_raw(out_tx, queued, modes.enter().into_bytes());
    let mut screen = Screen::new(backend, theme)?;
    let idle = shared.idle_timeout;
    let end = session::run(&mut app, &mut screen, &mailbox, queued, idle)?;
    if let Some(e) = app.save() {
        tracing::warn!(peer = %peer, user = %user, "{e}");
    }
    // The screen's last words (it shows the cursor) go before the goodbye.
    drop(screen);
    let mut bye = modes.leave().into_bytes();
    let reason = match end {
        End::Quit => "quit".to_owned(),
        End::Closed => "the client closed the connection".to_owned(),
        End::Shutdown => {
            bye.extend_from_slice(b"\r\nqari: the server is shutting down; goodbye.\r\n");
            "server shutdown".to_owned()
        }
        End::Idle => {
            let said = session::spoken(idle);
            bye.extend_from_slice(
                format!("\r\nqari: no input for {said}; goodbye.\r\n").as_bytes(),
            );
            format!("idle for {said}")
        }
    };
    send_raw(out_tx, queued, bye);
    Ok(reason)
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

/// In debug builds with `QARI_TEST_STALL` set, the user name `stall` blocks its runtime thread
/// for a minute: the tests use it to check that SIGTERM ends the server when every runtime
/// thread is stuck in work. Release builds have no such name.
fn test_stall(user: &str) {
    #[cfg(debug_assertions)]
    if user == "stall" && std::env::var_os("QARI_TEST_STALL").is_some() {
        std::thread::sleep(Duration::from_secs(60));
    }
    #[cfg(not(debug_assertions))]
    let _ = user;
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
/// whether it was created. An existing file is checked as sshd checks its host keys (see
/// [`keys::load_host_key`]).
pub fn host_key(path: &Path) -> anyhow::Result<(PrivateKey, bool)> {
    if path.exists() {
        return Ok((keys::load_host_key(path)?, false));
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

/// Connections a minute per address.
struct RateLimit {
    per_minute: usize,
    seen: HashMap<IpAddr, VecDeque<Instant>>,
}

/// What the rate limit says of a new connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rate {
    /// Under the limit.
    Allow,
    /// Over it: turned away with a message (as many times a minute again as the limit).
    Refuse,
    /// Far over it: closed without a word.
    Drop,
}

impl RateLimit {
    /// Addresses remembered at most. Past 10,000 the quiet ones are forgotten; past this many
    /// recent ones every address is: the limit is then looser for a minute, never the memory.
    const MAX_ADDRESSES: usize = 100_000;

    fn check(&mut self, ip: IpAddr) -> Rate {
        let now = Instant::now();
        let q = self.seen.entry(ip).or_default();
        while q
            .front()
            .is_some_and(|t| now.duration_since(*t) > Duration::from_secs(60))
        {
            q.pop_front();
        }
        let verdict = if q.len() < self.per_minute {
            Rate::Allow
        } else if q.len() < self.per_minute.saturating_mul(2) {
            Rate::Refuse
        } else {
            return Rate::Drop;
        };
        q.push_back(now);
        if self.seen.len() > 10_000 {
            self.seen.retain(|_, q| {
                q.back()
                    .is_some_and(|t| now.duration_since(*t) <= Duration::from_secs(60))
            });
            if self.seen.len() > Self::MAX_ADDRESSES {
                self.seen.clear();
            }
        }
        verdict
    }
}

/// Checks the limits given to `serve`: a zero would turn everyone away.
fn check_limits(opts: &ServeOptions) -> anyhow::Result<()> {
    for (name, n) in [
        ("--max-sessions", opts.max_sessions),
        ("--rate", opts.rate_per_minute),
        ("--max-startups", opts.max_startups),
        ("--max-startups-per-address", opts.max_startups_per_address),
    ] {
        anyhow::ensure!(n > 0, "{name} must be at least 1");
    }
    for (name, d) in [
        ("--idle-timeout", opts.idle_timeout),
        ("--login-grace-time", opts.login_grace_time),
    ] {
        anyhow::ensure!(!d.is_zero(), "{name} must be longer than 0");
    }
    Ok(())
}

/// Runs `qari serve` until SIGINT or SIGTERM.
pub fn serve(paths: &[PathBuf], opts: &ServeOptions) -> anyhow::Result<()> {
    check_limits(opts)?;
    init_logging(opts.log.as_deref())?;
    if !opts.open && opts.authorized_keys.is_none() {
        anyhow::bail!(
            "say who may read: --authorized-keys FILE (only those keys), or --open (anyone, nothing stored)"
        );
    }
    let keys = match opts.authorized_keys.as_deref() {
        Some(path) => {
            let (keys, warnings) = keys::AuthorizedKeys::load(path)?;
            for w in warnings {
                tracing::warn!("{w}");
            }
            Some(keys)
        }
        None => None,
    };
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
    // The library as every command chooses it; each session decides its own bidi mode and
    // colours from its client's terminal (see `session_settings`), never the server's.
    let flags = crate::frontend::Flags {
        paths: paths.to_vec(),
        ..crate::frontend::Flags::default()
    };
    let settings =
        crate::frontend::settings(&flags, &crate::frontend::TermEnv::default(), &config)?;
    let lib = crate::frontend::open_library(&settings.library);
    // Files skipped are logged; warnings about files that loaded (an article without a date)
    // are for `qari check`, not the server's log.
    for p in lib.problems().iter().filter(|p| p.unusable) {
        tracing::warn!("{p}");
    }
    // Colours are decided per session from its own TERM/COLORTERM/NO_COLOR: crossterm's
    // process-wide NO_COLOR check must not decide for everyone.
    crossterm::style::force_color_output(true);
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let shared = Arc::new(Shared {
        lib: Arc::new(lib),
        index: Arc::default(),
        config,
        keys,
        open: opts.open,
        state_dir,
        gate: gate::Gate::new(gate::Limits {
            max_sessions: opts.max_sessions,
            max_startups: opts.max_startups,
            per_address: opts.max_startups_per_address,
        }),
        shutdown: shutdown_rx,
        idle_timeout: opts.idle_timeout,
    });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let (stop_tx, stop_rx) = watch::channel(false);
    let done = Arc::new(AtomicBool::new(false));
    watch_signals(stop_tx, Arc::clone(&done))?;
    let result = rt.block_on(run_server(
        shared,
        key,
        created,
        key_path,
        opts.clone(),
        Stop {
            signal: stop_rx,
            shutdown: shutdown_tx,
        },
    ));
    // Work still running on the runtime (a session that does not end) is not waited for.
    rt.shutdown_timeout(Duration::from_millis(50));
    done.store(true, Ordering::SeqCst);
    result
}

/// How the server is told to stop, and tells its sessions.
struct Stop {
    /// Set by SIGTERM or SIGINT.
    signal: watch::Receiver<bool>,
    /// Set for the sessions to say goodbye.
    shutdown: watch::Sender<bool>,
}

/// SIGTERM and SIGINT, on a thread of their own: they are heard even when every runtime
/// thread is busy (a session stuck in work), and if the server has not stopped in time after
/// one, the process exits all the same.
fn watch_signals(stop: watch::Sender<bool>, done: Arc<AtomicBool>) -> anyhow::Result<()> {
    let mut signals = signal_hook::iterator::Signals::new([
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGINT,
    ])?;
    std::thread::Builder::new()
        .name("qari-signals".to_owned())
        .spawn(move || {
            if signals.forever().next().is_none() {
                return;
            }
            let _ = stop.send(true);
            let deadline = Instant::now() + STOP_WAIT + Duration::from_millis(50);
            while !done.load(Ordering::SeqCst) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(5));
            }
            if !done.load(Ordering::SeqCst) {
                tracing::warn!("work still running at shutdown; exiting without it");
                std::process::exit(0);
            }
        })?;
    Ok(())
}

async fn run_server(
    shared: Arc<Shared>,
    key: PrivateKey,
    created: bool,
    key_path: PathBuf,
    opts: ServeOptions,
    mut stop: Stop,
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
        inactivity_timeout: Some(opts.idle_timeout.saturating_add(IDLE_BACKSTOP)),
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
    let live = Arc::new(AtomicUsize::new(0));
    loop {
        let (socket, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    // Out of descriptors, most often: wait a little rather than spin.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = stopping(&mut stop.signal) => break,
        };
        if let Some(accepted) = let_in(&shared, &mut rate, &opts, socket, peer) {
            spawn_connection(&shared, &config, &live, accepted);
        }
    }
    drop(listener);
    tracing::info!("shutting down");
    let _ = stop.shutdown.send(true);
    // Sessions say goodbye and every connection is closed (see `watch_connection`); whatever
    // has not ended by then is left behind.
    let deadline = Instant::now() + STOP_WAIT;
    while live.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let left = live.load(Ordering::SeqCst);
    if left > 0 {
        tracing::warn!("{left} connections did not end in time; exiting anyway");
    }
    anyhow::Ok(())
}

/// Decides at accept: dropped (far over the rate limit, or no startup slot free: closed at
/// once), turned away with a message after the key exchange (over the rate limit, server
/// full), or let in to log in.
fn let_in(
    shared: &Shared,
    rate: &mut RateLimit,
    opts: &ServeOptions,
    socket: tokio::net::TcpStream,
    peer: SocketAddr,
) -> Option<Accepted> {
    let peer = SocketAddr::new(peer.ip().to_canonical(), peer.port());
    let limited = rate.check(peer.ip());
    if limited == Rate::Drop {
        gate::refused(
            peer,
            "far more connections from this address than --rate allows; closed without a word",
        );
        return None;
    }
    let startup = match shared.gate.enter(peer.ip()) {
        Ok(s) => s,
        Err(crowded) => {
            gate::refused(peer, &format!("{crowded}; closed"));
            // Text before the version line is allowed (RFC 4253, 4.2); a client that shows it
            // tells its user.
            let _ =
                socket.try_write(format!("qari: {crowded}; try again in a moment.\r\n").as_bytes());
            return None;
        }
    };
    let refusal = if limited == Rate::Refuse {
        Some(format!(
            "too many connections from {} (more than {} a minute); try again in a minute.",
            peer.ip(),
            opts.rate_per_minute
        ))
    } else if shared.gate.full() {
        Some(full_message(opts.max_sessions))
    } else {
        None
    };
    if let Some(why) = &refusal {
        gate::refused(peer, why);
    }
    let grace = if refusal.is_some() {
        opts.login_grace_time.min(REFUSAL_GRACE)
    } else {
        opts.login_grace_time
    };
    Some(Accepted {
        socket,
        peer,
        startup,
        refusal,
        grace,
    })
}

/// A connection let in at accept, and what it may do.
struct Accepted {
    socket: tokio::net::TcpStream,
    peer: SocketAddr,
    startup: gate::Startup,
    refusal: Option<String>,
    grace: Duration,
}

/// Runs one accepted connection: it has `grace` from now to log in (the client's version line,
/// the key exchange and the authentication), else it is disconnected and its socket cut.
fn spawn_connection(
    shared: &Arc<Shared>,
    config: &Arc<russh::server::Config>,
    live: &Arc<AtomicUsize>,
    accepted: Accepted,
) {
    let Accepted {
        socket,
        peer,
        startup,
        refusal,
        grace,
    } = accepted;
    let accepted_at = tokio::time::Instant::now();
    let deadline = accepted_at + grace;
    let _ = socket.set_nodelay(true);
    let (socket, cutter) = match gate::Cutter::new(socket) {
        Ok(x) => x,
        Err(e) => {
            tracing::warn!(peer = %peer, "the connection cannot be set up: {e}");
            return;
        }
    };
    let authed = Arc::new(AtomicBool::new(false));
    let (handle_tx, handle_rx) = watch::channel(None);
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
        startup: Some(startup),
        slot: None,
        refusal,
        forbidden: None,
        login: None,
        handle: handle_rx,
    };
    let config = Arc::clone(config);
    let live = Arc::clone(live);
    let mut shutdown = shared.shutdown.clone();
    live.fetch_add(1, Ordering::SeqCst);
    tokio::spawn(async move {
        // Up to the client's version line: dropping the future closes the socket.
        let started = tokio::select! {
            r = tokio::time::timeout_at(deadline, russh::server::run_stream(config, socket, conn)) => r,
            () = stopping(&mut shutdown) => {
                live.fetch_sub(1, Ordering::SeqCst);
                return;
            }
        };
        match started {
            Err(_) => gate::auth_timeout(peer, grace),
            Ok(Err(e)) => tracing::info!(
                peer = %peer,
                "handshake failed: {}",
                crate::escape::log(&e.to_string(), 200)
            ),
            Ok(Ok(running)) => {
                let _ = handle_tx.send(Some(running.handle()));
                let watch = Watch {
                    peer,
                    grace,
                    deadline,
                    authed,
                    cutter,
                    shutdown,
                };
                watch.run(running).await;
            }
        }
        // Its slots are free by now (the handler that held them is gone).
        gate::closed(peer, accepted_at.elapsed());
        live.fetch_sub(1, Ordering::SeqCst);
    });
}

/// What watches a running connection: the login grace time and the server's shutdown.
struct Watch {
    peer: SocketAddr,
    grace: Duration,
    deadline: tokio::time::Instant,
    authed: Arc<AtomicBool>,
    cutter: gate::Cutter,
    shutdown: watch::Receiver<bool>,
}

impl Watch {
    async fn run(mut self, running: russh::server::RunningSession<Conn>) {
        let handle = running.handle();
        tokio::pin!(running);
        let mut grace_over = false;
        loop {
            tokio::select! {
                r = &mut running => {
                    if let Err(e) = r {
                        tracing::info!(
                            peer = %self.peer,
                            "connection ended: {}",
                            crate::escape::log(&e.to_string(), 200)
                        );
                    }
                    return;
                }
                () = tokio::time::sleep_until(self.deadline), if !grace_over => {
                    grace_over = true;
                    if !self.authed.load(Ordering::SeqCst) {
                        gate::auth_timeout(self.peer, self.grace);
                        let why = format!("qari: no login within {} s; goodbye.", self.grace.as_secs());
                        close(&mut running, &handle, &why, &self.cutter).await;
                        return;
                    }
                }
                () = stopping(&mut self.shutdown) => break,
            }
        }
        // Shutdown: the session says goodbye itself, then the connection is closed (unless it
        // ended meanwhile: a finished connection is never polled again).
        if tokio::time::timeout(GOODBYE, &mut running).await.is_ok() {
            return;
        }
        close(
            &mut running,
            &handle,
            "qari: the server is shutting down; goodbye.",
            &self.cutter,
        )
        .await;
    }
}

/// Resolves when the server stops.
async fn stopping(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|stop| *stop).await;
}

/// Ends a connection: a disconnect with `why` (which the client prints) if russh can still
/// send one, then the socket cut if the connection has not ended by itself soon after.
async fn close(
    running: &mut std::pin::Pin<&mut russh::server::RunningSession<Conn>>,
    handle: &Handle,
    why: &str,
    cutter: &gate::Cutter,
) {
    let _ = tokio::time::timeout(
        Duration::from_millis(100),
        handle.disconnect(
            russh::Disconnect::ByApplication,
            why.to_owned(),
            "en".into(),
        ),
    )
    .await;
    if tokio::time::timeout(Duration::from_millis(200), &mut *running)
        .await
        .is_err()
    {
        cutter.cut();
        let _ = tokio::time::timeout(Duration::from_millis(200), &mut *running).await;
    }
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
        tracing::error!("panic: {}", crate::escape::log(&info.to_string(), 500));
    }));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_sizes_are_capped_and_zero_is_no_size() {
        use crate::screen::{MAX_COLS, MAX_ROWS};
        assert_eq!(peer_size(65535, 65535, (80, 24)), (MAX_COLS, MAX_ROWS));
        assert_eq!(peer_size(u32::MAX, 7, (80, 24)), (MAX_COLS, 7));
        assert_eq!(peer_size(0, 0, (80, 24)), (80, 24));
        assert_eq!(peer_size(0, 40, (120, 24)), (120, 40));
        assert_eq!(peer_size(100, 30, (80, 24)), (100, 30));
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
    fn a_term_is_a_short_name_or_escaped() {
        assert_eq!(clean_term("xterm-256color".to_owned()), "xterm-256color");
        assert_eq!(
            clean_term("screen.xterm+x_y".to_owned()),
            "screen.xterm+x_y"
        );
        assert_eq!(
            clean_term("x\u{1b}]52;c;eA==\u{7}".to_owned()),
            "x\\u{1b}]52;c;eA==\\u{7}"
        );
        let long = clean_term("A".repeat(30_000));
        assert!(
            long.len() < 100 && long.ends_with("…(30000 bytes)"),
            "{long}"
        );
    }

    #[test]
    fn zero_limits_are_refused() {
        let opts = ServeOptions {
            listen: "127.0.0.1:0".parse().unwrap(),
            authorized_keys: None,
            open: true,
            host_key: None,
            max_sessions: 1,
            rate_per_minute: 1,
            idle_timeout: Duration::from_secs(1),
            state_dir: None,
            log: None,
            login_grace_time: Duration::from_secs(1),
            max_startups: 1,
            max_startups_per_address: 1,
        };
        assert!(check_limits(&opts).is_ok());
        let e = check_limits(&ServeOptions {
            max_startups: 0,
            ..opts.clone()
        })
        .unwrap_err();
        assert_eq!(e.to_string(), "--max-startups must be at least 1");
        let e = check_limits(&ServeOptions {
            login_grace_time: Duration::ZERO,
            ..opts
        })
        .unwrap_err();
        assert_eq!(e.to_string(), "--login-grace-time must be longer than 0");
    }

    #[test]
    fn rate_limit_per_address() {
        let mut r = RateLimit {
            per_minute: 3,
            seen: HashMap::new(),
        };
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        for _ in 0..3 {
            assert_eq!(r.check(a), Rate::Allow);
        }
        // Over the limit: turned away with a message, as many times again; then dropped.
        for _ in 0..3 {
            assert_eq!(r.check(a), Rate::Refuse);
        }
        assert_eq!(r.check(a), Rate::Drop);
        assert_eq!(r.check(a), Rate::Drop);
        assert_eq!(r.seen[&a].len(), 6, "drops are not remembered");
        assert_eq!(r.check(b), Rate::Allow);
    }
}
