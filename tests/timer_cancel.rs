//! TimerHandle::cancel: true exactly once, false after firing, racing cancel() against firing
//! from many threads (exactly one of run / cancel wins), prompt drop of cancelled closures
//! (owner-thread and remote cancels), Duration::MAX, churn keeps timers_pending near zero.

// `drop(x)` marks the exact moment a runtime / handle goes away; with types that have no
// drop glue (e.g. a signature-only build) clippy would flag these.
#![allow(clippy::drop_non_drop)]

#[macro_use]
mod common;

use common::{rt, wait_until, watchdog, DropCounter, XorShift};
use spindle::TimerHandle;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

rt_suite!(
    cancel_before_fire,
    cancel_returns_true_once_then_false,
    cancel_after_fire_returns_false,
    cancel_through_clone,
    cancelled_timers_never_run,
    cancel_on_owner_worker_drops_promptly,
    remote_cancel_drops_promptly_while_owner_parked,
    concurrent_cancel_exactly_one_wins,
    race_cancel_against_firing_1000_timers,
    race_cancel_against_firing_from_tasks,
    cancel_inside_own_callback_returns_false,
    duration_max_accepted_and_cancellable,
    huge_deadlines_do_not_overflow,
    churn_arm_cancel_keeps_pending_near_zero,
    churn_arm_cancel_on_worker,
    prompt_drop_for_each_of_1000_remote_cancels,
);

fn counted_closure(drops: &DropCounter, ran: &Arc<AtomicUsize>) -> impl FnOnce() + Send + 'static {
    let token = drops.token();
    let ran = ran.clone();
    move || {
        let _token = token;
        ran.fetch_add(1, Ordering::SeqCst);
    }
}

fn cancel_before_fire(workers: usize) {
    // test_events.py: TimerHandle.cancel() before it runs.
    let rt = rt(workers);
    let drops = DropCounter::new();
    let ran = Arc::new(AtomicUsize::new(0));
    let th = rt
        .handle()
        .call_later(Duration::from_millis(50), counted_closure(&drops, &ran));
    assert!(!th.is_cancelled());
    assert!(
        th.cancel(),
        "first cancel() of a pending timer must return true"
    );
    assert!(th.is_cancelled());
    assert_eq!(
        drops.wait_for(1, Duration::from_secs(1)),
        1,
        "cancelled closure not dropped promptly"
    );
    std::thread::sleep(Duration::from_millis(150));
    assert_eq!(ran.load(Ordering::SeqCst), 0, "cancelled callback ran");
    assert_eq!(drops.get(), 1, "closure dropped twice?");
}

fn cancel_returns_true_once_then_false(workers: usize) {
    let rt = rt(workers);
    for delay in [
        Duration::ZERO,
        Duration::from_millis(30),
        Duration::from_secs(30),
    ] {
        let th = rt
            .handle()
            .call_later(delay + Duration::from_millis(200), || {});
        assert!(th.cancel());
        for _ in 0..5 {
            assert!(!th.cancel(), "cancel() returned true twice");
            assert!(th.is_cancelled());
        }
    }
}

fn cancel_after_fire_returns_false(workers: usize) {
    // test_events.py: cancelling after the callback ran returns False / has no effect.
    let rt = rt(workers);
    let drops = DropCounter::new();
    let ran = Arc::new(AtomicUsize::new(0));
    let th = rt.handle().call_soon(counted_closure(&drops, &ran));
    assert!(wait_until(Duration::from_secs(5), || ran
        .load(Ordering::SeqCst)
        == 1));
    assert!(
        !th.cancel(),
        "cancel() after the callback ran must return false"
    );
    assert!(!th.is_cancelled(), "a fired timer is not cancelled");
    assert_eq!(drops.wait_for(1, Duration::from_secs(1)), 1);
    // Same for call_later.
    let th = rt
        .handle()
        .call_later(Duration::from_millis(5), counted_closure(&drops, &ran));
    assert!(wait_until(Duration::from_secs(5), || ran
        .load(Ordering::SeqCst)
        == 2));
    assert!(!th.cancel());
    assert!(!th.is_cancelled());
}

fn cancel_through_clone(workers: usize) {
    let rt = rt(workers);
    let th = rt.handle().call_later(Duration::from_secs(30), || {});
    let clones: Vec<TimerHandle> = (0..4).map(|_| th.clone()).collect();
    assert!(clones[2].cancel());
    assert!(!th.cancel());
    assert!(clones.iter().all(|c| c.is_cancelled() && !c.cancel()));
}

fn cancelled_timers_never_run(workers: usize) {
    let rt = rt(workers);
    let m0 = rt.handle().metrics();
    let drops = DropCounter::new();
    let ran = Arc::new(AtomicUsize::new(0));
    let handles: Vec<_> = (0..100)
        .map(|i| {
            rt.handle().call_later(
                Duration::from_millis(20 + i % 10),
                counted_closure(&drops, &ran),
            )
        })
        .collect();
    for th in &handles {
        assert!(th.cancel());
    }
    assert_eq!(drops.wait_for(100, Duration::from_secs(1)), 100);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(ran.load(Ordering::SeqCst), 0);
    let m = rt.handle().metrics();
    assert!(
        m.timers_cancelled() >= m0.timers_cancelled() + 100,
        "timers_cancelled {m0:?} -> {m:?}"
    );
    assert_eq!(
        m.timers_fired(),
        m0.timers_fired(),
        "cancelled timers counted as fired"
    );
}

fn cancel_on_owner_worker_drops_promptly(workers: usize) {
    // Armed and cancelled on the same worker thread: the owner unlinks the entry at once, so
    // the closure is dropped right away (a bounded 1 s poll is allowed; stop at the first miss).
    let rt = rt(workers);
    let drops = DropCounter::new();
    let d2 = drops.clone();
    let res = futures::executor::block_on(rt.handle().spawn(async move {
        for i in 0..100u64 {
            let token = d2.token();
            let th = spindle::call_later(Duration::from_secs(30 + i), move || drop(token));
            if !th.cancel() {
                return Err(format!("cancel #{i} on the owner worker returned false"));
            }
            let expected = i as usize + 1;
            let got = d2.wait_for(expected, Duration::from_secs(1));
            if got != expected {
                return Err(format!(
                    "closure #{i} not dropped within 1 s of a winning cancel() on its owner \
                     worker (drops = {got})"
                ));
            }
        }
        Ok(())
    }))
    .unwrap();
    if let Err(msg) = res {
        panic!("{msg}");
    }
}

fn remote_cancel_drops_promptly_while_owner_parked(workers: usize) {
    // Armed on a worker's own shard, cancelled from a plain thread while the worker is parked
    // with a 30 s deadline: the closure must go long before 30 s.
    let rt = rt(workers);
    let drops = DropCounter::new();
    let d2 = drops.clone();
    let handles = futures::executor::block_on(rt.handle().spawn(async move {
        (0..10)
            .map(|_| {
                let token = d2.token();
                spindle::call_later(Duration::from_secs(30), move || drop(token))
            })
            .collect::<Vec<_>>()
    }))
    .unwrap();
    std::thread::sleep(Duration::from_millis(50)); // let the owner park
    for (i, th) in handles.iter().enumerate() {
        assert!(th.cancel());
        assert_eq!(
            drops.wait_for(i + 1, Duration::from_secs(1)),
            i + 1,
            "remote-cancelled closure #{i} not dropped within 1 s"
        );
    }
}

fn concurrent_cancel_exactly_one_wins(workers: usize) {
    let rt = rt(workers);
    for _ in 0..50 {
        let th = rt.handle().call_later(Duration::from_secs(30), || {});
        let barrier = Arc::new(Barrier::new(8));
        let wins: usize = (0..8)
            .map(|_| {
                let th = th.clone();
                let barrier = barrier.clone();
                std::thread::spawn(move || {
                    barrier.wait();
                    th.cancel()
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|t| t.join().unwrap() as usize)
            .sum();
        assert_eq!(wins, 1, "{wins} concurrent cancel() calls returned true");
        assert!(th.is_cancelled());
    }
}

fn race_cancel_against_firing_1000_timers(workers: usize) {
    // 1000 timers due right about now; each raced by 2 canceller threads (2000 threads in
    // batches). Invariant per timer: ran + (winning cancels) == 1, at most one winning cancel.
    const TIMERS: usize = 1000;
    const BATCH: usize = 50;
    let rt = rt(workers);
    let ran: Arc<Vec<AtomicUsize>> = Arc::new((0..TIMERS).map(|_| AtomicUsize::new(0)).collect());
    let wins: Arc<Vec<AtomicUsize>> = Arc::new((0..TIMERS).map(|_| AtomicUsize::new(0)).collect());
    let drops = DropCounter::new();
    let mut rng = XorShift::new(1234);
    for batch in 0..TIMERS / BATCH {
        let mut threads = Vec::with_capacity(BATCH * 2);
        for j in 0..BATCH {
            let idx = batch * BATCH + j;
            let token = drops.token();
            let r = ran.clone();
            let th = rt
                .handle()
                .call_later(Duration::from_micros(rng.below(1_500)), move || {
                    let _token = token;
                    r[idx].fetch_add(1, Ordering::SeqCst);
                });
            for _ in 0..2 {
                let th = th.clone();
                let wins = wins.clone();
                let spin = Duration::from_micros(rng.below(2_000));
                threads.push(std::thread::spawn(move || {
                    // Wait (yielding, not hogging the 2 shared cores) until about the deadline.
                    let until = Instant::now() + spin;
                    while Instant::now() < until {
                        std::thread::yield_now();
                    }
                    if th.cancel() {
                        wins[idx].fetch_add(1, Ordering::SeqCst);
                    }
                }));
            }
        }
        for t in threads {
            t.join().unwrap();
        }
    }
    // Every timer not cancelled must run (give late ones time), cancelled ones never.
    let settled = wait_until(Duration::from_secs(5), || {
        (0..TIMERS).all(|i| ran[i].load(Ordering::SeqCst) + wins[i].load(Ordering::SeqCst) >= 1)
    });
    std::thread::sleep(Duration::from_millis(20));
    let mut cancelled = 0;
    for i in 0..TIMERS {
        let r = ran[i].load(Ordering::SeqCst);
        let w = wins[i].load(Ordering::SeqCst);
        assert!(w <= 1, "timer {i}: {w} cancel() calls returned true");
        assert!(r <= 1, "timer {i}: callback ran {r} times");
        assert_eq!(
            r + w,
            1,
            "timer {i}: ran={r}, winning cancels={w} (settled={settled}): exactly one must happen"
        );
        cancelled += w;
    }
    assert_eq!(
        drops.wait_for(TIMERS, Duration::from_secs(1)),
        TIMERS,
        "every closure (run or cancelled) must be dropped; cancelled = {cancelled}"
    );
}

fn race_cancel_against_firing_from_tasks(workers: usize) {
    // Same race, with the cancels issued from tasks on the runtime's own workers (which may or
    // may not be the owning shard).
    const TIMERS: usize = 1000;
    let rt = rt(workers);
    let ran: Arc<Vec<AtomicUsize>> = Arc::new((0..TIMERS).map(|_| AtomicUsize::new(0)).collect());
    let wins: Arc<Vec<AtomicUsize>> = Arc::new((0..TIMERS).map(|_| AtomicUsize::new(0)).collect());
    let mut rng = XorShift::new(77);
    let mut joins = Vec::new();
    for idx in 0..TIMERS {
        let r = ran.clone();
        let th = rt
            .handle()
            .call_later(Duration::from_micros(rng.below(1_000)), move || {
                r[idx].fetch_add(1, Ordering::SeqCst);
            });
        let wins = wins.clone();
        let spins = rng.below(300);
        joins.push(rt.handle().spawn(async move {
            for _ in 0..spins {
                std::hint::spin_loop();
            }
            if th.cancel() {
                wins[idx].fetch_add(1, Ordering::SeqCst);
            }
        }));
    }
    for j in joins {
        futures::executor::block_on(j).unwrap();
    }
    wait_until(Duration::from_secs(5), || {
        (0..TIMERS).all(|i| ran[i].load(Ordering::SeqCst) + wins[i].load(Ordering::SeqCst) >= 1)
    });
    std::thread::sleep(Duration::from_millis(20));
    for i in 0..TIMERS {
        let r = ran[i].load(Ordering::SeqCst);
        let w = wins[i].load(Ordering::SeqCst);
        assert_eq!(
            (r + w, w <= 1),
            (1, true),
            "timer {i}: ran={r}, winning cancels={w}"
        );
    }
}

fn cancel_inside_own_callback_returns_false(workers: usize) {
    // asyncio: a handle cancelled while its callback is running: the callback already runs, so
    // cancel() did not stop it.
    let rt = rt(workers);
    let slot: Arc<Mutex<Option<TimerHandle>>> = Arc::new(Mutex::new(None));
    let (tx, rx) = mpsc::channel();
    let s2 = slot.clone();
    let th = rt.handle().call_later(Duration::from_millis(50), move || {
        let me = s2
            .lock()
            .unwrap()
            .clone()
            .expect("handle stored before firing");
        tx.send((me.cancel(), me.is_cancelled())).unwrap();
    });
    *slot.lock().unwrap() = Some(th.clone());
    let (won, is_cancelled) = rx.recv_timeout(Duration::from_secs(5)).unwrap();
    assert!(
        !won,
        "cancel() from inside the running callback returned true"
    );
    assert!(!is_cancelled);
    assert!(!th.cancel());
}

fn duration_max_accepted_and_cancellable(workers: usize) {
    let rt = rt(workers);
    let drops = DropCounter::new();
    let ran = Arc::new(AtomicUsize::new(0));
    // From outside.
    let th = rt
        .handle()
        .call_later(Duration::MAX, counted_closure(&drops, &ran));
    let w = th.when(); // must not panic
    assert!(
        w > Instant::now() + Duration::from_secs(86_400 * 365),
        "when() of Duration::MAX"
    );
    assert!(!th.is_cancelled());
    assert!(!format!("{th:?}").is_empty());
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(ran.load(Ordering::SeqCst), 0, "Duration::MAX timer fired");
    assert!(th.cancel(), "Duration::MAX timer must stay cancellable");
    assert!(th.is_cancelled());
    assert_eq!(drops.wait_for(1, Duration::from_secs(1)), 1);
    // From a worker (local shard), cancelled both locally and remotely.
    let d2 = drops.clone();
    let r2 = ran.clone();
    let (local_won, remote) = futures::executor::block_on(rt.handle().spawn(async move {
        let a = spindle::call_later(Duration::MAX, counted_closure(&d2, &r2));
        let b = spindle::call_later(Duration::MAX, counted_closure(&d2, &r2));
        let _ = (a.when(), b.when());
        (a.cancel(), b)
    }))
    .unwrap();
    assert!(local_won);
    assert!(remote.cancel());
    assert_eq!(drops.wait_for(3, Duration::from_secs(1)), 3);
    assert_eq!(ran.load(Ordering::SeqCst), 0);
    // The runtime still works normally afterwards (nothing overflowed in the wheel).
    let (tx, rx) = mpsc::channel();
    let _ = rt
        .handle()
        .call_later(Duration::from_millis(5), move || tx.send(()).unwrap());
    rx.recv_timeout(Duration::from_secs(5)).unwrap();
}

fn huge_deadlines_do_not_overflow(workers: usize) {
    let rt = rt(workers);
    let ran = Arc::new(AtomicBool::new(false));
    let delays = [
        Duration::from_secs(86_400), // asyncio 3.7 used to reject > 1 day
        Duration::from_secs(86_400 * 365 * 100), // a century
        Duration::from_secs(u64::MAX / 2),
        Duration::new(u64::MAX, 999_999_999), // == Duration::MAX
        Duration::from_millis(u64::MAX),
    ];
    let mut handles = Vec::new();
    for d in delays {
        let r1 = ran.clone();
        handles.push(
            rt.handle()
                .call_later(d, move || r1.store(true, Ordering::SeqCst)),
        );
        // call_at with an instant as far as Instant allows.
        if let Some(at) = Instant::now().checked_add(d) {
            let r2 = ran.clone();
            handles.push(
                rt.handle()
                    .call_at(at, move || r2.store(true, Ordering::SeqCst)),
            );
        }
    }
    std::thread::sleep(Duration::from_millis(30));
    // A near timer behind all the far ones still fires.
    let (tx, rx) = mpsc::channel();
    let _ = rt
        .handle()
        .call_later(Duration::from_millis(2), move || tx.send(()).unwrap());
    rx.recv_timeout(Duration::from_secs(5)).unwrap();
    assert!(!ran.load(Ordering::SeqCst), "a far-future timer fired");
    for th in handles {
        let _ = th.when();
        assert!(th.cancel());
    }
}

fn churn_arm_cancel_keeps_pending_near_zero(workers: usize) {
    // Remote path: a plain thread arms and cancels 30 s timers in a tight loop.
    const CYCLES: usize = 200_000;
    let rt = rt(workers);
    let drops = DropCounter::new();
    let h = rt.handle().clone();
    let start = Instant::now();
    for i in 0..CYCLES {
        let token = drops.token();
        let th = h.call_later(Duration::from_secs(30), move || drop(token));
        assert!(
            th.cancel(),
            "cycle {i}: cancel of a 30 s timer returned false"
        );
    }
    let took = start.elapsed();
    assert_eq!(
        drops.wait_for(CYCLES, Duration::from_secs(1)),
        CYCLES,
        "cancelled closures not dropped within 1 s after the churn"
    );
    let settled = wait_until(Duration::from_secs(1), || {
        rt.handle().metrics().timers_pending() <= 16
    });
    assert!(
        settled,
        "timers_pending() = {} after {CYCLES} arm+cancel cycles (took {took:?})",
        rt.handle().metrics().timers_pending()
    );
}

fn churn_arm_cancel_on_worker(workers: usize) {
    // Local path: arm and cancel on the worker's own shard.
    const CYCLES: usize = 300_000;
    let rt = rt(workers);
    let drops = DropCounter::new();
    let d2 = drops.clone();
    let max_live = futures::executor::block_on(rt.handle().spawn(async move {
        let mut max_live = 0;
        for i in 0..CYCLES {
            let token = d2.token();
            let th = spindle::call_later(Duration::from_secs(30), move || drop(token));
            assert!(th.cancel(), "cycle {i}: cancel returned false");
            if i % 1000 == 999 {
                max_live = max_live.max(i + 1 - d2.get());
                spindle::yield_now().await;
            }
        }
        max_live
    }))
    .unwrap();
    assert_eq!(drops.wait_for(CYCLES, Duration::from_secs(1)), CYCLES);
    assert!(
        max_live <= 10_000,
        "up to {max_live} cancelled closures were alive at once during churn"
    );
    assert!(
        wait_until(Duration::from_secs(1), || rt
            .handle()
            .metrics()
            .timers_pending()
            <= 16),
        "timers_pending() = {} after local churn",
        rt.handle().metrics().timers_pending()
    );
}

fn prompt_drop_for_each_of_1000_remote_cancels(workers: usize) {
    // The contract: captured data is dropped promptly after a winning cancel(). Check each one
    // individually (bounded wait of 1 s), with the runtime otherwise idle.
    let rt = rt(workers);
    let drops = DropCounter::new();
    for i in 0..1000 {
        let token = drops.token();
        let th = rt
            .handle()
            .call_later(Duration::from_secs(30), move || drop(token));
        assert!(th.cancel());
        let n = drops.wait_for(i + 1, Duration::from_secs(1));
        assert_eq!(
            n,
            i + 1,
            "cycle {i}: cancelled closure not dropped within 1 s"
        );
    }
}

#[test]
fn cancel_race_many_rounds_single_timer_per_round() {
    // One timer due ~now per round, cancelled from another thread at nearly the same moment;
    // with each cancel attempted exactly at the deadline the two sides race as hard as possible.
    watchdog("cancel_race_many_rounds_single_timer_per_round", || {
        let rt = rt(2);
        let mut both_outcomes = (0, 0);
        for round in 0..500 {
            let ran = Arc::new(AtomicUsize::new(0));
            let r2 = ran.clone();
            let deadline = Instant::now() + Duration::from_micros(300);
            let th = rt.handle().call_at(deadline, move || {
                r2.fetch_add(1, Ordering::SeqCst);
            });
            let th2 = th.clone();
            let canceller = std::thread::spawn(move || {
                while Instant::now() < deadline {
                    std::hint::spin_loop();
                }
                th2.cancel()
            });
            let won = canceller.join().unwrap();
            if !won {
                assert!(
                    wait_until(Duration::from_secs(2), || ran.load(Ordering::SeqCst) == 1),
                    "round {round}: cancel lost but callback never ran"
                );
                both_outcomes.1 += 1;
            } else {
                both_outcomes.0 += 1;
            }
            std::thread::sleep(Duration::from_micros(200));
            let r = ran.load(Ordering::SeqCst);
            assert_eq!(r, usize::from(!won), "round {round}: won={won}, ran={r}");
            assert_eq!(th.is_cancelled(), won);
        }
        eprintln!(
            "cancel won {} rounds, callback won {}",
            both_outcomes.0, both_outcomes.1
        );
    })
}
