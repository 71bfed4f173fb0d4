//! Virtual time for tests: `Builder::start_paused`, `Builder::auto_advance`,
//! `Handle::pause` / `resume` / `is_paused` / `advance`.
//!
//! The clock itself is `time::clock::Clock` (`Shared::clock`); everything that reads time
//! (`Handle::time`, `call_*`, `sleep*`, `timeout`, the shards' ticks, the workers' park
//! deadlines) reads it, so a paused clock is seen everywhere at once. While paused the clock
//! moves only here, and only when the runtime is *quiet* (`scheduler::quiet`): at each move
//! it goes to the earliest pending deadline (a tick boundary) or to an `advance` target,
//! whichever is first, unparks the owners of the shards now due and wakes the `advance`
//! futures whose target is reached. The woken work runs; when the runtime is quiet again,
//! the next move is decided. So an `advance` that crosses N deadlines fires them in deadline
//! order, each exactly once, and lets what they woke run before time moves on, on any
//! number of workers.
//!
//! Moves (`apply`) happen only under a commit of the quiet protocol, so they are serialized.

use crate::loom::sync::atomic::{AtomicBool, Ordering::Relaxed};
use crate::loom::sync::{lock, Mutex};
use crate::runtime::builder::Builder;
use crate::runtime::handle::Handle;
use crate::scheduler::quiet::{self, Quiet, World};
use crate::scheduler::Shared;
use crate::time::wheel::MAX_TICK;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

/// The runtime's virtual-time state (`Shared::vt`).
#[derive(Debug)]
pub(crate) struct VirtualTime {
    pub(crate) quiet: Quiet,
    auto: AtomicBool,
    waiters: Mutex<Waiters>,
}

#[derive(Debug, Default)]
struct Waiters {
    next_id: u64,
    /// `(id, target nanos since the clock's start, waker)` of each pending `advance`.
    list: Vec<(u64, u64, Waker)>,
}

impl VirtualTime {
    pub(crate) fn new(workers: usize) -> VirtualTime {
        VirtualTime {
            // Every worker starts running, so it is an agent until it first parks.
            quiet: Quiet::new(workers),
            auto: AtomicBool::new(true),
            waiters: Mutex::new(Waiters::default()),
        }
    }

    pub(crate) fn set_auto_advance(&self, on: bool) {
        // Relaxed: set before the workers start (thread spawn orders it).
        self.auto.store(on, Relaxed);
    }

    fn take_reached(&self, now: Option<u64>) -> Vec<Waker> {
        let mut w = lock(&self.waiters);
        let mut out = Vec::new();
        w.list.retain(|(_, target, waker)| {
            let reached = now.map_or(true, |n| *target <= n);
            if reached {
                out.push(waker.clone());
            }
            !reached
        });
        out
    }
}

/// What a quiet runtime does next.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Plan {
    /// Move the paused clock to this many nanoseconds since its start (a deadline's tick,
    /// or an `advance` target).
    Move(u64),
    /// The clock reached an `advance` target and everything it fired has run: wake it.
    WakeAdvance(u64),
}

/// Wakes the `advance`s whose target is reached. A waker is user code and may panic; that
/// must not take down the worker (or the shutdown) that runs the decision, nor leave its
/// commit counted.
fn wake_all(wakers: Vec<Waker>) {
    for w in wakers {
        crate::util::panic::contain(|| w.wake());
    }
}

/// The runtime as the quiet protocol sees it.
pub(crate) struct RuntimeWorld<'a>(pub(crate) &'a Shared);

impl World for RuntimeWorld<'_> {
    type Plan = Plan;

    fn may_plan(&self) -> bool {
        // A running clock never moves here (`plan` starts with `paused_nanos()?`).
        self.0.clock.paused_nanos().is_some()
    }

    fn busy(&self) -> bool {
        let s = self.0;
        let mut busy = !s.injector.is_empty();
        for (i, q) in s.stealers.iter().enumerate() {
            // Queued work (its owner may be the very worker deciding, about to park after a
            // wake it did itself onto its own deque, which unparks nobody): unpark the owner.
            if !q.is_empty() {
                s.unparkers[i].unpark();
                busy = true;
            }
        }
        let now = s.clock.now_tick();
        for (i, shard) in s.shards.iter().enumerate() {
            // A due timer, or remote arms/unlinks its owner has not seen (its `next_due`
            // may be stale): the owner must take a turn before time may move. Unpark it; it
            // counts itself when it wakes, and decides again when it parks.
            if shard.next_due() <= now || !shard.inbox_is_empty() {
                s.unparkers[i].unpark();
                busy = true;
            }
        }
        busy
    }

    fn plan(&self) -> Option<Plan> {
        let s = self.0;
        let now = s.clock.paused_nanos()?;
        let next = s.shards.iter().map(|sh| sh.next_due()).min();
        // Deadlines (or cascade points) the capped virtual clock can never reach are "never":
        // no jump towards them (and no spinning on a move that goes nowhere).
        let next = next
            .filter(|&t| t < MAX_TICK)
            .map(|t| s.clock.nanos_of_tick(t))
            .filter(|&n| n <= s.clock.cap() && n > now);
        let target = lock(&s.vt.waiters).list.iter().map(|w| w.1).min();
        let plan = match (target, next) {
            // Reached, and (the runtime being quiet) what it fired has run.
            (Some(a), _) if a <= now => Some(Plan::WakeAdvance(now)),
            (Some(a), Some(n)) if n <= a => Some(Plan::Move(n.max(now))),
            (Some(a), _) => Some(Plan::Move(a)),
            // Relaxed: see `set_auto_advance`.
            (None, Some(n)) if s.vt.auto.load(Relaxed) => Some(Plan::Move(n.max(now))),
            _ => None,
        };
        // Socket readiness the OS already has is work too: no move past it (`io::vt`).
        if matches!(plan, Some(Plan::Move(_))) && crate::io::vt::holds_move(s, || self.busy()) {
            return None;
        }
        plan
    }

    fn apply(&self, plan: Plan) {
        let s = self.0;
        let nanos = match plan {
            Plan::WakeAdvance(now) => {
                wake_all(s.vt.take_reached(Some(now)));
                return;
            }
            Plan::Move(nanos) => nanos,
        };
        if s.clock.set_paused(nanos).is_none() {
            // Resumed meanwhile: `resume` wakes everyone.
            return;
        }
        let tick = s.clock.now_tick();
        for (i, shard) in s.shards.iter().enumerate() {
            if shard.next_due() <= tick {
                s.unparkers[i].unpark();
            }
        }
    }
}

/// A worker is about to park: it stops counting as an agent, and decides if it was the last.
pub(crate) fn worker_idle(shared: &Shared) {
    quiet::leave_and_settle(&shared.vt.quiet, &RuntimeWorld(shared));
}

/// A worker returned from park.
pub(crate) fn worker_busy(shared: &Shared) {
    shared.vt.quiet.enter();
}

/// The blocking pool calls this when a task is submitted (queued or running counts). While any is pending, the runtime is
/// not quiet, so a paused clock does not auto-advance (as in tokio, a blocking task is how
/// a test holds time still while it waits on something outside the runtime).
pub(crate) fn blocking_task_started(shared: &Shared) {
    shared.vt.quiet.blocking_started();
}

/// Hook for a blocking pool: a blocking task finished (returned or panicked); if it was the
/// last agent, the quiet decision runs here.
pub(crate) fn blocking_task_finished(shared: &Shared) {
    if let Some(t) = shared.vt.quiet.blocking_finished() {
        quiet::settle(&shared.vt.quiet, t, &RuntimeWorld(shared));
    }
}

/// Shutdown: pending `advance`s complete (they poll `Ready` on a closed runtime).
pub(crate) fn on_shutdown(shared: &Shared) {
    wake_all(shared.vt.take_reached(None));
}

/// The calling thread acts as an agent for a moment, so that a change it just made (an
/// `advance` registered, the clock paused) is decided on even if the runtime was already
/// quiet and nobody else will leave.
fn kick(shared: &Shared) {
    quiet::kick(&shared.vt.quiet, &RuntimeWorld(shared));
}

const ADVANCE_RUNNING: &str = "spindle: `Handle::advance` needs a paused clock; call \
     `Handle::pause()` first or build the runtime with `Builder::start_paused(true)`";

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
        self.shared.clock.pause();
        kick(&self.shared);
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
        let shared = &self.shared;
        shared.clock.resume();
        wake_all(shared.vt.take_reached(None));
        // Parked workers computed their wake-ups (none) on the paused clock.
        for u in shared.unparkers.iter() {
            u.unpark();
        }
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
        Advance {
            handle: self.clone(),
            d,
            state: None,
        }
        .await
    }
}

/// The future of [`Handle::advance`].
struct Advance {
    handle: Handle,
    d: Duration,
    /// `(waiter id, target nanos)` once registered.
    state: Option<(u64, u64)>,
}

impl Future for Advance {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let shared = &this.handle.shared;
        if shared.is_closed() {
            return Poll::Ready(()); // shut down: nothing will move the clock again
        }
        let Some(now) = shared.clock.paused_nanos() else {
            if this.state.is_none() {
                panic!("{ADVANCE_RUNNING}");
            }
            return Poll::Ready(()); // resumed meanwhile
        };
        let Some((id, _)) = this.state else {
            let target = shared.clock.target_after(now, this.d);
            if target <= now {
                return Poll::Ready(());
            }
            let mut w = lock(&shared.vt.waiters);
            w.next_id += 1;
            let id = w.next_id;
            w.list.push((id, target, cx.waker().clone()));
            drop(w);
            this.state = Some((id, target));
            // The runtime may already be quiet, with nobody left to decide on our target.
            kick(shared);
            return this.registered_poll(id, cx);
        };
        this.registered_poll(id, cx)
    }
}

impl Advance {
    /// Done once the quiet decision took us off the list (`Plan::WakeAdvance`, or `resume`):
    /// the clock reached the target *and* what it fired has run.
    fn registered_poll(&self, id: u64, cx: &mut Context<'_>) -> Poll<()> {
        let mut w = lock(&self.handle.shared.vt.waiters);
        match w.list.iter_mut().find(|x| x.0 == id) {
            Some(x) => {
                if !x.2.will_wake(cx.waker()) {
                    x.2 = cx.waker().clone();
                }
                Poll::Pending
            }
            None => Poll::Ready(()),
        }
    }
}

impl Drop for Advance {
    fn drop(&mut self) {
        if let Some((id, _)) = self.state {
            lock(&self.handle.shared.vt.waiters)
                .list
                .retain(|x| x.0 != id);
        }
    }
}

impl fmt::Debug for Advance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Advance").field("d", &self.d).finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
    use std::sync::Arc;

    /// The blocking-pool hook: while a blocking task runs, the runtime is not quiet, so a
    /// paused clock stays put; when the last one finishes, auto-advance goes on.
    #[test]
    fn a_running_blocking_task_holds_auto_advance() {
        let rt = Builder::new()
            .worker_threads(2)
            .start_paused(true)
            .build()
            .unwrap();
        let h = rt.handle().clone();
        let shared = &h.shared;
        blocking_task_started(shared);
        let fired = Arc::new(AtomicBool::new(false));
        let f = fired.clone();
        let t0 = h.time();
        h.call_later(Duration::from_secs(1), move || f.store(true, SeqCst));
        std::thread::sleep(Duration::from_millis(30));
        assert!(
            !fired.load(SeqCst),
            "no auto-advance while a blocking task runs"
        );
        assert_eq!(h.time(), t0);
        blocking_task_finished(shared);
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !fired.load(SeqCst) && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        assert!(fired.load(SeqCst), "auto-advance once it finished");
        assert_eq!(h.time() - t0, Duration::from_secs(1));
    }
}
