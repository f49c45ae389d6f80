//! `qari search`: the articles that match, best first.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use serde::Serialize;

use super::{printed_library, report_problems, write_json};
use crate::escape;

#[derive(Serialize)]
struct JsonHit<'a> {
    id: &'a str,
    title: &'a str,
    matches: usize,
    snippet: String,
}

/// Searches `paths` (else the configured library) for `query`.
pub(super) fn run(
    query: &str,
    paths: Vec<PathBuf>,
    json: bool,
    limit: Option<usize>,
) -> anyhow::Result<ExitCode> {
    use crate::search::{Index, Query, first_match, snippet_window};
    let q = Query::parse(query);
    if q.is_empty() {
        anyhow::bail!("the query is empty");
    }
    let (lib, _) = printed_library(paths)?;
    report_problems(&lib, false);
    for file in lib.title_only() {
        eprintln!(
            "qari: {file}: only its title is searched: it is over {}, so its text is read only \
             when it is opened.",
            crate::library::size_text(crate::library::LAZY_BYTES)
        );
    }
    let index = Index::build(&lib);
    let hits = index.search(&q);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut rows = Vec::new();
    for h in hits.iter().take(limit.unwrap_or(usize::MAX)) {
        let e = lib.entry(h.index);
        let snippet = lib
            .article(h.index)
            .ok()
            .and_then(|a| {
                let (place, m) = first_match(&a, &q)?;
                let text = place.text(&a)?;
                let (w, _) = snippet_window(text, &m, 80);
                text.get(w)
                    .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
            })
            .unwrap_or_default();
        rows.push(JsonHit {
            id: &e.id,
            title: &e.title,
            matches: h.count,
            snippet,
        });
    }
    if json {
        write_json(&mut out, &rows)?;
    } else {
        for r in &rows {
            writeln!(
                out,
                "{}\t{}\t{}",
                escape::display(r.id),
                escape::display(r.title),
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
