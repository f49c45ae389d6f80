use super::*;
use std::io::Write as _;

#[test]
fn the_16_colours_go_out_as_their_own_codes() {
    let mut w = SgrWriter::new(Vec::new(), true);
    // Split inside a sequence, as a backend's small writes may.
    w.write_all(b"a\x1b[38;5;1;48;5;").unwrap();
    w.write_all(b"11mb\x1b[38;5;200mc\x1b[39;48;5;9m\x1b[2;3Hd\x1b[38;2;1;2;3m")
        .unwrap();
    let s = String::from_utf8(w.get_ref().clone()).unwrap();
    assert_eq!(
        s,
        "a\x1b[31;103mb\x1b[38;5;200mc\x1b[39;101m\x1b[2;3Hd\x1b[38;2;1;2;3m"
    );
    let mut off = SgrWriter::new(Vec::new(), false);
    off.write_all(b"\x1b[38;5;1m").unwrap();
    assert_eq!(off.get_ref(), b"\x1b[38;5;1m");
}

#[test]
fn colours_a_terminal_lacks_become_the_nearest_it_has() {
    assert_eq!(
        downgrade(Color::Indexed(200), Colors::Ansi16),
        Color::LightMagenta
    );
    assert_eq!(downgrade(Color::Indexed(3), Colors::Ansi16), Color::Yellow);
    assert_eq!(
        downgrade(Color::Rgb(250, 250, 0), Colors::Ansi16),
        Color::LightYellow
    );
    assert_eq!(
        downgrade(Color::Rgb(255, 0, 215), Colors::Ansi256),
        Color::Indexed(200)
    );
    assert_eq!(downgrade(Color::Red, Colors::None), Color::Reset);
    assert_eq!(
        downgrade(Color::Rgb(1, 2, 3), Colors::True),
        Color::Rgb(1, 2, 3)
    );
    // `matched = "200"` on TERM=xterm: a visible background, not black on nothing.
    let mut cfg = crate::config::Config::default().theme;
    cfg.matched = "200".into();
    let t = Theme::new(&cfg, Colors::Ansi16);
    assert_eq!(t.matched.bg, Some(Color::LightMagenta));
    cfg.matched = "reset".into();
    let t = Theme::new(&cfg, Colors::Ansi16);
    assert!(t.matched.add_modifier.contains(Modifier::REVERSED));
}
