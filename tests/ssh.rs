//! `qari serve` driven by the real OpenSSH client under pseudo-terminals.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize};

#[path = "support/openssh.rs"]
mod openssh;
use openssh::have_ssh;

#[path = "support/pty.rs"]
#[allow(dead_code, reason = "each user of the harness uses part of it")]
mod pty;

#[path = "support/sshclient.rs"]
#[allow(dead_code, reason = "each user of the client uses part of it")]
mod sshclient;

const SEED: &str = "000_c76da13a58358bbb.txt";
const WAIT: Duration = Duration::from_secs(20);

struct Server {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn key(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn rss_kb(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    }

    fn ssh(&self, key: &str) -> Command {
        let mut c = Command::new("ssh");
        c.args(self.ssh_args(key));
        c
    }

    fn ssh_args(&self, key: &str) -> Vec<String> {
        vec![
            "-p".into(),
            self.port.to_string(),
            "-i".into(),
            self.key(key).display().to_string(),
            "-o".into(),
            "StrictHostKeyChecking=no".into(),
            "-o".into(),
            "UserKnownHostsFile=/dev/null".into(),
            "-o".into(),
            "BatchMode=yes".into(),
            "-o".into(),
            "LogLevel=ERROR".into(),
            "-o".into(),
            "IdentitiesOnly=yes".into(),
            "-F".into(),
            "/dev/null".into(),
        ]
    }

    /// `ssh -tt … read@127.0.0.1` under a pty of `cols`×`rows`.
    fn reader(&self, cols: u16, rows: u16) -> pty::Term {
        self.reader_with(&[], cols, rows)
    }

    /// The same with more `ssh` options.
    fn reader_with(&self, extra: &[&str], cols: u16, rows: u16) -> pty::Term {
        let mut cmd = CommandBuilder::new("ssh");
        cmd.arg("-tt");
        for a in self.ssh_args("client") {
            cmd.arg(a);
        }
        cmd.args(extra);
        cmd.arg("read@127.0.0.1");
        cmd.env("TERM", "xterm-256color");
        pty::Term::spawn(cmd, cols, rows)
    }

    /// `ssh -tt` started under a pty whose window says `window` (pixels too), emulated at
    /// `cols`×`rows`: a client that claims any size it likes.
    fn reader_claiming(&self, window: PtySize, cols: u16, rows: u16) -> pty::Term {
        let mut cmd = CommandBuilder::new("sh");
        // Wait for a line, by when the window has its size, then become ssh.
        cmd.args(["-c", r#"read -r _ && exec "$0" "$@""#, "ssh", "-tt"]);
        for a in self.ssh_args("client") {
            cmd.arg(a);
        }
        cmd.arg("read@127.0.0.1");
        cmd.env("TERM", "xterm-256color");
        let mut t = pty::Term::spawn(cmd, cols, rows);
        t.set_window(window);
        t.send(b"\n");
        t
    }

    /// The server's CPU time so far (user and system), in clock ticks.
    fn cpu_ticks(&self) -> u64 {
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap_or_default();
        // After the command name in parentheses: state is field 3, utime 14, stime 15.
        let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
        let fields: Vec<&str> = rest.split_whitespace().collect();
        [11, 12]
            .iter()
            .filter_map(|&i| fields.get(i).and_then(|f| f.parse::<u64>().ok()))
            .sum()
    }

    /// Waits for the server to exit; whether it did within `max`.
    fn wait_exit(&mut self, max: Duration) -> bool {
        let start = Instant::now();
        while start.elapsed() < max {
            if self.child.try_wait().ok().flatten().is_some() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    fn sigterm(&self) {
        let ok = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok);
    }
}

/// The furthest row and column (1-based) that cursor-position sequences (`ESC[r;cH`) in
/// `raw` move to.
fn max_cursor(raw: &[u8]) -> (u32, u32) {
    let text = String::from_utf8_lossy(raw);
    let mut max = (0, 0);
    for part in text.split("\x1b[").skip(1) {
        let params: String = part
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == ';')
            .collect();
        if part.chars().nth(params.len()) != Some('H') {
            continue;
        }
        let mut nums = params.split(';').map(|n| n.parse::<u32>().unwrap_or(1));
        let row = nums.next().unwrap_or(1);
        let col = nums.next().unwrap_or(1);
        max = (max.0.max(row), max.1.max(col));
    }
    max
}

/// The screen was drawn `rows`×`cols`: no cursor move beyond, and the status bar (which
/// spans the width) on the last row up to the last column.
fn assert_drawn_at(t: &pty::Term, rows: u16, cols: u16) {
    let (r, c) = max_cursor(&t.raw);
    assert!(
        r == u32::from(rows) && c <= u32::from(cols),
        "moved to row {r}, column {c}"
    );
    let corner = t.parser.screen().cell(rows - 1, cols - 1).expect("a cell");
    assert!(
        corner.inverse() || corner.bgcolor() != vt100::Color::Default,
        "the status bar ends at column {cols}"
    );
}

/// The width of the first row of a frame that starts with a clear: its text from the move to
/// row 1 to the move to row 2, escape sequences left out.
fn first_row_width(frame: &[u8]) -> u32 {
    let text = String::from_utf8_lossy(frame);
    let Some((_, row)) = text.split_once("\x1b[1;1H") else {
        return 0;
    };
    let row = row.split("\x1b[2;1H").next().unwrap_or("");
    let mut plain = String::new();
    let mut chars = row.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            // CSI: up to its final byte.
            for d in chars.by_ref() {
                if ('@'..='~').contains(&d) && d != '[' {
                    break;
                }
            }
        } else {
            plain.push(c);
        }
    }
    u32::try_from(unicode_width::UnicodeWidthStr::width(plain.as_str())).unwrap_or(u32::MAX)
}

/// The bytes after the last full clear of the screen: the frames of the current size.
fn since_last_clear(raw: &[u8]) -> &[u8] {
    // A frame after a resize starts with a clear: the whole screen (`ESC[2J`) when it got
    // narrower, else everything from the top left corner down (`ESC[1;1H ESC[J`).
    let last = |clear: &[u8]| raw.windows(clear.len()).rposition(|w| w == clear);
    match (last(b"\x1b[2J"), last(b"\x1b[1;1H\x1b[J")) {
        (Some(a), Some(b)) => &raw[a.max(b)..],
        (Some(i), None) | (None, Some(i)) => &raw[i..],
        (None, None) => raw,
    }
}

fn keygen(path: &Path) {
    let ok = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", ""])
        .arg("-f")
        .arg(path)
        .status()
        .expect("ssh-keygen (openssh-client) is installed")
        .success();
    assert!(ok);
}

fn start(extra: &[&str]) -> Server {
    start_from(extra, None, &[])
}

/// A server started with no library on its command line, its config file saying `config`
/// and naming the library.
fn start_configured(config: &str) -> Server {
    start_from(&[], Some(config), &[])
}

/// A server on the seed and two more articles (and `written`, name and text, besides).
fn start_from(extra: &[&str], config: Option<&str>, written: &[(&str, &str)]) -> Server {
    start_with(extra, config, &[SEED, "0100.txt", "0024.txt"], written)
}

/// A server on a library of these files of the sample library, and `written` besides.
fn start_with(
    extra: &[&str],
    config: Option<&str>,
    files: &[&str],
    written: &[(&str, &str)],
) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("library");
    std::fs::create_dir(&lib).unwrap();
    let assets = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/articles");
    for f in files {
        std::fs::copy(assets.join(f), lib.join(f)).unwrap();
    }
    for (name, text) in written {
        std::fs::write(lib.join(name), text).unwrap();
    }
    keygen(&dir.path().join("client"));
    keygen(&dir.path().join("stranger"));
    std::fs::copy(
        dir.path().join("client.pub"),
        dir.path().join("authorized_keys"),
    )
    .unwrap();
    let config_file = dir.path().join("config.toml");
    let mut serve = Command::new(env!("CARGO_BIN_EXE_qari"));
    serve.arg("serve");
    if let Some(text) = config {
        let quoted = lib
            .to_str()
            .unwrap()
            .replace('\\', "\\\\")
            .replace('"', "\\\"");
        std::fs::write(&config_file, format!("{text}\nlibrary = [\"{quoted}\"]\n")).unwrap();
    } else {
        serve.arg(&lib);
    }
    let mut child = serve
        .arg("--listen")
        .arg("127.0.0.1:0")
        .arg("--authorized-keys")
        .arg(dir.path().join("authorized_keys"))
        .arg("--host-key")
        .arg(dir.path().join("host_key"))
        .arg("--state-dir")
        .arg(dir.path().join("state"))
        .arg("--db")
        .arg(dir.path().join("state/library.db"))
        .args(extra)
        .env("QARI_CONFIG", &config_file)
        // The server's own terminal says mlterm: no session may take it for its own.
        .env("TERM", "mlterm")
        .env("MLTERM", "3.9.0")
        .env_remove("QARI_BIDI")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let first = lines.next().unwrap().unwrap();
    // "qari: serving N articles on 127.0.0.1:PORT; host key SHA256:…"
    let port = first
        .split(" on 127.0.0.1:")
        .nth(1)
        .and_then(|r| r.split(';').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {first:?}"));
    assert!(first.contains("host key SHA256:"), "{first}");
    // Keep draining the log so the server never blocks on it.
    std::thread::spawn(move || for _ in lines {});
    Server { child, port, dir }
}

#[test]
fn an_authorized_key_reads_opens_scrolls_resizes_and_quits() {
    if !have_ssh() {
        return;
    }
    let s = start(&[]);
    let mut t = s.reader(100, 30);
    assert!(t.wait_for("3 articles", WAIT), "{}", t.screen());
    let raw = t.raw_text();
    assert!(raw.contains("\x1b[8l\x1b[1 k"), "explicit bidi mode");
    // The seed is the newest article.
    t.send(b"\r");
    assert!(t.wait_for("ﻙﺭﻮﻐﻛﺎﻣ ﺖﻳﺮﺑ", WAIT), "{}", t.screen());
    let before = t.screen();
    t.send(b"jj");
    t.settle(Duration::from_millis(300), WAIT);
    let after = t.screen();
    assert_eq!(
        after.lines().nth(1),
        before.lines().nth(3),
        "scrolled by two lines"
    );
    // window-change: laid out again at 60 columns.
    t.resize(60, 20);
    t.settle(Duration::from_millis(400), WAIT);
    let narrow = t.screen();
    assert!(
        narrow
            .lines()
            .all(|l| unicode_width::UnicodeWidthStr::width(l) <= 60),
        "{narrow}"
    );
    assert!(narrow.contains('%'), "{narrow}");
    t.send(b"q");
    assert_eq!(t.wait_exit(WAIT), Some(0));
    assert!(!t.parser.screen().alternate_screen());
    let raw = t.raw_text();
    assert!(raw.rfind("\x1b[8h\x1b[0 k").unwrap() > raw.rfind("\x1b[8l\x1b[1 k").unwrap());
    // The reading state was stored for this key, and for no other reader.
    let seed = s.dir.path().join("library").join(SEED);
    let (db, _) = qari::store::Db::open(&s.dir.path().join("state/library.db")).unwrap();
    let id = identity_of(&seed);
    let mine = db
        .state(
            &qari::store::Reader::ssh(&fingerprint(&s.key("client.pub"))),
            &id,
        )
        .unwrap();
    assert!(mine.read && mine.pos.is_some(), "{mine:?}");
    assert!(!db.state(&qari::store::Reader::local(), &id).unwrap().read);
}

/// The SHA-256 fingerprint of a public key file, as `ssh-keygen -l` says it.
fn fingerprint(public: &Path) -> String {
    let out = Command::new("ssh-keygen")
        .args(["-l", "-E", "sha256", "-f"])
        .arg(public)
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .to_owned()
}

/// The identity the store gives the file at `path` (one article).
fn identity_of(path: &Path) -> qari::store::Identity {
    let lib = qari::library::Library::open(&[path.to_path_buf()]);
    lib.entry(0).identity.clone()
}

/// The issue's figure: 20 sessions of one key, each bookmarking its own article, quit at
/// once; every bookmark is kept.
#[test]
fn twenty_sessions_of_one_key_quitting_at_once_keep_all_twenty_bookmarks() {
    if !have_ssh() {
        return;
    }
    let files: Vec<String> = (1..=20).map(|n| format!("{n:04}.txt")).collect();
    let names: Vec<&str> = files.iter().map(String::as_str).collect();
    let s = start_with(&[], None, &names, &[]);
    let mut readers: Vec<pty::Term> = (0..20).map(|_| s.reader(80, 24)).collect();
    for t in &mut readers {
        assert!(t.wait_for("20 articles", WAIT), "{}", t.screen());
    }
    // Reader k bookmarks the k-th article of the list.
    for (k, t) in readers.iter_mut().enumerate() {
        let mut keys = "j".repeat(k);
        keys.push('B');
        t.send(keys.as_bytes());
    }
    for t in &mut readers {
        assert!(t.wait_for("bookmarked", WAIT), "{}", t.screen());
    }
    for t in &mut readers {
        t.send(b"q");
    }
    for t in &mut readers {
        assert_eq!(t.wait_exit(WAIT), Some(0));
    }
    let (db, _) = qari::store::Db::open(&s.dir.path().join("state/library.db")).unwrap();
    let me = qari::store::Reader::ssh(&fingerprint(&s.key("client.pub")));
    let lib = s.dir.path().join("library");
    let kept = files
        .iter()
        .filter(|f| db.state(&me, &identity_of(&lib.join(f))).unwrap().bookmark)
        .count();
    assert_eq!(kept, 20, "every session's bookmark is kept");
}

#[test]
fn an_unknown_key_exec_and_no_pty_are_refused() {
    if !have_ssh() {
        return;
    }
    let s = start(&[]);
    let out = s
        .ssh("stranger")
        .arg("-T")
        .arg("read@127.0.0.1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(255));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Permission denied"));

    let out = s
        .ssh("client")
        .args(["read@127.0.0.1", "cat", "/etc/passwd"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("commands are refused"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let out = s
        .ssh("client")
        .args(["-T", "read@127.0.0.1"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs a terminal"));

    let out = s
        .ssh("client")
        .args(["-s", "read@127.0.0.1", "sftp"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
}

#[test]
fn twenty_sessions_each_see_their_own_screen() {
    if !have_ssh() {
        return;
    }
    let s = start(&[]);
    let rss_before = s.rss_kb();
    let mut readers: Vec<pty::Term> = (0..20).map(|_| s.reader(80, 24)).collect();
    for t in &mut readers {
        assert!(t.wait_for("3 articles", WAIT), "{}", t.screen());
    }
    // Reader k opens article k % 3 and scrolls k % 4 lines.
    for (k, t) in readers.iter_mut().enumerate() {
        let mut keys = "j".repeat(k % 3);
        keys.push('\r');
        keys.push_str(&"j".repeat(k % 4));
        t.send(keys.as_bytes());
    }
    let mut screens = Vec::new();
    for t in &mut readers {
        // In the article first (a loaded machine may pause a session for longer than the
        // quiet time), then quiet.
        t.wait_for("%", WAIT);
        t.settle(Duration::from_millis(300), WAIT);
        screens.push(t.screen());
    }
    for (k, screen) in screens.iter().enumerate() {
        // The status line names the position of this reader's own scroll.
        assert!(
            screen.contains('%'),
            "reader {k} is not in an article: {screen}"
        );
        let same_article_same_scroll = (0..20).filter(|&j| j % 12 == k % 12);
        for j in same_article_same_scroll {
            assert_eq!(&screens[j], screen, "readers {j} and {k} did the same");
        }
    }
    assert_ne!(screens[0], screens[1]);
    assert_ne!(screens[1], screens[5], "same article, different scroll");
    let rss_during = s.rss_kb();
    for t in &mut readers {
        t.send(b"q");
    }
    for t in &mut readers {
        assert_eq!(t.wait_exit(WAIT), Some(0));
    }
    eprintln!("server RSS: {rss_before} kB idle, {rss_during} kB with 20 sessions");
    assert!(
        rss_during < rss_before + 20 * 8 * 1024,
        "memory per session stays small: {rss_before} → {rss_during} kB"
    );
}

#[test]
fn a_stalled_client_does_not_stall_the_others() {
    if !have_ssh() {
        return;
    }
    let s = start(&[]);
    let mut stalled = s.reader(200, 60);
    assert!(stalled.wait_for("3 articles", WAIT));
    stalled.send(b"jj\r");
    stalled.settle(Duration::from_millis(300), WAIT);
    // Stop reading, and make that session produce output: a full page each key.
    stalled.pause_reading(true);
    let flood: Vec<u8> = b"Gg".repeat(2000);
    stalled.send(&flood);
    let mut other = s.reader(80, 24);
    assert!(other.wait_for("3 articles", WAIT), "{}", other.screen());
    let start = Instant::now();
    for _ in 0..10 {
        other.send(b"j");
        other.settle(Duration::from_millis(50), WAIT);
    }
    other.send(b"\r");
    assert!(other.wait_for("%", WAIT), "{}", other.screen());
    eprintln!("the other session's 11 keys took {:?}", start.elapsed());
    other.send(b"q");
    assert_eq!(other.wait_exit(WAIT), Some(0));
    // The stalled client reads again and catches up with the latest frame.
    stalled.pause_reading(false);
    stalled.send(b"q");
    assert_eq!(stalled.wait_exit(WAIT), Some(0));
}

#[test]
fn sigterm_says_goodbye_to_every_session() {
    if !have_ssh() {
        return;
    }
    let s = start(&[]);
    let mut a = s.reader(80, 24);
    let mut b = s.reader(80, 24);
    assert!(a.wait_for("3 articles", WAIT) && b.wait_for("3 articles", WAIT));
    let ok = Command::new("kill")
        .args(["-TERM", &s.child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
    for t in [&mut a, &mut b] {
        t.wait_exit(WAIT);
        let raw = t.raw_text();
        assert!(raw.contains("shutting down; goodbye"), "{raw:?}");
        assert!(!t.parser.screen().alternate_screen());
        assert!(raw.rfind("\x1b[8h\x1b[0 k").unwrap() > raw.rfind("\x1b[8l\x1b[1 k").unwrap());
    }
}

#[test]
fn an_idle_session_says_goodbye_and_restores_the_terminal_keepalives_or_not() {
    if !have_ssh() {
        return;
    }
    let s = start(&["--idle-timeout", "2s"]);
    // The client's keepalives every second are traffic, not input.
    let mut t = s.reader_with(&["-o", "ServerAliveInterval=1"], 80, 24);
    assert!(t.wait_for("3 articles", WAIT));
    let started = Instant::now();
    assert!(
        t.wait_exit(WAIT).is_some(),
        "the idle session was not closed"
    );
    assert!(started.elapsed() >= Duration::from_secs(1));
    let raw = t.raw_text();
    let restore = "\x1b[?2004l\x1b[?25h\x1b[8h\x1b[0 k\x1b[?1049l";
    let tail: String = raw
        .chars()
        .rev()
        .take(120)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    assert!(
        raw.ends_with(&format!(
            "{restore}\r\nqari: no input for 2 s; goodbye.\r\n"
        )),
        "{tail:?}"
    );
    assert!(!t.parser.screen().alternate_screen());
    assert!(!t.parser.screen().hide_cursor());
}

#[test]
fn a_huge_or_empty_pty_is_drawn_at_the_cap_and_the_server_goes_on() {
    if !have_ssh() {
        return;
    }
    let s = start(&[]);
    let rss_before = s.rss_kb();
    let huge = PtySize {
        rows: 65535,
        cols: 65535,
        pixel_width: 65535,
        pixel_height: 65535,
    };
    // Emulated at the cap, which is what the server draws.
    let mut big = s.reader_claiming(huge, 1000, 500);
    assert!(big.wait_for("3 articles", WAIT), "{}", big.screen());
    big.settle(Duration::from_millis(300), WAIT);
    assert_drawn_at(&big, 500, 1000);
    big.send(b"\r");
    assert!(big.wait_for("%", WAIT), "{}", big.screen());
    // Window changes to no size and to the absurd size again: the session goes on.
    big.set_window(PtySize {
        rows: 0,
        cols: 0,
        ..huge
    });
    big.settle(Duration::from_millis(200), WAIT);
    big.set_window(huge);
    big.send(b"j");
    big.settle(Duration::from_millis(300), WAIT);
    assert!(big.screen().contains('%'), "{}", big.screen());
    assert!(max_cursor(&big.raw) <= (500, 1000));
    let rss_big = s.rss_kb();
    // Another reader logs in and reads meanwhile.
    let mut other = s.reader(80, 24);
    assert!(other.wait_for("3 articles", WAIT), "{}", other.screen());
    other.send(b"\r");
    assert!(other.wait_for("%", WAIT), "{}", other.screen());
    other.send(b"q");
    assert_eq!(other.wait_exit(WAIT), Some(0));
    big.send(b"q");
    assert_eq!(big.wait_exit(WAIT), Some(0));
    // A pty of no size (and absurd pixels) is drawn at 80×24.
    let empty = PtySize {
        rows: 0,
        cols: 0,
        ..huge
    };
    let mut t = s.reader_claiming(empty, 80, 24);
    assert!(t.wait_for("3 articles", WAIT), "{}", t.screen());
    t.settle(Duration::from_millis(300), WAIT);
    assert_drawn_at(&t, 24, 80);
    t.send(b"q");
    assert_eq!(t.wait_exit(WAIT), Some(0));
    eprintln!("server RSS: {rss_before} kB idle, {rss_big} kB with a session at the cap");
    assert!(
        rss_big < rss_before + 256 * 1024,
        "a session at the cap stays within its budget: {rss_before} → {rss_big} kB"
    );
}

#[test]
fn a_flood_of_window_changes_is_coalesced_while_others_are_served() {
    if !have_ssh() {
        return;
    }
    let s = start(&[]);
    let mut other = s.reader(80, 24);
    assert!(other.wait_for("3 articles", WAIT), "{}", other.screen());
    let (port, key) = (s.port, s.key("client"));
    let (flooding_tx, flooding) = std::sync::mpsc::channel();
    let cpu_before = s.cpu_ticks();
    let flooder = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let mut c = sshclient::Session::open(port, &key, 80, 24).await.unwrap();
            assert!(c.wait_for("3 articles", WAIT).await);
            for i in 0..20_000u32 {
                let (cols, rows) = if i % 1000 == 999 {
                    (0, 0)
                } else {
                    (60 + i % 100, 20 + i % 50)
                };
                c.window_change(cols, rows, u32::MAX, u32::MAX)
                    .await
                    .unwrap();
                if i == 2000 {
                    flooding_tx.send(()).unwrap();
                }
            }
            c.window_change(90, 28, 0, 0).await.unwrap();
            // The last size is the one drawn.
            let mut drawn = (0, 0);
            let start = Instant::now();
            while drawn != (28, 90) && start.elapsed() < WAIT {
                c.settle(Duration::from_millis(200), WAIT).await;
                let frame = since_last_clear(&c.raw);
                drawn = (max_cursor(frame).0, first_row_width(frame));
            }
            assert_eq!(drawn, (28, 90), "rows and header width of the last frame");
            let n = |v| std::num::NonZeroU16::new(v).unwrap();
            let mut vt = vt100::Parser::new(n(28), n(90), 0);
            vt.process(&c.raw);
            assert!(vt.screen().contents().contains("3 articles"));
        });
    });
    flooding.recv_timeout(WAIT).unwrap();
    // During the flood the other reader's keys get their screens.
    other.send(b"\r");
    assert!(other.wait_for("%", WAIT), "{}", other.screen());
    let before = other.screen();
    other.send(b"jj");
    other.settle(Duration::from_millis(300), WAIT);
    assert_ne!(other.screen(), before, "scrolled");
    flooder.join().unwrap();
    eprintln!(
        "server CPU for 20,000 window changes (and the other reader): {} ticks",
        s.cpu_ticks() - cpu_before
    );
    other.send(b"q");
    assert_eq!(other.wait_exit(WAIT), Some(0));
}

#[test]
fn a_pasted_megabyte_is_one_capped_input_and_sigterm_still_ends_the_server() {
    if !have_ssh() {
        return;
    }
    let mut s = start(&[]);
    let mut a = s.reader(100, 30);
    let mut b = s.reader(80, 24);
    assert!(a.wait_for("3 articles", WAIT) && b.wait_for("3 articles", WAIT));
    a.send(b"/");
    assert!(a.wait_for("search:", WAIT), "{}", a.screen());
    // q, Ctrl-C, an arrow key and line breaks inside: none of it is a key.
    let mut paste = b"\x1b[200~".to_vec();
    while paste.len() < 1 << 20 {
        paste.extend_from_slice(b"qari q \x03\x1b[A\r\nwords ");
    }
    paste.extend_from_slice(b"\x1b[201~");
    a.send(&paste);
    // Meanwhile another reader's key gets its screen.
    b.send(b"\r");
    assert!(b.wait_for("%", WAIT), "{}", b.screen());
    // The paste is the query, cleaned; the session is still there.
    assert!(
        a.wait_for("qari q [A  words qari q [A  words", WAIT)
            && a.screen().contains("search: ")
            && a.screen().contains("the query is cut"),
        "{}",
        a.screen()
    );
    assert_eq!(a.exited(), None);
    a.send(b"\x1b");
    a.settle(Duration::from_millis(300), WAIT);
    a.send(b"\r");
    assert!(a.wait_for("%", WAIT), "{}", a.screen());
    // SIGTERM ends the server, with the sessions told.
    s.sigterm();
    assert!(s.wait_exit(WAIT), "the server did not end after SIGTERM");
    for t in [&mut a, &mut b] {
        t.wait_exit(WAIT);
        assert!(t.raw_text().contains("shutting down; goodbye"));
    }
}

#[test]
fn a_client_that_vanishes_ends_its_session() {
    if !have_ssh() {
        return;
    }
    let logs = tempfile::tempdir().unwrap();
    let log = logs.path().join("serve.log");
    let s = start(&["--log", log.to_str().unwrap()]);
    let mut t = s.reader(80, 24);
    assert!(t.wait_for("3 articles", WAIT), "{}", t.screen());
    let ended = || {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .contains("session ended")
    };
    assert!(!ended());
    // The client dies without closing its channel: only the connection goes.
    let ok = Command::new("kill")
        .args(["-KILL", &t.pid().unwrap().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let start = Instant::now();
    while !ended() && start.elapsed() < WAIT {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        ended(),
        "the session outlived its connection: {}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
}

/// `ssh -tt` from a terminal whose `TERM` is `term`, with `env` set (sent only where `extra`
/// says `SendEnv`).
fn client_in(s: &Server, term: &str, env: &[(&str, &str)], extra: &[&str]) -> pty::Term {
    let mut cmd = CommandBuilder::new("ssh");
    cmd.arg("-tt");
    for a in s.ssh_args("client") {
        cmd.arg(a);
    }
    cmd.args(extra);
    cmd.arg("read@127.0.0.1");
    for k in ["MLTERM", "QARI_BIDI"] {
        cmd.env_remove(k);
    }
    cmd.env("TERM", term);
    for (k, v) in env {
        cmd.env(k, v);
    }
    pty::Term::spawn(cmd, 100, 30)
}

/// Opens the newest article (the seed), waits for `text`, quits: every byte the session sent.
fn read_seed(mut t: pty::Term, text: &str) -> String {
    assert!(t.wait_for("3 articles", WAIT), "{}", t.screen());
    t.send(b"\r");
    assert!(t.wait_for(text, WAIT), "{}", t.screen());
    t.send(b"q");
    assert_eq!(t.wait_exit(WAIT), Some(0));
    t.raw_text()
}

#[test]
fn each_session_takes_its_bidi_mode_from_its_own_client_terminal() {
    if !have_ssh() {
        return;
    }
    let s = start(&[]);
    // TERM=mlterm in the pty request: the terminal mode, each row with its direction (the
    // byline, in logical order, is on the reader's screen only).
    let raw = read_seed(client_in(&s, "mlterm", &[], &[]), "بريت ماكغورك");
    assert!(!raw.contains("\x1b[8l"), "no explicit mode for mlterm");
    assert!(
        raw.contains("\x1b[8h") && raw.contains("\x1b[2 k"),
        "{:?}",
        raw.chars().take(1500).collect::<String>()
    );
    assert!(raw.rfind("\x1b[0 k").unwrap() > raw.rfind("\x1b[2 k").unwrap());
    assert!(
        !raw.chars().any(|c| ('\u{FE70}'..='\u{FEFF}').contains(&c)),
        "unshaped"
    );
    // MLTERM sent with SendEnv, under an xterm TERM: mlterm all the same.
    let raw = read_seed(
        client_in(
            &s,
            "xterm-256color",
            &[("MLTERM", "3.9.0")],
            &["-o", "SendEnv=MLTERM"],
        ),
        "بريت ماكغورك",
    );
    assert!(!raw.contains("\x1b[8l") && raw.contains("\x1b[2 k"));
    // The client's QARI_BIDI wins over its TERM.
    let raw = read_seed(
        client_in(
            &s,
            "mlterm",
            &[("QARI_BIDI", "app")],
            &["-o", "SendEnv=QARI_BIDI"],
        ),
        "ﻙﺭﻮﻐﻛﺎﻣ ﺖﻳﺮﺑ",
    );
    assert!(raw.contains("\x1b[8l\x1b[1 k") && !raw.contains("\x1b[2 k"));
    // An xterm client of the same server (whose own TERM says mlterm): the app mode.
    let raw = read_seed(client_in(&s, "xterm-256color", &[], &[]), "ﻙﺭﻮﻐﻛﺎﻣ ﺖﻳﺮﺑ");
    assert!(raw.contains("\x1b[8l\x1b[1 k") && !raw.contains("\x1b[2 k"));
}

#[test]
fn a_copy_over_ssh_is_an_osc_52_write_to_the_client() {
    if !have_ssh() {
        return;
    }
    let s = start(&[]);
    let mut t = s.reader(100, 30);
    assert!(t.wait_for("3 articles", WAIT), "{}", t.screen());
    t.send(b"\r");
    assert!(t.wait_for("ﻙﺭﻮﻐﻛﺎﻣ ﺖﻳﺮﺑ", WAIT), "{}", t.screen());
    t.send(b"v");
    assert!(t.wait_for("1 paragraph selected", WAIT), "{}", t.screen());
    t.send(b"y");
    assert!(t.wait_for("copied 1 paragraph", WAIT), "{}", t.screen());
    t.send(b"q");
    assert_eq!(t.wait_exit(WAIT), Some(0));
    let raw = t.raw_text();
    let start = raw
        .find("\x1b]52;c;")
        .expect("an OSC 52 write reached the client");
    let end = raw
        .get(start..)
        .and_then(|r| r.find("\x1b\\"))
        .expect("ended by ST");
    assert!(end > 7, "with a payload");
    assert_eq!(raw.matches("\x1b]52;").count(), 1);
}

#[test]
fn the_configured_library_is_served_and_mouse_true_captures_the_wheel() {
    if !have_ssh() {
        return;
    }
    let s = start_configured("mouse = true");
    let mut t = s.reader(100, 30);
    // The library of the config file (three articles), not the embedded sample.
    assert!(t.wait_for("3 articles", WAIT), "{}", t.screen());
    let on = "\x1b[?1000h\x1b[?1002h\x1b[?1003h\x1b[?1015h\x1b[?1006h";
    let raw = t.raw_text();
    assert!(
        raw.contains(&format!("\x1b[?2004h{on}")),
        "mouse capture on with the screen's entry"
    );
    t.send(b"\r");
    assert!(t.wait_for("ﻙﺭﻮﻐﻛﺎﻣ ﺖﻳﺮﺑ", WAIT), "{}", t.screen());
    t.settle(Duration::from_millis(300), WAIT);
    let before = t.screen();
    // The wheel, down, as an SGR mouse report at column 10, row 10.
    t.send(b"\x1b[<65;10;10M");
    t.settle(Duration::from_millis(300), WAIT);
    let after = t.screen();
    assert_eq!(
        after.lines().nth(1),
        before.lines().nth(4),
        "the wheel scrolled by three lines"
    );
    t.send(b"q");
    assert_eq!(t.wait_exit(WAIT), Some(0));
    let raw = t.raw_text();
    let off = "\x1b[?1006l\x1b[?1015l\x1b[?1003l\x1b[?1002l\x1b[?1000l";
    assert!(
        raw.rfind(off).expect("mouse capture off on the way out") > raw.rfind(on).unwrap(),
        "off after on"
    );
}

#[test]
fn without_mouse_the_wheel_is_not_captured_over_ssh() {
    if !have_ssh() {
        return;
    }
    let s = start_configured("mouse = false");
    let mut t = s.reader(100, 30);
    assert!(t.wait_for("3 articles", WAIT), "{}", t.screen());
    t.send(b"q");
    assert_eq!(t.wait_exit(WAIT), Some(0));
    let raw = t.raw_text();
    assert!(!raw.contains("\x1b[?1000h"), "no mouse capture asked for");
    assert!(!raw.contains("\x1b[?1000l"));
}

/// Over SSH a link is an OSC 8 hyperlink for a client terminal that takes them (none for
/// `TERM=linux`), and Enter in the link list copies the link to the client's clipboard.
#[test]
fn links_over_ssh_are_hyperlinks_and_the_list_copies_them() {
    if !have_ssh() {
        return;
    }
    let article = "---\ntitle: Linked\ndate: 2030-01-01\n---\n\nRead [the report](https://news.example/report) today.\n";
    let s = start_from(&[], None, &[("linked.md", article)]);
    let mut t = client_in(&s, "xterm-256color", &[], &[]);
    assert!(t.wait_for("4 articles", WAIT), "{}", t.screen());
    t.send(b"\r");
    assert!(t.wait_for("Read the report today.", WAIT), "{}", t.screen());
    t.send(b"L");
    assert!(t.wait_for("Enter copies", WAIT), "{}", t.screen());
    t.send(b"\r");
    assert!(t.wait_for("copied link 1", WAIT), "{}", t.screen());
    t.send(b"q");
    assert_eq!(t.wait_exit(WAIT), Some(0));
    let raw = t.raw_text();
    assert!(
        raw.contains("\x1b]8;id=qari-0;https://news.example/report\x1b\\t\x1b]8;;\x1b\\"),
        "{raw:?}"
    );
    let copied = raw.find("\x1b]52;c;").expect("an OSC 52 write");
    let payload = raw
        .get(copied + 7..)
        .and_then(|r| r.split("\x1b\\").next())
        .unwrap();
    assert_eq!(
        payload, "aHR0cHM6Ly9uZXdzLmV4YW1wbGUvcmVwb3J0",
        "the target, base64"
    );
    let mut t = client_in(&s, "linux", &[], &[]);
    assert!(t.wait_for("4 articles", WAIT), "{}", t.screen());
    t.send(b"\r");
    assert!(t.wait_for("Read the report today.", WAIT), "{}", t.screen());
    t.send(b"q");
    assert_eq!(t.wait_exit(WAIT), Some(0));
    assert!(!t.raw_text().contains("\x1b]8;"));
}
