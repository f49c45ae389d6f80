//! The layout engine: golden renders of the seed, property tests over random mixed text, and
//! `qari render` as a command.

use assert_cmd::Command;
use proptest::prelude::*;
use qari::article::{self, Format};
use qari::document::render_plain;
use qari::layout::{self, BaseDir, BidiMode, Options, VisualLine};
use qari::text::{self, Direction, is_bidi_control};
use unicode_segmentation::UnicodeSegmentation;

const SEED: &[u8] = include_bytes!("../assets/articles/000_c76da13a58358bbb.txt");

fn seed() -> article::Article {
    article::parse(SEED, Format::Txt, "seed.txt")
        .unwrap()
        .articles
        .remove(0)
}

#[test]
fn golden_seed_at_40() {
    insta::assert_snapshot!(render_plain(&seed(), 40, Options::default()));
}

#[test]
fn golden_seed_at_60() {
    insta::assert_snapshot!(render_plain(&seed(), 60, Options::default()));
}

#[test]
fn golden_seed_at_80() {
    insta::assert_snapshot!(render_plain(&seed(), 80, Options::default()));
}

#[test]
fn render_command_matches_the_library_and_has_no_trailing_spaces() {
    let path = format!(
        "{}/assets/articles/000_c76da13a58358bbb.txt",
        env!("CARGO_MANIFEST_DIR")
    );
    let out = Command::cargo_bin("qari")
        .unwrap()
        .args(["render", &path, "--width", "60"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text, render_plain(&seed(), 60, Options::default()));
    for line in text.lines() {
        assert!(!line.ends_with(' '));
        assert!(text::str_width(line) <= 60);
        assert!(!line.contains('\u{1b}'));
    }
}

#[test]
fn render_plain_unwrapped_is_fribidis_output() {
    let input = "وقال ماكجورك إن داعش فقد 95% من الأراضي (Thu - 16 Nov 2017) منذ 2014.\nBBC عربي\n\nقال: «مرحبا»\n";
    let out = Command::cargo_bin("qari")
        .unwrap()
        .args(["render", "--plain", "--width", "0"])
        .write_stdin(input)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        ".2014 ﺬﻨﻣ (Thu - 16 Nov 2017) ﻲﺿﺍﺭﻷﺍ ﻦﻣ %95 ﺪﻘﻓ ﺶﻋﺍﺩ ﻥﺇ ﻙﺭﻮﺠﻛﺎﻣ ﻝﺎﻗﻭ\nBBC ﻲﺑﺮﻋ\n\n«ﺎﺒﺣﺮﻣ» :ﻝﺎﻗ\n"
    );
}

#[test]
fn render_modes_and_direction_flags() {
    let run = |args: &[&str]| {
        let out = Command::cargo_bin("qari")
            .unwrap()
            .args(["render", "--plain"])
            .args(args)
            .env_remove("QARI_BIDI")
            .env_remove("MLTERM")
            .env("QARI_CONFIG", "/nonexistent/qari.toml")
            .write_stdin("سلام BBC\n")
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        String::from_utf8(out).unwrap()
    };
    assert_eq!(
        run(&["--width", "12"]),
        "     BBC ﻡﻼﺳ\n",
        "the lam-alef ligature is one cell"
    );
    assert_eq!(
        run(&["--width", "12", "--bidi", "terminal"]),
        "سلام BBC\n",
        "the terminal aligns it: no padding"
    );
    assert_eq!(run(&["--width", "12", "--no-shape"]), "    BBC مالس\n");
    assert_eq!(run(&["--width", "12", "--dir", "ltr"]), "ﻡﻼﺳ BBC\n");
    let out = Command::cargo_bin("qari")
        .unwrap()
        .args(["render", "--plain", "--width", "12"])
        .env("QARI_BIDI", "off")
        .write_stdin("سلام BBC\n")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(String::from_utf8(out).unwrap(), "     ﺳﻼﻡ BBC\n");
    Command::cargo_bin("qari")
        .unwrap()
        .args(["render", "--bidi", "sideways"])
        .assert()
        .code(2);
}

// Property tests: random mixes of Arabic letters, marks, Latin, digits, spaces, punctuation and
// bidi controls at random widths.

fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::sample::select(vec!["ب", "ل", "ا", "م", "ع", "ي", "ة", "ء", "پ", "ک", "ی", "ے", "أ", "لا"]).prop_map(str::to_owned),
        2 => proptest::sample::select(vec!["\u{064E}", "\u{0651}", "\u{064C}", "\u{0670}"]).prop_map(str::to_owned),
        3 => "[a-zA-Z]{1,6}",
        2 => "[0-9]{1,4}",
        3 => Just(" ".to_owned()),
        1 => proptest::sample::select(vec!["(", ")", "«", "»", ".", "،", "-", "%", ":", "[", "]"]).prop_map(str::to_owned),
        1 => proptest::sample::select(vec!["\u{200F}", "\u{200E}", "\u{202B}", "\u{202C}", "\u{2067}", "\u{2069}", "\u{061C}", "\u{200D}", "\u{200C}", "\u{0640}"]).prop_map(str::to_owned),
        1 => proptest::sample::select(vec![
            "\u{200B}", "\u{00AD}", "\u{2060}", "\u{2063}", "\u{206A}", "\u{180E}", "\u{FEFF}",
            "👨\u{200D}👩\u{200D}👧\u{200D}👦", "😀", "\u{1F1F8}\u{1F1E6}", "中文", "e\u{0301}", " \u{064E}",
            "\u{0915}\u{093F}\u{093F}\u{093F}\u{093F}", "\t",
        ]).prop_map(str::to_owned),
    ]
}

fn text() -> impl Strategy<Value = String> {
    proptest::collection::vec(piece(), 0..60).prop_map(|v| v.concat())
}

fn opts() -> Options {
    Options {
        base: BaseDir::Auto,
        fallback: Direction::Rtl,
        mode: BidiMode::App,
        shape: true,
        controls: true,
    }
}

/// A grapheme that must be drawn: not only bidi controls, invisible format characters
/// (boundary neutrals: joiners, soft hyphens, ZWSP, …), spaces or tabs.
fn drawn(g: &str) -> bool {
    g.chars().any(|c| {
        !is_bidi_control(c)
            && !matches!(c, ' ' | '\t')
            && text::bidi_class(c) != unicode_bidi::BidiClass::BN
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn every_line_fits(s in text(), w in 2usize..50) {
        for l in layout::lay_out(&s, w, opts()) {
            prop_assert!(l.offset + l.width <= w, "{:?} at {w}", l.padded_text());
            prop_assert_eq!(l.width, l.cells.iter().map(|c| usize::from(c.width)).sum::<usize>());
        }
    }

    /// Every line, as printed, measured by the one width function (cluster by cluster, as
    /// terminals draw it), is at most the width, in every mode and direction; and every
    /// cell's width is its text's. (From 2 columns: a wide character cannot fit in one, and
    /// stands alone on its line there.)
    #[test]
    fn printed_lines_fit_by_the_width_function(
        s in text(),
        w in 2usize..50,
        mode in proptest::sample::select(vec![BidiMode::App, BidiMode::Terminal, BidiMode::Off]),
        base in proptest::sample::select(vec![BaseDir::Auto, BaseDir::Rtl, BaseDir::Ltr]),
    ) {
        let o = Options { mode, base, ..opts() };
        let prepared = layout::prepare(&s, o);
        for line in prepared.wrap(w) {
            let mut printed = String::new();
            prepared.push_plain(&line, &mut printed);
            prop_assert!(text::str_width(&printed) <= w, "{:?} at {}: {:?}", s, w, printed);
            prop_assert_eq!(text::str_width(&printed), line.offset + line.width, "{:?}", printed);
            let v = prepared.visual(&line);
            for c in &v.cells {
                prop_assert_eq!(usize::from(c.width), text::cluster_width(v.cell_text(c)));
            }
        }
    }

    #[test]
    fn every_grapheme_appears_once(s in text(), w in 0usize..50) {
        let lines = layout::lay_out(&s, w, opts());
        let mut covered = vec![0u32; s.len() + 1];
        for l in &lines {
            for c in &l.cells {
                prop_assert!(!l.cell_text(c).chars().any(is_bidi_control));
                for b in c.src.clone() {
                    covered[b] += 1;
                }
            }
        }
        for (start, g) in s.grapheme_indices(true) {
            if drawn(g) {
                prop_assert_eq!(covered[start], 1, "grapheme {:?} at {} in {:?}", g, start, s);
            } else {
                prop_assert!(covered[start] <= 1);
            }
        }
    }

    #[test]
    fn lines_come_in_reading_order(s in text(), w in 1usize..50) {
        let lines = layout::lay_out(&s, w, opts());
        for pair in lines.windows(2) {
            prop_assert!(pair[0].src.end <= pair[1].src.start, "{:?} then {:?}", pair[0].src, pair[1].src);
            let max0 = pair[0].cells.iter().map(|c| c.src.end).max();
            let min1 = pair[1].cells.iter().map(|c| c.src.start).min();
            if let (Some(a), Some(b)) = (max0, min1) {
                prop_assert!(a <= b);
            }
        }
    }

    /// What `qari render` prints of a line (its shortcut: a line in logical order copied
    /// whole) is what the line's cells show, in every mode and direction.
    #[test]
    fn printed_lines_are_their_cells(
        s in text(),
        w in 0usize..50,
        mode in proptest::sample::select(vec![BidiMode::App, BidiMode::Terminal, BidiMode::Off]),
        base in proptest::sample::select(vec![BaseDir::Auto, BaseDir::Rtl, BaseDir::Ltr]),
        tab in proptest::prelude::any::<bool>(),
    ) {
        let s = if tab { s.replacen(' ', "\t", 2) } else { s };
        let o = Options { mode, base, ..opts() };
        let prepared = layout::prepare(&s, o);
        for line in prepared.wrap(w) {
            let mut printed = String::new();
            prepared.push_plain(&line, &mut printed);
            prop_assert_eq!(&printed, &prepared.visual(&line).padded_text(), "{:?} at {}", s, w);
        }
    }

    #[test]
    fn rtl_text_without_breaks_comes_out_reversed(
        letters in proptest::collection::vec(proptest::sample::select(vec!["ب", "ت", "م", "ع", "ي", "ن", "س"]), 1..40)
    ) {
        let s = letters.concat();
        let lines = layout::lay_out(&s, 0, opts());
        prop_assert_eq!(lines.len(), 1);
        let starts: Vec<usize> = lines[0].cells.iter().map(|c| c.src.start).collect();
        let mut expected = starts.clone();
        expected.sort_unstable_by(|a, b| b.cmp(a));
        prop_assert_eq!(starts, expected);
        prop_assert_eq!(lines[0].cells.len(), letters.len());
    }
}

#[test]
fn a_megabyte_article_lays_out() {
    let para = "وقال ماكجورك إن داعش فقد 95% من الأراضي (Thu - 16 Nov 2017) منذ 2014. ".repeat(20);
    let mut total = 0;
    let mut lines: Vec<VisualLine> = Vec::new();
    while total < 1 << 20 {
        lines.extend(layout::lay_out(&para, 80, opts()));
        total += para.len();
    }
    assert!(lines.iter().all(|l| l.offset + l.width <= 80));
}

/// The lines of a prepared article, at any width and in any order of widths, are where they
/// say they are: the cells made for a line have its width, offset, side and source, every
/// line fits, and each block's lines cover its text in order.
#[test]
fn article_lines_match_their_cells_at_every_width() {
    use qari::article::Place;
    use qari::document::{LineKind, PreparedArticle};
    let lib = qari::library::Library::embedded();
    for i in (0..lib.len()).step_by(7) {
        let a = lib.article(i).unwrap();
        let prepared = PreparedArticle::new(&a, Options::default());
        for width in [61, 20, 0, 80, 33] {
            let lines = prepared.lay_out(width);
            let mut next: Option<(Place, usize)> = None;
            for l in &lines {
                let v = prepared.visual(l);
                assert_eq!(v.width, l.line.width, "{} at {width}", a.id);
                assert_eq!(v.offset, l.line.offset);
                assert_eq!(v.rtl, l.line.rtl);
                assert_eq!(v.src, l.line.src);
                assert_eq!(
                    v.width,
                    v.cells.iter().map(|c| usize::from(c.width)).sum::<usize>()
                );
                if width > 0 {
                    assert!(
                        l.lead + l.line.offset + l.line.width <= width,
                        "{} at {width}",
                        a.id
                    );
                    assert!(text::str_width(&prepared.plain(l, width)) <= width);
                }
                if let (Place::Block(b), LineKind::Paragraph) = (l.origin, l.kind) {
                    if let Some((Place::Block(p), end)) = next
                        && p == b
                    {
                        assert_eq!(l.line.src.start, end, "{} block {b} at {width}", a.id);
                    }
                    next = Some((l.origin, l.line.src.end));
                }
            }
        }
    }
}

/// Unicode 15.1 relaxed LB15: a quotation mark, a space, then `(` or `[` may break. Under
/// 15.0's rule `» [` could not, and at 12 columns the line broke inside مصدر.
#[test]
fn lb15_a_quote_then_a_bracket_may_break() {
    let s = "قال (وفق «رويترز» [مصدر]) إن";
    let laid = layout::lay_out(s, 12, opts());
    let texts: Vec<String> = laid.iter().map(VisualLine::visual_text).collect();
    assert_eq!(texts, ["ﻖﻓﻭ) ﻝﺎﻗ", "«ﺯﺮﺘﻳﻭﺭ»", "ﻥﺇ ([ﺭﺪﺼﻣ]"]);
    let logical: Vec<&str> = laid
        .iter()
        .map(|l| s.get(l.src.clone()).unwrap().trim_end())
        .collect();
    assert_eq!(logical, ["قال (وفق", "«رويترز»", "[مصدر]) إن"]);
    for l in &laid {
        assert!(l.width <= 12);
    }
}

/// An Arabic word: a run of Arabic letters and marks.
fn arabic(c: char) -> bool {
    ('\u{0600}'..='\u{06FF}').contains(&c) && !matches!(c, '\u{060C}' | '\u{061B}' | '\u{061F}')
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// At 12 columns or more, no Arabic word of news text (at most 12 letters) is split:
    /// every line starts and ends between words, whatever punctuation, quotes, brackets,
    /// numbers and Latin words surround them.
    #[test]
    fn no_arabic_word_is_split(
        words in proptest::collection::vec(
            (
                proptest::sample::select(vec!["", "«", "(", "[", "\"", "(«"]),
                proptest::collection::vec(
                    proptest::sample::select(vec!["ب", "ل", "ا", "م", "ع", "ي", "ة", "ن", "و", "ر", "\u{064E}", "س"]),
                    1..11,
                ),
                proptest::sample::select(vec!["", "»", ")", "]", "\"", "،", ".", ":", "»)", "]).", "؟"]),
                proptest::sample::select(vec![" ", " ", " ", " 2017 ", " BBC ", " - "]),
            ),
            1..30,
        ),
        w in 12usize..60,
    ) {
        let mut s = String::new();
        for (open, letters, close, gap) in &words {
            s.push_str(open);
            s.push_str(&letters.concat());
            s.push_str(close);
            s.push_str(gap);
        }
        let lines = layout::lay_out(&s, w, opts());
        for l in &lines {
            for at in [l.src.start, l.src.end] {
                let before = s.get(..at).unwrap().chars().next_back();
                let after = s.get(at..).unwrap().chars().next();
                prop_assert!(
                    !(before.is_some_and(arabic) && after.is_some_and(arabic)),
                    "{:?} split at byte {} at width {}", s, at, w
                );
            }
        }
    }
}
