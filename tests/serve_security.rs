//! `qari serve` against hostile and careless clients and operators, driven by the real OpenSSH
//! client (`ssh`, `ssh-keygen`): the pre-authentication limits and the login grace time, the
//! key types, the `authorized_keys` options, the log lines, the host key checks, the limits
//! refused at start, the messages of a full server and of the rate limit, and shutdown.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use portable_pty::CommandBuilder;

#[path = "support/openssh.rs"]
mod openssh;
use openssh::have_ssh;

#[path = "support/pty.rs"]
#[allow(dead_code, reason = "each user of the harness uses part of it")]
mod pty;

const WAIT: Duration = Duration::from_secs(20);

/// `ssh-keygen -t TYPE [-b BITS] -N PASSPHRASE -f PATH`.
fn keygen(path: &Path, kind: &str, bits: Option<u32>, passphrase: &str) {
    let mut c = Command::new("ssh-keygen");
    c.args(["-q", "-t", kind, "-N", passphrase, "-C", "test"]);
    if let Some(b) = bits {
        c.args(["-b", &b.to_string()]);
    }
    let ok = c
        .arg("-f")
        .arg(path)
        .status()
        .expect("ssh-keygen runs")
        .success();
    assert!(ok, "ssh-keygen -t {kind}");
}

/// A folder with a small library, a client key (`client`) and a stranger's (`stranger`).
struct Dir {
    dir: tempfile::TempDir,
}

impl Dir {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let lib = dir.path().join("library");
        std::fs::create_dir(&lib).unwrap();
        let assets = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/articles");
        for f in ["000_c76da13a58358bbb.txt", "0100.txt", "0024.txt"] {
            std::fs::copy(assets.join(f), lib.join(f)).unwrap();
        }
        keygen(&dir.path().join("client"), "ed25519", None, "");
        keygen(&dir.path().join("stranger"), "ed25519", None, "");
        let me = Self { dir };
        let key = me.public("client");
        me.write_keys(&key);
        me
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn public(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(&format!("{name}.pub")))
            .unwrap()
            .trim()
            .to_owned()
    }

    fn write_keys(&self, text: &str) {
        std::fs::write(self.path("authorized_keys"), format!("{text}\n")).unwrap();
    }

    fn command(&self, extra: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_qari"));
        c.arg("serve")
            .arg(self.path("library"))
            .args(["--listen", "127.0.0.1:0", "--authorized-keys"])
            .arg(self.path("authorized_keys"));
        if !extra.contains(&"--host-key") {
            c.arg("--host-key").arg(self.path("host_key"));
        }
        c.arg("--state-dir")
            .arg(self.path("state"))
            .arg("--db")
            .arg(self.path("state/library.db"))
            .arg("--log")
            .arg(self.path("log"))
            .args(extra)
            .env("QARI_CONFIG", self.path("none.toml"));
        c
    }

    /// Starts the server; panics with its message if it does not start.
    fn start(&self, extra: &[&str]) -> Server {
        let mut child = self
            .command(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let first = lines.next().and_then(Result::ok).unwrap_or_default();
        let port = first
            .split(" on 127.0.0.1:")
            .nth(1)
            .and_then(|r| r.split(';').next())
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("the server did not start: {first:?}"));
        std::thread::spawn(move || for _ in lines {});
        Server {
            child,
            port,
            log: self.path("log"),
            dir: self.dir.path().to_owned(),
        }
    }

    /// Runs the server expecting it to refuse to start.
    fn start_fails(&self, extra: &[&str]) -> Output {
        self.command(extra).stdin(Stdio::null()).output().unwrap()
    }
}

struct Server {
    child: Child,
    port: u16,
    log: PathBuf,
    dir: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn ssh_args(&self, key: &str) -> Vec<String> {
        let mut v: Vec<String> = vec!["-p".into(), self.port.to_string(), "-i".into()];
        v.push(self.dir.join(key).display().to_string());
        for o in [
            "StrictHostKeyChecking=no",
            "UserKnownHostsFile=/dev/null",
            "BatchMode=yes",
            "LogLevel=ERROR",
            "IdentitiesOnly=yes",
            "ConnectTimeout=20",
        ] {
            v.push("-o".into());
            v.push(o.into());
        }
        v.push("-F".into());
        v.push("/dev/null".into());
        v
    }

    /// `ssh … read@127.0.0.1 true` with `key` and `opts`: the command is always refused after a
    /// login ("commands are refused", exit 1), so the outcome tells whether the login worked.
    fn login(&self, key: &str, opts: &[&str]) -> Output {
        Command::new("ssh")
            .args(self.ssh_args(key))
            .args(opts)
            .args(["read@127.0.0.1", "true"])
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    /// `ssh -tt … read@127.0.0.1` under a pty.
    fn reader(&self, key: &str, term: &str, opts: &[&str]) -> pty::Term {
        let mut cmd = CommandBuilder::new("ssh");
        cmd.arg("-tt");
        for a in self.ssh_args(key) {
            cmd.arg(a);
        }
        for o in opts {
            cmd.arg(o);
        }
        cmd.arg("read@127.0.0.1");
        cmd.env("TERM", term);
        pty::Term::spawn(cmd, 80, 24)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until the log has a line containing every one of `parts`; returns the line.
    fn log_line(&self, parts: &[&str]) -> String {
        let end = Instant::now() + WAIT;
        loop {
            if let Some(l) = self
                .log()
                .lines()
                .find(|l| parts.iter().all(|p| l.contains(p)))
            {
                return l.to_owned();
            }
            assert!(
                Instant::now() < end,
                "no log line with {parts:?} in:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until the log says `n` connections were closed.
    fn wait_closed(&self, n: usize) {
        let end = Instant::now() + WAIT;
        while self.log().matches("INFO connection closed: from").count() < n {
            assert!(Instant::now() < end, "{}", self.log());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// Waits for the server process to exit; its exit status, if it did.
    fn wait_exit(&mut self, max: Duration) -> Option<std::process::ExitStatus> {
        let end = Instant::now() + max;
        while Instant::now() < end {
            if let Some(s) = self.child.try_wait().unwrap() {
                return Some(s);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        None
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Whether the login worked: the command is refused only after one.
fn logged_in(out: &Output) -> bool {
    out.status.code() == Some(1) && text(&out.stderr).contains("commands are refused")
}

/// A TCP connection to `server` from the loopback address `from`.
fn connect_from(from: [u8; 4], server: SocketAddr) -> TcpStream {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let s = rt.block_on(async {
        let sock = tokio::net::TcpSocket::new_v4().unwrap();
        sock.bind(SocketAddr::from((from, 0))).unwrap();
        sock.connect(server).await.unwrap()
    });
    let s = s.into_std().unwrap();
    s.set_nonblocking(false).unwrap();
    s
}

/// The first line the server sends on `s`.
fn first_line(s: &mut TcpStream) -> String {
    s.set_read_timeout(Some(WAIT)).unwrap();
    let mut got = Vec::new();
    let mut byte = [0u8; 1];
    while !got.ends_with(b"\n") {
        match s.read(&mut byte) {
            Ok(1) => got.push(byte[0]),
            _ => break,
        }
    }
    text(&got)
}

/// What a socket received in `wait`, and whether the server closed it.
fn drain(s: &mut TcpStream, wait: Duration) -> (Vec<u8>, bool) {
    let end = Instant::now() + wait;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return (got, false);
        }
        s.set_read_timeout(Some(left)).unwrap();
        match s.read(&mut buf) {
            Ok(0) => return (got, true),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return (got, false);
            }
            Err(_) => return (got, true),
        }
    }
}

#[test]
fn silent_sockets_do_not_lock_readers_out() {
    if !have_ssh() {
        return;
    }
    let d = Dir::new();
    let s = d.start(&[]);
    // 64 sockets that never log in: 40 from 127.0.0.2 (past its 32 startup slots), 24 from
    // 127.0.0.3; every third one sends a version line and then nothing.
    let mut socks: Vec<([u8; 4], TcpStream)> = Vec::new();
    for k in 0..64 {
        let from = if k < 40 {
            [127, 0, 0, 2]
        } else {
            [127, 0, 0, 3]
        };
        let mut sock = connect_from(from, s.addr());
        if k % 3 == 0 {
            sock.write_all(b"SSH-2.0-x\r\n").unwrap();
        }
        socks.push((from, sock));
    }
    let mut closed = [0usize; 4];
    for (from, sock) in &mut socks {
        // The first line says which: the server's version (held, waiting for a key exchange
        // that never comes), or why it is closed, then the end.
        let line = first_line(sock);
        if line.starts_with("qari: ") {
            assert!(
                line.starts_with("qari: 32 connections from this address are waiting"),
                "{line:?}"
            );
            assert!(drain(sock, WAIT).1, "closed after the message");
            closed[usize::from(from[3])] += 1;
        } else {
            assert!(line.starts_with("SSH-2.0-"), "{line:?}");
        }
    }
    assert_eq!(
        closed[2], 8,
        "the sockets past the per-address limit are closed"
    );
    assert_eq!(closed[3], 0);
    // A real reader gets in all the same, and reads.
    let mut t = s.reader("client", "xterm-256color", &[]);
    assert!(t.wait_for("3 articles", WAIT), "{}", t.screen());
    t.send(b"q");
    assert_eq!(t.wait_exit(WAIT), Some(0));
    s.log_line(&["refused: from 127.0.0.2 port", "waiting to log in; closed"]);
}

#[test]
fn the_login_grace_time_closes_what_does_not_log_in_and_spares_sessions() {
    if !have_ssh() {
        return;
    }
    let d = Dir::new();
    let s = d.start(&["--login-grace-time", "5s"]);
    let mut silent = connect_from([127, 0, 0, 1], s.addr());
    let mut versioned = connect_from([127, 0, 0, 1], s.addr());
    versioned.write_all(b"SSH-2.0-x\r\n").unwrap();
    let mut t = s.reader("client", "xterm-256color", &[]);
    assert!(t.wait_for("3 articles", WAIT), "{}", t.screen());
    let started = Instant::now();
    for sock in [&mut silent, &mut versioned] {
        let (_, eof) = drain(sock, WAIT);
        assert!(eof, "a connection that did not log in is still open");
    }
    eprintln!("closed {:?} after the reader logged in", started.elapsed());
    s.log_line(&[
        "WARN auth timeout: from 127.0.0.1 port",
        "after 5 s without a login",
    ]);
    // The logged-in session outlives the grace time.
    std::thread::sleep(Duration::from_millis(500));
    t.send(b"\r");
    assert!(t.wait_for("%", WAIT), "{}", t.screen());
    t.send(b"q");
    assert_eq!(t.wait_exit(WAIT), Some(0));
}

#[test]
fn every_default_key_type_of_openssh_logs_in_and_a_wrong_key_does_not() {
    if !have_ssh() {
        return;
    }
    let d = Dir::new();
    let kinds: &[(&str, &str, Option<u32>, &[&str])] = &[
        ("ed", "ed25519", None, &["ssh-ed25519"]),
        ("p256", "ecdsa", Some(256), &["ecdsa-sha2-nistp256"]),
        ("p384", "ecdsa", Some(384), &["ecdsa-sha2-nistp384"]),
        ("p521", "ecdsa", Some(521), &["ecdsa-sha2-nistp521"]),
        (
            "rsa2048",
            "rsa",
            Some(2048),
            &["rsa-sha2-256", "rsa-sha2-512"],
        ),
        (
            "rsa4096",
            "rsa",
            Some(4096),
            &["rsa-sha2-256", "rsa-sha2-512"],
        ),
    ];
    let mut keys = Vec::new();
    for (name, kind, bits, _) in kinds {
        keygen(&d.path(name), kind, *bits, "");
        keys.push(d.public(name));
    }
    d.write_keys(&keys.join("\n"));
    // Host keys of the three families, each offered alone.
    for (host, kind, bits, algs) in [
        ("host_ed", "ed25519", None, &["ssh-ed25519"][..]),
        (
            "host_ecdsa",
            "ecdsa",
            Some(256),
            &["ecdsa-sha2-nistp256"][..],
        ),
        (
            "host_rsa",
            "rsa",
            Some(3072),
            &["rsa-sha2-512", "rsa-sha2-256"][..],
        ),
    ] {
        keygen(&d.path(host), kind, bits, "");
        let host_path = d.path(host).display().to_string();
        let s = d.start(&["--host-key", &host_path]);
        for alg in algs {
            let out = s.login("ed", &["-o", &format!("HostKeyAlgorithms={alg}")]);
            assert!(logged_in(&out), "host key {alg}: {}", text(&out.stderr));
        }
        if host != "host_ed" {
            continue;
        }
        for (name, _, _, algs) in kinds {
            for alg in *algs {
                let out = s.login(name, &["-o", &format!("PubkeyAcceptedAlgorithms={alg}")]);
                assert!(logged_in(&out), "{name} with {alg}: {}", text(&out.stderr));
                s.log_line(&[
                    "INFO auth ok: from 127.0.0.1 port",
                    "client \"SSH-2.0-OpenSSH",
                ]);
            }
        }
        let out = s.login("stranger", &[]);
        assert_eq!(out.status.code(), Some(255), "{}", text(&out.stderr));
        assert!(text(&out.stderr).contains("Permission denied"));
    }
}

#[test]
fn authorized_keys_options_are_honoured() {
    if !have_ssh() {
        return;
    }
    let d = Dir::new();
    for name in ["far", "near", "net", "old", "boxed", "forced", "open"] {
        keygen(&d.path(name), "ed25519", None, "");
    }
    let lines = [
        format!("from=\"10.9.9.9\" {}", d.public("far")),
        format!("from=\"127.0.0.1\" {}", d.public("near")),
        format!("from=\"127.0.0.0/29,!127.0.0.2\" {}", d.public("net")),
        format!("expiry-time=\"20200101\" {}", d.public("old")),
        format!("restrict {}", d.public("boxed")),
        format!("command=\"/bin/date\" {}", d.public("forced")),
        format!(
            "restrict,pty,no-port-forwarding,permitopen=\"localhost:1\" {}",
            d.public("open")
        ),
    ];
    d.write_keys(&lines.join("\n"));
    let s = d.start(&[]);
    let denied = |key: &str, opts: &[&str]| {
        let out = s.login(key, opts);
        assert_eq!(out.status.code(), Some(255), "{key}: {}", text(&out.stderr));
        assert!(text(&out.stderr).contains("Permission denied"));
    };
    denied("far", &[]);
    s.log_line(&[
        "WARN auth failed: from 127.0.0.1 port",
        "reason \"from= on ",
        "authorized_keys:1 does not allow this address\"",
    ]);
    assert!(logged_in(&s.login("near", &[])));
    denied("near", &["-b", "127.0.0.3"]);
    assert!(logged_in(&s.login("net", &["-b", "127.0.0.5"])));
    denied("net", &["-b", "127.0.0.2"]);
    denied("old", &[]);
    s.log_line(&["reason \"the key expired at 20", "(expiry-time on "]);
    // restrict: logged in, and the session refused with why.
    let mut t = s.reader("boxed", "xterm-256color", &[]);
    assert_eq!(t.wait_exit(WAIT), Some(1));
    assert!(
        t.raw_text()
            .contains("may not have a terminal (no-pty or restrict on line 5"),
        "{}",
        t.raw_text()
    );
    let mut t = s.reader("forced", "xterm-256color", &[]);
    assert_eq!(t.wait_exit(WAIT), Some(1));
    assert!(
        t.raw_text()
            .contains("may only run a command (command= on line 6"),
        "{}",
        t.raw_text()
    );
    let mut t = s.reader("open", "xterm-256color", &[]);
    assert!(t.wait_for("3 articles", WAIT), "{}", t.screen());
    t.send(b"q");
    assert_eq!(t.wait_exit(WAIT), Some(0));
    // The command= line was named at start.
    assert!(
        s.log()
            .contains("authorized_keys:6: command= limits this key"),
        "{}",
        s.log()
    );
}

#[test]
fn options_qari_cannot_honour_refuse_the_file_at_start() {
    if !have_ssh() {
        return;
    }
    let d = Dir::new();
    let key = d.public("client");
    for (line, want) in [
        (
            format!("cert-authority {key}"),
            "'cert-authority' is for certificates",
        ),
        (
            format!("no-pty,frobnicate {key}"),
            "the option 'frobnicate' is unknown",
        ),
        (
            format!("from=\"10.0.0.1/8\" {key}"),
            "bits set past its prefix",
        ),
    ] {
        d.write_keys(&format!("# keys\n{}\n{line}", d.public("stranger")));
        let out = d.start_fails(&[]);
        assert_eq!(out.status.code(), Some(1), "{line}");
        let err = text(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("authorized_keys:3: "), "{err}");
        assert!(err.contains(want), "{err}");
    }
}

#[test]
fn log_lines_cannot_be_forged_and_stay_bounded() {
    if !have_ssh() {
        return;
    }
    let d = Dir::new();
    let s = d.start(&[]);
    // A user name with a newline and a forged line after it (sent by a client of our own:
    // OpenSSH's client, since its 2025 security updates, refuses to send such a name)...
    let forged = "x\n2026-01-01T00:00:00Z  WARN auth failed: from 10.6.6.6 port 1 method x";
    raw_login(s.addr(), &d.path("stranger"), forged);
    let line = s.log_line(&["WARN auth failed: from 127.0.0.1 port", "user \"x\\n2026"]);
    assert!(line.contains("key ssh-ed25519 SHA256:"), "{line}");
    assert!(
        line.contains("reason \"the key is not in authorized_keys\""),
        "{line}"
    );
    // ...but refuses ESC, BEL and ';': a client of our own sends an OSC 52 clipboard write.
    let osc = "y\u{1b}]52;c;cHduZWQ=\u{7}\u{202e}";
    raw_login(s.addr(), &d.path("stranger"), osc);
    let line = s.log_line(&["WARN auth failed: from 127.0.0.1 port", "user \"y"]);
    assert!(
        line.contains("user \"y\\u{1b}]52;c;cHduZWQ=\\u{7}\\u{202e}\" key ssh-ed25519"),
        "{line}"
    );
    // A 30 KB TERM.
    let term = "xterm-".to_owned() + &"A".repeat(30_000);
    let mut t = s.reader("client", &term, &[]);
    assert!(t.wait_for("3 articles", WAIT), "{}", t.screen());
    t.send(b"q");
    assert_eq!(t.wait_exit(WAIT), Some(0));
    s.log_line(&["session started"]);
    let log = s.log();
    for l in log.lines() {
        assert!(l.len() < 1000, "a log line of {} bytes", l.len());
        assert!(!l.chars().any(char::is_control), "{l:?}");
        assert!(!l.contains("10.6.6.6") || l.contains("user \"x\\n"), "{l}");
    }
    assert!(log.contains("(30006 bytes)"), "{log}");
}

/// russh's client, which sends any user name and records the server's disconnect message.
struct Recorder(std::sync::mpsc::Sender<String>);

impl russh::client::Handler for Recorder {
    type Error = russh::Error;
    async fn check_server_key(
        &mut self,
        _key: &russh::keys::PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        Ok(true)
    }
    async fn disconnected(
        &mut self,
        reason: russh::client::DisconnectReason<Self::Error>,
    ) -> Result<(), Self::Error> {
        match reason {
            russh::client::DisconnectReason::ReceivedDisconnect(info) => {
                let _ = self.0.send(info.message);
                Ok(())
            }
            russh::client::DisconnectReason::Error(e) => Err(e),
        }
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Connects russh's client (the key exchange done, no login yet).
fn raw_connect(
    rt: &tokio::runtime::Runtime,
    server: SocketAddr,
) -> (
    russh::client::Handle<Recorder>,
    std::sync::mpsc::Receiver<String>,
) {
    let (tx, rx) = std::sync::mpsc::channel();
    let config = std::sync::Arc::new(russh::client::Config::default());
    let h = rt
        .block_on(russh::client::connect(config, server, Recorder(tx)))
        .unwrap();
    (h, rx)
}

/// Logs in with `key` as `user`; whether the server said yes.
fn raw_auth(
    rt: &tokio::runtime::Runtime,
    h: &mut russh::client::Handle<Recorder>,
    key: &Path,
    user: &str,
) -> bool {
    let key = russh::keys::PrivateKey::read_openssh_file(key).unwrap();
    let key = russh::keys::PrivateKeyWithHashAlg::new(std::sync::Arc::new(key), None);
    rt.block_on(h.authenticate_publickey(user, key))
        .is_ok_and(|r| r.success())
}

/// Tries to log in with `key` as `user` with russh's client.
fn raw_login(server: SocketAddr, key: &Path, user: &str) {
    let rt = runtime();
    let (mut h, _) = raw_connect(&rt, server);
    assert!(
        !raw_auth(&rt, &mut h, key, user),
        "a stranger's key logged in"
    );
}

#[test]
fn a_login_that_finds_the_server_full_hears_why() {
    if !have_ssh() {
        return;
    }
    let d = Dir::new();
    let s = d.start(&["--max-sessions", "1"]);
    // In before the server is full, logging in after.
    let rt = runtime();
    let (mut late, said) = raw_connect(&rt, s.addr());
    let mut t = s.reader("client", "xterm-256color", &[]);
    assert!(t.wait_for("3 articles", WAIT), "{}", t.screen());
    raw_auth(&rt, &mut late, &d.path("client"), "read");
    let msg = said.recv_timeout(WAIT).expect("a disconnect message");
    assert_eq!(
        msg,
        "qari: the server is full (1 readers at once); try again later."
    );
    assert!(rt.block_on(late.channel_open_session()).is_err());
    s.log_line(&["WARN refused: from 127.0.0.1 port", "the server is full"]);
    // The reader goes on; once it leaves, the slot is free again.
    t.send(b"q");
    assert_eq!(t.wait_exit(WAIT), Some(0));
    // The server frees the slot when it sees the connection end, a moment after the client.
    s.wait_closed(2);
    assert!(logged_in(&s.login("client", &[])));
}

#[test]
fn host_keys_are_checked_like_sshd() {
    use std::os::unix::fs::PermissionsExt as _;
    if !have_ssh() {
        return;
    }
    let d = Dir::new();
    keygen(&d.path("host_open"), "ed25519", None, "");
    std::fs::set_permissions(d.path("host_open"), std::fs::Permissions::from_mode(0o644)).unwrap();
    let open = d.path("host_open").display().to_string();
    let out = d.start_fails(&["--host-key", &open]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains(&open) && err.contains("mode 0644") && err.contains("chmod 600"),
        "{err}"
    );
    keygen(&d.path("host_locked"), "ed25519", None, "a passphrase");
    let locked = d.path("host_locked").display().to_string();
    let out = d.start_fails(&["--host-key", &locked]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains(&locked) && err.contains("protected by a passphrase"),
        "{err}"
    );
}

#[test]
fn zero_limits_are_usage_errors() {
    let d = Dir::new();
    for flag in [
        "--max-sessions",
        "--rate",
        "--idle-timeout",
        "--login-grace-time",
        "--max-startups",
        "--max-startups-per-address",
    ] {
        let out = d.start_fails(&[flag, "0"]);
        assert_eq!(out.status.code(), Some(2), "{flag}");
        let err = text(&out.stderr);
        assert!(
            err.contains(flag) && err.contains("0 would turn everyone away"),
            "{err}"
        );
    }
}

#[test]
fn a_full_server_and_the_rate_limit_say_so() {
    if !have_ssh() {
        return;
    }
    let d = Dir::new();
    let s = d.start(&["--max-sessions", "1", "--rate", "3"]);
    let mut t = s.reader("client", "xterm-256color", &[]);
    assert!(t.wait_for("3 articles", WAIT), "{}", t.screen());
    let out = s.login("client", &[]);
    assert_eq!(out.status.code(), Some(255));
    assert!(
        text(&out.stderr)
            .contains("qari: the server is full (1 readers at once); try again later."),
        "{}",
        text(&out.stderr)
    );
    t.send(b"q");
    assert_eq!(t.wait_exit(WAIT), Some(0));
    s.wait_closed(2);
    // Two connections so far; the third is the last of the minute.
    assert!(logged_in(&s.login("client", &[])));
    let out = s.login("client", &[]);
    assert_eq!(out.status.code(), Some(255));
    assert!(
        text(&out.stderr).contains("too many connections from 127.0.0.1 (more than 3 a minute)"),
        "{}",
        text(&out.stderr)
    );
    s.log_line(&["WARN refused: from 127.0.0.1 port", "too many connections"]);
}

#[test]
fn sigterm_ends_the_server_promptly_with_work_in_flight() {
    if !have_ssh() {
        return;
    }
    let d = Dir::new();
    let mut s = d.start(&[]);
    let mut idle = s.reader("client", "xterm-256color", &[]);
    let mut busy = s.reader("client", "xterm-256color", &[]);
    assert!(idle.wait_for("3 articles", WAIT) && busy.wait_for("3 articles", WAIT));
    // Work in flight: a long query pasted into the search prompt (each of its words is
    // searched for as it comes).
    busy.send(b"/");
    let mut paste = b"\x1b[200~".to_vec();
    for k in 0..20_000 {
        paste.extend_from_slice(format!("word{k} ").as_bytes());
    }
    paste.extend_from_slice(b"\x1b[201~");
    busy.send(&paste);
    let cpu = || {
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", s.child.id())).unwrap_or_default();
        let fields: Vec<u64> = stat
            .rsplit(')')
            .next()
            .unwrap_or_default()
            .split_whitespace()
            .skip(11)
            .take(2)
            .filter_map(|f| f.parse().ok())
            .collect();
        fields.iter().sum::<u64>()
    };
    let before = cpu();
    std::thread::sleep(Duration::from_millis(500));
    eprintln!(
        "server CPU in the 0.5 s before SIGTERM: {} ticks",
        cpu() - before
    );
    let pid = s.child.id().to_string();
    let sent = Instant::now();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = s.wait_exit(Duration::from_secs(5));
    let took = sent.elapsed();
    eprintln!("SIGTERM to exit: {took:?}");
    assert!(status.is_some(), "the server still runs 5 s after SIGTERM");
    idle.wait_exit(WAIT);
    assert!(
        idle.raw_text().contains("shutting down; goodbye"),
        "{}",
        idle.raw_text()
    );
    assert!(!idle.parser.screen().alternate_screen());
    busy.wait_exit(WAIT);
    // The connections were closed cleanly: none was polled after it had ended.
    let log = std::fs::read_to_string(&s.log).unwrap_or_default();
    assert!(!log.contains("panic"), "{log}");
    assert!(!log.contains("did not end in time"), "{log}");
}

#[test]
fn open_lets_anyone_in_and_logs_it() {
    if !have_ssh() {
        return;
    }
    let d = Dir::new();
    let mut c = Command::new(env!("CARGO_BIN_EXE_qari"));
    c.arg("serve")
        .arg(d.path("library"))
        .args(["--listen", "127.0.0.1:0", "--open", "--host-key"])
        .arg(d.path("host_key"))
        .arg("--db")
        .arg(d.path("library.db"))
        .arg("--log")
        .arg(d.path("log"))
        .env("QARI_CONFIG", d.path("none.toml"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let first = lines.next().and_then(Result::ok).unwrap_or_default();
    let port = first
        .split(" on 127.0.0.1:")
        .nth(1)
        .and_then(|r| r.split(';').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("the server did not start: {first:?}"));
    let s = Server {
        child,
        port,
        log: d.path("log"),
        dir: d.path(""),
    };
    let mut t = s.reader("stranger", "xterm-256color", &[]);
    assert!(t.wait_for("3 articles", WAIT), "{}", t.screen());
    t.send(b"q");
    assert_eq!(t.wait_exit(WAIT), Some(0));
    s.log_line(&[
        "INFO auth ok: from 127.0.0.1 port",
        "method none user \"read\" key -",
    ]);
}
