//! Feeds (RSS 2.0, RSS 1.0, Atom), CSV/TSV datasets and newsboat's cache: each a folder-tree
//! citizen with many articles a file, and each boring on bad input.

use std::path::{Path, PathBuf};
use std::process::Command;

use proptest::prelude::*;
use qari::article::{self, Article, BlockKind, Direction, Format, Lang};
use qari::library::{self, Library};

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/feeds")
        .join(rel)
}

fn article_by_id(lib: &Library, id: &str) -> std::sync::Arc<Article> {
    let i = lib.position(id).unwrap_or_else(|| {
        let ids: Vec<_> = lib.entries().map(|e| e.id.clone()).collect();
        panic!("no article {id} among {ids:?}")
    });
    lib.article(i).unwrap()
}

fn texts(a: &Article) -> Vec<&str> {
    a.blocks.iter().map(|b| b.text.as_str()).collect()
}

fn iso(a: &Article) -> Vec<String> {
    a.dates
        .iter()
        .map(|d| {
            d.value.map_or_else(
                || format!("unparsed {}", d.original),
                qari::article::DateValue::to_iso,
            )
        })
        .collect()
}

/// No control character of the input may reach a text (newline and tab are layout).
fn assert_clean_article(a: &Article) {
    let fields = [a.title.as_str(), a.id.as_str()]
        .into_iter()
        .chain(a.byline.as_deref())
        .chain(a.source.as_deref())
        .chain(a.url.as_deref())
        .chain(a.tags.iter().map(String::as_str))
        .chain(a.dates.iter().map(|d| d.original.as_str()));
    for f in fields {
        assert!(!f.chars().any(char::is_control), "{f:?}");
    }
    for b in &a.blocks {
        assert!(
            !b.text
                .chars()
                .any(|c| c.is_control() && c != '\n' && c != '\t'),
            "{:?}",
            b.text
        );
        assert!(b.text.len() <= article::MAX_BLOCK_BYTES);
    }
}

/// A message about a file is one sentence on one line, without a control character.
fn assert_one_line(message: &str) {
    assert!(!message.is_empty());
    assert!(!message.chars().any(char::is_control), "{message:?}");
    assert!(message.len() < 400, "{message:?}");
}

#[test]
fn rss2_items_become_articles() {
    let lib = Library::open(&[fixture("arabic.rss")]);
    assert!(lib.problems().is_empty(), "{:?}", lib.problems());
    assert_eq!(lib.len(), 3);
    let a = article_by_id(&lib, "arabic.rss#news.example.org-2024-0613-1");
    assert_eq!(a.title, "افتتاح مكتبة عامة جديدة في وسط المدينة");
    assert_eq!(
        a.source.as_deref(),
        Some("نشرة المدينة"),
        "the feed's title"
    );
    assert_eq!(
        a.url.as_deref(),
        Some("https://news.example.org/2024/06/library")
    );
    assert_eq!(a.byline.as_deref(), Some("سلمى حداد"));
    assert_eq!(a.tags, vec!["ثقافة", "المدينة"]);
    assert_eq!(iso(&a), vec!["2024-06-13T10:00:00+03:00"]);
    assert_eq!((a.lang, a.direction), (Lang::Ar, Direction::Rtl));
    // content:encoded wins over description, and its HTML becomes blocks.
    assert_eq!(
        texts(&a),
        vec![
            "افتتحت البلدية صباح الخميس مكتبة عامة جديدة تضم أكثر من 20 ألف كتاب.",
            "وقال مدير المكتبة إن القاعة مفتوحة من الساعة 9 حتى الساعة 21 كل يوم.",
            "«المكتبة للجميع»",
        ]
    );
    assert_eq!(a.blocks[2].kind, BlockKind::Quote);
    assert_eq!(a.unread, None, "a feed file keeps no read marks");

    // No guid: the link is the id. Escaped HTML in the description is read as HTML.
    let m = article_by_id(&lib, "arabic.rss#https://news.example.org/2024/06/marathon");
    assert_eq!(m.title, "Marathon route announced & roads closed");
    assert_eq!(
        m.byline.as_deref(),
        Some("desk@news.example.org (City Desk)")
    );
    assert_eq!(iso(&m), vec!["2024-06-14T08:30:00+00:00"]);
    assert_eq!(
        texts(&m),
        vec![
            "The city published the route of Saturday's marathon.",
            "Main roads close at 6\u{a0}am."
        ]
    );
    assert_eq!(
        (m.lang, m.direction),
        (Lang::En, Direction::Ltr),
        "by its letters, not the channel's language"
    );

    // A plain-text description keeps its paragraphs.
    let w = article_by_id(&lib, "arabic.rss#https://news.example.org/2024/06/weather");
    assert_eq!(
        texts(&w),
        vec!["يتوقع أمطار خفيفة في المساء.", "وتنخفض درجات الحرارة قليلا."]
    );
}

#[test]
fn atom_entries_become_articles() {
    let lib = Library::open(&[fixture("english.atom")]);
    assert!(lib.problems().is_empty(), "{:?}", lib.problems());
    assert_eq!(lib.len(), 2);
    let a = article_by_id(
        &lib,
        "english.atom#urn:uuid:7e1a9a3c-0000-4000-8000-000000000002",
    );
    assert_eq!(a.title, "Reading Arabic in the terminal");
    assert_eq!(a.source.as_deref(), Some("Field Notes"));
    assert_eq!(
        a.url.as_deref(),
        Some("https://notes.example.net/arabic-terminal")
    );
    assert_eq!(a.byline.as_deref(), Some("Omar Haddad"));
    assert_eq!(a.tags, vec!["Bidi", "terminal"]);
    // Published first (the date the list sorts by), then updated.
    assert_eq!(
        iso(&a),
        vec!["2024-06-12T18:00:00+02:00", "2024-06-14T09:00:00+00:00"]
    );
    assert_eq!(
        a.blocks
            .iter()
            .map(|b| (b.kind, b.text.as_str()))
            .collect::<Vec<_>>(),
        vec![
            (BlockKind::Heading(2), "The problem"),
            (BlockKind::Paragraph, "Most terminals print logical order."),
            (BlockKind::ListItem, "Letters are not joined"),
            (BlockKind::ListItem, "Lines run the wrong way"),
        ],
        "XHTML content, read by the HTML reader"
    );
    let b = article_by_id(
        &lib,
        "english.atom#urn:uuid:7e1a9a3c-0000-4000-8000-000000000003",
    );
    assert_eq!(b.title, "A short note on fribidi", "an HTML title's text");
    assert_eq!(b.url.as_deref(), Some("https://notes.example.net/fribidi"));
    assert_eq!(
        texts(&b),
        vec!["It implements the Unicode bidirectional algorithm."]
    );
    assert_eq!(b.lang, Lang::En);
}

#[test]
fn rss1_rdf_in_an_xml_file() {
    assert_eq!(
        Format::from_path(Path::new("digest.xml")),
        Some(Format::Feed)
    );
    let lib = Library::open(&[fixture("digest.xml")]);
    assert!(lib.problems().is_empty(), "{:?}", lib.problems());
    assert_eq!(lib.len(), 1);
    let a = article_by_id(&lib, "digest.xml#https://digest.example.com/w24");
    assert_eq!(a.title, "ملخص الأسبوع الرابع والعشرين");
    assert_eq!(a.source.as_deref(), Some("الملخص الأسبوعي"));
    assert_eq!(a.byline.as_deref(), Some("فريق التحرير"));
    assert_eq!(a.tags, vec!["ملخص"]);
    assert_eq!(iso(&a), vec!["2024-06-16T12:00:00+03:00"]);
    assert_eq!(texts(&a), vec!["أهم أخبار الأسبوع في خمس دقائق."]);
}

#[test]
fn csv_and_tsv_rows_become_articles() {
    let lib = Library::open(&[fixture("dataset.csv"), fixture("listings.tsv")]);
    assert!(lib.problems().is_empty(), "{:?}", lib.problems());
    assert_eq!(lib.len(), 5);
    let a = article_by_id(&lib, "dataset.csv#1");
    assert_eq!(a.title, "انتخابات المجلس البلدي: النتائج الأولية");
    assert_eq!(
        texts(&a),
        vec![
            "أعلنت اللجنة النتائج الأولية مساء الأحد.",
            "وبلغت نسبة المشاركة 48 في المئة، بحسب اللجنة."
        ],
        "a quoted field with a blank line is two paragraphs"
    );
    assert_eq!(iso(&a), vec!["2024-06-16"]);
    assert_eq!(a.byline.as_deref(), Some("ليلى منصور"));
    assert_eq!(a.url.as_deref(), Some("https://data.example.org/a/1"));
    assert_eq!(a.source.as_deref(), Some("الصحيفة اليومية"));
    assert_eq!(a.tags, vec!["سياسة", "انتخابات"]);
    assert_eq!(a.lang, Lang::Ar);
    let b = article_by_id(&lib, "dataset.csv#2");
    assert_eq!(b.title, "Port reopens after storm, \"ahead of schedule\"");
    assert_eq!(iso(&b), vec!["2024-06-17T09:15:00+00:00"]);
    assert_eq!(b.lang, Lang::En);
    let c = article_by_id(&lib, "dataset.csv#3");
    assert_eq!(iso(&c), vec!["2024-06-17"], "dd/mm/yyyy");
    assert_eq!(c.byline, None, "an empty cell is no byline");
    let t = article_by_id(&lib, "listings.tsv#1");
    assert_eq!(t.title, "سوق الكتب المستعملة");
    assert_eq!(t.source.as_deref(), Some("دليل المدينة"));
    assert_eq!(texts(&t), vec!["يفتح السوق كل جمعة في الساحة القديمة."]);
    assert_eq!(article_by_id(&lib, "listings.tsv#2").lang, Lang::En);
}

#[test]
fn a_folder_of_feeds_datasets_and_a_cache_walks_like_any_other() {
    let lib = Library::open(&[fixture("")]);
    // 3 + 2 + 1 feed items, 3 + 2 rows, 5 cached items, 1 item of the truncated feed, 1 of the
    // billion laughs.
    assert_eq!(lib.len(), 18, "{:?}", lib.problems());
    let path_of = |name: &str| {
        lib.problems()
            .iter()
            .filter(|p| p.path.ends_with(name))
            .cloned()
            .collect::<Vec<_>>()
    };
    let settings = path_of("settings.xml");
    assert_eq!(settings.len(), 1);
    assert!(settings[0].unusable);
    assert_eq!(
        settings[0].message,
        "it is XML but not an RSS or Atom feed (its root element is <configuration>)"
    );
    for p in lib.problems() {
        assert_one_line(&p.to_string());
    }
    assert!(
        lib.position("newsboat/cache.db#news.example.org-2024-0613-1")
            .is_some()
    );
    assert!(lib.position("dataset.csv#3").is_some());
    for i in 0..lib.len() {
        let a = lib.article(i).unwrap();
        assert_clean_article(&a);
        let e = lib.entry(i);
        assert_eq!((&e.title, e.lang, &e.source), (&a.title, a.lang, &a.source));
        assert_eq!(e.unread, a.unread);
    }
}

#[test]
fn a_billion_laughs_stays_small() {
    let lib = Library::open(&[fixture("bad/billion_laughs.rss")]);
    assert_eq!(lib.len(), 1);
    let a = lib.article(0).unwrap();
    assert_eq!(
        a.title, "Laughs &lol9;",
        "the entity is kept as written, not expanded"
    );
    assert!(a.body_bytes() < 64, "{}", a.body_bytes());
    // Its item has no date, which is a warning of its own.
    let messages: Vec<String> = lib
        .problems()
        .iter()
        .map(ToString::to_string)
        .filter(|m| !m.ends_with("has no date."))
        .collect();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(messages[0].ends_with(
        "billion_laughs.rss: loaded: it declares entities in a document type; they are not expanded."
    ));
}

#[test]
fn a_truncated_feed_keeps_its_whole_items() {
    let lib = Library::open(&[fixture("bad/truncated.atom")]);
    assert_eq!(lib.len(), 1);
    assert_eq!(lib.entry(0).title, "Complete entry");
    let p = &lib.problems()[0];
    assert!(!p.unusable);
    assert_eq!(
        p.message,
        "it ends inside <content> (the file looks truncated); the items before are kept; the item it broke off in is left out"
    );
    assert_one_line(&p.to_string());
}

#[test]
fn a_50_mb_csv_field_is_cut_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.csv");
    let mut text = String::from("title,body\nBig,\"");
    let para = "كلمة عربية وأخرى, \"\"quoted\"\"\n\n";
    while text.len() < 50 * 1024 * 1024 {
        text.push_str(para);
    }
    text.push_str("\"\nSmall,after the big one\n");
    std::fs::write(&path, &text).unwrap();
    let lib = Library::open(&[path]);
    assert_eq!(lib.len(), 2);
    let p = &lib.problems()[0];
    assert!(!p.unusable);
    assert!(p.path.ends_with("huge.csv"));
    assert_eq!(
        p.message,
        "1 field(s) are longer than 4 MiB (the first in row 1); they were cut there"
    );
    let big = lib.article(0).unwrap();
    assert!(big.body_bytes() <= 4 * 1024 * 1024);
    assert!(big.body_bytes() > 3 * 1024 * 1024);
    assert_eq!(lib.article(1).unwrap().blocks[0].text, "after the big one");
}

/// Copies the newsboat fixture into a fresh folder (tests that lock or compare it work on their
/// own copy).
fn cache_copy() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.db");
    std::fs::copy(fixture("newsboat/cache.db"), &path).unwrap();
    (dir, path)
}

fn assert_fixture_cache(lib: &Library) {
    assert!(lib.problems().is_empty(), "{:?}", lib.problems());
    assert_eq!(lib.len(), 5);
    let a = article_by_id(lib, "cache.db#news.example.org-2024-0613-1");
    assert_eq!(a.title, "افتتاح مكتبة عامة جديدة في وسط المدينة");
    assert_eq!(
        a.source.as_deref(),
        Some("نشرة المدينة"),
        "the feed's title"
    );
    assert_eq!(a.byline.as_deref(), Some("سلمى حداد"));
    assert_eq!(
        a.url.as_deref(),
        Some("https://news.example.org/2024/06/library")
    );
    assert_eq!(
        iso(&a),
        vec!["2024-06-13T07:00:00+00:00"],
        "pubDate, in seconds"
    );
    assert_eq!(texts(&a).len(), 3, "the cached HTML as blocks");
    assert_eq!(a.blocks[2].kind, BlockKind::Quote);
    assert_eq!(a.unread, Some(true));
    assert_eq!((a.lang, a.direction), (Lang::Ar, Direction::Rtl));
    let f = article_by_id(
        lib,
        "cache.db#urn:uuid:7e1a9a3c-0000-4000-8000-000000000003",
    );
    assert_eq!(f.source.as_deref(), Some("Field Notes"));
    assert_eq!(f.unread, Some(false), "read in newsboat");
    let e = lib.entry(lib.position(&f.id).unwrap());
    assert_eq!(e.unread, Some(false), "the catalog carries the mark too");
    let unread = lib.entries().filter(|e| e.unread == Some(true)).count();
    assert_eq!(unread, 4);
}

#[test]
fn newsboat_cache_made_by_newsboat_loads() {
    let (_dir, path) = cache_copy();
    let before = std::fs::read(&path).unwrap();
    let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
    let lib = Library::open(std::slice::from_ref(&path));
    assert_fixture_cache(&lib);
    for i in 0..lib.len() {
        assert_clean_article(&lib.article(i).unwrap());
    }
    drop(lib);
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "not one byte changed"
    );
    assert_eq!(
        std::fs::metadata(&path).unwrap().modified().unwrap(),
        modified
    );
    let beside: Vec<_> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        beside,
        vec!["cache.db"],
        "no journal, WAL or lock file left beside it"
    );
}

#[test]
fn newsboat_cache_is_read_while_newsboat_holds_it_locked() {
    let (_dir, path) = cache_copy();
    let writer = rusqlite::Connection::open(&path).unwrap();
    // What newsboat holds while it writes: an exclusive lock. A reader that takes locks would
    // fail here with "database is locked".
    writer.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let lib = Library::open(std::slice::from_ref(&path));
    assert_fixture_cache(&lib);
    writer.execute_batch("ROLLBACK").unwrap();
}

#[test]
fn caches_that_are_not_newsboats_say_so_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let make = |sub: &str| {
        let d = dir.path().join(sub);
        std::fs::create_dir(&d).unwrap();
        d.join("cache.db")
    };
    // Another program's SQLite cache.
    let other = make("other");
    let conn = rusqlite::Connection::open(&other).unwrap();
    conn.execute_batch(
        "CREATE TABLE moz_places (id INTEGER, url TEXT); INSERT INTO moz_places VALUES (1, 'x');",
    )
    .unwrap();
    drop(conn);
    // newsboat's tables, but not its columns.
    let lookalike = make("lookalike");
    let conn = rusqlite::Connection::open(&lookalike).unwrap();
    conn.execute_batch("CREATE TABLE rss_feed (rssurl TEXT, title TEXT); CREATE TABLE rss_item (id INTEGER, title TEXT);")
        .unwrap();
    drop(conn);
    // Not SQLite at all.
    let text = make("text");
    std::fs::write(&text, "feeds=1\n").unwrap();
    // newsboat's cache with its pages past the first overwritten.
    let corrupt = make("corrupt");
    let mut bytes = std::fs::read(fixture("newsboat/cache.db")).unwrap();
    for (i, b) in bytes.iter_mut().enumerate().skip(4096) {
        *b = (i % 251) as u8;
    }
    std::fs::write(&corrupt, bytes).unwrap();
    // Cut short.
    let cut = make("cut");
    let bytes = std::fs::read(fixture("newsboat/cache.db")).unwrap();
    std::fs::write(&cut, &bytes[..bytes.len() / 3]).unwrap();

    let lib = Library::open(&[dir.path().to_path_buf()]);
    assert_eq!(lib.len(), 0);
    let message = |p: &Path| {
        let found: Vec<_> = lib
            .problems()
            .iter()
            .filter(|q| q.path == p.display().to_string())
            .collect();
        assert_eq!(found.len(), 1, "{:?}", lib.problems());
        assert!(found[0].unusable);
        assert_one_line(&found[0].to_string());
        found[0].message.clone()
    };
    assert_eq!(
        message(&other),
        "it is an SQLite database but not a newsboat cache (it has no rss_item and rss_feed tables)"
    );
    assert_eq!(
        message(&lookalike),
        "it is an SQLite database but not a newsboat cache (it lacks the columns rss_item.url, rss_item.feedurl, rss_item.pubDate, rss_item.content, rss_item.unread)"
    );
    assert_eq!(
        message(&text),
        "it is not an SQLite database, so not a newsboat cache"
    );
    assert!(
        message(&corrupt).starts_with("it is a damaged SQLite database ("),
        "{}",
        message(&corrupt)
    );
    assert!(
        message(&cut).starts_with("it is a damaged SQLite database ("),
        "{}",
        message(&cut)
    );
}

/// Runs newsboat itself on a feed of the fixtures and reads the cache it made. Newsboat must
/// be there when `QARI_REQUIRE_NEWSBOAT` is set (CI installs it); elsewhere the test says it
/// skipped.
#[test]
fn a_cache_newsboat_builds_now_loads() {
    let found = Command::new("newsboat").arg("--version").output();
    if found.is_err() {
        assert!(
            std::env::var_os("QARI_REQUIRE_NEWSBOAT").is_none(),
            "QARI_REQUIRE_NEWSBOAT is set but newsboat cannot be run"
        );
        eprintln!("skipped: newsboat is not installed (set QARI_REQUIRE_NEWSBOAT=1 to require it)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("arabic.rss");
    std::fs::copy(fixture("arabic.rss"), &feed).unwrap();
    let digest = dir.path().join("digest.xml");
    std::fs::copy(fixture("digest.xml"), &digest).unwrap();
    let urls = dir.path().join("urls");
    // One feed fetched as a file:// URL, one through an exec: command.
    std::fs::write(
        &urls,
        format!(
            "file://{}\n\"exec:cat {}\"\n",
            feed.display(),
            digest.display()
        ),
    )
    .unwrap();
    let config = dir.path().join("config");
    std::fs::write(&config, "").unwrap();
    let cache = dir.path().join("cache.db");
    let out = Command::new("newsboat")
        .arg("-u")
        .arg(&urls)
        .arg("-C")
        .arg(&config)
        .arg("-c")
        .arg(&cache)
        .args(["-x", "reload"])
        .env("HOME", dir.path())
        .env("XDG_CONFIG_HOME", dir.path())
        .env("XDG_DATA_HOME", dir.path())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "newsboat failed: {out:?}");
    let lib = Library::open(std::slice::from_ref(&cache));
    assert!(lib.problems().is_empty(), "{:?}", lib.problems());
    assert_eq!(lib.len(), 4);
    let a = article_by_id(&lib, "cache.db#news.example.org-2024-0613-1");
    assert_eq!(a.source.as_deref(), Some("نشرة المدينة"));
    assert_eq!(a.unread, Some(true));
    assert_eq!(texts(&a)[2], "«المكتبة للجميع»");
    let d = article_by_id(&lib, "cache.db#https://digest.example.com/w24");
    assert_eq!(d.source.as_deref(), Some("الملخص الأسبوعي"));
    assert_eq!(iso(&d), vec!["2024-06-16T09:00:00+00:00"]);
    // Marked read as newsboat marks it: qari shows it read on the next load.
    let conn = rusqlite::Connection::open(&cache).unwrap();
    conn.execute(
        "UPDATE rss_item SET unread = 0 WHERE guid = 'news.example.org-2024-0613-1'",
        [],
    )
    .unwrap();
    drop(conn);
    let lib = Library::open(std::slice::from_ref(&cache));
    let i = lib
        .position("cache.db#news.example.org-2024-0613-1")
        .unwrap();
    assert_eq!(lib.entry(i).unread, Some(false));
}

#[test]
fn the_cli_lists_and_checks_the_new_formats() {
    let out = assert_cmd::Command::cargo_bin("qari")
        .unwrap()
        .args(["check"])
        .arg(fixture(""))
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("18 articles loaded, 1 files unusable"),
        "{stdout}"
    );
    let lines: Vec<&str> = stderr.lines().collect();
    assert!(
        lines
            .iter()
            .any(|l| l.ends_with("settings.xml: skipped: it is XML but not an RSS or Atom feed (its root element is <configuration>).")),
        "{stderr}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("truncated.atom: loaded: it ends inside <content>")),
        "{stderr}"
    );
}

/// Pieces of feeds, well and badly formed.
fn feed_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("<rss version=\"2.0\">".to_owned()),
        Just("<channel>".to_owned()),
        Just("<item>".to_owned()),
        Just("</item>".to_owned()),
        Just("<entry>".to_owned()),
        Just("</entry>".to_owned()),
        Just("<feed xmlns=\"http://www.w3.org/2005/Atom\">".to_owned()),
        Just("<title>".to_owned()),
        Just("</title>".to_owned()),
        Just("<content type=\"xhtml\"><div>".to_owned()),
        Just("</div></content>".to_owned()),
        Just("<description><![CDATA[<p>x</p>".to_owned()),
        Just("]]></description>".to_owned()),
        Just("<link href=\"https://x.test/\"/>".to_owned()),
        Just("<!DOCTYPE rss [<!ENTITY a \"&b;&b;\">]>".to_owned()),
        Just("&amp;&lt;&#x1b;&#27;&#0;&a;&".to_owned()),
        Just("<![CDATA[".to_owned()),
        Just("<?xml version=\"1.0\"?>".to_owned()),
        "[\\PC\\x00-\\x1f\\x7f\\u{80}-\\u{9f}<>&;\"']{0,16}",
    ]
}

fn csv_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("title,body,date,tags\n".to_owned()),
        Just(",".to_owned()),
        Just("\t".to_owned()),
        Just("\"".to_owned()),
        Just("\"\"".to_owned()),
        Just("\n".to_owned()),
        Just("\r\n".to_owned()),
        Just("<p>html</p>".to_owned()),
        Just("\u{1b}[2J".to_owned()),
        "[\\PC\\x00-\\x1f\\x7f\\u{80}-\\u{9f},\"]{0,12}",
    ]
}

fn check_outcome(result: Result<article::Loaded, impl std::fmt::Display>) {
    match result {
        Ok(loaded) => {
            assert!(!loaded.articles.is_empty());
            for a in &loaded.articles {
                assert_clean_article(a);
            }
            for w in &loaded.warnings {
                assert_one_line(w);
            }
        }
        Err(e) => assert_one_line(&e.to_string()),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn feeds_never_panic_nor_leak_controls(pieces in proptest::collection::vec(feed_piece(), 0..40)) {
        let text = pieces.concat();
        check_outcome(article::parse(text.as_bytes(), Format::Feed, "f.rss"));
    }

    #[test]
    fn csv_and_tsv_never_panic_nor_leak_controls(pieces in proptest::collection::vec(csv_piece(), 0..60)) {
        let text = pieces.concat();
        check_outcome(article::parse(text.as_bytes(), Format::Csv, "d.csv"));
        check_outcome(article::parse(text.as_bytes(), Format::Tsv, "d.tsv"));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn damaged_newsboat_caches_never_panic(
        changes in proptest::collection::vec((0usize..53_248, any::<u8>()), 1..24)
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.db");
        let mut bytes = std::fs::read(fixture("newsboat/cache.db")).unwrap();
        let len = bytes.len();
        for (at, b) in changes {
            bytes[at % len] = b;
        }
        std::fs::write(&path, &bytes).unwrap();
        check_outcome(library::read_cache(&path, "cache.db"));
    }
}

/// A FIFO put where a cache was is refused at once, never waited on.
#[cfg(unix)]
#[test]
fn a_fifo_in_place_of_a_cache_is_refused_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.db");
    let made = Command::new("mkfifo").arg(&path).status().unwrap();
    assert!(made.success());
    let err = library::read_cache(&path, "cache.db").unwrap_err();
    let message = err.to_string();
    assert!(message.contains("not a regular file"), "{message}");
    assert_one_line(&message);
}

/// The reader starts from newsboat's marks: what was read there is read here, and what qari
/// remembers of an article wins over them.
#[test]
fn the_reader_starts_from_newsboats_read_marks() {
    use qari::app::App;
    use qari::config::Config;
    use qari::layout::Options;
    use qari::store::Shelf as Store;
    let (_dir, path) = cache_copy();
    let lib = std::sync::Arc::new(Library::open(std::slice::from_ref(&path)));
    let read_there = "cache.db#urn:uuid:7e1a9a3c-0000-4000-8000-000000000003";
    let unread_there = "cache.db#news.example.org-2024-0613-1";
    let app = App::new(
        std::sync::Arc::clone(&lib),
        &Config::default(),
        Store::in_memory(),
        Options::default(),
    );
    assert_eq!(app.unread_count(), 4, "5 items, 1 read in newsboat");
    assert!(app.state_of(read_there).read);
    assert!(!app.state_of(unread_there).read);

    // Remembered in qari: bookmarked there without being read, and read here.
    let mut store = Store::in_memory();
    let identity = |id: &str| lib.entry(lib.position(id).unwrap()).identity.clone();
    store.update(&identity(read_there), |s| s.bookmark = true);
    store.update(&identity(unread_there), |s| s.read = true);
    let app = App::new(lib, &Config::default(), store, Options::default());
    assert_eq!(app.unread_count(), 4, "marks made in qari win");
    assert!(!app.state_of(read_there).read);
    assert!(app.state_of(unread_there).read);
}
