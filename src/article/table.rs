//! Tables as labelled rows: each row of the body one block, each of its cells on a line of
//! its own after its column's heading (`Heading: cell`), which reads at any width and in
//! either direction; a table without a heading row gives its rows' cells one a line.

use super::{BlockKind, RawArticle};

/// At most this many rows of one table are kept; a note says how many more there were.
pub(super) const MAX_ROWS: usize = 2000;
/// At most this many cells of a row are kept.
pub(super) const MAX_CELLS: usize = 64;

/// A table being read: its rows of cells, the first the heading when `head` says so.
#[derive(Debug, Default)]
pub(super) struct Table {
    pub(super) rows: Vec<Vec<String>>,
    /// Whether the first row is the heading row.
    pub(super) head: bool,
    /// Rows left out past [`MAX_ROWS`].
    pub(super) dropped: usize,
}

impl Table {
    /// Starts a row.
    pub(super) fn row(&mut self) {
        if self.rows.len() < MAX_ROWS {
            self.rows.push(Vec::new());
        } else {
            self.dropped += 1;
        }
    }

    /// Adds a cell to the row being read (white space collapsed).
    pub(super) fn cell(&mut self, text: &str) {
        if self.dropped > 0 {
            return;
        }
        if let Some(row) = self.rows.last_mut()
            && row.len() < MAX_CELLS
        {
            row.push(text.split_whitespace().collect::<Vec<_>>().join(" "));
        }
    }

    /// Pushes the table into `raw` as labelled rows.
    pub(super) fn finish(self, raw: &mut RawArticle) {
        let dropped = self.dropped;
        for text in self.labelled() {
            raw.push_block(BlockKind::Paragraph, &text);
        }
        if dropped > 0 {
            raw.notes.push(dropped_note(dropped));
        }
    }

    /// The text of each body row as a labelled row.
    pub(super) fn labelled(self) -> Vec<String> {
        let mut out = Vec::new();
        let mut rows = self
            .rows
            .into_iter()
            .filter(|r| r.iter().any(|c| !c.is_empty()));
        let heading: Vec<String> = if self.head {
            rows.next().unwrap_or_default()
        } else {
            Vec::new()
        };
        for row in rows {
            let lines: Vec<String> = row
                .iter()
                .enumerate()
                .filter(|(_, c)| !c.is_empty())
                .map(|(k, c)| match heading.get(k).filter(|h| !h.is_empty()) {
                    Some(h) => format!("{h}: {c}"),
                    None => c.clone(),
                })
                .collect();
            out.push(lines.join("\n"));
        }
        out
    }
}

/// The note for a table cut at [`MAX_ROWS`].
pub(super) fn dropped_note(dropped: usize) -> String {
    format!("a table of it has more than {MAX_ROWS} rows; the other {dropped} were not read")
}
