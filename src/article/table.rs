//! Tables as labelled rows: each row of the body one block, each of its cells on a line of
//! its own after its column's heading (`Heading: cell`), which reads at any width and in
//! either direction; a table without a heading row gives its rows' cells one a line.

use super::{BlockKind, RawArticle, Row};

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

    /// Pushes the table (number `table` of the article) into `raw` as labelled rows.
    pub(super) fn finish(self, table: u32, raw: &mut RawArticle) {
        let dropped = self.dropped;
        for (text, row) in self.labelled(table) {
            let before = raw.blocks.len();
            raw.push_block(BlockKind::Paragraph, &text);
            if let Some(b) = raw.blocks.get_mut(before).filter(|b| b.text == text) {
                b.row = Some(Box::new(row));
            }
        }
        if dropped > 0 {
            raw.notes.push(dropped_note(dropped));
        }
    }

    /// The text of each body row as a labelled row, with where its cells are in it (the
    /// first row holding the headings).
    pub(super) fn labelled(self, table: u32) -> Vec<(String, Row)> {
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
            let mut text = String::new();
            let mut cells = Vec::with_capacity(row.len());
            for (k, c) in row.iter().enumerate() {
                if c.is_empty() {
                    let at = text.len() as u32;
                    cells.push((at, at));
                    continue;
                }
                if !text.is_empty() {
                    text.push('\n');
                }
                if let Some(h) = heading.get(k).filter(|h| !h.is_empty()) {
                    text.push_str(h);
                    text.push_str(": ");
                }
                let at = text.len() as u32;
                text.push_str(c);
                cells.push((at, text.len() as u32));
            }
            let heads = if out.is_empty() {
                heading.clone()
            } else {
                Vec::new()
            };
            out.push((
                text,
                Row {
                    table,
                    heads,
                    cells,
                },
            ));
        }
        out
    }
}

/// The note for a table cut at [`MAX_ROWS`].
pub(super) fn dropped_note(dropped: usize) -> String {
    format!("a table of it has more than {MAX_ROWS} rows; the other {dropped} were not read")
}
