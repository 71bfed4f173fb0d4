//! Cooperative budget: a task that keeps finding its inputs ready (a JoinHandle of a finished
//! task, a fired timer, a set Deferred) would otherwise never return to its worker. Each task
//! poll gets `BUDGET` ready results from spindle's own futures; past that they report
//! `Pending` after waking the task, which sends it to the back of the run queue.

use std::cell::Cell;
use std::task::{Context, Poll};

const BUDGET: u32 = 128;
const UNCONSTRAINED: u32 = u32::MAX;

crate::loom::thread_local! {
    static REMAINING: Cell<u32> = Cell::new(UNCONSTRAINED);
}

/// Runs `f` (a task poll) with a fresh budget, restoring the previous one after.
pub(crate) fn budget<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(u32);
    impl Drop for Restore {
        fn drop(&mut self) {
            REMAINING.with(|r| r.set(self.0));
        }
    }
    let _restore = Restore(REMAINING.with(|r| r.replace(BUDGET)));
    f()
}

/// Spends one unit; `Pending` (after waking) when the budget is used up.
pub(crate) fn poll_proceed(cx: &mut Context<'_>) -> Poll<()> {
    REMAINING.with(|r| {
        let left = r.get();
        if left == 0 {
            cx.waker().wake_by_ref();
            Poll::Pending
        } else {
            if left != UNCONSTRAINED {
                r.set(left - 1);
            }
            Poll::Ready(())
        }
    })
}
