//! A whole article laid out: title, dates, byline, then each block, with blank lines between
//! blocks, list markers and quote margins on the side where the line starts.

use super::{LineRef, Options, Prepared, VisualLine, prepare, str_width};
use crate::article::{Article, ArticleDate, BlockKind, Direction};

/// What a document line shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// The article's title.
    Title,
    /// A date or the byline.
    Meta,
    /// A heading of the body.
    Heading(u8),
    /// Running text.
    Paragraph,
    /// A quotation.
    Quote,
    /// A list item.
    ListItem,
    /// The space between blocks.
    Blank,
}

/// Where a line's text comes from: a block of the body, or the article's head.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Origin {
    /// The title, the dates and the byline.
    Head,
    /// Block `n` of the body.
    Block(usize),
}

/// One line of a laid-out article. Its cells are made when it is drawn
/// ([`PreparedArticle::visual`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocLine {
    /// What the line shows.
    pub kind: LineKind,
    /// Which text it comes from (source ranges of the cells are relative to that text).
    pub origin: Origin,
    /// Where the line breaks and sits; `line.offset` counts from the start of the text area
    /// (after `lead` for LTR).
    pub line: LineRef,
    /// Columns reserved on the side where the line starts (quote margin, list marker).
    pub lead: usize,
    /// The list marker or quote bar drawn in the lead, if any.
    pub marker: Option<&'static str>,
    /// The prepared block it comes from.
    block: usize,
}

impl DocLine {
    /// The column (from the left edge) of the line's first cell.
    pub fn first_column(&self) -> usize {
        if self.line.rtl {
            self.line.offset
        } else {
            self.lead + self.line.offset
        }
    }

    /// The column at which the marker is drawn, if there is one.
    pub fn marker_column(&self, width: usize) -> Option<usize> {
        let marker = self.marker?;
        Some(if self.line.rtl {
            width.saturating_sub(str_width(marker))
        } else {
            0
        })
    }
}

/// An article with the work that does not depend on the width done for every block (see
/// [`Prepared`]): laying it out again at another width, as a resize does, only wraps and
/// reorders lines.
#[derive(Debug, Clone)]
pub struct PreparedArticle {
    direction: Direction,
    /// The title, dates and byline, then the body blocks, each with its kind and origin.
    blocks: Vec<(LineKind, Origin, Prepared)>,
    /// The body text of the blocks prepared.
    body_bytes: usize,
    /// Whether every block of the article is prepared (see [`Self::first_part`]).
    whole: bool,
}

impl PreparedArticle {
    /// Prepares every block of `article`.
    pub fn new(article: &Article, opts: Options) -> Self {
        Self::blocks(article, opts, 0..article.blocks.len(), None)
    }

    /// As [`Self::new`], giving up (with `None`) once `cancel` is set, which is looked at
    /// before every block: the reader's background preparation ends with its session.
    pub fn new_cancellable(
        article: &Article,
        opts: Options,
        cancel: &std::sync::atomic::AtomicBool,
    ) -> Option<Self> {
        let whole = Self::blocks(article, opts, 0..article.blocks.len(), Some(cancel));
        (!cancel.load(std::sync::atomic::Ordering::Acquire)).then_some(whole)
    }

    /// Prepares the head of `article` and the body blocks from `block` on, until `bytes` of
    /// their text: enough to show the top of a long article, or the place its reader left
    /// it, at once, while [`Self::new`] prepares the whole. (Its lines go from the head
    /// straight to `block`: a screen is drawn from them, not scrolled.)
    pub fn first_part(article: &Article, opts: Options, block: usize, bytes: usize) -> Self {
        let from = block.min(article.blocks.len());
        let mut to = from;
        let mut taken = 0;
        while to < article.blocks.len() && taken < bytes {
            taken += article.blocks[to].text.len();
            to += 1;
        }
        Self::blocks(article, opts, from..to, None)
    }

    /// Whether every block of the article is prepared.
    pub fn is_whole(&self) -> bool {
        self.whole
    }

    /// Prepares the head and the body blocks in `range`.
    fn blocks(
        article: &Article,
        opts: Options,
        range: std::ops::Range<usize>,
        cancel: Option<&std::sync::atomic::AtomicBool>,
    ) -> Self {
        let opts = Options {
            fallback: article.direction,
            ..opts
        };
        let mut blocks = vec![(LineKind::Title, Origin::Head, prepare(&article.title, opts))];
        for d in &article.dates {
            blocks.push((LineKind::Meta, Origin::Head, prepare(&shown_date(d), opts)));
        }
        if let Some(b) = &article.byline {
            blocks.push((LineKind::Meta, Origin::Head, prepare(b, opts)));
        }
        let whole = range.len() == article.blocks.len();
        let body_bytes: usize = article.blocks[range.clone()]
            .iter()
            .map(|b| b.text.len())
            .sum();
        let prepare_block = |i: usize| {
            let block = &article.blocks[i];
            let kind = match block.kind {
                BlockKind::Heading(n) => LineKind::Heading(n),
                BlockKind::Paragraph => LineKind::Paragraph,
                BlockKind::Quote => LineKind::Quote,
                BlockKind::ListItem => LineKind::ListItem,
                BlockKind::Figure => LineKind::Meta,
            };
            if cancel.is_some_and(|c| c.load(std::sync::atomic::Ordering::Relaxed)) {
                // Cancelled: the result is thrown away, the rest costs nothing.
                return (kind, Origin::Block(i), prepare("", opts));
            }
            (kind, Origin::Block(i), prepare(&block.text, opts))
        };
        if body_bytes >= PARALLEL_BYTES {
            // Blocks are independent: a long article uses every core.
            blocks.extend(crate::par::par_map(range.len(), |k| {
                prepare_block(range.start + k)
            }));
        } else {
            blocks.extend(range.map(prepare_block));
        }
        Self {
            direction: article.direction,
            blocks,
            body_bytes,
            whole,
        }
    }

    /// The article's lines for `width` columns (0: no wrapping): where each breaks and sits.
    pub fn lay_out(&self, width: usize) -> Vec<DocLine> {
        let block_lines = |i: usize| {
            let (kind, origin, prepared) = &self.blocks[i];
            let mut lines = Vec::new();
            if let Origin::Block(_) = origin {
                lines.push(blank(*origin, i, self.direction));
            }
            push_block(&mut lines, prepared, *kind, *origin, i, width);
            lines
        };
        let n = self.blocks.len();
        let parts = if self.body_bytes >= PARALLEL_BYTES {
            crate::par::par_map(n, block_lines)
        } else {
            (0..n).map(block_lines).collect()
        };
        let mut out = Vec::with_capacity(parts.iter().map(Vec::len).sum());
        for lines in parts {
            out.extend(lines);
        }
        out
    }

    /// The cells of `line` (a line this article laid out).
    pub fn visual(&self, line: &DocLine) -> VisualLine {
        match self.blocks.get(line.block) {
            Some((_, _, prepared)) => prepared.visual(&line.line),
            None => VisualLine {
                rtl: line.line.rtl,
                ..VisualLine::default()
            },
        }
    }

    /// `line` as plain text, `width` columns wide at most, with no trailing spaces.
    pub fn plain(&self, line: &DocLine, width: usize) -> String {
        self.plain_placed(line, width, false)
    }

    /// As [`Self::plain`]; a `mirrored` RTL line (one the terminal mirrors, its row sent with
    /// the RTL direction control in the `terminal` bidi mode) is placed as an LTR line is,
    /// marker first and unpadded, so the terminal puts it on the right.
    pub fn plain_placed(&self, line: &DocLine, width: usize, mirrored: bool) -> String {
        let mut visual = self.visual(line);
        let mirrored = mirrored && line.line.rtl;
        if mirrored {
            visual.offset = 0;
        }
        let mut cols: Vec<(usize, &str)> = visual
            .columns()
            .map(|(x, c)| {
                let x = if line.line.rtl && !mirrored {
                    x
                } else {
                    x + line.lead
                };
                (x, visual.cell_text(c))
            })
            .collect();
        let marker_at = if mirrored {
            line.marker.map(|_| 0)
        } else {
            line.marker_column(width)
        };
        if let (Some(m), Some(x)) = (line.marker, marker_at) {
            cols.push((x, m));
            cols.sort_by_key(|&(x, _)| x);
        }
        let mut out = String::new();
        let mut at = 0;
        for (x, text) in cols {
            if x > at {
                out.extend(std::iter::repeat_n(' ', x - at));
                at = x;
            }
            at += str_width(text).max(1);
            out.push_str(text);
        }
        out.truncate(out.trim_end().len());
        out
    }
}

/// A date line as the reader shows it: a machine timestamp from metadata
/// (`2017-06-18T13:50:00+01:00`) reads `2017-06-18 13:50 +01:00`, kept in that order by a
/// left-to-right isolate and aligned with the article (the isolate is never drawn); any
/// other date as the article writes it.
fn shown_date(d: &ArticleDate) -> std::borrow::Cow<'_, str> {
    match chrono::DateTime::parse_from_rfc3339(d.original.trim()) {
        Ok(t) => format!("\u{2066}{}\u{2069}", t.format("%Y-%m-%d %H:%M %:z")).into(),
        Err(_) => d.original.as_str().into(),
    }
}

/// Articles with at least this much body text are laid out on every core.
const PARALLEL_BYTES: usize = 64 * 1024;

fn blank(origin: Origin, block: usize, dir: Direction) -> DocLine {
    DocLine {
        kind: LineKind::Blank,
        origin,
        line: LineRef {
            rtl: dir == Direction::Rtl,
            ..LineRef::default()
        },
        lead: 0,
        marker: None,
        block,
    }
}

fn push_block(
    out: &mut Vec<DocLine>,
    prepared: &Prepared,
    kind: LineKind,
    origin: Origin,
    block: usize,
    width: usize,
) {
    let (lead, marker) = match kind {
        LineKind::Quote => (2, Some("┃")),
        LineKind::ListItem => (2, Some("•")),
        _ => (0, None),
    };
    let inner = if width == 0 {
        0
    } else {
        width.saturating_sub(lead).max(1)
    };
    let lines = prepared.wrap(inner);
    out.reserve(lines.len());
    for (n, line) in lines.into_iter().enumerate() {
        let marker = match kind {
            LineKind::ListItem if n > 0 => None,
            _ => marker,
        };
        out.push(DocLine {
            kind,
            origin,
            line,
            lead,
            marker,
            block,
        });
    }
}

/// The article as plain text lines, as `qari render` prints it.
pub fn render_plain(article: &Article, width: usize, opts: Options) -> String {
    render_lines(article, width, opts, false)
}

/// As [`render_plain`]; with `directed`, each line starts with its paragraph-direction
/// control ([`crate::terminal::direction`]). In the `terminal` bidi mode RTL lines are
/// unpadded and placed for the terminal to mirror ([`PreparedArticle::plain_placed`]).
pub fn render_lines(article: &Article, width: usize, opts: Options, directed: bool) -> String {
    let mut s = String::new();
    let written: Result<(), std::convert::Infallible> =
        each_line(article, width, opts, directed, |line| {
            s.push_str(line);
            s.push('\n');
            Ok(())
        });
    let Ok(()) = written;
    s
}

/// The lines of [`render_lines`] handed to `f` one at a time, without their newline, so that a
/// printer holds one line of text at once, never the whole article's.
pub fn each_line<E>(
    article: &Article,
    width: usize,
    opts: Options,
    directed: bool,
    mut f: impl FnMut(&str) -> Result<(), E>,
) -> Result<(), E> {
    let prepared = PreparedArticle::new(article, opts);
    let mirrored = opts.mode == super::BidiMode::Terminal;
    let mut line = String::new();
    for l in prepared.lay_out(width) {
        line.clear();
        if directed {
            line.push_str(crate::terminal::direction(l.line.rtl));
        }
        line.push_str(&prepared.plain_placed(&l, width, mirrored));
        f(&line)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::article::{Format, parse};

    #[test]
    fn machine_timestamps_read_as_date_and_time() {
        let d = |s: &str| ArticleDate {
            value: crate::article::parse_date(s),
            original: s.to_owned(),
        };
        assert_eq!(
            shown_date(&d("2017-06-18T13:50:00+01:00")),
            "\u{2066}2017-06-18 13:50 +01:00\u{2069}"
        );
        // In an Arabic article: right-aligned, read in its own order.
        let md = "---\ntitle: عنوان\ndate: 2017-06-18T13:50:00+01:00\n---\n\nنص.\n";
        let a = &parse(md.as_bytes(), Format::Markdown, "x.md")
            .unwrap()
            .articles[0];
        let text = render_plain(a, 30, Options::default());
        assert_eq!(text.lines().nth(1), Some("       2017-06-18 13:50 +01:00"));
        assert_eq!(shown_date(&d("Thu - 16 Nov 2017")), "Thu - 16 Nov 2017");
        assert_eq!(
            shown_date(&d("الخميس - 16 نوفمبر 2017")),
            "الخميس - 16 نوفمبر 2017"
        );
    }

    #[test]
    fn markers_sit_on_the_starting_side() {
        let md = "---\ntitle: T\n---\n\n- بند أول\n- first item\n\n> «قول»\n";
        let a = &parse(md.as_bytes(), Format::Markdown, "x.md")
            .unwrap()
            .articles[0];
        let text = render_plain(a, 20, Options::default());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "T");
        assert_eq!(lines[2], "           ﻝﻭﺃ ﺪﻨﺑ •");
        assert_eq!(lines[4], "• first item");
        assert_eq!(lines[6], "             «ﻝﻮﻗ» ┃");
        for l in &lines {
            assert!(str_width(l) <= 20, "{l:?}");
        }
    }
}
