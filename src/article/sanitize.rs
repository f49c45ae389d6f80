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
    if needs_sanitizing(s.as_bytes()) {
        Cow::Owned(replace_controls(s))
    } else {
        Cow::Borrowed(s)
    }
}

/// The replacements of [`sanitize`], character by character.
fn replace_controls(s: &str) -> String {
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
    out
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

/// One pass over the bytes, 32 at a time: a chunk without a suspect byte (most of them) is
/// passed by a test the compiler vectorizes; only the suspect bytes of the others are looked at
/// closer.
fn needs_sanitizing(bytes: &[u8]) -> bool {
    const CHUNK: usize = 32;
    for (k, chunk) in bytes.chunks(CHUNK).enumerate() {
        if !chunk.iter().fold(false, |any, &b| any | suspect(b)) {
            continue;
        }
        let base = k * CHUNK;
        for (i, &b) in chunk.iter().enumerate() {
            if SUSPECT[usize::from(b)] && replaced_at(bytes.get(base + i..).unwrap_or(&[])) {
                return true;
            }
        }
    }
    false
}

/// [`SUSPECT`] as arithmetic, for the vectorized test.
#[inline]
#[expect(
    clippy::needless_bitwise_bool,
    reason = "no branches, so that the test over a chunk is vectorized"
)]
fn suspect(b: u8) -> bool {
    (b < 0x20) & (b != b'\t') & (b != b'\n') | (b == 0x7f) | (b == 0xC2) | (b == 0xE2)
}

/// Whether the text from a suspect byte on starts something [`sanitize`] replaces.
fn replaced_at(tail: &[u8]) -> bool {
    match tail {
        [0xC2, n, ..] if (0x80..=0x9f).contains(n) => true,
        [0xE2, 0x80, 0xA8 | 0xA9, ..] => true,
        [0xC2 | 0xE2, ..] => false,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::is_bidi_control;

    proptest::proptest! {
        /// The fast scan says there is something to replace exactly when the replacements
        /// change the text.
        #[test]
        fn the_scan_finds_exactly_what_is_replaced(
            chars in proptest::collection::vec(proptest::sample::select(vec![
                'a', ' ', '\t', '\n', '\r', '\u{1b}', '\0', '\u{7f}', '\u{80}', '\u{9b}',
                '\u{9f}', '\u{a0}', '«', '»', '\u{2028}', '\u{2029}', '\u{2027}', '—', '…',
                'ب', 'ل', '\u{064E}', '\u{202B}', '\u{FEFF}',
            ]), 0..100),
        ) {
            let text: String = chars.into_iter().collect();
            proptest::prop_assert_eq!(
                needs_sanitizing(text.as_bytes()),
                replace_controls(&text) != text,
                "{:?}", text
            );
        }
    }

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
