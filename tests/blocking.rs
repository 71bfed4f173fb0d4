//! `spawn_blocking`: the pool (exactly-once, limits, keep-alive), JoinHandle semantics
//! (panic, abort), shutdown, runtime context and metrics.

#[macro_use]
mod common;

use common::{wait_until, DropCounter};
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering::SeqCst};
use std::sync::{mpsc, Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

const LONG: Duration = Duration::from_secs(10);

fn rt_with(workers: usize, f: impl FnOnce(&mut spindle::Builder)) -> spindle::Runtime {
    let mut b = spindle::Builder::new();
    b.worker_threads(workers).thread_name("spindle-test");
    f(&mut b);
    b.build().unwrap()
}

fn returns_its_value_with_the_runtime_context(workers: usize) {
    let rt = rt_with(workers, |_| {});
    let h = rt.handle().spawn_blocking(|| {
        let name = std::thread::current().name().unwrap().to_owned();
        // The runtime is reachable: spawn a task from here and wait for it.
        let (tx, rx) = mpsc::channel();
        spindle::Handle::current().spawn(async move { tx.send(7).unwrap() });
        (name, rx.recv().unwrap(), spindle::worker_index())
    });
    let (name, v, index) = rt.block_on(h).unwrap();
    assert!(name.starts_with("spindle-test-blocking-"), "{name}");
    assert_eq!((v, index), (7, None));
    // The free function, from a task.
    let out = rt.block_on(async { spindle::spawn_blocking(|| 5).await });
    assert_eq!(out.unwrap(), 5);
}

fn ten_thousand_from_eight_threads_run_exactly_once(workers: usize) {
    const N: usize = 10_000;
    let rt = rt_with(workers, |_| {});
    let counts: Arc<Vec<AtomicU8>> = Arc::new((0..N).map(|_| AtomicU8::new(0)).collect());
    let submitters: Vec<_> = (0..8)
        .map(|s| {
            let h = rt.handle().clone();
            let counts = counts.clone();
            std::thread::spawn(move || {
                (s * N / 8..(s + 1) * N / 8)
                    .map(|i| {
                        let counts = counts.clone();
                        h.spawn_blocking(move || {
                            counts[i].fetch_add(1, SeqCst);
                            i
                        })
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let handles: Vec<_> = submitters
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    let outs = rt.block_on(async {
        let mut outs = Vec::with_capacity(N);
        for h in handles {
            outs.push(h.await.unwrap());
        }
        outs
    });
    assert_eq!(outs, (0..N).collect::<Vec<_>>());
    assert!(
        counts.iter().all(|c| c.load(SeqCst) == 1),
        "every task ran exactly once"
    );
    assert!(rt.handle().metrics().blocking_threads() <= 512);
    assert_eq!(rt.handle().metrics().blocking_queue_depth(), 0);
}

fn a_panic_is_a_join_error(workers: usize) {
    let rt = rt_with(workers, |_| {});
    let err = rt
        .block_on(rt.handle().spawn_blocking(|| -> u8 { panic!("boom") }))
        .unwrap_err();
    assert!(err.is_panic());
    assert_eq!(common::panic_message(&*err.into_panic()).unwrap(), "boom");
    // The thread that caught it keeps serving.
    assert_eq!(rt.block_on(rt.handle().spawn_blocking(|| 1)).unwrap(), 1);
}

fn abort_drops_a_task_that_has_not_started(workers: usize) {
    let rt = rt_with(workers, |b| {
        b.max_blocking_threads(1);
    });
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let (started_tx, started_rx) = mpsc::channel();
    let first = rt.handle().spawn_blocking(move || {
        started_tx.send(()).unwrap();
        release_rx.recv().unwrap();
    });
    started_rx.recv_timeout(LONG).unwrap();
    let drops = DropCounter::new();
    let token = drops.token();
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    let second = rt.handle().spawn_blocking(move || {
        let _keep = token;
        r.store(true, SeqCst);
    });
    assert_eq!(rt.handle().metrics().blocking_queue_depth(), 1);
    second.abort();
    release_tx.send(()).unwrap();
    rt.block_on(first).unwrap();
    let err = rt.block_on(second).unwrap_err();
    assert!(err.is_cancelled());
    assert!(!ran.load(SeqCst), "an aborted task never starts");
    assert_eq!(drops.get(), 1, "its closure was dropped");
}

fn at_the_limit_tasks_queue(workers: usize) {
    let rt = rt_with(workers, |b| {
        b.max_blocking_threads(2);
    });
    let in_flight = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let (f, p) = (in_flight.clone(), peak.clone());
            rt.handle().spawn_blocking(move || {
                let now = f.fetch_add(1, SeqCst) + 1;
                p.fetch_max(now, SeqCst);
                std::thread::sleep(Duration::from_millis(10));
                f.fetch_sub(1, SeqCst);
            })
        })
        .collect();
    for h in handles {
        rt.block_on(h).unwrap();
    }
    assert_eq!(peak.load(SeqCst), 2, "two threads at most, both used");
    assert!(rt.handle().metrics().blocking_threads() <= 2);
}

fn the_pool_shrinks_after_the_keep_alive(workers: usize) {
    let rt = rt_with(workers, |b| {
        b.thread_keep_alive(Duration::from_millis(50));
    });
    let barrier = Arc::new(Barrier::new(4));
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let b = barrier.clone();
            rt.handle().spawn_blocking(move || {
                b.wait(); // four at once: four threads
            })
        })
        .collect();
    for h in handles {
        rt.block_on(h).unwrap();
    }
    let m = rt.handle().metrics();
    assert!(m.blocking_threads() >= 4, "{m:?}");
    assert!(
        wait_until(LONG, || rt.handle().metrics().blocking_threads() == 0),
        "idle threads exit after the keep-alive: {:?}",
        rt.handle().metrics()
    );
    assert_eq!(rt.handle().metrics().blocking_idle_threads(), 0);
    // And it grows again on demand.
    assert_eq!(rt.block_on(rt.handle().spawn_blocking(|| 3)).unwrap(), 3);
}

fn idle_threads_are_reused(workers: usize) {
    let rt = rt_with(workers, |_| {});
    let m = || rt.handle().metrics();
    assert_eq!(rt.block_on(rt.handle().spawn_blocking(|| 0)).unwrap(), 0);
    for i in 1..20 {
        // Once every thread is idle, the next task goes to one of them: no new thread.
        assert!(wait_until(LONG, || m().blocking_idle_threads()
            == m().blocking_threads()));
        let before = m().blocking_threads();
        assert_eq!(
            rt.block_on(rt.handle().spawn_blocking(move || i)).unwrap(),
            i
        );
        assert_eq!(
            m().blocking_threads(),
            before,
            "round trip {i} started a thread"
        );
    }
}

fn shutdown_timeout_bounds_a_running_task_and_drops_queued_ones(workers: usize) {
    let rt = rt_with(workers, |b| {
        b.max_blocking_threads(1);
    });
    let (started_tx, started_rx) = mpsc::channel();
    let finished = Arc::new(AtomicBool::new(false));
    let f = finished.clone();
    let running = rt.handle().spawn_blocking(move || {
        started_tx.send(()).unwrap();
        std::thread::sleep(Duration::from_millis(1500));
        f.store(true, SeqCst);
    });
    started_rx.recv_timeout(LONG).unwrap();
    let drops = DropCounter::new();
    let token = drops.token();
    let queued = rt.handle().spawn_blocking(move || drop(token));
    let h = rt.handle().clone();
    let t = Instant::now();
    rt.shutdown_timeout(Duration::from_millis(100));
    assert!(
        t.elapsed() < Duration::from_millis(1200),
        "bounded by shutdown_timeout"
    );
    assert_eq!(drops.get(), 1, "the queued task was dropped");
    let err = futures::executor::block_on(queued).unwrap_err();
    assert!(err.is_cancelled());
    // The running one finishes on its own.
    futures::executor::block_on(running).unwrap();
    assert!(finished.load(SeqCst));
    // After shutdown: cancelled at once.
    assert!(futures::executor::block_on(h.spawn_blocking(|| 1))
        .unwrap_err()
        .is_cancelled());
}

fn drop_waits_for_running_tasks(workers: usize) {
    let rt = rt_with(workers, |_| {});
    let (started_tx, started_rx) = mpsc::channel();
    let finished = Arc::new(AtomicBool::new(false));
    let f = finished.clone();
    let _h = rt.handle().spawn_blocking(move || {
        started_tx.send(()).unwrap();
        std::thread::sleep(Duration::from_millis(100));
        f.store(true, SeqCst);
    });
    started_rx.recv_timeout(LONG).unwrap();
    drop(rt);
    assert!(
        finished.load(SeqCst),
        "drop(Runtime) waited for the running blocking task"
    );
}

fn runtime_dropped_inside_a_blocking_task(workers: usize) {
    let rt = rt_with(workers, |_| {});
    let h = rt.handle().clone();
    let (tx, rx) = mpsc::channel();
    let rt = Arc::new(Mutex::new(Some(rt)));
    let r = rt.clone();
    let _detached = h.spawn_blocking(move || {
        drop(r.lock().unwrap().take());
        tx.send(()).unwrap();
    });
    rx.recv_timeout(LONG)
        .expect("shutdown from a blocking thread does not wait for itself");
}

fn zero_max_threads_is_invalid_input(_workers: usize) {
    let err = spindle::Builder::new()
        .max_blocking_threads(0)
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("max_blocking_threads"));
}

rt_suite!(
    returns_its_value_with_the_runtime_context,
    ten_thousand_from_eight_threads_run_exactly_once,
    a_panic_is_a_join_error,
    abort_drops_a_task_that_has_not_started,
    at_the_limit_tasks_queue,
    the_pool_shrinks_after_the_keep_alive,
    idle_threads_are_reused,
    shutdown_timeout_bounds_a_running_task_and_drops_queued_ones,
    drop_waits_for_running_tasks,
    runtime_dropped_inside_a_blocking_task,
    zero_max_threads_is_invalid_input,
);
