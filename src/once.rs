//! A value built once on a worker thread: started ahead of need, taken when ready, waited for
//! (giving way to a cancel), or built on the spot when no worker could do it.
//!
//! The search index shared by every session of a server and the whole of a long article
//! prepared in the background are both built this way.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock, PoisonError};
use std::time::Duration;

/// How a build on a worker ended, for the hook [`Once::start`] calls after it.
#[derive(Debug)]
pub enum Outcome<T> {
    /// The value is built (by this worker or by whoever came first).
    Built(Arc<T>),
    /// The build gave up (its function returned `None`): nothing is stored.
    Cancelled,
    /// The build panicked: nothing is stored, and the next [`Once::wait`] builds it itself.
    Failed,
}

/// A value built at most once, on a worker or by the first to need it.
#[derive(Debug)]
pub struct Once<T> {
    cell: OnceLock<Arc<T>>,
    /// Held while building, so that the value is built once even when a worker and a caller
    /// of [`Once::get_or_build`] come together.
    building: Mutex<()>,
    /// A worker is building it (set by [`Once::start`], cleared when that build ends without
    /// the value).
    started: AtomicBool,
    /// Held to wait for the value (see [`Once::wait`]).
    lock: Mutex<()>,
    built: Condvar,
}

impl<T> Default for Once<T> {
    fn default() -> Self {
        Self {
            cell: OnceLock::new(),
            building: Mutex::new(()),
            started: AtomicBool::new(false),
            lock: Mutex::new(()),
            built: Condvar::new(),
        }
    }
}

impl<T: Send + Sync + 'static> Once<T> {
    /// The value, if it is built.
    pub fn get(&self) -> Option<Arc<T>> {
        self.cell.get().map(Arc::clone)
    }

    /// True once the value is built.
    pub fn is_ready(&self) -> bool {
        self.cell.get().is_some()
    }

    /// The value, building it here with `build` if no one has (a build under way elsewhere
    /// is waited for, never repeated).
    pub fn get_or_build(&self, build: impl FnOnce() -> T) -> Arc<T> {
        self.build_once(|| Some(build()))
            .unwrap_or_else(|| unreachable!("a build that cannot give up gave up"))
    }

    /// Builds the value unless it is built, under the build lock; `None` when `build` gave up.
    fn build_once(&self, build: impl FnOnce() -> Option<T>) -> Option<Arc<T>> {
        if let Some(v) = self.get() {
            return Some(v);
        }
        let guard = self.building.lock().unwrap_or_else(PoisonError::into_inner);
        let value = if let Some(v) = self.get() {
            v
        } else {
            let v = Arc::new(build()?);
            Arc::clone(self.cell.get_or_init(|| v))
        };
        drop(guard);
        self.wake_waiters();
        Some(value)
    }

    fn wake_waiters(&self) {
        // Whoever waits in `wait` looks again now.
        drop(self.lock.lock());
        self.built.notify_all();
    }

    /// Starts building the value on a thread named `name`, unless it is built or a worker was
    /// started already: false when no thread could be started (the value is then built by
    /// whoever needs it). `build` may give up with `None`; `then` is called on the worker
    /// with how the build ended, after the value is stored.
    pub fn start(
        self: &Arc<Self>,
        name: &str,
        build: impl FnOnce() -> Option<T> + Send + 'static,
        then: impl FnOnce(Outcome<T>) + Send + 'static,
    ) -> bool {
        if self.is_ready() || self.started.swap(true, Ordering::AcqRel) {
            return true;
        }
        let me = Arc::clone(self);
        let spawned = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                let made =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| me.build_once(build)));
                let outcome = match made {
                    Ok(Some(v)) => Outcome::Built(v),
                    Ok(None) => Outcome::Cancelled,
                    Err(_) => Outcome::Failed,
                };
                if !matches!(outcome, Outcome::Built(_)) {
                    // Whoever waits builds it instead.
                    me.started.store(false, Ordering::Release);
                    me.wake_waiters();
                }
                then(outcome);
            });
        if spawned.is_err() {
            self.started.store(false, Ordering::Release);
            return false;
        }
        true
    }

    /// The value once it is built: waits for the worker started with [`Once::start`], or
    /// builds it here with `build` when none runs (or the worker's build ended without it).
    /// `None` as soon as `cancel` is set while waiting (the worker goes on for the others).
    pub fn wait(&self, build: impl FnOnce() -> T, cancel: &AtomicBool) -> Option<Arc<T>> {
        if let Some(v) = self.get() {
            return Some(v);
        }
        let mut guard = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if let Some(v) = self.get() {
                return Some(v);
            }
            if cancel.load(Ordering::Acquire) {
                return None;
            }
            if !self.started.load(Ordering::Acquire) {
                drop(guard);
                return Some(self.get_or_build(build));
            }
            // The build notifies; the timeout only bounds how late a cancel is seen.
            guard = self
                .built
                .wait_timeout(guard, Duration::from_millis(20))
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// For unit tests: as if a worker had started, so that nothing builds the value until
    /// the test does.
    #[cfg(test)]
    pub(crate) fn pretend_started(&self) {
        self.started.store(true, Ordering::Release);
    }
}

#[cfg(test)]
mod tests;
