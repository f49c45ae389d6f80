//! Markdown with YAML (`---`) or TOML (`+++`) front matter, through pulldown-cmark.

use pulldown_cmark::{Event, MetadataBlockKind, Options, Parser, Tag, TagEnd};

use super::{BlockKind, RawArticle, json};

/// Parses a whole Markdown document, front matter included.
pub(super) fn parse_document(text: &str, warnings: &mut Vec<String>) -> RawArticle {
    let mut raw = RawArticle::default();
    let meta = walk(text, &mut raw);
    if let Some((kind, src)) = meta {
        let parsed: Result<serde_json::Value, String> = match kind {
            MetadataBlockKind::YamlStyle => serde_yaml_ng::from_str::<serde_json::Value>(&src)
                .map_err(|e| format!("its YAML front matter is malformed ({e})")),
            MetadataBlockKind::PlusesStyle => toml::from_str::<toml::Table>(&src)
                .map_err(|e| format!("its TOML front matter is malformed ({})", e.message()))
                .map(|t| toml_to_json(toml::Value::Table(t))),
        };
        match parsed {
            Ok(serde_json::Value::Object(map)) => {
                let fm = json::raw_from_fields(&map);
                raw.title = fm.title.or(raw.title);
                raw.dates = fm.dates;
                raw.byline = fm.byline;
                raw.lang = fm.lang;
                raw.source = fm.source;
                raw.url = fm.url;
                raw.tags = fm.tags;
            }
            Ok(_) => warnings.push("its front matter is not a table of fields".to_owned()),
            Err(e) => warnings.push(e),
        }
    }
    // Without a title in the front matter, a leading level-1 heading is the title.
    if raw.title.is_none()
        && let Some(first) = raw.blocks.first()
        && first.kind == BlockKind::Heading(1)
    {
        raw.title = Some(raw.blocks.remove(0).text);
    }
    raw
}

/// A TOML value as JSON; dates and times (unquoted in TOML) become their text.
fn toml_to_json(v: toml::Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        toml::Value::String(s) => J::String(s),
        toml::Value::Integer(i) => J::from(i),
        toml::Value::Float(f) => J::from(f),
        toml::Value::Boolean(b) => J::Bool(b),
        toml::Value::Datetime(d) => J::String(d.to_string()),
        toml::Value::Array(a) => J::Array(a.into_iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => {
            J::Object(t.into_iter().map(|(k, v)| (k, toml_to_json(v))).collect())
        }
    }
}

/// Parses a Markdown body into `raw`'s blocks (front matter is not looked for).
pub(super) fn parse_body(text: &str, raw: &mut RawArticle) {
    walk(text, raw);
}

/// Walks the events, pushing blocks into `raw`; returns the front matter's kind and text.
fn walk(text: &str, raw: &mut RawArticle) -> Option<(MetadataBlockKind, String)> {
    let opts = Options::ENABLE_YAML_STYLE_METADATA_BLOCKS
        | Options::ENABLE_PLUSES_DELIMITED_METADATA_BLOCKS
        | Options::ENABLE_STRIKETHROUGH;
    let mut meta: Option<(MetadataBlockKind, String)> = None;
    let mut in_meta = false;
    let mut buf = String::new();
    let mut kind: Option<BlockKind> = None;
    let mut quote_depth = 0usize;
    let mut item_depth = 0usize;
    let flush = |raw: &mut RawArticle, kind: &mut Option<BlockKind>, buf: &mut String| {
        if let Some(k) = kind.take() {
            raw.push_block(k, buf);
        }
        buf.clear();
    };
    for event in Parser::new_ext(text, opts) {
        match event {
            Event::Start(Tag::MetadataBlock(k)) => {
                in_meta = true;
                meta = Some((k, String::new()));
            }
            Event::End(TagEnd::MetadataBlock(_)) => in_meta = false,
            Event::Text(t) if in_meta => {
                if let Some((_, m)) = meta.as_mut() {
                    m.push_str(&t);
                }
            }
            Event::Start(Tag::Heading { level, .. }) => {
                flush(raw, &mut kind, &mut buf);
                kind = Some(BlockKind::Heading(level as u8));
            }
            Event::Start(Tag::BlockQuote(_)) => {
                flush(raw, &mut kind, &mut buf);
                quote_depth += 1;
            }
            Event::End(TagEnd::BlockQuote(_)) => {
                flush(raw, &mut kind, &mut buf);
                quote_depth = quote_depth.saturating_sub(1);
            }
            Event::Start(Tag::Item) => {
                flush(raw, &mut kind, &mut buf);
                item_depth += 1;
                kind = Some(BlockKind::ListItem);
            }
            Event::End(TagEnd::Item) => {
                flush(raw, &mut kind, &mut buf);
                item_depth = item_depth.saturating_sub(1);
            }
            Event::Start(Tag::Paragraph | Tag::CodeBlock(_)) => {
                if item_depth > 0 && kind == Some(BlockKind::ListItem) {
                    if !buf.is_empty() {
                        buf.push('\n');
                    }
                } else {
                    flush(raw, &mut kind, &mut buf);
                    kind = Some(if quote_depth > 0 {
                        BlockKind::Quote
                    } else if item_depth > 0 {
                        BlockKind::ListItem
                    } else {
                        BlockKind::Paragraph
                    });
                }
            }
            Event::End(TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::CodeBlock)
                if kind != Some(BlockKind::ListItem) =>
            {
                flush(raw, &mut kind, &mut buf);
            }
            Event::Text(t) | Event::Code(t) => {
                if kind.is_none() {
                    kind = Some(BlockKind::Paragraph);
                }
                buf.push_str(&t);
            }
            Event::SoftBreak => buf.push(' '),
            Event::HardBreak => buf.push('\n'),
            _ => {}
        }
    }
    flush(raw, &mut kind, &mut buf);
    meta
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn toml_front_matter() {
        let md = "+++\ntitle = \"T\"\ndate = \"2025-01-07\"\n+++\n\nBody.\n";
        let mut w = Vec::new();
        let raw = parse_document(md, &mut w);
        assert_eq!(raw.title.as_deref(), Some("T"));
        assert_eq!(raw.dates, vec!["2025-01-07"]);
        assert_eq!(raw.blocks.len(), 1);
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
    fn malformed_front_matter_is_reported_and_body_kept() {
        let md = "---\ntitle: [unclosed\n---\n\n# Real title\n\nBody.\n";
        let mut w = Vec::new();
        let raw = parse_document(md, &mut w);
        assert!(w[0].contains("YAML front matter is malformed"), "{w:?}");
        assert_eq!(raw.title.as_deref(), Some("Real title"));
        assert_eq!(raw.blocks.len(), 1);
    }
}
