//! A timer shard: one worker's wheel, reachable by other threads without a lock on the
//! owner's arming path.
//!
//! ```text
//!   owner thread (during task polls)       other threads
//!   ------------------------------        -------------
//!   arm    -> staging buffer (no lock)     arm / unlink -> inbox (`inbox`: one CAS)
//!   cancel -> entry CAS, then unlink now   cancel -> entry CAS, then Unlink op
//!             (or defer if a thief is in)
//!
//!   wheel: touched only under `access` (FREE / OWNER / THIEF), a flag the owner takes once
//!   per scheduler turn (never per arm), and an idle worker takes to fire a stuck owner's
//!   overdue timers.
//! ```
//!
//! Invariants:
//! 1. Only the owner thread appends to the staging buffer and writes `next_due`; only the
//!    holder of `access` in OWNER mode empties the buffer. A thief holding `access` may read
//!    the buffer while the owner appends: slots below the published `len` never change until
//!    the owner flushes, and entries are never freed while referenced from it.
//! 2. Every armed entry is in exactly one of: the staging buffer, the inbox, the wheel, or a
//!    run queue (QUEUED). Cancelled entries may linger in the first two until drained (their
//!    closure is already dropped; the small entry goes back to its pool at the owner's next
//!    turn, or when a pusher files a full batch of the inbox: `push_remote`).
//! 3. `next_due` is a lower bound on when this shard needs its owner (the earliest deadline
//!    staged since the last turn, or the wheel's next expiration). Idle workers use it (plus
//!    `GRACE_TICKS`) to decide when the owner is late and they should fire in its place.

use super::entry::{Due, Entry};
use super::inbox::Inbox;
pub(crate) use super::inbox::Op;
use super::pool::EntryRef;
use super::wheel::Wheel;
use crate::loom::cell::UnsafeCell;
use crate::loom::sync::atomic::{fence, AtomicPtr, AtomicU64, AtomicU8, AtomicUsize, Ordering::*};
use crate::loom::sync::Arc;
use crate::util::park_deadline::{ParkDeadline, ParkView, NOT_PARKED};
use crate::util::parker::Unparker;
use std::ptr;

const FREE: u8 = 0;
const OWNER: u8 = 1;
const THIEF: u8 = 2;

/// How many ticks late the owner must be before idle workers fire its timers (at least; see
/// `WATCH_FLOOR`).
pub(crate) const GRACE_TICKS: u64 = 2;

/// The wall-clock floor of the thieves' grace and of their look rate limit: with a tiny
/// `timer_tick` (1 µs), a few ticks would have idle workers wake continuously while an owner
/// is stuck. With the default 1 ms tick the floor changes nothing.
pub(crate) const WATCH_FLOOR: std::time::Duration = std::time::Duration::from_millis(1);

/// The grace and rate limit, in ticks, for `clock`: `GRACE_TICKS` and 1 tick, or
/// `WATCH_FLOOR`, whichever is longer. Measured through the clock's own Instant-to-tick
/// mapping (the ticks `WATCH_FLOOR` spans from now).
pub(crate) fn watch_ticks(clock: &super::clock::Clock) -> (u64, u64) {
    let now = std::time::Instant::now();
    // Both rounded down: exactly `WATCH_FLOOR / tick` ticks (±1 only when the tick does not
    // divide it), so the default 1 ms tick keeps grace 2 and rate 1.
    let floor = clock
        .floor_tick(now + WATCH_FLOOR)
        .saturating_sub(clock.floor_tick(now));
    (floor.max(GRACE_TICKS), floor.max(1))
}

#[cfg(not(loom))]
const STAGING_CAP: usize = 256;
#[cfg(loom)]
const STAGING_CAP: usize = 2;

/// Every this many inbox pushes of one thread (`time::pushes`), that thread files the inbox
/// itself or unparks the owner to drain it, even if nothing is due: cancelled remote arms
/// hold memory until drained, and memory must stay flat under remote arm/cancel churn of
/// long timers (which never wake a parked owner otherwise).
#[cfg(not(loom))]
const INBOX_DRAIN_BATCH: usize = 1024;
#[cfg(loom)]
const INBOX_DRAIN_BATCH: usize = 2;

pub(crate) struct Shard {
    access: AtomicU8,
    wheel: UnsafeCell<Wheel<EntryRef>>,
    staging: Staging,
    /// Entries the owner cancelled while a thief held `access`; unlinked at the next turn.
    /// Owner thread only.
    deferred_unlinks: UnsafeCell<Vec<EntryRef>>,
    inbox: Inbox,
    /// Wakes the owner worker.
    owner: Unparker,
    /// A lower bound on the deadlines of arms waiting in the inbox (`u64::MAX`: none).
    inbox_due: AtomicU64,
    /// See invariant 3. Written by the owner thread only.
    next_due: AtomicU64,
    /// Read-only view of the owner's park deadline (`scheduler::remote::Remote::parked_until`),
    /// for `republish_drained` (a non-owner filed the inbox: does the owner sleep past it?).
    owner_park: ParkView,
    /// The last tick a thief looked at this shard (rate limit).
    last_steal: AtomicU64,
    /// Ticks late before thieves step in, and ticks between two looks (`watch_ticks`).
    grace: u64,
    rate: u64,
    /// Arms on, and cancels of, this shard's timers from threads that are not workers of its
    /// runtime (per shard, so outside threads on different shards do not share a line);
    /// `remote_cancels` also counts the cancels made by shutdown.
    pub(crate) remote_arms: AtomicU64,
    pub(crate) remote_cancels: AtomicU64,
}

// SAFETY: `wheel` is accessed only under `access`; `deferred_unlinks` only by the owner thread
// (the `owner_*` methods are reachable only through `ShardOwner`, held by the owner thread).
unsafe impl Sync for Shard {}
// SAFETY: as above; all contents are Send.
unsafe impl Send for Shard {}

/// Fixed-size append-only buffer of raw `EntryRef` pointers (invariant 1).
struct Staging {
    slots: Box<[AtomicPtr<Entry>]>,
    len: AtomicUsize,
}

impl Staging {
    fn new() -> Staging {
        Staging {
            slots: (0..STAGING_CAP)
                .map(|_| AtomicPtr::new(ptr::null_mut()))
                .collect(),
            len: AtomicUsize::new(0),
        }
    }

    /// Owner only. Hands the `EntryRef` back when full.
    fn push(&self, e: EntryRef) -> Result<(), EntryRef> {
        // Relaxed: the owner is the only writer of `len`.
        let n = self.len.load(Relaxed);
        if n == STAGING_CAP {
            return Err(e);
        }
        // Relaxed: published by the Release store of `len` below.
        self.slots[n].store(EntryRef::into_raw(e), Relaxed);
        // Release: a thief's Acquire load of `len` sees the slot and the entry's contents.
        // seeded fault (loom only): `StagingPublishRelaxed` publishes with Relaxed.
        let publish = if crate::loom::fault::is(crate::loom::fault::Fault::StagingPublishRelaxed) {
            Relaxed
        } else {
            Release
        };
        self.len.store(n + 1, publish);
        Ok(())
    }

    /// Owner thread holding `access` in OWNER mode: removes `e` if it is the last staged
    /// entry (the arm-then-cancel pattern), so it is freed now rather than at the next flush.
    fn pop_if_last(&self, e: &EntryRef) -> Option<EntryRef> {
        let n = self.len.load(Relaxed);
        let top = self.slots[..n].last()?;
        if !ptr::eq(top.load(Relaxed), EntryRef::as_ptr(e)) {
            return None;
        }
        let p = top.swap(ptr::null_mut(), Relaxed);
        // Relaxed: as in `drain`, thieves read `len` only while holding `access`.
        self.len.store(n - 1, Relaxed);
        // SAFETY: the pointer came from `EntryRef::into_raw` in `push`; swapping in null makes
        // this the only place that reclaims it.
        Some(unsafe { EntryRef::from_raw(p) })
    }

    /// Holder of `access` (either mode): visits the staged entries.
    fn for_each(&self, mut f: impl FnMut(&EntryRef)) {
        // Acquire: pairs with `push`'s Release store.
        let n = self.len.load(Acquire);
        for slot in &self.slots[..n] {
            let p = slot.load(Relaxed);
            // A thief reads while the owner appends (loom's staging model checks this).
            debug_assert!(!p.is_null(), "staged slot read before its publication");
            // SAFETY: slots below `len` hold a pointer from `EntryRef::into_raw` that is released
            // only by `drain`, which needs OWNER access, which we exclude by holding `access`.
            let e = std::mem::ManuallyDrop::new(unsafe { EntryRef::from_raw(p) });
            f(&e);
        }
    }

    /// Owner thread holding `access` in OWNER mode: takes every staged entry.
    fn drain(&self, mut f: impl FnMut(EntryRef)) {
        let n = self.len.load(Relaxed);
        for slot in &self.slots[..n] {
            let p = slot.swap(ptr::null_mut(), Relaxed);
            // SAFETY: the pointer came from `EntryRef::into_raw` in `push`; swapping in null makes
            // this the only place that reclaims it.
            f(unsafe { EntryRef::from_raw(p) });
        }
        // Relaxed: thieves read `len` only while holding `access`, which we hold; our release
        // of `access` publishes the reset.
        self.len.store(0, Relaxed);
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        self.drain(drop);
    }
}

/// Where a due callback entry goes (the worker's run queue).
pub(crate) trait DueSink {
    /// A callback entry is due (QUEUED): run it.
    fn queued(&mut self, entry: EntryRef);
    /// A `Sleep` entry fired; its waker must be woken. Sinks that run while the shard is
    /// held should defer the wake until it is released (the default wakes at once).
    fn woken(&mut self, entry: EntryRef) {
        entry.wake_fired();
    }
}

impl<F: FnMut(EntryRef)> DueSink for F {
    fn queued(&mut self, entry: EntryRef) {
        self(entry)
    }
}

impl Shard {
    #[cfg_attr(not(loom), allow(dead_code))] // loom models build bare shards
    pub(crate) fn new(owner: Unparker) -> Shard {
        // A bare shard's owner never parks through the handshake: `NOT_PARKED` forever.
        let park = ParkView::new(Arc::new(ParkDeadline::new()));
        Shard::with_watch(owner, park, (GRACE_TICKS, 1))
    }

    /// A shard whose thieves use `(grace, rate)` ticks (see `watch_ticks`).
    pub(crate) fn with_watch(
        owner: Unparker,
        owner_park: ParkView,
        (grace, rate): (u64, u64),
    ) -> Shard {
        Shard {
            grace,
            rate,
            owner,
            access: AtomicU8::new(FREE),
            wheel: UnsafeCell::new(Wheel::new()),
            staging: Staging::new(),
            deferred_unlinks: UnsafeCell::new(Vec::new()),
            inbox: Inbox::new(),
            inbox_due: AtomicU64::new(u64::MAX),
            next_due: AtomicU64::new(u64::MAX),
            owner_park,
            last_steal: AtomicU64::new(0),
            remote_arms: AtomicU64::new(0),
            remote_cancels: AtomicU64::new(0),
        }
    }

    fn try_acquire(&self, mode: u8) -> bool {
        // Acquire: pairs with the Release in `release`, so the previous holder's wheel and
        // staging writes are visible to us.
        self.access
            .compare_exchange(FREE, mode, Acquire, Relaxed)
            .is_ok()
    }

    fn acquire_owner(&self) {
        while !self.try_acquire(OWNER) {
            // A thief holds it for a bounded amount of work.
            crate::loom::hint::spin_loop();
        }
    }

    fn release(&self) {
        // Release: publishes our wheel and staging writes to the next holder.
        let order = if crate::loom::fault::is(crate::loom::fault::Fault::ShardReleaseRelaxed) {
            Relaxed // seeded fault (loom only): the next holder may not see our writes
        } else {
            Release
        };
        self.access.store(FREE, order);
    }

    /// Runs `f` on the wheel. Caller holds `access`.
    fn with_wheel<R>(&self, f: impl FnOnce(&mut Wheel<EntryRef>) -> R) -> R {
        // SAFETY: the caller holds `access`, which makes the wheel exclusively ours.
        self.wheel.with_mut(|w| f(unsafe { &mut *w }))
    }

    /// The tick this shard next needs attention at (invariant 3), inbox included.
    pub(crate) fn next_due(&self) -> u64 {
        self.next_due.load(SeqCst).min(self.inbox_due.load(SeqCst))
    }

    /// The tick at which an idle worker should look at this shard in its owner's place:
    /// `GRACE_TICKS` after it is due, and no sooner than `GRACE_TICKS` after the last look.
    /// The second bound matters while the owner is stuck: only the owner recomputes
    /// `next_due`, so it stays in the past, and without it idle workers would spin.
    pub(crate) fn watch_tick(&self) -> u64 {
        // Relaxed: a rate-limiting hint; a stale value only moves one look by a tick.
        let last = self.last_steal.load(Relaxed);
        self.next_due()
            .max(last.saturating_add(self.rate))
            .saturating_add(self.grace)
    }

    /// Ticks late before idle workers fire this shard's timers.
    pub(crate) fn grace(&self) -> u64 {
        self.grace
    }

    // ----- owner thread -----

    /// Owner thread: arms `e` (deadline `tick`) without taking `access`. Returns true if this
    /// lowered the shard's `next_due` (the caller then checks whether a sleeper must watch).
    pub(super) fn owner_arm(&self, e: EntryRef, tick: u64, sink: &mut dyn DueSink) -> bool {
        if let Err(e) = self.staging.push(e) {
            // Full: fold the buffer into the wheel (one `access` round trip per
            // STAGING_CAP arms), then stage.
            self.owner_turn(None, sink);
            if let Err(e) = self.staging.push(e) {
                unreachable!("staging buffer full right after a flush: {e:?}");
            }
        }
        // Relaxed load: we are the only writer.
        if tick < self.next_due.load(Relaxed) {
            // SeqCst: the store and the caller's later read of the sleepers' earliest wake
            // form one side of the no-hostage-timer Dekker pair (see `scheduler::worker`).
            self.next_due.store(tick, SeqCst);
            return true;
        }
        false
    }

    /// Owner thread: a cancelled entry that was still staged. If it is the last one staged
    /// (armed and cancelled within one poll, the common case for deadlines), take it out now
    /// so its memory is reused at once; otherwise the next flush drops it.
    pub(super) fn owner_unstage(&self, e: &EntryRef) {
        if self.try_acquire(OWNER) {
            let popped = self.staging.pop_if_last(e);
            self.release();
            drop(popped);
        }
    }

    /// Owner thread: a cancelled entry that was in the wheel must be unlinked now.
    pub(super) fn owner_unlink(&self, e: EntryRef) {
        if self.try_acquire(OWNER) {
            let removed = self.with_wheel(|w| w.remove(&e));
            self.release();
            drop(removed);
        } else {
            // SAFETY: owner thread only (this method's contract).
            self.deferred_unlinks.with_mut(|v| unsafe { (*v).push(e) });
        }
    }

    /// Owner thread: whether a maintenance turn at tick `now` has anything to do: something
    /// staged, a deferred unlink, an op in the inbox, or a deadline due. When not, the turn
    /// (an `access` CAS, the inbox hint's SeqCst reset and fence, the `next_due` store) is
    /// skipped: a worker whose deque runs empty asks this on every such transition (one per
    /// request in a server). Skipping loses nothing: whatever arrives later is staged by this
    /// thread, or is in the inbox, which the next turn (and `park`'s re-check) sees, and the
    /// wheel's elapsed tick lagging behind the clock only means the next advance does more.
    pub(super) fn owner_turn_needed(&self, now: u64) -> bool {
        // Relaxed: the owner is the only writer of the staging length.
        self.staging.len.load(Relaxed) != 0
            // SAFETY: owner thread only (this method's contract), like every access to it.
            || self.deferred_unlinks.with_mut(|v| unsafe { !(*v).is_empty() })
            || !self.inbox.is_empty()
            || self.next_due() <= now
    }

    /// Owner thread: one maintenance turn. Moves staged and remote arms into the wheel,
    /// applies unlinks, and (with `now`) fires what is due. Returns the next due tick.
    pub(super) fn owner_turn(&self, now: Option<u64>, sink: &mut dyn DueSink) -> u64 {
        self.acquire_owner();
        let mut due_now = Vec::new();
        self.with_wheel(|wheel| {
            self.staging
                .drain(|e| stage_into_wheel(wheel, e, &mut due_now));
            // SAFETY: owner thread only.
            let deferred = self
                .deferred_unlinks
                .with_mut(|v| unsafe { std::mem::take(&mut *v) });
            for e in deferred {
                wheel.remove(&e);
            }
            self.drain_inbox(wheel, &mut due_now);
            if let Some(now) = now {
                advance(wheel, now, sink);
            }
            // Another thread may have advanced the wheel past our reading of the clock.
            let now = now.unwrap_or(0).max(wheel.elapsed());
            for e in due_now.drain(..) {
                fire_or_reinsert(wheel, e, now, sink);
            }
            let next = wheel.next_expiration().unwrap_or(u64::MAX);
            self.next_due.store(next, SeqCst);
            next
        });
        let next = self.next_due.load(Relaxed);
        self.release();
        next
    }

    fn drain_inbox(&self, wheel: &mut Wheel<EntryRef>, due_now: &mut Vec<EntryRef>) {
        // Reset the hint before draining: an arm pushed after the drain lowers it again.
        // SeqCst fence: the other half of `push_remote`'s Dekker pair (reset, then pops).
        self.inbox_due.store(u64::MAX, SeqCst);
        // seeded fault (loom only): `InboxResetSkipsFence` leaves it out.
        if !crate::loom::fault::is(crate::loom::fault::Fault::InboxResetSkipsFence) {
            fence(SeqCst);
        }
        self.inbox.drain(|op| match op {
            Op::Arm(e) => stage_into_wheel(wheel, e, due_now),
            Op::Unlink(e) => drop(wheel.remove(&e)),
        });
    }

    /// Not the owner, holding `access`, after draining the inbox into the wheel (and maybe
    /// advancing it): the arms it filed are now visible to no watcher (the owner alone recomputes `next_due`, and the
    /// drain reset `inbox_due`). Republish the wheel's next expiration through `inbox_due`,
    /// a lower bound that the owner's next turn resets and folds into `next_due`. Without it a
    /// not-yet-due remote timer would wait for a stuck owner (no hostage timers, whichever
    /// thread drained the inbox).
    ///
    /// Then, a Dekker pair with an owner that is parking right now (issue 12; the window was
    /// there before, it got likelier once pushers file every full batch): it stores
    /// `parked_until`, fences and reads `inbox_due`, so it may have read the value our drain
    /// reset, and the arms' own pushers may have seen it not parked yet. We republish, fence
    /// and read `parked_until`: one of us sees the other, and we unpark it if it sleeps past
    /// what we filed.
    fn republish_drained(&self, wheel: &Wheel<EntryRef>) {
        if let Some(next) = wheel.next_expiration() {
            // SeqCst: like the arms' own lowering in `push_remote`, read by parking workers.
            self.inbox_due.fetch_min(next, SeqCst);
            fence(SeqCst);
            let parked = self.owner_park.parked_until();
            if parked != NOT_PARKED && next < parked {
                self.owner.unpark();
            }
        }
    }

    /// Any thread, every `INBOX_DRAIN_BATCH` inbox pushes: drain the inbox into the wheel in
    /// the owner's place if `access` is free, so cancelled remote arms (and unlink ops) are
    /// reclaimed even while the owner is stuck. Files only, never fires: an arm found due is
    /// pushed back to the inbox for the owner or a thief (rare: the deadline passed between
    /// arm and drain), so this needs no run queue and runs no user code.
    fn reclaim_inbox(&self) -> bool {
        if !self.try_acquire(THIEF) {
            return false; // the owner or a thief is draining it right now
        }
        let mut due_now = Vec::new();
        self.with_wheel(|wheel| {
            self.drain_inbox(wheel, &mut due_now);
            self.republish_drained(wheel);
        });
        self.release();
        for e in due_now {
            // STAGED again (inbox invariant I1), or cancelled meanwhile: then its canceller
            // saw it unstaged and sent an unlink (harmless: it is in no wheel); drop it.
            if !e.restage() {
                continue;
            }
            let tick = e.deadline_tick();
            // Not counted in this thread's batch (`time::pushes`): it just filed.
            self.inbox.push(Op::Arm(e));
            // SeqCst: as in `push_remote`, after the push.
            self.inbox_due.fetch_min(tick, SeqCst);
        }
        true
    }

    // ----- any thread -----

    /// Another thread arms or unlinks through the inbox.
    pub(crate) fn push_remote(&self, op: Op) {
        let tick = match &op {
            Op::Arm(e) => Some(e.deadline_tick()),
            Op::Unlink(_) => None,
        };
        // This thread's pushes since its last filing (`time::pushes`: a plain per-thread
        // count, not a shared RMW per push).
        let queued = super::pushes::count();
        self.inbox.push(op);
        if let Some(tick) = tick {
            // SeqCst fence, spindle's own (not the queue's internal ordering, which a loom
            // stand-in need not have): the push, then the hint. With the drainer's reset of
            // the hint, fence, pops (`drain_inbox`), this is a Dekker pair: the drainer sees
            // the op or leaves our lowered hint standing. It is also the arming thread's
            // push-then-read-`parked_until` fence (`arm::arm_remote`), which has no fence of
            // its own, so a remote arm still costs one fence. The load first skips the RMW
            // when the hint already covers us (a drain that resets it after our load also
            // drains our op, which was pushed before the load).
            // seeded fault (loom only): `InboxPushSkipsFence` leaves it out.
            if !crate::loom::fault::is(crate::loom::fault::Fault::InboxPushSkipsFence) {
                fence(SeqCst);
            }
            if tick < self.inbox_due.load(SeqCst) {
                self.inbox_due.fetch_min(tick, SeqCst);
            }
        }
        // Every batch the pusher files the inbox into the wheel itself (issue 12: the owner,
        // parked or stuck, may take milliseconds to wake, and meanwhile a fast remote thread
        // would keep allocating entries; filing here also frees the cancelled ones on the
        // thread whose pool they belong to, without atomics). Only if `access` is taken do we
        // leave it to its holder's next drain, try again at our next push (a holder may have
        // drained before our pushes), and unpark the owner once per batch (the old policy).
        if queued >= INBOX_DRAIN_BATCH {
            if self.reclaim_inbox() {
                super::pushes::reset();
            } else if queued % INBOX_DRAIN_BATCH == 0 {
                self.owner.unpark();
            }
        }
    }

    pub(crate) fn inbox_is_empty(&self) -> bool {
        self.inbox.is_empty()
    }

    /// An idle worker fires this shard's overdue timers if its owner is late by more than
    /// `GRACE_TICKS`. Returns true if it did anything.
    pub(crate) fn steal_overdue(&self, now: u64, sink: &mut dyn DueSink) -> bool {
        if self.next_due().saturating_add(self.grace) > now {
            return false;
        }
        // One thief per `rate` ticks per shard is plenty. Relaxed: a rate-limiting hint; the
        // CAS only keeps two thieves of one window from both going on.
        let last = self.last_steal.load(Relaxed);
        if (last != 0 && now < last.saturating_add(self.rate))
            || self
                .last_steal
                .compare_exchange(last, now, Relaxed, Relaxed)
                .is_err()
        {
            return false;
        }
        if !self.try_acquire(THIEF) {
            return false;
        }
        let mut due_now = Vec::new();
        self.with_wheel(|wheel| {
            let now = now.max(wheel.elapsed());
            self.drain_inbox(wheel, &mut due_now);
            advance(wheel, now, sink);
            for e in due_now.drain(..) {
                fire_or_reinsert(wheel, e, now, sink);
            }
            // The stuck owner's staged arms: fire the due ones in place.
            self.staging.for_each(|e| {
                if e.deadline_tick() <= now {
                    // Not due after all (re-armed later): it stays staged for its owner.
                    drop(fire(e.clone(), now, sink));
                }
            });
            // Always: the drain reset `inbox_due`, and the advance may have cascaded entries
            // whose owner never saw them. seeded fault (loom only): `ThiefSkipsRepublish`.
            if !crate::loom::fault::is(crate::loom::fault::Fault::ThiefSkipsRepublish) {
                self.republish_drained(wheel);
            }
        });
        self.release();
        true
    }

    /// Shutdown step 2 (`runtime::runtime`): cancel (dropping every closure) and release every
    /// entry. Runs on the owner thread only, as it exits (`Worker::exit`). A shard whose owner
    /// is stuck past `shutdown_timeout` is emptied from outside by `close_outside`; this
    /// `close` then drops what is left when the owner returns.
    pub(super) fn close(&self) {
        // SeqCst fence: our caller saw `closed`; an arm whose re-check (after its push and
        // fence, `arm::arm_remote`) did not see it is in the inbox for the pops below.
        // seeded fault (loom only): `CloseSkipsFence` leaves it out.
        if !crate::loom::fault::is(crate::loom::fault::Fault::CloseSkipsFence) {
            fence(SeqCst);
        }
        self.acquire_owner();
        let mut all = Vec::new();
        self.staging.drain(|e| all.push(e));
        self.with_wheel(|wheel| wheel.drain(|e| all.push(e)));
        // SAFETY: the caller is the owner thread (contract of `close`).
        all.extend(
            self.deferred_unlinks
                .with_mut(|v| unsafe { std::mem::take(&mut *v) }),
        );
        self.inbox.drain(|op| match op {
            Op::Arm(e) | Op::Unlink(e) => all.push(e),
        });
        self.release();
        // Waking (not dropping) a `Sleep`'s waker: another executor awaiting it must see it
        // complete. Panics of closures' `Drop`s and of wakers are contained inside.
        self.cancel_at_shutdown(all);
    }
}

impl Shard {
    /// Shutdown, from the thread that shuts down, for a shard whose owner may still be stuck
    /// in user code past `shutdown_timeout`: cancel everything in the wheel and the inbox and
    /// every staged entry (in place: the buffer stays the owner's), waking `Sleep`s, so what
    /// other executors await completes now rather than when the owner returns. Takes
    /// `access` as a thief; the owner's own `close` later drops what is left.
    pub(crate) fn close_outside(&self) {
        // SeqCst fence: as in `close`. seeded fault (loom only): `CloseOutsideSkipsFence`.
        if !crate::loom::fault::is(crate::loom::fault::Fault::CloseOutsideSkipsFence) {
            fence(SeqCst);
        }
        while !self.try_acquire(THIEF) {
            // The owner (or a thief) holds it for a bounded amount of work.
            crate::loom::hint::spin_loop();
        }
        let mut all = Vec::new();
        self.with_wheel(|wheel| wheel.drain(|e| all.push(e)));
        self.inbox.drain(|op| match op {
            Op::Arm(e) | Op::Unlink(e) => all.push(e),
        });
        self.staging.for_each(|e| all.push(e.clone()));
        self.release();
        self.cancel_at_shutdown(all);
    }

    /// Cancels shutdown's leftovers (waking `Sleep`s) and counts the cancels that won, so
    /// `timers_pending` reads 0 once the runtime is gone.
    fn cancel_at_shutdown(&self, entries: Vec<EntryRef>) {
        let won = entries
            .into_iter()
            .filter(|e| e.cancel_and_wake().is_some())
            .count();
        self.count_shutdown_cancels(won as u64);
    }

    /// Counts timers cancelled by shutdown (`timers_cancelled`), on the shard's own counter
    /// like the cancels from outside threads: shutdown may run on any thread.
    pub(crate) fn count_shutdown_cancels(&self, n: u64) {
        if n > 0 {
            // Relaxed: a statistic.
            self.remote_cancels.fetch_add(n, Relaxed);
        }
    }
}

/// A staged or remote arm reaches the wheel.
fn stage_into_wheel(wheel: &mut Wheel<EntryRef>, e: EntryRef, due_now: &mut Vec<EntryRef>) {
    // A cancelled entry stays cancelled: drop it without touching its state (the common case
    // under arm/cancel churn, where most entries die before their first maintenance turn).
    if e.is_cancelled() {
        return;
    }
    if e.clear_staged() {
        if let Err(e) = wheel.insert(e) {
            due_now.push(e);
        }
    }
}

/// Fires `e` if it is due at `now`: a callback goes to the sink's run queue, a `Sleep` to the
/// sink's wake list. Returns it back if its deadline moved later (it must be re-filed).
fn fire(e: EntryRef, now: u64, sink: &mut dyn DueSink) -> Option<EntryRef> {
    match e.on_due(now) {
        Due::Queued => sink.queued(e),
        Due::Woken => sink.woken(e),
        Due::Dead => {}
        Due::Later => return Some(e),
    }
    None
}

fn advance(wheel: &mut Wheel<EntryRef>, now: u64, sink: &mut dyn DueSink) {
    let mut later = Vec::new();
    wheel.advance(now, |e| later.extend(fire(e, now, sink)));
    for e in later {
        fire_or_reinsert(wheel, e, now, sink);
    }
}

fn fire_or_reinsert(wheel: &mut Wheel<EntryRef>, e: EntryRef, now: u64, sink: &mut dyn DueSink) {
    let Some(e) = fire(e, now, sink) else { return };
    // Re-armed later meanwhile. `insert` only refuses deadlines <= elapsed <= now, which
    // `Later` excludes, but stay total: if refused, fire it at `elapsed`, which only ever
    // takes values of the real clock, so that is never early.
    if let Err(e) = wheel.insert(e) {
        drop(fire(e, wheel.elapsed(), sink));
    }
}

impl std::fmt::Debug for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shard")
            .field("next_due", &self.next_due())
            .finish()
    }
}
