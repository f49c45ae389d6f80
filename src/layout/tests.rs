//! The engine's unit tests: the fast paths held to the libraries, and layouts of real text.

use super::clusters::{
    GRAPHEME_RANGES, GraphemeClass, Sources, char_info, fast_grapheme_class, starts_cluster,
};
use super::levels::char_levels;
use super::*;
use crate::text::{cell_width, cluster_width, is_bidi_control, mirror, str_width};
use unicode_segmentation::UnicodeSegmentation;

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

    /// The fast ways (grapheme boundaries from the learnt table, levels from a look at
    /// the classes) give the clusters the libraries give: unicode-segmentation's
    /// boundaries and unicode-bidi's levels.
    #[test]
    fn fast_clusters_agree_with_the_libraries(
        chars in proptest::collection::vec(proptest::sample::select(vec![
            'a', 'Z', 'é', 'ب', 'ل', 'ا', 'أ', 'ـ', '\u{05D0}', '1', '9', '\u{0661}',
            '\u{06F1}', ' ', '\t', '.', ',', ':', '%', '$', '#', '-', '+', '/', '(', ')',
            '[', ']', '«', '»', '"', '!', '\u{064E}', '\u{0651}', '\u{0301}', '\u{200C}',
            '\u{200D}', '\u{00A0}', '\u{2022}', '\u{200F}', '\u{2067}', '\u{2069}',
            '\u{202B}', '\u{202C}', '\u{061C}', '\u{FEFF}', '\u{3000}', '😀',
        ]), 0..40),
        rtl in proptest::prelude::any::<bool>(),
        reorder in proptest::prelude::any::<bool>(),
    ) {
        let text: String = chars.into_iter().collect();
        let libraries = Sources { fast_graphemes: false, quick_levels: false };
        let reference = built(&text, rtl, reorder, libraries);
        proptest::prop_assert!(reference.is_some());
        for sources in [Sources::FAST, Sources::LIBRARY_GRAPHEMES] {
            if let Some(got) = built(&text, rtl, reorder, sources) {
                proptest::prop_assert_eq!(&Some(got), &reference, "{:?} {:?}", text, sources);
            }
        }
    }

    /// Paragraphs of Arabic letters, numbers, separators and terminators: the quick
    /// levels are unicode-bidi's, character by character.
    #[test]
    fn rtl_number_levels_agree_with_unicode_bidi(
        chars in proptest::collection::vec(proptest::sample::select(vec![
            'ب', 'ل', 'ا', '\u{05D0}', '1', '9', '\u{0661}', '\u{06F1}', ' ', '.', ',',
            ':', '%', '$', '#', '-', '+', '/', '(', ')', '«', '»', '\u{064E}', '\u{066A}',
            '\u{060C}', '\u{00B0}', '\u{2212}',
        ]), 1..40),
    ) {
        let text: String = chars.into_iter().collect();
        let p = built(&text, true, true, Sources::LIBRARY_GRAPHEMES).unwrap();
        let levels = char_levels(&text, Direction::Rtl);
        let starts: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
        let mut src = 0;
        for i in p.clusters_of(0) {
            let level = p.levels_of(0).map_or(1, |l| l[i]);
            let k = starts.binary_search(&src).unwrap();
            proptest::prop_assert_eq!(levels[k].0, Some(level), "{:?} at {}", text, k);
            src += p.lens_of(i).0;
        }
    }
}

/// One paragraph prepared with the grapheme boundaries and levels from `sources`.
fn built(text: &str, rtl: bool, reorder: bool, sources: Sources) -> Option<Prepared> {
    let mut p = Prepared {
        reorder,
        ..Prepared::default()
    };
    p.para_start.push(0);
    p.para_flags.push(if rtl { P_RTL } else { 0 });
    p.build(text, u8::from(rtl), true, sources, &mut Scratch::default())?;
    Some(p)
}

/// The clusters the fast table makes of `s`, or unicode-segmentation's where it declines.
fn fast_ranges(s: &str) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::new();
    let mut prev_control = false;
    for (i, c) in s.char_indices() {
        let Some(class) = fast_grapheme_class(char_info(c)) else {
            return library_ranges(s);
        };
        if starts_cluster(class, prev_control, out.is_empty()) {
            if let Some(last) = out.last_mut() {
                last.1 = i;
            }
            out.push((i, s.len()));
        }
        prev_control = class == GraphemeClass::Control;
    }
    out
}

fn grapheme_class(c: char) -> Option<GraphemeClass> {
    char_info(c).map(|i| i.grapheme)
}

fn library_ranges(s: &str) -> Vec<(usize, usize)> {
    s.grapheme_indices(true)
        .map(|(i, g)| (i, i + g.len()))
        .collect()
}

#[test]
fn fast_grapheme_clusters_agree_with_unicode_segmentation() {
    // Every character the fast path knows, before, after and between neighbours of each
    // class (and the characters it leaves to the library, which must take over).
    let neighbours = [
        'a', 'ب', ' ', '\t', '\u{064E}', '\u{0651}', '\u{200C}', '\u{200D}', '\u{200F}',
        '\u{2067}', '\u{FEFF}', '\u{FEFB}', '\u{0600}', '\u{00A9}', '\r', '가', '😀',
    ];
    let mut checked = 0;
    for &(lo, hi) in &GRAPHEME_RANGES {
        for c in (lo..hi).filter_map(char::from_u32) {
            for &n in &neighbours {
                for s in [
                    format!("{n}{c}"),
                    format!("{c}{n}"),
                    format!("{n}{c}{n}"),
                    format!("{c}{c}{n}{c}"),
                ] {
                    assert_eq!(fast_ranges(&s), library_ranges(&s), "{s:?}");
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 100_000);
    // The fast path does cover news text.
    assert_eq!(grapheme_class('ب'), Some(GraphemeClass::Base));
    assert_eq!(grapheme_class('«'), Some(GraphemeClass::Base));
    assert_eq!(grapheme_class('\u{064E}'), Some(GraphemeClass::Extend));
    assert_eq!(grapheme_class('\u{200C}'), Some(GraphemeClass::Extend));
    assert_eq!(grapheme_class('\u{200F}'), Some(GraphemeClass::Control));
    assert_eq!(grapheme_class('\u{0600}'), Some(GraphemeClass::Complex));
    assert_eq!(grapheme_class('가'), None);
    let seed = include_str!("../../assets/articles/000_c76da13a58358bbb.txt");
    for line in seed.lines() {
        assert_eq!(fast_ranges(line), library_ranges(line));
    }
}

fn rtl_opts() -> Options {
    Options {
        fallback: Direction::Rtl,
        ..Options::default()
    }
}

fn lines(text: &str, width: usize) -> Vec<String> {
    lay_out(text, width, rtl_opts())
        .iter()
        .map(VisualLine::visual_text)
        .collect()
}

fn one(text: &str) -> String {
    let l = lines(text, 0);
    assert_eq!(l.len(), 1, "{l:?}");
    l[0].clone()
}

#[test]
fn the_seed_sentence_unwrapped_and_at_width_30() {
    let s = "وقال ماكجورك إن داعش فقد 95% من الأراضي (Thu - 16 Nov 2017) منذ 2014.";
    // libfribidi's output, minus the U+FEFF filler it leaves after a lam-alef ligature.
    assert_eq!(
        one(s),
        ".2014 ﺬﻨﻣ (Thu - 16 Nov 2017) ﻲﺿﺍﺭﻷﺍ ﻦﻣ %95 ﺪﻘﻓ ﺶﻋﺍﺩ ﻥﺇ ﻙﺭﻮﺠﻛﺎﻣ ﻝﺎﻗﻭ"
    );
    let laid = lay_out(s, 30, rtl_opts());
    let texts: Vec<String> = laid.iter().map(VisualLine::visual_text).collect();
    assert_eq!(
        texts,
        vec![
            "%95 ﺪﻘﻓ ﺶﻋﺍﺩ ﻥﺇ ﻙﺭﻮﺠﻛﺎﻣ ﻝﺎﻗﻭ",
            "(Thu - 16 Nov 2017) ﻲﺿﺍﺭﻷﺍ ﻦﻣ",
            ".2014 ﺬﻨﻣ"
        ]
    );
    for l in &laid {
        assert!(l.rtl);
        assert_eq!(
            l.offset + l.width,
            30,
            "right-aligned: {:?}",
            l.padded_text()
        );
    }
}

#[test]
fn expected_visual_strings() {
    assert_eq!(one("7.5 مليون"), "ﻥﻮﻴﻠﻣ 7.5");
    assert_eq!(one("قال: «مرحبا»"), "«ﺎﺒﺣﺮﻣ» :ﻝﺎﻗ");
    assert_eq!(one("وقال Brett McGurk إن"), "ﻥﺇ Brett McGurk ﻝﺎﻗﻭ");
    assert_eq!(one("عـــربي"), "ﻲﺑﺮـــﻋ");
    assert_eq!(one("پاکستان کے لیے ہے"), "ﮯﮨ ﮯﯿﻟ ﮯﮐ ﻥﺎﺘﺴﮐﺎﭘ");
    let bbc = lay_out("BBC عربي", 0, rtl_opts());
    assert!(!bbc[0].rtl, "first strong letter is Latin");
    assert_eq!(bbc[0].visual_text(), "BBC ﻲﺑﺮﻋ");
}

#[test]
fn cells_of_shaped_words() {
    let l = &lay_out("السلام", 0, rtl_opts())[0];
    assert_eq!(l.visual_text(), "ﻡﻼﺴﻟﺍ");
    assert_eq!(l.cells.len(), 5);
    assert_eq!(l.width, 5);
    let la = &lay_out("لَا", 0, rtl_opts())[0];
    assert_eq!(la.cells.len(), 1);
    assert_eq!(la.cell_text(&la.cells[0]), "\u{FEFB}\u{064E}");
    assert_eq!(la.cells[0].src, 0.."لَا".len());
    let m = &lay_out("مُحَمَّدٌ", 0, rtl_opts())[0];
    assert_eq!(m.cells.len(), 4);
    let marks: usize = m
        .cells
        .iter()
        .map(|c| {
            m.cell_text(c)
                .chars()
                .filter(|&ch| cell_width(ch) == 0)
                .count()
        })
        .sum();
    assert_eq!(marks, 5);
    // Each mark sits on its own letter: the dal (last, leftmost) carries the tanween.
    assert_eq!(m.cell_text(&m.cells[0]), "\u{FEAA}\u{064C}");
    let zwnj = &lay_out("می‌خواهم", 0, rtl_opts())[0];
    assert_eq!(
        zwnj.width, 7,
        "the ZWNJ keeps the break and takes no column"
    );
    assert_eq!(zwnj.cells.len(), 7);
    assert!(
        zwnj.visual_text().contains('\u{200C}'),
        "kept in its cluster, for the terminal's shaping"
    );
}

#[test]
fn isolates_and_marks_take_part_in_reordering() {
    // FriBidi and ICU agree on both.
    assert_eq!(one("قال \u{2066}abc\u{2069}def"), "defabc ﻝﺎﻗ");
    assert_eq!(one("١٢\u{061C}٣٤"), "٣٤١٢");
    // An RLM between two numbers in LTR text makes them a right-to-left run (W7 leaves
    // the second a number after the R; N1 puts the mark between them at level 1).
    let ltr = Options::default();
    assert_eq!(lay_out("1\u{200F}2", 0, ltr)[0].visual_text(), "21");
    assert_eq!(lay_out("12", 0, ltr)[0].visual_text(), "12");
    // What they draw: nothing, no cell.
    let l = &lay_out("قال \u{2066}abc\u{2069}def", 0, rtl_opts())[0];
    assert_eq!(l.cells.len(), 10);
    assert_eq!(l.width, 10);
}

#[test]
fn a_space_with_a_mark_is_not_trailing_whitespace() {
    // In an LTR paragraph, the line ends after an Arabic letter and a space carrying a
    // mark, between two Arabic letters (level 1). L1 resets trailing whitespace to the
    // paragraph level; the marked space is not whitespace, so it stays at level 1 with
    // the letter and is drawn on its left.
    let ltr = Options::default();
    let marked = &lay_out("a ب \u{064E} ب", 5, ltr)[0];
    let texts: Vec<&str> = marked.cells.iter().map(|c| marked.cell_text(c)).collect();
    assert_eq!(texts, ["a", " ", " \u{064E}", "\u{FE8F}"]);
    assert_eq!(marked.cells[2].level, 1);
    // A bare space there is trailing: reset to level 0, and not drawn.
    let bare = &lay_out("a ب  ب", 5, ltr)[0];
    assert_eq!(bare.visual_text(), "a \u{FE8F}");
}

#[test]
fn invisible_format_characters_take_no_cell() {
    let ltr = Options::default();
    for c in [
        '\u{200B}', '\u{2060}', '\u{2061}', '\u{2062}', '\u{2063}', '\u{2064}', '\u{206A}',
        '\u{206F}', '\u{180E}', '\u{FEFF}', '\u{00AD}',
    ] {
        let s = format!("news{c}paper");
        let l = &lay_out(&s, 0, ltr)[0];
        assert_eq!(l.visual_text(), "newspaper", "U+{:04X}", u32::from(c));
        assert_eq!(l.width, 9);
    }
    assert_eq!(one("كلمة\u{200B}أخرى"), "ﻯﺮﺧﺃﺔﻤﻠﻛ");
    // ZWSP is a break opportunity; the line breaks there and draws nothing for it.
    let lines: Vec<String> = lay_out("news\u{200B}paper", 6, ltr)
        .iter()
        .map(VisualLine::visual_text)
        .collect();
    assert_eq!(lines, ["news", "paper"]);
}

#[test]
fn a_soft_hyphen_shows_only_where_the_line_breaks() {
    let ltr = Options::default();
    let at = |w: usize| -> Vec<String> {
        lay_out("a news\u{00AD}paper", w, ltr)
            .iter()
            .map(VisualLine::visual_text)
            .collect()
    };
    assert_eq!(at(0), ["a newspaper"]);
    assert_eq!(at(7), ["a news-", "paper"]);
    // No room for the hyphen: the line breaks before the word.
    assert_eq!(at(6), ["a", "news-", "paper"]);
    let laid = lay_out("a news\u{00AD}paper", 7, ltr);
    assert_eq!(laid[0].width, 7);
    let hyphen = laid[0].cells.last().unwrap();
    assert_eq!((hyphen.width, laid[0].cell_text(hyphen)), (1, "-"));
    // Arabic: the hyphen ends the word, on its left.
    let ar: Vec<String> = lay_out("قال كلمة\u{00AD}أخرى", 9, rtl_opts())
        .iter()
        .map(VisualLine::visual_text)
        .collect();
    assert_eq!(ar, ["-ﺔﻤﻠﻛ ﻝﺎﻗ", "ﻯﺮﺧﺃ"]);
}

#[test]
fn emoji_sequences_are_one_wide_cell() {
    let family = "👨\u{200D}👩\u{200D}👧\u{200D}👦";
    assert_eq!(cluster_width(family), 2);
    assert_eq!(str_width(family), 2);
    let l = &lay_out(&format!("{family} ok"), 0, Options::default())[0];
    assert_eq!(l.cells.len(), 4);
    assert_eq!(l.cell_text(&l.cells[0]), family, "the ZWJs are kept");
    assert_eq!(l.cells[0].width, 2);
    assert_eq!(l.width, 5);
    assert_eq!(str_width(&l.padded_text()), 5);
    // Without the joiners, four emoji: eight columns.
    assert_eq!(str_width("👨👩👧👦"), 8);
}

#[test]
fn levels_of_the_whole_paragraph_not_of_each_line() {
    // The second line starts with Latin; it must stay in the RTL paragraph.
    let laid = lay_out("منذ Thu - 16 Nov 2017) منذ 2014.", 12, rtl_opts());
    assert!(laid.iter().all(|l| l.rtl));
    for l in &laid {
        assert!(l.width <= 12);
    }
}

#[test]
fn bidi_controls_never_reach_the_output() {
    let s = "\u{202B}نص\u{202C} \u{2067}BBC\u{2069} \u{200F}x\u{061C}\u{FEFF}";
    for l in lay_out(s, 0, rtl_opts()) {
        assert!(
            !l.visual_text().chars().any(is_bidi_control),
            "{:?}",
            l.visual_text()
        );
    }
}

#[test]
fn deep_isolate_nesting_does_not_panic() {
    let s = format!("{}1", "\u{2067}".repeat(125));
    let _ = lay_out(&s, 10, rtl_opts());
    let s = format!("{}1{}", "\u{202B}".repeat(200), "\u{202C}".repeat(3));
    let _ = lay_out(&s, 10, rtl_opts());
}

#[test]
fn odd_input_does_not_panic() {
    for s in [
        "\u{064E}عربي",
        "\u{200D}",
        "",
        "\n\n",
        "a\tb",
        "\u{064E}",
        "😀 عربي 中文",
    ] {
        for w in [0, 1, 2, 5] {
            for l in lay_out(s, w, rtl_opts()) {
                if w > 0 {
                    assert!(l.width <= w.max(2));
                }
            }
        }
    }
    let lead = &lay_out("\u{064E}ب", 0, rtl_opts())[0];
    assert_eq!(lead.width, 2);
}

#[test]
fn modes() {
    let s = "قال: «مرحبا» BBC";
    let terminal = Options {
        mode: BidiMode::Terminal,
        ..rtl_opts()
    };
    let l = &lay_out(s, 40, terminal)[0];
    assert_eq!(l.visual_text(), s, "logical and unshaped");
    assert!(l.rtl);
    assert_eq!(l.offset, 40 - l.width);
    let off = Options {
        mode: BidiMode::Off,
        ..rtl_opts()
    };
    let l = &lay_out("لا", 0, off)[0];
    assert_eq!(
        l.visual_text(),
        "\u{FEFB}",
        "off keeps logical order but shapes"
    );
    let no_shape = Options {
        shape: false,
        ..rtl_opts()
    };
    assert_eq!(lay_out("سلام", 0, no_shape)[0].visual_text(), "مالس");
}

#[test]
fn terminal_mode_keeps_isolates_and_marks_for_the_terminal_that_takes_them() {
    let s = "قال \u{2066}abc\u{2069}def \u{200F}x";
    let terminal = Options {
        mode: BidiMode::Terminal,
        ..rtl_opts()
    };
    let l = &lay_out(s, 40, terminal)[0];
    // In logical order, each control at the end of the cell before it; none takes a column.
    assert_eq!(l.visual_text(), s);
    assert_eq!(l.width, crate::text::str_width(s));
    assert_eq!(l.cells.len(), 12);
    assert_eq!(l.cell_text(&l.cells[4]), "a");
    assert_eq!(l.cell_text(&l.cells[3]), " \u{2066}");
    assert_eq!(l.cell_text(&l.cells[6]), "c\u{2069}");
    assert_eq!(l.leading_controls(), 0);
    // Leading controls start the first cell, and can be taken out of it.
    let mut l = lay_out("\u{2066}2017-06-18\u{2069}", 0, terminal).remove(0);
    assert_eq!(l.leading_controls(), 3);
    assert_eq!(l.take_leading_controls(), "\u{2066}");
    assert_eq!(l.visual_text(), "2017-06-18\u{2069}");
    // A terminal that does not take them (mlterm) gets none, as the app mode.
    let bare = Options {
        controls: false,
        ..terminal
    };
    let l = &lay_out(s, 40, bare)[0];
    assert_eq!(l.visual_text(), "قال abcdef x");
    assert_eq!(l.cells.len(), 12);
    let l = &lay_out(s, 40, rtl_opts())[0];
    assert!(!l.visual_text().contains(crate::text::is_bidi_control));
}

#[test]
fn empty_and_neutral_paragraphs() {
    assert!(lay_out("", 10, rtl_opts()).is_empty());
    let l = lay_out("123 - 456", 20, rtl_opts());
    assert!(l[0].rtl, "no strong letter: the article's direction");
    let ltr = Options::default();
    assert!(!lay_out("123 - 456", 20, ltr)[0].rtl);
}

#[test]
fn hard_breaks_and_byte_ranges() {
    let s = "first line\nسطر ثان";
    let laid = lay_out(s, 40, rtl_opts());
    assert_eq!(laid.len(), 2);
    assert!(!laid[0].rtl);
    assert!(laid[1].rtl);
    assert_eq!(laid[1].src, 11..s.len());
    for l in &laid {
        for c in &l.cells {
            assert!(s.get(c.src.clone()).is_some());
        }
    }
}

#[test]
fn long_words_break_between_clusters() {
    let laid = lay_out("abcdefghij", 4, Options::default());
    let t: Vec<_> = laid.iter().map(VisualLine::visual_text).collect();
    assert_eq!(t, vec!["abcd", "efgh", "ij"]);
}

#[test]
fn visual_order_reverses_by_level() {
    assert_eq!(visual_order(&[0, 0, 1, 1, 0]), vec![0, 1, 3, 2, 4]);
    assert_eq!(visual_order(&[1, 2, 2, 1]), vec![3, 1, 2, 0]);
    assert_eq!(mirror('('), Some(')'));
    assert_eq!(mirror('«'), Some('»'));
    assert_eq!(mirror('a'), None);
}
