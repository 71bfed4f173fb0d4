//! The worker loop.
//!
//! Each turn, in order:
//! 1. Every `TIMER_CHECK_INTERVAL` turns, read the clock; every `MAINTENANCE_INTERVAL` turns
//!    (or when the clock says a timer is due) run the shard's maintenance turn, and look at
//!    the injector first so remote work is never starved by a busy local queue.
//! 2. Run the next task from the local deque (FIFO: yielded tasks go behind the others).
//! 3. Local deque empty: maintenance turn (due callbacks land in the local deque), then
//!    search: injector batch, steal half of a random victim's deque, fire other shards'
//!    overdue timers (their owners are stuck). A bounded number of workers search at once.
//! 4. Nothing found: park (see [`Worker::park`]) until woken or the next timer deadline.
//!
//! **No hostage timers** (watch deadline, grace, thief pass): `scheduler::watch`. The park
//! decision and the remote-arm handshake: `scheduler::handshake`.

use super::context;
use super::metrics::Counter;
use super::{Notified, Shared};
use crate::loom::sync::Arc;
use crate::time::owner::ShardOwner;
use crate::time::pool::EntryRef;
use crate::time::shard::DueSink;
use crate::util::parker::Parker;
use crate::util::queue::Local;
use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};

const TIMER_CHECK_INTERVAL: u32 = 8;
const MAINTENANCE_INTERVAL: u32 = 61;
#[cfg(not(loom))]
const SEARCH_ROUNDS: usize = 3;
// Shrunk under loom: each round ends in a yield, at which loom always switches threads, so
// every extra round costs the models a preemption to reach the searcher's last check.
#[cfg(loom)]
const SEARCH_ROUNDS: usize = 1;

pub(crate) struct Worker {
    pub(crate) index: usize,
    pub(crate) shared: Arc<Shared>,
    pub(crate) local: Local<Notified>,
    /// This worker's own shard, owner side (only this worker holds it).
    pub(crate) owner: ShardOwner,
    parker: Parker,
    searching: Cell<bool>,
    turn: Cell<u32>,
}

/// Due callbacks of a maintenance turn go to the back of the local deque; fired `Sleep`s are
/// woken when the sink is dropped, after the shard has been released (waker code may arm or
/// cancel timers on the same shard).
pub(crate) struct ToLocal<'a> {
    worker: &'a Worker,
    queued: usize,
    woken: Vec<EntryRef>,
}

impl<'a> ToLocal<'a> {
    pub(crate) fn new(worker: &'a Worker) -> Self {
        ToLocal {
            worker,
            queued: 0,
            woken: Vec::new(),
        }
    }
}

impl DueSink for ToLocal<'_> {
    fn queued(&mut self, entry: EntryRef) {
        self.worker.local.push(Notified::Timer(entry));
        self.queued += 1;
    }

    fn woken(&mut self, entry: EntryRef) {
        self.worker
            .shared
            .counters
            .add(Some(self.worker.index), Counter::Fired);
        self.woken.push(entry);
    }
}

impl ToLocal<'_> {
    /// Whether a due callback went to the deque.
    pub(crate) fn has_queued(&self) -> bool {
        self.queued > 0
    }
}

impl Drop for ToLocal<'_> {
    fn drop(&mut self) {
        // issue 12: every local arm builds a sink (for a full staging buffer); skip the drain.
        if self.woken.is_empty() {
            return;
        }
        for e in self.woken.drain(..) {
            e.wake_fired();
        }
    }
}

impl Worker {
    pub(crate) fn new(
        index: usize,
        shared: Arc<Shared>,
        local: Local<Notified>,
        parker: Parker,
    ) -> Worker {
        Worker {
            index,
            owner: ShardOwner::new(shared.remotes[index].shard.clone()),
            shared,
            local,
            parker,
            searching: Cell::new(false),
            turn: Cell::new(0),
        }
    }

    /// The thread's main function. The loop and the cleanup both run with this worker as
    /// the thread's current runtime (a `Drop` run at shutdown that calls `Handle::current()`
    /// or `spindle::spawn` gets the documented after-shutdown answers, not a panic), and a
    /// panic that still escapes the loop is contained and the loop resumed: the worker never
    /// dies before shutdown, and is always counted out (`ExitGuard`, also on unwind).
    pub(crate) fn run(self) {
        let _exited = ExitGuard(&self.shared);
        context::enter_worker(&self, || {
            while let Err(p) = crate::util::panic::catch(|| self.run_loop()) {
                crate::util::panic::dispose(p);
            }
            self.exit();
        });
    }

    fn run_loop(&self) {
        while !self.shared.is_closed() {
            if let Some(n) = self.next_task() {
                self.run_notified(n);
                continue;
            }
            // I/O (`io::park::poll_now`): fresh readiness is cheaper than maintenance + search.
            if crate::io::park::poll_now(&self.shared) > 0 {
                continue;
            }
            if self.maintain_timers() > 0 {
                continue;
            }
            if let Some(n) = self.search() {
                self.run_notified(n);
                continue;
            }
            self.park();
        }
    }

    fn next_task(&self) -> Option<Notified> {
        let turn = self.turn.get().wrapping_add(1);
        self.turn.set(turn);
        if turn % MAINTENANCE_INTERVAL == 0 {
            // Fairness: remote work and timers get a look even when the local queue never
            // empties.
            self.maintain_timers();
            // I/O (`io::park::maintain`): a busy runtime still sees readiness.
            crate::io::park::maintain(&self.shared);
            // Behind the local work, not ahead of it: items that came from the injector
            // earlier are in the local queue, and FIFO order from one producer is kept.
            self.shared
                .injector
                .move_into(&self.local, self.shared.workers());
        } else if turn % TIMER_CHECK_INTERVAL == 0 {
            let shard = &self.shared.remotes[self.index].shard;
            if self.shared.clock.now_tick() >= shard.next_due() {
                self.maintain_timers();
            }
            // Remote work waiting while we are busy: take our share now rather than at the
            // next fairness turn (`is_empty` is two loads).
            if !self.shared.injector.is_empty() {
                self.shared
                    .injector
                    .move_into(&self.local, self.shared.workers());
            }
        }
        self.local.pop()
    }

    /// Runs this shard's maintenance turn; returns how many callbacks became runnable.
    fn maintain_timers(&self) -> usize {
        let now = self.shared.clock.now_tick();
        if !self.owner.turn_needed(now) {
            return 0;
        }
        let mut sink = ToLocal::new(self);
        self.owner.turn(Some(now), &mut sink);
        if sink.queued > 1 {
            // A burst of due callbacks: let idle workers steal some.
            self.shared.notify_one();
        }
        sink.queued
    }

    fn run_notified(&self, n: Notified) {
        if self.searching.replace(false) && self.shared.idle.stop_searching() {
            // We were the last searcher and found work: there may be more.
            self.shared.notify_one();
        }
        match n {
            Notified::Task(t) => t.run(),
            Notified::Timer(e) => self.run_callback(&e),
        }
    }

    fn run_callback(&self, e: &EntryRef) {
        // call_every: run in place and re-arm (`scheduler::periodic`).
        if e.is_periodic() {
            return super::periodic::run(&self.shared, self.index, e);
        }
        let Some(f) = e.start_firing() else { return };
        self.shared.counters.add(Some(self.index), Counter::Fired);
        let result = catch_unwind(AssertUnwindSafe(|| f.call()));
        e.finish_firing();
        if let Err(payload) = result {
            report_callback_panic(&self.shared, e.callback_name(), payload);
        }
    }

    fn search(&self) -> Option<Notified> {
        if !self.searching.get() {
            if !self.shared.idle.try_start_searching() {
                return None;
            }
            self.searching.set(true);
        }
        let n = self.shared.workers();
        for _ in 0..SEARCH_ROUNDS {
            if let Some(t) = self
                .shared
                .injector
                .pop_into(&self.local, self.shared.workers())
            {
                return Some(t);
            }
            let start = crate::util::rand::below(n);
            for i in (0..n).map(|k| (start + k) % n).filter(|&i| i != self.index) {
                if let Some(t) = self.shared.remotes[i].steal.steal_into(&self.local) {
                    self.shared.counters.add(Some(self.index), Counter::Steals);
                    return Some(t);
                }
            }
            // No hostage timers: fire late owners' due timers (`watch`).
            if super::watch::thief_pass(self) {
                if let Some(t) = self.local.pop() {
                    return Some(t);
                }
            }
            crate::loom::hint::spin_loop();
        }
        None
    }

    /// Step 2 of the sleep protocol (`idle`): the decision (`handshake::decide`: publish the
    /// wake tick, register, re-check), then the wait, then `handshake::retract`.
    pub(crate) fn park(&self) {
        let shared = &*self.shared;
        let was_searching = self.searching.replace(false);
        let deadline = match super::handshake::decide(shared, self.index, was_searching) {
            super::handshake::ParkDecision::Stay { leave } => return self.left_sleepers(leave),
            super::handshake::ParkDecision::Sleep { deadline, .. } => deadline,
        };
        // Virtual time: stop counting as running; the last to stop decides (`scheduler::pause`).
        super::pause::worker_idle(shared);
        // I/O (`io::park`): wait in the OS poller if no other worker does, else the condvar.
        let had_io = crate::io::park::park(shared, &self.parker, deadline);
        super::pause::worker_busy(shared);
        self.left_sleepers(super::handshake::retract(shared, self.index));
        if had_io {
            // Hand the poller on: an idle worker takes it while we run (`io::park`).
            shared.notify_one();
        }
    }

    /// `unregistered`: `handshake::retract`'s answer.
    fn left_sleepers(&self, unregistered: bool) {
        if !unregistered {
            // A notifier removed us and counted us as searching.
            self.searching.set(true);
        }
    }

    /// Shutdown step 2 (`runtime::runtime`): drop this worker's queued work, close its shard.
    fn exit(&self) {
        // Our queued work will never run here: cancel it (drops futures and closures; their
        // panics are contained where they are dropped).
        if self.searching.replace(false) {
            self.shared.idle.stop_searching();
        }
        while let Some(n) = self.local.pop() {
            crate::util::panic::contain(|| n.cancel(&self.shared));
        }
        self.owner.close();
    }
}

/// Counts the worker out when its thread ends, whatever happens on the way.
struct ExitGuard<'a>(&'a Shared);

impl Drop for ExitGuard<'_> {
    fn drop(&mut self) {
        self.0.worker_exited();
    }
}

/// Hands a callback's panic to the runtime's hook, or prints one line.
pub(crate) fn report_callback_panic(
    shared: &Shared,
    name: &str,
    payload: Box<dyn std::any::Any + Send>,
) {
    match &shared.on_callback_panic {
        Some(hook) => {
            // A panicking hook must not take the worker down either (nor its payload's Drop).
            crate::util::panic::contain(|| hook(payload));
        }
        None => {
            let msg = crate::task::error::panic_message(&*payload).unwrap_or_else(|| "..".into());
            eprintln!("spindle: callback `{name}` panicked: {msg}");
            // The payload's Drop is user code too.
            crate::util::panic::dispose(payload);
        }
    }
}
