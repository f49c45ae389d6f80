//! `qari check`: what could not be read, and why.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use super::{printed_library, report_problems};

/// Reads `paths` (else the configured library) and says what could not be used.
pub(super) fn run(paths: Vec<PathBuf>) -> anyhow::Result<ExitCode> {
    let (lib, paths) = printed_library(paths)?;
    report_problems(&lib, true);
    let unusable = lib.problems().iter().filter(|p| p.unusable).count();
    let mut out = std::io::stdout().lock();
    let mut last_path = None;
    for i in 0..lib.len() {
        let e = lib.entry(i);
        if e.encoding.is_notable() && last_path != Some(e.path.as_str()) {
            let _ = writeln!(out, "{}: {}.", e.path, e.encoding.describe());
            last_path = Some(e.path.as_str());
        }
    }
    let _ = writeln!(
        out,
        "{} files read, {} articles loaded, {} files unusable, {} with warnings.",
        lib.files(),
        lib.len(),
        unusable,
        lib.problems().iter().filter(|p| !p.unusable).count()
    );
    Ok(if unusable > 0 || (lib.is_empty() && !paths.is_empty()) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
