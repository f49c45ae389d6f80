//! qari (قارئ, "reader"): a terminal reader for libraries of Arabic and English news articles.
//!
//! The modules, from the bottom up:
//! - [`article`]: the bytes of one stored file (txt, Markdown, HTML, JSON, JSONL, RSS/Atom,
//!   CSV/TSV; newsboat's cache is read from its path, read-only) to [`article::Article`]s, in
//!   whatever encoding they came, with dates parsed and every control character made harmless.
//! - [`layout`]: pure; the bidi layout engine, one block of logical text and a width to visual
//!   lines of cells that keep their source byte ranges.
//! - [`library`]: the catalog of a folder tree (or the embedded sample library): sort, filter.
//! - [`escape`]: the one sanitizer for names, paths and log fields from outside (one line,
//!   no control or bidi override reaches a terminal or a log).
//! - [`par`]: work spread over every core (the catalog, the search index, long articles).
//! - [`config`]: the TOML settings file over embedded defaults; [`keymap`]: the actions and
//!   the keys bound to them (one table handles keys and writes the help).
//! - [`search`]: Arabic-aware folding (hamza, tashkeel, digits, case), queries, the library
//!   index and snippets; every match a byte range of the source.
//! - [`state`]: reading positions, read marks and bookmarks, saved atomically by a background
//!   writer.
//! - [`app`]: the reader's state and actions, fed [`app::Input`]s; no drawing, no terminal;
//!   long work (searches, preparing a long article) on workers that wake the front end.
//! - [`ui`]: draws the app into a ratatui buffer, never changing it.
//! - [`screen`]: drives a ratatui terminal for any backend, scrolling with the terminal's
//!   scroll regions so a one-line scroll sends one line.
//! - [`terminal`]: terminal facts: the bidi mode each terminal gets (mlterm reorders by
//!   itself), the bytes that enter and leave it, and each row's paragraph direction.
//! - [`tty`]: the local terminal front end (raw mode, alternate screen, bidi mode, signals).
//! - [`ssh`]: `qari serve`, the same app served over SSH to many readers at once.
//! - [`cli`]: the command line on top of them.

pub mod app;
pub mod article;
pub mod cli;
pub mod config;
pub mod escape;
pub mod keymap;
pub mod layout;
pub mod library;
pub mod par;
pub mod screen;
pub mod search;
pub mod ssh;
pub mod state;
pub mod store;
pub mod terminal;
pub mod tty;
pub mod ui;
