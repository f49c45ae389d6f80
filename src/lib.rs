//! qari (قارئ, "reader"): a terminal reader for libraries of Arabic and English news articles.
//!
//! The modules, from the bottom up:
//! - [`article`]: pure; the bytes of one stored file (txt, Markdown, HTML, JSON, JSONL) to
//!   [`article::Article`]s, with dates parsed and every control character made harmless.
//! - [`layout`]: pure; the bidi layout engine, one block of logical text and a width to visual
//!   lines of cells that keep their source byte ranges.
//! - [`library`]: the catalog of a folder tree (or the embedded sample library): sort, filter.
//! - [`config`]: the TOML settings file over embedded defaults.
//! - [`cli`]: the command line on top of them.

pub mod article;
pub mod cli;
pub mod config;
pub mod layout;
pub mod library;
