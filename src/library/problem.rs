//! What could not be used of the files of a library, one problem a file, and the sentence the
//! reader shows of them.

use std::fmt;

use serde::Serialize;

use super::Library;

/// A file that could not be used, or was used in part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The file, as shown to the user.
    pub path: String,
    /// What is wrong, as the end of a sentence ("it is binary …").
    pub message: String,
    /// True when nothing of the file could be used.
    pub unusable: bool,
    /// True for a note about the library's layout rather than a file's content (a link to a
    /// folder already read): printed without a verdict.
    pub note: bool,
}

impl Problem {
    pub(super) fn new(path: String, message: impl Into<String>, unusable: bool) -> Self {
        Self {
            path,
            message: message.into(),
            unusable,
            note: false,
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The path was made safe when it was recorded; the message may quote a parser's view
        // of the file, so it is made safe here.
        let message = crate::escape::display(&self.message);
        if self.note {
            return write!(f, "{}: {message}.", self.path);
        }
        let verdict = if self.unusable { "skipped" } else { "loaded" };
        write!(f, "{}: {verdict}: {message}.", self.path)
    }
}

impl Library {
    /// What the reader says of the files that could not be used: the first one's sentence and
    /// how many there were; none when every file was used.
    pub fn problems_note(&self) -> Option<String> {
        let mut unusable = self.problems.iter().filter(|p| p.unusable);
        let first = unusable.next()?;
        let more = unusable.count();
        Some(if more > 0 {
            format!(
                "{first} ({} files were skipped; `qari check` lists them)",
                more + 1
            )
        } else {
            first.to_string()
        })
    }
}
