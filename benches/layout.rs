//! Benchmarks of the layout engine: the bundled corpus at width 80, and one 1 MB article (the
//! work a resize does).

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use qari::layout::document::{PreparedArticle, lay_out_article};
use qari::layout::{Options, lay_out};

#[path = "support/corpus.rs"]
#[allow(dead_code, reason = "each bench uses part of the shared generator")]
mod corpus;

fn corpus_at_80(c: &mut Criterion) {
    let lib = qari::library::Library::embedded();
    let articles: Vec<_> = (0..lib.len()).filter_map(|i| lib.article(i).ok()).collect();
    let bytes: usize = articles
        .iter()
        .map(|a| a.blocks.iter().map(|b| b.text.len()).sum::<usize>())
        .sum();
    let mut group = c.benchmark_group("layout");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("bundled corpus at 80", |b| {
        b.iter(|| {
            articles
                .iter()
                .map(|a| lay_out_article(a, 80, Options::default()).len())
                .sum::<usize>()
        });
    });
    group.finish();
}

fn one_megabyte(c: &mut Criterion) {
    // One article of 1 MB of paragraphs, laid out as the reader does on a resize.
    let text = corpus::paragraphs(1_000_000);
    let file = format!("مقال طويل\n\n{}", text.replace('\n', "\n\n"));
    let article = qari::article::parse(file.as_bytes(), qari::article::Format::Txt, "long.txt")
        .expect("the article parses")
        .articles
        .remove(0);
    let mut group = c.benchmark_group("layout 1 MB article");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.sample_size(20);
    for width in [80, 200] {
        group.bench_with_input(BenchmarkId::from_parameter(width), &width, |b, &w| {
            b.iter(|| lay_out_article(&article, w, Options::default()).len());
        });
    }
    // A resize: the prepared article wrapped and reordered for a new width.
    let prepared = PreparedArticle::new(&article, Options::default());
    for width in [80, 200] {
        group.bench_with_input(BenchmarkId::new("resize to", width), &width, |b, &w| {
            b.iter(|| prepared.lay_out(w).len());
        });
    }
    group.bench_function("80, one block on one core", |b| {
        b.iter(|| lay_out(&text, 80, Options::default()).len());
    });
    group.finish();
}

criterion_group!(benches, corpus_at_80, one_megabyte);
criterion_main!(benches);
