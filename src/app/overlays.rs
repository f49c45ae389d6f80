//! What opens over the panes: the help, the outline of headings, the query line.

use ratatui::layout::Rect;

use super::App;
use super::geometry::fit;
use crate::article::Place;
use crate::keymap::{Action, Keymap};
use crate::store::Pos as Position;

/// What opens over the panes, at most one of each.
#[derive(Debug, Default)]
pub(super) struct Overlays {
    /// The query line, while typing.
    pub(super) prompt: Option<QueryLine>,
    pub(super) help: bool,
    /// The first help line shown.
    pub(super) help_top: usize,
    /// The outline's selected heading, while it is shown.
    pub(super) outline: Option<usize>,
    /// The selected link of the link list, while it is shown.
    pub(super) links: Option<usize>,
    /// Asking whether to mark this many articles read (`A`): `y` does.
    pub(super) confirm: Option<usize>,
}

/// One heading of the outline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutlineItem {
    /// Its block in the article.
    pub block: usize,
    /// Its level, 1 to 6.
    pub level: u8,
    /// Its text (logical).
    pub text: String,
}

/// The help overlay at a screen size: a box centred on the screen, as wide as its longest
/// line allows, its lines fitted to that width (a key and its description on two lines when
/// the screen is narrow, cut with an ellipsis past that), scrolled to `top`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpView {
    /// The box, borders included.
    pub area: Rect,
    /// Every line of the help, fitted to the box.
    pub lines: Vec<String>,
    /// The first line shown.
    pub top: usize,
}

impl HelpView {
    pub(super) fn new(keymap: &Keymap, (w, h): (u16, u16), top: usize) -> Self {
        use crate::text::str_width;
        let rows = keymap.help_rows();
        let keys_w = rows.iter().map(|(k, _)| str_width(k)).max().unwrap_or(0);
        let desc_w = rows.iter().map(|(_, d)| str_width(d)).max().unwrap_or(0);
        // Borders and one blank column each side.
        let want = u16::try_from(keys_w + 2 + desc_w + 4).unwrap_or(u16::MAX);
        let bw = want.min(w);
        let inner = usize::from(bw.saturating_sub(4)).max(1);
        let mut lines = Vec::new();
        for (k, d) in &rows {
            if keys_w + 2 + str_width(d) <= inner {
                lines.push(format!("{k:<keys_w$}  {d}"));
            } else {
                lines.push(fit(k, inner));
                lines.push(fit(&format!("  {d}"), inner));
            }
        }
        let bh = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX).min(h);
        let area = Rect::new((w - bw) / 2, (h - bh) / 2, bw, bh);
        let mut view = Self { area, lines, top };
        view.top = top.min(view.max_top());
        view
    }

    /// How many lines the box shows.
    pub fn rows(&self) -> usize {
        usize::from(self.area.height.saturating_sub(2))
    }

    /// The last first line: the end of the help at the bottom of the box.
    pub fn max_top(&self) -> usize {
        self.lines.len().saturating_sub(self.rows())
    }

    /// Whether lines are hidden above the box, and below it.
    pub fn more(&self) -> (bool, bool) {
        (self.top > 0, self.top < self.max_top())
    }
}

/// The query line at the bottom while the user types a filter or a search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryLine {
    /// What was typed.
    pub text: String,
    /// Whether it filters the list (else it searches the article).
    pub list: bool,
}

impl App {
    /// The help overlay as it is drawn now: its box, its lines (fitted to the box's width)
    /// and the first line shown; none when the help is closed.
    pub fn help_view(&self) -> Option<HelpView> {
        self.overlay
            .help
            .then(|| HelpView::new(&self.prefs.keymap, self.size, self.overlay.help_top))
    }

    /// The outline of the open article while it is shown: its headings and the selected one.
    pub fn outline(&self) -> Option<(Vec<OutlineItem>, usize)> {
        let k = self.overlay.outline?;
        Some((self.outline_items(), k))
    }

    pub(super) fn outline_items(&self) -> Vec<OutlineItem> {
        let Some(r) = &self.reader else {
            return Vec::new();
        };
        r.article
            .blocks
            .iter()
            .enumerate()
            .filter_map(|(block, b)| match b.kind {
                crate::article::BlockKind::Heading(level) => Some(OutlineItem {
                    block,
                    level,
                    text: b.text.replace('\n', " "),
                }),
                _ => None,
            })
            .collect()
    }

    /// Shows the outline, the heading of the text at the top of the pane selected.
    pub(super) fn open_outline(&mut self, in_reader: bool) {
        let items = self.outline_items();
        if !in_reader {
            self.message = Some("open an article to see its outline".into());
            return;
        }
        if items.is_empty() {
            self.message = Some("this article has no headings".into());
            return;
        }
        let at = self
            .reader
            .as_ref()
            .and_then(|r| r.position().place.block())
            .unwrap_or(0);
        let k = items.iter().rposition(|i| i.block <= at).unwrap_or(0);
        self.overlay.outline = Some(k);
    }

    /// An action while the outline is shown: the moves move the selection, Enter jumps to
    /// the heading, any other key closes it.
    pub(super) fn outline_action(&mut self, action: Action) {
        let Some(k) = self.overlay.outline else {
            return;
        };
        if let Some(to) = self.overlay_move(action, k, self.outline_items().len()) {
            self.overlay.outline = Some(to);
            return;
        }
        self.overlay.outline = match action {
            Action::Open => {
                if let Some(item) = self.outline_items().get(k) {
                    self.jump_to_block(item.block);
                }
                None
            }
            Action::Redraw => {
                self.out.redraws += 1;
                Some(k)
            }
            _ => None,
        };
    }

    /// Where a move takes the selection of an overlay list of `n` rows (the outline, the
    /// links) from row `k`; none when `action` is not a move.
    pub(super) fn overlay_move(&self, action: Action, k: usize, n: usize) -> Option<usize> {
        let last = n.saturating_sub(1);
        let page = usize::from(self.size.1.saturating_sub(4)).max(1);
        Some(match action {
            Action::Down => (k + 1).min(last),
            Action::Up => k.saturating_sub(1),
            Action::PageDown | Action::HalfDown => (k + page).min(last),
            Action::PageUp | Action::HalfUp => k.saturating_sub(page),
            Action::Top => 0,
            Action::Bottom => last,
            _ => return None,
        })
    }

    /// Puts block `b` of the open article at the top of the pane.
    pub(super) fn jump_to_block(&mut self, b: usize) {
        let page = self.page();
        if let Some(r) = &mut self.reader {
            r.anchor = Position {
                place: Place::Block(b),
                offset: 0,
            };
            let max_top = r.lines.len().saturating_sub(page);
            r.top = r.line_of(r.anchor).min(max_top);
            // While only the first part is laid out the block may have no line yet: the anchor
            // stays the block, and the whole is laid out at it when it comes.
            if !r.is_partial() {
                r.anchor = r.position_of(r.top);
            }
        }
    }

    /// An action while the help is shown: the moves scroll it, a redraw redraws, any other
    /// (quit and back included) closes it and is not carried out.
    pub(super) fn help_action(&mut self, action: Action) {
        let Some(view) = self.help_view() else {
            return;
        };
        let page = isize::try_from(view.rows().max(1)).unwrap_or(1);
        let d = match action {
            Action::Down => 1,
            Action::Up => -1,
            Action::PageDown => (page - 1).max(1),
            Action::PageUp => -(page - 1).max(1),
            Action::HalfDown => (page / 2).max(1),
            Action::HalfUp => -(page / 2).max(1),
            Action::Top => isize::MIN / 2,
            Action::Bottom => isize::MAX / 2,
            Action::Redraw => {
                self.out.redraws += 1;
                return;
            }
            _ => {
                self.overlay.help = false;
                return;
            }
        };
        self.overlay.help_top = view.top.saturating_add_signed(d).min(view.max_top());
    }
}
