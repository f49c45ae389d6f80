//! The library kept current while the reader runs: a newer library from the watcher
//! ([`crate::library::watch`]) is taken in on a wake, keeping the selection, the search, the
//! open article and the counts true for it.

use std::sync::{Arc, PoisonError};

use super::App;
use super::background::Done;
use crate::library::{Changes, Feed, Library};

impl App {
    /// Follows `feed`: each newer library it publishes wakes this app's front end and is taken
    /// in by [`Self::poll_background`].
    pub fn follow(&mut self, feed: Arc<Feed>) {
        let waker = Arc::downgrade(&self.bg.notifier.waker);
        feed.subscribe(Box::new(move || {
            let Some(waker) = waker.upgrade() else {
                return false;
            };
            let wake = waker.lock().unwrap_or_else(PoisonError::into_inner).clone();
            if let Some(wake) = wake {
                wake();
            }
            true
        }));
        // The library this app holds may be older than the feed's latest (a session opened
        // after a change): then the latest is taken on the first poll.
        let (generation, latest) = feed.latest();
        let seen = if Arc::ptr_eq(&latest, &self.lib) {
            generation
        } else {
            u64::MAX
        };
        self.feed = Some((feed, seen, false));
        self.feed_note();
    }

    /// Shows, once, why the folders are not watched, when the watcher could not start: true
    /// when it did now.
    pub(super) fn feed_note(&mut self) -> bool {
        let Some((feed, _, noted)) = self.feed.as_mut() else {
            return false;
        };
        if *noted {
            return false;
        }
        let Some(note) = feed.note() else {
            return false;
        };
        *noted = true;
        if self.message.is_none() {
            self.message = Some(note.to_owned());
        }
        true
    }

    /// The feed's newer library, if it published one this app has not taken.
    pub(super) fn newer_library(&mut self) -> Option<Done> {
        let (feed, seen, _) = self.feed.as_mut()?;
        let (generation, lib, changes) = feed.latest_with_changes();
        if generation == *seen {
            return None;
        }
        // What changed, as the watcher counted it, holds for this app's library only when
        // that is the generation just before.
        let changes = if seen.checked_add(1) == Some(generation) {
            changes
        } else {
            Changes::Uncounted
        };
        *seen = generation;
        Some(Done::Library(lib, changes))
    }

    /// Puts `new` in place of the library: the list's rows, the selection (on the same
    /// article, else the nearest row), the search in force (run again), the unread count, the
    /// search index (built anew) and the open article (kept open when its file vanished).
    /// `changes` is what changed from the library held, when the watcher counted it.
    pub(super) fn swap_library(&mut self, new: Arc<Library>, changes: Changes) {
        let old = Arc::clone(&self.lib);
        let mut message = match changes {
            // The whole library of the first frame is no change: what it is said once read
            // is what could not be used of it.
            _ if old.loading().is_some() && new.is_empty() => Some(format!(
                "no article was found in {} (`qari check` says why)",
                new.name()
            )),
            _ if old.loading().is_some() => new.problems_note(),
            Changes::Counted(message) => message,
            Changes::Uncounted => new.changes_from(&old),
        };
        let (row, selected) = (self.list.selected, self.current_id());
        let mut new = new;
        if let Some(r) = &mut self.reader {
            let id = &old.entry(r.index).id;
            if let Some(j) = new.position(id).filter(|&j| !new.is_gone(j)) {
                r.index = j;
            } else {
                let mut kept = (*new).clone();
                r.index = kept.keep_gone(&old, r.index, Arc::clone(&r.article));
                new = Arc::new(kept);
                let gone = "the open article's file is gone (it stays open until closed)";
                message = Some(match message {
                    Some(m) => format!("{m}; {gone}"),
                    None => gone.to_owned(),
                });
            }
        }
        // An article of a huge file being read names the old library's index.
        self.bg.opening = None;
        for e in new.entries().filter(|e| e.unread == Some(false)) {
            self.store.assume_read(&e.identity);
        }
        self.lib = new;
        // The apps following one feed share the index of each of its libraries.
        self.index = match &self.feed {
            Some((_, generation, _)) if *generation != u64::MAX => {
                self.index.successor(*generation)
            }
            _ => Arc::new(self.index.renewed()),
        };
        self.prepare_search();
        if let Some(hits) = self.list.hits.as_mut() {
            // Until the search answers again, the hits still in the library (found by id
            // once for all: a search may have found most of a big library).
            let lib = &self.lib;
            let at: std::collections::HashMap<&str, usize> = (0..lib.len())
                .filter(|&j| !lib.is_gone(j))
                .map(|j| (lib.entry(j).id.as_str(), j))
                .collect();
            hits.retain_mut(|h| match at.get(old.entry(h.index).id.as_str()) {
                Some(&j) => {
                    h.index = j;
                    true
                }
                None => false,
            });
            self.list.view = hits.iter().map(|h| h.index).collect();
            self.reselect(selected.as_deref(), row);
            self.list.keep = selected;
            // Run again in full: the new articles are no hits of the old search.
            let (text, query) = (self.list.search.clone(), self.list.terms.clone());
            self.submit_library(text, query, None);
        } else {
            self.refresh_view(None);
            self.reselect(selected.as_deref(), row);
            // A search typed while only the first page was read runs on the whole library.
            if let Some((text, query)) = self.list.deferred.take() {
                self.list.keep = selected;
                self.submit_library(text, query, None);
            }
        }
        self.recount_unread();
        if let Some(m) = message {
            self.message = Some(m);
        }
    }

    /// Selects the row of article `id`, else the row nearest `row`.
    pub(super) fn reselect(&mut self, id: Option<&str>, row: usize) {
        let lib = &self.lib;
        let found = id.and_then(|id| self.list.view.iter().position(|&i| lib.entry(i).id == id));
        self.list.selected =
            found.unwrap_or_else(|| row.min(self.list.view.len().saturating_sub(1)));
        self.keep_selection_visible();
    }
}

#[cfg(test)]
mod tests;
