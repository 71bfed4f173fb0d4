//! `call_every`: a periodic callback on one timer entry, re-armed in place after each run.
//!
//! Procedure (the entry's transitions are in `time::entry`, "periodic"):
//! 1. `call_every(period, f)` builds one `Kind::Periodic` entry for run k = 1, due at
//!    `start + period` (`start` = the runtime clock at the call), and arms it like
//!    `call_later` (`arm::arm_entry`: the caller's own shard on a worker, an inbox otherwise).
//! 2. When it is due, the shard queues it (ARMED -> QUEUED) like a one-shot callback. The
//!    worker that pops it (`run`) wins QUEUED -> FIRING and calls the `FnMut` in place. Since
//!    the next arm happens only after the call returned, a slow callback never runs
//!    concurrently with itself.
//! 3. After the call, the runner picks the next run (Skip): the first `start + k * period`
//!    that is later than both the run just made and the clock now. A late run is not
//!    repeated; runs stay on the period grid. It records k, then `Entry::rearm` writes the
//!    deadline and ARMED in one CAS, and the entry goes back to its own shard through the same
//!    paths as any arm: the local staging buffer if the runner owns the shard, the inbox
//!    otherwise. No allocation per run.
//! 4. `cancel()` before a run (ARMED/QUEUED) drops the closure at once; during a run it only
//!    marks FIRING_CANCELLED, and the runner drops the closure when the run returns. Either
//!    way it returns true and no later run happens.
//! 5. A run that panics is reported like any callback panic (`on_callback_panic`) and ends
//!    the timer (the closure is dropped; its state may be half-updated, as with
//!    `scheduleAtFixedRate` in Java, which also stops after a failed run). Shutdown cancels
//!    a pending entry; a run in progress at shutdown is the last one.
//!
//! Every instant comes from the runtime's clock (`shared.clock`), never `Instant::now`.

use super::arm;
use super::clock::saturating_add;
use super::entry::{Entry, Rearm};
use super::handle::TimerHandle;
use super::pool::EntryRef;
use crate::loom::sync::Arc;
use crate::runtime::context;
use crate::runtime::handle::Handle;
use crate::scheduler::metrics::Counter;
use crate::scheduler::worker::report_callback_panic;
use crate::scheduler::Shared;
use std::time::{Duration, Instant};

const ZERO_PERIOD: &str = "spindle: `call_every` period must be non-zero";

/// `start + k * period`, saturating to a far instant (which maps to "never") on overflow.
pub(crate) fn nth(start: Instant, period: Duration, k: u64) -> Instant {
    let nanos = period.as_nanos().saturating_mul(u128::from(k));
    let secs = u64::try_from(nanos / 1_000_000_000).unwrap_or(u64::MAX);
    let d = Duration::new(secs, (nanos % 1_000_000_000) as u32);
    saturating_add(start, d)
}

/// The next run after run `k` when the clock reads `now`: the first grid point later than
/// both (Skip).
pub(crate) fn next_run(start: Instant, period: Duration, k: u64, now: Instant) -> u64 {
    let elapsed = now.saturating_duration_since(start).as_nanos();
    let periods = elapsed / period.as_nanos().max(1);
    let on_grid = u64::try_from(periods).unwrap_or(u64::MAX).saturating_add(1);
    on_grid.max(k.saturating_add(1))
}

/// `TimerHandle::when` of a periodic entry: its next scheduled run.
pub(crate) fn when(entry: &Entry) -> Option<Instant> {
    entry
        .schedule()
        .map(|(start, period, k)| nth(start, period, k))
}

pub(crate) fn arm_every<F>(shared: &Arc<Shared>, period: Duration, f: F) -> TimerHandle
where
    F: FnMut() + Send + 'static,
{
    assert!(!period.is_zero(), "{ZERO_PERIOD}");
    let start = shared.clock.now();
    let when = nth(start, period, 1);
    let index = context::worker_index(shared)
        .unwrap_or_else(|| crate::util::rand::home(shared.shards.len()));
    let shard = shared.shards[index].clone();
    if shared.is_closed() {
        return TimerHandle::dead(shard, when, f);
    }
    let tick = shared.clock.deadline_tick(when);
    let entry = Entry::new_periodic(tick, index as u32, start, period, f);
    arm::arm_entry(shared, index, &entry, tick);
    TimerHandle::new(entry, shard, when)
}

/// A worker runs a QUEUED periodic entry (steps 2, 3 and 5).
pub(crate) fn run(shared: &Arc<Shared>, worker: usize, e: &EntryRef) {
    if !e.start_periodic() {
        return; // cancelled while queued
    }
    shared.counters.add(Some(worker), Counter::Fired);
    if let Err(payload) = e.call_periodic() {
        e.stop_periodic(false);
        return report_callback_panic(shared, e.callback_name(), payload);
    }
    if shared.is_closed() {
        // The last run: shutdown has begun (a re-arm would be refused anyway).
        if e.stop_periodic(true) {
            shared.counters.add(Some(worker), Counter::Armed);
            shared.counters.add(Some(worker), Counter::Cancelled);
        }
        return;
    }
    let Some((start, period, k)) = e.schedule() else {
        return;
    };
    let k = next_run(start, period, k, shared.clock.now());
    e.set_run(k);
    let tick = shared.clock.deadline_tick(nth(start, period, k));
    match e.rearm(tick) {
        Rearm::Push => arm::arm_entry(shared, e.shard as usize, e, tick),
        // Counted as armed like any arm, so `timers_pending` stays balanced.
        Rearm::StillStaged => shared.counters.add(Some(worker), Counter::Armed),
        Rearm::Stopped => {}
    }
}

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

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn grid_and_skip() {
        let s = Instant::now();
        let p = Duration::from_millis(10);
        assert_eq!(nth(s, p, 3), s + Duration::from_millis(30));
        // On time: the next grid point.
        assert_eq!(next_run(s, p, 1, s + Duration::from_millis(10)), 2);
        // Late by 3.5 periods: skip to the grid point after now.
        assert_eq!(next_run(s, p, 1, s + Duration::from_millis(45)), 5);
        // Early clock reading (never happens) still moves forward.
        assert_eq!(next_run(s, p, 4, s), 5);
    }

    #[test]
    fn huge_periods_saturate() {
        let s = Instant::now();
        let far = nth(s, Duration::MAX, u64::MAX);
        assert!(far > s + Duration::from_secs(1 << 40));
        assert_eq!(next_run(s, Duration::MAX, 1, s), 2);
    }
}
