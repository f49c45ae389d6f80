//! One sanitizer for every string from outside that reaches a terminal or a log line: file and
//! folder names, paths in messages, titles printed on one line, user names, `TERM`, config
//! values echoed in errors.
//!
//! Article text has its own, load-time sanitizer ([`crate::article::sanitize`]), which keeps tab,
//! newline and bidi controls because the layout uses them. A name printed on one line may keep
//! none of them: [`display`] makes every control character visible and shows the bidi
//! embeddings, overrides and isolates by name, so an RLO in a file name cannot reorder the rest of
//! the line in a terminal that does bidi; [`log`] escapes the same characters (and quotes and
//! backslashes) so that a log line is one line, cannot forge another and has a bounded length.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::path::Path;

/// The visible form of a character that must not reach a terminal as itself, if it is one.
fn visible(c: char) -> Option<&'static str> {
    const C0: [&str; 32] = [
        "␀", "␁", "␂", "␃", "␄", "␅", "␆", "␇", "␈", "␉", "␊", "␋", "␌", "␍", "␎", "␏", "␐", "␑",
        "␒", "␓", "␔", "␕", "␖", "␗", "␘", "␙", "␚", "␛", "␜", "␝", "␞", "␟",
    ];
    Some(match c {
        '\0'..='\u{1f}' => C0[c as usize],
        '\u{7f}' => "␡",
        '\u{80}'..='\u{9f}' => "\u{FFFD}",
        '\u{2028}' | '\u{2029}' => "␤",
        '\u{202A}' => "⟨LRE⟩",
        '\u{202B}' => "⟨RLE⟩",
        '\u{202C}' => "⟨PDF⟩",
        '\u{202D}' => "⟨LRO⟩",
        '\u{202E}' => "⟨RLO⟩",
        '\u{2066}' => "⟨LRI⟩",
        '\u{2067}' => "⟨RLI⟩",
        '\u{2068}' => "⟨FSI⟩",
        '\u{2069}' => "⟨PDI⟩",
        _ => return None,
    })
}

/// Whether `c` is something [`display`] and [`log`] replace.
fn is_unsafe(c: char) -> bool {
    visible(c).is_some()
}

/// `s` made safe to print on one line of a terminal: C0 controls (tab and newline too) become
/// their control pictures (`␛`), DEL `␡`, C1 controls U+FFFD, line and paragraph separators
/// `␤`, and the bidi embeddings, overrides and isolates their names (`⟨RLO⟩`). The marks (LRM,
/// RLM, ALM) are kept: they steer only their neighbours and are common in real Arabic titles.
/// Text with nothing to replace is returned borrowed.
pub fn display(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match visible(c) {
            Some(v) => out.push_str(v),
            None => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// A path made safe to print on one line (see [`display`]); bytes that are not UTF-8 are shown
/// as U+FFFD.
pub fn path(p: &Path) -> String {
    display(&p.to_string_lossy()).into_owned()
}

/// `s` as one field of a log line, at most `max_chars` characters of it: controls, bidi
/// embeddings/overrides/isolates and line separators are written as Rust escapes (`\u{1b}`),
/// a backslash as `\\` and a double quote as `\"`, so the field can be quoted and matched by a
/// pattern (fail2ban) and never forges a line or drives the operator's terminal. A longer
/// value ends in `…` and the number of bytes it had.
pub fn log(s: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max_chars * 2) + 2);
    for (n, c) in s.chars().enumerate() {
        if n == max_chars {
            let _ = write!(out, "…({} bytes)", s.len());
            break;
        }
        if c == '\\' || c == '"' || is_unsafe(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_controls_in_names_become_visible() {
        let name = "x\u{1b}]0;PWNED\u{7}\u{1b}c\r\n\u{8}\u{9b}1m.md";
        let shown = display(name);
        assert_eq!(shown, "x␛]0;PWNED␇␛c␍␊␈\u{FFFD}1m.md");
        assert!(!shown.chars().any(char::is_control));
    }

    #[test]
    fn bidi_overrides_and_isolates_are_named_marks_kept() {
        assert_eq!(display("abc\u{202E}fdp.exe"), "abc⟨RLO⟩fdp.exe");
        assert_eq!(display("\u{2067}x\u{2069}"), "⟨RLI⟩x⟨PDI⟩");
        let title = "عنوان \u{200F}(BBC)";
        assert!(matches!(display(title), Cow::Borrowed(_)));
    }

    #[test]
    fn log_fields_are_one_line_escaped_and_bounded() {
        assert_eq!(log("root\nFAKE line", 64), "root\\nFAKE line");
        assert_eq!(
            log("a\"b\\c\u{1b}]52;c;x\u{7}", 64),
            "a\\\"b\\\\c\\u{1b}]52;c;x\\u{7}"
        );
        let long = "x".repeat(30_000);
        let field = log(&long, 100);
        assert!(field.starts_with(&"x".repeat(100)));
        assert!(field.ends_with("…(30000 bytes)"), "{field}");
        assert!(field.chars().count() < 120);
        assert_eq!(log("قارئ", 64), "قارئ");
    }

    #[test]
    fn paths_are_displayed_safely() {
        let p = Path::new("/lib/a\u{1b}[2J.txt");
        assert_eq!(path(p), "/lib/a␛[2J.txt");
    }
}
