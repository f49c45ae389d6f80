use std::path::{Path, PathBuf};

use super::*;
use crate::library::{Loading, SortKey};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

/// A library of every kind of file the catalog keeps (one article a file, records of JSONL,
/// JSON, feeds and tables, legacy encodings, a manifest's source and address, a subfolder).
fn library() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("sub");
    std::fs::create_dir(&sub).unwrap();
    for (from, to) in [
        ("formats/report.md", "report.md"),
        ("formats/page.html", "page.html"),
        ("formats/stream.jsonl", "stream.jsonl"),
        ("formats/feed.json", "feed.json"),
        ("feeds/arabic.rss", "sub/arabic.rss"),
        ("feeds/dataset.csv", "sub/dataset.csv"),
        ("encodings/cp1256.txt", "sub/cp1256.txt"),
        ("encodings/utf16le.txt", "utf16le.txt"),
    ] {
        std::fs::copy(Path::new(FIXTURES).join(from), dir.path().join(to)).unwrap();
    }
    std::fs::write(
        dir.path().join("seed.txt"),
        "عنوان الخبر\nالسبت 16 مارس 2024\n\nنص الخبر هنا.\n\nبريت ماكغورك\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("manifest.tsv"),
        "file\tsource\turl\nseed.txt\tجريدة الاختبار\thttps://example.com/seed\n",
    )
    .unwrap();
    dir
}

/// A folder outside `dir` holding articles (one in a subfolder), linked from `dir` as
/// `linked` (on systems with links).
fn link_outside(dir: &Path) -> tempfile::TempDir {
    let outside = tempfile::tempdir().unwrap();
    std::fs::create_dir(outside.path().join("deep")).unwrap();
    std::fs::write(outside.path().join("far.md"), "# Far away\n\nLinked in.\n").unwrap();
    std::fs::write(
        outside.path().join("deep/near.txt"),
        "Near\n2024-03-16\n\nDeeper in.\n",
    )
    .unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(outside.path(), dir.join("linked")).unwrap();
    outside
}

fn scanned(paths: &[PathBuf]) -> Db {
    let mut db = Db::in_memory().unwrap();
    for p in paths {
        db.scan(p, |_, _| {}).unwrap();
    }
    db
}

/// What the list and the reader take from an entry, to compare two libraries by.
fn shown(lib: &Library) -> Vec<String> {
    lib.entries().map(shown_entry).collect()
}

fn shown_entry(e: &Entry) -> String {
    format!(
        "{} | {} | {} | {:?} | {:?} | {:?} | {:?} | {} | {:?} | {:?} | {:?} | {} | {:?}",
        e.id,
        e.path,
        e.title,
        e.date,
        e.dates,
        e.lang,
        e.direction,
        e.words,
        e.source,
        e.byline,
        e.tags,
        e.encoding.name,
        e.identity,
    )
}

#[test]
fn the_catalog_gives_the_library_the_files_give() {
    let dir = library();
    let _outside = link_outside(dir.path());
    for paths in [
        vec![dir.path().to_path_buf()],
        vec![dir.path().join("sub"), dir.path().join("seed.txt")],
    ] {
        let db = scanned(&paths);
        let stored = Library::from_catalog(&db, &paths).expect("the catalog holds them");
        let walked = Library::open(&paths);
        assert!(walked.len() > 5, "{}", walked.len());
        if paths.len() == 1 && cfg!(unix) {
            // The articles of a linked folder are the folder's, by their path through it.
            for id in ["linked/far.md", "linked/deep/near.txt"] {
                assert!(stored.position(id).is_some(), "{id}: {:?}", shown(&stored));
            }
            // So the watcher's rescan finds nothing added.
            assert!(stored.rescan(&paths).is_none());
        }
        assert_eq!(shown(&stored), shown(&walked));
        // Bylines and tags are in the list, so `author:` and `tag:` read no body.
        assert!(walked.entries().any(|e| e.byline.is_some()));
        if paths.len() == 1 {
            assert!(walked.entries().any(|e| !e.tags.is_empty()));
        }
        assert_eq!((stored.name(), stored.key()), (walked.name(), walked.key()));
        assert!(stored.is_from_catalog() && !walked.is_from_catalog());
        // Each article opens as the walked library's does, the manifest's source and address
        // included, read from its file then.
        assert!(
            (0..stored.len()).all(|i| stored.loaded(i).is_none()),
            "no body is read to list"
        );
        for i in 0..walked.len() {
            let (a, b) = (stored.article(i).unwrap(), walked.article(i).unwrap());
            assert_eq!(
                (&a.id, &a.title, &a.blocks, &a.source, &a.url),
                (&b.id, &b.title, &b.blocks, &b.source, &b.url)
            );
        }
    }
}

#[test]
fn the_catalog_stands_for_a_folder_only_once_a_scan_of_it_ended() {
    let dir = library();
    let root = dir.path().to_path_buf();
    let db = Db::in_memory().unwrap();
    assert!(Library::from_catalog(&db, std::slice::from_ref(&root)).is_none());
    // A scan of the parent covers a folder under it; one of a subfolder does not cover the
    // parent.
    let db = scanned(&[root.join("sub")]);
    assert!(Library::from_catalog(&db, std::slice::from_ref(&root)).is_none());
    assert!(Library::from_catalog(&db, &[root.join("sub")]).is_some());
    let db = scanned(std::slice::from_ref(&root));
    let sub = Library::from_catalog(&db, &[root.join("sub")]).unwrap();
    assert!(
        sub.entries().all(|e| !e.id.starts_with("sub/")),
        "ids are relative to it"
    );
    assert_eq!(sub.len(), Library::open(&[root.join("sub")]).len());
    // An empty catalog of a folder shows nothing: the files are read instead.
    let empty = tempfile::tempdir().unwrap();
    let db = scanned(&[empty.path().to_path_buf()]);
    assert!(Library::from_catalog(&db, &[empty.path().to_path_buf()]).is_none());
}

#[test]
fn a_rescan_of_the_catalogs_library_reads_only_what_changed() {
    let dir = library();
    let paths = vec![dir.path().to_path_buf()];
    let db = scanned(&paths);
    let stored = Library::from_catalog(&db, &paths).unwrap();
    // Nothing changed since the scan: the rescan reads no file and finds nothing new.
    assert!(stored.rescan(&paths).is_none());
    // A file added and one changed since: only those are read; the rest keep the catalog's.
    std::fs::write(dir.path().join("new.txt"), "New one\n2024-05-01\n\nBody.\n").unwrap();
    std::fs::write(
        dir.path().join("seed.txt"),
        "عنوان آخر\nالسبت 16 مارس 2024\n\nنص آخر.\n",
    )
    .unwrap();
    // A file whose size and mtime are as the catalog has them is taken as it: its bytes are
    // changed here behind the stamp's back, to show it is not read.
    let report = dir.path().join("report.md");
    let (bytes, mtime) = (
        std::fs::read(&report).unwrap(),
        std::fs::metadata(&report).unwrap().modified().unwrap(),
    );
    let title = stored
        .entry(stored.position("report.md").unwrap())
        .title
        .clone();
    let swapped = String::from_utf8(bytes).unwrap().replacen(
        &title.chars().take(2).collect::<String>(),
        "ZZZZ",
        1,
    );
    std::fs::write(&report, swapped).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&report)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    let new = stored.rescan(&paths).expect("two files changed");
    assert!(!new.is_from_catalog());
    assert_eq!(new.len(), stored.len() + 1);
    let seed = new.position("seed.txt").unwrap();
    assert_eq!(
        new.entry(seed).title,
        "عنوان آخر",
        "the changed file was read"
    );
    let report = new.position("report.md").unwrap();
    assert_eq!(new.entry(report).title, title, "the unchanged one was not");
    assert_eq!(
        new.changes_from(&stored).as_deref(),
        Some("the library changed: 1 article added, 1 changed")
    );
}

#[test]
fn a_catalog_library_is_checked_against_the_files_at_once() {
    let dir = library();
    let paths = vec![dir.path().to_path_buf()];
    let db = scanned(&paths);
    std::fs::write(dir.path().join("late.txt"), "Late\n2024-05-01\n\nBody.\n").unwrap();
    let stored = std::sync::Arc::new(Library::from_catalog(&db, &paths).unwrap());
    assert!(stored.position("late.txt").is_none());
    let feed = crate::library::watch(paths, stored);
    let start = std::time::Instant::now();
    while feed.latest().0 == 0 {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(20),
            "the watcher did not read the folder"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(feed.latest().1.position("late.txt").is_some());
}

#[test]
fn the_first_page_is_the_top_of_the_list_of_the_whole_library() {
    let dir = library();
    let _outside = link_outside(dir.path());
    // Articles that share a date (ties), undated ones, and records of one file among them.
    let more = dir.path().join("more");
    std::fs::create_dir(&more).unwrap();
    for i in 0..6 {
        let date = if i % 3 == 2 {
            String::new()
        } else {
            "2024-03-16\n".to_owned()
        };
        std::fs::write(
            more.join(format!("{i}.txt")),
            format!("Title {i}\n{date}\nBody {i}.\n"),
        )
        .unwrap();
    }
    std::fs::write(
        more.join("records.jsonl"),
        concat!(
            r#"{"id": "b", "title": "B", "date": "2024-03-16", "body": "Two."}"#,
            "\n",
            r#"{"id": "a", "title": "A", "date": "2024-03-16", "body": "One."}"#,
            "\n",
            r#"{"id": "c", "title": "C", "body": "Undated."}"#,
            "\n",
        ),
    )
    .unwrap();
    for paths in [
        vec![dir.path().to_path_buf()],
        vec![
            dir.path().join("sub"),
            dir.path().join("seed.txt"),
            more.clone(),
        ],
    ] {
        let db = scanned(&paths);
        let walked = Library::open(&paths);
        let listed: Vec<String> = walked
            .view(SortKey::Date)
            .into_iter()
            .map(|i| shown_entry(walked.entry(i)))
            .collect();
        assert!(listed.len() > 12, "{}", listed.len());
        for n in [1, 4, listed.len() - 1, listed.len(), listed.len() + 5] {
            let page = Library::first_page(&db, &paths, n).expect("the catalog holds them");
            let want = &listed[..n.min(listed.len())];
            assert_eq!(shown(&page), want, "{n} of {paths:?}");
            assert_eq!(page.loading(), Some(Loading::Rest(listed.len())));
            assert_eq!(
                page.view(SortKey::Date),
                (0..want.len()).collect::<Vec<_>>()
            );
            assert_eq!((page.name(), page.key()), (walked.name(), walked.key()));
            // Each opens as the same article of the walked library does.
            for i in 0..page.len() {
                let j = walked.position(&page.entry(i).id).unwrap();
                let (a, b) = (page.article(i).unwrap(), walked.article(j).unwrap());
                assert_eq!(
                    (&a.id, &a.title, &a.blocks, &a.source, &a.url),
                    (&b.id, &b.title, &b.blocks, &b.source, &b.url)
                );
            }
        }
        let whole = Library::from_catalog(&db, &paths).unwrap();
        assert_eq!(whole.loading(), None);
    }
    // As for the whole catalog: no page of a folder never scanned, nor of nothing.
    let db = Db::in_memory().unwrap();
    assert!(Library::first_page(&db, &[dir.path().to_path_buf()], 10).is_none());
    let more = std::slice::from_ref(&more);
    assert!(Library::first_page(&scanned(more), more, 0).is_none());
}
