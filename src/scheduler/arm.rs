//! Routing a new timer to a shard.
//!
//! On a worker of the same runtime: the worker's own shard, through its staging buffer (no
//! lock, no read-modify-write besides the entry's own reference count). Elsewhere: a shard
//! picked at random (spreads remote load), through its inbox; the owner is unparked if it
//! sleeps past the new deadline. Either way, a deadline earlier than any sleeping worker will
//! look at the timers wakes one (`Shared::watch_deadline`), so no timer is hostage to a stuck
//! owner.

use super::context;
use crate::loom::fault::Fault;
use crate::loom::sync::atomic::{fence, Ordering::Relaxed, Ordering::SeqCst};
use crate::loom::sync::Arc;
use crate::scheduler::metrics::Counter;
use crate::scheduler::worker::ToLocal;
use crate::scheduler::worker::Worker;
use crate::scheduler::{Notified, Shared};
use crate::time::clock::Clock;
use crate::time::entry::Entry;
use crate::time::handle::TimerHandle;
use crate::time::pool::EntryRef;
use crate::time::route::Route;
use crate::time::shard::Shard;
use std::task::Waker;
use std::time::{Duration, Instant};

pub(crate) fn call_later<F>(shared: &Arc<Shared>, delay: Duration, f: F) -> TimerHandle
where
    F: FnOnce() + Send + 'static,
{
    let when = shared.clock.deadline_after(delay);
    if delay.is_zero() {
        return call_soon(shared, when, f);
    }
    arm_callback(shared, when, f)
}

pub(crate) fn call_at<F>(shared: &Arc<Shared>, when: Instant, f: F) -> TimerHandle
where
    F: FnOnce() + Send + 'static,
{
    if when <= shared.clock.now() {
        return call_soon(shared, when, f);
    }
    arm_callback(shared, when, f)
}

/// The shard for a new timer: ours if we are a worker of this runtime.
fn pick_shard(shared: &Shared) -> (usize, bool) {
    match context::worker_index(shared) {
        Some(i) => (i, true),
        None => (crate::util::rand::home(shared.remotes.len()), false),
    }
}

/// Due now: straight into a run queue, still cancellable until it starts.
pub(crate) fn call_soon<F>(shared: &Arc<Shared>, when: Instant, f: F) -> TimerHandle
where
    F: FnOnce() + Send + 'static,
{
    let (index, local) = pick_shard(shared);
    let shard = &shared.remotes[index].shard;
    if shared.is_closed() {
        return TimerHandle::dead(shard.clone(), when, f);
    }
    let entry = Entry::new_queued(index as u32, f);
    count(shared, local.then_some(index), shard, Counter::Armed);
    shared.push(Notified::Timer(entry.clone()));
    TimerHandle::new(entry, shard.clone(), when)
}

fn arm_callback<F>(shared: &Arc<Shared>, when: Instant, f: F) -> TimerHandle
where
    F: FnOnce() + Send + 'static,
{
    if shared.is_closed() {
        return TimerHandle::dead(shared.remotes[0].shard.clone(), when, f);
    }
    let tick = shared.clock.deadline_tick(when);
    // One thread-local read decides the route and serves the whole local path.
    context::with_worker(|w| match w {
        Some(w) if std::ptr::eq(&*w.shared, &**shared) => {
            let entry = Entry::new_callback(tick, w.index as u32, f);
            arm_local(w, entry.clone(), tick);
            TimerHandle::new(entry, shared.remotes[w.index].shard.clone(), when)
        }
        _ => {
            let index = crate::util::rand::home(shared.remotes.len());
            let entry = Entry::new_callback(tick, index as u32, f);
            arm_remote(shared, index, &entry, tick);
            TimerHandle::new(entry, shared.remotes[index].shard.clone(), when)
        }
    })
}

/// Arms on the calling worker's own shard: staging buffer, no lock.
fn arm_local(w: &Worker, entry: EntryRef, tick: u64) {
    let shared = &*w.shared;
    // `count`'s worker case, without indexing the shard it does not need.
    shared.counters.add(Some(w.index), Counter::Armed);
    if w.owner.arm(entry, tick, &mut ToLocal::new(w)) {
        // SeqCst fence, spindle's own (issue 10): `owner_arm`'s store of `next_due`, fence,
        // then the read of the sleepers (`watch_deadline`), against a parking worker's
        // registration, fence, read of every `next_due` (`handshake::decide`). SeqCst
        // accesses alone (store, then load of another location) would do in Rust's memory
        // model, but loom models them as AcqRel and cannot check the pair, so it is made of
        // fences like every other one (`two_workers.rs` fails without this one). Only arms
        // that lower `next_due` pay it. seeded fault (loom only): `OwnerArmSkipsWatchFence`.
        if !crate::loom::fault::is(Fault::OwnerArmSkipsWatchFence) {
            fence(SeqCst);
        }
        shared.watch_deadline(tick);
    }
}

/// Puts an armed (STAGED) entry on shard `index` from whatever thread we are on.
/// (By reference: the caller keeps one, and exactly one is cloned for the shard.)
pub(crate) fn arm_entry(shared: &Shared, index: usize, entry: &EntryRef, tick: u64) {
    let armed_locally = context::with_worker(|w| match w {
        Some(w) if std::ptr::eq(&*w.shared, shared) && w.index == index => {
            arm_local(w, entry.clone(), tick);
            true
        }
        _ => false,
    });
    if !armed_locally {
        arm_remote(shared, index, entry, tick);
    }
}

/// The caller keeps `entry` (a handle's or a runner's reference) and the inbox gets a clone,
/// so the closed re-check below reads an entry that is still alive without a second clone.
fn arm_remote(shared: &Shared, index: usize, entry: &EntryRef, tick: u64) {
    let shard = &shared.remotes[index].shard;
    let worker = context::worker_index(shared);
    count(shared, worker, shard, Counter::Armed);
    // The remote-arm-vs-owner-park handshake (push, fence, read `parked_until`, unpark).
    crate::scheduler::handshake::remote_arm(shared, index, entry.clone(), tick);
    shared.watch_deadline(tick);
    // seeded fault (loom only): `ArmSkipsClosedRecheck` skips this re-check.
    let recheck = !crate::loom::fault::is(Fault::ArmSkipsClosedRecheck);
    // `cancel_and_wake`: a `Sleep` armed here completes (its poll re-checks the phase).
    if recheck && shared.is_closed() && entry.cancel_and_wake().is_some() {
        // Raced with shutdown, which may have closed the shard before our push.
        count(shared, worker, shard, Counter::Cancelled);
    }
}

/// Arms a `Sleep`'s waker entry for `when` (`Route::arm_waker`); returns it and its shard.
/// Inlined into that one caller: the seam's call is the only frame (measured, issue 9).
#[inline]
fn arm_waker(shared: &Shared, when: Instant, waker: &Waker) -> Option<(EntryRef, Arc<Shard>)> {
    if shared.is_closed() {
        return None;
    }
    let (index, _) = pick_shard(shared);
    let tick = shared.clock.deadline_tick(when);
    // The waker is in the entry before it is visible, so its firing always finds it.
    let entry = Entry::new_waker(tick, index as u32, waker);
    arm_entry(shared, index, &entry, tick);
    Some((entry, shared.remotes[index].shard.clone()))
}

/// Counts a timer arm or cancel, the one way for every path (issue 9): on the calling
/// worker's own counter block if it is a worker of this runtime (`worker`, a plain store),
/// otherwise on the shard's counters for threads outside the runtime (`count_outside`).
/// Fires are counted by the workers only; shutdown's cancels by `Shard::count_shutdown_cancels`,
/// also on the shard (shutdown may run on any thread).
#[inline]
pub(crate) fn count(shared: &Shared, worker: Option<usize>, shard: &Shard, c: Counter) {
    match worker {
        Some(_) => shared.counters.add(worker, c),
        None => count_outside(shard, c),
    }
}

/// A thread outside the runtime counts on the shard it armed on: outside threads on
/// different shards (`util::rand::home`) do not share a cache line.
pub(crate) fn count_outside(shard: &Shard, c: Counter) {
    // Relaxed: statistics.
    match c {
        Counter::Armed => drop(shard.remote_arms.fetch_add(1, Relaxed)),
        Counter::Cancelled => drop(shard.remote_cancels.fetch_add(1, Relaxed)),
        // Not timer counts of an outside thread (workers fire and steal; spawns are counted
        // by `Counters` itself).
        Counter::Spawned | Counter::Steals | Counter::Fired => {
            debug_assert!(false, "not an outside thread's timer count")
        }
    }
}

/// The seam `time/` routes through (`time::route`): a runtime's shared state.
impl Route for Shared {
    #[inline]
    fn clock(&self) -> &Clock {
        &self.clock
    }

    fn arm_waker(&self, when: Instant, waker: &Waker) -> Option<(EntryRef, Arc<Shard>)> {
        arm_waker(self, when, waker)
    }

    fn unlink(&self, entry: &EntryRef, shard: &Arc<Shard>, was_staged: bool) {
        super::cancel::cancel_bookkeeping(entry, shard, was_staged)
    }
}
