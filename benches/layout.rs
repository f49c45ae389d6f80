//! Benchmarks of the layout engine: the bundled corpus at width 80 (every line's cells made),
//! and one 1 MB article as the reader opens it and as a resize lays it out again.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use qari::document::PreparedArticle;
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
                .map(|a| lay_out_every_line(a, 80))
                .sum::<usize>()
        });
    });
    group.finish();
}

/// An article laid out at `width` with the cells of every line made, as `qari render` does.
fn lay_out_every_line(article: &qari::article::Article, width: usize) -> usize {
    let prepared = PreparedArticle::new(article, Options::default());
    prepared
        .lay_out(width)
        .iter()
        .map(|l| prepared.visual(l).cells.len())
        .sum()
}

/// The cells of one screen of lines from `top` (30 rows), as the reader draws them.
fn one_screen(prepared: &PreparedArticle, lines: &[qari::document::DocLine]) -> usize {
    lines
        .iter()
        .take(30)
        .map(|l| prepared.visual(l).cells.len())
        .sum()
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
    // The reader opening the article, to its first frame drawn (100x30): the first part laid
    // out at once, the whole prepared by a background thread meanwhile (its work, in the same
    // run, competes for the cores; it is waited for after the clock stops).
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("long.txt"), &file).expect("write the article");
    let lib = std::sync::Arc::new(qari::library::Library::open(&[dir.path().to_path_buf()]));
    group.bench_function("first frame in the reader", |b| {
        b.iter_custom(|iters| {
            let mut clock = std::time::Duration::ZERO;
            for _ in 0..iters {
                let mut app = qari::app::App::new(
                    std::sync::Arc::clone(&lib),
                    &qari::config::Config::default(),
                    qari::store::Shelf::in_memory(),
                    Options::default(),
                );
                app.handle(qari::app::Input::Resize(100, 30));
                let area = ratatui::layout::Rect::new(0, 0, 100, 30);
                let mut buf = ratatui::buffer::Buffer::empty(area);
                let start = std::time::Instant::now();
                app.open(0);
                qari::ui::render(&app, &qari::ui::Theme::default(), area, &mut buf);
                clock += start.elapsed();
                // Any input takes over the whole article (waiting for it).
                app.handle(qari::app::Input::Resize(100, 30));
                assert!(!app.reader().expect("open").is_partial());
            }
            clock
        });
    });
    // Every block prepared, every line broken, the first screen's cells: the whole work.
    for width in [80, 200] {
        group.bench_with_input(BenchmarkId::new("whole at", width), &width, |b, &w| {
            b.iter(|| {
                let prepared = PreparedArticle::new(&article, Options::default());
                let lines = prepared.lay_out(w);
                lines.len() + one_screen(&prepared, &lines)
            });
        });
    }
    // A resize: the prepared article's lines broken again for a new width, and a screen drawn.
    let prepared = PreparedArticle::new(&article, Options::default());
    for width in [80, 200] {
        group.bench_with_input(BenchmarkId::new("resize to", width), &width, |b, &w| {
            b.iter(|| {
                let lines = prepared.lay_out(w);
                lines.len() + one_screen(&prepared, &lines)
            });
        });
    }
    // Every line's cells, as `qari render` makes them.
    group.bench_function("every line's cells at 80", |b| {
        b.iter(|| lay_out_every_line(&article, 80));
    });
    group.bench_function("80, one block on one core", |b| {
        b.iter(|| lay_out(&text, 80, Options::default()).len());
    });
    group.finish();
}

criterion_group!(benches, corpus_at_80, one_megabyte);
criterion_main!(benches);
