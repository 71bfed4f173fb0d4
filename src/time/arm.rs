//! Routing a new timer to a shard.
//!
//! On a worker of the same runtime: the worker's own shard, through its staging buffer (no
//! lock, no read-modify-write besides the entry's own reference count). Elsewhere: a shard
//! picked at random (spreads remote load), through its inbox; the owner is unparked if it
//! sleeps past the new deadline. Either way, a deadline earlier than any sleeping worker will
//! look at the timers wakes one (`Shared::watch_deadline`), so no timer is hostage to a stuck
//! owner.

use super::entry::Entry;
use super::handle::TimerHandle;
use super::pool::EntryRef;
use super::shard::{Op, Shard};
use crate::fault::Fault;
use crate::loom::sync::atomic::{Ordering::Relaxed, Ordering::SeqCst};
use crate::loom::sync::Arc;
use crate::runtime::context;
use crate::scheduler::metrics::Counter;
use crate::scheduler::worker::ToLocal;
use crate::scheduler::worker::Worker;
use crate::scheduler::{Notified, Shared};
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
        None => (crate::util::rand::home(shared.shards.len()), false),
    }
}

/// Due now: straight into a run queue, still cancellable until it starts.
pub(crate) fn call_soon<F>(shared: &Arc<Shared>, when: Instant, f: F) -> TimerHandle
where
    F: FnOnce() + Send + 'static,
{
    let (index, local) = pick_shard(shared);
    let shard = &shared.shards[index];
    if shared.is_closed() {
        return TimerHandle::dead(shard.clone(), when, f);
    }
    let entry = Entry::new_queued(index as u32, f);
    shared.counters.add(local.then_some(index), Counter::Armed);
    shared.push(Notified::Timer(entry.clone()));
    TimerHandle::new(entry, shard.clone(), when)
}

fn arm_callback<F>(shared: &Arc<Shared>, when: Instant, f: F) -> TimerHandle
where
    F: FnOnce() + Send + 'static,
{
    if shared.is_closed() {
        return TimerHandle::dead(shared.shards[0].clone(), when, f);
    }
    let tick = shared.clock.deadline_tick(when);
    // One thread-local read decides the route and serves the whole local path.
    context::with_worker(|w| match w {
        Some(w) if std::ptr::eq(&*w.shared, &**shared) => {
            let entry = Entry::new_callback(tick, w.index as u32, f);
            arm_local(w, entry.clone(), tick);
            TimerHandle::new(entry, shared.shards[w.index].clone(), when)
        }
        _ => {
            let index = crate::util::rand::home(shared.shards.len());
            let entry = Entry::new_callback(tick, index as u32, f);
            arm_remote(shared, index, &entry, tick);
            TimerHandle::new(entry, shared.shards[index].clone(), when)
        }
    })
}

/// Arms on the calling worker's own shard: staging buffer, no lock.
fn arm_local(w: &Worker, entry: EntryRef, tick: u64) {
    let shared = &*w.shared;
    shared.counters.add(Some(w.index), Counter::Armed);
    if shared.shards[w.index].owner_arm(entry, tick, &mut ToLocal::new(w)) {
        shared.watch_deadline(tick);
    }
}

/// Puts an armed (STAGED) entry on shard `index` from whatever thread we are on.
/// (By reference: the caller keeps one, and exactly one is cloned for the shard.)
pub(crate) fn arm_entry(shared: &Arc<Shared>, index: usize, entry: &EntryRef, tick: u64) {
    let armed_locally = context::with_worker(|w| match w {
        Some(w) if std::ptr::eq(&*w.shared, &**shared) && w.index == index => {
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
    let shard = &shared.shards[index];
    let worker = context::worker_index(shared);
    match worker {
        Some(_) => shared.counters.add(worker, Counter::Armed),
        // Relaxed: a statistic; counted on the shard to keep outside threads apart.
        None => drop(shard.remote_arms.fetch_add(1, Relaxed)),
    }
    if crate::fault::is(Fault::ArmReadsParkedBeforePush) {
        // seeded fault (loom only): read `parked_until` before publishing the arm.
        let parked_until = shard.parked_until.load(SeqCst);
        shard.push_remote(Op::Arm(entry.clone()));
        if tick < parked_until {
            shared.unparkers[index].unpark();
        }
    } else {
        // `push_remote` issues a SeqCst fence after the push (one fence for both pairs): the
        // push and our read of `parked_until` pair with the owner's store of `parked_until`
        // and its re-check of the inbox before parking.
        shard.push_remote(Op::Arm(entry.clone()));
        if tick < shard.parked_until.load(SeqCst) {
            shared.unparkers[index].unpark();
        }
    }
    shared.watch_deadline(tick);
    // seeded fault (loom only): `ArmSkipsClosedRecheck` skips this re-check.
    let recheck = !crate::fault::is(Fault::ArmSkipsClosedRecheck);
    // `cancel_and_wake`: a `Sleep` armed here completes (its poll re-checks the phase).
    if recheck && shared.is_closed() && entry.cancel_and_wake().is_some() {
        // Raced with shutdown, which may have closed the shard before our push.
        shared.counters.add(worker, Counter::Cancelled);
    }
}

/// Arms a `Sleep`'s waker entry for `when`; returns it and its shard.
pub(crate) fn arm_waker(
    shared: &Arc<Shared>,
    when: Instant,
    waker: &std::task::Waker,
) -> Option<(EntryRef, Arc<Shard>)> {
    if shared.is_closed() {
        return None;
    }
    let (index, _) = pick_shard(shared);
    let tick = shared.clock.deadline_tick(when);
    // The waker is in the entry before it is visible, so its firing always finds it.
    let entry = Entry::new_waker(tick, index as u32, waker);
    arm_entry(shared, index, &entry, tick);
    Some((entry, shared.shards[index].clone()))
}
