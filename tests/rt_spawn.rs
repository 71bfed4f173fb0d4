//! Scheduler core: spawn/join, nested spawn, spawning from many threads, parking, abort,
//! panics, JoinHandle on foreign executors, yield_now fairness, Handle::current, metrics.
//! Shapes follow tokio's tests/rt_common.rs, rt_threaded.rs and task_abort.rs.

// `drop(x)` marks the exact moment a runtime / handle goes away; with types that have no
// drop glue (e.g. a signature-only build) clippy would flag these.
#![allow(clippy::drop_non_drop)]

#[macro_use]
mod common;

use common::{panic_message, rt, wait_until, watchdog, DropCounter, XorShift};
use spindle::{Handle, JoinError, JoinHandle, Runtime};
use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

rt_suite!(
    spawn_and_join,
    block_on_returns_value,
    block_on_drives_pending_io_from_other_thread,
    spawn_from_block_on_with_free_fn,
    nested_spawn_chain,
    spawn_tree_from_tasks,
    spawn_many_from_block_on,
    spawn_100k_from_4_outside_threads,
    spawn_storm_while_workers_park,
    concurrent_spawn_storm_from_threads,
    join_handle_from_plain_thread_block_on,
    join_handle_is_finished,
    dropping_join_handle_detaches,
    abort_before_first_poll,
    abort_while_pending,
    abort_while_running,
    abort_after_completion_keeps_value,
    abort_wakes_task_awaiting_handle,
    panicking_task_reports_panic,
    panicking_task_string_payload,
    yield_now_does_not_starve_other_task,
    self_waking_task_does_not_starve_other_task,
    handle_current_inside_task,
    handle_current_inside_block_on,
    spawn_via_handle_current_in_task,
    block_on_inside_worker_panics,
    thread_name_prefix_visible_in_task,
    metrics_workers_and_tasks_spawned,
    wakes_from_many_threads,
    waking_completed_task_is_noop,
    ping_pong_between_tasks,
    join_error_display_and_error_trait,
);

// ---------------------------------------------------------------------------------------------
// helpers

/// A future that resolves once `flag` is set; registers its waker in `slot` so another thread
/// can wake it.
struct FlagFuture {
    flag: Arc<AtomicBool>,
    slot: Arc<Mutex<Option<Waker>>>,
}

impl Future for FlagFuture {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        *self.slot.lock().unwrap() = Some(cx.waker().clone());
        if self.flag.load(Ordering::SeqCst) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

fn join_all_blocking<T>(handles: Vec<JoinHandle<T>>) -> Vec<Result<T, JoinError>> {
    handles
        .into_iter()
        .map(futures::executor::block_on)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// suite (run with 1 and 4 workers)

fn spawn_and_join(workers: usize) {
    let rt = rt(workers);
    let jh = rt.handle().spawn(async { 40 + 2 });
    assert_eq!(rt.block_on(jh).expect("task must succeed"), 42);
}

fn block_on_returns_value(workers: usize) {
    let rt = rt(workers);
    let v = rt.block_on(async { String::from("hello") });
    assert_eq!(v, "hello");
    // block_on may be called repeatedly on the same runtime.
    for i in 0..10 {
        assert_eq!(rt.block_on(async move { i * 2 }), i * 2);
    }
}

fn block_on_drives_pending_io_from_other_thread(workers: usize) {
    let rt = rt(workers);
    let (tx, rx) = futures::channel::oneshot::channel::<u32>();
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(20));
        tx.send(7).unwrap();
    });
    assert_eq!(rt.block_on(rx).unwrap(), 7);
    t.join().unwrap();
}

fn spawn_from_block_on_with_free_fn(workers: usize) {
    let rt = rt(workers);
    let v = rt.block_on(async {
        let a = spindle::spawn(async { 1u64 });
        let b = spindle::spawn(async { 2u64 });
        a.await.unwrap() + b.await.unwrap()
    });
    assert_eq!(v, 3);
}

fn nested_spawn_chain(workers: usize) {
    fn chain(depth: u32) -> Pin<Box<dyn Future<Output = u32> + Send>> {
        Box::pin(async move {
            if depth == 0 {
                0
            } else {
                spindle::spawn(chain(depth - 1)).await.unwrap() + 1
            }
        })
    }
    let rt = rt(workers);
    let jh = rt.handle().spawn(chain(50));
    assert_eq!(rt.block_on(jh).unwrap(), 50);
}

fn spawn_tree_from_tasks(workers: usize) {
    // Each task spawns 4 children down to depth 5: 1 + 4 + ... + 4^5 = 1365 tasks.
    fn node(depth: u32, count: Arc<AtomicUsize>) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        Box::pin(async move {
            count.fetch_add(1, Ordering::SeqCst);
            if depth > 0 {
                let children: Vec<_> = (0..4)
                    .map(|_| spindle::spawn(node(depth - 1, count.clone())))
                    .collect();
                for c in children {
                    c.await.unwrap();
                }
            }
        })
    }
    let rt = rt(workers);
    let count = Arc::new(AtomicUsize::new(0));
    rt.block_on(rt.handle().spawn(node(5, count.clone())))
        .unwrap();
    assert_eq!(count.load(Ordering::SeqCst), 1365);
}

fn spawn_many_from_block_on(workers: usize) {
    let rt = rt(workers);
    let count = Arc::new(AtomicUsize::new(0));
    let c2 = count.clone();
    let sum = rt.block_on(async move {
        let handles: Vec<_> = (0..2000u64)
            .map(|i| {
                let c = c2.clone();
                spindle::spawn(async move {
                    c.fetch_add(1, Ordering::SeqCst);
                    i
                })
            })
            .collect();
        let mut sum = 0;
        for h in handles {
            sum += h.await.unwrap();
        }
        sum
    });
    assert_eq!(count.load(Ordering::SeqCst), 2000);
    assert_eq!(sum, (0..2000u64).sum::<u64>());
}

fn spawn_100k_from_4_outside_threads(workers: usize) {
    const PER_THREAD: usize = 25_000;
    const THREADS: usize = 4;
    let rt = rt(workers);
    let slots: Arc<Vec<AtomicUsize>> = Arc::new(
        (0..PER_THREAD * THREADS)
            .map(|_| AtomicUsize::new(0))
            .collect(),
    );
    let barrier = Arc::new(Barrier::new(THREADS));
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let handle = rt.handle().clone();
            let slots = slots.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                let handles: Vec<_> = (0..PER_THREAD)
                    .map(|i| {
                        let slots = slots.clone();
                        let idx = t * PER_THREAD + i;
                        handle.spawn(async move {
                            slots[idx].fetch_add(1, Ordering::SeqCst);
                            idx
                        })
                    })
                    .collect();
                for (i, r) in join_all_blocking(handles).into_iter().enumerate() {
                    assert_eq!(r.expect("task failed"), t * PER_THREAD + i);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let wrong: Vec<(usize, usize)> = slots
        .iter()
        .enumerate()
        .map(|(i, s)| (i, s.load(Ordering::SeqCst)))
        .filter(|&(_, n)| n != 1)
        .take(10)
        .collect();
    assert!(
        wrong.is_empty(),
        "tasks not run exactly once (index, runs): {wrong:?}"
    );
    assert!(rt.handle().metrics().tasks_spawned() >= (PER_THREAD * THREADS) as u64);
}

fn spawn_storm_while_workers_park(workers: usize) {
    // Workers go idle (and park) between rounds; a spawn racing with parking must not be lost.
    let rt = rt(workers);
    let handle = rt.handle().clone();
    let mut rng = XorShift::new(0x5eed);
    let count = Arc::new(AtomicUsize::new(0));
    let mut expected = 0;
    for round in 0..300 {
        let n = 1 + rng.below(4) as usize;
        let hs: Vec<_> = (0..n)
            .map(|_| {
                let c = count.clone();
                handle.spawn(async move {
                    c.fetch_add(1, Ordering::SeqCst);
                })
            })
            .collect();
        expected += n;
        for r in join_all_blocking(hs) {
            r.unwrap();
        }
        assert_eq!(count.load(Ordering::SeqCst), expected, "round {round}");
        // Vary the idle gap so that spawns land before, during and after parking.
        match rng.below(4) {
            0 => {}
            1 => std::thread::yield_now(),
            2 => std::thread::sleep(Duration::from_micros(200)),
            _ => std::thread::sleep(Duration::from_millis(2)),
        }
    }
}

fn concurrent_spawn_storm_from_threads(workers: usize) {
    let rt = rt(workers);
    let count = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..4u64)
        .map(|t| {
            let handle = rt.handle().clone();
            let count = count.clone();
            std::thread::spawn(move || {
                let mut rng = XorShift::new(t + 1);
                for _ in 0..100 {
                    let hs: Vec<_> = (0..1 + rng.below(8))
                        .map(|_| {
                            let c = count.clone();
                            handle.spawn(async move {
                                // Tasks that spawn tasks, to mix local and remote queues.
                                let c2 = c.clone();
                                spindle::spawn(async move {
                                    c2.fetch_add(1, Ordering::SeqCst);
                                })
                                .await
                                .unwrap();
                                c.fetch_add(1, Ordering::SeqCst);
                            })
                        })
                        .collect();
                    let n = hs.len();
                    for r in join_all_blocking(hs) {
                        r.unwrap();
                    }
                    if rng.below(3) == 0 {
                        std::thread::sleep(Duration::from_micros(300 * n as u64));
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert!(count.load(Ordering::SeqCst) >= 800);
    assert_eq!(count.load(Ordering::SeqCst) % 2, 0);
}

fn join_handle_from_plain_thread_block_on(workers: usize) {
    let rt = rt(workers);
    let (tx, rx) = futures::channel::oneshot::channel::<()>();
    let jh = rt.handle().spawn(async move {
        rx.await.unwrap();
        "done"
    });
    // Await the JoinHandle from an entirely different executor on a plain thread; the task
    // completes only after that thread is already waiting.
    let waiter = std::thread::spawn(move || futures::executor::block_on(jh));
    std::thread::sleep(Duration::from_millis(30));
    tx.send(()).unwrap();
    assert_eq!(waiter.join().unwrap().unwrap(), "done");
}

fn join_handle_is_finished(workers: usize) {
    let rt = rt(workers);
    let (tx, rx) = futures::channel::oneshot::channel::<u8>();
    let jh = rt.handle().spawn(async move { rx.await.unwrap() });
    std::thread::sleep(Duration::from_millis(20));
    assert!(
        !jh.is_finished(),
        "task waiting on a channel reported finished"
    );
    tx.send(9).unwrap();
    assert!(
        wait_until(Duration::from_secs(5), || jh.is_finished()),
        "is_finished never became true"
    );
    assert_eq!(futures::executor::block_on(jh).unwrap(), 9);
}

fn dropping_join_handle_detaches(workers: usize) {
    let rt = rt(workers);
    let ran = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = futures::channel::oneshot::channel::<()>();
    let r2 = ran.clone();
    let jh = rt.handle().spawn(async move {
        rx.await.unwrap();
        r2.fetch_add(1, Ordering::SeqCst);
    });
    drop(jh);
    tx.send(()).unwrap();
    assert!(
        wait_until(Duration::from_secs(5), || ran.load(Ordering::SeqCst) == 1),
        "detached task did not keep running after its JoinHandle was dropped"
    );
}

fn abort_before_first_poll(workers: usize) {
    let rt = rt(workers);
    // Occupy every worker with a blocking task so the target cannot be polled yet.
    let started = Arc::new(AtomicUsize::new(0));
    let release = Arc::new(AtomicBool::new(false));
    let blockers: Vec<_> = (0..workers)
        .map(|_| {
            let started = started.clone();
            let release = release.clone();
            rt.handle().spawn(async move {
                started.fetch_add(1, Ordering::SeqCst);
                // Blocks the worker thread until released (at most 10 s).
                let until = Instant::now() + Duration::from_secs(10);
                while !release.load(Ordering::SeqCst) && Instant::now() < until {
                    std::thread::sleep(Duration::from_millis(1));
                }
            })
        })
        .collect();
    assert!(
        wait_until(Duration::from_secs(5), || started.load(Ordering::SeqCst)
            == workers),
        "not all {workers} workers picked up a blocking task (started: {})",
        started.load(Ordering::SeqCst)
    );
    let drops = DropCounter::new();
    let polled = Arc::new(AtomicBool::new(false));
    let token = drops.token();
    let p2 = polled.clone();
    let target = rt.handle().spawn(async move {
        let _token = token;
        p2.store(true, Ordering::SeqCst);
        1
    });
    target.abort();
    release.store(true, Ordering::SeqCst);
    let res = futures::executor::block_on(target);
    let err = res.expect_err("aborted-before-poll task must yield a JoinError");
    assert!(err.is_cancelled(), "expected cancelled, got {err:?}");
    assert!(!err.is_panic());
    assert!(!polled.load(Ordering::SeqCst), "aborted task was polled");
    assert_eq!(
        drops.wait_for(1, Duration::from_secs(1)),
        1,
        "aborted future not dropped"
    );
    for b in join_all_blocking(blockers) {
        b.unwrap();
    }
}

fn abort_while_pending(workers: usize) {
    let rt = rt(workers);
    let drops = DropCounter::new();
    let token = drops.token();
    let started = Arc::new(AtomicBool::new(false));
    let s2 = started.clone();
    let jh = rt.handle().spawn(async move {
        let _token = token;
        s2.store(true, Ordering::SeqCst);
        futures::future::pending::<()>().await;
    });
    assert!(wait_until(Duration::from_secs(5), || started.load(Ordering::SeqCst)));
    assert_eq!(drops.get(), 0);
    jh.abort();
    let err = futures::executor::block_on(jh).expect_err("aborted task must fail");
    assert!(err.is_cancelled(), "expected cancelled, got {err:?}");
    assert_eq!(
        drops.wait_for(1, Duration::from_secs(1)),
        1,
        "future of aborted task not dropped"
    );
}

fn abort_while_running(workers: usize) {
    let rt = rt(workers);
    let drops = DropCounter::new();
    let token = drops.token();
    let polls = Arc::new(AtomicUsize::new(0));
    let p2 = polls.clone();
    let jh = rt.handle().spawn(async move {
        let _token = token;
        loop {
            p2.fetch_add(1, Ordering::SeqCst);
            // Spend time inside poll so that abort() lands while the task is running.
            std::thread::sleep(Duration::from_millis(1));
            spindle::yield_now().await;
        }
    });
    assert!(wait_until(Duration::from_secs(5), || polls
        .load(Ordering::SeqCst)
        >= 3));
    jh.abort();
    let err = futures::executor::block_on(jh).expect_err("aborted task must fail");
    assert!(err.is_cancelled(), "expected cancelled, got {err:?}");
    assert_eq!(drops.wait_for(1, Duration::from_secs(1)), 1);
    // The task is really gone: it is not polled any more.
    let p = polls.load(Ordering::SeqCst);
    std::thread::sleep(Duration::from_millis(30));
    assert_eq!(
        polls.load(Ordering::SeqCst),
        p,
        "aborted task still being polled"
    );
}

fn abort_after_completion_keeps_value(workers: usize) {
    let rt = rt(workers);
    let jh = rt.handle().spawn(async { 5 });
    assert!(wait_until(Duration::from_secs(5), || jh.is_finished()));
    jh.abort();
    assert_eq!(futures::executor::block_on(jh).unwrap(), 5);
}

fn abort_wakes_task_awaiting_handle(workers: usize) {
    // tokio #3964 shape: a task awaiting a JoinHandle is woken when that handle's task is
    // aborted from elsewhere.
    let rt = rt(workers);
    let victim = rt.handle().spawn(futures::future::pending::<()>());
    let slot = Arc::new(Mutex::new(Some(victim)));
    let s2 = slot.clone();
    let polled_once = Arc::new(AtomicBool::new(false));
    let p2 = polled_once.clone();
    let waiter = rt.handle().spawn(futures::future::poll_fn(move |cx| {
        p2.store(true, Ordering::SeqCst);
        let mut guard = s2.lock().unwrap();
        Pin::new(guard.as_mut().unwrap()).poll(cx)
    }));
    assert!(wait_until(Duration::from_secs(5), || polled_once
        .load(Ordering::SeqCst)));
    std::thread::sleep(Duration::from_millis(10));
    assert!(!waiter.is_finished());
    slot.lock().unwrap().as_ref().unwrap().abort();
    let inner = futures::executor::block_on(waiter).expect("waiter itself must complete");
    assert!(inner.unwrap_err().is_cancelled());

    // And aborting the waiter while it is parked on a JoinHandle works too.
    let victim2 = rt.handle().spawn(futures::future::pending::<()>());
    let (tx, rx) = futures::channel::oneshot::channel::<()>();
    let waiter2 = rt.handle().spawn(async move {
        let _ = tx.send(());
        victim2.await
    });
    futures::executor::block_on(rx).unwrap();
    waiter2.abort();
    let err = futures::executor::block_on(waiter2).unwrap_err();
    assert!(err.is_cancelled());
}

fn panicking_task_reports_panic(workers: usize) {
    let rt = rt(workers);
    let jh = rt.handle().spawn(async {
        if true {
            panic!("boom in task");
        }
        0u8
    });
    let err = rt.block_on(jh).expect_err("panicking task must fail");
    assert!(err.is_panic(), "expected panic, got {err:?}");
    assert!(!err.is_cancelled());
    let payload = err.into_panic();
    assert_eq!(panic_message(&*payload).as_deref(), Some("boom in task"));
    // The runtime (and with one worker: that very worker) keeps working.
    for i in 0..20 {
        let jh = rt.handle().spawn(async move { i + 1 });
        assert_eq!(rt.block_on(jh).unwrap(), i + 1);
    }
    // Several panics in a row do not exhaust the workers.
    let hs: Vec<_> = (0..(workers * 3))
        .map(|_| rt.handle().spawn(async { panic!("again") }))
        .collect();
    for r in join_all_blocking(hs) {
        let e: JoinError = r.unwrap_err();
        assert!(e.is_panic());
    }
    assert_eq!(rt.block_on(rt.handle().spawn(async { 1 })).unwrap(), 1);
}

fn panicking_task_string_payload(workers: usize) {
    let rt = rt(workers);
    let n = 17;
    let jh: JoinHandle<()> = rt.handle().spawn(async move { panic!("formatted {n}") });
    let err = futures::executor::block_on(jh).unwrap_err();
    assert!(err.is_panic());
    let payload = err.into_panic();
    assert_eq!(
        payload.downcast_ref::<String>().map(String::as_str),
        Some("formatted 17")
    );
}

fn yield_now_does_not_starve_other_task(workers: usize) {
    let rt = rt(workers);
    let flag = Arc::new(AtomicBool::new(false));
    // Spawn `workers` spinners so that every worker is busy with a yielding loop.
    let spinners: Vec<_> = (0..workers)
        .map(|_| {
            let flag = flag.clone();
            rt.handle().spawn(async move {
                let mut iterations = 0u64;
                while !flag.load(Ordering::SeqCst) {
                    iterations += 1;
                    spindle::yield_now().await;
                }
                iterations
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(10));
    let f2 = flag.clone();
    let setter = rt.handle().spawn(async move {
        f2.store(true, Ordering::SeqCst);
    });
    let start = Instant::now();
    futures::executor::block_on(setter).unwrap();
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "setter task starved by yielding tasks for {:?}",
        start.elapsed()
    );
    for r in join_all_blocking(spinners) {
        assert!(r.unwrap() >= 1);
    }
}

fn self_waking_task_does_not_starve_other_task(workers: usize) {
    // A task that keeps waking itself (without yield_now) must not starve a task spawned later
    // onto the same worker: the cooperative budget / fair scheduling must let it run.
    let rt = rt(workers);
    let flag = Arc::new(AtomicBool::new(false));
    let spinners: Vec<_> = (0..workers)
        .map(|_| {
            let flag = flag.clone();
            rt.handle().spawn(futures::future::poll_fn(move |cx| {
                if flag.load(Ordering::SeqCst) {
                    Poll::Ready(())
                } else {
                    cx.waker().wake_by_ref();
                    Poll::Pending
                }
            }))
        })
        .collect();
    std::thread::sleep(Duration::from_millis(10));
    // Spawn the setter from inside a spinning worker as well (local queue), via another task.
    let f2 = flag.clone();
    let setter = rt.handle().spawn(async move {
        let f3 = f2.clone();
        spindle::spawn(async move { f3.store(true, Ordering::SeqCst) })
            .await
            .unwrap();
    });
    futures::executor::block_on(setter).unwrap();
    for r in join_all_blocking(spinners) {
        r.unwrap();
    }
}

fn handle_current_inside_task(workers: usize) {
    let rt = rt(workers);
    let jh = rt.handle().spawn(async {
        let some = Handle::try_current().is_some();
        let _h = Handle::current(); // must not panic
        some
    });
    assert!(
        rt.block_on(jh).unwrap(),
        "try_current() was None inside a task"
    );
}

fn handle_current_inside_block_on(workers: usize) {
    let rt = rt(workers);
    let (some, workers_seen) = rt.block_on(async {
        let some = Handle::try_current().is_some();
        (some, Handle::current().metrics().workers())
    });
    assert!(some, "try_current() was None inside block_on");
    assert_eq!(
        workers_seen, workers,
        "Handle::current() refers to a different runtime"
    );
    // And gone again after block_on returns (this is a plain thread).
    assert!(Handle::try_current().is_none());
}

fn spawn_via_handle_current_in_task(workers: usize) {
    let rt = rt(workers);
    let jh = rt.handle().spawn(async {
        let h = Handle::current();
        let inner = h.spawn(async { 11 });
        inner.await.unwrap()
    });
    assert_eq!(rt.block_on(jh).unwrap(), 11);
}

fn block_on_inside_worker_panics(workers: usize) {
    let rt = Arc::new(rt(workers));
    let rt2 = rt.clone();
    let jh = rt.handle().spawn(async move {
        let rt_ref = rt2.clone();
        drop(rt2);
        // Must panic with a clear message instead of deadlocking the worker.
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            rt_ref.block_on(async { 1 })
        }));
        drop(rt_ref);
        match r {
            Ok(_) => None,
            Err(p) => Some(panic_message(&*p).unwrap_or_default()),
        }
    });
    let msg = futures::executor::block_on(jh)
        .expect("task itself must complete")
        .expect("block_on inside a worker did not panic");
    assert!(!msg.is_empty(), "panic message is empty");
    // Also the plain shape from the brief: the panic escapes the task and shows as is_panic.
    let rt3 = rt.clone();
    let jh2 = rt.handle().spawn(async move {
        let r = rt3.clone();
        drop(rt3);
        r.block_on(async { 2 })
    });
    let err = futures::executor::block_on(jh2).expect_err("block_on in worker must panic");
    assert!(err.is_panic());
    // The runtime still works afterwards.
    assert_eq!(rt.block_on(rt.handle().spawn(async { 3 })).unwrap(), 3);
    // Make sure this thread drops the last reference (never a worker thread).
    assert!(
        wait_until(Duration::from_secs(5), || Arc::strong_count(&rt) == 1),
        "task futures holding the runtime were not dropped"
    );
    drop(rt);
}

fn thread_name_prefix_visible_in_task(workers: usize) {
    let rt = spindle::Builder::new()
        .worker_threads(workers)
        .thread_name("my-pool")
        .build()
        .unwrap();
    let hs: Vec<_> = (0..(workers * 4))
        .map(|_| {
            rt.handle()
                .spawn(async { std::thread::current().name().map(String::from) })
        })
        .collect();
    for r in join_all_blocking(hs) {
        let name = r.unwrap().expect("worker thread has no name");
        assert!(name.starts_with("my-pool"), "worker thread name {name:?}");
    }
}

fn metrics_workers_and_tasks_spawned(workers: usize) {
    let rt = rt(workers);
    let m0 = rt.handle().metrics();
    assert_eq!(m0.workers(), workers);
    let hs: Vec<_> = (0..100).map(|_| rt.handle().spawn(async {})).collect();
    for r in join_all_blocking(hs) {
        r.unwrap();
    }
    let m1 = rt.handle().metrics();
    assert!(
        m1.tasks_spawned() >= m0.tasks_spawned() + 100,
        "tasks_spawned {} -> {}",
        m0.tasks_spawned(),
        m1.tasks_spawned()
    );
    assert!(m1.steals() >= m0.steals());
    let dbg = format!("{m1:?}");
    assert!(!dbg.is_empty());
}

fn wakes_from_many_threads(workers: usize) {
    use futures::StreamExt;
    let rt = rt(workers);
    let (tx, mut rx) = futures::channel::mpsc::unbounded::<u32>();
    let jh = rt.handle().spawn(async move {
        let mut n = 0u32;
        while let Some(v) = rx.next().await {
            n += v;
        }
        n
    });
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for i in 0..5_000 {
                    tx.unbounded_send(1).unwrap();
                    if i % 500 == 0 {
                        std::thread::yield_now();
                    }
                }
            })
        })
        .collect();
    drop(tx);
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(futures::executor::block_on(jh).unwrap(), 20_000);
}

fn waking_completed_task_is_noop(workers: usize) {
    let rt = rt(workers);
    let slot = Arc::new(Mutex::new(None::<Waker>));
    let flag = Arc::new(AtomicBool::new(false));
    let fut = FlagFuture {
        flag: flag.clone(),
        slot: slot.clone(),
    };
    let jh = rt.handle().spawn(fut);
    assert!(wait_until(Duration::from_secs(5), || slot
        .lock()
        .unwrap()
        .is_some()));
    flag.store(true, Ordering::SeqCst);
    let w = slot.lock().unwrap().clone().unwrap();
    w.wake_by_ref();
    futures::executor::block_on(jh).unwrap();
    // The task is complete: waking (and cloning, and dropping) its waker is a no-op.
    let waker = slot.lock().unwrap().take().unwrap();
    let ws: Vec<Waker> = (0..8).map(|_| waker.clone()).collect();
    let threads: Vec<_> = ws
        .into_iter()
        .map(|w| std::thread::spawn(move || w.wake()))
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    waker.wake();
    // Still healthy.
    assert_eq!(rt.block_on(rt.handle().spawn(async { 1 })).unwrap(), 1);
}

fn ping_pong_between_tasks(workers: usize) {
    use futures::channel::mpsc::{channel, Receiver, Sender};
    use futures::{SinkExt, StreamExt};
    let rt = rt(workers);
    let (mut a_tx, mut b_rx): (Sender<u32>, Receiver<u32>) = channel(1);
    let (mut b_tx, mut a_rx): (Sender<u32>, Receiver<u32>) = channel(1);
    let ponger = rt.handle().spawn(async move {
        while let Some(v) = b_rx.next().await {
            if b_tx.send(v + 1).await.is_err() {
                break;
            }
        }
    });
    let pinger = rt.handle().spawn(async move {
        let mut v = 0;
        for _ in 0..2_000 {
            a_tx.send(v).await.unwrap();
            v = a_rx.next().await.unwrap();
        }
        v
    });
    assert_eq!(futures::executor::block_on(pinger).unwrap(), 2_000);
    futures::executor::block_on(ponger).unwrap();
}

fn join_error_display_and_error_trait(workers: usize) {
    let rt = rt(workers);
    let jh: JoinHandle<()> = rt.handle().spawn(async { panic!("x") });
    let err = futures::executor::block_on(jh).unwrap_err();
    let as_error: &dyn std::error::Error = &err;
    assert!(
        !as_error.to_string().is_empty(),
        "JoinError Display is empty"
    );
    assert!(!format!("{err:?}").is_empty());

    let jh = rt.handle().spawn(futures::future::pending::<()>());
    jh.abort();
    let err = futures::executor::block_on(jh).unwrap_err();
    assert!(err.is_cancelled());
    assert!(!err.to_string().is_empty());
}

// ---------------------------------------------------------------------------------------------
// tests that are not about a worker count

#[test]
fn types_are_send_sync_unpin() {
    fn send_sync<T: Send + Sync>() {}
    fn send_unpin<T: Send + Unpin>() {}
    fn debug<T: std::fmt::Debug>() {}
    fn clone<T: Clone>() {}
    send_sync::<Runtime>();
    send_sync::<Handle>();
    debug::<Runtime>();
    debug::<Handle>();
    clone::<Handle>();
    send_unpin::<JoinHandle<u32>>();
    debug::<JoinError>();
    fn error<T: std::error::Error + Send + Sync + 'static>() {}
    error::<JoinError>();
}

#[test]
fn try_current_is_none_outside() {
    watchdog("try_current_is_none_outside", || {
        assert!(Handle::try_current().is_none());
        let other = std::thread::spawn(Handle::try_current).join().unwrap();
        assert!(other.is_none());
        // A runtime existing somewhere does not make a plain thread "inside" it.
        let _rt = rt(1);
        assert!(std::thread::spawn(Handle::try_current)
            .join()
            .unwrap()
            .is_none());
    })
}

fn assert_panics_with_message<F: FnOnce() + Send + 'static>(what: &str, f: F) {
    let payload = std::thread::spawn(f)
        .join()
        .expect_err(&format!("{what} outside a runtime did not panic"));
    let msg = panic_message(&*payload).unwrap_or_default();
    let lower = msg.to_lowercase();
    assert!(
        lower.contains("runtime") || lower.contains("spindle") || lower.contains("context"),
        "{what}: panic message is not clear: {msg:?}"
    );
}

#[test]
fn handle_current_panics_outside_with_message() {
    watchdog("handle_current_panics_outside_with_message", || {
        assert_panics_with_message("Handle::current()", || {
            let _ = Handle::current();
        });
        assert_panics_with_message("spindle::spawn", || {
            drop(spindle::spawn(async {}));
        });
    })
}

#[test]
fn tasks_run_on_multiple_workers_and_steal() {
    // Work spawned locally on one worker must spread to idle workers (stealing).
    watchdog("tasks_run_on_multiple_workers_and_steal", || {
        let rt = rt(4);
        let names = Arc::new(Mutex::new(HashSet::new()));
        let n2 = names.clone();
        let jh = rt.handle().spawn(async move {
            let hs: Vec<_> = (0..64)
                .map(|_| {
                    let names = n2.clone();
                    spindle::spawn(async move {
                        // Blocking work: a worker that keeps all of these to itself takes 128 ms+.
                        std::thread::sleep(Duration::from_millis(2));
                        names.lock().unwrap().insert(std::thread::current().id());
                    })
                })
                .collect();
            for h in hs {
                h.await.unwrap();
            }
        });
        futures::executor::block_on(jh).unwrap();
        let distinct = names.lock().unwrap().len();
        assert!(
            distinct >= 2,
            "64 blocking tasks all ran on {distinct} thread(s)"
        );
        assert!(
            rt.handle().metrics().steals() > 0,
            "metrics().steals() is 0 although work spread over {distinct} threads"
        );
    })
}

#[test]
fn remote_work_not_starved_by_busy_local_queue() {
    // One worker; a task keeps spawning local work forever. A spawn from outside (injector)
    // must still run promptly (the injector is checked every so many polls).
    watchdog("remote_work_not_starved_by_busy_local_queue", || {
        let rt = rt(1);
        let stop = Arc::new(AtomicBool::new(false));
        let s2 = stop.clone();
        fn respawn(stop: Arc<AtomicBool>) {
            if !stop.load(Ordering::SeqCst) {
                drop(spindle::spawn(async move { respawn(stop) }));
            }
        }
        let started = Arc::new(AtomicBool::new(false));
        let st2 = started.clone();
        drop(rt.handle().spawn(async move {
            st2.store(true, Ordering::SeqCst);
            for _ in 0..4 {
                respawn(s2.clone());
            }
        }));
        assert!(wait_until(Duration::from_secs(5), || started.load(Ordering::SeqCst)));
        std::thread::sleep(Duration::from_millis(10));
        let start = Instant::now();
        let remote = rt.handle().spawn(async { 1 });
        let res = futures::executor::block_on(remote);
        let waited = start.elapsed();
        stop.store(true, Ordering::SeqCst);
        assert_eq!(res.unwrap(), 1);
        assert!(
            waited < Duration::from_secs(2),
            "remote spawn waited {waited:?}"
        );
    })
}

#[test]
fn wake_during_poll_reschedules_exactly_once() {
    // Issue: "a wake during a poll reschedules it exactly once".
    fn body(workers: usize) {
        let rt = rt(workers);
        let polls = Arc::new(AtomicUsize::new(0));
        let p2 = polls.clone();
        let jh = rt.handle().spawn(futures::future::poll_fn(move |cx| {
            let n = p2.fetch_add(1, Ordering::SeqCst);
            if n == 0 {
                // 100 wakes (and clones woken) while this very poll is running.
                for _ in 0..50 {
                    cx.waker().wake_by_ref();
                    // A cloned waker, woken by value (the owned-wake path).
                    let owned = cx.waker().clone();
                    owned.wake();
                }
            }
            Poll::<()>::Pending
        }));
        assert!(wait_until(Duration::from_secs(5), || polls
            .load(Ordering::SeqCst)
            >= 2));
        std::thread::sleep(Duration::from_millis(50));
        let n = polls.load(Ordering::SeqCst);
        jh.abort();
        assert_eq!(
            n, 2,
            "100 wakes during one poll must reschedule the task exactly once"
        );
    }
    watchdog("wake_during_poll_reschedules_exactly_once", || {
        body(1);
        body(4);
    })
}
