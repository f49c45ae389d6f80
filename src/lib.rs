//! qari (قارئ, "reader"): a terminal reader for libraries of Arabic and English news articles.
//!
//! The modules, from the bottom up:
//! - [`text`]: a leaf importing nothing else of the crate: the one width function
//!   ([`text::str_width`]), [`text::Direction`], bidi classes, controls, mirroring and Arabic
//!   joining types, from tables generated from the Unicode data files.
//! - [`article`]: the bytes of one stored file (txt, Markdown, HTML, JSON, JSONL, RSS/Atom,
//!   CSV/TSV; newsboat's cache items as the library hands them over) to
//!   [`article::Article`]s, in whatever encoding they came, with dates parsed and every control
//!   character made harmless, inline marks (emphasis, code, links) kept over the text and
//!   every link target checked ([`article::safe_target`]); [`article::Place`]: a place in an
//!   article.
//! - [`layout`]: pure, on [`text`] alone; the bidi layout engine, one block of logical text and
//!   a width to visual lines of cells that keep their source byte ranges.
//! - [`document`]: a whole [`article::Article`] laid out with [`layout`]: title, dates,
//!   blocks, list markers (numbers, nesting) and quote margins; [`document::place`]: where a
//!   line goes on its row in every bidi mode, the one rule of the reader, `render` and
//!   `render --plain`; the text in logical order for pipes ([`document::write_logical`]).
//! - [`library`]: the catalog of a folder tree (or the embedded sample library): safe reads,
//!   walking, newsboat's cache (read-only), sort, filter; or the catalog as the database last
//!   saw it ([`library::Library::from_catalog`]; its first page,
//!   [`library::Library::first_page`], is the reader's first frame), read whole and kept
//!   current by the watcher.
//! - [`escape`]: the one sanitizer for names, paths and log fields from outside (one line,
//!   no control or bidi override reaches a terminal or a log).
//! - [`par`]: work spread over every core (the catalog, the search index, long articles).
//! - [`once`]: a value built once on a worker, waited for or cancelled (the search index,
//!   the whole of a long article).
//! - [`progress`]: a long run's count, rate and time left as one line (`qari index`, the
//!   reader's status line while its search index is brought up to date).
//! - [`config`]: the TOML settings file over embedded defaults; [`keymap`]: the actions and
//!   the keys bound to them (one table handles keys and writes the help).
//! - [`search`]: Arabic-aware folding (hamza, tashkeel, digits, case), queries, the library
//!   index (folded copies in memory, or a [`search::Finder`] standing in for them) and
//!   snippets; every match a byte range of the source.
//! - [`store`]: the library's `SQLite` database: catalog with stable identities, reading state
//!   per reader in transactions (the app keeps it through one trait, [`store::ReadingStore`],
//!   via [`store::Shelf`]), the full-text index that `qari index`, `qari search` and the
//!   reader's search ([`store::finder`]) use.
//! - [`app`]: the reader's state and actions, fed [`app::Input`]s; no drawing, no terminal;
//!   long work (searches, preparing a long article) on workers that wake the front end.
//! - [`ui`]: draws the app into a ratatui buffer, never changing it; links go out as
//!   terminal hyperlinks (OSC 8) inside their cells, where the theme says the terminal takes
//!   them.
//! - [`screen`]: drives a ratatui terminal for any backend, scrolling with the terminal's
//!   scroll regions so a one-line scroll sends one line.
//! - [`frontend`]: what the front ends share: the settings from flags, environment and
//!   config, the library to open, the one event loop ([`frontend::event_loop`], generic over
//!   a front end's source of events and its backend); [`terminal`] (in it): the bidi mode each terminal gets
//!   (mlterm reorders by itself), the bytes that enter and leave the full screen (mouse
//!   capture included), each row's paragraph direction, input events as [`app::Input`]s.
//! - [`tty`]: the local terminal front end (raw mode, alternate screen, bidi mode, signals).
//! - [`ssh`]: `qari serve`, the same app served over SSH to many readers at once.
//! - [`cli`]: the command line on top of them.

pub mod app;
pub mod article;
pub mod cli;
pub mod config;
pub mod document;
pub mod escape;
pub mod frontend;
pub mod keymap;
pub mod layout;
pub mod library;
pub mod once;
pub mod par;
pub mod progress;
pub mod screen;
pub mod search;
pub mod ssh;
pub mod store;
pub use frontend::terminal;
pub mod text;
pub mod tty;
pub mod ui;
