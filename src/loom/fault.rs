//! Seeded faults, to show that each loom model can fail.
//!
//! Under `cfg(loom)` a test can switch on one [`Fault`] for the current thread (loom runs a
//! whole model on the calling thread), and the real code takes the faulty path where it
//! checks [`is`]. In every other build `is` is a constant `false` and the faulty paths are
//! compiled out.

/// The faults that can be seeded. Each names the protocol step it breaks; the loom model that
/// must catch it is named in ARCHITECTURE.md ("Verification").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(dead_code, unreachable_pub)]
pub enum Fault {
    /// `Entry::cancel` as a load then a store instead of a CAS: cancel and firing can both win.
    EntryCancelNotAtomic,
    /// `Entry::clear_staged` reads the phase, then clears STAGED in a second step: a cancel in
    /// between sees STAGED (no unlink) while the owner still inserts the entry (leak).
    ClearStagedNotAtomic,
    /// `arm_remote` reads the owner's `parked_until` before pushing the arm into the inbox:
    /// the owner re-checks an empty inbox and sleeps past the new deadline (lost wakeup).
    ArmReadsParkedBeforePush,
    /// `Shard::release` stores FREE with Relaxed: the next holder of `access` (a thief or the
    /// owner) does not see the previous holder's wheel writes (data race on the wheel).
    ShardReleaseRelaxed,
    /// `State::transition_to_notified` asks to submit a task that is RUNNING: it is queued
    /// while being polled, and queued again by the runner (double schedule / double poll).
    NotifyRunningSubmits,
    /// A wake of an already-NOTIFIED task only reads the state word: nothing orders the
    /// waker's earlier writes before the next poll, which can miss them (a lost wake). This
    /// was a real bug, found by the task model.
    NotifiedWakeReadOnly,
    /// `abort()` of a task that is being polled marks it CANCELLED but not NOTIFIED: a poll
    /// that returns `Pending` leaves it idle, and nothing ever cancels it.
    AbortRunningNoNotify,
    /// `drop_join` drops the stage without checking COMPLETE: it touches the future or output
    /// while the runner owns it.
    DropJoinIgnoresComplete,
    /// The worker parks without re-checking for work after registering as a sleeper: a
    /// spawn that saw it still searching is never picked up (lost wakeup).
    ParkSkipsRecheck,
    /// `Shared::push_remote` does not re-drain the injector when it finds the runtime closed:
    /// a task pushed after shutdown drained it stays there (leak: task <-> runtime cycle).
    PushSkipsClosedRedrain,
    /// `arm_remote` does not re-check `closed` after pushing: an arm that lands in the inbox
    /// after the owner closed its shard keeps its closure forever.
    ArmSkipsClosedRecheck,
    /// `Unparker::unpark` of a worker waiting in the I/O poller (`PARKED_IO`) does not write
    /// the poller's waker: the worker sleeps on in the poller (lost wakeup).
    UnparkSkipsIoWaker,
    /// `Parker::park_io` waits in the poller without announcing `PARKED_IO` first: an unpark
    /// in between sees `EMPTY`, leaves only `NOTIFIED`, and wakes nothing (lost wakeup).
    ParkIoSkipsAnnounce,
    /// `ScheduledIo::poll_ready` registers the waker without re-checking the readiness word:
    /// an event dispatched between the first look and the registration wakes nobody.
    PollReadySkipsRecheck,
    /// `Promise::set_result` publishes SET before writing the value.
    PromiseSetBeforeWrite,
    /// `Deferred::cancel` as a load then a store instead of a CAS: cancel and `set_result`
    /// can both win.
    DeferredCancelNotAtomic,
    /// `Entry::cancel` of a periodic entry during its run drops the closure, as a one-shot
    /// cancel does, while the runner is calling it (data race on the callback cell).
    PeriodicCancelDropsDuringRun,
    /// A blocking-pool thread going idle skips the queue re-check after publishing its slot
    /// (T3): a submitter that found no idle slot and the pool at its limit leaves its task in
    /// the queue while the thread parks (lost wakeup).
    PoolIdleSkipsRecheck,
    /// `quiet::Agent::wake` does not count the woken agent before it is unparked (it counts
    /// itself when it runs): the last worker to park finds the runtime quiet and moves the
    /// paused clock past the woken `block_on` future's work.
    QuietWakeEntersLate,
    /// Shutdown cancels a `Sleep`'s entry by dropping its waker instead of waking it: a
    /// `Sleep` awaited by another executor (a foreign `block_on`) never completes (issue 10,
    /// failure 1).
    ShutdownDropsSleepWaker,
    /// `Staging::push` publishes the new length with Relaxed instead of Release: a thief
    /// reading the buffer while the owner appends may see the length but not the slot.
    StagingPublishRelaxed,
    /// A thief that drained the inbox does not republish the wheel's next expiration: a
    /// not-yet-due remote timer it filed is invisible to every watcher (issue 10, failure 4).
    ThiefSkipsRepublish,
    /// `quiet::kick` (after `Handle::pause`) does nothing: a last agent whose decision took
    /// the fast exit (clock not yet paused) leaves a paused, quiet runtime undecided.
    QuietKickSkipped,
    // ----- the SeqCst fences of spindle's own Dekker pairs (issue 10: loom sees them only
    // since the loom queue stand-in is no stronger than crossbeam's contract) -----
    /// `Shard::push_remote` leaves out its fence between the inbox push and the hint (and
    /// `arm_remote`'s `parked_until` and `closed` reads): a drain that resets the hint after
    /// our lowering may also miss our op (a remote arm invisible to watchers).
    InboxPushSkipsFence,
    /// `Shard::drain_inbox` leaves out its fence between the hint reset and the pops: it may
    /// miss an op whose pusher saw the hint still low and did not lower it again.
    InboxResetSkipsFence,
    /// `Shard::close` leaves out its fence before the pops: an arm whose `closed` re-check
    /// missed the flag may be missed by the pops too (closure leaked).
    CloseSkipsFence,
    /// `Shard::close_outside` leaves out its fence before the pops (as `CloseSkipsFence`).
    CloseOutsideSkipsFence,
    /// `Shared::push_remote` leaves out its fence between the injector push and the reads of
    /// the idle state and `closed`: a parking worker or the shutdown drain may miss the unit.
    PushRemoteSkipsFence,
    /// `Shared::finish_shutdown` leaves out its fence between `closed` and the injector
    /// drain: a unit whose pusher missed `closed` may be missed by the drain too (leak).
    FinishShutdownSkipsFence,
    /// `Worker::park` leaves out its fence between registering and the re-check: it may
    /// park past work whose producer saw no sleeper (lost wakeup).
    ParkSkipsFence,
    /// `blocking::Pool::close` leaves out its fence between `closed` and the drain (a fence
    /// this work added: the pair relied on crossbeam's internal SeqCst).
    PoolCloseSkipsFence,
    /// `blocking::Pool::submit` leaves out its fence after the push (S1).
    PoolSubmitSkipsFence,
    /// A blocking-pool thread exiting (keep-alive over) leaves out its fence between giving
    /// back its unit of `alive` and re-checking the queue (T5): a submitter that found the
    /// pool at its limit leaves its task, and the exiting thread misses it (lost wakeup).
    PoolExitSkipsFence,
    /// A blocking-pool thread going idle leaves out its fence between publishing its slot
    /// and re-checking the queue (T2): it may miss a task whose submitter missed the slot.
    PoolIdleSkipsFence,
    /// `arm_local` leaves out its fence between lowering `next_due` and reading the
    /// sleepers' earliest wake (`watch_deadline`): an idle worker parking at the same time
    /// may miss the new deadline while the owner misses the sleeper (hostage timer).
    OwnerArmSkipsWatchFence,
    /// `Idle::register_sleeper` of a worker that was searching does not give up its
    /// searching slot: producers see a searcher forever and wake nobody (lost wakeup).
    SleeperKeepsSearching,
    // ----- issue 12 (timer engine v2: pooled entries, intrusive inbox) -----
    /// `TimerHandle::clone` makes its entry reference without counting it: the entry's block
    /// is released (and reused by the pool) while the clone still points at it (use after
    /// recycle).
    EntryCloneSkipsCount,
    /// `Pool::push_remote` writes the free list's head with a plain store instead of a CAS:
    /// two threads releasing blocks to one pool at once lose one of them (a lost free).
    PoolRemotePushStore,
    /// `Inbox::drain` takes the list with a load and a store of null instead of one swap: an
    /// op pushed in between is lost (a lost arm or unlink).
    InboxDrainNotAtomic,
}

#[cfg(loom)]
std::thread_local! {
    static ACTIVE: std::cell::Cell<Option<Fault>> = const { std::cell::Cell::new(None) };
}

/// Whether `fault` is seeded in this thread's model.
#[inline(always)]
#[allow(dead_code)]
pub(crate) fn is(fault: Fault) -> bool {
    #[cfg(loom)]
    return ACTIVE.with(|a| a.get() == Some(fault));
    #[cfg(not(loom))]
    {
        let _ = fault;
        false
    }
}

/// Seeds `fault` for models run on this thread until the guard drops.
#[cfg(loom)]
pub(crate) fn seed(fault: Option<Fault>) -> impl Drop {
    struct Reset(Option<Fault>);
    impl Drop for Reset {
        fn drop(&mut self) {
            ACTIVE.with(|a| a.set(self.0));
        }
    }
    Reset(ACTIVE.with(|a| a.replace(fault)))
}
