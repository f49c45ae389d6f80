//! What is remembered per library: the list's sort order, kept per reader in the library
//! database beside the reading state and given back when the same library opens again.

use std::sync::Arc;

use qari::app::App;
use qari::config::Config;
use qari::keymap::Action;
use qari::layout::Options;
use qari::library::{Library, SortKey};
use qari::store::{Reader, Shelf};

#[path = "support/app.rs"]
#[allow(dead_code, reason = "each test file uses part of the shared helpers")]
mod support;

fn app_on(lib: Library, store: Shelf) -> App {
    let mut app = App::new(Arc::new(lib), &Config::default(), store, Options::default());
    app.handle(qari::app::Input::Resize(80, 12));
    app
}

#[test]
fn the_sort_is_remembered_per_library() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("library.db");
    let open = || Shelf::open(&path, Reader::local(), None, &|_| None).0;
    let (store, msg) = Shelf::open(&path, Reader::local(), None, &|_| None);
    assert!(msg.is_none(), "{msg:?}");
    let mut a = app_on(Library::embedded(), store);
    assert_eq!(a.sort(), SortKey::Date);
    a.apply(Action::CycleSort);
    assert_eq!(a.sort(), SortKey::Title);
    assert!(a.save().is_none());
    drop(a);

    let store = open();
    let b = app_on(Library::embedded(), store);
    assert_eq!(
        b.sort(),
        SortKey::Title,
        "the same library opens sorted as it was left"
    );
    insta::assert_snapshot!(
        "sample_sorted_by_title",
        support::text(&support::render(&b))
    );
    drop(b);

    // Another library keeps its own order.
    let other = dir.path().join("news");
    std::fs::create_dir(&other).unwrap();
    std::fs::write(other.join("a.md"), "# A\n\nText.\n").unwrap();
    let store = open();
    let mut c = app_on(Library::open(std::slice::from_ref(&other)), store);
    assert_eq!(c.sort(), SortKey::Date);
    c.apply(Action::CycleSort);
    c.apply(Action::CycleSort);
    assert!(c.save().is_none());
    drop(c);
    let store = open();
    assert_eq!(
        store.library_sort(Library::open(&[other]).key()),
        Some(SortKey::Source)
    );
    assert_eq!(
        store.library_sort(Library::embedded().key()),
        Some(SortKey::Title)
    );
    // Each reader has its own.
    let (other_reader, _) = Shelf::open(&path, Reader::ssh("SHA256:other"), None, &|_| None);
    assert_eq!(other_reader.library_sort(Library::embedded().key()), None);
}
