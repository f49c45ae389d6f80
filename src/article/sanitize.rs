//! Makes article text safe for a terminal: no control byte of an article may ever reach it.

use std::borrow::Cow;

/// Replaces every control character that a terminal would act on with a visible substitute.
///
/// - `\r\n` becomes `\n`; a lone `\r` (old Mac line end) and U+2028/U+2029 become `\n`.
/// - C0 controls other than tab and newline become their U+2400 control pictures (ESC is `␛`),
///   DEL becomes `␡`, and C1 controls (U+0080–U+009F, which some terminals read as CSI/OSC
///   introducers) become U+FFFD.
///
/// Bidi controls are kept: they steer the layout, which never prints them. Text without
/// anything to replace is returned borrowed.
pub fn sanitize(s: &str) -> Cow<'_, str> {
    if !needs_sanitizing(s.as_bytes()) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\t' | '\n' => out.push(c),
            '\r' => {
                if chars.peek() != Some(&'\n') {
                    out.push('\n');
                }
            }
            '\u{2028}' | '\u{2029}' => out.push('\n'),
            '\0'..='\u{1f}' => {
                out.push(char::from_u32(0x2400 + u32::from(c)).unwrap_or('\u{FFFD}'));
            }
            '\u{7f}' => out.push('\u{2421}'),
            '\u{80}'..='\u{9f}' => out.push('\u{FFFD}'),
            _ => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Bytes that may start something to replace: C0 but tab and newline, DEL, and the lead
/// bytes of C1 controls (`C2 80`–`C2 9F`) and of U+2028/U+2029 (`E2 80 A8`/`A9`).
const SUSPECT: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = b != b'\t' as usize && b != b'\n' as usize;
        b += 1;
    }
    t[0x7f] = true;
    t[0xC2] = true;
    t[0xE2] = true;
    t
};

/// One pass over the bytes, looking closer only at suspect ones.
fn needs_sanitizing(bytes: &[u8]) -> bool {
    let mut rest = bytes;
    while let Some(i) = rest.iter().position(|&b| SUSPECT[usize::from(b)]) {
        let tail = &rest[i..];
        match tail {
            [0xC2, n, ..] if (0x80..=0x9f).contains(n) => return true,
            [0xE2, 0x80, 0xA8 | 0xA9, ..] => return true,
            [0xC2 | 0xE2, ..] => {}
            _ => return true,
        }
        rest = &tail[1..];
    }
    false
}

/// Bidi formatting characters: they steer the algorithm and are never drawn.
/// (U+061C ALM, U+200E LRM, U+200F RLM, U+202A–U+202E embeddings and overrides,
/// U+2066–U+2069 isolates, and U+FEFF, a zero-width no-break space.)
pub fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_become_visible() {
        let s = "a\x1b]52;c;ZXZpbA==\x07b\x1b[2Jc";
        let out = sanitize(s);
        assert_eq!(out, "a\u{241B}]52;c;ZXZpbA==\u{2407}b\u{241B}[2Jc");
        assert!(!out.chars().any(char::is_control));
    }

    #[test]
    fn c1_del_and_line_ends() {
        assert_eq!(sanitize("x\u{9b}31m\u{7f}"), "x\u{FFFD}31m\u{2421}");
        assert_eq!(sanitize("a\r\nb\rc"), "a\nb\nc");
        assert_eq!(sanitize("tab\there\n"), "tab\there\n");
    }

    #[test]
    fn clean_text_is_borrowed_and_bidi_controls_kept() {
        let s = "نص \u{200F}عربي (BBC)";
        assert!(matches!(sanitize(s), Cow::Borrowed(_)));
        assert!(is_bidi_control('\u{200F}'));
        assert!(is_bidi_control('\u{2067}'));
        assert!(
            !is_bidi_control('\u{200D}'),
            "ZWJ is a joiner, not a bidi control"
        );
    }
}
