//! Newsboat's cache, as the library read it out of `SQLite`: its items as articles, its feeds as
//! sources, with newsboat's unread flags. Pure: the items come in as values, not as a file.

use super::{ArticleError, Loaded, RawArticle, TextEncoding, feed, finish_all};
use crate::article::Format;

/// The bytes kept of an item's content.
const MAX_CONTENT_BYTES: usize = feed::MAX_FIELD_BYTES;

/// One item of newsboat's cache, its values as the cache holds them (text decoded lossily,
/// numbers as numbers); `None` for a NULL or a column the cache does not have.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CacheItem {
    /// The item's guid, its key in the file.
    pub guid: Option<String>,
    /// Its title.
    pub title: Option<String>,
    /// Its author.
    pub author: Option<String>,
    /// Its address.
    pub url: Option<String>,
    /// When it was published, in seconds since the Unix epoch.
    pub published: Option<i64>,
    /// Its content, HTML or text.
    pub content: Option<String>,
    /// Newsboat's unread flag.
    pub unread: Option<bool>,
    /// The title of its feed.
    pub feed_title: Option<String>,
    /// The address of its feed.
    pub feed_url: Option<String>,
}

/// The articles of a newsboat cache from its items, in the order newsboat stored them.
/// `warnings` are what reading the cache met; `id` is the cache's file id.
pub fn from_cache(
    items: Vec<CacheItem>,
    id: &str,
    mut warnings: Vec<String>,
) -> Result<Loaded, ArticleError> {
    if items.is_empty() {
        return Err(ArticleError::Malformed(
            "the newsboat cache holds no item".to_owned(),
        ));
    }
    let mut cut = 0usize;
    let raws: Vec<RawArticle> = items.into_iter().map(|i| raw_of(i, &mut cut)).collect();
    if cut > 0 {
        warnings.push(format!(
            "{cut} item(s) hold more than {} MiB of content; it was cut there",
            MAX_CONTENT_BYTES / (1024 * 1024)
        ));
    }
    // SQLite keeps its text in UTF-8.
    finish_all(raws, Format::Newsboat, id, warnings, TextEncoding::UTF8)
}

/// One item as an article; `cut` counts contents cut at their cap.
fn raw_of(item: CacheItem, cut: &mut usize) -> RawArticle {
    let url = item.url.filter(|u| !u.trim().is_empty());
    let key = item
        .guid
        .filter(|g| !g.trim().is_empty())
        .or_else(|| url.clone());
    let date = item
        .published
        .filter(|&secs| secs > 0)
        .and_then(|secs| chrono::DateTime::from_timestamp(secs, 0))
        .map(|t| t.to_rfc3339());
    let source = item
        .feed_title
        .filter(|t| !t.trim().is_empty())
        .or(item.feed_url);
    let mut raw = RawArticle {
        title: item.title,
        byline: item.author,
        url,
        key,
        dates: date.into_iter().collect(),
        source,
        unread: item.unread,
        ..RawArticle::default()
    };
    if let Some(mut content) = item.content {
        if content.len() > MAX_CONTENT_BYTES {
            let mut at = MAX_CONTENT_BYTES;
            while !content.is_char_boundary(at) {
                at -= 1;
            }
            content.truncate(at);
            *cut += 1;
        }
        feed::fill_body(&mut raw, &content);
    }
    raw
}
