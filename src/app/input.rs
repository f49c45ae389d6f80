//! Input dispatch: keys, pastes and resizes to actions; the query line's keys.

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::background::Awaited;
use super::overlays::QueryLine;
use super::{App, Focus, Input, MAX_PASTE_BYTES, MAX_QUERY_CHARS};
use crate::keymap::Action;
use crate::search::Query;

/// Pasted text as the query line takes it, the one cleaning of a paste: line breaks, tabs
/// and other white space made spaces, every other control character and every bidi control
/// (a paste steers no layout) left out.
fn clean_paste(text: &str) -> impl Iterator<Item = char> + '_ {
    text.chars().filter_map(|c| match c {
        c if c.is_whitespace() => Some(' '),
        c if c.is_control() || crate::text::is_bidi_control(c) => None,
        c => Some(c),
    })
}

impl App {
    /// Handles one input from the front end. Nothing here waits for background work: a
    /// search is started on the worker (cancelling the one running), an article still being
    /// prepared is read on its first part.
    pub fn handle(&mut self, input: Input) {
        self.poll_background();
        match input {
            Input::Resize(w, h) => self.resize(w, h),
            Input::Paste(text) => self.paste(&text),
            Input::ScrollUp | Input::ScrollDown if self.prefs.mouse && !self.overlay.help => {
                let d = if input == Input::ScrollUp { -3 } else { 3 };
                match self.focus {
                    Focus::Reader => self.scroll(d),
                    Focus::List => self.move_selection(d),
                }
            }
            Input::ScrollUp | Input::ScrollDown => {}
            Input::Key(ev) => self.key(ev),
        }
        self.sync_preview();
        self.show_store_failure();
    }

    /// A paste (from either front end, as it came): one input, into the query line only, at
    /// most [`MAX_PASTE_BYTES`] of it, cleaned by [`clean_paste`].
    pub(super) fn paste(&mut self, text: &str) {
        if self.overlay.prompt.is_none() {
            return;
        }
        let mut end = text.len().min(MAX_PASTE_BYTES);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let cut = end < text.len();
        let dropped = self.extend_query(clean_paste(text.get(..end).unwrap_or_default()));
        if cut || dropped {
            self.message = Some(format!("the query is cut at {MAX_QUERY_CHARS} characters"));
        }
        self.query_changed();
    }

    /// Adds `chars` to the query line up to [`MAX_QUERY_CHARS`]; true when some were
    /// dropped.
    pub(super) fn extend_query(&mut self, chars: impl Iterator<Item = char>) -> bool {
        let Some(q) = &mut self.overlay.prompt else {
            return false;
        };
        let mut room = MAX_QUERY_CHARS.saturating_sub(q.text.chars().count());
        for c in chars {
            if room == 0 {
                return true;
            }
            q.text.push(c);
            room -= 1;
        }
        false
    }

    pub(super) fn key(&mut self, ev: KeyEvent) {
        if ev.kind == crossterm::event::KeyEventKind::Release {
            return;
        }
        if self.overlay.prompt.is_some() {
            self.query_key(ev);
            return;
        }
        let ctrl_c = ev.code == KeyCode::Char('c') && ev.modifiers.contains(KeyModifiers::CONTROL);
        if let Some(n) = self.overlay.confirm.take() {
            if ctrl_c {
                self.out.quit = true;
            } else if matches!(ev.code, KeyCode::Char('y' | 'Y')) && !ctrl_c {
                self.mark_shown_read();
                let s = if n == 1 { "" } else { "s" };
                self.message = Some(format!("{n} article{s} marked read"));
            } else {
                self.message = Some("nothing was marked".into());
            }
            return;
        }
        match self.prefs.keymap.action(&ev) {
            Some(Action::Quit) if ctrl_c => self.out.quit = true,
            Some(action) => {
                self.message = None;
                self.apply(action);
            }
            // A key bound to nothing closes the help or the outline (and does nothing else).
            None if self.overlay.help => self.overlay.help = false,
            None if self.overlay.outline.is_some() => self.overlay.outline = None,
            None if self.overlay.links.is_some() => self.overlay.links = None,
            None => {}
        }
    }

    /// Carries out one action.
    pub fn apply(&mut self, action: Action) {
        self.apply_action(action);
        self.sync_preview();
        self.show_store_failure();
    }

    pub(super) fn apply_action(&mut self, action: Action) {
        if self.overlay.help {
            self.help_action(action);
            return;
        }
        if self.overlay.outline.is_some() {
            self.outline_action(action);
            return;
        }
        if self.overlay.links.is_some() {
            self.links_action(action);
            return;
        }
        let in_reader = self.focus == Focus::Reader && self.reader.is_some();
        if in_reader && self.selecting(action) {
            return;
        }
        match action {
            Action::Quit => self.out.quit = true,
            Action::Help => {
                self.overlay.help = true;
                self.overlay.help_top = 0;
            }
            Action::Redraw => self.out.redraws += 1,
            Action::Suspend => self.out.suspend = true,
            Action::CycleSort => {
                self.list.sort = self.list.sort.next();
                self.store.set_library_sort(self.lib.key(), self.list.sort);
                if self.searching() {
                    self.clear_search();
                }
                self.refresh_view(self.current_id());
                self.message = Some(format!("sorted by {}", self.list.sort.name()));
            }
            Action::SwitchPane => {
                if self.geometry().divider.is_some() && self.reader.is_some() {
                    self.focus = match self.focus {
                        Focus::List => Focus::Reader,
                        Focus::Reader => Focus::List,
                    };
                    if self.focus == Focus::Reader {
                        self.mark_opened();
                    }
                }
            }
            Action::Open => {
                if self.focus == Focus::List {
                    self.open_selected();
                }
            }
            Action::Back => {
                if self.bg.opening.take().is_some() {
                    self.message = Some("the article was not opened".into());
                } else if self.focus == Focus::Reader {
                    self.focus = Focus::List;
                    if let Some(e) = self.save() {
                        self.message = Some(e);
                    }
                } else if !self.list.search.is_empty() {
                    self.clear_search();
                }
            }
            Action::Down if in_reader => self.scroll(1),
            Action::Up if in_reader => self.scroll(-1),
            Action::PageDown if in_reader && self.at_end() => {
                // At the end of the article Space goes on to the next unread one.
                self.unread(true, true);
            }
            Action::PageDown if in_reader => self.scroll(self.page_step()),
            Action::PageUp if in_reader => self.scroll(-self.page_step()),
            Action::HalfDown if in_reader => self.scroll(self.half_step()),
            Action::HalfUp if in_reader => self.scroll(-self.half_step()),
            Action::Top if in_reader => self.scroll(isize::MIN / 2),
            Action::Bottom if in_reader => self.scroll(isize::MAX / 2),
            Action::Down => self.move_selection(1),
            Action::Up => self.move_selection(-1),
            Action::PageDown => self.move_selection(self.list_step()),
            Action::PageUp => self.move_selection(-self.list_step()),
            Action::HalfDown => self.move_selection(self.list_step() / 2),
            Action::HalfUp => self.move_selection(-self.list_step() / 2),
            Action::Top => self.move_selection(isize::MIN / 2),
            Action::Bottom => self.move_selection(isize::MAX / 2),
            Action::Outline => self.open_outline(in_reader),
            Action::Links => self.open_links(in_reader),
            Action::Select => self.start_selection(in_reader),
            Action::Copy => self.copy_address(),
            Action::OpenAddress => self.open_address(),
            Action::Wider => self.change_measure(true),
            Action::Narrower => self.change_measure(false),
            Action::NextArticle => self.step_article(true, in_reader),
            Action::PrevArticle => self.step_article(false, in_reader),
            Action::UnreadOnly => self.toggle_unread_only(),
            Action::MarkAllRead => self.ask_mark_all_read(),
            Action::NextUnread => self.unread(true, in_reader),
            Action::PrevUnread => self.unread(false, in_reader),
            Action::ToggleRead => self.toggle_read(),
            Action::Bookmark => self.toggle_bookmark(),
            Action::Search => self.start_query(in_reader),
            Action::NextMatch => self.next_match(true),
            Action::PrevMatch => self.next_match(false),
        }
    }

    /// Opens the query line: a library filter from the list, a find in the reader.
    pub(super) fn start_query(&mut self, in_reader: bool) {
        if !in_reader {
            // The index is built while the query is typed.
            self.index.build_in_background(Arc::clone(&self.lib));
        }
        self.overlay.prompt = Some(QueryLine {
            text: if in_reader {
                String::new()
            } else {
                self.list.search.clone()
            },
            list: !in_reader,
        });
        if !in_reader && !self.index.is_ready() && self.bg.awaited.is_none() {
            // Only so that the status says the index is being built, and clears when
            // it is.
            self.submit_library(String::new(), Query::default(), None);
        }
    }

    pub(super) fn query_key(&mut self, ev: KeyEvent) {
        let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
        match ev.code {
            KeyCode::Char('c') if ctrl => self.out.quit = true,
            KeyCode::Esc => {
                self.message = None;
                let q = self.overlay.prompt.take();
                if q.is_some_and(|q| q.list) {
                    self.clear_search();
                }
            }
            KeyCode::Enter => {
                self.message = None;
                if let Some(q) = self.overlay.prompt.take() {
                    if q.list {
                        if matches!(self.bg.awaited, Some((_, Awaited::Library))) {
                            // The hits are on their way: open the first when they come.
                            self.bg.open_first = true;
                        } else if self.searching() {
                            self.open_selected();
                        }
                    } else {
                        self.find(&q.text);
                    }
                }
            }
            KeyCode::Backspace => {
                self.message = None;
                if let Some(q) = &mut self.overlay.prompt {
                    q.text.pop();
                }
                self.query_changed();
            }
            KeyCode::Char('u') if ctrl => {
                self.message = None;
                if let Some(q) = &mut self.overlay.prompt {
                    q.text.clear();
                }
                self.query_changed();
            }
            KeyCode::Char(c) if !ctrl && !c.is_control() => {
                if self.extend_query(std::iter::once(c)) {
                    self.message =
                        Some(format!("the query is cut at {MAX_QUERY_CHARS} characters"));
                } else {
                    self.query_changed();
                }
            }
            _ => {}
        }
    }

    pub(super) fn query_changed(&mut self) {
        if let Some(q) = &self.overlay.prompt
            && q.list
        {
            let text = q.text.clone();
            self.search_library(&text);
        }
    }
}
