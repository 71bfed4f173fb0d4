//! `call_every`: one entry re-armed in place; cancel semantics; Skip; zero and huge periods.

#[macro_use]
mod common;

use common::{rt, wait_until, DropCounter};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{mpsc, Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

const LONG: Duration = Duration::from_secs(10);

fn runs_until_cancelled(workers: usize) {
    let rt = rt(workers);
    let runs = Arc::new(AtomicUsize::new(0));
    let drops = DropCounter::new();
    let (r, token) = (runs.clone(), drops.token());
    let t = rt.handle().call_every(Duration::from_millis(2), move || {
        let _keep = &token;
        r.fetch_add(1, SeqCst);
    });
    assert!(wait_until(LONG, || runs.load(SeqCst) >= 5));
    assert!(t.cancel(), "the first cancel stops it");
    assert!(!t.cancel(), "a second cancel does not");
    assert!(t.is_cancelled());
    // Cancelled between runs: the closure is dropped before cancel() returns (or, if a run
    // was in progress, right after it).
    assert_eq!(drops.wait_for(1, LONG), 1);
    let after = runs.load(SeqCst);
    std::thread::sleep(Duration::from_millis(30));
    assert_eq!(runs.load(SeqCst), after, "no run after cancel");
    assert_eq!(rt.handle().metrics().timers_pending(), 0);
}

fn slow_callback_never_overlaps_and_skips(workers: usize) {
    let rt = rt(workers);
    let period = Duration::from_millis(10);
    let in_flight = Arc::new(AtomicUsize::new(0));
    let overlap = Arc::new(AtomicBool::new(false));
    let starts = Arc::new(Mutex::new(Vec::new()));
    let (f, o, s) = (in_flight.clone(), overlap.clone(), starts.clone());
    let t = rt.handle().call_every(period, move || {
        if f.fetch_add(1, SeqCst) != 0 {
            o.store(true, SeqCst);
        }
        s.lock().unwrap().push(Instant::now());
        std::thread::sleep(Duration::from_millis(35)); // 3.5 periods
        f.fetch_sub(1, SeqCst);
    });
    let start = t.when() - period; // the grid origin
    assert!(wait_until(LONG, || starts.lock().unwrap().len() >= 5));
    assert!(t.cancel());
    let starts = starts.lock().unwrap().clone();
    assert!(!overlap.load(SeqCst), "a run overlapped the previous one");
    for w in starts.windows(2) {
        // Skip: the next run is the next grid point after the slow run ended (at least 4
        // periods later here), not the missed ones in a burst.
        assert!(
            w[1] - w[0] >= Duration::from_millis(35),
            "runs {:?} apart",
            w[1] - w[0]
        );
    }
    // Every run is at or after a grid point, never before the first one.
    assert!(starts[0] >= start + period);
}

fn when_is_the_next_run_on_the_grid(workers: usize) {
    let rt = rt(workers);
    let period = Duration::from_millis(20);
    let runs = Arc::new(AtomicUsize::new(0));
    let r = runs.clone();
    let t = rt.handle().call_every(period, move || {
        r.fetch_add(1, SeqCst);
    });
    let first = t.when();
    assert!(first > rt.handle().time() - period);
    assert!(wait_until(LONG, || runs.load(SeqCst) >= 2));
    let next = t.when();
    let since = next - first;
    assert!(since >= 2 * period, "when() moved on: {since:?}");
    assert_eq!(
        since.as_nanos() % period.as_nanos(),
        0,
        "on the grid: {since:?}"
    );
    assert!(t.cancel());
}

fn cancel_from_inside_the_callback(workers: usize) {
    let rt = rt(workers);
    let me: Arc<OnceLock<spindle::TimerHandle>> = Arc::new(OnceLock::new());
    let runs = Arc::new(AtomicUsize::new(0));
    let won = Arc::new(AtomicUsize::new(0));
    let drops = DropCounter::new();
    let (m, r, w, token) = (me.clone(), runs.clone(), won.clone(), drops.token());
    let t = rt.handle().call_every(Duration::from_millis(2), move || {
        let _keep = &token;
        if r.fetch_add(1, SeqCst) + 1 == 3 {
            let h = loop {
                if let Some(h) = m.get() {
                    break h;
                }
                std::thread::yield_now();
            };
            if h.cancel() {
                w.fetch_add(1, SeqCst);
            }
            // The closure (and `token`) is still alive: the runner drops it after we return.
            assert!(!h.cancel());
        }
    });
    me.set(t.clone()).unwrap();
    assert_eq!(
        drops.wait_for(1, LONG),
        1,
        "closure dropped after the cancelling run"
    );
    assert_eq!(won.load(SeqCst), 1, "cancel inside the run returned true");
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(runs.load(SeqCst), 3, "no run after the cancelling one");
    assert!(t.is_cancelled());
    assert!(!t.cancel());
}

fn cancel_from_another_thread_during_a_run(workers: usize) {
    let rt = rt(workers);
    let (started_tx, started_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let release_rx = Mutex::new(release_rx);
    let runs = Arc::new(AtomicUsize::new(0));
    let drops = DropCounter::new();
    let (r, token) = (runs.clone(), drops.token());
    let t = rt.handle().call_every(Duration::from_millis(2), move || {
        let _keep = &token;
        r.fetch_add(1, SeqCst);
        started_tx.send(()).unwrap();
        release_rx.lock().unwrap().recv().unwrap();
    });
    started_rx.recv_timeout(LONG).unwrap();
    let t2 = t.clone();
    let cancelled = std::thread::spawn(move || t2.cancel()).join().unwrap();
    assert!(cancelled, "cancel during a run stops every later run");
    assert_eq!(
        drops.get(),
        0,
        "the running closure is not dropped under the runner"
    );
    release_tx.send(()).unwrap();
    assert_eq!(
        drops.wait_for(1, LONG),
        1,
        "the runner drops it after the run"
    );
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(runs.load(SeqCst), 1);
    assert!(!t.cancel());
}

fn from_an_outside_thread(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    let runs = Arc::new(AtomicUsize::new(0));
    let r = runs.clone();
    let t = std::thread::spawn(move || {
        h.call_every(Duration::from_millis(1), move || {
            r.fetch_add(1, SeqCst);
        })
    })
    .join()
    .unwrap();
    assert!(wait_until(LONG, || runs.load(SeqCst) >= 10));
    assert!(t.cancel());
}

fn free_function_on_a_worker(workers: usize) {
    let rt = rt(workers);
    let runs = Arc::new(AtomicUsize::new(0));
    let r = runs.clone();
    let t = rt.block_on(rt.handle().spawn(async move {
        spindle::call_every(Duration::from_millis(1), move || {
            r.fetch_add(1, SeqCst);
        })
    }));
    let t = t.unwrap();
    assert!(wait_until(LONG, || runs.load(SeqCst) >= 10));
    assert!(t.cancel());
}

fn zero_period_panics(_workers: usize) {
    let rt = rt(1);
    let h = rt.handle().clone();
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
        h.call_every(Duration::ZERO, || {})
    }))
    .unwrap_err();
    let msg = common::panic_message(&*err).unwrap();
    assert!(msg.contains("period must be non-zero"), "{msg}");
    let err = rt
        .block_on(
            rt.handle()
                .spawn(async { spindle::call_every(Duration::ZERO, || {}) }),
        )
        .unwrap_err();
    assert!(err.is_panic());
}

fn duration_max_is_cancellable(workers: usize) {
    let rt = rt(workers);
    let drops = DropCounter::new();
    let token = drops.token();
    let t = rt.handle().call_every(Duration::MAX, move || {
        let _keep = &token;
        unreachable!("never fires");
    });
    assert!(t.when() > rt.handle().time() + Duration::from_secs(1 << 40));
    assert_eq!(rt.handle().metrics().timers_pending(), 1);
    std::thread::sleep(Duration::from_millis(10));
    assert!(t.cancel());
    assert_eq!(drops.get(), 1, "closure dropped by cancel");
    assert_eq!(rt.handle().metrics().timers_pending(), 0);
}

fn a_panicking_run_ends_the_timer(workers: usize) {
    let panics = Arc::new(AtomicUsize::new(0));
    let p = panics.clone();
    let rt = spindle::Builder::new()
        .worker_threads(workers)
        .on_callback_panic(move |_| {
            p.fetch_add(1, SeqCst);
        })
        .build()
        .unwrap();
    let runs = Arc::new(AtomicUsize::new(0));
    let drops = DropCounter::new();
    let (r, token) = (runs.clone(), drops.token());
    let t = rt.handle().call_every(Duration::from_millis(1), move || {
        let _keep = &token;
        if r.fetch_add(1, SeqCst) == 1 {
            panic!("second run fails");
        }
    });
    assert_eq!(drops.wait_for(1, LONG), 1);
    assert_eq!(panics.load(SeqCst), 1);
    std::thread::sleep(Duration::from_millis(10));
    assert_eq!(runs.load(SeqCst), 2);
    assert!(!t.cancel(), "already over");
    // The runtime goes on.
    assert_eq!(rt.block_on(rt.handle().spawn(async { 1 })).unwrap(), 1);
}

fn shutdown_drops_the_closure(workers: usize) {
    let rt = rt(workers);
    let drops = DropCounter::new();
    let token = drops.token();
    let t = rt.handle().call_every(Duration::from_millis(1), move || {
        let _keep = &token;
    });
    std::thread::sleep(Duration::from_millis(10));
    drop(rt);
    assert_eq!(drops.wait_for(1, LONG), 1);
    assert!(!t.cancel());
    assert!(t.is_cancelled());
}

fn after_shutdown_is_cancelled(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    drop(rt);
    let drops = DropCounter::new();
    let token = drops.token();
    let t = h.call_every(Duration::from_millis(1), move || {
        let _keep = &token;
    });
    assert!(t.is_cancelled());
    assert_eq!(drops.get(), 1);
}

rt_suite!(
    runs_until_cancelled,
    slow_callback_never_overlaps_and_skips,
    when_is_the_next_run_on_the_grid,
    cancel_from_inside_the_callback,
    cancel_from_another_thread_during_a_run,
    from_an_outside_thread,
    free_function_on_a_worker,
    zero_period_panics,
    duration_max_is_cancellable,
    a_panicking_run_ends_the_timer,
    shutdown_drops_the_closure,
    after_shutdown_is_cancelled,
);
