//! Virtual time, the runtime side: the agents' count and the quiet decision's world
//! (`RuntimeWorld`), pending `advance`s, and what `Handle::pause` / `resume` / `advance` do
//! (their public face, with `Builder::start_paused` / `auto_advance`, is
//! `runtime::virtual_time`).
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
use crate::loom::sync::Arc;
use crate::loom::sync::{lock, Mutex};
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
        for (i, q) in s.remotes.iter().map(|r| &r.steal).enumerate() {
            // Queued work (its owner may be the very worker deciding, about to park after a
            // wake it did itself onto its own deque, which unparks nobody): unpark the owner.
            if !q.is_empty() {
                s.remotes[i].unpark.unpark();
                busy = true;
            }
        }
        let now = s.clock.now_tick();
        for (i, shard) in s.remotes.iter().map(|r| &r.shard).enumerate() {
            // A due timer, or remote arms/unlinks its owner has not seen (its `next_due`
            // may be stale): the owner must take a turn before time may move. Unpark it; it
            // counts itself when it wakes, and decides again when it parks.
            if shard.next_due() <= now || !shard.inbox_is_empty() {
                s.remotes[i].unpark.unpark();
                busy = true;
            }
        }
        busy
    }

    fn plan(&self) -> Option<Plan> {
        let s = self.0;
        let now = s.clock.paused_nanos()?;
        let next = s
            .remotes
            .iter()
            .map(|r| &r.shard)
            .map(|sh| sh.next_due())
            .min();
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
        for (i, shard) in s.remotes.iter().map(|r| &r.shard).enumerate() {
            if shard.next_due() <= tick {
                s.remotes[i].unpark.unpark();
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

pub(crate) const ADVANCE_RUNNING: &str = "spindle: `Handle::advance` needs a paused clock; call \
     `Handle::pause()` first or build the runtime with `Builder::start_paused(true)`";

/// `Handle::pause`: pause the clock, then decide (the runtime may be quiet already).
pub(crate) fn pause(shared: &Shared) {
    shared.clock.pause();
    kick(shared);
}

/// `Handle::resume`: resume the clock, complete every pending `advance`, and unpark the
/// workers (they computed their wake-ups, none, on the paused clock).
pub(crate) fn resume(shared: &Shared) {
    shared.clock.resume();
    wake_all(shared.vt.take_reached(None));
    for u in shared.remotes.iter().map(|r| &r.unpark) {
        u.unpark();
    }
}

/// `Handle::advance`'s future.
pub(crate) fn advance(shared: Arc<Shared>, d: Duration) -> Advance {
    Advance {
        shared,
        d,
        state: None,
    }
}

/// The future of `Handle::advance`.
pub(crate) struct Advance {
    shared: Arc<Shared>,
    d: Duration,
    /// `(waiter id, target nanos)` once registered.
    state: Option<(u64, u64)>,
}

impl Future for Advance {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let shared = &this.shared;
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
        let mut w = lock(&self.shared.vt.waiters);
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
            lock(&self.shared.vt.waiters).list.retain(|x| x.0 != id);
        }
    }
}

impl fmt::Debug for Advance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Advance").field("d", &self.d).finish()
    }
}
