use super::*;

fn parsed(xml: &str) -> (Vec<RawArticle>, Vec<String>) {
    let mut w = Vec::new();
    let raws = parse(xml, &mut w).unwrap();
    (raws, w)
}

#[test]
fn rss2_items_with_content_and_dublin_core() {
    let (raws, w) = parsed(
        r#"<?xml version="1.0"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel><title>الجزيرة</title><language>ar</language><image><title>logo</title></image>
<item><title>خبر &amp; تعليق</title><link>https://x.test/1</link><guid isPermaLink="false">g-1</guid>
<pubDate>Thu, 13 Jun 2024 10:00:00 +0300</pubDate><dc:creator>كاتب</dc:creator>
<category>سياسة</category><category>اقتصاد</category>
<description>short</description>
<content:encoded><![CDATA[<p>فقرة أولى</p><p>فقرة &laquo;ثانية&raquo;</p>]]></content:encoded></item>
<item><title>Plain</title><description>&lt;p&gt;escaped &amp;nbsp;html&lt;/p&gt;</description></item>
</channel></rss>"#,
    );
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(raws.len(), 2);
    let a = &raws[0];
    assert_eq!(a.title.as_deref(), Some("خبر & تعليق"));
    assert_eq!(a.url.as_deref(), Some("https://x.test/1"));
    assert_eq!(a.key.as_deref(), Some("g-1"));
    assert_eq!(a.dates, vec!["Thu, 13 Jun 2024 10:00:00 +0300"]);
    assert_eq!(a.byline.as_deref(), Some("كاتب"));
    assert_eq!(a.tags, vec!["سياسة", "اقتصاد"]);
    assert_eq!(a.source.as_deref(), Some("الجزيرة"));
    assert_eq!(a.lang, None, "the channel's language is not the item's");
    let texts: Vec<_> = a.blocks.iter().map(|b| b.text.as_str()).collect();
    assert_eq!(texts, vec!["فقرة أولى", "فقرة «ثانية»"]);
    assert_eq!(
        raws[1].blocks[0].text, "escaped \u{a0}html",
        "&nbsp; decoded by the HTML reader (a no-break space, as a browser keeps it)"
    );
    assert_eq!(raws[1].key, None, "no guid and no link");
}

#[test]
fn atom_entries() {
    let (raws, _) = parsed(
        r#"<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en"><title>Blog</title>
<entry><title type="html">A &lt;em&gt;bold&lt;/em&gt; claim</title><id>tag:x,2024:1</id>
<link rel="self" href="https://x.test/self"/><link rel="alternate" href="https://x.test/a"/>
<updated>2024-06-14T00:00:00Z</updated><published>2024-06-13T08:00:00Z</published>
<author><name>Ann</name><email>a@x</email></author><category term="t1"/>
<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>One</p><p>Two &amp; three</p></div></content>
</entry></feed>"#,
    );
    let a = &raws[0];
    assert_eq!(a.title.as_deref(), Some("A bold claim"));
    assert_eq!(a.key.as_deref(), Some("tag:x,2024:1"));
    assert_eq!(a.url.as_deref(), Some("https://x.test/a"));
    assert_eq!(
        a.dates,
        vec!["2024-06-13T08:00:00Z", "2024-06-14T00:00:00Z"]
    );
    assert_eq!(a.byline.as_deref(), Some("Ann"));
    assert_eq!(a.tags, vec!["t1"]);
    assert_eq!(a.source.as_deref(), Some("Blog"));
    let texts: Vec<_> = a.blocks.iter().map(|b| b.text.as_str()).collect();
    assert_eq!(texts, vec!["One", "Two & three"]);
}

#[test]
fn other_namespaces_do_not_give_fields() {
    let (raws, _) = parsed(
        r#"<rss xmlns:media="http://search.yahoo.com/mrss/" xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>F</title>
<item><media:title>Wrong</media:title><title>Right</title><atom:link rel="self" href="https://x.test/self"/>
<source url="https://other.test/feed"><title>Not this</title></source>
<atom:link href="https://x.test/a"/><atom:updated>2024-06-13T08:00:00Z</atom:updated></item></channel></rss>"#,
    );
    assert_eq!(raws[0].title.as_deref(), Some("Right"));
    assert_eq!(raws[0].url.as_deref(), Some("https://x.test/a"));
    assert_eq!(raws[0].dates, vec!["2024-06-13T08:00:00Z"]);
    assert_eq!(raws[0].source.as_deref(), Some("F"));
}

#[test]
fn rss1_rdf_items() {
    let (raws, _) = parsed(
        r#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="https://x.test/"><title>RDF feed</title></channel>
<item rdf:about="https://x.test/i1"><title>I1</title><link>https://x.test/i1</link><dc:date>2024-06-13</dc:date><dc:subject>s</dc:subject><description>Body one.</description></item>
</rdf:RDF>"#,
    );
    assert_eq!(raws[0].source.as_deref(), Some("RDF feed"));
    assert_eq!(raws[0].key.as_deref(), Some("https://x.test/i1"));
    assert_eq!(raws[0].dates, vec!["2024-06-13"]);
    assert_eq!(raws[0].tags, vec!["s"]);
    assert_eq!(raws[0].blocks[0].text, "Body one.");
}

#[test]
fn not_a_feed_and_broken_feeds() {
    let mut w = Vec::new();
    let err = parse("<?xml version='1.0'?><config><a/></config>", &mut w).unwrap_err();
    assert_eq!(
        err,
        ArticleError::Malformed(
            "it is XML but not an RSS or Atom feed (its root element is <config>)".into()
        )
    );
    let err = parse("<rss><channel><item><title>x</title>", &mut w).unwrap_err();
    assert!(
        matches!(&err, ArticleError::Malformed(m) if m.contains("truncated")),
        "{err:?}"
    );
    let mut w = Vec::new();
    let raws = parse(
        "<rss><channel><item><title>kept</title></item><item><title>lost</ti",
        &mut w,
    )
    .unwrap();
    assert_eq!(raws.len(), 1);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].contains("left out"), "{w:?}");
    let err = parse("<rss><channel></wrong></rss>", &mut w).unwrap_err();
    assert!(
        matches!(&err, ArticleError::Malformed(m) if m.starts_with("it is not well-formed XML")),
        "{err:?}"
    );
}

#[test]
fn entities_are_never_expanded() {
    use std::fmt::Write as _;
    let mut doc = String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE rss [\n<!ENTITY lol \"lol\">\n");
    for i in 1..10 {
        let prev = if i == 1 {
            "lol".to_owned()
        } else {
            format!("lol{}", i - 1)
        };
        let body = format!("&{prev};").repeat(10);
        writeln!(doc, "<!ENTITY lol{i} \"{body}\">").unwrap();
    }
    doc.push_str("]>\n<rss><channel><title>&lol9;</title><item><title>t &lol9;</title><description>&lol9;</description></item></channel></rss>");
    let mut w = Vec::new();
    let raws = parse(&doc, &mut w).unwrap();
    assert_eq!(raws[0].title.as_deref(), Some("t &lol9;"));
    assert_eq!(raws[0].source.as_deref(), Some("&lol9;"));
    assert!(raws[0].blocks.iter().map(|b| b.text.len()).sum::<usize>() < 16);
    assert_eq!(
        w,
        vec!["it declares entities in a document type; they are not expanded"]
    );
}

#[test]
fn deep_nesting_and_huge_fields_are_capped() {
    let deep = format!(
        "<rss><channel><item><title>ok</title></item><item>{}",
        "<x>".repeat(MAX_DEPTH + 10)
    );
    let mut w = Vec::new();
    let raws = parse(&deep, &mut w).unwrap();
    assert_eq!(raws.len(), 1);
    assert!(w[0].contains("nest deeper than 256"), "{w:?}");
    let big = format!(
        "<rss><channel><item><title>big</title><description>{}</description></item></channel></rss>",
        "word ".repeat(MAX_FIELD_BYTES / 4)
    );
    let mut w = Vec::new();
    let raws = parse(&big, &mut w).unwrap();
    let kept: usize = raws[0].blocks.iter().map(|b| b.text.len()).sum();
    assert!(kept <= MAX_FIELD_BYTES, "{kept}");
    assert_eq!(w, vec!["a field is longer than 4 MiB; it was cut there"]);
}

#[test]
fn links_in_an_items_content_resolve_against_its_address() {
    let xml = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>S</title>
<item><title>T</title><link>https://x.test/news/1</link>
<description><![CDATA[<p>The story goes on in a second part, which you can read in <a href="2">the next one</a>, <a href="mailto:desk@x.test">write</a> or <a href="file:///etc/passwd">this</a>.</p>]]></description></item>
</channel></rss>"#;
    let articles = crate::article::parse(xml.as_bytes(), crate::article::Format::Feed, "f.xml")
        .unwrap()
        .articles;
    let a = &articles[0];
    let links = a.link_pairs();
    assert_eq!(
        links,
        [
            ("the next one", "https://x.test/news/2"),
            ("write", "mailto:desk@x.test")
        ]
    );
    assert_eq!(a.blocks[0].marks.len(), 2, "the file: link is text only");
}
