//! Link targets from a file, made safe to keep, show, hand to a browser and send to a
//! terminal in a hyperlink.
//!
//! A target is hostile: it may hold controls (which would end a terminal's hyperlink sequence
//! and start another), bidi controls (which would make it read as another address), a scheme
//! that runs something (`javascript:`, `file:`, `data:`), or be megabytes long. Only
//! `http`, `https` and `mailto` targets are kept, and relative ones resolved against the
//! article's own `http(s)` address; what is kept is printable ASCII (every other byte
//! percent-encoded) and at most [`MAX_TARGET_BYTES`] long.
//!
//! Resolution is RFC 3986's (section 5.2) for the references articles hold: network-path
//! (`//host/p`), absolute-path (`/p`), relative-path (`p`, `../p`), query (`?q`) and fragment
//! (`#f`) references, dot segments removed.

/// A target longer than this (after percent-encoding) is not kept.
pub const MAX_TARGET_BYTES: usize = 2048;

/// At most this many links of one article are kept; the text of the others stays as text.
pub const MAX_LINKS: usize = 4096;

/// `raw` as a target that is safe to keep, resolved against `base` (the article's own address)
/// when it is relative; `None` when it is not an `http`, `https` or `mailto` address (or a
/// reference that resolves to one), holds a control, or is too long.
pub fn safe_target(raw: &str, base: Option<&str>) -> Option<String> {
    let raw = raw.trim_matches(|c: char| c.is_ascii_whitespace());
    if raw.is_empty()
        || raw.len() > MAX_TARGET_BYTES
        || raw
            .chars()
            .any(|c| c.is_control() || crate::text::is_bidi_control(c))
    {
        return None;
    }
    let absolute = match scheme(raw) {
        Some(s) if s.eq_ignore_ascii_case("mailto") => {
            let rest = raw.get(s.len() + 1..)?;
            (!rest.is_empty()).then(|| format!("mailto:{rest}"))?
        }
        Some(s) if s.eq_ignore_ascii_case("http") || s.eq_ignore_ascii_case("https") => {
            let rest = raw.get(s.len() + 1..)?;
            let host = rest.strip_prefix("//")?;
            if authority(host).is_empty() {
                return None;
            }
            format!("{}:{rest}", s.to_ascii_lowercase())
        }
        Some(_) => return None,
        None => resolve(raw, safe_target(base?, None).as_deref()?)?,
    };
    let encoded = encode(&absolute);
    (encoded.len() <= MAX_TARGET_BYTES).then_some(encoded)
}

/// The scheme of an absolute address (`http` of `http://…`), if it has one.
fn scheme(s: &str) -> Option<&str> {
    let colon = s.find(':')?;
    let name = s.get(..colon)?;
    let mut chars = name.chars();
    (chars.next()?.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
    .then_some(name)
}

/// The authority at the start of what follows `//`: up to the path, query or fragment.
fn authority(s: &str) -> &str {
    s.split(['/', '?', '#']).next().unwrap_or("")
}

/// `reference` resolved against `base`, an absolute `http(s)` address (`mailto` bases resolve
/// nothing).
fn resolve(reference: &str, base: &str) -> Option<String> {
    let scheme = scheme(base)?;
    if scheme == "mailto" {
        return None;
    }
    let after = base.get(scheme.len() + 3..)?;
    let auth = authority(after);
    let rest = after.get(auth.len()..).unwrap_or("");
    let no_fragment = rest.split('#').next().unwrap_or("");
    let path = no_fragment.split('?').next().unwrap_or("");
    let prefix = format!("{scheme}://{auth}");
    Some(if let Some(net) = reference.strip_prefix("//") {
        if authority(net).is_empty() {
            return None;
        }
        format!("{scheme}://{net}")
    } else if reference.starts_with('/') {
        let (p, tail) = split_path(reference);
        format!("{prefix}{}{tail}", remove_dots(p))
    } else if reference.starts_with('?') {
        format!("{prefix}{path}{reference}")
    } else if reference.starts_with('#') {
        format!("{prefix}{no_fragment}{reference}")
    } else {
        let dir = path
            .rfind('/')
            .map_or("/", |i| path.get(..=i).unwrap_or("/"));
        let (p, tail) = split_path(reference);
        format!("{prefix}{}{tail}", remove_dots(&format!("{dir}{p}")))
    })
}

/// A reference's path, and its query and fragment.
fn split_path(s: &str) -> (&str, &str) {
    let at = s.find(['?', '#']).unwrap_or(s.len());
    s.split_at(at)
}

/// RFC 3986's `remove_dot_segments` on an absolute path.
fn remove_dots(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    let last = segments.len().saturating_sub(1);
    for (i, seg) in segments.iter().enumerate() {
        match *seg {
            "." => {
                if i == last {
                    out.push("");
                }
            }
            ".." => {
                out.pop();
                if i == last {
                    out.push("");
                }
            }
            s => out.push(s),
        }
    }
    format!("/{}", out.join("/"))
}

/// Every byte but printable ASCII percent-encoded (a space is `%20`).
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_graphic() {
            out.push(char::from(b));
        } else {
            const HEX: &[u8; 16] = b"0123456789ABCDEF";
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "https://news.example/world/2024/story.html?x=1#top";

    #[test]
    fn absolute_targets_of_the_three_schemes_are_kept() {
        assert_eq!(
            safe_target(" https://bbc.co.uk/a?b=c#d ", None).as_deref(),
            Some("https://bbc.co.uk/a?b=c#d")
        );
        assert_eq!(
            safe_target("HTTP://x.y", None).as_deref(),
            Some("http://x.y")
        );
        assert_eq!(
            safe_target("mailto:desk@x.y", None).as_deref(),
            Some("mailto:desk@x.y")
        );
    }

    #[test]
    fn other_schemes_and_broken_addresses_are_refused() {
        for bad in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "file:///etc/passwd",
            "data:text/html,<b>x</b>",
            "vbscript:x",
            "http:/x.y",
            "https://",
            "https:///path",
            "mailto:",
            "",
            "   ",
        ] {
            assert_eq!(safe_target(bad, Some(BASE)), None, "{bad:?}");
        }
    }

    #[test]
    fn controls_and_bidi_controls_are_refused() {
        for bad in [
            "https://x.y/\x1b]8;;evil\x1b\\",
            "https://x.y/\x07",
            "https://x.y/a\u{9b}b",
            "https://x.y/\u{202e}gpj.exe",
            "https://x.y/\u{2066}a",
            "https://x\ny",
        ] {
            assert_eq!(safe_target(bad, None), None, "{bad:?}");
        }
    }

    #[test]
    fn long_targets_are_refused() {
        let long = format!("https://x.y/{}", "a".repeat(MAX_TARGET_BYTES));
        assert_eq!(safe_target(&long, None), None);
        // Percent-encoding may take it over the cap.
        let arabic = format!("https://x.y/{}", "ع".repeat(400));
        assert_eq!(safe_target(&arabic, None), None);
        let fits = format!("https://x.y/{}", "a".repeat(MAX_TARGET_BYTES - 12));
        assert_eq!(
            safe_target(&fits, None).map(|t| t.len()),
            Some(MAX_TARGET_BYTES)
        );
    }

    #[test]
    fn everything_but_printable_ascii_is_percent_encoded() {
        assert_eq!(
            safe_target("https://ar.example/مقال 1", None).as_deref(),
            Some("https://ar.example/%D9%85%D9%82%D8%A7%D9%84%201")
        );
    }

    #[test]
    fn relative_targets_resolve_against_the_article() {
        let r = |s: &str| safe_target(s, Some(BASE));
        assert_eq!(
            r("other.html").as_deref(),
            Some("https://news.example/world/2024/other.html")
        );
        assert_eq!(
            r("../2023/old.html?q=1").as_deref(),
            Some("https://news.example/world/2023/old.html?q=1")
        );
        assert_eq!(r("/about").as_deref(), Some("https://news.example/about"));
        assert_eq!(
            r("/a/./b/../c").as_deref(),
            Some("https://news.example/a/c")
        );
        assert_eq!(
            r("//cdn.example/x").as_deref(),
            Some("https://cdn.example/x")
        );
        assert_eq!(
            r("?page=2").as_deref(),
            Some("https://news.example/world/2024/story.html?page=2")
        );
        assert_eq!(
            r("#fn1").as_deref(),
            Some("https://news.example/world/2024/story.html?x=1#fn1")
        );
        assert_eq!(
            r("../../../../x").as_deref(),
            Some("https://news.example/x")
        );
        assert_eq!(r(".").as_deref(), Some("https://news.example/world/2024/"));
        assert_eq!(r("//").as_deref(), None);
    }

    #[test]
    fn relative_targets_need_a_web_address_to_resolve_against() {
        assert_eq!(safe_target("other.html", None), None);
        assert_eq!(safe_target("other.html", Some("mailto:a@b.c")), None);
        assert_eq!(safe_target("other.html", Some("file:///home/x/")), None);
        assert_eq!(safe_target("other.html", Some("javascript:x")), None);
        assert_eq!(
            safe_target("x", Some("https://h.example")).as_deref(),
            Some("https://h.example/x")
        );
    }
}
