//! Acceptance tests modelled on what tokio's time tests check (`time_sleep.rs`,
//! `time_timeout.rs`, `time_interval.rs`): never early, wheel-level boundaries, reset in
//! every state, drops from inside wakers, huge durations, timeouts that the inner future
//! cannot starve, interval grids, and periodic callbacks. Real time only (virtual time is
//! not on this branch).

#![allow(clippy::drop_non_drop)]

#[macro_use]
mod common;

use common::{rt, wait_until, watchdog, DropCounter};
use spindle::{MissedTickBehavior, Sleep};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{mpsc, Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

const LONG: Duration = Duration::from_secs(15);

rt_suite!(
    sleeps_at_wheel_level_boundaries_never_early,
    sub_tick_sleeps_complete_and_never_early,
    sleep_then_longer_sleep_wrapping_the_wheel,
    reset_to_past_before_first_poll_completes_at_once,
    reset_future_sleep_after_fire_rearms,
    reset_from_high_level_to_near_deadline,
    drop_other_sleep_from_inside_a_wake,
    sleep_greater_than_max_never_panics,
    many_short_sleeps_complete,
    sleep_from_one_runtime_polled_in_another,
    timeout_not_starved_by_self_waking_inner,
    timeout_completed_inner_wins_past_deadline,
    timeout_very_large_and_deadline_now,
    timeout_inner_panic_propagates,
    interval_at_past_start_ticks_the_start_at_once,
    interval_ticks_on_grid_never_early,
    interval_burst_ticks_are_the_missed_grid_instants,
    interval_dropped_reclaims_its_timer,
    call_every_runs_never_early_and_when_advances,
    call_every_from_outside_thread_cancel_drops_closure,
    reset_racing_fire_never_early,
    sleep_reset_from_foreign_while_owner_stuck,
    interval_self_waking_poll_tick_never_early,
    sleep_polled_again_after_ready,
    interval_at_future_start_never_early,
    reset_after_shutdown,
);

/// Asserts `s` completes no earlier than its deadline (by the runtime clock and by std).
async fn check_sleep(d: Duration) {
    let h = spindle::Handle::current();
    let (t0, c0) = (Instant::now(), h.time());
    let s = spindle::sleep(d);
    let deadline = s.deadline();
    assert!(deadline >= c0 + d);
    s.await;
    assert!(
        h.time() >= deadline,
        "sleep({d:?}) woke before its deadline"
    );
    assert!(t0.elapsed() >= d, "sleep({d:?}) woke early by std's clock");
}

/// tokio `delayed_sleep_level_0` and friends, on the delays where a hierarchical wheel with
/// 64 slots per level changes level (63/64/65 ticks and 4095/4096/4097 ticks).
fn sleeps_at_wheel_level_boundaries_never_early(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    let delays = [1u64, 2, 63, 64, 65, 127, 128, 129, 4095, 4096, 4097];
    let hs: Vec<_> = delays
        .iter()
        .map(|&ms| h.spawn(check_sleep(Duration::from_millis(ms))))
        .collect();
    rt.block_on(async move {
        for jh in hs {
            jh.await.unwrap();
        }
    });
}

/// tokio `sub_ms_delayed_sleep`: sleeps shorter than the tick still never end early.
fn sub_tick_sleeps_complete_and_never_early(workers: usize) {
    let rt = rt(workers);
    rt.block_on(async {
        for us in [1u64, 10, 100, 500, 999, 1001, 1500] {
            check_sleep(Duration::from_micros(us)).await;
        }
    });
}

/// tokio `delayed_sleep_wrapping_level_0`: after the wheel turned, a longer sleep lands in
/// the right slot.
fn sleep_then_longer_sleep_wrapping_the_wheel(workers: usize) {
    let rt = rt(workers);
    rt.block_on(async {
        check_sleep(Duration::from_millis(5)).await;
        check_sleep(Duration::from_millis(60)).await;
        check_sleep(Duration::from_millis(70)).await;
    });
}

/// tokio `reset_past_sleep_before_turn` / `reset_sleep_to_past`.
fn reset_to_past_before_first_poll_completes_at_once(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    rt.block_on(async move {
        let mut s = Box::pin(spindle::sleep(Duration::from_secs(3600)));
        let now = h.time();
        s.as_mut().reset(now);
        assert_eq!(s.deadline(), now);
        let t0 = Instant::now();
        s.as_mut().await;
        assert!(t0.elapsed() < Duration::from_secs(5));
        assert!(s.is_elapsed());
    });
    assert!(wait_until(LONG, || rt.handle().metrics().timers_pending() == 0));
}

/// tokio `reset_future_sleep_after_fire`: once fired, reset re-arms for the new deadline.
fn reset_future_sleep_after_fire_rearms(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    rt.block_on(async move {
        let mut s = Box::pin(spindle::sleep(Duration::from_millis(2)));
        s.as_mut().await;
        assert!(s.is_elapsed());
        let target = h.time() + Duration::from_millis(30);
        s.as_mut().reset(target);
        assert!(!s.is_elapsed(), "a reset into the future is not elapsed");
        s.as_mut().await;
        assert!(h.time() >= target);
    });
}

/// A sleep armed far out (a high wheel level) and reset to 20 ms fires at 20 ms, not at its
/// old deadline and not early; then reset further out and dropped reclaims its entry.
fn reset_from_high_level_to_near_deadline(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    let hh = h.clone();
    rt.block_on(h.spawn(async move {
        let mut s = Box::pin(spindle::sleep(Duration::from_secs(7200)));
        // poll once so it is registered on a wheel
        futures::future::poll_fn(|cx| {
            assert!(s.as_mut().poll(cx).is_pending());
            Poll::Ready(())
        })
        .await;
        let target = hh.time() + Duration::from_millis(20);
        s.as_mut().reset(target);
        let t0 = Instant::now();
        s.as_mut().await;
        assert!(hh.time() >= target);
        assert!(t0.elapsed() < Duration::from_secs(5));
        s.as_mut().reset(hh.time() + Duration::from_secs(7200));
        drop(s);
    }))
    .unwrap();
    assert!(wait_until(LONG, || h.metrics().timers_pending() == 0));
}

/// tokio `drop_from_wake`: a waker that, when woken, drops *other* sleeps (entries on the
/// same wheel, possibly being fired in the same turn) neither deadlocks nor loses counts.
fn drop_other_sleep_from_inside_a_wake(workers: usize) {
    struct DropOthers {
        others: Mutex<Vec<Pin<Box<Sleep>>>>,
        woken: AtomicUsize,
    }
    impl Wake for DropOthers {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref()
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.woken.fetch_add(1, SeqCst);
            self.others.lock().unwrap().clear();
        }
    }
    let rt = rt(workers);
    let h = rt.handle().clone();
    let d = Duration::from_millis(10);
    let w = Arc::new(DropOthers {
        others: Mutex::new(Vec::new()),
        woken: AtomicUsize::new(0),
    });
    let waker = Waker::from(w.clone());
    let mut cx = Context::from_waker(&waker);
    let mut mine: Vec<Pin<Box<Sleep>>> = (0..10).map(|_| Box::pin(h.sleep(d))).collect();
    {
        let mut others = w.others.lock().unwrap();
        for _ in 0..20 {
            let mut s = Box::pin(h.sleep(d));
            assert!(s.as_mut().poll(&mut cx).is_pending());
            others.push(s);
        }
    }
    for s in &mut mine {
        assert!(s.as_mut().poll(&mut cx).is_pending());
    }
    assert!(wait_until(LONG, || mine.iter().all(|s| s.is_elapsed())));
    drop(mine);
    assert!(w.woken.load(SeqCst) >= 1);
    assert!(wait_until(LONG, || h.metrics().timers_pending() == 0));
    assert_eq!(rt.block_on(h.spawn(async { 1 })).unwrap(), 1);
}

/// tokio `greater_than_max` / `exactly_max` / `no_out_of_bounds_close_to_max`: huge sleeps
/// and deadlines near the end of the clock never panic, report a sane deadline and stay
/// pending (cancellable).
fn sleep_greater_than_max_never_panics(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    let now = h.time();
    rt.block_on(async move {
        for d in [
            Duration::MAX,
            Duration::from_secs(u64::MAX / 2),
            Duration::from_secs(1 << 40),
        ] {
            let s = spindle::sleep(d);
            assert!(s.deadline() > now);
            assert!(!s.is_elapsed());
            assert!(spindle::timeout(Duration::from_millis(5), s).await.is_err());
        }
        if let Some(far) = now.checked_add(Duration::from_secs(1 << 40)) {
            let s = spindle::sleep_until(far);
            assert_eq!(s.deadline(), far);
            assert!(spindle::timeout(Duration::from_millis(5), s).await.is_err());
        }
    });
    assert!(wait_until(LONG, || h.metrics().timers_pending() == 0));
}

/// tokio `short_sleeps`: thousands of zero and one-tick sleeps in a row all complete.
fn many_short_sleeps_complete(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    let hs: Vec<_> = (0..8)
        .map(|_| {
            h.spawn(async {
                for i in 0..300u64 {
                    spindle::sleep(Duration::from_micros(i % 3 * 500)).await;
                }
            })
        })
        .collect();
    rt.block_on(async move {
        for jh in hs {
            jh.await.unwrap();
        }
    });
}

/// A Sleep made on one runtime works when awaited in a task of another runtime.
fn sleep_from_one_runtime_polled_in_another(workers: usize) {
    let a = rt(workers);
    let b = rt(1);
    let s = a.handle().sleep(Duration::from_millis(20));
    let ha = a.handle().clone();
    let deadline = s.deadline();
    b.block_on(b.handle().spawn(async move {
        s.await;
        assert!(ha.time() >= deadline);
    }))
    .unwrap();
}

/// tokio `timeout_is_not_exhausted_by_future`: an inner future that wakes itself and stays
/// pending forever cannot starve the timeout.
fn timeout_not_starved_by_self_waking_inner(workers: usize) {
    struct Spin;
    impl Future for Spin {
        type Output = ();
        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
    let rt = rt(workers);
    let h = rt.handle().clone();
    let r = rt.block_on(h.spawn(async { spindle::timeout(Duration::from_millis(20), Spin).await }));
    assert!(r.unwrap().is_err());
    // also directly in block_on
    assert!(rt
        .block_on(async { spindle::timeout(Duration::from_millis(20), Spin).await })
        .is_err());
}

/// tokio `completed_future_past_deadline` / `simultaneous_deadline_future_completion`: if the
/// inner future is ready when first polled, the timeout is Ok even if its deadline passed.
fn timeout_completed_inner_wins_past_deadline(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    let t = h.timeout(Duration::from_millis(1), async { "done" });
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(rt.block_on(t).unwrap(), "done");
    // after the inner future completes, the timeout's timer is gone
    assert!(wait_until(LONG, || h.metrics().timers_pending() == 0));
}

/// tokio `very_large_timeout` and `deadline_now_elapses`.
fn timeout_very_large_and_deadline_now(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    rt.block_on(async {
        let (tx, rx) = futures::channel::oneshot::channel::<u8>();
        let hh = spindle::Handle::current();
        hh.call_later(Duration::from_millis(10), move || tx.send(9).unwrap());
        let r = spindle::timeout(Duration::MAX, rx).await;
        assert_eq!(r.unwrap().unwrap(), 9);
        let r = spindle::timeout(Duration::ZERO, std::future::pending::<()>()).await;
        let e = r.unwrap_err();
        assert!(!e.to_string().is_empty());
        let _: &dyn std::error::Error = &e;
    });
    assert!(wait_until(LONG, || h.metrics().timers_pending() == 0));
}

/// A panic in the inner future propagates through Timeout to the task's JoinHandle, and
/// the timeout's timer is reclaimed.
fn timeout_inner_panic_propagates(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    let err = rt
        .block_on(h.spawn(async {
            spindle::timeout(Duration::from_secs(3600), async {
                spindle::sleep(Duration::from_millis(2)).await;
                panic!("inner boom");
            })
            .await
        }))
        .unwrap_err();
    assert!(err.is_panic());
    assert_eq!(
        common::panic_message(&*err.into_panic()).as_deref(),
        Some("inner boom")
    );
    assert!(wait_until(LONG, || h.metrics().timers_pending() == 0));
}

/// tokio `interval_at` with a start in the past: the first tick is immediate and returns
/// `start` itself; later ticks follow the grid from `start` (Skip drops the missed ones).
fn interval_at_past_start_ticks_the_start_at_once(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    rt.block_on(async move {
        let period = Duration::from_millis(10);
        let start = h
            .time()
            .checked_sub(Duration::from_millis(55))
            .unwrap_or(h.time());
        let mut iv = spindle::interval_at(start, period);
        let t0 = Instant::now();
        assert_eq!(iv.tick().await, start);
        assert!(t0.elapsed() < Duration::from_secs(2));
        let next = iv.tick().await;
        assert!(next > start);
        let k = (next - start).as_nanos() / period.as_nanos();
        assert_eq!(next, start + period * k as u32, "tick off the grid");
        assert!(h.time() >= next);
    });
}

/// tokio `usage`: ticks are start + k·period, each returned no earlier than scheduled.
fn interval_ticks_on_grid_never_early(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    rt.block_on(async move {
        let period = Duration::from_millis(7);
        let mut iv = spindle::interval(period);
        assert_eq!(iv.period(), period);
        let first = iv.tick().await;
        let mut last = first;
        for _ in 0..10 {
            let t = iv.tick().await;
            assert!(h.time() >= t, "tick returned before its instant");
            assert!(t > last);
            let k = (t - first).as_nanos() % period.as_nanos();
            assert_eq!(k, 0, "tick off the grid");
            last = t;
        }
    });
}

/// tokio `burst`: after a stall of 3.5 periods, Burst yields each missed grid instant at
/// once, in order, then goes back to the grid.
fn interval_burst_ticks_are_the_missed_grid_instants(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    rt.block_on(async move {
        let period = Duration::from_millis(20);
        let mut iv = spindle::interval(period);
        iv.set_missed_tick_behavior(MissedTickBehavior::Burst);
        assert_eq!(iv.missed_tick_behavior(), MissedTickBehavior::Burst);
        let start = iv.tick().await;
        std::thread::sleep(period * 7 / 2); // stall this thread, not the clock
        for k in 1..=3u32 {
            assert_eq!(iv.tick().await, start + period * k);
        }
        let t = iv.tick().await;
        assert_eq!(t, start + period * 4);
        assert!(h.time() >= t);
    });
}

/// Dropping an Interval with a pending tick reclaims its timer.
fn interval_dropped_reclaims_its_timer(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    rt.block_on(async {
        let mut iv = spindle::interval(Duration::from_secs(3600));
        iv.tick().await;
        let _ = spindle::timeout(Duration::from_millis(5), iv.tick()).await;
        drop(iv);
    });
    assert!(wait_until(LONG, || h.metrics().timers_pending() == 0));
}

/// call_every: run k happens no earlier than start + k·period; when() is the next run and
/// only moves forward.
fn call_every_runs_never_early_and_when_advances(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    let period = Duration::from_millis(10);
    let runs = Arc::new(Mutex::new(Vec::new()));
    let r = runs.clone();
    let hh = h.clone();
    let start = h.time();
    let t = h.call_every(period, move || r.lock().unwrap().push(hh.time()));
    let first_when = t.when();
    assert!(first_when >= start + period);
    assert!(wait_until(LONG, || runs.lock().unwrap().len() >= 5));
    assert!(t.when() > first_when, "when() must advance after runs");
    assert!(t.cancel());
    let got = runs.lock().unwrap().clone();
    for (k, at) in got.iter().enumerate() {
        assert!(*at >= start + period * (k as u32 + 1), "run {k} early");
    }
    let n = got.len();
    std::thread::sleep(period * 4);
    assert_eq!(runs.lock().unwrap().len(), n, "ran after cancel");
    assert!(wait_until(LONG, || h.metrics().timers_pending() == 0));
}

/// call_every armed from an outside thread runs on the runtime; cancel from yet another
/// thread drops the closure promptly.
fn call_every_from_outside_thread_cancel_drops_closure(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    let drops = DropCounter::new();
    let tok = drops.token();
    let (tx, rx) = mpsc::channel();
    let h2 = h.clone();
    let t = std::thread::spawn(move || {
        h2.call_every(Duration::from_millis(3), move || {
            let _ = &tok;
            let _ = tx.send(spindle::worker_index().is_some());
        })
    })
    .join()
    .unwrap();
    assert!(
        rx.recv_timeout(LONG).unwrap(),
        "ran off the runtime's workers"
    );
    let t2 = t.clone();
    assert!(std::thread::spawn(move || t2.cancel()).join().unwrap());
    assert_eq!(drops.wait_for(1, LONG), 1);
    assert!(t.is_cancelled());
}

/// tokio `creating_sleep_outside_of_context`: the free functions panic clearly outside.
#[test]
fn time_free_functions_outside_runtime_panic_clearly() {
    watchdog("time_free_outside", || {
        for what in ["sleep", "sleep_until", "timeout", "interval_at"] {
            let r = std::panic::catch_unwind(|| match what {
                "sleep" => drop(spindle::sleep(Duration::from_millis(1))),
                "sleep_until" => drop(spindle::sleep_until(Instant::now())),
                "timeout" => drop(spindle::timeout(Duration::from_millis(1), async {})),
                _ => drop(spindle::interval_at(
                    Instant::now(),
                    Duration::from_millis(1),
                )),
            });
            let msg = common::panic_message(&*r.expect_err(what)).unwrap_or_default();
            assert!(msg.contains("runtime"), "{what}: unclear message {msg:?}");
        }
    });
}

/// tokio `interval_zero_duration`: a zero period panics at the call, clearly.
#[test]
fn interval_and_call_every_zero_period_panic() {
    watchdog("zero_period", || {
        let rt = rt(1);
        let h = rt.handle().clone();
        let r = std::panic::catch_unwind(|| drop(h.interval(Duration::ZERO)));
        assert!(r.is_err());
        let h = rt.handle().clone();
        let r = std::panic::catch_unwind(move || drop(h.call_every(Duration::ZERO, || {})));
        assert!(r.is_err());
        // the runtime is unaffected
        assert_eq!(rt.block_on(rt.handle().spawn(async { 1 })).unwrap(), 1);
    });
}

/// tokio `reset_future_sleep_before_fire` under a race: 200 sleeps reset to +30 ms right
/// around their first deadline (the fire may be in flight) never complete before the reset.
fn reset_racing_fire_never_early(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    let hs: Vec<_> = (0..200u64)
        .map(|i| {
            let h2 = h.clone();
            h.spawn(async move {
                let mut s = Box::pin(spindle::sleep(Duration::from_micros(500 + i * 10)));
                // poll once to arm
                futures::future::poll_fn(|cx| {
                    let _ = s.as_mut().poll(cx);
                    Poll::Ready(())
                })
                .await;
                std::thread::sleep(Duration::from_micros(400 + (i % 7) * 100)); // straddle the fire
                let target = h2.time() + Duration::from_millis(30);
                s.as_mut().reset(target);
                s.as_mut().await;
                assert!(
                    h2.time() >= target,
                    "completed before its reset deadline (i={i})"
                );
            })
        })
        .collect();
    rt.block_on(async move {
        for jh in hs {
            jh.await.unwrap();
        }
    });
}

/// A Sleep armed on a worker that then gets stuck, moved to an outside thread and reset
/// there, fires on time: no timer is held hostage by a stuck worker (2+ workers).
fn sleep_reset_from_foreign_while_owner_stuck(workers: usize) {
    if workers < 2 {
        return;
    }
    let rt = rt(workers);
    let h = rt.handle().clone();
    let (tx, rx) = mpsc::channel();
    let release = Arc::new(AtomicBool::new(false));
    let r = release.clone();
    h.spawn(async move {
        let mut s = Box::pin(spindle::sleep(Duration::from_secs(3600)));
        futures::future::poll_fn(|cx| {
            let _ = s.as_mut().poll(cx);
            Poll::Ready(())
        })
        .await;
        tx.send(s).unwrap();
        while !r.load(SeqCst) {
            std::thread::sleep(Duration::from_millis(1));
        }
    });
    let mut s = rx.recv_timeout(LONG).unwrap();
    let t0 = Instant::now();
    s.as_mut().reset(h.time() + Duration::from_millis(20));
    futures::executor::block_on(s.as_mut());
    let took = t0.elapsed();
    release.store(true, SeqCst);
    assert!(
        took < Duration::from_secs(2),
        "reset sleep held hostage by a stuck owner: {took:?}"
    );
}

/// tokio `stream_with_interval_poll_tick_self_waking`: a poller that wakes itself on every
/// Pending gets no tick early and no tick twice.
fn interval_self_waking_poll_tick_never_early(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    rt.block_on(async move {
        let mut iv = spindle::interval(Duration::from_millis(10));
        // Burst: every grid instant is delivered, so the gaps are exact even under load
        iv.set_missed_tick_behavior(MissedTickBehavior::Burst);
        let mut ticks = Vec::new();
        futures::future::poll_fn(|cx| loop {
            match iv.poll_tick(cx) {
                Poll::Ready(t) => {
                    assert!(h.time() >= t);
                    ticks.push(t);
                    if ticks.len() == 5 {
                        return Poll::Ready(());
                    }
                }
                Poll::Pending => {
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
            }
        })
        .await;
        for p in ticks.windows(2) {
            assert_eq!(p[1] - p[0], Duration::from_millis(10));
        }
    });
}

/// tokio allows polling a completed Sleep again: it stays Ready.
fn sleep_polled_again_after_ready(workers: usize) {
    let rt = rt(workers);
    rt.block_on(async {
        let mut s = Box::pin(spindle::sleep(Duration::from_millis(1)));
        s.as_mut().await;
        s.as_mut().await;
        assert!(s.is_elapsed());
    });
}

/// interval_at with a start in the future: the first tick waits for it and returns it.
fn interval_at_future_start_never_early(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    rt.block_on(async move {
        let start = h.time() + Duration::from_millis(30);
        let mut iv = spindle::interval_at(start, Duration::from_millis(5));
        assert_eq!(iv.tick().await, start);
        assert!(h.time() >= start);
    });
}

/// A Sleep reset after its runtime shut down completes instead of hanging.
fn reset_after_shutdown(workers: usize) {
    let rt = rt(workers);
    let h = rt.handle().clone();
    let mut s = Box::pin(h.sleep(Duration::from_secs(3600)));
    drop(rt);
    s.as_mut().reset(h.time() + Duration::from_secs(3600));
    futures::executor::block_on(s.as_mut());
}
