//! A timer entry and its state word.
//!
//! ```text
//!  state word:  [ deadline tick : 60 bits ][ STAGED : 1 ][ phase : 3 ]
//!
//!           cancel()                         cancel()
//!  CANCELLED <------- ARMED ---due---> QUEUED ------> CANCELLED
//!                       |                 |
//!                       | (waker entry)   | runner: QUEUED -> FIRING, run, FIRING -> FIRED
//!                       +------due------> FIRED (the waker is woken)
//!
//!  periodic (`call_every`), after the runner's QUEUED -> FIRING:
//!
//!   FIRING --run returned--> ARMED (+ STAGED), next deadline in the same CAS (`rearm`)
//!     |  ^ cancel(): FIRING -> FIRING_CANCELLED (true; the cell is not touched)
//!     |  +-- FIRING_CANCELLED --run returned--> CANCELLED (the runner drops the closure)
//!     +--run panicked / runtime closed--> FIRED / CANCELLED (the runner drops the closure)
//! ```
//!
//! - The deadline lives in the same word as the phase, so a lazy re-arm to a later deadline
//!   (`Sleep::reset`) is one CAS that a concurrent firing CAS cannot miss: firing checks the
//!   deadline it read in the very word it swaps.
//! - `STAGED` means "not yet in a wheel" (in the owner's staging buffer or a remote inbox). A
//!   cancel that sees it needs no unlink: whoever moves the entry into the wheel finds it
//!   cancelled and drops it instead.
//! - Exactly one of `cancel()` and firing wins the CAS out of ARMED/QUEUED. The winner alone
//!   owns the callback cell: the canceller drops the closure at once, the runner calls it.
//!
//! - Periodic entries (`Kind::Periodic`) are one allocation for every run: the runner calls
//!   the `FnMut` in place while it holds FIRING (nobody else touches the cell then: a cancel
//!   during a run only moves FIRING -> FIRING_CANCELLED), then `rearm` writes the next
//!   deadline and ARMED in one CAS. The same CAS reads STAGED: if it is still set, a stale
//!   reference to the entry is still waiting to be flushed (a thief fired it in place from
//!   the owner's staging buffer), and that flush will insert it with the new deadline, so the
//!   runner must not push it again (`Rearm::StillStaged`); otherwise it sets STAGED and
//!   pushes it (`Rearm::Push`). Either way exactly one reference reaches a wheel (shard
//!   invariant 2), because the flush's `clear_staged` is one RMW on the same word.
//!
//! Orderings: the CASes are AcqRel (Acquire: the winner sees the closure written at
//! construction, published with the `EntryRef`; Release: a later reader of FIRED/CANCELLED sees the
//! winner's effects). Plain loads are Acquire for the same reason.

use super::pool::{EntryRef, InlineFn, Pool};
use super::wheel::{Position, WheelItem, MAX_TICK};
use crate::loom::cell::UnsafeCell;
use crate::loom::sync::atomic::{AtomicPtr, AtomicU64, AtomicUsize, Ordering::*};
use crate::util::atomic_waker::AtomicWaker;
use std::fmt;
use std::time::{Duration, Instant};

const PHASE_MASK: u64 = 0b111;
const ARMED: u64 = 0;
const QUEUED: u64 = 1;
const FIRING: u64 = 2;
const FIRED: u64 = 3;
const CANCELLED: u64 = 4;
/// A periodic entry was cancelled while its callback runs: the runner finishes the run,
/// then moves to CANCELLED and drops the closure.
const FIRING_CANCELLED: u64 = 5;
const STAGED: u64 = 0b1000;
const TICK_SHIFT: u32 = 4;

/// The phase of an entry, for `Debug` and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    Armed,
    Queued,
    Firing,
    Fired,
    Cancelled,
}

type Callback = InlineFn;
type Repeating = Box<dyn FnMut() + Send + 'static>;

pub(crate) enum Kind {
    /// A `call_*` callback; `name` is the closure's type name for debug and panic messages.
    Callback {
        f: UnsafeCell<Option<Callback>>,
        name: fn() -> &'static str,
    },
    /// A `Sleep`: firing wakes the registered waker.
    Waker(AtomicWaker),
    /// A `call_every` callback: run `f` at `start + k * period` for k = 1, 2, ... (boxed: one
    /// allocation per `call_every`, none per run, and the common entry stays small).
    Periodic(Box<PeriodicKind>),
}

pub(crate) struct PeriodicKind {
    f: UnsafeCell<Option<Repeating>>,
    name: fn() -> &'static str,
    start: Instant,
    period: Duration,
    /// `k` of the run the entry is armed for (its `when()`). Written by the runner
    /// before `rearm`, read by `TimerHandle::when`.
    run: AtomicU64,
}

/// What the runner of a periodic entry must do after `rearm` (module docs).
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Rearm {
    /// ARMED and STAGED again: push it to its shard (`arm::arm_entry`).
    Push,
    /// ARMED again, and a pending flush of a stale reference will insert it: nothing to do.
    StillStaged,
    /// Cancelled during the run: it is now CANCELLED and its closure dropped.
    Stopped,
}

pub(crate) struct Entry {
    state: AtomicU64,
    /// References (`EntryRef`s) to this entry (pool invariant P1).
    pub(super) refs: AtomicUsize,
    /// The block's generation (pool invariant P5).
    pub(crate) gen: u32,
    /// Index of the shard the entry was armed on (its owner).
    pub(crate) shard: u32,
    /// The pool the block goes back to (null: the heap).
    pub(super) pool: *const Pool,
    position: Position,
    /// The next node while in a shard's inbox (`inbox`, I1).
    pub(super) link: AtomicPtr<Entry>,
    pub(crate) kind: Kind,
}

// SAFETY: the callback cell is accessed only by the thread that won the CAS out of ARMED or
// QUEUED (module docs), or by `Drop` (no other reference exists); the closure is `Send`. The
// `pool` pointer is only followed under the pool's invariants (`pool`, P2 and P3).
unsafe impl Sync for Entry {}
// SAFETY: as above.
unsafe impl Send for Entry {}

/// The result of a successful `cancel`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cancelled {
    /// The entry had not reached a wheel yet: no unlink is needed.
    pub(crate) was_staged: bool,
    /// A periodic entry was cancelled during a run: it is in no wheel and no queue, and its
    /// runner finishes the cancellation (no unlink, no count).
    pub(crate) during_run: bool,
}

/// What the wheel's owner (or a thief) should do with an entry it found due.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Due {
    /// A callback entry moved to QUEUED: push it to a run queue.
    Queued,
    /// A waker entry fired: call `wake_fired` (after releasing the shard).
    Woken,
    /// Its deadline moved later: re-insert it.
    Later,
    /// Cancelled or already fired: drop the reference.
    Dead,
}

fn pack(tick: u64, flags: u64) -> u64 {
    (tick.min(MAX_TICK) << TICK_SHIFT) | flags
}

fn build(tick: u64, flags: u64, shard: u32, kind: Kind) -> EntryRef {
    EntryRef::new(move |pool, gen| Entry {
        state: AtomicU64::new(pack(tick, flags)),
        refs: AtomicUsize::new(1),
        gen,
        shard,
        pool,
        position: Position::new(),
        link: AtomicPtr::new(std::ptr::null_mut()),
        kind,
    })
}

fn callback<F>(f: F) -> Kind
where
    F: FnOnce() + Send + 'static,
{
    Kind::Callback {
        f: UnsafeCell::new(Some(InlineFn::new(f))),
        name: std::any::type_name::<F>,
    }
}

impl Entry {
    pub(crate) fn new_callback<F>(tick: u64, shard: u32, f: F) -> EntryRef
    where
        F: FnOnce() + Send + 'static,
    {
        build(tick, ARMED | STAGED, shard, callback(f))
    }

    /// A `call_soon` callback: due at birth, goes straight to a run queue (QUEUED), never to
    /// a wheel (STAGED, so a cancel does not try to unlink it).
    pub(crate) fn new_queued<F>(shard: u32, f: F) -> EntryRef
    where
        F: FnOnce() + Send + 'static,
    {
        build(0, QUEUED | STAGED, shard, callback(f))
    }

    /// A `Sleep`'s entry, holding the polling task's waker from birth (it is published to
    /// other threads only after this, with the `EntryRef`).
    pub(crate) fn new_waker(tick: u64, shard: u32, waker: &std::task::Waker) -> EntryRef {
        let kind = Kind::Waker(AtomicWaker::with_waker(Some(waker.clone())));
        build(tick, ARMED | STAGED, shard, kind)
    }

    /// An entry that is cancelled from birth (armed after shutdown).
    pub(crate) fn new_dead(shard: u32) -> EntryRef {
        build(MAX_TICK, CANCELLED, shard, Kind::Waker(AtomicWaker::new()))
    }

    /// A `call_every` entry armed for its first run (`start + period`, deadline `tick`).
    pub(crate) fn new_periodic<F>(
        tick: u64,
        shard: u32,
        start: Instant,
        period: Duration,
        f: F,
    ) -> EntryRef
    where
        F: FnMut() + Send + 'static,
    {
        let kind = Kind::Periodic(Box::new(PeriodicKind {
            f: UnsafeCell::new(Some(Box::new(f))),
            name: std::any::type_name::<F>,
            start,
            period,
            run: AtomicU64::new(1),
        }));
        build(tick, ARMED | STAGED, shard, kind)
    }

    pub(crate) fn deadline_tick(&self) -> u64 {
        self.state.load(Acquire) >> TICK_SHIFT
    }

    pub(crate) fn phase(&self) -> Phase {
        match self.state.load(Acquire) & PHASE_MASK {
            ARMED => Phase::Armed,
            QUEUED => Phase::Queued,
            FIRING => Phase::Firing,
            FIRED => Phase::Fired,
            // CANCELLED, or FIRING_CANCELLED (no later run will happen).
            _ => Phase::Cancelled,
        }
    }

    pub(crate) fn callback_name(&self) -> &'static str {
        match &self.kind {
            Kind::Callback { name, .. } => name(),
            Kind::Waker(_) => "spindle::Sleep",
            Kind::Periodic(p) => (p.name)(),
        }
    }

    /// CAS loop over the state word; `f` maps the current word to the next, or `None` to stop.
    fn update(&self, mut f: impl FnMut(u64) -> Option<u64>) -> Result<u64, u64> {
        let mut cur = self.state.load(Acquire);
        loop {
            let next = f(cur).ok_or(cur)?;
            match self.state.compare_exchange_weak(cur, next, AcqRel, Acquire) {
                Ok(prev) => return Ok(prev),
                Err(actual) => cur = actual,
            }
        }
    }

    /// The entry is due at tick `now` (found by the owner's advance or a thief's scan).
    pub(crate) fn on_due(&self, now: u64) -> Due {
        let is_waker = matches!(self.kind, Kind::Waker(_));
        let target = if is_waker { FIRED } else { QUEUED };
        let res = self.update(|s| {
            (s & PHASE_MASK == ARMED && s >> TICK_SHIFT <= now)
                .then_some((s & !PHASE_MASK) | target)
        });
        match res {
            // The caller wakes it (`wake_fired`) once it no longer holds the shard: waker
            // code is user code and may arm or cancel timers on this very shard.
            Ok(_) if is_waker => Due::Woken,
            Ok(_) => Due::Queued,
            Err(s) if s & PHASE_MASK == ARMED => Due::Later,
            Err(_) => Due::Dead,
        }
    }

    /// Wakes the waker of a fired `Sleep` entry (see `Due::Woken`). The waker is user code
    /// (another executor's): a panic in it is contained, so the worker survives.
    pub(crate) fn wake_fired(&self) {
        if let Kind::Waker(w) = &self.kind {
            crate::util::panic::contain(|| w.wake());
        }
    }

    /// A worker runs a QUEUED callback entry. Returns the closure if this call won it.
    pub(crate) fn start_firing(&self) -> Option<Callback> {
        self.update(|s| (s & PHASE_MASK == QUEUED).then_some((s & !PHASE_MASK) | FIRING))
            .ok()?;
        match &self.kind {
            // SAFETY: we won QUEUED -> FIRING, so the callback cell is ours alone.
            Kind::Callback { f, .. } => f.with_mut(|f| unsafe { (*f).take() }),
            Kind::Waker(_) | Kind::Periodic(_) => None,
        }
    }

    /// The callback returned (or panicked): FIRING -> FIRED.
    pub(crate) fn finish_firing(&self) {
        // FIRING + 1 == FIRED; the add never carries out of the phase bits, so STAGED and the
        // deadline are preserved even if a concurrent `clear_staged` changes them.
        self.state.fetch_add(FIRED - FIRING, AcqRel);
    }

    /// `cancel()`: ARMED or QUEUED -> CANCELLED. On success the closure (or the waker) has
    /// been dropped by this call; a panic in its `Drop` is contained (see `cancel_caught`).
    pub(crate) fn cancel(&self) -> Option<Cancelled> {
        let (cancelled, panic) = self.cancel_caught()?;
        if let Some(p) = panic {
            crate::util::panic::dispose(p);
        }
        Some(cancelled)
    }

    /// Shutdown's cancel: like `cancel`, but a `Sleep`'s waker is *woken* rather than dropped,
    /// so a `Sleep` awaited by another executor completes (as elapsed) instead of hanging.
    /// The CAS comes first: a poll that registers after our `take_waker` re-checks the phase
    /// afterwards and sees CANCELLED (the waker slot's Release/Acquire orders it).
    pub(crate) fn cancel_and_wake(&self) -> Option<Cancelled> {
        // seeded fault (loom only): `ShutdownDropsSleepWaker` drops the waker (the old code).
        if !matches!(self.kind, Kind::Waker(_))
            || crate::loom::fault::is(crate::loom::fault::Fault::ShutdownDropsSleepWaker)
        {
            return self.cancel();
        }
        let prev = self.cancel_cas()?;
        if let Kind::Waker(w) = &self.kind {
            crate::util::panic::contain(|| w.wake());
        }
        Some(Cancelled {
            was_staged: prev & STAGED != 0,
            during_run: false, // a `Sleep` entry is never periodic
        })
    }

    /// `cancel` that hands back a panic of the closure's `Drop` instead of swallowing it (for
    /// `TimerHandle::cancel`, whose caller owns that closure: it finishes its bookkeeping,
    /// then re-raises).
    pub(crate) fn cancel_caught(&self) -> Option<(Cancelled, Option<crate::util::panic::Payload>)> {
        let prev = self.cancel_cas()?;
        let was_staged = prev & STAGED != 0;
        // seeded fault (loom only): `PeriodicCancelDropsDuringRun` drops the closure under the
        // runner, as a one-shot cancel would.
        let keep = !crate::loom::fault::is(crate::loom::fault::Fault::PeriodicCancelDropsDuringRun);
        if prev & PHASE_MASK == FIRING && keep {
            // A periodic run is in progress: its runner owns the cell and drops the closure.
            let during_run = true;
            return Some((
                Cancelled {
                    was_staged,
                    during_run,
                },
                None,
            ));
        }
        let panic = crate::util::panic::catch(|| self.drop_payload()).err();
        let during_run = false;
        Some((
            Cancelled {
                was_staged,
                during_run,
            },
            panic,
        ))
    }

    /// The CAS of every cancel: ARMED or QUEUED -> CANCELLED; returns the previous word.
    fn cancel_cas(&self) -> Option<u64> {
        let prev = if crate::loom::fault::is(crate::loom::fault::Fault::EntryCancelNotAtomic) {
            // seeded fault (loom only): check, then store, instead of one CAS.
            let s = self.state.load(Acquire);
            if !matches!(s & PHASE_MASK, ARMED | QUEUED) {
                return None;
            }
            self.state.store((s & !PHASE_MASK) | CANCELLED, Release);
            s
        } else {
            let periodic = self.is_periodic();
            self.update(|s| match s & PHASE_MASK {
                ARMED | QUEUED => Some((s & !PHASE_MASK) | CANCELLED),
                FIRING if periodic => Some((s & !PHASE_MASK) | FIRING_CANCELLED),
                _ => None,
            })
            .ok()?
        };
        Some(prev)
    }

    fn drop_payload(&self) {
        match &self.kind {
            // SAFETY: we won the CAS to CANCELLED: the cell is ours alone.
            Kind::Callback { f, .. } => drop(f.with_mut(|f| unsafe { (*f).take() })),
            Kind::Waker(w) => drop(w.take_waker()),
            // SAFETY: as above (or we are the runner that left FIRING: the cell is ours).
            Kind::Periodic(p) => drop(p.f.with_mut(|f| unsafe { (*f).take() })),
        }
    }

    /// Moves an ARMED entry's deadline later in place (lazy re-arm). Fails if it is no longer
    /// armed or `tick` is earlier than the current deadline.
    pub(crate) fn reset_later(&self, tick: u64) -> bool {
        self.update(|s| {
            (s & PHASE_MASK == ARMED && tick.min(MAX_TICK) >= s >> TICK_SHIFT)
                .then_some(pack(tick, s & (PHASE_MASK | STAGED)))
        })
        .is_ok()
    }

    /// The entry reached a wheel (or was found dead on the way): clear STAGED. Returns whether
    /// it is still ARMED and must be inserted.
    pub(crate) fn clear_staged(&self) -> bool {
        if crate::loom::fault::is(crate::loom::fault::Fault::ClearStagedNotAtomic) {
            // seeded fault (loom only): read the phase, then clear STAGED in a second step.
            let armed = self.state.load(Acquire) & PHASE_MASK == ARMED;
            self.state.fetch_and(!STAGED, AcqRel);
            return armed;
        }
        let prev = self.state.fetch_and(!STAGED, AcqRel);
        prev & PHASE_MASK == ARMED
    }

    /// A due arm that `Shard::reclaim_inbox` drained (STAGED cleared) goes back to the inbox:
    /// set STAGED again if it is still ARMED (inbox invariant I1: a cancel from now on sends
    /// no unlink). False if it was cancelled meanwhile: drop it instead.
    pub(crate) fn restage(&self) -> bool {
        self.update(|s| (s & PHASE_MASK == ARMED).then_some(s | STAGED))
            .is_ok()
    }

    pub(crate) fn is_cancelled(&self) -> bool {
        self.phase() == Phase::Cancelled
    }

    pub(crate) fn is_fired(&self) -> bool {
        self.phase() == Phase::Fired
    }

    pub(crate) fn waker_slot(&self) -> Option<&AtomicWaker> {
        match &self.kind {
            Kind::Waker(w) => Some(w),
            Kind::Callback { .. } | Kind::Periodic(_) => None,
        }
    }

    // ----- periodic entries (`call_every`, `scheduler::periodic`) -----

    pub(crate) fn is_periodic(&self) -> bool {
        matches!(self.kind, Kind::Periodic(_))
    }

    /// A periodic entry's `start`, `period` and the index `k` of the run it is armed for.
    pub(crate) fn schedule(&self) -> Option<(Instant, Duration, u64)> {
        match &self.kind {
            // Acquire: pairs with the Release store in `rearm`'s caller (`set_run`).
            Kind::Periodic(p) => Some((p.start, p.period, p.run.load(Acquire))),
            _ => None,
        }
    }

    /// The runner, holding FIRING, records the run the entry is about to be re-armed for.
    pub(crate) fn set_run(&self, k: u64) {
        if let Kind::Periodic(p) = &self.kind {
            // Release: pairs with the Acquire load in `schedule` (`TimerHandle::when`).
            p.run.store(k, Release);
        }
    }

    /// A worker starts a QUEUED periodic entry: QUEUED -> FIRING. True if this call won.
    pub(crate) fn start_periodic(&self) -> bool {
        self.is_periodic()
            && self
                .update(|s| (s & PHASE_MASK == QUEUED).then_some((s & !PHASE_MASK) | FIRING))
                .is_ok()
    }

    /// Calls the periodic closure in place, catching a panic. Caller won `start_periodic`.
    pub(crate) fn call_periodic(&self) -> std::thread::Result<()> {
        let Kind::Periodic(p) = &self.kind else {
            return Ok(());
        };
        let f = &p.f;
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            // SAFETY: the caller holds FIRING (or FIRING_CANCELLED): no other thread touches
            // the cell (a cancel during a run leaves it alone; module docs).
            f.with_mut(|f| unsafe {
                if let Some(f) = (*f).as_mut() {
                    f();
                }
            })
        }))
    }

    /// The runner's run returned: FIRING -> ARMED at `tick` (see [`Rearm`]), or
    /// FIRING_CANCELLED -> CANCELLED with the closure dropped.
    pub(crate) fn rearm(&self, tick: u64) -> Rearm {
        let prev = self
            .update(|s| match s & PHASE_MASK {
                FIRING => Some(pack(tick, ARMED | STAGED)),
                FIRING_CANCELLED => Some((s & !PHASE_MASK) | CANCELLED),
                _ => None,
            })
            .unwrap_or_else(|s| unreachable!("rearm of a periodic entry in state {s:#x}"));
        if prev & PHASE_MASK == FIRING_CANCELLED {
            self.drop_payload();
            Rearm::Stopped
        } else if prev & STAGED != 0 {
            Rearm::StillStaged
        } else {
            Rearm::Push
        }
    }

    /// The runner stops a periodic entry for good (its run panicked, or the runtime is
    /// closing): FIRING / FIRING_CANCELLED -> `FIRED` (`cancelled` false) or CANCELLED, and
    /// the closure is dropped. Returns whether the entry counts as cancelled by this call.
    pub(crate) fn stop_periodic(&self, cancelled: bool) -> bool {
        let to = if cancelled { CANCELLED } else { FIRED };
        let prev = self
            .update(|s| {
                matches!(s & PHASE_MASK, FIRING | FIRING_CANCELLED)
                    .then_some((s & !PHASE_MASK) | to)
            })
            .unwrap_or_else(|s| unreachable!("stop of a periodic entry in state {s:#x}"));
        self.drop_payload();
        cancelled && prev & PHASE_MASK == FIRING
    }
}

impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Entry")
            .field("deadline_tick", &self.deadline_tick())
            .field("phase", &self.phase())
            .field("callback", &self.callback_name())
            .finish()
    }
}

/// The wheel stores `EntryRef`s.
impl WheelItem for EntryRef {
    fn deadline(&self) -> u64 {
        self.deadline_tick()
    }
    fn position(&self) -> &Position {
        &self.position
    }
    fn same(&self, other: &Self) -> bool {
        EntryRef::ptr_eq(self, other)
    }
}
