//! The direction and the embedding levels of a paragraph: an article's rule for its
//! paragraphs' directions, UAX #9 P2/P3 for other text, and the levels from a look at the
//! classes where that settles them, else from unicode-bidi.

use unicode_bidi::{BidiClass, Level, ParagraphBidiInfo};

use super::{BaseDir, Prepared, Scratch};
use crate::text::{Direction, bidi_class};

/// The direction of a paragraph of an article whose direction is `article` (the reader's and
/// `qari render`'s rule): `base` if it is not [`BaseDir::Auto`]; else an explicit mark or
/// embedding before the first strong letter (RLM, ALM, RLE, RLO: right to left; LRM, LRE,
/// LRO: left to right); else the article's direction, unless most of the paragraph's words
/// (runs of strong letters of one direction, outside isolates) are of the other direction. A
/// paragraph without strong letters takes the article's direction.
///
/// So in an Arabic article `BBC عربي: قال المتحدث …` reads right to left (it starts with a
/// Latin name, but most of its words are Arabic), `وقال Brett McGurk إن` too (as many words
/// of each: the article's), and an English sentence quoting one Arabic word stays left to
/// right in an English article, or in an Arabic one. Words, not letters: a Latin name spelled
/// out is longer than the Arabic words around it.
pub fn article_paragraph_direction(text: &str, base: BaseDir, article: Direction) -> Direction {
    use BidiClass::{AL, BN, FSI, L, LRE, LRI, LRO, NSM, PDI, R, RLE, RLI, RLO};
    match base {
        BaseDir::Rtl => return Direction::Rtl,
        BaseDir::Ltr => return Direction::Ltr,
        BaseDir::Auto => {}
    }
    // Words: runs of strong letters of one direction (marks and joiners inside them).
    let (mut ltr, mut rtl) = (0usize, 0usize);
    let mut isolates = 0usize;
    let mut seen_strong = false;
    let mut run: Option<bool> = None;
    for c in text.chars() {
        match c {
            '\u{200F}' | '\u{061C}' if !seen_strong && isolates == 0 => return Direction::Rtl,
            '\u{200E}' if !seen_strong && isolates == 0 => return Direction::Ltr,
            _ => {}
        }
        let class = bidi_class(c);
        let strong_rtl = match class {
            RLE | RLO if !seen_strong && isolates == 0 => return Direction::Rtl,
            LRE | LRO if !seen_strong && isolates == 0 => return Direction::Ltr,
            LRI | RLI | FSI => {
                isolates += 1;
                None
            }
            PDI => {
                isolates = isolates.saturating_sub(1);
                None
            }
            L if isolates == 0 => Some(false),
            R | AL if isolates == 0 => Some(true),
            NSM | BN => continue,
            _ => None,
        };
        if let Some(is_rtl) = strong_rtl
            && run != Some(is_rtl)
        {
            seen_strong = true;
            if is_rtl {
                rtl += 1;
            } else {
                ltr += 1;
            }
        }
        run = strong_rtl;
    }
    match article {
        Direction::Rtl if ltr > rtl => Direction::Ltr,
        Direction::Ltr if rtl > ltr => Direction::Rtl,
        _ => article,
    }
}

/// The direction of one paragraph on its own (UAX #9 P2/P3, else `fallback`), for text that
/// is not an article's paragraph: titles in the list, `qari render --plain`'s lines.
pub fn paragraph_direction(text: &str, base: BaseDir, fallback: Direction) -> Direction {
    match base {
        BaseDir::Rtl => Direction::Rtl,
        BaseDir::Ltr => Direction::Ltr,
        BaseDir::Auto => match unicode_bidi::get_base_direction(text) {
            unicode_bidi::Direction::Rtl => Direction::Rtl,
            unicode_bidi::Direction::Ltr => Direction::Ltr,
            unicode_bidi::Direction::Mixed => fallback,
        },
    }
}

impl Prepared {
    /// Sets the level of every cluster of the paragraph just built: from the quick answer if
    /// there is one, else from unicode-bidi's resolution of the whole paragraph.
    pub(super) fn resolve_levels(
        &mut self,
        para: &str,
        para_level: u8,
        quick: Option<Quick>,
        s: &mut Scratch,
    ) {
        s.levels.clear();
        match quick {
            Some(Quick::Uniform(level)) => {
                if level != para_level {
                    s.levels.resize(s.starts.len(), level);
                }
            }
            Some(Quick::RtlNumbers) => {
                s.levels.resize(s.classes.len(), 0);
                rtl_number_levels(&s.classes, &mut s.levels);
            }
            None => {
                let level = if para_level == 1 {
                    Level::rtl()
                } else {
                    Level::ltr()
                };
                let info = ParagraphBidiInfo::new_with_data_source(&FastClasses, para, Some(level));
                s.levels
                    .extend(s.starts.iter().map(|&i| info.levels[i as usize].number()));
            }
        }
        if s.levels.iter().any(|&l| l != para_level) {
            let p = self.para_start.len() - 1;
            self.multi.push((p as u32, self.levels.len() as u32));
            self.levels.extend_from_slice(&s.levels);
        }
    }
}

/// Which bidi classes a paragraph has, as far as telling whether its levels need unicode-bidi.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct ClassSummary {
    /// A bit for each class seen (`1 << class`).
    pub(super) seen: u32,
    /// Bidi marks and other controls the clusters drop, which the quick levels could not see.
    pub(super) dropped_control: bool,
    /// A separator (ES, CS) carrying a mark, which rule W4 would read differently cluster by
    /// cluster than character by character.
    pub(super) marked_separator: bool,
}

/// Levels settled by a look at the classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Quick {
    /// Every character resolves to this level.
    Uniform(u8),
    /// An RTL paragraph whose only strong letters are right to left: see [`rtl_number_levels`].
    RtlNumbers,
}

impl ClassSummary {
    #[inline]
    pub(super) fn add(&mut self, class: BidiClass) {
        self.seen |= 1 << class as u32;
    }

    /// Whether any of `classes` was seen.
    fn has(self, classes: &[BidiClass]) -> bool {
        classes.iter().any(|&c| self.seen & 1 << c as u32 != 0)
    }

    /// The levels, when UAX #9 needs no more than a look at the classes: an LTR paragraph
    /// without right-to-left letters, Arabic numbers or explicit formatting is all level 0
    /// (European numbers among Latin letters become L by W7); an RTL paragraph without
    /// left-to-right letters or explicit formatting is all level 1 but for its numbers.
    /// `None` when the full algorithm must run.
    pub(super) fn quick(self, para_level: u8) -> Option<Quick> {
        use BidiClass::{AL, AN, B, BN, EN, FSI, L, LRE, LRI, LRO, PDF, PDI, R, RLE, RLI, RLO};
        // Explicit embeddings, overrides and isolates, boundary neutrals, paragraph separators.
        let explicit = [BN, LRE, RLE, LRO, RLO, PDF, LRI, RLI, FSI, PDI, B];
        if self.dropped_control || self.has(&explicit) {
            None
        } else if para_level == 0 {
            (!self.has(&[R, AL, AN])).then_some(Quick::Uniform(0))
        } else if self.has(&[L]) {
            None
        } else if !self.has(&[EN, AN]) {
            Some(Quick::Uniform(1))
        } else if self.marked_separator {
            None
        } else {
            Some(Quick::RtlNumbers)
        }
    }
}

/// UAX #9 for an RTL paragraph with no left-to-right letter and no explicit formatting, by
/// cluster (a cluster's marks take its base's type, W1). Every neutral sits between
/// right-to-left letters, numbers (which count as R for N1) or the paragraph's edges (R), so
/// it resolves to R: level 1. What ends up a number after the weak rules is at level 2: a
/// European number after an Arabic letter becomes Arabic (W2); a single separator between two
/// numbers of its kind joins them (W4); terminators next to a European number join it (W5).
fn rtl_number_levels(classes: &[BidiClass], levels: &mut [u8]) {
    const OTHER: u8 = 0;
    const EN: u8 = 1;
    const AN: u8 = 2;
    const ES: u8 = 3;
    const CS: u8 = 4;
    const ET: u8 = 5;
    // W1–W3, the resolved type kept in `levels` for now.
    let mut after_arabic = false;
    let mut prev = OTHER;
    for (level, &class) in levels.iter_mut().zip(classes) {
        let t = match class {
            BidiClass::AL => {
                after_arabic = true;
                OTHER
            }
            BidiClass::R => {
                after_arabic = false;
                OTHER
            }
            BidiClass::EN if after_arabic => AN,
            BidiClass::EN => EN,
            BidiClass::AN => AN,
            BidiClass::ES => ES,
            BidiClass::CS => CS,
            BidiClass::ET => ET,
            BidiClass::NSM => prev,
            _ => OTHER,
        };
        *level = t;
        prev = t;
    }
    // W4.
    for k in 1..levels.len().saturating_sub(1) {
        let (before, after, t) = (levels[k - 1], levels[k + 1], levels[k]);
        if before == after && (before == EN && (t == ES || t == CS) || before == AN && t == CS) {
            levels[k] = before;
        }
    }
    // W5.
    let mut k = 0;
    while k < levels.len() {
        if levels[k] != ET {
            k += 1;
            continue;
        }
        let start = k;
        while k < levels.len() && levels[k] == ET {
            k += 1;
        }
        let next_to_en = start > 0 && levels[start - 1] == EN || levels.get(k) == Some(&EN);
        if next_to_en {
            levels[start..k].fill(EN);
        }
    }
    // I2: numbers go up to 2, the rest stays at the paragraph's 1.
    for level in levels {
        *level = if *level == EN || *level == AN { 2 } else { 1 };
    }
}

/// unicode-bidi's data with the fast class lookup of [`bidi_class`].
struct FastClasses;

impl unicode_bidi::BidiDataSource for FastClasses {
    fn bidi_class(&self, c: char) -> BidiClass {
        bidi_class(c)
    }
}

/// The resolved level and original bidi class of each character of one paragraph (before L1),
/// with `None` for the characters rule X9 removes (unicode-bidi's answer, for the tests that
/// hold the quick levels to it).
#[cfg(test)]
pub(super) fn char_levels(text: &str, dir: Direction) -> Vec<(Option<u8>, BidiClass)> {
    let level = match dir {
        Direction::Rtl => Level::rtl(),
        Direction::Ltr => Level::ltr(),
    };
    let info = ParagraphBidiInfo::new_with_data_source(&FastClasses, text, Some(level));
    text.char_indices()
        .map(|(i, _)| {
            let class = info.original_classes[i];
            let removed = removed_by_x9(class);
            ((!removed).then(|| info.levels[i].number()), class)
        })
        .collect()
}

/// The classes rule X9 removes: embeddings, overrides, PDF and boundary neutrals.
#[cfg(test)]
fn removed_by_x9(class: BidiClass) -> bool {
    use BidiClass::{BN, LRE, LRO, PDF, RLE, RLO};
    matches!(class, RLE | LRE | RLO | LRO | PDF | BN)
}
