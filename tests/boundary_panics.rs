//! Panics and shutdown at the boundary (each once a failure found by the conformance pass):
//! panicking wakers (of JoinHandles, Sleeps, blocking tasks) and waker Drops, panicking
//! closure and payload Drops at shutdown and on cancel, other executors awaiting spindle
//! futures at shutdown, and the timer counts after shutdown.

#![allow(clippy::drop_non_drop)]

#[macro_use]
mod common;

use common::{rt, wait_until, watchdog, DropCounter};
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{mpsc, Arc};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

const LONG: Duration = Duration::from_secs(10);

rt_suite!(
    blocking_join_waker_panics,
    default_callback_handler_payload_drop_panics,
    metrics_after_shutdown,
    panicking_waker_on_join_handle_is_contained,
    panicking_waker_on_sleep_is_contained,
    waker_dropped_panicking_is_contained,
    sleep_awaited_by_foreign_executor_at_shutdown,
    drop_runtime_drops_futures_and_closures_even_if_one_panics,
);

struct PanicOnDrop;
impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            panic!("drop boom");
        }
    }
}

/// A waker that panics when woken.
struct PanickingWaker(AtomicUsize);
impl Wake for PanickingWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref()
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
        panic!("waker boom");
    }
}

/// Polls `fut` once with a waker that panics when woken.
fn poll_once_with<F: Future + Unpin>(fut: &mut F, w: &Arc<PanickingWaker>) -> Poll<F::Output> {
    let waker = Waker::from(w.clone());
    Pin::new(fut).poll(&mut Context::from_waker(&waker))
}

/// A foreign executor's waker that panics when the runtime completes the task it awaits:
/// the worker survives, the output is still delivered, and shutdown does not hang.
fn panicking_waker_on_join_handle_is_contained(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    let w = Arc::new(PanickingWaker(AtomicUsize::new(0)));
    let mut jhs: Vec<_> = (0..20u32)
        .map(|i| {
            h.spawn(async move {
                spindle::sleep(Duration::from_millis(5)).await;
                i
            })
        })
        .collect();
    for jh in &mut jhs {
        // it may already be done; either way no panic here
        let _ = poll_once_with(jh, &w);
    }
    for (i, jh) in jhs.into_iter().enumerate() {
        assert_eq!(futures::executor::block_on(jh).unwrap(), i as u32);
    }
    assert_eq!(rt.block_on(h.spawn(async { 1 })).unwrap(), 1);
    let t = Instant::now();
    drop(rt);
    assert!(t.elapsed() < Duration::from_secs(5));
}

/// A Sleep polled with a panicking waker fires on a worker; the panic is contained, the
/// timer is counted as fired, and later timers still fire.
fn panicking_waker_on_sleep_is_contained(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    let w = Arc::new(PanickingWaker(AtomicUsize::new(0)));
    let fired0 = h.metrics().timers_fired();
    let mut sleeps: Vec<_> = (0..20)
        .map(|_| Box::pin(h.sleep(Duration::from_millis(3))))
        .collect();
    for s in &mut sleeps {
        assert!(poll_once_with(s, &w).is_pending());
    }
    assert!(
        wait_until(LONG, || w.0.load(SeqCst) == 20),
        "every waker must be woken"
    );
    assert!(wait_until(LONG, || h.metrics().timers_fired() >= fired0 + 20));
    for s in &sleeps {
        assert!(s.is_elapsed());
    }
    let (tx, rx) = mpsc::channel();
    h.call_later(Duration::from_millis(2), move || tx.send(()).unwrap());
    rx.recv_timeout(LONG).unwrap();
    assert_eq!(h.metrics().workers(), workers);
    assert!(wait_until(LONG, || h.metrics().timers_pending() == 0));
}

/// A waker whose Drop panics, stored by a Sleep and a JoinHandle and then replaced or
/// dropped by the runtime, does not take anything down.
fn waker_dropped_panicking_is_contained(workers: usize) {
    struct DropBoomWaker;
    impl Wake for DropBoomWaker {
        fn wake(self: Arc<Self>) {}
    }
    impl Drop for DropBoomWaker {
        fn drop(&mut self) {
            if !std::thread::panicking() {
                panic!("waker drop boom");
            }
        }
    }
    let rt = rt(workers);
    let h = rt.handle().clone();
    for _ in 0..10 {
        let waker = Waker::from(Arc::new(DropBoomWaker));
        let mut s = Box::pin(h.sleep(Duration::from_millis(2)));
        let mut jh = h.spawn(async { spindle::sleep(Duration::from_millis(2)).await });
        assert!(s
            .as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_pending());
        let _ = Pin::new(&mut jh).poll(&mut Context::from_waker(&waker));
        // drop our own reference outside the runtime (may panic here: that is ours)
        let _ = catch_unwind(AssertUnwindSafe(|| drop(waker)));
        // the runtime wakes and drops its clones when the timers fire
        std::thread::sleep(Duration::from_millis(5));
        let _ = catch_unwind(AssertUnwindSafe(|| futures::executor::block_on(s)));
        let _ = catch_unwind(AssertUnwindSafe(|| futures::executor::block_on(jh)));
    }
    assert_eq!(rt.block_on(h.spawn(async { 2 })).unwrap(), 2);
    assert_eq!(h.metrics().workers(), workers);
    assert!(wait_until(LONG, || h.metrics().timers_pending() == 0));
}

/// Sleep, Timeout and Interval awaited on a foreign executor complete when the runtime
/// shuts down; one first polled after shutdown does not hang either.
fn sleep_awaited_by_foreign_executor_at_shutdown(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    let s = h.sleep(Duration::from_secs(3600));
    let t = h.timeout(Duration::from_secs(3600), std::future::pending::<()>());
    let mut iv = h.interval(Duration::from_secs(3600));
    let unpolled = h.sleep(Duration::from_secs(3600));
    let a = std::thread::spawn(move || futures::executor::block_on(s));
    let b = std::thread::spawn(move || futures::executor::block_on(t));
    let c = std::thread::spawn(move || {
        futures::executor::block_on(async {
            iv.tick().await; // at once
            iv.tick().await // pending until shutdown
        })
    });
    std::thread::sleep(Duration::from_millis(30));
    drop(rt);
    a.join().unwrap();
    assert!(
        b.join().unwrap().is_err(),
        "a Timeout completes as Elapsed at shutdown"
    );
    c.join().unwrap();
    futures::executor::block_on(unpolled);
    // created after shutdown through a stale handle
    futures::executor::block_on(h.sleep(Duration::from_secs(3600)));
    let r = futures::executor::block_on(h.timeout(Duration::from_secs(3600), async { 5 }));
    assert_eq!(r.ok(), Some(5), "a ready inner future still wins");
}

/// rt_common `outstanding_tasks_dropped`, with a panicking Drop among them: every other
/// pending future, queued task and pending callback is still dropped, and drop returns.
fn drop_runtime_drops_futures_and_closures_even_if_one_panics(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    let drops = DropCounter::new();
    let total = 60;
    for i in 0..total {
        let tok = drops.token();
        match i % 3 {
            0 => drop(h.spawn(async move {
                let _t = tok;
                std::future::pending::<()>().await;
            })),
            1 => drop(h.spawn(async move {
                let _t = tok;
                spindle::sleep(Duration::from_secs(3600)).await;
            })),
            _ => drop(h.call_later(Duration::from_secs(3600), move || drop(tok))),
        }
        if i % 10 == 0 {
            let g = PanicOnDrop;
            h.spawn(async move {
                let _g = g;
                std::future::pending::<()>().await;
            });
            let g = PanicOnDrop;
            h.call_later(Duration::from_secs(3600), move || drop(g));
        }
    }
    std::thread::sleep(Duration::from_millis(20));
    let t = Instant::now();
    drop(rt);
    assert!(t.elapsed() < Duration::from_secs(10));
    assert_eq!(drops.wait_for(total, Duration::from_secs(2)), total);
}

/// failure 5: cancel() of a callback whose captured data panics on Drop: the panic escapes
/// cancel() after the CAS and the bookkeeping is skipped, so timers_pending stays 1 forever.
#[test]
fn cancel_with_panicking_closure_drop_keeps_counts() {
    watchdog("cancel_panicking_drop", || {
        let rt = rt(1);
        let h = rt.handle().clone();
        let g = PanicOnDrop;
        let t = h.call_later(Duration::from_secs(3600), move || drop(g));
        let _ = catch_unwind(AssertUnwindSafe(|| t.cancel()));
        assert!(t.is_cancelled());
        assert!(
            wait_until(Duration::from_secs(2), || h.metrics().timers_pending() == 0),
            "entry leaked in the counts: {:?}",
            h.metrics()
        );
        assert!(h.metrics().timers_cancelled() >= 1);
    });
}

/// failure 6: after shutdown, timers whose closures the shutdown dropped still count as pending
/// (timers_pending stays at 11; timers_cancelled does not move).
fn metrics_after_shutdown(w: usize) {
    let rt = rt(w);
    let h = rt.handle().clone();
    for _ in 0..10 {
        h.call_later(Duration::from_secs(100), || {});
    }
    drop(h.spawn(async { spindle::sleep(Duration::from_secs(100)).await }));
    assert!(wait_until(LONG, || h.metrics().timers_pending() == 11));
    drop(rt);
    let m = h.metrics();
    assert_eq!(m.timers_pending(), 0, "{m:?}");
}

/// failure 7: with the default on_callback_panic (no hook), a callback panic payload whose Drop
/// panics is dropped outside catch_unwind in report_callback_panic: the worker dies, later
/// work hangs.
fn default_callback_handler_payload_drop_panics(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    for _ in 0..10 {
        h.call_soon(|| std::panic::panic_any(PanicOnDrop));
    }
    std::thread::sleep(Duration::from_millis(50));
    let hs: Vec<_> = (0..40).map(|i| h.spawn(async move { i })).collect();
    for jh in hs {
        rt.block_on(jh).unwrap();
    }
    let (tx, rx) = mpsc::channel();
    for _ in 0..20 {
        let tx = tx.clone();
        h.call_later(Duration::from_millis(1), move || tx.send(()).unwrap());
    }
    for _ in 0..20 {
        rx.recv_timeout(LONG).unwrap();
    }
}

/// failure 1 again, on the blocking pool: the JoinHandle waker panics when the blocking task
/// completes (task/core.rs `complete`): the pool thread dies without giving its slot back, so
/// with max_blocking_threads(1) the next blocking task never runs.
struct PW(AtomicUsize);
impl Wake for PW {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
        panic!("waker boom");
    }
}
fn blocking_join_waker_panics(workers: usize) {
    let rt = spindle::Builder::new()
        .worker_threads(workers)
        .max_blocking_threads(1)
        .build()
        .unwrap();
    let h = rt.handle().clone();
    let pw = Arc::new(PW(AtomicUsize::new(0)));
    let waker = Waker::from(pw.clone());
    let mut jh = h.spawn_blocking(|| std::thread::sleep(Duration::from_millis(20)));
    assert!(Pin::new(&mut jh)
        .poll(&mut Context::from_waker(&waker))
        .is_pending());
    assert!(common::wait_until(LONG, || pw.0.load(SeqCst) == 1));
    let jh2 = h.spawn_blocking(|| 4);
    assert_eq!(futures::executor::block_on(jh2).unwrap(), 4);
    let t = Instant::now();
    drop(rt);
    assert!(t.elapsed() < Duration::from_secs(5));
}
