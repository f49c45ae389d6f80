//! Work spread over every core, for the loops that dominate start-up and layout.

/// `f(0..n)` on every core, in order. Work is handed out a few indices at a time, so one slow
/// item does not hold a whole share back.
pub fn par_map<T: Send>(n: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    const BATCH: usize = 16;
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(n.div_ceil(BATCH).max(1));
    if threads <= 1 {
        return (0..n).map(f).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let parts: Vec<Vec<(usize, T)>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let from = next.fetch_add(BATCH, std::sync::atomic::Ordering::Relaxed);
                        if from >= n {
                            break done;
                        }
                        done.extend((from..(from + BATCH).min(n)).map(|i| (i, f(i))));
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    let mut all: Vec<(usize, T)> = parts.into_iter().flatten().collect();
    all.sort_unstable_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, t)| t).collect()
}

/// `f` of every item on every core, a batch of 4096 at a time, handed to `each` in order: what
/// is held at once is one batch of results.
pub fn par_map_batched<T: Sync, R: Send, E>(
    items: &[T],
    f: impl Fn(&T) -> R + Sync,
    mut each: impl FnMut(R) -> Result<(), E>,
) -> Result<(), E> {
    for batch in items.chunks(4096) {
        for r in par_map(batch.len(), |i| f(&batch[i])) {
            each(r)?;
        }
    }
    Ok(())
}
