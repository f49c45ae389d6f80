//! A bounded fuzz of everything a file controls: the loaders of every format and the layout of
//! what they give, at random widths and in every bidi mode, must never panic and never let a
//! control character through; and a hostile file name through every command.
//!
//! Bounded by a fixed number of cases (a few seconds on CI); `PROPTEST_CASES` raises it for a
//! longer run.

use assert_cmd::Command;
use proptest::prelude::*;
use qari::article::{self, Article, Format};
use qari::document::PreparedArticle;
use qari::layout::{BaseDir, BidiMode, Options};

/// Pieces mixing what articles hold with what an attacker sends: terminal controls (C0, DEL,
/// C1, a CSI and an OSC), bidi controls, line breaks of every kind, Arabic with marks, and the
/// syntax of every format.
fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::sample::select(vec![
            "word", "كلمة", "الْعَرَبِيَّة", "لا", "ـ", "2025", "١٢٣", " ", "  ", "\t", "!", "،",
            "(", ")", "«", "»", "👍🏽", "e\u{301}", "界",
        ]).prop_map(str::to_owned),
        2 => proptest::sample::select(vec![
            "\n", "\n\n", "\r\n", "\r", "\u{2028}", "\u{2029}", "\u{85}", "\u{c}", "\u{b}",
        ]).prop_map(str::to_owned),
        2 => proptest::sample::select(vec![
            "\u{1b}", "\u{1b}[2J", "\u{1b}]0;PWNED\u{7}", "\u{1b}]52;c;eA==\u{7}", "\u{7}", "\u{8}",
            "\u{7f}", "\u{9b}31m", "\u{9d}0;x\u{9c}", "\u{80}", "\u{9f}", "\u{1b}c", "\u{0}",
        ]).prop_map(str::to_owned),
        1 => proptest::sample::select(vec![
            "\u{202a}", "\u{202b}", "\u{202c}", "\u{202d}", "\u{202e}", "\u{2066}", "\u{2067}",
            "\u{2068}", "\u{2069}", "\u{200e}", "\u{200f}", "\u{61c}", "\u{200d}", "\u{feff}",
        ]).prop_map(str::to_owned),
        2 => proptest::sample::select(vec![
            "# ", "## ", "> ", "- ", "* ", "1. ", "**", "`", "```\n", "[a](b)", "---\n",
            "title: ", "date: ", "+++\n", "<p>", "</p>", "<h1>", "</h1>", "<title>", "<br>",
            "<script>", "&amp;", "&#27;", "&#x9b;", "<!--", "-->", "{", "}", "[", "]", "\"",
            ":", ",", "\\u001b", "\\u009b", "\\u202e",
        ]).prop_map(str::to_owned),
        2 => proptest::sample::select(vec![
            "[x](javascript:alert(1))", "[y](https://a.example/\u{1b}]8;;z\u{7})", "[r](../r)",
            "[m](mailto:a@b.c)", "<a href=\"/rel\">", "<a href=\"https://x.example/a b\">",
            "<a href=\"\u{1b}]8;;x\u{1b}\\\">", "</a>", "<b>", "</b>", "<i>", "</i>", "<code>",
            "*", "_", "![alt](i.png)", "<img alt=\"pic\">", "[^1]", "[^1]: note\n",
            "| a | b |\n|---|---|\n| c | d |\n", "<table><tr><td>", "</td><td>", "</td></tr>",
            "</table>", "<ol start=\"9\"><li>", "</li></ol>", "3. ", "   - ",
        ]).prop_map(str::to_owned),
    ]
}

fn text(max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(piece(), 0..max).prop_map(|v| v.concat())
}

/// A document of `format` built around random text, so the parsers' deeper paths are reached
/// as well as their error paths.
fn document() -> impl Strategy<Value = (Format, Vec<u8>)> {
    let format = proptest::sample::select(vec![
        Format::Txt,
        Format::Markdown,
        Format::Html,
        Format::Json,
        Format::Jsonl,
        Format::Feed,
        Format::Csv,
        Format::Tsv,
    ]);
    (format, text(12), text(12), text(80), 0u8..4, proptest::collection::vec(any::<u8>(), 0..64))
        .prop_map(|(format, title, date, body, shape, noise)| {
            let structured = match format {
                Format::Txt => format!("{title}\n{date}\n\n{body}"),
                Format::Markdown => format!("---\ntitle: {title}\ndate: {date}\n---\n\n# {title}\n\n{body}"),
                Format::Html => format!(
                    "<html><head><title>{title}</title></head><body><h1>{title}</h1><time>{date}</time><p>{body}</p></body></html>"
                ),
                Format::Feed => format!(
                    "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>{title}</title><item><title>{title}</title><pubDate>{date}</pubDate><description><![CDATA[<p>{body}</p>]]></description></item><item><title>{body}</title></item></channel></rss>"
                ),
                Format::Csv => format!(
                    "title,date,body\n\"{}\",{date},\"{}\"\n{body}\n",
                    title.replace('"', "\"\""),
                    body.replace('"', "\"\"")
                ),
                Format::Tsv => format!("title\tdate\tbody\n{title}\t{date}\t{body}\n"),
                // Read from its path, never from bytes: the loader says so in one line.
                Format::Newsboat => body.clone(),
                Format::Json | Format::Jsonl => {
                    let one = serde_json::json!({
                        "title": title, "date": date, "body": body, "byline": date,
                        "source": title, "url": date, "tags": [title, date], "lang": "ar",
                    });
                    if format == Format::Json {
                        serde_json::json!([one, {"title": body}]).to_string()
                    } else {
                        format!("{one}\n{}\n{body}\n", serde_json::json!({"text": body}))
                    }
                }
            };
            let mut bytes = structured.into_bytes();
            match shape {
                // Bytes that are not UTF-8, cut where they fall.
                1 => bytes.extend_from_slice(&noise),
                // A file cut short anywhere.
                2 => bytes.truncate(noise.len() * bytes.len() / 64),
                // Random text with no structure at all.
                3 => bytes = body.into_bytes(),
                _ => {}
            }
            (format, bytes)
        })
}

/// The first character a terminal would act on, if any; `multiline` allows newlines and tabs
/// (block text keeps them as the layout's hard breaks).
fn control_in(s: &str, multiline: bool) -> Option<char> {
    s.chars()
        .find(|&c| c.is_control() && !(multiline && (c == '\n' || c == '\t')))
}

/// Columns a terminal gives a line: a grapheme is as wide as its first character (an emoji
/// with a skin tone is one wide character, not two).
fn columns(s: &str) -> usize {
    use unicode_segmentation::UnicodeSegmentation as _;
    s.graphemes(true)
        .map(|g| {
            g.chars()
                .next()
                .and_then(unicode_width::UnicodeWidthChar::width)
                .unwrap_or(0)
        })
        .sum()
}

fn every_text(a: &Article) -> Vec<(&'static str, &str, bool)> {
    // The id is the caller's (the library makes it from the file name with
    // `qari::escape::display`); the title made from it is the loader's.
    let mut v = vec![("title", a.title.as_str(), false)];
    v.extend(a.dates.iter().map(|d| ("date", d.original.as_str(), false)));
    v.extend(a.byline.iter().map(|s| ("byline", s.as_str(), false)));
    v.extend(a.source.iter().map(|s| ("source", s.as_str(), false)));
    v.extend(a.url.iter().map(|s| ("url", s.as_str(), false)));
    v.extend(a.tags.iter().map(|s| ("tag", s.as_str(), false)));
    v.extend(a.blocks.iter().map(|b| ("block", b.text.as_str(), true)));
    v
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(1000),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn loaders_and_layout_never_panic_nor_pass_a_control(
        (format, bytes) in document(),
        // The id is a file name: outside text too.
        name in text(4),
        widths in proptest::collection::vec(0usize..120, 1..4),
        mode in proptest::sample::select(vec![BidiMode::App, BidiMode::Terminal, BidiMode::Off]),
        base in proptest::sample::select(vec![BaseDir::Auto, BaseDir::Rtl, BaseDir::Ltr]),
        shape in any::<bool>(),
    ) {
        let id = format!("{name}.x");
        // Errors are fine (binary, empty, malformed); a panic is not. Their messages are one
        // line a terminal can print.
        let loaded = match article::parse(&bytes, format, &id) {
            Ok(l) => l,
            Err(e) => {
                let msg = e.to_string();
                prop_assert!(control_in(&msg, false).is_none(), "{:?}", msg);
                return Ok(());
            }
        };
        for w in &loaded.warnings {
            prop_assert!(control_in(w, false).is_none(), "warning {:?}", w);
        }
        // The catalog's quick scan agrees that the file is usable.
        prop_assert!(article::scan(&bytes, format, &id).is_ok());
        let opts = Options { base, mode, shape, ..Options::default() };
        for a in &loaded.articles {
            for (what, s, multiline) in every_text(a) {
                prop_assert!(control_in(s, multiline).is_none(), "{} {:?} of {:?}", what, s, format);
            }
            // Marks fit their text; links are numbered within the article and safe to send.
            for b in &a.blocks {
                for m in &b.marks {
                    prop_assert!(m.start < m.end && b.text.get(m.range()).is_some(), "{:?} over {:?}", m, b.text);
                    if let qari::article::Style::Link(n) = m.style {
                        prop_assert!((n as usize) < a.links.len(), "link {} of {}", n, a.links.len());
                    }
                }
            }
            for l in &a.links {
                let t = &l.target;
                prop_assert!(t.len() <= qari::article::MAX_TARGET_BYTES);
                prop_assert!(t.bytes().all(|c| c.is_ascii_graphic()), "{:?}", t);
                prop_assert!(
                    t.starts_with("http://") || t.starts_with("https://") || t.starts_with("mailto:"),
                    "{:?}", t
                );
                prop_assert!(control_in(&l.text, false).is_none(), "{:?}", l.text);
            }
            let prepared = PreparedArticle::new(a, opts);
            for &w in &widths {
                for line in prepared.lay_out(w) {
                    let plain = prepared.plain(&line, w);
                    prop_assert!(control_in(&plain, false).is_none(), "{:?} at {}", plain, w);
                    // (A wide character is two columns even on a line of one, and a quote's
                    // bar or a list's marker takes a few columns before any text.)
                    if w >= 10 {
                        let cols = columns(&plain);
                        prop_assert!(cols <= w, "{} columns at width {}: {:?}", cols, w, plain);
                    }
                    let drawn = prepared.visual(&line).padded_text();
                    prop_assert!(control_in(&drawn, false).is_none(), "{:?} at {}", drawn, w);
                }
            }
        }
    }
}

/// The name of the issue, with a C1 CSI and a right-to-left override besides.
const HOSTILE: &str = "x\u{1b}]0;PWNED\u{7}\u{1b}c\u{9b}2J\u{202e}";

/// No C0 but newline and tab, no DEL, no C1, no bidi embedding, override or isolate; valid
/// UTF-8 (so no raw C1 byte).
fn assert_inert(what: &str, bytes: &[u8]) {
    let text = std::str::from_utf8(bytes).unwrap_or_else(|e| panic!("{what}: {e}"));
    let bad = text.chars().find(|&c| {
        (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    });
    assert!(bad.is_none(), "{what}: {bad:?} in {text:?}");
}

#[test]
fn a_hostile_name_through_every_command_and_format() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join(format!("L{HOSTILE}"));
    let sub = lib.join(format!("sub{HOSTILE}"));
    std::fs::create_dir_all(&sub).unwrap();
    // Files whose titles come from their names, in every format, and a broken one.
    let files = [
        ("txt", "\n\nonly a body, no title line here?\n".to_owned()),
        ("md", "plain text, no heading\n".to_owned()),
        ("html", "<p>no title</p>".to_owned()),
        ("json", r#"{"body": "no title"}"#.to_owned()),
        (
            "jsonl",
            "{\"body\": \"no title\"}\n{\"body\": \"second\"}\n".to_owned(),
        ),
    ];
    for (ext, body) in &files {
        std::fs::write(sub.join(format!("{HOSTILE}.{ext}")), body).unwrap();
    }
    std::fs::write(lib.join(format!("{HOSTILE}-bad.json")), "{").unwrap();
    std::os::unix::fs::symlink(lib.join("nowhere"), lib.join(format!("{HOSTILE}-gone.txt")))
        .unwrap();
    let one = sub.join(format!("{HOSTILE}.md"));
    let l = lib.to_str().unwrap();
    let commands: Vec<Vec<&str>> = vec![
        vec!["list", l],
        vec!["list", "--json", l],
        vec!["list", "--sort", "source", l],
        vec!["check", l],
        vec!["search", "title", l],
        vec!["search", "--json", "no", l],
        vec!["render", one.to_str().unwrap()],
        vec!["render", "--plain", one.to_str().unwrap()],
        vec![l],
    ];
    for args in &commands {
        let out = Command::cargo_bin("qari")
            .unwrap()
            .args(args)
            .env("QARI_CONFIG", lib.join(format!("{HOSTILE}.toml")))
            .env("QARI_STATE", lib.join(format!("{HOSTILE}.state")))
            .env("QARI_DB", lib.join(format!("{HOSTILE}.db")))
            .env("QARI_BIDI", HOSTILE)
            .output()
            .unwrap();
        assert_inert(&format!("{args:?} stdout"), &out.stdout);
        assert_inert(&format!("{args:?} stderr"), &out.stderr);
    }
    // A config file with a hostile name and hostile values.
    let config = lib.join(format!("{HOSTILE}.toml"));
    std::fs::write(
        &config,
        format!("bidi = \"{HOSTILE}\"\n[keys]\ndown = [\"{HOSTILE}\"]\n"),
    )
    .unwrap();
    let out = Command::cargo_bin("qari")
        .unwrap()
        .args(["render", one.to_str().unwrap()])
        .env("QARI_CONFIG", &config)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_inert("config stderr", &out.stderr);
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("x␛]0;PWNED␇␛c\u{FFFD}2J⟨RLO⟩.toml: "), "{err}");
}
