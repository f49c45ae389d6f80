//! The loader and library against the seed, the bundled samples and one fixture per format and
//! per kind of bad input.

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use qari::article::{self, BlockKind, Direction, Format, Lang};
use qari::library::Library;

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

fn load_one(rel: &str) -> article::Loaded {
    let path = fixture(rel);
    let bytes = std::fs::read(&path).unwrap();
    article::parse(&bytes, Format::from_path(&path).unwrap(), rel).unwrap()
}

#[test]
fn the_seed_article() {
    let bytes = include_bytes!("../assets/articles/000_c76da13a58358bbb.txt");
    let loaded = article::parse(bytes, Format::Txt, "000_c76da13a58358bbb.txt").unwrap();
    assert!(loaded.warnings.is_empty());
    let a = &loaded.articles[0];
    assert_eq!(
        a.title,
        "التحالف الدولي: داعش لم يسترد مترا واحدا من الأراضي المحررة"
    );
    assert_eq!(a.dates.len(), 2);
    assert_eq!(a.dates[0].original, "الخميس - 16 نوفمبر 2017");
    assert_eq!(a.dates[1].original, "Thu - 16 Nov 2017");
    for d in &a.dates {
        assert_eq!(d.value.unwrap().day().to_string(), "2017-11-16");
    }
    assert_eq!(a.blocks.len(), 12);
    let paragraphs = a
        .blocks
        .iter()
        .filter(|b| b.kind == BlockKind::Paragraph)
        .count();
    assert_eq!(paragraphs, 11);
    let quote = a.blocks.last().unwrap();
    assert_eq!(quote.kind, BlockKind::Quote);
    assert!(quote.text.starts_with("«حررنا أكثر من 7.5 مليون شخص"));
    assert_eq!(a.byline.as_deref(), Some("بريت ماكغورك"));
    assert_eq!(a.lang, Lang::Ar);
    assert_eq!(a.direction, Direction::Rtl);
}

#[test]
fn every_bundled_article_loads() {
    let lib = Library::embedded();
    assert_eq!(lib.len(), 185);
    let manifest = include_str!("../assets/articles/manifest.tsv");
    // The only warnings are for the articles without a date (the encyclopedia texts).
    let undated: Vec<String> = manifest
        .lines()
        .skip(1)
        .filter(|row| row.split('\t').nth(11) == Some("no"))
        .map(|row| format!("(embedded)/{}", row.split('\t').next().unwrap()))
        .collect();
    let warned: Vec<String> = lib.problems().iter().map(|p| p.path.clone()).collect();
    assert_eq!(warned, undated);
    for p in lib.problems() {
        assert!(p.message == "it has no date" && !p.unusable, "{p}");
    }
    let mut english = 0;
    for row in manifest.lines().skip(1) {
        let cols: Vec<&str> = row.split('\t').collect();
        let (file, lang, has_date) = (cols[0], cols[1], cols[11]);
        let i = lib
            .position(file)
            .unwrap_or_else(|| panic!("{file} is in the library"));
        let a = lib.article(i).unwrap();
        assert!(!a.title.trim().is_empty(), "{file} has a title");
        assert!(
            a.blocks
                .iter()
                .any(|b| b.kind == BlockKind::Paragraph || b.kind == BlockKind::ListItem),
            "{file} has at least one paragraph"
        );
        if has_date == "yes" {
            assert!(
                a.date().is_some(),
                "{file} has a date line, parsed: {:?}",
                a.dates
            );
        } else {
            assert!(a.dates.is_empty(), "{file} has no date line: {:?}", a.dates);
        }
        let expected = if lang == "en" { Lang::En } else { Lang::Ar };
        assert_eq!(a.lang, expected, "{file}");
        if lang == "en" {
            english += 1;
        }
    }
    assert_eq!(english, 14);
}

#[test]
fn markdown_with_yaml_front_matter() {
    let loaded = load_one("formats/report.md");
    let a = &loaded.articles[0];
    assert_eq!(a.title, "قمة في عمّان: «التحالف» يراجع الحملة");
    assert_eq!(a.date().unwrap().to_iso(), "2017-11-16T09:30:00+02:00");
    assert_eq!(a.byline.as_deref(), Some("Jane Doe"));
    assert_eq!(a.source.as_deref(), Some("Example Wire"));
    assert_eq!(a.tags, vec!["iraq", "syria"]);
    let kinds: Vec<_> = a.blocks.iter().map(|b| b.kind).collect();
    assert_eq!(
        kinds,
        vec![
            BlockKind::Heading(1),
            BlockKind::Paragraph,
            BlockKind::Quote,
            BlockKind::Heading(2),
            BlockKind::ListItem,
            BlockKind::ListItem
        ]
    );
    assert_eq!(
        a.blocks[1].text,
        "عقد كبار الممثلين الدبلوماسيين اجتماعا في الأردن أمس."
    );
}

#[test]
fn markdown_with_toml_front_matter() {
    let a = &load_one("formats/notes.markdown").articles[0];
    assert_eq!(a.title, "TOML front matter");
    assert_eq!(a.date().unwrap().to_iso(), "2018-04-27T00:39:34+00:00");
    assert_eq!(
        a.blocks[0].text,
        "Plain English body with code and a hard\nbreak."
    );
    assert_eq!(a.lang, Lang::En);
}

#[test]
fn saved_html_page() {
    let a = &load_one("formats/page.html").articles[0];
    assert_eq!(a.title, "داعش لم يسترد مترا واحدا");
    assert_eq!(a.date().unwrap().day().to_string(), "2017-11-16");
    assert_eq!(a.byline.as_deref(), Some("بريت ماكغورك"));
    assert_eq!(a.source.as_deref(), Some("Example News"));
    let texts: Vec<_> = a.blocks.iter().map(|b| (b.kind, b.text.as_str())).collect();
    assert_eq!(
        texts,
        vec![
            (
                BlockKind::Paragraph,
                "قال المبعوث إن داعش فقد 95% من الأراضي & المدن."
            ),
            (BlockKind::Quote, "«حررنا أكثر من 7.5 مليون شخص»"),
            (
                BlockKind::Paragraph,
                "Brett McGurk spoke in Amman\u{a0}on Thursday."
            ),
        ]
    );
}

#[test]
fn json_array_object_and_lines() {
    let feed = load_one("formats/feed.json");
    assert_eq!(feed.articles.len(), 2);
    assert_eq!(feed.articles[0].id, "formats/feed.json#1");
    assert_eq!(feed.articles[0].title, "Flights resume in Damascus");
    assert_eq!(feed.articles[0].blocks.len(), 2);
    assert_eq!(
        feed.articles[0].date().unwrap().to_iso(),
        "2025-01-07T11:33:25+13:00"
    );
    assert_eq!(feed.articles[1].lang, Lang::Ar);
    assert_eq!(feed.articles[1].direction, Direction::Rtl);
    assert_eq!(
        feed.articles[1].date().unwrap().day().to_string(),
        "2025-01-07"
    );
    let single = load_one("formats/single.json");
    assert_eq!(single.articles[0].id, "formats/single.json");
    let stream = load_one("formats/stream.jsonl");
    assert_eq!(stream.articles.len(), 2);
    assert_eq!(stream.articles[1].id, "formats/stream.jsonl#2");
}

#[test]
fn bad_files_are_named_and_the_rest_still_loads() {
    let lib = Library::open(&[fixture("bad"), fixture("formats")]);
    let problem = |name: &str| {
        lib.problems()
            .iter()
            .find(|p| p.path.ends_with(name))
            .unwrap_or_else(|| panic!("a problem for {name}: {:?}", lib.problems()))
            .clone()
    };
    let binary = problem("binary.txt");
    assert!(binary.unusable && binary.message.contains("binary"));
    let empty = problem("empty.txt");
    assert!(empty.unusable && empty.message.contains("empty"));
    let json = problem("malformed.json");
    assert!(json.unusable && json.message.contains("not valid JSON"));
    let utf8 = problem("invalid_utf8.txt");
    assert!(!utf8.unusable && utf8.message.contains("UTF-8"));
    let front = problem("bad_front.md");
    assert!(!front.unusable && front.message.contains("front matter"));
    let partial = problem("partial.jsonl");
    assert!(!partial.unusable && partial.message.contains("line 2"));
    assert!(
        lib.problems()
            .iter()
            .all(|p| !p.path.ends_with("unknown.pdf")),
        "unknown extensions are skipped silently when walking"
    );
    assert_eq!(
        lib.len(),
        5 + 8,
        "5 bad files still load, and the 8 articles of the format fixtures"
    );
    assert!(lib.position("bad_front.md").is_some());
}

#[test]
fn escape_sequences_never_survive_loading() {
    let a = &load_one("bad/escapes.txt").articles[0];
    let all = std::iter::once(a.title.as_str()).chain(a.blocks.iter().map(|b| b.text.as_str()));
    for text in all {
        assert!(
            !text
                .chars()
                .any(|c| c.is_control() && c != '\n' && c != '\t'),
            "{text:?}"
        );
    }
    assert_eq!(a.title, "Escape \u{241B}[2J title");
    assert!(a.blocks[0].text.contains("\u{241B}]52;c;ZXZpbA==\u{2407}"));
}

#[test]
fn unbalanced_bidi_controls_are_kept_for_the_layout() {
    let a = &load_one("bad/bidi.txt").articles[0];
    assert!(a.title.starts_with('\u{202E}'));
    assert!(a.blocks[0].text.contains('\u{2066}'));
}

#[test]
fn huge_file_is_catalogued_lazily_and_opens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.txt");
    let para = "هذه فقرة طويلة جدا من نص عربي مع some English words. ".repeat(40);
    let mut text = String::from("عنوان ضخم\n\n16/11/2017\n\n");
    // The head the catalog reads (256 KiB) ends inside a short paragraph that would pass for
    // a byline at the end of a text.
    while text.len() + para.len() + 2 < 256 * 1024 - 200 {
        text.push_str(&para);
        text.push_str("\n\n");
    }
    while text.len() < 256 * 1024 - 6 {
        text.push('x');
    }
    text.push_str("\n\nJane Doe\n\n");
    while text.len() < 20 * 1024 * 1024 {
        text.push_str(&para);
        text.push_str("\n\n");
    }
    std::fs::write(&path, &text).unwrap();
    let lib = Library::open(&[path]);
    assert_eq!(lib.len(), 1);
    assert!(
        lib.loaded(0).is_none(),
        "the body is not held in memory by the catalog"
    );
    assert_eq!(lib.entry(0).title, "عنوان ضخم");
    assert_eq!(lib.entry(0).words, text.split_whitespace().count());
    // Its head ends in a cut paragraph, which is no byline.
    assert_eq!(lib.entry(0).byline, None);
    let a = lib.article(0).unwrap();
    assert!(
        lib.loaded(0).is_none(),
        "a huge body is not kept after it was opened"
    );
    assert!(a.body_bytes() > 19 * 1024 * 1024);
    assert!(
        a.blocks
            .iter()
            .all(|b| b.text.len() <= article::MAX_BLOCK_BYTES)
    );
}

/// What the catalog read of an article must be what the parser reads when it is opened.
fn assert_entry_matches_article(lib: &Library, i: usize) {
    let e = lib.entry(i).clone();
    let a = lib.article(i).unwrap();
    assert_eq!(e.id, a.id);
    assert_eq!(e.title, a.title, "{}", e.id);
    let dates: Vec<_> = a.dates.iter().filter_map(|d| d.value).collect();
    assert_eq!(e.dates, dates, "{}", e.id);
    assert_eq!(e.lang, a.lang, "{}", e.id);
    assert_eq!(e.direction, a.direction, "{}", e.id);
    assert_eq!(e.source, a.source, "{}", e.id);
    assert_eq!(e.encoding, a.encoding, "{}", e.id);
}

#[test]
fn catalog_heads_agree_with_parsed_articles() {
    let lib = Library::embedded();
    for i in 0..lib.len() {
        assert_entry_matches_article(&lib, i);
    }
    let lib = Library::open(&[
        fixture("formats"),
        fixture("bad"),
        fixture("encodings"),
        fixture("pages"),
        fixture("dates"),
    ]);
    assert!(lib.len() > 8 + 6 + 3 + 2);
    for i in 0..lib.len() {
        assert_entry_matches_article(&lib, i);
    }
}

#[test]
fn catalog_parses_bodies_only_when_asked_and_keeps_them() {
    let dir = tempfile::tempdir().unwrap();
    for n in 0..3 {
        std::fs::write(
            dir.path().join(format!("{n}.txt")),
            format!("عنوان {n}\n\n16/11/2017\n\nفقرة أولى فيها خمس كلمات.\n\nAnd a second one.\n"),
        )
        .unwrap();
    }
    let lib = Library::open(&[dir.path().to_path_buf()]);
    assert_eq!(lib.len(), 3);
    assert!((0..3).all(|i| lib.loaded(i).is_none()));
    assert_eq!(lib.entry(0).words, 9);
    let a = lib.article(0).unwrap();
    assert_eq!(a.blocks.len(), 2);
    assert!(std::sync::Arc::ptr_eq(&a, &lib.loaded(0).unwrap()));
    assert_eq!(a.word_count(), lib.entry(0).words);
    // A file gone since the catalog was made: one sentence naming it.
    std::fs::remove_file(dir.path().join("1.txt")).unwrap();
    let err = lib.article(1).unwrap_err();
    assert!(err.path.ends_with("1.txt"), "{err}");
    assert_eq!(err.message, "no such file or folder");
    // A pass over every article reads each file once, the gone one as none, keeping nothing.
    let titles = lib.map_articles(|_, a| a.map(|a| a.title.clone()));
    assert_eq!(
        titles,
        vec![Some("عنوان 0".to_owned()), None, Some("عنوان 2".to_owned())]
    );
    assert!(lib.loaded(2).is_none() && lib.loaded(1).is_none());
}

#[test]
fn parsed_bodies_are_kept_within_their_cap_and_records_of_one_file_parse_once() {
    use std::fmt::Write as _;
    let dir = tempfile::tempdir().unwrap();
    // 300 articles of about 150 KiB: 45 MB parsed in all, over the cap.
    let para = "فقرة من نص عربي طويل، with some English. ".repeat(3000);
    for n in 0..300 {
        std::fs::write(
            dir.path().join(format!("{n:03}.txt")),
            format!("عنوان {n}\n\n{para}\n"),
        )
        .unwrap();
    }
    let mut records = String::new();
    for n in 0..50 {
        let _ = writeln!(
            records,
            "{{\"id\":\"r{n}\",\"title\":\"سجل {n}\",\"body\":\"نص {n}\"}}"
        );
    }
    std::fs::write(dir.path().join("records.jsonl"), records).unwrap();
    let lib = Library::open(&[dir.path().to_path_buf()]);
    assert_eq!(lib.len(), 350);
    let one = lib.position("000.txt").unwrap();
    let first = lib.article(one).unwrap();
    for i in 0..lib.len() {
        let a = lib.article(i).unwrap();
        assert_eq!(a.id, lib.entry(i).id);
        let (_, bytes) = lib.kept_bodies();
        assert!(bytes <= qari::library::BODY_CACHE_BYTES, "{bytes} kept");
    }
    let (n, bytes) = lib.kept_bodies();
    assert!(
        n < 350 && bytes > qari::library::BODY_CACHE_BYTES / 2,
        "{n} {bytes}"
    );
    // The first one opened went long ago; opened again, it is parsed again, the same.
    assert!(lib.loaded(one).is_none());
    assert_eq!(*lib.article(one).unwrap(), *first);
    // Opening one record keeps all of its file's (parsed anyway): the others open without
    // reading the file, even once it is gone.
    let record = |n: usize| {
        let title = format!("سجل {n}");
        lib.entries().position(|e| e.title == title).unwrap()
    };
    let (r0, r9) = (record(0), record(9));
    for i in 0..300 {
        let _ = lib.article(i);
    }
    assert!(lib.loaded(r9).is_none());
    lib.article(r0).unwrap();
    std::fs::remove_file(dir.path().join("records.jsonl")).unwrap();
    assert_eq!(lib.article(r9).unwrap().title, "سجل 9");
}

fn txt_line() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("   ".to_owned()),
        Just("الخميس - 16 نوفمبر 2017".to_owned()),
        Just("Thu - 16 Nov 2017".to_owned()),
        Just("2025-01-07 11:33:25 +1300".to_owned()),
        Just("## Armed conflicts".to_owned()),
        Just("- A list item. [AP](https://apnews.com/x)".to_owned()),
        Just("«حررنا أكثر من 7.5 مليون شخص».".to_owned()),
        Just("بريت ماكغورك".to_owned()),
        Just("Jane Doe".to_owned()),
        Just("\u{202E}abc\u{1b}[2J".to_owned()),
        proptest::collection::vec(
            proptest::sample::select(vec![
                "وقال",
                "ماكجورك",
                "إن",
                "داعش",
                "BBC",
                "McGurk",
                "2014",
                "95%",
                "(",
                ")",
                "\t",
            ]),
            1..12
        )
        .prop_map(|w| w.join(" ")),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// For any text in the `.txt` layout, the catalog's head agrees with the full parse.
    #[test]
    fn txt_head_scan_agrees_with_parse(lines in proptest::collection::vec(txt_line(), 1..14)) {
        let text = lines.join("\n");
        let scan = article::scan(text.as_bytes(), Format::Txt, "x.txt");
        let parsed = article::parse(text.as_bytes(), Format::Txt, "x.txt");
        match (scan, parsed) {
            (Ok(scan), Ok(parsed)) => {
                prop_assert_eq!(scan.heads.len(), 1);
                prop_assert!(scan.articles.is_none());
                let mut from_parse = article::Head::of(&parsed.articles[0]);
                from_parse.words = scan.heads[0].words;
                prop_assert_eq!(&scan.heads[0], &from_parse);
            }
            (Err(a), Err(b)) => prop_assert_eq!(a, b),
            (a, b) => prop_assert!(false, "scan {:?} but parse {:?}", a.map(|s| s.heads), b.map(|l| l.articles)),
        }
    }
}

#[test]
fn legacy_and_utf16_arabic_files_decode() {
    let first = "إيران : إحباط هجوم إرهابي وحجز قنابل ومتفجرات";
    let second = "رضا بالحاج : خوض الانتخابات بقائمات مشتركة مع النهضة \"غير مطروح\"";
    for (rel, title, name, found) in [
        (
            "encodings/cp1256.txt",
            first,
            "windows-1256",
            article::EncodingFound::Detected,
        ),
        (
            "encodings/iso8859-6.txt",
            second,
            "ISO-8859-6",
            article::EncodingFound::Detected,
        ),
        (
            "encodings/cp1256.html",
            second,
            "windows-1256",
            article::EncodingFound::Declared,
        ),
        (
            "encodings/iso8859-6.html",
            second,
            "ISO-8859-6",
            article::EncodingFound::Declared,
        ),
        (
            "encodings/utf16le.txt",
            first,
            "UTF-16LE",
            article::EncodingFound::Bom,
        ),
        (
            "encodings/utf16be.txt",
            second,
            "UTF-16BE",
            article::EncodingFound::Bom,
        ),
    ] {
        let loaded = load_one(rel);
        assert!(loaded.warnings.is_empty(), "{rel}: {:?}", loaded.warnings);
        let a = &loaded.articles[0];
        assert_eq!(a.title, title, "{rel}");
        assert_eq!((a.encoding.name, a.encoding.found), (name, found), "{rel}");
        assert_eq!(loaded.encoding, a.encoding);
        assert_eq!(a.lang, Lang::Ar, "{rel}");
        assert!(a.date().is_some(), "{rel}: {:?}", a.dates);
        assert!(
            a.blocks.iter().all(|b| !b.text.contains('\u{FFFD}')),
            "{rel}: {:?}",
            a.blocks
        );
        assert!(a.blocks.len() >= 2, "{rel}: {:?}", a.blocks);
    }
    let lib = Library::open(&[fixture("encodings")]);
    assert_eq!(lib.len(), 6);
    assert!(lib.problems().is_empty(), "{:?}", lib.problems());
    for i in 0..lib.len() {
        assert_entry_matches_article(&lib, i);
        assert!(lib.entry(i).encoding.is_notable());
    }
}

#[test]
fn date_lines_of_arabic_sites() {
    let loaded = load_one("dates/hijri.txt");
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let a = &loaded.articles[0];
    assert_eq!(a.dates.len(), 1, "{:?}", a.dates);
    assert_eq!(a.date().unwrap().day().to_string(), "2017-04-05");
    // A line that is only a time is not a date line: it stays in the body.
    assert_eq!(a.blocks[0].text, "نشر في: ٠٨:٥٥ ص");
    let loaded = load_one("dates/unreadable.txt");
    assert_eq!(loaded.articles[0].dates, vec![]);
    assert_eq!(loaded.warnings, ["it has no date"]);
}

/// A saved page against what a reader view must give of it (`tests/data/pages/*.expected.json`):
/// the title without the site name, the date, the byline, the source, the address, and the
/// body's paragraphs in order, with nothing of the page around them.
fn assert_page(name: &str, junk: &[&str]) -> article::Article {
    let expected: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join(format!("tests/data/pages/{name}.expected.json")),
        )
        .unwrap(),
    )
    .unwrap();
    let loaded = load_one(&format!("pages/{name}.html"));
    assert!(loaded.warnings.is_empty(), "{name}: {:?}", loaded.warnings);
    let a = loaded.articles.into_iter().next().unwrap();
    assert_eq!(a.title, expected["title"].as_str().unwrap(), "{name}");
    assert_eq!(
        a.date(),
        article::parse_date(expected["date"].as_str().unwrap()),
        "{name}: {:?}",
        a.dates
    );
    for (field, got) in [
        ("byline", &a.byline),
        ("source", &a.source),
        ("url", &a.url),
    ] {
        assert_eq!(got.as_deref(), expected[field].as_str(), "{name}: {field}");
    }
    let paragraphs: Vec<&str> = a
        .blocks
        .iter()
        .filter(|b| b.kind != BlockKind::Figure)
        .map(|b| b.text.as_str())
        .collect();
    let want: Vec<&str> = expected["paragraphs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert_eq!(paragraphs, want, "{name}");
    for text in a.blocks.iter().map(|b| b.text.as_str()) {
        for j in junk {
            assert!(!text.contains(j), "{name}: {j:?} in {text:?}");
        }
    }
    a
}

#[test]
fn saved_pages_read_like_a_reader_view() {
    let a = assert_page(
        "sport-ar",
        &[
            "ملفات تعريف الارتباط",
            "الرئيسية",
            "فيسبوك",
            "مقالات ذات صلة",
            "تعليقات (2)",
            "مقال ممتاز",
            "الأكثر قراءة",
            "جميع الحقوق",
            "بقلم",
        ],
    );
    assert_eq!(a.direction, Direction::Rtl);
    assert_eq!(a.tags, vec!["رياضة", "قطر", "كأس العالم"]);
    let figure = &a.blocks[0];
    assert_eq!(figure.kind, BlockKind::Figure);
    assert_eq!(figure.text, "▣ ملعب لوسيل — ملعب في الدوحة (صورة أرشيفية)");
    let a = assert_page(
        "blog-en",
        &[
            "Skip to content",
            "Home",
            "Share this",
            "Posted in",
            "Related",
            "thoughts on",
            "Leave a Reply",
            "cookies",
            "Recent posts",
            "powered",
            "June 13th",
        ],
    );
    assert_eq!(a.lang, Lang::En);
    assert_eq!(a.direction, Direction::Ltr);
    let a = assert_page(
        "legacy-ar",
        &[
            "الرئيسية",
            "الأرشيف",
            "نسخة للطباعة",
            "أرسل لصديق",
            "جميع الحقوق",
        ],
    );
    assert_eq!(a.encoding.name, "windows-1256");
    assert_eq!(a.direction, Direction::Rtl);
}
