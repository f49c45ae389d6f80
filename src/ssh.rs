//! `qari serve`: the reader served over SSH, one app per session on a shared, read-only library.
//!
//! Built on russh (the `ring` backend) and tokio. Each session gets its own [`App`](crate::app::App), its own
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

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::config::Config;
use crate::library::Library;
use crate::search::SharedIndex;

pub mod gate;
mod handler;
mod hostkey;
mod input;
pub mod keys;
mod output;
mod server;
mod session;
mod supervisor;

pub use hostkey::host_key;
pub use input::KeyParser;
pub use output::SessionBackend;
pub use server::{log_panics, serve};

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
    /// Where the host key and earlier versions' per-user state files are (default: the XDG
    /// state directory).
    pub state_dir: Option<PathBuf>,
    /// The library database (`--db`; default [`crate::store::Db::default_path`]).
    pub db: Option<PathBuf>,
    /// Where logs go (default: stderr).
    pub log: Option<PathBuf>,
}

/// What every session shares.
struct Shared {
    lib: Arc<Library>,
    index: Arc<SharedIndex>,
    /// The library kept current while the server runs (none for the sample library): each
    /// session takes a newer one on its next wake.
    feed: Option<Arc<crate::library::Feed>>,
    config: Config,
    keys: Option<keys::AuthorizedKeys>,
    open: bool,
    state_dir: PathBuf,
    /// The library database every session keeps its key's reading state in.
    db: Option<PathBuf>,
    gate: Arc<gate::Gate>,
    shutdown: watch::Receiver<bool>,
    /// A session with no input for this long says goodbye.
    idle_timeout: Duration,
    /// Faults the tests inject; none in a shipped build.
    faults: Faults,
}

impl Shared {
    /// What the sessions of a server with `opts` on `lib` share, told to stop by `shutdown`.
    fn new(
        lib: Arc<Library>,
        config: Config,
        keys: Option<keys::AuthorizedKeys>,
        opts: &ServeOptions,
        state_dir: PathBuf,
        shutdown: watch::Receiver<bool>,
    ) -> Self {
        Self {
            lib,
            index: Arc::default(),
            feed: None,
            config,
            keys,
            open: opts.open,
            state_dir,
            db: crate::frontend::db_path(opts.db.as_deref()),
            gate: gate::Gate::new(gate::Limits {
                max_sessions: opts.max_sessions,
                max_startups: opts.max_startups,
                per_address: opts.max_startups_per_address,
            }),
            shutdown,
            idle_timeout: opts.idle_timeout,
            faults: Faults::default(),
        }
    }
}

/// Faults the in-crate tests inject through the server's settings, to check that one
/// session's failure stays its own. A shipped build has no field here and no fault.
#[derive(Debug, Clone, Default)]
struct Faults {
    /// F12 panics the session that reads it.
    #[cfg(test)]
    panic_on_f12: bool,
    /// Logging in (the "none" method) as this user blocks the runtime thread that handles
    /// it, for this long.
    #[cfg(test)]
    stall: Option<(String, Duration)>,
    /// How many runtime threads such logins block now.
    #[cfg(test)]
    stalled: Arc<std::sync::atomic::AtomicUsize>,
}

#[cfg(test)]
mod tests;
