//! The full-text index: the same answers as the scanner ([`crate::search::Query::matches`]:
//! every term a substring of the folded text), from two FTS5 tables in the database.
//!
//! Every article is indexed as five folded fields ([`crate::search::fold`]): title, body (each
//! block folded, then `U+0001` so no phrase crosses blocks, as the scanner's body), byline,
//! source and tags (joined by `U+0001`). A term matches an article when it is a substring of
//! one of its fields.
//!
//! - Terms of three characters or more (phrases included, with their inner spaces) go to `fts`,
//!   an FTS5 table with the `trigram` tokenizer, case-sensitive (the text is folded already):
//!   the query `"term"` is the phrase of the term's trigrams at consecutive positions, which
//!   holds exactly when the term is a substring of a field. No verification pass is needed.
//! - Terms of one or two characters (`ال`, `و`, `of`) have no trigram. Each field's distinct
//!   characters and pairs of adjacent characters are stored as tokens (`g627g644` for `ال`) in
//!   `grams`, an FTS5 table with `detail=column` (which articles, in the title or elsewhere, no
//!   positions): a short term is one token lookup, also exact. Pairs holding white space are
//!   left out: no term holds any (the query parser splits at white space).
//!
//! Ranking: articles with more terms in the title first (each term looked up again in the
//! title column), then FTS5's bm25 over the terms of three characters and more (which grows
//! with the number of occurrences, as the scanner's count does, but weighs them by length), then
//! catalog order.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use rusqlite::{Transaction, params};

use super::{Db, Result};
use crate::search::{Query, fold};

/// Results ranked in full at most; [`Db::search`] returns the first `limit` of them.
pub const DEFAULT_LIMIT: usize = 50;

/// What of an article the index holds, before folding.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndexDoc {
    /// The title.
    pub title: String,
    /// The blocks of the body, in order.
    pub blocks: Vec<String>,
    /// The byline.
    pub byline: Option<String>,
    /// The source.
    pub source: Option<String>,
    /// The tags.
    pub tags: Vec<String>,
}

impl IndexDoc {
    /// What the index holds of `article`.
    pub fn of(article: &crate::article::Article) -> Self {
        Self {
            title: article.title.clone(),
            blocks: article.blocks.iter().map(|b| b.text.clone()).collect(),
            byline: article.byline.clone(),
            source: article.source.clone(),
            tags: article.tags.clone(),
        }
    }

    /// The five folded fields: title, body, byline, source, tags.
    pub fn folded(&self) -> [String; 5] {
        folded_fields(
            &self.title,
            self.blocks.iter().map(String::as_str),
            self.byline.as_deref(),
            self.source.as_deref(),
            &self.tags,
        )
    }
}

/// The five folded fields of an article: title, body (each block folded, then `U+0001`),
/// byline, source, tags (joined by `U+0001`).
fn folded_fields<'a>(
    title: &str,
    blocks: impl Iterator<Item = &'a str> + Clone,
    byline: Option<&str>,
    source: Option<&str>,
    tags: &[String],
) -> [String; 5] {
    let mut body = String::with_capacity(blocks.clone().map(|b| b.len() + 1).sum());
    for b in blocks {
        body.push_str(&fold(b));
        body.push('\u{1}');
    }
    let tags: Vec<String> = tags.iter().map(|t| fold(t)).collect();
    [
        fold(title),
        body,
        byline.map(fold).unwrap_or_default(),
        source.map(fold).unwrap_or_default(),
        tags.join("\u{1}"),
    ]
}

/// An article's index entry made ready to store: its folded fields and their grams. Made on
/// the threads that parse the files, so the one thread writing the database only stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Indexed {
    fields: [String; 5],
    title_grams: String,
    rest_grams: String,
}

impl Indexed {
    /// The entry of `article`.
    pub fn of(article: &crate::article::Article) -> Self {
        Self::from_fields(folded_fields(
            &article.title,
            article.blocks.iter().map(|b| b.text.as_str()),
            article.byline.as_deref(),
            article.source.as_deref(),
            &article.tags,
        ))
    }

    fn from_fields(fields: [String; 5]) -> Self {
        let title_grams = grams_of(&[&fields[0]]);
        let rest_grams = grams_of(&[&fields[1], &fields[2], &fields[3], &fields[4]]);
        Self {
            fields,
            title_grams,
            rest_grams,
        }
    }
}

impl From<&IndexDoc> for Indexed {
    fn from(doc: &IndexDoc) -> Self {
        Self::from_fields(doc.folded())
    }
}

/// Whether `term` (folded) occurs in one of the folded `fields`: the meaning the index keeps.
pub fn term_in(fields: &[String], term: &str) -> bool {
    fields.iter().any(|f| f.contains(term))
}

/// The scanner's answer for one article: every term of `query` occurs in one of its fields.
pub fn scan_matches(fields: &[String], query: &Query) -> bool {
    !query.is_empty() && query.terms.iter().all(|t| term_in(fields, t))
}

/// The token of a gram of one or two characters.
fn gram_token(out: &mut String, gram: &[char]) {
    for c in gram {
        let _ = write!(out, "g{:x}", u32::from(*c));
    }
}

/// The distinct grams of `fields`, as tokens separated by spaces (sorted and deduplicated:
/// cheaper than hashing, where the index build spends its time).
fn grams_of(fields: &[&str]) -> String {
    let mut grams: Vec<(char, Option<char>)> = Vec::new();
    for f in fields {
        let mut prev: Option<char> = None;
        for c in f.chars() {
            if c.is_whitespace() {
                prev = None;
                continue;
            }
            grams.push((c, None));
            if let Some(p) = prev {
                grams.push((p, Some(c)));
            }
            prev = Some(c);
        }
    }
    grams.sort_unstable();
    grams.dedup();
    let mut out = String::with_capacity(grams.len() * 12);
    for (a, b) in grams {
        match b {
            Some(b) => gram_token(&mut out, &[a, b]),
            None => gram_token(&mut out, &[a]),
        }
        out.push(' ');
    }
    out
}

/// Adds the index entry of article `rowid`.
pub(crate) fn insert(tx: &Transaction<'_>, rowid: i64, entry: &Indexed) -> rusqlite::Result<()> {
    let f = &entry.fields;
    tx.prepare_cached(
        "INSERT INTO fts(rowid, title, body, byline, source, tags) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![rowid, f[0], f[1], f[2], f[3], f[4]])?;
    tx.prepare_cached("INSERT INTO grams(rowid, title, rest) VALUES (?1, ?2, ?3)")?
        .execute(params![rowid, entry.title_grams, entry.rest_grams])?;
    Ok(())
}

/// Removes the index entry of article `rowid`.
pub(crate) fn remove(tx: &Transaction<'_>, rowid: i64) -> rusqlite::Result<()> {
    tx.prepare_cached("DELETE FROM fts WHERE rowid = ?1")?
        .execute([rowid])?;
    tx.prepare_cached("DELETE FROM grams WHERE rowid = ?1")?
        .execute([rowid])?;
    Ok(())
}

/// A term with no trigram.
fn is_short(term: &str) -> bool {
    term.chars().nth(2).is_none()
}

/// An FTS5 string literal.
fn quoted(term: &str) -> String {
    format!("\"{}\"", term.replace('"', "\"\""))
}

/// The FTS5 expressions of a query: for `fts` (long terms) and `grams` (short ones), each
/// restricted to the title column when `title` is set.
fn expressions(terms: &[&String], title: bool) -> (Option<String>, Option<String>) {
    let col = if title { "title : " } else { "" };
    let long: Vec<String> = terms
        .iter()
        .filter(|t| !is_short(t))
        .map(|t| format!("{col}{}", quoted(t)))
        .collect();
    let short: Vec<String> = terms
        .iter()
        .filter(|t| is_short(t))
        .map(|t| {
            let mut tok = String::new();
            gram_token(&mut tok, &t.chars().collect::<Vec<_>>());
            format!("{col}{tok}")
        })
        .collect();
    let join = |v: Vec<String>| (!v.is_empty()).then(|| v.join(" AND "));
    (join(long), join(short))
}

/// One article found.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// The article's catalog id.
    pub id: i64,
    /// How many of the terms occur in the title.
    pub title_terms: usize,
    /// FTS5's bm25 over the long terms (lower is better; 0 without long terms).
    pub score: f64,
}

/// The answer to a query: how many articles match, and the best of them in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ranked {
    /// Every article that matches.
    pub total: usize,
    /// The first of them, best first.
    pub top: Vec<Hit>,
}

impl Db {
    fn ids(&self, sql: &str, expr: &str) -> Result<Vec<i64>> {
        self.conn()
            .prepare_cached(sql)
            .and_then(|mut s| s.query_map([expr], |r| r.get(0))?.collect())
            .map_err(|e| self.err(&e))
    }

    /// Every article that matches `query` (each term a substring of a folded field), by id:
    /// the scanner's set exactly.
    pub fn matching(&self, query: &Query) -> Result<Vec<i64>> {
        Ok(self.scored(query)?.into_iter().map(|(id, _)| id).collect())
    }

    /// The matching ids in id order, with their bm25 (0 without long terms).
    fn scored(&self, query: &Query) -> Result<Vec<(i64, f64)>> {
        if query.is_empty() {
            return Ok(Vec::new());
        }
        let terms: Vec<&String> = query.terms.iter().collect();
        let (long, short) = expressions(&terms, false);
        let mut out: Vec<(i64, f64)> = match &long {
            Some(expr) => self
                .conn()
                .prepare_cached(
                    "SELECT rowid, bm25(fts, 4.0, 1.0, 2.0, 2.0, 2.0) FROM fts WHERE fts MATCH ?1",
                )
                .and_then(|mut s| {
                    s.query_map([expr], |r| Ok((r.get(0)?, r.get(1)?)))?
                        .collect()
                })
                .map_err(|e| self.err(&e))?,
            None => Vec::new(),
        };
        if let Some(expr) = &short {
            let ids = self.ids("SELECT rowid FROM grams WHERE grams MATCH ?1", expr)?;
            if long.is_some() {
                let keep: HashSet<i64> = ids.into_iter().collect();
                out.retain(|(id, _)| keep.contains(id));
            } else {
                out = ids.into_iter().map(|id| (id, 0.0)).collect();
            }
        }
        out.sort_unstable_by_key(|&(id, _)| id);
        Ok(out)
    }

    /// The articles matching `query`, ranked: more terms in the title first, then bm25, then
    /// catalog order; all are counted, the first `limit` returned.
    pub fn search(&self, query: &Query, limit: usize) -> Result<Ranked> {
        self.search_where(query, |_| true, limit)
    }

    /// [`Db::search`] over the articles `keep` takes (by id): those under the folders opened,
    /// passing the field filters.
    pub fn search_where(
        &self,
        query: &Query,
        mut keep: impl FnMut(i64) -> bool,
        limit: usize,
    ) -> Result<Ranked> {
        let mut scored = self.scored(query)?;
        scored.retain(|&(id, _)| keep(id));
        let total = scored.len();
        if total == 0 {
            return Ok(Ranked::default());
        }
        let mut in_title: HashMap<i64, usize> = HashMap::new();
        for term in &query.terms {
            let (long, short) = expressions(&[term], true);
            let ids = match (long, short) {
                (Some(e), _) => self.ids("SELECT rowid FROM fts WHERE fts MATCH ?1", &e)?,
                (None, Some(e)) => self.ids("SELECT rowid FROM grams WHERE grams MATCH ?1", &e)?,
                (None, None) => Vec::new(),
            };
            for id in ids {
                *in_title.entry(id).or_default() += 1;
            }
        }
        let mut hits: Vec<Hit> = scored
            .into_iter()
            .map(|(id, score)| Hit {
                id,
                title_terms: in_title.get(&id).copied().unwrap_or(0),
                score,
            })
            .collect();
        let order = |a: &Hit, b: &Hit| {
            b.title_terms
                .cmp(&a.title_terms)
                .then(a.score.total_cmp(&b.score))
                .then(a.id.cmp(&b.id))
        };
        if hits.len() > limit && limit > 0 {
            hits.select_nth_unstable_by(limit - 1, order);
        }
        hits.truncate(limit);
        hits.sort_by(order);
        Ok(Ranked { total, top: hits })
    }
}
