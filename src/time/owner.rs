//! `ShardOwner`: a shard's owner-only operations as a type (issue 9), in the manner of
//! crossbeam's `Worker` vs `Stealer`: "owner thread only" is not a comment on a method but
//! a value only the owning worker holds.
//!
//! The shard's owner-only methods (`owner_arm`, `owner_unstage`, `owner_unlink`,
//! `owner_turn_needed`, `owner_turn`, `close`) are visible only inside `time/`; the rest of
//! the crate reaches them through this type, which is `Send` (it moves into the worker's
//! thread) but not `Sync` (it cannot be shared with another thread), and of which exactly one
//! exists per shard: `Worker::new` makes the one for its own shard. Loom models that play
//! the owner thread make their own, one per model shard.
//!
//! Everything other threads may do to a shard (`push_remote`, `steal_overdue`,
//! `close_outside`, `next_due`, ...) stays on `Shard` itself.

use super::pool::EntryRef;
use super::shard::{DueSink, Shard};
use crate::loom::sync::Arc;
use std::cell::Cell;
use std::marker::PhantomData;

/// The owner side of one shard (see the module doc). Not `Sync`.
pub(crate) struct ShardOwner {
    shard: Arc<Shard>,
    _not_sync: PhantomData<Cell<()>>,
}

impl ShardOwner {
    /// The owner of `shard`. One per shard, held by the thread that owns it (shard
    /// invariant 1 rests on it).
    pub(crate) fn new(shard: Arc<Shard>) -> ShardOwner {
        ShardOwner {
            shard,
            _not_sync: PhantomData,
        }
    }

    /// `Shard::owner_arm`: stage `e` (deadline `tick`); true if it lowered `next_due`.
    #[inline]
    pub(crate) fn arm(&self, e: EntryRef, tick: u64, sink: &mut dyn DueSink) -> bool {
        self.shard.owner_arm(e, tick, sink)
    }

    /// `Shard::owner_unstage`: a cancelled entry that was still staged.
    #[inline]
    pub(crate) fn unstage(&self, e: &EntryRef) {
        self.shard.owner_unstage(e)
    }

    /// `Shard::owner_unlink`: a cancelled entry that was in the wheel.
    #[inline]
    pub(crate) fn unlink(&self, e: EntryRef) {
        self.shard.owner_unlink(e)
    }

    /// `Shard::owner_turn_needed`: whether a maintenance turn at `now` has anything to do.
    #[inline]
    pub(crate) fn turn_needed(&self, now: u64) -> bool {
        self.shard.owner_turn_needed(now)
    }

    /// `Shard::owner_turn`: one maintenance turn; returns the next due tick.
    pub(crate) fn turn(&self, now: Option<u64>, sink: &mut dyn DueSink) -> u64 {
        self.shard.owner_turn(now, sink)
    }

    /// `Shard::close`: shutdown step 2, as the owner exits.
    pub(crate) fn close(&self) {
        self.shard.close()
    }
}

impl std::fmt::Debug for ShardOwner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("ShardOwner").field(&self.shard).finish()
    }
}
