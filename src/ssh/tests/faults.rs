//! Whole servers started in this process with faults injected through their settings
//! ([`Faults`]), driven by the real OpenSSH client under pseudo-terminals: one session's
//! failure stays its own.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use portable_pty::CommandBuilder;
use tokio::sync::watch;

use super::super::server::{HostKey, Stop, run_server, stop_or_exit};
use super::super::{Faults, ServeOptions, Shared, host_key};

#[path = "../../../tests/support/openssh.rs"]
mod openssh;
use openssh::have_ssh;

#[path = "../../../tests/support/pty.rs"]
#[allow(dead_code, reason = "each user of the harness uses part of it")]
mod pty;

const WAIT: Duration = Duration::from_secs(20);

/// A server running in this process on a port of its own.
struct Server {
    port: u16,
    stop: watch::Sender<bool>,
    /// Set when the server has stopped.
    done: Arc<AtomicBool>,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    /// Stops the server and leaves its thread behind (the runtime's may be stuck on purpose).
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// Starts a server open to anyone, on the embedded library, with `faults` and `workers`
/// runtime threads.
fn start(faults: Faults, workers: usize) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let opts = ServeOptions {
        listen: "127.0.0.1:0".parse().unwrap(),
        authorized_keys: None,
        open: true,
        host_key: None,
        max_sessions: 16,
        rate_per_minute: 1000,
        idle_timeout: Duration::from_secs(600),
        login_grace_time: Duration::from_secs(60),
        max_startups: 16,
        max_startups_per_address: 16,
        state_dir: None,
        db: Some(dir.path().join("library.db")),
        log: None,
    };
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let shared = Arc::new(Shared {
        faults,
        ..Shared::new(
            Arc::new(crate::library::Library::embedded()),
            crate::config::Config::default(),
            None,
            &opts,
            dir.path().to_path_buf(),
            shutdown_rx,
        )
    });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let port = listener.local_addr().unwrap().port();
    let path = dir.path().join("host_key");
    let (key, created) = host_key(&path).unwrap();
    let (stop, stop_rx) = watch::channel(false);
    let done = Arc::new(AtomicBool::new(false));
    let finished = Arc::clone(&done);
    // As `serve` runs it: the accept loop on a thread of its own, the connections on the
    // runtime's threads.
    std::thread::spawn(move || {
        let stop = Stop {
            signal: stop_rx,
            shutdown: shutdown_tx,
        };
        let key = HostKey {
            private: key,
            created,
            path,
        };
        let _ = rt.block_on(run_server(shared, listener, key, opts, stop));
        rt.shutdown_timeout(Duration::from_millis(50));
        finished.store(true, Ordering::SeqCst);
    });
    Server {
        port,
        stop,
        done,
        _dir: dir,
    }
}

impl Server {
    fn ssh_args(&self, user: &str) -> Vec<String> {
        let mut args: Vec<String> = vec!["-p".into(), self.port.to_string()];
        for o in [
            "StrictHostKeyChecking=no",
            "UserKnownHostsFile=/dev/null",
            "BatchMode=yes",
            "LogLevel=ERROR",
            "IdentitiesOnly=yes",
        ] {
            args.push("-o".into());
            args.push(o.into());
        }
        args.extend(["-F".into(), "/dev/null".into(), format!("{user}@127.0.0.1")]);
        args
    }

    /// `ssh -tt read@…` under an 80×24 pty.
    fn reader(&self) -> pty::Term {
        let mut cmd = CommandBuilder::new("ssh");
        cmd.arg("-tt");
        for a in self.ssh_args("read") {
            cmd.arg(a);
        }
        cmd.env("TERM", "xterm-256color");
        pty::Term::spawn(cmd, 80, 24)
    }

    /// Stops the server as SIGTERM does; whether it had to be left behind, stuck.
    fn stop_as_sigterm(&self) -> bool {
        let left = AtomicBool::new(false);
        stop_or_exit(&self.stop, &self.done, || {
            left.store(true, Ordering::SeqCst);
        });
        left.load(Ordering::SeqCst)
    }
}

/// A client that stays at its login, killed when dropped.
struct Login(Child);

impl Drop for Login {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_panic_ends_only_its_own_session() {
    if !have_ssh() {
        return;
    }
    let s = start(
        Faults {
            panic_on_f12: true,
            ..Faults::default()
        },
        2,
    );
    let mut doomed = s.reader();
    let mut other = s.reader();
    assert!(doomed.wait_for("articles", WAIT), "{}", doomed.screen());
    assert!(other.wait_for("articles", WAIT), "{}", other.screen());
    doomed.send(b"\x1b[24~");
    doomed.wait_exit(WAIT);
    let raw = doomed.raw_text();
    assert!(
        raw.contains("\x1b[?1049l\r\nqari: an internal error ended this session"),
        "the alternate screen left, then why: {raw:?}"
    );
    // The other session and the server go on.
    other.send(b"\r");
    assert!(other.wait_for("%", WAIT), "{}", other.screen());
    other.send(b"q");
    assert_eq!(other.wait_exit(WAIT), Some(0));
    let mut again = s.reader();
    assert!(again.wait_for("articles", WAIT), "the server still serves");
    again.send(b"q");
    assert_eq!(again.wait_exit(WAIT), Some(0));
    // With nothing stuck, the server stops by itself when told to.
    assert!(!s.stop_as_sigterm(), "the server did not stop by itself");
    assert!(s.done.load(Ordering::SeqCst));
}

#[test]
fn a_stop_ends_the_server_even_when_every_runtime_thread_is_stuck() {
    if !have_ssh() {
        return;
    }
    let stalled = Arc::new(AtomicUsize::new(0));
    // One runtime thread: a login that blocks it leaves none free. (With more, a stuck
    // thread may hold another connection's task where no other thread takes it, and how many
    // get stuck would be left to chance.)
    let s = start(
        Faults {
            stall: Some(("stall".to_owned(), Duration::from_secs(30))),
            stalled: Arc::clone(&stalled),
            ..Faults::default()
        },
        1,
    );
    // More logins as "stall" than there are runtime threads.
    let logins: Vec<Login> = (0..3)
        .map(|_| {
            let child = Command::new("ssh")
                .args(s.ssh_args("stall"))
                .arg("true")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("ssh runs");
            Login(child)
        })
        .collect();
    let start = Instant::now();
    while stalled.load(Ordering::SeqCst) == 0 {
        assert!(
            start.elapsed() < WAIT,
            "the logins never reached the server: {} stalled",
            stalled.load(Ordering::SeqCst)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // What SIGTERM does: the server is told to stop on a thread of its own and, as it cannot
    // finish, is left behind (the process exits).
    assert!(s.stop_as_sigterm(), "a stuck server was waited for");
    assert!(!s.done.load(Ordering::SeqCst));
    drop(logins);
}
