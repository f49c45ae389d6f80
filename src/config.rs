//! The configuration file: TOML, from `$QARI_CONFIG`, else `config.toml` in the XDG config
//! directory. The defaults are embedded; a bad user file is reported in one sentence and the
//! defaults are kept.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::layout::BidiMode;

/// The largest config file read (the defaults are about 3 KB).
pub const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// The embedded defaults, also the documentation of every setting.
pub const DEFAULT_CONFIG: &str = include_str!("../assets/config.toml");

/// Settings from the config file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Who reorders bidi text; without it, the terminal decides (see [`crate::terminal`]).
    #[serde(default)]
    pub bidi: Option<BidiMode>,
    /// Whether qari shapes Arabic.
    pub shape: bool,
    /// Whether the mouse wheel scrolls (it breaks text selection).
    pub mouse: bool,
    /// The longest line of running text, in columns (0: the reader pane's width).
    pub measure: u16,
    /// Whether `y` copies to the clipboard through the terminal (OSC 52).
    pub clipboard: bool,
    /// Folders opened when qari is started without paths (empty: the sample library).
    #[serde(default)]
    pub library: Vec<PathBuf>,
    /// Action name → the keys bound to it.
    pub keys: BTreeMap<String, Vec<String>>,
    /// Colours of the 16-colour theme.
    pub theme: Theme,
}

/// Colour names (the 16 ANSI names, `#rrggbb`, or an index 0–255) for each part of the screen.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Theme {
    /// Article titles in the reader.
    pub title: String,
    /// Headings of the body.
    pub heading: String,
    /// Quotations and their bar.
    pub quote: String,
    /// Dates, bylines, the list's date and source columns.
    pub meta: String,
    /// The header and status lines.
    pub bar: String,
    /// The unread and bookmark marks.
    pub mark: String,
    /// Search matches.
    pub matched: String,
}

impl Theme {
    /// Checks every colour of the `[theme]` table: the first that is not a colour is named in
    /// one sentence.
    pub fn validate(&self) -> Result<(), String> {
        let fields = [
            ("title", &self.title),
            ("heading", &self.heading),
            ("quote", &self.quote),
            ("meta", &self.meta),
            ("bar", &self.bar),
            ("mark", &self.mark),
            ("matched", &self.matched),
        ];
        for (name, value) in fields {
            if value.trim().parse::<ratatui::style::Color>().is_err() {
                let shown: String = value.chars().filter(|c| !c.is_control()).take(40).collect();
                return Err(format!(
                    "[theme] {name} = \"{shown}\" is not a colour (a name such as \"yellow\", \"#rrggbb\" or an index 0-255); the terminal's own colour is used"
                ));
            }
        }
        Ok(())
    }
}

impl Default for Config {
    fn default() -> Self {
        toml::from_str(DEFAULT_CONFIG)
            .unwrap_or_else(|e| unreachable!("the embedded config.toml is valid and tested: {e}"))
    }
}

impl Config {
    /// Where the user's file is looked for.
    pub fn path() -> Option<PathBuf> {
        if let Some(p) = std::env::var_os("QARI_CONFIG") {
            return Some(PathBuf::from(p));
        }
        directories::ProjectDirs::from("", "", "qari").map(|d| d.config_dir().join("config.toml"))
    }

    /// Loads the user's file over the defaults; the second value is a sentence to show when
    /// the file was unusable. Only a regular file of at most [`MAX_CONFIG_BYTES`] is read (a
    /// FIFO or a device is refused without blocking); the sentence is safe to print.
    pub fn load() -> (Self, Option<String>) {
        match Self::path() {
            Some(path) => Self::load_from(&path),
            None => (Self::default(), None),
        }
    }

    /// [`Config::load`] from a given file.
    pub fn load_from(path: &Path) -> (Self, Option<String>) {
        use crate::library::ReadError;
        let shown = crate::escape::path(path);
        let fallback = |why: String| {
            (
                Self::default(),
                Some(
                    crate::escape::display(&format!(
                        "{shown}: {why}; the default settings are used."
                    ))
                    .into_owned(),
                ),
            )
        };
        match crate::library::read_regular(path, MAX_CONFIG_BYTES) {
            Ok(bytes) => match std::str::from_utf8(&bytes) {
                Ok(text) => match Self::parse(text) {
                    Ok(c) => (c, None),
                    Err(e) => fallback(e),
                },
                Err(e) => fallback(format!(
                    "it is not valid UTF-8 (first bad byte at offset {})",
                    e.valid_up_to()
                )),
            },
            Err(ReadError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
                (Self::default(), None)
            }
            Err(e) => fallback(e.to_string()),
        }
    }

    /// Parses a user file: its settings over the embedded defaults.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut base: toml::Table = toml::from_str(DEFAULT_CONFIG).map_err(|e| e.to_string())?;
        let user: toml::Table = toml::from_str(text).map_err(|e| {
            format!(
                "it is not valid TOML ({})",
                e.message().trim_end_matches('.')
            )
        })?;
        merge(&mut base, user);
        let config: Self = toml::Value::Table(base)
            .try_into()
            .map_err(|e: toml::de::Error| e.message().trim_end_matches('.').to_owned())?;
        config.keymap()?;
        Ok(config)
    }

    /// The keymap the `[keys]` table describes.
    pub fn keymap(&self) -> Result<crate::keymap::Keymap, String> {
        crate::keymap::Keymap::from_table(&self.keys)
    }
}

/// Merges `over` into `base`, table by table.
fn merge(base: &mut toml::Table, over: toml::Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_parse() {
        let c = Config::default();
        assert_eq!(c.bidi, None);
        assert!(c.shape);
        assert!(!c.mouse);
        assert!(c.keymap().is_ok());
    }

    #[test]
    fn user_keys_replace_an_actions_keys() {
        let c = Config::parse("[keys]\ndown = [\"n\"]\nnext_match = [\"ctrl-n\"]\n").unwrap();
        assert_eq!(c.keys["down"], vec!["n".to_owned()]);
        assert!(c.keys["up"].contains(&"k".to_owned()));
        let e = Config::parse("[keys]\ndown = [\"k\"]\n").unwrap_err();
        assert_eq!(e, "[keys] binds k to both down and up");
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
        let (c, msg) = Config::load_from(Path::new("/dev/zero"));
        assert_eq!(c, Config::default());
        let msg = msg.unwrap();
        assert!(
            msg.starts_with("/dev/zero: it is a character device, not a regular file;"),
            "{msg}"
        );
        // A FIFO with no writer: refused without blocking.
        let fifo = dir.path().join("config.toml");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|s| s.success()) {
            let msg = Config::load_from(&fifo).1.unwrap();
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
        let msg = Config::load_from(&big).1.unwrap();
        assert!(msg.contains("over the limit of 1 MiB"), "{msg}");
        // Missing: the defaults, silently.
        assert_eq!(Config::load_from(&dir.path().join("none.toml")).1, None);
    }

    #[test]
    fn values_echoed_in_errors_are_escaped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c\u{1b}]0;x\u{7}.toml");
        std::fs::write(&path, "bidi = \"\u{1b}[2J\u{9b}\u{202e}\"\n").unwrap();
        let msg = Config::load_from(&path).1.unwrap();
        assert!(!msg.chars().any(char::is_control), "{msg:?}");
        assert!(!msg.contains('\u{202e}'), "{msg:?}");
        assert!(msg.contains("c␛]0;x␇.toml"), "{msg}");
    }

    #[test]
    fn bad_files_are_one_sentence() {
        let e = Config::parse("bidi = [").unwrap_err();
        assert!(e.starts_with("it is not valid TOML"), "{e}");
        let e = Config::parse("bidi = \"sideways\"").unwrap_err();
        assert!(e.contains("sideways"), "{e}");
        let e = Config::parse("colour = 1").unwrap_err();
        assert!(e.contains("colour"), "{e}");
    }

    #[test]
    fn a_bad_colour_is_named_with_its_setting() {
        let mut cfg = Config::default().theme;
        assert!(cfg.validate().is_ok());
        cfg.quote = "grene".into();
        let e = cfg.validate().unwrap_err();
        assert!(
            e.starts_with("[theme] quote = \"grene\" is not a colour"),
            "{e}"
        );
    }
}
