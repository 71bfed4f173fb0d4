//! `RuntimeMetrics`: a snapshot of the runtime's counters.

use crate::scheduler::metrics::Totals;

/// A snapshot of a runtime's counters, taken by [`Handle::metrics`](crate::Handle::metrics).
///
/// ```
/// let rt = spindle::Builder::new().worker_threads(2).build().unwrap();
/// let t = rt.handle().call_later(std::time::Duration::from_secs(60), || {});
/// assert_eq!(rt.handle().metrics().timers_pending(), 1);
/// t.cancel();
/// let m = rt.handle().metrics();
/// assert_eq!((m.workers(), m.timers_pending(), m.timers_cancelled()), (2, 0, 1));
/// ```
#[derive(Debug, Clone)]
pub struct RuntimeMetrics {
    pub(crate) workers: usize,
    pub(crate) totals: Totals,
    /// The blocking pool's figures (accessors in `blocking::api`).
    pub(crate) blocking: crate::blocking::pool::Snapshot,
}

impl RuntimeMetrics {
    /// Number of worker threads.
    ///
    /// ```
    /// let rt = spindle::Builder::new().worker_threads(3).build().unwrap();
    /// assert_eq!(rt.handle().metrics().workers(), 3);
    /// ```
    pub fn workers(&self) -> usize {
        self.workers
    }

    /// Timers armed and not yet fired or cancelled.
    ///
    /// ```
    /// let rt = spindle::Runtime::new().unwrap();
    /// assert_eq!(rt.handle().metrics().timers_pending(), 0);
    /// ```
    pub fn timers_pending(&self) -> u64 {
        self.totals
            .armed
            .saturating_sub(self.totals.fired + self.totals.cancelled)
    }

    /// Timer callbacks (and `Sleep`s) that fired.
    ///
    /// ```
    /// let rt = spindle::Runtime::new().unwrap();
    /// rt.block_on(rt.handle().sleep(std::time::Duration::from_millis(2)));
    /// assert_eq!(rt.handle().metrics().timers_fired(), 1);
    /// ```
    pub fn timers_fired(&self) -> u64 {
        self.totals.fired
    }

    /// Timers whose `cancel()` won (including those cancelled by shutdown or by dropping a
    /// `Sleep`).
    ///
    /// ```
    /// let rt = spindle::Runtime::new().unwrap();
    /// assert!(rt.handle().call_later(std::time::Duration::from_secs(9), || {}).cancel());
    /// assert_eq!(rt.handle().metrics().timers_cancelled(), 1);
    /// ```
    pub fn timers_cancelled(&self) -> u64 {
        self.totals.cancelled
    }

    /// Tasks spawned since the runtime started.
    ///
    /// ```
    /// let rt = spindle::Runtime::new().unwrap();
    /// rt.handle().spawn(async {});
    /// assert_eq!(rt.handle().metrics().tasks_spawned(), 1);
    /// ```
    pub fn tasks_spawned(&self) -> u64 {
        self.totals.spawned
    }

    /// Successful steals of tasks from another worker's deque.
    ///
    /// ```
    /// let rt = spindle::Runtime::new().unwrap();
    /// let _ = rt.handle().metrics().steals();
    /// ```
    pub fn steals(&self) -> u64 {
        self.totals.steals
    }
}
