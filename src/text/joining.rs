//! Arabic joining types (ArabicShaping.txt, with the default T for unlisted marks and format
//! characters), from the generated [`super::tables`].

use super::tables::{JOINING, Joining};

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
}
