use super::*;
use crate::search::Query;

fn ident(path: &str, key: &str, bytes: &[u8]) -> Identity {
    Identity {
        path: path.to_owned(),
        key: key.to_owned(),
        fingerprint: catalog::fingerprint(bytes),
    }
}

fn row(identity: Identity, title: &str) -> ArticleRow {
    ArticleRow {
        id: 0,
        identity,
        size: 10,
        mtime: 1,
        title: title.to_owned(),
        date: None,
        date_text: None,
        lang: "ar".to_owned(),
        source: None,
        author: None,
        url: None,
        tags: vec!["سياسة".to_owned()],
        words: 3,
        place: 0,
        rtl: true,
        encoding: crate::article::TextEncoding::UTF8,
        dates: Vec::new(),
    }
}

fn doc(title: &str, body: &[&str]) -> Indexed {
    Indexed::from(&IndexDoc {
        title: title.to_owned(),
        blocks: body.iter().map(|s| (*s).to_owned()).collect(),
        ..IndexDoc::default()
    })
}

#[test]
fn short_long_and_phrase_terms_find_what_the_scanner_finds() {
    let mut db = Db::in_memory().unwrap();
    let ids = db
        .upsert(&[
            (
                row(ident("/a", "", b"a"), "الأراضي"),
                doc("الأراضي", &["قال المسؤولُ إنَّ"]),
            ),
            (
                row(ident("/b", "", b"b"), "News"),
                doc("BBC News", &["of the day", "next"]),
            ),
        ])
        .unwrap();
    let q = |s: &str| db.matching(&Query::parse(s)).unwrap();
    assert_eq!(q("الاراضي"), vec![ids[0]]);
    assert_eq!(q("ال"), vec![ids[0]], "two letters");
    assert_eq!(q("ا"), vec![ids[0]], "one letter");
    assert_eq!(q("مسئول"), vec![ids[0]], "hamza seats fold alike");
    assert_eq!(q("news"), vec![ids[1]]);
    assert_eq!(q("\"of the\""), vec![ids[1]]);
    assert!(q("\"day next\"").is_empty(), "no phrase crosses blocks");
    assert!(q("\"the of\"").is_empty());
    assert_eq!(q("of"), vec![ids[1]]);
    assert!(q("of ال").is_empty(), "all terms must occur");
    let ranked = db.search(&Query::parse("news"), 50).unwrap();
    assert_eq!((ranked.total, ranked.top[0].title_terms), (1, 1));
}

#[test]
fn changing_an_article_replaces_its_index_entry_and_keeps_its_state() {
    let mut db = Db::in_memory().unwrap();
    let reader = Reader::local();
    let old = ident("/a", "", b"one");
    db.upsert(&[(row(old.clone(), "t"), doc("first", &["alpha"]))])
        .unwrap();
    db.update_state(&reader, &old, |s| s.bookmark = true)
        .unwrap();
    let new = ident("/a", "", b"two");
    db.upsert(&[(row(new.clone(), "t"), doc("second", &["beta"]))])
        .unwrap();
    assert_eq!(db.count().unwrap(), 1);
    assert!(db.matching(&Query::parse("alpha")).unwrap().is_empty());
    assert_eq!(db.matching(&Query::parse("beta")).unwrap().len(), 1);
    assert!(
        db.state(&reader, &new).unwrap().bookmark,
        "the state followed the edit"
    );
}

#[test]
fn a_full_disk_is_a_typed_error_and_what_was_written_stays() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("library.db");
    let (mut db, _) = Db::open(&path).unwrap();
    db.upsert(&[(
        row(ident("/kept", "", b"k"), "kept"),
        doc("kept", &["kept body"]),
    )])
    .unwrap();
    let pages: i64 = db
        .conn()
        .pragma_query_value(None, "page_count", |r| r.get(0))
        .unwrap();
    // As if the disk had room for a few more pages only.
    db.conn()
        .pragma_update(None, "max_page_count", pages + 4)
        .unwrap();
    let big = "كلمة ".repeat(20_000);
    let e = (0..50)
        .find_map(|i| {
            let name = format!("/big{i}");
            db.upsert(&[(
                row(ident(&name, "", name.as_bytes()), "big"),
                doc("big", &[&big]),
            )])
            .err()
        })
        .expect("the disk fills");
    assert!(matches!(e, StoreError::DiskFull { .. }), "{e:?}");
    assert!(
        e.to_string()
            .ends_with("could not be written: the disk is full"),
        "{e}"
    );
    assert_eq!(db.matching(&Query::parse("kept")).unwrap().len(), 1);
    assert_eq!(db.integrity_check().unwrap(), Vec::<String>::new());
}

#[test]
fn sqlite_errors_are_classified() {
    let p = std::path::Path::new("/x/library.db");
    let e = |code| rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), None);
    assert!(matches!(
        StoreError::from_sqlite(p, &e(8)),
        StoreError::ReadOnly { .. }
    ));
    assert!(matches!(
        StoreError::from_sqlite(p, &e(13)),
        StoreError::DiskFull { .. }
    ));
    assert!(matches!(
        StoreError::from_sqlite(p, &e(5)),
        StoreError::Busy { .. }
    ));
    assert!(matches!(
        StoreError::from_sqlite(p, &e(11)),
        StoreError::Corrupt { .. }
    ));
    let text = StoreError::from_sqlite(p, &e(8)).to_string();
    assert!(
        text.starts_with("the library database /x/library.db is read-only ("),
        "{text}"
    );
}
