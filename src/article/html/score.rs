//! Readability scoring: which nodes are not the article (by tag, role and class/id hints),
//! the containers that hold it, and the best-scoring candidate by paragraphs, commas and text
//! against links.

use super::dom::{CLOSES_P, Dom, Mask, SKIPPED};

/// Class and id words that mark what is not the article (compared whole, after splitting at
/// `-`, `_` and spaces).
pub(super) const NEGATIVE_WORDS: &[&str] = &[
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
pub(super) const NEGATIVE_PARTS: &[&str] = &[
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
pub(super) const POSITIVE_WORDS: &[&str] = &[
    "article", "body", "content", "entry", "main", "post", "story", "text", "blog", "prose",
    "hentry",
];

/// Class and id words of a byline.
pub(super) const BYLINE_WORDS: &[&str] =
    &["byline", "author", "writer", "by", "reporter", "credit"];

pub(super) fn hint_words(hints: &str) -> impl Iterator<Item = &str> {
    hints
        .split(|c: char| c.is_whitespace() || c == '-' || c == '_' || c == ':')
        .filter(|w| !w.is_empty())
}

/// Whether class/id say "not the article" (and do not also say "the article").
pub(super) fn negative(hints: &str) -> bool {
    if hints.trim().is_empty() {
        return false;
    }
    let neg = hint_words(hints).any(|w| NEGATIVE_WORDS.contains(&w))
        || NEGATIVE_PARTS.iter().any(|p| hints.contains(p));
    let pos = hint_words(hints).any(|w| POSITIVE_WORDS.contains(&w));
    neg && !pos
}

/// Readability's class weight: −25 for a negative hint, +25 for a positive one.
pub(super) fn class_weight(hints: &str) -> f64 {
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

/// Nodes left out of the body: skipped elements, hidden ones, and those whose role or class/id
/// says they are not the article. `keep` are never left out (the article's own container and
/// its ancestors).
pub(super) fn unlikely(dom: &Dom, keep: &[bool]) -> Mask {
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
pub(super) fn content_roots(dom: &Dom, skip: &Mask) -> Vec<usize> {
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
pub(super) fn score_candidates(dom: &Dom, skip: &Mask) -> Vec<usize> {
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
