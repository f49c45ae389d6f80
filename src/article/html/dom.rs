//! The page as a small tree of its own: html5gum's tokens built into nodes (capped in number
//! and depth), with the few attributes the reader view needs and the JSON-LD scripts kept.

use html5gum::{DefaultEmitter, Token, Tokenizer};

/// At most this many elements and texts are kept of a page; the rest of it is not read.
pub(super) const MAX_NODES: usize = 200_000;

/// Elements nested deeper than this are read as part of the deepest one kept.
pub(super) const MAX_DEPTH: usize = 256;

/// The attributes a reader view looks at; the others are not kept.
pub(super) const KEPT_ATTRIBUTES: &[&[u8]] = &[
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
    b"start",
    b"style",
    b"xml:lang",
];

/// JSON-LD blocks larger than this are not read.
pub(super) const MAX_JSON_LD_BYTES: usize = 1024 * 1024;

/// At most this many JSON-LD blocks are read.
pub(super) const MAX_JSON_LD_BLOCKS: usize = 16;

/// A placeholder block for an image or a figure starts with this sign.
pub const FIGURE_MARK: &str = "▣";

/// Elements that never hold article text.
pub(super) const SKIPPED: &[&str] = &[
    "script", "style", "nav", "footer", "aside", "form", "noscript", "template", "svg", "button",
    "select", "iframe", "object", "embed", "input", "textarea", "canvas", "dialog", "menu",
    "video", "audio", "map", "head",
];

/// Elements without content.
pub(super) const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr", "param",
];

/// Elements whose start closes an open `<p>`.
pub(super) const CLOSES_P: &[&str] = &[
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

#[derive(Debug)]
pub(super) enum Kind {
    Element {
        name: String,
        attrs: Vec<(String, String)>,
    },
    Text(String),
}

#[derive(Debug)]
pub(super) struct Node {
    pub(super) kind: Kind,
    pub(super) parent: usize,
    pub(super) children: Vec<usize>,
}

/// The page as a tree: node 0 is the document.
pub(super) struct Dom {
    pub(super) nodes: Vec<Node>,
    /// The texts of `<title>`, JSON-LD scripts, in order.
    pub(super) title: Option<String>,
    pub(super) json_ld: Vec<String>,
    pub(super) truncated: bool,
}

impl Dom {
    pub(super) fn name(&self, i: usize) -> &str {
        match &self.nodes[i].kind {
            Kind::Element { name, .. } => name,
            Kind::Text(_) => "",
        }
    }

    pub(super) fn attr(&self, i: usize, key: &str) -> Option<&str> {
        match &self.nodes[i].kind {
            Kind::Element { attrs, .. } => attrs
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str()),
            Kind::Text(_) => None,
        }
    }

    pub(super) fn is_element(&self, i: usize) -> bool {
        matches!(self.nodes[i].kind, Kind::Element { .. })
    }

    /// Every node under `i` (itself first), in document order.
    pub(super) fn descendants(&self, i: usize) -> Vec<usize> {
        let mut out = Vec::new();
        let mut stack = vec![i];
        while let Some(n) = stack.pop() {
            out.push(n);
            stack.extend(self.nodes[n].children.iter().rev());
        }
        out
    }

    /// The text under `i`, whitespace collapsed, leaving out `skip`ped subtrees.
    pub(super) fn text(&self, i: usize, skip: &[bool]) -> String {
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
    pub(super) fn text_and_link_chars(&self, i: usize, mask: &Mask) -> (usize, usize) {
        let _ = self;
        mask.chars[i]
    }

    pub(super) fn link_density(&self, i: usize, mask: &Mask) -> f64 {
        let (all, linked) = self.text_and_link_chars(i, mask);
        if all == 0 {
            0.0
        } else {
            linked as f64 / all as f64
        }
    }

    /// The class and id of an element, lower-cased, as one string.
    pub(super) fn hints(&self, i: usize) -> String {
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
pub(super) struct Mask {
    pub(super) skip: Vec<bool>,
    pub(super) chars: Vec<(usize, usize)>,
}

impl Mask {
    pub(super) fn new(dom: &Dom, skip: Vec<bool>) -> Self {
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

pub(super) fn collapse(s: &str) -> String {
    s.split_ascii_whitespace().collect::<Vec<_>>().join(" ")
}

/// The tree being built: the document, the open elements, and the raw-text element (script,
/// style, title) whose text is being read apart.
pub(super) struct Builder {
    pub(super) dom: Dom,
    pub(super) stack: Vec<usize>,
    pub(super) raw_text: Option<(String, String)>,
}

impl Builder {
    /// A start tag; `false` once the node cap is reached.
    pub(super) fn start(&mut self, tag: &html5gum::StartTag<()>) -> bool {
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

    pub(super) fn end(&mut self, tag: &html5gum::EndTag<()>) {
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
    pub(super) fn text(&mut self, s: &str) -> bool {
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
pub(super) fn build(text: &str) -> Dom {
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
pub(super) fn push_json_ld(dom: &mut Dom, s: &str, script: Option<usize>) {
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
pub(super) fn close_open(dom: &Dom, stack: &mut Vec<usize>, names: &[&str], scope: &[&str]) {
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
