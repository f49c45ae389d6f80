//! Articles' bodies on demand: parsed from their files when asked for, kept while recently
//! used (see `bodies`), a file parsed once for all its articles.

use std::sync::Arc;

use super::{
    Article, Item, Library, MAX_ARTICLE_BYTES, Origin, Problem, article, bodies,
    fill_from_manifest, read_cache, read_regular,
};

impl Library {
    /// What article `i`'s parsed copy is kept under.
    fn body_key(&self, item: &Item) -> bodies::Key {
        (item.entry.identity.clone(), self.sources[item.file].stamp)
    }

    /// The article if it is parsed and kept (see [`Library::article`]); this does not count as
    /// a use of it.
    pub fn loaded(&self, i: usize) -> Option<Arc<Article>> {
        let item = self.items.get(i)?;
        if let Some(a) = &item.pinned {
            return Some(Arc::clone(a));
        }
        self.bodies.peek(&self.body_key(item))
    }

    /// This library keeping at most `cap` bytes of parsed articles (for tests of the bound).
    #[cfg(test)]
    pub(crate) fn with_body_cap(mut self, cap: usize) -> Self {
        self.bodies = Arc::new(bodies::Bodies::with_cap(cap));
        self
    }

    /// How many parsed articles are kept, and about how many bytes they hold (at most
    /// [`super::BODY_CACHE_BYTES`]).
    pub fn kept_bodies(&self) -> (usize, usize) {
        self.bodies.held()
    }

    /// The full article `i`, reading and parsing its file when it is not kept. The articles
    /// parsed are kept while recently used, but those of a huge file; of a file holding many,
    /// `i` and, within a quarter of the cache, those nearest to it.
    pub fn article(&self, i: usize) -> Result<Arc<Article>, Problem> {
        let item = &self.items[i];
        if let Some(a) = &item.pinned {
            return Ok(Arc::clone(a));
        }
        if let Some(a) = self.bodies.get(&self.body_key(item)) {
            return Ok(a);
        }
        let mut parsed: Vec<(usize, Arc<Article>)> = Vec::new();
        self.parse_file(item.file, i, |j, a| parsed.push((j, Arc::new(a))))?;
        let wanted = parsed
            .iter()
            .find(|(j, _)| *j == i)
            .map(|(_, a)| Arc::clone(a));
        if !self.sources[item.file].huge {
            self.keep_parsed(i, parsed);
        }
        let file = &self.sources[item.file];
        wanted.ok_or_else(|| {
            Problem::new(
                file.display.clone(),
                "the article is no longer in the file",
                true,
            )
        })
    }

    /// Keeps article `i` and, within a quarter of the cache, its file's other articles nearest
    /// to it (parsed with it: the next one opened is likely one of them); `i` is kept last, so
    /// it is the most recently used, whatever its file holds.
    fn keep_parsed(&self, i: usize, mut parsed: Vec<(usize, Arc<Article>)>) {
        parsed.sort_by_key(|(j, _)| j.abs_diff(i));
        let mut budget = self.bodies.cap() / 4;
        let mut near = Vec::new();
        for (j, a) in parsed {
            let size = bodies::size_of(&a);
            if j != i && size > budget {
                break;
            }
            budget = budget.saturating_sub(size);
            near.push((j, a));
        }
        // The farthest first, `i` (the nearest of all) last.
        for (j, a) in near.into_iter().rev() {
            self.bodies.put(self.body_key(&self.items[j]), a);
        }
    }

    /// Reads the articles `wanted` that are not kept yet (but those of huge files), each file
    /// once, and keeps them (not their files' other articles); stops early when `stop` says
    /// so. What a search does for the snippets of its first results.
    pub fn keep_articles(&self, wanted: &[usize], stop: impl Fn() -> bool) {
        let mut files: Vec<(usize, Vec<usize>)> = Vec::new();
        for &i in wanted {
            let Some(item) = self.items.get(i) else {
                continue;
            };
            if self.sources[item.file].huge || self.loaded(i).is_some() {
                continue;
            }
            match files.iter_mut().find(|(f, _)| *f == item.file) {
                Some((_, of)) => of.push(i),
                None => files.push((item.file, vec![i])),
            }
        }
        for (file, of) in files {
            if stop() {
                return;
            }
            let _ = self.parse_file(file, of[0], |j, a| {
                if of.contains(&j) {
                    self.bodies.put(self.body_key(&self.items[j]), Arc::new(a));
                }
            });
        }
    }

    /// The items of file `file`, found around item `near` (a file's items are neighbours).
    fn items_of(&self, file: usize, near: usize) -> std::ops::Range<usize> {
        let same = |j: &usize| self.items[*j].file == file;
        let start = (0..near).rev().take_while(same).last().unwrap_or(near);
        let end = (near..self.items.len())
            .take_while(same)
            .last()
            .map_or(near, |e| e + 1);
        start..end
    }

    /// Reads and parses file `file` (whose item `near` is one), handing each of its listed
    /// articles to `each` with its item's index, named and filled in from the manifest.
    fn parse_file(
        &self,
        file: usize,
        near: usize,
        mut each: impl FnMut(usize, Article),
    ) -> Result<(), Problem> {
        let source = &self.sources[file];
        let fail = |message: String| Problem::new(source.display.clone(), message, true);
        let loaded = match &source.origin {
            Origin::Disk(path) if source.format.reads_path() => {
                read_cache(path, &source.id).map_err(|e| fail(e.to_string()))?
            }
            Origin::Disk(path) => {
                let bytes =
                    read_regular(path, MAX_ARTICLE_BYTES).map_err(|e| fail(e.to_string()))?;
                article::parse(&bytes, source.format, &source.id)
                    .map_err(|e| fail(e.to_string()))?
            }
            Origin::Embedded(b) => {
                article::parse(b, source.format, &source.id).map_err(|e| fail(e.to_string()))?
            }
        };
        let mut articles: Vec<Option<Article>> = loaded.articles.into_iter().map(Some).collect();
        for j in self.items_of(file, near) {
            let item = &self.items[j];
            let Some(mut a) = articles.get_mut(item.index).and_then(Option::take) else {
                continue;
            };
            a.id.clone_from(&item.entry.id);
            fill_from_manifest(&mut a, source);
            each(j, a);
        }
        Ok(())
    }

    /// Whether article `i` comes from a huge file (catalogued from its head, parsed in full on
    /// each open): reading it takes long enough to be done off the input path.
    pub fn is_huge(&self, i: usize) -> bool {
        self.items
            .get(i)
            .is_some_and(|item| self.sources[item.file].huge)
    }

    /// Hands every article to `f` (none for one of a huge file, whose text is parsed only
    /// when opened, or one that can no longer be read), on every core, a file at a time, and
    /// gives back what `f` made, in library order. What is kept is used; what is parsed is
    /// not kept, so a pass over a whole library holds no more than a file's articles a core
    /// at once.
    pub fn map_articles<T: Send>(&self, f: impl Fn(usize, Option<&Article>) -> T + Sync) -> Vec<T> {
        let mut runs: Vec<std::ops::Range<usize>> = Vec::new();
        let mut at = 0;
        while at < self.items.len() {
            let run = self.items_of(self.items[at].file, at);
            at = run.end;
            runs.push(run);
        }
        let done = crate::par::par_map(runs.len(), |r| {
            let run = runs[r].clone();
            let first = &self.items[run.start];
            let mut out: Vec<Option<T>> = run.clone().map(|_| None).collect();
            let kept: Vec<Option<Arc<Article>>> = run.clone().map(|j| self.loaded(j)).collect();
            if kept.iter().all(Option::is_some) || self.sources[first.file].huge {
                for (j, a) in run.clone().zip(&kept) {
                    out[j - run.start] = Some(f(j, a.as_deref()));
                }
            } else {
                // Parsed once for all its articles.
                let _ = self.parse_file(first.file, run.start, |j, a| {
                    out[j - run.start] = Some(f(j, Some(&a)));
                });
            }
            run.clone()
                .zip(out)
                .map(|(j, t)| t.unwrap_or_else(|| f(j, None)))
                .collect::<Vec<T>>()
        });
        done.into_iter().flatten().collect()
    }
}
