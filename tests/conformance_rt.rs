//! Acceptance tests modelled on what tokio's runtime and task tests check (`rt_common.rs`,
//! `rt_threaded.rs`, `rt_handle*.rs`, `task_abort.rs`, `task_blocking.rs`, `task_join*.rs`),
//! plus failures at the boundary: other executors awaiting spindle futures at shutdown,
//! panicking Drops and wakers, outside threads while a worker is stuck.

#![allow(clippy::drop_non_drop)]

#[macro_use]
mod common;

use common::{panic_message, rt, wait_until, watchdog, DropCounter};
use spindle::{Handle, JoinHandle};
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{mpsc, Arc, Mutex};
use std::task::{Context, Poll, Waker};

use std::time::{Duration, Instant};

const LONG: Duration = Duration::from_secs(10);

rt_suite!(
    spawn_two_and_join_in_any_order,
    join_handle_output_dropped_when_handle_dropped,
    panicking_output_drop_is_contained,
    abort_task_that_panics_on_drop_is_contained,
    abort_pending_sleep_reclaims_timer,
    abort_is_idempotent_and_from_other_thread,
    abort_self_from_inside_task,
    abort_running_blocking_task_keeps_value,
    panic_payload_kinds_reach_join_handle,
    nested_block_on_in_task_panics_clearly,
    block_on_in_callback_panics_and_worker_survives,
    handle_current_everywhere_inside_runtime,
    spawn_from_foreign_thread_while_worker_stuck,
    foreign_thread_calls_do_not_block_on_stuck_worker,
    join_handle_awaited_by_foreign_executor_at_shutdown,
    deferred_awaited_by_foreign_executor_promise_in_dropped_task,
    spawn_blocking_nested_and_from_foreign_thread,
    spawn_blocking_can_block_on_task_via_channel,
    metrics_tasks_spawned_counts_exactly,
    many_yields_all_complete,
    timer_futures_first_polled_after_shutdown_complete,
    drop_runtime_drops_tasks_even_if_one_future_panics_on_drop,
    wake_while_runtime_is_dropping,
    shutdown_concurrent_with_wakes_from_another_thread,
    wake_from_worker_thread_local_destructor,
    thread_local_destructor_on_worker_uses_handle,
    runtime_in_thread_local_dropped_at_thread_exit,
    tasks_on_two_runtimes_wake_each_other,
    shutdown_timeout_zero_blocking,
    drop_rt_in_own_callback,
    drop_rt_in_other_rt_task,
    block_on_inside_spawn_blocking,
    cancel_racing_shutdown_exactly_once,
    spawn_racing_shutdown_exactly_once,
    set_result_vs_cancel_race,
    callback_runs_or_drops_exactly_once_under_shutdown,
    blocking_fifo_with_one_thread,
    abort_is_finished,
    detached_task_panic_payload_drop_panics,
    output_drop_panics_when_joinhandle_dropped_before_completion,
    queued_blocking_with_panicking_drop_at_shutdown,
    blocking_output_panicking_drop_detached,
    handle_current_in_hooks,
    join_handle_waker_update,
);

/// Like rt_common `spawn_two`: two tasks, joined in reverse order of spawning.
fn spawn_two_and_join_in_any_order(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    let (tx, rx) = futures::channel::oneshot::channel::<u32>();
    let a = h.spawn(async move { rx.await.unwrap() * 2 });
    let b = h.spawn(async move {
        tx.send(21).unwrap();
        "b"
    });
    let (ra, rb) = rt.block_on(async move { (a.await, b.await) });
    assert_eq!((ra.unwrap(), rb.unwrap()), (42, "b"));
}

/// A detached task's output is dropped (exactly once), by the runtime.
fn join_handle_output_dropped_when_handle_dropped(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    let drops = DropCounter::new();
    for _ in 0..100 {
        let tok = drops.token();
        drop(h.spawn(async move { tok }));
    }
    // and the same when the handle is dropped after completion
    for _ in 0..100 {
        let tok = drops.token();
        let jh = h.spawn(async move { tok });
        assert!(wait_until(LONG, || jh.is_finished()));
        drop(jh);
    }
    assert_eq!(drops.wait_for(200, LONG), 200);
}

struct PanicOnDrop;
impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            panic!("drop boom");
        }
    }
}

/// tokio `test_join_error_panic_drop`-like: a task output whose Drop panics, dropped by the
/// runtime because the JoinHandle was detached, does not take a worker down.
fn panicking_output_drop_is_contained(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    for _ in 0..20 {
        drop(h.spawn(async { PanicOnDrop }));
    }
    // the workers still run everything afterwards
    let hs: Vec<_> = (0..100).map(|i| h.spawn(async move { i })).collect();
    let sum: u64 = rt.block_on(async move {
        let mut s = 0;
        for jh in hs {
            s += jh.await.unwrap();
        }
        s
    });
    assert_eq!(sum, 4950);
    assert_eq!(h.metrics().workers(), workers);
}

/// task_abort `test_abort_task_that_panics_on_drop_contained` / `_returned`: aborting a
/// task whose future panics on drop resolves its JoinHandle (cancelled or panic) and the
/// runtime keeps going.
fn abort_task_that_panics_on_drop_is_contained(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    let (started_tx, started_rx) = mpsc::channel();
    let jh = h.spawn(async move {
        let _guard = PanicOnDrop;
        started_tx.send(()).unwrap();
        std::future::pending::<()>().await;
    });
    started_rx.recv_timeout(LONG).unwrap();
    jh.abort();
    let err = rt.block_on(jh).unwrap_err();
    assert!(err.is_cancelled() || err.is_panic(), "{err:?}");
    // the same when it was never polled
    let jh = h.spawn({
        let g = PanicOnDrop;
        async move {
            let _g = g;
        }
    });
    jh.abort();
    let _ = rt.block_on(jh);
    assert_eq!(rt.block_on(h.spawn(async { 5 })).unwrap(), 5);
}

/// Aborting a task parked on a long sleep drops the Sleep and with it its timer.
fn abort_pending_sleep_reclaims_timer(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    let drops = DropCounter::new();
    let mut hs = Vec::new();
    for _ in 0..50 {
        let tok = drops.token();
        hs.push(h.spawn(async move {
            let _tok = tok;
            spindle::sleep(Duration::from_secs(3600)).await;
        }));
    }
    assert!(wait_until(LONG, || h.metrics().timers_pending() == 50));
    let cancelled_before = h.metrics().timers_cancelled();
    for jh in &hs {
        jh.abort();
    }
    for jh in hs {
        assert!(rt.block_on(jh).unwrap_err().is_cancelled());
    }
    assert_eq!(drops.wait_for(50, LONG), 50);
    assert!(wait_until(LONG, || h.metrics().timers_pending() == 0));
    assert!(h.metrics().timers_cancelled() >= cancelled_before + 50);
}

/// abort() twice, from another thread, and on a finished task: all harmless.
fn abort_is_idempotent_and_from_other_thread(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    let jh = Arc::new(Mutex::new(Some(h.spawn(std::future::pending::<()>()))));
    let j2 = jh.clone();
    std::thread::spawn(move || {
        let g = j2.lock().unwrap();
        g.as_ref().unwrap().abort();
        g.as_ref().unwrap().abort();
    })
    .join()
    .unwrap();
    let jh = jh.lock().unwrap().take().unwrap();
    jh.abort();
    let err = rt.block_on(jh).unwrap_err();
    assert!(err.is_cancelled() && !err.is_panic());
    let done = h.spawn(async { 3 });
    assert!(wait_until(LONG, || done.is_finished()));
    done.abort();
    assert_eq!(rt.block_on(done).unwrap(), 3);
}

/// A task that aborts itself while running is cancelled at its next yield point: code after
/// that point never runs and its future (with what it owns) is dropped.
fn abort_self_from_inside_task(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    let slot: Arc<Mutex<Option<JoinHandle<()>>>> = Arc::new(Mutex::new(None));
    let after = Arc::new(AtomicBool::new(false));
    let drops = DropCounter::new();
    let (go_tx, go_rx) = futures::channel::oneshot::channel::<()>();
    let (s, a, tok) = (slot.clone(), after.clone(), drops.token());
    let jh = h.spawn(async move {
        let _tok = tok;
        go_rx.await.unwrap();
        let me = s.lock().unwrap().take().unwrap();
        me.abort();
        spindle::yield_now().await;
        a.store(true, SeqCst);
    });
    *slot.lock().unwrap() = Some(jh);
    go_tx.send(()).unwrap();
    assert_eq!(drops.wait_for(1, LONG), 1);
    std::thread::sleep(Duration::from_millis(10));
    assert!(
        !after.load(SeqCst),
        "code after the yield ran in an aborted task"
    );
}

/// task_blocking / tokio docs: aborting a blocking task that is already running has no
/// effect; its JoinHandle yields the value.
fn abort_running_blocking_task_keeps_value(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    let (started_tx, started_rx) = mpsc::channel();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let jh = h.spawn_blocking(move || {
        started_tx.send(()).unwrap();
        go_rx.recv().unwrap();
        99
    });
    started_rx.recv_timeout(LONG).unwrap();
    jh.abort();
    go_tx.send(()).unwrap();
    assert_eq!(rt.block_on(jh).unwrap(), 99);
}

/// Panics with &str, String and a custom payload all arrive intact through into_panic, from
/// tasks and from blocking tasks; is_cancelled is false for them.
fn panic_payload_kinds_reach_join_handle(workers: usize) {
    #[derive(Debug, PartialEq)]
    struct Custom(u32);
    let rt = rt(workers);
    let h = rt.handle().clone();
    let e1 = rt
        .block_on(h.spawn(async { panic!("static str") }))
        .unwrap_err();
    let e2 = rt
        .block_on(h.spawn(async { panic!("{}", String::from("owned")) }))
        .unwrap_err();
    let e3 = rt
        .block_on(h.spawn(async { std::panic::panic_any(Custom(7)) }))
        .unwrap_err();
    let e4 = rt
        .block_on(h.spawn_blocking(|| -> () { panic!("blocking") }))
        .unwrap_err();
    for e in [&e1, &e2, &e3, &e4] {
        assert!(e.is_panic() && !e.is_cancelled());
        assert!(!e.to_string().is_empty());
    }
    assert_eq!(
        panic_message(&*e1.into_panic()).as_deref(),
        Some("static str")
    );
    assert_eq!(panic_message(&*e2.into_panic()).as_deref(), Some("owned"));
    assert_eq!(e3.into_panic().downcast_ref::<Custom>(), Some(&Custom(7)));
    assert_eq!(
        panic_message(&*e4.into_panic()).as_deref(),
        Some("blocking")
    );
}

/// rt_common `nested_rt` / `create_rt_in_block_on`: block_on of *another* runtime from a
/// task of this one panics with a clear message (the task's JoinError carries it).
fn nested_block_on_in_task_panics_clearly(workers: usize) {
    let rt = rt(workers);
    let other = Arc::new(common::rt(1));
    let o = other.clone();
    let err = rt
        .block_on(rt.handle().spawn(async move { o.block_on(async { 1 }) }))
        .unwrap_err();
    assert!(err.is_panic());
    let msg = panic_message(&*err.into_panic()).unwrap_or_default();
    assert!(msg.contains("block_on"), "unclear message: {msg:?}");
    // and from inside block_on of the same runtime, via the other runtime
    let o = other.clone();
    let r = catch_unwind(AssertUnwindSafe(|| {
        rt.block_on(async { o.block_on(async { 2 }) })
    }));
    let msg = panic_message(&*r.unwrap_err()).unwrap_or_default();
    assert!(msg.contains("block_on"), "unclear message: {msg:?}");
    // both runtimes still work
    assert_eq!(rt.block_on(async { 3 }), 3);
    assert_eq!(other.block_on(async { 4 }), 4);
}

/// block_on inside a timer callback panics; the panic reaches on_callback_panic with the
/// message, and the worker keeps running.
fn block_on_in_callback_panics_and_worker_survives(workers: usize) {
    let msgs = Arc::new(Mutex::new(Vec::new()));
    let m = msgs.clone();
    let rt = Arc::new(
        spindle::Builder::new()
            .worker_threads(workers)
            .on_callback_panic(move |p| m.lock().unwrap().push(panic_message(&*p)))
            .build()
            .unwrap(),
    );
    let other = Arc::new(common::rt(1));
    let o = other.clone();
    rt.handle().call_soon(move || {
        o.block_on(async {});
    });
    assert!(wait_until(LONG, || msgs.lock().unwrap().len() == 1));
    let msg = msgs.lock().unwrap()[0].clone().unwrap_or_default();
    assert!(msg.contains("block_on"), "unclear message: {msg:?}");
    assert_eq!(rt.block_on(rt.handle().spawn(async { 1 })).unwrap(), 1);
}

/// rt_handle: Handle::current works in tasks, callbacks, blocking tasks and block_on, and
/// always names the runtime it runs on; try_current is None again once block_on returns.
fn handle_current_everywhere_inside_runtime(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    let probe = || Handle::current().metrics().workers();
    assert_eq!(rt.block_on(async move { probe() }), workers);
    assert_eq!(
        rt.block_on(h.spawn(async move { probe() })).unwrap(),
        workers
    );
    assert_eq!(rt.block_on(h.spawn_blocking(probe)).unwrap(), workers);
    let (tx, rx) = mpsc::channel();
    h.call_later(Duration::from_millis(1), move || tx.send(probe()).unwrap());
    assert_eq!(rx.recv_timeout(LONG).unwrap(), workers);
    assert!(Handle::try_current().is_none());
    // a different runtime's tasks see their own runtime
    let other = common::rt(3);
    let got = rt.block_on(async { other.handle().spawn(async move { probe() }).await });
    assert_eq!(got.unwrap(), 3);
}

/// rt_threaded `spawn_from_other_thread_*` with every worker stuck in a long poll: the
/// spawn returns at once, and the task runs once a worker is free.
fn spawn_from_foreign_thread_while_worker_stuck(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    let release = Arc::new(AtomicBool::new(false));
    let stuck = Arc::new(AtomicUsize::new(0));
    for _ in 0..workers {
        let (r, s) = (release.clone(), stuck.clone());
        h.spawn(async move {
            s.fetch_add(1, SeqCst);
            while !r.load(SeqCst) {
                std::thread::sleep(Duration::from_millis(1));
            }
        });
    }
    assert!(wait_until(LONG, || stuck.load(SeqCst) == workers));
    let h2 = h.clone();
    let t = Instant::now();
    let jh = std::thread::spawn(move || h2.spawn(async { 11 }))
        .join()
        .unwrap();
    assert!(
        t.elapsed() < Duration::from_secs(2),
        "spawn blocked on a stuck worker"
    );
    assert!(!jh.is_finished());
    release.store(true, SeqCst);
    assert_eq!(futures::executor::block_on(jh).unwrap(), 11);
}

/// While the only/every worker is stuck, outside threads' call_later, cancel, create_future,
/// set_result, metrics and abort return at once (no lock held by the stuck worker), and a
/// remote cancel drops the closure promptly.
fn foreign_thread_calls_do_not_block_on_stuck_worker(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    let release = Arc::new(AtomicBool::new(false));
    let stuck = Arc::new(AtomicUsize::new(0));
    // timers armed on the workers' own shards before they get stuck
    let drops = DropCounter::new();
    let (tx, rx) = mpsc::channel();
    for _ in 0..workers {
        let (r, s, tok, tx) = (release.clone(), stuck.clone(), drops.token(), tx.clone());
        h.spawn(async move {
            let t = spindle::call_later(Duration::from_secs(3600), move || drop(tok));
            tx.send(t).unwrap();
            s.fetch_add(1, SeqCst);
            while !r.load(SeqCst) {
                std::thread::sleep(Duration::from_millis(1));
            }
        });
    }
    let timers: Vec<_> = (0..workers)
        .map(|_| rx.recv_timeout(LONG).unwrap())
        .collect();
    assert!(wait_until(LONG, || stuck.load(SeqCst) == workers));
    let h2 = h.clone();
    let worker = std::thread::spawn(move || {
        let t0 = Instant::now();
        for t in &timers {
            assert!(t.cancel());
        }
        let later = h2.call_later(Duration::from_millis(1), || {});
        let (p, d) = h2.create_future::<u8>();
        p.set_result(1).unwrap();
        assert!(d.is_done());
        let _ = h2.metrics();
        let jh = h2.spawn(std::future::pending::<()>());
        jh.abort();
        (t0.elapsed(), later, jh)
    });
    let (took, later, jh) = worker.join().unwrap();
    assert!(
        took < Duration::from_secs(2),
        "outside calls blocked: {took:?}"
    );
    // promptly: while the owners are still stuck
    assert_eq!(drops.wait_for(workers, Duration::from_secs(2)), workers);
    release.store(true, SeqCst);
    assert!(futures::executor::block_on(jh).unwrap_err().is_cancelled());
    assert!(wait_until(LONG, || later.when() <= h.time()));
}

/// A JoinHandle awaited by a foreign executor when the runtime is dropped resolves as
/// cancelled (never hangs).
fn join_handle_awaited_by_foreign_executor_at_shutdown(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    let jh = h.spawn(async { spindle::sleep(Duration::from_secs(3600)).await });
    let waiter = std::thread::spawn(move || futures::executor::block_on(jh));
    std::thread::sleep(Duration::from_millis(20));
    drop(rt);
    assert!(waiter.join().unwrap().unwrap_err().is_cancelled());
}

/// A Deferred awaited on a foreign executor whose Promise lives in a task that is dropped at
/// shutdown resolves to Cancelled.
fn deferred_awaited_by_foreign_executor_promise_in_dropped_task(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    let (p, d) = h.create_future::<u8>();
    h.spawn(async move {
        let _p = p;
        std::future::pending::<()>().await;
    });
    let waiter = std::thread::spawn(move || futures::executor::block_on(d));
    std::thread::sleep(Duration::from_millis(20));
    drop(rt);
    assert!(waiter.join().unwrap().is_err());
}

/// task_blocking: spawn_blocking from a blocking task and from an outside thread.
fn spawn_blocking_nested_and_from_foreign_thread(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    let inner = rt
        .block_on(h.spawn_blocking(|| {
            let jh = spindle::spawn_blocking(|| 6);
            futures::executor::block_on(jh).unwrap() * 7
        }))
        .unwrap();
    assert_eq!(inner, 42);
    let h2 = h.clone();
    let jh = std::thread::spawn(move || h2.spawn_blocking(|| "outside"))
        .join()
        .unwrap();
    assert_eq!(futures::executor::block_on(jh).unwrap(), "outside");
}

/// task_blocking `blocking_when_paused`-free variant: a blocking task waits on a channel fed
/// by an async task; the workers are not needed by the blocking thread and vice versa.
fn spawn_blocking_can_block_on_task_via_channel(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    let (tx, rx) = mpsc::channel();
    let b = h.spawn_blocking(move || rx.recv_timeout(LONG).unwrap());
    let a = h.spawn(async move {
        spindle::sleep(Duration::from_millis(5)).await;
        tx.send(8).unwrap();
    });
    rt.block_on(a).unwrap();
    assert_eq!(rt.block_on(b).unwrap(), 8);
}

/// tasks_spawned counts exactly the tasks spawned (from block_on, tasks and outside).
fn metrics_tasks_spawned_counts_exactly(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    let before = h.metrics().tasks_spawned();
    let hs: Vec<_> = (0..10).map(|_| h.spawn(async {})).collect();
    rt.block_on(async move {
        for jh in hs {
            jh.await.unwrap();
        }
        let inner: Vec<_> = (0..5).map(|_| spindle::spawn(async {})).collect();
        for jh in inner {
            jh.await.unwrap();
        }
    });
    let h2 = h.clone();
    std::thread::spawn(move || {
        for _ in 0..5 {
            drop(h2.spawn(async {}));
        }
    })
    .join()
    .unwrap();
    assert_eq!(h.metrics().tasks_spawned() - before, 20);
    let m = h.metrics();
    let _ = format!("{:?}", m.clone());
    let _ = m.steals();
}

/// rt_common `yield_many`-like: many tasks each yielding many times all finish.
fn many_yields_all_complete(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    let count = Arc::new(AtomicUsize::new(0));
    let hs: Vec<_> = (0..50)
        .map(|_| {
            let c = count.clone();
            h.spawn(async move {
                for _ in 0..200 {
                    spindle::yield_now().await;
                    c.fetch_add(1, SeqCst);
                }
            })
        })
        .collect();
    rt.block_on(async move {
        for jh in hs {
            jh.await.unwrap();
        }
    });
    assert_eq!(count.load(SeqCst), 50 * 200);
}

/// Dropping the runtime from an outside thread while a task on it is stuck returns within
/// shutdown_timeout, and the stuck task's other state is not leaked once it returns.
#[test]
fn shutdown_timeout_with_stuck_task_and_pending_timer() {
    watchdog("shutdown_timeout_stuck", || {
        let rt = rt(2);
        let h = rt.handle().clone();
        let drops = DropCounter::new();
        let tok = drops.token();
        h.call_later(Duration::from_secs(3600), move || drop(tok));
        let release = Arc::new(AtomicBool::new(false));
        let r = release.clone();
        let (tx, rx) = mpsc::channel();
        h.spawn(async move {
            tx.send(()).unwrap();
            while !r.load(SeqCst) {
                std::thread::sleep(Duration::from_millis(1));
            }
        });
        rx.recv_timeout(LONG).unwrap();
        let t = Instant::now();
        rt.shutdown_timeout(Duration::from_millis(200));
        assert!(t.elapsed() < Duration::from_secs(3));
        release.store(true, SeqCst);
        assert_eq!(drops.wait_for(1, Duration::from_secs(5)), 1);
        // the handle is inert but safe
        let jh = h.spawn(async { 1 });
        assert!(futures::executor::block_on(jh).unwrap_err().is_cancelled());
        assert!(h.call_soon(|| {}).is_cancelled());
    });
}

/// One call that must panic outside a runtime.
type Check = Box<dyn FnOnce() + Send>;

/// Handle::current outside any runtime panics with the documented clear message.
#[test]
fn free_functions_outside_runtime_panic_clearly() {
    watchdog("free_fn_outside", || {
        let checks: Vec<(&str, Check)> = vec![
            ("spawn", Box::new(|| drop(spindle::spawn(async {})))),
            ("call_soon", Box::new(|| drop(spindle::call_soon(|| {})))),
            (
                "spawn_blocking",
                Box::new(|| drop(spindle::spawn_blocking(|| {}))),
            ),
            (
                "interval",
                Box::new(|| drop(spindle::interval(Duration::from_secs(1)))),
            ),
            (
                "call_every",
                Box::new(|| drop(spindle::call_every(Duration::from_secs(1), || {}))),
            ),
            ("current", Box::new(|| drop(Handle::current()))),
        ];
        for (what, f) in checks {
            let err = catch_unwind(AssertUnwindSafe(f)).expect_err(what);
            let msg = panic_message(&*err).unwrap_or_default();
            assert!(msg.contains("runtime"), "{what}: unclear message {msg:?}");
        }
    });
}

/// Sleep, Timeout, Interval and call_every made before shutdown but first polled after it,
/// or made through a stale Handle after it, complete (never hang).
fn timer_futures_first_polled_after_shutdown_complete(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    let unpolled = h.sleep(Duration::from_secs(3600));
    let every = h.call_every(Duration::from_secs(3600), || {});
    drop(rt);
    futures::executor::block_on(unpolled);
    assert!(
        every.is_cancelled(),
        "a periodic timer is cancelled by shutdown"
    );
    futures::executor::block_on(h.sleep(Duration::from_secs(3600)));
    let r = futures::executor::block_on(h.timeout(Duration::from_secs(3600), async { 5 }));
    assert_eq!(r.ok(), Some(5), "a ready inner future still wins");
    let mut iv = h.interval(Duration::from_secs(3600));
    futures::executor::block_on(async {
        iv.tick().await;
        iv.tick().await;
    });
}

/// rt_common `outstanding_tasks_dropped` with a task future whose Drop panics among them:
/// every other pending or queued task future is still dropped, and drop returns.
fn drop_runtime_drops_tasks_even_if_one_future_panics_on_drop(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    let drops = DropCounter::new();
    for i in 0..60 {
        let tok = drops.token();
        if i % 2 == 0 {
            drop(h.spawn(async move {
                let _t = tok;
                std::future::pending::<()>().await;
            }));
        } else {
            drop(h.spawn(async move {
                let _t = tok;
                spindle::sleep(Duration::from_secs(3600)).await;
            }));
        }
        if i % 10 == 0 {
            let g = PanicOnDrop;
            h.spawn(async move {
                let _g = g;
                std::future::pending::<()>().await;
            });
        }
    }
    std::thread::sleep(Duration::from_millis(20));
    let t = Instant::now();
    drop(rt);
    assert!(t.elapsed() < Duration::from_secs(10));
    assert_eq!(drops.wait_for(60, Duration::from_secs(2)), 60);
}

/// tokio's Runtime, Handle and JoinHandle are UnwindSafe + RefUnwindSafe, so tests and users
/// write `catch_unwind(|| rt.block_on(..))` without `AssertUnwindSafe`; spindle's must be too.
#[test]
fn handles_are_unwind_safe_like_tokio() {
    fn unwind_safe<T: std::panic::UnwindSafe + std::panic::RefUnwindSafe>() {}
    unwind_safe::<spindle::Runtime>();
    unwind_safe::<Handle>();
    unwind_safe::<JoinHandle<u8>>();
    unwind_safe::<spindle::JoinError>();
    unwind_safe::<spindle::TimerHandle>();
    unwind_safe::<spindle::Sleep>();
    unwind_safe::<spindle::Timeout<std::future::Ready<u8>>>();
    unwind_safe::<spindle::Interval>();
    unwind_safe::<spindle::Promise<u8>>();
    unwind_safe::<spindle::Deferred<u8>>();
    watchdog("unwind_safe", || {
        let rt = rt(1);
        let h = rt.handle().clone();
        let r = catch_unwind(|| rt.block_on(async { panic!("in block_on") }));
        assert!(r.is_err());
        let r = catch_unwind(|| h.spawn(async { 1 }));
        assert_eq!(rt.block_on(r.unwrap()).unwrap(), 1);
        // the runtime is still usable after a panic escaped block_on
        assert_eq!(rt.block_on(async { 2 }), 2);
    });
}

/// Runs a closure when dropped.
struct RunOnDrop<F: FnMut()>(F);
impl<F: FnMut()> Drop for RunOnDrop<F> {
    fn drop(&mut self) {
        (self.0)()
    }
}

/// rt_common `wake_while_rt_is_dropping`: two parked tasks whose Drops wake each other while
/// the runtime drops them; drop returns and both futures are dropped.
fn wake_while_runtime_is_dropping(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    let (tx1, rx1) = futures::channel::oneshot::channel::<()>();
    let (tx2, rx2) = futures::channel::oneshot::channel::<()>();
    let polled = Arc::new(AtomicUsize::new(0));
    let drops = DropCounter::new();
    for (tx, rx) in [(tx2, rx1), (tx1, rx2)] {
        let (p, tok) = (polled.clone(), drops.token());
        h.spawn(async move {
            let _tok = tok;
            let mut tx = Some(tx);
            let _d = RunOnDrop(move || {
                let _ = tx.take().unwrap().send(());
            });
            p.fetch_add(1, SeqCst);
            let _ = rx.await;
        });
    }
    assert!(wait_until(LONG, || polled.load(SeqCst) == 2));
    drop(rt);
    assert_eq!(drops.wait_for(2, LONG), 2);
}

/// rt_common `shutdown_concurrent_spawn`: thousands of parked tasks are woken from another
/// thread while the runtime is being dropped.
fn shutdown_concurrent_with_wakes_from_another_thread(workers: usize) {
    for _ in 0..3 {
        let rt = rt(workers);
        let h = rt.handle().clone();
        let mut txs = Vec::new();
        for _ in 0..2000 {
            let (tx, rx) = futures::channel::oneshot::channel::<()>();
            txs.push(tx);
            h.spawn(async move {
                let _ = rx.await;
            });
        }
        rt.block_on(spindle::yield_now());
        let (go_tx, go_rx) = mpsc::channel();
        let th = std::thread::spawn(move || {
            go_tx.send(()).unwrap();
            for tx in txs {
                let _ = tx.send(());
            }
        });
        go_rx.recv().unwrap();
        drop(rt);
        th.join().unwrap();
    }
}

/// rt_common `wake_from_thread_local`: a task's waker kept in a worker's thread-local is
/// woken (by value and by reference) while that thread-local is destroyed at worker exit.
fn wake_from_worker_thread_local_destructor(workers: usize) {
    use std::cell::RefCell;
    struct TlData {
        by_ref: bool,
        waker: Option<Waker>,
        done: mpsc::Sender<bool>,
    }
    impl Drop for TlData {
        fn drop(&mut self) {
            let w = self.waker.take().unwrap();
            if self.by_ref {
                w.wake_by_ref();
            } else {
                w.wake();
            }
            let _ = self.done.send(true);
        }
    }
    std::thread_local! {
        static TL: RefCell<Option<TlData>> = const { RefCell::new(None) };
    }
    for by_ref in [true, false] {
        let (done, recv) = mpsc::channel();
        let rt = rt(workers);
        let h = rt.handle().clone();
        rt.block_on(h.spawn(futures::future::poll_fn(move |cx| {
            let data = TlData {
                by_ref,
                waker: Some(cx.waker().clone()),
                done: done.clone(),
            };
            TL.with(|tl| tl.replace(Some(data)));
            Poll::Ready(())
        })))
        .unwrap();
        drop(rt);
        assert!(recv.recv_timeout(LONG).unwrap());
    }
}

/// A thread-local destructor on a worker thread that spawns through a captured Handle and
/// asks for the current runtime (the runtime's own thread-locals may be gone by then).
fn thread_local_destructor_on_worker_uses_handle(workers: usize) {
    use std::cell::RefCell;
    struct Late(Handle, mpsc::Sender<bool>);
    impl Drop for Late {
        fn drop(&mut self) {
            let _ = Handle::try_current();
            let jh = self.0.spawn(async {});
            let _ = self.0.call_soon(|| {});
            drop(jh);
            let _ = self.1.send(true);
        }
    }
    std::thread_local! {
        static TL: RefCell<Option<Late>> = const { RefCell::new(None) };
    }
    let (tx, rx) = mpsc::channel();
    let rt = rt(workers);
    let h = rt.handle().clone();
    let h2 = h.clone();
    rt.block_on(h.spawn(async move {
        TL.with(|tl| tl.replace(Some(Late(h2, tx))));
    }))
    .unwrap();
    drop(rt);
    assert!(rx.recv_timeout(LONG).unwrap());
}

/// rt_common `runtime_in_thread_local`: a Runtime kept in a thread-local is dropped when its
/// thread exits, with another runtime alive on the same thread.
fn runtime_in_thread_local_dropped_at_thread_exit(workers: usize) {
    use std::cell::RefCell;
    std::thread_local! {
        static R: RefCell<Option<spindle::Runtime>> = const { RefCell::new(None) };
    }
    let drops = DropCounter::new();
    let d = drops.clone();
    std::thread::spawn(move || {
        R.with(|cell| {
            let rt = common::rt(workers);
            let tok = d.token();
            rt.handle().spawn(async move {
                let _t = tok;
                std::future::pending::<()>().await;
            });
            *cell.borrow_mut() = Some(rt);
        });
        let other = common::rt(1);
        assert_eq!(other.block_on(async { 1 }), 1);
    })
    .join()
    .unwrap();
    assert_eq!(drops.wait_for(1, LONG), 1);
}

/// rt_threaded `multi_threadpool`: a task on one runtime wakes a task on another.
fn tasks_on_two_runtimes_wake_each_other(workers: usize) {
    let a = rt(workers);
    let b = rt(workers);
    let (tx, rx) = futures::channel::oneshot::channel::<u32>();
    let (tx2, rx2) = futures::channel::oneshot::channel::<u32>();
    let jb = b.handle().spawn(async move {
        let v = rx.await.unwrap();
        tx2.send(v + 1).unwrap();
    });
    let ja = a.handle().spawn(async move {
        spindle::sleep(Duration::from_millis(5)).await;
        tx.send(1).unwrap();
        rx2.await.unwrap()
    });
    assert_eq!(a.block_on(ja).unwrap(), 2);
    b.block_on(jb).unwrap();
}

/// rt_common `shutdown_timeout_0`: shutdown_timeout(0) with a running blocking task returns
/// at once.
fn shutdown_timeout_zero_blocking(workers: usize) {
    let rt = rt(workers);
    let (tx, rx) = mpsc::channel();
    rt.handle().spawn_blocking(move || {
        tx.send(()).unwrap();
        std::thread::sleep(Duration::from_secs(3));
    });
    rx.recv().unwrap();
    let t = Instant::now();
    rt.shutdown_timeout(Duration::ZERO);
    assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
}

/// A timer callback that holds the last reference to its runtime and drops it: the drop
/// completes, other pending closures are dropped, and the stale handle is inert.
fn drop_rt_in_own_callback(workers: usize) {
    let rt = Arc::new(rt(workers));
    let h = rt.handle().clone();
    let (tx, rx) = mpsc::channel();
    let r2 = rt.clone();
    let drops = DropCounter::new();
    let tok = drops.token();
    h.call_later(Duration::from_secs(100), move || drop(tok));
    h.call_later(Duration::from_millis(5), move || {
        drop(r2);
        tx.send(()).unwrap();
    });
    drop(rt);
    rx.recv_timeout(LONG)
        .expect("callback that dropped its runtime did not finish");
    assert_eq!(drops.wait_for(1, LONG), 1);
    let jh = h.spawn(async { 1 });
    assert!(futures::executor::block_on(jh).unwrap_err().is_cancelled());
}

/// task_blocking `useful_panic_message_when_dropping_rt_in_rt`: dropping a runtime inside a
/// task of another one either works or panics with a clear message; it never hangs and the
/// outer runtime keeps working. (tokio panics here; spindle may shut down in place.)
fn drop_rt_in_other_rt_task(workers: usize) {
    let a = rt(workers);
    let b = rt(workers);
    let r = catch_unwind(AssertUnwindSafe(|| {
        a.block_on(a.handle().spawn(async move {
            drop(b);
            1
        }))
    }));
    match r {
        Ok(Ok(v)) => assert_eq!(v, 1),
        Ok(Err(e)) => {
            let msg = panic_message(&*e.into_panic()).unwrap_or_default();
            assert!(msg.contains("runtime"), "unclear message: {msg:?}");
        }
        Err(p) => panic!("the panic escaped the task: {:?}", panic_message(&*p)),
    }
    assert_eq!(a.block_on(a.handle().spawn(async { 2 })).unwrap(), 2);
}

/// rt_handle / task_blocking: `block_on` from a blocking-pool thread of the same runtime
/// (not a worker, not inside block_on) works.
fn block_on_inside_spawn_blocking(workers: usize) {
    let rt = Arc::new(rt(workers));
    let r = rt.clone();
    let jh = rt.handle().spawn_blocking(move || {
        r.block_on(async {
            spindle::sleep(Duration::from_millis(2)).await;
            5
        })
    });
    assert_eq!(futures::executor::block_on(jh).unwrap(), 5);
}

/// Cancels from another thread racing runtime drop: every closure is dropped exactly once.
fn cancel_racing_shutdown_exactly_once(workers: usize) {
    for _ in 0..5 {
        let rt = rt(workers);
        let h = rt.handle().clone();
        let drops = DropCounter::new();
        let ran = Arc::new(AtomicUsize::new(0));
        let mut hs = Vec::new();
        for i in 0..2000u64 {
            let tok = drops.token();
            let r = ran.clone();
            hs.push(h.call_later(Duration::from_micros(i * 3), move || {
                r.fetch_add(1, SeqCst);
                drop(tok);
            }));
        }
        let th = std::thread::spawn(move || hs.iter().filter(|t| t.cancel()).count());
        drop(rt);
        let _won = th.join().unwrap();
        assert_eq!(drops.wait_for(2000, LONG), 2000);
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(drops.get(), 2000);
    }
}

/// Spawns from three threads racing runtime drop: every future is dropped exactly once
/// (completed or discarded), none twice, none leaked.
fn spawn_racing_shutdown_exactly_once(workers: usize) {
    for _ in 0..5 {
        let rt = rt(workers);
        let h = rt.handle().clone();
        let drops = DropCounter::new();
        let mut ths = Vec::new();
        for _ in 0..3 {
            let h = h.clone();
            let d = drops.clone();
            ths.push(std::thread::spawn(move || {
                for _ in 0..1000 {
                    let tok = d.token();
                    let jh = h.spawn(async move {
                        spindle::yield_now().await;
                        drop(tok)
                    });
                    drop(jh);
                }
            }));
        }
        std::thread::sleep(Duration::from_millis(1));
        drop(rt);
        for t in ths {
            t.join().unwrap();
        }
        assert_eq!(drops.wait_for(3000, LONG), 3000);
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(drops.get(), 3000);
    }
}

/// set_result racing Deferred::cancel on another thread: exactly one of them wins.
fn set_result_vs_cancel_race(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    for _ in 0..2000 {
        let (p, d) = h.create_future::<u32>();
        let d = Arc::new(d);
        let d2 = d.clone();
        let go = Arc::new(AtomicBool::new(false));
        let g2 = go.clone();
        let t = std::thread::spawn(move || {
            while !g2.load(SeqCst) {}
            d2.cancel()
        });
        go.store(true, SeqCst);
        let set = p.set_result(1).is_ok();
        let cancelled = t.join().unwrap();
        assert!(set ^ cancelled, "set {set} cancelled {cancelled}");
        assert!(d.is_done());
    }
}

/// call_later from three threads racing runtime drop: each closure runs or is dropped,
/// exactly once.
fn callback_runs_or_drops_exactly_once_under_shutdown(workers: usize) {
    for _ in 0..5 {
        let rt = rt(workers);
        let h = rt.handle().clone();
        let drops = DropCounter::new();
        let mut ths = Vec::new();
        for _ in 0..3 {
            let h = h.clone();
            let d = drops.clone();
            ths.push(std::thread::spawn(move || {
                for i in 0..1000u64 {
                    let tok = d.token();
                    h.call_later(Duration::from_micros(i % 50), move || drop(tok));
                }
            }));
        }
        std::thread::sleep(Duration::from_millis(1));
        drop(rt);
        for t in ths {
            t.join().unwrap();
        }
        assert_eq!(drops.wait_for(3000, LONG), 3000);
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(drops.get(), 3000);
    }
}

/// task_blocking: with one blocking thread, blocking tasks run in submission order.
fn blocking_fifo_with_one_thread(workers: usize) {
    let rt = spindle::Builder::new()
        .worker_threads(workers)
        .max_blocking_threads(1)
        .build()
        .unwrap();
    let h = rt.handle().clone();
    let log = Arc::new(Mutex::new(Vec::new()));
    let hs: Vec<_> = (0..50)
        .map(|i| {
            let l = log.clone();
            h.spawn_blocking(move || l.lock().unwrap().push(i))
        })
        .collect();
    for jh in hs {
        futures::executor::block_on(jh).unwrap();
    }
    assert_eq!(*log.lock().unwrap(), (0..50).collect::<Vec<_>>());
}

/// is_finished becomes true after abort, and the result is cancelled.
fn abort_is_finished(workers: usize) {
    let rt = rt(workers);
    let jh = rt.handle().spawn(std::future::pending::<()>());
    assert!(!jh.is_finished());
    jh.abort();
    assert!(wait_until(LONG, || jh.is_finished()));
    assert!(rt.block_on(jh).unwrap_err().is_cancelled());
}

/// A detached task panics with a payload whose Drop panics too: the runtime drops the
/// payload without losing a worker.
fn detached_task_panic_payload_drop_panics(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    for _ in 0..10 {
        drop(h.spawn(async { std::panic::panic_any(PanicOnDrop) }));
    }
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(rt.block_on(h.spawn(async { 1 })).unwrap(), 1);
    assert_eq!(h.metrics().workers(), workers);
    let hs: Vec<_> = (0..40).map(|i| h.spawn(async move { i })).collect();
    for jh in hs {
        rt.block_on(jh).unwrap();
    }
}

/// A task detached before it completes returns an output whose Drop panics: the runtime drops
/// it and keeps all its workers.
fn output_drop_panics_when_joinhandle_dropped_before_completion(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    for _ in 0..10 {
        drop(h.spawn(async {
            spindle::sleep(Duration::from_millis(2)).await;
            PanicOnDrop
        }));
    }
    std::thread::sleep(Duration::from_millis(50));
    let hs: Vec<_> = (0..40).map(|i| h.spawn(async move { i })).collect();
    for jh in hs {
        rt.block_on(jh).unwrap();
    }
}

/// Queued (not started) blocking closures, some panicking on Drop, are all dropped at
/// shutdown, exactly once, and drop returns.
fn queued_blocking_with_panicking_drop_at_shutdown(workers: usize) {
    let rt = spindle::Builder::new()
        .worker_threads(workers)
        .max_blocking_threads(1)
        .build()
        .unwrap();
    let h = rt.handle().clone();
    let (tx, rx) = mpsc::channel();
    let (gtx, grx) = mpsc::channel::<()>();
    h.spawn_blocking(move || {
        tx.send(()).unwrap();
        let _ = grx.recv_timeout(Duration::from_millis(200));
    });
    rx.recv().unwrap();
    let drops = DropCounter::new();
    for i in 0..10 {
        let tok = drops.token();
        let g = if i % 3 == 0 { Some(PanicOnDrop) } else { None };
        drop(h.spawn_blocking(move || {
            let _ = (&tok, &g);
        }));
    }
    let t = Instant::now();
    drop(rt);
    drop(gtx);
    assert!(t.elapsed() < Duration::from_secs(5));
    assert_eq!(drops.wait_for(10, LONG), 10);
}

/// Detached blocking tasks return outputs whose Drop panics: the pool thread survives and
/// runs the next task (one thread only, so a lost thread would hang it).
fn blocking_output_panicking_drop_detached(workers: usize) {
    let rt = spindle::Builder::new()
        .worker_threads(workers)
        .max_blocking_threads(1)
        .build()
        .unwrap();
    let h = rt.handle().clone();
    for _ in 0..5 {
        drop(h.spawn_blocking(|| PanicOnDrop));
    }
    let jh = h.spawn_blocking(|| 3);
    assert_eq!(futures::executor::block_on(jh).unwrap(), 3);
    let t = Instant::now();
    drop(rt);
    assert!(t.elapsed() < Duration::from_secs(5));
}

/// Thread hooks run inside the runtime: Handle::try_current is Some in on_thread_start, and
/// on_thread_stop may spawn and arm timers during shutdown without hanging.
fn handle_current_in_hooks(workers: usize) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (s1, s2) = (seen.clone(), seen.clone());
    let rt = spindle::Builder::new()
        .worker_threads(workers)
        .on_thread_start(move || {
            s1.lock()
                .unwrap()
                .push(("start", spindle::Handle::try_current().is_some()))
        })
        .on_thread_stop(move || {
            let h = spindle::Handle::try_current();
            if let Some(h) = h {
                let t = h.call_later(Duration::from_millis(1), || {});
                let _ = t;
                drop(h.spawn(async {}));
            }
            s2.lock().unwrap().push(("stop", true));
        })
        .build()
        .unwrap();
    rt.block_on(rt.handle().spawn_blocking(|| ())).unwrap();
    drop(rt);
    let v = seen.lock().unwrap().clone();
    assert!(
        v.iter().filter(|e| e.0 == "start").all(|e| e.1),
        "no runtime in on_thread_start: {v:?}"
    );
    assert!(v.iter().filter(|e| e.0 == "stop").count() >= workers);
}

/// A JoinHandle polled once with one waker, then awaited on another executor, wakes the
/// latest waker.
fn join_handle_waker_update(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    let (tx, rx) = futures::channel::oneshot::channel::<u8>();
    let mut jh = h.spawn(async move { rx.await.unwrap() });
    let noop = futures::task::noop_waker_ref();
    assert!(Pin::new(&mut jh)
        .poll(&mut Context::from_waker(noop))
        .is_pending());
    let t = std::thread::spawn(move || futures::executor::block_on(jh));
    std::thread::sleep(Duration::from_millis(20));
    tx.send(3).unwrap();
    assert_eq!(t.join().unwrap().unwrap(), 3);
}

/// Every signature in /work/shared/API.md (outside net, hyper, enter and virtual time), as
/// function pointers of the exact types, so a renamed or re-typed item fails to compile here.
#[test]
fn api_signatures_match_the_contract() {
    use spindle::*;
    use std::future::Future;
    use std::time::{Duration, Instant};
    watchdog("api_signatures", || {
        let _: fn() -> Builder = Builder::new;
        let _: fn(&mut Builder, usize) -> &mut Builder = Builder::worker_threads;
        let _: fn(&mut Builder, Duration) -> &mut Builder = Builder::timer_tick;
        let _: fn(&mut Builder, usize) -> &mut Builder = Builder::max_blocking_threads;
        let _: fn(&mut Builder, Duration) -> &mut Builder = Builder::thread_keep_alive;
        let _: fn(&mut Builder) -> std::io::Result<Runtime> = Builder::build;
        let _: fn() -> std::io::Result<Runtime> = Runtime::new;
        let _: fn(&Runtime) -> &Handle = Runtime::handle;
        let _: fn(Runtime, Duration) = Runtime::shutdown_timeout;
        let _: fn() -> Handle = Handle::current;
        let _: fn() -> Option<Handle> = Handle::try_current;
        let _: fn(&Handle) -> Instant = Handle::time;
        let _: fn(&Handle, Duration) -> Sleep = Handle::sleep;
        let _: fn(&Handle, Instant) -> Sleep = Handle::sleep_until;
        let _: fn(&Handle) -> RuntimeMetrics = Handle::metrics;
        let _: fn(&Handle, Duration) -> Interval = Handle::interval;
        let _: fn(&Handle, Instant, Duration) -> Interval = Handle::interval_at;
        let _: fn(Duration) -> Interval = interval;
        let _: fn(Instant, Duration) -> Interval = interval_at;
        let _: fn(Duration) -> Sleep = sleep;
        let _: fn(Instant) -> Sleep = sleep_until;
        let _: fn() -> Option<usize> = worker_index;
        let _: fn(&TimerHandle) -> bool = TimerHandle::cancel;
        let _: fn(&TimerHandle) -> bool = TimerHandle::is_cancelled;
        let _: fn(&TimerHandle) -> Instant = TimerHandle::when;
        let _: fn(&Sleep) -> Instant = Sleep::deadline;
        let _: fn(&Sleep) -> bool = Sleep::is_elapsed;
        let _: fn(std::pin::Pin<&mut Sleep>, Instant) = Sleep::reset;
        let _: fn(&JoinHandle<u8>) = JoinHandle::<u8>::abort;
        let _: fn(&JoinHandle<u8>) -> bool = JoinHandle::<u8>::is_finished;
        let _: fn(&JoinError) -> bool = JoinError::is_cancelled;
        let _: fn(&JoinError) -> bool = JoinError::is_panic;
        let _: fn(JoinError) -> Box<dyn std::any::Any + Send> = JoinError::into_panic;
        let _: fn(Promise<u8>, u8) -> Result<(), u8> = Promise::<u8>::set_result;
        let _: fn(&Promise<u8>) -> bool = Promise::<u8>::is_cancelled;
        let _: fn(&Deferred<u8>) -> bool = Deferred::<u8>::cancel;
        let _: fn(&Deferred<u8>) -> bool = Deferred::<u8>::is_done;
        let _: fn(&RuntimeMetrics) -> usize = RuntimeMetrics::workers;
        let _: fn(&RuntimeMetrics) -> u64 = RuntimeMetrics::timers_pending;
        let _: fn(&RuntimeMetrics) -> u64 = RuntimeMetrics::timers_fired;
        let _: fn(&RuntimeMetrics) -> u64 = RuntimeMetrics::timers_cancelled;
        let _: fn(&RuntimeMetrics) -> u64 = RuntimeMetrics::tasks_spawned;
        let _: fn(&RuntimeMetrics) -> u64 = RuntimeMetrics::steals;
        let _: fn(&mut Interval) = Interval::reset;
        let _: fn(&Interval) -> Duration = Interval::period;
        let _: fn(&Interval) -> MissedTickBehavior = Interval::missed_tick_behavior;
        let _: fn(&mut Interval, MissedTickBehavior) = Interval::set_missed_tick_behavior;
        let _: fn(&mut Interval, &mut std::task::Context<'_>) -> std::task::Poll<Instant> =
            Interval::poll_tick;
        fn out<F: Future<Output = O>, O>(_: &F) {}
        let rt = Runtime::new().unwrap();
        let h = rt.handle().clone();
        let t = h.timeout(Duration::from_millis(1), async { 1u8 });
        out::<_, Result<u8, Elapsed>>(&t);
        let _: &Timeout<_> = &t;
        let d = h.create_future::<u8>().1;
        out::<_, Result<u8, Cancelled>>(&d);
        let j = h.spawn(async { 1u8 });
        out::<_, Result<u8, JoinError>>(&j);
        out::<_, ()>(&yield_now());
        let mut iv = h.interval(Duration::from_millis(1));
        rt.block_on(async {
            let _: Instant = iv.tick().await;
        });
        let _: TimerHandle = h.call_every(Duration::from_secs(1), || {});
        let b: JoinHandle<u8> = h.spawn_blocking(|| 1u8);
        assert_eq!(rt.block_on(b).unwrap(), 1);
        let _ = MissedTickBehavior::default() == MissedTickBehavior::Skip;
        let _: std::io::Result<Runtime> = Builder::new()
            .on_thread_start(|| {})
            .on_thread_stop(|| {})
            .thread_name("x")
            .on_callback_panic(|_| {})
            .build();
    });
}
