//! The configuration file: TOML, from `$QARI_CONFIG`, else `config.toml` in the XDG config
//! directory. The defaults are embedded; a user file is read over them, and its `[keys]` built
//! into the [`Keymap`] here, so a [`Config`] always holds a valid one. A bad user file is a
//! [`ConfigError`], one sentence naming the file and the problem; the front ends report it and
//! keep the defaults.

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::keymap::{Keymap, KeymapError};
use crate::layout::BidiMode;
use crate::library::ReadError;

/// The largest config file read (the defaults are about 3 KB).
pub const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// The embedded defaults, also the documentation of every setting.
pub const DEFAULT_CONFIG: &str = include_str!("../assets/config.toml");

/// Settings from the config file.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(
    clippy::struct_excessive_bools,
    reason = "each is an independent on/off setting of the file"
)]
pub struct Config {
    /// Who reorders bidi text; without it, the terminal decides (see [`crate::terminal`]).
    pub bidi: Option<BidiMode>,
    /// Whether qari shapes Arabic.
    pub shape: bool,
    /// Whether the mouse wheel scrolls (it breaks text selection).
    pub mouse: bool,
    /// The longest line of running text, in columns (0: the reader pane's width).
    pub measure: u16,
    /// Whether `y` copies to the clipboard through the terminal (OSC 52).
    pub clipboard: bool,
    /// Whether links are sent as terminal hyperlinks (OSC 8) to terminals that take them.
    pub hyperlinks: bool,
    /// Folders opened when qari is started without paths (empty: the sample library).
    pub library: Vec<PathBuf>,
    /// The keys bound to each action, from `[keys]`.
    pub keys: Keymap,
    /// Colours of the 16-colour theme.
    pub theme: Theme,
}

/// The settings as the file spells them, before the keymap is built.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(
    clippy::struct_excessive_bools,
    reason = "each is an independent on/off setting of the file"
)]
struct File {
    #[serde(default)]
    bidi: Option<BidiMode>,
    shape: bool,
    mouse: bool,
    measure: u16,
    clipboard: bool,
    hyperlinks: bool,
    #[serde(default)]
    library: Vec<PathBuf>,
    /// Action name → the keys bound to it.
    keys: BTreeMap<String, Vec<String>>,
    theme: Theme,
}

/// A config file that could not be used: the file and what is wrong with it, one sentence,
/// safe to print.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {}", crate::escape::display(&.problem.to_string()))]
pub struct ConfigError {
    /// The file, made safe to print.
    pub file: String,
    /// What is wrong with it.
    pub problem: ConfigProblem,
}

/// What is wrong with a config file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigProblem {
    /// It could not be read (not a regular file, too large, refused).
    #[error("{0}")]
    Read(#[from] ReadError),
    /// It is not UTF-8.
    #[error("it is not valid UTF-8 (first bad byte at offset {0})")]
    NotUtf8(usize),
    /// It is not TOML.
    #[error("it is not valid TOML ({0})")]
    Toml(String),
    /// A setting is unknown or of the wrong kind (as the TOML reader says).
    #[error("{0}")]
    Setting(String),
    /// The `[keys]` table names an unknown action or key, or binds a key twice.
    #[error(transparent)]
    Keys(#[from] KeymapError),
}

/// A `[theme]` colour that is not a colour; the terminal's own colour is used instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "[theme] {setting} = \"{value}\" is not a colour (a name such as \"yellow\", \"#rrggbb\" or an index 0-255); the terminal's own colour is used"
)]
pub struct BadColour {
    /// The setting's name.
    pub setting: &'static str,
    /// Its value, control characters removed, cut at 40 characters.
    pub value: String,
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
    pub fn validate(&self) -> Result<(), BadColour> {
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
                return Err(BadColour {
                    setting: name,
                    value: value.chars().filter(|c| !c.is_control()).take(40).collect(),
                });
            }
        }
        Ok(())
    }
}

impl Default for Config {
    fn default() -> Self {
        toml::from_str(DEFAULT_CONFIG)
            .map_err(|e| ConfigProblem::Toml(e.message().to_owned()))
            .and_then(Self::build)
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

    /// Loads the user's file over the defaults (the defaults alone when there is no file).
    /// Only a regular file of at most [`MAX_CONFIG_BYTES`] is read (a FIFO or a device is
    /// refused without blocking).
    pub fn load() -> Result<Self, ConfigError> {
        match Self::path() {
            Some(path) => Self::load_from(&path),
            None => Ok(Self::default()),
        }
    }

    /// [`Config::load`] from a given file.
    pub fn load_from(path: &Path) -> Result<Self, ConfigError> {
        let fail = |problem: ConfigProblem| ConfigError {
            file: crate::escape::path(path),
            problem,
        };
        let bytes = match crate::library::read_regular(path, MAX_CONFIG_BYTES) {
            Ok(bytes) => bytes,
            Err(ReadError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Self::default());
            }
            Err(e) => return Err(fail(e.into())),
        };
        let text = std::str::from_utf8(&bytes)
            .map_err(|e| fail(ConfigProblem::NotUtf8(e.valid_up_to())))?;
        Self::parse(text).map_err(fail)
    }

    /// Parses a user file: its settings over the embedded defaults, its keymap built.
    pub fn parse(text: &str) -> Result<Self, ConfigProblem> {
        let mut base: toml::Table = toml::from_str(DEFAULT_CONFIG)
            .map_err(|e| ConfigProblem::Toml(e.message().to_owned()))?;
        let user: toml::Table = toml::from_str(text)
            .map_err(|e| ConfigProblem::Toml(e.message().trim_end_matches('.').to_owned()))?;
        merge(&mut base, user);
        Self::build(base)
    }

    /// The settings of a whole table (defaults and user file merged), the keymap built.
    fn build(table: toml::Table) -> Result<Self, ConfigProblem> {
        let file: File = toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| {
                ConfigProblem::Setting(e.message().trim_end_matches('.').to_owned())
            })?;
        Ok(Self {
            bidi: file.bidi,
            shape: file.shape,
            mouse: file.mouse,
            measure: file.measure,
            clipboard: file.clipboard,
            hyperlinks: file.hyperlinks,
            library: file.library,
            keys: Keymap::from_table(&file.keys)?,
            theme: file.theme,
        })
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
