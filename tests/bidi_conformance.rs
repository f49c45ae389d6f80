//! Conformance of the layout against Unicode 15.0's own test files, every case of
//! BidiCharacterTest.txt and of BidiTest.txt, through the path the reader and `qari render`
//! take: `prepare`, `wrap` (no wrapping: one line), and the line's reordering
//! ([`Prepared::units`], the same as [`Prepared::visual`] without dropping what draws
//! nothing).
//!
//! The layout reorders grapheme clusters, not characters: a mark stays after its base at any
//! level (UAX #9 L3, as the crate documents), and a lam-alef ligature is one cluster. So a
//! case is compared by cluster: every character of a cluster that X9 keeps has the cluster's
//! level, every kept character belongs to a cluster that is ordered (isolates and bidi marks
//! included, though they draw nothing), and the expected visual order of the characters,
//! read cluster by cluster, is the layout's order.

use std::ops::Range;

use qari::layout::{self, BaseDir, BidiMode, Options};
use qari::text::Direction;

/// The paragraph direction the layout chose (true: RTL) and its units, left to right.
fn run(text: &str, dir: Option<Direction>) -> (bool, Vec<(Range<usize>, u8)>) {
    let opts = Options {
        base: match dir {
            None => BaseDir::Auto,
            Some(Direction::Ltr) => BaseDir::Ltr,
            Some(Direction::Rtl) => BaseDir::Rtl,
        },
        fallback: Direction::Ltr,
        mode: BidiMode::App,
        shape: true,
        controls: true,
    };
    let prepared = layout::prepare(text, opts);
    let lines = prepared.wrap(0);
    assert_eq!(lines.len(), 1, "{text:?} is one paragraph");
    (lines[0].rtl, prepared.units(&lines[0]))
}

/// Compares the layout of `text` with the expected levels (`None`: removed by X9) and visual
/// order of the characters.
fn check(
    text: &str,
    dir: Option<Direction>,
    para_level: Option<u8>,
    levels: &[Option<u8>],
    order: &[usize],
) -> Result<(), String> {
    let starts: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
    if starts.len() != levels.len() {
        return Err(format!(
            "{} characters, {} levels",
            starts.len(),
            levels.len()
        ));
    }
    let (rtl, units) = run(text, dir);
    if let Some(p) = para_level
        && u8::from(rtl) != p
    {
        return Err(format!("paragraph level {}", u8::from(rtl)));
    }
    let mut unit_of = vec![usize::MAX; starts.len()];
    for (u, (src, level)) in units.iter().enumerate() {
        for (k, &at) in starts.iter().enumerate() {
            if src.contains(&at) {
                unit_of[k] = u;
                if let Some(want) = levels[k]
                    && want != *level
                {
                    return Err(format!("character {k} at level {level}, not {want}"));
                }
            }
        }
    }
    for (k, want) in levels.iter().enumerate() {
        if want.is_some() && unit_of[k] == usize::MAX {
            return Err(format!("character {k} is not ordered"));
        }
    }
    let mut expected: Vec<usize> = Vec::new();
    for &k in order {
        let u = *unit_of.get(k).ok_or("order past the text")?;
        if expected.last() != Some(&u) {
            expected.push(u);
        }
    }
    if expected != (0..units.len()).collect::<Vec<_>>() {
        return Err(format!("clusters in the order {expected:?}"));
    }
    Ok(())
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

/// Runs `case` over `items` on two threads (the test is run unoptimized) and gathers the
/// failures.
fn on_two_threads<T: Sync>(items: &[T], case: impl Fn(&T) -> Option<String> + Sync) -> Vec<String> {
    let half = items.len().div_ceil(2);
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(half.max(1))
            .map(|part| s.spawn(|| part.iter().filter_map(&case).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    })
}

#[test]
fn bidi_character_test_through_the_layout() {
    let data = include_str!("data/unicode/BidiCharacterTest.txt");
    let lines: Vec<(usize, &str)> = data
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.starts_with('#') && !l.trim().is_empty())
        .collect();
    assert_eq!(lines.len(), 91_707);
    let failures = on_two_threads(&lines, |&(n, line)| {
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
        let para = f[2].parse().ok();
        check(&text, dir, para, &parse_levels(f[3]), &parse_order(f[4]))
            .err()
            .map(|e| format!("line {}: {line}: {e}", n + 1))
    });
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

/// A line of BidiTest.txt: its number, the classes, the directions bit set, and the expected
/// levels and order.
type Case<'a> = (usize, &'a str, u8, Vec<Option<u8>>, Vec<usize>);

#[test]
fn bidi_test_through_the_layout() {
    let data = include_str!("data/unicode/BidiTest.txt");
    let mut cases: Vec<Case> = Vec::new();
    let mut levels: Vec<Option<u8>> = Vec::new();
    let mut order: Vec<usize> = Vec::new();
    for (n, line) in data.lines().enumerate() {
        let line = line.trim();
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("@Levels:") {
            levels = parse_levels(rest);
        } else if let Some(rest) = line.strip_prefix("@Reorder:") {
            order = parse_order(rest);
        } else {
            let (classes, bits) = line.split_once(';').unwrap();
            cases.push((
                n,
                classes,
                bits.trim().parse().unwrap(),
                levels.clone(),
                order.clone(),
            ));
        }
    }
    let runs: usize = cases.iter().map(|c| c.2.count_ones() as usize).sum();
    assert_eq!(runs, 770_241);
    let failures = on_two_threads(&cases, |(n, classes, bits, levels, order)| {
        let text: String = classes.split_whitespace().map(class_char).collect();
        let mut failed = Vec::new();
        for (bit, dir) in [
            (1, None),
            (2, Some(Direction::Ltr)),
            (4, Some(Direction::Rtl)),
        ] {
            if bits & bit != 0
                && let Err(e) = check(&text, dir, None, levels, order)
            {
                failed.push(format!("line {} ({classes}, bit {bit}): {e}", n + 1));
            }
        }
        (!failed.is_empty()).then(|| failed.join("\n"))
    });
    assert!(
        failures.is_empty(),
        "{} failing lines, first:\n{}",
        failures.len(),
        failures[..failures.len().min(5)].join("\n")
    );
}
