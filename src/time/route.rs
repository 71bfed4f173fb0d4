//! The seam between the timer engine and the scheduler: what `time/` needs from whoever
//! routes timers, as `task::Schedule` is what a task needs from whoever runs it (issue 9).
//!
//! `time/` owns the engine (wheel, entry, shard, clock) and the public timer types
//! (`TimerHandle`, `Sleep`, `Timeout`, `Interval`); it does not know which thread it runs on.
//! The scheduler knows (`scheduler::context`) and implements this seam in
//! `scheduler::arm`: which shard a new timer goes to (the caller's own through the staging
//! buffer, another through its inbox and the park handshake), and what a won cancel must do
//! (count it, unlink now on the owner, send an `Unlink` op otherwise).
//!
//! A `Sleep` (and so an `Interval`) holds its runtime as an `Arc<dyn Route>`. A `TimerHandle`
//! holds only its entry and its shard: its `cancel` is written in `scheduler::cancel` (an
//! inherent method may live in any module of the crate), so the hot arm-then-cancel path
//! pays no indirect call.

use super::clock::Clock;
use super::pool::EntryRef;
use super::shard::Shard;
use crate::loom::sync::Arc;
use std::task::Waker;
use std::time::Instant;

/// Where a runtime's timers go. Implemented by the scheduler's shared state.
pub(crate) trait Route: Send + Sync + 'static {
    /// The runtime's clock (pausable: virtual time).
    fn clock(&self) -> &Clock;

    /// Arms a `Sleep`'s waker entry for `when` on the right shard; returns it and its shard,
    /// or `None` if the runtime has shut down. (An `Option` of two `Arc`s comes back in two
    /// registers; the caller checks the clock first.)
    fn arm_waker(&self, when: Instant, waker: &Waker) -> Option<(EntryRef, Arc<Shard>)>;

    /// After a won cancel of `entry` (armed on `shard`; `was_staged`: it never reached a
    /// wheel): count the cancel and get the entry out of its wheel, from whatever thread this
    /// is.
    fn unlink(&self, entry: &EntryRef, shard: &Arc<Shard>, was_staged: bool);
}

/// A runtime as the timer types hold it.
pub(crate) type RouteRef = Arc<dyn Route>;
