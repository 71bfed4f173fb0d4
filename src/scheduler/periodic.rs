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
use super::context;
use crate::loom::sync::Arc;
use crate::scheduler::metrics::Counter;
use crate::scheduler::worker::report_callback_panic;
use crate::scheduler::Shared;
use crate::time::entry::{Entry, Rearm};
use crate::time::handle::TimerHandle;
use crate::time::period::{next_run, nth};
use crate::time::pool::EntryRef;
use std::time::Duration;

pub(crate) const ZERO_PERIOD: &str = "spindle: `call_every` period must be non-zero";

pub(crate) fn arm_every<F>(shared: &Arc<Shared>, period: Duration, f: F) -> TimerHandle
where
    F: FnMut() + Send + 'static,
{
    assert!(!period.is_zero(), "{ZERO_PERIOD}");
    let start = shared.clock.now();
    let when = nth(start, period, 1);
    let index = context::worker_index(shared)
        .unwrap_or_else(|| crate::util::rand::home(shared.remotes.len()));
    let shard = shared.remotes[index].shard.clone();
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
