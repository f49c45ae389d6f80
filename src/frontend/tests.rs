use super::*;
use crate::library::Loading;

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn paths_given_win_over_the_configured_library() {
    let config = Config {
        library: vec![PathBuf::from("/configured")],
        ..Config::default()
    };
    let none = settings(&Flags::default(), &TermEnv::default(), &config).unwrap();
    assert_eq!(none.library, [PathBuf::from("/configured")]);
    let given = Flags {
        paths: vec![PathBuf::from("given")],
        ..Flags::default()
    };
    let s = settings(&given, &TermEnv::default(), &config).unwrap();
    assert_eq!(s.library, [PathBuf::from("given")]);
    let s = settings(&Flags::default(), &TermEnv::default(), &Config::default()).unwrap();
    assert!(s.library.is_empty(), "no library configured: the sample");
}

#[test]
fn the_bidi_mode_is_flag_then_env_then_config_then_terminal() {
    let mut config = Config::default();
    let mlterm = TermEnv {
        term: Some("mlterm".to_owned()),
        ..TermEnv::default()
    };
    let mode = |f: &Flags, e: &TermEnv, c: &Config| settings(f, e, c).unwrap().layout.mode;
    assert_eq!(
        mode(&Flags::default(), &mlterm, &config),
        BidiMode::Terminal
    );
    assert_eq!(
        mode(&Flags::default(), &TermEnv::default(), &config),
        BidiMode::App
    );
    config.bidi = Some(BidiMode::Off);
    assert_eq!(mode(&Flags::default(), &mlterm, &config), BidiMode::Off);
    let asked = TermEnv {
        qari_bidi: Some("app".to_owned()),
        ..mlterm
    };
    assert_eq!(mode(&Flags::default(), &asked, &config), BidiMode::App);
    let flag = Flags {
        bidi: Some(BidiMode::Terminal),
        ..Flags::default()
    };
    assert_eq!(mode(&flag, &asked, &config), BidiMode::Terminal);
}

#[test]
fn a_bad_qari_bidi_is_an_error_locally_and_ignored_in_a_session() {
    let local = TermEnv {
        qari_bidi: Some("sideways".to_owned()),
        ..TermEnv::default()
    };
    let e = settings(&Flags::default(), &local, &Config::default()).unwrap_err();
    assert!(e.to_string().starts_with("QARI_BIDI is 'sideways'"), "{e}");
    let session = TermEnv::session("xterm", &env(&[("QARI_BIDI", "sideways")]));
    assert_eq!(session.qari_bidi, None);
    let session = TermEnv::session("xterm", &env(&[("QARI_BIDI", "off")]));
    let s = settings(&Flags::default(), &session, &Config::default()).unwrap();
    assert_eq!(s.layout.mode, BidiMode::Off);
}

#[test]
fn colours_shaping_and_mouse_come_from_the_terminal_flags_and_config() {
    let session = TermEnv::session(
        "xterm-256color",
        &env(&[("COLORTERM", "truecolor"), ("NO_COLOR", "")]),
    );
    let mut config = Config {
        mouse: true,
        ..Config::default()
    };
    let s = settings(&Flags::default(), &session, &config).unwrap();
    assert_eq!(s.colors, Colors::True);
    assert!(s.mouse);
    assert!(s.layout.shape);
    let no_color = TermEnv::session("xterm", &env(&[("NO_COLOR", "1")]));
    let flags = Flags {
        no_shape: true,
        base: BaseDir::Rtl,
        ..Flags::default()
    };
    let s = settings(&flags, &no_color, &config).unwrap();
    assert_eq!(s.colors, Colors::None);
    assert!(!s.layout.shape);
    assert_eq!(s.layout.base, BaseDir::Rtl);
    config.shape = false;
    assert!(
        !settings(&Flags::default(), &session, &config)
            .unwrap()
            .layout
            .shape
    );
}

#[test]
fn a_panic_payload_is_its_message() {
    let p = std::panic::catch_unwind(|| panic!("static")).unwrap_err();
    assert_eq!(panic_text(&*p).as_deref(), Some("static"));
    let n = 3;
    let p = std::panic::catch_unwind(|| panic!("formatted {n}")).unwrap_err();
    assert_eq!(panic_text(&*p).as_deref(), Some("formatted 3"));
    let p = std::panic::catch_unwind(|| std::panic::panic_any(7_u8)).unwrap_err();
    assert_eq!(panic_text(&*p), None);
}

#[test]
fn terminal_events_of_both_front_ends_are_one_kind_of_input() {
    use crate::app::Input;
    use crossterm::event::{self as ct, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
    use terminal::{from_crossterm, to_input};
    // The tty's events, through terminput's adapter.
    let shift_tab = KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT);
    assert_eq!(
        from_crossterm(ct::Event::Key(shift_tab)),
        Some(Input::Key(shift_tab))
    );
    let ctrl_l = KeyEvent::new(KeyCode::Char('l'), KeyModifiers::CONTROL);
    assert_eq!(
        from_crossterm(ct::Event::Key(ctrl_l)),
        Some(Input::Key(ctrl_l))
    );
    let mut released = KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE);
    released.kind = KeyEventKind::Release;
    assert_eq!(from_crossterm(ct::Event::Key(released)), None);
    assert_eq!(
        from_crossterm(ct::Event::Resize(120, 40)),
        Some(Input::Resize(120, 40))
    );
    assert_eq!(
        from_crossterm(ct::Event::Paste("نص".to_owned())),
        Some(Input::Paste("نص".to_owned()))
    );
    let wheel = ct::MouseEvent {
        kind: ct::MouseEventKind::ScrollDown,
        column: 3,
        row: 4,
        modifiers: KeyModifiers::NONE,
    };
    assert_eq!(
        from_crossterm(ct::Event::Mouse(wheel)),
        Some(Input::ScrollDown)
    );
    assert_eq!(from_crossterm(ct::Event::FocusGained), None);
    // A session's events, parsed by terminput from its bytes.
    assert_eq!(
        to_input(terminput::Event::Key(terminput::KeyEvent::new(
            terminput::KeyCode::Up
        ))),
        Some(Input::Key(KeyEvent::new(KeyCode::Up, KeyModifiers::NONE)))
    );
    assert_eq!(
        to_input(terminput::Event::Resize {
            cols: 70_000,
            rows: 50
        }),
        Some(Input::Resize(u16::MAX, 50)),
        "held to what a size holds; the app holds it to the screen's cap"
    );
}

#[test]
fn a_panic_report_is_its_message_and_place() {
    use std::sync::{Arc, Mutex};
    let said = Arc::new(Mutex::new(String::new()));
    let into = Arc::clone(&said);
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().name() == Some("reported") {
            *into.lock().unwrap() = panic_report(info);
        }
    }));
    let thread = std::thread::Builder::new()
        .name("reported".to_owned())
        .spawn(|| panic!("a broken {}", "invariant"))
        .unwrap();
    let _ = thread.join();
    std::panic::set_hook(previous);
    let said = said.lock().unwrap().clone();
    assert!(
        said.starts_with("a broken invariant at src/frontend/tests.rs:"),
        "{said}"
    );
}

#[test]
fn the_first_frame_is_a_page_of_the_catalog_or_a_library_still_to_be_read() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("lib");
    std::fs::create_dir(&lib).unwrap();
    for i in 0..3 {
        std::fs::write(
            lib.join(format!("{i}.txt")),
            format!("Title {i}\n2024-05-0{}\n\nBody.\n", i + 1),
        )
        .unwrap();
    }
    let db = dir.path().join("library.db");
    let paths = vec![lib.clone()];
    let reader = crate::store::Reader::local();
    let first = |legacy: Option<&std::path::Path>| {
        open_first_frame(&paths, Some(&db), legacy, &reader)
            .0
            .map(|l| (l.len(), l.loading()))
    };
    // No database yet, or one that has not scanned the folder: the folder is still to be
    // read, by the watcher.
    assert_eq!(first(None), Some((0, Some(Loading::Folders))));
    let (mut opened, _) = crate::store::Db::open(&db).unwrap();
    assert_eq!(first(None), Some((0, Some(Loading::Folders))));
    opened.scan(&lib, |_, _| {}).unwrap();
    let (page, note) = open_first_frame(&paths, Some(&db), None, &reader);
    let page = page.expect("the catalog holds the folder");
    assert_eq!(
        (page.len(), page.loading(), note),
        (3, Some(Loading::Rest(3)), None)
    );
    assert_eq!(page.entry(0).title, "Title 2", "newest first");
    // An old state file to import names articles by path: it is resolved against the whole
    // library, so the whole is read first.
    let legacy = dir.path().join("state.json");
    std::fs::write(
        &legacy,
        r#"{"version": 1, "articles": {"0.txt": {"read": true}}}"#,
    )
    .unwrap();
    assert_eq!(first(Some(&legacy)), None);
    opened.import_state_json(&legacy, &paths, &reader).unwrap();
    assert_eq!(first(Some(&legacy)), Some((3, Some(Loading::Rest(3)))));
    // Nothing to open: none. A path with nothing to read, or none at all, is said before the
    // terminal is taken: none.
    assert!(open_first_frame(&[], Some(&db), None, &reader).0.is_none());
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    std::fs::write(empty.join("notes.jpg"), "not an article").unwrap();
    for p in [empty, dir.path().join("missing")] {
        assert!(open_first_frame(&[p], Some(&db), None, &reader).0.is_none());
    }
    // No database (no home): still to be read.
    let l = open_first_frame(&paths, None, None, &reader).0.unwrap();
    assert_eq!((l.len(), l.loading()), (0, Some(Loading::Folders)));
}
