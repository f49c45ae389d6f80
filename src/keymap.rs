//! Key bindings: the actions of the reader and the chords bound to them.
//!
//! One [`Keymap`] both handles the keys and writes the help overlay and the status line, so
//! what the help says is always what the keys do. Every action is one entry of the table below
//! (its name in the config file, its word for the status line, its line in the help). The
//! defaults live in `assets/config.toml` (`[keys]`); a user file replaces the bindings of the
//! actions it names. The config loader builds the keymap ([`crate::config::Config::keys`]); a
//! chord bound to two actions is an error, reported in one sentence.

mod chord;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

pub use chord::{Chord, ChordError};

/// Defines [`Action`] from one entry per action, `Variant: "config name", "status word",
/// "help line";` after its doc comment, in the order the help lists them.
macro_rules! actions {
    ($($(#[doc = $doc:literal])* $variant:ident: $name:literal, $label:literal, $describe:literal;)*) => {
        /// Everything a key can do.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Action {
            $($(#[doc = $doc])* $variant,)*
        }

        impl Action {
            /// Every action, in the order the help lists them.
            pub const ALL: &[Self] = &[$(Self::$variant),*];

            /// The name used in the config file.
            pub fn name(self) -> &'static str {
                match self {
                    $(Self::$variant => $name,)*
                }
            }

            /// A one-word label for the status line.
            pub fn label(self) -> &'static str {
                match self {
                    $(Self::$variant => $label,)*
                }
            }

            /// What it does, for the help overlay.
            pub fn describe(self) -> &'static str {
                match self {
                    $(Self::$variant => $describe,)*
                }
            }
        }
    };
}

actions! {
    /// One line (or article) down.
    Down: "down", "move", "line down / next article";
    /// One line (or article) up.
    Up: "up", "move", "line up / previous article";
    /// One page down.
    PageDown: "page_down", "page", "page down (at the end: next unread)";
    /// One page up.
    PageUp: "page_up", "page", "page up";
    /// Half a page down.
    HalfDown: "half_page_down", "half_page_down", "half a page down";
    /// Half a page up.
    HalfUp: "half_page_up", "half_page_up", "half a page up";
    /// To the top.
    Top: "top", "top", "to the top";
    /// To the bottom.
    Bottom: "bottom", "bottom", "to the end";
    /// Open the selected article.
    Open: "open", "open", "open the article";
    /// Back to the list (or close the overlay, or clear the search).
    Back: "back", "back", "back / close / clear";
    /// Switch focus between list and reader (side by side).
    SwitchPane: "switch_pane", "pane", "switch pane (side by side)";
    /// The next unread article.
    NextUnread: "next_unread", "unread", "next unread article";
    /// The previous unread article.
    PrevUnread: "previous_unread", "previous_unread", "previous unread article";
    /// The next article of the list, from the reader.
    NextArticle: "next_article", "next_article", "next article (in the reader)";
    /// The previous article of the list, from the reader.
    PrevArticle: "previous_article", "previous_article", "previous article (in the reader)";
    /// Mark read / unread.
    ToggleRead: "toggle_read", "read", "mark read / unread";
    /// Bookmark / unbookmark.
    Bookmark: "bookmark", "mark", "bookmark / unbookmark";
    /// Cycle the sort order.
    CycleSort: "cycle_sort", "sort", "sort by date, title, source";
    /// Show only the unread articles, or all again.
    UnreadOnly: "unread_only", "unread_only", "unread only / all";
    /// Mark every article shown read (after a confirmation).
    MarkAllRead: "mark_all_read", "mark_all_read", "mark all shown read (asks first)";
    /// A wider reading measure.
    Wider: "wider", "wider", "wider reading measure";
    /// A narrower reading measure.
    Narrower: "narrower", "narrower", "narrower reading measure";
    /// The outline of the article's headings, to jump to one.
    Outline: "outline", "outline", "outline: jump to a heading";
    /// The numbered list of the article's links, to open or copy one.
    Links: "links", "links", "links: open one (over SSH: copy it)";
    /// Select whole paragraphs (then j/k extend, `y` copies, Esc cancels).
    Select: "select", "select", "select paragraphs (j/k, y copies)";
    /// Copy the selection, else the article's address.
    Copy: "copy", "copy", "copy the selection / the address";
    /// Open the article's address in the browser (over SSH: copy and show it).
    OpenAddress: "open_address", "open_address", "open the article's address";
    /// Search the library, or find in the open article.
    Search: "search", "find", "search (words, is:unread, lang:ar…) / find";
    /// The next match in the article.
    NextMatch: "next_match", "next", "next match";
    /// The previous match in the article.
    PrevMatch: "previous_match", "previous_match", "previous match";
    /// Show the help overlay.
    Help: "help", "help", "this help (Esc, q or ? closes it)";
    /// Draw the whole screen again.
    Redraw: "redraw", "redraw", "draw the screen again";
    /// Suspend to the shell (local terminal only).
    Suspend: "suspend", "suspend", "suspend to the shell";
    /// Quit.
    Quit: "quit", "quit", "quit (Ctrl-C always quits)";
}

impl Action {
    fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|a| a.name() == name)
    }
}

/// Why the `[keys]` table gives no keymap; each names the action or the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeymapError {
    /// A name that is no action.
    #[error("[keys] names an unknown action \"{0}\"")]
    UnknownAction(String),
    /// A key name that is no chord.
    #[error("[keys] {action}: {error}")]
    BadKey {
        /// The action it was to be bound to.
        action: &'static str,
        /// What is wrong with it.
        error: ChordError,
    },
    /// One chord bound to two actions.
    #[error("[keys] binds {chord} to both {first} and {second}")]
    BoundTwice {
        /// The chord.
        chord: Chord,
        /// The action it was bound to first.
        first: &'static str,
        /// The action it was bound to again.
        second: &'static str,
    },
}

/// The bindings: each action with its chords, and each chord with its one action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    by_action: BTreeMap<Action, Vec<Chord>>,
    by_chord: BTreeMap<Chord, Action>,
}

impl Keymap {
    /// Builds the keymap from the config's `[keys]` table: action name → list of key names.
    pub fn from_table(table: &BTreeMap<String, Vec<String>>) -> Result<Self, KeymapError> {
        let mut by_action = BTreeMap::new();
        let mut by_chord = BTreeMap::new();
        for (name, keys) in table {
            let action =
                Action::from_name(name).ok_or_else(|| KeymapError::UnknownAction(name.clone()))?;
            let mut chords = Vec::new();
            for k in keys {
                let chord = Chord::parse(k).map_err(|error| KeymapError::BadKey {
                    action: action.name(),
                    error,
                })?;
                if let Some(other) = by_chord.insert(chord, action) {
                    return Err(KeymapError::BoundTwice {
                        chord,
                        first: other.name(),
                        second: action.name(),
                    });
                }
                chords.push(chord);
            }
            by_action.insert(action, chords);
        }
        Ok(Self {
            by_action,
            by_chord,
        })
    }

    /// The action bound to a key, if any. Ctrl-C always quits.
    pub fn action(&self, ev: &KeyEvent) -> Option<Action> {
        if ev.code == KeyCode::Char('c') && ev.modifiers.contains(KeyModifiers::CONTROL) {
            return Some(Action::Quit);
        }
        self.by_chord.get(&Chord::from_event(ev)?).copied()
    }

    /// The chords bound to an action (empty when unbound).
    pub fn chords(&self, action: Action) -> &[Chord] {
        self.by_action.get(&action).map_or(&[], Vec::as_slice)
    }

    /// Every binding, in help order: (action, its chords joined).
    pub fn help_rows(&self) -> Vec<(String, &'static str)> {
        Action::ALL
            .iter()
            .copied()
            .filter(|&a| !self.chords(a).is_empty())
            .map(|a| {
                let keys: Vec<String> = self.chords(a).iter().map(ToString::to_string).collect();
                (keys.join(" "), a.describe())
            })
            .collect()
    }

    /// The bindings as a Markdown table (keys in backticks, then what they do), in help
    /// order: the README's key table is this table.
    pub fn markdown_table(&self) -> String {
        let mut s = String::from("| keys | action |\n| --- | --- |\n");
        for &a in Action::ALL {
            let chords = self.chords(a);
            if chords.is_empty() {
                continue;
            }
            let keys: Vec<String> = chords
                .iter()
                .map(|c| match c.to_string().as_str() {
                    "`" => "`` ` ``".to_owned(),
                    "|" => "`\\|`".to_owned(),
                    k => format!("`{k}`"),
                })
                .collect();
            let _ = writeln!(
                s,
                "| {} | {} |",
                keys.join(" "),
                a.describe().replace('|', "\\|")
            );
        }
        s
    }

    /// Every chord with its action.
    pub fn bindings(&self) -> impl Iterator<Item = (&Chord, &Action)> {
        self.by_chord.iter()
    }
}
