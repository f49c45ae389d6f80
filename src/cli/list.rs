//! `qari list`: the catalogue, one line per article or JSON.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use serde::Serialize;

use super::{display_paths, printed_library, report_problems, write_json};
use crate::escape;
use crate::library::{Library, SortKey};

/// Sort orders on the command line.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum SortArg {
    /// Newest first.
    Date,
    /// By title.
    Title,
    /// By source.
    Source,
}

impl From<SortArg> for SortKey {
    fn from(s: SortArg) -> Self {
        match s {
            SortArg::Date => Self::Date,
            SortArg::Title => Self::Title,
            SortArg::Source => Self::Source,
        }
    }
}

#[derive(Serialize)]
struct JsonEntry<'a> {
    id: &'a str,
    path: &'a str,
    title: &'a str,
    dates: Vec<String>,
    lang: crate::article::Lang,
    direction: crate::article::Direction,
    source: Option<&'a str>,
    author: Option<String>,
    url: Option<String>,
    tags: Vec<String>,
    encoding: crate::article::TextEncoding,
    blocks: usize,
    words: usize,
}

/// Prints the catalogue of `paths` (else the configured library).
pub(super) fn run(paths: Vec<PathBuf>, json: bool, sort: SortKey) -> anyhow::Result<ExitCode> {
    let (lib, paths) = printed_library(paths)?;
    report_problems(&lib, false);
    if lib.is_empty() && !paths.is_empty() {
        anyhow::bail!("no article was found in {}", display_paths(&paths));
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if json {
        // What only the body holds, a file at a time on every core.
        let bodies = lib.map_articles(|i, a| {
            let of = |a: &crate::article::Article| (a.url.clone(), a.blocks.len());
            match a {
                Some(a) => Some(of(a)),
                // A huge file's article, parsed only when asked for.
                None if lib.is_huge(i) => lib.article(i).ok().map(|a| of(&a)),
                None => None,
            }
        });
        let entries: Vec<JsonEntry<'_>> = lib
            .view(sort)
            .into_iter()
            .map(|i| {
                let e = lib.entry(i);
                let (url, blocks) = bodies[i].clone().unwrap_or_default();
                JsonEntry {
                    id: &e.id,
                    path: &e.path,
                    title: &e.title,
                    dates: e.dates.iter().map(|d| d.to_iso()).collect(),
                    lang: e.lang,
                    direction: e.direction,
                    source: e.source.as_deref(),
                    author: e.byline.clone(),
                    url,
                    tags: e.tags.clone(),
                    encoding: e.encoding,
                    blocks,
                    words: e.words,
                }
            })
            .collect();
        write_json(&mut out, &entries)?;
    } else {
        list_lines(&lib, sort, &mut out)?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn list_lines(lib: &Library, sort: SortKey, out: &mut impl Write) -> std::io::Result<()> {
    for i in lib.view(sort) {
        let e = lib.entry(i);
        let date = e
            .date
            .map_or_else(|| "----------".to_owned(), |d| d.day().to_string());
        writeln!(
            out,
            "{date}  {:<3}  {:>6}  {}  {}",
            e.lang.code(),
            e.words,
            escape::display(&e.id),
            escape::display(&e.title)
        )?;
    }
    Ok(())
}
