//! Progress of a long run over many files (indexing the library): the count done of all, the
//! rate and the time left, as one line, for `qari index` on stderr and the reader's status line.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

/// The line for `done` of `total` files after `elapsed`.
pub fn line(done: usize, total: usize, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64().max(0.001);
    #[allow(clippy::cast_precision_loss)] // reason: counts of files, far below 2^52
    let rate = done as f64 / secs;
    let left = if rate > 0.0 {
        #[allow(clippy::cast_precision_loss)] // reason: as above
        let s = (total.saturating_sub(done)) as f64 / rate;
        format!("{} left", duration_text(s))
    } else {
        "time left unknown".to_owned()
    };
    format!("indexed {done} of {total} files · {rate:.0} files/s · {left}")
}

/// `seconds` as `1 h 02 min`, `3 min 05 s` or `12 s`.
pub fn duration_text(seconds: f64) -> String {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // reason: rounded, ≥ 0
    let s = seconds.max(0.0).round() as u64;
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min {:02} s", s / 60, s % 60),
        _ => format!("{} h {:02} min", s / 3600, s / 60 % 60),
    }
}

/// What is called when the count moves (a reader's front end is woken to draw it).
pub type Notify = std::sync::Arc<dyn Fn() + Send + Sync>;

/// Progress shared between the thread doing the work and those showing it.
#[derive(Default)]
pub struct Shared {
    done: AtomicUsize,
    total: AtomicUsize,
    started: OnceLock<Instant>,
    /// Held weakly: whoever shows the progress keeps its own alive (every session of a server
    /// sharing one index), and those gone are dropped.
    notify: Mutex<Vec<std::sync::Weak<dyn Fn() + Send + Sync>>>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("done", &self.done)
            .field("total", &self.total)
            .finish_non_exhaustive()
    }
}

impl Shared {
    /// `done` of `total` are done.
    pub fn update(&self, done: usize, total: usize) {
        self.started.get_or_init(Instant::now);
        self.done.store(done, Ordering::Relaxed);
        self.total.store(total, Ordering::Relaxed);
        self.wake();
    }

    /// Calls what [`Self::on_update`] added (the work is done, or the count moved).
    pub fn wake(&self) {
        let live: Vec<Notify> = self
            .notify
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .filter_map(std::sync::Weak::upgrade)
            .collect();
        for n in live {
            n();
        }
    }

    /// Adds what [`Self::update`] calls, for as long as `notify` is kept alive elsewhere (once
    /// each: adding it again does nothing).
    pub fn on_update(&self, notify: &Notify) {
        let mut all = self.notify.lock().unwrap_or_else(PoisonError::into_inner);
        all.retain(|w| w.strong_count() > 0);
        let weak = std::sync::Arc::downgrade(notify);
        if !all.iter().any(|w| w.ptr_eq(&weak)) {
            all.push(weak);
        }
    }

    /// The line saying how far the work is, once it has begun counting.
    pub fn line(&self) -> Option<String> {
        let started = self.started.get()?;
        let total = self.total.load(Ordering::Relaxed);
        (total > 0).then(|| line(self.done.load(Ordering::Relaxed), total, started.elapsed()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_says_count_rate_and_time_left() {
        assert_eq!(
            line(250, 1000, Duration::from_secs(5)),
            "indexed 250 of 1000 files · 50 files/s · 15 s left"
        );
        assert_eq!(
            line(100, 100_000, Duration::from_secs(1)),
            "indexed 100 of 100000 files · 100 files/s · 16 min 39 s left"
        );
        assert_eq!(duration_text(7322.0), "2 h 02 min");
        assert!(line(0, 10, Duration::ZERO).ends_with("time left unknown"));
    }

    #[test]
    fn shared_progress_counts_and_calls_back() {
        let p = Shared::default();
        assert_eq!(p.line(), None);
        let calls = std::sync::Arc::new(AtomicUsize::new(0));
        let counter = |by: usize| -> Notify {
            let c = std::sync::Arc::clone(&calls);
            std::sync::Arc::new(move || {
                c.fetch_add(by, Ordering::Relaxed);
            })
        };
        let (one, ten) = (counter(1), counter(10));
        p.on_update(&one);
        p.on_update(&one);
        p.on_update(&ten);
        p.update(3, 12);
        let l = p.line().expect("counting began");
        assert!(l.starts_with("indexed 3 of 12 files · "), "{l}");
        assert_eq!(calls.load(Ordering::Relaxed), 11, "each once");
        drop(ten);
        p.update(4, 12);
        assert_eq!(
            calls.load(Ordering::Relaxed),
            12,
            "the one dropped is not called"
        );
        p.on_update(&one);
        assert_eq!(p.notify.lock().unwrap().len(), 1, "the dead one is gone");
    }
}
