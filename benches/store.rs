//! Benchmarks of the library database on a generated 10,000-article library (`.txt` files and
//! JSONL records, from the samples): a search keystroke (the worst, «ال», and a word) with the
//! first 50 ranked, the first page of the list from the catalog, one reading-state change (one
//! transaction), and a rescan with nothing changed. `examples/store_bench.rs` measures the
//! first build, memory and size, and 100,000 articles.

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use qari::search::Query;
use qari::store::{Db, Order, Reader};

#[path = "support/store_corpus.rs"]
mod store_corpus;

fn store(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("lib");
    let text = store_corpus::write_library(&root, 10_000, 42);
    eprintln!(
        "library: 10000 articles, {:.1} MB of text",
        text as f64 / 1e6
    );
    let db_path = dir.path().join("library.db");
    let (mut db, _) = Db::open(&db_path).expect("database");
    db.scan(&root, |_, _| {}).expect("index");
    let mut group = c.benchmark_group("store 10k");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(5));
    for q in ["ال", "الاراضي", "the", "«في العراق»"] {
        let query = Query::parse(q);
        group.bench_function(format!("search {q}, first 50 ranked"), |b| {
            b.iter(|| db.search(&query, 50).expect("search").total);
        });
    }
    group.bench_function("first frame's catalog: open, count, 50 rows by date", |b| {
        b.iter(|| {
            let (db, _) = Db::open(&db_path).expect("database");
            (
                db.count().expect("count"),
                db.page(Order::Date, 0, 50).expect("page").len(),
            )
        });
    });
    let rows = db.page(Order::Id, 0, 100).expect("page");
    let me = Reader::local();
    let mut k = 0;
    group.bench_function("one reading-state change (a transaction)", |b| {
        b.iter(|| {
            k += 1;
            db.update_state(&me, &rows[k % rows.len()].identity, |s| {
                s.bookmark = !s.bookmark;
            })
            .expect("update")
        });
    });
    group.bench_function("rescan, nothing changed", |b| {
        b.iter(|| db.scan(&root, |_, _| {}).expect("rescan").stored_files);
    });
    group.finish();
}

criterion_group!(benches, store);
criterion_main!(benches);
