//! The remote-arm-vs-owner-park handshake: a thread that is not worker `i` arms a timer on
//! shard `i` while worker `i` decides to park. The owner must not sleep past the new deadline.
//!
//! The owner's side is split in two so that a loom model can call the decision and assert on
//! it without waiting (loom's `Condvar::wait_timeout` never times out, so a model that parks
//! for real with a deadline only ends by an unpark):
//!
//! - [`decide`]: compute the wake tick, publish it, register as a sleeper, fence, re-check;
//!   returns [`ParkDecision::Stay`] (work found, or the wake tick is already here; the
//!   decision retracted itself) or [`ParkDecision::Sleep`] (the caller waits, then calls
//!   [`retract`]).
//! - the wait itself (`Worker::park`: `io::park::park` on the worker's `Parker`), then
//!   [`retract`].
//!
//! The remote side is [`remote_arm`]: push onto the shard's inbox (SeqCst fence), read the
//! published wake tick, unpark the owner if it would sleep past `tick`.
//!
//! ## Who stores what
//!
//! | step | thread | operation |
//! |---|---|---|
//! | O1 | owner | `parked_until = wake` (SeqCst store; `wake` = [`wake_tick`], at least 1) |
//! | O2 | owner | register in `Idle` (SeqCst, under its mutex), then `fence(SeqCst)` |
//! | O3 | owner | re-read: inbox empty? (`has_work`), `wake_tick` again (reads `inbox_due`) |
//! | R1 | remote | `inbox.push(Arm)` then `fence(SeqCst)` (inside `Shard::push_remote`) |
//! | R2 | remote | `inbox_due.fetch_min(tick)` (SeqCst; also inside `push_remote`) |
//! | R3 | remote | `parked_until.load(SeqCst)`; `tick < it` → `remotes[i].unpark.unpark()` |
//! | O4 | owner | after the wait (or on Stay): `parked_until = NOT_PARKED` (SeqCst) |
//!
//! ## Why no wake is lost (the SeqCst pair)
//!
//! The pair is the owner's fence in O2 against the remote's fence in R1. SeqCst fences are
//! totally ordered:
//!
//! - O2's fence first: R3 (after R1's fence) reads O1's store or a later one. A later one is
//!   O4 only, written after the owner stopped waiting: it runs again and its next maintenance
//!   turn (`Shard::owner_turn_needed`: the inbox is not empty) files the arm. Reading O1's
//!   `wake`: if `tick < wake` the remote unparks; the `Parker` keeps the notification if the
//!   owner is not waiting yet, so the wait returns at once. If `tick >= wake` the owner
//!   wakes by itself at `wake <= tick`, no later than the new deadline.
//! - R1's fence first: O3 (after O2's fence) sees the push: the inbox is not empty, so the
//!   owner stays ([`ParkDecision::Stay`]) and runs its maintenance turn.
//!
//! Either way the owner is awake by `tick`. `NOT_PARKED` is 0 and a published wake is at
//! least 1, so a running owner is never unparked for this (`tick < 0` is false).
//!
//! ## What a loom model should check (issue 10's two-worker model)
//!
//! With worker 0 holding a timer at LATE and a remote thread calling
//! [`remote_arm`]`(shared, 0, e, EARLY)` (EARLY < LATE, and EARLY within the grace of LATE so
//! no sleeper-watch wake applies) while worker 0 calls [`decide`]`(shared, 0, false)`: in
//! every interleaving, after both returned, either the decision is `Stay`, or it is
//! `Sleep { wake, .. }` with `wake <= EARLY`, or worker 0's parker holds a notification
//! (its next `park` returns at once). The twin with `Fault::ArmReadsParkedBeforePush` (R3
//! before R1) must fail that assertion.
//!
//! The other pair in [`decide`], the `Idle` registration against a producer's push and
//! fence (`Shared::push_remote`), is the sleep protocol's (`scheduler::idle`); the no-hostage
//! watch (other shards' deadlines plus grace, `scheduler::watch`) enters only through
//! [`wake_tick`] and the `Idle` registration (its Dekker pair is in `watch`'s doc).

use super::Shared;
use crate::loom::fault::Fault;
use crate::loom::sync::atomic::{fence, Ordering::SeqCst};
use crate::time::pool::EntryRef;
use crate::time::shard::Op;
use crate::util::park_deadline::NOT_PARKED;
use std::time::Instant;

/// What [`decide`] concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ParkDecision {
    /// Work was found (or the wake tick is here): run. `parked_until` is already retracted
    /// and the sleeper registration already withdrawn; `leave` is [`retract`]'s answer.
    Stay { leave: bool },
    /// Wait until unparked or `deadline` (`None`: no deadline, or the clock is paused), then
    /// call [`retract`]. `wake` is the tick published in `parked_until`.
    Sleep {
        wake: u64,
        deadline: Option<Instant>,
    },
}

/// The tick worker `index` wakes at by itself (no hostage timers: `scheduler::watch`).
pub(crate) use super::watch::wake_tick;

/// Worker `index`'s park decision (O1-O3): publish, register, fence, re-check. Does not wait.
/// `was_searching`: the worker was searching when it gave up (it counts other deques as
/// work, see `steal_check`).
pub(crate) fn decide(shared: &Shared, index: usize, was_searching: bool) -> ParkDecision {
    let remote = &shared.remotes[index];
    let mut wake = wake_tick(shared, index);
    // O1. `max(1)`: a published wake is never `NOT_PARKED`.
    remote.parked_until.store(wake.max(1));
    // O2: the `Idle` registration (the sleep protocol's half) and the fence of both pairs.
    shared.idle.register_sleeper(index, was_searching, wake);
    // seeded fault (loom only): `ParkSkipsFence` leaves out the fence before the re-check.
    if !crate::loom::fault::is(Fault::ParkSkipsFence) {
        fence(SeqCst);
    }
    // O3.
    let now = shared.clock.now_tick();
    wake = wake.min(wake_tick(shared, index));
    // seeded fault (loom only): `ParkSkipsRecheck` parks without looking again.
    let recheck = !crate::loom::fault::is(Fault::ParkSkipsRecheck);
    if (recheck && has_work(shared, index, was_searching)) || wake <= now {
        return ParkDecision::Stay {
            leave: retract(shared, index),
        };
    }
    let deadline = if wake == u64::MAX {
        None
    } else {
        shared.clock.park_deadline(wake)
    };
    ParkDecision::Sleep { wake, deadline }
}

/// O4: worker `index` is running again. Withdraws the published wake tick and the sleeper
/// registration. Returns false if a notifier already removed us and counted us as
/// searching (the worker then searches).
pub(crate) fn retract(shared: &Shared, index: usize) -> bool {
    shared.remotes[index].parked_until.store(NOT_PARKED);
    shared.idle.unregister_sleeper(index)
}

/// The re-check of O3: anything a sleeper would be woken for.
fn has_work(shared: &Shared, index: usize, was_searching: bool) -> bool {
    !shared.injector.is_empty()
        || !shared.remotes[index].shard.inbox_is_empty()
        || steal_check(shared, was_searching)
        || shared.is_closed()
}

/// Other workers' deques count as work for a parking worker that was searching, or when
/// nobody searches. While another worker searches, it (the last searcher re-checks here
/// before it parks) takes that work or wakes us; a non-searcher that cannot search and
/// does not park would spin on a busy worker's deque, burning the core that worker and
/// the runtime's I/O peers need (seen as 1M park re-check loops/s under HTTP load).
fn steal_check(shared: &Shared, was_searching: bool) -> bool {
    (was_searching || shared.idle.num_searching() == 0)
        && shared.remotes.iter().any(|r| !r.steal.is_empty())
}

/// R1-R3: a thread that is not worker `index` (or is another worker) puts an armed (STAGED)
/// entry with deadline `tick` on shard `index` and wakes its owner if it sleeps past `tick`.
#[inline]
pub(crate) fn remote_arm(shared: &Shared, index: usize, entry: EntryRef, tick: u64) {
    #[cfg(loom)]
    if crate::loom::fault::is(Fault::ArmReadsParkedBeforePush) {
        return seeded_check_before_push(shared, index, entry, tick);
    }
    let remote = &shared.remotes[index];
    // R1 + R2: `push_remote` pushes, then issues the SeqCst fence (one fence for both of its
    // pairs: this one and the inbox hint's).
    remote.shard.push_remote(Op::Arm(entry));
    // R3.
    if tick < remote.parked_until.load() {
        remote.unpark.unpark();
    }
}

/// Seeded fault `ArmReadsParkedBeforePush` (loom only): R3 before R1, so the owner's O1 can
/// fall between the read and the push, and its O3 before the push: nobody wakes it.
#[cfg(loom)]
fn seeded_check_before_push(shared: &Shared, index: usize, entry: EntryRef, tick: u64) {
    let remote = &shared.remotes[index];
    let parked_until = remote.parked_until.load();
    remote.shard.push_remote(Op::Arm(entry));
    if tick < parked_until {
        remote.unpark.unpark();
    }
}
