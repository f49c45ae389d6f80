//! The page's metadata: JSON-LD, `OpenGraph`, Dublin Core and the usual `<meta>` names; bylines
//! marked up in the page; the site's name cut from a title.

use serde_json::Value;

use super::dom::{Dom, Mask, SKIPPED, build, collapse};
use super::score::{BYLINE_WORDS, hint_words};

/// JSON-LD types that describe an article.
pub(super) const ARTICLE_TYPES: &[&str] = &[
    "newsarticle",
    "article",
    "blogposting",
    "reportagenewsarticle",
    "analysisnewsarticle",
    "opinionnewsarticle",
    "backgroundnewsarticle",
    "reviewnewsarticle",
    "techarticle",
    "scholarlyarticle",
    "report",
    "liveblogposting",
    "socialmediaposting",
    "webpage",
];

/// Words that introduce a byline or a date in a page (dropped from the byline, and ignored
/// when telling whether a block only repeats them).
pub(super) const LABELS: &[&str] = &[
    "by",
    "بقلم",
    "كتب",
    "كتبه",
    "كتبت",
    "إعداد",
    "اعداد",
    "تقرير",
    "published",
    "updated",
    "posted",
    "on",
    "at",
    "and",
    "نشر",
    "في",
    "تاريخ",
    "النشر",
    "آخر",
    "تحديث",
    "و",
];

/// What the page's metadata says.
#[derive(Default)]
pub(super) struct Meta {
    pub(super) title: Option<String>,
    pub(super) og_title: Option<String>,
    pub(super) site: Option<String>,
    pub(super) dates: Vec<String>,
    pub(super) authors: Vec<String>,
    pub(super) url: Option<String>,
    pub(super) lang: Option<String>,
    pub(super) tags: Vec<String>,
    pub(super) body: Option<String>,
}

pub(super) fn looks_like_url(s: &str) -> bool {
    s.starts_with("http://") || s.starts_with("https://") || s.starts_with("//")
}

/// The metadata of `<meta>`, `<link>` and JSON-LD.
pub(super) fn read_meta(dom: &Dom) -> Meta {
    let mut m = Meta::default();
    json_ld_meta(dom, &mut m);
    let mut meta_dates = Vec::new();
    for i in 0..dom.nodes.len() {
        match dom.name(i) {
            "meta" => {
                let key = dom
                    .attr(i, "property")
                    .or_else(|| dom.attr(i, "name"))
                    .or_else(|| dom.attr(i, "itemprop"));
                let (Some(key), Some(content)) = (key, dom.attr(i, "content")) else {
                    continue;
                };
                let content = collapse(content);
                if content.is_empty() {
                    continue;
                }
                match key.to_ascii_lowercase().as_str() {
                    "og:title" | "twitter:title" | "dc.title" | "dcterms.title" => {
                        m.og_title.get_or_insert(content);
                    }
                    "article:published_time"
                    | "datepublished"
                    | "date"
                    | "pubdate"
                    | "publishdate"
                    | "publish-date"
                    | "dc.date"
                    | "dc.date.issued"
                    | "dcterms.date"
                    | "dcterms.issued"
                    | "dcterms.created"
                    | "sailthru.date"
                    | "parsely-pub-date"
                    | "og:published_time" => meta_dates.push(content),
                    "author" | "article:author" | "dc.creator" | "dcterms.creator" | "byl"
                    | "parsely-author" | "sailthru.author"
                        if !looks_like_url(&content) =>
                    {
                        m.authors.push(content);
                    }
                    "og:site_name" | "application-name" | "dc.publisher" | "dcterms.publisher" => {
                        m.site.get_or_insert(content);
                    }
                    "og:url" | "dc.identifier" if looks_like_url(&content) => {
                        m.url.get_or_insert(content);
                    }
                    "og:locale" | "language" | "content-language" | "dc.language" => {
                        m.lang.get_or_insert(content);
                    }
                    "keywords" | "article:tag" | "news_keywords" | "dc.subject" => m
                        .tags
                        .extend(content.split([',', '،']).map(|t| t.trim().to_owned())),
                    _ => {}
                }
            }
            "link" => {
                if dom
                    .attr(i, "rel")
                    .is_some_and(|r| r.eq_ignore_ascii_case("canonical"))
                    && let Some(href) = dom.attr(i, "href")
                    && looks_like_url(href)
                {
                    m.url = Some(href.to_owned());
                }
            }
            "html" => {
                if let Some(l) = dom.attr(i, "lang") {
                    m.lang.get_or_insert(l.to_owned());
                }
            }
            _ => {}
        }
    }
    m.dates.extend(meta_dates);
    m.title = dom.title.as_deref().map(collapse).filter(|t| !t.is_empty());
    m.tags.retain(|t| !t.is_empty());
    m.tags.dedup();
    m
}

/// The first article object of the page's JSON-LD, read into `m`.
pub(super) fn json_ld_meta(dom: &Dom, m: &mut Meta) {
    for block in &dom.json_ld {
        let json = block.splitn(3, '\u{0}').nth(2).unwrap_or("");
        let Ok(value) = serde_json::from_str::<Value>(json.trim()) else {
            continue;
        };
        if let Some(obj) = find_article(&value, 0) {
            let mut ids = std::collections::HashMap::new();
            named_ids(&value, 0, &mut ids);
            apply_json_ld(obj, &ids, m);
            return;
        }
    }
}

/// An object whose `@type` is an article type, in the value, its arrays or its `@graph`.
pub(super) fn find_article(v: &Value, depth: usize) -> Option<&serde_json::Map<String, Value>> {
    if depth > 8 {
        return None;
    }
    match v {
        Value::Array(a) => a.iter().take(256).find_map(|x| find_article(x, depth + 1)),
        Value::Object(o) => {
            let is_article = match o.get("@type") {
                Some(Value::String(t)) => ARTICLE_TYPES.contains(&t.to_ascii_lowercase().as_str()),
                Some(Value::Array(ts)) => ts.iter().any(|t| {
                    t.as_str()
                        .is_some_and(|t| ARTICLE_TYPES.contains(&t.to_ascii_lowercase().as_str()))
                }),
                _ => false,
            };
            // A WebPage is taken only when nothing more precise is found.
            if is_article && o.get("@type").and_then(Value::as_str) != Some("WebPage") {
                return Some(o);
            }
            if let Some(found) = o.get("@graph").and_then(|g| find_article(g, depth + 1)) {
                return Some(found);
            }
            o.get("mainEntity")
                .and_then(|g| find_article(g, depth + 1))
                .or_else(|| is_article.then_some(o))
        }
        _ => None,
    }
}

/// The names of the objects of a JSON-LD graph by their `@id` (an article's author and
/// publisher are often given as `{"@id": …}` that points at a `Person` elsewhere in the
/// graph, as `WordPress` SEO plugins write them).
pub(super) fn named_ids<'a>(
    v: &'a Value,
    depth: usize,
    out: &mut std::collections::HashMap<&'a str, &'a Value>,
) {
    if depth > 8 || out.len() >= 256 {
        return;
    }
    match v {
        Value::Array(a) => {
            for x in a.iter().take(256) {
                named_ids(x, depth + 1, out);
            }
        }
        Value::Object(o) => {
            if let (Some(Value::String(id)), Some(name)) = (o.get("@id"), o.get("name")) {
                out.entry(id.as_str()).or_insert(name);
            }
            if let Some(g) = o.get("@graph") {
                named_ids(g, depth + 1, out);
            }
        }
        _ => {}
    }
}

/// A name from a string, an object's `name` (or the name of the object its `@id` points
/// at), or a list of those.
pub(super) fn names(
    v: &Value,
    ids: &std::collections::HashMap<&str, &Value>,
    out: &mut Vec<String>,
) {
    match v {
        Value::String(s) => {
            let s = collapse(s);
            if !s.is_empty() && !looks_like_url(&s) {
                out.push(s);
            }
        }
        Value::Object(o) => {
            let by_id = || {
                o.get("@id")
                    .and_then(Value::as_str)
                    .and_then(|id| ids.get(id).copied())
            };
            // A name (a string), never another reference: no cycle can be followed.
            if let Some(n) = o
                .get("name")
                .or_else(by_id)
                .filter(|n| n.is_string() || n.is_array())
            {
                names(n, &std::collections::HashMap::new(), out);
            }
        }
        Value::Array(a) => {
            for x in a.iter().take(32) {
                names(x, ids, out);
            }
        }
        _ => {}
    }
}

pub(super) fn string_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(collapse(s)).filter(|s| !s.is_empty()),
        Value::Object(o) => string_of(o.get("@id").or_else(|| o.get("url"))),
        Value::Array(a) => string_of(a.first()),
        _ => None,
    }
}

pub(super) fn apply_json_ld(
    o: &serde_json::Map<String, Value>,
    ids: &std::collections::HashMap<&str, &Value>,
    m: &mut Meta,
) {
    if let Some(h) = string_of(o.get("headline")).or_else(|| string_of(o.get("name"))) {
        m.og_title = Some(decode_inline(&h));
    }
    for key in ["datePublished", "dateCreated", "dateModified"] {
        if let Some(d) = string_of(o.get(key)) {
            m.dates.push(d);
        }
    }
    if let Some(a) = o.get("author").or_else(|| o.get("creator")) {
        names(a, ids, &mut m.authors);
    }
    if let Some(p) = o.get("publisher") {
        let mut pubs = Vec::new();
        names(p, ids, &mut pubs);
        if let Some(first) = pubs.into_iter().next() {
            m.site.get_or_insert(first);
        }
    }
    if let Some(u) = string_of(o.get("url")).or_else(|| string_of(o.get("mainEntityOfPage")))
        && looks_like_url(&u)
    {
        m.url = Some(u);
    }
    if let Some(l) = string_of(o.get("inLanguage")) {
        m.lang = Some(l);
    }
    match o.get("keywords") {
        Some(Value::String(s)) => m
            .tags
            .extend(s.split([',', '،']).map(|t| t.trim().to_owned())),
        Some(Value::Array(a)) => m.tags.extend(
            a.iter()
                .filter_map(Value::as_str)
                .map(|t| t.trim().to_owned()),
        ),
        _ => {}
    }
    if let Some(Value::String(b)) = o.get("articleBody") {
        m.body = Some(b.clone());
    }
}

/// The text of an HTML fragment with its tags dropped and entities decoded (`&amp;`,
/// `&#8217;`), for one-line fields such as a title.
pub(in crate::article) fn decode_inline(s: &str) -> String {
    if !s.contains(['&', '<']) {
        return s.to_owned();
    }
    let dom = build(s);
    dom.text(0, &[])
}

/// Bylines marked up in the page: `rel="author"`, `itemprop="author"`, a class or id such as
/// `byline`; the text of each such element.
pub(super) fn dom_bylines(dom: &Dom) -> Vec<String> {
    // Letters under each node, none left out: a large element is no byline.
    let all = Mask::new(dom, vec![false; dom.nodes.len()]);
    let mut out: Vec<(u8, String)> = Vec::new();
    for i in 1..dom.nodes.len() {
        if !dom.is_element(i) || out.len() >= 8 || all.chars[i].0 > 100 {
            continue;
        }
        // A link or an item marked as the author names the person; a `byline` box may hold
        // the date too.
        let precise = dom
            .attr(i, "rel")
            .is_some_and(|r| r.split_whitespace().any(|w| w == "author"))
            || dom
                .attr(i, "itemprop")
                .is_some_and(|p| p.eq_ignore_ascii_case("author"));
        let marked = precise || hint_words(&dom.hints(i)).any(|w| BYLINE_WORDS.contains(&w));
        if !marked || SKIPPED.contains(&dom.name(i)) || dom.name(i) == "meta" {
            continue;
        }
        let text = dom.text(i, &[]);
        if !text.is_empty() {
            out.push((u8::from(!precise), text));
        }
    }
    out.sort_by_key(|(rank, _)| *rank);
    out.into_iter().map(|(_, t)| t).collect()
}

/// A byline without its label (`By `, `بقلم:`) and trailing punctuation.
pub(in crate::article) fn clean_byline(s: &str) -> String {
    let mut t = s.trim();
    loop {
        let lower = t.to_lowercase();
        let Some(label) = [
            "by ",
            "بقلم:",
            "بقلم",
            "كتب:",
            "كتبه:",
            "كتبت:",
            "كتب ",
            "إعداد:",
            "written by ",
            "text by ",
            "words by ",
            "story by ",
            "reporting by ",
            "posted by ",
        ]
        .iter()
        .find(|l| lower.starts_with(*l)) else {
            break;
        };
        t = t
            .get(label.len()..)
            .unwrap_or("")
            .trim_start_matches([':', ' ']);
    }
    t.trim_matches(|c: char| c.is_whitespace() || matches!(c, '|' | '-' | '–' | '·' | ',' | '،'))
        .to_owned()
}

/// `Lorem ipsum – My website` → `Lorem ipsum`: a part that is the site's name, or a page title
/// whose heading is one of its parts.
pub(super) fn strip_site_name(title: &str, site: Option<&str>, h1: Option<&str>) -> String {
    const SEPARATORS: &[&str] = &[
        " | ", " – ", " — ", " - ", " :: ", " · ", " » ", " « ", " : ", " ｜ ",
    ];
    let fold = |s: &str| collapse(s).to_lowercase();
    if let Some(h1) = h1 {
        let (t, h) = (fold(title), fold(h1));
        let rest = t
            .strip_prefix(h.as_str())
            .or_else(|| t.strip_suffix(h.as_str()));
        if !h.is_empty()
            && let Some(rest) = rest
            && SEPARATORS
                .iter()
                .any(|sep| rest.starts_with(sep) || rest.ends_with(sep))
        {
            return collapse(h1);
        }
    }
    for sep in SEPARATORS {
        if !title.contains(sep) {
            continue;
        }
        let parts: Vec<&str> = title.split(sep).map(str::trim).collect();
        if let Some(h1) = h1
            && let Some(p) = parts.iter().find(|p| fold(p) == fold(h1))
        {
            return (*p).to_owned();
        }
        if let Some(site) = site {
            let site = alnum(site);
            let kept: Vec<&str> = parts.iter().copied().filter(|p| alnum(p) != site).collect();
            if kept.len() < parts.len() && !kept.is_empty() {
                return kept.join(sep);
            }
        }
    }
    title.to_owned()
}

/// Letters and digits only, lower-cased: `My Website` and `mywebsite` compare equal.
pub(super) fn alnum(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The text and logo alt text of the page's links to its home page (`href="/"`), a few.
pub(super) fn home_link_names(dom: &Dom) -> Vec<String> {
    let mut out = Vec::new();
    for i in 1..dom.nodes.len() {
        if out.len() >= 4 {
            break;
        }
        if dom.name(i) != "a" || dom.attr(i, "href").map(str::trim) != Some("/") {
            continue;
        }
        let text = dom.text(i, &[]);
        if !text.is_empty() && text.chars().count() <= 60 {
            out.push(text);
        }
        out.extend(
            dom.nodes[i]
                .children
                .iter()
                .filter(|&&c| dom.name(c) == "img")
                .filter_map(|&c| dom.attr(c, "alt"))
                .map(collapse)
                .filter(|a| !a.is_empty()),
        );
    }
    out
}

/// The name in a web address's host: `https://www.my-website.co.uk/a` → `my-website`.
pub(super) fn host_name(url: &str) -> Option<&str> {
    let rest = url.split("//").nth(1)?;
    let host = rest.split(['/', '?', '#', ':']).next()?;
    let host = host.strip_prefix("www.").unwrap_or(host);
    let labels: Vec<&str> = host.split('.').collect();
    // The label before the public suffix (one label, or two for `co.uk`-like suffixes).
    match labels.as_slice() {
        [.., name, second, last] if second.len() <= 3 && last.len() == 2 => Some(name),
        [.., name, _] => Some(name),
        _ => None,
    }
}
