//! Walking folders: the regular files under a path, linked folders followed once each, and a
//! problem for everything skipped.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::manifest::{Manifests, parse_manifest};
use super::{MANIFEST, MAX_MANIFEST_BYTES, Problem, ReadError, io_reason, kind_of, read_regular};
use crate::article::Format;

/// Adds the files a walk of `root` found: the articles to `found` (display path, id, path),
/// the manifests to `manifests`.
pub(super) fn add_folder(
    root: &Path,
    files: Vec<PathBuf>,
    found: &mut Vec<(String, String, PathBuf)>,
    manifests: &mut Manifests,
) {
    let mut files: Vec<(String, PathBuf)> = files
        .into_iter()
        .map(|f| {
            let rel = f.strip_prefix(root).unwrap_or(&f);
            let id = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            (crate::escape::display(&id).into_owned(), f)
        })
        .collect();
    files.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    for (id, f) in files {
        if f.file_name().is_some_and(|n| n == MANIFEST) {
            if let Ok(bytes) = read_regular(&f, MAX_MANIFEST_BYTES) {
                let prefix = id.strip_suffix(MANIFEST).unwrap_or("").to_owned();
                manifests.push((prefix, parse_manifest(&String::from_utf8_lossy(&bytes))));
            }
            continue;
        }
        found.push((crate::escape::path(&f), id, f));
    }
}

/// The files of a format qari reads under `root` (a folder, or a file named on its own) as the
/// library's walk finds them: hidden names skipped, linked folders followed once each, the
/// manifests left out. What the library database's scan stores.
pub fn article_files(root: &Path) -> Vec<PathBuf> {
    let Ok(meta) = std::fs::metadata(root) else {
        return Vec::new();
    };
    let files = if meta.is_dir() {
        let mut walker = Walker::default();
        walker.run(root, &meta);
        walker.files
    } else if meta.is_file() {
        vec![root.to_path_buf()]
    } else {
        Vec::new()
    };
    files
        .into_iter()
        .filter(|f| Format::from_path(f).is_some() && f.file_name().is_none_or(|n| n != MANIFEST))
        .collect()
}

/// Whether `root` (a folder, or a file named on its own) holds a file of a format qari reads,
/// as [`article_files`] would find it; the walk stops at the first.
pub fn holds_article_file(root: &Path) -> bool {
    let Ok(meta) = std::fs::metadata(root) else {
        return false;
    };
    if meta.is_file() {
        return Format::from_path(root).is_some();
    }
    let mut walker = Walker {
        first_only: true,
        ..Walker::default()
    };
    walker.run(root, &meta);
    walker.found
}

/// A folder's identity: the device and inode of the folder a path leads to (its canonical path
/// where there are no inodes).
#[cfg(unix)]
pub(super) type FolderKey = (u64, u64);
#[cfg(not(unix))]
pub(super) type FolderKey = PathBuf;

#[cfg(unix)]
#[allow(
    clippy::unnecessary_wraps,
    reason = "one signature for both: canonicalizing, elsewhere, can fail"
)]
pub(super) fn folder_key(_path: &Path, meta: &std::fs::Metadata) -> Option<FolderKey> {
    use std::os::unix::fs::MetadataExt as _;
    Some((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
pub(super) fn folder_key(path: &Path, _meta: &std::fs::Metadata) -> Option<FolderKey> {
    path.canonicalize().ok()
}

/// Walks a folder tree: the regular files in it, and a problem for everything skipped.
///
/// Real folders are walked first; links to folders are followed afterwards, in name order,
/// each only if its folder was not read yet, so a loop ends and which path a file is listed
/// under does not depend on the order the system lists a folder in.
#[derive(Default)]
pub(super) struct Walker {
    pub(super) files: Vec<PathBuf>,
    pub(super) problems: Vec<Problem>,
    seen: HashSet<FolderKey>,
    links: Vec<PathBuf>,
    /// Stop at the first file of a format qari reads ([`holds_article_file`]) …
    first_only: bool,
    /// … which was found.
    found: bool,
}

impl Walker {
    pub(super) fn run(&mut self, root: &Path, meta: &std::fs::Metadata) {
        if let Some(k) = folder_key(root, meta) {
            self.seen.insert(k);
        }
        self.walk(root);
        while !self.links.is_empty() {
            let mut links = std::mem::take(&mut self.links);
            links.sort_unstable();
            for link in links {
                if self.found && self.first_only {
                    return;
                }
                let Ok(meta) = std::fs::metadata(&link) else {
                    continue;
                };
                match folder_key(&link, &meta) {
                    Some(k) if !self.seen.insert(k) => self.problems.push(Problem {
                        path: crate::escape::path(&link),
                        message: "it is a link to a folder already read, so that folder's \
                                  articles are listed once, under their other path"
                            .to_owned(),
                        unusable: false,
                        note: true,
                    }),
                    _ => self.walk(&link),
                }
            }
        }
    }

    fn push_file(&mut self, path: PathBuf) {
        self.found |=
            Format::from_path(&path).is_some() && path.file_name().is_none_or(|n| n != MANIFEST);
        self.files.push(path);
    }

    fn skip(&mut self, path: &Path, message: impl Into<String>) {
        self.problems
            .push(Problem::new(crate::escape::path(path), message, true));
    }

    fn walk(&mut self, dir: &Path) {
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) => {
                self.skip(dir, io_reason(&e));
                return;
            }
        };
        for entry in entries.flatten() {
            if self.found && self.first_only {
                return;
            }
            let path = entry.path();
            let Ok(ft) = entry.file_type() else { continue };
            let hidden = entry.file_name().to_string_lossy().starts_with('.');
            if hidden {
                continue;
            }
            // Things that are not files are reported when they look like articles; any other
            // name is skipped without a word, like every file of an unknown extension.
            let article_like = Format::from_path(&path).is_some();
            if ft.is_symlink() {
                match std::fs::metadata(&path) {
                    Ok(m) if m.is_dir() => self.links.push(path),
                    Ok(m) if m.is_file() => self.push_file(path),
                    Ok(m) if article_like => {
                        self.skip(
                            &path,
                            ReadError::NotRegular(kind_of(m.file_type())).to_string(),
                        );
                    }
                    Err(_) if article_like => self.skip(&path, "it is a link to nothing"),
                    _ => {}
                }
            } else if ft.is_dir() {
                let first = entry
                    .metadata()
                    .ok()
                    .and_then(|m| folder_key(&path, &m))
                    .is_none_or(|k| self.seen.insert(k));
                if first {
                    self.walk(&path);
                }
            } else if ft.is_file() {
                self.push_file(path);
            } else if article_like {
                self.skip(&path, ReadError::NotRegular(kind_of(ft)).to_string());
            }
        }
    }
}
