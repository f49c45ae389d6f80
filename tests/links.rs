//! Links in the reader: kept from the file, drawn underlined (and as terminal hyperlinks
//! where the theme says so), listed by `L`, opened or copied from the list; bold, italic and
//! code drawn with attributes that show without colour.

use std::sync::Arc;

use crossterm::event::KeyCode;
use qari::app::{App, Focus, Input};
use qari::config::Config;
use qari::keymap::Action;
use qari::layout::Options;
use qari::library::Library;
use qari::store::Shelf as Store;
use qari::ui::{self, Theme};
use ratatui::buffer::{Buffer, CellDiffOption};
use ratatui::layout::Rect;
use ratatui::style::Modifier;

#[path = "support/app.rs"]
#[allow(dead_code, reason = "each test file uses part of the shared helpers")]
mod support;

use support::{ch, key, settle, text};

const ARTICLE: &str = "---\ntitle: Links\nurl: https://paper.example/world/story\n---\n\n\
The talks went on, **said the minister**, in *Geneva*; see `docs` and the \
[report](../report.pdf). Reported so far by [CNN](https://cnn.com) [BBC News](https://bbc.co.uk) \
and [الجزيرة](https://aljazeera.net/ar), not [this](javascript:alert(1)).\n";

/// The app on a library of one Markdown article with links, opened, `w`×`h`.
fn opened(w: u16, h: u16) -> (tempfile::TempDir, App) {
    opened_with(ARTICLE, w, h)
}

/// The app on a library of one Markdown article, `md`, opened, `w`×`h`.
fn opened_with(md: &str, w: u16, h: u16) -> (tempfile::TempDir, App) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("news");
    std::fs::create_dir(&root).unwrap();
    std::fs::write(root.join("links.md"), md).unwrap();
    let lib = Arc::new(Library::open(&[root]));
    let mut app = App::new(
        lib,
        &Config::default(),
        Store::in_memory(),
        Options::default(),
    );
    app.handle(Input::Resize(w, h));
    app.handle(key(KeyCode::Enter));
    settle(&mut app);
    assert_eq!(app.focus(), Focus::Reader);
    (dir, app)
}

fn draw(app: &App, theme: &Theme) -> Buffer {
    let (w, h) = app.size();
    let area = Rect::new(0, 0, w, h);
    let mut buf = Buffer::empty(area);
    ui::render(app, theme, area, &mut buf);
    buf
}

/// The cells of the first occurrence of `word` on screen (row, columns).
fn find(buf: &Buffer, word: &str) -> (u16, std::ops::Range<u16>) {
    for y in 0..buf.area.height {
        let row: Vec<&str> = (0..buf.area.width)
            .map(|x| {
                let s = buf[(x, y)].symbol();
                // A hyperlink cell: its grapheme between the two sequences.
                s.split_once("\x1b\\")
                    .and_then(|(_, rest)| rest.split("\x1b]8;;").next())
                    .unwrap_or(s)
            })
            .collect();
        let joined: String = row.concat();
        if let Some(at) = joined.find(word) {
            let x = joined.get(..at).unwrap_or("").chars().count() as u16;
            return (y, x..x + word.chars().count() as u16);
        }
    }
    panic!("{word:?} is not on screen:\n{}", text(buf));
}

#[test]
fn marks_are_drawn_with_attributes_that_show_without_colour() {
    let (_dir, app) = opened(80, 24);
    let buf = draw(&app, &Theme::default());
    insta::assert_snapshot!("links_reader_80x24", text(&buf));
    let has = |word: &str, m: Modifier| {
        let (y, xs) = find(&buf, word);
        xs.clone().all(|x| buf[(x, y)].modifier.contains(m))
    };
    assert!(has("said the minister", Modifier::BOLD));
    assert!(has("Geneva", Modifier::ITALIC));
    assert!(has("docs", Modifier::REVERSED));
    assert!(has("CNN", Modifier::UNDERLINED));
    assert!(has("BBC News", Modifier::UNDERLINED));
    assert!(!has("talks", Modifier::UNDERLINED));
    // The dot between the two sources is not part of either link.
    let (y, xs) = find(&buf, "CNN · BBC");
    let dot = xs.start + 4;
    assert_eq!(buf[(dot, y)].symbol(), "·");
    assert!(!buf[(dot, y)].modifier.contains(Modifier::UNDERLINED));
    // The refused link is plain text.
    assert!(!has("this", Modifier::UNDERLINED));
    // Under NO_COLOR the attributes stay: they are what shows the marks.
    let plain = Theme::new(&Config::default().theme, qari::ui::Colors::None);
    let buf = draw(&app, &plain);
    for (word, m) in [
        ("said the minister", Modifier::BOLD),
        ("Geneva", Modifier::ITALIC),
        ("docs", Modifier::REVERSED),
        ("CNN", Modifier::UNDERLINED),
    ] {
        let (y, xs) = find(&buf, word);
        assert!(
            xs.clone().all(|x| buf[(x, y)].modifier.contains(m)),
            "{word}"
        );
        assert!(
            xs.clone()
                .all(|x| buf[(x, y)].fg == ratatui::style::Color::Reset),
            "{word}"
        );
    }
}

#[test]
fn hyperlinks_are_self_contained_cells_of_their_own_width() {
    let (_dir, app) = opened(80, 24);
    let plain = draw(&app, &Theme::default());
    assert!(
        plain.content.iter().all(|c| !c.symbol().contains('\x1b')),
        "no hyperlink without the theme's leave"
    );
    let buf = draw(&app, &Theme::default().with_hyperlinks(true));
    let (y, xs) = find(&buf, "CNN");
    for (x, letter) in xs.zip(["C", "N", "N"]) {
        let cell = &buf[(x, y)];
        assert_eq!(
            cell.symbol(),
            format!("\x1b]8;id=qari-1;https://cnn.com\x1b\\{letter}\x1b]8;;\x1b\\")
        );
        assert_eq!(
            cell.diff_option,
            CellDiffOption::ForcedWidth(std::num::NonZeroU16::MIN)
        );
    }
    let (y, xs) = find(&buf, "report");
    assert!(
        buf[(xs.start, y)]
            .symbol()
            .starts_with("\x1b]8;id=qari-0;https://paper.example/report.pdf\x1b\\"),
        "the relative target resolved against the article's address"
    );
    // Every other cell is as without hyperlinks.
    let linked = buf
        .content
        .iter()
        .zip(&plain.content)
        .filter(|(a, b)| a != b)
        .count();
    let letters = "report".len() + "CNN".len() + "BBC News".len() + "الجزيرة".chars().count();
    assert_eq!(linked, letters);
}

#[test]
fn the_link_list_opens_on_l_and_enter_copies_over_ssh() {
    let (_dir, mut app) = opened(80, 24);
    app.handle(ch('L'));
    let (links, selected) = app.link_list().expect("the list is shown");
    assert_eq!(links.len(), 4);
    assert_eq!(selected, 0);
    insta::assert_snapshot!("links_list_80x24", text(&draw(&app, &Theme::default())));
    app.apply(Action::Down);
    app.apply(Action::Down);
    assert_eq!(app.link_list().unwrap().1, 2);
    app.handle(key(KeyCode::Enter));
    assert!(app.link_list().is_none(), "Enter closes the list");
    assert_eq!(
        app.take_output(),
        qari::app::osc52("https://bbc.co.uk"),
        "not local: the link is copied"
    );
    assert_eq!(
        app.message(),
        Some("https://bbc.co.uk · copied link 3 (17 characters)")
    );
    assert_eq!(app.take_open_request(), None);
    // A key bound to nothing closes the list; Esc too.
    app.handle(ch('L'));
    app.handle(ch('@'));
    assert!(app.link_list().is_none());
    app.handle(ch('L'));
    app.handle(key(KeyCode::Esc));
    assert!(app.link_list().is_none());
    assert_eq!(app.focus(), Focus::Reader, "Esc closed only the list");
}

#[test]
fn on_a_local_terminal_enter_opens_the_link() {
    let (_dir, mut app) = opened(80, 24);
    app.set_local(true);
    app.handle(ch('L'));
    app.apply(Action::Bottom);
    app.handle(key(KeyCode::Enter));
    assert_eq!(
        app.take_open_request().as_deref(),
        Some("https://aljazeera.net/ar")
    );
    assert!(app.take_output().is_empty());
}

#[test]
fn the_list_fits_small_screens_and_says_when_there_is_none() {
    let (_dir, mut app) = opened(20, 6);
    app.handle(ch('L'));
    let shot = text(&draw(&app, &Theme::default()));
    for line in shot.lines() {
        assert!(qari::text::str_width(line) <= 20, "{line:?}");
    }
    insta::assert_snapshot!("links_list_20x6", shot);
    let mut list = support::app_with(Store::in_memory(), 80, 24);
    list.handle(ch('L'));
    assert_eq!(list.message(), Some("open an article to see its links"));
}

/// Ordered lists keep their numbers, nested lists their indent, images are placeholders with
/// their alt text, footnotes numbered notes at the end.
#[test]
fn structure_in_the_reader() {
    let md = "---\ntitle: Structure\n---\n\n![Protesters in the square](p.jpg)\n\n\
              The count[^n] went on:\n\n3. third\n4. fourth\n   - nested\n\n\
              [^n]: As the agency said.\n";
    let (_dir, app) = opened_with(md, 60, 16);
    insta::assert_snapshot!("structure_60x16", text(&draw(&app, &Theme::default())));
}

/// An Arabic article's header runs right to left from the right edge: address, source,
/// reading time, tags, each in its own direction; the library's line on the left.
#[test]
fn an_arabic_articles_header_runs_right_to_left() {
    let md = "---\ntitle: عنوان\nurl: https://aljazeera.net/news/1\nsource: الجزيرة\ntags: [سياسة, اقتصاد]\n---\n\nنص المقال.\n";
    let (_dir, app) = opened_with(md, 100, 8);
    let shot = text(&draw(&app, &Theme::default()));
    insta::assert_snapshot!("arabic_header_100x8", shot);
    let header = shot.lines().next().unwrap();
    let at = |s: &str| {
        header
            .find(s)
            .unwrap_or_else(|| panic!("{s:?} in {header:?}"))
    };
    assert!(
        header.trim_end().ends_with("https://aljazeera.net/news/1"),
        "{header:?}"
    );
    assert!(
        at("1 min") < at("https://"),
        "the reading time left of the address"
    );
    assert!(at("qari") < at("1 min"), "the library on the left");
}

/// A table is a grid where it fits (in an Arabic article its columns run from the right,
/// each cell laid out on its own) and labelled rows where it does not.
#[test]
fn tables_are_grids_where_they_fit() {
    let md = "---\ntitle: جدول\n---\n\nالنتائج:\n\n| المدينة | السكان |\n|---|---|\n| بغداد | 7,000,000 |\n| البصرة | 2.5 million |\n";
    let (_dir, app) = opened_with(md, 60, 14);
    insta::assert_snapshot!("table_grid_60x14", text(&draw(&app, &Theme::default())));
    let (_dir, app) = opened_with(md, 20, 14);
    insta::assert_snapshot!("table_labelled_20x14", text(&draw(&app, &Theme::default())));
}
