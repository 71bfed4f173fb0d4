//! The task state word and its named transitions.
//!
//! ```text
//!  bit   name           meaning
//!  0     RUNNING        a thread is polling the future (or claimed it to cancel it)
//!  1     NOTIFIED       the task sits in a run queue, or must go back into one after its poll
//!  2     COMPLETE       the output (or the error) is stored; the future is gone
//!  3     CANCELLED      abort() or shutdown asked for the future to be dropped
//!  4     JOIN_INTEREST  a JoinHandle exists and will read the output
//!  5     JOIN_WAKER     the JoinHandle stored a waker that completion must wake
//! ```
//!
//! Invariants: the future/output cell is touched only by the holder of RUNNING, or, once
//! COMPLETE is set and JOIN_INTEREST still is, only by the JoinHandle. A task is in a run queue
//! at most once for each clear-to-set edge of NOTIFIED taken outside RUNNING. Every transition
//! is a single atomic read-modify-write, so concurrent transitions are totally ordered.
//! All RMWs are AcqRel: Acquire to see the previous holder's writes to the cell, Release to
//! publish ours to the next one (runner -> JoinHandle, runner -> next runner).

use crate::loom::sync::atomic::{AtomicUsize, Ordering::*};

const RUNNING: usize = 1 << 0;
const NOTIFIED: usize = 1 << 1;
const COMPLETE: usize = 1 << 2;
const CANCELLED: usize = 1 << 3;
const JOIN_INTEREST: usize = 1 << 4;
const JOIN_WAKER: usize = 1 << 5;

/// A snapshot of the state word.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Snapshot(usize);

impl Snapshot {
    pub(crate) fn is_running(self) -> bool {
        self.0 & RUNNING != 0
    }
    pub(crate) fn is_notified(self) -> bool {
        self.0 & NOTIFIED != 0
    }
    pub(crate) fn is_complete(self) -> bool {
        self.0 & COMPLETE != 0
    }
    pub(crate) fn is_cancelled(self) -> bool {
        self.0 & CANCELLED != 0
    }
    pub(crate) fn has_join_interest(self) -> bool {
        self.0 & JOIN_INTEREST != 0
    }
    pub(crate) fn has_join_waker(self) -> bool {
        self.0 & JOIN_WAKER != 0
    }
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("running", &self.is_running())
            .field("notified", &self.is_notified())
            .field("complete", &self.is_complete())
            .field("cancelled", &self.is_cancelled())
            .field("join_interest", &self.has_join_interest())
            .finish()
    }
}

/// What a worker must do with a task it popped from a queue.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ToRunning {
    /// Poll the future.
    Poll,
    /// The future must be dropped and the task completed as cancelled.
    Cancel,
    /// Stale queue entry (the task was claimed or finished meanwhile): drop the reference.
    Ignore,
}

/// What to do after a poll returned `Pending`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ToIdle {
    /// Nothing: a future wake will schedule it.
    Idle,
    /// It was woken (or aborted) during the poll: put it back in a run queue.
    Reschedule,
}

/// What a waker must do.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum OnWake {
    /// Push the task into a run queue (this waker set NOTIFIED).
    Submit,
    /// Nothing (already queued, running and now marked, or complete).
    Nothing,
}

pub(crate) struct State(AtomicUsize);

impl State {
    /// A new task is scheduled at birth and has a JoinHandle.
    pub(crate) fn new() -> State {
        State(AtomicUsize::new(NOTIFIED | JOIN_INTEREST))
    }

    pub(crate) fn load(&self) -> Snapshot {
        Snapshot(self.0.load(Acquire))
    }

    /// Applies `f` until the CAS succeeds; `f` returns the new word and a result, or `None` to
    /// leave the word unchanged.
    fn update<R>(&self, mut f: impl FnMut(usize) -> (Option<usize>, R)) -> (Snapshot, R) {
        let mut cur = self.0.load(Acquire);
        loop {
            let (next, r) = f(cur);
            let Some(next) = next else {
                return (Snapshot(cur), r);
            };
            match self.0.compare_exchange_weak(cur, next, AcqRel, Acquire) {
                Ok(_) => return (Snapshot(cur), r),
                Err(actual) => cur = actual,
            }
        }
    }

    /// A worker popped the task: NOTIFIED -> RUNNING.
    pub(crate) fn transition_to_running(&self) -> ToRunning {
        self.update(|s| {
            if s & (RUNNING | COMPLETE) != 0 || s & NOTIFIED == 0 {
                return (None, ToRunning::Ignore);
            }
            let next = (s & !NOTIFIED) | RUNNING;
            let action = if s & CANCELLED != 0 {
                ToRunning::Cancel
            } else {
                ToRunning::Poll
            };
            (Some(next), action)
        })
        .1
    }

    /// The poll returned `Pending`: RUNNING -> idle, or -> NOTIFIED when woken meanwhile.
    pub(crate) fn transition_to_idle(&self) -> ToIdle {
        self.update(|s| {
            debug_assert!(s & RUNNING != 0);
            let next = s & !RUNNING;
            let action = if s & NOTIFIED != 0 {
                ToIdle::Reschedule
            } else {
                ToIdle::Idle
            };
            (Some(next), action)
        })
        .1
    }

    /// The output is stored: RUNNING -> COMPLETE. Returns the previous snapshot, whose
    /// JOIN_INTEREST decides who drops the output and JOIN_WAKER whether to wake.
    pub(crate) fn transition_to_complete(&self) -> Snapshot {
        Snapshot(self.0.fetch_xor(RUNNING | COMPLETE, AcqRel))
    }

    /// A waker fired.
    pub(crate) fn transition_to_notified(&self) -> OnWake {
        self.update(|s| {
            if s & COMPLETE != 0 {
                (None, OnWake::Nothing)
            } else if s & NOTIFIED != 0 {
                if crate::loom::fault::is(crate::loom::fault::Fault::NotifiedWakeReadOnly) {
                    // seeded fault (loom only): the read-only path loom found (see below).
                    return (None, OnWake::Nothing);
                }
                // Already queued: still write the word back (a no-op RMW, as async-task does).
                // A read alone would not order this waker's earlier writes before the poll
                // that the pending notification leads to, and that poll could miss them
                // (found by loom: `loom-tests/tests/task.rs`).
                (Some(s), OnWake::Nothing)
            } else if s & RUNNING != 0 {
                // The runner will see NOTIFIED after its poll and reschedule.
                if crate::loom::fault::is(crate::loom::fault::Fault::NotifyRunningSubmits) {
                    // seeded fault (loom only): queue a task that is being polled.
                    return (Some(s | NOTIFIED), OnWake::Submit);
                }
                (Some(s | NOTIFIED), OnWake::Nothing)
            } else {
                (Some(s | NOTIFIED), OnWake::Submit)
            }
        })
        .1
    }

    /// `JoinHandle::abort`: mark CANCELLED and make sure the task reaches a worker.
    pub(crate) fn transition_to_cancelled(&self) -> OnWake {
        self.update(|s| {
            if s & (COMPLETE | CANCELLED) != 0 {
                (None, OnWake::Nothing)
            } else if s & (RUNNING | NOTIFIED) != 0 {
                if s & RUNNING != 0
                    && crate::loom::fault::is(crate::loom::fault::Fault::AbortRunningNoNotify)
                {
                    // seeded fault (loom only): mark CANCELLED but not NOTIFIED.
                    return (Some(s | CANCELLED), OnWake::Nothing);
                }
                // Running: rescheduled after the poll. Queued: the run sees CANCELLED.
                (Some(s | CANCELLED | NOTIFIED), OnWake::Nothing)
            } else {
                (Some(s | CANCELLED | NOTIFIED), OnWake::Submit)
            }
        })
        .1
    }

    /// Runtime shutdown: claim the task to drop its future here and now. Returns `true` if the
    /// caller now holds RUNNING and must cancel; `false` if it is complete, or running on
    /// another thread (then it is marked and will be cancelled when rescheduled).
    pub(crate) fn transition_to_shutdown(&self) -> bool {
        self.update(|s| {
            if s & COMPLETE != 0 {
                (None, false)
            } else if s & RUNNING != 0 {
                (Some(s | CANCELLED | NOTIFIED), false)
            } else {
                (Some((s & !NOTIFIED) | RUNNING | CANCELLED), true)
            }
        })
        .1
    }

    /// The JoinHandle stored a waker: set JOIN_WAKER. Returns the previous snapshot; if it
    /// was already COMPLETE the handle must read the output instead of waiting.
    pub(crate) fn set_join_waker(&self) -> Snapshot {
        Snapshot(self.0.fetch_or(JOIN_WAKER, AcqRel))
    }

    /// The JoinHandle is dropped. Returns the previous snapshot: if COMPLETE was set, the
    /// handle owns the output and must drop it.
    pub(crate) fn drop_join_interest(&self) -> Snapshot {
        Snapshot(self.0.fetch_and(!(JOIN_INTEREST | JOIN_WAKER), AcqRel))
    }
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.load().fmt(f)
    }
}

#[cfg(all(test, not(loom)))]
#[path = "state_tests.rs"]
mod tests;
