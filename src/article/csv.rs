//! CSV and TSV datasets with a header row, through csv-core (the parser of the `csv` crate,
//! driven here field by field so that no field grows past its cap): every row an article, the
//! columns matched by name as for JSON (see [`super::json::raw_from_fields`]).

use csv_core::{ReadFieldResult, ReaderBuilder};
use serde_json::{Map, Value};

use super::{ArticleError, RawArticle, json};

/// Bytes kept of one field; the rest is skipped with a warning.
pub(super) const MAX_FIELD_BYTES: usize = 4 * 1024 * 1024;
/// Columns read of a row.
pub(super) const MAX_COLUMNS: usize = 512;
/// Rows read of one file; the rest are left with a warning.
pub(super) const MAX_ROWS: usize = 1_000_000;

/// Reads records one field at a time, each field capped.
struct Records<'a> {
    reader: csv_core::Reader,
    /// The whole text, and where in it the input not read yet starts.
    text: &'a str,
    pos: usize,
    input: &'a [u8],
    chunk: Vec<u8>,
    done: bool,
    /// Fields that were cut, and the row of the first.
    cut: usize,
    first_cut_row: usize,
    /// Rows with more columns than are read.
    wide: usize,
    rows: usize,
}

impl Records<'_> {
    /// The next record's fields, or `None` at the end of the data.
    fn next_record(&mut self) -> Option<Vec<String>> {
        if self.done {
            return None;
        }
        let mut fields = Vec::new();
        let mut field: Vec<u8> = Vec::new();
        let mut cut = false;
        let mut too_wide = false;
        let mut field_start = self.pos;
        loop {
            let (res, nin, nout) = self.reader.read_field(self.input, &mut self.chunk);
            self.input = self.input.get(nin..).unwrap_or_default();
            self.pos += nin;
            let room = MAX_FIELD_BYTES - field.len();
            let got = self.chunk.get(..nout).unwrap_or_default();
            if got.len() > room {
                field.extend_from_slice(got.get(..room).unwrap_or_default());
                cut = true;
            } else {
                field.extend_from_slice(got);
            }
            match res {
                ReadFieldResult::InputEmpty | ReadFieldResult::OutputFull => {}
                ReadFieldResult::Field { record_end } => {
                    if cut {
                        self.cut += 1;
                        if self.cut == 1 {
                            self.first_cut_row = self.rows;
                        }
                        // Cut at the last whole character.
                        if let Err(e) = std::str::from_utf8(&field)
                            && e.error_len().is_none()
                        {
                            field.truncate(e.valid_up_to());
                        }
                    }
                    if fields.len() < MAX_COLUMNS {
                        let written = self.text.get(field_start..self.pos);
                        fields.push(as_text(written, std::mem::take(&mut field)));
                    } else {
                        too_wide = true;
                    }
                    field.clear();
                    cut = false;
                    field_start = self.pos;
                    if record_end {
                        break;
                    }
                }
                ReadFieldResult::End => {
                    self.done = true;
                    if fields.is_empty() {
                        return None;
                    }
                    break;
                }
            }
        }
        self.wide += usize::from(too_wide);
        self.rows += 1;
        Some(fields)
    }
}

/// A field's bytes as text, given the text it was read from (the field as written, with its
/// quotes and the byte that ended it). Most fields are that text without its quotes (a doubled
/// quote made one): those are taken from the text, which is known to be UTF-8, so only an odd
/// field (a cut one, a quote in an unquoted field) is validated again.
fn as_text(written: Option<&str>, field: Vec<u8>) -> String {
    if let Some(w) = written {
        if let Some(inner) = w.strip_prefix('"') {
            if let Some(end) = inner.rfind('"') {
                let inner = inner.get(..end).unwrap_or_default();
                if !inner.contains('"') && inner.as_bytes() == field.as_slice() {
                    return inner.to_owned();
                }
                let unquoted = inner.replace("\"\"", "\"");
                if unquoted.as_bytes() == field.as_slice() {
                    return unquoted;
                }
            }
        } else if let Some(raw) = w.get(..field.len())
            && raw.as_bytes() == field.as_slice()
        {
            return raw.to_owned();
        }
    }
    String::from_utf8(field).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// A CSV (`delimiter` `,`) or TSV (`\t`) file: the first row names the columns.
pub(super) fn parse(
    text: &str,
    delimiter: u8,
    warnings: &mut Vec<String>,
) -> Result<Vec<RawArticle>, ArticleError> {
    let mut records = Records {
        reader: ReaderBuilder::new().delimiter(delimiter).build(),
        text,
        pos: 0,
        input: text.as_bytes(),
        chunk: vec![0; 64 * 1024],
        done: false,
        cut: 0,
        first_cut_row: 0,
        wide: 0,
        rows: 0,
    };
    let header: Vec<String> = records
        .next_record()
        .ok_or_else(|| ArticleError::Malformed("it has no header row".to_owned()))?
        .into_iter()
        .map(|h| h.trim().to_owned())
        .collect();
    // The columns are matched as JSON fields are: a header that names none of them is not a
    // header (or not a dataset of articles).
    let probe: Map<String, Value> = header
        .iter()
        .map(|h| (h.clone(), Value::String("x".to_owned())))
        .collect();
    let probe = json::raw_from_fields(&probe);
    if probe.title.is_none() && probe.blocks.is_empty() {
        let names: Vec<String> = header
            .iter()
            .take(8)
            .map(|h| super::clean_inline(h))
            .collect();
        let names = names.join(", ");
        let names = match names.char_indices().nth(120) {
            Some((i, _)) => format!("{}…", names.get(..i).unwrap_or("")),
            None => names,
        };
        return Err(ArticleError::Malformed(format!(
            "its header row ({names}) names no title or body column (title, headline, body, content, text, …)"
        )));
    }
    let mut raws = Vec::new();
    let mut dropped = 0usize;
    while let Some(row) = records.next_record() {
        if row.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if raws.len() >= MAX_ROWS {
            dropped += 1;
            continue;
        }
        let map: Map<String, Value> = header
            .iter()
            .zip(row)
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(h, v)| (h.clone(), Value::String(v)))
            .collect();
        raws.push(json::raw_from_fields(&map));
    }
    if records.cut > 0 {
        warnings.push(format!(
            "{} field(s) are longer than {} MiB (the first in row {}); they were cut there",
            records.cut,
            MAX_FIELD_BYTES / (1024 * 1024),
            records.first_cut_row
        ));
    }
    if records.wide > 0 {
        warnings.push(format!(
            "{} row(s) have more than {MAX_COLUMNS} columns; the columns after are not read",
            records.wide
        ));
    }
    if dropped > 0 {
        warnings.push(format!(
            "it holds more than {MAX_ROWS} rows; the {dropped} after them were left out"
        ));
    }
    if raws.is_empty() {
        return Err(ArticleError::Malformed(
            "it has a header row but no row after it".to_owned(),
        ));
    }
    Ok(raws)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_by_name_and_quoted_newlines() {
        let mut w = Vec::new();
        let raws = parse(
            "Headline,Body,published,author,link,lang,source,tags\n\
             \"عنوان, بفاصلة\",\"فقرة أولى\n\nفقرة \"\"ثانية\"\"\",2024-06-13,كاتب,https://x.test/1,ar,الجزيرة,\"a, b\"\r\n\
             Second,text,,,,,,\n\
             ,,,,,,,\n",
            b',',
            &mut w,
        )
        .unwrap();
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(raws.len(), 2, "the empty row is skipped");
        let a = &raws[0];
        assert_eq!(a.title.as_deref(), Some("عنوان, بفاصلة"));
        let texts: Vec<_> = a.blocks.iter().map(|b| b.text.as_str()).collect();
        assert_eq!(texts, vec!["فقرة أولى", "فقرة \"ثانية\""]);
        assert_eq!(a.dates, vec!["2024-06-13"]);
        assert_eq!(a.byline.as_deref(), Some("كاتب"));
        assert_eq!(a.url.as_deref(), Some("https://x.test/1"));
        assert_eq!(a.lang.as_deref(), Some("ar"));
        assert_eq!(a.source.as_deref(), Some("الجزيرة"));
        assert_eq!(a.tags, vec!["a", "b"]);
        assert_eq!(raws[1].title.as_deref(), Some("Second"));
        assert!(raws[1].dates.is_empty());
    }

    #[test]
    fn tsv_and_short_rows() {
        let mut w = Vec::new();
        let raws = parse("title\ttext\nT1\tx y\nT2\n", b'\t', &mut w).unwrap();
        assert_eq!(raws.len(), 2);
        assert_eq!(raws[0].blocks[0].text, "x y");
        assert!(raws[1].blocks.is_empty());
    }

    #[test]
    fn no_header_and_no_rows() {
        let mut w = Vec::new();
        let err = parse("1,2,3\n4,5,6\n", b',', &mut w).unwrap_err();
        assert_eq!(
            err,
            ArticleError::Malformed(
                "its header row (1, 2, 3) names no title or body column (title, headline, body, content, text, …)"
                    .into()
            )
        );
        let err = parse("title,body\n", b',', &mut w).unwrap_err();
        assert_eq!(
            err,
            ArticleError::Malformed("it has a header row but no row after it".into())
        );
    }

    #[test]
    fn a_huge_field_is_cut_at_a_character() {
        let body = "ب".repeat(MAX_FIELD_BYTES / 2 + 10);
        let text = format!("title,body\nT,\"{body}\"\nU,after\n");
        let mut w = Vec::new();
        let raws = parse(&text, b',', &mut w).unwrap();
        assert_eq!(raws.len(), 2);
        let kept: usize = raws[0].blocks.iter().map(|b| b.text.len()).sum();
        assert_eq!(kept, MAX_FIELD_BYTES, "{kept}");
        assert_eq!(raws[1].blocks[0].text, "after");
        assert_eq!(
            w,
            vec!["1 field(s) are longer than 4 MiB (the first in row 1); they were cut there"]
        );
    }
}
