//! Where everything goes on screen: the panes for a size and a focus, the reading measure, cutting text to a width.

use ratatui::layout::Rect;

use super::{App, Focus, MEASURE, MEASURE_STEP, MIN_HEIGHT, MIN_MEASURE, MIN_WIDTH, SIDE_BY_SIDE};

/// The widest screen qari draws, in columns: a terminal (or an SSH client's pty request) that
/// says it is wider is drawn at this width, so no peer can make a session allocate more than
/// `MAX_COLS × MAX_ROWS` cells.
pub const MAX_COLS: u16 = 1000;
/// The tallest screen qari draws, in rows (see [`MAX_COLS`]).
pub const MAX_ROWS: u16 = 500;

/// A size reported from outside (a local terminal, a pty request, a window change), held to
/// [`MAX_COLS`] × [`MAX_ROWS`].
pub fn clamp_size(cols: u16, rows: u16) -> (u16, u16) {
    (cols.min(MAX_COLS), rows.min(MAX_ROWS))
}

/// Where everything goes on screen, for a size and a focus.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Geometry {
    /// The whole screen.
    pub area: Rect,
    /// True below [`MIN_WIDTH`]×[`MIN_HEIGHT`]: nothing else is drawn.
    pub too_small: bool,
    /// The header row.
    pub header: Rect,
    /// The status row.
    pub status: Rect,
    /// The list pane, when shown.
    pub list: Option<Rect>,
    /// The reader pane, when shown.
    pub reader: Option<Rect>,
    /// The reader's text column inside its pane.
    pub text: Option<Rect>,
    /// The column of the divider between the panes, side by side.
    pub divider: Option<u16>,
}

impl Geometry {
    /// Lays out a screen of `width`×`height` with the default measure.
    pub fn new(width: u16, height: u16, focus: Focus) -> Self {
        Self::with_measure(width, height, focus, MEASURE)
    }

    /// Lays out a screen of `width`×`height`, the text at most `measure` columns wide (0:
    /// the pane's width), centred in a wider pane.
    pub fn with_measure(width: u16, height: u16, focus: Focus, measure: u16) -> Self {
        let area = Rect::new(0, 0, width, height);
        if width < MIN_WIDTH || height < MIN_HEIGHT {
            return Self {
                area,
                too_small: true,
                ..Self::default()
            };
        }
        let header = Rect::new(0, 0, width, 1);
        let status = Rect::new(0, height - 1, width, 1);
        let body = Rect::new(0, 1, width, height - 2);
        let (list, reader, divider) = if width >= SIDE_BY_SIDE {
            let lw = (width * 2 / 5).clamp(40, 72);
            (
                Some(Rect::new(0, body.y, lw, body.height)),
                Some(Rect::new(lw + 1, body.y, width - lw - 1, body.height)),
                Some(lw),
            )
        } else if focus == Focus::List {
            (Some(body), None, None)
        } else {
            (None, Some(body), None)
        };
        let text = reader.map(|r| {
            let inner = r.width.saturating_sub(2).max(1);
            let w = if measure == 0 {
                inner
            } else {
                inner.min(measure)
            };
            Rect::new(r.x + 1 + (inner - w) / 2, r.y, w, r.height)
        });
        Self {
            area,
            too_small: false,
            header,
            status,
            list,
            reader,
            text,
            divider,
        }
    }
}

/// `text` cut to `width` columns, an ellipsis at the cut.
pub fn fit(text: &str, width: usize) -> String {
    use crate::text::str_width;
    if str_width(text) <= width {
        return text.to_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    // Cut between grapheme clusters, measured as terminals draw them (a ZWJ sequence is one
    // wide cell), so no cluster is split and no mark is left before the ellipsis.
    for g in unicode_segmentation::UnicodeSegmentation::graphemes(text, true) {
        let cw = str_width(g);
        if used + cw + 1 > width {
            break;
        }
        out.push_str(g);
        used += cw;
    }
    if width > 0 {
        out.push('…');
    }
    out
}

/// `text` cut from its start to `width` columns, an ellipsis before what is kept (the end of a
/// long query, where the next letter goes); cut between grapheme clusters as [`fit`] is.
pub fn fit_end(text: &str, width: usize) -> std::borrow::Cow<'_, str> {
    use crate::text::str_width;
    if str_width(text) <= width {
        return text.into();
    }
    let mut used = 1;
    let mut start = text.len();
    for (i, g) in unicode_segmentation::UnicodeSegmentation::grapheme_indices(text, true).rev() {
        used += str_width(g);
        if used > width {
            break;
        }
        start = i;
    }
    format!("…{}", text.get(start..).unwrap_or_default()).into()
}

impl App {
    /// Where things go on screen now.
    pub fn geometry(&self) -> Geometry {
        self.geometry_at(self.size.0, self.size.1)
    }

    /// Where things go on a screen of `width`×`height`.
    pub fn geometry_at(&self, width: u16, height: u16) -> Geometry {
        Geometry::with_measure(width, height, self.focus, self.prefs.measure)
    }

    /// The number of text rows of the reader.
    pub(super) fn page(&self) -> usize {
        self.geometry()
            .text
            .map_or(1, |t| usize::from(t.height).max(1))
    }

    /// How many articles the list shows at once (when it is shown: in one-pane mode the
    /// list keeps its place while an article is read).
    pub(super) fn list_rows(&self) -> usize {
        let (w, h) = self.size;
        let rows = Geometry::new(w, h, Focus::List)
            .list
            .map_or(1, |l| usize::from(l.height).max(1));
        if self.searching() {
            (rows / 2).max(1)
        } else {
            rows
        }
    }

    /// Widens or narrows the reading measure by [`MEASURE_STEP`] (from [`MIN_MEASURE`] to
    /// the pane's width, which is measure 0), keeping the text at the top of the pane.
    pub(super) fn change_measure(&mut self, wider: bool) {
        let Some(pane) = self.geometry().reader else {
            self.message = Some("the measure changes while an article is shown".into());
            return;
        };
        let full = pane.width.saturating_sub(2).max(1);
        let now = if self.prefs.measure == 0 {
            full
        } else {
            self.prefs.measure.min(full)
        };
        let next = if wider {
            now.saturating_add(MEASURE_STEP)
        } else {
            now.saturating_sub(MEASURE_STEP).max(MIN_MEASURE.min(full))
        };
        self.prefs.measure = if next >= full { 0 } else { next };
        self.relayout();
        self.message = Some(if self.prefs.measure == 0 {
            format!("measure: the pane's width ({full} columns)")
        } else {
            format!("measure: {} columns", self.prefs.measure)
        });
    }

    pub(super) fn page_step(&self) -> isize {
        isize::try_from(self.page().saturating_sub(2).max(1)).unwrap_or(1)
    }

    pub(super) fn half_step(&self) -> isize {
        isize::try_from((self.page() / 2).max(1)).unwrap_or(1)
    }

    pub(super) fn list_step(&self) -> isize {
        isize::try_from(self.list_rows().saturating_sub(1).max(1)).unwrap_or(1)
    }

    /// A new size, held to [`MAX_COLS`] × [`MAX_ROWS`] (what
    /// the front ends draw at most).
    pub(super) fn resize(&mut self, w: u16, h: u16) {
        self.size = clamp_size(w, h);
        if self.geometry().divider.is_none() && self.reader.is_none() {
            self.focus = Focus::List;
        }
        self.relayout();
        self.keep_selection_visible();
    }

    pub(super) fn relayout(&mut self) {
        let width = self.geometry().text.map(|t| usize::from(t.width));
        let page = self.page();
        if let (Some(r), Some(w)) = (&mut self.reader, width) {
            r.lay_out(w, self.prefs.opts, &mut self.bg);
            r.top = r.top.min(r.lines.len().saturating_sub(page));
        }
    }
}
