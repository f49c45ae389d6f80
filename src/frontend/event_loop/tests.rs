use std::collections::VecDeque;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::{ClearType, TestBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};

use super::*;

/// A test backend that counts frames, sizes and extra bytes.
struct Counted {
    inner: TestBackend,
    flushes: usize,
    sizes: Vec<(u16, u16)>,
    extra: Vec<u8>,
}

impl Backend for Counted {
    type Error = std::io::Error;

    fn draw<'a, I>(&mut self, content: I) -> std::io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        self.inner.draw(content).map_err(|e| match e {})
    }

    fn hide_cursor(&mut self) -> std::io::Result<()> {
        self.inner.hide_cursor().map_err(|e| match e {})
    }

    fn show_cursor(&mut self) -> std::io::Result<()> {
        self.inner.show_cursor().map_err(|e| match e {})
    }

    fn get_cursor_position(&mut self) -> std::io::Result<Position> {
        self.inner.get_cursor_position().map_err(|e| match e {})
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> std::io::Result<()> {
        self.inner
            .set_cursor_position(position)
            .map_err(|e| match e {})
    }

    fn clear(&mut self) -> std::io::Result<()> {
        self.inner.clear().map_err(|e| match e {})
    }

    fn clear_region(&mut self, clear_type: ClearType) -> std::io::Result<()> {
        self.inner.clear_region(clear_type).map_err(|e| match e {})
    }

    fn size(&self) -> std::io::Result<Size> {
        self.inner.size().map_err(|e| match e {})
    }

    fn window_size(&mut self) -> std::io::Result<WindowSize> {
        self.inner.window_size().map_err(|e| match e {})
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.flushes += 1;
        Ok(())
    }

    fn scroll_region_up(&mut self, region: std::ops::Range<u16>, n: u16) -> std::io::Result<()> {
        self.inner
            .scroll_region_up(region, n)
            .map_err(|e| match e {})
    }

    fn scroll_region_down(&mut self, region: std::ops::Range<u16>, n: u16) -> std::io::Result<()> {
        self.inner
            .scroll_region_down(region, n)
            .map_err(|e| match e {})
    }
}

impl Output for Counted {
    fn follow(&mut self, _app: &App) {}

    fn set_size(&mut self, width: u16, height: u16) {
        self.sizes.push((width, height));
        self.inner.resize(width, height);
    }

    fn write_extra(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.extra.extend_from_slice(bytes);
        Ok(())
    }

    fn open(&mut self, _url: &str) -> Option<String> {
        None
    }
}

/// Events given in batches (`None` ends one); when they run out, the source ends.
struct Script {
    events: VecDeque<Option<Event<&'static str>>>,
    suspends: usize,
}

impl Source for Script {
    type End = &'static str;

    fn next(
        &mut self,
        _deadline: Option<Instant>,
        _held: bool,
    ) -> std::io::Result<Option<Event<&'static str>>> {
        Ok(self
            .events
            .pop_front()
            .unwrap_or(Some(Event::End("no more"))))
    }

    fn suspend(&mut self, _app: &mut App) -> std::io::Result<bool> {
        self.suspends += 1;
        Ok(true)
    }
}

fn app() -> App {
    let config = crate::config::Config::default();
    let mut app = App::new(
        std::sync::Arc::new(crate::library::Library::embedded()),
        &config,
        crate::store::Shelf::in_memory(),
        crate::layout::Options::default(),
    );
    app.handle(Input::Resize(80, 24));
    app
}

fn screen() -> Screen<Counted> {
    let backend = Counted {
        inner: TestBackend::new(80, 24),
        flushes: 0,
        sizes: Vec::new(),
        extra: Vec::new(),
    };
    let config = crate::config::Config::default();
    let theme = crate::ui::Theme::new(&config.theme, crate::ui::Colors::Ansi16);
    Screen::new(backend, theme).unwrap()
}

fn key(code: KeyCode, modifiers: KeyModifiers) -> Event<&'static str> {
    Event::Input(Input::Key(KeyEvent::new(code, modifiers)))
}

fn ch(c: char) -> Event<&'static str> {
    key(KeyCode::Char(c), KeyModifiers::NONE)
}

#[test]
fn a_batch_is_one_frame_and_quitting_ends_the_loop() {
    let mut app = app();
    let mut screen = screen();
    let mut source = Script {
        events: [
            Some(ch('j')),
            Some(ch('j')),
            Some(ch('k')),
            None,
            Some(ch('j')),
            None,
            Some(ch('q')),
        ]
        .into(),
        suspends: 0,
    };
    let stop = run(&mut app, &mut screen, &mut source).unwrap();
    assert_eq!(stop, Stop::Quit);
    // The first frame, one for each batch; none after the quit.
    assert_eq!(screen.backend().flushes, 3);
}

#[test]
fn the_source_ending_ends_the_loop_with_its_reason() {
    let mut app = app();
    let mut screen = screen();
    let mut source = Script {
        events: [
            Some(ch('j')),
            None,
            Some(Event::End("closed")),
            Some(ch('q')),
        ]
        .into(),
        suspends: 0,
    };
    assert_eq!(
        run(&mut app, &mut screen, &mut source).unwrap(),
        Stop::Ended("closed")
    );
    assert_eq!(
        source.events.len(),
        1,
        "the quit after the end is never read"
    );
}

#[test]
fn a_resize_reaches_the_output_and_the_app_and_nothing_new_is_no_frame() {
    let mut app = app();
    let mut screen = screen();
    let mut source = Script {
        events: [
            Some(Event::Input(Input::Resize(100, 30))),
            None,
            Some(Event::Wake),
            None,
        ]
        .into(),
        suspends: 0,
    };
    assert_eq!(
        run(&mut app, &mut screen, &mut source).unwrap(),
        Stop::Ended("no more")
    );
    assert_eq!(screen.backend().sizes, vec![(100, 30)]);
    assert_eq!(app.size(), (100, 30));
    assert_eq!(screen.size(), (100, 30));
    // The first frame and the resized one; a wake with nothing new draws nothing.
    assert_eq!(screen.backend().flushes, 2);
}

#[test]
fn a_suspend_is_the_sources_and_the_screen_is_drawn_whole_after() {
    let mut app = app();
    let mut screen = screen();
    let mut source = Script {
        events: [Some(key(KeyCode::Char('z'), KeyModifiers::CONTROL)), None].into(),
        suspends: 0,
    };
    run(&mut app, &mut screen, &mut source).unwrap();
    assert_eq!(source.suspends, 1);
    // Whole: the status line is there again although nothing of it changed.
    let buf = screen.backend().inner.buffer().clone();
    let last: String = (0..80).map(|x| buf[(x, 23)].symbol().to_owned()).collect();
    assert!(last.contains("q quit"), "{last}");
    assert_eq!(screen.backend().flushes, 2);
}
