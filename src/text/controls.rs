//! The characters that steer text without being drawn: bidi controls, joiners, the soft
//! hyphen.

/// Bidi formatting characters: they steer the algorithm and are never drawn.
/// (U+061C ALM, U+200E LRM, U+200F RLM, U+202A–U+202E embeddings and overrides,
/// U+2066–U+2069 isolates, and U+FEFF, a zero-width no-break space.)
pub fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}'
    )
}

/// The bidi controls that UAX #9 X9 keeps: the marks (ALM, LRM, RLM) and the isolates
/// (LRI, RLI, FSI, PDI). They draw nothing but keep a level and take part in reordering.
pub fn keeps_level(c: char) -> bool {
    matches!(
        c,
        '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{2066}'..='\u{2069}'
    )
}

/// The zero-width joiners (ZWNJ, ZWJ): not bidi controls, they steer joining and emoji
/// sequences and stay in their cluster's text.
pub fn is_joiner(c: char) -> bool {
    matches!(c, '\u{200C}' | '\u{200D}')
}

/// The soft hyphen: nothing, or a hyphen where a line breaks after it.
pub const SOFT_HYPHEN: char = '\u{00AD}';

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_marks_and_joiners() {
        assert!(is_bidi_control('\u{200F}'));
        assert!(is_bidi_control('\u{2067}'));
        assert!(
            !is_bidi_control('\u{200D}'),
            "ZWJ is a joiner, not a bidi control"
        );
        assert!(is_joiner('\u{200D}') && is_joiner('\u{200C}') && !is_joiner('\u{200F}'));
        // Every control X9 keeps is a bidi control; embeddings, overrides and BOM are not kept.
        for c in ['\u{200E}', '\u{200F}', '\u{061C}', '\u{2066}', '\u{2069}'] {
            assert!(
                keeps_level(c) && is_bidi_control(c),
                "U+{:04X}",
                u32::from(c)
            );
        }
        for c in ['\u{202A}', '\u{202C}', '\u{202E}', '\u{FEFF}'] {
            assert!(
                !keeps_level(c) && is_bidi_control(c),
                "U+{:04X}",
                u32::from(c)
            );
        }
    }
}
