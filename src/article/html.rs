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

mod blocks;
mod dom;
mod meta;
mod score;
#[cfg(test)]
mod tests;

use super::{BlockKind, Direction, Item, MAX_LINKS, Mark, RawArticle, Style, inline};
pub(super) use blocks::only_repeats;
use blocks::{Blocks, HEAD_BLOCKS};
pub(super) use dom::FIGURE_MARK;
use dom::{Dom, MAX_NODES, Mask, build, collapse};
use meta::{Meta, dom_bylines, home_link_names, host_name, read_meta, strip_site_name};
pub(super) use meta::{clean_byline, decode_inline};
use score::{content_roots, unlikely};

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
    blocks: Vec<(BlockKind, String, Vec<Mark>, Option<Item>)>,
    links: Vec<String>,
    rows: Vec<(usize, Box<super::Row>)>,
    title: Option<&str>,
    h1: Option<&str>,
    known: &[&str],
) -> Vec<String> {
    let n = blocks.len();
    let mut found_dates = Vec::new();
    let first_link = rebase_links(raw, links);
    let mut rows = rows.into_iter().peekable();
    for (idx, (kind, text, mut marks, item)) in blocks.into_iter().enumerate() {
        let mut row = rows.next_if(|(i, _)| *i == idx).map(|(_, r)| r);
        if kind == BlockKind::Figure {
            raw.push_block(kind, &text);
            continue;
        }
        renumber(&mut marks, first_link);
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
            let joined = kept.join("\n");
            if joined.len() != text.len() {
                // Lines left out: the marks of the rest are not worth moving.
                marks.clear();
                row = None;
            }
            joined
        } else if idx + 3 >= n && only_repeats(&text, known) {
            continue;
        } else {
            text
        };
        push_item(raw, kind, &text, marks, item, row);
    }
    found_dates
}

/// Appends a walk's link targets to the article's (as many as fit under [`MAX_LINKS`]);
/// returns the number the first of them takes.
fn rebase_links(raw: &mut RawArticle, links: Vec<String>) -> u32 {
    let first = raw.links.len() as u32;
    let room = MAX_LINKS.saturating_sub(raw.links.len());
    raw.links.extend(links.into_iter().take(room));
    first
}

/// A walk's link marks numbered from `first`: as [`rebase_links`] numbered their targets.
fn renumber(marks: &mut Vec<Mark>, first: u32) {
    marks.retain_mut(|m| match &mut m.style {
        Style::Link(n) => {
            *n += first;
            (*n as usize) < MAX_LINKS
        }
        _ => true,
    });
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
    let links = walker.links;
    let rows = walker.rows;
    // A page without a heading element: the line near the top that is a part of its title.
    let mut title = title;
    if h1.is_none()
        && meta.og_title.is_none()
        && let Some(t) = &meta.title
        && let Some(line) = blocks
            .iter()
            .take(HEAD_BLOCKS)
            .flat_map(|(_, text, _, _)| text.split('\n'))
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
    let found_dates = push_body(
        &mut raw,
        blocks,
        links,
        rows,
        title.as_deref(),
        h1.as_deref(),
        &known,
    );
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
    let first = rebase_links(raw, walker.links);
    let mut rows = walker.rows.into_iter().peekable();
    for (idx, (kind, text, mut marks, item)) in walker.out.into_iter().enumerate() {
        let row = rows.next_if(|(i, _)| *i == idx).map(|(_, r)| r);
        renumber(&mut marks, first);
        push_item(raw, kind, &text, marks, item, row);
    }
}

/// Pushes a block with its marks and, for a list item, its place in its list.
fn push_item(
    raw: &mut RawArticle,
    kind: BlockKind,
    text: &str,
    marks: Vec<Mark>,
    item: Option<Item>,
    row: Option<Box<super::Row>>,
) {
    let before = raw.blocks.len();
    raw.push_marked(kind, text, marks);
    if let Some(b) = raw.blocks.get_mut(before) {
        b.item = item;
        // A table row's cells are ranges of its text: kept only while the text is its own.
        b.row = row.filter(|_| b.text == text);
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
