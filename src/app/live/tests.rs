use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use super::*;
use crate::config::Config;
use crate::layout::Options;

fn write(dir: &Path, name: &str, title: &str, body: &str) {
    std::fs::write(dir.join(name), format!("# {title}\n\n{body}\n")).unwrap();
}

/// A folder of three articles (a, b, c.md), the library read from it, and an app on it
/// following a feed of it.
fn setup() -> (tempfile::TempDir, Vec<PathBuf>, Arc<Feed>, App) {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.md", "Alpha", "an apple a day");
    write(dir.path(), "b.md", "Beta", "a banana");
    write(dir.path(), "c.md", "Gamma", "apple pie");
    let paths = vec![dir.path().to_path_buf()];
    let lib = Arc::new(Library::open(&paths));
    let feed = Feed::fixed(Arc::clone(&lib));
    let app = following(lib, &feed);
    (dir, paths, feed, app)
}

/// An app at 100×30 on `lib`, following `feed`.
fn following(lib: Arc<Library>, feed: &Arc<Feed>) -> App {
    let mut app = App::new(
        lib,
        &Config::default(),
        crate::store::Shelf::in_memory(),
        Options::default(),
    );
    app.handle(crate::app::Input::Resize(100, 30));
    app.follow(Arc::clone(feed));
    app
}

fn ids(app: &App) -> Vec<String> {
    app.view()
        .iter()
        .map(|&i| app.library().entry(i).id.clone())
        .collect()
}

fn selected_id(app: &App) -> String {
    app.library().entry(app.view()[app.selected()]).id.clone()
}

/// Reads the folder again and publishes it, as the watcher does.
fn republish(paths: &[PathBuf], feed: &Feed) {
    let (_, lib) = feed.latest();
    let new = lib.rescan(paths).expect("the folder changed");
    feed.publish(Arc::new(new));
}

#[test]
fn a_rescan_reads_only_the_files_that_changed() {
    let (dir, paths, _feed, app) = setup();
    let lib = app.library();
    assert!(lib.rescan(&paths).is_none(), "nothing changed");
    let a = lib.position("a.md").unwrap();
    let kept = lib.article(a).unwrap();
    write(dir.path(), "c.md", "Gamma, longer now", "apple pie");
    let new = lib.rescan(&paths).expect("c.md changed");
    let na = new.position("a.md").unwrap();
    assert!(
        Arc::ptr_eq(&kept, &new.loaded(na).unwrap()),
        "a.md was not read again"
    );
    let nc = new.position("c.md").unwrap();
    assert_eq!(new.entry(nc).title, "Gamma, longer now");
    assert_eq!(
        new.changes_from(lib).as_deref(),
        Some("the library changed: 1 article changed")
    );
}

#[test]
fn a_new_library_keeps_the_selection_the_unread_count_and_the_open_article() {
    let (dir, paths, feed, mut app) = setup();
    let (tx, rx) = std::sync::mpsc::channel();
    let tx = Mutex::new(tx);
    app.set_waker(Arc::new(move || {
        let _ = tx.lock().unwrap().send(());
    }));
    assert_eq!(ids(&app), ["a.md", "b.md", "c.md"]);
    // b is open (and selected): its file goes, d comes.
    app.move_selection(1);
    app.open_selected();
    assert_eq!(app.reader().unwrap().article.title, "Beta");
    std::fs::remove_file(dir.path().join("b.md")).unwrap();
    write(dir.path(), "d.md", "Delta", "dates");
    republish(&paths, &feed);
    rx.recv_timeout(Duration::from_secs(10))
        .expect("a new library wakes the app");
    assert!(app.poll_background());
    assert_eq!(ids(&app), ["a.md", "c.md", "d.md"]);
    assert_eq!(selected_id(&app), "c.md", "the nearest row to the one gone");
    assert_eq!(app.unread_count(), 3);
    let r = app.reader().expect("the open article stays open");
    assert_eq!(r.article.title, "Beta");
    assert!(app.library().is_gone(r.index));
    let m = app.message().unwrap();
    assert!(m.contains("1 article added, 1 removed"), "{m}");
    assert!(m.contains("gone"), "{m}");
    assert!(!app.poll_background(), "taken once");
    // Listed nowhere, it is found by no search either.
    let index = crate::search::Index::build(app.library());
    assert!(
        index
            .search(&crate::search::Query::parse("banana"))
            .is_empty()
    );
    assert_eq!(index.search(&crate::search::Query::parse("apple")).len(), 2);
}

#[test]
fn the_search_in_force_is_run_again_on_the_new_library() {
    let (dir, paths, feed, mut app) = setup();
    app.search_library("apple");
    assert!(app.wait_background(Duration::from_secs(60)));
    assert_eq!(ids(&app), ["a.md", "c.md"]);
    app.move_selection(1);
    assert_eq!(selected_id(&app), "c.md");
    std::fs::remove_file(dir.path().join("a.md")).unwrap();
    write(dir.path(), "e.md", "Epsilon", "apple tart");
    republish(&paths, &feed);
    assert!(app.poll_background());
    assert_eq!(
        ids(&app),
        ["c.md"],
        "until the search answers, the hits left"
    );
    assert_eq!(selected_id(&app), "c.md");
    assert!(app.wait_background(Duration::from_secs(60)));
    let mut found = ids(&app);
    found.sort();
    assert_eq!(found, ["c.md", "e.md"]);
    assert_eq!(selected_id(&app), "c.md", "the same article stays selected");
    assert_eq!(app.search_text(), "apple");
}

#[test]
fn an_app_opened_on_an_older_library_than_the_feeds_takes_the_newer_one() {
    // A session of `serve` opened after the watcher published a change starts from the
    // library first read: the change must come in on its first poll, not wait for the next.
    let (dir, paths, feed, _app) = setup();
    let first = feed.latest().1;
    write(dir.path(), "d.md", "Delta", "a date");
    republish(&paths, &feed);
    let mut late = following(first, &feed);
    assert!(late.poll_background(), "the newer library is drawn");
    assert!(ids(&late).contains(&"d.md".to_owned()), "{:?}", ids(&late));
    // One that follows the latest already takes nothing.
    let mut current = following(feed.latest().1, &feed);
    assert!(current.newer_library().is_none());
}

#[test]
fn the_apps_following_one_feed_share_the_index_of_each_new_library() {
    let (dir, paths, feed, mut a) = setup();
    let first = feed.latest().1;
    let index = Arc::new(crate::search::SharedIndex::default());
    a.share_index(Arc::clone(&index));
    let mut b = following(Arc::clone(&first), &feed);
    b.share_index(Arc::clone(&index));
    write(dir.path(), "d.md", "Delta", "dates and figs");
    republish(&paths, &feed);
    assert!(a.poll_background() && b.poll_background());
    assert!(!Arc::ptr_eq(&a.index, &index), "a new library, a new index");
    assert!(Arc::ptr_eq(&a.index, &b.index), "one index for both");
    // An app opened now, on the first library, takes the newer one and its index.
    let mut c = following(Arc::clone(&first), &feed);
    c.share_index(Arc::clone(&index));
    assert!(c.poll_background());
    assert!(Arc::ptr_eq(&c.index, &a.index));
    // Built once, it answers each of them.
    for app in [&mut a, &mut b, &mut c] {
        app.handle(crate::app::Input::Key(crossterm::event::KeyEvent::from(
            crossterm::event::KeyCode::Char('/'),
        )));
        for ch in "figs".chars() {
            app.handle(crate::app::Input::Key(crossterm::event::KeyEvent::from(
                crossterm::event::KeyCode::Char(ch),
            )));
        }
        assert!(app.wait_background(Duration::from_secs(30)));
        assert_eq!(ids(app), ["d.md"]);
    }
    // The next change: one newer index again, shared.
    std::fs::remove_file(dir.path().join("a.md")).unwrap();
    republish(&paths, &feed);
    let before = Arc::clone(&a.index);
    assert!(a.poll_background() && b.poll_background() && c.poll_background());
    assert!(!Arc::ptr_eq(&a.index, &before));
    assert!(Arc::ptr_eq(&a.index, &b.index) && Arc::ptr_eq(&b.index, &c.index));
    // No app holds the index of the library before any more; one opened now on the first
    // library still takes the one the others share.
    drop(before);
    let mut d = following(Arc::clone(&first), &feed);
    d.share_index(Arc::clone(&index));
    assert!(d.poll_background());
    assert!(
        Arc::ptr_eq(&d.index, &a.index),
        "a session opened later shares it too"
    );
}

/// The watcher counts what changed on its own thread; an app that took the generation before
/// shows that count, one that missed a generation counts for itself against what it held.
#[test]
fn what_changed_is_told_from_the_library_each_app_held() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.md", "Alpha", "an apple a day");
    let paths = vec![dir.path().to_path_buf()];
    let lib = Arc::new(Library::open(&paths));
    let feed = crate::library::watch(paths.clone(), Arc::clone(&lib));
    let mut prompt = following(Arc::clone(&lib), &feed);
    let mut late = following(lib, &feed);
    let wait_for = |app: &mut App, n: usize| {
        let start = std::time::Instant::now();
        while app.library().len() < n {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "the library did not grow to {n}"
            );
            // The watcher starts on its own thread: the file is written again until seen.
            if app.library().len() + 1 == n {
                write(dir.path(), &format!("n{n}.md"), "New", "news");
            }
            std::thread::sleep(Duration::from_millis(100));
            app.poll_background();
        }
    };
    wait_for(&mut prompt, 2);
    assert_eq!(
        prompt.message(),
        Some("the library changed: 1 article added")
    );
    wait_for(&mut prompt, 3);
    assert_eq!(
        prompt.message(),
        Some("the library changed: 1 article added")
    );
    // The late app held the first library all along: two articles came since.
    late.poll_background();
    assert_eq!(late.library().len(), 3);
    assert_eq!(
        late.message(),
        Some("the library changed: 2 articles added")
    );
}

/// The first row of the screen as drawn.
fn header(app: &App) -> String {
    row(app, 0)
}

/// Row `y` of the screen as drawn.
fn row(app: &App, y: u16) -> String {
    let (w, h) = app.size();
    let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).unwrap();
    t.draw(|f| crate::ui::draw(app, &crate::ui::Theme::default(), f))
        .unwrap();
    let buf = t.backend().buffer();
    (0..w).map(|x| buf[(x, y)].symbol()).collect()
}

#[test]
fn the_first_page_gives_way_to_the_whole_library_keeping_the_selection_and_the_search() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..30 {
        let fruit = if i % 3 == 0 { "apple" } else { "pear" };
        std::fs::write(
            dir.path().join(format!("{i:02}.txt")),
            format!("Title {i}\n2024-03-{:02}\n\nA {fruit} a day.\n", i % 28 + 1),
        )
        .unwrap();
    }
    let paths = vec![dir.path().to_path_buf()];
    let mut db = crate::store::Db::in_memory().unwrap();
    db.scan(dir.path(), |_, _| {}).unwrap();
    let page = Arc::new(Library::first_page(&db, &paths, 5).unwrap());
    let whole = Library::from_catalog(&db, &paths).unwrap();
    let feed = Feed::fixed(Arc::clone(&page));
    let mut app = following(page, &feed);
    assert_eq!(app.view().len(), 5);
    let top: Vec<String> = whole
        .view(crate::library::SortKey::Date)
        .into_iter()
        .take(5)
        .map(|i| whole.entry(i).id.clone())
        .collect();
    assert_eq!(ids(&app), top);
    let h = header(&app);
    assert!(h.contains("30 articles · … unread"), "{h}");
    assert_eq!(
        app.background_status().as_deref(),
        Some("reading the list…")
    );
    app.move_selection(2);
    let chosen = selected_id(&app);
    // A search typed now waits for the whole library: the page holds few of its hits.
    app.search_library("apple");
    assert!(!app.busy() && !app.searching());
    assert_eq!(app.view().len(), 5);
    feed.publish(Arc::new(whole));
    assert!(app.poll_background());
    assert_eq!(app.message(), None, "the whole library is no change");
    assert_eq!(app.view().len(), 30);
    assert_eq!(
        selected_id(&app),
        chosen,
        "the same article, wherever its row is"
    );
    let h = header(&app);
    assert!(h.contains("30 articles · 30 unread"), "{h}");
    assert!(app.busy(), "the search typed runs now");
    assert!(app.wait_background(Duration::from_secs(60)));
    assert!(app.searching());
    let mut found = ids(&app);
    found.sort();
    let want: Vec<String> = (0..30)
        .filter(|i| i % 3 == 0)
        .map(|i| format!("{i:02}.txt"))
        .collect();
    assert_eq!(found, want);
    app.search_library("");
    assert_eq!(app.view().len(), 30);
}

#[test]
fn a_library_still_to_be_read_gives_way_to_the_whole_with_what_could_not_be_used() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.md", "Alpha", "an apple a day");
    write(dir.path(), "b.md", "Beta", "a banana");
    std::fs::write(dir.path().join("bad.json"), "{ not json").unwrap();
    let paths = vec![dir.path().to_path_buf()];
    let waiting = Arc::new(Library::unread_yet(&paths));
    let feed = Feed::fixed(Arc::clone(&waiting));
    let mut app = following(waiting, &feed);
    assert!(app.view().is_empty());
    let h = header(&app);
    assert!(h.contains("reading the library…"), "{h}");
    assert!(!h.contains("article"), "{h}");
    assert!(
        row(&app, 1).contains("Reading the library…"),
        "{}",
        row(&app, 1)
    );
    // Keys on the empty list do nothing wrong; a search waits for the whole.
    app.move_selection(3);
    app.open_selected();
    assert!(app.reader().is_none());
    app.search_library("banana");
    assert!(!app.busy());
    let whole = Library::open(&paths);
    assert_eq!(whole.name(), app.library().name());
    feed.publish(Arc::new(whole));
    assert!(app.poll_background());
    let h = header(&app);
    assert!(h.contains("2 articles · 2 unread"), "{h}");
    let m = app.message().unwrap();
    assert!(m.contains("bad.json: skipped"), "{m}");
    assert!(app.wait_background(Duration::from_secs(60)));
    assert_eq!(ids(&app), ["b.md"]);

    // A folder whose files all fail says so, in the reader.
    let bad = tempfile::tempdir().unwrap();
    std::fs::write(bad.path().join("bad.json"), "{ not json").unwrap();
    let paths = vec![bad.path().to_path_buf()];
    let waiting = Arc::new(Library::unread_yet(&paths));
    let feed = Feed::fixed(Arc::clone(&waiting));
    let mut app = following(waiting, &feed);
    feed.publish(Arc::new(Library::open(&paths)));
    assert!(app.poll_background());
    let m = app.message().unwrap();
    assert!(m.starts_with("no article was found in "), "{m}");
}
