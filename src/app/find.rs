//! Find in article: the matches of a query in the open article and moving between them.

use std::sync::Arc;

use super::App;
use super::background::{Awaited, Job};
use crate::document::LineKind;
use crate::search::{Match, Query};
use crate::store::Pos as Position;

impl App {
    /// Finds `text` in the open article (folded: hamza, tashkeel, case …) on the worker, and
    /// goes to the first match at or after the top of the pane when they come in.
    pub(super) fn find(&mut self, text: &str) {
        let q = Query::parse(text);
        if q.is_empty() {
            if let Some(r) = &mut self.reader {
                r.matches.clear();
                r.current = None;
            }
            return;
        }
        self.find_query(text.to_owned(), q, false);
    }

    /// Starts looking for `q` in the open article (`text`, when not empty, is named in the
    /// message if nothing is found).
    pub(super) fn find_query(&mut self, text: String, q: Query, from_start: bool) {
        let Some(r) = &self.reader else {
            return;
        };
        let job = Job::Article {
            article: Arc::clone(&r.article),
            text,
            query: q,
            from_start,
        };
        if !self.bg.submit(job, Awaited::Article) {
            self.message = Some("the search could not start: no thread is left".into());
        }
    }

    /// The matches found in the open article: shown, and the first gone to (once the whole
    /// article is laid out).
    pub(super) fn show_matches(&mut self, text: &str, matches: Vec<Match>, from_start: bool) {
        let Some(r) = &mut self.reader else {
            return;
        };
        r.matches = matches;
        r.current = None;
        if r.matches.is_empty() {
            if !text.is_empty() {
                self.message = Some(format!("\"{text}\" is not in this article"));
            }
            return;
        }
        if r.is_partial() {
            r.go_when_whole = Some(from_start);
            return;
        }
        self.go_to_first_match(from_start);
    }

    /// Goes to the first match at or after the top of the pane (or of the article).
    pub(super) fn go_to_first_match(&mut self, from_start: bool) {
        let Some(r) = &mut self.reader else {
            return;
        };
        if r.matches.is_empty() {
            return;
        }
        let top = if from_start {
            Position::default()
        } else {
            r.position()
        };
        let first = r
            .matches
            .iter()
            .position(|(place, range)| (*place, range.start) >= (top.place, top.offset))
            .unwrap_or(0);
        self.go_to_match(first);
    }

    pub(super) fn next_match(&mut self, forward: bool) {
        let Some(r) = &self.reader else { return };
        if r.matches.is_empty() {
            self.message = Some("no search: / finds text in the article".into());
            return;
        }
        let n = r.matches.len();
        let cur = r.current.unwrap_or(0);
        let next = if forward {
            (cur + 1) % n
        } else {
            (cur + n - 1) % n
        };
        self.go_to_match(next);
    }

    pub(super) fn go_to_match(&mut self, k: usize) {
        let page = self.page();
        let Some(r) = &mut self.reader else { return };
        let Some((origin, range)) = r.matches.get(k).cloned() else {
            return;
        };
        r.current = Some(k);
        let line = r
            .lines
            .iter()
            .position(|l| {
                l.origin == origin && l.kind != LineKind::Blank && l.line.src.end > range.start
            })
            .unwrap_or(0);
        if line < r.top || line >= r.top + page {
            let max_top = r.lines.len().saturating_sub(page);
            r.top = line.saturating_sub(page / 3).min(max_top);
            r.anchor = r.position_of(r.top);
        }
    }
}
