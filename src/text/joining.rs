//! Arabic joining types (ArabicShaping.txt, with the default T for unlisted marks and format
//! characters), from the generated [`super::tables`].

use super::tables::{FORMS, JOINING, Joining, LAM_ALEF};

/// The joining type of `c`.
pub fn joining(c: char) -> Joining {
    /// The Arabic blocks, where news text lives, by table (built once from [`JOINING`]).
    const FAST: std::ops::Range<u32> = 0x0600..0x0900;
    static TABLE: std::sync::OnceLock<Vec<Joining>> = std::sync::OnceLock::new();
    let cp = u32::from(c);
    // Nothing below U+0300 joins or is transparent.
    if cp < 0x0300 {
        return Joining::NonJoining;
    }
    if FAST.contains(&cp) {
        let table = TABLE.get_or_init(|| FAST.map(search_joining).collect());
        return table[(cp - FAST.start) as usize];
    }
    search_joining(cp)
}

fn search_joining(cp: u32) -> Joining {
    match JOINING.binary_search_by(|&(lo, hi, _)| {
        if hi < cp {
            std::cmp::Ordering::Less
        } else if lo > cp {
            std::cmp::Ordering::Greater
        } else {
            std::cmp::Ordering::Equal
        }
    }) {
        Ok(i) => JOINING[i].2,
        Err(_) => Joining::NonJoining,
    }
}

/// `s` with the Arabic presentation forms the shaper draws (each letter's isolated, final,
/// initial and medial forms, and the lam-alef ligatures) put back as the letters they stand
/// for: what a pipe or a clipboard wants. Text without any is returned borrowed.
pub fn unshape(s: &str) -> std::borrow::Cow<'_, str> {
    /// Each form and what it stands for (one letter, or lam and alef), sorted by the form.
    static BACK: std::sync::OnceLock<Vec<(u32, [u32; 2])>> = std::sync::OnceLock::new();
    let is_form = |c: char| matches!(u32::from(c), 0xFB50..=0xFDFF | 0xFE70..=0xFEFF);
    if !s.chars().any(is_form) {
        return std::borrow::Cow::Borrowed(s);
    }
    let back = BACK.get_or_init(|| {
        let mut v: Vec<(u32, [u32; 2])> = FORMS
            .iter()
            .flat_map(|&(base, forms)| forms.into_iter().map(move |f| (f, [base, 0])))
            .chain(
                LAM_ALEF
                    .iter()
                    .flat_map(|&(alef, ligs)| ligs.into_iter().map(move |l| (l, [0x0644, alef]))),
            )
            .filter(|&(f, _)| f != 0)
            .collect();
        v.sort_unstable();
        v
    });
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match back.binary_search_by_key(&u32::from(c), |&(f, _)| f) {
            Ok(i) if is_form(c) => {
                for cp in back[i].1.into_iter().filter(|&cp| cp != 0) {
                    out.extend(char::from_u32(cp));
                }
            }
            _ => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_match_arabic_shaping_txt() {
        let data = include_str!("../../tests/data/unicode/ArabicShaping.txt");
        let mut checked = 0;
        for line in data.lines() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let f: Vec<&str> = line.split(';').map(str::trim).collect();
            let c = char::from_u32(u32::from_str_radix(f[0], 16).unwrap()).unwrap();
            let expected = match f[2] {
                "R" => Joining::Right,
                "L" => Joining::Left,
                "D" => Joining::Dual,
                "C" => Joining::Causing,
                "T" => Joining::Transparent,
                _ => Joining::NonJoining,
            };
            assert_eq!(joining(c), expected, "U+{:04X}", u32::from(c));
            checked += 1;
        }
        assert!(checked > 800);
        // Unlisted marks are transparent.
        assert_eq!(joining('\u{064E}'), Joining::Transparent);
        assert_eq!(joining('a'), Joining::NonJoining);
    }

    #[test]
    fn presentation_forms_go_back_to_their_letters() {
        assert!(matches!(
            unshape("plain عربي"),
            std::borrow::Cow::Borrowed(_)
        ));
        assert_eq!(unshape("\u{FE91}\u{FEF4}\u{FE96}"), "بيت");
        assert_eq!(
            unshape("\u{FEFB} \u{FEFC}"),
            "\u{0644}\u{0627} \u{0644}\u{0627}"
        );
        assert_eq!(unshape("\u{FEF7}"), "\u{0644}\u{0623}");
        // A form the shaper never draws (the ligature of Allah) is left as it is.
        assert_eq!(unshape("\u{FDF2}"), "\u{FDF2}");
    }
}
