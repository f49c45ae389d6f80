//! The command line: `qari [PATH…]`, `qari list`, `qari check`, and the commands later modules
//! add. Errors are one sentence on stderr; exit codes are 0 ok, 1 runtime error, 2 usage error.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use serde::Serialize;

use crate::library::{Filter, Library, SortKey};

/// A terminal reader for Arabic and English news articles.
#[derive(Debug, Parser)]
#[command(name = "qari", version, about, args_conflicts_with_subcommands = true)]
pub struct Cli {
    /// Files or folders to read (folders are walked recursively). Without any, the embedded
    /// sample library opens.
    pub paths: Vec<PathBuf>,
    /// What to do; without a command, the reader opens.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the catalog: one line per article, or JSON.
    List {
        /// Files or folders (default: the embedded sample library).
        paths: Vec<PathBuf>,
        /// Print a JSON array instead of lines.
        #[arg(long)]
        json: bool,
        /// Sort order.
        #[arg(long, value_enum, default_value_t = SortArg::Date)]
        sort: SortArg,
    },
    /// Check files and print why any could not be used; exits 1 if one was unusable.
    Check {
        /// Files or folders (default: the embedded sample library).
        paths: Vec<PathBuf>,
    },
}

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

/// Runs the command line and returns the exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match run(cli) {
        Ok(code) => code,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("qari: {}", sentence(&e));
            ExitCode::from(1)
        }
    }
}

/// A reader of our output that went away (`qari list | head`) is not an error.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<serde_json::Error>()
                .and_then(serde_json::Error::io_error_kind)
                .is_some_and(|k| k == std::io::ErrorKind::BrokenPipe)
    })
}

/// Formats an error chain as one sentence.
fn sentence(e: &anyhow::Error) -> String {
    let parts: Vec<String> = e.chain().map(ToString::to_string).collect();
    let mut s = parts.join(": ");
    if !s.ends_with('.') {
        s.push('.');
    }
    s
}

fn open_library(paths: &[PathBuf]) -> Library {
    if paths.is_empty() {
        Library::embedded()
    } else {
        Library::open(paths)
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Some(Command::List { paths, json, sort }) => list(&paths, json, sort.into()),
        Some(Command::Check { paths }) => Ok(check(&paths)),
        None => {
            if std::io::stdout().is_terminal() && std::io::stdin().is_terminal() {
                reader(&cli.paths)
            } else {
                list(&cli.paths, false, SortKey::Date)
            }
        }
    }
}

fn reader(paths: &[PathBuf]) -> anyhow::Result<ExitCode> {
    let lib = open_library(paths);
    report_problems(&lib, false);
    list_lines(&lib, SortKey::Date, &mut std::io::stdout().lock())?;
    Ok(ExitCode::SUCCESS)
}

fn report_problems(lib: &Library, all: bool) {
    let mut err = std::io::stderr().lock();
    for p in lib.problems() {
        if all || p.unusable {
            let _ = writeln!(err, "qari: {p}");
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
    blocks: usize,
    words: usize,
}

fn list(paths: &[PathBuf], json: bool, sort: SortKey) -> anyhow::Result<ExitCode> {
    let lib = open_library(paths);
    report_problems(&lib, false);
    if lib.is_empty() && !paths.is_empty() {
        anyhow::bail!("no article was found in {}", display_paths(paths));
    }
    let mut out = std::io::stdout().lock();
    if json {
        let entries: Vec<JsonEntry<'_>> = lib
            .view(sort, &Filter::default())
            .into_iter()
            .map(|i| {
                let e = lib.entry(i);
                JsonEntry {
                    id: &e.id,
                    path: &e.path,
                    title: &e.title,
                    dates: e.dates.iter().map(|d| d.to_iso()).collect(),
                    lang: e.lang,
                    direction: e.direction,
                    source: e.source.as_deref(),
                    blocks: e.blocks,
                    words: e.words,
                }
            })
            .collect();
        serde_json::to_writer_pretty(&mut out, &entries)?;
        writeln!(out)?;
    } else {
        list_lines(&lib, sort, &mut out)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn list_lines(lib: &Library, sort: SortKey, out: &mut impl Write) -> std::io::Result<()> {
    for i in lib.view(sort, &Filter::default()) {
        let e = lib.entry(i);
        let date = e
            .date
            .map_or_else(|| "----------".to_owned(), |d| d.day().to_string());
        writeln!(
            out,
            "{date}  {:<3}  {:>6}  {}  {}",
            e.lang.code(),
            e.words,
            e.id,
            e.title
        )?;
    }
    Ok(())
}

fn display_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn check(paths: &[PathBuf]) -> ExitCode {
    let lib = open_library(paths);
    report_problems(&lib, true);
    let unusable = lib.problems().iter().filter(|p| p.unusable).count();
    let _ = writeln!(
        std::io::stdout(),
        "{} files read, {} articles loaded, {} files unusable, {} with warnings.",
        lib.files(),
        lib.len(),
        unusable,
        lib.problems().iter().filter(|p| !p.unusable).count()
    );
    if unusable > 0 || (lib.is_empty() && !paths.is_empty()) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
