//! The language and base direction of an article, from its metadata or the script of its
//! letters.

use super::{Direction, Lang};

/// Maps a language code or name from metadata to a [`Lang`].
pub(super) fn lang_from_code(code: &str) -> Option<Lang> {
    let code = code.trim().to_ascii_lowercase();
    let primary = code.split(['-', '_']).next().unwrap_or("");
    match primary {
        "ar" | "arz" | "ary" | "apc" | "acm" | "aeb" | "arabic" | "fa" | "ur" | "ps" => {
            Some(Lang::Ar)
        }
        "en" | "english" | "fr" | "de" | "es" | "it" | "pt" | "nl" => Some(Lang::En),
        "mixed" | "mix" => Some(Lang::Mixed),
        _ => None,
    }
}

/// Is this an Arabic-script letter (any of the Arabic blocks)?
pub fn is_arabic_letter(c: char) -> bool {
    matches!(c,
        '\u{0620}'..='\u{064A}' | '\u{066E}'..='\u{06D3}' | '\u{06D5}' | '\u{06EE}'..='\u{06FF}'
        | '\u{0750}'..='\u{077F}' | '\u{08A0}'..='\u{08C9}' | '\u{FB50}'..='\u{FDFF}'
        | '\u{FE70}'..='\u{FEFC}')
}

/// How many characters at the start of an article decide its language.
const LANG_SAMPLE_CHARS: usize = 1000;

/// Counts in one block of 64 bytes (followed by the next byte, for two-byte characters):
/// (Latin letters, Arabic-script letters, characters started). One- and two-byte characters
/// are classed without branches, in 16-bit lanes, so the loop vectorizes; the rare three-byte
/// characters (Arabic Extended-A, presentation forms) take a scalar pass.
#[expect(
    clippy::needless_bitwise_bool,
    reason = "bitwise on purpose: no branches, so the loop vectorizes"
)]
fn block_counts(w: &[u8; 65], len: usize) -> (usize, usize, usize) {
    let (mut latin, mut arabic, mut starts) = (0u8, 0u8, 0u8);
    for i in 0..64 {
        let (x, y) = (u16::from(w[i]), u16::from(w[i + 1]));
        let cp = if x < 0x80 {
            x
        } else if x & 0xE0 == 0xC0 {
            ((x & 0x1F) << 6) | (y & 0x3F)
        } else {
            0
        };
        let in_range = |lo: u16, hi: u16| cp.wrapping_sub(lo) <= hi - lo;
        latin += u8::from(
            in_range(0x41, 0x5A)
                | in_range(0x61, 0x7A)
                | (in_range(0xC0, 0x24F) & (cp != 0xD7) & (cp != 0xF7)),
        );
        arabic += u8::from(
            in_range(0x620, 0x64A)
                | in_range(0x66E, 0x6D3)
                | (cp == 0x6D5)
                | in_range(0x6EE, 0x6FF)
                | in_range(0x750, 0x77F),
        );
        starts += u8::from(x & 0xC0 != 0x80);
    }
    let mut arabic = usize::from(arabic);
    let three_byte = w[..64].iter().fold(0u8, |m, &b| m | u8::from(b >= 0xE0));
    if three_byte != 0 {
        let text = String::from_utf8_lossy(&w[..len]);
        arabic += text
            .chars()
            .filter(|&c| u32::from(c) >= 0x800 && is_arabic_letter(c))
            .count();
    }
    // Zero padding after the text counts as characters started.
    (usize::from(latin), arabic, usize::from(starts) - (64 - len))
}

/// The language of a text from the script of its letters among (about) its first
/// [`LANG_SAMPLE_CHARS`] characters: the texts are read in order, 64 bytes at a time, and
/// reading stops after the block where the count is reached.
pub(super) fn guess_lang<'a>(texts: impl IntoIterator<Item = &'a str>) -> Lang {
    let (mut latin, mut arabic, mut chars) = (0usize, 0usize, 0usize);
    'texts: for text in texts {
        let b = text.as_bytes();
        let mut at = 0;
        while at < b.len() {
            if chars >= LANG_SAMPLE_CHARS {
                break 'texts;
            }
            // The block and the byte after it (a character's continuation), zero padded.
            let mut window = [0u8; 65];
            let end = (at + 65).min(b.len());
            window[..end - at].copy_from_slice(&b[at..end]);
            let len = (b.len() - at).min(64);
            let (l, a, c) = block_counts(&window, len);
            latin += l;
            arabic += a;
            chars += c;
            at += len;
        }
    }
    let total = arabic + latin;
    if total == 0 {
        Lang::En
    } else if arabic * 10 >= total * 6 {
        Lang::Ar
    } else if latin * 10 >= total * 6 {
        Lang::En
    } else {
        Lang::Mixed
    }
}

/// The base direction that goes with a language: a mixed text takes the direction of its
/// first strong character.
pub(super) fn direction_of<'a>(lang: Lang, texts: impl IntoIterator<Item = &'a str>) -> Direction {
    match lang {
        Lang::Ar => Direction::Rtl,
        Lang::En => Direction::Ltr,
        Lang::Mixed => texts
            .into_iter()
            .find_map(first_strong)
            .unwrap_or(Direction::Ltr),
    }
}

/// The direction of the first strong character (UAX #9 P2, without skipping isolates).
pub fn first_strong(s: &str) -> Option<Direction> {
    use unicode_bidi::BidiClass::{AL, L, R};
    s.chars().find_map(|c| match unicode_bidi::bidi_class(c) {
        L => Some(Direction::Ltr),
        R | AL => Some(Direction::Rtl),
        _ => None,
    })
}
