//! The plain-text newspaper layout: a title line, date lines, blank-line separated paragraphs,
//! and an optional byline as the last, short line.

use super::{
    BlockKind, Direction, Lang, RawArticle, direction_of, guess_lang, markdown,
    paragraphs_at_blank_lines, parse_date,
};

/// The longest line still taken for a byline.
const SHORT_LINE_CHARS: usize = 60;

/// The longest line still taken for a date line (a Hijri date beside the Gregorian one, a
/// label and a time make long ones).
const DATE_LINE_CHARS: usize = 100;

/// The head of a `.txt` article, found without reading further than its first body paragraph.
pub(super) struct Head<'a> {
    /// The title line, without Markdown heading marks.
    pub title: &'a str,
    /// The date lines, trimmed.
    pub dates: Vec<&'a str>,
    /// The body paragraphs met while looking for dates.
    pub body: Vec<&'a str>,
    /// The text after those, holding the other paragraphs.
    pub rest: &'a str,
}

impl<'a> Head<'a> {
    /// The stored text of the article after its head, in pieces, in order.
    pub fn body_text(&self) -> impl Iterator<Item = &'a str> + Clone + '_ {
        self.body.iter().copied().chain(std::iter::once(self.rest))
    }

    /// Language and direction, read from the title and the stored body text.
    pub fn guess(&self) -> (Lang, Direction) {
        let texts = std::iter::once(self.title).chain(self.body_text());
        let lang = guess_lang(texts.clone());
        (lang, direction_of(lang, texts))
    }
}

/// Reads the title and date lines: the first line is the title; the other lines of its
/// paragraph, and the paragraphs after it, are date lines for as long as they parse as dates.
pub(super) fn head(text: &str) -> Head<'_> {
    let mut paragraphs = Paragraphs { text, pos: 0 };
    let mut head = Head {
        title: "",
        dates: Vec::new(),
        body: Vec::new(),
        rest: "",
    };
    if let Some(first) = paragraphs.next() {
        let mut lines = first.lines();
        head.title = strip_heading_marks(lines.next().unwrap_or(""));
        let mut in_head = true;
        for line in lines {
            if in_head && is_date_paragraph(line) {
                head.dates.push(line.trim());
            } else {
                in_head = false;
                head.body.push(line);
            }
        }
        if in_head {
            for p in paragraphs.by_ref() {
                if is_date_paragraph(p) {
                    head.dates.extend(p.lines().map(str::trim));
                } else {
                    head.body.push(p);
                    break;
                }
            }
        }
    }
    head.rest = text.get(paragraphs.pos..).unwrap_or("");
    head
}

/// Blank-line separated paragraphs, trimmed, read one at a time.
struct Paragraphs<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Iterator for Paragraphs<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let rest = self.text.get(self.pos..)?;
        let mut start = None;
        let mut end = self.pos;
        let mut at = self.pos;
        for line in rest.split_inclusive('\n') {
            let blank = line.trim().is_empty();
            at += line.len();
            if blank {
                if start.is_some() {
                    break;
                }
            } else {
                start.get_or_insert(at - line.len());
                end = at;
            }
        }
        self.pos = at;
        start.map(|s| self.text.get(s..end).unwrap_or("").trim())
    }
}

/// For an article without date lines: its first body line when it is short and looks like a
/// date that qari did not understand.
pub(super) fn undated_hint<'a>(head: &Head<'a>) -> Option<&'a str> {
    if !head.dates.is_empty() {
        return None;
    }
    let line = head.body.first()?.lines().next()?.trim();
    (line.chars().count() <= DATE_LINE_CHARS && super::date::looks_like_date(line)).then_some(line)
}

/// The byline of the article whose head is `head`, by the rule [`parse`] follows: the last
/// paragraph when it is short and names a person, the article has two paragraphs or more, and
/// its body is not Markdown kept in a `.txt` file. Found without copying the body.
pub(super) fn byline<'a>(head: &Head<'a>) -> Option<&'a str> {
    // A byline is one line, so the text's last line: most texts end in none, found without
    // splitting the text into paragraphs.
    let tail = if head.rest.trim().is_empty() {
        *head.body.last()?
    } else {
        head.rest
    };
    let last_line = tail.lines().rev().find(|l| !l.trim().is_empty())?;
    if !is_byline(last_line) {
        return None;
    }
    let mut rest = head.body.clone();
    rest.extend(paragraphs_at_blank_lines(head.rest));
    let last = *rest.last()?;
    (rest.len() >= 2 && is_byline(last) && !looks_like_markdown(&rest)).then(|| last.trim())
}

pub(super) fn parse(text: &str) -> RawArticle {
    let head = head(text);
    let mut raw = RawArticle {
        date_hint: undated_hint(&head).map(str::to_owned),
        title: Some(head.title.to_owned()),
        dates: head.dates.iter().map(|&d| d.to_owned()).collect(),
        guessed: Some(head.guess()),
        ..RawArticle::default()
    };
    let mut rest = head.body.clone();
    rest.extend(paragraphs_at_blank_lines(head.rest));
    if looks_like_markdown(&rest) {
        markdown::parse_body(&rest.join("\n\n"), &mut raw);
        return raw;
    }
    if rest.len() >= 2 && rest.last().is_some_and(|l| is_byline(l)) {
        raw.byline = rest.pop().map(|s| s.trim().to_owned());
    }
    for p in rest {
        let mut joined = String::with_capacity(p.len());
        for line in p.lines().map(str::trim).filter(|l| !l.is_empty()) {
            if !joined.is_empty() {
                joined.push(' ');
            }
            joined.push_str(line);
        }
        let kind = if is_quote(&joined) {
            BlockKind::Quote
        } else {
            BlockKind::Paragraph
        };
        raw.push_block_owned(kind, joined);
    }
    raw
}

fn strip_heading_marks(line: &str) -> &str {
    let t = line.trim();
    let stripped = t.trim_start_matches('#');
    if stripped.len() < t.len() && stripped.starts_with(' ') {
        stripped.trim()
    } else {
        t
    }
}

fn is_date_paragraph(p: &str) -> bool {
    p.lines().all(|l| {
        let l = l.trim();
        l.len() <= DATE_LINE_CHARS * 4
            && l.chars().count() <= DATE_LINE_CHARS
            && parse_date(l).is_some()
    })
}

/// Headings (`## `), list items (`- `) or links (`](`) in the body mean Markdown kept in a
/// `.txt` file, as in the English digests.
fn looks_like_markdown(paragraphs: &[&str]) -> bool {
    paragraphs.iter().any(|p| {
        let t = p.trim_start();
        (t.starts_with('#') && t.trim_start_matches('#').starts_with(' '))
            || t.starts_with("- ")
            || t.starts_with("* ")
            || (t.contains("](") && t.contains('['))
    })
}

/// A paragraph wholly inside «…», "…" or “…” (a closing stop may follow).
fn is_quote(p: &str) -> bool {
    let t = p
        .trim()
        .trim_end_matches(['.', '،', ',', '!', '?', '؟', ' ']);
    let pairs = [('«', '»'), ('"', '"'), ('“', '”')];
    pairs.iter().any(|&(open, close)| {
        t.starts_with(open)
            && t.ends_with(close)
            && t.chars().count() > 2
            && t.chars().filter(|&c| c == open || c == close).count() == 2
    })
}

/// A short last line that names a person: a few words of letters, no digits, no punctuation.
fn is_byline(p: &str) -> bool {
    let t = p.trim();
    if t.len() > SHORT_LINE_CHARS * 4 {
        return false;
    }
    let words = t.split_whitespace().count();
    (1..=5).contains(&words)
        && t.chars().count() <= SHORT_LINE_CHARS
        && !t.contains('\n')
        && t.chars()
            .all(|c| c.is_alphabetic() || c == ' ' || is_mark(c) || c == '-' || c == '\'')
        && t.chars().next().is_some_and(char::is_alphabetic)
}

fn is_mark(c: char) -> bool {
    matches!(c, '\u{064B}'..='\u{065F}' | '\u{0670}' | '\u{0640}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_dates_paragraphs_quote_byline() {
        let text = "عنوان الخبر\n\nالخميس - 16 نوفمبر 2017\n\nThu - 16 Nov 2017\n\nفقرة أولى.\n\n«قول منقول».\n\nبريت ماكغورك\n";
        let raw = parse(text);
        assert_eq!(raw.title.as_deref(), Some("عنوان الخبر"));
        assert_eq!(
            raw.dates,
            vec!["الخميس - 16 نوفمبر 2017", "Thu - 16 Nov 2017"]
        );
        assert_eq!(raw.byline.as_deref(), Some("بريت ماكغورك"));
        assert_eq!(raw.blocks.len(), 2);
        assert_eq!(raw.blocks[1].kind, BlockKind::Quote);
    }

    #[test]
    fn no_dates_goes_straight_to_paragraphs() {
        let raw = parse("احمد زويل\n\nالدكتور احمد حسن زويل (اتولد فى دمنهور، 26 فبراير 1946).\n");
        assert!(raw.dates.is_empty());
        assert_eq!(raw.blocks.len(), 1);
        assert_eq!(raw.byline, None);
    }

    #[test]
    fn quotes_need_both_marks_around_the_whole_paragraph() {
        assert!(is_quote("«حررنا أكثر من 7.5 مليون شخص»."));
        assert!(is_quote("\"Hello there.\""));
        assert!(!is_quote("\"Mix 50 Nokia X\" : 3 أرقام"));
        assert!(!is_quote("\"لا توجد حماية كاملة في مجال الماضية."));
    }

    #[test]
    fn bylines_are_short_names_only() {
        assert!(is_byline("بريت ماكغورك"));
        assert!(is_byline("Jane Doe"));
        assert!(!is_byline("وخارج المؤسسة العربية الحديثة:"));
        assert!(!is_byline("-مزايا : مقاوم للماء وفق معيار IP68 ."));
        assert!(!is_byline("Reported in 2017"));
    }

    #[test]
    fn markdown_digest_in_txt() {
        let text = "2025 January 07\n\n2025-01-07 11:33:25 +1300\n\n## Armed conflicts\n\n- Three soldiers are killed. [AP](https://apnews.com/x)\n";
        let raw = parse(text);
        assert_eq!(
            raw.dates.len(),
            1,
            "the title line itself is not taken as a date line"
        );
        assert_eq!(raw.blocks[0].kind, BlockKind::Heading(2));
        assert_eq!(raw.blocks[1].kind, BlockKind::ListItem);
        assert_eq!(raw.blocks[1].text, "Three soldiers are killed. AP");
    }
}
