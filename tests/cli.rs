//! The command line, run as a user runs it.

use assert_cmd::Command;

#[path = "support/pty.rs"]
#[allow(dead_code, reason = "each user of the harness uses part of it")]
mod pty;

/// The binary, with no config file of the user's (a test that wants one sets its own).
use std::collections::BTreeSet;

fn qari() -> Command {
    let mut cmd = Command::cargo_bin("qari").unwrap();
    cmd.env("QARI_CONFIG", "/nonexistent/config.toml");
    // No database of the user's either: a test that wants one names its own.
    cmd.env("QARI_DB", "/dev/null/library.db");
    cmd
}

fn fixtures(rel: &str) -> String {
    format!("{}/tests/fixtures/{rel}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn list_the_embedded_library() {
    let out = qari()
        .arg("list")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text.lines().count(), 185);
    assert!(text.lines().next().unwrap().starts_with("2025-01-14  en"));
    assert!(text.contains("000_c76da13a58358bbb.txt  التحالف الدولي"));
}

#[test]
fn list_json_has_iso_dates() {
    let out = qari()
        .args(["list", "--json", &fixtures("formats")])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let items = v.as_array().unwrap();
    assert_eq!(items.len(), 8);
    let feed = items.iter().find(|i| i["id"] == "feed.json#1").unwrap();
    assert_eq!(feed["dates"][0], "2025-01-07T11:33:25+13:00");
    assert_eq!(feed["lang"], "en");
    assert_eq!(feed["direction"], "ltr");
    assert_eq!(feed["words"], 6);
    let md = items.iter().find(|i| i["id"] == "report.md").unwrap();
    assert_eq!(md["direction"], "rtl");
}

#[test]
fn check_names_each_bad_file_and_fails() {
    let assert = qari().args(["check", &fixtures("bad")]).assert().code(1);
    let err = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    for (file, why) in [
        ("binary.txt", "binary"),
        ("empty.txt", "empty"),
        ("malformed.json", "not valid JSON"),
        ("invalid_utf8.txt", "UTF-8"),
    ] {
        let line = err
            .lines()
            .find(|l| l.contains(file))
            .unwrap_or_else(|| panic!("{file} is named in:\n{err}"));
        assert!(line.contains(why), "{line}");
        assert!(
            line.starts_with("qari: ") && line.ends_with('.'),
            "one sentence: {line}"
        );
    }
}

#[test]
fn check_of_good_files_passes() {
    qari()
        .args(["check", &fixtures("formats")])
        .assert()
        .success();
    qari().arg("check").assert().success();
}

#[test]
fn usage_errors_exit_2_and_missing_paths_exit_1() {
    qari().args(["list", "--bogus"]).assert().code(2);
    let assert = qari().args(["list", "/no/such/place"]).assert().code(1);
    let err = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(
        err.contains("/no/such/place: skipped: no such file or folder."),
        "{err}"
    );
    assert!(!err.contains("panicked"));
}

#[test]
fn version_and_help() {
    qari()
        .arg("--version")
        .assert()
        .success()
        .stdout(predicates::str::contains("qari 0.1.0"));
    qari().arg("--help").assert().success();
}

#[test]
fn escape_sequences_do_not_reach_stdout() {
    let out = qari()
        .args(["list", &fixtures("bad/escapes.txt")])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert!(
        !out.contains(&0x1b),
        "no ESC byte in {:?}",
        String::from_utf8_lossy(&out)
    );
}

/// The name of the issue: sets the window title, rings the bell and resets the terminal.
const HOSTILE: &str = "x\u{1b}]0;PWNED\u{7}\u{1b}c";

/// Fails if `bytes` hold anything a terminal would act on: a C0 control other than newline
/// and tab, DEL, a C1 control (as UTF-8 or raw), or a bidi embedding, override or isolate.
fn assert_inert(what: &str, bytes: &[u8]) {
    // Valid UTF-8, so no raw byte can be read as a C1 control by an 8-bit terminal.
    let text = std::str::from_utf8(bytes).unwrap_or_else(|e| panic!("{what}: {e}"));
    let bad = text.chars().find(|&c| {
        (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    });
    assert!(bad.is_none(), "{what}: {bad:?} in {text:?}");
}

/// A library folder holding one article whose title comes from its hostile file name, and one
/// whose title holds a right-to-left override.
fn hostile_library() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join(format!("L{HOSTILE}"));
    std::fs::create_dir(&lib).unwrap();
    // A line of text and no title: the title is made from the file name.
    std::fs::write(lib.join(format!("{HOSTILE}.md")), "pwned body text\n").unwrap();
    std::fs::write(
        lib.join("bidi.txt"),
        "Invoice \u{202e}fdp.exe pwned\n\nA body that says pwned.\n",
    )
    .unwrap();
    dir
}

fn run(args: &[&std::ffi::OsStr]) -> std::process::Output {
    qari()
        .args(args)
        .env("QARI_CONFIG", "/nonexistent/config.toml")
        .env("QARI_STATE", "/nonexistent/state.json")
        .env("QARI_DB", "/dev/null/library.db")
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap()
}

#[test]
fn a_hostile_file_name_through_every_command() {
    let dir = hostile_library();
    let lib = std::fs::read_dir(dir.path())
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let file = lib.join(format!("{HOSTILE}.md"));
    let missing = lib.join(format!("{HOSTILE}-missing.md"));
    let (l, f, m) = (lib.as_os_str(), file.as_os_str(), missing.as_os_str());
    let s = std::ffi::OsStr::new;
    let cases: Vec<(&str, Vec<&std::ffi::OsStr>)> = vec![
        ("list", vec![s("list"), l]),
        ("list --json", vec![s("list"), s("--json"), l]),
        (
            "list --sort title",
            vec![s("list"), s("--sort"), s("title"), l],
        ),
        ("check", vec![s("check"), l, m]),
        ("search", vec![s("search"), s("pwned"), l]),
        (
            "search --json",
            vec![s("search"), s("--json"), s("pwned"), l],
        ),
        ("render", vec![s("render"), f]),
        ("render a missing file", vec![s("render"), m]),
        ("list a missing file", vec![s("list"), m]),
        ("bare paths, not a terminal", vec![l]),
    ];
    for (what, args) in &cases {
        let out = run(args);
        assert_inert(&format!("{what}: stdout"), &out.stdout);
        assert_inert(&format!("{what}: stderr"), &out.stderr);
        let all = [out.stdout.as_slice(), out.stderr.as_slice()].concat();
        let all = String::from_utf8_lossy(&all);
        assert!(
            all.contains("x␛]0;PWNED␇␛c"),
            "{what}: the name is shown: {all}"
        );
    }
    // The title made from the name, and the override made visible.
    let out = run(&cases[0].1);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("  x␛]0;PWNED␇␛c\n"), "{text}");
    assert!(text.contains("Invoice ⟨RLO⟩fdp.exe pwned"), "{text}");
    let out = run(&cases[4].1);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("\tInvoice ⟨RLO⟩fdp.exe pwned\t"), "{text}");
    // A missing file's error names it, made safe.
    let out = run(&cases[7].1);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.ends_with("x␛]0;PWNED␇␛c-missing.md: no such file.\n"),
        "{err}"
    );
}

#[test]
fn list_json_escapes_every_control_and_still_parses() {
    let dir = hostile_library();
    let lib = std::fs::read_dir(dir.path())
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let out = run(&[
        std::ffi::OsStr::new("list"),
        std::ffi::OsStr::new("--json"),
        lib.as_os_str(),
    ]);
    assert!(out.status.success());
    assert_inert("list --json", &out.stdout);
    let raw = String::from_utf8(out.stdout).unwrap();
    assert!(raw.contains("Invoice \\u202efdp.exe"), "{raw}");
    let v: serde_json::Value = serde_json::from_str(&raw).unwrap();
    let titles: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["title"].as_str().unwrap())
        .collect();
    // The data keeps the override (escaped); the file name's controls were made visible.
    assert!(
        titles.contains(&"Invoice \u{202e}fdp.exe pwned"),
        "{titles:?}"
    );
    assert!(titles.contains(&"x␛]0;PWNED␇␛c"), "{titles:?}");
}

fn mkfifo(path: &std::path::Path) {
    let ok = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "mkfifo is needed for this test");
}

#[test]
fn fifos_and_devices_are_refused_without_waiting() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe.txt");
    mkfifo(&fifo);
    std::fs::write(dir.path().join("a.txt"), "Title\n\nBody.\n").unwrap();
    let (f, d) = (fifo.as_os_str(), dir.path().as_os_str());
    let s = std::ffi::OsStr::new;
    for args in [
        vec![s("list"), f],
        vec![s("check"), f],
        vec![s("render"), f],
        vec![s("render"), s("/dev/zero")],
        vec![s("search"), s("x"), f],
    ] {
        let out = run(&args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.contains(", not a regular file"), "{args:?}: {err}");
        assert_eq!(
            err.lines().count(),
            // `list` says how many files were skipped; `search` that it searched the files,
            // the database being out of reach.
            if args[0] == "list" || args[0] == "search" {
                2
            } else {
                1
            },
            "{err}"
        );
    }
    // In a folder: one line on stderr, the rest listed.
    let out = run(&[s("list"), d]);
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 1);
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        err,
        format!(
            "qari: {}: skipped: it is a FIFO (named pipe), not a regular file.\n",
            fifo.display()
        )
    );
}

#[test]
fn a_config_file_that_is_not_a_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("config.toml");
    mkfifo(&fifo);
    let article = format!(
        "{}/tests/fixtures/formats/report.md",
        env!("CARGO_MANIFEST_DIR")
    );
    for (config, why) in [
        (
            fifo.to_str().unwrap(),
            "it is a FIFO (named pipe), not a regular file",
        ),
        ("/dev/zero", "it is a character device, not a regular file"),
    ] {
        let out = qari()
            .args(["render", "--width", "60", &article])
            .env("QARI_CONFIG", config)
            .timeout(std::time::Duration::from_secs(60))
            .output()
            .unwrap();
        assert!(out.status.success(), "the defaults are used");
        assert!(!out.stdout.is_empty());
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(
            err,
            format!("qari: {config}: {why}; the default settings are used.\n")
        );
    }
}

#[test]
fn render_width_is_capped() {
    let article = format!(
        "{}/tests/fixtures/formats/report.md",
        env!("CARGO_MANIFEST_DIR")
    );
    for w in ["4294967296", "1000000000", "10001", "0x10", "wide"] {
        let out = qari()
            .args(["render", "--width", w, &article])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "--width {w}");
        assert!(out.stdout.is_empty());
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.contains("--width"), "{err}");
    }
    // The widest allowed: right-to-left lines are padded to it, never past it.
    let out = qari()
        .args(["render", "--width", "10000", &article])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let width = unicode_width::UnicodeWidthStr::width;
    assert!(
        text.lines().any(|l| width(l) > 5000),
        "right-aligned to the width"
    );
    assert!(text.lines().all(|l| width(l) <= 10_000));
}

#[test]
fn linked_folders_are_read_and_loops_noted_without_failing_check() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("lib");
    std::fs::create_dir(&root).unwrap();
    std::fs::write(root.join("a.txt"), "A\n2024-03-16\n\nBody.\n").unwrap();
    let other = dir.path().join("other");
    std::fs::create_dir(&other).unwrap();
    std::fs::write(other.join("b.txt"), "B\n2024-03-16\n\nBody.\n").unwrap();
    std::os::unix::fs::symlink(&other, root.join("more")).unwrap();
    std::os::unix::fs::symlink(&root, other.join("back")).unwrap();
    let out = qari()
        .args(["check", root.to_str().unwrap()])
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{err}");
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "2 files read, 2 articles loaded, 0 files unusable, 1 with warnings.\n"
    );
    assert!(
        err.contains("more/back: it is a link to a folder already read"),
        "{err}"
    );
}

#[test]
fn files_over_the_big_file_limit_are_named_by_check_and_search() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("Huge title\n\n");
    let para = "A paragraph of the huge file, searched for its needle.\n\n";
    while text.len() <= 16 * 1024 * 1024 {
        text.push_str(para);
    }
    let huge = dir.path().join("huge.txt");
    std::fs::write(&huge, &text).unwrap();
    std::fs::write(dir.path().join("small.txt"), "Small\n\nA needle here.\n").unwrap();
    let d = dir.path().to_str().unwrap();
    let out = qari().args(["check", d]).output().unwrap();
    assert!(out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains(&format!(
            "{}: loaded: it is over 16 MiB, so it is parsed in full only when opened, and search \
             finds it by its title only.",
            huge.display()
        )),
        "{err}"
    );
    let out = qari().args(["search", "needle", d]).output().unwrap();
    assert!(out.status.success());
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .starts_with("small.txt\t")
    );
    // Without a database (this one cannot be made), the files are searched as the reader
    // holds them: the huge one by its title.
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        err,
        format!(
            "qari: the library database /dev/null/library.db failed (File exists (os error 17)); \
             the files are searched instead.\nqari: {}: only its title is searched: it \
             is over 16 MiB, so its text is read only when it is opened.\n",
            huge.display()
        )
    );
    // With one, the index holds the huge file's text too.
    let db = dir.path().join("library.db");
    let out = qari()
        .args(["search", "needle", d])
        .env("QARI_DB", &db)
        .output()
        .unwrap();
    assert!(out.status.success());
    let hits = String::from_utf8(out.stdout).unwrap();
    let ids: BTreeSet<&str> = hits.lines().filter_map(|l| l.split('\t').next()).collect();
    assert_eq!(ids, BTreeSet::from(["huge.txt", "small.txt"]), "{hits}");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_hostile_file_name_never_reaches_the_terminal_from_the_reader() {
    let dir = tempfile::tempdir().unwrap();
    // BEL, BS, CR, a C1 CSI and an OSC that sets the window title, then a terminal reset.
    let name = "x\u{1b}]0;PWNED\u{7}\u{8}\r\u{9b}2J\u{1b}c";
    std::fs::write(
        dir.path().join(format!("{name}.md")),
        "a body without a title\n",
    )
    .unwrap();
    let mut cmd = portable_pty::CommandBuilder::new(env!("CARGO_BIN_EXE_qari"));
    cmd.arg(dir.path());
    cmd.env("TERM", "xterm-256color");
    cmd.env("QARI_STATE", dir.path().join(".state.json"));
    cmd.env("QARI_DB", dir.path().join(".library.db"));
    cmd.env("QARI_CONFIG", dir.path().join(".config.toml"));
    cmd.env_remove("QARI_BIDI");
    let wait = std::time::Duration::from_secs(10);
    let mut t = pty::Term::spawn(cmd, 100, 30);
    assert!(t.wait_for("x␛]0;PWNED␇␈␍", wait), "{}", t.screen());
    // Open it.
    t.send(b"\r");
    assert!(t.wait_for("a body without a title", wait), "{}", t.screen());
    t.send(b"q");
    t.send(b"q");
    assert_eq!(t.wait_exit(wait), Some(0));
    let raw = &t.raw;
    let text = String::from_utf8_lossy(raw);
    assert!(!raw.contains(&0x07), "no BEL");
    assert!(!raw.contains(&0x08), "no BS");
    assert!(!text.contains("\u{1b}]0;PWNED"), "no window title set");
    assert!(!text.contains("\u{1b}c"), "no reset");
    assert!(
        !text.chars().any(|c| ('\u{80}'..='\u{9f}').contains(&c)),
        "no C1"
    );
    assert!(
        std::str::from_utf8(raw).is_ok(),
        "valid UTF-8: no raw C1 byte"
    );
}

/// A library of two articles in a temporary folder, and a config file naming it.
fn configured_library() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("library");
    std::fs::create_dir(&lib).unwrap();
    std::fs::write(
        lib.join("zebra.txt"),
        "Zebras of the configured library\n\nThe configured library speaks of zebras.\n",
    )
    .unwrap();
    std::fs::write(
        lib.join("okapi.txt"),
        "Okapis of the configured library\n\nAn okapi is no zebra.\n",
    )
    .unwrap();
    let config = dir.path().join("config.toml");
    let quoted = serde_json::to_string(lib.to_str().unwrap()).unwrap();
    std::fs::write(&config, format!("library = [{quoted}]\n")).unwrap();
    (dir, config)
}

#[test]
fn list_check_and_search_open_the_configured_library() {
    let (_dir, config) = configured_library();
    let run = |args: &[&str]| {
        let out = qari()
            .args(args)
            .env("QARI_CONFIG", &config)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    let (code, list, err) = run(&["list"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(list.lines().count(), 2, "{list}");
    assert!(
        list.contains("zebra.txt") && list.contains("okapi.txt"),
        "{list}"
    );
    let (code, json, _) = run(&["list", "--json"]);
    assert_eq!(code, Some(0));
    let entries: Vec<serde_json::Value> = serde_json::from_str(&json).unwrap();
    assert_eq!(entries.len(), 2);
    let (code, check, err) = run(&["check"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        check.contains("2 files read, 2 articles loaded, 0 files unusable"),
        "{check}"
    );
    let (code, hits, err) = run(&["search", "zebra"]);
    assert_eq!(code, Some(0), "{err}");
    let ids: Vec<&str> = hits
        .lines()
        .map(|l| l.split('\t').next().unwrap())
        .collect();
    assert_eq!(ids.len(), 2, "{hits}");
    assert!(
        ids.iter()
            .all(|id| id.ends_with("zebra.txt") || id.ends_with("okapi.txt"))
    );
    // Not the embedded sample: its catalogue is 185 articles, none about okapis.
    let (code, _, _) = run(&["search", "okapi"]);
    assert_eq!(code, Some(0));
}

#[test]
fn paths_on_the_command_line_win_over_the_configured_library() {
    let (_dir, config) = configured_library();
    let formats = fixtures("formats");
    let out = qari()
        .args(["list", &formats])
        .env("QARI_CONFIG", &config)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(!text.contains("zebra.txt"), "{text}");
    assert!(text.contains("report.md"), "{text}");
    let out = qari()
        .args(["search", "zebra", &formats])
        .env("QARI_CONFIG", &config)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "no zebra among the formats");
    let out = qari()
        .args(["check", &formats])
        .env("QARI_CONFIG", &config)
        .output()
        .unwrap();
    assert!(
        !String::from_utf8(out.stdout)
            .unwrap()
            .contains("2 files read")
    );
}

#[test]
fn without_a_configured_library_the_sample_opens() {
    // A config file that sets other things but names no library.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "mouse = true\nmeasure = 70\n").unwrap();
    let assert = qari()
        .arg("list")
        .env("QARI_CONFIG", &config)
        .assert()
        .success();
    let out = assert.get_output();
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 185);
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `render --logical`: the seed's text as stored (logical order, no presentation forms, no
/// padding, no terminal sequence), the same bytes the article holds; `--plain` lines too.
#[test]
fn render_logical_prints_the_stored_text_for_pipes() {
    let seed = format!(
        "{}/assets/articles/000_c76da13a58358bbb.txt",
        env!("CARGO_MANIFEST_DIR")
    );
    let out = qari()
        .args(["render", "--logical", &seed])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let article = qari::article::parse(
        &std::fs::read(&seed).unwrap(),
        qari::article::Format::Txt,
        "seed.txt",
    )
    .unwrap()
    .articles
    .remove(0);
    assert!(text.starts_with(&format!("{}\n", article.title)), "{text}");
    for b in &article.blocks {
        assert!(text.contains(&b.text), "{:?} is not in the output", b.text);
    }
    assert!(
        !text
            .chars()
            .any(|c| matches!(u32::from(c), 0xFB50..=0xFDFF | 0xFE70..=0xFEFF)),
        "no presentation form"
    );
    assert!(!text.contains('\x1b'));
    assert!(text.lines().all(|l| !l.starts_with(' ')), "no padding");
    let shaped = "\u{FE91}\u{FEF4}\u{FE96}\n";
    let out = qari()
        .args(["render", "--logical", "--plain"])
        .write_stdin(shaped)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "بيت\n");
    let out = qari()
        .args(["render", "--logical", "--width", "40", &seed])
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "a width means nothing in logical order"
    );
}
