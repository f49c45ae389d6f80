//! Saved web pages, through the html5gum WHATWG tokenizer (entities decoded by it).

use html5gum::{DefaultEmitter, Token, Tokenizer};

use super::{BlockKind, RawArticle};

/// Elements whose content is never article text.
const SKIPPED: &[&str] = &[
    "script", "style", "nav", "footer", "header", "aside", "form", "noscript", "template", "svg",
    "button", "select", "iframe", "object", "figure",
];

/// Block elements and the kind of block they start.
fn block_kind(name: &str, in_quote: bool) -> Option<BlockKind> {
    Some(match name {
        "h1" => BlockKind::Heading(1),
        "h2" => BlockKind::Heading(2),
        "h3" => BlockKind::Heading(3),
        "h4" => BlockKind::Heading(4),
        "h5" => BlockKind::Heading(5),
        "h6" => BlockKind::Heading(6),
        "li" => BlockKind::ListItem,
        "p" | "pre" | "dd" | "dt" | "td" | "th" | "figcaption" if in_quote => BlockKind::Quote,
        "p" | "pre" | "dd" | "dt" | "td" | "th" | "figcaption" => BlockKind::Paragraph,
        _ => return None,
    })
}

/// Containers that end any open block but start none.
const CONTAINERS: &[&str] = &["div", "section", "table", "tr", "ul", "ol"];

/// The walk over the tokens of one page.
#[derive(Default)]
struct Walker {
    raw: RawArticle,
    meta_title: Option<String>,
    h1: Option<String>,
    title_tag: Option<String>,
    meta_dates: Vec<String>,
    time_dates: Vec<String>,
    /// Blocks inside `<article>`, inside `<main>`, and anywhere.
    in_article: Vec<(BlockKind, String)>,
    in_main: Vec<(BlockKind, String)>,
    anywhere: Vec<(BlockKind, String)>,
    skip_depth: usize,
    article_depth: usize,
    main_depth: usize,
    quote_depth: usize,
    in_title: bool,
    buf: String,
    kind: Option<BlockKind>,
}

impl Walker {
    fn flush(&mut self) {
        let text = self.buf.split_whitespace().collect::<Vec<_>>().join(" ");
        self.buf.clear();
        let Some(k) = self.kind.take() else { return };
        if text.is_empty() {
            return;
        }
        if k == BlockKind::Heading(1) && self.h1.is_none() {
            self.h1 = Some(text.clone());
        }
        if self.article_depth > 0 {
            self.in_article.push((k, text.clone()));
        }
        if self.main_depth > 0 {
            self.in_main.push((k, text.clone()));
        }
        self.anywhere.push((k, text));
    }

    fn meta(&mut self, key: &str, content: String) {
        let raw = &mut self.raw;
        match key.to_ascii_lowercase().as_str() {
            "og:title" | "twitter:title" => {
                self.meta_title.get_or_insert(content);
            }
            "article:published_time"
            | "datepublished"
            | "date"
            | "pubdate"
            | "publishdate"
            | "dc.date"
            | "dc.date.issued"
            | "dcterms.created"
            | "sailthru.date"
            | "parsely-pub-date" => self.meta_dates.push(content),
            "author" | "article:author" | "dc.creator" | "byl" => {
                raw.byline.get_or_insert(content);
            }
            "og:site_name" | "application-name" => {
                raw.source.get_or_insert(content);
            }
            "og:url" => {
                raw.url.get_or_insert(content);
            }
            "og:locale" | "language" | "content-language" => {
                raw.lang.get_or_insert(content);
            }
            "keywords" | "article:tag" | "news_keywords" => raw
                .tags
                .extend(content.split(',').map(|t| t.trim().to_owned())),
            _ => {}
        }
    }

    fn start(&mut self, name: &str, self_closing: bool, attr: &dyn Fn(&str) -> Option<String>) {
        if self.skip_depth > 0 {
            if SKIPPED.contains(&name) && !self_closing {
                self.skip_depth += 1;
            }
            return;
        }
        if SKIPPED.contains(&name) {
            if !self_closing {
                self.flush();
                self.skip_depth = 1;
            }
            return;
        }
        match name {
            "html" => self.raw.lang = attr("lang").or(self.raw.lang.take()),
            "title" => self.in_title = true,
            "meta" => {
                let key = attr("property")
                    .or_else(|| attr("name"))
                    .or_else(|| attr("itemprop"));
                if let (Some(key), Some(content)) = (key, attr("content")) {
                    self.meta(&key, content);
                }
            }
            "link" if attr("rel").as_deref() == Some("canonical") => {
                if let Some(href) = attr("href") {
                    self.raw.url.get_or_insert(href);
                }
            }
            "time" => self.time_dates.extend(attr("datetime")),
            "article" => self.article_depth += 1,
            "main" => self.main_depth += 1,
            "blockquote" => {
                self.flush();
                self.quote_depth += 1;
                self.kind = Some(BlockKind::Quote);
            }
            "br" => self.buf.push('\n'),
            _ => {
                if let Some(kind) = block_kind(name, self.quote_depth > 0) {
                    self.flush();
                    self.kind = Some(kind);
                } else if CONTAINERS.contains(&name) {
                    self.flush();
                }
            }
        }
    }

    fn end(&mut self, name: &str) {
        if self.skip_depth > 0 {
            if SKIPPED.contains(&name) {
                self.skip_depth -= 1;
            }
            return;
        }
        match name {
            "title" => self.in_title = false,
            "blockquote" => {
                self.flush();
                self.quote_depth = self.quote_depth.saturating_sub(1);
            }
            "article" => {
                self.flush();
                self.article_depth = self.article_depth.saturating_sub(1);
            }
            "main" => {
                self.flush();
                self.main_depth = self.main_depth.saturating_sub(1);
            }
            _ if block_kind(name, false).is_some() || CONTAINERS.contains(&name) => {
                self.flush();
                if self.quote_depth > 0 {
                    self.kind = Some(BlockKind::Quote);
                }
            }
            _ => {}
        }
    }

    fn text(&mut self, s: &str) {
        if self.skip_depth > 0 {
            return;
        }
        if self.in_title {
            self.title_tag.get_or_insert_with(String::new).push_str(s);
        } else if self.kind.is_some() {
            self.buf.push_str(s);
        } else if !s.trim().is_empty() {
            // Loose text outside any block (a `<div>` holding text directly).
            self.kind = Some(if self.quote_depth > 0 {
                BlockKind::Quote
            } else {
                BlockKind::Paragraph
            });
            self.buf.push_str(s);
        }
    }

    fn finish(mut self) -> RawArticle {
        self.flush();
        let chosen = if !self.in_article.is_empty() {
            self.in_article
        } else if !self.in_main.is_empty() {
            self.in_main
        } else {
            self.anywhere
        };
        let mut raw = self.raw;
        let title_tag = self
            .title_tag
            .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "));
        raw.title = self.meta_title.or(self.h1).or(title_tag);
        raw.dates = self
            .meta_dates
            .into_iter()
            .chain(self.time_dates)
            .take(1)
            .collect();
        let mut skipped_title = false;
        for (k, t) in chosen {
            // The title heading is shown as the title, not again as the first block.
            if !skipped_title
                && k == BlockKind::Heading(1)
                && raw.title.as_deref() == Some(t.as_str())
            {
                skipped_title = true;
                continue;
            }
            raw.push_block(k, &t);
        }
        raw
    }
}

pub(super) fn parse(text: &str) -> RawArticle {
    let mut emitter = DefaultEmitter::default();
    emitter.naively_switch_states(true);
    let mut walker = Walker::default();
    for token in Tokenizer::new_with_emitter(text, emitter).flatten() {
        match token {
            Token::StartTag(tag) => {
                let name = String::from_utf8_lossy(&tag.name).to_ascii_lowercase();
                let attr = |k: &str| {
                    tag.attributes
                        .get(k.as_bytes())
                        .map(|v| String::from_utf8_lossy(&v.value).into_owned())
                };
                walker.start(&name, tag.self_closing, &attr);
            }
            Token::EndTag(tag) => {
                walker.end(&String::from_utf8_lossy(&tag.name).to_ascii_lowercase());
            }
            Token::String(s) => walker.text(&String::from_utf8_lossy(&s.value)),
            _ => {}
        }
    }
    walker.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_page() {
        let html = r#"<!doctype html><html lang="ar"><head><title>Site | T</title>
<meta property="og:title" content="عنوان &amp; خبر">
<meta property="article:published_time" content="2017-11-16T10:00:00+03:00">
<meta name="author" content="بريت">
<script>var x = "<p>not text</p>";</script><style>p{}</style></head>
<body><nav><p>menu</p></nav><article><h1>عنوان &amp; خبر</h1>
<p>فقرة &laquo;أولى&raquo; &#1604;</p><blockquote><p>قول</p></blockquote>
<ul><li>بند</li></ul></article><footer><p>copyright</p></footer></body></html>"#;
        let raw = parse(html);
        assert_eq!(raw.title.as_deref(), Some("عنوان & خبر"));
        assert_eq!(raw.dates, vec!["2017-11-16T10:00:00+03:00"]);
        assert_eq!(raw.byline.as_deref(), Some("بريت"));
        assert_eq!(raw.lang.as_deref(), Some("ar"));
        let texts: Vec<_> = raw
            .blocks
            .iter()
            .map(|b| (b.kind, b.text.as_str()))
            .collect();
        assert_eq!(
            texts,
            vec![
                (BlockKind::Paragraph, "فقرة «أولى» ل"),
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
        assert_eq!(raw.blocks[1].text, "Two lines");
    }

    #[test]
    fn broken_markup_does_not_panic() {
        let raw = parse("<p>unclosed <b>bold <article><p>x</article></div></div>&bogus; <");
        assert!(!raw.blocks.is_empty());
    }
}
