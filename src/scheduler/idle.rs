//! Which workers sleep, which search, and whom to wake: the sleep protocol.
//!
//! One state word packs `searching` (workers looking for work, not yet found) and `sleeping`
//! (workers registered to park). The sleeper list is a small mutex-protected vector.
//!
//! **No lost wakeups** (a Dekker-style argument, all operations SeqCst):
//!
//! 1. A producer publishes work (injector push, remote timer), then reads the state word.
//! 2. A worker going to sleep first registers (`sleeping += 1`, under the list lock), then
//!    re-checks every source of work, and only then parks.
//!
//! In the single total order of SeqCst operations, either the producer's read comes after the
//! worker's registration (it sees a sleeper and wakes one), or the worker's re-check comes
//! after the producer's publication (it sees the work and does not park).
//!
//! **Bounded searching**: a producer wakes a sleeper only if nobody is searching; a woken
//! worker counts as searching; a searcher that finds work stops searching and, if it was the
//! last one, wakes another sleeper (there may be more work). So at most a few workers spin
//! on an empty queue at a time instead of the whole pool on every spawn (rayon-core and tokio
//! follow the same rule).

use crate::loom::sync::atomic::{AtomicU64, AtomicUsize, Ordering::SeqCst};
use crate::loom::sync::{lock, Mutex};

const SEARCH_SHIFT: u32 = 16;
const ONE_SLEEPING: usize = 1;
const ONE_SEARCHING: usize = 1 << SEARCH_SHIFT;
const SLEEP_MASK: usize = ONE_SEARCHING - 1;

/// A registered sleeper: its index and the tick it will wake up by itself at.
#[derive(Debug, Clone, Copy)]
struct Sleeper {
    index: usize,
    wake_tick: u64,
}

#[derive(Debug)]
pub(crate) struct Idle {
    state: AtomicUsize,
    sleepers: Mutex<Vec<Sleeper>>,
    /// The earliest `wake_tick` among sleepers (`u64::MAX` if none, or all sleep without a
    /// timeout). Timer owners compare new deadlines against it to decide whether a sleeper
    /// must come back earlier to watch their shard.
    earliest_wake: AtomicU64,
    workers: usize,
}

/// What `notify` decided.
pub(crate) enum Notify {
    /// Unpark this worker.
    Unpark(usize),
    /// Someone is already searching, or nobody sleeps.
    None,
}

impl Idle {
    pub(crate) fn new(workers: usize) -> Idle {
        Idle {
            state: AtomicUsize::new(0),
            sleepers: Mutex::new(Vec::with_capacity(workers)),
            earliest_wake: AtomicU64::new(u64::MAX),
            workers,
        }
    }

    /// Called after publishing work that any worker could run. Decides whom to wake: a
    /// sleeper, if no worker is searching. The caller does the unpark (`Shared::notify_one`).
    pub(crate) fn choose_to_notify(&self) -> Notify {
        let s = self.state.load(SeqCst);
        if s >> SEARCH_SHIFT != 0 || s & SLEEP_MASK == 0 {
            return Notify::None;
        }
        self.choose_any()
    }

    /// Picks one sleeper to wake unconditionally (e.g. a timer became due earlier than anyone
    /// watches), counting it as searching; the caller unparks it.
    pub(crate) fn choose_any(&self) -> Notify {
        let mut sleepers = lock(&self.sleepers);
        // Re-check under the lock: another notifier may have woken the last sleeper.
        let Some(s) = sleepers.pop() else {
            return Notify::None;
        };
        // The woken worker searches: one RMW keeps both counts consistent.
        self.state.fetch_add(ONE_SEARCHING - ONE_SLEEPING, SeqCst);
        self.update_earliest(&sleepers);
        Notify::Unpark(s.index)
    }

    /// Wakes every sleeper (shutdown).
    pub(crate) fn take_all(&self) -> Vec<usize> {
        let mut sleepers = lock(&self.sleepers);
        let n = sleepers.len();
        self.state
            .fetch_add(n * ONE_SEARCHING - n * ONE_SLEEPING, SeqCst);
        self.earliest_wake.store(u64::MAX, SeqCst);
        sleepers.drain(..).map(|s| s.index).collect()
    }

    /// Whether a searching slot is free: at most half the workers (at least one) search.
    pub(crate) fn try_start_searching(&self) -> bool {
        let s = self.state.load(SeqCst);
        if 2 * (s >> SEARCH_SHIFT) >= self.workers.max(2) {
            return false;
        }
        self.state.fetch_add(ONE_SEARCHING, SeqCst);
        true
    }

    /// A searching worker found work. Returns true if it was the last searcher, in which case
    /// the caller should `notify_one` so the remaining work is picked up in parallel.
    pub(crate) fn stop_searching(&self) -> bool {
        let prev = self.state.fetch_sub(ONE_SEARCHING, SeqCst);
        prev >> SEARCH_SHIFT == 1
    }

    /// Step 2 of the protocol, first half: register as a sleeper that will wake at `wake_tick`
    /// by itself (`u64::MAX`: never). After this the caller must re-check for work.
    pub(crate) fn register_sleeper(&self, index: usize, was_searching: bool, wake_tick: u64) {
        let mut sleepers = lock(&self.sleepers);
        sleepers.push(Sleeper { index, wake_tick });
        // seeded fault (loom only): `SleeperKeepsSearching` keeps the searching slot.
        let gives_up = was_searching
            && !crate::loom::fault::is(crate::loom::fault::Fault::SleeperKeepsSearching);
        let delta = if gives_up { ONE_SEARCHING } else { 0 };
        self.state.fetch_add(ONE_SLEEPING, SeqCst);
        self.state.fetch_sub(delta, SeqCst);
        self.update_earliest(&sleepers);
    }

    /// Leaves the sleeper list after waking (timeout, or work found on the re-check).
    /// Returns true if we were still listed (nobody woke us, so we are not counted as
    /// searching); false if a notifier removed us and counted us as searching.
    pub(crate) fn unregister_sleeper(&self, index: usize) -> bool {
        let mut sleepers = lock(&self.sleepers);
        let Some(pos) = sleepers.iter().position(|s| s.index == index) else {
            return false;
        };
        sleepers.swap_remove(pos);
        self.state.fetch_sub(ONE_SLEEPING, SeqCst);
        self.update_earliest(&sleepers);
        true
    }

    fn update_earliest(&self, sleepers: &[Sleeper]) {
        let earliest = sleepers
            .iter()
            .map(|s| s.wake_tick)
            .min()
            .unwrap_or(u64::MAX);
        self.earliest_wake.store(earliest, SeqCst);
    }

    /// The earliest tick at which some sleeper wakes by itself (`u64::MAX`: none will).
    pub(crate) fn earliest_wake(&self) -> u64 {
        self.earliest_wake.load(SeqCst)
    }

    /// How many workers are searching right now.
    pub(crate) fn num_searching(&self) -> usize {
        self.state.load(SeqCst) >> SEARCH_SHIFT
    }

    pub(crate) fn num_sleeping(&self) -> usize {
        self.state.load(SeqCst) & SLEEP_MASK
    }
}
