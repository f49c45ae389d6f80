//! Chords: one key with its modifiers, as the config names it and as the help shows it.

use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Why a key name is not a chord.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChordError {
    /// A name qari does not know.
    #[error("\"{0}\" is not a key qari knows")]
    Unknown(String),
    /// An empty string.
    #[error("an empty key name")]
    Empty,
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
    pub fn parse(s: &str) -> Result<Self, ChordError> {
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
                    return Err(ChordError::Unknown(s.to_owned()));
                }
            }
            (None, _) => return Err(ChordError::Empty),
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
