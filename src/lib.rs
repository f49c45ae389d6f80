//! qari (قارئ, "reader"): a terminal reader for libraries of Arabic and English news articles.
//!
//! The modules, from the bottom up:
//! - [`article`]: pure; the bytes of one stored file (txt, Markdown, HTML, JSON, JSONL) to
//!   [`article::Article`]s, with dates parsed and every control character made harmless.
//! - [`library`]: the catalog of a folder tree (or the embedded sample library): sort, filter.
//! - [`cli`]: the command line on top of them.

pub mod article;
pub mod cli;
pub mod library;
