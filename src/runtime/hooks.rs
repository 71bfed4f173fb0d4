//! Thread hooks (`Builder::on_thread_start` / `on_thread_stop`) and `worker_index()`.
//!
//! Every thread the runtime starts (the workers and the blocking-pool threads) runs the start
//! hook before it runs anything else, inside the runtime's context (`Handle::current()` works
//! there), and the stop hook after it stopped running anything. A hook that panics is caught
//! and reported with one line on stderr; the thread goes on (a broken metrics hook must not
//! take the runtime down).

use super::handle::Handle;
use crate::scheduler::context;
use crate::Builder;
use std::cell::Cell;
use std::sync::Arc;

use crate::blocking::hooks::{run_start, run_stop};

// This thread's worker index, set before the start hook of worker `i` and never cleared (the
// thread is the worker until it exits). A plain `Cell<usize>`, `usize::MAX` for "none".
crate::loom::thread_local! {
    static WORKER_INDEX: Cell<usize> = Cell::new(usize::MAX);
}

/// `Some(i)` on worker thread `i` of a spindle runtime, `None` on any other thread
/// (blocking-pool threads, `block_on` callers, threads outside any runtime). Stable for the
/// thread's life, and already set inside [`Builder::on_thread_start`]: pin worker `i` to core
/// `i` there, or shard per-worker state by it.
///
/// ```
/// assert_eq!(spindle::worker_index(), None);
/// let rt = spindle::Builder::new().worker_threads(2).build().unwrap();
/// let i = rt.block_on(async { spindle::spawn(async { spindle::worker_index() }).await });
/// assert!(matches!(i.unwrap(), Some(0 | 1)));
/// assert_eq!(rt.block_on(rt.handle().spawn_blocking(spindle::worker_index)).unwrap(), None);
/// ```
pub fn worker_index() -> Option<usize> {
    let i = WORKER_INDEX.try_with(|w| w.get()).unwrap_or(usize::MAX);
    (i != usize::MAX).then_some(i)
}

/// The body of worker thread `index`: index, start hook, `run`, stop hook.
pub(crate) fn worker_main(index: usize, handle: Handle, run: impl FnOnce()) {
    WORKER_INDEX.with(|w| w.set(index));
    let settings = handle.shared.blocking.settings().clone();
    context::enter_runtime_thread(&handle.shared, || {
        run_start(settings.on_thread_start.as_deref())
    });
    run();
    context::enter_runtime_thread(&handle.shared, || {
        run_stop(settings.on_thread_stop.as_deref())
    });
}

impl Builder {
    /// Runs `f` on every thread the runtime starts (each worker and each blocking-pool
    /// thread), before the thread runs anything else, inside the runtime's context. On a
    /// worker, [`worker_index`](crate::worker_index) is already set. A panic in `f` is
    /// caught and reported on stderr; the thread goes on.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    /// let started = Arc::new(AtomicUsize::new(0));
    /// let s = started.clone();
    /// let rt = spindle::Builder::new()
    ///     .worker_threads(2)
    ///     .on_thread_start(move || { s.fetch_add(1, Ordering::SeqCst); })
    ///     .build()
    ///     .unwrap();
    /// while started.load(Ordering::SeqCst) < 2 { std::thread::yield_now(); }
    /// # drop(rt);
    /// ```
    pub fn on_thread_start<F>(&mut self, f: F) -> &mut Self
    where
        F: Fn() + Send + Sync + 'static,
    {
        self.blocking.on_thread_start = Some(Arc::new(f));
        self
    }

    /// Runs `f` on every thread the runtime started, after it stopped running anything (a
    /// worker after it dropped its remaining work at shutdown, a blocking thread after its
    /// last task, at keep-alive expiry or shutdown). A panic in `f` is caught and reported.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    /// let stopped = Arc::new(AtomicUsize::new(0));
    /// let s = stopped.clone();
    /// let rt = spindle::Builder::new()
    ///     .worker_threads(3)
    ///     .on_thread_stop(move || { s.fetch_add(1, Ordering::SeqCst); })
    ///     .build()
    ///     .unwrap();
    /// drop(rt); // waits for the workers
    /// assert_eq!(stopped.load(Ordering::SeqCst), 3);
    /// ```
    pub fn on_thread_stop<F>(&mut self, f: F) -> &mut Self
    where
        F: Fn() + Send + Sync + 'static,
    {
        self.blocking.on_thread_stop = Some(Arc::new(f));
        self
    }
}
