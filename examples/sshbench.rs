//! `qari serve` under load, on 127.0.0.1 only: SESSIONS concurrent readers (SSH clients in this
//! process, on russh) each open an article and press a key (`j`, then `k`) about once a
//! second. Printed: key → screen latency (key sent → first byte of the answer) at p50, p99 and
//! max, first alone, then while one more client, again and again, pastes 1 MB into the `/`
//! prompt, floods keys (to the reader, then into the `/` prompt), or floods window changes; and
//! the server's memory per session.
//!
//! `cargo build --release --bin qari --example sshbench && target/release/examples/sshbench
//! [SESSIONS] [SECONDS]` (defaults 1000 sessions, 15 s a phase). Needs `ssh-keygen`. Every
//! loop is bounded by the phase's time; a key without an answer within 5 s counts as 5 s.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

#[path = "../tests/support/sshclient.rs"]
#[allow(dead_code, reason = "the client is shared with the tests")]
mod sshclient;

use sshclient::Session;

/// The longest a key waits for its answer before it counts as this long.
const KEY_WAIT: Duration = Duration::from_secs(5);
/// Handshakes in flight at once while the sessions log in.
const LOGINS_AT_ONCE: usize = 16;

fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// The server's CPU time so far, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i).and_then(|f| f.parse::<u64>().ok()))
        .sum()
}

/// Starts `qari serve` for `sessions` clients of the key in `dir`; returns it and its port.
fn start_server(dir: &Path, sessions: usize) -> (std::process::Child, u16) {
    let exe = std::env::current_exe().expect("own path");
    let qari = exe
        .parent()
        .and_then(Path::parent)
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
        .expect("qari serve (build it: cargo build --release --bin qari)");
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

/// Logs a reader in and opens article `k % 3`.
async fn reader(port: u16, key: PathBuf, k: usize) -> anyhow::Result<Session> {
    let mut s = Session::open(port, &key, 100, 30).await?;
    anyhow::ensure!(
        s.wait_for("articles", Duration::from_secs(60)).await,
        "no screen"
    );
    let open = format!("{}\r", "j".repeat(k % 3));
    s.send(open.as_bytes()).await?;
    anyhow::ensure!(s.wait_for("%", Duration::from_secs(60)).await, "no article");
    s.settle(Duration::from_millis(100), Duration::from_secs(10))
        .await;
    s.forget();
    Ok(s)
}

/// A small xorshift: the pauses between keys, without a shared generator.
fn pauses(seed: u64) -> impl FnMut() -> Duration {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        // 500..1500 ms: a key a second on average.
        Duration::from_millis(500 + x % 1000)
    }
}

/// Each session presses a key about once a second until `end`; the latencies.
async fn press(mut s: Session, k: usize, end: Instant) -> (Session, Vec<Duration>) {
    let mut pause = pauses(k as u64 + 1);
    let mut lat = Vec::new();
    let mut down = true;
    loop {
        let at = Instant::now() + pause();
        if at >= end {
            break;
        }
        tokio::time::sleep_until(at.into()).await;
        s.drain_now();
        s.forget();
        let key: &[u8] = if down { b"j" } else { b"k" };
        down = !down;
        lat.push(s.key(key, KEY_WAIT).await.unwrap_or(KEY_WAIT));
    }
    s.settle(Duration::from_millis(50), Duration::from_secs(2))
        .await;
    s.forget();
    (s, lat)
}

/// What the extra client does during a phase.
#[derive(Clone, Copy, Debug)]
enum Abuse {
    Paste,
    Keys,
    QueryKeys,
    WindowChanges,
}

/// Runs `abuse` from a client of its own until `end`; what it managed, in words.
async fn abuse(port: u16, key: PathBuf, abuse: Abuse, end: Instant) -> anyhow::Result<String> {
    let mut s = Session::open(port, &key, 100, 30).await?;
    anyhow::ensure!(
        s.wait_for("articles", Duration::from_secs(60)).await,
        "no screen"
    );
    let mut count = 0u64;
    match abuse {
        Abuse::Paste => {
            let mut paste = b"\x1b[200~".to_vec();
            while paste.len() < 1 << 20 {
                paste.extend_from_slice("qari q \x03\x1b[A\r\nقارئ words ".as_bytes());
            }
            paste.extend_from_slice(b"\x1b[201~");
            while Instant::now() < end {
                s.send(b"/").await?;
                for chunk in paste.chunks(32 * 1024) {
                    s.send(chunk).await?;
                    s.drain_now();
                    s.forget();
                }
                s.send(b"\x1b").await?;
                // Esc is a key once nothing follows it for a moment.
                tokio::time::sleep(Duration::from_millis(60)).await;
                count += 1;
            }
            Ok(format!("{count} pastes of 1 MB"))
        }
        Abuse::Keys => {
            s.send(b"\r").await?;
            let keys = b"jk".repeat(2048);
            while Instant::now() < end {
                s.send(&keys).await?;
                s.drain_now();
                s.forget();
                count += keys.len() as u64;
            }
            Ok(format!("{count} keys to the reader"))
        }
        Abuse::QueryKeys => {
            // Every key changes the query: a search each, each cancelling the one before.
            s.send(b"/").await?;
            let keys = b"qari\x7f\x7f\x7f\x7f".repeat(512);
            while Instant::now() < end {
                s.send(&keys).await?;
                s.drain_now();
                s.forget();
                count += keys.len() as u64;
            }
            Ok(format!("{count} keys into the `/` prompt"))
        }
        Abuse::WindowChanges => {
            while Instant::now() < end {
                for i in 0..1000u32 {
                    s.window_change(60 + i % 100, 20 + i % 50, u32::MAX, u32::MAX)
                        .await?;
                }
                s.drain_now();
                s.forget();
                count += 1000;
            }
            Ok(format!("{count} window changes"))
        }
    }
}

fn percentile(sorted: &[Duration], percent: usize) -> f64 {
    let i = (sorted.len().saturating_sub(1) * percent).div_ceil(100);
    sorted.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

/// One phase: every session presses keys for `secs`, with `extra` abusing the server.
async fn phase(
    sessions: Vec<Session>,
    secs: u64,
    port: u16,
    key: &Path,
    extra: Option<Abuse>,
    pid: u32,
) -> Vec<Session> {
    let end = Instant::now() + Duration::from_secs(secs);
    let cpu = cpu_ticks(pid);
    // The other client runs on a thread and runtime of its own, as another program would: it
    // does not queue the readers' clients behind it.
    let abuser = extra.map(|a| {
        let key = key.to_path_buf();
        std::thread::spawn(move || -> anyhow::Result<String> {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(async move {
                tokio::time::timeout(Duration::from_secs(secs + 30), abuse(port, key, a, end))
                    .await
                    .unwrap_or_else(|_| {
                        Err(anyhow::anyhow!("it was still blocked 30 s after the end"))
                    })
            })
        })
    });
    let tasks: Vec<_> = sessions
        .into_iter()
        .enumerate()
        .map(|(k, s)| tokio::spawn(press(s, k, end)))
        .collect();
    let mut back = Vec::new();
    let mut lat = Vec::new();
    for t in tasks {
        if let Ok((s, l)) = t.await {
            back.push(s);
            lat.extend(l);
        }
    }
    let what = match abuser {
        Some(t) => match t.join() {
            Ok(Ok(done)) => format!(" while another client sent {done}"),
            Ok(Err(e)) => format!(" while another client failed: {e}"),
            Err(_) => " while another client panicked".to_owned(),
        },
        None => String::new(),
    };
    lat.sort();
    let lost = lat.iter().filter(|d| **d >= KEY_WAIT).count();
    println!(
        "{} keys{what}: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms{}; server CPU {:.1} s",
        lat.len(),
        percentile(&lat, 50),
        percentile(&lat, 99),
        percentile(&lat, 100),
        if lost > 0 {
            format!(", {lost} unanswered within 5 s")
        } else {
            String::new()
        },
        (cpu_ticks(pid) - cpu) as f64 / 100.0
    );
    back
}

fn main() -> anyhow::Result<()> {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sessions = usize::try_from(args.first().copied().unwrap_or(1000))?;
    let secs = args.get(1).copied().unwrap_or(15);
    let dir = tempfile::tempdir()?;
    let key = dir.path().join("client");
    let ok = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", ""])
        .arg("-f")
        .arg(&key)
        .status()?
        .success();
    anyhow::ensure!(ok, "ssh-keygen failed");
    std::fs::copy(
        dir.path().join("client.pub"),
        dir.path().join("authorized_keys"),
    )?;
    let (mut server, port) = start_server(dir.path(), sessions);
    let pid = server.id();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let idle = rss_kb(pid);
        let started = Instant::now();
        let gate = Arc::new(Semaphore::new(LOGINS_AT_ONCE));
        let logins: Vec<_> = (0..sessions)
            .map(|k| {
                let (gate, key) = (Arc::clone(&gate), key.clone());
                tokio::spawn(async move {
                    let _permit = gate.acquire_owned().await.ok()?;
                    reader(port, key, k).await.ok()
                })
            })
            .collect();
        let mut all = Vec::new();
        for l in logins {
            if let Ok(Some(s)) = l.await {
                all.push(s);
            }
        }
        let busy = rss_kb(pid);
        println!(
            "{} of {sessions} sessions logged in and reading in {:.1} s; server RSS {idle} kB idle, \
             {busy} kB with them ({:.0} kB a session)",
            all.len(),
            started.elapsed().as_secs_f64(),
            busy.saturating_sub(idle) as f64 / all.len().max(1) as f64
        );
        let mut all = phase(all, secs, port, &key, None, pid).await;
        for a in [
            Abuse::Paste,
            Abuse::Keys,
            Abuse::QueryKeys,
            Abuse::WindowChanges,
        ] {
            all = phase(all, secs, port, &key, Some(a), pid).await;
        }
        println!("server RSS at the end: {} kB", rss_kb(pid));
        drop(all);
    });
    let _ = server.kill();
    let _ = server.wait();
    Ok(())
}
