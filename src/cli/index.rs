//! `qari index [PATH…]`: the library (the paths given, else the configured one) brought into
//! the database: files whose size and mtime the catalog has are not read, the others parsed
//! on every core and stored a batch at a time; progress on stderr (one line updated in place
//! on a terminal, plain lines otherwise).

use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use crate::escape;
use crate::store::Db;

/// Progress of an indexing run, on stderr: files done of all, the rate, the time left.
pub(super) struct Progress {
    start: Instant,
    last: Option<Instant>,
    tty: bool,
    quiet: bool,
}

/// How often a plain (not a terminal) progress line is written.
const PLAIN_EVERY: Duration = Duration::from_secs(2);

impl Progress {
    /// Progress for `qari index` (always shown), or for a command that indexes on the way
    /// (`quiet`: shown on a terminal only, and only when there is work).
    pub(super) fn new(quiet: bool) -> Self {
        let tty = std::io::stderr().is_terminal();
        Self {
            start: Instant::now(),
            last: None,
            tty,
            quiet: quiet && !tty,
        }
    }

    /// Called after each batch.
    pub(super) fn update(&mut self, done: usize, total: usize) {
        if self.quiet {
            return;
        }
        let now = Instant::now();
        let line = crate::progress::line(done, total, now - self.start);
        let mut err = std::io::stderr().lock();
        if self.tty {
            let _ = write!(err, "\r\x1b[2K{line}");
            let _ = err.flush();
        } else if self.last.is_none_or(|t| now - t >= PLAIN_EVERY) || done == total {
            let _ = writeln!(err, "{line}");
        }
        self.last = Some(now);
    }

    /// Ends the line updated in place.
    pub(super) fn finish(&self) {
        if self.tty && self.last.is_some() {
            let _ = writeln!(std::io::stderr());
        }
    }
}

/// What indexing the roots did, summed.
#[derive(Debug, Default)]
pub(super) struct Indexed {
    pub files: usize,
    pub stored_files: usize,
    pub stored_articles: usize,
    pub removed: usize,
    pub problems: Vec<String>,
}

/// Brings the database up to date with every root.
pub(super) fn index_roots(
    db: &mut Db,
    roots: &[PathBuf],
    progress: &mut Progress,
) -> anyhow::Result<Indexed> {
    let mut all = Indexed::default();
    for root in roots {
        match std::fs::metadata(root) {
            Ok(m) if m.is_dir() || m.is_file() => {}
            Ok(_) => {
                let why = crate::library::open_regular(root)
                    .err()
                    .map_or_else(|| "it is not a regular file".to_owned(), |e| e.to_string());
                all.problems
                    .push(format!("{}: skipped: {why}.", escape::path(root)));
                continue;
            }
            Err(_) => {
                all.problems
                    .push(format!("{}: no such file or folder.", escape::path(root)));
                continue;
            }
        }
        let done = db.scan(root, |d, t| progress.update(d, t))?;
        all.files += done.files;
        all.stored_files += done.stored_files;
        all.stored_articles += done.stored_articles;
        all.removed += done.removed;
        all.problems.extend(done.problems);
    }
    progress.finish();
    Ok(all)
}

/// Opens the database at `path`, saying on stderr when a damaged one was moved aside.
pub(super) fn open_db(path: Option<&Path>) -> anyhow::Result<Db> {
    let path = path.ok_or_else(|| {
        anyhow::anyhow!("there is no home folder for the library database; name one with --db")
    })?;
    let (db, moved) = Db::open(path)?;
    if let Some(m) = moved {
        eprintln!("qari: {}", escape::display(&m));
    }
    Ok(db)
}

/// Indexes `paths` (else the configured library) into the database.
pub(super) fn run(paths: Vec<PathBuf>, db: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let settings = super::printed_settings(paths, db)?;
    if settings.library.is_empty() {
        anyhow::bail!(
            "there is no library to index: name files or folders, or set `library` in the config file (the sample library is built in)"
        );
    }
    let mut db = open_db(settings.db.as_deref())?;
    let started = Instant::now();
    let mut progress = Progress::new(false);
    let done = index_roots(&mut db, &settings.library, &mut progress)?;
    for p in &done.problems {
        eprintln!("qari: {}", escape::display(p));
    }
    eprintln!(
        "{} files, {} read ({} articles stored), {} articles removed, in {:.1} s; {} articles in {}",
        done.files,
        done.stored_files,
        done.stored_articles,
        done.removed,
        started.elapsed().as_secs_f64(),
        db.count()?,
        escape::path(db.path())
    );
    Ok(ExitCode::SUCCESS)
}
