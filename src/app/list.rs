//! The library list: search and filter, read marks and bookmarks, the selection, stepping through articles.

use std::sync::Arc;

use super::background::{Awaited, Job};
use super::filter::{Fields, title_key};
use super::{App, Focus};
use crate::library::SortKey;
use crate::search::{Hit, Query};

/// The library list: its order, the search and filters in force, the rows they give and the
/// selection.
#[derive(Debug, Default)]
pub(super) struct ListState {
    pub(super) sort: SortKey,
    /// The library search as typed, empty when none.
    pub(super) search: String,
    /// That search parsed.
    pub(super) terms: Query,
    /// The search's hits, while it has words.
    pub(super) hits: Option<Vec<Hit>>,
    /// The field filters of the search (`is:unread`, `lang:ar`, …).
    pub(super) fields: Fields,
    /// Only unread articles are listed (`U`).
    pub(super) unread_only: bool,
    /// The selection was moved (side by side, the reader then previews it; until then it
    /// says how to open one).
    pub(super) moved: bool,
    /// The library indices of the listed articles, in order.
    pub(super) view: Vec<usize>,
    /// Articles not read, kept current as marks change (the header shows it every frame).
    pub(super) unread: usize,
    pub(super) selected: usize,
    /// The article to select when the search run again after a library change answers.
    pub(super) keep: Option<String>,
    /// The first row on screen.
    pub(super) top: usize,
    /// A search typed while the library was only its first page (see
    /// [`crate::library::Library::loading`]): run once the whole library is taken in.
    pub(super) deferred: Option<(String, Query)>,
}

/// The end of the note on a field the query line does not know (after its name).
const NOT_A_FILTER: &str =
    "\" is not a filter (is:unread is:read is:bookmarked lang:ar|en|mix source: author: tag:)";

impl App {
    /// Searches the library for `text` on the worker, cancelling the search running: the
    /// hits replace the list when they come in (through [`Self::poll_background`]). An empty
    /// query restores the list at once.
    pub fn search_library(&mut self, text: &str) {
        let split = Fields::split(text);
        if let Some(bad) = &split.unknown {
            self.message = Some(format!("\"{bad}{NOT_A_FILTER}"));
        } else if self
            .message
            .as_deref()
            .is_some_and(|m| m.ends_with(NOT_A_FILTER))
        {
            // Typed on into a filter it knows (`author:` became `author:name`): the note goes.
            self.message = None;
        }
        let query = Query::parse(&split.words);
        if query.is_empty() {
            self.bg.cancel_search();
            self.list.deferred = None;
            text.clone_into(&mut self.list.search);
            self.list.terms = query;
            self.list.hits = None;
            self.list.fields = split.fields;
            self.refresh_view(self.current_id());
            if !self.index.is_ready() {
                // Only so that the status says the index is being built, and clears when it is.
                self.submit_library(String::new(), Query::default(), None);
            }
            return;
        }
        // Typing on: the new query's hits are among those shown when every term shown is
        // inside a new term.
        let narrowing = self.list.hits.as_ref().filter(|_| {
            split.fields == self.list.fields
                && self
                    .list
                    .terms
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
        if self.lib.loading().is_some() {
            // A page of the library finds only what it holds: the search waits for the whole.
            self.bg.cancel_search();
            self.list.deferred = (!query.is_empty()).then_some((text, query));
            return;
        }
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
        self.list.fields = Fields::split(&text).fields;
        hits.retain(|h| self.passes(h.index));
        self.list.search = text;
        self.list.terms = query;
        self.list.view = hits.iter().map(|h| h.index).collect();
        self.list.hits = Some(hits);
        self.list.moved = true;
        self.list.selected = 0;
        self.list.top = 0;
        if let Some(id) = self.list.keep.take() {
            self.reselect(Some(&id), 0);
        }
    }

    pub(super) fn clear_search(&mut self) {
        self.bg.cancel_search();
        self.list.deferred = None;
        self.list.fields = Fields::default();
        self.list.search.clear();
        self.list.terms = Query::default();
        self.list.hits = None;
        self.refresh_view(self.current_id());
    }

    /// Shows only the unread articles, or all again.
    pub(super) fn toggle_unread_only(&mut self) {
        self.list.unread_only = !self.list.unread_only;
        self.message = Some(
            if self.list.unread_only {
                "only unread articles (U shows all)"
            } else {
                "all articles"
            }
            .into(),
        );
        if self.searching() {
            // Searched again, with or without the read ones.
            let text = self.list.search.clone();
            self.list.hits = None;
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
            .list
            .view
            .iter()
            .filter(|&&i| !store.get(&lib.entry(i).identity).read)
            .count();
        if n == 0 {
            self.message = Some("every article shown is read".into());
        } else {
            let s = if n == 1 { "" } else { "s" };
            self.overlay.confirm = Some(n);
            self.message = Some(format!(
                "mark the {n} unread article{s} shown read? y: yes, any other key: no"
            ));
        }
    }

    /// Marks the article read or unread.
    pub(super) fn toggle_read(&mut self) {
        if let Some(id) = self.target_identity() {
            let read = self.change_state(&id, |s| s.read = !s.read).read;
            self.recount_unread();
            self.message = Some(if read { "marked read" } else { "marked unread" }.into());
        }
    }

    /// Bookmarks the article, or removes its bookmark.
    pub(super) fn toggle_bookmark(&mut self) {
        if let Some(id) = self.target_identity() {
            let b = self
                .change_state(&id, |s| s.bookmark = !s.bookmark)
                .bookmark;
            self.message = Some(if b { "bookmarked" } else { "bookmark removed" }.into());
        }
    }

    pub(super) fn current_id(&self) -> Option<String> {
        self.list
            .view
            .get(self.list.selected)
            .map(|&i| self.lib.entry(i).id.clone())
    }

    /// The article an action on "this article" means: the open one in the reader, else the
    /// selected one.
    pub(super) fn target_identity(&self) -> Option<crate::store::Identity> {
        let index = match (&self.reader, self.focus) {
            (Some(r), Focus::Reader) => r.index,
            _ => *self.list.view.get(self.list.selected)?,
        };
        Some(self.lib.entry(index).identity.clone())
    }

    /// Whether library article `index` passes the field filters and the unread-only toggle.
    pub(super) fn passes(&self, index: usize) -> bool {
        if self.lib.is_gone(index) {
            return false;
        }
        let entry = self.lib.entry(index);
        let state = self.store.get(&entry.identity);
        if self.list.unread_only && state.read {
            return false;
        }
        self.list.fields.matches(&entry.into(), &state)
    }

    /// Marks every article of the list read.
    pub(super) fn mark_shown_read(&mut self) {
        let lib = Arc::clone(&self.lib);
        for i in self.list.view.clone() {
            let id = &lib.entry(i).identity;
            if !self.store.get(id).read {
                self.change_state(id, |s| s.read = true);
            }
        }
        self.recount_unread();
    }

    /// The articles of the list the next/previous article keys go to, from the selection.
    pub(super) fn step_article(&mut self, forward: bool, open: bool) {
        let next = if forward {
            Some(self.list.selected + 1).filter(|&p| p < self.list.view.len())
        } else {
            self.list.selected.checked_sub(1)
        };
        match next {
            Some(p) => {
                self.list.selected = p;
                self.keep_selection_visible();
                if open {
                    self.open(self.list.view[p]);
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
        self.list.view = self.lib.view(self.list.sort);
        if self.list.sort == SortKey::Title {
            // Arabic alphabetical order: hamza forms with alef (a stable sort keeps the
            // library's ties).
            let lib = &self.lib;
            self.list
                .view
                .sort_by_cached_key(|&i| title_key(&lib.entry(i).title));
        }
        if self.list.unread_only || !self.list.fields.is_empty() {
            let view = std::mem::take(&mut self.list.view);
            self.list.view = view.into_iter().filter(|&i| self.passes(i)).collect();
        }
        self.list.selected = keep
            .and_then(|id| {
                self.list
                    .view
                    .iter()
                    .position(|&i| self.lib.entry(i).id == id)
            })
            .unwrap_or(0);
        self.keep_selection_visible();
    }

    pub(super) fn move_selection(&mut self, d: isize) {
        if self.list.view.is_empty() {
            return;
        }
        self.list.moved = true;
        let last = self.list.view.len() - 1;
        self.list.selected = self.list.selected.saturating_add_signed(d).min(last);
        self.keep_selection_visible();
    }

    pub(super) fn keep_selection_visible(&mut self) {
        let rows = self.list_rows();
        if self.list.selected < self.list.top {
            self.list.top = self.list.selected;
        } else if self.list.selected >= self.list.top + rows {
            self.list.top = self.list.selected + 1 - rows;
        }
        let max_top = self.list.view.len().saturating_sub(rows);
        self.list.top = self.list.top.min(max_top);
    }

    pub(super) fn open_selected(&mut self) {
        let Some(&index) = self.list.view.get(self.list.selected) else {
            return;
        };
        self.open(index);
    }

    pub(super) fn unread(&mut self, forward: bool, open: bool) {
        let is_unread = |app: &Self, pos: usize| !app.state_at(app.list.view[pos]).read;
        let from = self.list.selected;
        let found = if forward {
            (from + 1..self.list.view.len()).find(|&p| is_unread(self, p))
        } else {
            (0..from).rev().find(|&p| is_unread(self, p))
        };
        match found {
            Some(p) => {
                self.list.selected = p;
                self.keep_selection_visible();
                if open {
                    self.open(self.list.view[p]);
                }
            }
            None => self.message = Some("no more unread articles".into()),
        }
    }
}
