//! A folder's optional `manifest.tsv`: each file's source and address.

use std::collections::HashMap;

use super::SourceFile;
use crate::article::{self, Article};

/// The manifests of a library: (folder prefix of the ids, rows by file name).
pub(super) type Manifests = Vec<(String, HashMap<String, ManifestRow>)>;

/// Per-file facts from a folder's `manifest.tsv`.
#[derive(Debug, Clone, Default)]
pub(super) struct ManifestRow {
    pub(super) source: Option<String>,
    pub(super) url: Option<String>,
}

/// The source and address the manifests give a file (the first manifest that names it wins).
pub(super) fn manifest_row(manifests: &Manifests, file_id: &str) -> ManifestRow {
    let mut out = ManifestRow::default();
    for (prefix, rows) in manifests {
        let Some(row) = file_id
            .strip_prefix(prefix.as_str())
            .and_then(|r| rows.get(r))
        else {
            continue;
        };
        if out.source.is_none() {
            out.source.clone_from(&row.source);
        }
        if out.url.is_none() {
            out.url.clone_from(&row.url);
        }
    }
    out
}

/// Reads a tab-separated manifest with a header naming at least `file` and `source` or `url`.
pub(super) fn parse_manifest(text: &str) -> HashMap<String, ManifestRow> {
    let mut lines = text.lines();
    let Some(header) = lines.next() else {
        return HashMap::new();
    };
    let cols: Vec<&str> = header.split('\t').collect();
    let col = |name: &str| cols.iter().position(|c| c.eq_ignore_ascii_case(name));
    let Some(file_col) = col("file") else {
        return HashMap::new();
    };
    let (source_col, url_col) = (col("source"), col("url"));
    let clean = |s: &str| {
        let s = article::sanitize(s.trim()).into_owned();
        (!s.is_empty()).then_some(s)
    };
    lines
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            let file = f.get(file_col)?.trim().to_owned();
            Some((
                file,
                ManifestRow {
                    source: source_col.and_then(|c| f.get(c)).and_then(|s| clean(s)),
                    url: url_col.and_then(|c| f.get(c)).and_then(|s| clean(s)),
                },
            ))
        })
        .collect()
}

/// The source and address `dir/manifest.tsv` gives each file it names (by its path relative
/// to `dir`); empty when there is none.
pub fn folder_manifest(dir: &std::path::Path) -> HashMap<String, (Option<String>, Option<String>)> {
    let Ok(bytes) = super::read_regular(&dir.join(super::MANIFEST), super::MAX_MANIFEST_BYTES)
    else {
        return HashMap::new();
    };
    parse_manifest(&String::from_utf8_lossy(&bytes))
        .into_iter()
        .map(|(k, r)| (k, (r.source, r.url)))
        .collect()
}

/// Fills in an article's source and address from the manifest when it does not give them.
pub(super) fn fill_from_manifest(a: &mut Article, file: &SourceFile) {
    if a.source.is_none() {
        a.source.clone_from(&file.source);
    }
    if a.url.is_none() {
        a.url.clone_from(&file.url);
    }
}
