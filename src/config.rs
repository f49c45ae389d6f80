//! The configuration file: TOML, from `$QARI_CONFIG`, else `config.toml` in the XDG config
//! directory. The defaults are embedded; a bad user file is reported in one sentence and the
//! defaults are kept.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

use crate::layout::BidiMode;

/// The embedded defaults, also the documentation of every setting.
pub const DEFAULT_CONFIG: &str = include_str!("../assets/config.toml");

/// Settings from the config file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Who reorders bidi text.
    pub bidi: BidiMode,
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
    /// the file was unusable.
    pub fn load() -> (Self, Option<String>) {
        let Some(path) = Self::path() else {
            return (Self::default(), None);
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => match Self::parse(&text) {
                Ok(c) => (c, None),
                Err(e) => (
                    Self::default(),
                    Some(format!(
                        "{}: {e}; the default settings are used.",
                        path.display()
                    )),
                ),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (Self::default(), None),
            Err(e) => (
                Self::default(),
                Some(format!(
                    "{} cannot be read ({e}); the default settings are used.",
                    path.display()
                )),
            ),
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
        assert_eq!(c.bidi, BidiMode::App);
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
        assert_eq!(c.bidi, BidiMode::Terminal);
        assert!(c.shape);
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
}
