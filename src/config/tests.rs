use super::*;
use crate::keymap::{Action, Chord};

#[test]
fn defaults_parse() {
    let c = Config::default();
    assert_eq!(c.bidi, None);
    assert!(c.shape);
    assert!(!c.mouse);
    assert!(Action::ALL.iter().all(|&a| !c.keys.chords(a).is_empty()));
}

#[test]
fn user_keys_replace_an_actions_keys() {
    let c = Config::parse("[keys]\ndown = [\"n\"]\nnext_match = [\"ctrl-n\"]\n").unwrap();
    let chord = |k: &str| Chord::parse(k).unwrap();
    assert_eq!(c.keys.chords(Action::Down), [chord("n")]);
    assert!(c.keys.chords(Action::Up).contains(&chord("k")));
    let e = Config::parse("[keys]\ndown = [\"k\"]\n").unwrap_err();
    assert_eq!(e.to_string(), "[keys] binds k to both down and up");
    let e = Config::parse("[keys]\nfly = [\"f\"]\n").unwrap_err();
    assert_eq!(e.to_string(), "[keys] names an unknown action \"fly\"");
    let e = Config::parse("[keys]\ndown = [\"hyper-x\"]\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "[keys] down: \"hyper-x\" is not a key qari knows"
    );
}

#[test]
fn user_file_over_defaults() {
    let c = Config::parse("bidi = \"terminal\"\n").unwrap();
    assert_eq!(c.bidi, Some(BidiMode::Terminal));
    assert!(c.shape);
}

#[test]
fn files_that_are_not_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    // A device that never ends: refused at once, nothing read.
    let msg = Config::load_from(Path::new("/dev/zero"))
        .unwrap_err()
        .to_string();
    assert_eq!(
        msg, "/dev/zero: it is a character device, not a regular file",
        "{msg}"
    );
    // A FIFO with no writer: refused without blocking.
    let fifo = dir.path().join("config.toml");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if made.is_ok_and(|s| s.success()) {
        let msg = Config::load_from(&fifo).unwrap_err().to_string();
        assert!(
            msg.contains("it is a FIFO (named pipe), not a regular file"),
            "{msg}"
        );
    }
    // Too large.
    let big = dir.path().join("big.toml");
    std::fs::write(
        &big,
        "#".repeat(usize::try_from(MAX_CONFIG_BYTES).unwrap() + 1),
    )
    .unwrap();
    let msg = Config::load_from(&big).unwrap_err().to_string();
    assert!(msg.contains("over the limit of 1 MiB"), "{msg}");
    // Missing: the defaults, silently.
    assert_eq!(
        Config::load_from(&dir.path().join("none.toml")).unwrap(),
        Config::default()
    );
}

#[test]
fn values_echoed_in_errors_are_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c\u{1b}]0;x\u{7}.toml");
    std::fs::write(&path, "bidi = \"\u{1b}[2J\u{9b}\u{202e}\"\n").unwrap();
    let msg = Config::load_from(&path).unwrap_err().to_string();
    assert!(!msg.chars().any(char::is_control), "{msg:?}");
    assert!(!msg.contains('\u{202e}'), "{msg:?}");
    assert!(msg.contains("c␛]0;x␇.toml"), "{msg}");
}

#[test]
fn bad_files_are_one_sentence() {
    let e = Config::parse("bidi = [").unwrap_err().to_string();
    assert!(e.starts_with("it is not valid TOML"), "{e}");
    let e = Config::parse("bidi = \"sideways\"")
        .unwrap_err()
        .to_string();
    assert!(e.contains("sideways"), "{e}");
    let e = Config::parse("colour = 1").unwrap_err().to_string();
    assert!(e.contains("colour"), "{e}");
}

#[test]
fn a_bad_colour_is_named_with_its_setting() {
    let mut cfg = Config::default().theme;
    assert!(cfg.validate().is_ok());
    cfg.quote = "grene".into();
    let e = cfg.validate().unwrap_err().to_string();
    assert!(
        e.starts_with("[theme] quote = \"grene\" is not a colour"),
        "{e}"
    );
}
