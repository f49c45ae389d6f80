//! The real app on ratatui's `TestBackend`: snapshots of the screens, and behaviour driven by
//! actions and keys, with no terminal.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use qari::app::{App, Focus, Input};
use qari::config::Config;
use qari::keymap::Action;
use qari::screen::Screen;
use qari::store::Shelf as Store;
use qari::ui::{self, Colors, Theme};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier};

#[path = "support/app.rs"]
#[allow(dead_code, reason = "each test file uses part of the shared helpers")]
mod support;

use support::{SEED, app_with, ch, key, settle, text};

fn app(w: u16, h: u16) -> App {
    app_with(Store::in_memory(), w, h)
}

fn seed_index(app: &App) -> usize {
    app.library()
        .position(SEED)
        .expect("the seed is in the sample library")
}

fn select(app: &mut App, id: &str) {
    let target = app.library().position(id).unwrap();
    app.apply(Action::Top);
    while app.view()[app.selected()] != target {
        let before = app.selected();
        app.apply(Action::Down);
        assert_ne!(before, app.selected(), "{id} is not in the list");
    }
}

fn screen(app: &App, theme: &Theme) -> Buffer {
    let (w, h) = app.size();
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| ui::draw(app, theme, f)).unwrap();
    t.backend().buffer().clone()
}

fn shot(app: &App) -> String {
    text(&screen(app, &Theme::default()))
}

#[test]
fn list_at_80x24_and_120x40() {
    insta::assert_snapshot!("list_80x24", shot(&app(80, 24)));
    insta::assert_snapshot!("list_120x40", shot(&app(120, 40)));
}

#[test]
fn seed_in_the_reader_at_80x24_and_120x40() {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut a = app(w, h);
        select(&mut a, SEED);
        a.handle(key(KeyCode::Enter));
        assert_eq!(a.focus(), Focus::Reader);
        insta::assert_snapshot!(format!("seed_{w}x{h}"), shot(&a));
    }
}

#[test]
fn narrow_one_pane_mode() {
    let mut a = app(44, 16);
    insta::assert_snapshot!("narrow_list", shot(&a));
    select(&mut a, SEED);
    a.handle(key(KeyCode::Enter));
    insta::assert_snapshot!("narrow_reader", shot(&a));
    a.handle(key(KeyCode::Esc));
    assert_eq!(a.focus(), Focus::List);
}

#[test]
fn help_lists_every_binding_of_the_keymap() {
    // Tall enough for the whole help (the scrolling help is tested in tests/daily.rs).
    let mut a = app(80, 40);
    a.handle(ch('?'));
    assert!(a.help());
    let s = shot(&a);
    insta::assert_snapshot!("help", s);
    for (keys, what) in a.keymap().help_rows() {
        assert!(
            s.contains(&keys) && s.contains(what),
            "{keys} {what} missing"
        );
    }
    a.handle(ch('?'));
    assert!(!a.help(), "? closes the help");
}

#[test]
fn too_small_and_zero() {
    let mut a = app(19, 5);
    insta::assert_snapshot!("too_small", shot(&a));
    a.handle(Input::Resize(0, 0));
    let _ = shot(&a);
    a.handle(Input::Resize(80, 24));
    assert!(
        !shot(&a).contains("too small"),
        "the message clears on resize"
    );
}

#[test]
fn no_color_has_no_colour_and_the_selection_still_shows() {
    let cfg = Config::default();
    let theme = Theme::new(
        &cfg.theme,
        Colors::detect(Some("xterm-256color"), None, Some("1")),
    );
    let mut a = app(80, 24);
    a.apply(Action::Down);
    let buf = screen(&a, &theme);
    insta::assert_snapshot!("no_color", text(&buf));
    for cell in buf.content() {
        assert_eq!(cell.fg, Color::Reset, "{cell:?}");
        assert_eq!(cell.bg, Color::Reset, "{cell:?}");
    }
    let row = 1 + u16::try_from(a.selected() - a.list_top()).unwrap();
    assert!(buf[(5, row)].modifier.contains(Modifier::REVERSED));
    assert!(!buf[(5, row + 1)].modifier.contains(Modifier::REVERSED));
    // With colours, the theme does colour.
    let coloured = screen(&a, &Theme::new(&cfg.theme, Colors::Ansi16));
    assert!(coloured.content().iter().any(|c| c.fg != Color::Reset));
}

#[test]
fn colour_support_comes_from_the_session_values() {
    assert_eq!(Colors::detect(Some("xterm"), None, None), Colors::Ansi16);
    assert_eq!(
        Colors::detect(Some("xterm-256color"), None, None),
        Colors::Ansi256
    );
    assert_eq!(
        Colors::detect(Some("xterm"), Some("truecolor"), None),
        Colors::True
    );
    assert_eq!(
        Colors::detect(Some("xterm"), None, Some("")),
        Colors::Ansi16
    );
    assert_eq!(Colors::detect(Some("dumb"), None, None), Colors::None);
}

#[test]
fn navigation_open_and_back() {
    let mut a = app(80, 24);
    assert_eq!(a.selected(), 0);
    a.handle(ch('j'));
    a.handle(key(KeyCode::Down));
    assert_eq!(a.selected(), 2);
    a.handle(ch('k'));
    assert_eq!(a.selected(), 1);
    a.handle(ch('G'));
    assert_eq!(a.selected(), a.view().len() - 1);
    assert!(
        a.list_top() + 22 > a.selected(),
        "the selection stays on screen"
    );
    a.handle(ch('g'));
    assert_eq!((a.selected(), a.list_top()), (0, 0));
    a.handle(key(KeyCode::PageDown));
    assert_eq!(a.selected(), 21);
    a.handle(key(KeyCode::Enter));
    assert_eq!(a.focus(), Focus::Reader);
    let opened = a.reader().unwrap().index;
    assert_eq!(opened, a.view()[21]);
    a.handle(key(KeyCode::Backspace));
    assert_eq!(a.focus(), Focus::List);
    assert_eq!(a.selected(), 21);
    a.handle(ch('q'));
    assert!(a.should_quit());
    let mut b = app(80, 24);
    b.handle(Input::Key(KeyEvent::new(
        KeyCode::Char('c'),
        KeyModifiers::CONTROL,
    )));
    assert!(b.should_quit(), "Ctrl-C always quits");
}

#[test]
fn reader_scrolls_by_line_page_and_half_page() {
    let mut a = app(80, 24);
    select(&mut a, SEED);
    a.apply(Action::Open);
    let r = |a: &App| a.reader().unwrap().top;
    a.apply(Action::Down);
    assert_eq!(r(&a), 1);
    a.apply(Action::HalfDown);
    assert_eq!(r(&a), 12);
    a.apply(Action::Up);
    assert_eq!(r(&a), 11);
    a.apply(Action::Top);
    a.apply(Action::PageDown);
    assert_eq!(r(&a), 20, "a page keeps two lines of context");
    a.apply(Action::Bottom);
    let lines = a.reader().unwrap().lines().len();
    assert_eq!(r(&a), lines - 22);
    let (pct, shown, total) = a.progress().unwrap();
    assert_eq!((pct, shown, total), (100, lines, lines));
    // Past the end, a page down goes on to the next unread article.
    let at = a.reader().unwrap().index;
    a.apply(Action::PageDown);
    assert_ne!(a.reader().unwrap().index, at);
    assert_eq!(r(&a), 0);
}

#[test]
fn sort_cycles_and_keeps_the_selection() {
    let mut a = app(80, 24);
    select(&mut a, SEED);
    let seed = seed_index(&a);
    a.handle(ch('s'));
    assert_eq!(a.sort().name(), "title");
    assert_eq!(a.view()[a.selected()], seed);
    let titles: Vec<String> = a
        .view()
        .iter()
        .map(|&i| qari::app::title_key(&a.library().entry(i).title))
        .collect();
    assert!(titles.windows(2).all(|w| w[0] <= w[1]));
    a.handle(ch('s'));
    assert_eq!(a.sort().name(), "source");
    a.handle(ch('s'));
    assert_eq!(a.sort().name(), "date");
    assert_eq!(a.view()[a.selected()], seed);
}

#[test]
fn read_marks_bookmarks_and_unread_jumps() {
    let mut a = app(80, 24);
    let first = a.library().entry(a.view()[0]).id.clone();
    assert!(!a.state_of(&first).read);
    let total = a.unread_count();
    assert_eq!(total, a.library().len());
    a.handle(key(KeyCode::Enter));
    assert!(a.state_of(&first).read, "opening marks read");
    assert_eq!(a.unread_count(), total - 1);
    // The reader's header starts with the article's address; the list's says the count.
    a.handle(key(KeyCode::Esc));
    assert!(shot(&a).contains(&format!("{} unread", total - 1)));
    a.handle(key(KeyCode::Enter));
    a.handle(ch('m'));
    assert!(!a.state_of(&first).read, "m toggles");
    assert_eq!(a.unread_count(), total);
    a.handle(ch('B'));
    assert!(a.state_of(&first).bookmark);
    a.handle(key(KeyCode::Esc));
    // Mark the next two read, then ] skips them.
    for _ in 0..2 {
        a.apply(Action::Down);
        a.apply(Action::ToggleRead);
    }
    a.apply(Action::Top);
    a.handle(ch(']'));
    assert_eq!(a.selected(), 3);
    a.handle(ch('['));
    assert_eq!(a.selected(), 0, "the first article was marked unread again");
    let s = shot(&a);
    // Unread and bookmarked each have their column: the bookmark never hides the unread mark.
    assert!(s.lines().nth(1).unwrap().starts_with("●★"), "{s}");
    assert!(s.lines().nth(2).unwrap().starts_with("  "));
    assert!(s.lines().nth(4).unwrap().starts_with("● "));
    a.apply(Action::Top);
    a.apply(Action::ToggleRead);
    assert!(shot(&a).lines().nth(1).unwrap().starts_with(" ★"));
}

#[test]
fn next_unread_in_the_reader_opens_it() {
    let mut a = app(80, 24);
    a.apply(Action::Open);
    let first = a.reader().unwrap().index;
    a.apply(Action::NextUnread);
    let second = a.reader().unwrap().index;
    assert_ne!(first, second);
    assert_eq!(second, a.view()[1]);
    assert_eq!(a.focus(), Focus::Reader);
}

#[test]
fn position_is_kept_across_a_width_change() {
    let mut a = app(80, 24);
    select(&mut a, SEED);
    a.apply(Action::Open);
    for _ in 0..15 {
        a.apply(Action::Down);
    }
    let r = a.reader().unwrap();
    let top_line = &r.lines()[r.top];
    let pos = r.position();
    assert!(top_line.line.src.start <= pos.offset && pos.place.block().is_some());
    for (w, h) in [(60, 24), (100, 30), (130, 20), (80, 24)] {
        a.handle(Input::Resize(w, h));
        let r = a.reader().unwrap();
        let l = &r.lines()[r.top];
        assert_eq!(l.origin, pos.place, "at {w}x{h}");
        assert!(
            l.line.src.start <= pos.offset && pos.offset < l.line.src.end.max(pos.offset + 1),
            "at {w}x{h}: line {:?} does not hold offset {}",
            l.line.src,
            pos.offset
        );
    }
    assert_eq!(a.reader().unwrap().position(), pos);
}

fn open_db(path: &std::path::Path) -> (Store, Option<String>) {
    Store::open(path, qari::store::Reader::local(), None, &|_| None)
}

#[test]
fn state_is_saved_and_reloaded() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("library.db");
    let (store, msg) = open_db(&path);
    assert!(msg.is_none());
    let mut a = app_with(store, 80, 24);
    select(&mut a, SEED);
    a.apply(Action::Open);
    for _ in 0..9 {
        a.apply(Action::Down);
    }
    a.apply(Action::Bookmark);
    let pos = a.reader().unwrap().position();
    a.apply(Action::Back);
    a.apply(Action::Quit);
    assert!(a.save().is_none());

    let (store, msg) = open_db(&path);
    assert!(msg.is_none());
    let mut b = app_with(store, 100, 30);
    let st = b.state_of(SEED);
    assert!(st.read && st.bookmark);
    assert_eq!(st.pos, Some(pos));
    select(&mut b, SEED);
    b.apply(Action::Open);
    assert_eq!(b.reader().unwrap().position().place, pos.place);
    assert!(b.reader().unwrap().top > 0, "reopens where reading stopped");
}

#[test]
fn a_corrupt_database_is_reported_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("library.db");
    std::fs::write(
        &path,
        "\u{1}garbage that is no database at all, long enough to tell",
    )
    .unwrap();
    let (store, msg) = open_db(&path);
    let msg = msg.unwrap();
    assert!(
        msg.contains("library.db is not an SQLite database"),
        "{msg}"
    );
    let mut a = app_with(store, 80, 24);
    a.set_message(msg.clone());
    assert!(shot(&a).contains("library.db is not an SQLite database"));
    select(&mut a, SEED);
    a.apply(Action::Open);
    assert!(a.save().is_none());
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().any(|n| n.starts_with("library.db.corrupt-"))
            && names.iter().any(|n| n == "library.db"),
        "the new database and the corrupt one moved aside: {names:?}"
    );
    assert!(a.state_of(SEED).read, "the new one holds the state");
}

#[test]
fn find_in_the_article_and_step_through_matches() {
    let mut a = app(80, 24);
    select(&mut a, SEED);
    a.apply(Action::Open);
    a.handle(ch('/'));
    for c in "داعش".chars() {
        a.handle(ch(c));
    }
    a.handle(key(KeyCode::Enter));
    settle(&mut a);
    let r = a.reader().unwrap();
    assert!(r.matches.len() > 3);
    assert_eq!(r.current, Some(0));
    let total = r.matches.len();
    assert!(shot(&a).contains(&format!("match 1/{total}")));
    a.handle(ch('n'));
    assert_eq!(a.reader().unwrap().current, Some(1));
    a.handle(ch('N'));
    a.handle(ch('N'));
    assert_eq!(a.reader().unwrap().current, Some(total - 1));
}

#[test]
fn side_by_side_switches_focus_with_tab() {
    let mut a = app(140, 40);
    assert!(a.geometry().divider.is_some());
    a.apply(Action::Open);
    assert_eq!(a.focus(), Focus::Reader);
    a.handle(key(KeyCode::Tab));
    assert_eq!(a.focus(), Focus::List);
    a.handle(ch('j'));
    assert_eq!(a.selected(), 1, "keys go to the focused list");
    a.handle(key(KeyCode::Tab));
    a.handle(ch('j'));
    assert_eq!(a.reader().unwrap().top, 1);
    let s = shot(&a);
    assert!(s.contains('│'));
}

#[test]
fn mouse_wheel_only_when_enabled() {
    let mut a = app(80, 24);
    a.handle(Input::ScrollDown);
    assert_eq!(a.selected(), 0, "off by default");
}

/// Draws with scroll regions and checks that what the backend shows is exactly a fresh
/// drawing of the same state, after every kind of move.
#[test]
fn scroll_regions_leave_the_same_screen_as_a_full_redraw() {
    let theme = Theme::default();
    let mut a = app(100, 30);
    select(&mut a, SEED);
    a.apply(Action::Open);
    let mut s = Screen::new(TestBackend::new(100, 30), theme).unwrap();
    s.draw(&a).unwrap();
    let moves = [
        Action::Down,
        Action::Down,
        Action::Up,
        Action::HalfDown,
        Action::PageDown,
        Action::PageUp,
        Action::Bottom,
        Action::Top,
        Action::Down,
    ];
    for m in moves {
        a.apply(m);
        s.draw(&a).unwrap();
        let want = screen(&a, &theme);
        assert_eq!(
            text(s.backend().buffer()),
            text(&want),
            "after {m:?} the screen differs from a full redraw"
        );
        assert_eq!(s.backend().buffer(), &want, "styles differ after {m:?}");
    }
}

#[test]
fn every_cell_of_a_rendered_article_comes_from_the_engine() {
    // The reader writes the engine's cells at the engine's columns: an RTL line ends at the
    // right edge of the text column, with the lam-alef ligatures as one cell each.
    let mut a = app(80, 24);
    select(&mut a, SEED);
    a.apply(Action::Open);
    let buf = screen(&a, &Theme::default());
    let text_rect = a.geometry().text.unwrap();
    let title_row = text_rect.y;
    let right = text_rect.right() - 1;
    assert_ne!(
        buf[(right, title_row)].symbol(),
        " ",
        "RTL title ends at the right edge"
    );
    let r = a.reader().unwrap();
    let title = r.visual(&r.lines()[0]);
    let last = title.cells.last().unwrap();
    assert_eq!(buf[(right, title_row)].symbol(), title.cell_text(last));
    assert_eq!(Rect::new(1, 1, 78, 22), text_rect);
}

/// A library of one long article (over 300 KB of the seed's paragraphs, numbered), its id.
fn long_library(dir: &std::path::Path) -> (std::sync::Arc<qari::library::Library>, String) {
    use std::fmt::Write as _;
    let seed = include_str!("../assets/articles/000_c76da13a58358bbb.txt");
    let paragraphs: Vec<&str> = seed
        .split("\n\n")
        .skip(1)
        .filter(|p| !p.trim().is_empty())
        .collect();
    let mut body = String::new();
    let mut n = 0;
    while body.len() < 300_000 {
        let _ = writeln!(body, "{n}. {}\n", paragraphs[n % paragraphs.len()].trim());
        n += 1;
    }
    std::fs::write(dir.join("long.txt"), format!("مقال طويل\n\n{body}")).unwrap();
    let lib = qari::library::Library::open(&[dir.to_path_buf()]);
    let id = lib.entry(0).id.clone();
    (std::sync::Arc::new(lib), id)
}

/// A long article opens on its first part at once and shows what the whole shows; the whole,
/// prepared in the background, is taken over when it is ready, at the same place.
#[test]
fn a_long_article_opens_on_its_first_part_then_the_whole() {
    use qari::document::PreparedArticle;
    let dir = tempfile::tempdir().unwrap();
    let (lib, _) = long_library(dir.path());
    let whole = PreparedArticle::new(&lib.article(0).unwrap(), qari::layout::Options::default());
    let mut a = App::new(
        std::sync::Arc::clone(&lib),
        &Config::default(),
        Store::in_memory(),
        qari::layout::Options::default(),
    );
    a.handle(Input::Resize(80, 24));
    a.open(0);
    let r = a.reader().unwrap();
    assert!(r.is_partial(), "300 KB opens on its first part");
    let width = r.width();
    let all = whole.lay_out(width);
    assert!(r.lines().len() < all.len());
    assert_eq!(
        r.lines(),
        &all[..r.lines().len()],
        "the first part's lines are the whole's"
    );
    assert!(
        a.progress().is_none(),
        "no percentage before the whole is laid out"
    );
    let first = text(&support::render(&a));
    settle(&mut a);
    let r = a.reader().unwrap();
    assert!(!r.is_partial());
    assert_eq!(r.lines(), &all[..]);
    assert_eq!(
        text(&support::render(&a))
            .lines()
            .take(22)
            .collect::<Vec<_>>(),
        first.lines().take(22).collect::<Vec<_>>(),
        "same rows"
    );
    assert!(a.progress().is_some_and(|(_, _, total)| total == all.len()));
    // Then scrolling to the end reaches the last line.
    a.apply(Action::Bottom);
    assert!(
        a.progress()
            .is_some_and(|(pct, shown, total)| pct == 100 && shown == total)
    );
}

/// A long article reopened where its reader left it, deep inside: the first part starts
/// there, and the whole keeps the place.
#[test]
fn a_long_article_reopens_deep_inside_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let (lib, id) = long_library(dir.path());
    let mut store = Store::in_memory();
    let block = lib.article(0).unwrap().blocks.len() * 3 / 4;
    let identity = lib.entry(lib.position(&id).unwrap()).identity.clone();
    store.update(&identity, |s| {
        s.pos = Some(qari::store::Pos {
            place: qari::article::Place::Block(block),
            offset: 0,
        });
    });
    let mut a = App::new(
        lib,
        &Config::default(),
        store,
        qari::layout::Options::default(),
    );
    a.handle(Input::Resize(80, 24));
    a.open(0);
    let top = |a: &App| {
        let r = a.reader().unwrap();
        r.lines()[r.top].origin
    };
    assert!(a.reader().unwrap().is_partial());
    assert_eq!(top(&a), qari::article::Place::Block(block));
    let first = text(&support::render(&a));
    settle(&mut a);
    assert!(!a.reader().unwrap().is_partial());
    assert_eq!(top(&a), qari::article::Place::Block(block));
    let whole = text(&support::render(&a));
    // The status line differs (the percentage appears); the article's rows do not.
    let rows = |s: &str| s.lines().take(20).map(str::to_owned).collect::<Vec<_>>();
    assert_eq!(rows(&first), rows(&whole));
}

/// A backend bigger than the cap: the app and the frame are held to it, the cells past it
/// are never drawn, and the screen follows the app's size as it changes.
#[test]
fn a_screen_bigger_than_the_cap_is_drawn_at_the_cap() {
    use qari::screen::{MAX_COLS, MAX_ROWS};
    let mut a = app(1200, 600);
    assert_eq!(a.size(), (MAX_COLS, MAX_ROWS));
    let mut s = Screen::new(TestBackend::new(1200, 600), Theme::default()).unwrap();
    assert_eq!(s.size(), (MAX_COLS, MAX_ROWS));
    s.draw(&a).unwrap();
    let buf = s.backend().buffer().clone();
    let status = support::row(&buf, MAX_ROWS - 1);
    assert!(status.contains('?'), "{status}");
    for y in 0..600 {
        for x in 0..1200 {
            if x >= MAX_COLS || y >= MAX_ROWS {
                assert_eq!(buf[(x, y)].symbol(), " ", "({x}, {y}) drawn past the cap");
            }
        }
    }
    a.handle(Input::Resize(80, 24));
    s.draw(&a).unwrap();
    assert_eq!(s.size(), (80, 24));
    assert_eq!(
        support::row(s.backend().buffer(), 23)
            .get(..80)
            .map(str::trim_end),
        support::row(&screen(&a, &Theme::default()), 23)
            .get(..80)
            .map(str::trim_end)
    );
}

/// A long query shows its end on the query line, and the cut is said.
#[test]
fn a_long_query_shows_its_end() {
    let mut a = app(80, 24);
    a.handle(ch('/'));
    support::type_text(&mut a, &"ab".repeat(600));
    support::type_text(&mut a, "z");
    let q = a.query().unwrap();
    assert_eq!(q.text.chars().count(), qari::app::MAX_QUERY_CHARS);
    assert!(q.text.ends_with("ab"), "the z past the cap is dropped");
    let s = shot(&a);
    let status = s.lines().nth(23).unwrap();
    assert!(status.contains(" search: …"), "{status}");
    assert!(status.contains("ab▏"), "{status}");
    assert!(status.contains("cut at 1024"), "{status}");
    settle(&mut a);
    insta::assert_snapshot!("query_cut", shot(&a));
}

/// The figure: state follows the article, not its path relative to the folder opened.
/// A bookmark made with a subfolder open is there with its parent open; another folder with
/// the same relative names (other articles) shows none of it.
#[test]
fn state_follows_the_article_not_the_path_relative_to_the_folder_opened() {
    let dir = tempfile::tempdir().unwrap();
    let write = |root: &std::path::Path, word: &str| {
        let sub = root.join("sub");
        std::fs::create_dir_all(&sub).unwrap();
        for n in ["0007", "0008"] {
            std::fs::write(
                sub.join(format!("{n}.txt")),
                format!("{word} {n}\n\nThe body of {word} {n}.\n"),
            )
            .unwrap();
        }
    };
    let (mine, other) = (dir.path().join("mine"), dir.path().join("other"));
    write(&mine, "Mine");
    write(&other, "Other");
    let db = dir.path().join("library.db");
    let app_on = |root: std::path::PathBuf| {
        let (store, msg) = open_db(&db);
        assert!(msg.is_none(), "{msg:?}");
        let lib = std::sync::Arc::new(qari::library::Library::open(&[root]));
        let mut a = App::new(
            lib,
            &Config::default(),
            store,
            qari::layout::Options::default(),
        );
        a.handle(Input::Resize(100, 30));
        a
    };
    let mut a = app_on(mine.join("sub"));
    select(&mut a, "0008.txt");
    a.apply(Action::Bookmark);
    select(&mut a, "0007.txt");
    a.apply(Action::Open);
    a.apply(Action::Quit);
    assert!(a.save().is_none());
    drop(a);

    let parent = app_on(mine.clone());
    assert!(parent.state_of("sub/0008.txt").bookmark, "still bookmarked");
    assert!(parent.state_of("sub/0007.txt").read);
    assert_eq!(parent.unread_count(), 1);

    let elsewhere = app_on(other.join("sub"));
    assert!(!elsewhere.state_of("0008.txt").bookmark, "another article");
    assert!(!elsewhere.state_of("0007.txt").read);
    assert_eq!(
        elsewhere.unread_count(),
        2,
        "a library never opened is all unread"
    );
}

/// A store that cannot write (a full disk): the reader goes on, the change is kept for the
/// run, and the status line says why, over the action's own word.
#[test]
fn a_full_disk_leaves_the_reader_working_and_says_so_in_one_line() {
    struct Full(qari::store::MemoryStore);
    impl qari::store::ReadingStore for Full {
        fn get(&self, id: &qari::store::Identity) -> qari::store::ReadingState {
            qari::store::ReadingStore::get(&self.0, id)
        }
        fn update(
            &mut self,
            _: &qari::store::Identity,
            _: &mut dyn FnMut(&mut qari::store::ReadingState),
        ) -> qari::store::Result<qari::store::ReadingState> {
            Err(qari::store::StoreError::DiskFull {
                path: "/data/library.db".into(),
            })
        }
        fn setting(&self, name: &str) -> Option<String> {
            qari::store::ReadingStore::setting(&self.0, name)
        }
        fn set_setting(&mut self, _: &str, _: &str) -> qari::store::Result<()> {
            Err(qari::store::StoreError::DiskFull {
                path: "/data/library.db".into(),
            })
        }
    }
    let store = Store::new(Box::new(Full(qari::store::MemoryStore::new())), None);
    let mut a = app_with(store, 100, 30);
    select(&mut a, SEED);
    a.apply(Action::Bookmark);
    let msg = a.message().unwrap().to_owned();
    assert!(
        msg.ends_with("could not be written: the disk is full; reading state is kept in memory until the reader closes."),
        "{msg}"
    );
    assert!(!msg.contains('\n'));
    assert!(a.state_of(SEED).bookmark, "kept for the run");
    a.apply(Action::Open);
    assert!(a.reader().is_some(), "the reader goes on");
    assert!(a.state_of(SEED).read);
}
