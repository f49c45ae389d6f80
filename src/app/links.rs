//! The numbered list of the open article's links (`L`): Enter opens the selected one in the
//! browser on a local terminal, and elsewhere (SSH) copies it and shows it.

use super::App;
use super::copy::is_web_address;
use crate::article::Link;
use crate::keymap::Action;

impl App {
    /// The links of the open article while their list is shown, and the selected one.
    pub fn link_list(&self) -> Option<(&[Link], usize)> {
        let k = self.overlay.links?;
        let r = self.reader.as_ref()?;
        Some((&r.article.links, k))
    }

    /// Shows the list of links, the first link at or after the top of the pane selected.
    pub(super) fn open_links(&mut self, in_reader: bool) {
        let Some(r) = self.reader.as_ref().filter(|_| in_reader) else {
            self.message = Some("open an article to see its links".into());
            return;
        };
        if r.article.links.is_empty() {
            self.message = Some("this article has no links".into());
            return;
        }
        let at = r.position().place.block().unwrap_or(0);
        let first = r
            .article
            .blocks
            .iter()
            .skip(at)
            .flat_map(|b| &b.marks)
            .find_map(|m| match m.style {
                crate::article::Style::Link(n) => Some(n as usize),
                _ => None,
            })
            .unwrap_or(0);
        self.overlay.links = Some(first.min(r.article.links.len() - 1));
    }

    /// An action while the links are listed: the moves move the selection, Enter opens the
    /// link (or copies it), any other key closes the list.
    pub(super) fn links_action(&mut self, action: Action) {
        let Some((links, k)) = self.link_list() else {
            self.overlay.links = None;
            return;
        };
        if let Some(to) = self.overlay_move(action, k, links.len()) {
            self.overlay.links = Some(to);
            return;
        }
        self.overlay.links = match action {
            Action::Open => {
                let target = links.get(k).map(|l| l.target.clone());
                if let Some(target) = target {
                    self.follow_link(k + 1, target);
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

    /// Opens link `n` (numbered from 1) in the browser on a local terminal; elsewhere (and
    /// for a `mailto` link) copies it and shows it.
    fn follow_link(&mut self, n: usize, target: String) {
        if self.prefs.local && is_web_address(&target) {
            self.message = Some(format!("opening link {n}: {target}"));
            self.out.open_request = Some(target);
        } else {
            self.copy(&format!("link {n}"), &target);
            let said = self.message.take().unwrap_or_default();
            self.message = Some(format!("{target} · {said}"));
        }
    }
}
