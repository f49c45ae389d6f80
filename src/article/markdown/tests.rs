use super::*;

#[test]
fn indentation_alone_is_no_nesting() {
    let verse = format!("# Poem\n\n{}a line set far in\n", " ".repeat(200));
    assert_eq!(markdown_depth(&verse), 0);
    let list = format!("- a\n{}- b\n", " ".repeat(4));
    assert_eq!(
        markdown_depth(&list),
        3,
        "one marker, then two levels of indent"
    );
}

#[test]
fn yaml_front_matter_and_blocks() {
    let md = "---\ntitle: عنوان\ndate: 2017-11-16\nauthor: Jane Doe\nlang: ar\ntags: [news, iraq]\nsource: Asharq\n---\n\n# Heading\n\nA *para* with a [link](http://x.y).\n\n> quoted\n\n- one\n- two\n";
    let mut w = Vec::new();
    let raw = parse_document(md, &mut w);
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(raw.title.as_deref(), Some("عنوان"));
    assert_eq!(raw.dates, vec!["2017-11-16"]);
    assert_eq!(raw.byline.as_deref(), Some("Jane Doe"));
    assert_eq!(raw.lang.as_deref(), Some("ar"));
    assert_eq!(raw.tags, vec!["news", "iraq"]);
    assert_eq!(raw.source.as_deref(), Some("Asharq"));
    let kinds: Vec<_> = raw.blocks.iter().map(|b| b.kind).collect();
    assert_eq!(
        kinds,
        vec![
            BlockKind::Heading(1),
            BlockKind::Paragraph,
            BlockKind::Quote,
            BlockKind::ListItem,
            BlockKind::ListItem
        ]
    );
    assert_eq!(raw.blocks[1].text, "A para with a link.");
}

#[test]
fn links_emphasis_and_code_are_marked() {
    let md = "---\nurl: https://site.example/a/post\n---\n\nSee **the [report](../report.pdf)** and `code` or [bad](javascript:alert(1)), *[CNN](https://cnn.com)* [BBC News](https://bbc.co.uk).\n";
    let a = &crate::article::parse(md.as_bytes(), crate::article::Format::Markdown, "x.md")
        .unwrap()
        .articles[0];
    let b = &a.blocks[0];
    assert_eq!(b.text, "See the report and code or bad, CNN · BBC News.");
    let shown = b.marked();
    assert_eq!(
        shown,
        [
            ("the report", Style::Strong),
            ("report", Style::Link(0)),
            ("code", Style::Code),
            ("CNN", Style::Link(1)),
            ("CNN", Style::Emphasis),
            ("BBC News", Style::Link(2)),
        ]
    );
    let links = a.link_pairs();
    assert_eq!(
        links,
        [
            ("report", "https://site.example/report.pdf"),
            ("CNN", "https://cnn.com"),
            ("BBC News", "https://bbc.co.uk"),
        ]
    );
    assert_eq!(b.link_at(b.text.find("BBC").unwrap()), Some(2));
    assert_eq!(b.link_at(0), None);
}

#[test]
fn toml_front_matter() {
    let md = "+++\ntitle = \"T\"\ndate = \"2025-01-07\"\n+++\n\nBody.\n";
    let mut w = Vec::new();
    let raw = parse_document(md, &mut w);
    assert_eq!(raw.title.as_deref(), Some("T"));
    assert_eq!(raw.dates, vec!["2025-01-07"]);
    assert_eq!(raw.blocks.len(), 1);
}

#[test]
fn a_byline_line_repeating_the_front_matter_is_dropped() {
    let md = "---\ntitle: T\nauthor: Jane Doe\ndate: 16 November 2017\n---\n\n*By Jane Doe, 16 November 2017*\n\nThe body, which names Jane Doe again.\n";
    let mut w = Vec::new();
    let raw = parse_document(md, &mut w);
    assert_eq!(raw.blocks.len(), 1, "{:?}", raw.blocks);
    assert_eq!(raw.blocks[0].text, "The body, which names Jane Doe again.");
}

#[test]
fn unquoted_toml_dates() {
    let md = "+++\ntitle = \"T\"\ndate = 2024-03-16T10:00:00Z\n+++\n\nBody.\n";
    let mut w = Vec::new();
    let raw = parse_document(md, &mut w);
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(raw.dates, vec!["2024-03-16T10:00:00Z"]);
    let md = "+++\ndate = 2024-03-16\n+++\n\nBody.\n";
    assert_eq!(parse_document(md, &mut w).dates, vec!["2024-03-16"]);
}

#[test]
fn deep_or_huge_front_matter_is_refused_in_one_pass() {
    let mut w = Vec::new();
    let md = format!(
        "---\ntitle: {}\n---\n\n# Body title\n\nText.\n",
        "[".repeat(100_000)
    );
    let raw = parse_document(&md, &mut w);
    assert_eq!(
        w,
        ["its YAML front matter is nested deeper than 64 levels; it was not read"]
    );
    assert_eq!(raw.title.as_deref(), Some("Body title"));
    let mut nested = String::from("---\n");
    for i in 0..100 {
        nested.push_str(&" ".repeat(i * 2));
        nested.push_str("k:\n");
    }
    nested.push_str("---\n\nText.\n");
    w.clear();
    parse_document(&nested, &mut w);
    assert_eq!(
        w,
        ["its YAML front matter is nested deeper than 64 levels; it was not read"]
    );
    w.clear();
    let big = format!(
        "---\ntitle: x\nbody: \"{}\"\n---\n\nText.\n",
        "x".repeat(300_000)
    );
    parse_document(&big, &mut w);
    assert_eq!(
        w,
        ["its front matter is larger than 256 KiB; it was not read"]
    );
    // TOML's parser has its own depth limit: one line, quickly.
    w.clear();
    let toml = format!("+++\ntitle = {}\n+++\n\nText.\n", "[".repeat(100_000));
    parse_document(&toml, &mut w);
    assert_eq!(w.len(), 1);
    assert!(
        w[0].starts_with("its TOML front matter is malformed"),
        "{w:?}"
    );
    assert!(!w[0].contains('\n'));
    // Brackets in quotes and comments are text.
    w.clear();
    let quoted = format!(
        "---\ntitle: \"{}\" # {}\n---\n\nText.\n",
        "[".repeat(200),
        "{".repeat(200)
    );
    assert_eq!(
        parse_document(&quoted, &mut w).title.as_deref(),
        Some("[".repeat(200).as_str())
    );
    assert!(w.is_empty(), "{w:?}");
}

#[test]
fn deep_markdown_nesting_is_read_as_plain_text() {
    let mut md = String::new();
    for i in 1..3000 {
        md.push_str(&"- ".repeat(i));
        md.push_str("x\n");
    }
    let mut w = Vec::new();
    let raw = parse_document(&md, &mut w);
    assert!(
        raw.notes[0].contains("deeper than 64 levels"),
        "{:?}",
        raw.notes
    );
    assert_eq!(raw.blocks.len(), 1);
    let ok = "- a\n  - b\n    - c\n\n> > quoted\n";
    let raw = parse_document(ok, &mut w);
    assert!(raw.notes.is_empty());
    assert_eq!(raw.blocks.len(), 4);
    assert_eq!(markdown_depth(ok), 3);
}

#[test]
fn malformed_front_matter_is_reported_and_body_kept() {
    let md = "---\ntitle: [unclosed\n---\n\n# Real title\n\nBody.\n";
    let mut w = Vec::new();
    let raw = parse_document(md, &mut w);
    assert!(w[0].contains("YAML front matter is malformed"), "{w:?}");
    assert_eq!(raw.title.as_deref(), Some("Real title"));
    assert_eq!(raw.blocks.len(), 1);
}

#[test]
fn lists_keep_their_numbers_and_depth() {
    let md = "# T\n\n3. third\n4. fourth\n   - inner\n     1. deep\n5. fifth\n\n- bullet\n";
    let mut w = Vec::new();
    let raw = parse_document(md, &mut w);
    let items: Vec<(&str, Option<Item>)> = raw
        .blocks
        .iter()
        .map(|b| (b.text.as_str(), b.item))
        .collect();
    let item = |depth, number| Some(Item { depth, number });
    assert_eq!(
        items,
        [
            ("third", item(1, Some(3))),
            ("fourth", item(1, Some(4))),
            ("inner", item(2, None)),
            ("deep", item(3, Some(1))),
            ("fifth", item(1, Some(5))),
            ("bullet", item(1, None)),
        ]
    );
}

#[test]
fn images_are_placeholders_and_footnotes_numbered_notes_at_the_end() {
    let md = "# T\n\n![A map of the region](map.png)\n\nText with a note[^b] and another[^a].\n\n\
              [^a]: The second note.\n[^b]: The first *note*.\n\n![](x.png)\n\nLast paragraph.\n";
    let mut w = Vec::new();
    let raw = parse_document(md, &mut w);
    let blocks: Vec<(BlockKind, &str)> = raw
        .blocks
        .iter()
        .map(|b| (b.kind, b.text.as_str()))
        .collect();
    assert_eq!(
        blocks,
        [
            (BlockKind::Figure, "▣ A map of the region"),
            (BlockKind::Paragraph, "Text with a note[1] and another[2]."),
            (BlockKind::Figure, "▣ image"),
            (BlockKind::Paragraph, "Last paragraph."),
            (BlockKind::Paragraph, "[1] The first note."),
            (BlockKind::Paragraph, "[2] The second note."),
        ]
    );
    let note = &raw.blocks[4];
    let m = note.marks[0];
    assert_eq!(
        note.text.get(m.range()),
        Some("note"),
        "marks move with the number"
    );
}

#[test]
fn marks_survive_controls_in_the_text() {
    let md = "# T\n\nA \u{1b}[31m red [link](https://x.example) here.\n";
    let a = &crate::article::parse(md.as_bytes(), crate::article::Format::Markdown, "x.md")
        .unwrap()
        .articles[0];
    let b = &a.blocks[0];
    assert_eq!(b.text, "A ␛[31m red link here.");
    assert_eq!(b.text.get(b.marks[0].range()), Some("link"));
}

#[test]
fn tables_become_labelled_rows() {
    let md = "# T\n\n| City | Population |\n|---|---|\n| بغداد | 7,000,000 |\n| Basra | [2.5 m](https://x.example) |\n\nAfter.\n";
    let mut w = Vec::new();
    let raw = parse_document(md, &mut w);
    let texts: Vec<&str> = raw.blocks.iter().map(|b| b.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "City: بغداد\nPopulation: 7,000,000",
            "City: Basra\nPopulation: 2.5 m",
            "After."
        ]
    );
}
