//! Benchmarks of the library catalog.
//! How fast the catalog of a large library is ready: 10,000 articles built from the samples,
//! and 100,000 when `QARI_BENCH_100K` is set (it writes 260 MB to a temporary folder).

use criterion::{Criterion, criterion_group, criterion_main};

#[path = "support/corpus.rs"]
#[allow(dead_code, reason = "each bench uses part of the shared generator")]
mod corpus;

fn catalog(c: &mut Criterion) {
    let mut sizes = vec![10_000];
    if std::env::var_os("QARI_BENCH_100K").is_some() {
        sizes.push(100_000);
    }
    let mut group = c.benchmark_group("catalog");
    group.sample_size(10);
    for n in sizes {
        let dir = tempfile::tempdir().expect("temp dir");
        let bytes = corpus::write_library(dir.path(), n);
        eprintln!("library: {n} articles, {:.1} MB", bytes as f64 / 1e6);
        let paths = vec![dir.path().to_path_buf()];
        group.bench_function(format!("open {n} articles"), |b| {
            b.iter(|| {
                let lib = qari::library::Library::open(&paths);
                assert_eq!(lib.len(), n);
                lib
            });
        });
        let lib = qari::library::Library::open(&paths);
        group.bench_function(format!("sort {n} by date"), |b| {
            b.iter(|| lib.view(qari::library::SortKey::Date));
        });
        if n == 10_000 {
            group.bench_function("parse all 10k bodies (the search index needs them)", |b| {
                b.iter(|| {
                    let lib = qari::library::Library::open(&paths);
                    lib.map_articles(|_, a| a.map_or(0, |a| a.blocks.len()))
                });
            });
        }
    }
    group.finish();
}

criterion_group!(benches, catalog);
criterion_main!(benches);
