//! The listener: limits checked, the library opened as every command opens it, connections
//! accepted (rate limit, startup slots, login grace time), signals heard on a thread of their
//! own, and the shutdown with a goodbye to every session.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use russh::keys::{HashAlg, PrivateKey};
use russh::server::Handle;
use tokio::sync::watch;

use super::gate::{self, Rate, RateLimit};
use super::handler::{Conn, full_message};
use super::hostkey::host_key;
use super::keys;
use super::{GOODBYE, IDLE_BACKSTOP, REFUSAL_GRACE, STOP_WAIT, ServeOptions, Shared};

/// Checks the limits given to `serve`: a zero would turn everyone away.
pub(super) fn check_limits(opts: &ServeOptions) -> anyhow::Result<()> {
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
        .or_else(|| {
            crate::store::legacy::default_path().and_then(|p| p.parent().map(Path::to_path_buf))
        })
        .unwrap_or_else(|| PathBuf::from("."));
    let key_path = opts
        .host_key
        .clone()
        .unwrap_or_else(|| state_dir.join("host_ed25519"));
    let (key, created) = host_key(&key_path)?;
    let (config, warning) = crate::frontend::config();
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
    // From the database's catalog when it holds the library (the watcher then reads what
    // changed), else from the files.
    let db = crate::frontend::db_path(opts.db.as_deref());
    let (lib, db_note) = crate::frontend::open_library_from(&settings.library, db.as_deref());
    if let Some(note) = db_note {
        tracing::warn!("{}", crate::escape::log(&note, 400));
    }
    // Files skipped are logged; warnings about files that loaded (an article without a date)
    // are for `qari check`, not the server's log.
    for p in lib.problems().iter().filter(|p| p.unusable) {
        tracing::warn!("{p}");
    }
    // Colours are decided per session from its own TERM/COLORTERM/NO_COLOR: crossterm's
    // process-wide NO_COLOR check must not decide for everyone.
    crossterm::style::force_color_output(true);
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let lib = Arc::new(lib);
    // One watcher for every session.
    let feed = (!settings.library.is_empty())
        .then(|| crate::library::watch(settings.library.clone(), Arc::clone(&lib)));
    // Searches go through the library database, brought up to date from the start.
    let index = match db.filter(|_| !settings.library.is_empty()) {
        Some(db) => {
            let index = Arc::new(crate::search::SharedIndex::with_finder(
                crate::store::finder::maker(db, settings.library.clone()),
            ));
            index.build_in_background(Arc::clone(&lib));
            index
        }
        None => Arc::default(),
    };
    let shared = Arc::new(Shared {
        index,
        feed,
        ..Shared::new(lib, config, keys, opts, state_dir, shutdown_rx)
    });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let (stop_tx, stop_rx) = watch::channel(false);
    let done = Arc::new(AtomicBool::new(false));
    watch_signals(stop_tx, Arc::clone(&done))?;
    let result = rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(opts.listen)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {} ({e})", opts.listen))?;
        run_server(
            shared,
            listener,
            HostKey {
                private: key,
                created,
                path: key_path,
            },
            opts.clone(),
            Stop {
                signal: stop_rx,
                shutdown: shutdown_tx,
            },
        )
        .await
    });
    // Work still running on the runtime (a session that does not end) is not waited for.
    rt.shutdown_timeout(Duration::from_millis(50));
    done.store(true, Ordering::SeqCst);
    result
}

/// How the server is told to stop, and tells its sessions.
pub(super) struct Stop {
    /// Set by SIGTERM or SIGINT.
    pub(super) signal: watch::Receiver<bool>,
    /// Set for the sessions to say goodbye.
    pub(super) shutdown: watch::Sender<bool>,
}

/// SIGTERM and SIGINT, on a thread of their own: they are heard even when every runtime
/// thread is busy (a session stuck in work), and if the server has not stopped in time after
/// one, the process exits all the same.
pub(super) fn watch_signals(
    stop: watch::Sender<bool>,
    done: Arc<AtomicBool>,
) -> anyhow::Result<()> {
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
            stop_or_exit(&stop, &done, || std::process::exit(0));
        })?;
    Ok(())
}

/// Tells the server to stop and waits for it to be `done`; if it is not in time (every
/// runtime thread stuck in work), calls `exit` all the same.
pub(super) fn stop_or_exit(stop: &watch::Sender<bool>, done: &AtomicBool, exit: impl FnOnce()) {
    let _ = stop.send(true);
    let deadline = Instant::now() + STOP_WAIT + Duration::from_millis(50);
    while !done.load(Ordering::SeqCst) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    if !done.load(Ordering::SeqCst) {
        tracing::warn!("work still running at shutdown; exiting without it");
        exit();
    }
}

/// The server's host key, and whether it was made now (and saved to `path`).
pub(super) struct HostKey {
    pub(super) private: PrivateKey,
    pub(super) created: bool,
    pub(super) path: PathBuf,
}

/// Serves on `listener` until `stop` says so, then says goodbye to every session.
pub(super) async fn run_server(
    shared: Arc<Shared>,
    listener: tokio::net::TcpListener,
    key: HostKey,
    opts: ServeOptions,
    mut stop: Stop,
) -> anyhow::Result<()> {
    let HostKey {
        private: key,
        created,
        path: key_path,
    } = key;
    let fp = key.public_key().fingerprint(HashAlg::Sha256);
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
pub(super) fn let_in(
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
pub(super) struct Accepted {
    pub(super) socket: tokio::net::TcpStream,
    pub(super) peer: SocketAddr,
    pub(super) startup: gate::Startup,
    pub(super) refusal: Option<String>,
    pub(super) grace: Duration,
}

/// Runs one accepted connection: it has `grace` from now to log in (the client's version line,
/// the key exchange and the authentication), else it is disconnected and its socket cut.
pub(super) fn spawn_connection(
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
pub(super) struct Watch {
    pub(super) peer: SocketAddr,
    pub(super) grace: Duration,
    pub(super) deadline: tokio::time::Instant,
    pub(super) authed: Arc<AtomicBool>,
    pub(super) cutter: gate::Cutter,
    pub(super) shutdown: watch::Receiver<bool>,
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
pub(super) async fn stopping(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|stop| *stop).await;
}

/// Ends a connection: a disconnect with `why` (which the client prints) if russh can still
/// send one, then the socket cut if the connection has not ended by itself soon after.
pub(super) async fn close(
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

/// Sends the log to `file` (appended) or stderr; installs no panic hook (the binary does,
/// see [`log_panics`]).
pub(super) fn init_logging(file: Option<&Path>) -> anyhow::Result<()> {
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
    Ok(())
}

/// Makes every panic a line of the log (escaped and capped) instead of text on stderr: for the
/// binary to install at its edge once logging is set up (a session's panic ends only it, and
/// its line is all that is left of it).
pub fn log_panics() {
    std::panic::set_hook(Box::new(|info| {
        let report = crate::frontend::panic_report(info);
        tracing::error!("panic: {}", crate::escape::log(&report, 500));
    }));
}
