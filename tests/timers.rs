//! asyncio-style callbacks on the sharded timer wheels: call_soon / call_later / call_at / time.
//! Shapes follow CPython's test_events.py (call_soon, call_later, call_at with loop.time(),
//! TimerHandle.when) plus the list: never early, armed from outside threads, 100k
//! timers, no hostage timers behind a blocked worker, panicking callbacks, metrics.

// `drop(x)` marks the exact moment a runtime / handle goes away; with types that have no
// drop glue (e.g. a signature-only build) clippy would flag these.
#![allow(clippy::drop_non_drop)]

#[macro_use]
mod common;

use common::{panic_message, rt, wait_until, watchdog, XorShift};
use spindle::{Builder, Handle, TimerHandle};
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

rt_suite!(
    call_soon_runs,
    call_soon_from_task_with_free_fn,
    call_later_runs_after_delay,
    call_later_never_early_many,
    call_at_time_plus_d_behaves_like_call_later,
    call_at_past_instant_runs_soon,
    call_later_zero_runs,
    when_reports_requested_deadline,
    time_is_monotonic_and_close_to_now,
    timers_from_4_outside_threads,
    timers_100k_over_50ms_fire_exactly_once,
    callbacks_run_on_runtime_threads,
    callbacks_chain_from_callbacks,
    callback_can_use_runtime_context,
    panicking_callback_goes_to_hook_and_worker_survives,
    default_panic_handler_keeps_runtime_running,
    timers_armed_while_workers_park_are_not_lost,
    remote_earlier_timer_wakes_parked_owner,
    metrics_timer_counters,
    timer_handle_clone_debug_and_send,
);

type FireLog = Arc<Mutex<Vec<(usize, Instant)>>>;

/// Arms a callback that records (idx, now) into `log`.
fn arm_logged(h: &Handle, delay: Duration, idx: usize, log: &FireLog) -> TimerHandle {
    let log = log.clone();
    h.call_later(delay, move || {
        log.lock().unwrap().push((idx, Instant::now()))
    })
}

fn wait_len<T>(v: &Mutex<Vec<T>>, n: usize, limit: Duration) -> usize {
    wait_until(limit, || v.lock().unwrap().len() >= n);
    v.lock().unwrap().len()
}

/// Checks that every fired index fired exactly once and never before its `when()`; returns
/// the worst lateness.
fn check_never_early(log: &[(usize, Instant)], whens: &[Instant]) -> Duration {
    let mut seen = vec![0u32; whens.len()];
    let mut worst = Duration::ZERO;
    for &(idx, at) in log {
        seen[idx] += 1;
        assert!(
            at >= whens[idx],
            "callback {idx} ran {:?} before its deadline",
            whens[idx] - at
        );
        worst = worst.max(at - whens[idx]);
    }
    for (idx, n) in seen.iter().enumerate() {
        assert_eq!(*n, 1, "callback {idx} ran {n} times");
    }
    worst
}

// ---------------------------------------------------------------------------------------------

fn call_soon_runs(workers: usize) {
    let rt = rt(workers);
    let (tx, rx) = mpsc::channel();
    let th = rt.handle().call_soon(move || tx.send(42).unwrap());
    assert_eq!(rx.recv_timeout(Duration::from_secs(5)), Ok(42));
    assert!(!th.is_cancelled());
}

fn call_soon_from_task_with_free_fn(workers: usize) {
    let rt = rt(workers);
    let (tx, rx) = mpsc::channel();
    let jh = rt.handle().spawn(async move {
        let tx2 = tx.clone();
        let _ = spindle::call_soon(move || tx.send("soon").unwrap());
        let _ = spindle::call_later(Duration::from_millis(5), move || tx2.send("later").unwrap());
    });
    futures::executor::block_on(jh).unwrap();
    let mut got = vec![
        rx.recv_timeout(Duration::from_secs(5)).unwrap(),
        rx.recv_timeout(Duration::from_secs(5)).unwrap(),
    ];
    got.sort();
    assert_eq!(got, vec!["later", "soon"]);
    // Also from block_on, which is a runtime context too.
    let (tx, rx) = mpsc::channel();
    rt.block_on(async move {
        let t = Instant::now();
        let _ = spindle::call_at(t + Duration::from_millis(5), move || tx.send(()).unwrap());
    });
    rx.recv_timeout(Duration::from_secs(5)).unwrap();
}

fn call_later_runs_after_delay(workers: usize) {
    // test_events.py::test_call_later
    let rt = rt(workers);
    let (tx, rx) = mpsc::channel();
    let start = Instant::now();
    let th = rt.handle().call_later(Duration::from_millis(100), move || {
        tx.send(Instant::now()).unwrap()
    });
    let fired = rx
        .recv_timeout(Duration::from_secs(5))
        .expect("call_later(100ms) never ran");
    assert!(
        fired - start >= Duration::from_millis(100),
        "ran after {:?}",
        fired - start
    );
    assert!(fired >= th.when());
    assert!(
        fired - start < Duration::from_millis(1100),
        "100 ms timer ran after {:?}",
        fired - start
    );
}

fn call_later_never_early_many(workers: usize) {
    let rt = rt(workers);
    let log: FireLog = Arc::new(Mutex::new(Vec::new()));
    let mut rng = XorShift::new(7);
    let mut whens = Vec::new();
    // From outside the runtime.
    for i in 0..200 {
        let d = Duration::from_micros(rng.below(60_000));
        let before = Instant::now();
        let th = arm_logged(rt.handle(), d, i, &log);
        assert!(th.when() >= before + d, "when() earlier than now + delay");
        whens.push(th.when());
    }
    // From inside a task (the worker's own shard).
    let log2 = log.clone();
    let inner_whens = futures::executor::block_on(rt.handle().spawn(async move {
        let mut rng = XorShift::new(99);
        let mut whens = Vec::new();
        for i in 200..400 {
            let d = Duration::from_micros(rng.below(60_000));
            let log = log2.clone();
            let th = spindle::call_later(d, move || {
                log.lock().unwrap().push((i, Instant::now()));
            });
            whens.push(th.when());
        }
        whens
    }))
    .unwrap();
    whens.extend(inner_whens);
    assert_eq!(
        wait_len(&log, 400, Duration::from_secs(10)),
        400,
        "not all timers fired"
    );
    std::thread::sleep(Duration::from_millis(20));
    let worst = check_never_early(&log.lock().unwrap(), &whens);
    assert!(
        worst < Duration::from_secs(2),
        "a callback was {worst:?} late"
    );
}

fn call_at_time_plus_d_behaves_like_call_later(workers: usize) {
    // test_events.py::test_call_at: loop.call_at(loop.time() + 0.1, cb)
    let rt = rt(workers);
    let h = rt.handle();
    let (tx, rx) = mpsc::channel();
    let deadline = h.time() + Duration::from_millis(60);
    let th = h.call_at(deadline, move || tx.send(Instant::now()).unwrap());
    assert_eq!(
        th.when(),
        deadline,
        "when() must be the instant given to call_at"
    );
    let fired = rx.recv_timeout(Duration::from_secs(5)).unwrap();
    assert!(fired >= deadline, "ran {:?} early", deadline - fired);
    assert!(
        fired - deadline < Duration::from_secs(1),
        "ran {:?} late",
        fired - deadline
    );
}

fn call_at_past_instant_runs_soon(workers: usize) {
    let rt = rt(workers);
    let (tx, rx) = mpsc::channel();
    let now = Instant::now();
    let past = now.checked_sub(Duration::from_secs(1)).unwrap_or(now);
    let start = Instant::now();
    let _ = rt.handle().call_at(past, move || tx.send(()).unwrap());
    rx.recv_timeout(Duration::from_secs(5))
        .expect("call_at(past) never ran");
    assert!(
        start.elapsed() < Duration::from_millis(500),
        "call_at(past) took {:?}",
        start.elapsed()
    );
    // Same from a worker thread (local shard).
    let (tx, rx) = mpsc::channel();
    rt.block_on(rt.handle().spawn(async move {
        let now = Instant::now();
        let past = now.checked_sub(Duration::from_secs(3600)).unwrap_or(now);
        let _ = spindle::call_at(past, move || tx.send(()).unwrap());
    }))
    .unwrap();
    rx.recv_timeout(Duration::from_secs(5))
        .expect("call_at(past) from a worker never ran");
}

fn call_later_zero_runs(workers: usize) {
    let rt = rt(workers);
    let (tx, rx) = mpsc::channel();
    for i in 0..10 {
        let tx = tx.clone();
        let _ = rt
            .handle()
            .call_later(Duration::ZERO, move || tx.send(i).unwrap());
    }
    let mut got: Vec<i32> = (0..10)
        .map(|_| rx.recv_timeout(Duration::from_secs(5)).unwrap())
        .collect();
    got.sort();
    assert_eq!(got, (0..10).collect::<Vec<_>>());
}

fn when_reports_requested_deadline(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle();
    for ms in [0u64, 1, 7, 100, 5_000, 3_600_000] {
        let d = Duration::from_millis(ms);
        let before = Instant::now();
        let th = h.call_later(d, || {});
        let after = Instant::now();
        let w = th.when();
        assert!(
            w >= before + d,
            "when() {:?} earlier than requested",
            before + d - w
        );
        // Rounded up to the wheel tick at most (allow plenty).
        assert!(
            w <= after + d + Duration::from_millis(50),
            "when() is {:?} later than requested",
            w - (after + d)
        );
        let _ = th.cancel();
    }
}

fn time_is_monotonic_and_close_to_now(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    let mut last = h.time();
    for _ in 0..1000 {
        let t = h.time();
        assert!(t >= last, "time() went backwards");
        last = t;
    }
    let now = Instant::now();
    let t = h.time();
    let diff = if t > now { t - now } else { now - t };
    assert!(
        diff < Duration::from_millis(100),
        "time() is {diff:?} away from Instant::now()"
    );
    std::thread::sleep(Duration::from_millis(20));
    assert!(
        h.time() >= last + Duration::from_millis(15),
        "time() does not advance"
    );
    // Same clock inside tasks and from other threads.
    let inside = futures::executor::block_on(h.spawn(async { Handle::current().time() })).unwrap();
    assert!(inside >= last);
}

fn timers_from_4_outside_threads(workers: usize) {
    const PER_THREAD: usize = 1_000;
    let rt = rt(workers);
    let slots: Arc<Vec<AtomicU8>> =
        Arc::new((0..4 * PER_THREAD).map(|_| AtomicU8::new(0)).collect());
    let whens: Arc<Mutex<Vec<Option<Instant>>>> = Arc::new(Mutex::new(vec![None; 4 * PER_THREAD]));
    let early = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let h = rt.handle().clone();
            let slots = slots.clone();
            let whens = whens.clone();
            let early = early.clone();
            std::thread::spawn(move || {
                let mut rng = XorShift::new(t as u64 + 11);
                for i in 0..PER_THREAD {
                    let idx = t * PER_THREAD + i;
                    let d = Duration::from_micros(rng.below(50_000));
                    let slots = slots.clone();
                    let early = early.clone();
                    let deadline = Instant::now() + d;
                    let th = h.call_at(deadline, move || {
                        if Instant::now() < deadline {
                            early.fetch_add(1, Ordering::SeqCst);
                        }
                        slots[idx].fetch_add(1, Ordering::SeqCst);
                    });
                    whens.lock().unwrap()[idx] = Some(th.when());
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let all_fired = wait_until(Duration::from_secs(10), || {
        slots.iter().all(|s| s.load(Ordering::SeqCst) >= 1)
    });
    std::thread::sleep(Duration::from_millis(20));
    let missing = slots
        .iter()
        .filter(|s| s.load(Ordering::SeqCst) == 0)
        .count();
    let dup = slots
        .iter()
        .filter(|s| s.load(Ordering::SeqCst) > 1)
        .count();
    assert!(
        all_fired,
        "{missing} of {} timers never fired",
        4 * PER_THREAD
    );
    assert_eq!(dup, 0, "{dup} timers fired more than once");
    assert_eq!(
        early.load(Ordering::SeqCst),
        0,
        "callbacks ran before their deadline"
    );
}

fn timers_100k_over_50ms_fire_exactly_once(workers: usize) {
    const N: usize = 100_000;
    let rt = rt(workers);
    let fired0 = rt.handle().metrics().timers_fired();
    let slots: Arc<Vec<AtomicU8>> = Arc::new((0..N).map(|_| AtomicU8::new(0)).collect());
    let early = Arc::new(AtomicUsize::new(0));
    // Half armed on a worker (local shard), half from an outside thread (remote path).
    let s2 = slots.clone();
    let e2 = early.clone();
    let local = rt.handle().spawn(async move {
        for idx in 0..N / 2 {
            let slots = s2.clone();
            let early = e2.clone();
            let d = Duration::from_micros((idx as u64 * 50_000) / (N as u64 / 2));
            let deadline = Instant::now() + d;
            let _ = spindle::call_at(deadline, move || {
                if Instant::now() < deadline {
                    early.fetch_add(1, Ordering::Relaxed);
                }
                slots[idx].fetch_add(1, Ordering::Relaxed);
            });
        }
    });
    let h = rt.handle().clone();
    let s3 = slots.clone();
    let e3 = early.clone();
    let remote = std::thread::spawn(move || {
        for idx in N / 2..N {
            let slots = s3.clone();
            let early = e3.clone();
            let d = Duration::from_micros(((idx - N / 2) as u64 * 50_000) / (N as u64 / 2));
            let deadline = Instant::now() + d;
            let _ = h.call_at(deadline, move || {
                if Instant::now() < deadline {
                    early.fetch_add(1, Ordering::Relaxed);
                }
                slots[idx].fetch_add(1, Ordering::Relaxed);
            });
        }
    });
    futures::executor::block_on(local).unwrap();
    remote.join().unwrap();
    let ok = wait_until(Duration::from_secs(15), || {
        slots.iter().all(|s| s.load(Ordering::Relaxed) >= 1)
    });
    std::thread::sleep(Duration::from_millis(30));
    let missing = slots
        .iter()
        .filter(|s| s.load(Ordering::SeqCst) == 0)
        .count();
    let dup = slots
        .iter()
        .filter(|s| s.load(Ordering::SeqCst) > 1)
        .count();
    assert!(ok, "{missing} of {N} timers never fired");
    assert_eq!(dup, 0, "{dup} timers fired more than once");
    assert_eq!(
        early.load(Ordering::SeqCst),
        0,
        "callbacks ran before their deadline"
    );
    let m = rt.handle().metrics();
    assert!(
        m.timers_fired() >= fired0 + N as u64,
        "timers_fired {} -> {}",
        fired0,
        m.timers_fired()
    );
    assert!(
        wait_until(Duration::from_secs(1), || rt
            .handle()
            .metrics()
            .timers_pending()
            == 0),
        "timers_pending() = {} after all fired",
        rt.handle().metrics().timers_pending()
    );
}

fn callbacks_run_on_runtime_threads(workers: usize) {
    let rt = rt(workers);
    let names = Arc::new(Mutex::new(Vec::new()));
    for i in 0..20u64 {
        let names = names.clone();
        let _ = rt
            .handle()
            .call_later(Duration::from_millis(i % 5), move || {
                names
                    .lock()
                    .unwrap()
                    .push(std::thread::current().name().map(String::from));
            });
    }
    let n2 = names.clone();
    futures::executor::block_on(rt.handle().spawn(async move {
        for i in 0..20u64 {
            let names = n2.clone();
            let _ = spindle::call_later(Duration::from_millis(i % 5), move || {
                names
                    .lock()
                    .unwrap()
                    .push(std::thread::current().name().map(String::from));
            });
        }
    }))
    .unwrap();
    assert_eq!(wait_len(&names, 40, Duration::from_secs(5)), 40);
    for n in names.lock().unwrap().iter() {
        let n = n.as_deref().unwrap_or("<unnamed>");
        assert!(
            n.starts_with("spindle-test"),
            "callback ran on thread {n:?}, not a runtime worker"
        );
    }
}

fn callbacks_chain_from_callbacks(workers: usize) {
    fn step(left: u32, tx: mpsc::Sender<u32>) {
        if left == 0 {
            tx.send(0).unwrap();
        } else if left % 2 == 0 {
            let _ = spindle::call_soon(move || step(left - 1, tx));
        } else {
            let _ = spindle::call_later(Duration::from_micros(100), move || step(left - 1, tx));
        }
    }
    let rt = rt(workers);
    let (tx, rx) = mpsc::channel();
    let _ = rt.handle().call_soon(move || step(100, tx));
    assert_eq!(rx.recv_timeout(Duration::from_secs(10)), Ok(0));
}

fn callback_can_use_runtime_context(workers: usize) {
    // Callbacks run on worker threads, so the free functions / Handle::current work there.
    let rt = rt(workers);
    let (tx, rx) = mpsc::channel();
    let _ = rt.handle().call_soon(move || {
        if Handle::try_current().is_none() {
            tx.send(Err("Handle::try_current() is None inside a callback"))
                .unwrap();
            return;
        }
        let jh = spindle::spawn(async { 5 });
        std::thread::spawn(move || {
            tx.send(Ok(futures::executor::block_on(jh).unwrap()))
                .unwrap()
        });
    });
    assert_eq!(rx.recv_timeout(Duration::from_secs(5)), Ok(Ok(5)));
}

fn panicking_callback_goes_to_hook_and_worker_survives(workers: usize) {
    let (tx, rx) = mpsc::channel::<Option<String>>();
    let tx = Mutex::new(tx);
    let rt = Builder::new()
        .worker_threads(workers)
        .thread_name("spindle-test")
        .on_callback_panic(move |payload| {
            let _ = tx.lock().unwrap().send(panic_message(&*payload));
        })
        .build()
        .unwrap();
    let _ = rt.handle().call_soon(|| panic!("callback boom"));
    let got = rx
        .recv_timeout(Duration::from_secs(5))
        .expect("on_callback_panic was not called");
    assert_eq!(got.as_deref(), Some("callback boom"));
    // Several more panics, one per worker and then some, from a worker-local shard too.
    for i in 0..(workers * 2) {
        let _ = rt
            .handle()
            .call_later(Duration::from_millis(i as u64), move || panic!("again {i}"));
    }
    futures::executor::block_on(rt.handle().spawn(async {
        let _ = spindle::call_soon(|| panic!("local"));
    }))
    .unwrap();
    for _ in 0..(workers * 2 + 1) {
        rx.recv_timeout(Duration::from_secs(5))
            .expect("hook not called for every panicking callback");
    }
    // Workers keep running: callbacks and tasks still execute.
    let (tx2, rx2) = mpsc::channel();
    for i in 0..(workers * 4) {
        let tx2 = tx2.clone();
        let _ = rt.handle().call_soon(move || tx2.send(i).unwrap());
    }
    for _ in 0..(workers * 4) {
        rx2.recv_timeout(Duration::from_secs(5))
            .expect("callback after a panicking one did not run");
    }
    assert_eq!(rt.block_on(rt.handle().spawn(async { 9 })).unwrap(), 9);
}

fn default_panic_handler_keeps_runtime_running(workers: usize) {
    let rt = rt(workers);
    for _ in 0..workers {
        let _ = rt
            .handle()
            .call_soon(|| panic!("unhandled callback panic (expected in this test)"));
    }
    std::thread::sleep(Duration::from_millis(20));
    let (tx, rx) = mpsc::channel();
    for i in 0..(workers * 2) {
        let tx = tx.clone();
        let _ = rt
            .handle()
            .call_later(Duration::from_millis(1), move || tx.send(i).unwrap());
    }
    for _ in 0..(workers * 2) {
        rx.recv_timeout(Duration::from_secs(5))
            .expect("runtime stopped running callbacks after a callback panicked");
    }
}

fn timers_armed_while_workers_park_are_not_lost(workers: usize) {
    let rt = rt(workers);
    let mut rng = XorShift::new(3);
    for round in 0..40 {
        // Let the workers go idle and park, then arm from outside.
        std::thread::sleep(Duration::from_micros(rng.below(8_000)));
        let (tx, rx) = mpsc::channel();
        let d = Duration::from_micros(rng.below(3_000));
        let start = Instant::now();
        let _ = rt
            .handle()
            .call_later(d, move || tx.send(Instant::now()).unwrap());
        let fired = rx
            .recv_timeout(Duration::from_secs(3))
            .unwrap_or_else(|_| panic!("round {round}: timer armed during parking was lost"));
        assert!(fired - start >= d);
    }
}

fn remote_earlier_timer_wakes_parked_owner(workers: usize) {
    let rt = rt(workers);
    // Give every worker a far deadline on its own shard, so each parks with a long timeout.
    let far: Vec<TimerHandle> = (0..workers * 4)
        .map(|_| {
            futures::executor::block_on(
                rt.handle()
                    .spawn(async { spindle::call_later(Duration::from_secs(10), || {}) }),
            )
            .unwrap()
        })
        .collect();
    std::thread::sleep(Duration::from_millis(50));
    for _ in 0..5 {
        let (tx, rx) = mpsc::channel();
        let start = Instant::now();
        let _ = rt
            .handle()
            .call_later(Duration::from_millis(10), move || tx.send(()).unwrap());
        rx.recv_timeout(Duration::from_secs(5))
            .expect("earlier remote timer did not wake the parked owner");
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "10 ms remote timer took {:?} (owner parked on its 10 s deadline?)",
            start.elapsed()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    for th in far {
        assert!(th.cancel());
    }
}

fn metrics_timer_counters(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle();
    let m0 = h.metrics();
    let (tx, rx) = mpsc::channel();
    for _ in 0..10 {
        let tx = tx.clone();
        let _ = h.call_soon(move || tx.send(()).unwrap());
    }
    for _ in 0..10 {
        rx.recv_timeout(Duration::from_secs(5)).unwrap();
    }
    assert!(
        wait_until(Duration::from_secs(1), || h.metrics().timers_fired()
            >= m0.timers_fired() + 10),
        "timers_fired did not count 10 fired callbacks: {:?} -> {:?}",
        m0,
        h.metrics()
    );
    let handles: Vec<_> = (0..10)
        .map(|_| h.call_later(Duration::from_secs(60), || {}))
        .collect();
    assert!(
        wait_until(Duration::from_secs(1), || h.metrics().timers_pending()
            >= 10),
        "timers_pending with 10 armed timers: {:?}",
        h.metrics()
    );
    for th in &handles {
        assert!(th.cancel());
    }
    let m = h.metrics();
    assert!(
        m.timers_cancelled() >= m0.timers_cancelled() + 10,
        "timers_cancelled: {m0:?} -> {m:?}"
    );
    assert!(
        wait_until(Duration::from_secs(1), || h.metrics().timers_pending() == 0),
        "timers_pending after cancelling everything: {:?}",
        h.metrics()
    );
}

fn timer_handle_clone_debug_and_send(workers: usize) {
    fn assert_traits<T: Clone + Send + Sync + std::fmt::Debug + 'static>() {}
    assert_traits::<TimerHandle>();
    let rt = rt(workers);
    let th = rt.handle().call_later(Duration::from_secs(30), || {});
    let dbg = format!("{th:?}");
    assert!(!dbg.is_empty(), "TimerHandle Debug is empty");
    let th2 = th.clone();
    assert_eq!(th2.when(), th.when());
    let moved = std::thread::spawn(move || th2.cancel()).join().unwrap();
    assert!(moved, "cancel() through a clone on another thread must win");
    assert!(th.is_cancelled(), "clones must share state");
    assert!(!th.cancel());
    assert!(!format!("{th:?}").is_empty());
    // Debug of a fired handle.
    let (tx, rx) = mpsc::channel();
    let fired = rt.handle().call_soon(move || tx.send(()).unwrap());
    rx.recv_timeout(Duration::from_secs(5)).unwrap();
    assert!(!format!("{fired:?}").is_empty());
}

// ---------------------------------------------------------------------------------------------
// configuration-specific tests

#[test]
fn call_soon_is_fifo_on_one_worker() {
    // test_events.py::test_call_soon / asyncio's FIFO ordering of call_soon from one thread.
    watchdog("call_soon_is_fifo_on_one_worker", || {
        let rt = rt(1);
        let order = Arc::new(Mutex::new(Vec::new()));
        // From a task on the (single) worker.
        let o2 = order.clone();
        futures::executor::block_on(rt.handle().spawn(async move {
            for i in 0..50 {
                let o = o2.clone();
                let _ = spindle::call_soon(move || o.lock().unwrap().push(i));
            }
        }))
        .unwrap();
        assert_eq!(wait_len(&order, 50, Duration::from_secs(5)), 50);
        let got = std::mem::take(&mut *order.lock().unwrap());
        assert_eq!(
            got,
            (0..50).collect::<Vec<_>>(),
            "call_soon on a worker is not FIFO"
        );
        // From one outside thread.
        for i in 0..50 {
            let o = order.clone();
            let _ = rt.handle().call_soon(move || o.lock().unwrap().push(i));
        }
        assert_eq!(wait_len(&order, 50, Duration::from_secs(5)), 50);
        let got = std::mem::take(&mut *order.lock().unwrap());
        assert_eq!(
            got,
            (0..50).collect::<Vec<_>>(),
            "call_soon from one thread is not FIFO"
        );
    })
}

fn worker_blocked_timers_not_hostage(workers: usize) {
    let rt = rt(workers);
    let log: FireLog = Arc::new(Mutex::new(Vec::new()));
    let l2 = log.clone();
    let jh = rt.handle().spawn(async move {
        let whens: Vec<Instant> = (0..50)
            .map(|i| {
                let log = l2.clone();
                // On this worker's own shard.
                spindle::call_later(Duration::from_millis(20), move || {
                    log.lock().unwrap().push((i, Instant::now()));
                })
                .when()
            })
            .collect();
        // Block this worker (not just the task) for 300 ms.
        std::thread::sleep(Duration::from_millis(300));
        (whens, Instant::now())
    });
    let (whens, block_end) = futures::executor::block_on(jh).unwrap();
    assert_eq!(
        wait_len(&log, 50, Duration::from_secs(5)),
        50,
        "not all 50 timers fired"
    );
    let log = log.lock().unwrap();
    check_never_early(&log, &whens);
    let limit = block_end - Duration::from_millis(100);
    let hostage: Vec<_> = log
        .iter()
        .filter(|(_, at)| *at >= limit)
        .map(|(i, at)| (*i, at.saturating_duration_since(whens[*i])))
        .collect();
    assert!(
        hostage.is_empty(),
        "{} of 50 timers were held hostage by the blocked worker (idx, lateness): {:?}",
        hostage.len(),
        &hostage[..hostage.len().min(5)]
    );
}

#[test]
fn worker_blocked_timers_not_hostage_2_workers() {
    watchdog("worker_blocked_timers_not_hostage_2_workers", || {
        worker_blocked_timers_not_hostage(2)
    })
}

#[test]
fn worker_blocked_timers_not_hostage_4_workers() {
    watchdog("worker_blocked_timers_not_hostage_4_workers", || {
        worker_blocked_timers_not_hostage(4)
    })
}

#[test]
fn free_functions_panic_outside_runtime() {
    watchdog("free_functions_panic_outside_runtime", || {
        let cases: Vec<(&str, fn())> = vec![
            ("call_soon", || {
                let _ = spindle::call_soon(|| {});
            }),
            ("call_later", || {
                let _ = spindle::call_later(Duration::from_millis(1), || {});
            }),
            ("call_at", || {
                let _ = spindle::call_at(Instant::now(), || {});
            }),
        ];
        for (name, f) in cases {
            let res = std::thread::spawn(f).join();
            let payload =
                res.expect_err(&format!("spindle::{name} outside a runtime did not panic"));
            let msg = panic_message(&*payload).unwrap_or_default();
            assert!(!msg.is_empty(), "spindle::{name}: empty panic message");
        }
    })
}

#[test]
fn burst_of_10k_same_tick_callbacks_spreads_over_workers() {
    // Issue: "A burst of 10k callbacks due in the same tick on one shard is spread over all
    // workers" (due callbacks become runnable units that idle workers steal).
    watchdog(
        "burst_of_10k_same_tick_callbacks_spreads_over_workers",
        || {
            let rt = rt(4);
            let threads = Arc::new(Mutex::new(std::collections::HashSet::new()));
            let count = Arc::new(AtomicUsize::new(0));
            let t2 = threads.clone();
            let c2 = count.clone();
            futures::executor::block_on(rt.handle().spawn(async move {
                // All on this worker's shard, all due at the same instant.
                let at = Instant::now() + Duration::from_millis(30);
                for _ in 0..10_000 {
                    let threads = t2.clone();
                    let count = c2.clone();
                    let _ = spindle::call_at(at, move || {
                        // ~20 us of work each: ~200 ms if one worker kept them all.
                        let until = Instant::now() + Duration::from_micros(20);
                        while Instant::now() < until {
                            std::hint::spin_loop();
                        }
                        threads.lock().unwrap().insert(std::thread::current().id());
                        count.fetch_add(1, Ordering::SeqCst);
                    });
                }
            }))
            .unwrap();
            assert!(
                wait_until(Duration::from_secs(10), || count.load(Ordering::SeqCst)
                    == 10_000),
                "only {} of 10k callbacks ran",
                count.load(Ordering::SeqCst)
            );
            let distinct = threads.lock().unwrap().len();
            assert!(
                distinct >= 2,
                "10k callbacks due in one tick on one shard all ran on {distinct} worker(s)"
            );
        },
    )
}

fn my_named_callback() {}

#[test]
fn timer_handle_debug_names_callback_and_state() {
    // Issue: "Debug shows the deadline, the state and the callback's type name".
    watchdog("timer_handle_debug_names_callback_and_state", || {
        let rt = rt(1);
        let th = rt
            .handle()
            .call_later(Duration::from_secs(30), my_named_callback);
        let armed = format!("{th:?}");
        assert!(
            armed.contains("my_named_callback"),
            "Debug does not name the callback: {armed}"
        );
        assert!(th.cancel());
        let cancelled = format!("{th:?}");
        assert_ne!(
            armed, cancelled,
            "Debug does not show the state change: {cancelled}"
        );
        assert!(
            cancelled.to_lowercase().contains("cancel"),
            "Debug of a cancelled handle does not say so: {cancelled}"
        );
    })
}
