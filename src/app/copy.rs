//! Paragraph selection, copying to the clipboard (OSC 52) and opening an article's address.

use std::sync::Arc;

use super::{App, Focus};
use crate::article::Place;
use crate::document::LineKind;
use crate::keymap::Action;

/// The most text copied at once, in bytes (terminals cap OSC 52; the cut is said).
pub const MAX_COPY_BYTES: usize = 96 * 1024;

/// The OSC 52 sequence that puts `text` on the clipboard (`c`), base64 inside, ended by
/// ST (`ESC \\`), which every terminal that takes OSC 52 understands.
pub fn osc52(text: &str) -> Vec<u8> {
    let mut out = b"\x1b]52;c;".to_vec();
    out.extend_from_slice(base64(text.as_bytes()).as_bytes());
    out.extend_from_slice(b"\x1b\\");
    out
}

/// Standard base64 with padding.
pub(super) fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (k, shift) in [18u32, 12, 6, 0].into_iter().enumerate() {
            if k <= chunk.len() {
                out.push(char::from(ABC[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Whether `url` is a web address a browser may be handed: `http` or `https`, no space or
/// control character, at most 4096 bytes.
pub fn is_web_address(url: &str) -> bool {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    (lower.starts_with("http://") || lower.starts_with("https://"))
        && url.len() <= 4096
        && !url.chars().any(|c| c.is_whitespace() || c.is_control())
}

impl App {
    /// An action while paragraphs are selected: j/k move its end, `y` copies it, Esc or `v`
    /// ends it; true when the action was taken here (others work as usual).
    pub(super) fn selecting(&mut self, action: Action) -> bool {
        let page = self.page();
        let Some(r) = &mut self.reader else {
            return false;
        };
        let Some((anchor, end)) = r.selection else {
            return false;
        };
        let last = r.article.blocks.len().saturating_sub(1);
        match action {
            Action::Down | Action::Up => {
                let end = if action == Action::Down {
                    (end + 1).min(last)
                } else {
                    end.saturating_sub(1)
                };
                r.selection = Some((anchor, end));
                // Keep the moving end on screen.
                let first = r.lines.iter().position(|l| l.origin == Place::Block(end));
                let past = r.lines.iter().rposition(|l| l.origin == Place::Block(end));
                if let (Some(first), Some(past)) = (first, past) {
                    let max_top = r.lines.len().saturating_sub(page);
                    if first < r.top {
                        r.top = first;
                    } else if past >= r.top + page {
                        r.top = (past + 1).saturating_sub(page).min(first).min(max_top);
                    }
                    r.anchor = r.position_of(r.top);
                }
                true
            }
            Action::Copy => {
                let blocks = r.selection().unwrap_or(0..=0);
                let n = blocks.clone().count();
                let text = r
                    .article
                    .blocks
                    .get(blocks)
                    .unwrap_or_default()
                    .iter()
                    .map(|b| b.text.as_str())
                    .collect::<Vec<_>>()
                    .join("\n\n");
                r.selection = None;
                let what = if n == 1 {
                    "1 paragraph".to_owned()
                } else {
                    format!("{n} paragraphs")
                };
                self.copy(&what, &text);
                true
            }
            Action::Back | Action::Select => {
                r.selection = None;
                self.message = Some("selection cancelled".into());
                true
            }
            _ => false,
        }
    }

    /// Starts selecting paragraphs at the first one on screen.
    pub(super) fn start_selection(&mut self, in_reader: bool) {
        let Some(r) = self.reader.as_mut().filter(|_| in_reader) else {
            self.message = Some("open an article to select its paragraphs".into());
            return;
        };
        let first = r.lines.iter().skip(r.top).find_map(|l| match l.origin {
            Place::Block(b) if l.kind != LineKind::Blank => Some(b),
            _ => None,
        });
        match first {
            Some(b) => r.selection = Some((b, b)),
            None => self.message = Some("nothing to select here".into()),
        }
    }

    /// The address of the article an action means (the open one, else the selected one).
    pub(super) fn target_address(&self) -> Option<String> {
        let article = if let (Some(r), Focus::Reader) = (&self.reader, self.focus) {
            Some(Arc::clone(&r.article))
        } else {
            let i = *self.list.view.get(self.list.selected)?;
            self.lib
                .loaded(i)
                .or_else(|| (!self.lib.is_huge(i)).then(|| self.lib.article(i).ok())?)
        };
        article?.url.clone()
    }

    /// Copies the article's address.
    pub(super) fn copy_address(&mut self) {
        match self.target_address() {
            Some(url) => self.copy("the address", &url),
            None => self.message = Some("this article has no address".into()),
        }
    }

    /// Opens the article's address in the browser on a local terminal; elsewhere copies it
    /// and shows it.
    pub(super) fn open_address(&mut self) {
        let Some(url) = self.target_address() else {
            self.message = Some("this article has no address".into());
            return;
        };
        if self.prefs.local && is_web_address(&url) {
            self.message = Some(format!("opening {url}"));
            self.out.open_request = Some(url);
        } else {
            self.copy("the address", &url);
            let said = self.message.take().unwrap_or_default();
            self.message = Some(format!("{url} · {said}"));
        }
    }

    /// Writes `text` to the clipboard through the terminal (OSC 52), in logical order as
    /// stored, and says so in one line.
    pub(super) fn copy(&mut self, what: &str, text: &str) {
        if !self.prefs.clipboard {
            self.message = Some("copying is off (clipboard = false in the config)".into());
            return;
        }
        let mut end = text.len().min(MAX_COPY_BYTES);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let copied = text.get(..end).unwrap_or_default();
        self.out.output = osc52(copied);
        let chars = copied.chars().count();
        let cut = if end < text.len() {
            format!(", cut at {} KiB", MAX_COPY_BYTES / 1024)
        } else {
            String::new()
        };
        self.message = Some(format!("copied {what} ({chars} characters{cut})"));
    }
}
