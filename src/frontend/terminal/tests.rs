use super::*;
use ratatui::backend::CrosstermBackend;

#[test]
fn mlterm_is_told_by_its_variable_or_its_term() {
    assert_eq!(
        Terminal::detect(Some("xterm"), Some("3.9.0")),
        Terminal::Mlterm
    );
    assert_eq!(Terminal::detect(Some("mlterm"), None), Terminal::Mlterm);
    assert_eq!(
        Terminal::detect(Some("mlterm-256color"), None),
        Terminal::Mlterm
    );
    assert_eq!(
        Terminal::detect(Some("xterm-256color"), None),
        Terminal::Other
    );
    assert_eq!(Terminal::detect(Some("xterm"), Some("")), Terminal::Other);
    assert_eq!(Terminal::detect(None, None), Terminal::Other);
}

#[test]
fn flag_then_env_then_config_then_terminal() {
    use BidiMode::{App, Off, Terminal as T};
    let ml = Terminal::Mlterm;
    assert_eq!(choose(None, None, None, ml), T);
    assert_eq!(choose(None, None, None, Terminal::Other), App);
    assert_eq!(choose(None, None, Some(App), ml), App);
    assert_eq!(choose(None, Some(Off), Some(App), ml), Off);
    assert_eq!(choose(Some(App), Some(Off), Some(T), ml), App);
    assert_eq!(choose(None, Some(T), None, Terminal::Other), T);
}

#[test]
fn qari_bidi_is_read_or_refused_in_one_sentence() {
    assert_eq!(parse_env(Some(" Terminal ")), Ok(Some(BidiMode::Terminal)));
    assert_eq!(parse_env(Some("  ")), Ok(None));
    assert_eq!(parse_env(None), Ok(None));
    let e = parse_env(Some("side\x1b[2Jways")).unwrap_err().to_string();
    assert!(!e.contains('\x1b'), "{e:?}");
    assert!(e.starts_with("QARI_BIDI is 'side"), "{e}");
}

#[test]
fn the_screen_is_entered_and_left_with_mouse_capture_when_asked() {
    let plain = Modes {
        bidi: BidiMode::App,
        mouse: false,
    };
    assert_eq!(
        plain.enter(),
        "\x1b[?1049h\x1b[H\x1b[8l\x1b[1 k\x1b[2J\x1b[?25l\x1b[?2004h"
    );
    assert_eq!(
        plain.leave(),
        "\x1b[?2004l\x1b[?25h\x1b[8h\x1b[0 k\x1b[?1049l"
    );
    let mouse = Modes {
        mouse: true,
        ..plain
    };
    assert!(mouse.enter().ends_with(MOUSE_ON));
    assert!(mouse.leave().starts_with(MOUSE_OFF));
    // The same bytes crossterm writes for the local terminal.
    let mut on = String::new();
    crossterm::Command::write_ansi(&crossterm::event::EnableMouseCapture, &mut on).unwrap();
    let mut off = String::new();
    crossterm::Command::write_ansi(&crossterm::event::DisableMouseCapture, &mut off).unwrap();
    assert_eq!((on.as_str(), off.as_str()), (MOUSE_ON, MOUSE_OFF));
}

#[test]
fn each_mode_enters_and_leaves_with_its_own_bytes() {
    assert_eq!(enter(BidiMode::App), "\x1b[8l\x1b[1 k");
    assert_eq!(leave(BidiMode::App), "\x1b[8h\x1b[0 k");
    assert_eq!(enter(BidiMode::Terminal), "\x1b[8h");
    assert_eq!(leave(BidiMode::Terminal), "\x1b[0 k");
    assert_eq!(enter(BidiMode::Off), "");
    assert_eq!(direction(true), "\x1b[2 k");
    assert_eq!(direction(false), "\x1b[1 k");
}

fn cell(s: &str) -> Cell {
    let mut c = Cell::default();
    c.set_symbol(s);
    c
}

/// Bytes written, kept where the test can read them.
#[derive(Clone, Default)]
struct Sink(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);

impl std::io::Write for Sink {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// What a frame of `cells` sends through a crossterm backend wrapped for `mode`.
fn sent(mode: BidiMode, rows: Vec<bool>, cells: &[(u16, u16, Cell)]) -> String {
    let sink = Sink::default();
    let mut d = Directed::new(CrosstermBackend::new(sink.clone()), mode);
    if let Some(r) = &mut d.rows {
        *r = rows;
    }
    d.draw(cells.iter().map(|(x, y, c)| (*x, *y, c))).unwrap();
    Backend::flush(&mut d).unwrap();
    String::from_utf8(sink.0.borrow().clone()).unwrap()
}

#[test]
fn every_redrawn_row_gets_its_direction_first_and_the_cells_stay_in_place() {
    let cells = [
        (3, 0, cell("a")),
        (4, 0, cell("b")),
        (2, 1, cell("ق")),
        (3, 1, cell("ل")),
    ];
    let out = sent(BidiMode::Terminal, vec![false, true], &cells);
    // Row 1 (0-based 0): to its first column, LTR, to column 4, then the cells in a run.
    let row0 = out
        .find("\x1b[1;1H\x1b[1 k\x1b[1;4H\x1b[1;4Hab")
        .expect(&out);
    let row1 = out
        .find("\x1b[2;1H\x1b[2 k\x1b[2;3H\x1b[2;3Hقل")
        .expect(&out);
    assert!(row0 < row1);
    assert_eq!(out.matches(" k").count(), 2, "{out:?}");
}

#[test]
fn a_row_redrawn_from_its_second_column_still_gets_its_cells_in_place() {
    // The control goes to column 0; the backend, counting it as a column, writes the cell
    // at column 1 without moving the cursor: the control's own cursor move put it there.
    let cells = [(1, 0, cell("x")), (2, 0, cell("y"))];
    let out = sent(BidiMode::Terminal, vec![true], &cells);
    assert!(out.contains("\x1b[1;1H\x1b[2 k\x1b[1;2Hxy"), "{out:?}");
    let cells = [(0, 0, cell("x"))];
    let out = sent(BidiMode::Terminal, vec![false], &cells);
    assert!(
        out.contains("\x1b[1;1H\x1b[1 k\x1b[1;1H\x1b[1;1Hx"),
        "{out:?}"
    );
}

#[test]
fn app_mode_sends_no_direction() {
    let cells = [(0, 0, cell("a")), (0, 1, cell("b"))];
    let out = sent(BidiMode::App, vec![true, true], &cells);
    assert!(!out.contains(" k"), "{out:?}");
    assert!(out.contains('a') && out.contains('b'));
}
