//! Path 6: a JoinHandle racing the task's completion (drop, abort).
#![cfg(loom)]

use loom::thread;
use spindle::__loom::TaskQueue;
use spindle_loom_tests::{model, model_catches, Counter, Fault};

/// The JoinHandle is dropped on another thread while the task runs to completion. The
/// output is dropped exactly once (by the runner if the handle is gone, or by the handle if
/// the output is already stored), the future exactly once, and the stage cell is never
/// touched by both (loom checks the cell).
fn drop_vs_complete() {
    let q = TaskQueue::new();
    let (fut_drops, out_drops) = (Counter::new(), Counter::new());
    let (g, o) = (fut_drops.guard(), out_drops.clone());
    let jh = q.spawn(async move {
        let _g = g;
        o.guard()
    });
    let dropper = thread::spawn(move || drop(jh));
    q.run_all();
    dropper.join().unwrap();
    assert_eq!(fut_drops.get(), 1, "future dropped exactly once");
    assert_eq!(
        out_drops.get(),
        1,
        "output dropped exactly once, before the task is freed"
    );
    assert_eq!(q.released(), 1);
}

#[test]
fn join_drop_vs_complete() {
    model(drop_vs_complete);
}

#[test]
fn join_drop_vs_complete_catches_drop_ignoring_complete() {
    model_catches(Fault::DropJoinIgnoresComplete, drop_vs_complete);
}

/// `abort()` then await on another thread while the task runs. The handle resolves to the
/// output or to a cancelled error; the output exists (and is dropped once) only in the first
/// case; the future is dropped exactly once either way.
fn abort_vs_complete() {
    let q = TaskQueue::new();
    let (fut_drops, out_drops) = (Counter::new(), Counter::new());
    let (g, o) = (fut_drops.guard(), out_drops.clone());
    let jh = q.spawn(async move {
        let _g = g;
        o.guard()
    });
    let aborter = thread::spawn(move || {
        jh.abort();
        match loom::future::block_on(jh) {
            Ok(out) => {
                drop(out);
                true
            }
            Err(e) => {
                assert!(e.is_cancelled());
                false
            }
        }
    });
    q.run_all();
    let got_output = aborter.join().unwrap();
    q.run_all();
    assert_eq!(fut_drops.get(), 1, "future dropped exactly once");
    assert_eq!(
        out_drops.get(),
        usize::from(got_output),
        "output dropped exactly once"
    );
    assert_eq!(q.released(), 1);
}

#[test]
fn join_abort_vs_complete() {
    model(abort_vs_complete);
}

/// `abort()` on another thread while the task's future, which never completes by itself, is
/// being polled. The aborting thread also runs the queue (a second worker) and then awaits
/// the handle: it resolves to a cancelled error (the abort is never lost, or the await
/// deadlocks) and the future is dropped exactly once.
fn abort_vs_pending_poll() {
    let q = TaskQueue::new();
    let fut_drops = Counter::new();
    let g = fut_drops.guard();
    let jh = q.spawn(async move {
        let _g = g;
        std::future::pending::<()>().await
    });
    let q2 = q.clone();
    let aborter = thread::spawn(move || {
        jh.abort();
        q2.run_all();
        let err = loom::future::block_on(jh).unwrap_err();
        assert!(err.is_cancelled());
    });
    q.run_all();
    aborter.join().unwrap();
    assert_eq!(fut_drops.get(), 1, "future dropped exactly once");
    assert_eq!(q.released(), 1);
}

#[test]
fn join_abort_vs_pending_poll() {
    model(abort_vs_pending_poll);
}

#[test]
fn join_abort_vs_pending_poll_catches_abort_without_notify() {
    model_catches(Fault::AbortRunningNoNotify, abort_vs_pending_poll);
}
