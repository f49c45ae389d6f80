//! JSON and JSON Lines articles, with the field names datasets use.

use serde_json::{Map, Value};

use super::{ArticleError, BlockKind, RawArticle, html, split_paragraphs};

/// JSON nested deeper than this is refused (`serde_json`'s own limit, said in the message).
const MAX_DEPTH: usize = 128;

/// A JSON Lines line longer than this is skipped with a warning.
pub(super) const MAX_LINE_BYTES: usize = 4 * 1024 * 1024;

const TITLE: &[&str] = &["title", "headline", "name", "subject"];
const BODY: &[&str] = &[
    "body",
    "content",
    "articlebody",
    "content_html",
    "body_html",
    "bodytext",
    "body_text",
    "fulltext",
    "full_text",
    "html",
    "text",
    "article",
    "articlebody",
    "paragraphs",
    "story",
    "description",
    "summary",
];
const DATE: &[&str] = &[
    "date_gmt",
    "datepublished",
    "webpublicationdate",
    "pub_date",
    "publication_date",
    "published_date",
    "first_published_at",
    "date",
    "published",
    "published_at",
    "publishedat",
    "pubdate",
    "datepublished",
    "publish_date",
    "time",
    "timestamp",
    "created_at",
    "datetime",
];
const AUTHOR: &[&str] = &[
    "author",
    "byline",
    "authors",
    "creator",
    "dc:creator",
    "writer",
    "author_name",
];
const LANG: &[&str] = &["lang", "language", "locale"];
const URL: &[&str] = &[
    "url",
    "link",
    "href",
    "permalink",
    "weburl",
    "web_url",
    "canonical_url",
    "source_url",
];
const SOURCE: &[&str] = &["source", "site", "site_name", "publisher", "outlet", "feed"];
const TAGS: &[&str] = &["tags", "keywords", "categories", "category"];
const WRAPPERS: &[&str] = &["articles", "items", "data", "entries", "results"];

/// A `.json` file: one object, an array of objects, or an object wrapping such an array.
pub(super) fn parse_json(text: &str) -> Result<Vec<RawArticle>, ArticleError> {
    let value: Value = serde_json::from_str(text).map_err(|e| {
        ArticleError::Malformed(if is_too_deep(&e) {
            format!(
                "its JSON is nested deeper than {MAX_DEPTH} levels (line {})",
                e.line()
            )
        } else {
            format!(
                "it is not valid JSON (line {}, column {}: {})",
                e.line(),
                e.column(),
                describe(&e)
            )
        })
    })?;
    let items = match value {
        Value::Array(items) => items,
        Value::Object(map) => {
            let wrapped = (find(&map, BODY).is_none())
                .then(|| find(&map, WRAPPERS))
                .flatten()
                .and_then(Value::as_array);
            match wrapped {
                Some(items) => items.clone(),
                None => vec![Value::Object(map)],
            }
        }
        _ => {
            return Err(ArticleError::Malformed(
                "it holds neither a JSON object nor an array of objects".to_owned(),
            ));
        }
    };
    let raws: Vec<RawArticle> = items
        .iter()
        .filter_map(Value::as_object)
        .map(raw_from_fields)
        .collect();
    if raws.is_empty() {
        return Err(ArticleError::Malformed(
            "its JSON holds no article object".to_owned(),
        ));
    }
    Ok(raws)
}

/// A `.jsonl` file: one object a line; a bad line is reported and the others kept.
pub(super) fn parse_jsonl(text: &str, warnings: &mut Vec<String>) -> Vec<RawArticle> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if line.len() > MAX_LINE_BYTES {
            warnings.push(format!(
                "line {} is longer than {} MiB; it was skipped",
                n + 1,
                MAX_LINE_BYTES >> 20
            ));
            continue;
        }
        match serde_json::from_str::<Value>(line) {
            Ok(Value::Object(map)) => out.push(raw_from_fields(&map)),
            Ok(_) => warnings.push(format!("line {} is not a JSON object", n + 1)),
            Err(e) if is_too_deep(&e) => warnings.push(format!(
                "line {} is nested deeper than {MAX_DEPTH} levels; it was skipped",
                n + 1
            )),
            Err(e) => warnings.push(format!(
                "line {} is not valid JSON ({})",
                n + 1,
                describe(&e)
            )),
        }
    }
    out
}

/// `serde_json`'s refusal of a value nested past its recursion limit.
fn is_too_deep(e: &serde_json::Error) -> bool {
    e.to_string().starts_with("recursion limit exceeded")
}

fn describe(e: &serde_json::Error) -> String {
    let s = e.to_string();
    // serde_json appends " at line L column C"; the caller says where already.
    s.split(" at line ").next().unwrap_or(&s).to_owned()
}

/// The first of `keys` present in `map` (keys compared case-insensitively), when not null nor
/// an empty string.
fn find<'a>(map: &'a Map<String, Value>, keys: &[&str]) -> Option<&'a Value> {
    keys.iter().find_map(|k| {
        map.iter()
            .find(|(name, v)| {
                name.eq_ignore_ascii_case(k)
                    && !v.is_null()
                    && v.as_str().is_none_or(|s| !s.trim().is_empty())
            })
            .map(|(_, v)| v)
    })
}

/// As [`find`], then in the objects APIs nest an article's fields in (`fields` of the
/// Guardian's API, `attributes` of JSON:API).
fn find_field<'a>(map: &'a Map<String, Value>, keys: &[&str]) -> Option<&'a Value> {
    find(map, keys).or_else(|| {
        ["fields", "attributes"]
            .iter()
            .filter_map(|k| map.get(*k).and_then(Value::as_object))
            .find_map(|inner| find(inner, keys))
    })
}

/// A string from a string, a number, an object's `name`, or a list of those (joined).
fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Object(o) => find(
            o,
            &[
                "rendered",
                "name",
                "title",
                "text",
                "value",
                "main",
                "original",
                "display_name",
            ],
        )
        .and_then(text_of),
        Value::Array(a) => {
            let parts: Vec<String> = a.iter().filter_map(text_of).collect();
            (!parts.is_empty()).then(|| parts.join(", "))
        }
        Value::Bool(_) | Value::Null => None,
    }
}

fn looks_like_url(s: &str) -> bool {
    s.starts_with("http://") || s.starts_with("https://")
}

/// A string field as one line: entities decoded and tags dropped when it holds HTML.
fn inline_of(v: &Value) -> Option<String> {
    text_of(v).map(|s| html::decode_inline(&s))
}

/// A date from an ISO string, an epoch number (seconds or milliseconds), or an epoch string;
/// `WordPress`'s `date_gmt` (no offset) is UTC.
fn date_of(key: &str, v: &Value) -> Option<String> {
    let epoch = |secs: i64| {
        let secs = if secs.abs() > 100_000_000_000 {
            secs / 1000
        } else {
            secs
        };
        chrono::DateTime::from_timestamp(secs, 0).map(|t| t.to_rfc3339())
    };
    match v {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
            .and_then(epoch),
        Value::String(s) => {
            let t = s.trim();
            if (9..=13).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_digit()) {
                return t.parse().ok().and_then(epoch);
            }
            if key.eq_ignore_ascii_case("date_gmt")
                && t.len() == 19
                && chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S").is_ok()
            {
                return Some(format!("{t}Z"));
            }
            Some(t.to_owned())
        }
        other => text_of(other),
    }
}

/// The authors of a record: its author field when it names someone (`WordPress` gives a number
/// there, and the names under `_embedded.author`).
fn author_of(map: &Map<String, Value>) -> Option<String> {
    let named = find_field(map, AUTHOR)
        .filter(|v| !v.is_number())
        .and_then(text_of)
        .filter(|s| !s.bytes().all(|b| b.is_ascii_digit()));
    named.or_else(|| {
        map.get("_embedded")
            .and_then(|e| e.get("author"))
            .and_then(text_of)
    })
}

/// A body without the `… [+1234 chars]` that news APIs append to a cut text.
fn without_truncation_mark(body: &str) -> &str {
    let t = body.trim_end();
    if let Some(open) = t.rfind("[+")
        && t.ends_with(" chars]")
        && t.get(open + 2..t.len() - " chars]".len())
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    {
        return t.get(..open).unwrap_or(t).trim_end();
    }
    t
}

/// Reads the fields of one article object (also used for Markdown front matter).
pub(super) fn raw_from_fields(map: &Map<String, Value>) -> RawArticle {
    let mut raw = RawArticle {
        title: find_field(map, TITLE).and_then(inline_of),
        byline: author_of(map)
            .map(|b| html::clean_byline(&b))
            .filter(|b| !b.is_empty()),
        lang: find_field(map, LANG).and_then(text_of),
        url: find_field(map, URL)
            .and_then(text_of)
            .filter(|u| looks_like_url(u)),
        ..RawArticle::default()
    };
    let date = DATE.iter().find_map(|k| {
        let v = find_field(map, &[k])?;
        date_of(k, v)
    });
    raw.dates.extend(date);
    if let Some(src) = find_field(map, SOURCE).and_then(text_of) {
        if looks_like_url(&src) {
            raw.url.get_or_insert(src);
        } else {
            raw.source = Some(src);
        }
    }
    if let Some(tags) = find_field(map, TAGS) {
        raw.tags = match tags {
            // Numbers are ids of a taxonomy (WordPress), not names.
            Value::Array(a) => a
                .iter()
                .filter(|t| !t.is_number())
                .filter_map(text_of)
                .collect(),
            Value::Number(_) => Vec::new(),
            other => text_of(other)
                .map(|s| s.split(',').map(|t| t.trim().to_owned()).collect())
                .unwrap_or_default(),
        };
    }
    match find_field(map, BODY) {
        Some(Value::Array(parts)) => {
            for p in parts {
                if let Some(t) = text_of(p) {
                    if html::looks_like_html(&t) {
                        html::fragment_blocks(&t, &mut raw);
                    } else {
                        raw.push_block(BlockKind::Paragraph, &t);
                    }
                }
            }
        }
        Some(v) => {
            if let Some(body) = text_of(v) {
                if html::looks_like_html(&body) {
                    html::fragment_blocks(&body, &mut raw);
                } else {
                    for p in split_paragraphs(without_truncation_mark(&body)) {
                        raw.push_block(BlockKind::Paragraph, p);
                    }
                }
            }
        }
        None => {}
    }
    raw
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wordpress_rest_records() {
        let raws = parse_json(
            r#"[{"id":86001,"date":"2024-06-13T12:00:00","date_gmt":"2024-06-13T09:00:00","link":"https://site.example/2024/06/13/x/","title":{"rendered":"It&#8217;s &amp; here"},"content":{"rendered":"<p>First <strong>para</strong>.</p>\n<h2>Sub</h2>\n<p>Second.</p>\n<figure><img src=\"a.jpg\" alt=\"A view\"/></figure>","protected":false},"excerpt":{"rendered":"<p>Short</p>"},"author":3,"tags":[4,9],"_embedded":{"author":[{"id":3,"name":"Jane Doe"}]}}]"#,
        )
        .unwrap();
        let r = &raws[0];
        assert_eq!(r.title.as_deref(), Some("It’s & here"));
        assert_eq!(r.dates, vec!["2024-06-13T09:00:00Z"]);
        assert_eq!(r.url.as_deref(), Some("https://site.example/2024/06/13/x/"));
        assert_eq!(r.byline.as_deref(), Some("Jane Doe"));
        assert!(r.tags.is_empty(), "tag ids are not names: {:?}", r.tags);
        let blocks: Vec<_> = r.blocks.iter().map(|b| (b.kind, b.text.as_str())).collect();
        assert_eq!(
            blocks,
            vec![
                (BlockKind::Paragraph, "First para."),
                (BlockKind::Heading(2), "Sub"),
                (BlockKind::Paragraph, "Second."),
                (BlockKind::Figure, "▣ A view"),
            ]
        );
    }

    #[test]
    fn news_api_shapes_and_epochs() {
        let raws = parse_json(
            r#"{"articles":[
              {"source":{"id":"bbc","name":"BBC News"},"author":"A Writer","title":"T1","description":"d","url":"https://bbc.example/1","publishedAt":"2024-06-13T08:00:00Z","content":"Plain text body… [+2345 chars]"},
              {"headline":"T2","articleBody":"<p>One</p><p>Two</p>","published_at":"1718265600"},
              {"headline":{"main":"T3"},"byline":{"original":"By Someone"},"web_url":"https://nyt.example/3","pub_date":1718265600000,"lead_paragraph":"x","body":"b"},
              {"webTitle":"x","fields":{"headline":"T4","bodyText":"Guardian body.","byline":"G Writer"},"webPublicationDate":"2024-06-13T07:00:00Z","webUrl":"https://g.example/4"}
            ]}"#,
        )
        .unwrap();
        assert_eq!(raws[0].source.as_deref(), Some("BBC News"));
        assert_eq!(raws[0].dates, vec!["2024-06-13T08:00:00Z"]);
        assert_eq!(raws[0].blocks[0].text, "Plain text body…");
        assert_eq!(raws[1].dates, vec!["2024-06-13T08:00:00+00:00"]);
        assert_eq!(raws[1].blocks.len(), 2);
        assert_eq!(raws[2].title.as_deref(), Some("T3"));
        assert_eq!(raws[2].byline.as_deref(), Some("Someone"));
        assert_eq!(raws[2].dates, vec!["2024-06-13T08:00:00+00:00"]);
        assert_eq!(raws[2].url.as_deref(), Some("https://nyt.example/3"));
        assert_eq!(raws[3].title.as_deref(), Some("T4"));
        assert_eq!(raws[3].byline.as_deref(), Some("G Writer"));
        assert_eq!(raws[3].blocks[0].text, "Guardian body.");
        assert_eq!(raws[3].url.as_deref(), Some("https://g.example/4"));
    }

    #[test]
    fn deep_nesting_and_long_lines_are_refused() {
        let deep = "[".repeat(100_000);
        let err = parse_json(&deep).unwrap_err();
        assert_eq!(
            err,
            ArticleError::Malformed(
                "its JSON is nested deeper than 128 levels (line 1)".to_owned()
            )
        );
        let mut w = Vec::new();
        let long = format!("{{\"title\":\"{}\"}}", "x".repeat(MAX_LINE_BYTES));
        let text = format!("{}\n{long}\n{{\"title\":\"ok\"}}\n", "[".repeat(500));
        let raws = parse_jsonl(&text, &mut w);
        assert_eq!(raws.len(), 1);
        assert_eq!(
            w,
            [
                "line 1 is nested deeper than 128 levels; it was skipped",
                "line 2 is longer than 4 MiB; it was skipped"
            ]
        );
    }

    #[test]
    fn dataset_field_names() {
        let raws = parse_json(
            r#"[{"headline":"H","content":"p1\n\np2","published_at":"2025-01-07","byline":["A","B"],"language":"en","source":"https://x.y/z","keywords":"a, b"},
                {"title":"T2","paragraphs":["x","y","z"],"publisher":{"name":"Pub"},"timestamp":1700000000}]"#,
        )
        .unwrap();
        assert_eq!(raws.len(), 2);
        assert_eq!(raws[0].title.as_deref(), Some("H"));
        assert_eq!(raws[0].blocks.len(), 2);
        assert_eq!(raws[0].byline.as_deref(), Some("A, B"));
        assert_eq!(raws[0].url.as_deref(), Some("https://x.y/z"));
        assert_eq!(raws[0].tags, vec!["a", "b"]);
        assert_eq!(raws[1].blocks.len(), 3);
        assert_eq!(raws[1].source.as_deref(), Some("Pub"));
        assert_eq!(raws[1].dates, vec!["2023-11-14T22:13:20+00:00"]);
    }

    #[test]
    fn wrapped_array_and_errors() {
        let raws = parse_json(r#"{"articles":[{"title":"A","body":"b"}]}"#).unwrap();
        assert_eq!(raws[0].title.as_deref(), Some("A"));
        let err = parse_json("{\"title\": ").unwrap_err();
        assert!(
            matches!(err, ArticleError::Malformed(m) if m.starts_with("it is not valid JSON (line 1"))
        );
        assert!(parse_json("42").is_err());
    }

    #[test]
    fn jsonl_keeps_good_lines() {
        let mut w = Vec::new();
        let raws = parse_jsonl(
            "{\"title\":\"a\",\"text\":\"x\"}\nnot json\n[1]\n\n{\"title\":\"b\"}\n",
            &mut w,
        );
        assert_eq!(raws.len(), 2);
        assert_eq!(w.len(), 2);
        assert!(w[0].starts_with("line 2 is not valid JSON"), "{w:?}");
        assert_eq!(w[1], "line 3 is not a JSON object");
    }
}
