//! A session's life: its settings from its own client's terminal, its app and reading state, a
//! thread of its own running the loop of [`super::session`], and a panic in it turned into a
//! goodbye and a log line, never the server's end.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::{Duration, Instant};

use ratatui::layout::Size;
use russh::ChannelId;
use russh::server::Handle;
use tokio::sync::mpsc;

use crate::app::{App, Input};
use crate::screen::Screen;
use crate::store::Shelf;
use crate::ui::Theme;

use super::output::{ChannelWriter, SessionBackend, send_raw, spawn_writer};
use super::session::{self, End, Mailbox};
use super::{GOODBYE, Shared};

/// Everything a session task needs.
pub(super) struct StartSession {
    pub(super) mailbox: Arc<Mailbox>,
    pub(super) shared: Arc<Shared>,
    pub(super) handle: Handle,
    pub(super) channel: ChannelId,
    pub(super) term: String,
    pub(super) size: (u16, u16),
    pub(super) env: HashMap<String, String>,
    pub(super) user: String,
    pub(super) fingerprint: Option<String>,
    pub(super) peer: String,
}

/// A session's settings: the server's config file with its own client's terminal (the `TERM`
/// of its pty request, the `QARI_BIDI`, `MLTERM`, `COLORTERM` and `NO_COLOR` it sent), never
/// the server's own environment.
pub(super) fn session_settings(
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
pub(super) fn session_app(
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
    if let Some(feed) = &shared.feed {
        // A library newer than the one first read comes in on the first wake.
        app.follow(Arc::clone(feed));
        app.poll_background();
    }
    if let Some(w) = warning {
        app.set_message(w);
    }
    app.handle(Input::Resize(size.0, size.1));
    (app, settings.theme)
}

/// Marks the session's mailbox ended when its thread ends, also by a panic.
pub(super) struct EndGuard(Arc<Mailbox>);

impl Drop for EndGuard {
    fn drop(&mut self) {
        self.0.end();
    }
}

pub(super) type SessionResult = std::thread::Result<anyhow::Result<String>>;

/// Runs a session on a thread of its own and makes sure a panic in it ends only it, logged.
pub(super) async fn supervise(start: StartSession) {
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
    let (writer, out_tx, queued) = {
        let mailbox = Arc::clone(&mailbox);
        spawn_writer(handle.clone(), channel, move || mailbox.sent())
    };
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

/// The reading state of the key `fingerprint` (its own connection to the database; the
/// state file an earlier version kept for the key imported once); in memory for `--open`.
pub(super) fn user_store(shared: &Shared, fingerprint: Option<&str>) -> (Shelf, Option<String>) {
    match fingerprint {
        Some(fp) if !shared.open => {
            let name: String = fp
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect();
            let legacy = shared.state_dir.join("users").join(format!("{name}.json"));
            crate::frontend::open_shelf(
                shared.db.as_deref(),
                crate::store::Reader::ssh(fp),
                Some(&legacy),
                &shared.lib,
            )
        }
        _ => (Shelf::in_memory(), None),
    }
}

/// A session's loop, on its own thread: its app, its screen, its goodbye.
pub(super) fn run_session(
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
    let backend = SessionBackend::new(
        ChannelWriter {
            buf: Vec::new(),
            tx: out_tx.clone(),
            queued: Arc::clone(queued),
        },
        opts.mode,
        Size::new(size.0, size.1),
    );
    let modes = crate::terminal::Modes {
        bidi: opts.mode,
        mouse: app.mouse(),
    };
    send_raw(out_tx, queued, modes.enter().into_bytes());
    let mut screen = Screen::new(backend, theme)?;
    let idle = shared.idle_timeout;
    let end = session::run(&mut app, &mut screen, &mailbox, idle, &shared.faults)?;
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
