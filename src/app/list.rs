//! The library list: search and filter, read marks and bookmarks, the selection, stepping through articles.

use std::sync::Arc;

use super::background::{Awaited, Job};
use super::filter::{Fields, title_key};
use super::{App, Focus};
use crate::library::{Filter, SortKey};
use crate::search::{Hit, Query};

impl App {
    /// Searches the library for `text` on the worker, cancelling the search running: the
    /// hits replace the list when they come in (through [`Self::poll_background`]). An empty
    /// query restores the list at once.
    pub fn search_library(&mut self, text: &str) {
        let split = Fields::split(text);
        if let Some(bad) = &split.unknown {
            self.message = Some(format!(
                "\"{bad}\" is not a filter (is:unread is:read is:bookmarked lang:ar|en|mix source: author: tag:)"
            ));
        }
        let query = Query::parse(&split.words);
        if query.is_empty() {
            self.bg.cancel_search();
            text.clone_into(&mut self.filter);
            self.query_terms = query;
            self.hits = None;
            self.fields = split.fields;
            self.refresh_view(self.current_id());
            if !self.index.is_ready() {
                // Only so that the status says the index is being built, and clears when it is.
                self.submit_library(String::new(), Query::default(), None);
            }
            return;
        }
        // Typing on: the new query's hits are among those shown when every term shown is
        // inside a new term.
        let narrowing = self.hits.as_ref().filter(|_| {
            split.fields == self.fields
                && self
                    .query_terms
                    .terms
                    .iter()
                    .all(|old| query.terms.iter().any(|new| new.contains(old.as_str())))
        });
        let candidates: Option<Vec<usize>> = narrowing.map(|h| h.iter().map(|h| h.index).collect());
        self.submit_library(text.to_owned(), query, candidates);
    }

    pub(super) fn submit_library(
        &mut self,
        text: String,
        query: Query,
        candidates: Option<Vec<usize>>,
    ) {
        let awaited = if query.is_empty() {
            Awaited::Index
        } else {
            Awaited::Library
        };
        let job = Job::Library {
            lib: Arc::clone(&self.lib),
            index: Arc::clone(&self.index),
            text,
            query,
            candidates,
        };
        if !self.bg.submit(job, awaited) {
            self.message = Some("the search could not start: no thread is left".into());
        }
    }

    /// The hits of a library search, in the list.
    pub(super) fn show_hits(&mut self, text: String, query: Query, mut hits: Vec<Hit>) {
        self.fields = Fields::split(&text).fields;
        hits.retain(|h| self.passes(h.index));
        self.filter = text;
        self.query_terms = query;
        self.view = hits.iter().map(|h| h.index).collect();
        self.hits = Some(hits);
        self.moved = true;
        self.selected = 0;
        self.list_top = 0;
    }

    pub(super) fn clear_search(&mut self) {
        self.bg.cancel_search();
        self.fields = Fields::default();
        self.filter.clear();
        self.query_terms = Query::default();
        self.hits = None;
        self.refresh_view(self.current_id());
    }

    /// Shows only the unread articles, or all again.
    pub(super) fn toggle_unread_only(&mut self) {
        self.unread_only = !self.unread_only;
        self.message = Some(
            if self.unread_only {
                "only unread articles (U shows all)"
            } else {
                "all articles"
            }
            .into(),
        );
        if self.searching() {
            // Searched again, with or without the read ones.
            let text = self.filter.clone();
            self.hits = None;
            self.search_library(&text);
        } else {
            self.refresh_view(self.current_id());
        }
    }

    /// Asks whether to mark every unread article shown read (`y` does).
    pub(super) fn ask_mark_all_read(&mut self) {
        let store = &self.store;
        let lib = &self.lib;
        let n = self
            .view
            .iter()
            .filter(|&&i| !store.get(&lib.entry(i).id).read)
            .count();
        if n == 0 {
            self.message = Some("every article shown is read".into());
        } else {
            let s = if n == 1 { "" } else { "s" };
            self.confirm = Some(n);
            self.message = Some(format!(
                "mark the {n} unread article{s} shown read? y: yes, any other key: no"
            ));
        }
    }

    /// Marks the article read or unread.
    pub(super) fn toggle_read(&mut self) {
        if let Some(id) = self.target_id() {
            self.store.update(&id, |s| s.read = !s.read);
            let read = self.store.get(&id).read;
            self.recount_unread();
            self.message = Some(if read { "marked read" } else { "marked unread" }.into());
        }
    }

    /// Bookmarks the article, or removes its bookmark.
    pub(super) fn toggle_bookmark(&mut self) {
        if let Some(id) = self.target_id() {
            self.store.update(&id, |s| s.bookmark = !s.bookmark);
            let b = self.store.get(&id).bookmark;
            self.message = Some(if b { "bookmarked" } else { "bookmark removed" }.into());
        }
    }

    pub(super) fn current_id(&self) -> Option<String> {
        self.view
            .get(self.selected)
            .map(|&i| self.lib.entry(i).id.clone())
    }

    /// The article an action on "this article" means: the open one in the reader, else the
    /// selected one.
    pub(super) fn target_id(&self) -> Option<String> {
        match (&self.reader, self.focus) {
            (Some(r), Focus::Reader) => Some(r.article.id.clone()),
            _ => self.current_id(),
        }
    }

    /// Whether library article `index` passes the field filters and the unread-only toggle.
    pub(super) fn passes(&self, index: usize) -> bool {
        let entry = self.lib.entry(index);
        let state = self.store.get(&entry.id);
        if self.unread_only && state.read {
            return false;
        }
        self.fields.matches(entry, &state, || {
            self.lib.loaded(index).or_else(|| self.lib.kept(index))
        })
    }

    /// Marks every article of the list read.
    pub(super) fn mark_shown_read(&mut self) {
        for &i in &self.view {
            let id = &self.lib.entry(i).id;
            if !self.store.get(id).read {
                self.store.update(id, |s| s.read = true);
            }
        }
        self.recount_unread();
    }

    /// The articles of the list the next/previous article keys go to, from the selection.
    pub(super) fn step_article(&mut self, forward: bool, open: bool) {
        let next = if forward {
            Some(self.selected + 1).filter(|&p| p < self.view.len())
        } else {
            self.selected.checked_sub(1)
        };
        match next {
            Some(p) => {
                self.selected = p;
                self.keep_selection_visible();
                if open {
                    self.open(self.view[p]);
                }
            }
            None => {
                self.message = Some(
                    if forward {
                        "this is the last article of the list"
                    } else {
                        "this is the first article of the list"
                    }
                    .into(),
                );
            }
        }
    }

    /// Whether the reader shows the end of the whole article.
    pub(super) fn at_end(&self) -> bool {
        let page = self.page();
        self.reader
            .as_ref()
            .is_some_and(|r| !r.is_partial() && r.top + page >= r.lines.len())
    }

    pub(super) fn refresh_view(&mut self, keep: Option<String>) {
        self.view = self.lib.view(self.sort, &Filter::default());
        if self.sort == SortKey::Title {
            // Arabic alphabetical order: hamza forms with alef (a stable sort keeps the
            // library's ties).
            let lib = &self.lib;
            self.view
                .sort_by_cached_key(|&i| title_key(&lib.entry(i).title));
        }
        if self.unread_only || !self.fields.is_empty() {
            let view = std::mem::take(&mut self.view);
            self.view = view.into_iter().filter(|&i| self.passes(i)).collect();
        }
        self.selected = keep
            .and_then(|id| self.view.iter().position(|&i| self.lib.entry(i).id == id))
            .unwrap_or(0);
        self.keep_selection_visible();
    }

    pub(super) fn move_selection(&mut self, d: isize) {
        if self.view.is_empty() {
            return;
        }
        self.moved = true;
        let last = self.view.len() - 1;
        self.selected = self.selected.saturating_add_signed(d).min(last);
        self.keep_selection_visible();
    }

    pub(super) fn keep_selection_visible(&mut self) {
        let rows = self.list_rows();
        if self.selected < self.list_top {
            self.list_top = self.selected;
        } else if self.selected >= self.list_top + rows {
            self.list_top = self.selected + 1 - rows;
        }
        let max_top = self.view.len().saturating_sub(rows);
        self.list_top = self.list_top.min(max_top);
    }

    pub(super) fn open_selected(&mut self) {
        let Some(&index) = self.view.get(self.selected) else {
            return;
        };
        self.open(index);
    }

    pub(super) fn unread(&mut self, forward: bool, open: bool) {
        let is_unread = |app: &Self, pos: usize| {
            let id = &app.lib.entry(app.view[pos]).id;
            !app.store.get(id).read
        };
        let from = self.selected;
        let found = if forward {
            (from + 1..self.view.len()).find(|&p| is_unread(self, p))
        } else {
            (0..from).rev().find(|&p| is_unread(self, p))
        };
        match found {
            Some(p) => {
                self.selected = p;
                self.keep_selection_visible();
                if open {
                    self.open(self.view[p]);
                }
            }
            None => self.message = Some("no more unread articles".into()),
        }
    }
}
