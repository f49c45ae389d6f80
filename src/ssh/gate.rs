//! The door of `qari serve`: how many connections may be on their way in, who is let through,
//! and the log lines that say so.
//!
//! A connection holds a *pre-authentication* slot from accept until it logs in (at most
//! `--max-startups` at once, `--max-startups-per-address` of them from one address, like sshd's
//! `MaxStartups` and `PerSourceMaxStartups`), and only then a session slot (`--max-sessions`).
//! Silent or stalled connections therefore never take a reader's place, and the login grace time
//! closes them.
//!
//! The lines logged here have a fixed format, for people and for fail2ban:
//!
//! ```text
//! auth failed: from ADDR port PORT method METHOD user "USER" key ALGORITHM FINGERPRINT reason "WHY"
//! auth timeout: from ADDR port PORT after SECONDS s without a login
//! auth ok: from ADDR port PORT method METHOD user "USER" key ALGORITHM FINGERPRINT client "VERSION"
//! refused: from ADDR port PORT reason "WHY"
//! connection closed: from ADDR port PORT after SECONDS s
//! ```
//!
//! The address always comes first, before anything the client chose; `USER`, `VERSION` and
//! `WHY` go through [`crate::escape::log`] (quotes, backslashes and controls escaped, length
//! capped), so a field can neither end early nor forge a line.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use russh::keys::{HashAlg, PublicKey};

/// The longest user name written to the log, in characters.
pub const LOG_USER_CHARS: usize = 64;
/// The longest client version written to the log, in characters.
pub const LOG_CLIENT_CHARS: usize = 128;

/// The limits of the door.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Logged-in connections at once.
    pub max_sessions: usize,
    /// Connections not logged in yet, at once.
    pub max_startups: usize,
    /// Of those, from one address.
    pub per_address: usize,
}

#[derive(Debug, Default)]
struct Counts {
    startups: usize,
    per_address: HashMap<IpAddr, usize>,
    sessions: usize,
}

/// Counts of connections on their way in and logged in.
#[derive(Debug)]
pub struct Gate {
    limits: Limits,
    counts: Mutex<Counts>,
}

/// Why a connection gets no pre-authentication slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Crowded {
    /// `--max-startups` connections are waiting to log in.
    Total(usize),
    /// `--max-startups-per-address` of them are from this address.
    Address(usize),
}

impl std::fmt::Display for Crowded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Total(n) => write!(f, "{n} connections are waiting to log in"),
            Self::Address(n) => {
                write!(f, "{n} connections from this address are waiting to log in")
            }
        }
    }
}

impl Gate {
    /// A door with these limits.
    pub fn new(limits: Limits) -> Arc<Self> {
        Arc::new(Self {
            limits,
            counts: Mutex::default(),
        })
    }

    fn counts(&self) -> MutexGuard<'_, Counts> {
        // The counts stay consistent whatever panicked while holding them: every change is one
        // statement.
        self.counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A pre-authentication slot for a connection from `ip`, if one is free.
    pub fn enter(self: &Arc<Self>, ip: IpAddr) -> Result<Startup, Crowded> {
        let mut c = self.counts();
        if c.startups >= self.limits.max_startups {
            return Err(Crowded::Total(self.limits.max_startups));
        }
        let mine = c.per_address.get(&ip).copied().unwrap_or(0);
        if mine >= self.limits.per_address {
            return Err(Crowded::Address(self.limits.per_address));
        }
        c.startups += 1;
        c.per_address.insert(ip, mine + 1);
        Ok(Startup {
            gate: Arc::clone(self),
            ip,
        })
    }

    /// Logged-in connections now.
    pub fn sessions(&self) -> usize {
        self.counts().sessions
    }

    /// Whether every session slot is taken.
    pub fn full(&self) -> bool {
        self.sessions() >= self.limits.max_sessions
    }

    /// The session limit.
    pub fn max_sessions(&self) -> usize {
        self.limits.max_sessions
    }

    /// Connections waiting to log in now.
    pub fn startups(&self) -> usize {
        self.counts().startups
    }
}

/// A pre-authentication slot, freed when dropped.
#[derive(Debug)]
pub struct Startup {
    gate: Arc<Gate>,
    ip: IpAddr,
}

impl Startup {
    /// Trades this slot for a session slot; gives it back when the server is full.
    pub fn promote(self) -> Result<SessionSlot, Self> {
        {
            let mut c = self.gate.counts();
            if c.sessions >= self.gate.limits.max_sessions {
                drop(c);
                return Err(self);
            }
            c.sessions += 1;
        }
        Ok(SessionSlot {
            gate: Arc::clone(&self.gate),
        })
    }
}

impl Drop for Startup {
    fn drop(&mut self) {
        let mut c = self.gate.counts();
        c.startups = c.startups.saturating_sub(1);
        if let Some(n) = c.per_address.get_mut(&self.ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                c.per_address.remove(&self.ip);
            }
        }
    }
}

/// A session slot, freed when dropped.
#[derive(Debug)]
pub struct SessionSlot {
    gate: Arc<Gate>,
}

impl Drop for SessionSlot {
    fn drop(&mut self) {
        let mut c = self.gate.counts();
        c.sessions = c.sessions.saturating_sub(1);
    }
}

/// A second handle on a connection's socket that can cut it off from outside the task that
/// owns it (a client that stalls its key exchange, a session that will not end at shutdown).
#[derive(Debug)]
pub struct Cutter(std::net::TcpStream);

impl Cutter {
    /// The socket back, and its cutter.
    pub fn new(socket: tokio::net::TcpStream) -> std::io::Result<(tokio::net::TcpStream, Self)> {
        let std = socket.into_std()?;
        let twin = std.try_clone()?;
        Ok((tokio::net::TcpStream::from_std(std)?, Self(twin)))
    }

    /// Shuts the socket down both ways: reads see the end, writes fail, at once.
    pub fn cut(&self) {
        let _ = self.0.shutdown(std::net::Shutdown::Both);
    }
}

/// `ADDR port PORT` with an IPv4-mapped address shown as IPv4.
fn from(peer: SocketAddr) -> String {
    format!("{} port {}", peer.ip().to_canonical(), peer.port())
}

/// `ALGORITHM FINGERPRINT`, or `-`.
fn key_text(key: Option<&PublicKey>) -> String {
    key.map_or_else(
        || "-".to_owned(),
        |k| {
            format!(
                "{} {}",
                k.algorithm().as_str(),
                k.fingerprint(HashAlg::Sha256)
            )
        },
    )
}

/// The line for a failed authentication.
pub fn auth_failed_line(
    peer: SocketAddr,
    method: &str,
    user: &str,
    key: Option<&PublicKey>,
    reason: &str,
) -> String {
    format!(
        "auth failed: from {} method {} user \"{}\" key {} reason \"{}\"",
        from(peer),
        crate::escape::log(method, 32),
        crate::escape::log(user, LOG_USER_CHARS),
        key_text(key),
        crate::escape::log(reason, 300),
    )
}

/// Logs a failed authentication (WARN).
pub fn auth_failed(
    peer: SocketAddr,
    method: &str,
    user: &str,
    key: Option<&PublicKey>,
    reason: &str,
) {
    tracing::warn!("{}", auth_failed_line(peer, method, user, key, reason));
}

/// Logs a connection that did not log in within the grace time (WARN).
pub fn auth_timeout(peer: SocketAddr, grace: Duration) {
    tracing::warn!(
        "auth timeout: from {} after {} s without a login",
        from(peer),
        grace.as_secs()
    );
}

/// Logs a login (INFO).
pub fn auth_ok(peer: SocketAddr, method: &str, user: &str, key: Option<&PublicKey>, client: &str) {
    tracing::info!(
        "auth ok: from {} method {} user \"{}\" key {} client \"{}\"",
        from(peer),
        method,
        crate::escape::log(user, LOG_USER_CHARS),
        key_text(key),
        crate::escape::log(client, LOG_CLIENT_CHARS),
    );
}

/// Logs the end of a connection, whatever it was (INFO).
pub fn closed(peer: SocketAddr, after: Duration) {
    tracing::info!(
        "connection closed: from {} after {:.1} s",
        from(peer),
        after.as_secs_f64()
    );
}

/// Logs a connection turned away (WARN).
pub fn refused(peer: SocketAddr, reason: &str) {
    tracing::warn!(
        "refused: from {} reason \"{}\"",
        from(peer),
        crate::escape::log(reason, 300)
    );
}

/// Connections a minute per address.
pub(crate) struct RateLimit {
    pub(crate) per_minute: usize,
    pub(crate) seen: HashMap<IpAddr, VecDeque<Instant>>,
}

/// What the rate limit says of a new connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rate {
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

    pub(crate) fn check(&mut self, ip: IpAddr) -> Rate {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn startups_per_address_and_in_all_then_sessions() {
        let gate = Gate::new(Limits {
            max_sessions: 1,
            max_startups: 3,
            per_address: 2,
        });
        let a1 = gate.enter(ip("10.0.0.1")).unwrap();
        let a2 = gate.enter(ip("10.0.0.1")).unwrap();
        assert_eq!(gate.enter(ip("10.0.0.1")).unwrap_err(), Crowded::Address(2));
        let b1 = gate.enter(ip("10.0.0.2")).unwrap();
        assert_eq!(gate.enter(ip("10.0.0.3")).unwrap_err(), Crowded::Total(3));
        // A login frees its startup slot and takes the one session slot.
        let s1 = a1.promote().unwrap();
        assert_eq!((gate.startups(), gate.sessions()), (2, 1));
        assert!(gate.full());
        let c1 = gate.enter(ip("10.0.0.3")).unwrap();
        // The server is full: the startup slot comes back.
        let a2 = a2.promote().unwrap_err();
        drop(s1);
        assert!(!gate.full());
        let s2 = a2.promote().unwrap();
        drop((b1, c1, s2));
        assert_eq!((gate.startups(), gate.sessions()), (0, 0));
        assert!(gate.counts().per_address.is_empty());
    }

    #[test]
    fn the_failure_line_keeps_the_address_first_and_the_fields_escaped() {
        let peer: SocketAddr = "[::ffff:127.0.0.1]:4242".parse().unwrap();
        let line = auth_failed_line(
            peer,
            "publickey",
            "x\" from 10.0.0.1 port 1\n\u{1b}]52;c;eA==\u{7}",
            None,
            "unknown key",
        );
        assert_eq!(
            line,
            "auth failed: from 127.0.0.1 port 4242 method publickey user \"x\\\" from 10.0.0.1 port 1\\n\\u{1b}]52;c;eA==\\u{7}\" key - reason \"unknown key\""
        );
        let long = "u".repeat(30_000);
        assert!(auth_failed_line(peer, "publickey", &long, None, "r").len() < 200);
    }
}
