//! Drives N concurrent OpenSSH sessions against `qari serve` on loopback and reports the
//! key-to-screen latency (key sent → first byte of the answer, per key) at p50/p99, and the
//! server's memory per session.
//!
//! `cargo run --release --example sshbench -- [SESSIONS] [KEYS]` (defaults 100 and 20). Needs
//! `ssh` and `ssh-keygen`.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Barrier, Mutex};
use std::time::Duration;

use portable_pty::CommandBuilder;

#[path = "../tests/support/pty.rs"]
#[allow(dead_code, reason = "the harness is shared with the tests")]
mod pty;

fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Starts `qari serve` for `sessions` clients of the key in `dir`; returns it and its port.
fn start_server(dir: &std::path::Path, sessions: usize) -> (std::process::Child, u16) {
    let exe = std::env::current_exe().expect("own path");
    let qari = exe
        .parent()
        .and_then(std::path::Path::parent)
        .expect("target dir")
        .join("qari");
    let mut server = Command::new(qari)
        .args(["serve", "--listen", "127.0.0.1:0", "--rate", "100000"])
        .arg("--max-sessions")
        .arg((sessions + 8).to_string())
        .args([
            "--max-startups",
            "100000",
            "--max-startups-per-address",
            "100000",
        ])
        .arg("--authorized-keys")
        .arg(dir.join("authorized_keys"))
        .arg("--host-key")
        .arg(dir.join("host"))
        .arg("--state-dir")
        .arg(dir.join("state"))
        .arg("--log")
        .arg(dir.join("log"))
        .env("QARI_CONFIG", dir.join("none.toml"))
        .stderr(Stdio::piped())
        .spawn()
        .expect("qari serve");
    let first = BufReader::new(server.stderr.take().expect("stderr"))
        .lines()
        .next()
        .and_then(Result::ok)
        .unwrap_or_default();
    let port: u16 = first
        .split(" on 127.0.0.1:")
        .nth(1)
        .and_then(|r| r.split(';').next())
        .and_then(|p| p.parse().ok())
        .expect("port");
    (server, port)
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sessions = args.first().copied().unwrap_or(100);
    let keys = args.get(1).copied().unwrap_or(20);
    let dir = tempfile::tempdir().expect("temp dir");
    let key = dir.path().join("client");
    let ok = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", ""])
        .arg("-f")
        .arg(&key)
        .status()
        .expect("ssh-keygen")
        .success();
    assert!(ok);
    std::fs::copy(
        dir.path().join("client.pub"),
        dir.path().join("authorized_keys"),
    )
    .expect("authorized_keys");
    let (mut server, port) = start_server(dir.path(), sessions);
    std::thread::sleep(Duration::from_millis(300));
    let idle = rss_kb(server.id());
    let lat = Arc::new(Mutex::new(Vec::new()));
    let ready = Arc::new(Barrier::new(sessions + 1));
    let done = Arc::new(Barrier::new(sessions + 1));
    let handles: Vec<_> = (0..sessions)
        .map(|k| {
            let (lat, ready, done, key) = (
                Arc::clone(&lat),
                Arc::clone(&ready),
                Arc::clone(&done),
                key.clone(),
            );
            std::thread::spawn(move || {
                let mut cmd = CommandBuilder::new("ssh");
                cmd.args(["-tt", "-p", &port.to_string(), "-i"]);
                cmd.arg(&key);
                for o in [
                    "StrictHostKeyChecking=no",
                    "UserKnownHostsFile=/dev/null",
                    "BatchMode=yes",
                    "LogLevel=ERROR",
                ] {
                    cmd.args(["-o", o]);
                }
                cmd.args(["-F", "/dev/null", "read@127.0.0.1"]);
                cmd.env("TERM", "xterm-256color");
                let mut t = pty::Term::spawn(cmd, 100, 30);
                assert!(
                    t.wait_for("articles", Duration::from_secs(60)),
                    "session {k} did not start"
                );
                let open = format!("{}\r", "j".repeat(k % 20));
                t.send(open.as_bytes());
                t.settle(Duration::from_millis(300), Duration::from_secs(10));
                ready.wait();
                let mut mine = Vec::new();
                for i in 0..keys {
                    let key: &[u8] = if i % 2 == 0 { b"j" } else { b"k" };
                    let (_, first) = t.key(key, Duration::from_millis(30));
                    if let Some(d) = first {
                        mine.push(d);
                    }
                }
                lat.lock().expect("latencies").extend(mine);
                done.wait();
                t.send(b"q");
                t.wait_exit(Duration::from_secs(10));
            })
        })
        .collect();
    ready.wait();
    let busy = rss_kb(server.id());
    done.wait();
    for h in handles {
        let _ = h.join();
    }
    let _ = server.kill();
    let _ = server.wait();
    let mut l = lat.lock().expect("latencies").clone();
    l.sort();
    let pick = |percent: usize| {
        let i = (l.len().saturating_sub(1) * percent).div_ceil(100);
        l.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    println!("{sessions} sessions × {keys} keys, {} answers", l.len());
    println!(
        "key → screen: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        pick(50),
        pick(99),
        pick(100)
    );
    println!(
        "server RSS: {idle} kB idle, {busy} kB with {sessions} sessions ({:.0} kB a session)",
        (busy.saturating_sub(idle)) as f64 / sessions as f64
    );
}
