//! Bidi character data: classes (UAX #9) by a table for the Basic Multilingual Plane, and
//! mirrored glyphs (BidiMirroring.txt).

use std::sync::OnceLock;

use unicode_bidi::BidiClass;

use super::tables;

/// The bidi class of a character, from a table for the Basic Multilingual Plane (built once
/// from unicode-bidi's own data) and unicode-bidi's search above it.
pub fn bidi_class(c: char) -> BidiClass {
    bmp_classes()
        .get(c as usize)
        .copied()
        .unwrap_or_else(|| unicode_bidi::bidi_class(c))
}

/// The bidi classes of U+0000–U+FFFF, built once from unicode-bidi's data, indexed by code
/// point (the hot path of the layout reads it directly).
pub fn bmp_classes() -> &'static [BidiClass] {
    static BMP: OnceLock<Box<[BidiClass]>> = OnceLock::new();
    BMP.get_or_init(|| {
        (0..=0xFFFF_u32)
            .map(|u| char::from_u32(u).map_or(BidiClass::L, unicode_bidi::bidi_class))
            .collect()
    })
}

/// The mirrored glyph of a character (BidiMirroring.txt), if it has one.
pub fn mirror(c: char) -> Option<char> {
    /// Which characters of the Basic Multilingual Plane have a mirror, a bit each (8 KB,
    /// built at compile time): the letters and presentation forms of a right-to-left line
    /// are passed by one look.
    const BMP: [u64; 1024] = {
        let mut t = [0u64; 1024];
        let mut i = 0;
        while i < tables::MIRRORS.len() {
            let cp = tables::MIRRORS[i].0;
            if cp <= 0xFFFF {
                t[(cp / 64) as usize] |= 1 << (cp % 64);
            }
            i += 1;
        }
        t
    };
    let cp = u32::from(c);
    if cp <= 0xFFFF && BMP[(cp / 64) as usize] & 1 << (cp % 64) == 0 {
        return None;
    }
    tables::MIRRORS
        .binary_search_by_key(&cp, |&(a, _)| a)
        .ok()
        .and_then(|i| char::from_u32(tables::MIRRORS[i].1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mirrored_character_is_other_neutral() {
        for &(c, _) in tables::MIRRORS {
            let c = char::from_u32(c).unwrap();
            assert_eq!(bidi_class(c), BidiClass::ON, "{c:?}");
        }
    }
}
