//! spindle's own SeqCst fences (issue 10). Each Dekker pair between a queue push and a pop
//! (or `is_empty`) on another thread carries a fence on both sides; the loom queue stand-in
//! (`util/queue.rs`) is no stronger than crossbeam's contract (a push happens-before
//! the pop that takes its item, nothing more), so each model below fails when one fence of
//! its pair is left out (the twins). `Worker::park`'s fence is twinned in `parking.rs`.
#![cfg(loom)]

use loom::thread;
use spindle::__loom::{Due, OneWorker, Shard};
use spindle_loom_tests::{model, model_catches, Counter, Fault};

/// Far beyond the real clock (loom does not control time): a one-hour timer.
const LATE: u64 = 1 << 40;

/// The inbox hint (`Shard::push_remote`: push, fence, lower `inbox_due`; `drain_inbox`:
/// reset `inbox_due`, fence, pops). Another thread arms at tick 10 while the owner runs a
/// maintenance turn. Whatever the order, the shard's published next deadline covers the arm
/// (the drain filed it into the wheel, or the hint still shows it), so watchers look.
fn inbox_hint_remote_arm_vs_drain() {
    let shard = Shard::new();
    let s = shard.clone();
    let remote = thread::spawn(move || s.remote_arm(10, || {}));
    shard.owner_turn(None, &mut Due::new());
    let timer = remote.join().unwrap();
    assert!(
        shard.next_due() <= 10,
        "a remote arm is invisible to watchers (next_due {})",
        shard.next_due()
    );
    drop(timer);
    shard.close();
}

#[test]
fn fences_inbox_hint_remote_arm_vs_drain() {
    model(inbox_hint_remote_arm_vs_drain);
}

#[test]
fn fences_inbox_hint_catches_push_without_fence() {
    model_catches(Fault::InboxPushSkipsFence, inbox_hint_remote_arm_vs_drain);
}

#[test]
fn fences_inbox_hint_catches_reset_without_fence() {
    model_catches(Fault::InboxResetSkipsFence, inbox_hint_remote_arm_vs_drain);
}

/// The arm's `closed` re-check (`arm_remote`: push, fence, read `closed`) against the shard's
/// close at shutdown (`begin_shutdown` sets `closed`; `Shard::close` or, for a worker stuck
/// past `shutdown_timeout`, `Shard::close_outside`: fence, pops). A one-hour callback armed
/// from another thread during shutdown is cancelled, by the close or by the re-check, and
/// its closure dropped (never run).
fn arm_vs_close(outside: bool) {
    let w = OneWorker::new();
    let remote = w.remote();
    let (drops, runs) = (Counter::new(), Counter::new());
    let (g, r) = (drops.guard(), runs.clone());
    let arming = thread::spawn(move || {
        remote.arm(LATE, move || {
            drop(g);
            r.inc()
        })
    });
    w.begin_shutdown();
    if outside {
        w.close_shard_outside();
    } else {
        w.close_shard();
    }
    let timer = arming.join().unwrap();
    assert_eq!(runs.get(), 0);
    assert!(
        timer.is_cancelled() && drops.get() == 1,
        "an arm that raced the shard's close kept its closure"
    );
}

#[test]
fn fences_arm_vs_shard_close() {
    model(|| arm_vs_close(false));
}

#[test]
fn fences_arm_vs_shard_close_catches_close_without_fence() {
    model_catches(Fault::CloseSkipsFence, || arm_vs_close(false));
}

#[test]
fn fences_arm_vs_close_outside() {
    model(|| arm_vs_close(true));
}

#[test]
fn fences_arm_vs_close_outside_catches_close_without_fence() {
    model_catches(Fault::CloseOutsideSkipsFence, || arm_vs_close(true));
}

/// `Shared::push_remote`'s `closed` re-check (push, fence, notify, read `closed`, drain)
/// against shutdown (`begin_shutdown` sets `closed`; the worker exits; `finish_shutdown`:
/// fence, drain). A
/// `call_soon` from another thread during shutdown is cancelled by one of the two drains:
/// its closure is dropped, never run.
fn call_soon_vs_finish_shutdown() {
    let w = OneWorker::new();
    let remote = w.remote();
    let (drops, runs) = (Counter::new(), Counter::new());
    let (g, r) = (drops.guard(), runs.clone());
    let pushing = thread::spawn(move || {
        remote.call_soon(move || {
            drop(g);
            r.inc()
        })
    });
    w.begin_shutdown();
    // The worker exited (otherwise `finish_shutdown` also closes its shard from outside,
    // whose own fence would hide a missing one here).
    w.worker_exited();
    w.finish_shutdown();
    drop(pushing.join().unwrap());
    assert_eq!(runs.get(), 0);
    assert_eq!(
        drops.get(),
        1,
        "a unit pushed during shutdown was drained by nobody (closure leaked)"
    );
}

#[test]
fn fences_call_soon_vs_finish_shutdown() {
    model(call_soon_vs_finish_shutdown);
}

#[test]
fn fences_call_soon_vs_finish_shutdown_catches_push_without_fence() {
    model_catches(Fault::PushRemoteSkipsFence, call_soon_vs_finish_shutdown);
}

#[test]
fn fences_call_soon_vs_finish_shutdown_catches_drain_without_fence() {
    model_catches(
        Fault::FinishShutdownSkipsFence,
        call_soon_vs_finish_shutdown,
    );
}

/// The blocking pool's `closed` re-check (`Pool::submit`: push, fence, read `closed`,
/// drain) against `Pool::close` (`closed`, fence, drain). The pool is at its limit, so the
/// task waits in the queue for a busy thread: a `spawn_blocking` during the close is
/// cancelled by one of the two drains (its JoinHandle resolves), its closure dropped.
fn spawn_blocking_vs_pool_close() {
    let w = OneWorker::with_pool_at_limit();
    let remote = w.remote();
    let (drops, runs) = (Counter::new(), Counter::new());
    let (g, r) = (drops.guard(), runs.clone());
    let submitting = thread::spawn(move || {
        remote.spawn_blocking(move || {
            drop(g);
            r.inc()
        })
    });
    w.close_pool();
    let jh = submitting.join().unwrap();
    assert_eq!(runs.get(), 0);
    assert!(
        jh.is_finished() && drops.get() == 1,
        "a task submitted while the pool closed was never cancelled (its JoinHandle hangs)"
    );
}

#[test]
fn fences_spawn_blocking_vs_pool_close() {
    model(spawn_blocking_vs_pool_close);
}

#[test]
fn fences_spawn_blocking_vs_pool_close_catches_close_without_fence() {
    model_catches(Fault::PoolCloseSkipsFence, spawn_blocking_vs_pool_close);
}

#[test]
fn fences_spawn_blocking_vs_pool_close_catches_submit_without_fence() {
    model_catches(Fault::PoolSubmitSkipsFence, spawn_blocking_vs_pool_close);
}

/// The blocking pool's T5 (`Pool::work`: an exiting thread gives back its unit of `alive`,
/// fence, re-checks the queue) against a submit that finds the pool at its limit (push,
/// fence, no idle slot, `take_budget` fails). A pool of one thread with a zero keep-alive:
/// the thread runs the first task and exits as soon as the queue looks empty, while another
/// `spawn_blocking` races its exit. Both tasks run: a lost task leaves this thread waiting
/// on its JoinHandle, which loom reports as a deadlock.
fn spawn_blocking_vs_thread_exiting() {
    let w = OneWorker::with_pool(1, std::time::Duration::ZERO);
    let remote = w.remote();
    let runs = Counter::new();
    let (a, b) = (runs.clone(), runs.clone());
    let first = remote.spawn_blocking(move || a.inc());
    let second = remote.spawn_blocking(move || b.inc());
    spindle::__loom::foreign_block_on(async {
        first.await.unwrap();
        second.await.unwrap();
    });
    assert_eq!(runs.get(), 2);
    w.close_pool();
    w.wait_pool();
}

#[test]
fn fences_spawn_blocking_vs_thread_exiting() {
    model(spawn_blocking_vs_thread_exiting);
}

#[test]
fn fences_spawn_blocking_vs_thread_exiting_catches_exit_without_fence() {
    model_catches(Fault::PoolExitSkipsFence, spawn_blocking_vs_thread_exiting);
}
