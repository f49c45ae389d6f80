//! What a prepared article costs in memory, as a ratio to the article's bytes, for two
//! articles made on the spot (never stored): a `.txt` of one-letter paragraphs and a long
//! article of real paragraphs (200 MB unless a size in MB is given).
//!
//! `cargo run --release --example layout_memory [-- MB]`
//!
//! Peak heap bytes are counted by an instrumented global allocator, from a reset just before
//! each step, above what was allocated when it began:
//! - prepare: `PreparedArticle::new` (the arenas while they are built, and what is kept);
//! - lines at 80: one width's lines, as the reader keeps them;
//! - render: `qari render`'s path (prepare, then every line printed, none kept).
//!
//! The article itself (the parsed blocks, owned by the loader) is counted apart.

use std::io::Write as _;

use peakmem_alloc::{INSTRUMENTED_SYSTEM, PeakMemAlloc, PeakMemAllocTrait};
use qari::article::{Format, parse};
use qari::document::{PreparedArticle, write_lines};
use qari::layout::Options;

#[path = "../benches/support/corpus.rs"]
#[allow(dead_code, reason = "the example uses only the paragraph generator")]
mod corpus;

#[global_allocator]
static GLOBAL: &PeakMemAlloc<std::alloc::System> = &INSTRUMENTED_SYSTEM;

/// The peak of `f`'s heap use above what was allocated when it began.
fn peak_of<T>(f: impl FnOnce() -> T) -> (T, usize) {
    GLOBAL.reset_peak_memory();
    let out = f();
    (out, GLOBAL.get_peak_memory())
}

/// The peak of `f`'s heap use, and the heap bytes of what it returns (measured as the peak of
/// making a copy of it).
fn measure<T: Clone>(f: impl FnOnce() -> T) -> (T, usize, usize) {
    let (out, peak_bytes) = peak_of(f);
    let (copy, kept) = peak_of(|| out.clone());
    drop(copy);
    (out, peak_bytes, kept)
}

fn report(name: &str, file: &[u8]) {
    let bytes = file.len();
    let article = parse(file, Format::Txt, "x.txt")
        .expect("the article parses")
        .articles
        .remove(0);
    let (_, article_kept) = peak_of(|| article.clone());
    let ratio = |b: usize| b as f64 / bytes as f64;
    let mb = |b: usize| b as f64 / 1e6;
    println!(
        "{name}: {:.1} MB, {} blocks; the parsed article (the loader's) {:.1} MB = {:.2}x",
        mb(bytes),
        article.blocks.len(),
        mb(article_kept),
        ratio(article_kept)
    );
    let (prepared, peak, kept) = measure(|| PreparedArticle::new(&article, Options::default()));
    let target = 4 * bytes + 1_000_000;
    println!(
        "  prepare:     peak {:.1} MB = {:.2}x, kept {:.1} MB = {:.2}x (target: peak <= 4x + 1 MB = {:.1} MB: {})",
        mb(peak),
        ratio(peak),
        mb(kept),
        ratio(kept),
        mb(target),
        if peak <= target { "met" } else { "NOT met" }
    );
    let (lines, peak, kept) = measure(|| prepared.lay_out(80));
    println!(
        "  lines at 80: peak {:.1} MB = {:.2}x, kept {:.1} MB = {:.2}x ({} lines)",
        mb(peak),
        ratio(peak),
        mb(kept),
        ratio(kept),
        lines.len()
    );
    drop(lines);
    drop(prepared);
    let (written, peak) = peak_of(|| {
        let mut out = std::io::sink();
        write_lines(&article, 80, Options::default(), None, &mut out)
            .expect("a sink takes anything");
        out.flush().is_ok()
    });
    assert!(written);
    println!(
        "  render at 80: peak {:.1} MB = {:.2}x",
        mb(peak),
        ratio(peak)
    );
}

fn main() {
    let long_mb: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    // One-letter paragraphs, as `qari render` and the reader were given in the report: a
    // title, then "x", blank line, "x", ... to 2.9 MB.
    let mut one = String::from("Letters\n\n");
    while one.len() < 2_900_000 {
        one.push_str("x\n\n");
    }
    report("one-letter paragraphs", one.as_bytes());
    drop(one);
    let body = corpus::paragraphs(long_mb * 1_000_000);
    let file = format!("مقال طويل\n\n{}", body.replace('\n', "\n\n"));
    drop(body);
    report("long article", file.as_bytes());
}
