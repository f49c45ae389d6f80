//! The command line: `qari [PATH…]` (the reader), `list`, `check`, `search`, `render` and
//! `serve`, one file each. Every command takes its settings (the library to open above all)
//! from [`crate::frontend::settings`]. Errors are one sentence on stderr; exit codes are 0 ok,
//! 1 runtime error, 2 usage error.

mod check;
mod index;
mod list;
mod reader;
mod render;
mod search;
mod serve;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use serde::Serialize;

use crate::config::Config;
use crate::escape;
use crate::frontend::{Flags, Settings, TermEnv};
use crate::layout::BidiMode;
use crate::library::{Library, SortKey};

pub use list::SortArg;
pub use render::{DirArg, MAX_WIDTH, RenderArgs};
pub use serve::ServeArgs;

/// A terminal reader for Arabic and English news articles.
#[derive(Debug, Parser)]
#[command(name = "qari", version, about, args_conflicts_with_subcommands = true)]
pub struct Cli {
    /// Files or folders to read (folders are walked recursively). Without any, the embedded
    /// sample library opens.
    pub paths: Vec<PathBuf>,
    /// Who reorders right-to-left text: app (qari), terminal, or off. Default: `$QARI_BIDI`,
    /// the config file, else `terminal` in mlterm and `app` elsewhere.
    #[arg(long, value_parser = parse_bidi)]
    pub bidi: Option<BidiMode>,
    /// Do not shape Arabic into presentation forms (for terminals that shape by themselves).
    #[arg(long)]
    pub no_shape: bool,
    /// The library database (catalog, search index, reading state). Default: `$QARI_DB`, else
    /// `library.db` in the XDG data directory.
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,
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
    /// Print an article laid out for a terminal: plain UTF-8 lines, RTL lines right-aligned.
    Render(RenderArgs),
    /// Serve the reader over SSH: readers connect with `ssh -p 2222 read@host`.
    Serve(ServeArgs),
    /// Search the library (hamza, tashkeel and case do not matter; all words must occur; a
    /// "quoted phrase" matches as a phrase; titles, bodies, bylines, sources and tags are
    /// searched; the filters is:unread, is:read, is:bookmarked, lang:ar, lang:en, source:…,
    /// author:… and tag:… narrow it): one line per article, best first, with id, title and a
    /// snippet around the first match, tab-separated. Answered from the library database,
    /// brought up to date first.
    Search {
        /// What to look for.
        query: String,
        /// Files or folders (default: the configured library, else the sample library).
        paths: Vec<PathBuf>,
        /// Print JSON instead.
        #[arg(long)]
        json: bool,
        /// At most this many results.
        #[arg(long)]
        limit: Option<usize>,
        /// The library database (default: `$QARI_DB`, else the XDG data directory).
        #[arg(long, value_name = "PATH")]
        db: Option<PathBuf>,
    },
    /// Bring the library database up to date with the files (the paths given, else the
    /// configured library): files unchanged since the last run are not read; progress on
    /// stderr.
    Index {
        /// Files or folders (default: the configured library).
        paths: Vec<PathBuf>,
        /// The library database (default: `$QARI_DB`, else the XDG data directory).
        #[arg(long, value_name = "PATH")]
        db: Option<PathBuf>,
    },
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
            eprintln!("qari: {}", escape::display(&sentence(&e)));
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

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Some(Command::List { paths, json, sort }) => list::run(paths, json, sort.into()),
        Some(Command::Check { paths }) => check::run(paths),
        Some(Command::Render(args)) => render::run(&args),
        Some(Command::Serve(args)) => serve::run(args),
        Some(Command::Search {
            query,
            paths,
            json,
            limit,
            db,
        }) => search::run(&query, paths, json, limit, db),
        Some(Command::Index { paths, db }) => index::run(paths, db),
        None => {
            if std::io::stdout().is_terminal() && std::io::stdin().is_terminal() {
                reader::run(&Flags {
                    paths: cli.paths,
                    bidi: cli.bidi,
                    no_shape: cli.no_shape,
                    db: cli.db,
                    ..Flags::default()
                })
            } else {
                list::run(cli.paths, false, SortKey::Date)
            }
        }
    }
}

/// A sentence clap shows for a value it refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BadValue(String);

/// The config file and the settings for `flags` in `env`; the second value is the config
/// file's warning, not shown yet.
fn load(flags: &Flags, env: &TermEnv) -> anyhow::Result<(Config, Settings, Option<String>)> {
    let (config, warning) = crate::frontend::config();
    let settings = crate::frontend::settings(flags, env, &config)?;
    Ok((config, settings, warning))
}

/// The library `paths` (else the configured one) for a command that prints text and does not
/// lay it out for a terminal, and the paths it was opened from; the config file's warning
/// goes to stderr.
fn printed_library(paths: Vec<PathBuf>) -> anyhow::Result<(Library, Vec<PathBuf>)> {
    let settings = printed_settings(paths, None)?;
    let lib = crate::frontend::open_library(&settings.library);
    Ok((lib, settings.library))
}

/// The settings of a command that prints text (the terminal's variables do not matter), on
/// `paths` (else the configured library) and the database `db` (else the configured one); the
/// config file's warning goes to stderr.
fn printed_settings(paths: Vec<PathBuf>, db: Option<PathBuf>) -> anyhow::Result<Settings> {
    let flags = Flags {
        paths,
        db,
        ..Flags::default()
    };
    let (_, settings, warning) = load(&flags, &TermEnv::default())?;
    if let Some(w) = warning {
        eprintln!("qari: {}", escape::display(&w));
    }
    Ok(settings)
}

fn parse_bidi(s: &str) -> Result<BidiMode, BadValue> {
    BidiMode::parse(s).ok_or_else(|| {
        BadValue(format!(
            "'{}' is not one of app, terminal, off",
            escape::display(s)
        ))
    })
}

fn report_problems(lib: &Library, all: bool) {
    let mut err = std::io::stderr().lock();
    for p in lib.problems() {
        if all || p.unusable {
            let _ = writeln!(err, "qari: {p}");
        }
    }
}

/// Pretty JSON with every control character escaped: `serde_json` escapes C0 but leaves DEL,
/// C1, the line separators and the bidi embeddings, overrides and isolates raw; they can only
/// occur inside strings, where `\uXXXX` means the same.
fn write_json(out: &mut impl Write, value: &impl Serialize) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(value)?;
    out.write_all(json_escaped(&text).as_bytes())?;
    writeln!(out)?;
    Ok(())
}

fn json_escaped(text: &str) -> std::borrow::Cow<'_, str> {
    let raw = |c: char| {
        matches!(
            c,
            '\u{7f}'..='\u{9f}' | '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
    };
    if !text.chars().any(raw) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut s = String::with_capacity(text.len() + 64);
    for c in text.chars() {
        if raw(c) {
            use std::fmt::Write as _;
            let _ = write!(s, "\\u{:04x}", u32::from(c));
        } else {
            s.push(c);
        }
    }
    std::borrow::Cow::Owned(s)
}

fn display_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| escape::path(p))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests;
