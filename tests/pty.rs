//! End to end under a real pseudo-terminal: the binary on a fixture library, read through a
//! VT emulator.

use std::time::Duration;

use portable_pty::CommandBuilder;

#[path = "support/pty.rs"]
#[allow(dead_code, reason = "each user of the harness uses part of it")]
mod pty;

const SEED: &str = "000_c76da13a58358bbb.txt";
const WAIT: Duration = Duration::from_secs(10);

fn library() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let assets = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/articles");
    std::fs::copy(assets.join(SEED), dir.path().join(SEED)).unwrap();
    std::fs::copy(assets.join("0100.txt"), dir.path().join("0100.txt")).unwrap();
    dir
}

fn qari(lib: &std::path::Path, state: &std::path::Path) -> CommandBuilder {
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_qari"));
    cmd.arg(lib);
    cmd.env("TERM", "xterm-256color");
    cmd.env("QARI_STATE", state);
    cmd.env("QARI_CONFIG", state.with_extension("toml"));
    cmd.env_remove("QARI_BIDI");
    cmd.env_remove("MLTERM");
    cmd
}

#[test]
fn open_the_seed_scroll_resize_and_quit() {
    let lib = library();
    let state = lib.path().join("state.json");
    let mut t = pty::Term::spawn(qari(lib.path(), &state), 100, 30);
    assert!(t.wait_for("2 articles", WAIT), "{}", t.screen());
    assert!(t.parser.screen().alternate_screen());
    let raw = t.raw_text();
    assert!(
        raw.contains("\x1b[8l\x1b[1 k"),
        "explicit bidi mode requested"
    );

    // The seed is the newest: open it.
    t.send(b"\r");
    assert!(t.wait_for("ﻙﺭﻮﻐﻛﺎﻣ ﺖﻳﺮﺑ", WAIT), "{}", t.screen());
    let title_row = t.screen().lines().nth(1).unwrap().to_owned();
    assert!(
        title_row.trim_end().ends_with("ﻒﻟﺎﺤﺘﻟﺍ"),
        "the RTL title is right-aligned, shaped and reordered: {title_row:?}"
    );
    // Scroll three lines: the byline row moves up.
    let before = t.screen();
    t.send(b"jjj");
    t.settle(Duration::from_millis(150), WAIT);
    let after = t.screen();
    assert_ne!(before, after);
    let rows_before: Vec<&str> = before.lines().collect();
    let rows_after: Vec<&str> = after.lines().collect();
    assert_eq!(rows_after[1], rows_before[4], "scrolled by three lines");

    // Resize: the article is laid out again for 60 columns, keeping the position.
    t.resize(60, 20);
    t.settle(Duration::from_millis(200), WAIT);
    let narrow = t.screen();
    assert!(
        narrow
            .lines()
            .all(|l| unicode_width::UnicodeWidthStr::width(l) <= 60)
    );
    assert!(narrow.contains('%'), "{narrow}");

    t.send(b"q");
    let code = t.wait_exit(WAIT);
    assert_eq!(code, Some(0));
    assert!(
        !t.parser.screen().alternate_screen(),
        "alternate screen left"
    );
    let raw = t.raw_text();
    let enter = raw.rfind("\x1b[8l\x1b[1 k").unwrap();
    let leave = raw.rfind("\x1b[8h\x1b[0 k").expect("BDSM restored");
    assert!(leave > enter);
    assert!(raw.rfind("\x1b[?1049l").unwrap() > enter);
    let saved = std::fs::read_to_string(&state).expect("state saved on quit");
    assert!(
        saved.contains(SEED) && saved.contains("\"read\":true"),
        "{saved}"
    );
}

#[test]
fn sigterm_restores_the_terminal() {
    let lib = library();
    let state = lib.path().join("state.json");
    let mut t = pty::Term::spawn(qari(lib.path(), &state), 80, 24);
    assert!(t.wait_for("2 articles", WAIT), "{}", t.screen());
    let pid = t.pid().unwrap();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let code = t.wait_exit(WAIT);
    assert_eq!(code, Some(128 + 15));
    assert!(!t.parser.screen().alternate_screen());
    let raw = t.raw_text();
    assert!(raw.rfind("\x1b[8h\x1b[0 k").unwrap() > raw.rfind("\x1b[8l\x1b[1 k").unwrap());
}

#[test]
fn terminal_bidi_mode_sends_logical_order_and_no_explicit_mode() {
    let lib = library();
    let state = lib.path().join("state.json");
    let mut cmd = qari(lib.path(), &state);
    cmd.arg("--bidi");
    cmd.arg("terminal");
    let mut t = pty::Term::spawn(cmd, 100, 30);
    assert!(t.wait_for("2 articles", WAIT));
    t.send(b"\r");
    assert!(t.wait_for("بريت ماكغورك", WAIT), "{}", t.screen());
    t.send(b"q");
    t.wait_exit(WAIT);
    let raw = t.raw_text();
    assert!(!raw.contains("\x1b[8l"));
}

#[test]
fn a_closed_terminal_ends_the_reader_and_keeps_the_state() {
    let lib = library();
    let state = lib.path().join("state.json");
    let mut t = pty::Term::spawn(qari(lib.path(), &state), 80, 24);
    assert!(t.wait_for("2 articles", WAIT), "{}", t.screen());
    t.send(b"\rjj");
    t.settle(Duration::from_millis(300), WAIT);
    t.hang_up(b"j");
    let start = std::time::Instant::now();
    while t.exited().is_none() && start.elapsed() < WAIT {
        std::thread::sleep(Duration::from_millis(50));
    }
    let code = t.exited();
    assert!(code.is_some(), "qari still runs on a closed terminal");
    let saved = std::fs::read_to_string(&state)
        .unwrap_or_else(|e| panic!("state not saved ({e}); exit code {code:?}"));
    assert!(saved.contains(SEED), "{saved}");
}

/// A search runs in the background: its hits reach the screen with no key after the query.
#[test]
fn search_hits_appear_without_another_key() {
    let lib = library();
    let state = lib.path().join("state.json");
    let mut t = pty::Term::spawn(qari(lib.path(), &state), 100, 30);
    assert!(t.wait_for("2 articles", WAIT), "{}", t.screen());
    t.send("/ماكجورك".as_bytes());
    assert!(t.wait_for("1 found", WAIT), "{}", t.screen());
    assert!(t.screen().contains("ماكجورك") || t.screen().contains("ﻙﺭﻮﺠﻛﺎﻣ"));
    t.send(b"\x1b");
    t.settle(Duration::from_millis(100), WAIT);
    t.send(b"\x1b");
    t.settle(Duration::from_millis(100), WAIT);
    t.send(b"q");
    assert_eq!(t.wait_exit(WAIT), Some(0));
}

/// The restore sequences were sent after the entry ones: bidi mode back, cursor shown,
/// alternate screen left.
fn assert_restored(t: &pty::Term) {
    assert!(!t.parser.screen().alternate_screen());
    let raw = t.raw_text();
    let enter = raw
        .rfind("\x1b[8l\x1b[1 k")
        .expect("explicit bidi mode requested");
    for (what, seq) in [
        ("bidi mode", "\x1b[8h\x1b[0 k"),
        ("cursor shown", "\x1b[?25h"),
        ("alternate screen left", "\x1b[?1049l"),
        ("bracketed paste off", "\x1b[?2004l"),
    ] {
        assert!(
            raw.rfind(seq).is_some_and(|at| at > enter),
            "{what} not restored"
        );
    }
}

#[test]
fn every_catchable_ending_signal_restores_the_terminal() {
    for (name, number) in [("USR1", 10), ("USR2", 12), ("ALRM", 14)] {
        let lib = library();
        let state = lib.path().join("state.json");
        let mut t = pty::Term::spawn(qari(lib.path(), &state), 80, 24);
        assert!(t.wait_for("2 articles", WAIT), "{}", t.screen());
        t.send(b"\r");
        assert!(t.wait_for("ﻙﺭﻮﻐﻛﺎﻣ ﺖﻳﺮﺑ", WAIT), "{}", t.screen());
        let pid = t.pid().unwrap();
        let status = std::process::Command::new("kill")
            .args([&format!("-{name}"), &pid.to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        assert_eq!(t.wait_exit(WAIT), Some(128 + number), "SIG{name}");
        assert_restored(&t);
        let saved = std::fs::read_to_string(&state).unwrap_or_default();
        assert!(
            saved.contains(SEED),
            "the state is saved on SIG{name}: {saved}"
        );
    }
}

/// A terminal that says it is 65535×65535 is drawn at the cap, and quits cleanly.
#[test]
fn a_huge_terminal_is_drawn_at_the_cap() {
    let lib = library();
    let state = lib.path().join("state.json");
    let (cols, rows) = (qari::screen::MAX_COLS, qari::screen::MAX_ROWS);
    let mut t = pty::Term::spawn_sized(qari(lib.path(), &state), (65535, 65535), (cols, rows));
    assert!(t.wait_for("2 articles", WAIT), "{}", t.screen());
    // The status line is the frame's last row.
    t.settle(Duration::from_millis(300), WAIT);
    let screen = t.screen();
    let rows_drawn = screen.lines().count();
    assert_eq!(rows_drawn, usize::from(rows), "{screen}");
    let last = screen.lines().last().unwrap_or_default();
    assert!(
        last.contains('?'),
        "the key hints are on row {rows}: {last:?}"
    );
    t.send(b"\r");
    assert!(t.wait_for("ﻙﺭﻮﻐﻛﺎﻣ ﺖﻳﺮﺑ", WAIT), "{}", t.screen());
    t.send(b"q");
    assert_eq!(t.wait_exit(WAIT), Some(0));
    assert_restored(&t);
}

/// Bracketed paste: one input, into the query line, its line breaks spaces and a `q` in it
/// text; past the cap it is cut with a message.
#[test]
fn a_paste_is_one_capped_input() {
    let lib = library();
    let state = lib.path().join("state.json");
    let mut t = pty::Term::spawn(qari(lib.path(), &state), 100, 30);
    assert!(t.wait_for("2 articles", WAIT), "{}", t.screen());
    assert!(
        t.raw_text().contains("\x1b[?2004h"),
        "bracketed paste is asked for"
    );
    t.send(b"/");
    assert!(t.wait_for("search:", WAIT), "{}", t.screen());
    t.send(b"\x1b[200~hostage\rq\x1b[201~");
    assert!(t.wait_for("search: hostage q", WAIT), "{}", t.screen());
    // A long paste: the query is cut, and its end shown.
    let mut long = b"\x1b[200~".to_vec();
    long.extend(std::iter::repeat_n(b'x', 3000));
    long.extend_from_slice(b"\x1b[201~");
    t.send(&long);
    assert!(
        t.wait_for("the query is cut at 1024 characters", WAIT),
        "{}",
        t.screen()
    );
    assert!(t.screen().contains("…xxxx"), "{}", t.screen());
    assert!(t.exited().is_none(), "the pasted q did not quit");
    t.send(b"\x1b");
    t.settle(Duration::from_millis(100), WAIT);
    t.send(b"q");
    assert_eq!(t.wait_exit(WAIT), Some(0));
    assert_restored(&t);
}

/// An article of a huge file (over 16 MiB) is read, parsed and prepared in the background:
/// `Esc` gives the open up, and `q` right after `Enter` quits without waiting for any of it.
#[test]
fn q_quits_at_once_while_a_huge_article_is_opened() {
    let dir = tempfile::tempdir().unwrap();
    let para = "قال المبعوث إن داعش فقد معظم الأراضي التي سيطر عليها منذ 2014.\n\n";
    let body = para.repeat(17 * 1024 * 1024 / para.len() + 1);
    std::fs::write(dir.path().join("huge.txt"), format!("مقال ضخم\n\n{body}")).unwrap();
    let state = dir.path().join("state.json");
    let mut t = pty::Term::spawn(qari(dir.path(), &state), 100, 30);
    assert!(t.wait_for("1 article", WAIT), "{}", t.screen());
    t.send(b"\r");
    t.send(b"q");
    assert_eq!(t.wait_exit(WAIT), Some(0), "{}", t.screen());
    assert_restored(&t);
}

/// Ctrl-Z gives the terminal back and takes it again (here, with no job control, the stop
/// is discarded and the reader resumes at once): the screen is drawn whole again, and keys
/// still work.
#[test]
fn suspend_and_resume_redraw_the_screen() {
    let lib = library();
    let state = lib.path().join("state.json");
    let mut t = pty::Term::spawn(qari(lib.path(), &state), 80, 24);
    assert!(t.wait_for("2 articles", WAIT), "{}", t.screen());
    let before = t.raw.len();
    t.send(b"\x1a");
    t.settle(Duration::from_millis(300), WAIT);
    let after = String::from_utf8_lossy(&t.raw[before..]).into_owned();
    let left = after
        .find("\x1b[?1049l")
        .expect("the alternate screen is left");
    let back = after.rfind("\x1b[?1049h").expect("and entered again");
    assert!(left < back);
    assert!(t.screen().contains("2 articles"), "{}", t.screen());
    t.send(b"j");
    t.settle(Duration::from_millis(100), WAIT);
    t.send(b"q");
    assert_eq!(t.wait_exit(WAIT), Some(0));
    assert_restored(&t);
}
