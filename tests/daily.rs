//! The reader for daily use: the help that fits and scrolls, the redraw key, and the small
//! things of the list, the prompt and the colours — on ratatui's `TestBackend`.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use qari::app::{App, Focus, Input};
use qari::config::Config;
use qari::keymap::Action;
use qari::screen::Screen;
use qari::store::Shelf as Store;
use qari::ui::Theme;
use ratatui::backend::{Backend, TestBackend};
use ratatui::buffer::Cell;

#[path = "support/app.rs"]
#[allow(dead_code, reason = "each test file uses part of the shared helpers")]
mod support;

use support::{SEED, app_with, ch, key, render, row, settle, text, type_text};

fn app(w: u16, h: u16) -> App {
    app_with(Store::in_memory(), w, h)
}

fn ctrl(c: char) -> Input {
    Input::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

fn shot(a: &App) -> String {
    text(&render(a))
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

#[test]
fn the_help_fits_80x24_and_says_more_exists() {
    let mut a = app(80, 24);
    a.handle(ch('?'));
    let v = a.help_view().unwrap();
    assert!(v.area.height <= 24 && v.area.width <= 80);
    assert!(
        v.lines.len() > v.rows(),
        "the whole help is longer than 24 rows"
    );
    let s = shot(&a);
    insta::assert_snapshot!("help_80x24", s);
    assert!(s.contains("▼ more"), "{s}");
    // Scrolled to its end, the last binding shows and nothing is said to be below.
    a.handle(ch('G'));
    let s = shot(&a);
    insta::assert_snapshot!("help_80x24_end", s);
    assert!(s.contains("quit (Ctrl-C always quits)"), "{s}");
    assert!(!s.contains("▼ more"));
    assert!(s.contains('▲'), "what is above is said");
    assert!(a.help(), "scrolling keeps it open");
    a.handle(ch('k'));
    assert_eq!(
        a.help_view().unwrap().top,
        a.help_view().unwrap().max_top() - 1
    );
}

#[test]
fn the_help_fits_down_to_20x6_and_every_line_can_be_reached() {
    for (w, h) in [(20, 6), (60, 15), (33, 9)] {
        let mut a = app(w, h);
        a.handle(ch('?'));
        let v = a.help_view().unwrap();
        assert!(
            v.area.right() <= w && v.area.bottom() <= h,
            "{w}x{h}: {v:?}"
        );
        for l in &v.lines {
            assert!(
                qari::text::str_width(l) + 4 <= usize::from(v.area.width),
                "{w}x{h}: {l:?} is wider than the box"
            );
        }
        let mut seen = std::collections::HashSet::new();
        loop {
            let v = a.help_view().unwrap();
            let s = shot(&a);
            for (i, l) in v.lines.iter().enumerate().skip(v.top).take(v.rows()) {
                assert!(s.contains(l.as_str()), "{w}x{h}: {l:?} not drawn:\n{s}");
                seen.insert(i);
            }
            if v.top == v.max_top() {
                break;
            }
            a.handle(ch('j'));
        }
        assert_eq!(seen.len(), a.help_view().unwrap().lines.len(), "{w}x{h}");
        // Every description is there, cut or whole.
        let all = a.help_view().unwrap().lines.join("\n");
        assert!(all.contains("Ctrl-l") && all.contains("quit"), "{all}");
    }
    let mut a = app(20, 6);
    a.handle(ch('?'));
    insta::assert_snapshot!("help_20x6", shot(&a));
}

#[test]
fn the_help_closes_on_esc_q_and_question_mark_and_any_unbound_key() {
    for close in [
        key(KeyCode::Esc),
        ch('q'),
        ch('?'),
        ch('x'),
        key(KeyCode::F(9)),
    ] {
        let mut a = app(80, 24);
        a.handle(ch('?'));
        assert!(a.help());
        a.handle(close.clone());
        assert!(!a.help(), "{close:?} closes the help");
        assert!(!a.should_quit(), "{close:?} only closes it");
        assert_eq!(a.focus(), Focus::List);
        // The next key is carried out, not spent closing anything.
        a.handle(ch('j'));
        assert_eq!(a.selected(), 1, "after {close:?}");
    }
    // A bound key other than a move closes the help without being carried out.
    let mut a = app(80, 24);
    a.handle(ch('?'));
    a.handle(ch('s'));
    assert!(!a.help());
    assert_eq!(a.sort().name(), "date");
    // Ctrl-C quits from the help.
    a.handle(ch('?'));
    a.handle(ctrl('c'));
    assert!(a.should_quit());
}

#[test]
fn ctrl_l_draws_the_whole_screen_again() {
    let mut a = app(60, 12);
    let mut s = Screen::new(TestBackend::new(60, 12), Theme::default()).unwrap();
    s.draw(&a).unwrap();
    let disturb = |s: &mut Screen<TestBackend>| {
        let mut cell = Cell::default();
        cell.set_symbol("#");
        s.backend_mut()
            .draw([(30u16, 6u16, &cell)].into_iter())
            .unwrap();
    };
    // Something else wrote on the terminal: a plain draw does not know.
    disturb(&mut s);
    s.draw(&a).unwrap();
    assert_eq!(s.backend().buffer()[(30, 6)].symbol(), "#");
    a.handle(ctrl('l'));
    assert_eq!(a.redraws(), 1);
    s.draw(&a).unwrap();
    assert_ne!(
        s.backend().buffer()[(30, 6)].symbol(),
        "#",
        "Ctrl-L redrew every cell"
    );
    assert_eq!(text(s.backend().buffer()), shot(&a));
    // In the help too, and the help stays.
    a.handle(ch('?'));
    a.handle(ctrl('l'));
    assert!(a.help());
    assert_eq!(a.redraws(), 2);
}

#[test]
fn search_then_enter_on_the_article_opened_last_goes_to_the_match() {
    let mut a = app(80, 24);
    select(&mut a, SEED);
    a.handle(key(KeyCode::Enter));
    a.handle(key(KeyCode::Esc));
    assert_eq!(a.focus(), Focus::List);
    a.handle(ch('/'));
    type_text(&mut a, "ماكجورك");
    settle(&mut a);
    a.handle(key(KeyCode::Enter));
    settle(&mut a);
    let r = a.reader().unwrap();
    assert_eq!(a.focus(), Focus::Reader);
    assert_eq!(r.article.id, SEED);
    assert!(!r.matches.is_empty(), "the matches are found");
    assert_eq!(r.current, Some(0));
    let s = shot(&a);
    assert!(s.contains(&format!("match 1/{}", r.matches.len())), "{s}");
}

#[test]
fn returning_from_an_article_keeps_the_list_where_it_was() {
    let mut a = app(80, 24);
    for _ in 0..5 {
        a.handle(ch('j'));
    }
    assert_eq!((a.selected(), a.list_top()), (5, 0));
    a.handle(key(KeyCode::Enter));
    a.handle(key(KeyCode::Esc));
    assert_eq!(
        (a.selected(), a.list_top()),
        (5, 0),
        "the page fits: no scroll"
    );
    // Next unread from inside the reader moves the selection, and still no needless scroll.
    a.handle(key(KeyCode::Enter));
    a.handle(ch(']'));
    a.handle(key(KeyCode::Esc));
    assert_eq!((a.selected(), a.list_top()), (6, 0));
}

#[test]
fn the_prompt_cursor_stands_where_the_next_letter_goes() {
    let mut a = app(80, 24);
    a.handle(ch('/'));
    type_text(&mut a, "داعش");
    let buf = render(&a);
    let status = row(&buf, 23);
    let cursor = status.find('▏').unwrap();
    let query = status.find('ﺶ').unwrap();
    // The Arabic query reads right to left: the next letter goes at its left end.
    assert!(cursor < query, "{status:?}");
    assert!(status.starts_with(" search: ▏"), "{status:?}");
    // A Latin query: after it.
    let mut b = app(80, 24);
    b.handle(ch('/'));
    type_text(&mut b, "isis");
    let status = row(&render(&b), 23);
    assert!(status.starts_with(" search: isis▏"), "{status:?}");
    // Mixed, ending in Arabic: at the left of the Arabic run, after the Latin word.
    let mut c = app(80, 24);
    c.handle(ch('/'));
    type_text(&mut c, "isis داعش");
    let status = row(&render(&c), 23);
    assert!(status.starts_with(" search: isis ▏"), "{status:?}");
    settle(&mut a);
    settle(&mut b);
    settle(&mut c);
}

#[test]
fn the_header_is_cut_with_an_ellipsis_when_narrow() {
    let a = app(40, 12);
    let header = row(&render(&a), 0);
    assert!(header.trim_end().ends_with('…'), "{header:?}");
    assert_eq!(unicode_width::UnicodeWidthStr::width(header.as_str()), 40);
    let wide = row(&render(&app(100, 12)), 0);
    assert!(!wide.contains('…'), "{wide:?}");
}

#[test]
fn side_by_side_previews_the_selected_article_without_marking_it_read() {
    let mut a = app(140, 30);
    assert!(
        a.reader().is_none(),
        "until the selection moves the pane says how to open"
    );
    a.handle(ch('j'));
    a.handle(ch('k'));
    let first = a.view()[0];
    let r = a.reader().expect("the selection is previewed");
    assert_eq!(r.index, first);
    assert!(r.is_preview());
    assert_eq!(a.focus(), Focus::List);
    a.handle(ch('j'));
    let second = a.view()[1];
    assert_eq!(a.reader().unwrap().index, second);
    let id = a.library().entry(second).id.clone();
    assert!(!a.state_of(&id).read, "a preview is not reading");
    assert_eq!(a.unread_count(), a.library().len());
    let s = shot(&a);
    let title = a.library().entry(second).title.clone();
    assert!(s.contains(&title), "the preview shows it:\n{s}");
    // Opening it reads it; Tab into it too.
    a.handle(key(KeyCode::Enter));
    assert!(a.state_of(&id).read);
    assert!(!a.reader().unwrap().is_preview());
    assert_eq!(a.focus(), Focus::Reader);
    a.handle(key(KeyCode::Tab));
    a.handle(ch('j'));
    let third = a.library().entry(a.view()[2]).id.clone();
    a.handle(key(KeyCode::Tab));
    assert!(a.state_of(&third).read, "Tab into the preview opens it");
    // One pane: no preview.
    let b = app(80, 24);
    assert!(b.reader().is_none());
}

#[test]
fn a_bad_colour_is_reported_naming_the_setting() {
    let cfg = Config::parse("[theme]\nmatched = \"yelow\"\n").unwrap();
    let lib = std::sync::Arc::new(qari::library::Library::embedded());
    let mut a = App::new(
        lib,
        &cfg,
        Store::in_memory(),
        qari::layout::Options::default(),
    );
    a.handle(Input::Resize(100, 24));
    let msg = a.message().unwrap().to_owned();
    assert!(
        msg.starts_with("[theme] matched = \"yelow\" is not a colour"),
        "{msg}"
    );
    assert!(shot(&a).contains("[theme] matched"));
}

fn titles(a: &App) -> Vec<String> {
    a.view()
        .iter()
        .map(|&i| a.library().entry(i).title.clone())
        .collect()
}

#[test]
fn field_filters_in_the_prompt_combine_with_words() {
    let mut a = app(100, 30);
    let all = a.view().len();
    a.handle(ch('/'));
    type_text(&mut a, "lang:ar");
    let ar = a.view().len();
    assert!(ar > 0 && ar < all);
    assert!(
        a.view()
            .iter()
            .all(|&i| a.library().entry(i).lang == qari::article::Lang::Ar)
    );
    assert!(!a.searching(), "fields alone filter the list, one row each");
    assert!(row(&render(&a), 0).contains(&format!("{ar} shown")));
    // With a word: the search's hits that pass the field.
    type_text(&mut a, " داعش");
    settle(&mut a);
    assert!(a.searching());
    let hits = a.view().len();
    assert!(hits > 0 && hits < ar);
    assert!(
        a.view()
            .iter()
            .all(|&i| a.library().entry(i).lang == qari::article::Lang::Ar)
    );
    a.handle(key(KeyCode::Esc));
    assert_eq!(a.view().len(), all, "Esc clears fields and words");

    // is:unread / is:read / is:bookmarked follow the marks.
    let mut b = app(100, 30);
    b.handle(key(KeyCode::Enter));
    let read = b.reader().unwrap().index;
    b.handle(key(KeyCode::Esc));
    b.handle(ch('j'));
    b.handle(ch('B'));
    let marked = b.view()[1];
    for (q, want) in [("is:read", vec![read]), ("is:bookmarked", vec![marked])] {
        b.handle(ch('/'));
        b.handle(ctrl('u'));
        type_text(&mut b, q);
        b.handle(key(KeyCode::Enter));
        assert_eq!(b.view(), &want[..], "{q}");
        b.handle(key(KeyCode::Esc));
    }
    b.handle(ch('/'));
    type_text(&mut b, "is:unread");
    assert_eq!(b.view().len(), b.library().len() - 1);
    assert!(!b.view().contains(&read));
    b.handle(key(KeyCode::Esc));

    // source: and author: (the seed's byline), tag: none in the sample.
    let mut c = app(100, 30);
    c.handle(ch('/'));
    type_text(&mut c, "source:jawhara");
    assert!(!c.view().is_empty());
    assert!(c.view().iter().all(|&i| {
        c.library()
            .entry(i)
            .source
            .as_deref()
            .is_some_and(|s| s.to_lowercase().contains("jawhara"))
    }));
    c.handle(ctrl('u'));
    let seed = c.library().position(SEED).unwrap();
    let byline = c.library().entry(seed).byline.clone().unwrap();
    assert_eq!(
        c.library().article(seed).unwrap().byline,
        Some(byline.clone())
    );
    let word = byline.split_whitespace().last().unwrap().to_owned();
    let loaded = |c: &App| {
        (0..c.library().len())
            .filter(|&i| c.library().loaded(i).is_some())
            .count()
    };
    let before = loaded(&c);
    type_text(&mut c, &format!("author:{word}"));
    assert!(c.view().contains(&seed), "author:{word}");
    // "author:" alone, typed on the way, is no filter: its note goes once the name follows.
    assert_eq!(c.message(), None);
    // The list's entries hold the bylines: the filter read no article.
    assert_eq!(loaded(&c), before, "articles read to filter");
    assert!(
        c.view()
            .iter()
            .all(|&i| c.library().article(i).unwrap().byline.is_some())
    );
    c.handle(ctrl('u'));
    type_text(&mut c, "lang:fr");
    assert!(c.message().unwrap().contains("\"lang:fr\" is not a filter"));
    settle(&mut c);
}

#[test]
fn unread_only_toggle_and_mark_all_read_with_a_confirmation() {
    let mut a = app(100, 30);
    let total = a.library().len();
    a.handle(key(KeyCode::Enter));
    a.handle(key(KeyCode::Esc));
    a.handle(ch('U'));
    assert!(a.unread_only());
    assert_eq!(a.view().len(), total - 1);
    let s = shot(&a);
    assert!(s.lines().next().unwrap().contains("unread only"), "{s}");
    a.handle(ch('U'));
    assert_eq!(a.view().len(), total);
    // A asks first; anything but y keeps the marks.
    a.handle(ch('/'));
    type_text(&mut a, "lang:en");
    a.handle(key(KeyCode::Enter));
    let shown = a.view().len();
    a.handle(ch('A'));
    assert!(
        a.message()
            .unwrap()
            .contains(&format!("mark the {} unread", shown - 1)),
        "{:?}",
        a.message()
    );
    a.handle(ch('n'));
    assert_eq!(a.message(), Some("nothing was marked"));
    assert_eq!(a.unread_count(), total - 1);
    a.handle(ch('A'));
    a.handle(ch('y'));
    assert_eq!(a.unread_count(), total - shown);
    assert!(a.message().unwrap().contains("marked read"));
    a.handle(key(KeyCode::Esc));
    a.handle(ch('U'));
    assert!(
        a.view()
            .iter()
            .all(|&i| a.library().entry(i).lang != qari::article::Lang::En)
    );
    a.handle(ch('A'));
    a.handle(ch('j'));
    assert_eq!(
        a.selected(),
        0,
        "the key after a confirmation is spent answering it"
    );
}

#[test]
fn next_and_previous_article_from_the_reader_and_space_at_the_end() {
    let mut a = app(80, 24);
    a.handle(key(KeyCode::Enter));
    let first = a.view()[0];
    a.handle(ch('J'));
    assert_eq!(a.reader().unwrap().index, a.view()[1]);
    assert_eq!(a.focus(), Focus::Reader);
    a.handle(ch('K'));
    assert_eq!(a.reader().unwrap().index, first);
    a.handle(ch('K'));
    assert_eq!(a.reader().unwrap().index, first);
    assert!(a.message().unwrap().contains("first article"));
    // J moves past read articles too, unlike ]: the next article is read already.
    a.handle(ch('J'));
    a.handle(ch('K'));
    a.handle(ch(']'));
    assert_eq!(
        a.reader().unwrap().index,
        a.view()[2],
        "] skips the read one"
    );
    // Space at the end goes on to the next unread.
    a.handle(ch('G'));
    let at = a.reader().unwrap().index;
    a.handle(ch(' '));
    let next = a.reader().unwrap().index;
    assert_ne!(next, at);
    assert_eq!(next, a.view()[3]);
    assert_eq!(a.reader().unwrap().top, 0);
}

#[test]
fn title_sort_follows_the_arabic_alphabet() {
    let mut a = app(80, 24);
    a.handle(ch('s'));
    assert_eq!(a.sort().name(), "title");
    let t = titles(&a);
    let keys: Vec<String> = t.iter().map(|t| qari::app::title_key(t)).collect();
    assert!(keys.windows(2).all(|w| w[0] <= w[1]));
    // Titles beginning with a hamza form of alef come among the alef titles (by their
    // next letters), not all before them as code points would have it.
    let first_alef = t.iter().position(|t| t.trim().starts_with('ا')).unwrap();
    let last_hamza = t
        .iter()
        .rposition(|t| t.trim().starts_with(['أ', 'إ', 'آ']))
        .unwrap();
    assert!(first_alef < last_hamza, "{t:?}");
}

#[test]
fn the_measure_comes_from_the_config_and_changes_with_plus_and_minus() {
    let mut a = app(110, 30);
    select(&mut a, SEED);
    a.handle(key(KeyCode::Enter));
    let t = a.geometry().text.unwrap();
    assert_eq!(t.width, 80, "the default measure");
    let pane = a.geometry().reader.unwrap();
    assert_eq!(t.x - pane.x - 1, (pane.width - 2 - 80) / 2, "centred");
    for _ in 0..12 {
        a.handle(ch('j'));
    }
    let block = |a: &App| {
        let r = a.reader().unwrap();
        r.lines()[r.top].origin
    };
    let at = block(&a);
    let pos = a.reader().unwrap().position();
    a.handle(ch('-'));
    assert_eq!(a.geometry().text.unwrap().width, 76);
    assert_eq!(a.reader().unwrap().width(), 76);
    assert_eq!(block(&a), at, "the same text stays at the top");
    assert_eq!(a.message(), Some("measure: 76 columns"));
    insta::assert_snapshot!("measure_76", shot(&a));
    for _ in 0..30 {
        a.handle(ch('-'));
    }
    assert_eq!(a.measure(), qari::app::MIN_MEASURE);
    for _ in 0..30 {
        a.handle(ch('+'));
    }
    assert_eq!(a.measure(), 0, "as wide as the pane");
    assert_eq!(a.geometry().text.unwrap().width, pane.width - 2);
    assert_eq!(block(&a), at);
    assert_eq!(
        a.reader().unwrap().position(),
        pos,
        "the place is kept through every change"
    );
    // measure = 0 in the config: the pane's width.
    let cfg = Config::parse("measure = 0\n").unwrap();
    let lib = std::sync::Arc::new(qari::library::Library::embedded());
    let mut b = App::new(
        lib,
        &cfg,
        Store::in_memory(),
        qari::layout::Options::default(),
    );
    b.handle(Input::Resize(110, 30));
    b.handle(key(KeyCode::Enter));
    assert_eq!(b.geometry().text.unwrap().width, 108);
    let cfg = Config::parse("measure = 60\n").unwrap();
    assert_eq!(cfg.measure, 60);
}

/// Decodes standard base64 (the tests' own, to read what was sent).
fn unbase64(s: &str) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {c}"),
    };
    let mut out = Vec::new();
    for chunk in s.as_bytes().chunks(4) {
        let pad = chunk.iter().rev().take_while(|&&c| c == b'=').count();
        let mut n: u32 = 0;
        for &c in chunk {
            n = (n << 6) | u32::from(if c == b'=' { 0 } else { val(c) });
        }
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..4 - pad]);
    }
    out
}

/// The text an OSC 52 write carries.
fn clipboard_text(out: &[u8]) -> String {
    let s = std::str::from_utf8(out).unwrap();
    let body = s
        .strip_prefix("\u{1b}]52;c;")
        .and_then(|b| b.strip_suffix("\u{1b}\\"))
        .unwrap_or_else(|| panic!("not an OSC 52 write: {s:?}"));
    String::from_utf8(unbase64(body)).unwrap()
}

#[test]
fn paragraphs_are_selected_with_v_and_copied_in_logical_order() {
    let mut a = app(80, 24);
    select(&mut a, SEED);
    a.handle(key(KeyCode::Enter));
    a.handle(ch('v'));
    let sel = a.reader().unwrap().selection().unwrap();
    assert_eq!(sel.clone().count(), 1);
    a.handle(ch('j'));
    a.handle(ch('j'));
    let sel = a.reader().unwrap().selection().unwrap();
    assert_eq!(sel.clone().count(), 3);
    let s = shot(&a);
    assert!(
        s.contains("3 paragraphs selected · j/k extend · y copy · Esc cancel"),
        "{s}"
    );
    insta::assert_snapshot!("selection", s);
    a.handle(ch('k'));
    a.handle(ch('y'));
    let article = a.reader().unwrap().article.clone();
    let want = article.blocks[*sel.start()..=*sel.start() + 1]
        .iter()
        .map(|b| b.text.as_str())
        .collect::<Vec<_>>()
        .join("\n\n");
    let got = clipboard_text(&a.take_output());
    assert_eq!(got, want, "the stored text, in logical order");
    assert!(
        !got.chars().any(|c| ('\u{fb50}'..='\u{feff}').contains(&c)),
        "no presentation forms"
    );
    assert!(got.contains("ماكغورك") || got.contains('ا'), "{got}");
    assert_eq!(
        a.message().unwrap(),
        format!("copied 2 paragraphs ({} characters)", want.chars().count())
    );
    assert!(a.reader().unwrap().selection().is_none());
    assert!(a.take_output().is_empty(), "written once");
    // Esc cancels a selection without leaving the article.
    a.handle(ch('v'));
    a.handle(key(KeyCode::Esc));
    assert!(a.reader().unwrap().selection().is_none());
    assert_eq!(a.focus(), Focus::Reader);
    assert!(a.take_output().is_empty());
}

#[test]
fn y_copies_the_address_and_o_opens_it_or_copies_it_over_ssh() {
    let mut a = app(100, 24);
    select(&mut a, "0001.txt");
    let url = a
        .library()
        .article(a.view()[a.selected()])
        .unwrap()
        .url
        .clone()
        .expect("0001.txt has an address in the manifest");
    // From the list, the selected article's address.
    a.handle(ch('y'));
    assert_eq!(clipboard_text(&a.take_output()), url);
    assert!(a.message().unwrap().starts_with("copied the address"));
    a.handle(key(KeyCode::Enter));
    let header = row(&render(&a), 0);
    // The header runs in the article's direction: an Arabic one's address at the right edge.
    let rtl = a.reader().unwrap().article.direction == qari::article::Direction::Rtl;
    assert!(
        if rtl {
            // (Its Arabic part is drawn right to left, as its letters go.)
            let at = header.find(url.get(..20).unwrap());
            at.is_some_and(|at| !header.get(at..).unwrap().contains(" · "))
        } else {
            header.starts_with(&format!(" {}", url.get(..20).unwrap()))
        },
        "{header}"
    );
    // Not local (SSH, or tests): o copies and shows it.
    a.handle(ch('o'));
    assert_eq!(clipboard_text(&a.take_output()), url);
    assert!(a.take_open_request().is_none());
    assert!(a.message().unwrap().starts_with(&url));
    // Local: o asks the front end to open it.
    a.set_local(true);
    a.handle(ch('o'));
    assert_eq!(a.take_open_request(), Some(url.clone()));
    assert!(a.take_output().is_empty());
    // Copying off in the config: nothing is written, and the reason is said.
    let cfg = Config::parse("clipboard = false\n").unwrap();
    let lib = std::sync::Arc::new(qari::library::Library::embedded());
    let mut b = App::new(
        lib,
        &cfg,
        Store::in_memory(),
        qari::layout::Options::default(),
    );
    b.handle(Input::Resize(100, 24));
    select(&mut b, "0001.txt");
    b.handle(ch('y'));
    assert!(b.take_output().is_empty());
    assert!(b.message().unwrap().contains("clipboard = false"));
    assert!(qari::app::is_web_address("https://example.org/a?b=c"));
    assert!(!qari::app::is_web_address("javascript:alert(1)"));
    assert!(!qari::app::is_web_address("https://x y"));
}

/// The README's key table is the default keymap's, so the help and the README say the same.
#[test]
fn the_readme_key_table_is_the_keymap() {
    let readme = include_str!("../README.md");
    let table = qari::config::Config::default().keys.markdown_table();
    assert!(
        readme.contains(&table),
        "README.md's key table differs from the keymap; it should read:\n{table}"
    );
}

/// A Markdown article with headings of three levels, long enough to scroll.
fn headed_library(dir: &std::path::Path) -> std::sync::Arc<qari::library::Library> {
    use std::fmt::Write as _;
    let mut md = String::from("---\ntitle: دليل القارئ\n---\n\n");
    for (i, h) in ["## المقدمة", "### Background", "#### تفاصيل", "## الخاتمة"]
        .iter()
        .enumerate()
    {
        let _ = write!(md, "{h}\n\n");
        for p in 0..8 {
            let _ = write!(
                md,
                "فقرة {i}-{p}: قال المبعوث إن داعش فقد معظم الأراضي التي سيطر عليها منذ 2014.\n\n"
            );
        }
    }
    let dir = dir.join("guide");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("guide.md"), md).unwrap();
    std::sync::Arc::new(qari::library::Library::open(&[dir]))
}

#[test]
fn the_outline_lists_the_headings_and_jumps_to_one() {
    let dir = tempfile::tempdir().unwrap();
    let lib = headed_library(dir.path());
    let mut a = App::new(
        lib,
        &Config::default(),
        Store::in_memory(),
        qari::layout::Options::default(),
    );
    a.handle(Input::Resize(80, 24));
    a.handle(ch('t'));
    assert!(a.outline().is_none(), "only in the reader");
    a.handle(key(KeyCode::Enter));
    a.handle(ch('t'));
    let (items, k) = a.outline().unwrap();
    let levels: Vec<u8> = items.iter().map(|i| i.level).collect();
    assert_eq!(levels, vec![2, 3, 4, 2]);
    assert_eq!(items[1].text, "Background");
    assert_eq!(k, 0);
    let s = shot(&a);
    insta::assert_snapshot!("outline", s);
    assert!(s.contains("Background"));
    a.handle(ch('j'));
    a.handle(ch('j'));
    a.handle(ch('j'));
    a.handle(ch('j'));
    assert_eq!(a.outline().unwrap().1, 3, "stops at the last");
    a.handle(key(KeyCode::Enter));
    assert!(a.outline().is_none());
    let r = a.reader().unwrap();
    let target = items[3].block;
    let page = usize::from(a.geometry().text.unwrap().height);
    assert!(
        r.lines()[r.top..(r.top + page).min(r.lines().len())]
            .iter()
            .any(|l| l.origin == qari::article::Place::Block(target)),
        "the heading is on screen"
    );
    // Opened again, the heading of the text at the top of the pane is the one selected (the
    // last heading cannot be at the top: the article ends first); Esc closes.
    let top_block = a.reader().unwrap().position().place.block().unwrap();
    let want = items.iter().rposition(|i| i.block <= top_block).unwrap();
    a.handle(ch('t'));
    assert_eq!(a.outline().unwrap().1, want);
    a.handle(key(KeyCode::Esc));
    assert!(a.outline().is_none());
    assert_eq!(a.focus(), Focus::Reader, "Esc closes the outline only");
}

#[test]
fn heading_levels_are_drawn_distinctly_even_without_colour() {
    use ratatui::style::Modifier;
    let dir = tempfile::tempdir().unwrap();
    let lib = headed_library(dir.path());
    let mut a = App::new(
        lib,
        &Config::default(),
        Store::in_memory(),
        qari::layout::Options::default(),
    );
    a.handle(Input::Resize(80, 60));
    a.handle(key(KeyCode::Enter));
    let cfg = Config::default();
    let theme = Theme::new(&cfg.theme, qari::ui::Colors::None);
    let area = ratatui::layout::Rect::new(0, 0, 80, 60);
    let mut buf = ratatui::buffer::Buffer::empty(area);
    qari::ui::render(&a, &theme, area, &mut buf);
    let r = a.reader().unwrap();
    let text_rect = a.geometry().text.unwrap();
    let mut seen = std::collections::BTreeMap::new();
    for (row, line) in r.lines().iter().skip(r.top).take(58).enumerate() {
        if let qari::document::LineKind::Heading(level) = line.kind {
            let y = text_rect.y + u16::try_from(row).unwrap();
            let cell = (text_rect.x..text_rect.right())
                .map(|x| &buf[(x, y)])
                .find(|c| c.symbol() != " ")
                .unwrap();
            seen.insert(level, cell.modifier);
        }
    }
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert!(seen[&2].contains(Modifier::BOLD) && !seen[&2].contains(Modifier::ITALIC));
    assert!(seen[&3].contains(Modifier::BOLD | Modifier::ITALIC));
    assert!(seen[&4].contains(Modifier::ITALIC) && !seen[&4].contains(Modifier::BOLD));
}

#[test]
fn the_readers_header_says_what_the_article_is() {
    let dir = tempfile::tempdir().unwrap();
    let lib_dir = dir.path().join("notes");
    std::fs::create_dir(&lib_dir).unwrap();
    let body = "word ".repeat(450);
    std::fs::write(
        lib_dir.join("a.md"),
        format!(
            "---\ntitle: A note\nurl: https://example.org/a\nsource: Example Daily\ntags: [iraq, syria]\n---\n\n{body}\n"
        ),
    )
    .unwrap();
    let lib = std::sync::Arc::new(qari::library::Library::open(&[lib_dir]));
    let mut a = App::new(
        lib,
        &Config::default(),
        Store::in_memory(),
        qari::layout::Options::default(),
    );
    a.handle(Input::Resize(120, 20));
    a.handle(key(KeyCode::Enter));
    let header = row(&render(&a), 0);
    assert!(
        header.starts_with(
            " https://example.org/a · Example Daily · 3 min · #iraq #syria · qari · notes"
        ),
        "{header:?}"
    );
    a.handle(key(KeyCode::Esc));
    assert!(row(&render(&a), 0).starts_with(" qari · notes"));
}
