use super::*;

#[test]
fn a_state_file_of_the_earlier_format_loads() {
    // Written by the version before places named the title and the metadata line apart.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    std::fs::write(
        &path,
        r#"{"version":1,"articles":{"a.txt":{"read":true,"bookmark":false,"position":{"block":3,"offset":120},"updated":5},"b.txt":{"read":false,"bookmark":true,"position":{"block":null,"offset":0},"updated":7},"c.txt":{"read":true}}}"#,
    )
    .unwrap();
    let (store, msg) = Store::open(&path);
    assert!(msg.is_none(), "{msg:?}");
    let a = store.get("a.txt");
    assert!(a.read && !a.bookmark);
    assert_eq!(a.updated, 5);
    assert_eq!(
        a.position,
        Some(Position {
            place: Place::Block(3),
            offset: 120
        })
    );
    let b = store.get("b.txt");
    assert!(b.bookmark);
    assert_eq!(
        b.position,
        Some(Position {
            place: Place::Title,
            offset: 0
        })
    );
    assert_eq!(store.get("c.txt").position, None);
}

#[test]
fn every_place_is_written_and_read_back() {
    for place in [Place::Title, Place::Meta, Place::Block(0), Place::Block(9)] {
        let p = Position { place, offset: 4 };
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(
            serde_json::from_str::<Position>(&json).unwrap(),
            p,
            "{json}"
        );
        // The earlier format's reader sees the same block it saw before.
        let old: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(old["block"].as_u64(), place.block().map(|b| b as u64));
    }
}

#[test]
fn a_read_flag_from_another_store_is_assumed_not_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let (mut store, _) = Store::open(&path);
    store.update("kept", |s| s.bookmark = true);
    store.assume_read("kept");
    assert!(!store.get("kept").read, "what is remembered wins");
    store.assume_read("fresh");
    assert!(store.get("fresh").read);
    store.flush().unwrap();
    let (reopened, _) = Store::open(&path);
    assert_eq!(reopened.get("fresh"), ArticleState::default(), "not saved");
    assert!(reopened.get("kept").bookmark);
    let (mut store, _) = Store::open(&path);
    store.assume_read("fresh");
    store.update("fresh", |s| s.read = false);
    store.flush().unwrap();
    let (reopened, _) = Store::open(&path);
    let mut again = reopened;
    again.assume_read("fresh");
    assert!(!again.get("fresh").read, "marked unread here, so unread");
}

#[test]
fn saves_and_reloads() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/state.json");
    let (mut s, msg) = Store::open(&path);
    assert!(msg.is_none());
    s.update("a.txt", |a| {
        a.read = true;
        a.position = Some(Position {
            place: Place::Block(3),
            offset: 120,
        });
    });
    assert!(s.is_dirty());
    s.save().unwrap();
    assert!(!s.is_dirty());
    let (t, _) = Store::open(&path);
    assert_eq!(t.get("a.txt"), s.get("a.txt"));
    assert!(t.get("a.txt").read);
    assert!(!t.get("b.txt").read);
    // No temporary file is left behind.
    let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("state.json")]);
}

#[test]
fn a_corrupt_file_is_moved_aside_not_lost() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    std::fs::write(&path, b"{\"version\":1,\"articles\":{\"a\":").unwrap();
    let (mut s, msg) = Store::open(&path);
    let msg = msg.expect("the user is told");
    assert!(msg.contains("state.json was corrupt"), "{msg}");
    assert_eq!(msg.matches(". ").count(), 0, "one sentence: {msg}");
    let aside: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("state.json.corrupt-"))
        .collect();
    assert_eq!(aside.len(), 1);
    let kept = std::fs::read(dir.path().join(&aside[0])).unwrap();
    assert_eq!(kept, b"{\"version\":1,\"articles\":{\"a\":");
    s.update("x", |a| a.bookmark = true);
    s.flush().unwrap();
    assert!(Store::open(&path).0.get("x").bookmark);
}

#[test]
fn two_readers_merge() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let (mut one, _) = Store::open(&path);
    let (mut two, _) = Store::open(&path);
    one.update("a", |a| a.read = true);
    two.update("b", |a| a.bookmark = true);
    one.flush().unwrap();
    two.flush().unwrap();
    let (three, _) = Store::open(&path);
    assert!(three.get("a").read);
    assert!(three.get("b").bookmark);
    // The second writer also learned of the first one's change.
    assert!(two.get("a").read);
}

#[test]
fn in_memory_never_writes() {
    let mut s = Store::in_memory();
    s.update("a", |a| a.read = true);
    assert!(s.save().is_ok());
    assert!(s.get("a").read);
    assert!(s.path().is_none());
}

/// Names of the files in `dir`.
fn names(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn leftovers_of_a_killed_run_are_removed_at_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    // Linux pids stop at 4,194,304: this process cannot be running.
    let dead = dir.path().join(".state.json.999999999.tmp");
    let dead_new = dir.path().join(".state.json.999999998.3.tmp");
    // A running process (this one, mid-save in another session) keeps a fresh one...
    let mine = dir
        .path()
        .join(format!(".state.json.{}.7.tmp", std::process::id()));
    // ...but not one older than a minute.
    let stale = dir.path().join(".state.json.1.2.tmp");
    let other = dir.path().join(".other.json.999999999.tmp");
    for f in [&dead, &dead_new, &mine, &stale, &other] {
        std::fs::write(f, "{").unwrap();
    }
    let long_ago = SystemTime::now() - Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(&stale)
        .unwrap()
        .set_modified(long_ago)
        .unwrap();
    let (_s, msg) = Store::open(&path);
    assert!(msg.is_none());
    let left = names(dir.path());
    let expect: BTreeSet<String> = [&mine, &other]
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, expect);
}

#[test]
fn temporary_names_are_unique_per_save() {
    let p = Path::new("/x/state.json");
    let (a, b) = (temp_name(p), temp_name(p));
    assert_ne!(a, b);
    let prefix = format!(".state.json.{}.", std::process::id());
    for t in [a, b] {
        let n = t.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            n.starts_with(&prefix) && n.rsplit('.').next() == Some("tmp"),
            "{n}"
        );
    }
}

#[test]
fn many_saves_one_file_every_change_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let (mut one, _) = Store::open(&path);
    // Two sessions of one server share the file and its writer.
    let (mut two, _) = Store::open(&path);
    for i in 0..500 {
        one.update(&format!("a{i}"), |a| a.read = true);
        one.save().unwrap();
        two.update(&format!("b{i}"), |a| a.bookmark = true);
        two.save().unwrap();
    }
    one.flush().unwrap();
    two.flush().unwrap();
    let (three, _) = Store::open(&path);
    for i in 0..500 {
        assert!(three.get(&format!("a{i}")).read);
        assert!(three.get(&format!("b{i}")).bookmark);
    }
    assert!(
        two.get("a499").read,
        "what the other session saved comes in"
    );
    assert_eq!(names(dir.path()).len(), 1, "{:?}", names(dir.path()));
}

#[test]
fn saves_while_a_write_runs_return_at_once_and_are_written_together() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let (mut s, _) = Store::open(&path);
    let writer = s.writer.clone().unwrap();
    // As if a long write (a huge file, a slow disk) were running.
    writer.lock().running = true;
    for i in 0..100 {
        s.update(&format!("a{i}"), |a| a.read = true);
        assert!(s.save().is_ok());
    }
    assert_eq!(writer.lock().pending.len(), 100, "queued, not written");
    assert!(!path.exists());
    // The running writer goes on with what was queued meanwhile: one write for all.
    let w = Arc::clone(&writer);
    std::thread::spawn(move || w.run()).join().unwrap();
    assert_eq!(writer.lock().written.as_ref().map(|(g, _)| *g), Some(1));
    s.flush().unwrap();
    let (t, _) = Store::open(&path);
    assert!((0..100).all(|i| t.get(&format!("a{i}")).read));
}

#[test]
fn a_failed_write_is_reported_and_retried_at_the_next_save() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("blocker/state.json");
    let (mut s, msg) = Store::open(&path);
    assert!(msg.is_none());
    // The state file's folder is now a file: every write fails.
    std::fs::write(dir.path().join("blocker"), "").unwrap();
    s.update("a", |a| a.read = true);
    // Queued, not written: no error yet.
    assert!(s.save().is_ok());
    let e = s.flush().unwrap_err();
    assert!(
        e.starts_with("reading positions could not be saved to ")
            && e.contains("blocker/state.json")
            && e.ends_with(").")
            && e.matches(". ").count() == 0,
        "one sentence: {e}"
    );
    // The change is tried again at the next save even with nothing new (as at quit),
    // and a failure again is said again.
    assert!(s.flush().is_err(), "tried again");
    // Once the folder can be made, the change that failed is written, with no new one.
    std::fs::remove_file(dir.path().join("blocker")).unwrap();
    s.flush().unwrap();
    let (t, _) = Store::open(&path);
    assert!(t.get("a").read);
    s.update("b", |a| a.read = true);
    s.flush().unwrap();
    let (t, _) = Store::open(&path);
    assert!(t.get("a").read && t.get("b").read);
    assert!(flush_all().is_empty());
}

#[test]
fn oversized_and_non_regular_state_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    std::fs::write(
        &path,
        format!("{{\"version\":1,\"articles\":{{}}}}{}", " ".repeat(100)),
    )
    .unwrap();
    let (s, msg) = Store::open_capped(&path, 64);
    let msg = msg.unwrap();
    assert!(msg.contains("state.json was too large (it is 127 bytes, over the limit of 64 bytes); it was moved to "), "{msg}");
    assert!(s.path().is_some());
    assert!(!path.exists());
    let (_, msg) = Store::open(Path::new("/dev/null"));
    let msg = msg.unwrap();
    assert!(msg.contains("/dev/null cannot be read (it is a character device, not a regular file); nothing will be saved"), "{msg}");
    let fifo = dir.path().join("fifo.json");
    if std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success())
    {
        let (mut s, msg) = Store::open(&fifo);
        assert!(msg.unwrap().contains("FIFO"));
        s.update("a", |a| a.read = true);
        assert!(s.flush().is_ok(), "nothing is written to it");
    }
}
