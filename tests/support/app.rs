//! Helpers shared by the tests that drive the app without a terminal.

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use qari::app::{App, Input};
use qari::config::Config;
use qari::layout::Options;
use qari::library::Library;
use qari::store::Shelf as Store;
use qari::ui::{self, Theme};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

/// The seed article's id in the sample library.
pub const SEED: &str = "000_c76da13a58358bbb.txt";

/// The app on the embedded sample library, `w`×`h`.
pub fn app_with(store: Store, w: u16, h: u16) -> App {
    let lib = Arc::new(Library::embedded());
    let mut app = App::new(lib, &Config::default(), store, Options::default());
    app.handle(Input::Resize(w, h));
    app
}

/// A key without modifiers.
pub fn key(code: KeyCode) -> Input {
    Input::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

/// A character key.
pub fn ch(c: char) -> Input {
    key(KeyCode::Char(c))
}

/// Types `s` one key at a time.
pub fn type_text(app: &mut App, s: &str) {
    for c in s.chars() {
        app.handle(ch(c));
    }
}

/// The app drawn into a buffer of its size with the default theme.
pub fn render(app: &App) -> Buffer {
    let (w, h) = app.size();
    let area = Rect::new(0, 0, w, h);
    let mut buf = Buffer::empty(area);
    ui::render(app, &Theme::default(), area, &mut buf);
    buf
}

/// Row `y` of a buffer, cell by cell.
pub fn row(buf: &Buffer, y: u16) -> String {
    (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect()
}

/// The buffer as text, one line a row, the cell after a wide character skipped.
pub fn text(buf: &Buffer) -> String {
    let mut s = String::new();
    for y in 0..buf.area.height {
        let mut skip = 0;
        for x in 0..buf.area.width {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let sym = buf[(x, y)].symbol();
            skip = unicode_width::UnicodeWidthStr::width(sym).saturating_sub(1);
            s.push_str(sym);
        }
        s.push('\n');
    }
    s
}

/// Waits for the app's background work (searches, the whole of a long article) and takes
/// it in, as a front end does on its wakes.
pub fn settle(app: &mut App) {
    assert!(
        app.wait_background(std::time::Duration::from_secs(60)),
        "the background work did not finish"
    );
}
