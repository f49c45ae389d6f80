//! Measures what the reader writes to the terminal per key, under a real pty at 100×30, next
//! to `less` on the same article, and how long the first frame of a large library takes.
//!
//! `cargo run --release --example ttybytes -- [ARTICLE] [--library DIR [--db DB]]`
//! (default article: the longest bundled sample). Needs `less` on the PATH. With `--db`, a
//! database that has indexed DIR, the first frame from its catalog is timed against the first
//! frame of a reader that walks and reads the folders, in the same run.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use portable_pty::CommandBuilder;

#[path = "../tests/support/pty.rs"]
#[allow(dead_code, reason = "the harness is shared with the tests")]
mod pty;

const QUIET: Duration = Duration::from_millis(120);
const KEYS: usize = 20;

fn qari() -> PathBuf {
    let exe = std::env::current_exe().expect("own path");
    let dir = exe.parent().and_then(Path::parent).expect("target dir");
    dir.join("qari")
}

struct Figures {
    line: f64,
    page: f64,
    latency_ms: f64,
}

fn measure(mut t: pty::Term, open: Option<&[u8]>, line: &[u8], page: &[u8]) -> Figures {
    if let Some(k) = open {
        assert!(
            t.wait_for(" unread ·", Duration::from_secs(10)),
            "qari did not start"
        );
        t.settle(Duration::from_millis(200), Duration::from_secs(10));
        t.key(k, Duration::from_millis(300));
    } else {
        t.settle(Duration::from_millis(500), Duration::from_secs(10));
    }
    let mut line_bytes = 0;
    let mut latency = Duration::ZERO;
    for _ in 0..KEYS {
        let (n, first) = t.key(line, QUIET);
        line_bytes += n;
        latency += first.unwrap_or_default();
    }
    let mut page_bytes = 0;
    for _ in 0..3 {
        page_bytes += t.key(page, QUIET).0;
    }
    t.send(b"q");
    t.wait_exit(Duration::from_secs(5));
    Figures {
        line: line_bytes as f64 / KEYS as f64,
        page: f64::from(u32::try_from(page_bytes).unwrap_or(u32::MAX)) / 3.0,
        latency_ms: latency.as_secs_f64() * 1000.0 / KEYS as f64,
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut article = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/articles/0024.txt"
    ));
    let mut library = None;
    let mut db = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--library" {
            library = it.next().map(PathBuf::from);
        } else if a == "--db" {
            db = it.next().map(PathBuf::from);
        } else {
            article = PathBuf::from(a);
        }
    }
    let work = tempfile::tempdir().expect("temp dir");
    let runs = std::cell::Cell::new(0);
    let env = |cmd: &mut CommandBuilder| {
        // A fresh state per run, so every run starts at the top of the article.
        runs.set(runs.get() + 1);
        cmd.env("TERM", "xterm-256color");
        cmd.env(
            "QARI_STATE",
            work.path().join(format!("state{}.json", runs.get())),
        );
        // Reading state lives in the library database: a fresh one per run too (with the
        // user's own, a run opens the article where the runs before left it, at its end).
        cmd.env(
            "QARI_DB",
            work.path().join(format!("state{}.db", runs.get())),
        );
        cmd.env("QARI_CONFIG", work.path().join("none.toml"));
        cmd.env("LESS", "");
    };

    let mut cmd = CommandBuilder::new(qari());
    cmd.arg(&article);
    env(&mut cmd);
    let q = measure(pty::Term::spawn(cmd, 100, 30), Some(b"\r"), b"j", b" ");

    let mut cmd = CommandBuilder::new(qari());
    cmd.arg(&article);
    env(&mut cmd);
    cmd.env("QARI_NO_SCROLL_REGIONS", "1");
    let plain = measure(pty::Term::spawn(cmd, 100, 30), Some(b"\r"), b"j", b" ");

    // less on the same article as qari lays it out (so both show the same lines).
    let rendered = work.path().join("article.txt");
    let out = std::process::Command::new(qari())
        .args(["render", "--width", "98"])
        .arg(&article)
        .output()
        .expect("qari render");
    std::fs::write(&rendered, out.stdout).expect("write the rendered article");
    let mut cmd = CommandBuilder::new("less");
    cmd.arg(&rendered);
    env(&mut cmd);
    let l = measure(pty::Term::spawn(cmd, 100, 30), None, b"j", b" ");

    println!("article: {}", article.display());
    println!("                          bytes/line  bytes/page  key→first byte");
    println!(
        "qari (scroll regions)     {:>10.0}  {:>10.0}  {:>9.2} ms",
        q.line, q.page, q.latency_ms
    );
    println!(
        "qari (plain diff)         {:>10.0}  {:>10.0}  {:>9.2} ms",
        plain.line, plain.page, plain.latency_ms
    );
    println!(
        "less                      {:>10.0}  {:>10.0}  {:>9.2} ms",
        l.line, l.page, l.latency_ms
    );
    println!("qari/less, one line: {:.2}", q.line / l.line);

    if let Some(dir) = library {
        first_frames(&dir, db.as_deref(), work.path(), &env);
    }
}

/// Times the reader's first frame of `dir`: from the catalog of `db` (indexed beforehand:
/// `qari index --db DB DIR`), against a database that holds nothing of it (the folders walked
/// and read), alternating.
fn first_frames(dir: &Path, db: Option<&Path>, work: &Path, env: &dyn Fn(&mut CommandBuilder)) {
    let empty = work.join("empty.db");
    let first_frame = |db: &Path| {
        let mut cmd = CommandBuilder::new(qari());
        cmd.arg(dir);
        env(&mut cmd);
        cmd.env("QARI_DB", db);
        let start = Instant::now();
        let mut t = pty::Term::spawn(cmd, 100, 30);
        let shown = t.wait_for(" unread ·", Duration::from_secs(120));
        let took = start.elapsed().as_secs_f64() * 1000.0;
        // A first page shows "… unread" until the whole list is in.
        let whole = t.wait_while("… unread", Duration::from_secs(120));
        let all = start.elapsed().as_secs_f64() * 1000.0;
        t.send(b"q");
        t.wait_exit(Duration::from_secs(30));
        assert!(shown && whole, "qari showed no list of {}", dir.display());
        (took, all)
    };
    let (mut stored, mut walked, mut whole) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..5 {
        if let Some(db) = db {
            let (first, all) = first_frame(db);
            stored.push(first);
            whole.push(all);
        }
        walked.push(first_frame(&empty).0);
    }
    let span = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        format!(
            "{:.0}–{:.0} ms (median {:.0})",
            v[0],
            v[v.len() - 1],
            v[v.len() / 2]
        )
    };
    println!("first frame of {}:", dir.display());
    println!("  files walked and read   {}", span(&mut walked));
    if !stored.is_empty() {
        println!("  from the catalog        {}", span(&mut stored));
        println!("  the whole list in       {}", span(&mut whole));
        println!(
            "  walked/catalog (medians): {:.1}x",
            walked[walked.len() / 2] / stored[stored.len() / 2]
        );
    }
}
