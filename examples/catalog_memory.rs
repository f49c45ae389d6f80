//! What the reader's list costs in memory per article: the library made from the database's
//! catalog (the first frame) against the library made by walking and reading the folders, for
//! a folder already indexed by `qari index --db DB DIR`.
//!
//! `cargo run --release --example catalog_memory -- DB DIR`
//!
//! Heap bytes are counted by an instrumented global allocator: the peak while each library is
//! made; what the library holds once made is the growth of the process's resident memory
//! (Linux: `/proc/self/statm`), the first library dropped before the second is made.

use std::path::PathBuf;
use std::time::Instant;

use peakmem_alloc::{INSTRUMENTED_SYSTEM, PeakMemAlloc, PeakMemAllocTrait};
use qari::library::Library;
use qari::store::Db;

#[global_allocator]
static GLOBAL: &PeakMemAlloc<std::alloc::System> = &INSTRUMENTED_SYSTEM;

/// The peak of `f`'s heap use above what was allocated when it began.
fn peak_of<T>(f: impl FnOnce() -> T) -> (T, usize) {
    GLOBAL.reset_peak_memory();
    let out = f();
    (out, GLOBAL.get_peak_memory())
}

/// The process's resident memory in bytes (0 where it cannot be read).
fn resident() -> usize {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<usize>().ok())
        .map_or(0, |pages| pages * 4096)
}

fn report(what: &str, make: impl FnOnce() -> Option<Library>) {
    let before = resident();
    let start = Instant::now();
    let (lib, peak) = peak_of(make);
    let took = start.elapsed();
    let Some(lib) = lib else {
        println!("{what}: no library (the folder was never scanned to its end?)");
        return;
    };
    let kept = resident().saturating_sub(before);
    let n = lib.len().max(1);
    println!(
        "{what}: {} articles in {:.0} ms; resident memory grew {:.1} MB ({} bytes an article); \
         heap peak {:.1} MB",
        lib.len(),
        took.as_secs_f64() * 1e3,
        kept as f64 / 1e6,
        kept / n,
        peak as f64 / 1e6,
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [db, dir] = args.as_slice() else {
        eprintln!("usage: catalog_memory DB DIR");
        std::process::exit(2);
    };
    let paths = vec![PathBuf::from(dir)];
    let (db, _) = Db::open(std::path::Path::new(db)).expect("open the database");
    report("from the catalog", || Library::from_catalog(&db, &paths));
    report("walking the folders", || Some(Library::open(&paths)));
}
