//! Key bindings: the actions of the reader and the chords bound to them.
//!
//! One [`Keymap`] both handles the keys and writes the help overlay and the status line, so
//! what the help says is always what the keys do. The defaults live in `assets/config.toml`
//! (`[keys]`); a user file replaces the bindings of the actions it names. A chord bound to two
//! actions is an error, reported in one sentence.

use std::collections::BTreeMap;
use std::fmt;
use std::fmt::Write as _;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Everything a key can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    /// One line (or article) down.
    Down,
    /// One line (or article) up.
    Up,
    /// One page down.
    PageDown,
    /// One page up.
    PageUp,
    /// Half a page down.
    HalfDown,
    /// Half a page up.
    HalfUp,
    /// To the top.
    Top,
    /// To the bottom.
    Bottom,
    /// Open the selected article.
    Open,
    /// Back to the list (or close the overlay, or clear the filter).
    Back,
    /// Switch focus between list and reader (side by side).
    SwitchPane,
    /// The next unread article.
    NextUnread,
    /// The previous unread article.
    PrevUnread,
    /// Mark read / unread.
    ToggleRead,
    /// Bookmark / unbookmark.
    Bookmark,
    /// Cycle the sort order.
    CycleSort,
    /// Show only the unread articles, or all again.
    UnreadOnly,
    /// Mark every article shown read (after a confirmation).
    MarkAllRead,
    /// The next article of the list, from the reader.
    NextArticle,
    /// The previous article of the list, from the reader.
    PrevArticle,
    /// A wider reading measure.
    Wider,
    /// A narrower reading measure.
    Narrower,
    /// The outline of the article's headings, to jump to one.
    Outline,
    /// Select whole paragraphs (then j/k extend, `y` copies, Esc cancels).
    Select,
    /// Copy the selection, else the article's address.
    Copy,
    /// Open the article's address in the browser (over SSH: copy and show it).
    OpenAddress,
    /// Filter the list, or search the open article.
    Search,
    /// The next match in the article.
    NextMatch,
    /// The previous match in the article.
    PrevMatch,
    /// Show the help overlay.
    Help,
    /// Draw the whole screen again.
    Redraw,
    /// Suspend to the shell (local terminal only).
    Suspend,
    /// Quit.
    Quit,
}

impl Action {
    /// Every action, in the order the help lists them.
    pub const ALL: [Self; 33] = [
        Self::Down,
        Self::Up,
        Self::PageDown,
        Self::PageUp,
        Self::HalfDown,
        Self::HalfUp,
        Self::Top,
        Self::Bottom,
        Self::Open,
        Self::Back,
        Self::SwitchPane,
        Self::NextUnread,
        Self::PrevUnread,
        Self::NextArticle,
        Self::PrevArticle,
        Self::ToggleRead,
        Self::Bookmark,
        Self::CycleSort,
        Self::UnreadOnly,
        Self::MarkAllRead,
        Self::Wider,
        Self::Narrower,
        Self::Outline,
        Self::Select,
        Self::Copy,
        Self::OpenAddress,
        Self::Search,
        Self::NextMatch,
        Self::PrevMatch,
        Self::Help,
        Self::Redraw,
        Self::Suspend,
        Self::Quit,
    ];

    /// The name used in the config file.
    pub fn name(self) -> &'static str {
        match self {
            Self::Down => "down",
            Self::Up => "up",
            Self::PageDown => "page_down",
            Self::PageUp => "page_up",
            Self::HalfDown => "half_page_down",
            Self::HalfUp => "half_page_up",
            Self::Top => "top",
            Self::Bottom => "bottom",
            Self::Open => "open",
            Self::Back => "back",
            Self::SwitchPane => "switch_pane",
            Self::NextUnread => "next_unread",
            Self::PrevUnread => "previous_unread",
            Self::ToggleRead => "toggle_read",
            Self::Bookmark => "bookmark",
            Self::CycleSort => "cycle_sort",
            Self::UnreadOnly => "unread_only",
            Self::MarkAllRead => "mark_all_read",
            Self::Wider => "wider",
            Self::Narrower => "narrower",
            Self::Outline => "outline",
            Self::Select => "select",
            Self::Copy => "copy",
            Self::OpenAddress => "open_address",
            Self::NextArticle => "next_article",
            Self::PrevArticle => "previous_article",
            Self::Search => "search",
            Self::NextMatch => "next_match",
            Self::PrevMatch => "previous_match",
            Self::Help => "help",
            Self::Redraw => "redraw",
            Self::Suspend => "suspend",
            Self::Quit => "quit",
        }
    }

    /// What it does, for the help overlay.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Down => "line down / next article",
            Self::Up => "line up / previous article",
            Self::PageDown => "page down (at the end: next unread)",
            Self::PageUp => "page up",
            Self::HalfDown => "half a page down",
            Self::HalfUp => "half a page up",
            Self::Top => "to the top",
            Self::Bottom => "to the end",
            Self::Open => "open the article",
            Self::Back => "back / close / clear",
            Self::SwitchPane => "switch pane (side by side)",
            Self::NextUnread => "next unread article",
            Self::PrevUnread => "previous unread article",
            Self::ToggleRead => "mark read / unread",
            Self::Bookmark => "bookmark / unbookmark",
            Self::CycleSort => "sort by date, title, source",
            Self::UnreadOnly => "unread only / all",
            Self::MarkAllRead => "mark all shown read (asks first)",
            Self::Wider => "wider reading measure",
            Self::Narrower => "narrower reading measure",
            Self::Outline => "outline: jump to a heading",
            Self::Select => "select paragraphs (j/k, y copies)",
            Self::Copy => "copy the selection / the address",
            Self::OpenAddress => "open the article's address",
            Self::NextArticle => "next article (in the reader)",
            Self::PrevArticle => "previous article (in the reader)",
            Self::Search => "filter (words, is:unread, lang:ar…) / find",
            Self::NextMatch => "next match",
            Self::PrevMatch => "previous match",
            Self::Help => "this help (Esc, q or ? closes it)",
            Self::Redraw => "draw the screen again",
            Self::Suspend => "suspend to the shell",
            Self::Quit => "quit (Ctrl-C always quits)",
        }
    }

    /// A one-word label for the status line.
    pub fn label(self) -> &'static str {
        match self {
            Self::Down | Self::Up => "move",
            Self::PageDown | Self::PageUp => "page",
            Self::Open => "open",
            Self::Back => "back",
            Self::SwitchPane => "pane",
            Self::NextUnread => "unread",
            Self::ToggleRead => "read",
            Self::Bookmark => "mark",
            Self::CycleSort => "sort",
            Self::Search => "find",
            Self::NextMatch => "next",
            Self::Help => "help",
            Self::Quit => "quit",
            _ => self.name(),
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.name() == name)
    }
}

/// One key with its modifiers, as bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Chord {
    code: ChordCode,
    ctrl: bool,
    alt: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum ChordCode {
    Char(char),
    Named(Named),
    F(u8),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Named {
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Home,
    End,
    Enter,
    Esc,
    Tab,
    BackTab,
    Backspace,
    Delete,
    Insert,
}

const NAMES: &[(&str, Named)] = &[
    ("up", Named::Up),
    ("down", Named::Down),
    ("left", Named::Left),
    ("right", Named::Right),
    ("pgup", Named::PageUp),
    ("pageup", Named::PageUp),
    ("pgdn", Named::PageDown),
    ("pagedown", Named::PageDown),
    ("home", Named::Home),
    ("end", Named::End),
    ("enter", Named::Enter),
    ("return", Named::Enter),
    ("esc", Named::Esc),
    ("escape", Named::Esc),
    ("tab", Named::Tab),
    ("backtab", Named::BackTab),
    ("backspace", Named::Backspace),
    ("delete", Named::Delete),
    ("insert", Named::Insert),
];

impl Chord {
    /// Parses `j`, `G`, `space`, `ctrl-d`, `alt-x`, `pgdn`, `f1`, ….
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut rest = s;
        let (mut ctrl, mut alt) = (false, false);
        loop {
            let lower = rest.to_ascii_lowercase();
            if rest.chars().count() > 1 && (lower.starts_with("ctrl-") || lower.starts_with("c-")) {
                ctrl = true;
                rest = rest.split_once('-').map_or(rest, |(_, r)| r);
            } else if rest.chars().count() > 1
                && (lower.starts_with("alt-") || lower.starts_with("m-"))
            {
                alt = true;
                rest = rest.split_once('-').map_or(rest, |(_, r)| r);
            } else {
                break;
            }
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => ChordCode::Char(if ctrl { c.to_ascii_lowercase() } else { c }),
            (Some(_), Some(_)) => {
                let lower = rest.to_ascii_lowercase();
                if lower == "space" {
                    ChordCode::Char(' ')
                } else if let Some(&(_, n)) = NAMES.iter().find(|(name, _)| *name == lower) {
                    ChordCode::Named(n)
                } else if let Some(n) = lower
                    .strip_prefix('f')
                    .and_then(|d| d.parse::<u8>().ok())
                    .filter(|n| (1..=24).contains(n))
                {
                    ChordCode::F(n)
                } else {
                    return Err(format!("\"{s}\" is not a key qari knows"));
                }
            }
            (None, _) => return Err("an empty key name".to_owned()),
        };
        Ok(Self { code, ctrl, alt })
    }

    /// The chord of a key event, if it can be bound (Shift is part of the character).
    pub fn from_event(ev: &KeyEvent) -> Option<Self> {
        let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
        let alt = ev.modifiers.contains(KeyModifiers::ALT);
        let code = match ev.code {
            KeyCode::Char(c) => ChordCode::Char(if ctrl { c.to_ascii_lowercase() } else { c }),
            KeyCode::Up => ChordCode::Named(Named::Up),
            KeyCode::Down => ChordCode::Named(Named::Down),
            KeyCode::Left => ChordCode::Named(Named::Left),
            KeyCode::Right => ChordCode::Named(Named::Right),
            KeyCode::PageUp => ChordCode::Named(Named::PageUp),
            KeyCode::PageDown => ChordCode::Named(Named::PageDown),
            KeyCode::Home => ChordCode::Named(Named::Home),
            KeyCode::End => ChordCode::Named(Named::End),
            KeyCode::Enter => ChordCode::Named(Named::Enter),
            KeyCode::Esc => ChordCode::Named(Named::Esc),
            KeyCode::Tab => ChordCode::Named(Named::Tab),
            KeyCode::BackTab => ChordCode::Named(Named::BackTab),
            KeyCode::Backspace => ChordCode::Named(Named::Backspace),
            KeyCode::Delete => ChordCode::Named(Named::Delete),
            KeyCode::Insert => ChordCode::Named(Named::Insert),
            KeyCode::F(n) => ChordCode::F(n),
            _ => return None,
        };
        Some(Self { code, ctrl, alt })
    }
}

impl fmt::Display for Chord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("Ctrl-")?;
        }
        if self.alt {
            f.write_str("Alt-")?;
        }
        match self.code {
            ChordCode::Char(' ') => f.write_str("Space"),
            ChordCode::Char(c) => write!(f, "{c}"),
            ChordCode::F(n) => write!(f, "F{n}"),
            ChordCode::Named(n) => f.write_str(match n {
                Named::Up => "↑",
                Named::Down => "↓",
                Named::Left => "←",
                Named::Right => "→",
                Named::PageUp => "PgUp",
                Named::PageDown => "PgDn",
                Named::Home => "Home",
                Named::End => "End",
                Named::Enter => "Enter",
                Named::Esc => "Esc",
                Named::Tab => "Tab",
                Named::BackTab => "Shift-Tab",
                Named::Backspace => "Backspace",
                Named::Delete => "Delete",
                Named::Insert => "Insert",
            }),
        }
    }
}

/// The bindings: each action with its chords, and each chord with its one action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    by_action: BTreeMap<Action, Vec<Chord>>,
    by_chord: BTreeMap<Chord, Action>,
}

impl Keymap {
    /// Builds the keymap from the config's `[keys]` table: action name → list of key names.
    pub fn from_table(table: &BTreeMap<String, Vec<String>>) -> Result<Self, String> {
        let mut by_action = BTreeMap::new();
        let mut by_chord = BTreeMap::new();
        for (name, keys) in table {
            let action = Action::from_name(name)
                .ok_or_else(|| format!("[keys] names an unknown action \"{name}\""))?;
            let mut chords = Vec::new();
            for k in keys {
                let chord = Chord::parse(k).map_err(|e| format!("[keys] {name}: {e}"))?;
                if let Some(other) = by_chord.insert(chord, action) {
                    return Err(format!(
                        "[keys] binds {chord} to both {} and {name}",
                        other.name()
                    ));
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
            .into_iter()
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
        for a in Action::ALL {
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

impl Default for Keymap {
    fn default() -> Self {
        crate::config::Config::default().keymap().unwrap_or(Self {
            by_action: BTreeMap::new(),
            by_chord: BTreeMap::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    #[test]
    fn the_defaults_bind_every_action_and_no_chord_twice() {
        let table = crate::config::Config::default().keys;
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
        for a in Action::ALL {
            assert!(!km.chords(a).is_empty(), "{} has no key", a.name());
        }
    }

    #[test]
    fn a_chord_bound_twice_is_refused() {
        let mut t = BTreeMap::new();
        t.insert("down".to_owned(), vec!["j".to_owned()]);
        t.insert("up".to_owned(), vec!["j".to_owned()]);
        let e = Keymap::from_table(&t).unwrap_err();
        assert_eq!(e, "[keys] binds j to both down and up");
    }

    #[test]
    fn the_issue_defaults() {
        let km = Keymap::default();
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
}
