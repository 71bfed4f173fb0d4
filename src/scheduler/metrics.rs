//! Counters behind `Handle::metrics()`.
//!
//! Each worker has its own cache-padded block, written only by that worker thread with a
//! plain load + store (no read-modify-write on the hot path); threads outside the runtime use
//! one shared block with `fetch_add`. A snapshot sums them. All Relaxed: the numbers are
//! statistics, not synchronization, and every counter only grows.

use crate::loom::sync::atomic::{AtomicU64, Ordering::Relaxed};
use crossbeam_utils::CachePadded;

#[derive(Default, Debug)]
pub(crate) struct Block {
    pub(crate) spawned: AtomicU64,
    pub(crate) steals: AtomicU64,
    pub(crate) armed: AtomicU64,
    pub(crate) fired: AtomicU64,
    pub(crate) cancelled: AtomicU64,
}

#[derive(Debug)]
pub(crate) struct Counters {
    workers: Box<[CachePadded<Block>]>,
    remote: CachePadded<Block>,
}

/// Which counter of a block.
#[derive(Clone, Copy)]
pub(crate) enum Counter {
    Spawned,
    Steals,
    Armed,
    Fired,
    Cancelled,
}

impl Block {
    fn get(&self, c: Counter) -> &AtomicU64 {
        match c {
            Counter::Spawned => &self.spawned,
            Counter::Steals => &self.steals,
            Counter::Armed => &self.armed,
            Counter::Fired => &self.fired,
            Counter::Cancelled => &self.cancelled,
        }
    }
}

/// The sums, as of the snapshot.
#[derive(Default, Debug, Clone, Copy)]
pub(crate) struct Totals {
    pub(crate) spawned: u64,
    pub(crate) steals: u64,
    pub(crate) armed: u64,
    pub(crate) fired: u64,
    pub(crate) cancelled: u64,
}

impl Counters {
    pub(crate) fn new(workers: usize) -> Counters {
        Counters {
            workers: (0..workers)
                .map(|_| CachePadded::new(Block::default()))
                .collect(),
            remote: CachePadded::new(Block::default()),
        }
    }

    /// Adds one: `worker` is the calling thread's own worker index, if it is one.
    pub(crate) fn add(&self, worker: Option<usize>, c: Counter) {
        match worker {
            Some(i) => {
                let a = self.workers[i].get(c);
                // Single writer (worker `i` itself): load + store cannot lose an update.
                a.store(a.load(Relaxed) + 1, Relaxed);
            }
            None => {
                self.remote.get(c).fetch_add(1, Relaxed);
            }
        }
    }

    pub(crate) fn task_spawned(&self, worker: Option<usize>) {
        self.add(worker, Counter::Spawned)
    }

    /// Sums every block, plus the per-shard counts of threads outside the runtime.
    pub(crate) fn totals(&self, shard_arms: u64, shard_cancels: u64) -> Totals {
        let mut t = Totals {
            armed: shard_arms,
            cancelled: shard_cancels,
            ..Totals::default()
        };
        for b in self
            .workers
            .iter()
            .map(|b| &**b)
            .chain(std::iter::once(&*self.remote))
        {
            t.spawned += b.spawned.load(Relaxed);
            t.steals += b.steals.load(Relaxed);
            t.armed += b.armed.load(Relaxed);
            t.fired += b.fired.load(Relaxed);
            t.cancelled += b.cancelled.load(Relaxed);
        }
        t
    }
}
