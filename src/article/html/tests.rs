use super::dom::MAX_NODES;
use super::meta::{clean_byline, decode_inline, host_name, strip_site_name};
use super::*;

fn blocks(raw: &RawArticle) -> Vec<(BlockKind, &str)> {
    raw.blocks
        .iter()
        .map(|b| (b.kind, b.text.as_str()))
        .collect()
}

#[test]
fn saved_page() {
    let html = r#"<!doctype html><html lang="ar"><head><title>Site | T</title>
<meta property="og:title" content="عنوان &amp; خبر">
<meta property="article:published_time" content="2017-11-16T10:00:00+03:00">
<meta name="author" content="بريت">
<script>var x = "<p>not text</p>";</script><style>p{}</style></head>
<body><nav><p>menu</p></nav><article><h1>عنوان &amp; خبر</h1>
<p>فقرة &laquo;أولى&raquo; &#1604; وهي فقرة طويلة بما يكفي لتكون نص المقال كله هنا.</p><blockquote><p>قول</p></blockquote>
<ul><li>بند</li></ul></article><footer><p>copyright</p></footer></body></html>"#;
    let raw = parse(html);
    assert_eq!(raw.title.as_deref(), Some("عنوان & خبر"));
    assert_eq!(raw.dates, vec!["2017-11-16T10:00:00+03:00"]);
    assert_eq!(raw.byline.as_deref(), Some("بريت"));
    assert_eq!(raw.lang.as_deref(), Some("ar"));
    assert_eq!(
        blocks(&raw),
        vec![
            (
                BlockKind::Paragraph,
                "فقرة «أولى» ل وهي فقرة طويلة بما يكفي لتكون نص المقال كله هنا."
            ),
            (BlockKind::Quote, "قول"),
            (BlockKind::ListItem, "بند"),
        ]
    );
}

#[test]
fn page_without_article_uses_title_tag_and_time() {
    let html = "<html><head><title>Plain page</title></head><body><p>One</p><div>Two<br>lines</div><p><time datetime=\"2025-01-07\">Jan 7</time></p></body></html>";
    let raw = parse(html);
    assert_eq!(raw.title.as_deref(), Some("Plain page"));
    assert_eq!(raw.dates, vec!["2025-01-07"]);
    assert_eq!(raw.blocks[0].text, "One");
    assert_eq!(raw.blocks[1].text, "Two\nlines");
    assert_eq!(
        raw.blocks.len(),
        2,
        "the date is not repeated: {:?}",
        raw.blocks
    );
}

#[test]
fn broken_markup_does_not_panic() {
    let raw = parse("<p>unclosed <b>bold <article><p>x</article></div></div>&bogus; <");
    assert!(!raw.blocks.is_empty());
}

#[test]
fn site_names_are_cut_from_titles() {
    assert_eq!(
        strip_site_name("Lorem ipsum – My website", Some("My website"), None),
        "Lorem ipsum"
    );
    assert_eq!(
        strip_site_name("My website | Lorem ipsum", Some("my website"), None),
        "Lorem ipsum"
    );
    assert_eq!(
        strip_site_name("Lorem - ipsum - News", None, Some("Lorem - ipsum")),
        "Lorem - ipsum"
    );
    assert_eq!(
        strip_site_name("عنوان الخبر | الجزيرة نت", Some("الجزيرة نت"), None),
        "عنوان الخبر"
    );
    assert_eq!(
        strip_site_name(
            "Lorem ipsum | My Website",
            host_name("https://www.mywebsite.com/a/b"),
            None
        ),
        "Lorem ipsum"
    );
    assert_eq!(host_name("https://news.example.co.uk/x"), Some("example"));
    assert_eq!(
        strip_site_name("Left - right", Some("Other"), None),
        "Left - right",
        "nothing to cut"
    );
}

#[test]
fn teasers_marked_as_articles_are_not_the_article() {
    let teaser = "<article class=\"card\"><h3><a href=\"/x\">Another story with a long headline for the card</a></h3><p>A teaser of the other story, one line of it, and a half, long enough to pass for an article of its own when alone, with more words after that, and more again, until it is long.</p></article>";
    let html = format!(
        "<html><body><div class=\"story-body\"><h1>Main</h1><p>The main story's first paragraph, with enough text, commas, and words to score.</p><p>Its second paragraph, also long enough to be taken for the article's text.</p><p>A third, to be sure the story outweighs every teaser on the page.</p><p>And a fourth paragraph of the main story, which goes on for a while, as stories do.</p><p>A fifth one closes it, with a last quote from a witness, and a date.</p></div><div class=\"related-stories\">{teaser}{teaser}</div></body></html>"
    );
    let raw = parse(&html);
    assert_eq!(raw.title.as_deref(), Some("Main"));
    assert_eq!(raw.blocks.len(), 5, "{:?}", raw.blocks);
    assert!(
        raw.blocks.iter().all(|b| !b.text.contains("other story")),
        "{:?}",
        raw.blocks
    );
}

#[test]
fn json_ld_references_by_id() {
    let html = r#"<script type="application/ld+json">{"@context":"https://schema.org","@graph":[{"@type":"Article","@id":"https://s.example/a/#article","headline":"Headline","author":{"@id":"https://s.example/#/schema/person/1"},"publisher":{"@id":"https://s.example/#organization"},"datePublished":"2024-06-13T09:00:00+00:00"},{"@type":"Organization","@id":"https://s.example/#organization","name":"موقع المثال"},{"@type":"Person","@id":"https://s.example/#/schema/person/1","name":"ليلى حسن"}]}</script><article><p>نص المقال بما يكفي من الكلمات ليكون فقرة، وفيه فاصلة أيضا.</p></article>"#;
    let raw = parse(html);
    assert_eq!(raw.title.as_deref(), Some("Headline"));
    assert_eq!(raw.byline.as_deref(), Some("ليلى حسن"));
    assert_eq!(raw.source.as_deref(), Some("موقع المثال"));
}

#[test]
fn byline_labels() {
    assert_eq!(clean_byline("Text by \n   NEWS WIRES"), "NEWS WIRES");
    assert_eq!(clean_byline("بقلم: سامي الطرابلسي |"), "سامي الطرابلسي");
    assert_eq!(clean_byline("By Jane Doe,"), "Jane Doe");
    assert_eq!(clean_byline("Bystander Weekly"), "Bystander Weekly");
}

#[test]
fn site_name_from_the_home_link() {
    let raw = parse(
        r#"<title>عنوان الخبر - جريدة المثال</title><a href="/"><img src="l.png" alt="جريدة المثال"></a><div><p>نص الخبر الطويل بما يكفي ليكون فقرة من المقال، وفيه فاصلة.</p></div>"#,
    );
    assert_eq!(raw.title.as_deref(), Some("عنوان الخبر"));
}

#[test]
fn json_ld_graph_and_authors() {
    let html = r#"<html><head><script type="application/ld+json">{"@context":"https://schema.org","@graph":[{"@type":"WebSite","name":"S"},{"@type":["NewsArticle"],"headline":"H &amp; h","datePublished":"2024-06-13T10:00:00Z","author":[{"@type":"Person","name":"A One"},{"name":"B Two"}],"publisher":{"@type":"Organization","name":"Pub"},"mainEntityOfPage":{"@id":"https://x.example/a"},"keywords":["k1","k2"]}]}</script></head><body><p>Body text that is long enough to count as a paragraph of the article.</p></body></html>"#;
    let raw = parse(html);
    assert_eq!(raw.title.as_deref(), Some("H & h"));
    assert_eq!(raw.dates, vec!["2024-06-13T10:00:00Z"]);
    assert_eq!(raw.byline.as_deref(), Some("A One, B Two"));
    assert_eq!(raw.source.as_deref(), Some("Pub"));
    assert_eq!(raw.url.as_deref(), Some("https://x.example/a"));
    assert_eq!(raw.tags, vec!["k1", "k2"]);
}

#[test]
fn an_unreadable_meta_date_gives_way_to_the_time_element() {
    let raw = parse(
        r#"<meta name="date" content="yesterday"><article><p><time datetime="2024-06-13T10:00:00Z">13 June</time></p><p>Body text of the article, long enough to be read.</p></article>"#,
    );
    assert_eq!(raw.dates, vec!["2024-06-13T10:00:00Z", "yesterday"]);
}

#[test]
fn figures_and_images_are_placeholders() {
    let html = r#"<article><p>Before the picture, a paragraph of the article text.</p>
<figure><img src="a.jpg" alt="A crowd in the square"><figcaption>Protesters on Friday. Photo: AP</figcaption></figure>
<p>After it.</p><img src="b.jpg" alt="صورة المطار"><img src="pixel.gif" alt=""></article>"#;
    let raw = parse(html);
    assert_eq!(
        blocks(&raw),
        vec![
            (
                BlockKind::Paragraph,
                "Before the picture, a paragraph of the article text."
            ),
            (
                BlockKind::Figure,
                "▣ A crowd in the square — Protesters on Friday. Photo: AP"
            ),
            (BlockKind::Paragraph, "After it."),
            (BlockKind::Figure, "▣ صورة المطار"),
        ]
    );
}

#[test]
fn direction_from_dir_attributes() {
    let raw = parse("<html dir=\"rtl\"><body><p>نص</p></body></html>");
    assert_eq!(raw.dir, Some(Direction::Rtl));
    let raw = parse(
        "<html dir=\"rtl\" lang=\"ar\"><body><article dir=\"ltr\" lang=\"en\"><p>An English article on an Arabic site, long enough.</p><p>More English text follows here.</p><p>And a third paragraph to be sure.</p></article></body></html>",
    );
    assert_eq!(raw.dir, Some(Direction::Ltr));
    assert_eq!(raw.lang.as_deref(), Some("en"));
}

#[test]
fn hostile_nesting_is_bounded() {
    let deep = "<div>".repeat(100_000) + "text" + &"</div>".repeat(100_000);
    let raw = parse(&deep);
    assert_eq!(raw.blocks.len(), 1);
    let many = "<p>x</p>".repeat(MAX_NODES);
    let raw = parse(&many);
    assert!(
        raw.notes[0].contains("the rest of the page was not read"),
        "{:?}",
        raw.notes
    );
}

#[test]
fn fragments_and_inline_text() {
    let mut raw = RawArticle::default();
    fragment_blocks(
        "<p>First &amp; one.</p><p>Second<br/>line</p><ul><li>item</li></ul><script>x()</script>",
        &mut raw,
    );
    assert_eq!(
        blocks(&raw),
        vec![
            (BlockKind::Paragraph, "First & one."),
            (BlockKind::Paragraph, "Second\nline"),
            (BlockKind::ListItem, "item"),
        ]
    );
    assert_eq!(decode_inline("It&#8217;s <em>here</em>"), "It’s here");
    assert!(looks_like_html("<p>x</p>"));
    assert!(!looks_like_html("a < b and c > d"));
}

#[test]
fn junk_inside_the_article_is_left_out() {
    let html = r##"<html><body><article>
<nav aria-label="breadcrumb"><a href="/">Home</a> › <a href="/world">World</a></nav>
<header><h1>Flights resume</h1><p class="byline">By <a rel="author" href="/a">Sam Lee</a>, <time datetime="2025-01-07">7 January 2025</time></p></header>
<ul class="social-share"><li><a href="#">Share on X</a></li><li><a href="#">Email</a></li></ul>
<p>International flights resumed from the airport on Tuesday, for the first time in weeks.</p>
<div class="ad-slot"><p>Advertisement: buy our newspaper, best prices in town, every day.</p></div>
<p>The first plane left for Doha, carrying passengers who had waited since the autumn.</p>
<aside class="related"><h2>Read more</h2><p>Another story about airports and planes and delays.</p></aside>
<section id="comments"><h2>Comments</h2><p>Great article, thank you for writing it, very informative.</p></section>
<div style="display: none"><p>Hidden text that no reader sees on the page.</p></div>
</article></body></html>"##;
    let raw = parse(html);
    assert_eq!(raw.title.as_deref(), Some("Flights resume"));
    assert_eq!(raw.byline.as_deref(), Some("Sam Lee"));
    assert_eq!(raw.dates, vec!["2025-01-07"]);
    assert_eq!(
        blocks(&raw),
        vec![
            (
                BlockKind::Paragraph,
                "International flights resumed from the airport on Tuesday, for the first time in weeks."
            ),
            (
                BlockKind::Paragraph,
                "The first plane left for Doha, carrying passengers who had waited since the autumn."
            ),
        ]
    );
}

#[test]
fn links_and_inline_styles_are_kept_with_the_page_address() {
    let html = r#"<html><head><link rel="canonical" href="https://paper.example/world/story">
<meta property="og:url" content="https://paper.example/world/story"></head><body><article>
<p>The <b>talks</b>, said <a href="/people/jane">Jane <i>Doe</i></a>, went on; see
<a href="javascript:alert(1)">this</a> and <code>x = 1</code>. Reported so far by
<a href="https://cnn.com/x">CNN</a> <a href="../bbc">BBC News</a> and more words for a paragraph.</p>
</article></body></html>"#;
    let a = &crate::article::parse(html.as_bytes(), crate::article::Format::Html, "x.html")
        .unwrap()
        .articles[0];
    let b = &a.blocks[0];
    assert!(
        b.text.contains("so far by CNN · BBC News and more"),
        "{}",
        b.text
    );
    let shown = b.marked();
    assert_eq!(
        shown,
        [
            ("talks", Style::Strong),
            ("Jane Doe", Style::Link(0)),
            ("Doe", Style::Emphasis),
            ("x = 1", Style::Code),
            ("CNN", Style::Link(1)),
            ("BBC News", Style::Link(2)),
        ]
    );
    let targets: Vec<&str> = a.links.iter().map(|l| l.target.as_str()).collect();
    assert_eq!(
        targets,
        [
            "https://paper.example/people/jane",
            "https://cnn.com/x",
            "https://paper.example/bbc"
        ]
    );
    assert_eq!(a.links[0].text, "Jane Doe");
}

#[test]
fn ordered_lists_keep_their_numbers_and_nested_lists_their_depth() {
    let mut raw = RawArticle::default();
    fragment_blocks(
        "<ol start=\"7\"><li>seventh<ul><li>inner</li></ul></li><li>eighth</li></ol><ul><li>dot</li></ul>",
        &mut raw,
    );
    let items: Vec<(&str, Option<Item>)> = raw
        .blocks
        .iter()
        .map(|b| (b.text.as_str(), b.item))
        .collect();
    let item = |depth, number| Some(Item { depth, number });
    assert_eq!(
        items,
        [
            ("seventh", item(1, Some(7))),
            ("inner", item(2, None)),
            ("eighth", item(1, Some(8))),
            ("dot", item(1, None)),
        ]
    );
}

#[test]
fn data_tables_become_labelled_rows_and_layout_tables_stay_text() {
    let mut raw = RawArticle::default();
    fragment_blocks(
        "<table><thead><tr><th>المدينة</th><th>Population</th></tr></thead>\
         <tr><td>بغداد</td><td>7,000,000</td></tr><tr><td>Basra</td><td>2.5 m</td></tr></table>",
        &mut raw,
    );
    assert_eq!(
        blocks(&raw),
        [
            (
                BlockKind::Paragraph,
                "المدينة: بغداد\nPopulation: 7,000,000"
            ),
            (BlockKind::Paragraph, "المدينة: Basra\nPopulation: 2.5 m"),
        ]
    );
    // A table that lays out a page (a long cell) is read as text, cell by cell.
    let long = "word ".repeat(100);
    let mut raw = RawArticle::default();
    fragment_blocks(
        &format!("<table><tr><td>{long}</td></tr><tr><td>next</td></tr></table>"),
        &mut raw,
    );
    assert_eq!(raw.blocks.len(), 2);
    assert_eq!(raw.blocks[1].text, "next");
}
