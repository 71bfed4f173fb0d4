//! Virtual time's public face: `Builder::start_paused`, `Builder::auto_advance`,
//! `Handle::pause` / `resume` / `is_paused` / `advance`. What they do is
//! `scheduler::pause` (the clock is `time::clock::Clock`).

use super::builder::Builder;
use super::handle::Handle;
use std::time::Duration;

impl Builder {
    /// Starts the runtime with its clock paused (virtual time, for tests): time moves only
    /// by [`Handle::advance`] or, with [`auto_advance`](Self::auto_advance), when the
    /// runtime has nothing to run. Default `false`. See [`Handle::pause`].
    ///
    /// ```
    /// use std::time::Duration;
    /// let rt = spindle::Builder::new().start_paused(true).build().unwrap();
    /// let h = rt.handle().clone();
    /// let t0 = h.time();
    /// // A one-hour sleep completes at once: nothing else runs, so the clock jumps.
    /// rt.block_on(h.sleep(Duration::from_secs(3600)));
    /// assert_eq!(h.time() - t0, Duration::from_secs(3600));
    /// ```
    pub fn start_paused(&mut self, paused: bool) -> &mut Self {
        self.start_paused = paused;
        self
    }

    /// Whether a paused clock jumps to the next deadline when the runtime has nothing to
    /// run (default `true`). "Nothing to run" means: every worker is parked, no task or
    /// callback is queued anywhere, no timer is due, no shard has remote arms its owner has
    /// not taken in, no `block_on` future is runnable (a `block_on` thread counts from its
    /// wake-up until its future returns `Pending` again), and no blocking task is running.
    ///
    /// Threads that only hold a [`Handle`] are not part of the runtime: the runtime cannot
    /// know that such a thread is about to arm a timer, so with auto-advance on the clock may
    /// jump at any moment between two calls it makes. A timer such a thread arms is relative
    /// to the clock at the moment it arms it. Tests that drive the runtime from another
    /// thread should turn auto-advance off and move time themselves with
    /// [`Handle::advance`] (from any thread, through `futures::executor::block_on`), or do
    /// their work inside `block_on`, which counts.
    ///
    /// A task waiting on I/O readiness is not runnable, so auto-advance does jump past it to
    /// the next deadline (the way tokio does): a test with real sockets should either keep
    /// a timeout longer than the exchange needs or turn auto-advance off.
    ///
    /// ```
    /// use std::time::Duration;
    /// let rt = spindle::Builder::new().start_paused(true).auto_advance(false).build().unwrap();
    /// let h = rt.handle().clone();
    /// let s = h.sleep(Duration::from_secs(5));
    /// rt.block_on(async {
    ///     h.advance(Duration::from_secs(5)).await;
    ///     assert!(s.is_elapsed());
    /// });
    /// ```
    pub fn auto_advance(&mut self, on: bool) -> &mut Self {
        self.auto_advance = on;
        self
    }
}

impl Handle {
    /// Pauses the runtime's clock (virtual time, for tests). From now on [`time`](Self::time),
    /// `call_*`, `sleep*` and `timeout` read the paused clock, nothing fires before the
    /// paused clock reaches its deadline, and the clock moves only by
    /// [`advance`](Self::advance) or by auto-advance ([`Builder::auto_advance`]). It pauses
    /// at the current time rounded up to the next timer tick (a step forward of less than
    /// one tick), so that `sleep(d)` followed by `advance(d)` completes the sleep for `d` in
    /// whole ticks; after that the clock moves exactly as far as it is moved. Pausing twice
    /// is harmless. Works with any number of workers.
    ///
    /// ```
    /// let rt = spindle::Runtime::new().unwrap();
    /// let h = rt.handle();
    /// h.pause();
    /// h.pause();
    /// let t = h.time();
    /// std::thread::sleep(std::time::Duration::from_millis(2));
    /// assert_eq!(h.time(), t);
    /// ```
    pub fn pause(&self) {
        crate::scheduler::pause::pause(&self.shared);
    }

    /// Lets the clock run again from where it stands: `time()` continues from the paused
    /// instant (no jump, still monotonic), at the wall clock's rate. Pending `advance`s
    /// complete. Resuming a running clock does nothing.
    ///
    /// ```
    /// use std::time::Duration;
    /// let rt = spindle::Builder::new().start_paused(true).build().unwrap();
    /// let h = rt.handle();
    /// let t = h.time();
    /// h.resume();
    /// assert!(h.time() >= t && h.time() - t < Duration::from_secs(60));
    /// assert!(!h.is_paused());
    /// ```
    pub fn resume(&self) {
        crate::scheduler::pause::resume(&self.shared);
    }

    /// Whether the clock is paused.
    ///
    /// ```
    /// let rt = spindle::Builder::new().start_paused(true).build().unwrap();
    /// assert!(rt.handle().is_paused());
    /// ```
    pub fn is_paused(&self) -> bool {
        self.shared.clock.is_paused()
    }

    /// Moves the paused clock forward by exactly `d`, in steps: at each deadline on the way
    /// it fires what is due, in deadline order, and lets the tasks and callbacks that woke
    /// run until the runtime is quiet again, then moves on. When it returns, `time()` is
    /// exactly `d` later and every timer whose deadline, rounded up to the timer tick, is at
    /// or before the new `time()` has fired, and none after: as with tokio's millisecond
    /// timers, a `sleep(1500µs)` fires once the clock reaches the 2 ms boundary, not at
    /// 1.5 ms (and never before its deadline). It can be awaited from a task, from `block_on`, or from any other thread
    /// through an executor such as `futures::executor::block_on`. `Duration::MAX` saturates
    /// (far beyond any finite deadline, but a `Duration::MAX` sleep still never fires).
    ///
    /// A task that never stops running keeps the runtime from being quiet, so `advance`
    /// waits for it. If the clock is resumed meanwhile, or the runtime shuts down, `advance`
    /// completes at once. Deadlines are rounded up to the timer tick, so timers whose
    /// deadlines fall within one tick fire in the same step (possibly in parallel on several
    /// workers); deadlines at least one tick apart fire in order.
    ///
    /// # Panics
    /// When first polled on a running (not paused) clock, with a message saying so.
    ///
    /// ```
    /// use std::time::Duration;
    /// use std::sync::atomic::{AtomicU32, Ordering};
    /// use std::sync::Arc;
    /// let rt = spindle::Builder::new().worker_threads(2).start_paused(true).build().unwrap();
    /// let h = rt.handle().clone();
    /// let fired = Arc::new(AtomicU32::new(0));
    /// let f = fired.clone();
    /// rt.block_on(async {
    ///     // Armed inside block_on: with auto-advance on, a timer armed from a thread outside
    ///     // the runtime could be jumped to before the advance below (see `auto_advance`).
    ///     h.call_later(Duration::from_secs(30), move || { f.fetch_add(1, Ordering::SeqCst); });
    ///     h.advance(Duration::from_secs(29)).await;
    ///     assert_eq!(fired.load(Ordering::SeqCst), 0);
    ///     h.advance(Duration::from_secs(1)).await;
    ///     assert_eq!(fired.load(Ordering::SeqCst), 1);
    /// });
    /// ```
    pub async fn advance(&self, d: Duration) {
        crate::scheduler::pause::advance(self.shared.clone(), d).await
    }
}

#[cfg(all(test, not(loom)))]
#[path = "virtual_time_tests.rs"]
mod tests;
