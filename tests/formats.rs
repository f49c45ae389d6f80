//! The loader's formats through the command line: what `check` and `list --json` tell of them.

use assert_cmd::Command;

fn qari() -> Command {
    Command::cargo_bin("qari").unwrap()
}

fn fixtures(rel: &str) -> String {
    format!("{}/tests/fixtures/{rel}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn check_names_the_encoding_of_each_legacy_file() {
    let out = qari()
        .args(["check", &fixtures("encodings")])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    for (file, says) in [
        (
            "cp1256.txt",
            "read as windows-1256 (detected from its bytes).",
        ),
        (
            "cp1256.html",
            "read as windows-1256 (declared in the file).",
        ),
        (
            "iso8859-6.txt",
            "read as ISO-8859-6 (detected from its bytes).",
        ),
        (
            "iso8859-6.html",
            "read as ISO-8859-6 (declared in the file).",
        ),
        (
            "utf16le.txt",
            "read as UTF-16LE (from its byte order mark).",
        ),
        (
            "utf16be.txt",
            "read as UTF-16BE (from its byte order mark).",
        ),
    ] {
        assert!(
            text.lines()
                .any(|l| l.ends_with(&format!("{file}: {says}"))),
            "{file}: {text}"
        );
    }
    // UTF-8 files are not mentioned.
    let out = qari()
        .args(["check", &fixtures("formats")])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert!(!String::from_utf8(out).unwrap().contains("read as"));
}

#[test]
fn list_json_gives_author_url_tags_and_encoding() {
    let out = qari()
        .args([
            "list",
            "--json",
            &fixtures("formats"),
            &fixtures("encodings"),
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let items = v.as_array().unwrap();
    let by_id = |id: &str| {
        items
            .iter()
            .find(|i| i["id"].as_str().is_some_and(|s| s.ends_with(id)))
            .unwrap_or_else(|| panic!("{id} in {items:?}"))
    };
    let report = by_id("report.md");
    assert_eq!(report["author"], "Jane Doe");
    assert_eq!(report["tags"], serde_json::json!(["iraq", "syria"]));
    assert_eq!(report["encoding"], "UTF-8");
    let feed = by_id("feed.json#1");
    assert_eq!(feed["url"], "https://example.org/a");
    assert_eq!(feed["author"], "AP");
    assert_eq!(by_id("feed.json#2")["author"], serde_json::Value::Null);
    assert_eq!(by_id("cp1256.html")["encoding"], "windows-1256");
    assert_eq!(by_id("utf16be.txt")["encoding"], "UTF-16BE");
}

#[test]
fn check_refuses_deep_front_matter_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deep.md");
    std::fs::write(
        &path,
        format!(
            "---\ntitle: {}\n---\n\n# Deep\n\nText.\n",
            "[".repeat(100_000)
        ),
    )
    .unwrap();
    let out = qari()
        .arg("check")
        .arg(&path)
        .assert()
        .success()
        .get_output()
        .clone();
    let err = String::from_utf8(out.stderr).unwrap();
    let lines: Vec<&str> = err.lines().collect();
    assert!(
        lines.iter().any(|l| l.ends_with(
            "deep.md: loaded: its YAML front matter is nested deeper than 64 levels; it was not read."
        )),
        "{err}"
    );
    assert!(lines.iter().all(|l| l.len() < 300), "{err}");
}

mod fuzz {
    use proptest::prelude::*;
    use qari::article::{self, Format};

    const FORMATS: [Format; 5] = [
        Format::Txt,
        Format::Markdown,
        Format::Html,
        Format::Json,
        Format::Jsonl,
    ];

    /// What every loaded article must be, whatever the input: no control character but tab
    /// and newline, no block over the cap, a title, and a catalog head that agrees.
    fn check_loaded(bytes: &[u8], format: Format) -> Result<(), TestCaseError> {
        let Ok(loaded) = article::parse(bytes, format, "f") else {
            return Ok(());
        };
        for a in &loaded.articles {
            prop_assert!(!a.title.trim().is_empty());
            let texts = std::iter::once(a.title.as_str())
                .chain(a.blocks.iter().map(|b| b.text.as_str()))
                .chain(a.byline.as_deref())
                .chain(a.dates.iter().map(|d| d.original.as_str()));
            for t in texts {
                prop_assert!(
                    !t.chars().any(|c| c.is_control() && c != '\n' && c != '\t'),
                    "{:?}",
                    t
                );
            }
            prop_assert!(
                a.blocks
                    .iter()
                    .all(|b| b.text.len() <= article::MAX_BLOCK_BYTES && !b.text.is_empty())
            );
        }
        for w in &loaded.warnings {
            prop_assert!(!w.contains('\n'), "one-line warnings: {:?}", w);
        }
        let scan = article::scan(bytes, format, "f").unwrap();
        prop_assert_eq!(scan.heads.len(), loaded.articles.len());
        prop_assert_eq!(scan.warnings, loaded.warnings);
        Ok(())
    }

    fn html_piece() -> impl Strategy<Value = String> {
        prop_oneof![
            proptest::sample::select(vec![
                "<p>", "</p>", "<div class=\"comments\">", "<div class=\"content\">", "</div>",
                "<article>", "</article>", "<main>", "<h1>", "</h1>", "<br>", "<ul><li>",
                "</li></ul>", "<figure><img alt=\"صورة\">", "<figcaption>", "</figure>",
                "<script>", "</script>", "<a href=x>", "</a>", "<time datetime=\"2024-06-13\">",
                "</time>", "<blockquote>", "</blockquote>", "<table><tr><td>", "</td></tr></table>",
                "<span class=\"byline\">By Jane Doe</span>", "<html dir=\"rtl\" lang=\"ar\">",
                "<meta property=\"og:site_name\" content=\"Site\">", "<title>T – Site</title>",
                "<script type=\"application/ld+json\">{\"@type\":\"NewsArticle\",\"headline\":\"H\"}</script>",
                "<div hidden>", "&amp;", "&#1604;", "&nbsp;", "<", ">", "\u{1b}[2J", "\u{202e}",
                "<p", "=\"", "<!--", "-->",
            ])
            .prop_map(str::to_owned),
            proptest::sample::select(vec![
                "قال المبعوث إن داعش فقد معظم الأراضي، في العراق وسوريا.",
                "The council voted on Tuesday, ending a long debate.",
                "نشر في: 13 أيار/مايو 2024",
                "June 13th, 2024",
                "x",
            ])
            .prop_map(str::to_owned),
        ]
    }

    fn date_line() -> impl Strategy<Value = (String, String)> {
        let months = proptest::sample::select(vec![
            ("يناير", 1),
            ("كانون الثاني/يناير", 1),
            ("أيار/مايو", 5),
            ("تموز (يوليو)", 7),
            ("جوان", 6),
            ("June", 6),
            ("Sept", 9),
            ("ديسمبر", 12),
        ]);
        (
            1u32..=28,
            months,
            1990i32..2030,
            proptest::sample::select(vec!["", "الخميس ", "نشر في: ", "Published: ", "Thursday, "]),
            proptest::sample::select(vec!["", " 10:30", " ١٠:٣٠ ص", " 9:05 pm"]),
            any::<bool>(),
        )
            .prop_map(|(day, (month, m), year, label, time, arabic_digits)| {
                let mut line = format!("{label}{day} {month} {year}{time}");
                if arabic_digits {
                    line = line
                        .chars()
                        .map(|c| match c {
                            '0'..='9' => char::from_u32(0x0660 + (c as u32 - '0' as u32)).unwrap(),
                            _ => c,
                        })
                        .collect();
                }
                (line, format!("{year:04}-{m:02}-{day:02}"))
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// Any bytes in any format: no panic, and the invariants of a loaded article.
        #[test]
        fn any_bytes_load_safely(bytes in proptest::collection::vec(any::<u8>(), 0..600), f in 0usize..5) {
            check_loaded(&bytes, FORMATS[f])?;
        }

        /// Pages made of real page pieces in any order and nesting.
        #[test]
        fn any_page_loads_safely(pieces in proptest::collection::vec(html_piece(), 0..60)) {
            check_loaded(pieces.concat().as_bytes(), Format::Html)?;
        }

        /// JSON values of any shape, as a file and as lines.
        #[test]
        fn any_json_loads_safely(v in json_value()) {
            let text = v.to_string();
            check_loaded(text.as_bytes(), Format::Json)?;
            check_loaded(format!("{text}\n{text}\n").as_bytes(), Format::Jsonl)?;
        }

        /// Markdown with front matter of any nesting.
        #[test]
        fn any_front_matter_loads_safely(open in proptest::collection::vec(proptest::sample::select(vec!["[", "{", "- ", "  ", "a: ", "\"", "#", "]", "}", "\n", "&x ", "*x "]), 0..200), toml in any::<bool>()) {
            let fence = if toml { "+++" } else { "---" };
            let text = format!("{fence}\n{}\n{fence}\n\n# T\n\nBody.\n", open.concat());
            check_loaded(text.as_bytes(), Format::Markdown)?;
        }

        /// Date lines in the forms Arabic and English sites print, with any digits.
        #[test]
        fn printed_dates_parse((line, day) in date_line()) {
            let value = article::parse_date(&line);
            prop_assert_eq!(value.map(|d| d.day().to_string()), Some(day), "{}", line);
        }

        /// Arabic text in a legacy encoding or UTF-16 reads back as it was written.
        #[test]
        fn legacy_arabic_round_trips(words in proptest::collection::vec(proptest::sample::select(vec!["قال", "المبعوث", "إن", "داعش", "فقد", "الأراضي", "في", "العراق", "وسوريا", "اليوم", "الخميس", "2017", "BBC"]), 8..40), enc in 0usize..4) {
            let text = format!("عنوان\n\n{}.", words.join(" "));
            let encoding = [encoding_rs::WINDOWS_1256, encoding_rs::ISO_8859_6, encoding_rs::UTF_16LE, encoding_rs::UTF_16BE][enc];
            let bytes: Vec<u8> = match enc {
                2 => [0xFF, 0xFE].into_iter().chain(text.encode_utf16().flat_map(u16::to_le_bytes)).collect(),
                3 => [0xFE, 0xFF].into_iter().chain(text.encode_utf16().flat_map(u16::to_be_bytes)).collect(),
                _ => encoding.encode(&text).0.into_owned(),
            };
            let loaded = article::parse(&bytes, Format::Txt, "a.txt").unwrap();
            let a = &loaded.articles[0];
            prop_assert_eq!(a.encoding.name, encoding.name());
            prop_assert_eq!(&a.blocks[0].text, &format!("{}.", words.join(" ")));
        }
    }

    fn json_value() -> impl Strategy<Value = serde_json::Value> {
        use serde_json::Value;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            proptest::sample::select(vec![
                "title",
                "<p>فقرة</p><p>ثانية</p>",
                "2024-06-13T10:00:00Z",
                "1718265600",
                "13 أيار/مايو 2024",
                "https://x.example/a",
                "\u{1b}]52;c;x\u{7}",
                "",
            ])
            .prop_map(|s| Value::String(s.to_owned())),
        ];
        leaf.prop_recursive(6, 64, 8, |inner| {
            let keys = proptest::sample::select(vec![
                "title",
                "headline",
                "body",
                "content",
                "rendered",
                "date",
                "date_gmt",
                "published_at",
                "author",
                "_embedded",
                "tags",
                "articles",
                "link",
                "source",
                "fields",
                "name",
            ]);
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                proptest::collection::vec((keys, inner), 0..6).prop_map(|kv| {
                    Value::Object(kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
                }),
            ]
        })
    }
}
