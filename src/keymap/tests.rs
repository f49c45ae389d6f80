use super::*;

/// The embedded defaults' `[keys]` table.
fn default_table() -> BTreeMap<String, Vec<String>> {
    let config: toml::Table = toml::from_str(crate::config::DEFAULT_CONFIG).unwrap();
    config["keys"].clone().try_into().unwrap()
}

fn key(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
    KeyEvent::new(code, modifiers)
}

#[test]
fn the_defaults_bind_every_action_and_no_chord_twice() {
    let table = default_table();
    let km = Keymap::from_table(&table).expect("the default keymap is valid");
    let mut seen = std::collections::HashSet::new();
    let mut count = 0;
    for keys in table.values() {
        for k in keys {
            count += 1;
            assert!(seen.insert(Chord::parse(k).unwrap()), "{k} is bound twice");
        }
    }
    assert_eq!(km.bindings().count(), count);
    for &a in Action::ALL {
        assert!(!km.chords(a).is_empty(), "{} has no key", a.name());
    }
}

#[test]
fn a_chord_bound_twice_is_refused() {
    let mut t = BTreeMap::new();
    t.insert("down".to_owned(), vec!["j".to_owned()]);
    t.insert("up".to_owned(), vec!["j".to_owned()]);
    let e = Keymap::from_table(&t).unwrap_err();
    assert_eq!(e.to_string(), "[keys] binds j to both down and up");
}

#[test]
fn the_issue_defaults() {
    let km = Keymap::from_table(&default_table()).unwrap();
    let none = KeyModifiers::NONE;
    let ctrl = KeyModifiers::CONTROL;
    let cases = [
        (key(KeyCode::Char('j'), none), Action::Down),
        (key(KeyCode::Down, none), Action::Down),
        (key(KeyCode::Char('k'), none), Action::Up),
        (key(KeyCode::Char(' '), none), Action::PageDown),
        (key(KeyCode::PageDown, none), Action::PageDown),
        (key(KeyCode::Char('b'), none), Action::PageUp),
        (key(KeyCode::Char('d'), ctrl), Action::HalfDown),
        (key(KeyCode::Char('d'), none), Action::HalfDown),
        (key(KeyCode::Char('u'), ctrl), Action::HalfUp),
        (key(KeyCode::Char('G'), KeyModifiers::SHIFT), Action::Bottom),
        (key(KeyCode::Home, none), Action::Top),
        (key(KeyCode::Enter, none), Action::Open),
        (key(KeyCode::Backspace, none), Action::Back),
        (key(KeyCode::Char(']'), none), Action::NextUnread),
        (
            key(KeyCode::Char('B'), KeyModifiers::SHIFT),
            Action::Bookmark,
        ),
        (key(KeyCode::Char('?'), none), Action::Help),
        (key(KeyCode::Char('c'), ctrl), Action::Quit),
    ];
    for (ev, want) in cases {
        assert_eq!(km.action(&ev), Some(want), "{ev:?}");
    }
    assert_eq!(km.action(&key(KeyCode::Char('x'), none)), None);
}

#[test]
fn chords_parse_and_print() {
    for (s, shown) in [
        ("ctrl-d", "Ctrl-d"),
        ("C-u", "Ctrl-u"),
        ("space", "Space"),
        ("PgDn", "PgDn"),
        ("f1", "F1"),
        ("G", "G"),
        ("-", "-"),
    ] {
        assert_eq!(Chord::parse(s).unwrap().to_string(), shown);
    }
    assert!(Chord::parse("hyper-x").is_err());
    assert!(Chord::parse("").is_err());
}
