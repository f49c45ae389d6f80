//! Conformance of the engine's levels and reordering against Unicode 15.0's own test files:
//! every case of BidiCharacterTest.txt and of BidiTest.txt.

use qari::article::Direction;
use qari::layout::{BaseDir, apply_l1, char_levels, paragraph_direction, visual_order};
use unicode_bidi::BidiClass;

/// Runs the engine on `text` with the given paragraph direction (None: auto) and returns the
/// level of each character (None where X9 removes it) and the visual order of the rest.
fn run(text: &str, dir: Option<Direction>) -> (u8, Vec<Option<u8>>, Vec<usize>) {
    let dir = dir.unwrap_or_else(|| paragraph_direction(text, BaseDir::Auto, Direction::Ltr));
    let para_level = u8::from(dir == Direction::Rtl);
    let levels = char_levels(text, dir);
    let kept: Vec<usize> = (0..levels.len())
        .filter(|&i| levels[i].0.is_some())
        .collect();
    let mut lv: Vec<u8> = kept.iter().map(|&i| levels[i].0.unwrap_or(0)).collect();
    let classes: Vec<BidiClass> = kept.iter().map(|&i| levels[i].1).collect();
    apply_l1(&mut lv, &classes, para_level);
    let order = visual_order(&lv).into_iter().map(|k| kept[k]).collect();
    let mut out = vec![None; levels.len()];
    for (k, &i) in kept.iter().enumerate() {
        out[i] = Some(lv[k]);
    }
    (para_level, out, order)
}

fn parse_levels(s: &str) -> Vec<Option<u8>> {
    s.split_whitespace()
        .map(|x| {
            if x == "x" {
                None
            } else {
                Some(x.parse().unwrap())
            }
        })
        .collect()
}

fn parse_order(s: &str) -> Vec<usize> {
    s.split_whitespace().map(|x| x.parse().unwrap()).collect()
}

#[test]
fn bidi_character_test() {
    let data = include_str!("data/unicode/BidiCharacterTest.txt");
    let (mut cases, mut failures) = (0, Vec::new());
    for (n, line) in data.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split(';').collect();
        let text: String = f[0]
            .split_whitespace()
            .map(|h| char::from_u32(u32::from_str_radix(h, 16).unwrap()).unwrap())
            .collect();
        let dir = match f[1] {
            "0" => Some(Direction::Ltr),
            "1" => Some(Direction::Rtl),
            _ => None,
        };
        let (para, levels, order) = run(&text, dir);
        cases += 1;
        if para.to_string() != f[2] || levels != parse_levels(f[3]) || order != parse_order(f[4]) {
            failures.push(format!(
                "line {}: {line}\n  got {para}; {levels:?}; {order:?}",
                n + 1
            ));
        }
    }
    assert_eq!(cases, 91_707);
    assert!(
        failures.is_empty(),
        "{} failures, first:\n{}",
        failures.len(),
        failures[..failures.len().min(5)].join("\n")
    );
}

fn class_char(name: &str) -> char {
    match name {
        "L" => 'A',
        "R" => '\u{05D0}',
        "AL" => '\u{0627}',
        "EN" => '0',
        "ES" => '+',
        "ET" => '%',
        "AN" => '\u{0660}',
        "CS" => ',',
        "NSM" => '\u{0300}',
        "BN" => '\u{00AD}',
        "B" => '\u{2029}',
        "S" => '\t',
        "WS" => ' ',
        "ON" => '!',
        "LRE" => '\u{202A}',
        "RLE" => '\u{202B}',
        "LRO" => '\u{202D}',
        "RLO" => '\u{202E}',
        "PDF" => '\u{202C}',
        "LRI" => '\u{2066}',
        "RLI" => '\u{2067}',
        "FSI" => '\u{2068}',
        "PDI" => '\u{2069}',
        other => panic!("unknown class {other}"),
    }
}

#[test]
fn bidi_test() {
    let data = include_str!("data/unicode/BidiTest.txt");
    let mut levels_expected: Vec<Option<u8>> = Vec::new();
    let mut order_expected: Vec<usize> = Vec::new();
    let (mut cases, mut failures) = (0, Vec::new());
    for (n, line) in data.lines().enumerate() {
        let line = line.trim();
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("@Levels:") {
            levels_expected = parse_levels(rest);
            continue;
        }
        if let Some(rest) = line.strip_prefix("@Reorder:") {
            order_expected = parse_order(rest);
            continue;
        }
        let (classes, bits) = line.split_once(';').unwrap();
        let text: String = classes.split_whitespace().map(class_char).collect();
        let bits: u8 = bits.trim().parse().unwrap();
        for (bit, dir) in [
            (1, None),
            (2, Some(Direction::Ltr)),
            (4, Some(Direction::Rtl)),
        ] {
            if bits & bit == 0 {
                continue;
            }
            cases += 1;
            let (_, levels, order) = run(&text, dir);
            if levels != levels_expected || order != order_expected {
                failures.push(format!(
                    "line {} ({classes}, bit {bit}): expected {levels_expected:?} {order_expected:?}, got {levels:?} {order:?}",
                    n + 1
                ));
            }
        }
    }
    assert!(cases > 490_000, "{cases} cases");
    assert!(
        failures.is_empty(),
        "{} failures of {cases}, first:\n{}",
        failures.len(),
        failures[..failures.len().min(5)].join("\n")
    );
}
