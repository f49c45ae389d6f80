//! The library kept current while the reader runs: files added to and removed from the
//! library folder show in the list of the real binary under a pseudo-terminal.

use std::time::Duration;

use portable_pty::CommandBuilder;

#[path = "support/pty.rs"]
#[allow(dead_code, reason = "each user of the harness uses part of it")]
mod pty;

/// Generous: the watcher reads the folder again well under a second after a change (the
/// periodic rescan, the fallback, every 30 s).
const WAIT: Duration = Duration::from_secs(45);

fn qari(lib: &std::path::Path, state: &std::path::Path) -> CommandBuilder {
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_qari"));
    cmd.arg(lib);
    cmd.env("TERM", "xterm-256color");
    cmd.env("QARI_STATE", state.join("state.json"));
    cmd.env("QARI_DB", state.join("library.db"));
    cmd.env("QARI_CONFIG", state.join("config.toml"));
    cmd.env_remove("QARI_BIDI");
    cmd.env_remove("MLTERM");
    cmd
}

#[test]
fn files_added_and_removed_while_reading_come_and_go_in_the_list() {
    let lib = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    std::fs::write(
        lib.path().join("first.md"),
        "# Standing Article\n\nIt stays.\n",
    )
    .unwrap();
    std::fs::write(
        lib.path().join("second.md"),
        "# Doomed Article\n\nIt goes.\n",
    )
    .unwrap();
    let mut t = pty::Term::spawn(qari(lib.path(), state.path()), 100, 30);
    assert!(t.wait_for("Doomed Article", WAIT), "{}", t.screen());

    // A new file, in a new subfolder too.
    std::fs::create_dir(lib.path().join("later")).unwrap();
    std::fs::write(
        lib.path().join("later/third.md"),
        "# Freshly Written Article\n\nNew.\n",
    )
    .unwrap();
    assert!(
        t.wait_for("Freshly Written Article", WAIT),
        "{}",
        t.screen()
    );
    assert!(t.wait_for("1 article added", WAIT), "{}", t.screen());
    assert!(t.screen().contains("Standing Article"), "{}", t.screen());

    std::fs::remove_file(lib.path().join("second.md")).unwrap();
    assert!(t.wait_for("1 article removed", WAIT), "{}", t.screen());
    let screen = t.screen();
    assert!(!screen.contains("Doomed Article"), "{screen}");
    assert!(screen.contains("Freshly Written Article"), "{screen}");
    assert!(screen.contains("Standing Article"), "{screen}");

    t.send(b"q");
    assert_eq!(t.wait_exit(WAIT), Some(0), "{}", t.screen());
}

#[test]
fn a_library_the_database_holds_opens_on_its_first_page_then_lists_the_whole() {
    let lib = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    // More articles than the first page holds; the oldest is listed last.
    let day = |i: u32| {
        let d = chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap() + chrono::Days::new(i.into());
        d.format("%Y-%m-%d").to_string()
    };
    let n = u32::try_from(qari::library::FIRST_PAGE).unwrap() + 200;
    for i in 0..n {
        std::fs::write(
            lib.path().join(format!("a{i:04}.txt")),
            format!("Article {i:04}\n{}\n\nBody {i}.\n", day(i)),
        )
        .unwrap();
    }
    let indexed = std::process::Command::new(env!("CARGO_BIN_EXE_qari"))
        .arg("index")
        .arg("--db")
        .arg(state.path().join("library.db"))
        .arg(lib.path())
        .env("QARI_CONFIG", state.path().join("config.toml"))
        .output()
        .unwrap();
    assert!(indexed.status.success(), "{indexed:?}");
    let mut t = pty::Term::spawn(qari(lib.path(), state.path()), 100, 30);
    let whole = format!("{n} articles · {n} unread");
    assert!(t.wait_for(&whole, WAIT), "{}", t.screen());
    assert!(
        t.screen().contains(&format!("Article {:04}", n - 1)),
        "newest first"
    );
    // The end of the list is an article the first page did not hold.
    t.send(b"G");
    assert!(t.wait_for("Article 0000", WAIT), "{}", t.screen());
    // The whole library is no change to report.
    assert!(
        !t.screen().contains("the library changed"),
        "{}",
        t.screen()
    );
    t.send(b"q");
    assert_eq!(t.wait_exit(WAIT), Some(0), "{}", t.screen());
}
