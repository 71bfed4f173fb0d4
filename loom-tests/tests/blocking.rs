//! Path 11: the blocking pool's submit racing a pool thread going idle (`blocking::pool`).
#![cfg(loom)]

use spindle::Builder;
use spindle_loom_tests::{model_catches_within, model_within, Counter, Fault};

/// A runtime with one worker and a pool of at most one thread. The first `spawn_blocking`
/// starts the thread; the second races it while it finishes the first task and goes idle
/// (publish its slot, fence, re-check the queue, park), with the pool at its limit, so the
/// task is only run if the submitter finds the idle slot or the thread finds the task. Both
/// run exactly once; a lost wakeup leaves the `block_on` thread and the pool thread parked,
/// which loom reports as a deadlock.
fn submit_vs_thread_going_idle() {
    let rt = Builder::new()
        .worker_threads(1)
        .max_blocking_threads(1)
        .build()
        .unwrap();
    let runs = Counter::new();
    let (a, b) = (runs.clone(), runs.clone());
    let first = rt.handle().spawn_blocking(move || a.inc());
    let second = rt.handle().spawn_blocking(move || b.inc());
    rt.block_on(async {
        first.await.unwrap();
        second.await.unwrap();
    });
    assert_eq!(runs.get(), 2);
    drop(rt);
}

/// This model is a whole runtime (a worker, a pool thread, the `block_on` thread and
/// shutdown), and since the loom queue stand-in is lock-free (issue 10) the third preemption
/// costs it about 8 minutes on 2 cores (510 s measured, against 26 s at 2), more than the
/// rest of the suite together. Every seeded bug of this model is caught at 2, so the model
/// and its twins run at 2; `LOOM_MAX_PREEMPTIONS` lower than 2 still lowers it.
const BOUND: usize = 2;

#[test]
fn blocking_submit_vs_thread_going_idle() {
    model_within(BOUND, submit_vs_thread_going_idle);
}

#[test]
fn blocking_submit_vs_idle_catches_missing_recheck() {
    model_catches_within(
        Fault::PoolIdleSkipsRecheck,
        BOUND,
        submit_vs_thread_going_idle,
    );
}

/// T2's fence (slot published, fence, queue re-check) against S1's (push, fence, pop the idle
/// slots): without it the thread may miss the task while the submitter misses the slot (at
/// 3 this twin took minutes to reach the bug; at 2, seconds).
#[test]
fn blocking_submit_vs_idle_catches_missing_idle_fence() {
    model_catches_within(
        Fault::PoolIdleSkipsFence,
        BOUND,
        submit_vs_thread_going_idle,
    );
}
