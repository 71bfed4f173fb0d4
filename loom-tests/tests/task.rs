//! Path 5: the task state machine under concurrent wakes.
#![cfg(loom)]

use loom::sync::atomic::{AtomicBool, Ordering::SeqCst};
use loom::sync::Arc;
use loom::thread;
use spindle::__loom::TaskQueue;
use spindle_loom_tests::{model, model_catches, Counter, Fault};
use std::sync::Mutex as StdMutex;
use std::task::{Poll, Waker};

/// A real task whose future completes once both flags are set, and stores its waker for the
/// wakers. The checking queue (`TaskQueue`) asserts that a task is never queued twice nor
/// after completion; the future asserts it is never polled after `Ready` nor concurrently.
/// Two threads each set a flag and wake the task while the main thread runs the queue (wake
/// during poll, two wakes at once, wake after completion). The task must complete (no lost
/// wake) and run only as often as it was scheduled.
fn concurrent_wakes() {
    let q = TaskQueue::new();
    let flags = Arc::new([AtomicBool::new(false), AtomicBool::new(false)]);
    let slot: Arc<StdMutex<Option<Waker>>> = Arc::default();
    let polls = Counter::new();
    let (f, s, p) = (flags.clone(), slot.clone(), polls.clone());
    let polling = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicBool::new(false));
    let (pl, dn) = (polling.clone(), done.clone());
    let jh = q.spawn(std::future::poll_fn(move |cx| {
        assert!(!pl.swap(true, SeqCst), "polled concurrently");
        assert!(!dn.load(SeqCst), "polled after completion");
        p.inc();
        s.lock().unwrap().get_or_insert_with(|| cx.waker().clone());
        let ready = f[0].load(SeqCst) && f[1].load(SeqCst);
        dn.store(ready, SeqCst);
        pl.store(false, SeqCst);
        if ready {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }));
    assert_eq!(q.run_all(), 1);
    let waker = slot
        .lock()
        .unwrap()
        .take()
        .expect("first poll stored the waker");
    let wakers: Vec<_> = (0..2)
        .map(|i| {
            let (f, w) = (flags.clone(), waker.clone());
            thread::spawn(move || {
                f[i].store(true, SeqCst);
                w.wake();
            })
        })
        .collect();
    drop(waker);
    let mut runs = 1 + q.run_all();
    for t in wakers {
        t.join().unwrap();
    }
    runs += q.run_all();
    assert!(
        jh.is_finished(),
        "a wake was lost: the task never completed"
    );
    assert_eq!(runs, q.scheduled(), "every scheduling runs the task once");
    assert_eq!(polls.get(), runs, "runs of a not-complete task poll it");
    assert_eq!(q.released(), 1);
    drop(jh);
}

#[test]
fn task_concurrent_wakes() {
    model(concurrent_wakes);
}

#[test]
fn task_concurrent_wakes_catches_submit_while_running() {
    model_catches(Fault::NotifyRunningSubmits, concurrent_wakes);
}

#[test]
fn task_concurrent_wakes_catches_read_only_wake() {
    model_catches(Fault::NotifiedWakeReadOnly, concurrent_wakes);
}
