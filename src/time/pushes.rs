//! Per-thread count of inbox pushes, for `Shard::push_remote`'s drain batch (issue 12).
//!
//! The pusher used to count on a shared per-shard `AtomicUsize` (one RMW per arm and one
//! per unlink, plus the drainer's subtraction). Counted per thread instead, in a plain
//! `Cell`: every `INBOX_DRAIN_BATCH` pushes of one thread, that thread files the inbox it is
//! pushing to (`reclaim_inbox`) or unparks its owner. The bound it keeps: a thread's ops wait
//! undrained for at most a batch of its own pushes after its last successful filing (each
//! filing drains every thread's ops on that shard), and outside threads keep arming on one
//! home shard (`util::rand::home`), so memory stays flat under remote arm/cancel churn.

use std::cell::Cell;

// `const`-initialized and destructor-free, as `scheduler::context`'s `WORKER`: one load and
// one store per push, no lazy-init check. loom's macro has no `const` form.
#[cfg(not(loom))]
std::thread_local! {
    static PUSHES: Cell<usize> = const { Cell::new(0) };
}
#[cfg(loom)]
loom::thread_local! {
    static PUSHES: Cell<usize> = Cell::new(0);
}

/// Counts one push by this thread; returns its pushes since its last filing, this one included.
#[inline]
pub(crate) fn count() -> usize {
    PUSHES.with(|p| {
        let n = p.get().wrapping_add(1);
        p.set(n);
        n
    })
}

/// This thread just filed an inbox: its batch starts over.
#[inline]
pub(crate) fn reset() {
    PUSHES.with(|p| p.set(0));
}
