//! The public timer API that needs a runtime: `Handle::call_every`, `Handle::interval`,
//! `Handle::interval_at` and their free-function forms. Kept in `runtime/` so that `time/`
//! (the timer types) and `scheduler/` (the routing) never name `Handle` (issue 9).

use super::handle::Handle;
use crate::scheduler::periodic::{arm_every, ZERO_PERIOD};
use crate::time::{Interval, TimerHandle};
use std::time::{Duration, Instant};

impl Handle {
    /// Runs `f` every `period`, first one period from now (Go's `Ticker`, Netty's
    /// `scheduleAtFixedRate`, the hand-re-armed `call_later` of asyncio code). One timer entry
    /// serves every run, re-armed in place (no allocation per run).
    ///
    /// - Runs are on the grid `start + k * period`. A run never overlaps the previous one: a
    ///   callback slower than its period runs back to back, and a late run is not repeated
    ///   (the next one is the next grid point after now, like [`MissedTickBehavior::Skip`](crate::MissedTickBehavior::Skip)).
    /// - [`TimerHandle::cancel`] stops every later run and returns true iff this call
    ///   stopped it; a run in progress finishes, and the closure is dropped after it.
    ///   [`TimerHandle::when`] is the next scheduled run.
    /// - A run that panics is reported like any callback panic
    ///   ([`Builder::on_callback_panic`](crate::Builder::on_callback_panic)) and ends the timer.
    /// - A huge period saturates like a `Duration::MAX` delay: it never fires in practice and
    ///   stays cancellable.
    ///
    /// # Panics
    /// If `period` is zero, with a message saying so.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// let rt = spindle::Runtime::new().unwrap();
    /// let runs = Arc::new(AtomicUsize::new(0));
    /// let r = runs.clone();
    /// let start = rt.handle().time();
    /// let t = rt.handle().call_every(Duration::from_millis(2), move || {
    ///     r.fetch_add(1, Ordering::SeqCst);
    /// });
    /// while runs.load(Ordering::SeqCst) < 3 { std::thread::yield_now(); }
    /// assert!(t.when() >= start + Duration::from_millis(6)); // the next run, not the first
    /// assert!(t.cancel());
    /// ```
    #[track_caller]
    pub fn call_every<F>(&self, period: Duration, f: F) -> TimerHandle
    where
        F: FnMut() + Send + 'static,
    {
        assert!(!period.is_zero(), "{ZERO_PERIOD}");
        arm_every(&self.shared, period, f)
    }
}

/// [`Handle::call_every`] on the current thread's runtime (panics outside one, or if
/// `period` is zero).
///
/// ```
/// let rt = spindle::Runtime::new().unwrap();
/// rt.block_on(async {
///     let t = spindle::call_every(std::time::Duration::from_secs(1), || {});
///     assert!(t.cancel());
/// });
/// ```
#[track_caller]
pub fn call_every<F>(period: Duration, f: F) -> TimerHandle
where
    F: FnMut() + Send + 'static,
{
    Handle::current().call_every(period, f)
}

impl Handle {
    /// An [`Interval`] whose first tick is at once and then every `period`.
    ///
    /// # Panics
    /// If `period` is zero (as tokio's `interval` does).
    ///
    /// ```
    /// let rt = spindle::Runtime::new().unwrap();
    /// let mut i = rt.handle().interval(std::time::Duration::from_millis(1));
    /// rt.block_on(async { i.tick().await; i.tick().await; });
    /// ```
    #[track_caller]
    pub fn interval(&self, period: Duration) -> Interval {
        self.interval_at(self.shared.clock.now(), period)
    }

    /// An [`Interval`] whose first tick is at `start` and then every `period` (on the clock of
    /// [`time`](Handle::time)).
    ///
    /// # Panics
    /// If `period` is zero.
    ///
    /// ```
    /// use std::time::Duration;
    /// let rt = spindle::Runtime::new().unwrap();
    /// let h = rt.handle();
    /// let start = h.time() + Duration::from_millis(2);
    /// let mut i = h.interval_at(start, Duration::from_millis(50));
    /// rt.block_on(async {
    ///     assert_eq!(i.tick().await, start);
    ///     assert_eq!(i.tick().await, start + Duration::from_millis(50));
    /// });
    /// ```
    #[track_caller]
    pub fn interval_at(&self, start: Instant, period: Duration) -> Interval {
        Interval::new(self.sleep_until(start), period)
    }
}

/// [`Handle::interval`] on the current thread's runtime (panics outside one, or if `period`
/// is zero).
///
/// ```
/// let rt = spindle::Runtime::new().unwrap();
/// rt.block_on(async { spindle::interval(std::time::Duration::from_millis(1)).tick().await });
/// ```
#[track_caller]
pub fn interval(period: Duration) -> Interval {
    Handle::current().interval(period)
}

/// [`Handle::interval_at`] on the current thread's runtime (panics outside one, or if
/// `period` is zero).
///
/// ```
/// let rt = spindle::Runtime::new().unwrap();
/// rt.block_on(async {
///     let start = spindle::Handle::current().time();
///     let mut i = spindle::interval_at(start, std::time::Duration::from_millis(1));
///     assert_eq!(i.tick().await, start);
/// });
/// ```
#[track_caller]
pub fn interval_at(start: Instant, period: Duration) -> Interval {
    Handle::current().interval_at(start, period)
}
