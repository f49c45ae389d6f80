//! Inline marks (emphasis, code, links) kept over a text while the text is cleaned: every
//! step that changes the text (collapsing white space, trimming, sanitizing, splitting) moves
//! the marks with it.

use std::ops::Range;

use super::{Mark, Style, sanitize};

/// Marks being opened and closed as a parser walks inline elements.
#[derive(Debug, Default)]
pub(super) struct MarkBuf {
    open: Vec<(usize, Option<Style>)>,
    /// The marks closed so far, positions in the parser's buffer.
    pub(super) marks: Vec<Mark>,
}

/// Marks nested deeper than this are not kept (the text is).
const MAX_OPEN: usize = 32;

impl MarkBuf {
    /// Opens a mark of `style` at byte `at` (`None`: an element that marks nothing, so that
    /// its close matches).
    pub(super) fn open(&mut self, at: usize, style: Option<Style>) {
        let style = style.filter(|_| self.open.len() < MAX_OPEN);
        self.open.push((at, style));
    }

    /// Closes the last mark opened at byte `at`.
    pub(super) fn close(&mut self, at: usize) {
        if let Some((start, Some(style))) = self.open.pop()
            && at > start
            && let (Ok(start), Ok(end)) = (u32::try_from(start), u32::try_from(at))
        {
            self.marks.push(Mark { start, end, style });
        }
    }

    /// The marks closed so far, leaving the open ones open from the start of a new buffer.
    pub(super) fn take(&mut self) -> Vec<Mark> {
        for o in &mut self.open {
            o.0 = 0;
        }
        std::mem::take(&mut self.marks)
    }
}

/// Maps the bytes where marks start and end through a text rewritten from left to right.
struct Bounds {
    /// (position in the old text, index into the marks ×2 (+1 for an end)), sorted.
    at: Vec<(usize, usize)>,
    next: usize,
    new: Vec<usize>,
}

impl Bounds {
    fn new(marks: &[Mark]) -> Self {
        let mut at: Vec<(usize, usize)> = marks
            .iter()
            .enumerate()
            .flat_map(|(i, m)| [(m.start as usize, 2 * i), (m.end as usize, 2 * i + 1)])
            .collect();
        at.sort_unstable();
        Self {
            new: vec![0; at.len()],
            at,
            next: 0,
        }
    }

    /// The old text has been read up to `old` (exclusive); the new one is `new` bytes long.
    fn reached(&mut self, old: usize, new: usize) {
        while let Some(&(pos, slot)) = self.at.get(self.next) {
            if pos > old {
                break;
            }
            self.new[slot] = new;
            self.next += 1;
        }
    }

    fn finish(mut self, new: usize, marks: &mut [Mark]) {
        self.reached(usize::MAX, new);
        for (i, m) in marks.iter_mut().enumerate() {
            m.start = self.new[2 * i] as u32;
            m.end = self.new[2 * i + 1] as u32;
        }
    }
}

/// `s` split into lines at `br`, each line's white space collapsed to single spaces and
/// trimmed, empty lines dropped, the lines joined with `\n`; the marks moved along.
pub(super) fn collapse_lines(s: &str, br: char, marks: &mut Vec<Mark>) -> String {
    let mut bounds = Bounds::new(marks);
    let mut out = String::with_capacity(s.len());
    // A space or a line break waiting for the next letter.
    let mut pending: Option<char> = None;
    for (i, c) in s.char_indices() {
        bounds.reached(i, out.len());
        if c == br {
            if !out.is_empty() {
                pending = Some('\n');
            }
        } else if c.is_ascii_whitespace() {
            if !out.is_empty() && pending.is_none() {
                pending = Some(' ');
            }
        } else {
            if let Some(p) = pending.take() {
                out.push(p);
            }
            out.push(c);
        }
    }
    bounds.finish(out.len(), marks);
    tidy(&out, marks);
    out
}

/// `s` sanitized ([`sanitize`]) piece by piece between the marks' ends, the marks moved along.
pub(super) fn sanitize_marked(s: &str, marks: &mut Vec<Mark>) -> String {
    if marks.is_empty() {
        return sanitize(s).into_owned();
    }
    let mut bounds = Bounds::new(marks);
    let mut cuts: Vec<usize> = bounds.at.iter().map(|&(p, _)| p.min(s.len())).collect();
    cuts.push(s.len());
    let mut out = String::with_capacity(s.len());
    let mut from = 0;
    for cut in cuts {
        if cut > from
            && let Some(piece) = s.get(from..cut)
        {
            bounds.reached(from, out.len());
            out.push_str(&sanitize(piece));
            from = cut;
        }
    }
    bounds.finish(out.len(), marks);
    tidy(&out, marks);
    out
}

/// The range of `s` without its leading and trailing white space; the marks moved to count
/// from its start.
pub(super) fn trim_marked(s: &str, marks: &mut Vec<Mark>) -> Range<usize> {
    let start = s.len() - s.trim_start().len();
    let end = start + s.trim().len();
    shift(marks, start..end);
    tidy(s.get(start..end).unwrap_or(""), marks);
    start..end
}

/// The marks that fall in `range` of a text, counted from the range's start.
pub(super) fn slice_marks(marks: &[Mark], range: Range<usize>) -> Vec<Mark> {
    let mut out = marks.to_vec();
    shift(&mut out, range);
    out
}

/// Clips the marks to `range` and counts them from its start.
fn shift(marks: &mut Vec<Mark>, range: Range<usize>) {
    let (a, b) = (range.start as u32, range.end as u32);
    marks.retain(|m| m.end > a && m.start < b);
    for m in marks.iter_mut() {
        m.start = m.start.clamp(a, b) - a;
        m.end = m.end.clamp(a, b) - a;
    }
}

/// Marks made to fit `text`: on character boundaries, without white space at their ends,
/// empty ones dropped, sorted by where they start.
pub(super) fn tidy(text: &str, marks: &mut Vec<Mark>) {
    for m in marks.iter_mut() {
        let mut r = m.range();
        r.end = r.end.min(text.len());
        r.start = r.start.min(r.end);
        while !text.is_char_boundary(r.start) {
            r.start += 1;
        }
        while !text.is_char_boundary(r.end) {
            r.end -= 1;
        }
        let inner = text.get(r.start..r.end.max(r.start)).unwrap_or("");
        let lead = inner.len() - inner.trim_start().len();
        let len = inner.trim().len();
        m.start = (r.start + lead) as u32;
        m.end = (r.start + lead + len) as u32;
    }
    marks.retain(|m| m.end > m.start);
    marks.sort_by_key(|m| (m.start, std::cmp::Reverse(m.end)));
}

/// Between two links with nothing but white space between them (a row of sources, `CNN BBC
/// News`), a middle dot, so that where one ends and the next begins shows.
pub(super) fn separate_links(text: String, marks: &mut [Mark]) -> String {
    let links: Vec<(usize, usize)> = marks
        .iter()
        .filter(|m| matches!(m.style, Style::Link(_)))
        .map(|m| (m.start as usize, m.end as usize))
        .collect();
    let mut gaps: Vec<Range<usize>> = Vec::new();
    for pair in links.windows(2) {
        let (end, start) = (pair[0].1, pair[1].0);
        if start >= end
            && text
                .get(end..start)
                .is_some_and(|g| g.chars().all(|c| c == ' ' || c == '\u{a0}'))
        {
            gaps.push(end..start);
        }
    }
    if gaps.is_empty() {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 4 * gaps.len());
    let mut from = 0;
    // Where each gap ends, in the old text and in the new.
    let mut moved: Vec<(usize, usize)> = Vec::new();
    for g in &gaps {
        out.push_str(text.get(from..g.start).unwrap_or(""));
        out.push_str(" · ");
        from = g.end;
        moved.push((g.end, out.len()));
    }
    out.push_str(text.get(from..).unwrap_or(""));
    let map = |p: usize| {
        moved
            .iter()
            .take_while(|&&(at, _)| at <= p)
            .last()
            .map_or(p, |&(old, new)| new + (p - old))
    };
    for m in marks.iter_mut() {
        m.start = map(m.start as usize) as u32;
        // An end at a gap's start stays before the dot.
        m.end = (map(m.end as usize - 1) + 1) as u32;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mark(start: u32, end: u32, style: Style) -> Mark {
        Mark { start, end, style }
    }

    fn shown(text: &str, marks: &[Mark]) -> Vec<String> {
        marks
            .iter()
            .map(|m| text.get(m.range()).unwrap_or("?").to_owned())
            .collect()
    }

    #[test]
    fn collapsing_moves_the_marks() {
        let s = "  a   <b>  bold  </b>\n\n c\u{2028}\u{2028}  next line ";
        let mut marks = vec![mark(6, 21, Style::Strong)];
        let out = collapse_lines(s, '\u{2028}', &mut marks);
        assert_eq!(out, "a <b> bold </b> c\nnext line");
        assert_eq!(shown(&out, &marks), ["<b> bold </b>"]);
    }

    #[test]
    fn sanitizing_moves_the_marks() {
        let s = "a\x1b[31m b link c";
        let mut marks = vec![mark(7, 13, Style::Link(0))];
        let out = sanitize_marked(s, &mut marks);
        assert_eq!(out, "a␛[31m b link c");
        assert_eq!(shown(&out, &marks), ["b link"]);
    }

    #[test]
    fn trimming_and_slicing_move_the_marks() {
        let s = "  one two  ";
        let mut marks = vec![mark(0, 5, Style::Code), mark(6, 11, Style::Emphasis)];
        let r = trim_marked(s, &mut marks);
        let t = s.get(r).unwrap_or("");
        assert_eq!(t, "one two");
        assert_eq!(shown(t, &marks), ["one", "two"]);
        assert_eq!(shown("two", &slice_marks(&marks, 4..7)), ["two"]);
    }

    #[test]
    fn neighbouring_links_get_a_dot_between() {
        let text = "so far. CNN BBC News and more".to_owned();
        let mut marks = vec![
            mark(8, 11, Style::Link(0)),
            mark(12, 20, Style::Link(1)),
            mark(8, 20, Style::Strong),
        ];
        let out = separate_links(text, &mut marks);
        assert_eq!(out, "so far. CNN · BBC News and more");
        assert_eq!(shown(&out, &marks), ["CNN", "BBC News", "CNN · BBC News"]);
        // Links with words between are left as they are.
        let text = "CNN and BBC".to_owned();
        let mut marks = vec![mark(0, 3, Style::Link(0)), mark(8, 11, Style::Link(1))];
        assert_eq!(separate_links(text, &mut marks), "CNN and BBC");
    }

    #[test]
    fn unbalanced_and_deep_marks_are_harmless() {
        let mut b = MarkBuf::default();
        b.close(3);
        for i in 0..100 {
            b.open(i, Some(Style::Strong));
        }
        for i in 0..100 {
            b.close(200 - i);
        }
        assert_eq!(b.marks.len(), MAX_OPEN);
        let mut marks = vec![mark(2, 900, Style::Code)];
        tidy("héllo", &mut marks);
        assert_eq!(marks, [mark(3, 6, Style::Code)]);
    }
}
