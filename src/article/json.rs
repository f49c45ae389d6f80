//! JSON and JSON Lines articles, with the field names datasets use.

use serde_json::{Map, Value};

use super::{ArticleError, BlockKind, RawArticle, split_paragraphs};

const TITLE: &[&str] = &["title", "headline", "name", "subject"];
const BODY: &[&str] = &[
    "body",
    "content",
    "text",
    "article",
    "articlebody",
    "paragraphs",
    "story",
    "description",
    "summary",
];
const DATE: &[&str] = &[
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
const AUTHOR: &[&str] = &["author", "byline", "authors", "creator", "writer"];
const LANG: &[&str] = &["lang", "language", "locale"];
const URL: &[&str] = &["url", "link", "href", "permalink", "source_url"];
const SOURCE: &[&str] = &["source", "site", "site_name", "publisher", "outlet", "feed"];
const TAGS: &[&str] = &["tags", "keywords", "categories", "category"];
const WRAPPERS: &[&str] = &["articles", "items", "data", "entries", "results"];

/// A `.json` file: one object, an array of objects, or an object wrapping such an array.
pub(super) fn parse_json(text: &str) -> Result<Vec<RawArticle>, ArticleError> {
    let value: Value = serde_json::from_str(text).map_err(|e| {
        ArticleError::Malformed(format!(
            "it is not valid JSON (line {}, column {}: {})",
            e.line(),
            e.column(),
            describe(&e)
        ))
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
        match serde_json::from_str::<Value>(line) {
            Ok(Value::Object(map)) => out.push(raw_from_fields(&map)),
            Ok(_) => warnings.push(format!("line {} is not a JSON object", n + 1)),
            Err(e) => warnings.push(format!(
                "line {} is not valid JSON ({})",
                n + 1,
                describe(&e)
            )),
        }
    }
    out
}

fn describe(e: &serde_json::Error) -> String {
    let s = e.to_string();
    // serde_json appends " at line L column C"; the caller says where already.
    s.split(" at line ").next().unwrap_or(&s).to_owned()
}

/// The first of `keys` present in `map` (keys compared case-insensitively), when not null.
fn find<'a>(map: &'a Map<String, Value>, keys: &[&str]) -> Option<&'a Value> {
    keys.iter().find_map(|k| {
        map.iter()
            .find(|(name, v)| name.eq_ignore_ascii_case(k) && !v.is_null())
            .map(|(_, v)| v)
    })
}

/// A string from a string, a number, an object's `name`, or a list of those (joined).
fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Object(o) => find(o, &["name", "title", "text", "value"]).and_then(text_of),
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

/// Reads the fields of one article object (also used for Markdown front matter).
pub(super) fn raw_from_fields(map: &Map<String, Value>) -> RawArticle {
    let mut raw = RawArticle {
        title: find(map, TITLE).and_then(text_of),
        byline: find(map, AUTHOR).and_then(text_of),
        lang: find(map, LANG).and_then(text_of),
        url: find(map, URL).and_then(text_of),
        ..RawArticle::default()
    };
    if let Some(d) = find(map, DATE) {
        let date = match d {
            Value::Number(n) => n
                .as_i64()
                .map(|secs| {
                    if secs > 100_000_000_000 {
                        secs / 1000
                    } else {
                        secs
                    }
                })
                .and_then(|secs| chrono::DateTime::from_timestamp(secs, 0))
                .map(|t| t.to_rfc3339()),
            other => text_of(other),
        };
        raw.dates.extend(date);
    }
    if let Some(src) = find(map, SOURCE).and_then(text_of) {
        if looks_like_url(&src) {
            raw.url.get_or_insert(src);
        } else {
            raw.source = Some(src);
        }
    }
    if let Some(tags) = find(map, TAGS) {
        raw.tags = match tags {
            Value::Array(a) => a.iter().filter_map(text_of).collect(),
            other => text_of(other)
                .map(|s| s.split(',').map(|t| t.trim().to_owned()).collect())
                .unwrap_or_default(),
        };
    }
    match find(map, BODY) {
        Some(Value::Array(parts)) => {
            for p in parts {
                if let Some(t) = text_of(p) {
                    raw.push_block(BlockKind::Paragraph, &t);
                }
            }
        }
        Some(v) => {
            if let Some(body) = text_of(v) {
                for p in split_paragraphs(&body) {
                    raw.push_block(BlockKind::Paragraph, p);
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
