use super::*;
use crate::article::Place;
use crate::store::{Pos, StoreError};

fn ident(path: &str, key: &str, content: &[u8]) -> Identity {
    Identity {
        path: path.to_owned(),
        key: key.to_owned(),
        fingerprint: crate::store::catalog::fingerprint(content),
    }
}

fn open(path: &Path) -> Shelf {
    let (shelf, msg) = Shelf::open(path, Reader::local(), None, &|_| None);
    assert!(msg.is_none(), "{msg:?}");
    shelf
}

#[test]
fn two_shelves_on_one_file_keep_each_others_changes() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("library.db");
    let a = ident("/lib/a.txt", "", b"a");
    let mut one = open(&db);
    let mut two = open(&db);
    let pos = Pos {
        place: Place::Meta,
        offset: 3,
    };
    one.update(&a, |s| s.bookmark = true);
    // `two` read before `one` wrote: its change applies to the stored row, not its copy.
    assert!(!two.get(&a).bookmark);
    let after = two.update(&a, |s| s.pos = Some(pos));
    assert!(
        after.bookmark,
        "the other process's change is in the new state"
    );
    let three = open(&db);
    let s = three.get(&a);
    assert!(s.bookmark && s.pos == Some(pos), "{s:?}");
    assert!(
        open(&db).get(&ident("/elsewhere/a.txt", "", b"other")) == ReadingState::default(),
        "another file of the same name has no state"
    );
}

#[test]
fn a_file_edited_in_place_keeps_its_state_by_path() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("library.db");
    let mut shelf = open(&db);
    shelf.update(&ident("/lib/a.jsonl", "k1", b"v1"), |s| s.read = true);
    let edited = ident("/lib/a.jsonl", "k1", b"v2");
    assert!(open(&db).get(&edited).read);
    assert!(!open(&db).get(&ident("/lib/a.jsonl", "k2", b"v2")).read);
    let moved = ident("/lib/sub/b.jsonl", "k1", b"v1");
    assert!(open(&db).get(&moved).read, "moved: found by content");
}

#[test]
fn the_old_state_file_is_imported_once_through_the_resolver() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("library.db");
    let legacy = dir.path().join("state.json");
    std::fs::write(
        &legacy,
        r#"{"version":1,"articles":{"sub/a.txt":{"bookmark":true,"position":{"block":null,"offset":2,"meta":true},"updated":9},"gone.txt":{"read":true,"updated":9}}}"#,
    )
    .unwrap();
    let a = ident("/lib/sub/a.txt", "", b"a");
    let resolve = |id: &str| (id == "sub/a.txt").then(|| a.clone());
    let (mut shelf, msg) = Shelf::open(&db, Reader::local(), Some(&legacy), &resolve);
    assert!(msg.is_none(), "{msg:?}");
    let s = shelf.get(&a);
    assert!(s.bookmark, "{s:?}");
    assert_eq!(
        s.pos,
        Some(Pos {
            place: Place::Meta,
            offset: 2
        })
    );
    shelf.update(&a, |s| s.bookmark = false);
    drop(shelf);
    let (shelf, _) = Shelf::open(&db, Reader::local(), Some(&legacy), &resolve);
    assert!(!shelf.get(&a).bookmark, "imported once only");
    let (other, _) = Shelf::open(&db, Reader::ssh("SHA256:x"), None, &resolve);
    assert!(!other.get(&a).bookmark, "per reader");
}

/// A store whose disk is full.
struct Full(MemoryStore);

impl ReadingStore for Full {
    fn get(&self, id: &Identity) -> ReadingState {
        self.0.get(id)
    }
    fn update(
        &mut self,
        _: &Identity,
        _: &mut dyn FnMut(&mut ReadingState),
    ) -> Result<ReadingState> {
        Err(StoreError::DiskFull {
            path: "/data/library.db".into(),
        })
    }
    fn setting(&self, name: &str) -> Option<String> {
        self.0.setting(name)
    }
    fn set_setting(&mut self, _: &str, _: &str) -> Result<()> {
        Err(StoreError::DiskFull {
            path: "/data/library.db".into(),
        })
    }
}

#[test]
fn a_failing_store_leaves_changes_in_memory_with_one_sentence() {
    let a = ident("/lib/a.txt", "", b"a");
    let mut seeded = MemoryStore::new();
    seeded.update(&a, &mut |s| s.read = true).unwrap();
    let mut shelf = Shelf::new(Box::new(Full(seeded)), None);
    let s = shelf.update(&a, |s| s.bookmark = true);
    assert!(
        s.read && s.bookmark,
        "what was stored, and the change: {s:?}"
    );
    assert!(shelf.get(&a).bookmark);
    let msg = shelf.take_message().unwrap();
    assert_eq!(
        msg,
        "the library database /data/library.db could not be written: the disk is full; \
         reading state is kept in memory until the reader closes."
    );
    assert!(shelf.take_message().is_none(), "said once");
    shelf.update(&a, |s| s.bookmark = false);
    assert!(!shelf.get(&a).bookmark && shelf.failed());
    // A library's sort is kept in memory too.
    shelf.set_library_sort("lib", crate::library::SortKey::Source);
    assert_eq!(
        shelf.library_sort("lib"),
        Some(crate::library::SortKey::Source)
    );
    assert!(shelf.take_message().is_none(), "still said once");
}

#[test]
fn a_library_sort_is_kept_per_reader_and_per_library() {
    use crate::library::SortKey;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("library.db");
    let (mut local, _) = Shelf::open(&db, Reader::local(), None, &|_| None);
    assert_eq!(local.library_sort("a"), None);
    local.set_library_sort("a", SortKey::Title);
    local.set_library_sort("b", SortKey::Source);
    let (again, _) = Shelf::open(&db, Reader::local(), None, &|_| None);
    assert_eq!(again.library_sort("a"), Some(SortKey::Title));
    assert_eq!(again.library_sort("b"), Some(SortKey::Source));
    let (other, _) = Shelf::open(&db, Reader::ssh("SHA256:x"), None, &|_| None);
    assert_eq!(other.library_sort("a"), None);
}

#[test]
fn a_database_that_cannot_be_made_leaves_a_shelf_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, "x").unwrap();
    let (mut shelf, msg) = Shelf::open(&blocker.join("library.db"), Reader::local(), None, &|_| {
        None
    });
    let msg = msg.unwrap();
    assert!(
        msg.ends_with("kept in memory until the reader closes."),
        "{msg}"
    );
    assert!(!msg.contains('\n'));
    let a = ident("/a", "", b"a");
    shelf.update(&a, |s| s.read = true);
    assert!(shelf.get(&a).read);
}

#[test]
fn lent_read_marks_hold_until_changed() {
    let a = ident("/feeds/cache.db", "https://x/1", b"");
    let mut shelf = Shelf::in_memory();
    shelf.assume_read(&a);
    assert!(shelf.get(&a).read);
    let s = shelf.update(&a, |s| s.bookmark = true);
    assert!(s.read && s.bookmark);
    shelf.update(&a, |s| s.read = false);
    assert!(!shelf.get(&a).read);
}

#[test]
fn readers_opening_a_new_database_at_once_all_get_it() {
    for round in 0..15 {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("library.db");
        let msgs: Vec<Option<String>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..6)
                .map(|_| {
                    s.spawn(|| {
                        let (mut shelf, msg) = Shelf::open(&db, Reader::local(), None, &|_| None);
                        shelf.update(&ident("/a", "", b"a"), |s| s.read = true);
                        msg.or_else(|| shelf.take_message())
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(msgs.iter().all(Option::is_none), "round {round}: {msgs:?}");
    }
}
