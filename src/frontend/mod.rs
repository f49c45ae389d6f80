//! What the front ends (the local terminal, each SSH session, and the commands that print)
//! share: one function from the flags, the terminal's environment and the config file to the
//! settings every command uses ([`settings`]), the one way to open the library
//! ([`open_library`]), the one event loop of the full-screen front ends ([`event_loop`]),
//! and the terminal's facts ([`terminal`]: bidi mode, the bytes that
//! enter and leave the full screen, each row's direction, input events as [`crate::app::Input`]).

pub mod event_loop;
pub mod terminal;

use std::collections::HashMap;
use std::path::PathBuf;

use crate::article::Direction;
use crate::config::Config;
use crate::layout::{BaseDir, BidiMode, Options};
use crate::library::Library;
use crate::ui::{Colors, Theme};

/// What the command line says that bears on the settings.
#[derive(Debug, Clone, Default)]
pub struct Flags {
    /// Files or folders given; none means the configured library (else the embedded sample).
    pub paths: Vec<PathBuf>,
    /// `--bidi`.
    pub bidi: Option<BidiMode>,
    /// `--no-shape`.
    pub no_shape: bool,
    /// `--dir` (`render`); the reader decides each paragraph's direction itself.
    pub base: BaseDir,
    /// `--db`: the library database.
    pub db: Option<PathBuf>,
}

/// The terminal's variables the settings depend on: the local process's own, or those an
/// SSH client sent (its pty request's `TERM` and what it sent with `SendEnv`), never mixed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TermEnv {
    /// `TERM`.
    pub term: Option<String>,
    /// `MLTERM` (set by mlterm).
    pub mlterm: Option<String>,
    /// `COLORTERM`.
    pub colorterm: Option<String>,
    /// `NO_COLOR`.
    pub no_color: Option<String>,
    /// `QARI_BIDI`.
    pub qari_bidi: Option<String>,
}

impl TermEnv {
    /// This process's environment (the local terminal).
    pub fn local() -> Self {
        let var = |k: &str| std::env::var(k).ok();
        Self {
            term: var("TERM"),
            mlterm: var("MLTERM"),
            colorterm: var("COLORTERM"),
            no_color: var("NO_COLOR"),
            qari_bidi: var("QARI_BIDI"),
        }
    }

    /// An SSH session's: the `TERM` of its pty request and the variables its client sent. A
    /// `QARI_BIDI` that names no mode is left out (the session cannot be told on stderr).
    pub fn session(term: &str, env: &HashMap<String, String>) -> Self {
        let var = |k: &str| env.get(k).cloned();
        let qari_bidi =
            var("QARI_BIDI").filter(|v| terminal::parse_env(Some(v)).is_ok_and(|m| m.is_some()));
        Self {
            term: Some(term.to_owned()),
            mlterm: var("MLTERM"),
            colorterm: var("COLORTERM"),
            no_color: var("NO_COLOR"),
            qari_bidi,
        }
    }
}

/// The settings every command uses, decided once.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The files and folders to open: the ones given, else the config file's `library`;
    /// empty means the embedded sample library.
    pub library: Vec<PathBuf>,
    /// How text is laid out (the bidi mode: `--bidi`, else `QARI_BIDI`, else the config
    /// file's, else the terminal's; shaping unless `--no-shape` or the config says no).
    pub layout: Options,
    /// The colours the terminal takes.
    pub colors: Colors,
    /// The config file's theme in those colours.
    pub theme: Theme,
    /// Whether the mouse wheel is captured (the config file's `mouse`).
    pub mouse: bool,
    /// The library database: `--db`, else `$QARI_DB`, else `library.db` in the XDG data
    /// directory (`None` when there is no home to put it in).
    pub db: Option<PathBuf>,
}

/// The settings from the flags, the terminal's environment and the config file.
pub fn settings(
    flags: &Flags,
    env: &TermEnv,
    config: &Config,
) -> Result<Settings, terminal::BadMode> {
    let asked = terminal::parse_env(env.qari_bidi.as_deref())?;
    let kind = terminal::Terminal::detect(env.term.as_deref(), env.mlterm.as_deref());
    let mode = terminal::choose(flags.bidi, asked, config.bidi, kind);
    let colors = Colors::detect(
        env.term.as_deref(),
        env.colorterm.as_deref(),
        env.no_color.as_deref(),
    );
    let library = if flags.paths.is_empty() {
        config.library.clone()
    } else {
        flags.paths.clone()
    };
    Ok(Settings {
        library,
        layout: Options {
            base: flags.base,
            fallback: Direction::Ltr,
            mode,
            shape: !flags.no_shape && config.shape,
            controls: kind.takes_controls(),
        },
        colors,
        theme: Theme::new(&config.theme, colors)
            .with_hyperlinks(config.hyperlinks && terminal::takes_hyperlinks(env.term.as_deref())),
        mouse: config.mouse,
        db: db_path(flags.db.as_deref()),
    })
}

/// The library database: `flag` (`--db`), else [`crate::store::Db::default_path`].
pub fn db_path(flag: Option<&std::path::Path>) -> Option<PathBuf> {
    flag.map(std::path::Path::to_path_buf)
        .or_else(crate::store::Db::default_path)
}

/// The reading state of `reader` in the database `db`, for the articles of `lib`: the old
/// state file `legacy` is imported once (its ids are paths relative to the folder opened, so
/// they are resolved against `lib`). Without a database (no home), or when it cannot be
/// opened, state is kept in memory; the second value is the one sentence to show.
pub fn open_shelf(
    db: Option<&std::path::Path>,
    reader: crate::store::Reader,
    legacy: Option<&std::path::Path>,
    lib: &Library,
) -> (crate::store::Shelf, Option<String>) {
    let Some(db) = db else {
        return (
            crate::store::Shelf::in_memory(),
            Some("there is no home folder for the library database; reading state is kept in memory until the reader closes.".to_owned()),
        );
    };
    let by_id: std::cell::OnceCell<std::collections::HashMap<&str, &crate::store::Identity>> =
        std::cell::OnceCell::new();
    let resolve = |id: &str| {
        by_id
            .get_or_init(|| {
                lib.entries()
                    .map(|e| (e.id.as_str(), &e.identity))
                    .collect()
            })
            .get(id)
            .map(|&i| i.clone())
    };
    let (shelf, msg) = crate::store::Shelf::open(db, reader, legacy, &resolve);
    (shelf, msg.map(|m| crate::escape::display(&m).into_owned()))
}

/// The config file (see [`Config::load`]), or the defaults when it cannot be used together
/// with the sentence that says why; every command reads its settings here.
pub fn config() -> (Config, Option<String>) {
    match Config::load() {
        Ok(c) => (c, None),
        Err(e) => (
            Config::default(),
            Some(format!("{e}; the default settings are used.")),
        ),
    }
}

/// Opens `paths` (files and folders, walked), or the embedded sample library when there are
/// none: every command opens its library here.
pub fn open_library(paths: &[PathBuf]) -> Library {
    if paths.is_empty() {
        Library::embedded()
    } else {
        Library::open(paths)
    }
}

/// Opens `paths` for a reader kept current by a watcher: from the catalog of the database
/// `db` when it holds them (no file is read before the first frame; the watcher then reads
/// what changed), else as [`open_library`] does. The second value is the database's one
/// sentence when it had to be moved aside.
pub fn open_library_from(
    paths: &[PathBuf],
    db: Option<&std::path::Path>,
) -> (Library, Option<String>) {
    let stored = db.filter(|d| !paths.is_empty() && d.exists()).map(|d| {
        crate::store::Db::open(d).map(|(db, note)| (Library::from_catalog(&db, paths), note))
    });
    match stored {
        Some(Ok((Some(lib), note))) => (lib, note),
        Some(Ok((None, note))) => (open_library(paths), note),
        // The shelf opens the same file next and says what is wrong with it.
        Some(Err(_)) | None => (open_library(paths), None),
    }
}

/// The reader's first frame of the library under `paths`, before its watcher reads the whole
/// ([`crate::library::watch_loading`]): the first page of its list from the catalog of the
/// database `db` ([`Library::first_page`]), or, when the catalog does not hold it, a library
/// still to be read ([`Library::unread_yet`]), so the terminal is the reader's at once however
/// long the folders take to read. `None` when there are no paths, when a path holds no file to
/// read (said before the terminal is taken), or when the old state file `legacy` of `reader`
/// is still to be imported (its ids are resolved against the whole library, read first). The
/// second value is the database's one sentence when it had to be moved aside.
pub fn open_first_frame(
    paths: &[PathBuf],
    db: Option<&std::path::Path>,
    legacy: Option<&std::path::Path>,
    reader: &crate::store::Reader,
) -> (Option<Library>, Option<String>) {
    if paths.is_empty() {
        return (None, None);
    }
    let opened = db
        .filter(|d| d.exists())
        .and_then(|d| crate::store::Db::open(d).ok());
    let note = opened.as_ref().and_then(|(_, note)| note.clone());
    let imported = opened
        .as_ref()
        .is_some_and(|(db, _)| db.imported(reader).unwrap_or(false));
    if legacy.is_some_and(std::path::Path::exists) && !imported {
        return (None, note);
    }
    if let Some(page) = opened
        .as_ref()
        .and_then(|(db, _)| Library::first_page(db, paths, crate::library::FIRST_PAGE))
    {
        return (Some(page), note);
    }
    let readable = paths.iter().all(|p| crate::library::holds_article_file(p));
    (readable.then(|| Library::unread_yet(paths)), note)
}

/// A panic's payload as text (the message of `panic!`), when it has one.
pub fn panic_text(payload: &(dyn std::any::Any + Send)) -> Option<String> {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
}

/// A panic as one phrase for a person or a log: its message ([`panic_text`]) and where it
/// happened; the tty's panic hook and the server's log say it so.
pub fn panic_report(info: &std::panic::PanicHookInfo<'_>) -> String {
    let what = panic_text(info.payload()).unwrap_or_else(|| "an unknown error".to_owned());
    match info.location() {
        Some(l) => format!("{what} at {}:{}", l.file(), l.line()),
        None => what,
    }
}

#[cfg(test)]
mod tests;
