use std::sync::atomic::AtomicBool;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyModifiers};
use ratatui::layout::Rect;

use super::copy::base64;
use super::*;
use crate::document::PreparedArticle;
use crate::keymap::Action;
use crate::search;

#[test]
fn cuts_fall_between_grapheme_clusters() {
    let family = "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}";
    let text = format!("ab{family}cdefgh");
    // The family is one cluster of 2 columns: kept whole or not at all.
    assert_eq!(fit(&text, 5), format!("ab{family}…"));
    assert_eq!(fit(&text, 3), "ab…");
    assert_eq!(
        fit_end(&format!("abcdef{family}gh"), 5),
        format!("…{family}gh")
    );
    let marked = "بِسْمِ";
    assert_eq!(fit(marked, 2), "بِ…", "a letter keeps its mark");
}
use std::fmt::Write as _;
use std::sync::Condvar;

/// Holds background work where it starts until released (or for ten seconds at most, so
/// that a test that fails never hangs).
#[derive(Default)]
pub(super) struct Gate {
    open: Mutex<bool>,
    cv: Condvar,
}

impl Gate {
    pub(super) fn pass(&self) {
        let open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let _ = self
            .cv
            .wait_timeout_while(open, Duration::from_secs(10), |open| !*open);
    }

    fn release(&self) {
        *self.open.lock().unwrap() = true;
        self.cv.notify_all();
    }
}

fn key(c: KeyCode) -> Input {
    Input::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        app.handle(key(KeyCode::Char(c)));
    }
}

/// The app on the sample library at 100×30, its background work held at `gate`.
fn held_app(lib: Arc<Library>, gate: &Arc<Gate>) -> App {
    let mut app = App::new(
        lib,
        &Config::default(),
        crate::store::Shelf::in_memory(),
        Options::default(),
    );
    app.bg.notifier.gate = Some(Arc::clone(gate));
    app.handle(Input::Resize(100, 30));
    app
}

/// A library of one article of about 300 KB (opened on its first part).
fn long_library(dir: &std::path::Path) -> Arc<Library> {
    let mut body = String::new();
    let mut n = 0;
    while body.len() < 300_000 {
        let _ = write!(
            body,
            "{n}. قال المبعوث إن داعش فقد معظم الأراضي التي سيطر عليها منذ 2014.\n\n"
        );
        n += 1;
    }
    std::fs::write(dir.join("long.txt"), format!("مقال طويل\n\n{body}")).unwrap();
    Arc::new(Library::open(&[dir.to_path_buf()]))
}

#[test]
fn a_search_runs_off_the_input_path_and_its_hits_come_with_a_wake() {
    let gate = Arc::new(Gate::default());
    let mut app = held_app(Arc::new(Library::embedded()), &gate);
    let (tx, rx) = std::sync::mpsc::channel();
    let tx = Mutex::new(tx);
    app.set_waker(Arc::new(move || {
        let _ = tx.lock().unwrap().send(());
    }));
    let all = app.view().len();
    app.handle(key(KeyCode::Char('/')));
    type_text(&mut app, "ماكجورك");
    // The worker is held: the prompt has the text, the list is as it was.
    assert_eq!(app.query().unwrap().text, "ماكجورك");
    assert!(app.busy());
    assert!(!app.searching());
    assert_eq!(app.view().len(), all);
    assert!(app.background_status().is_some());
    assert!(!app.poll_background(), "nothing finished yet");
    gate.release();
    rx.recv_timeout(Duration::from_secs(60))
        .expect("the waker is called when the hits are ready");
    assert!(app.poll_background(), "the hits need a redraw");
    assert!(app.searching());
    assert_eq!(app.view().len(), 1);
    assert_eq!(app.search_text(), "ماكجورك");
    // The hit's article is read next, for its snippet, and wakes the front end again (unless
    // it was read before the hits were taken in).
    while app.busy() {
        rx.recv_timeout(Duration::from_secs(60))
            .expect("the waker is called when the snippets' articles are read");
        app.poll_background();
    }
    assert!(app.library().loaded(app.view()[0]).is_some());
    assert_eq!(app.background_status(), None);
}

#[test]
fn each_keystroke_cancels_the_running_search() {
    let gate = Arc::new(Gate::default());
    let mut app = held_app(Arc::new(Library::embedded()), &gate);
    app.handle(key(KeyCode::Char('/')));
    type_text(&mut app, "دا");
    let first = Arc::clone(app.bg.cancel.as_ref().unwrap());
    assert!(!first.load(Ordering::Acquire));
    type_text(&mut app, "عش");
    assert!(first.load(Ordering::Acquire), "the next key cancels it");
    let last = Arc::clone(app.bg.cancel.as_ref().unwrap());
    assert!(!last.load(Ordering::Acquire));
    gate.release();
    assert!(app.wait_background(Duration::from_secs(60)));
    assert_eq!(
        app.search_text(),
        "داعش",
        "only the last query's hits are shown"
    );
    assert!(app.searching() && !app.view().is_empty());
    // A scorer given a set flag gives up.
    let index = search::Index::build(&app.lib);
    let stop = AtomicBool::new(true);
    assert!(
        index
            .search_cancellable(&Query::parse("داعش"), None, &stop)
            .is_none()
    );
}

#[test]
fn dropping_the_app_or_cancelling_stops_its_work() {
    let gate = Arc::new(Gate::default());
    let mut app = held_app(Arc::new(Library::embedded()), &gate);
    app.handle(key(KeyCode::Char('/')));
    type_text(&mut app, "hostage");
    let flag = Arc::clone(app.bg.cancel.as_ref().unwrap());
    let stopped = Arc::clone(&app.bg.notifier.stopped);
    app.cancel_background();
    assert!(flag.load(Ordering::Acquire) && stopped.load(Ordering::Acquire));
    assert!(!app.busy());
    // Searching again works after a cancel.
    app.bg.notifier.gate = Some(Arc::clone(&gate));
    type_text(&mut app, "s");
    let flag = Arc::clone(app.bg.cancel.as_ref().unwrap());
    let stopped = Arc::clone(&app.bg.notifier.stopped);
    drop(app);
    assert!(flag.load(Ordering::Acquire) && stopped.load(Ordering::Acquire));
    gate.release();
}

#[test]
fn a_waker_that_panics_does_not_stop_later_searches() {
    let gate = Arc::new(Gate::default());
    gate.release();
    let mut app = held_app(Arc::new(Library::embedded()), &gate);
    app.set_waker(Arc::new(|| panic!("a front end's waker failed")));
    app.handle(key(KeyCode::Char('/')));
    type_text(&mut app, "hostage");
    assert!(app.wait_background(Duration::from_secs(60)));
    assert_eq!(app.view().len(), 3);
    app.set_waker(Arc::new(|| {}));
    app.handle(key(KeyCode::Backspace));
    assert!(
        app.wait_background(Duration::from_secs(60)),
        "a new worker runs"
    );
    assert_eq!(app.search_text(), "hostag");
}

/// Gives `app` a database index whose rescan has counted `done` of `total` files and then
/// waits for the test (a send on the sender); it gives no finder, so the index is then built
/// in memory. Returns once the status line shows the rescan.
fn held_rescan(
    app: &mut App,
    done: usize,
    total: usize,
) -> (Arc<SharedIndex>, std::sync::mpsc::Sender<()>) {
    let (go, held) = std::sync::mpsc::channel::<()>();
    let held = Mutex::new(held);
    let make: search::MakeFinder = Arc::new(move |_, progress| {
        progress.update(done, total);
        let _ = held.lock().unwrap_or_else(PoisonError::into_inner).recv();
        None
    });
    let index = Arc::new(SharedIndex::with_finder(make));
    app.share_index(Arc::clone(&index));
    app.prepare_search();
    let deadline = Instant::now() + Duration::from_secs(30);
    while app.background_status().is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    (index, go)
}

#[test]
fn the_database_rescan_shows_its_progress_and_wakes_the_front_end() {
    let lib = Arc::new(Library::embedded());
    let gate = Arc::new(Gate::default());
    gate.release();
    let mut app = held_app(Arc::clone(&lib), &gate);
    let wakes = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let w = Arc::clone(&wakes);
    app.set_waker(Arc::new(move || {
        w.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }));
    let (_index, go) = held_rescan(&mut app, 40, 100);
    let status = app.background_status().expect("the rescan is shown");
    assert!(
        status.starts_with("search index: indexed 40 of 100 files · "),
        "{status}"
    );
    assert!(wakes.load(std::sync::atomic::Ordering::Relaxed) >= 1);
    assert!(app.poll_background(), "the count is drawn while it moves");
    // The reader is usable meanwhile, and a search waits for the index, saying how far it is.
    app.handle(key(KeyCode::Char('/')));
    type_text(&mut app, "hostage");
    assert_eq!(app.query().unwrap().text, "hostage");
    assert!(
        app.background_status()
            .unwrap()
            .contains("indexed 40 of 100")
    );
    let before = wakes.load(std::sync::atomic::Ordering::Relaxed);
    go.send(()).unwrap();
    assert!(app.wait_background(Duration::from_secs(60)));
    assert_eq!(app.view().len(), 3, "found as the index in memory finds");
    assert_eq!(app.background_status(), None);
    // The end of the build woke the front end, and the line it drew is taken away once.
    let deadline = Instant::now() + Duration::from_secs(30);
    while wakes.load(std::sync::atomic::Ordering::Relaxed) == before && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(wakes.load(std::sync::atomic::Ordering::Relaxed) > before);
    app.poll_background();
    assert!(!app.poll_background(), "nothing more to draw");
}

#[test]
fn the_end_of_the_rescan_takes_its_progress_off_the_screen() {
    let lib = Arc::new(Library::embedded());
    let gate = Arc::new(Gate::default());
    gate.release();
    let mut app = held_app(Arc::clone(&lib), &gate);
    let (index, go) = held_rescan(&mut app, 1, 2);
    let deadline = Instant::now() + Duration::from_secs(30);
    assert!(app.poll_background(), "the progress is drawn");
    go.send(()).unwrap();
    while !index.is_ready() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(app.background_status(), None);
    assert!(app.poll_background(), "drawn once more, without it");
    assert!(!app.poll_background());
}

#[test]
fn the_index_build_never_blocks_the_prompt() {
    let lib = Arc::new(Library::embedded());
    let gate = Arc::new(Gate::default());
    gate.release();
    let mut app = held_app(Arc::clone(&lib), &gate);
    let index = Arc::new(SharedIndex::default());
    // As if another session were building it: nothing here builds it until the test does.
    index.pretend_building();
    app.share_index(Arc::clone(&index));
    app.handle(key(KeyCode::Char('/')));
    assert_eq!(
        app.background_status().as_deref(),
        Some("indexing the library…")
    );
    type_text(&mut app, "hostage");
    assert_eq!(app.query().unwrap().text, "hostage");
    assert_eq!(
        app.background_status().as_deref(),
        Some("indexing the library…")
    );
    assert!(
        !app.wait_background(Duration::from_millis(50)),
        "waits for the index"
    );
    index.get_or_build(&lib);
    assert!(app.wait_background(Duration::from_secs(60)));
    assert_eq!(app.view().len(), 3);
    assert_eq!(app.background_status(), None);
}

#[test]
fn quitting_never_waits_for_an_article_being_prepared() {
    let dir = tempfile::tempdir().unwrap();
    let lib = long_library(dir.path());
    for quit in [
        key(KeyCode::Char('q')),
        Input::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
    ] {
        let gate = Arc::new(Gate::default());
        let mut app = held_app(Arc::clone(&lib), &gate);
        app.open(0);
        assert!(app.reader().unwrap().is_partial());
        assert_eq!(
            app.background_status().as_deref(),
            Some("preparing the whole article…")
        );
        // Keys work on the first part meanwhile.
        app.handle(key(KeyCode::Char('j')));
        assert_eq!(app.reader().unwrap().top, 1);
        app.handle(quit);
        assert!(app.should_quit());
        assert!(app.reader().unwrap().is_partial(), "the key did not wait");
        gate.release();
    }
    let gate = Arc::new(Gate::default());
    let mut app = held_app(Arc::clone(&lib), &gate);
    app.open(0);
    app.handle(key(KeyCode::Esc));
    assert_eq!(app.focus(), Focus::List);
    assert!(app.reader().unwrap().is_partial());
    gate.release();
    assert!(app.wait_background(Duration::from_secs(60)));
    assert!(!app.reader().unwrap().is_partial());
}

#[test]
fn the_preparation_of_the_whole_stops_with_the_app() {
    let dir = tempfile::tempdir().unwrap();
    let lib = long_library(dir.path());
    let article = lib.article(0).unwrap();
    let stop = AtomicBool::new(true);
    assert!(PreparedArticle::new_cancellable(&article, Options::default(), &stop).is_none());
    stop.store(false, Ordering::Release);
    let whole = PreparedArticle::new_cancellable(&article, Options::default(), &stop);
    assert!(whole.is_some_and(|p| p.is_whole()));
    // The app's flag is the one its preparation looks at.
    let gate = Arc::new(Gate::default());
    let mut app = held_app(lib, &gate);
    app.open(0);
    let stopped = Arc::clone(&app.bg.notifier.stopped);
    assert!(!stopped.load(Ordering::Acquire));
    drop(app);
    assert!(stopped.load(Ordering::Acquire));
    gate.release();
}

#[test]
fn an_article_of_a_huge_file_is_read_off_the_input_path() {
    let dir = tempfile::tempdir().unwrap();
    let para = "قال المبعوث إن داعش فقد معظم الأراضي التي سيطر عليها منذ 2014.\n\n";
    let big = usize::try_from(crate::library::LAZY_BYTES).unwrap() + 1024;
    let body = para.repeat(big / para.len() + 1);
    std::fs::write(dir.path().join("huge.txt"), format!("مقال ضخم\n\n{body}")).unwrap();
    let lib = Arc::new(Library::open(&[dir.path().to_path_buf()]));
    assert!(lib.is_huge(0));
    let gate = Arc::new(Gate::default());
    let mut app = held_app(Arc::clone(&lib), &gate);
    app.open(0);
    // Held: the list is still there, the status says why, keys work.
    assert!(app.reader().is_none());
    assert_eq!(
        app.background_status().as_deref(),
        Some("opening the article…")
    );
    app.handle(key(KeyCode::Esc));
    assert!(app.bg.opening.is_none(), "Esc gives it up");
    app.open(0);
    app.handle(key(KeyCode::Char('q')));
    assert!(app.should_quit(), "q is answered while the file is read");
    assert!(app.reader().is_none());
    gate.release();
    let end = Instant::now() + Duration::from_secs(120);
    while app.reader().is_none() && Instant::now() < end {
        app.poll_background();
        std::thread::sleep(Duration::from_millis(10));
    }
    let r = app.reader().expect("the article opens once read");
    assert_eq!(r.index, 0);
    assert_eq!(app.focus(), Focus::Reader);
    assert!(r.is_partial(), "a huge article opens on its first part");
}

#[test]
fn a_long_article_is_wrapped_again_in_the_background() {
    let dir = tempfile::tempdir().unwrap();
    let lib = long_library(dir.path());
    let article = lib.article(0).unwrap();
    let whole = PreparedArticle::new(&article, Options::default());
    let gate = Arc::new(Gate::default());
    gate.release();
    let mut app = held_app(lib, &gate);
    app.open(0);
    assert!(app.wait_background(Duration::from_secs(60)));
    for _ in 0..400 {
        app.apply(Action::Down);
    }
    let at = app.reader().unwrap().position();
    let held = Arc::new(Gate::default());
    app.bg.notifier.gate = Some(Arc::clone(&held));
    app.handle(Input::Resize(62, 30));
    let r = app.reader().unwrap();
    assert!(r.is_partial(), "the first part, at once");
    assert_eq!(r.position().place, at.place, "at the same text");
    // Another width while the whole is wrapped for the first: one job, redone after.
    app.handle(Input::Resize(72, 30));
    assert!(app.reader().unwrap().is_partial());
    app.handle(key(KeyCode::Char('q')));
    assert!(app.should_quit(), "keys never wait for the wrapping");
    held.release();
    assert!(app.wait_background(Duration::from_secs(60)));
    let r = app.reader().unwrap();
    assert!(!r.is_partial());
    assert_eq!(r.width(), 70);
    assert_eq!(r.lines(), &whole.lay_out(70)[..]);
    assert_eq!(r.position().place, at.place);
}

#[test]
fn matches_found_while_the_article_is_partial_are_gone_to_with_the_whole() {
    let dir = tempfile::tempdir().unwrap();
    let lib = long_library(dir.path());
    let gate = Arc::new(Gate::default());
    let mut app = held_app(lib, &gate);
    app.open(0);
    app.handle(key(KeyCode::Char('/')));
    type_text(&mut app, "1200.");
    app.handle(key(KeyCode::Enter));
    gate.release();
    assert!(app.wait_background(Duration::from_secs(60)));
    let r = app.reader().unwrap();
    assert!(!r.is_partial());
    assert_eq!(r.current, Some(0));
    let (origin, _) = r.matches[0].clone();
    let page = app.page();
    assert!(
        r.lines()[r.top..r.top + page]
            .iter()
            .any(|l| l.origin == origin),
        "the match is on screen"
    );
}

#[test]
fn queries_and_pastes_are_capped_and_cleaned() {
    let gate = Arc::new(Gate::default());
    gate.release();
    let mut app = held_app(Arc::new(Library::embedded()), &gate);
    app.handle(Input::Paste("ignored outside the query line".into()));
    assert!(app.query().is_none() && !app.should_quit());
    app.handle(key(KeyCode::Char('/')));
    app.handle(Input::Paste("a\nq\tb\u{1b}]0;x\u{7}\rc".into()));
    let text = &app.query().unwrap().text;
    assert!(!text.chars().any(char::is_control), "{text:?}");
    assert!(text.starts_with("a q b"), "{text:?}");
    assert!(!app.should_quit(), "a q pasted is text");
    app.handle(Input::Paste("x".repeat(100 * 1024)));
    assert_eq!(app.query().unwrap().text.chars().count(), MAX_QUERY_CHARS);
    assert!(app.message().unwrap().contains("1024"));
    app.handle(key(KeyCode::Char('y')));
    assert_eq!(app.query().unwrap().text.chars().count(), MAX_QUERY_CHARS);
    app.handle(key(KeyCode::Backspace));
    assert_eq!(
        app.query().unwrap().text.chars().count(),
        MAX_QUERY_CHARS - 1
    );
    assert!(app.message().is_none());
    assert!(app.wait_background(Duration::from_secs(60)));
}

#[test]
fn a_paste_is_cleaned_once_for_both_front_ends() {
    let gate = Arc::new(Gate::default());
    gate.release();
    let mut app = held_app(Arc::new(Library::embedded()), &gate);
    app.handle(key(KeyCode::Char('/')));
    // Line breaks, tabs and other white space (no-break, next line) made spaces; an escape
    // sequence's control, a bell, an override and an isolate gone; the rest kept as text.
    app.handle(Input::Paste(
        "rm -rf /\r\nq\u{1b}[31m\u{7}\u{202e}ok\u{2066}!\u{a0}\u{85}.".into(),
    ));
    assert_eq!(app.query().unwrap().text, "rm -rf /  q[31mok!  .");
    assert!(!app.should_quit(), "a q pasted is text");
    assert!(app.wait_background(Duration::from_secs(60)));
}

#[test]
fn sizes_are_held_to_the_screen_cap() {
    let gate = Arc::new(Gate::default());
    let mut app = held_app(Arc::new(Library::embedded()), &gate);
    app.handle(Input::Resize(65535, 65535));
    assert_eq!(app.size(), (MAX_COLS, MAX_ROWS));
    assert!(app.geometry().text.is_some_and(|t| t.width <= MEASURE));
    gate.release();
}

#[test]
fn osc_52_carries_the_text_in_base64() {
    assert_eq!(base64(b""), "");
    assert_eq!(base64(b"f"), "Zg==");
    assert_eq!(base64(b"fo"), "Zm8=");
    assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    // Logical order, UTF-8: ل (d9 84) then ا (d8 a7).
    assert_eq!(base64("لا".as_bytes()), "2YTYpw==");
    assert_eq!(osc52("hi"), b"\x1b]52;c;aGk=\x1b\\".to_vec());
}

#[test]
fn a_copy_is_capped() {
    let gate = Arc::new(Gate::default());
    gate.release();
    let mut app = held_app(Arc::new(Library::embedded()), &gate);
    app.copy("it", &"ب".repeat(MAX_COPY_BYTES));
    let out = app.take_output();
    // 4 bytes of base64 for 3 of text, plus the sequence's ends.
    assert!(out.len() <= MAX_COPY_BYTES / 3 * 4 + 16, "{}", out.len());
    assert!(app.message().unwrap().contains("cut at 96 KiB"));
}

#[test]
fn geometry_by_size() {
    let g = Geometry::new(80, 24, Focus::List);
    assert!(!g.too_small);
    assert_eq!(g.list, Some(Rect::new(0, 1, 80, 22)));
    assert!(g.reader.is_none());
    let g = Geometry::new(80, 24, Focus::Reader);
    assert_eq!(g.text, Some(Rect::new(1, 1, 78, 22)));
    let g = Geometry::new(200, 50, Focus::List);
    let (l, r, t) = (g.list.unwrap(), g.reader.unwrap(), g.text.unwrap());
    assert_eq!(l.width, 72);
    assert_eq!(r.x, 73);
    assert_eq!(t.width, MEASURE);
    assert!(t.x > r.x && t.right() < r.right());
    assert!(Geometry::new(19, 24, Focus::List).too_small);
    assert!(Geometry::new(0, 0, Focus::List).too_small);
}
