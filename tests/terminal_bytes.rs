//! The bytes qari sends to a real pseudo-terminal: colours as a 16-colour terminal takes
//! them.

use std::time::Duration;

use portable_pty::CommandBuilder;

#[path = "support/pty.rs"]
#[allow(dead_code, reason = "each user of the harness uses part of it")]
mod pty;

const SEED: &str = "000_c76da13a58358bbb.txt";
const WAIT: Duration = Duration::from_secs(10);

fn qari(lib: &std::path::Path, term: &str) -> CommandBuilder {
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_qari"));
    cmd.arg(lib);
    cmd.env("TERM", term);
    cmd.env("QARI_STATE", lib.join("state.json"));
    cmd.env("QARI_DB", lib.join("library.db"));
    cmd.env("QARI_CONFIG", lib.join("config.toml"));
    cmd.env_remove("QARI_BIDI");
    cmd.env_remove("NO_COLOR");
    cmd.env_remove("COLORTERM");
    cmd
}

fn library() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let assets = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/articles");
    std::fs::copy(assets.join(SEED), dir.path().join(SEED)).unwrap();
    dir
}

/// With `TERM=xterm` (or `linux`, `screen`) the theme's colours go out as SGR 30–37/90–97,
/// never as `38;5;N`; with a 256-colour TERM crossterm's own form stays.
#[test]
fn sixteen_colours_are_sent_as_sgr_30_to_37_and_90_to_97() {
    for term in ["xterm", "linux", "screen"] {
        let lib = library();
        let mut t = pty::Term::spawn(qari(lib.path(), term), 90, 24);
        assert!(t.wait_for("1 article", WAIT), "{}", t.screen());
        // Open the seed: its title is magenta, the unread mark cyan.
        t.send(b"\r");
        assert!(t.wait_for("ﻙﺭﻮﻐﻛﺎﻣ", WAIT), "{}", t.screen());
        t.send(b"q");
        assert_eq!(t.wait_exit(WAIT), Some(0));
        let raw = t.raw_text();
        assert!(
            !raw.contains("38;5;") && !raw.contains("48;5;"),
            "{term}: {raw:?}"
        );
        assert!(
            raw.contains("\x1b[35m") || raw.contains("\x1b[35;"),
            "{term}: the magenta title as SGR 35: {raw:?}"
        );
    }
    let lib = library();
    let mut t = pty::Term::spawn(qari(lib.path(), "xterm-256color"), 90, 24);
    assert!(t.wait_for("1 article", WAIT), "{}", t.screen());
    t.send(b"q");
    assert_eq!(t.wait_exit(WAIT), Some(0));
    assert!(
        t.raw_text().contains("38;5;6"),
        "the cyan mark, as crossterm writes it"
    );
}

/// `v j y` in the seed: the two paragraphs reach the terminal as one OSC 52 write, their
/// stored text (logical order, unshaped) in base64, and the status says so.
#[test]
fn a_copy_is_an_osc_52_write_of_the_logical_text() {
    let lib = library();
    let article = qari::library::Library::open(&[lib.path().to_path_buf()])
        .article(0)
        .unwrap();
    let mut t = pty::Term::spawn(qari(lib.path(), "xterm-256color"), 100, 30);
    assert!(t.wait_for("1 article", WAIT), "{}", t.screen());
    t.send(b"\r");
    assert!(t.wait_for("ﻙﺭﻮﻐﻛﺎﻣ", WAIT), "{}", t.screen());
    t.send(b"v");
    assert!(t.wait_for("1 paragraph selected", WAIT), "{}", t.screen());
    t.send(b"j");
    assert!(t.wait_for("2 paragraphs selected", WAIT), "{}", t.screen());
    t.send(b"y");
    assert!(t.wait_for("copied 2 paragraphs", WAIT), "{}", t.screen());
    t.send(b"q");
    assert_eq!(t.wait_exit(WAIT), Some(0));
    let raw = t.raw_text();
    let start = raw.find("\x1b]52;c;").expect("an OSC 52 write");
    let sent = raw.get(start..).unwrap();
    let sent = sent.get(..sent.find("\x1b\\").unwrap() + 2).unwrap();
    // Which two paragraphs: the write must be exactly two neighbouring blocks' text.
    let found = (0..article.blocks.len() - 1).find(|&b| {
        let text = format!(
            "{}\n\n{}",
            article.blocks[b].text,
            article.blocks[b + 1].text
        );
        qari::app::osc52(&text) == sent.as_bytes()
    });
    assert!(
        found.is_some(),
        "the write is two paragraphs' stored text: {sent:?}"
    );
    assert_eq!(raw.matches("\x1b]52;").count(), 1, "written once");
}

/// A library of one Markdown article with two neighbouring links.
fn linked_library() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("links.md"),
        "---\ntitle: Links\nurl: https://paper.example/a/b\n---\n\n\
         Reported by [CNN](https://cnn.com) [BBC News](../bbc) and more.\n",
    )
    .unwrap();
    dir
}

/// A link's cells go out as OSC 8 hyperlinks, each cell opening and closing its link (so a
/// partial redraw leaves no link open), and the screen shows the text in its columns; not to
/// the Linux console, and not when the config turns them off.
#[test]
fn links_are_sent_as_osc_8_hyperlinks_where_the_terminal_takes_them() {
    let lib = linked_library();
    let mut t = pty::Term::spawn(qari(lib.path(), "xterm-256color"), 80, 24);
    assert!(t.wait_for("1 article", WAIT), "{}", t.screen());
    t.send(b"\r");
    assert!(
        t.wait_for("Reported by CNN · BBC News and more.", WAIT),
        "{}",
        t.screen()
    );
    t.send(b"q");
    assert_eq!(t.wait_exit(WAIT), Some(0));
    let raw = t.raw_text();
    for (id, target, letter) in [
        (0, "https://cnn.com", 'C'),
        (1, "https://paper.example/bbc", 'B'),
        (1, "https://paper.example/bbc", ' '),
    ] {
        let cell = format!("\x1b]8;id=qari-{id};{target}\x1b\\{letter}\x1b]8;;\x1b\\");
        assert!(raw.contains(&cell), "{cell:?} in {raw:?}");
    }
    assert_eq!(
        raw.matches("\x1b]8;id=").count(),
        raw.matches("\x1b]8;;\x1b\\").count(),
        "every link opened is closed"
    );
    assert_eq!(
        raw.matches("\x1b]8;id=qari-0;").count(),
        3,
        "one per cell of CNN"
    );

    for (term, config) in [("linux", ""), ("xterm-256color", "hyperlinks = false\n")] {
        let lib = linked_library();
        std::fs::write(lib.path().join("config.toml"), config).unwrap();
        let mut t = pty::Term::spawn(qari(lib.path(), term), 80, 24);
        assert!(t.wait_for("1 article", WAIT), "{}", t.screen());
        t.send(b"\r");
        assert!(
            t.wait_for("Reported by CNN · BBC News", WAIT),
            "{}",
            t.screen()
        );
        t.send(b"q");
        assert_eq!(t.wait_exit(WAIT), Some(0));
        assert!(!t.raw_text().contains("\x1b]8;"), "{term} {config:?}");
    }
}
