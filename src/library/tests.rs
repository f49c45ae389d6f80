use super::*;

#[test]
fn embedded_library_loads_everything() {
    let lib = Library::embedded();
    assert_eq!(lib.len(), 185);
    // The encyclopedia texts have no date: a warning each, nothing else.
    assert!(
        lib.problems()
            .iter()
            .all(|p| !p.unusable && p.message == "it has no date"),
        "{:?}",
        lib.problems()
    );
    let seed = lib.position("000_c76da13a58358bbb.txt").unwrap();
    assert_eq!(lib.entry(seed).lang, Lang::Ar);
    let jawhara = lib.position("0001.txt").unwrap();
    assert_eq!(lib.entry(jawhara).source.as_deref(), Some("Jawhara FM"));
}

#[test]
fn sorts() {
    let lib = Library::embedded();
    let by_date = lib.view(SortKey::Date);
    assert_eq!(by_date.len(), lib.len());
    let keys: Vec<_> = by_date
        .iter()
        .map(|&i| lib.entry(i).date.map(DateValue::sort_key))
        .collect();
    let dated = keys.iter().take_while(|k| k.is_some()).count();
    assert!(keys[dated..].iter().all(Option::is_none), "undated last");
    assert!(
        keys[..dated].windows(2).all(|w| w[0] >= w[1]),
        "newest first"
    );
    let by_title = lib.view(SortKey::Title);
    let titles: Vec<_> = by_title
        .iter()
        .map(|&i| lib.entry(i).title.to_lowercase())
        .collect();
    assert!(titles.windows(2).all(|w| w[0] <= w[1]));
    let by_source = lib.view(SortKey::Source);
    assert_eq!(
        lib.entry(by_source[0]).source.as_deref(),
        Some("Jawhara FM")
    );
}

fn mkfifo(path: &Path) -> bool {
    std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn fifos_and_devices_are_skipped_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.txt"), "Title\n2024-03-16\n\nBody.\n").unwrap();
    let fifo = dir.path().join("pipe.txt");
    assert!(mkfifo(&fifo), "mkfifo is needed for this test");
    // In a folder: skipped with one line, the rest read.
    let lib = Library::open(&[dir.path().to_path_buf()]);
    assert_eq!(lib.len(), 1);
    let p = lib.problems();
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(p[0].unusable);
    assert_eq!(
        p[0].to_string(),
        format!(
            "{}: skipped: it is a FIFO (named pipe), not a regular file.",
            fifo.display()
        )
    );
    // Named on the command line, and a device.
    let lib = Library::open(&[fifo.clone(), PathBuf::from("/dev/zero")]);
    assert!(lib.is_empty());
    let shown: Vec<String> = lib.problems().iter().map(ToString::to_string).collect();
    assert!(shown[0].ends_with("it is a FIFO (named pipe), not a regular file."));
    assert_eq!(
        shown[1],
        "/dev/zero: skipped: it is a character device, not a regular file."
    );
    // Through a link.
    let link = dir.path().join("link.txt");
    std::os::unix::fs::symlink(&fifo, &link).unwrap();
    assert!(matches!(
        read_regular(&link, 100),
        Err(ReadError::NotRegular("a FIFO (named pipe)"))
    ));
}

#[test]
fn a_file_swapped_for_a_fifo_is_refused_not_waited_on() {
    let dir = tempfile::tempdir().unwrap();
    let small = dir.path().join("a.txt");
    std::fs::write(&small, "Title\n\nBody.\n").unwrap();
    // A huge file is parsed each time it is opened: the swap is met when it is read.
    let huge = dir.path().join("huge.txt");
    let mut text = String::from("Huge\n\n");
    while text.len() as u64 <= LAZY_BYTES {
        text.push_str("A paragraph of the huge file.\n\n");
    }
    std::fs::write(&huge, &text).unwrap();
    let lib = Library::open(&[dir.path().to_path_buf()]);
    let i = lib.position("huge.txt").unwrap();
    assert!(lib.article(i).is_ok());
    std::fs::remove_file(&huge).unwrap();
    assert!(mkfifo(&huge));
    // Without a writer, a blocking open would never return.
    let e = lib.article(i).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "{}: skipped: it is a FIFO (named pipe), not a regular file.",
            huge.display()
        )
    );
    // The catalog of a folder where a file became a FIFO does not wait either.
    std::fs::remove_file(&small).unwrap();
    assert!(mkfifo(&small));
    let lib = Library::open(&[dir.path().to_path_buf()]);
    assert!(lib.is_empty());
    assert_eq!(lib.problems().len(), 2);
}

#[test]
fn linked_folders_are_followed_once_and_loops_reported() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("lib");
    let real = root.join("real");
    std::fs::create_dir_all(&real).unwrap();
    std::fs::write(real.join("a.txt"), "A\n2024-03-16\n\nBody.\n").unwrap();
    let outside = dir.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("b.txt"), "B\n2024-03-16\n\nBody.\n").unwrap();
    // A link out of the tree is followed; a link back up and one to a folder already read
    // are reported, once each.
    std::os::unix::fs::symlink(&outside, root.join("linked")).unwrap();
    std::os::unix::fs::symlink(&root, real.join("loop")).unwrap();
    std::os::unix::fs::symlink(&real, root.join("again")).unwrap();
    std::os::unix::fs::symlink(root.join("missing"), root.join("gone.txt")).unwrap();
    let lib = Library::open(std::slice::from_ref(&root));
    let mut ids: Vec<&str> = lib.entries().map(|e| e.id.as_str()).collect();
    ids.sort_unstable();
    assert_eq!(ids, ["linked/b.txt", "real/a.txt"]);
    let mut shown: Vec<String> = lib.problems().iter().map(ToString::to_string).collect();
    shown.sort();
    let link_note = "it is a link to a folder already read, so that folder's articles are \
                     listed once, under their other path.";
    assert_eq!(
        shown,
        [
            format!("{}: {link_note}", root.join("again").display()),
            format!(
                "{}: skipped: it is a link to nothing.",
                root.join("gone.txt").display()
            ),
            format!("{}: {link_note}", real.join("loop").display()),
        ]
    );
    assert!(lib.problems().iter().all(|p| p.note != p.unusable));
}

#[test]
fn files_over_the_limit_are_refused_by_size() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("a.txt");
    std::fs::write(&f, "x".repeat(3000)).unwrap();
    let e = read_regular(&f, 2048).unwrap_err();
    assert_eq!(e.to_string(), "it is 2.9 KiB, over the limit of 2 KiB");
    assert_eq!(read_regular(&f, 3000).unwrap().len(), 3000);
    assert_eq!(size_text(MAX_ARTICLE_BYTES), "256 MiB");
    assert_eq!(size_text(300 * 1024 * 1024 + 1), "300.0 MiB");
    assert_eq!(size_text(5 * 1024 * 1024 * 1024), "5.0 GiB");
}

#[test]
fn names_are_clean_where_they_enter() {
    let dir = tempfile::tempdir().unwrap();
    let name = "x\u{1b}]0;PWNED\u{7}\u{1b}c\u{9b}\u{202e}.md";
    // No title and no heading: the title is made from the file name.
    std::fs::write(dir.path().join(name), "just a line of text\n").unwrap();
    let lib = Library::open(&[dir.path().to_path_buf()]);
    let e = lib.entry(0);
    for s in [&e.id, &e.path, &e.title, &lib.article(0).unwrap().title] {
        assert!(
            !s.chars().any(|c| c.is_control() || c == '\u{202e}'),
            "{s:?}"
        );
    }
    assert_eq!(e.title, "x␛]0;PWNED␇␛c\u{FFFD}⟨RLO⟩");
}

#[test]
fn manifest_parsing() {
    let m = parse_manifest("file\tlang\tsource\turl\na.txt\tar\tJawhara FM\thttp://x\nb.txt\n");
    assert_eq!(m["a.txt"].source.as_deref(), Some("Jawhara FM"));
    assert_eq!(m["a.txt"].url.as_deref(), Some("http://x"));
    assert!(m["b.txt"].source.is_none());
    assert!(parse_manifest("no header here\n").is_empty());
}

#[test]
fn entries_know_their_identity_wherever_the_library_was_opened() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("sub");
    std::fs::create_dir_all(&sub).unwrap();
    let body = "A title\n\nSome body text.\n";
    std::fs::write(sub.join("a.txt"), body).unwrap();
    std::fs::write(
        dir.path().join("r.jsonl"),
        "{\"id\":\"k1\",\"title\":\"One\",\"body\":\"b\"}\n{\"id\":\"k2\",\"title\":\"Two\",\"body\":\"c\"}\n",
    )
    .unwrap();
    let parent = Library::open(&[dir.path().to_path_buf()]);
    let child = Library::open(std::slice::from_ref(&sub));
    let in_parent = parent.entry(parent.position("sub/a.txt").unwrap());
    let in_child = child.entry(child.position("a.txt").unwrap());
    assert_eq!(
        in_parent.identity, in_child.identity,
        "same article, same identity"
    );
    assert_eq!(
        in_child.identity.path,
        sub.join("a.txt").canonicalize().unwrap().to_string_lossy()
    );
    assert_eq!(
        in_child.identity.fingerprint,
        crate::store::catalog::fingerprint(body.as_bytes())
    );
    let keys: Vec<&str> = parent
        .entries()
        .filter(|e| e.id.starts_with("r.jsonl"))
        .map(|e| e.identity.key.as_str())
        .collect();
    assert_eq!(keys.len(), 2);
    assert!(keys[0] != keys[1] && !keys[0].is_empty(), "{keys:?}");
}

#[test]
fn a_huge_file_is_fingerprinted_as_a_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.txt");
    let mut text = String::from("Big\n\n");
    while (text.len() as u64) <= LAZY_BYTES {
        text.push_str("word word word word word word word word word word.\n");
    }
    std::fs::write(&path, &text).unwrap();
    let lib = Library::open(std::slice::from_ref(&path));
    assert!(lib.is_huge(0));
    assert_eq!(
        lib.entry(0).identity.fingerprint,
        crate::store::catalog::fingerprint(text.as_bytes())
    );
}

/// A library of one JSONL file of 200 records of about 2 KB, keeping at most 64 KB parsed.
fn records_keeping_64k() -> (tempfile::TempDir, Library) {
    use std::fmt::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let body = "كلمة ".repeat(200);
    let mut text = String::new();
    for n in 0..200 {
        let _ = writeln!(
            text,
            "{{\"id\":\"r{n}\",\"title\":\"سجل {n}\",\"body\":\"{body}\"}}"
        );
    }
    std::fs::write(dir.path().join("records.jsonl"), text).unwrap();
    let lib = Library::open(&[dir.path().to_path_buf()]).with_body_cap(64 * 1024);
    assert_eq!(lib.len(), 200);
    (dir, lib)
}

#[test]
fn a_file_whose_records_pass_the_cap_keeps_the_one_opened_and_its_neighbours() {
    let (_dir, lib) = records_keeping_64k();
    let first = lib.article(0).unwrap();
    // The one opened is kept (its later records did not push it out), with the next few.
    assert!(Arc::ptr_eq(&first, &lib.loaded(0).unwrap()));
    assert!(lib.loaded(1).is_some() && lib.loaded(2).is_some());
    assert!(lib.loaded(199).is_none());
    let (n, bytes) = lib.kept_bodies();
    assert!(n < 50 && bytes <= 64 * 1024, "{n} kept, {bytes} bytes");
    // Opened again, it is not parsed again.
    assert!(Arc::ptr_eq(&first, &lib.article(0).unwrap()));
    let last = lib.article(199).unwrap();
    assert!(Arc::ptr_eq(&last, &lib.article(199).unwrap()));
    assert!(lib.kept_bodies().1 <= 64 * 1024);
}

#[test]
fn the_articles_of_a_search_are_read_a_file_at_a_time_and_kept_alone() {
    let (_dir, lib) = records_keeping_64k();
    lib.keep_articles(&[150, 3, 77], || false);
    for i in [150, 3, 77] {
        assert!(lib.loaded(i).is_some(), "{i}");
    }
    assert_eq!(lib.kept_bodies().0, 3, "only those asked for");
    // A stop asked for at once reads nothing more.
    let (_dir, lib) = records_keeping_64k();
    lib.keep_articles(&[5], || true);
    assert_eq!(lib.kept_bodies().0, 0);
}

#[test]
fn ties_go_by_id_whether_or_not_the_articles_are_in_id_order() {
    let dir = tempfile::tempdir().unwrap();
    // Eleven records of one date: `#10` sorts before `#2`, so the library (in file order) is
    // not in id order.
    let records: Vec<String> = (1..=11)
        .map(|n| format!(r#"{{"title": "T{n}", "text": "x", "date": "2025-01-05"}}"#))
        .collect();
    let records = records.join("\n");
    std::fs::write(dir.path().join("feed.jsonl"), records).unwrap();
    std::fs::write(dir.path().join("z.txt"), "Zed\n2025-01-05\n\nBody.\n").unwrap();
    let lib = Library::open(&[dir.path().to_path_buf()]);
    let ids = |lib: &Library, v: Vec<usize>| -> Vec<String> {
        v.iter().map(|&i| lib.entry(i).id.clone()).collect()
    };
    let in_file = ids(&lib, (0..lib.len()).collect());
    assert_eq!(
        in_file[..3],
        ["feed.jsonl#1", "feed.jsonl#2", "feed.jsonl#3"]
    );
    let mut by_id = in_file.clone();
    by_id.sort();
    assert_ne!(in_file, by_id);
    assert_eq!(ids(&lib, lib.view(SortKey::Date)), by_id);
    // In id order (the folder without the feed), the same rule.
    std::fs::remove_file(dir.path().join("feed.jsonl")).unwrap();
    std::fs::write(dir.path().join("m.txt"), "Em\n2025-01-05\n\nBody.\n").unwrap();
    let lib = Library::open(&[dir.path().to_path_buf()]);
    assert_eq!(ids(&lib, lib.view(SortKey::Date)), ["m.txt", "z.txt"]);
}

#[test]
fn a_folder_holds_an_article_file_when_the_walk_would_list_one() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("lib");
    let deep = root.join("a/b");
    std::fs::create_dir_all(&deep).unwrap();
    // A manifest, a hidden article and a file of no format qari reads are no article file.
    std::fs::write(root.join(MANIFEST), "file\tsource\n").unwrap();
    std::fs::write(root.join(".hidden.txt"), "Hidden\n\nBody.\n").unwrap();
    std::fs::write(deep.join("photo.jpg"), "jpeg").unwrap();
    assert!(!super::holds_article_file(&root));
    assert!(article_files(&root).is_empty());
    // One deep down, or behind a link to a folder outside, is.
    let outside = dir.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    std::fs::write(outside.join("x.md"), "# X\n\nBody.\n").unwrap();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(&outside, root.join("linked")).unwrap();
        assert!(super::holds_article_file(&root));
        std::fs::remove_file(root.join("linked")).unwrap();
        assert!(!super::holds_article_file(&root));
    }
    std::fs::write(deep.join("z.txt"), "Z\n\nBody.\n").unwrap();
    assert!(super::holds_article_file(&root));
    assert_eq!(article_files(&root).len(), 1);
    // A file named on its own, by its format; nothing where nothing is.
    assert!(super::holds_article_file(&deep.join("z.txt")));
    assert!(!super::holds_article_file(&deep.join("photo.jpg")));
    assert!(!super::holds_article_file(&root.join("missing")));
}
