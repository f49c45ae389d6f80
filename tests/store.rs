//! The library database: the index against the scanner, state under concurrency, moved files,
//! the old state file, foreign files, and kill -9 during indexing.

#[path = "../benches/support/store_corpus.rs"]
mod store_corpus;

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use qari::article::Place;
use qari::search::{Query, fold};
use qari::store::catalog::{canonical, record_key};
use qari::store::scan::files_under;
use qari::store::{Db, Pos, Reader};

/// The scanner's view of every article of `root`: (canonical path, key, folded fields).
fn scanner_view(root: &Path) -> Vec<(String, String, Vec<String>)> {
    let mut out = Vec::new();
    for f in files_under(root) {
        let bytes = std::fs::read(&f).unwrap();
        let format = qari::article::Format::from_path(&f).unwrap();
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        let loaded = qari::article::parse(&bytes, format, &name).unwrap();
        for a in loaded.articles {
            // Today's scanner folds the title and each block (ended by U+0001); the byline,
            // source and tags are searched the same way, each on its own.
            let mut body = String::new();
            for b in &a.blocks {
                body.push_str(&fold(&b.text));
                body.push('\u{1}');
            }
            let tags: Vec<String> = a.tags.iter().map(|t| fold(t)).collect();
            let fields = vec![
                fold(&a.title),
                body,
                a.byline.as_deref().map(fold).unwrap_or_default(),
                a.source.as_deref().map(fold).unwrap_or_default(),
                tags.join("\u{1}"),
            ];
            out.push((
                canonical(&f).unwrap(),
                record_key(&a.id, &name).to_owned(),
                fields,
            ));
        }
    }
    out
}

/// Whether the scanner finds `query` in an article of these folded `fields`: each term in one
/// of them.
fn scanner_finds(fields: &[String], query: &Query) -> bool {
    !query.is_empty()
        && query.terms.iter().all(|t| {
            let one = Query {
                terms: vec![t.clone()],
            };
            fields.iter().any(|f| one.matches(f))
        })
}

/// The (path, key) of every article of `view` the scanner finds for `query`.
fn scanner_set(
    view: &[(String, String, Vec<String>)],
    query: &Query,
) -> BTreeSet<(String, String)> {
    view.iter()
        .filter(|(_, _, fields)| scanner_finds(fields, query))
        .map(|(p, k, _)| (p.clone(), k.clone()))
        .collect()
}

fn index(root: &Path, db_path: &Path) -> Db {
    let (mut db, msg) = Db::open(db_path).unwrap();
    assert!(msg.is_none(), "{msg:?}");
    let done = db.scan(root, |_, _| {}).unwrap();
    assert!(done.problems.is_empty(), "{:?}", done.problems);
    db
}

#[test]
fn the_index_finds_exactly_what_the_scanner_finds() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("lib");
    store_corpus::write_library(&lib, 600, 7);
    let db = index(&lib, &dir.path().join("library.db"));
    let view = scanner_view(&lib);
    assert_eq!(db.count().unwrap(), view.len() as u64);
    let ids: Vec<i64> = view
        .iter()
        .map(|(p, k, _)| db.find(p, k).unwrap().expect("catalogued").id)
        .collect();
    let mut short = 0;
    let mut phrases = 0;
    let mut nonempty = 0;
    for q in store_corpus::queries(400, 11) {
        let query = Query::parse(&q);
        let want: BTreeSet<i64> = view
            .iter()
            .zip(&ids)
            .filter(|((_, _, fields), _)| scanner_finds(fields, &query))
            .map(|(_, id)| *id)
            .collect();
        let got: BTreeSet<i64> = db.matching(&query).unwrap().into_iter().collect();
        assert_eq!(got, want, "query {q:?} ({:?})", query.terms);
        let ranked = db.search(&query, 50).unwrap();
        assert_eq!(ranked.total, want.len(), "{q:?}");
        assert_eq!(ranked.top.len(), want.len().min(50));
        assert!(ranked.top.iter().all(|h| want.contains(&h.id)));
        assert!(
            ranked
                .top
                .windows(2)
                .all(|w| w[0].title_terms >= w[1].title_terms),
            "title matches first: {q:?}"
        );
        short += usize::from(query.terms.iter().any(|t| t.chars().count() <= 2));
        phrases += usize::from(query.terms.iter().any(|t| t.contains(' ')));
        nonempty += usize::from(!want.is_empty());
    }
    assert!(
        short > 50 && phrases > 50 && nonempty > 200,
        "{short} {phrases} {nonempty}"
    );
}

#[test]
fn titles_rank_first_and_bylines_sources_tags_are_searched() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("lib");
    std::fs::create_dir_all(&lib).unwrap();
    std::fs::write(
        lib.join("a.jsonl"),
        concat!(
            r#"{"id":"1","title":"Nothing here","body":"the hostage story, hostage again","author":"ماكغورك"}"#,
            "\n",
            r#"{"id":"2","title":"Hostage talks","body":"once","source":"الجزيرة","tags":["سياسة"]}"#,
            "\n"
        ),
    )
    .unwrap();
    let db = index(&lib, &dir.path().join("library.db"));
    let path = canonical(&lib.join("a.jsonl")).unwrap();
    let one = db.find(&path, "1").unwrap().unwrap().id;
    let two = db.find(&path, "2").unwrap().unwrap().id;
    let top = db.search(&Query::parse("hostage"), 50).unwrap().top;
    assert_eq!(top.iter().map(|h| h.id).collect::<Vec<_>>(), vec![two, one]);
    assert_eq!(
        db.matching(&Query::parse("ماكغورك")).unwrap(),
        vec![one],
        "byline"
    );
    assert_eq!(
        db.matching(&Query::parse("الجزيره")).unwrap(),
        vec![two],
        "source, folded"
    );
    assert_eq!(
        db.matching(&Query::parse("سياسه")).unwrap(),
        vec![two],
        "tag"
    );
}

#[test]
fn state_follows_a_moved_file_and_rescans_skip_unchanged_files() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("lib");
    std::fs::create_dir_all(lib.join("sub")).unwrap();
    std::fs::write(lib.join("a.txt"), "First title\n\nBody text here.\n").unwrap();
    std::fs::write(lib.join("b.txt"), "Second title\n\nOther text.\n").unwrap();
    let mut db = index(&lib, &dir.path().join("library.db"));
    let me = Reader::local();
    let a = db
        .find(&canonical(&lib.join("a.txt")).unwrap(), "")
        .unwrap()
        .unwrap();
    let pos = Pos {
        place: Place::Block(0),
        offset: 5,
    };
    db.update_state(&me, &a.identity, |s| {
        s.bookmark = true;
        s.pos = Some(pos);
    })
    .unwrap();
    let again = db.scan(&lib, |_, _| {}).unwrap();
    assert_eq!(
        (again.files, again.stored_files),
        (2, 0),
        "nothing read again"
    );
    std::fs::rename(lib.join("a.txt"), lib.join("sub/renamed.txt")).unwrap();
    let moved = db.scan(&lib, |_, _| {}).unwrap();
    assert_eq!((moved.stored_files, moved.removed), (1, 1));
    assert_eq!(db.count().unwrap(), 2);
    let b = db
        .find(&canonical(&lib.join("sub/renamed.txt")).unwrap(), "")
        .unwrap()
        .unwrap();
    let s = db.state(&me, &b.identity).unwrap();
    assert!(s.bookmark && s.pos == Some(pos), "{s:?}");
    assert_eq!(db.states(&me).unwrap(), vec![(b.id, s)]);
    assert!(
        !db.state(&Reader::ssh("SHA256:other"), &b.identity)
            .unwrap()
            .bookmark,
        "per reader"
    );
}

#[test]
fn many_connections_changing_state_at_once_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("lib");
    store_corpus::write_library(&lib, 80, 3);
    let db_path = dir.path().join("library.db");
    let db = index(&lib, &db_path);
    let rows = db.page(qari::store::Order::Id, 0, 1000).unwrap();
    assert_eq!(rows.len(), 80);
    drop(db);
    let threads = 8;
    std::thread::scope(|s| {
        for t in 0..threads {
            let (rows, db_path) = (&rows, &db_path);
            s.spawn(move || {
                let (mut db, _) = Db::open(db_path).unwrap();
                let me = Reader::local();
                for round in 0..6 {
                    for (i, r) in rows.iter().enumerate().filter(|(i, _)| i % threads == t) {
                        db.update_state(&me, &r.identity, |s| {
                            s.bookmark = !s.bookmark;
                            s.pos = Some(Pos {
                                place: Place::Block(round),
                                offset: i,
                            });
                        })
                        .unwrap();
                        // Every thread also marks every article read: the same rows, at once.
                        db.update_state(&me, &rows[(i + round) % rows.len()].identity, |s| {
                            s.read = true;
                        })
                        .unwrap();
                    }
                }
            });
        }
    });
    let (db, _) = Db::open(&db_path).unwrap();
    let me = Reader::local();
    for (i, r) in rows.iter().enumerate() {
        let s = db.state(&me, &r.identity).unwrap();
        assert!(!s.bookmark, "toggled six times: {i}");
        assert_eq!(
            s.pos,
            Some(Pos {
                place: Place::Block(5),
                offset: i
            }),
            "{i}"
        );
        assert!(s.read, "{i}");
    }
}

#[test]
fn the_old_state_file_is_imported_once() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("lib");
    std::fs::create_dir_all(lib.join("sub")).unwrap();
    std::fs::write(lib.join("sub/a.txt"), "A title\n\nBody.\n").unwrap();
    std::fs::write(
        lib.join("r.jsonl"),
        "{\"id\":\"x#1\",\"title\":\"T\",\"body\":\"b\"}\n",
    )
    .unwrap();
    let mut db = index(&lib, &dir.path().join("library.db"));
    let r_path = canonical(&lib.join("r.jsonl")).unwrap();
    let rows = db.page(qari::store::Order::Id, 0, 10).unwrap();
    let r_key = rows
        .iter()
        .find(|r| r.identity.path == r_path)
        .unwrap()
        .identity
        .key
        .clone();
    let state = dir.path().join("state.json");
    let json = serde_json::json!({"version": 1, "articles": {
        "sub/a.txt": {"read": true, "bookmark": true, "position": {"block": 2, "offset": 7}, "updated": 5},
        format!("r.jsonl#{r_key}"): {"bookmark": true, "updated": 6},
        "gone.txt": {"read": true, "updated": 7},
    }});
    std::fs::write(&state, json.to_string()).unwrap();
    let me = Reader::local();
    let done = db
        .import_state_json(&state, std::slice::from_ref(&lib), &me)
        .unwrap()
        .unwrap();
    assert_eq!((done.taken, done.unmatched), (2, 1));
    let a = db
        .find(&canonical(&lib.join("sub/a.txt")).unwrap(), "")
        .unwrap()
        .unwrap();
    let s = db.state(&me, &a.identity).unwrap();
    assert!(s.read && s.bookmark);
    assert_eq!(
        s.pos,
        Some(Pos {
            place: Place::Block(2),
            offset: 7
        })
    );
    let r = db.find(&r_path, &r_key).unwrap().unwrap();
    assert!(db.state(&me, &r.identity).unwrap().bookmark);
    db.update_state(&me, &a.identity, |s| s.bookmark = false)
        .unwrap();
    assert_eq!(
        db.import_state_json(&state, &[lib], &me).unwrap(),
        None,
        "once"
    );
    assert!(!db.state(&me, &a.identity).unwrap().bookmark);
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn foreign_and_corrupt_files_are_moved_aside() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("library.db");
    std::fs::write(
        &path,
        b"this is not a database at all, just some text that is long enough",
    )
    .unwrap();
    let (db, msg) = Db::open(&path).unwrap();
    let msg = msg.expect("told");
    assert!(
        msg.contains("library.db is not an SQLite database; it was moved to "),
        "{msg}"
    );
    assert!(msg.ends_with("a new library database was made.") && msg.matches(". ").count() == 0);
    assert_eq!(db.count().unwrap(), 0);
    drop(db);
    let aside: Vec<String> = names(dir.path())
        .into_iter()
        .filter(|n| n.contains(".corrupt-"))
        .collect();
    assert_eq!(aside.len(), 1, "{aside:?}");
    assert!(
        std::fs::read(dir.path().join(&aside[0]))
            .unwrap()
            .starts_with(b"this is not")
    );

    // Another program's SQLite file.
    let other = dir.path().join("other.db");
    let conn = rusqlite::Connection::open(&other).unwrap();
    conn.execute_batch("CREATE TABLE notes(x); INSERT INTO notes VALUES (1);")
        .unwrap();
    drop(conn);
    let (_, msg) = Db::open(&other).unwrap();
    assert!(
        msg.unwrap()
            .contains("other.db is not a qari library database")
    );

    // A newer qari's file is not overwritten either.
    let newer = dir.path().join("newer.db");
    let (db, _) = Db::open(&newer).unwrap();
    drop(db);
    let conn = rusqlite::Connection::open(&newer).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    let (_, msg) = Db::open(&newer).unwrap();
    assert!(
        msg.unwrap()
            .contains("was written by a newer qari (schema 99")
    );

    // A file whose pages are damaged.
    let damaged = dir.path().join("damaged.db");
    let lib = dir.path().join("lib");
    store_corpus::write_library(&lib, 40, 1);
    drop(index(&lib, &damaged));
    let mut bytes = std::fs::read(&damaged).unwrap();
    let len = bytes.len();
    for b in &mut bytes[4096..len - 4096] {
        *b = 0x5a;
    }
    std::fs::write(&damaged, &bytes).unwrap();
    let (db, msg) = Db::open(&damaged).unwrap();
    assert!(msg.unwrap().contains("damaged.db was damaged"));
    assert_eq!(db.integrity_check().unwrap(), Vec::<String>::new());
}

#[test]
fn a_database_that_cannot_be_written_is_a_typed_error() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("blocker");
    std::fs::write(&blocker, "").unwrap();
    let e = Db::open(&blocker.join("library.db")).unwrap_err();
    let text = e.to_string();
    assert!(
        text.starts_with("the library database ") && text.contains("blocker/library.db"),
        "{text}"
    );
    // Read-only: a file the process may not write (as root every file is writable, so the
    // check is made only where permissions hold).
    let ro = dir.path().join("ro");
    std::fs::create_dir_all(&ro).unwrap();
    let path = ro.join("library.db");
    drop(Db::open(&path).unwrap());
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o400)).unwrap();
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o500)).unwrap();
    let privileged = std::fs::write(ro.join("probe"), "").is_ok();
    if !privileged {
        match Db::open(&path) {
            Err(qari::store::StoreError::ReadOnly { .. }) => {}
            Ok((mut db, _)) => {
                let rows = db.page(qari::store::Order::Id, 0, 1).unwrap();
                assert!(rows.is_empty());
                let e = db.upsert(&[]).unwrap_err();
                assert!(matches!(e, qari::store::StoreError::ReadOnly { .. }), "{e}");
            }
            Err(e) => panic!("{e}"),
        }
    }
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o700)).unwrap();
}

/// The child of the kill test: indexes the library named by `QARI_STORE_KILL_LIB` into the
/// database named by `QARI_STORE_KILL_DB` until it is killed.
#[test]
#[ignore = "run by kill_9_during_indexing_loses_at_most_the_last_transaction"]
fn kill_child() {
    let (Some(lib), Some(db)) = (
        std::env::var_os("QARI_STORE_KILL_LIB"),
        std::env::var_os("QARI_STORE_KILL_DB"),
    ) else {
        return;
    };
    let (db, _) = Db::open(Path::new(&db)).unwrap();
    let mut db = db.with_batches(KILL_BATCH, u64::MAX);
    db.scan(Path::new(&lib), |_, _| {}).unwrap();
}

/// The files a transaction of the scan killed holds: small, so kills land between them.
const KILL_BATCH: usize = 256;

#[test]
fn kill_9_during_indexing_loses_at_most_the_last_transaction() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("lib");
    store_corpus::write_library(&lib, 1500, 5);
    let total_files = files_under(&lib).len();
    let exe = std::env::current_exe().unwrap();
    let mut rng = store_corpus::Rng::new(std::process::id().into());
    let mut killed_midway = 0;
    for round in 0..8 {
        let db_path: PathBuf = dir.path().join(format!("k{round}.db"));
        let mut child = std::process::Command::new(&exe)
            .args(["--exact", "kill_child", "--ignored", "--test-threads=1"])
            .env("QARI_STORE_KILL_LIB", &lib)
            .env("QARI_STORE_KILL_DB", &db_path)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(
            200 + rng.below(2500) as u64,
        ));
        // SIGKILL.
        child.kill().unwrap();
        child.wait().unwrap();
        let (db, msg) = Db::open(&db_path).unwrap();
        assert!(msg.is_none(), "round {round}: {msg:?}");
        assert_eq!(
            db.integrity_check().unwrap(),
            Vec::<String>::new(),
            "round {round}"
        );
        // Whole transactions only: every batch of files is there with all its articles, and
        // every article with its index entry.
        let rows = db.page(qari::store::Order::Id, 0, u64::MAX >> 1).unwrap();
        let paths: HashSet<&str> = rows.iter().map(|r| r.identity.path.as_str()).collect();
        let batch = KILL_BATCH;
        assert!(
            paths.len().is_multiple_of(batch) || paths.len() == total_files,
            "round {round}: {} files",
            paths.len()
        );
        let everything = db.matching(&Query::parse("\u{1}")).unwrap().len();
        assert_eq!(
            everything,
            rows.len(),
            "round {round}: every article indexed"
        );
        killed_midway += usize::from(paths.len() < total_files);
    }
    assert!(killed_midway > 0, "no kill landed during indexing");
    // The last database, scanned to the end, holds the whole library.
    let (mut db, _) = Db::open(&dir.path().join("k7.db")).unwrap();
    db.scan(&lib, |_, _| {}).unwrap();
    let paths: HashSet<String> = db
        .page(qari::store::Order::Id, 0, u64::MAX >> 1)
        .unwrap()
        .into_iter()
        .map(|r| r.identity.path)
        .collect();
    assert_eq!(paths.len(), total_files);
}

/// `qari search` answers from the database the set the reader's own scan of the library
/// gives: every term in a folded field of the article, and every field filter as the reader's
/// prompt applies it (reading state included), over a generated library.
#[test]
fn qari_search_gives_the_readers_set_with_field_filters() {
    use qari::app::{Facts, Fields};
    use qari::library::Library;
    let dir = tempfile::tempdir().unwrap();
    let lib_dir = dir.path().join("lib");
    store_corpus::write_library(&lib_dir, 160, 5);
    let db_path = dir.path().join("library.db");
    let lib = Library::open(std::slice::from_ref(&lib_dir));
    // Some reading state, through the app's shelf.
    let (mut shelf, msg) = qari::store::Shelf::open(&db_path, Reader::local(), None, &|_| None);
    assert!(msg.is_none(), "{msg:?}");
    for i in (0..lib.len()).step_by(3) {
        shelf.update(&lib.entry(i).identity, |s| {
            s.read = true;
            s.bookmark = i % 2 == 0;
        });
    }
    drop(shelf);
    let mut queries: Vec<String> = store_corpus::queries(40, 3);
    queries.extend(
        [
            "«ال»",
            "ال is:unread",
            "is:bookmarked",
            "is:read lang:ar",
            "lang:en the",
            "source:الجزيره",
            "author:ماكغورك",
            "tag:سياسه ال",
            "source:bbc is:unread",
            "ماكغورك",
        ]
        .map(str::to_owned),
    );
    let (shelf, _) = qari::store::Shelf::open(&db_path, Reader::local(), None, &|_| None);
    let mut nonempty = 0;
    for q in &queries {
        let split = Fields::split(q);
        let query = Query::parse(&split.words);
        if query.is_empty() && split.fields.is_empty() {
            continue; // refused as empty
        }
        let want: BTreeSet<String> = (0..lib.len())
            .filter(|&i| {
                let a = lib.article(i).unwrap();
                let fields = qari::store::IndexDoc::of(&a).folded();
                let words = query.is_empty() || qari::store::fts::scan_matches(&fields, &query);
                let state = shelf.get(&lib.entry(i).identity);
                // The list's entry holds what the article gives the filters.
                let facts = Facts {
                    lang: Some(a.lang),
                    source: a.source.as_deref(),
                    author: a.byline.as_deref(),
                    tags: &a.tags,
                };
                assert_eq!(Facts::from(lib.entry(i)), facts, "{}", a.id);
                words && split.fields.matches(&facts, &state)
            })
            .map(|i| lib.entry(i).id.clone())
            .collect();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_qari"))
            .args(["search", "--json", q])
            .arg(&lib_dir)
            .arg("--db")
            .arg(&db_path)
            .env("QARI_CONFIG", "/nonexistent/config.toml")
            .output()
            .unwrap();
        let hits: Vec<serde_json::Value> = if out.stdout.is_empty() {
            Vec::new()
        } else {
            serde_json::from_slice(&out.stdout).unwrap()
        };
        let got: BTreeSet<String> = hits
            .iter()
            .map(|h| h["id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(got, want, "query {q:?}");
        assert_eq!(out.status.code(), Some(i32::from(want.is_empty())));
        nonempty += usize::from(!want.is_empty());
    }
    assert!(nonempty > 30, "{nonempty} queries found something");
}

/// The reader's search through the database: (canonical path, key) of each hit of `query`.
fn reader_hits(
    lib: &qari::library::Library,
    index: &qari::search::Index,
    query: &Query,
) -> Vec<(String, String)> {
    index
        .search(query)
        .into_iter()
        .map(|h| {
            let e = lib.entry(h.index);
            (e.identity.path.clone(), e.identity.key.clone())
        })
        .collect()
}

#[test]
fn the_readers_search_through_the_database_finds_what_the_scanner_finds() {
    use qari::search::SharedIndex;
    use std::sync::Arc;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("lib");
    store_corpus::write_library(&root, 300, 5);
    let lib = Arc::new(qari::library::Library::open(std::slice::from_ref(&root)));
    let shared = SharedIndex::with_finder(qari::store::finder::maker(
        dir.path().join("library.db"),
        vec![root.clone()],
    ));
    assert!(shared.uses_database());
    let index = shared.get_or_build(&lib);
    assert!(index.is_database(), "the database holds the whole library");
    let line = shared.progress().line().expect("the first build counted");
    let files = files_under(&root).len();
    assert!(
        line.starts_with(&format!("indexed {files} of {files} files · ")),
        "{line}"
    );
    let memory = qari::search::Index::build(&lib);
    let view = scanner_view(&root);
    let mut nonempty = 0;
    for q in store_corpus::queries(200, 3) {
        let query = Query::parse(&q);
        let want = scanner_set(&view, &query);
        let hits = reader_hits(&lib, &index, &query);
        let got: BTreeSet<(String, String)> = hits.iter().cloned().collect();
        assert_eq!(got.len(), hits.len(), "each article once: {q:?}");
        assert_eq!(got, want, "query {q:?}");
        // What the in-memory index finds (titles and bodies only) is among them.
        let in_memory: BTreeSet<(String, String)> =
            reader_hits(&lib, &memory, &query).into_iter().collect();
        assert!(in_memory.is_subset(&got), "{q:?}");
        let ranked = index.search(&query);
        assert!(
            ranked
                .windows(2)
                .all(|w| w[0].title_terms >= w[1].title_terms),
            "title matches first: {q:?}"
        );
        nonempty += usize::from(!want.is_empty());
    }
    assert!(nonempty > 100, "{nonempty}");
    // A search cancelled (a newer key) gives no answer.
    let cancelled = std::sync::atomic::AtomicBool::new(true);
    assert_eq!(
        index.search_cancellable(&Query::parse("ال"), None, &cancelled),
        None
    );

    // A later start reads no file: the rescan finds every one unchanged.
    let again = SharedIndex::with_finder(qari::store::finder::maker(
        dir.path().join("library.db"),
        vec![root.clone()],
    ));
    assert!(again.get_or_build(&lib).is_database());
    assert_eq!(again.progress().line(), None, "no batch was read");
}

#[test]
fn a_library_from_the_catalog_is_searched_at_once_and_a_rescanned_one_updates_the_database() {
    use qari::search::SharedIndex;
    use std::sync::Arc;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("lib");
    store_corpus::write_library(&root, 120, 4);
    let db_path = dir.path().join("library.db");
    let db = index(&root, &db_path);
    let roots = vec![root.clone()];
    let stored = Arc::new(qari::library::Library::from_catalog(&db, &roots).unwrap());
    drop(db);
    // A file added since: not in the catalog, nor in what the catalog's library shows.
    std::fs::write(
        root.join("late.txt"),
        "Zanzibar\n2024-05-01\n\nzanzibar text\n",
    )
    .unwrap();
    let shared =
        SharedIndex::with_finder(qari::store::finder::maker(db_path.clone(), roots.clone()));
    let index = shared.get_or_build(&stored);
    assert!(index.is_database());
    assert_eq!(shared.progress().line(), None, "no file was read");
    let (db, _) = Db::open(&db_path).unwrap();
    assert_eq!(
        db.matching(&Query::parse("zanzibar")).unwrap(),
        Vec::<i64>::new(),
        "the database was not rescanned"
    );
    // Its hits name the articles of the catalog's library that hold the terms.
    let view = scanner_view(&root);
    for q in store_corpus::queries(40, 2) {
        let query = Query::parse(&q);
        let mut want = scanner_set(&view, &query);
        want.retain(|(p, _)| !p.ends_with("late.txt"));
        let got: BTreeSet<(String, String)> =
            reader_hits(&stored, &index, &query).into_iter().collect();
        assert_eq!(got, want, "query {q:?}");
    }
    // The library the watcher reads next is searched once the database has the new file.
    let walked = Arc::new(stored.rescan(&roots).expect("a file was added"));
    let next = shared.successor(1);
    let index = next.get_or_build(&walked);
    assert!(index.is_database());
    let hits = reader_hits(&walked, &index, &Query::parse("zanzibar"));
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert!(hits[0].0.ends_with("late.txt"), "{hits:?}");
}

/// The database's scan reads the files the library lists: a linked folder's articles (once),
/// not a hidden folder's; so the reader's search of such a library goes through the database.
#[cfg(unix)]
#[test]
fn the_scan_follows_linked_folders_and_skips_hidden_ones_as_the_library_does() {
    use qari::search::SharedIndex;
    use std::sync::Arc;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("lib");
    let elsewhere = dir.path().join("elsewhere");
    std::fs::create_dir_all(root.join(".hidden")).unwrap();
    std::fs::create_dir_all(&elsewhere).unwrap();
    std::fs::write(root.join("own.txt"), "Own\n2024-05-01\n\nplain words\n").unwrap();
    std::fs::write(
        root.join(".hidden/secret.txt"),
        "Secret\n2024-05-01\n\nhidden words\n",
    )
    .unwrap();
    std::fs::write(
        elsewhere.join("linked.txt"),
        "Linked\n2024-05-01\n\nlinked words\n",
    )
    .unwrap();
    std::os::unix::fs::symlink(&elsewhere, root.join("link")).unwrap();
    // A second link to the same folder is read once.
    std::os::unix::fs::symlink(&elsewhere, root.join("link2")).unwrap();
    let lib = Arc::new(qari::library::Library::open(std::slice::from_ref(&root)));
    let ids: BTreeSet<&str> = lib.entries().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, BTreeSet::from(["link/linked.txt", "own.txt"]));
    let db_path = dir.path().join("library.db");
    let shared = SharedIndex::with_finder(qari::store::finder::maker(
        db_path.clone(),
        vec![root.clone()],
    ));
    let index = shared.get_or_build(&lib);
    assert!(index.is_database(), "the database holds the whole library");
    let hits = reader_hits(&lib, &index, &Query::parse("linked"));
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert!(reader_hits(&lib, &index, &Query::parse("hidden")).is_empty());
    let (db, _) = Db::open(&db_path).unwrap();
    let rows = db.page(qari::store::Order::Id, 0, 100).unwrap();
    assert_eq!(rows.len(), 2, "{rows:?}");
}

#[test]
fn a_library_the_database_does_not_hold_whole_is_searched_in_memory() {
    use qari::search::SharedIndex;
    use std::sync::Arc;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("lib");
    store_corpus::write_library(&root, 20, 9);
    let other = dir.path().join("other.txt");
    std::fs::write(&other, "An extra article\n\nhostage text\n").unwrap();
    // The library has a file the database is not told to scan.
    let lib = Arc::new(qari::library::Library::open(&[root.clone(), other]));
    let shared = SharedIndex::with_finder(qari::store::finder::maker(
        dir.path().join("library.db"),
        vec![root],
    ));
    let index = shared.get_or_build(&lib);
    assert!(!index.is_database());
    let hits = index.search(&Query::parse("hostage text"));
    assert!(
        hits.iter()
            .any(|h| lib.entry(h.index).title == "An extra article"),
        "{hits:?}"
    );
}

#[test]
fn an_article_kept_open_after_its_file_went_leaves_the_search_in_the_database() {
    use qari::search::SharedIndex;
    use std::sync::Arc;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("lib");
    store_corpus::write_library(&root, 20, 9);
    let old = qari::library::Library::open(std::slice::from_ref(&root));
    // The first article is open when its file goes: the new library keeps it, listed nowhere.
    let open = old.article(0).unwrap();
    let path = std::path::PathBuf::from(&old.entry(0).identity.path);
    std::fs::remove_file(&path).unwrap();
    let mut new = old
        .rescan(std::slice::from_ref(&root))
        .expect("a file went");
    let gone = new.keep_gone(&old, 0, Arc::clone(&open));
    assert!(new.is_gone(gone));
    let lib = Arc::new(new);
    let shared = SharedIndex::with_finder(qari::store::finder::maker(
        dir.path().join("library.db"),
        vec![root],
    ));
    let index = shared.get_or_build(&lib);
    assert!(
        index.is_database(),
        "the database still holds the library listed"
    );
    let word = open.title.split_whitespace().next().unwrap().to_owned();
    assert!(
        index
            .search(&Query::parse(&word))
            .iter()
            .all(|h| h.index != gone),
        "the article gone is found by no search"
    );
}
