//! A session's raw terminal input parsed into the app's inputs, with every buffer bounded.
//!
//! Keys and escape sequences go through terminput, a byte at a time; a sequence that grows past
//! [`MAX_SEQUENCE`] bytes without becoming a key is dropped. A bracketed paste (`ESC[200~` …
//! `ESC[201~`) is scanned in one linear pass and becomes one [`Input::Paste`]: its first
//! [`PASTE_MAX`] bytes are kept, the rest dropped, and nothing inside it is ever run as a key
//! (a `q` in a paste does not quit). A paste that never closes keeps swallowing input, never
//! more than [`PASTE_MAX`] bytes of it in memory.

use crate::app::Input;
use crate::terminal::to_input;

/// The paste bytes kept; the rest of a longer paste is dropped.
pub const PASTE_MAX: usize = 64 * 1024;
/// The longest escape sequence waited for; no key a terminal sends comes near it.
pub const MAX_SEQUENCE: usize = 256;

const PASTE_START: &[u8] = b"\x1b[200~";
const PASTE_END: &[u8] = b"\x1b[201~";

/// A paste being read.
#[derive(Debug, Default)]
struct Paste {
    kept: Vec<u8>,
    dropped: usize,
    /// How many bytes of [`PASTE_END`] the input ended on so far.
    matched: usize,
}

impl Paste {
    fn push(&mut self, b: u8) {
        if self.kept.len() < PASTE_MAX {
            self.kept.push(b);
        } else {
            self.dropped += 1;
        }
    }

    /// Takes one byte; true when it closed the paste.
    fn take(&mut self, b: u8) -> bool {
        if PASTE_END.get(self.matched) == Some(&b) {
            self.matched += 1;
            return self.matched == PASTE_END.len();
        }
        // ESC only starts the end marker, so a mismatch restarts the match at this byte.
        let matched = self.matched;
        for &c in &PASTE_END[..matched] {
            self.push(c);
        }
        self.matched = 0;
        if b == PASTE_END[0] {
            self.matched = 1;
        } else {
            self.push(b);
        }
        false
    }

    /// The paste as text, as it came (the app cleans it: `App::handle`):
    /// invalid UTF-8 replaced, a character cut by the cap left out.
    fn finish(self) -> Option<Input> {
        let text = String::from_utf8_lossy(&self.kept);
        let mut text: &str = &text;
        if self.dropped > 0 {
            // The cap may have cut the last character in two.
            text = text.strip_suffix('\u{FFFD}').unwrap_or(text);
        }
        (!text.is_empty()).then(|| Input::Paste(text.to_owned()))
    }
}

/// Parses raw terminal input into the app's inputs.
#[derive(Debug, Default)]
pub struct KeyParser {
    buf: Vec<u8>,
    paste: Option<Paste>,
    /// A control sequence grew too long: its bytes are dropped up to its final byte.
    skipping: bool,
}

impl KeyParser {
    /// Feeds bytes; returns the complete events. A trailing lone ESC stays pending (see
    /// [`KeyParser::pending_escape`]).
    pub fn feed(&mut self, data: &[u8]) -> Vec<Input> {
        let mut out = Vec::new();
        for &b in data {
            if let Some(p) = &mut self.paste {
                if p.take(b)
                    && let Some(input) = self.paste.take().and_then(Paste::finish)
                {
                    out.push(input);
                }
                continue;
            }
            if self.skipping {
                self.skipping = !(0x40..=0x7e).contains(&b);
                continue;
            }
            self.buf.push(b);
            if self.buf == [0x1b] {
                // ESC: the start of a sequence if more follows, else (after ESC_WAIT with
                // nothing behind it) the Esc key.
                continue;
            }
            if self.buf == PASTE_START {
                self.buf.clear();
                self.paste = Some(Paste::default());
                continue;
            }
            if self.buf == PASTE_END {
                // The end of a paste that never started (or was already closed).
                self.buf.clear();
                continue;
            }
            match terminput::Event::parse_from(&self.buf) {
                Ok(Some(ev)) => {
                    self.buf.clear();
                    if let Some(input) = to_input(ev) {
                        out.push(input);
                    }
                }
                Ok(None) => {
                    if self.buf.len() >= MAX_SEQUENCE {
                        self.skipping = self.buf.starts_with(b"\x1b[");
                        self.buf.clear();
                    }
                }
                Err(_) => self.buf.clear(),
            }
        }
        out
    }

    /// Whether a lone ESC waits for more bytes.
    pub fn pending_escape(&self) -> bool {
        self.paste.is_none() && self.buf == [0x1b]
    }

    /// Whether a paste is open (its end has not come yet).
    pub fn in_paste(&self) -> bool {
        self.paste.is_some()
    }

    /// Bytes held: an unfinished sequence and the paste kept so far.
    pub fn pending_bytes(&self) -> usize {
        self.buf.len() + self.paste.as_ref().map_or(0, |p| p.kept.len())
    }

    /// Nothing came after the ESC: it is the Esc key.
    pub fn flush_escape(&mut self) -> Option<Input> {
        if self.pending_escape() {
            self.buf.clear();
            return to_input(terminput::Event::Key(terminput::KeyEvent::new(
                terminput::KeyCode::Esc,
            )));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    fn key(code: KeyCode) -> Input {
        Input::Key(KeyEvent::new(code, KeyModifiers::NONE))
    }

    #[test]
    fn keys_arrows_paging_and_text() {
        let mut p = KeyParser::default();
        let got = p.feed(b"j\x1b[A\x1b[B\x1b[5~\x1b[6~q");
        assert_eq!(
            got,
            vec![
                key(KeyCode::Char('j')),
                key(KeyCode::Up),
                key(KeyCode::Down),
                key(KeyCode::PageUp),
                key(KeyCode::PageDown),
                key(KeyCode::Char('q')),
            ]
        );
        assert!(!p.pending_escape());
    }

    #[test]
    fn a_sequence_split_across_reads() {
        let mut p = KeyParser::default();
        assert!(p.feed(b"\x1b").is_empty());
        assert!(p.pending_escape());
        assert_eq!(p.feed(b"[B"), vec![key(KeyCode::Down)]);
        assert!(p.feed("ع".as_bytes().get(..1).unwrap()).is_empty());
        assert_eq!(
            p.feed("ع".as_bytes().get(1..).unwrap()),
            vec![key(KeyCode::Char('ع'))]
        );
    }

    #[test]
    fn a_lone_escape_is_the_esc_key_after_the_wait() {
        let mut p = KeyParser::default();
        assert!(p.feed(b"\x1b").is_empty());
        assert_eq!(p.flush_escape(), Some(key(KeyCode::Esc)));
        assert!(p.flush_escape().is_none());
    }

    #[test]
    fn bracketed_paste_is_one_input_and_none_of_it_keys() {
        let mut p = KeyParser::default();
        let got = p.feed(b"\x1b[200~rm -rf /\r\nq\x1b[31m\x07\xe2\x80\xaeok\xff\x1b[201~j");
        // As it came, invalid UTF-8 replaced; the app cleans it.
        assert_eq!(
            got,
            vec![
                Input::Paste("rm -rf /\r\nq\x1b[31m\x07\u{202e}ok\u{FFFD}".to_owned()),
                key(KeyCode::Char('j'))
            ]
        );
        // Markers split across reads, an ESC inside that is not the end.
        let mut p = KeyParser::default();
        assert!(p.feed(b"\x1b[20").is_empty());
        assert!(p.feed(b"0~a\x1b").is_empty());
        assert!(p.feed(b"[20x\x1b[20").is_empty());
        assert!(p.feed(b"1").is_empty());
        assert!(p.in_paste());
        assert_eq!(p.feed(b"~"), vec![Input::Paste("a\u{1b}[20x".to_owned())]);
        assert!(!p.in_paste());
        // A stray end marker is nothing.
        assert!(p.feed(b"\x1b[201~").is_empty());
        assert_eq!(p.feed(b"q"), vec![key(KeyCode::Char('q'))]);
    }

    #[test]
    fn a_long_paste_is_capped_and_never_run_as_keys() {
        let mut p = KeyParser::default();
        let mut input = b"\x1b[200~".to_vec();
        // "ب" is two bytes: the cap falls inside one when the prefix is odd.
        input.push(b'x');
        for _ in 0..(1 << 20) / 3 {
            input.extend_from_slice("بq".as_bytes());
        }
        input.extend_from_slice(b"\x1b[201~");
        let mut got = Vec::new();
        for chunk in input.chunks(32 * 1024) {
            got.extend(p.feed(chunk));
            assert!(p.pending_bytes() <= PASTE_MAX);
        }
        assert_eq!(got.len(), 1, "one input");
        let Input::Paste(text) = &got[0] else {
            panic!("not a paste: {got:?}")
        };
        assert!(text.len() <= PASTE_MAX && text.len() > PASTE_MAX - 4);
        assert!(text.starts_with("xبq"));
        assert!(!text.contains('\u{FFFD}'));
        assert_eq!(p.feed(b"j"), vec![key(KeyCode::Char('j'))]);
    }

    #[test]
    fn an_endless_paste_and_an_endless_sequence_are_bounded() {
        let mut p = KeyParser::default();
        p.feed(b"\x1b[200~");
        for _ in 0..1000 {
            assert!(p.feed(&[b'q'; 1024]).is_empty());
        }
        assert!(p.in_paste());
        assert!(p.pending_bytes() <= PASTE_MAX);

        let mut p = KeyParser::default();
        let mut endless = b"\x1b[".to_vec();
        endless.extend(std::iter::repeat_n(b'1', 100_000));
        p.feed(&endless);
        assert!(p.pending_bytes() < MAX_SEQUENCE);
        // Its parameters are not keys; its final byte ends it.
        assert!(p.feed(b"123").is_empty());
        assert_eq!(p.feed(b"~j"), vec![key(KeyCode::Char('j'))]);
    }
}
