//! The registry of idle tasks, so shutdown can drop every future, including those of tasks
//! that nothing will ever wake (or that wake themselves through a reference cycle).
//!
//! A task is registered the first time a poll returns `Pending` (until then it is always in a
//! run queue or being polled, where shutdown finds it anyway), so tasks that finish in their
//! first poll never touch this lock.
//!
//! Sharded slabs behind mutexes: insert on spawn, remove on completion, both O(1). The key
//! (`shard | slot << SHARD_BITS`) lives in the task header. Closing the registry is atomic
//! with respect to inserts (same lock), so a spawn either lands before `close` and is
//! cancelled by shutdown, or is refused.

use super::RawTask;
use crate::loom::sync::atomic::Ordering::Relaxed;
use crate::loom::sync::{lock, Arc, Mutex};

const SHARD_BITS: u32 = 6;

#[derive(Default)]
struct Slab {
    slots: Vec<Option<Arc<dyn RawTask>>>,
    free: Vec<usize>,
    closed: bool,
}

pub(crate) struct OwnedTasks {
    shards: Box<[Mutex<Slab>]>,
}

impl OwnedTasks {
    pub(crate) fn new(workers: usize) -> OwnedTasks {
        let n = (workers * 2).next_power_of_two().min(1 << SHARD_BITS);
        OwnedTasks {
            shards: (0..n).map(|_| Mutex::new(Slab::default())).collect(),
        }
    }

    /// Registers `task`, picking a shard from `hint` (the spawning worker's index, or a random
    /// number off the runtime). Returns the task back if the registry is closed.
    pub(crate) fn insert(
        &self,
        task: Arc<dyn RawTask>,
        hint: usize,
    ) -> Result<(), Arc<dyn RawTask>> {
        let shard = hint & (self.shards.len() - 1);
        let mut slab = lock(&self.shards[shard]);
        if slab.closed {
            return Err(task);
        }
        let slot = match slab.free.pop() {
            Some(slot) => slot,
            None => {
                slab.slots.push(None);
                slab.slots.len() - 1
            }
        };
        // Relaxed: the key is read by `remove` and by later polls, which happen after this
        // poll through the task state's RUNNING handoff (AcqRel), or under this same lock.
        task.header()
            .owned_key
            .store(shard | (slot << SHARD_BITS), Relaxed);
        slab.slots[slot] = Some(task);
        Ok(())
    }

    /// Drops the registry's reference to a completed task.
    pub(crate) fn remove(&self, header: &super::Header) {
        let key = header.owned_key.load(Relaxed);
        if key == usize::MAX {
            return; // never registered (refused at spawn)
        }
        let (shard, slot) = (key & ((1 << SHARD_BITS) - 1), key >> SHARD_BITS);
        let taken = {
            let mut slab = lock(&self.shards[shard]);
            let hit =
                matches!(&slab.slots.get(slot), Some(Some(t)) if std::ptr::eq(t.header(), header));
            if hit {
                slab.free.push(slot);
                slab.slots[slot].take()
            } else {
                None
            }
        };
        drop(taken); // outside the lock: may free the task
    }

    /// Closes the registry and returns every live task.
    pub(crate) fn close(&self) -> Vec<Arc<dyn RawTask>> {
        let mut all = Vec::new();
        for shard in self.shards.iter() {
            let mut slab = lock(shard);
            slab.closed = true;
            slab.free.clear();
            all.extend(slab.slots.drain(..).flatten());
        }
        all
    }
}
