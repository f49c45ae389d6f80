//! `qari [PATH…]`: the reader on the local terminal.

use std::process::ExitCode;

use super::{display_paths, load, report_problems};
use crate::frontend::{Flags, TermEnv};

/// Opens the reader on the local terminal.
pub(super) fn run(flags: &Flags) -> anyhow::Result<ExitCode> {
    let (config, settings, warning) = load(flags, &TermEnv::local())?;
    let paths = &settings.library;
    let legacy = crate::store::legacy::default_path();
    let db = settings.db.as_deref();
    // The first frame is the top of the list from the catalog, or a library still to be
    // read: the watcher reads the whole, so the terminal is the reader's at once.
    let (first, first_note) = crate::frontend::open_first_frame(
        paths,
        db,
        legacy.as_deref(),
        &crate::store::Reader::local(),
    );
    let loading = first.is_some();
    let (lib, db_note) = if let Some(lib) = first {
        (lib, first_note)
    } else {
        let (lib, note) = crate::frontend::open_library_from(paths, db);
        (lib, first_note.or(note))
    };
    if lib.is_empty() && !loading && !paths.is_empty() {
        report_problems(&lib, false);
        anyhow::bail!("no article was found in {}", display_paths(paths));
    }
    let (store, state_warning) = crate::frontend::open_shelf(
        settings.db.as_deref(),
        crate::store::Reader::local(),
        legacy.as_deref(),
        &lib,
    );
    let lib = std::sync::Arc::new(lib);
    let mut app =
        crate::app::App::new(std::sync::Arc::clone(&lib), &config, store, settings.layout);
    if let Some(db) = settings.db.clone().filter(|_| !paths.is_empty()) {
        // The search goes through the library database, kept up to date with the folders.
        app.share_index(std::sync::Arc::new(
            crate::search::SharedIndex::with_finder(crate::store::finder::maker(db, paths.clone())),
        ));
    }
    if loading {
        // The whole library is read on the watcher's thread, then kept current.
        let (roots, db) = (paths.clone(), settings.db.clone());
        let load = move || crate::frontend::open_library_from(&roots, db.as_deref()).0;
        app.follow(crate::library::watch_loading(
            paths.clone(),
            lib,
            Box::new(load),
        ));
    } else if !paths.is_empty() {
        // Files added, changed or removed while the reader runs come into the list.
        app.follow(crate::library::watch(paths.clone(), lib));
    }
    let db_note = db_note.map(|m| crate::escape::display(&m).into_owned());
    for w in [warning, db_note, state_warning].into_iter().flatten() {
        app.set_message(w);
    }
    if app.message().is_none()
        && let Some(note) = app.library().problems_note()
    {
        app.set_message(note);
    }
    // Every change was written as it was made; a failure of the store is on stderr.
    match crate::tty::run(app, settings.theme)? {
        Some(sig) => Ok(ExitCode::from(u8::try_from(128 + sig).unwrap_or(1))),
        None => Ok(ExitCode::SUCCESS),
    }
}
