//! Terminal awareness, checked from the bytes qari writes to a real pseudo-terminal (and to a
//! pipe): mlterm gets the `terminal` bidi mode without being asked, `QARI_BIDI` and the config
//! still win, `terminal` rows carry their paragraph direction (SCP) instead of padding, and
//! `qari render` frames its output in the mode's sequences only on a terminal.

use std::time::Duration;

use assert_cmd::Command;
use portable_pty::CommandBuilder;

#[path = "support/pty.rs"]
#[allow(dead_code, reason = "each user of the harness uses part of it")]
mod pty;

const SEED: &str = "000_c76da13a58358bbb.txt";
const TITLE: &str = "التحالف الدولي";
/// The title's start as qari draws it in the `app` mode: shaped, reordered.
const SHAPED_TITLE_START: &str = "ﻒﻟﺎﺤﺘﻟﺍ";
/// The byline, on the reader's screen only: logical, and as the `app` mode draws it.
const BYLINE: &str = "بريت ماكغورك";
const SHAPED_BYLINE: &str = "ﻙﺭﻮﻐﻛﺎﻣ ﺖﻳﺮﺑ";
const WAIT: Duration = Duration::from_secs(10);
/// The quotation bar in the `terminal` mode.
const BAR: char = '\u{2759}';

fn seed() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets/articles")
        .join(SEED)
}

struct Setup {
    dir: tempfile::TempDir,
}

impl Setup {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let lib = dir.path().join("library");
        std::fs::create_dir(&lib).unwrap();
        std::fs::copy(seed(), lib.join(SEED)).unwrap();
        Self { dir }
    }

    fn config(&self) -> std::path::PathBuf {
        self.dir.path().join("config.toml")
    }

    /// The reader on the library, in a terminal whose environment is `env` (nothing else of
    /// this process's terminal environment leaks in).
    fn reader(&self, env: &[(&str, &str)]) -> pty::Term {
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_qari"));
        cmd.arg(self.dir.path().join("library"));
        for k in ["QARI_BIDI", "MLTERM", "VTE_VERSION"] {
            cmd.env_remove(k);
        }
        cmd.env("TERM", "xterm-256color");
        cmd.env("QARI_STATE", self.dir.path().join("state.json"));
        cmd.env("QARI_DB", self.dir.path().join("library.db"));
        cmd.env("QARI_CONFIG", self.config());
        for (k, v) in env {
            cmd.env(k, v);
        }
        pty::Term::spawn(cmd, 100, 30)
    }

    /// `qari render ARGS` under a pty, to its end: every byte it wrote.
    fn render_tty(&self, args: &[&str], env: &[(&str, &str)]) -> String {
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_qari"));
        cmd.arg("render");
        cmd.args(args);
        for k in ["QARI_BIDI", "MLTERM", "VTE_VERSION"] {
            cmd.env_remove(k);
        }
        cmd.env("TERM", "xterm-256color");
        cmd.env("QARI_CONFIG", self.config());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut t = pty::Term::spawn(cmd, 100, 30);
        assert_eq!(t.wait_exit(WAIT), Some(0), "{}", t.raw_text());
        t.raw_text()
    }

    /// `qari render ARGS` to a pipe: its standard output.
    fn render_pipe(&self, args: &[&str], env: &[(&str, &str)]) -> String {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_qari"));
        cmd.arg("render").args(args);
        for k in ["QARI_BIDI", "MLTERM", "VTE_VERSION"] {
            cmd.env_remove(k);
        }
        cmd.env("TERM", "xterm-256color")
            .env("QARI_CONFIG", self.config());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.assert().success().get_output().stdout.clone();
        String::from_utf8(out).unwrap()
    }
}

/// Every `CSI row;col H [SGR…] CSI d SP k` in `raw` (the cursor put on a row, then its
/// direction, only colours and attributes between): (row, direction), rows from 1.
fn row_directions(raw: &str) -> Vec<(u32, u32)> {
    let b = raw.as_bytes();
    let mut found = Vec::new();
    let mut row: Option<u32> = None;
    let mut i = 0;
    while i < b.len() {
        if b[i] != 0x1b || b.get(i + 1) != Some(&b'[') {
            row = None;
            i += 1;
            continue;
        }
        let start = i + 2;
        let mut j = start;
        while j < b.len() && (b[j].is_ascii_digit() || b[j] == b';' || b[j] == b'?') {
            j += 1;
        }
        let params = std::str::from_utf8(&b[start..j]).unwrap_or("");
        let space = b.get(j) == Some(&b' ');
        if space {
            j += 1;
        }
        match (space, b.get(j).copied()) {
            (false, Some(b'H')) => {
                row = Some(
                    params
                        .split(';')
                        .next()
                        .and_then(|r| r.parse().ok())
                        .unwrap_or(1),
                );
            }
            (false, Some(b'm')) => {}
            (true, Some(b'k')) => {
                if let Some(r) = row {
                    found.push((r, params.parse().unwrap_or(0)));
                }
                row = None;
            }
            _ => row = None,
        }
        i = j + 1;
    }
    found
}

/// Whether `text` holds an Arabic presentation form (shaped text).
fn has_presentation_forms(text: &str) -> bool {
    text.chars()
        .any(|c| ('\u{FB50}'..='\u{FDFF}').contains(&c) || ('\u{FE70}'..='\u{FEFF}').contains(&c))
}

#[test]
fn mlterm_gets_the_terminal_mode_with_directed_unpadded_logical_rows() {
    let s = Setup::new();
    let mut t = s.reader(&[("MLTERM", "3.9.0")]);
    assert!(t.wait_for("1 article", WAIT), "{}", t.screen());
    t.send(b"\r");
    assert!(t.wait_for(BYLINE, WAIT), "{}", t.screen());
    t.settle(Duration::from_millis(200), WAIT);
    let screen = t.screen();
    t.send(b"q");
    assert_eq!(t.wait_exit(WAIT), Some(0));
    let raw = t.raw_text();
    assert!(!raw.contains("\x1b[8l"), "no explicit mode for mlterm");
    assert!(raw.contains("\x1b[8h"), "implicit mode asked for on entry");
    assert!(!has_presentation_forms(&raw), "unshaped");
    // vt100 does no bidi: the screen shows what was sent, in logical order, from the left
    // (the row's start), not padded towards the right.
    let title_row = screen.lines().nth(1).unwrap();
    assert!(
        title_row.trim_start().starts_with(TITLE),
        "logical order: {title_row:?}"
    );
    // Unpadded inside the reading measure (80 columns, centred in 100: 10 on each side, so
    // the terminal's mirroring keeps the row inside the measure); a right-aligned row would
    // start near column 30.
    let pad = title_row.chars().take_while(|&c| c == ' ').count();
    assert!(pad <= 10 + 2, "unpadded (only the margin): {title_row:?}");
    // Each redrawn row got its direction: the header LTR, the Arabic title RTL.
    let dirs = row_directions(&raw);
    assert!(dirs.contains(&(1, 1)), "{dirs:?}");
    assert!(dirs.contains(&(2, 2)), "{dirs:?}");
    // The way out restores the default direction, after the last row's.
    let last_row = raw.rfind("\x1b[2 k").unwrap();
    assert!(raw.rfind("\x1b[0 k").unwrap() > last_row);
    assert!(raw.rfind("\x1b[?1049l").unwrap() > last_row);
}

#[test]
fn term_mlterm_is_detected_too() {
    let s = Setup::new();
    let mut t = s.reader(&[("TERM", "mlterm")]);
    assert!(t.wait_for("1 article", WAIT), "{}", t.screen());
    t.send(b"q");
    assert_eq!(t.wait_exit(WAIT), Some(0));
    let raw = t.raw_text();
    assert!(!raw.contains("\x1b[8l") && raw.contains("\x1b[8h"));
}

#[test]
fn qari_bidi_app_overrides_mlterm_detection() {
    let s = Setup::new();
    let mut t = s.reader(&[("MLTERM", "3.9.0"), ("QARI_BIDI", "app")]);
    assert!(t.wait_for("1 article", WAIT), "{}", t.screen());
    t.send(b"\r");
    assert!(t.wait_for(SHAPED_BYLINE, WAIT), "{}", t.screen());
    t.send(b"q");
    assert_eq!(t.wait_exit(WAIT), Some(0));
    let raw = t.raw_text();
    assert!(raw.contains("\x1b[8l\x1b[1 k"), "explicit mode");
    assert!(!raw.contains("\x1b[2 k"), "no RTL rows in app mode");
    assert!(row_directions(&raw).is_empty());
}

#[test]
fn the_config_file_overrides_mlterm_detection_and_the_flag_overrides_both() {
    let s = Setup::new();
    std::fs::write(s.config(), "bidi = \"app\"\n").unwrap();
    let mut t = s.reader(&[("MLTERM", "3.9.0")]);
    assert!(t.wait_for("1 article", WAIT), "{}", t.screen());
    t.send(b"q");
    assert_eq!(t.wait_exit(WAIT), Some(0));
    assert!(t.raw_text().contains("\x1b[8l\x1b[1 k"));

    // The flag wins over the config file.
    let file = seed().display().to_string();
    let out = s.render_pipe(
        &["--width", "80", "--bidi", "terminal", &file],
        &[("MLTERM", "3.9.0")],
    );
    assert!(
        out.starts_with(TITLE) && !has_presentation_forms(&out),
        "{out:?}"
    );
    let out = s.render_pipe(&["--width", "80", &file], &[("MLTERM", "3.9.0")]);
    assert!(
        out.contains(SHAPED_TITLE_START),
        "the config's app: {out:?}"
    );
}

#[test]
fn render_to_a_terminal_frames_app_output_in_explicit_mode_and_to_a_pipe_prints_none() {
    let s = Setup::new();
    let file = seed().display().to_string();
    let raw = s.render_tty(&["--width", "80", &file], &[]);
    let enter = raw.find("\x1b[8l\x1b[1 k").expect("explicit mode first");
    let text = raw
        .find(SHAPED_TITLE_START)
        .expect("shaped, reordered title");
    let leave = raw.rfind("\x1b[8h\x1b[0 k").expect("implicit mode after");
    assert!(enter < text && text < leave, "{raw:?}");
    assert_eq!(enter, 0, "nothing before the entry: {raw:?}");
    assert!(
        raw.ends_with("\x1b[8h\x1b[0 k"),
        "nothing after the way out: {raw:?}"
    );

    let piped = s.render_pipe(&["--width", "80", &file], &[]);
    assert!(!piped.contains('\x1b'), "no control to a pipe: {piped:?}");
    assert!(piped.contains(SHAPED_TITLE_START));
    // The same lines, framed or not.
    let unframed = raw
        .trim_start_matches("\x1b[8l\x1b[1 k")
        .trim_end_matches("\x1b[8h\x1b[0 k")
        .replace("\r\n", "\n");
    assert_eq!(unframed, piped);
}

#[test]
fn render_in_terminal_mode_gives_each_line_its_direction_and_no_padding() {
    let s = Setup::new();
    let file = seed().display().to_string();
    let raw = s.render_tty(&["--width", "80", "--bidi", "terminal", &file], &[]);
    assert!(raw.starts_with("\x1b[8h"), "implicit mode: {raw:?}");
    assert!(
        raw.ends_with("\x1b[0 k"),
        "default direction after: {raw:?}"
    );
    assert!(!raw.contains("\x1b[8l"));
    assert!(!has_presentation_forms(&raw));
    // The title: RTL control, then the logical text at once, no padding.
    assert!(raw.contains(&format!("\x1b[2 k{TITLE}")), "{raw:?}");
    // Every line starts with a direction control.
    let body = raw.trim_start_matches("\x1b[8h");
    for line in body
        .split("\r\n")
        .filter(|l| !l.is_empty() && *l != "\x1b[0 k")
    {
        assert!(
            line.starts_with("\x1b[1 k") || line.starts_with("\x1b[2 k"),
            "{line:?}"
        );
    }

    // mlterm, to a pipe: the terminal mode without being asked, no control, no padding.
    let piped = s.render_pipe(&["--width", "80", &file], &[("MLTERM", "3.9.0")]);
    assert!(!piped.contains('\x1b'), "{piped:?}");
    assert!(!has_presentation_forms(&piped));
    assert!(piped.starts_with(TITLE), "{piped:?}");
    // … and QARI_BIDI=app still wins there.
    let app = s.render_pipe(
        &["--width", "80", &file],
        &[("MLTERM", "3.9.0"), ("QARI_BIDI", "app")],
    );
    assert!(app.contains(SHAPED_TITLE_START));
}

/// The app on the embedded library in `mode`, `w`×`h`, the seed open.
fn app_on_seed(mode: qari::layout::BidiMode, w: u16, h: u16) -> qari::app::App {
    use qari::app::{App, Input};
    let lib = std::sync::Arc::new(qari::library::Library::embedded());
    let opts = qari::layout::Options {
        mode,
        ..qari::layout::Options::default()
    };
    let config = qari::config::Config::default();
    let mut app = App::new(lib, &config, qari::store::Shelf::in_memory(), opts);
    app.handle(Input::Resize(w, h));
    let seed = app.library().position(SEED).expect("the seed is embedded");
    app.open(seed);
    app
}

/// Every row of the app as drawn, cell symbols joined.
fn drawn_rows(app: &qari::app::App) -> Vec<String> {
    let (w, h) = app.size();
    let area = ratatui::layout::Rect::new(0, 0, w, h);
    let mut buf = ratatui::buffer::Buffer::empty(area);
    qari::ui::render(app, &qari::ui::Theme::default(), area, &mut buf);
    (0..h)
        .map(|y| {
            // A cell's symbol, without the bidi controls it carries for the terminal (they
            // take no column).
            (0..w)
                .map(|x| buf[(x, y)].symbol().replace(is_control, ""))
                .collect()
        })
        .collect()
}

#[test]
fn terminal_mode_rtl_rows_are_placed_for_the_terminal_to_mirror() {
    use qari::app::Input;
    use qari::layout::BidiMode;
    let mut app = app_on_seed(BidiMode::Terminal, 100, 30);
    assert!(qari::terminal::rows_carry_direction(&app));
    let text = app.geometry().text.unwrap();
    let dirs = qari::terminal::row_directions(&app);
    assert_eq!(dirs.len(), 30);
    assert!(!dirs[0], "the header is LTR");
    assert!(dirs[1], "the Arabic title is RTL");
    assert!(!dirs[29], "the status line is LTR");
    let rows = drawn_rows(&app);
    // The title from the text column's start, in logical order: no padding.
    let lead = rows[1].chars().take_while(|&c| c == ' ').count();
    assert_eq!(lead, usize::from(text.x), "{:?}", rows[1]);
    assert!(rows[1].trim_start().starts_with(TITLE));

    // At the end, the quotation: the bar first (the terminal puts it on the right), then
    // the text, as an LTR quote is placed. The bar is not a box-drawing character (mlterm
    // lays out a line holding one left to right).
    app.handle(Input::Key(crossterm::event::KeyEvent::new(
        crossterm::event::KeyCode::Char('G'),
        crossterm::event::KeyModifiers::NONE,
    )));
    let rows = drawn_rows(&app);
    let dirs = qari::terminal::row_directions(&app);
    let quote = rows
        .iter()
        .position(|r| r.contains(BAR))
        .expect("the quotation is on screen");
    assert!(dirs[quote]);
    let row = &rows[quote];
    assert!(!row.contains('┃'), "{row:?}");
    assert_eq!(row.trim_start().chars().next(), Some(BAR), "{row:?}");
    assert_eq!(
        row.chars().position(|c| c == BAR),
        Some(usize::from(text.x))
    );
    assert!(
        row.trim_start()
            .trim_start_matches(BAR)
            .trim_start()
            .starts_with('«')
    );

    // The app mode draws the same quote with its bar on the right, right-aligned.
    let mut app = app_on_seed(BidiMode::App, 100, 30);
    app.handle(Input::Key(crossterm::event::KeyEvent::new(
        crossterm::event::KeyCode::Char('G'),
        crossterm::event::KeyModifiers::NONE,
    )));
    assert!(!qari::terminal::rows_carry_direction(&app));
    assert!(qari::terminal::row_directions(&app).iter().all(|&r| !r));
    let rows = drawn_rows(&app);
    let row = rows.iter().find(|r| r.contains('┃')).unwrap();
    assert_eq!(row.trim_end().chars().last(), Some('┃'), "{row:?}");
}

#[test]
fn side_by_side_rows_stay_ltr_and_padded() {
    use qari::layout::BidiMode;
    let app = app_on_seed(BidiMode::Terminal, 160, 30);
    assert!(app.geometry().divider.is_some());
    assert!(!qari::terminal::rows_carry_direction(&app));
    assert!(qari::terminal::row_directions(&app).iter().all(|&r| !r));
    // The RTL title sits at the right of the reader's text column: padded, for an LTR row.
    let text = app.geometry().text.unwrap();
    let rows = drawn_rows(&app);
    let title: String = rows[1]
        .chars()
        .skip(usize::from(text.x))
        .take(usize::from(text.width))
        .collect();
    assert!(title.starts_with("  "), "{title:?}");
    assert!(title.trim_end().ends_with("المحررة"), "{title:?}");
}

/// An Arabic article with a machine timestamp (shown as a date line in an isolate) and a
/// quotation, beside the seed.
const DATED: &str = "---\ntitle: اجتماع التحالف\ndate: 2018-06-18T13:50:00+01:00\n---\n\n\
                     قال المتحدث إن الاجتماع انتهى.\n\n> «قول» نص الاقتباس\n";
/// Its date line as the reader and `render` show it, in its isolate.
const DATE_LINE: &str = "\u{2066}2018-06-18 13:50 +01:00\u{2069}";

/// `raw` without its escape sequences (CSI and two-byte ones): the characters sent.
fn characters(raw: &str) -> String {
    let mut out = String::new();
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\x1b' {
            out.push(c);
            continue;
        }
        if chars.next_if_eq(&'[').is_some() {
            // Parameters and intermediates, then the final byte.
            for d in chars.by_ref() {
                if ('\x40'..='\x7e').contains(&d) {
                    break;
                }
            }
        } else {
            chars.next();
        }
    }
    out
}

/// Whether `c` is a bidi control (isolates, embeddings, marks).
fn is_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Whether `text` holds a bidi control.
fn has_controls(text: &str) -> bool {
    text.chars().any(is_control)
}

#[test]
fn terminal_mode_list_rows_isolate_the_date_after_a_bar_and_date_lines_keep_their_isolate() {
    let s = Setup::new();
    std::fs::write(s.dir.path().join("library/dated.md"), DATED).unwrap();
    let mut t = s.reader(&[("QARI_BIDI", "terminal")]);
    assert!(t.wait_for("2 articles", WAIT), "{}", t.screen());
    let list = characters(&t.raw_text());
    // The title, then the bar, then the date alone in a left-to-right isolate (VTE keeps
    // it out of the title's run).
    assert!(
        list.contains("\u{2502}\u{2066}2018-06-18\u{2069}"),
        "{list:?}"
    );
    assert!(
        list.contains("\u{2502}\u{2066}2017-11-16\u{2069}"),
        "{list:?}"
    );
    // Open the dated article (the newest: the first row).
    t.send(b"\r");
    assert!(t.wait_for("2018-06-18 13:50", WAIT), "{}", t.screen());
    t.settle(Duration::from_millis(200), WAIT);
    t.send(b"q");
    assert_eq!(t.wait_exit(WAIT), Some(0));
    let sent = characters(&t.raw_text());
    // The date line keeps its isolate, the LRI after the margin's space (a terminal joins a
    // zero-width character to the cell before it). (Only the cells a frame changes are
    // sent, so the stream is compared piece by piece.)
    assert!(sent.contains(" \u{2066}2018-06-18"), "{sent:?}");
    assert!(sent.contains("+01:00\u{2069}"), "{sent:?}");
    // The quotation's bar is not a box-drawing character, and comes first.
    assert!(sent.contains(&format!("{BAR}«قول»")), "{sent:?}");
}

#[test]
fn mlterm_gets_the_bar_that_keeps_list_rows_ltr_and_no_bidi_control_at_all() {
    let s = Setup::new();
    std::fs::write(s.dir.path().join("library/dated.md"), DATED).unwrap();
    let mut t = s.reader(&[("MLTERM", "3.9.0")]);
    assert!(t.wait_for("2 articles", WAIT), "{}", t.screen());
    let list = characters(&t.raw_text());
    // mlterm lays a line with a box-drawing character out left to right, the pieces on
    // either side apart: the row is not mirrored, the date stays on its own.
    assert!(list.contains("\u{2502}2018-06-18"), "{list:?}");
    assert!(list.contains("\u{2502}2017-11-16"), "{list:?}");
    t.send(b"\r");
    assert!(t.wait_for("2018-06-18 13:50", WAIT), "{}", t.screen());
    t.settle(Duration::from_millis(200), WAIT);
    t.send(b"q");
    assert_eq!(t.wait_exit(WAIT), Some(0));
    let sent = characters(&t.raw_text());
    // mlterm draws an isolate as a cell and gives a mark a column: none is sent.
    assert!(!has_controls(&sent), "{sent:?}");
    assert!(sent.contains("2018-06-18 1"), "{sent:?}");
    assert!(sent.contains(&format!("{BAR}«قول»")), "{sent:?}");
    assert!(!sent.contains('┃'), "{sent:?}");
}

#[test]
fn render_in_terminal_mode_keeps_the_date_isolate_after_a_space_and_mlterm_gets_none() {
    let s = Setup::new();
    let file = s.dir.path().join("dated.md");
    std::fs::write(&file, DATED).unwrap();
    let file = file.display().to_string();
    let raw = s.render_tty(&["--width", "60", "--bidi", "terminal", &file], &[]);
    // Its own row, right to left, the isolate after one space (at a row's first column VTE
    // would drop it).
    assert!(
        raw.contains(&format!("\x1b[2 k {DATE_LINE}\r\n")),
        "{raw:?}"
    );
    assert!(raw.contains(&format!("\x1b[2 k{BAR} «قول»")), "{raw:?}");
    let ml = s.render_tty(&["--width", "60", &file], &[("MLTERM", "3.9.0")]);
    assert!(
        ml.starts_with("\x1b[8h"),
        "mlterm: the terminal mode unasked: {ml:?}"
    );
    assert!(!has_controls(&ml), "{ml:?}");
    assert!(ml.contains("2018-06-18 13:50 +01:00\r\n"), "{ml:?}");
    // To a pipe: the same lines, no escape sequence.
    let piped = s.render_pipe(&["--width", "60", "--bidi", "terminal", &file], &[]);
    assert!(!piped.contains('\x1b'));
    assert!(
        piped.lines().any(|l| l == format!(" {DATE_LINE}")),
        "{piped:?}"
    );
}
