use std::path::Path;

use super::*;

#[test]
fn words_are_counted_across_blocks_and_pieces() {
    let mut text = String::new();
    for i in 0..300 {
        text.push_str(["a", "  bc", "\tdéf\n", " ", "ش ", "x\r\n"][i % 6]);
    }
    let want = text.split_ascii_whitespace().count();
    let bytes = text.as_bytes();
    for split in [0, 1, 63, 64, 65, 127, 200, bytes.len()] {
        let mut c = WordCounter::default();
        c.feed(&bytes[..split]);
        c.feed(&bytes[split..]);
        assert_eq!(c.words, want, "split at {split}");
    }
}

#[test]
fn formats_by_extension() {
    assert_eq!(Format::from_path(Path::new("a/b.TXT")), Some(Format::Txt));
    assert_eq!(
        Format::from_path(Path::new("x.markdown")),
        Some(Format::Markdown)
    );
    assert_eq!(Format::from_path(Path::new("x.htm")), Some(Format::Html));
    assert_eq!(Format::from_path(Path::new("x.jsonl")), Some(Format::Jsonl));
    assert_eq!(Format::from_path(Path::new("x.pdf")), None);
    assert_eq!(Format::from_path(Path::new("README")), None);
}

#[test]
fn empty_and_binary_are_errors() {
    assert_eq!(
        parse(b"", Format::Txt, "a.txt").unwrap_err(),
        ArticleError::Empty
    );
    assert_eq!(
        parse(b" \n\n \t", Format::Txt, "a.txt").unwrap_err(),
        ArticleError::Empty
    );
    assert_eq!(
        parse(b"PK\x03\x04\0\0binary", Format::Txt, "a.txt").unwrap_err(),
        ArticleError::Binary
    );
}

#[test]
fn invalid_utf8_is_kept_with_a_warning() {
    let loaded = parse(b"Title\n\nsome \xff\xfe text", Format::Txt, "a.txt").unwrap();
    assert_eq!(
        loaded.articles[0].blocks[0].text,
        "some \u{FFFD}\u{FFFD} text"
    );
    assert!(
        loaded.warnings[0].contains("not valid UTF-8"),
        "{:?}",
        loaded.warnings
    );
}

#[test]
fn language_and_direction() {
    let a = parse("عنوان\n\nنص عربي فيه BBC".as_bytes(), Format::Txt, "a.txt").unwrap();
    assert_eq!(a.articles[0].lang, Lang::Ar);
    assert_eq!(a.articles[0].direction, Direction::Rtl);
    let e = parse(b"Title\n\nEnglish text", Format::Txt, "e.txt").unwrap();
    assert_eq!(e.articles[0].lang, Lang::En);
    assert_eq!(e.articles[0].direction, Direction::Ltr);
    let m = parse(
        "Arabic عربية كثيرة جدا\n\nmixed نص وكلمات English".as_bytes(),
        Format::Txt,
        "m.txt",
    )
    .unwrap();
    assert_eq!(m.articles[0].lang, Lang::Mixed);
    assert_eq!(m.articles[0].direction, Direction::Ltr);
}

#[test]
fn language_by_letters_in_every_encoding_length() {
    // Two-byte Arabic and Latin-1, three-byte presentation forms and Extended-A.
    assert_eq!(guess_lang(["مرحبا بالعالم"]), Lang::Ar);
    assert_eq!(guess_lang(["ﻡﻼﺴﻟﺍ ﻢﻜﻴﻠﻋ"]), Lang::Ar);
    assert_eq!(guess_lang(["\u{08A0}\u{08A1}\u{08A2}"]), Lang::Ar);
    assert_eq!(guess_lang(["Ça été très déjà vu"]), Lang::En);
    assert_eq!(guess_lang(["1234 — 5678 «»"]), Lang::En, "no letters");
    // Signs that are not letters (× ÷, Arabic digits and punctuation) do not count.
    assert_eq!(guess_lang(["ab ×÷×÷×÷ ٠١٢٣٤٥٦٧٨٩ ، ؟"]), Lang::En);
    // Pieces are read as one text, across block boundaries.
    let arabic = "ب".repeat(63);
    assert_eq!(
        guess_lang([arabic.as_str(), "ab", arabic.as_str()]),
        Lang::Ar
    );
    // Only the start is sampled: 1,100 Arabic letters, then much English.
    let long = format!("{} {}", "ع".repeat(1100), "English ".repeat(500));
    assert_eq!(guess_lang([long.as_str()]), Lang::Ar);
    let half = format!("{} {}", "ع".repeat(300), "e".repeat(300));
    assert_eq!(guess_lang([half.as_str()]), Lang::Mixed);
}

#[test]
fn huge_blocks_are_split_at_spaces() {
    let word = "كلمة ";
    let body = word.repeat(40_000);
    let text = format!("T\n\n{body}");
    let a = parse(text.as_bytes(), Format::Txt, "big.txt").unwrap();
    let blocks = &a.articles[0].blocks;
    assert!(blocks.len() > 1);
    assert!(blocks.iter().all(|b| b.text.len() <= MAX_BLOCK_BYTES));
    let words: usize = blocks
        .iter()
        .map(|b| b.text.split_whitespace().count())
        .sum();
    assert_eq!(words, 40_000, "no word lost in the split");
}

#[test]
fn paragraphs_split_at_blank_lines_or_newlines() {
    assert_eq!(split_paragraphs("a\nb\n\nc"), vec!["a\nb", "c"]);
    assert_eq!(split_paragraphs("a\nb\nc"), vec!["a", "b", "c"]);
}

#[test]
fn missing_and_unreadable_dates_are_warnings() {
    use std::fmt::Write as _;
    let w = |bytes: &[u8], format: Format| parse(bytes, format, "x").unwrap().warnings;
    assert_eq!(w(b"Title\n\nBody text.", Format::Txt), ["it has no date"]);
    assert_eq!(
        w(
            "Title\n\nنشر في: 13 يونيو 2024 الساعة 10:30 بتوقيت مكة\n\nBody.".as_bytes(),
            Format::Txt
        ),
        [
            "it has no date qari understands ('نشر في: 13 يونيو 2024 الساعة 10:30 بتوقيت مكة' is not one)"
        ]
    );
    assert!(
        w(
            "Title\n\nنشر في: 13 أيار/مايو 2024\n\nBody.".as_bytes(),
            Format::Txt
        )
        .is_empty()
    );
    assert_eq!(
        w(
            br#"{"title":"T","body":"b","date":"sometime in June"}"#,
            Format::Json
        ),
        ["its date 'sometime in June' is not one qari understands"]
    );
    let mut lines = String::new();
    for n in 0..10 {
        let date = match n {
            0 | 5 => "\"2024-06-13\"",
            1..=3 => "null",
            _ => "\"soon\"",
        };
        writeln!(
            lines,
            "{{\"title\":\"t{n}\",\"body\":\"b\",\"date\":{date}}}"
        )
        .unwrap();
    }
    assert_eq!(
        w(lines.as_bytes(), Format::Jsonl),
        [
            "3 of its 10 articles have no date (articles 2, 3, 4)",
            "article 5's date 'soon' is not one qari understands",
            "article 7's date 'soon' is not one qari understands",
            "article 8's date 'soon' is not one qari understands",
            "2 more of its articles have a date qari does not understand",
        ]
    );
    // The catalog's quick read of a `.txt` warns the same, also for a body of Markdown
    // nested too deep to be read as Markdown.
    let mut deep = String::from("Title\n\n2024-06-13\n\n");
    for i in 1..200 {
        deep.push_str(&"- ".repeat(i));
        deep.push_str("x\n");
    }
    assert_eq!(
        scan(deep.as_bytes(), Format::Txt, "x").unwrap().warnings,
        w(deep.as_bytes(), Format::Txt)
    );
    let text = "Title\n\nBody text.";
    assert_eq!(
        scan(text.as_bytes(), Format::Txt, "x").unwrap().warnings,
        w(text.as_bytes(), Format::Txt)
    );
}
