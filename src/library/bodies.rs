//! The parsed articles kept for opening again, bounded by their size: past
//! [`BODY_CACHE_BYTES`] the least recently opened go, and are parsed from their files again
//! when asked for. One cache serves a library and every library rescanned from it (and so
//! every SSH session showing them), keyed by who the article is and the stamp of its file, so
//! an unchanged article keeps its parsed copy across rescans and a changed one never meets
//! its old copy.

use std::sync::{Arc, Mutex, PoisonError};

use lru::LruCache;

use super::watch::Stamp;
use crate::article::Article;
use crate::store::Identity;

/// The most article text (with the records that hold it) kept parsed, in bytes.
pub const BODY_CACHE_BYTES: usize = 32 * 1024 * 1024;

/// What a kept article is known by.
pub(super) type Key = (Identity, Option<Stamp>);

/// Parsed articles, the least recently opened dropped first once over the cap.
pub(super) struct Bodies {
    cap: usize,
    inner: Mutex<Inner>,
}

struct Inner {
    kept: LruCache<Key, (Arc<Article>, usize)>,
    bytes: usize,
}

impl Default for Bodies {
    fn default() -> Self {
        Self::with_cap(BODY_CACHE_BYTES)
    }
}

impl std::fmt::Debug for Bodies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (n, bytes) = self.held();
        write!(f, "Bodies({n} articles, {bytes} of {} bytes)", self.cap)
    }
}

/// About how many bytes an article holds in memory.
pub(super) fn size_of(a: &Article) -> usize {
    let blocks: usize = a
        .blocks
        .iter()
        .map(|b| {
            std::mem::size_of_val(b)
                + b.text.len()
                + b.marks.len() * std::mem::size_of::<crate::article::Mark>()
        })
        .sum();
    let links: usize = a
        .links
        .iter()
        .map(|l| std::mem::size_of_val(l) + l.text.len() + l.target.len())
        .sum();
    let texts: usize = [&a.byline, &a.source, &a.url]
        .iter()
        .map(|t| t.as_ref().map_or(0, String::len))
        .sum();
    let tags: usize = a
        .tags
        .iter()
        .map(|t| t.len() + std::mem::size_of::<String>())
        .sum();
    let dates = a.dates.len() * std::mem::size_of::<crate::article::ArticleDate>();
    std::mem::size_of::<Article>()
        + a.title.len()
        + a.id.len()
        + blocks
        + links
        + texts
        + tags
        + dates
}

impl Bodies {
    /// A cache holding at most `cap` bytes of articles.
    pub fn with_cap(cap: usize) -> Self {
        Self {
            cap,
            inner: Mutex::new(Inner {
                kept: LruCache::unbounded(),
                bytes: 0,
            }),
        }
    }

    /// The most bytes kept.
    pub fn cap(&self) -> usize {
        self.cap
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while the lock was held leaves a consistent cache: every change is one call.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The article kept under `key`, now the most recently used.
    pub fn get(&self, key: &Key) -> Option<Arc<Article>> {
        self.lock().kept.get(key).map(|(a, _)| Arc::clone(a))
    }

    /// The article kept under `key`, leaving the order as it was (for drawing, which changes
    /// nothing).
    pub fn peek(&self, key: &Key) -> Option<Arc<Article>> {
        self.lock().kept.peek(key).map(|(a, _)| Arc::clone(a))
    }

    /// Keeps `article` under `key`, dropping the least recently used past the cap (an article
    /// larger than the cap on its own is not kept).
    pub fn put(&self, key: Key, article: Arc<Article>) {
        let size = size_of(&article);
        if size > self.cap {
            return;
        }
        let mut inner = self.lock();
        if let Some((_, old)) = inner.kept.put(key, (article, size)) {
            inner.bytes -= old;
        }
        inner.bytes += size;
        while inner.bytes > self.cap {
            let Some((_, (_, n))) = inner.kept.pop_lru() else {
                break;
            };
            inner.bytes -= n;
        }
    }

    /// How many articles are kept, and their bytes.
    pub fn held(&self) -> (usize, usize) {
        let inner = self.lock();
        (inner.kept.len(), inner.bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn article(n: usize, bytes: usize) -> (Key, Arc<Article>) {
        let text = format!("t{n}\n\n{}\n", "x".repeat(bytes));
        let parsed = crate::article::parse(text.as_bytes(), crate::article::Format::Txt, "a.txt");
        let a = parsed.unwrap().articles.remove(0);
        let key = (
            Identity {
                path: format!("/{n}.txt"),
                ..Identity::default()
            },
            None,
        );
        (key, Arc::new(a))
    }

    #[test]
    fn the_least_recently_used_go_past_the_cap() {
        let one = size_of(&article(0, 1000).1);
        let bodies = Bodies::with_cap(one * 3);
        let all: Vec<_> = (0..4).map(|n| article(n, 1000)).collect();
        for (k, a) in all.iter().take(3) {
            bodies.put(k.clone(), Arc::clone(a));
        }
        assert_eq!(bodies.held(), (3, one * 3));
        // 0 is used again, so 1 is the least recently used when 3 comes.
        assert!(bodies.get(&all[0].0).is_some());
        // Peeking (drawing) does not count as a use.
        assert!(bodies.peek(&all[1].0).is_some());
        bodies.put(all[3].0.clone(), Arc::clone(&all[3].1));
        assert_eq!(bodies.held(), (3, one * 3));
        assert!(bodies.peek(&all[1].0).is_none());
        for n in [0, 2, 3] {
            let kept = bodies.peek(&all[n].0).unwrap();
            assert!(Arc::ptr_eq(&kept, &all[n].1));
        }
        // The same key again replaces, counted once.
        bodies.put(all[3].0.clone(), Arc::clone(&all[3].1));
        assert_eq!(bodies.held(), (3, one * 3));
    }

    #[test]
    fn an_article_larger_than_the_cap_is_not_kept() {
        let (k, a) = article(0, 10_000);
        let bodies = Bodies::with_cap(5_000);
        bodies.put(k.clone(), a);
        assert!(bodies.peek(&k).is_none());
        assert_eq!(bodies.held(), (0, 0));
    }
}
