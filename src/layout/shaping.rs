//! Arabic joining in logical order: each letter takes its isolated, final, initial or medial
//! presentation form from its neighbours, and lam followed by alef becomes one ligature.
//!
//! The joining types and presentation forms come from the text layer's tables ([`crate::text`],
//! generated from ArabicShaping.txt and UnicodeData.txt by `scripts/gen_unicode_tables.py`). Only the mandatory lam-alef
//! ligatures are formed: `الله` stays four letters.

use crate::text::{FORMS, Joining, LAM_ALEF, joining};

const LAM: char = '\u{0644}';

/// The isolated and final lam-alef ligatures for an alef, if `c` is one that makes them.
fn lam_alef(c: char) -> Option<[u32; 2]> {
    LAM_ALEF
        .iter()
        .find(|&&(alef, _)| alef == u32::from(c))
        .map(|&(_, l)| l)
}

/// What shaping makes of one character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shaped {
    /// Draw this character (a presentation form, or the character itself).
    Char(char),
    /// Draw this lam-alef ligature in place of the lam; the alef it absorbed is `Absorbed`.
    Ligature(char),
    /// This alef became part of the ligature before it.
    Absorbed,
    /// A joiner (ZWJ, ZWNJ) that has done its work and is not drawn.
    Hidden,
}

/// Shapes `chars` (one paragraph, logical order) and returns what to draw for each.
pub fn shape(chars: &[char]) -> Vec<Shaped> {
    let types: Vec<Joining> = chars.iter().map(|&c| joining(c)).collect();
    let mut joiner = Joiner::default();
    chars
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            joiner.step(i, c, types[i], || {
                (i + 1..chars.len())
                    .find(|&k| types[k] != Joining::Transparent)
                    .map(|k| (k, chars[k]))
            })
        })
        .collect()
}

/// Arabic joining as a machine fed one character at a time, in logical order.
#[derive(Debug, Clone, Copy, Default)]
pub struct Joiner {
    /// Whether the last non-transparent character joins to the one after it.
    joins_forward: bool,
    /// The index of the alef a lam-alef ligature took in, if one is coming.
    absorbed: Option<usize>,
}

impl Joiner {
    /// A character that joins nothing (U), known to be one without asking: what
    /// [`Self::step`] does for it.
    #[inline]
    pub fn non_joining(&mut self) {
        self.joins_forward = false;
    }

    /// What to draw for `c` (of joining type `t`) at index `i`. `next` finds the next
    /// character that is not transparent, with its index; it is asked only for letters.
    pub fn step(
        &mut self,
        i: usize,
        c: char,
        t: Joining,
        next: impl FnOnce() -> Option<(usize, char)>,
    ) -> Shaped {
        if self.absorbed == Some(i) {
            self.absorbed = None;
            // An alef joins nothing after it.
            self.joins_forward = false;
            return Shaped::Absorbed;
        }
        let hidden_or = |c: char| {
            if c == '\u{200D}' || c == '\u{200C}' {
                Shaped::Hidden
            } else {
                Shaped::Char(c)
            }
        };
        match t {
            Joining::Transparent => return hidden_or(c),
            Joining::NonJoining => {
                self.joins_forward = false;
                return hidden_or(c);
            }
            Joining::Causing => {
                self.joins_forward = true;
                return hidden_or(c);
            }
            Joining::Right | Joining::Left | Joining::Dual => {}
        }
        let next = next();
        let next_type = next.map_or(Joining::NonJoining, |(_, n)| joining(n));
        let joins_prev = self.joins_forward && matches!(t, Joining::Right | Joining::Dual);
        // Lam followed by an alef: the mandatory ligature, in the lam's place.
        if c == LAM
            && let Some((k, n)) = next
            && let Some([iso, fin]) = lam_alef(n)
        {
            let lig = if joins_prev { fin } else { iso };
            self.absorbed = Some(k);
            self.joins_forward = false;
            return Shaped::Ligature(char::from_u32(lig).unwrap_or(c));
        }
        let joins_next = matches!(t, Joining::Left | Joining::Dual)
            && matches!(next_type, Joining::Right | Joining::Dual | Joining::Causing);
        self.joins_forward = matches!(t, Joining::Left | Joining::Dual);
        Shaped::Char(form(c, joins_prev, joins_next))
    }
}

/// The presentation forms of `c` (isolated, final, initial, medial; 0 where none).
fn forms_of(c: char) -> Option<[u32; 4]> {
    let cp = u32::from(c);
    FORMS
        .binary_search_by_key(&cp, |&(base, _)| base)
        .ok()
        .map(|i| FORMS[i].1)
}

/// The presentation form of `c` for its joins, falling back to a form that exists: by a table
/// of every join for the Arabic block (built once), by search elsewhere.
fn form(c: char, joins_prev: bool, joins_next: bool) -> char {
    const FAST: std::ops::Range<u32> = 0x0600..0x0700;
    static TABLE: std::sync::OnceLock<Vec<[char; 4]>> = std::sync::OnceLock::new();
    let cp = u32::from(c);
    let joins = usize::from(joins_prev) << 1 | usize::from(joins_next);
    if FAST.contains(&cp) {
        let table = TABLE.get_or_init(|| {
            FAST.filter_map(char::from_u32)
                .map(|c| {
                    [(false, false), (false, true), (true, false), (true, true)]
                        .map(|(p, n)| search_form(c, p, n))
                })
                .collect()
        });
        return table[(cp - FAST.start) as usize][joins];
    }
    search_form(c, joins_prev, joins_next)
}

fn search_form(c: char, joins_prev: bool, joins_next: bool) -> char {
    let Some([iso, fin, ini, med]) = forms_of(c) else {
        return c;
    };
    let pick = match (joins_prev, joins_next) {
        (true, true) => [med, fin, ini, iso],
        (true, false) => [fin, iso, 0, 0],
        (false, true) => [ini, iso, 0, 0],
        (false, false) => [iso, 0, 0, 0],
    };
    pick.iter()
        .find(|&&f| f != 0)
        .and_then(|&f| char::from_u32(f))
        .unwrap_or(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shaped(s: &str) -> String {
        let chars: Vec<char> = s.chars().collect();
        shape(&chars)
            .into_iter()
            .filter_map(|x| match x {
                Shaped::Char(c) | Shaped::Ligature(c) => Some(c),
                Shaped::Absorbed | Shaped::Hidden => None,
            })
            .collect()
    }

    #[test]
    fn forms_in_logical_order() {
        // "السلام": alef isolated, lam initial, seen medial, lam-alef ligature (final), meem isolated.
        assert_eq!(shaped("السلام"), "\u{FE8D}\u{FEDF}\u{FEB4}\u{FEFC}\u{FEE1}");
        assert_eq!(shaped("لا"), "\u{FEFB}");
        assert_eq!(shaped("لَا"), "\u{FEFB}\u{064E}");
    }

    #[test]
    fn allah_has_no_optional_ligature() {
        assert_eq!(shaped("الله").chars().count(), 4);
        assert!(!shaped("الله").contains('\u{FDF2}'));
    }

    #[test]
    fn joiners() {
        // ZWNJ breaks the join: "می‌خواهم" keeps the yeh final, khah initial.
        let s = shaped("می\u{200C}خواهم");
        assert_eq!(
            s,
            "\u{FEE3}\u{FBFD}\u{FEA7}\u{FEEE}\u{FE8D}\u{FEEB}\u{FEE2}"
        );
        // Tatweel joins on both sides.
        assert_eq!(shaped("عـب"), "\u{FECB}\u{0640}\u{FE90}");
        // A lone ZWJ does not panic and is hidden.
        assert_eq!(shaped("\u{200D}"), "");
    }

    #[test]
    fn persian_and_urdu_letters() {
        assert_eq!(shaped("پا"), "\u{FB58}\u{FE8E}");
        assert_eq!(shaped("گ"), "\u{FB92}");
        assert_eq!(shaped("ے"), "\u{FBAE}");
        assert_eq!(shaped("کے"), "\u{FB90}\u{FBAF}");
    }

    /// The code points `DejaVu Sans Mono` 2.37 draws (`tests/data/fonts`).
    fn dejavu_sans_mono() -> Vec<(u32, u32)> {
        include_str!("../../tests/data/fonts/DejaVuSansMono-2.37.charset")
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .map(|l| {
                let (a, b) = l.split_once('-').unwrap_or((l, l));
                (
                    u32::from_str_radix(a, 16).unwrap(),
                    u32::from_str_radix(b, 16).unwrap(),
                )
            })
            .collect()
    }

    /// Every presentation form the shaper draws for a letter `DejaVu Sans Mono` has is in the
    /// font too: where the usual terminal font can show a letter, it shows each of its forms
    /// (letters it lacks altogether come from another font, forms and all). Alef maksura
    /// before a letter takes its Unicode forms (U+FBE8, U+FBE9; ArabicShaping.txt says D),
    /// which the font has, rather than breaking the join as ICU and Vim do.
    #[test]
    fn every_form_drawn_is_in_dejavu_sans_mono() {
        let font = dejavu_sans_mono();
        let has = |c: u32| font.iter().any(|&(a, b)| (a..=b).contains(&c));
        let mut checked = 0;
        for &(base, forms) in FORMS {
            if !has(base) {
                continue;
            }
            for f in forms.into_iter().filter(|&f| f != 0) {
                assert!(has(f), "U+{f:04X}, a form of U+{base:04X}");
                checked += 1;
            }
        }
        assert!(checked > 150, "{checked}");
        for c in LAM_ALEF.iter().flat_map(|&(_, l)| l) {
            assert!(has(c), "U+{c:04X}");
        }
        // Alef maksura joined on both sides, and initial.
        assert_eq!(shaped("بىب"), "\u{FE91}\u{FBE9}\u{FE90}");
        assert_eq!(shaped("ىب"), "\u{FBE8}\u{FE90}");
        assert_eq!(shaped("فى"), "\u{FED3}\u{FEF0}");
        assert!(has(0xFBE8) && has(0xFBE9));
    }
}
