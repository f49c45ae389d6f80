//! The checked-in tables against the Unicode data files they are generated from, entry by
//! entry and both ways: every entry the data implies is in the tables with its value, and the
//! tables hold nothing else. The same derivation as `scripts/gen_unicode_tables.py`, written
//! again from the files' own definitions.

use std::collections::BTreeMap;

use super::tables::{FORMS, JOINING, Joining, LAM_ALEF, MIRRORS};

/// A data file of `tests/data/unicode/`.
fn data(name: &str) -> String {
    let path = format!("{}/tests/data/unicode/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The data lines of a UCD file, comments and blank lines dropped, split at `;`.
fn fields(text: &str) -> impl Iterator<Item = Vec<&str>> {
    text.lines().filter_map(|l| {
        let l = l.split('#').next().unwrap_or("").trim();
        (!l.is_empty()).then(|| l.split(';').map(str::trim).collect())
    })
}

fn hex(s: &str) -> u32 {
    u32::from_str_radix(s, 16).unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

/// UnicodeData.txt: the general category of every listed code point (First/Last ranges
/// expanded) and the decompositions.
fn unicode_data(text: &str) -> (BTreeMap<u32, String>, BTreeMap<u32, String>) {
    let (mut category, mut decomposition) = (BTreeMap::new(), BTreeMap::new());
    let mut first = None;
    for f in fields(text) {
        let (cp, name) = (hex(f[0]), f[1]);
        if name.ends_with(", First>") {
            first = Some(cp);
            continue;
        }
        let lo = if name.ends_with(", Last>") {
            first.take().unwrap_or(cp)
        } else {
            cp
        };
        for c in lo..=cp {
            category.insert(c, f[2].to_owned());
        }
        if !f[5].is_empty() {
            decomposition.insert(cp, f[5].to_owned());
        }
    }
    (category, decomposition)
}

/// Joining types other than U by code point: ArabicShaping.txt's, and T for the unlisted
/// characters of category Mn, Me or Cf (as its header says).
fn expected_joining(shaping: &str, category: &BTreeMap<u32, String>) -> BTreeMap<u32, Joining> {
    let mut explicit = BTreeMap::new();
    for f in fields(shaping) {
        let t = match f[2] {
            "R" => Some(Joining::Right),
            "L" => Some(Joining::Left),
            "D" => Some(Joining::Dual),
            "C" => Some(Joining::Causing),
            "T" => Some(Joining::Transparent),
            "U" => None,
            other => panic!("ArabicShaping.txt: joining type {other:?}"),
        };
        explicit.insert(hex(f[0]), t);
    }
    let mut out = BTreeMap::new();
    for (&cp, gc) in category {
        if !explicit.contains_key(&cp) && matches!(gc.as_str(), "Mn" | "Me" | "Cf") {
            out.insert(cp, Joining::Transparent);
        }
    }
    for (cp, t) in explicit {
        if let Some(t) = t {
            out.insert(cp, t);
        }
    }
    out
}

/// The presentation forms of each letter (isolated, final, initial, medial; the first form
/// of each kind) and the lam-alef ligatures, from the decompositions of U+FB50–FDFF and
/// U+FE70–FEFF.
fn expected_forms(
    decomposition: &BTreeMap<u32, String>,
) -> (BTreeMap<u32, [u32; 4]>, BTreeMap<u32, [u32; 2]>) {
    let (mut forms, mut lam_alef) = (BTreeMap::new(), BTreeMap::new());
    for cp in (0xFB50..0xFE00).chain(0xFE70..0xFF00) {
        let Some(d) = decomposition.get(&cp) else {
            continue;
        };
        let mut parts = d.split_whitespace();
        let slot = match parts.next() {
            Some("<isolated>") => 0,
            Some("<final>") => 1,
            Some("<initial>") => 2,
            Some("<medial>") => 3,
            _ => continue,
        };
        let base: Vec<u32> = parts.map(hex).collect();
        match base[..] {
            [b] => {
                let f: &mut [u32; 4] = forms.entry(b).or_default();
                if f[slot] == 0 {
                    f[slot] = cp;
                }
            }
            [0x0644, alef @ (0x0622 | 0x0623 | 0x0625 | 0x0627)] if slot < 2 => {
                let l: &mut [u32; 2] = lam_alef.entry(alef).or_default();
                l[slot] = cp;
            }
            _ => {}
        }
    }
    (forms, lam_alef)
}

#[test]
fn tables_match_the_unicode_data_files() {
    let (category, decomposition) = unicode_data(&data("UnicodeData.txt"));
    assert!(category.len() > 280_000, "{}", category.len());

    // Joining: the ranges expanded to one entry a code point, sorted and disjoint.
    let expected = expected_joining(&data("ArabicShaping.txt"), &category);
    let mut got = BTreeMap::new();
    let mut last = None;
    for &(lo, hi, t) in JOINING {
        assert!(
            lo <= hi && last.is_none_or(|l| l < lo),
            "range {lo:04X}..={hi:04X}"
        );
        assert_ne!(t, Joining::NonJoining, "U+{lo:04X}: U is never listed");
        last = Some(hi);
        for cp in lo..=hi {
            got.insert(cp, t);
        }
    }
    for (cp, t) in &expected {
        assert_eq!(got.get(cp), Some(t), "JOINING at U+{cp:04X}");
    }
    for (cp, t) in &got {
        assert_eq!(expected.get(cp), Some(t), "JOINING at U+{cp:04X}");
    }
    assert!(expected.len() > 2000, "{}", expected.len());

    // Presentation forms and lam-alef ligatures.
    let (forms, lam_alef) = expected_forms(&decomposition);
    assert!(FORMS.is_sorted_by_key(|&(b, _)| b) && LAM_ALEF.is_sorted_by_key(|&(a, _)| a));
    let got: BTreeMap<u32, [u32; 4]> = FORMS.iter().copied().collect();
    assert_eq!(got.len(), FORMS.len(), "a letter listed twice in FORMS");
    for (b, f) in &forms {
        assert_eq!(got.get(b), Some(f), "FORMS of U+{b:04X}");
    }
    for (b, f) in &got {
        assert_eq!(forms.get(b), Some(f), "FORMS of U+{b:04X}");
    }
    assert!(forms.len() > 60, "{}", forms.len());
    let got: BTreeMap<u32, [u32; 2]> = LAM_ALEF.iter().copied().collect();
    assert_eq!(got, lam_alef, "LAM_ALEF");
    assert_eq!(lam_alef.len(), 4);

    // Mirrors, sorted by the first of each pair.
    let mirrors: BTreeMap<u32, u32> = fields(&data("BidiMirroring.txt"))
        .map(|f| (hex(f[0]), hex(f[1])))
        .collect();
    assert!(MIRRORS.is_sorted_by_key(|&(a, _)| a));
    let got: BTreeMap<u32, u32> = MIRRORS.iter().copied().collect();
    assert_eq!(
        got.len(),
        MIRRORS.len(),
        "a character listed twice in MIRRORS"
    );
    for (a, b) in &mirrors {
        assert_eq!(got.get(a), Some(b), "MIRRORS at U+{a:04X}");
    }
    for (a, b) in &got {
        assert_eq!(mirrors.get(a), Some(b), "MIRRORS at U+{a:04X}");
    }
    assert!(mirrors.len() > 400, "{}", mirrors.len());
}
