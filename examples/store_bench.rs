//! Measures the library database on a generated library of N articles (`.txt` files and JSONL
//! records with bylines, sources and tags, from the bundled samples):
//!
//! `cargo run --release --example store_bench -- 10000 [DIR]`
//!
//! Prints: the first index build, a rescan with nothing changed, the catalog's first page for
//! a first frame (a fresh connection, as a start), a keystroke's search (every prefix of words
//! typed letter by letter, «ال» among them: p50, p95, worst) with the first 50 ranked, the
//! process's peak memory, and the database's size against the library's text. The library is
//! written to DIR (kept) or a temporary folder.

#[path = "../benches/support/store_corpus.rs"]
mod store_corpus;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use qari::search::Query;
use qari::store::{Db, Order};

fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let mut args = std::env::args().skip(1);
    let count: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let temp = tempfile::tempdir().expect("temp dir");
    let root: PathBuf = args
        .next()
        .map_or_else(|| temp.path().join("lib"), PathBuf::from);
    let t = Instant::now();
    let text = store_corpus::write_library(&root, count, 42);
    eprintln!(
        "library: {count} articles, {:.1} MB of text, written in {:.1} s",
        text as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );
    let db_path = temp.path().join("library.db");
    let (mut db, _) = Db::open(&db_path).expect("database");

    let t = Instant::now();
    let done = db.scan(&root, |_, _| {}).expect("index");
    let build = t.elapsed();
    println!(
        "index build: {:.1} s for {} files ({} articles), {:.0} articles/s",
        build.as_secs_f64(),
        done.files,
        done.stored_articles,
        done.stored_articles as f64 / build.as_secs_f64()
    );
    let t = Instant::now();
    let again = db.scan(&root, |_, _| {}).expect("rescan");
    println!(
        "rescan, nothing changed: {:.0} ms ({} files read)",
        ms(t.elapsed()),
        again.stored_files
    );
    drop(db);

    // A start: open the file, count, the first page of the list by date.
    let mut frames = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let (db, _) = Db::open(&db_path).expect("database");
        let n = db.count().expect("count");
        let rows = db.page(Order::Date, 0, 50).expect("page");
        assert!(n > 0 && !rows.is_empty());
        frames.push(t.elapsed());
    }
    frames.sort();
    println!(
        "first frame's catalog (open, count, 50 rows by date), warm: median {:.1} ms, worst {:.1} ms",
        ms(frames[frames.len() / 2]),
        ms(frames[frames.len() - 1])
    );

    keystrokes(&db_path);
    let size: u64 = ["", "-wal"]
        .iter()
        .filter_map(|s| {
            std::fs::metadata(format!("{}{s}", db_path.display()))
                .ok()
                .map(|m| m.len())
        })
        .sum();
    println!(
        "database: {:.1} MB for {:.1} MB of text: {:.2}x",
        size as f64 / 1e6,
        text as f64 / 1e6,
        size as f64 / text as f64
    );
    println!("peak RSS: {:.0} MB", peak_rss_kb() as f64 / 1024.0);
}

/// Every prefix of words typed letter by letter, searched with the first 50 ranked.
fn keystrokes(db_path: &std::path::Path) {
    let (db, _) = Db::open(db_path).expect("database");
    let words = [
        "الاراضي",
        "داعش",
        "التحالف",
        "ماكغورك",
        "العراق",
        "government",
        "the",
        "«في العراق»",
        "news",
        "مسئول",
    ];
    let mut keystrokes: Vec<(Duration, String, usize)> = Vec::new();
    for w in words {
        let chars: Vec<char> = w.chars().collect();
        for end in 1..=chars.len() {
            let typed: String = chars[..end].iter().collect();
            let q = Query::parse(&typed);
            if q.is_empty() {
                continue;
            }
            let t = Instant::now();
            let ranked = db.search(&q, 50).expect("search");
            keystrokes.push((t.elapsed(), typed, ranked.total));
        }
    }
    let t = Instant::now();
    let al = db.search(&Query::parse("ال"), 50).expect("search");
    let al_time = t.elapsed();
    keystrokes.sort_by_key(|k| k.0);
    let p = |percent: usize| ms(keystrokes[(keystrokes.len() - 1) * percent / 100].0);
    let worst = keystrokes.last().expect("keystrokes");
    println!(
        "keystroke search, first 50 ranked ({} keystrokes): p50 {:.1} ms, p95 {:.1} ms, worst {:.1} ms ({:?}, {} found); «ال»: {:.1} ms, {} found",
        keystrokes.len(),
        p(50),
        p(95),
        ms(worst.0),
        worst.1,
        worst.2,
        ms(al_time),
        al.total
    );
}
