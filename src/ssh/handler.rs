//! One connection's russh handler: authentication (keys, `--open`, the gate's slots), the
//! session's requests (pty, environment, shell; everything else refused with a reason), and its
//! input and window changes handed to the session's mailbox.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use russh::keys::{HashAlg, PublicKey};
use russh::server::{Auth, ChannelOpenHandle, Handle, Msg, Session};
use russh::{Channel, ChannelId, Pty};
use tokio::sync::watch;

use super::session::{Inlet, Mailbox};
use super::supervisor::{StartSession, supervise};
use super::{Shared, gate, keys};

/// One connection.
pub(super) struct Conn {
    pub(super) shared: Arc<Shared>,
    pub(super) peer: Option<SocketAddr>,
    pub(super) user: String,
    pub(super) fingerprint: Option<String>,
    pub(super) authed: Arc<AtomicBool>,
    pub(super) channel: Option<ChannelId>,
    pub(super) pty: Option<(String, u16, u16)>,
    pub(super) env: HashMap<String, String>,
    /// Where input and window changes go, once the reader runs.
    pub(super) events: Option<Inlet>,
    /// Held from accept until login.
    pub(super) startup: Option<gate::Startup>,
    /// Held from login on.
    pub(super) slot: Option<gate::SessionSlot>,
    /// The connection is turned away with this message at the first chance (rate limit, full
    /// server).
    pub(super) refusal: Option<String>,
    /// The key's `authorized_keys` line refuses its session with this message.
    pub(super) forbidden: Option<String>,
    /// How the connection logged in, as whom (as sent) and with which key.
    pub(super) login: Option<(&'static str, String, Option<PublicKey>)>,
    /// The connection's handle, once russh has one.
    pub(super) handle: watch::Receiver<Option<Handle>>,
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
        #[cfg(test)]
        if let Some((stalled, d)) = &self.shared.faults.stall
            && stalled == user
        {
            use std::sync::atomic::Ordering;
            self.shared.faults.stalled.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(*d);
            self.shared.faults.stalled.fetch_sub(1, Ordering::SeqCst);
        }
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
pub(super) fn verdict_reason(v: &keys::Verdict) -> String {
    match v {
        keys::Verdict::Unknown => "the key is not in authorized_keys".to_owned(),
        keys::Verdict::Denied(why) => why.clone(),
        keys::Verdict::Allowed { .. } => "allowed".to_owned(),
    }
}

/// What a client hears when every session slot is taken.
pub(super) fn full_message(max: usize) -> String {
    format!("the server is full ({max} readers at once); try again later.")
}

/// `TERM` as the rest of the server may use and log it: a terminal type is a short name; any
/// other value is escaped and capped (it then names no known terminal, and gets plain colours).
pub(super) fn clean_term(term: String) -> String {
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

pub(super) fn clamp16(n: u32) -> u16 {
    u16::try_from(n).unwrap_or(u16::MAX)
}

/// A size from the peer (pty request or window change), held to the screen's cap before
/// anything is allocated for it; a zero dimension keeps `current`.
pub(super) fn peer_size(cols: u32, rows: u32, current: (u16, u16)) -> (u16, u16) {
    let cols = if cols == 0 { current.0 } else { clamp16(cols) };
    let rows = if rows == 0 { current.1 } else { clamp16(rows) };
    crate::screen::clamp_size(cols, rows)
}
