//! Benchmarks of the library catalog.
//! How fast the catalog of a large library is ready: 10,000 articles built from the samples.

use criterion::{Criterion, criterion_group, criterion_main};

#[path = "support/corpus.rs"]
#[allow(dead_code, reason = "each bench uses part of the shared generator")]
mod corpus;

fn catalog(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let bytes = corpus::write_library(dir.path(), 10_000);
    eprintln!("library: 10000 articles, {:.1} MB", bytes as f64 / 1e6);
    let paths = vec![dir.path().to_path_buf()];
    let mut group = c.benchmark_group("catalog");
    group.sample_size(20);
    group.bench_function("open 10k articles", |b| {
        b.iter(|| {
            let lib = qari::library::Library::open(&paths);
            assert_eq!(lib.len(), 10_000);
            lib
        });
    });
    let lib = qari::library::Library::open(&paths);
    group.bench_function("sort 10k by date", |b| {
        b.iter(|| {
            lib.view(
                qari::library::SortKey::Date,
                &qari::library::Filter::default(),
            )
        });
    });
    group.finish();
}

criterion_group!(benches, catalog);
criterion_main!(benches);
