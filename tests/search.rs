//! Search: the library index over the bundled samples with known queries and ids, the
//! `qari search` command, and highlights checked cell by cell on the rendered buffer.

use std::sync::Arc;

use assert_cmd::Command;
use crossterm::event::KeyCode;
use qari::app::{App, Focus, Input};
use qari::config::Config;
use qari::keymap::Action;
use qari::layout::Options;
use qari::library::Library;
use qari::search::{Index, Query};
use qari::store::Shelf as Store;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};

#[path = "support/app.rs"]
#[allow(dead_code, reason = "each test file uses part of the shared helpers")]
mod support;

use support::{SEED, key, render, row, settle, type_text};

fn ids(lib: &Library, index: &Index, q: &str) -> Vec<String> {
    index
        .search(&Query::parse(q))
        .into_iter()
        .map(|h| lib.entry(h.index).id.clone())
        .collect()
}

#[test]
fn known_queries_find_known_articles() {
    let lib = Library::embedded();
    let index = Index::build(&lib);
    assert_eq!(index.len(), lib.len());
    // The seed spells the envoy ماكجورك in its body; ماكغورك only in its byline, which is
    // not the title or the body: different letters are not folded together.
    assert_eq!(ids(&lib, &index, "ماكجورك"), vec![SEED]);
    assert!(ids(&lib, &index, "ماكغورك").is_empty());
    // Hamza: الأراضي (seed, 0106) and الاراضي (0071) are found by either spelling.
    let a = ids(&lib, &index, "الاراضي");
    for id in [SEED, "0106.txt", "0071.txt"] {
        assert!(a.contains(&id.to_owned()), "{id} not in {a:?}");
    }
    assert_eq!(a, ids(&lib, &index, "الأراضي"));
    assert_eq!(a, ids(&lib, &index, "الاراضى"), "alef maqsura");
    // Hamza seats: مسؤول and مسئول are one word (0079 writes المسئولين).
    let m = ids(&lib, &index, "مسؤول");
    assert!(m.contains(&"0079.txt".to_owned()), "{m:?}");
    assert_eq!(m, ids(&lib, &index, "مسئول"));
    // Tanween: جدا finds جداً as well as جدا.
    assert!(ids(&lib, &index, "جدا").contains(&"0031.txt".to_owned()));
    // Phrases keep their order; words do not need to.
    assert_eq!(ids(&lib, &index, "\"الدول الأكثر\""), vec![SEED]);
    assert!(ids(&lib, &index, "\"الأكثر الدول\"").is_empty());
    assert_eq!(ids(&lib, &index, "داعش 2014"), vec![SEED]);
    // Digits of every script, Latin case.
    assert!(ids(&lib, &index, "٢٠١٤").contains(&SEED.to_owned()));
    assert_eq!(ids(&lib, &index, "HOSTAGE"), ids(&lib, &index, "hostage"));
    assert_eq!(ids(&lib, &index, "hostage").len(), 3);
}

#[test]
fn title_matches_rank_first() {
    let lib = Library::embedded();
    let index = Index::build(&lib);
    let hits = index.search(&Query::parse("داعش"));
    assert!(hits.len() > 1);
    assert_eq!(
        lib.entry(hits[0].index).id,
        SEED,
        "the seed has داعش in its title"
    );
    assert!(hits[0].title_terms > 0);
    assert!(
        hits.iter()
            .skip(1)
            .all(|h| h.title_terms <= hits[0].title_terms)
    );
    for w in hits.windows(2) {
        assert!(
            (w[0].title_terms, w[0].count) >= (w[1].title_terms, w[1].count),
            "{w:?}"
        );
    }
}

#[test]
fn search_command_prints_id_title_and_snippet() {
    let out = Command::cargo_bin("qari")
        .unwrap()
        .args(["search", "الاراضي"])
        .env("QARI_CONFIG", "/nonexistent/qari.toml")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let first: Vec<&str> = text.lines().next().unwrap().split('\t').collect();
    assert_eq!(first[0], SEED);
    assert_eq!(
        first[1],
        "التحالف الدولي: داعش لم يسترد مترا واحدا من الأراضي المحررة"
    );
    assert!(first[2].contains("الأراضي"), "{}", first[2]);
    let none = Command::cargo_bin("qari")
        .unwrap()
        .args(["search", "zzzqqqxxx"])
        .output()
        .unwrap();
    assert_eq!(none.status.code(), Some(1));
    let json = Command::cargo_bin("qari")
        .unwrap()
        .args(["search", "--json", "--limit", "2", "hostage"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 2);
}

fn is_highlighted(cell: &ratatui::buffer::Cell) -> bool {
    cell.bg == Color::Yellow || cell.modifier.contains(Modifier::REVERSED)
}

/// The highlighted cells of a row, in screen order (blanks between runs kept out).
fn highlighted(buf: &Buffer, y: u16) -> String {
    (0..buf.area.width)
        .map(|x| &buf[(x, y)])
        .filter(|c| is_highlighted(c))
        .map(ratatui::buffer::Cell::symbol)
        .collect()
}

/// A reader on a one-article library holding `body`, `width` columns wide, searched for `q`.
fn reader_on(body: &str, width: u16, q: &str) -> (App, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.txt"), format!("عنوان\n\n{body}\n")).unwrap();
    let lib = Arc::new(Library::open(&[dir.path().to_path_buf()]));
    let mut app = App::new(
        lib,
        &Config::default(),
        Store::in_memory(),
        Options::default(),
    );
    app.handle(Input::Resize(width, 12));
    app.apply(Action::Open);
    assert_eq!(app.focus(), Focus::Reader);
    app.handle(key(KeyCode::Char('/')));
    type_text(&mut app, q);
    app.handle(key(KeyCode::Enter));
    settle(&mut app);
    (app, dir)
}

const SENTENCE: &str = "وقال ماكجورك إن داعش فقد 95% من الأراضي (Thu - 16 Nov 2017) منذ 2014.";

#[test]
fn highlight_inside_an_rtl_run() {
    let (app, _d) = reader_on(SENTENCE, 80, "داعش");
    let buf = render(&app);
    // Rows: 1 title, 2 blank, 3 the paragraph.
    assert!(row(&buf, 3).contains("ﺶﻋﺍﺩ"), "{}", row(&buf, 3));
    assert_eq!(highlighted(&buf, 3), "ﺶﻋﺍﺩ");
    assert_eq!(highlighted(&buf, 1), "");
    assert!(row(&buf, 23.min(buf.area.height - 1)).contains("match 1/1"));
}

#[test]
fn highlight_of_a_match_spanning_an_arabic_and_a_latin_word() {
    let (app, _d) = reader_on("وقال Brett McGurk إن", 80, "\"وقال Brett\"");
    let buf = render(&app);
    assert_eq!(row(&buf, 3).trim(), "ﻥﺇ Brett McGurk ﻝﺎﻗﻭ");
    // Logical "وقال Brett": on screen Brett (left) and the space and ﻝﺎﻗﻭ (right edge).
    assert_eq!(highlighted(&buf, 3), "Brett ﻝﺎﻗﻭ");
    let line = row(&buf, 3);
    let mc = line.find("McGurk").unwrap();
    let x_of_mc = u16::try_from(line.get(..mc).unwrap().chars().count()).unwrap();
    assert!(
        !is_highlighted(&buf[(x_of_mc, 3)]),
        "McGurk is not part of the match"
    );
}

#[test]
fn highlight_of_a_match_that_crosses_a_line_break() {
    // A 32-column terminal gives a 30-column text: the three lines.
    let (app, _d) = reader_on(SENTENCE, 32, "\"95% من\"");
    let buf = render(&app);
    assert_eq!(row(&buf, 3).trim(), "%95 ﺪﻘﻓ ﺶﻋﺍﺩ ﻥﺇ ﻙﺭﻮﺠﻛﺎﻣ ﻝﺎﻗﻭ");
    assert_eq!(row(&buf, 4).trim(), "(Thu - 16 Nov 2017) ﻲﺿﺍﺭﻷﺍ ﻦﻣ");
    assert_eq!(highlighted(&buf, 3), "%95");
    assert_eq!(highlighted(&buf, 4), "ﻦﻣ");
}

#[test]
fn highlight_on_a_lam_alef_ligature() {
    // "الأ" ends inside the ligature ﻷ (lam + alef with hamza): the one cell is highlighted.
    let (app, _d) = reader_on("من الأراضي", 80, "الأ");
    let buf = render(&app);
    assert_eq!(row(&buf, 3).trim(), "ﻲﺿﺍﺭﻷﺍ ﻦﻣ");
    assert_eq!(highlighted(&buf, 3), "ﻷﺍ");
    // And the whole word, found without its hamza.
    let (app, _d) = reader_on("من الأراضي", 80, "الاراضي");
    assert_eq!(highlighted(&render(&app), 3), "ﻲﺿﺍﺭﻷﺍ");
}

#[test]
fn n_and_shift_n_step_through_matches() {
    let (mut app, _d) = reader_on("داعش وداعش ثم داعش", 80, "داعش");
    let r = app.reader().unwrap();
    assert_eq!((r.current, r.matches.len()), (Some(0), 3));
    app.handle(key(KeyCode::Char('n')));
    assert_eq!(app.reader().unwrap().current, Some(1));
    let buf = render(&app);
    // The current match is drawn differently from the others.
    let current: Vec<u16> = (0..80)
        .filter(|&x| buf[(x, 3)].modifier.contains(Modifier::REVERSED))
        .collect();
    let others: Vec<u16> = (0..80)
        .filter(|&x| buf[(x, 3)].bg == Color::Yellow)
        .collect();
    assert_eq!((current.len(), others.len()), (4, 8));
    app.handle(key(KeyCode::Char('N')));
    app.handle(key(KeyCode::Char('N')));
    assert_eq!(app.reader().unwrap().current, Some(2));
}

#[test]
fn library_search_in_the_list_then_open_at_the_first_match() {
    let lib = Arc::new(Library::embedded());
    let mut app = App::new(
        lib,
        &Config::default(),
        Store::in_memory(),
        Options::default(),
    );
    app.handle(Input::Resize(100, 30));
    let all = app.view().len();
    app.handle(key(KeyCode::Char('/')));
    type_text(&mut app, "ماكجورك");
    settle(&mut app);
    assert!(app.searching());
    assert_eq!(app.view().len(), 1);
    let buf = render(&app);
    assert!(row(&buf, 0).contains("1 found"), "{}", row(&buf, 0));
    // Title row, then the snippet row with the match highlighted.
    assert!(row(&buf, 2).contains("ﻙﺭﻮﺠﻛﺎﻣ"), "{}", row(&buf, 2));
    assert_eq!(highlighted(&buf, 2), "ﻙﺭﻮﺠﻛﺎﻣ");
    app.handle(key(KeyCode::Enter));
    settle(&mut app);
    assert_eq!(app.focus(), Focus::Reader);
    let r = app.reader().unwrap();
    assert_eq!(r.article.id, SEED);
    assert_eq!(r.current, Some(0));
    let buf = render(&app);
    let lit: Vec<u16> = (1..29)
        .filter(|&y| !highlighted(&buf, y).is_empty())
        .collect();
    assert!(
        !lit.is_empty(),
        "the first match is on screen and highlighted"
    );
    // Back, and Esc restores the whole library.
    app.handle(key(KeyCode::Esc));
    assert!(app.searching());
    app.handle(key(KeyCode::Esc));
    assert!(!app.searching());
    assert_eq!(app.view().len(), all);
}

#[test]
fn typing_narrows_and_backspace_widens() {
    let lib = Arc::new(Library::embedded());
    let mut app = App::new(
        lib,
        &Config::default(),
        Store::in_memory(),
        Options::default(),
    );
    app.handle(Input::Resize(100, 30));
    app.handle(key(KeyCode::Char('/')));
    let mut counts = Vec::new();
    for c in "الار".chars() {
        app.handle(key(KeyCode::Char(c)));
        settle(&mut app);
        counts.push(app.view().len());
    }
    assert!(counts.windows(2).all(|w| w[0] >= w[1]), "{counts:?}");
    app.handle(key(KeyCode::Backspace));
    settle(&mut app);
    assert_eq!(app.view().len(), counts[2]);
    app.handle(key(KeyCode::Esc));
    assert!(!app.searching());
}

/// The front ends' side of a background search: the keystroke returns at once with the
/// search under way, the waker is called when the hits are ready, and `poll_background` takes
/// them in (asking for a redraw).
#[test]
fn hits_come_in_through_the_waker_and_poll() {
    let lib = Arc::new(Library::embedded());
    let mut app = App::new(
        lib,
        &Config::default(),
        Store::in_memory(),
        Options::default(),
    );
    app.handle(Input::Resize(100, 30));
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let tx = std::sync::Mutex::new(tx);
    app.set_waker(Arc::new(move || {
        let _ = tx.lock().unwrap().send(());
    }));
    let all = app.view().len();
    app.handle(key(KeyCode::Char('/')));
    type_text(&mut app, "hostage");
    // Nothing is taken in before a poll: the list is as it was, the search under way.
    assert!(app.busy());
    assert!(!app.searching());
    assert_eq!(app.view().len(), all);
    assert!(app.background_status().is_some());
    let mut redraw = false;
    while !redraw {
        rx.recv_timeout(std::time::Duration::from_secs(60))
            .expect("a wake for the hits");
        redraw = app.poll_background();
    }
    assert!(app.searching());
    assert_eq!(app.view().len(), 3);
    // Then the hits' articles are read, for their snippets: one more wake and redraw (unless
    // they were read before the hits were taken in).
    while app.busy() {
        rx.recv_timeout(std::time::Duration::from_secs(60))
            .expect("a wake for the snippets");
        app.poll_background();
    }
    assert!(
        app.view()
            .iter()
            .all(|&i| app.library().loaded(i).is_some())
    );
    assert!(!app.poll_background(), "nothing more to take in");
    // Esc cancels a search under way and restores the list at once.
    app.handle(key(KeyCode::Backspace));
    assert!(app.busy());
    app.handle(key(KeyCode::Esc));
    assert!(!app.busy() && !app.searching());
    assert_eq!(app.view().len(), all);
}
