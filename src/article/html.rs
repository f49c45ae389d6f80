//! Saved web pages read like a reader view.
//!
//! The page is tokenized by html5gum (entities decoded by it) into a small tree of its own
//! (capped in nodes and depth). The metadata comes from JSON-LD (`NewsArticle` and its
//! kin), `OpenGraph`, Dublin Core and the usual `<meta>` names; the body from the element that
//! holds the article: `itemprop="articleBody"`, the `<article>` with the most text, `<main>`,
//! or else the element that scores best on paragraphs, commas and text against links (in the
//! way of Mozilla's Readability), with its siblings of good score. Cookie banners,
//! breadcrumbs, share buttons, related lists and comments are left out by tag, role and
//! class/id hints; the byline, the date and the title are not repeated in the body; figures
//! and images are kept as placeholder blocks with their caption or alt text.

use html5gum::{DefaultEmitter, Token, Tokenizer};
use serde_json::Value;

use super::{BlockKind, Direction, RawArticle};

/// At most this many elements and texts are kept of a page; the rest of it is not read.
const MAX_NODES: usize = 200_000;

/// Elements nested deeper than this are read as part of the deepest one kept.
const MAX_DEPTH: usize = 256;

/// The attributes a reader view looks at; the others are not kept.
const KEPT_ATTRIBUTES: &[&[u8]] = &[
    b"alt",
    b"aria-hidden",
    b"class",
    b"content",
    b"datetime",
    b"dir",
    b"hidden",
    b"href",
    b"id",
    b"itemprop",
    b"lang",
    b"name",
    b"property",
    b"rel",
    b"role",
    b"style",
    b"xml:lang",
];

/// JSON-LD blocks larger than this are not read.
const MAX_JSON_LD_BYTES: usize = 1024 * 1024;

/// At most this many JSON-LD blocks are read.
const MAX_JSON_LD_BLOCKS: usize = 16;

/// A placeholder block for an image or a figure starts with this sign.
pub const FIGURE_MARK: &str = "▣";

/// Elements that never hold article text.
const SKIPPED: &[&str] = &[
    "script", "style", "nav", "footer", "aside", "form", "noscript", "template", "svg", "button",
    "select", "iframe", "object", "embed", "input", "textarea", "canvas", "dialog", "menu",
    "video", "audio", "map", "head",
];

/// Elements without content.
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr", "param",
];

/// Elements whose start closes an open `<p>`.
const CLOSES_P: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "div",
    "dl",
    "fieldset",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "ul",
    "figcaption",
];

/// Class and id words that mark what is not the article (compared whole, after splitting at
/// `-`, `_` and spaces).
const NEGATIVE_WORDS: &[&str] = &[
    "ad",
    "ads",
    "advert",
    "advertisement",
    "share",
    "sharing",
    "social",
    "related",
    "cookie",
    "cookies",
    "consent",
    "gdpr",
    "breadcrumb",
    "breadcrumbs",
    "comment",
    "comments",
    "newsletter",
    "subscribe",
    "subscription",
    "promo",
    "sidebar",
    "widget",
    "sponsor",
    "sponsored",
    "popup",
    "modal",
    "banner",
    "masthead",
    "menu",
    "nav",
    "navbar",
    "navigation",
    "footer",
    "tags",
    "toolbar",
    "pagination",
    "pager",
    "signup",
    "login",
    "outbrain",
    "taboola",
    "recommended",
    "recommendations",
    "trending",
    "popular",
    "print",
    "skip",
    "hidden",
    "share-bar",
    "follow",
    "disqus",
    "respond",
];

/// Substrings of class and id that mark what is not the article wherever they appear.
const NEGATIVE_PARTS: &[&str] = &[
    "side-bar",
    "comment",
    "cookie",
    "consent",
    "breadcrumb",
    "newsletter",
    "sidebar",
    "sponsor",
    "advert",
    "outbrain",
    "taboola",
    "related",
    "social",
    "share",
];

/// Class and id words that mark the article.
const POSITIVE_WORDS: &[&str] = &[
    "article", "body", "content", "entry", "main", "post", "story", "text", "blog", "prose",
    "hentry",
];

/// Class and id words of a byline.
const BYLINE_WORDS: &[&str] = &["byline", "author", "writer", "by", "reporter", "credit"];

/// JSON-LD types that describe an article.
const ARTICLE_TYPES: &[&str] = &[
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
const LABELS: &[&str] = &[
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

#[derive(Debug)]
enum Kind {
    Element {
        name: String,
        attrs: Vec<(String, String)>,
    },
    Text(String),
}

#[derive(Debug)]
struct Node {
    kind: Kind,
    parent: usize,
    children: Vec<usize>,
}

/// The page as a tree: node 0 is the document.
struct Dom {
    nodes: Vec<Node>,
    /// The texts of `<title>`, JSON-LD scripts, in order.
    title: Option<String>,
    json_ld: Vec<String>,
    truncated: bool,
}

impl Dom {
    fn name(&self, i: usize) -> &str {
        match &self.nodes[i].kind {
            Kind::Element { name, .. } => name,
            Kind::Text(_) => "",
        }
    }

    fn attr(&self, i: usize, key: &str) -> Option<&str> {
        match &self.nodes[i].kind {
            Kind::Element { attrs, .. } => attrs
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str()),
            Kind::Text(_) => None,
        }
    }

    fn is_element(&self, i: usize) -> bool {
        matches!(self.nodes[i].kind, Kind::Element { .. })
    }

    /// Every node under `i` (itself first), in document order.
    fn descendants(&self, i: usize) -> Vec<usize> {
        let mut out = Vec::new();
        let mut stack = vec![i];
        while let Some(n) = stack.pop() {
            out.push(n);
            stack.extend(self.nodes[n].children.iter().rev());
        }
        out
    }

    /// The text under `i`, whitespace collapsed, leaving out `skip`ped subtrees.
    fn text(&self, i: usize, skip: &[bool]) -> String {
        let mut out = String::new();
        let mut stack = vec![i];
        while let Some(n) = stack.pop() {
            if skip.get(n).copied().unwrap_or(false) && n != i {
                continue;
            }
            match &self.nodes[n].kind {
                Kind::Text(t) => out.push_str(t),
                Kind::Element { name, .. } => {
                    if name == "br" {
                        out.push(' ');
                    }
                    stack.extend(self.nodes[n].children.iter().rev());
                }
            }
        }
        collapse(&out)
    }

    /// Characters of text under `i` (not counting left-out nodes under it), and of it inside
    /// links.
    fn text_and_link_chars(&self, i: usize, mask: &Mask) -> (usize, usize) {
        let _ = self;
        mask.chars[i]
    }

    fn link_density(&self, i: usize, mask: &Mask) -> f64 {
        let (all, linked) = self.text_and_link_chars(i, mask);
        if all == 0 {
            0.0
        } else {
            linked as f64 / all as f64
        }
    }

    /// The class and id of an element, lower-cased, as one string.
    fn hints(&self, i: usize) -> String {
        let mut s = String::new();
        for key in ["class", "id"] {
            if let Some(v) = self.attr(i, key) {
                s.push_str(&v.to_lowercase());
                s.push(' ');
            }
        }
        s
    }
}

/// Runs of HTML white space (ASCII only: a no-break space is kept, as a browser keeps it) to
/// one space, trimmed.
/// The nodes left out of the body, and per node the letters under it that are kept and those
/// of them inside links (counted once, bottom up).
struct Mask {
    skip: Vec<bool>,
    chars: Vec<(usize, usize)>,
}

impl Mask {
    fn new(dom: &Dom, skip: Vec<bool>) -> Self {
        let n = dom.nodes.len();
        let mut chars = vec![(0usize, 0usize); n];
        // A child always comes after its parent: one pass from the end adds children up.
        for i in (0..n).rev() {
            if let Kind::Text(t) = &dom.nodes[i].kind {
                chars[i].0 = t.chars().filter(|c| !c.is_whitespace()).count();
            }
            if dom.name(i) == "a" {
                chars[i].1 = chars[i].0;
            }
            if i > 0 && !skip[i] {
                let p = dom.nodes[i].parent;
                chars[p].0 += chars[i].0;
                chars[p].1 += chars[i].1;
            }
        }
        Self { skip, chars }
    }
}

impl std::ops::Deref for Mask {
    type Target = [bool];

    fn deref(&self) -> &[bool] {
        &self.skip
    }
}

fn collapse(s: &str) -> String {
    s.split_ascii_whitespace().collect::<Vec<_>>().join(" ")
}

fn hint_words(hints: &str) -> impl Iterator<Item = &str> {
    hints
        .split(|c: char| c.is_whitespace() || c == '-' || c == '_' || c == ':')
        .filter(|w| !w.is_empty())
}

/// Whether class/id say "not the article" (and do not also say "the article").
fn negative(hints: &str) -> bool {
    if hints.trim().is_empty() {
        return false;
    }
    let neg = hint_words(hints).any(|w| NEGATIVE_WORDS.contains(&w))
        || NEGATIVE_PARTS.iter().any(|p| hints.contains(p));
    let pos = hint_words(hints).any(|w| POSITIVE_WORDS.contains(&w));
    neg && !pos
}

/// Readability's class weight: −25 for a negative hint, +25 for a positive one.
fn class_weight(hints: &str) -> f64 {
    let mut w = 0.0;
    if hint_words(hints).any(|w| NEGATIVE_WORDS.contains(&w))
        || NEGATIVE_PARTS.iter().any(|p| hints.contains(p))
    {
        w -= 25.0;
    }
    if hint_words(hints).any(|w| POSITIVE_WORDS.contains(&w)) {
        w += 25.0;
    }
    w
}

/// The tree being built: the document, the open elements, and the raw-text element (script,
/// style, title) whose text is being read apart.
struct Builder {
    dom: Dom,
    stack: Vec<usize>,
    raw_text: Option<(String, String)>,
}

impl Builder {
    /// A start tag; `false` once the node cap is reached.
    fn start(&mut self, tag: &html5gum::StartTag<()>) -> bool {
        let dom = &mut self.dom;
        let name = String::from_utf8_lossy(&tag.name).to_ascii_lowercase();
        if matches!(name.as_str(), "script" | "style" | "title" | "textarea") && !tag.self_closing {
            let kind = tag
                .attributes
                .get(b"type".as_slice())
                .map(|v| String::from_utf8_lossy(&v.value).to_ascii_lowercase())
                .unwrap_or_default();
            self.raw_text = Some((name.clone(), kind));
        }
        if dom.nodes.len() >= MAX_NODES {
            dom.truncated = true;
            return false;
        }
        let attrs = tag
            .attributes
            .iter()
            .filter(|(k, _)| KEPT_ATTRIBUTES.contains(&k.to_ascii_lowercase().as_slice()))
            .map(|(k, v)| {
                (
                    String::from_utf8_lossy(k).to_ascii_lowercase(),
                    String::from_utf8_lossy(&v.value).into_owned(),
                )
            })
            .collect();
        // Implied ends: a block closes an open paragraph, an item the open item.
        if CLOSES_P.contains(&name.as_str()) {
            let scope = [
                "div",
                "section",
                "article",
                "td",
                "li",
                "blockquote",
                "body",
            ];
            close_open(dom, &mut self.stack, &["p"], &scope);
        }
        if name == "li" {
            close_open(dom, &mut self.stack, &["li"], &["ul", "ol"]);
        }
        if name == "dt" || name == "dd" {
            close_open(dom, &mut self.stack, &["dt", "dd"], &["dl"]);
        }
        let parent = *self.stack.last().unwrap_or(&0);
        let id = dom.nodes.len();
        let open = !tag.self_closing && !VOID.contains(&name.as_str());
        dom.nodes.push(Node {
            kind: Kind::Element { name, attrs },
            parent,
            children: Vec::new(),
        });
        dom.nodes[parent].children.push(id);
        if open && self.stack.len() < MAX_DEPTH {
            self.stack.push(id);
        }
        true
    }

    fn end(&mut self, tag: &html5gum::EndTag<()>) {
        let name = String::from_utf8_lossy(&tag.name).to_ascii_lowercase();
        if let Some((raw_name, kind)) = self.raw_text.take()
            && raw_name != name
        {
            self.raw_text = Some((raw_name, kind));
        }
        // Close the nearest open element of that name, if any is open.
        if let Some(pos) = self.stack.iter().rposition(|&n| self.dom.name(n) == name)
            && pos > 0
        {
            self.stack.truncate(pos);
        }
    }

    /// Text; `false` once the node cap is reached.
    fn text(&mut self, s: &str) -> bool {
        let dom = &mut self.dom;
        match &self.raw_text {
            Some((name, _)) if name == "title" => {
                if dom.title.as_ref().is_none_or(|t| t.len() < 4096) {
                    dom.title.get_or_insert_with(String::new).push_str(s);
                }
            }
            Some((name, kind)) if name == "script" && kind.contains("ld+json") => {
                if dom.json_ld.len() < MAX_JSON_LD_BLOCKS {
                    push_json_ld(dom, s, self.stack.last().copied());
                }
            }
            Some(_) => {}
            None => {
                let parent = *self.stack.last().unwrap_or(&0);
                if let Some(&last) = dom.nodes[parent].children.last()
                    && let Kind::Text(t) = &mut dom.nodes[last].kind
                {
                    t.push_str(s);
                    return true;
                }
                if dom.nodes.len() >= MAX_NODES {
                    dom.truncated = true;
                    return false;
                }
                let id = dom.nodes.len();
                dom.nodes.push(Node {
                    kind: Kind::Text(s.to_owned()),
                    parent,
                    children: Vec::new(),
                });
                dom.nodes[parent].children.push(id);
            }
        }
        true
    }
}

/// Builds the tree from the tokens.
fn build(text: &str) -> Dom {
    let mut emitter = DefaultEmitter::default();
    emitter.naively_switch_states(true);
    let mut b = Builder {
        dom: Dom {
            nodes: vec![Node {
                kind: Kind::Element {
                    name: "#document".to_owned(),
                    attrs: Vec::new(),
                },
                parent: 0,
                children: Vec::new(),
            }],
            title: None,
            json_ld: Vec::new(),
            truncated: false,
        },
        stack: vec![0],
        raw_text: None,
    };
    for token in Tokenizer::new_with_emitter(text, emitter).flatten() {
        let more = match token {
            Token::StartTag(tag) => b.start(&tag),
            Token::EndTag(tag) => {
                b.end(&tag);
                true
            }
            Token::String(s) => b.text(&String::from_utf8_lossy(&s.value)),
            _ => true,
        };
        if !more {
            break;
        }
    }
    b.dom
}

/// The text of one JSON-LD script, appended to the block the script opened (the tokenizer may
/// hand it over in pieces).
fn push_json_ld(dom: &mut Dom, s: &str, script: Option<usize>) {
    let key = script.unwrap_or(0);
    let marker = format!("\u{0}{key}\u{0}");
    match dom.json_ld.last_mut() {
        Some(last) if last.starts_with(&marker) => {
            if last.len() + s.len() <= MAX_JSON_LD_BYTES {
                last.push_str(s);
            }
        }
        _ => {
            if s.len() <= MAX_JSON_LD_BYTES {
                dom.json_ld.push(format!("{marker}{s}"));
            }
        }
    }
}

/// Pops the open elements down to (and with) the nearest of `names`, unless one of `scope` is
/// met first.
fn close_open(dom: &Dom, stack: &mut Vec<usize>, names: &[&str], scope: &[&str]) {
    for pos in (1..stack.len()).rev() {
        let n = dom.name(stack[pos]);
        if names.contains(&n) {
            stack.truncate(pos);
            return;
        }
        if scope.contains(&n) {
            return;
        }
    }
}

/// What the page's metadata says.
#[derive(Default)]
struct Meta {
    title: Option<String>,
    og_title: Option<String>,
    site: Option<String>,
    dates: Vec<String>,
    authors: Vec<String>,
    url: Option<String>,
    lang: Option<String>,
    tags: Vec<String>,
    body: Option<String>,
}

fn looks_like_url(s: &str) -> bool {
    s.starts_with("http://") || s.starts_with("https://") || s.starts_with("//")
}

/// The metadata of `<meta>`, `<link>` and JSON-LD.
fn read_meta(dom: &Dom) -> Meta {
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
fn json_ld_meta(dom: &Dom, m: &mut Meta) {
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
fn find_article(v: &Value, depth: usize) -> Option<&serde_json::Map<String, Value>> {
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
fn named_ids<'a>(
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
fn names(v: &Value, ids: &std::collections::HashMap<&str, &Value>, out: &mut Vec<String>) {
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

fn string_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(collapse(s)).filter(|s| !s.is_empty()),
        Value::Object(o) => string_of(o.get("@id").or_else(|| o.get("url"))),
        Value::Array(a) => string_of(a.first()),
        _ => None,
    }
}

fn apply_json_ld(
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
pub(super) fn decode_inline(s: &str) -> String {
    if !s.contains(['&', '<']) {
        return s.to_owned();
    }
    let dom = build(s);
    dom.text(0, &[])
}

/// Nodes left out of the body: skipped elements, hidden ones, and those whose role or class/id
/// says they are not the article. `keep` are never left out (the article's own container and
/// its ancestors).
fn unlikely(dom: &Dom, keep: &[bool]) -> Mask {
    let mut out = vec![false; dom.nodes.len()];
    for i in 1..dom.nodes.len() {
        let parent = dom.nodes[i].parent;
        if out[parent] && parent != 0 {
            out[i] = true;
            continue;
        }
        if !dom.is_element(i) || keep[i] {
            continue;
        }
        let name = dom.name(i);
        let role = dom.attr(i, "role").unwrap_or("");
        let style = dom
            .attr(i, "style")
            .unwrap_or("")
            .to_ascii_lowercase()
            .replace(' ', "");
        out[i] = SKIPPED.contains(&name)
            || dom.attr(i, "hidden").is_some()
            || dom.attr(i, "aria-hidden") == Some("true")
            || style.contains("display:none")
            || style.contains("visibility:hidden")
            || matches!(
                role,
                "navigation"
                    | "banner"
                    | "contentinfo"
                    | "complementary"
                    | "dialog"
                    | "alertdialog"
                    | "menu"
                    | "menubar"
                    | "search"
            )
            || (name != "body" && name != "html" && negative(&dom.hints(i)));
    }
    Mask::new(dom, out)
}

/// The element that holds the article, chosen by markup when the page says (itemprop, the
/// `<article>` with most text, `<main>`), else by score; and the siblings that go with it.
fn content_roots(dom: &Dom, skip: &Mask) -> Vec<usize> {
    let text_len = |i: usize| dom.text_and_link_chars(i, skip).0;
    let elements: Vec<usize> = (1..dom.nodes.len())
        .filter(|&i| dom.is_element(i) && !skip[i])
        .collect();
    if let Some(&i) = elements.iter().find(|&&i| {
        dom.attr(i, "itemprop")
            .is_some_and(|p| p.eq_ignore_ascii_case("articlebody"))
    }) && text_len(i) >= 100
    {
        return vec![i];
    }
    let best_article = elements
        .iter()
        .filter(|&&i| dom.name(i) == "article")
        .map(|&i| (text_len(i), i))
        .max();
    // An `<article>` is the page's article when it holds a good share of the page's text (not
    // a teaser of another story).
    if let Some((len, i)) = best_article
        && len >= 140
        && len * 3 >= skip.chars[0].0
    {
        return vec![i];
    }
    if let Some(&i) = elements
        .iter()
        .find(|&&i| dom.name(i) == "main" || dom.attr(i, "role") == Some("main"))
        && text_len(i) >= 140
    {
        return vec![i];
    }
    score_candidates(dom, skip)
}

/// Readability's scoring: each paragraph of 25 characters or more gives its parent a point, a
/// point per comma and up to three for its length; its grandparent half of that and the level
/// above a third. Scores are weighted by tag and class and lowered by link density.
fn score_candidates(dom: &Dom, skip: &Mask) -> Vec<usize> {
    let mut score: Vec<Option<f64>> = vec![None; dom.nodes.len()];
    let init = |i: usize| -> f64 {
        let base = match dom.name(i) {
            "div" => 5.0,
            "pre" | "td" | "blockquote" => 3.0,
            "address" | "ol" | "ul" | "dl" | "dd" | "dt" | "li" | "form" => -3.0,
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "th" => -5.0,
            _ => 0.0,
        };
        base + class_weight(&dom.hints(i))
    };
    for i in 1..dom.nodes.len() {
        if skip[i]
            || !matches!(
                dom.name(i),
                "p" | "pre" | "td" | "blockquote" | "section" | "div"
            )
        {
            continue;
        }
        // A div counts as a paragraph only when it holds no block of its own.
        if matches!(dom.name(i), "div" | "section")
            && dom.nodes[i]
                .children
                .iter()
                .any(|&c| CLOSES_P.contains(&dom.name(c)))
        {
            continue;
        }
        let text = dom.text(i, skip);
        let len = text.chars().count();
        if len < 25 {
            continue;
        }
        let commas = text.chars().filter(|&c| c == ',' || c == '،').count();
        let points = 1.0 + commas as f64 + (len as f64 / 100.0).min(3.0);
        let mut ancestor = dom.nodes[i].parent;
        for level in 0..3 {
            if ancestor == 0 {
                break;
            }
            let divider = match level {
                0 => 1.0,
                1 => 2.0,
                _ => 3.0 * f64::from(level),
            };
            let s = score[ancestor].get_or_insert_with(|| init(ancestor));
            *s += points / divider;
            ancestor = dom.nodes[ancestor].parent;
        }
    }
    let mut best: Option<(f64, usize)> = None;
    for (i, s) in score.iter().enumerate() {
        let Some(s) = s else { continue };
        let s = s * (1.0 - dom.link_density(i, skip));
        if best.is_none_or(|(b, _)| s > b) {
            best = Some((s, i));
        }
    }
    let Some((top_score, top)) = best else {
        // Nothing scored: the whole body.
        return vec![
            (1..dom.nodes.len())
                .find(|&i| dom.name(i) == "body")
                .unwrap_or(0),
        ];
    };
    let parent = dom.nodes[top].parent;
    if parent == 0 {
        return vec![top];
    }
    let threshold = (top_score * 0.2).max(10.0);
    let mut roots = Vec::new();
    for &sib in &dom.nodes[parent].children {
        if sib == top {
            roots.push(sib);
            continue;
        }
        if skip[sib] || !dom.is_element(sib) {
            continue;
        }
        let sib_score = score[sib].map_or(0.0, |s| s * (1.0 - dom.link_density(sib, skip)));
        let keep = sib_score >= threshold
            || (dom.name(sib) == "p" && {
                let text = dom.text(sib, skip);
                let len = text.chars().count();
                let density = dom.link_density(sib, skip);
                (len > 80 && density < 0.25)
                    || (len > 0 && density == 0.0 && (text.contains(". ") || text.ends_with('.')))
            });
        if keep {
            roots.push(sib);
        }
    }
    roots
}

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
        "p" | "pre" | "dd" | "dt" | "td" | "th" | "figcaption" | "address" | "caption"
            if in_quote =>
        {
            BlockKind::Quote
        }
        "p" | "pre" | "dd" | "dt" | "td" | "th" | "figcaption" | "address" | "caption" => {
            BlockKind::Paragraph
        }
        _ => return None,
    })
}

/// The walk that turns the content's nodes into blocks.
struct Blocks<'a> {
    dom: &'a Dom,
    skip: &'a Mask,
    out: Vec<(BlockKind, String)>,
    buf: String,
    kind: Option<BlockKind>,
    quote_depth: usize,
    /// Inside how many links the walk is, and how many letters of the buffer are in links.
    link_depth: usize,
    link_chars: usize,
}

/// A line break (`<br>`) in the walk's buffer, told from the page's own newlines, which are
/// white space.
const BR: char = '\u{2028}';

/// Blocks shorter than this, most of whose letters are links, are navigation.
const LINK_BLOCK_CHARS: usize = 200;

/// Formatting and other inline elements, which never end a block.
const INLINE: &[&str] = &[
    "a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "dfn", "em", "font", "i", "kbd",
    "mark", "q", "s", "samp", "small", "span", "strong", "sub", "sup", "time", "u", "var", "big",
    "strike", "tt", "ins", "del", "label", "nobr",
];

impl Blocks<'_> {
    fn new<'a>(dom: &'a Dom, skip: &'a Mask) -> Blocks<'a> {
        Blocks {
            dom,
            skip,
            out: Vec::new(),
            buf: String::new(),
            kind: None,
            quote_depth: 0,
            link_depth: 0,
            link_chars: 0,
        }
    }

    fn flush(&mut self) {
        let linked = std::mem::take(&mut self.link_chars);
        let letters = self.buf.chars().filter(|c| !c.is_whitespace()).count();
        if letters > 0 && letters < LINK_BLOCK_CHARS && linked * 2 > letters {
            self.buf.clear();
            self.kind = None;
            return;
        }
        let text = self
            .buf
            .split(BR)
            .map(collapse)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join("\n");
        self.buf.clear();
        let kind = self.kind.take();
        if text.is_empty() {
            return;
        }
        let kind = kind.unwrap_or(if self.quote_depth > 0 {
            BlockKind::Quote
        } else {
            BlockKind::Paragraph
        });
        self.out.push((kind, text));
    }

    fn walk(&mut self, i: usize) {
        if self.skip[i] {
            return;
        }
        let dom = self.dom;
        let name = match &dom.nodes[i].kind {
            Kind::Text(t) => {
                if self.link_depth > 0 {
                    self.link_chars += t.chars().filter(|c| !c.is_whitespace()).count();
                }
                self.buf.push_str(t);
                return;
            }
            Kind::Element { name, .. } => name.as_str(),
        };
        if !INLINE.contains(&name)
            && name != "br"
            && name != "img"
            && !dom.nodes[i].children.is_empty()
            && {
                let (all, linked) = dom.text_and_link_chars(i, self.skip);
                all < 600 && linked * 2 > all
            }
        {
            // Links with little text between: a menu, tags, more stories.
            self.flush();
            return;
        }
        match name {
            "br" => {
                // Two line breaks in a row end a paragraph (old pages have no `<p>`).
                if self
                    .buf
                    .trim_end_matches(|c: char| c.is_ascii_whitespace())
                    .ends_with(BR)
                {
                    let kind = self.kind;
                    self.flush();
                    self.kind = kind;
                } else {
                    self.buf.push(BR);
                }
            }
            "a" => {
                self.link_depth += 1;
                self.children(i);
                self.link_depth -= 1;
            }
            "figure" | "picture" => {
                self.flush();
                self.figure(i);
            }
            "img" => {
                let alt = dom.attr(i, "alt").map(collapse).unwrap_or_default();
                if !alt.is_empty() {
                    self.flush();
                    self.out
                        .push((BlockKind::Figure, format!("{FIGURE_MARK} {alt}")));
                }
            }
            "blockquote" => {
                self.flush();
                self.quote_depth += 1;
                self.children(i);
                self.flush();
                self.quote_depth -= 1;
            }
            _ => {
                if let Some(kind) = block_kind(name, self.quote_depth > 0) {
                    self.flush();
                    self.kind = Some(kind);
                    self.children(i);
                    self.flush();
                } else if CLOSES_P.contains(&name)
                    || matches!(name, "tr" | "section" | "header" | "center" | "details")
                {
                    self.flush();
                    self.children(i);
                    self.flush();
                } else {
                    self.children(i);
                }
            }
        }
    }

    fn children(&mut self, i: usize) {
        for &c in &self.dom.nodes[i].children {
            self.walk(c);
        }
    }

    /// A figure as one placeholder block: its caption, else the alt text of its image.
    fn figure(&mut self, i: usize) {
        let dom = self.dom;
        let all = dom.descendants(i);
        let caption = all
            .iter()
            .find(|&&n| dom.name(n) == "figcaption")
            .map(|&n| dom.text(n, self.skip))
            .unwrap_or_default();
        let alt = all
            .iter()
            .find(|&&n| dom.name(n) == "img")
            .and_then(|&n| dom.attr(n, "alt"))
            .map(collapse)
            .unwrap_or_default();
        let text = if !caption.is_empty() {
            if alt.is_empty() || caption.contains(&alt) {
                caption
            } else {
                format!("{alt} — {caption}")
            }
        } else if !alt.is_empty() {
            alt
        } else {
            // A figure without words: a quotation or a table in a figure is text.
            if !dom.text(i, self.skip).is_empty() {
                self.children(i);
                self.flush();
            }
            return;
        };
        self.out
            .push((BlockKind::Figure, format!("{FIGURE_MARK} {text}")));
    }
}

/// Bylines marked up in the page: `rel="author"`, `itemprop="author"`, a class or id such as
/// `byline`; the text of each such element.
fn dom_bylines(dom: &Dom) -> Vec<String> {
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
pub(super) fn clean_byline(s: &str) -> String {
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
fn strip_site_name(title: &str, site: Option<&str>, h1: Option<&str>) -> String {
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
fn alnum(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The text and logo alt text of the page's links to its home page (`href="/"`), a few.
fn home_link_names(dom: &Dom) -> Vec<String> {
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
fn host_name(url: &str) -> Option<&str> {
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

/// How many blocks at the top of the body may hold the title, the byline or the date again.
const HEAD_BLOCKS: usize = 8;

/// Whether a short block only repeats the byline, the date or the title, with labels and
/// separators between them.
pub(super) fn only_repeats(text: &str, known: &[&str]) -> bool {
    if text.chars().count() > 300 {
        return false;
    }
    let mut rest = text.to_lowercase();
    let mut known: Vec<String> = known
        .iter()
        .map(|k| k.to_lowercase())
        .filter(|k| k.chars().count() >= 3)
        .collect();
    known.sort_by_key(|k| std::cmp::Reverse(k.len()));
    let mut removed = false;
    for k in &known {
        if rest.contains(k.as_str()) {
            rest = rest.replace(k.as_str(), " ");
            removed = true;
        }
    }
    if !removed {
        return false;
    }
    let left = rest
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && !LABELS.contains(w))
        .count();
    left == 0
}

/// The dir of the nearest element with one, from `i` up.
fn direction_at(dom: &Dom, mut i: usize) -> Option<Direction> {
    loop {
        match dom.attr(i, "dir").map(str::to_ascii_lowercase).as_deref() {
            Some("rtl") => return Some(Direction::Rtl),
            Some("ltr") => return Some(Direction::Ltr),
            _ => {}
        }
        if i == 0 {
            return None;
        }
        i = dom.nodes[i].parent;
    }
}

/// The lang of the nearest element with one, from `i` up.
fn lang_at(dom: &Dom, mut i: usize) -> Option<String> {
    loop {
        if let Some(l) = dom.attr(i, "lang").or_else(|| dom.attr(i, "xml:lang"))
            && !l.trim().is_empty()
        {
            return Some(l.trim().to_owned());
        }
        if i == 0 {
            return None;
        }
        i = dom.nodes[i].parent;
    }
}

/// The article's own container and what holds it, which are never left out.
fn article_keep(dom: &Dom) -> Vec<bool> {
    // Of several `<article>` elements (teasers of other stories are often marked so), only
    // the one with the most text is the page's own.
    let all = Mask::new(dom, vec![false; dom.nodes.len()]);
    let main_article = (1..dom.nodes.len())
        .filter(|&i| dom.name(i) == "article")
        .max_by_key(|&i| all.chars[i].0)
        .filter(|&i| all.chars[i].0 * 3 >= all.chars[0].0);
    let mut keep = vec![false; dom.nodes.len()];
    for i in 0..dom.nodes.len() {
        if dom
            .attr(i, "itemprop")
            .is_some_and(|p| p.eq_ignore_ascii_case("articlebody"))
            || matches!(dom.name(i), "main" | "body" | "html")
            || Some(i) == main_article
        {
            let mut n = i;
            while n != 0 && !keep[n] {
                keep[n] = true;
                n = dom.nodes[n].parent;
            }
        }
    }
    keep
}

/// The page's dates (the metadata's, else the first `<time>` element's, in the content
/// first), and the texts of its `<time>` elements.
fn page_dates(dom: &Dom, meta: &Meta, roots: &[usize]) -> (Vec<String>, Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    let times: Vec<usize> = roots
        .iter()
        .flat_map(|&r| dom.descendants(r))
        .chain(1..dom.nodes.len())
        .filter(|&i| dom.name(i) == "time" || dom.attr(i, "itemprop") == Some("datePublished"))
        .filter(|&i| seen.insert(i))
        .take(MAX_TIMES)
        .collect();
    let time_texts: Vec<String> = times.iter().map(|&i| dom.text(i, &[])).collect();
    let mut dates = meta.dates.clone();
    // The metadata's dates, unless none of them is understood: then the `<time>` element's
    // comes first.
    if !dates.iter().any(|d| super::parse_date(d).is_some()) {
        let first = times.first().and_then(|&i| {
            dom.attr(i, "datetime")
                .or_else(|| dom.attr(i, "content"))
                .map(collapse)
                .filter(|d| !d.is_empty())
                .or_else(|| Some(dom.text(i, &[])).filter(|t| !t.is_empty()))
        });
        if let Some(first) = first {
            dates.insert(0, first);
        }
    }
    dates.dedup();
    dates.truncate(2);
    (dates, time_texts)
}

/// At most this many `<time>` elements of a page are looked at.
const MAX_TIMES: usize = 32;

/// Pushes the body's blocks into `raw`, leaving out the title, byline and date lines at the
/// top (and a byline or date line at the end); returns the date lines found at the top.
fn push_body(
    raw: &mut RawArticle,
    blocks: Vec<(BlockKind, String)>,
    title: Option<&str>,
    h1: Option<&str>,
    known: &[&str],
) -> Vec<String> {
    let n = blocks.len();
    let mut found_dates = Vec::new();
    for (idx, (kind, text)) in blocks.into_iter().enumerate() {
        if kind == BlockKind::Figure {
            raw.push_block(kind, &text);
            continue;
        }
        let head = idx < HEAD_BLOCKS;
        let is_title = |line: &str| title == Some(line) || h1 == Some(line);
        let text = if head {
            // The title, the byline and the date lines at the top are shown in the head, not
            // again in the body.
            let kept: Vec<&str> = text
                .split('\n')
                .filter(|line| {
                    if is_title(line) || only_repeats(line, known) {
                        return false;
                    }
                    if line.chars().count() <= 100 && super::parse_date(line).is_some() {
                        found_dates.push((*line).to_owned());
                        return false;
                    }
                    true
                })
                .collect();
            kept.join("\n")
        } else if idx + 3 >= n && only_repeats(&text, known) {
            continue;
        } else {
            text
        };
        raw.push_block(kind, &text);
    }
    found_dates
}

/// JSON-LD's headline, `OpenGraph`'s title, the heading, the `<title>`: without the site's
/// name.
fn page_title(dom: &Dom, meta: &Meta, h1: Option<&str>) -> Option<String> {
    meta.og_title
        .clone()
        .or_else(|| h1.map(str::to_owned))
        .or_else(|| meta.title.clone())
        .map(|t| strip_site_name(&t, meta.site.as_deref(), h1))
        .map(|t| {
            // A site without `og:site_name` is often named in its title as in its address, or
            // as on its link to the home page.
            let mut t = t;
            for name in meta
                .url
                .as_deref()
                .and_then(host_name)
                .map(str::to_owned)
                .into_iter()
                .chain(home_link_names(dom))
            {
                t = strip_site_name(&t, Some(&name), None);
            }
            t
        })
}

pub(super) fn parse(text: &str) -> RawArticle {
    let dom = build(text);
    let meta = read_meta(&dom);
    let mut raw = RawArticle::default();
    if dom.truncated {
        raw.notes.push(format!(
            "it has more than {MAX_NODES} elements and texts; the rest of the page was not read"
        ));
    }
    let keep = article_keep(&dom);
    let skip = unlikely(&dom, &keep);
    let roots = content_roots(&dom, &skip);
    // The heading: the content's first `<h1>`, else the page's first one that is not in a
    // part left out (a site header's logo is often an `<h1>` too).
    let h1 = roots
        .iter()
        .flat_map(|&r| dom.descendants(r))
        .chain((1..dom.nodes.len()).filter(|&i| !skip[i]))
        .find(|&i| dom.name(i) == "h1")
        .map(|i| dom.text(i, &[]))
        .filter(|t| !t.is_empty());
    let title = page_title(&dom, &meta, h1.as_deref());
    let (mut dates, time_texts) = page_dates(&dom, &meta, &roots);
    // The byline: JSON-LD and `<meta>` authors, else the page's byline element.
    let marked = dom_bylines(&dom);
    let byline = if meta.authors.is_empty() {
        marked
            .first()
            .map(|b| clean_byline(b))
            .filter(|b| !b.is_empty())
    } else {
        let mut authors = meta.authors.clone();
        authors.dedup();
        Some(authors.join(", "))
    };
    // The body.
    let mut walker = Blocks::new(&dom, &skip);
    for &r in &roots {
        walker.walk(r);
        walker.flush();
    }
    let blocks = walker.out;
    // A page without a heading element: the line near the top that is a part of its title.
    let mut title = title;
    if h1.is_none()
        && meta.og_title.is_none()
        && let Some(t) = &meta.title
        && let Some(line) = blocks
            .iter()
            .take(HEAD_BLOCKS)
            .flat_map(|(_, text)| text.split('\n'))
            .find(|line| {
                line.chars().count() >= 3
                    && *line != t.as_str()
                    && strip_site_name(t, None, Some(line)) == *line
            })
    {
        title = Some(line.to_owned());
    }
    let mut known: Vec<&str> = Vec::new();
    known.extend(byline.as_deref());
    known.extend(marked.iter().map(String::as_str));
    known.extend(time_texts.iter().map(String::as_str));
    known.extend(dates.iter().map(String::as_str));
    let known: Vec<String> = known.into_iter().map(str::to_owned).collect();
    let known: Vec<&str> = known.iter().map(String::as_str).collect();
    let found_dates = push_body(&mut raw, blocks, title.as_deref(), h1.as_deref(), &known);
    if dates.is_empty() {
        dates = found_dates;
        dates.truncate(2);
    }
    if raw.blocks.is_empty()
        && let Some(body) = &meta.body
    {
        for p in super::split_paragraphs(body) {
            raw.push_block(BlockKind::Paragraph, p);
        }
    }
    let anchor = roots.first().copied().unwrap_or(0);
    raw.dir = direction_at(&dom, anchor).or_else(|| {
        (1..dom.nodes.len())
            .find(|&i| dom.name(i) == "body")
            .and_then(|b| direction_at(&dom, b))
    });
    raw.lang = lang_at(&dom, anchor).or(meta.lang.clone()).or_else(|| {
        (1..dom.nodes.len())
            .find(|&i| dom.name(i) == "body")
            .and_then(|b| lang_at(&dom, b))
    });
    raw.title = title.map(|t| collapse(&t));
    raw.dates = dates;
    raw.byline = byline;
    raw.source = meta.site;
    raw.url = meta.url;
    raw.tags = meta.tags;
    raw
}

/// The blocks of an HTML fragment (a JSON field, a feed's content): every element read, none
/// scored away but scripts, styles and hidden ones.
pub(super) fn fragment_blocks(html: &str, raw: &mut RawArticle) {
    let dom = build(html);
    if dom.truncated {
        raw.notes.push(format!(
            "its HTML has more than {MAX_NODES} elements and texts; the rest was not read"
        ));
    }
    let mut skip = vec![false; dom.nodes.len()];
    for i in 1..dom.nodes.len() {
        let parent = dom.nodes[i].parent;
        skip[i] = (skip[parent] && parent != 0)
            || (dom.is_element(i)
                && (matches!(
                    dom.name(i),
                    "script" | "style" | "template" | "noscript" | "iframe" | "form" | "button"
                ) || dom.attr(i, "hidden").is_some()));
    }
    let skip = Mask::new(&dom, skip);
    let mut walker = Blocks::new(&dom, &skip);
    walker.walk(0);
    walker.flush();
    for (kind, text) in walker.out {
        raw.push_block(kind, &text);
    }
}

/// Whether a text field holds HTML markup (a tag or an entity) rather than plain text.
pub(super) fn looks_like_html(s: &str) -> bool {
    let probe = s.get(..s.len().min(4096)).unwrap_or(s);
    let lower = probe.to_ascii_lowercase();
    [
        "<p>",
        "<p ",
        "</p>",
        "<br",
        "<div",
        "</div>",
        "<h1",
        "<h2",
        "<h3",
        "<ul",
        "<ol",
        "<li",
        "<blockquote",
        "<figure",
        "<img",
        "<a href",
        "</a>",
        "<strong>",
        "<em>",
        "<span",
        "<table",
    ]
    .iter()
    .any(|t| lower.contains(t))
}

#[cfg(test)]
mod tests {
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
}
