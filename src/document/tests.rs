//! The document's tests: dates, paragraph directions, markers.

use super::*;
use crate::article::{Format, parse};
use crate::text::str_width;

#[test]
fn machine_timestamps_read_as_date_and_time() {
    let d = |s: &str| ArticleDate {
        value: crate::article::parse_date(s),
        original: s.to_owned(),
    };
    assert_eq!(
        shown_date(&d("2017-06-18T13:50:00+01:00")),
        "\u{2066}2017-06-18 13:50 +01:00\u{2069}"
    );
    // In an Arabic article: right-aligned, read in its own order.
    let md = "---\ntitle: عنوان\ndate: 2017-06-18T13:50:00+01:00\n---\n\nنص.\n";
    let a = &parse(md.as_bytes(), Format::Markdown, "x.md")
        .unwrap()
        .articles[0];
    let text = render_plain(a, 30, Options::default());
    assert_eq!(text.lines().nth(1), Some("       2017-06-18 13:50 +01:00"));
    assert_eq!(shown_date(&d("Thu - 16 Nov 2017")), "Thu - 16 Nov 2017");
    assert_eq!(
        shown_date(&d("الخميس - 16 نوفمبر 2017")),
        "الخميس - 16 نوفمبر 2017"
    );
}

/// The direction of each body paragraph of a `.txt` article (of its first line, laid out
/// at 40 columns).
fn directions(txt: &str, opts: Options) -> Vec<bool> {
    let a = &parse(txt.as_bytes(), Format::Txt, "x.txt")
        .unwrap()
        .articles[0];
    let prepared = PreparedArticle::new(a, opts);
    let mut seen = Vec::new();
    let mut out = Vec::new();
    for l in prepared.lay_out(40) {
        if l.kind == LineKind::Paragraph && !seen.contains(&l.origin) {
            seen.push(l.origin);
            out.push(l.line.rtl);
        }
    }
    out
}

#[test]
fn paragraphs_follow_the_article_unless_mostly_of_the_other_direction() {
    let arabic = "عنوان المقال\n\nBBC عربي: قال المتحدث باسم الوزارة إن الاجتماع انتهى.\n\n\
                  Reuters reported that the talks would go on «غدا».\n\n\
                  \u{200E}قال BBC\n\nوقال Brett McGurk إن\n\n\
                  قال المتحدث إن الاجتماع انتهى.\n";
    // The first starts with a Latin name but is mostly Arabic: right to left, like the
    // article; the second is mostly English; the third starts with an LRM; the fourth has
    // as many words of each (and more Latin letters): the article's.
    assert_eq!(
        directions(arabic, Options::default()),
        [true, false, false, true, true]
    );
    let english = "The title\n\nThe spokesman said «شكرا» to the press.\n\n\
                   قال المتحدث باسم الوزارة for BBC\n\n\u{200F}BBC News\n\nPlain English.\n";
    assert_eq!(
        directions(english, Options::default()),
        [false, true, true, false]
    );
    // `--dir` wins over everything.
    let ltr = Options {
        base: crate::layout::BaseDir::Ltr,
        ..Options::default()
    };
    assert_eq!(directions(arabic, ltr), [false; 5]);
    // The rendered first paragraph stands on the right, its full stop at its end (left).
    let a = &parse(arabic.as_bytes(), Format::Txt, "x.txt")
        .unwrap()
        .articles[0];
    let text = render_plain(a, 60, Options::default());
    let line = text.lines().find(|l| l.contains("BBC")).unwrap();
    assert!(
        line.starts_with(' ') && line.trim_start().starts_with('.'),
        "{line:?}"
    );
    assert!(line.ends_with("BBC"), "{line:?}");
}

#[test]
fn markers_sit_on_the_starting_side() {
    let md = "---\ntitle: T\n---\n\n- بند أول\n- first item\n\n> «قول»\n";
    let a = &parse(md.as_bytes(), Format::Markdown, "x.md")
        .unwrap()
        .articles[0];
    let text = render_plain(a, 20, Options::default());
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "T");
    assert_eq!(lines[2], "           ﻝﻭﺃ ﺪﻨﺑ •");
    assert_eq!(lines[4], "• first item");
    assert_eq!(lines[6], "             «ﻝﻮﻗ» ┃");
    for l in &lines {
        assert!(str_width(l) <= 20, "{l:?}");
    }
}

#[test]
fn terminal_mode_sends_a_date_lines_isolate_after_a_space_and_mlterm_gets_none() {
    let md = "---\ntitle: عنوان\ndate: 2017-06-18T13:50:00+01:00\n---\n\n> «قول» نص\n";
    let a = &parse(md.as_bytes(), Format::Markdown, "x.md")
        .unwrap()
        .articles[0];
    let terminal = Options {
        mode: BidiMode::Terminal,
        ..Options::default()
    };
    let text = render_plain(a, 30, terminal);
    let lines: Vec<&str> = text.lines().collect();
    // The isolate at a row's first column would be dropped (VTE): one space before it.
    assert_eq!(lines[1], " \u{2066}2017-06-18 13:50 +01:00\u{2069}");
    // The quote: unpadded, its bar (not a box-drawing one) first.
    assert_eq!(lines[3], "\u{2759} «قول» نص");
    let mlterm = Options {
        controls: false,
        ..terminal
    };
    let text = render_plain(a, 30, mlterm);
    assert_eq!(text.lines().nth(1), Some("2017-06-18 13:50 +01:00"));
    assert!(!text.contains(crate::text::is_bidi_control), "{text:?}");
}

#[test]
fn ordered_items_keep_their_numbers_and_nested_items_their_indent() {
    let md = "---\ntitle: T\n---\n\n9. nine\n10. ten, which is long enough to wrap\n    - inner\n\nبين\n\n1. أول\n";
    let a = &parse(md.as_bytes(), Format::Markdown, "x.md")
        .unwrap()
        .articles[0];
    let text = render_plain(a, 24, Options::default());
    let lines: Vec<&str> = text.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(
        lines,
        [
            "T",
            "9. nine",
            "10. ten, which is long",
            "    enough to wrap",
            "  • inner",
            "                     ﻦﻴﺑ",
            "                  ﻝﻭﺃ .1",
        ]
    );
}

#[test]
fn a_table_is_a_grid_where_it_fits_and_labelled_rows_where_it_does_not() {
    let md = "# T\n\n| City | Population |\n|---|---|\n| بغداد | 7,000,000 |\n| Basra | 2.5 m |\n";
    let a = &parse(md.as_bytes(), Format::Markdown, "x.md")
        .unwrap()
        .articles[0];
    let text = render_plain(a, 40, Options::default());
    let lines: Vec<&str> = text.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(
        lines,
        [
            "T",
            "City  │ Population",
            "──────┼───────────",
            "ﺩﺍﺪﻐﺑ │ 7,000,000",
            "Basra │ 2.5 m",
        ]
    );
    let text = render_plain(a, 16, Options::default());
    let lines: Vec<&str> = text.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(
        lines,
        [
            "T",
            "City: ﺩﺍﺪﻐﺑ",
            "Population:",
            "7,000,000",
            "City: Basra",
            "Population: 2.5",
            "m",
        ]
    );
}
