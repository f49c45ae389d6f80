//! Benchmarks of search: a 10,000-article library (built from the samples), the results of
//! each keystroke as a query is typed, and building the index.

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use qari::search::{Index, Query};

#[path = "support/corpus.rs"]
#[allow(dead_code, reason = "each bench uses part of the shared generator")]
mod corpus;

fn search(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let bytes = corpus::write_library(dir.path(), 10_000);
    eprintln!("library: 10000 articles, {:.1} MB", bytes as f64 / 1e6);
    let lib = qari::library::Library::open(&[dir.path().to_path_buf()]);
    let mut group = c.benchmark_group("search 10k");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(8));
    let paths = [dir.path().to_path_buf()];
    group.bench_function("open and build the index (every body parsed)", |b| {
        b.iter(|| Index::build(&qari::library::Library::open(&paths)).len());
    });
    group.bench_function(
        "build the index of an open library (every body parsed again)",
        |b| {
            b.iter(|| Index::build(&lib).len());
        },
    );
    let index = Index::build(&lib);
    // Every keystroke of a query typed from scratch, each searched in full (no narrowing by
    // the previous results: the worst case).
    for query in ["الاراضي", "مسؤول", "hostage", "\"الدول الأكثر\""] {
        let prefixes: Vec<Query> = query
            .char_indices()
            .skip(1)
            .map(|(i, _)| Query::parse(query.get(..i).unwrap_or(query)))
            .chain([Query::parse(query)])
            .collect();
        group.bench_function(
            format!("every keystroke of «{query}» ({} searches)", prefixes.len()),
            |b| {
                b.iter(|| {
                    prefixes
                        .iter()
                        .map(|q| index.search(q).len())
                        .max()
                        .unwrap_or(0)
                });
            },
        );
        group.bench_function(format!("full query «{query}»"), |b| {
            let q = Query::parse(query);
            b.iter(|| index.search(&q).len());
        });
    }
    // The costliest keystrokes: one or two letters found in nearly every article.
    for q in ["ا", "ال", "e"] {
        let q = Query::parse(q);
        group.bench_function(format!("one keystroke «{}»", q.terms[0]), |b| {
            b.iter(|| index.search(&q).len());
        });
    }
    group.finish();
}

criterion_group!(benches, search);
criterion_main!(benches);
