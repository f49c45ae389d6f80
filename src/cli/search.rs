//! `qari search`: the articles that match, best first, from the library database's index
//! (brought up to date first: files unchanged since the last run are not read). The field
//! filters of the reader's prompt work here too (`is:unread`, `lang:ar`, `source:…`, …).
//!
//! The embedded sample library is indexed into a database in memory; so is the library when
//! the database cannot be opened (a note says so), from the files as the reader reads them.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use serde::Serialize;

use super::index::{Progress, index_roots, open_db};
use super::write_json;
use crate::app::{Facts, Fields};
use crate::escape;
use crate::search::{Query, first_match, snippet_window};
use crate::store::{ArticleRow, Db, Order, Reader};

#[derive(Serialize)]
struct JsonHit {
    id: String,
    title: String,
    /// How many of the query's terms are in the title.
    matches: usize,
    snippet: String,
}

/// Where the catalog rows of the library opened live, and how to name them.
struct Scope {
    /// Canonical roots: a file, or a folder (with its separator at the end), and the prefix
    /// its ids drop.
    roots: Vec<(String, bool)>,
}

impl Scope {
    fn new(paths: &[PathBuf]) -> Self {
        if paths.is_empty() {
            return Self {
                roots: vec![(crate::library::EMBEDDED_PREFIX.to_owned(), true)],
            };
        }
        let roots = paths
            .iter()
            .filter_map(|p| {
                let canon = crate::store::catalog::canonical(p).ok()?;
                if std::path::Path::new(&canon).is_dir() {
                    let mut dir = canon;
                    if !dir.ends_with(std::path::MAIN_SEPARATOR) {
                        dir.push(std::path::MAIN_SEPARATOR);
                    }
                    Some((dir, true))
                } else {
                    Some((canon, false))
                }
            })
            .collect();
        Self { roots }
    }

    /// The row's id as the library names it (relative to its folder), if the row is in scope.
    fn id_of(&self, row: &ArticleRow) -> Option<String> {
        let path = &row.identity.path;
        let file = self.roots.iter().find_map(|(root, dir)| {
            if *dir {
                path.strip_prefix(root.as_str()).map(str::to_owned)
            } else {
                (path == root).then(|| {
                    std::path::Path::new(path)
                        .file_name()
                        .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
                })
            }
        })?;
        let id = if row.identity.key.is_empty() {
            file
        } else {
            format!("{file}#{}", row.identity.key)
        };
        Some(escape::display(&id).into_owned())
    }
}

/// What the fields look at of a catalog row (as the reader's prompt filters its list).
fn facts(row: &ArticleRow) -> Facts<'_> {
    Facts {
        lang: crate::article::Lang::from_code(&row.lang),
        source: row.source.as_deref(),
        author: row.author.as_deref(),
        tags: &row.tags,
    }
}

/// The database the search answers from: the embedded sample in memory, else the library
/// database brought up to date with `paths` (in memory, from the files, when it cannot be
/// opened); with the library it was filled from, when it was.
fn database(
    paths: &[PathBuf],
    db: Option<&std::path::Path>,
) -> anyhow::Result<(Db, Option<crate::library::Library>)> {
    if !paths.is_empty() {
        match open_db(db) {
            Ok(mut db) => {
                let done = index_roots(&mut db, paths, &mut Progress::new(true))?;
                for p in &done.problems {
                    eprintln!("qari: {}", escape::display(p));
                }
                return Ok((db, None));
            }
            Err(e) => eprintln!(
                "qari: {}; the files are searched instead.",
                escape::display(super::sentence(&e).trim_end_matches('.'))
            ),
        }
    }
    let lib = crate::frontend::open_library(paths);
    super::report_problems(&lib, false);
    for file in lib.title_only() {
        eprintln!(
            "qari: {file}: only its title is searched: it is over {}, so its text is read only \
             when it is opened.",
            crate::library::size_text(crate::library::LAZY_BYTES)
        );
    }
    let mut mem = Db::in_memory()?;
    let batch: Vec<_> = lib
        .map_articles(|i, a| {
            let e = lib.entry(i);
            let (mut row, doc) = match a {
                Some(a) => (
                    ArticleRow::of(a, e.identity.clone(), 0, 0),
                    crate::store::Indexed::of(a),
                ),
                // A huge file's text is searched by its title only.
                None if lib.is_huge(i) => (
                    ArticleRow::of(&*lib.article(i).ok()?, e.identity.clone(), 0, 0),
                    crate::store::Indexed::from(&crate::store::IndexDoc {
                        title: e.title.clone(),
                        ..crate::store::IndexDoc::default()
                    }),
                ),
                None => return None,
            };
            row.source.clone_from(&e.source);
            Some((row, doc))
        })
        .into_iter()
        .flatten()
        .collect();
    mem.upsert(&batch)?;
    Ok((mem, Some(lib)))
}

/// Searches `paths` (else the configured library) for `query`.
pub(super) fn run(
    query: &str,
    paths: Vec<PathBuf>,
    json: bool,
    limit: Option<usize>,
    db: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    let split = Fields::split(query);
    if let Some(u) = &split.unknown {
        anyhow::bail!(
            "{} is not a filter qari knows (is:unread, is:read, is:bookmarked, lang:ar, lang:en, source:…, author:…, tag:…)",
            escape::display(u)
        );
    }
    let q = Query::parse(&split.words);
    if q.is_empty() && split.fields.is_empty() {
        anyhow::bail!("the query is empty");
    }
    let settings = super::printed_settings(paths, db)?;
    let (db, lib) = database(&settings.library, settings.db.as_deref())?;
    let scope = Scope::new(&settings.library);
    let reader = Reader::local();
    let limit = limit.unwrap_or(usize::MAX);
    // The rows in scope that pass the fields, with their ids.
    let mut named: std::collections::HashMap<i64, (String, ArticleRow)> =
        std::collections::HashMap::new();
    let mut keep = |id: i64| {
        let Ok(Some(row)) = db.row(id) else {
            return false;
        };
        let Some(name) = scope.id_of(&row) else {
            return false;
        };
        if !split.fields.is_empty() {
            let state = db.state(&reader, &row.identity).unwrap_or_default();
            if !split.fields.matches(&facts(&row), &state) {
                return false;
            }
        }
        named.insert(id, (name, row));
        true
    };
    let hits: Vec<(i64, usize)> = if q.is_empty() {
        // Fields alone: the articles that pass, newest first.
        let all = db.page(Order::Date, 0, u64::MAX)?;
        all.into_iter()
            .filter(|r| keep(r.id))
            .take(limit)
            .map(|r| (r.id, 0))
            .collect()
    } else {
        db.search_where(&q, &mut keep, limit)?
            .top
            .into_iter()
            .map(|h| (h.id, h.title_terms))
            .collect()
    };
    let mut rows = Vec::new();
    for (id, title_terms) in hits {
        let Some((name, row)) = named.remove(&id) else {
            continue;
        };
        let snippet = snippet_of(&row, &name, &q, lib.as_ref());
        rows.push(JsonHit {
            id: name,
            title: row.title,
            matches: title_terms,
            snippet,
        });
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if json {
        write_json(&mut out, &rows)?;
    } else {
        for r in &rows {
            writeln!(
                out,
                "{}\t{}\t{}",
                escape::display(&r.id),
                escape::display(&r.title),
                escape::display(&r.snippet)
            )?;
        }
    }
    out.flush()?;
    Ok(if rows.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The words around the first match in the article's text, read from its file (or the
/// library the database was filled from) when it is shown.
fn snippet_of(
    row: &ArticleRow,
    name: &str,
    q: &Query,
    lib: Option<&crate::library::Library>,
) -> String {
    if q.is_empty() {
        return String::new();
    }
    let article = match lib {
        Some(lib) => lib.position(name).and_then(|i| lib.article(i).ok()),
        None => crate::store::scan::read_article(row).map(std::sync::Arc::new),
    };
    article
        .and_then(|a| {
            let (place, m) = first_match(&a, q)?;
            let text = place.text(&a)?;
            let (w, _) = snippet_window(text, &m, 80);
            text.get(w)
                .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
        })
        .unwrap_or_default()
}
