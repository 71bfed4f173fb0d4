//! Conformance: virtual time, shaped after tokio's `time_pause.rs`, `time_sleep.rs`,
//! `time_timeout.rs`, `time_interval.rs` and `task_blocking.rs` paused cases.
//!
//! Differences from tokio that these tests account for: spindle's clock is `Handle::time()`
//! (tokio: `time::Instant::now()`); `Interval`'s default is `Skip` (tokio: `Burst`), so each
//! test sets the behaviour it depends on; tokio pauses only the current-thread runtime,
//! spindle pauses any number of workers, so every test runs on 1 and 4 workers. A
//! `Duration::MAX` sleep is "never" in spindle and not a deadline auto-advance jumps to
//! (tokio's `exactly_max` jumps ~30 years), so that case is not ported.

#[macro_use]
mod common;

use spindle::{Builder, Handle, MissedTickBehavior, Runtime};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn paused(workers: usize) -> Runtime {
    Builder::new()
        .worker_threads(workers)
        .thread_name("spindle-cvt")
        .start_paused(true)
        .build()
        .expect("build runtime")
}

/// A waker that counts its wakes (tokio_test's `task::spawn(..).is_woken()`).
#[derive(Default)]
struct CountWaker(AtomicUsize);

impl Wake for CountWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// A future polled by hand with its own counting waker, like `tokio_test::task::Spawn`.
struct Mock<F> {
    fut: Pin<Box<F>>,
    count: Arc<CountWaker>,
    waker: Waker,
    seen: usize,
}

impl<F> Mock<F> {
    fn new(fut: F) -> Self {
        let count = Arc::new(CountWaker::default());
        let waker = Waker::from(count.clone());
        Mock {
            fut: Box::pin(fut),
            count,
            waker,
            seen: 0,
        }
    }
    /// Whether it was woken since the last poll.
    fn is_woken(&self) -> bool {
        self.count.0.load(SeqCst) > self.seen
    }
    fn enter<R>(&mut self, f: impl FnOnce(&mut Context<'_>, Pin<&mut F>) -> R) -> R {
        self.seen = self.count.0.load(SeqCst);
        let mut cx = Context::from_waker(&self.waker);
        f(&mut cx, self.fut.as_mut())
    }
}

impl<F: Future> Mock<F> {
    fn poll(&mut self) -> Poll<F::Output> {
        self.enter(|cx, f| f.poll(cx))
    }
}

impl Mock<spindle::Interval> {
    fn poll_tick(&mut self) -> Poll<Instant> {
        self.enter(|cx, mut i| i.poll_tick(cx))
    }
}

/// tokio `paused_time_is_deterministic`: 2000 pseudo-random sleeps under auto-advance give
/// the same virtual timeline on every run, never early, and take no real time.
fn paused_time_is_deterministic(workers: usize) {
    fn run(workers: usize) -> Vec<Duration> {
        let rt = paused(workers);
        let h = rt.handle().clone();
        rt.block_on(async move {
            let mut rng = common::XorShift::new(1);
            let start = h.time();
            let mut times = Vec::new();
            let mut sum = Duration::ZERO;
            for _ in 0..2000 {
                let d = Duration::from_micros(rng.below(1_000_000));
                sum += d;
                spindle::sleep(d).await;
                let el = h.time() - start;
                assert!(el >= sum, "woke at {el:?} before the sum of sleeps {sum:?}");
                times.push(el);
            }
            times
        })
    }
    let wall = Instant::now();
    let a = run(workers);
    let b = run(workers);
    assert_eq!(a, b, "paused time must be deterministic");
    assert!(
        wall.elapsed() < Duration::from_secs(15),
        "{:?}",
        wall.elapsed()
    );
}

/// tokio `advance_after_poll` / `sleep_no_poll`: advancing by less than a pending sleep's
/// remaining time moves the clock by exactly that much (auto-advance does not jump on to the
/// sleep's deadline meanwhile) and leaves the sleep pending, polled before or not.
fn advance_less_than_sleep(workers: usize) {
    let rt = paused(workers);
    let h = rt.handle().clone();
    rt.block_on(async move {
        for poll_first in [true, false] {
            h.sleep(ms(1)).await;
            let start = h.time();
            let mut sleep = Mock::new(h.sleep_until(start + ms(300)));
            if poll_first {
                assert!(sleep.poll().is_pending());
            }
            let before = h.time();
            h.advance(ms(100)).await;
            assert_eq!(h.time() - before, ms(100));
            assert!(sleep.poll().is_pending());
            assert!(!sleep.is_woken());
            h.advance(ms(199)).await;
            assert!(sleep.poll().is_pending(), "not before its deadline");
            h.advance(ms(1)).await;
            assert!(sleep.poll().is_ready());
        }
    });
}

/// tokio `sleep_same_task(_no_poll)`: the sleep and the `advance` polled by one future.
fn advance_polled_with_sleep_in_same_task(workers: usize) {
    let rt = paused(workers);
    let h = rt.handle().clone();
    for poll_sleep in [true, false] {
        let h = h.clone();
        rt.block_on(h.clone().spawn(async move {
            let start = h.time();
            h.advance(ms(1)).await;
            let mut sleep = Box::pin(h.sleep_until(start + ms(300)));
            let mut adv: Option<Pin<Box<dyn Future<Output = ()> + Send>>> = None;
            let mut before = None;
            std::future::poll_fn(|cx| {
                if adv.is_none() {
                    if poll_sleep {
                        assert!(sleep.as_mut().poll(cx).is_pending());
                    }
                    before = Some(h.time());
                    let h2 = h.clone();
                    adv = Some(Box::pin(async move { h2.advance(ms(100)).await }));
                }
                match adv.as_mut().unwrap().as_mut().poll(cx) {
                    Poll::Pending => Poll::Pending,
                    Poll::Ready(()) => {
                        assert_eq!(h.time() - before.unwrap(), ms(100));
                        assert!(sleep.as_mut().poll(cx).is_pending());
                        Poll::Ready(())
                    }
                }
            })
            .await;
        }))
        .unwrap();
    }
}

/// tokio `test_time_advance_sub_ms`, `test_time_advance_3ms_and_change`,
/// `exact_1ms_advance`: `advance(d)` moves `time()` by exactly `d`, below a tick too.
fn advance_moves_time_exactly(workers: usize) {
    let rt = paused(workers);
    let h = rt.handle().clone();
    rt.block_on(async move {
        for us in [51_592u64, 1, 3_141_592, 3_123_456, 1000, 1000, 999, 1] {
            let d = Duration::from_micros(us);
            let now = h.time();
            h.advance(d).await;
            assert_eq!(h.time() - now, d, "advance({d:?})");
        }
        let now = h.time();
        h.advance(Duration::from_nanos(1)).await;
        assert_eq!(h.time() - now, Duration::from_nanos(1));
    });
}

/// tokio `regression_3710_with_submillis_advance`: a sub-millisecond advance does not fire
/// a 60 s sleep.
fn submillis_advance_keeps_far_sleep_pending(workers: usize) {
    let rt = paused(workers);
    let h = rt.handle().clone();
    rt.block_on(async move {
        let start = h.time();
        h.advance(ms(1)).await;
        let mut sleep = Mock::new(h.sleep_until(start + Duration::from_secs(60)));
        assert!(sleep.poll().is_pending());
        let before = h.time();
        let d = Duration::from_micros(51_592);
        h.advance(d).await;
        assert_eq!(h.time() - before, d);
        assert!(sleep.poll().is_pending());
        assert!(!sleep.is_woken());
    });
}

/// tokio `advance_once_with_timer` / `advance_multi_with_timer`: a 1 ms sleep is woken by
/// the advance that crosses its deadline, in one step or in four of 250 µs, and not before.
fn advance_crossing_sleep_wakes_it(workers: usize) {
    let rt = paused(workers);
    let h = rt.handle().clone();
    rt.block_on(async move {
        let mut sleep = Mock::new(h.sleep(ms(1)));
        assert!(sleep.poll().is_pending());
        h.advance(Duration::from_micros(250)).await;
        assert!(!sleep.is_woken(), "woken 750 µs before its deadline");
        assert!(sleep.poll().is_pending());
        h.advance(Duration::from_micros(1500)).await;
        assert!(sleep.is_woken(), "the advance crossed its deadline");
        assert!(sleep.poll().is_ready());

        // Back on the tick grid (at 2 ms), as a fresh tokio test starts.
        h.advance(Duration::from_micros(250)).await;
        let mut sleep = Mock::new(h.sleep(ms(1)));
        assert!(sleep.poll().is_pending());
        for _ in 0..3 {
            h.advance(Duration::from_micros(250)).await;
            assert!(!sleep.is_woken(), "woken before its deadline");
            assert!(sleep.poll().is_pending());
        }
        h.advance(Duration::from_micros(250)).await;
        assert!(sleep.is_woken(), "four 250 µs steps reach 1 ms");
        assert!(sleep.poll().is_ready());
    });
}

/// Polls `i` and checks it yields exactly the listed ticks (ms after `start`), then pends
/// (tokio's `check_interval_poll!`).
fn check_ticks(i: &mut Mock<spindle::Interval>, start: Instant, expect: &[u64]) {
    for &e in expect {
        match i.poll_tick() {
            Poll::Ready(t) => assert_eq!(t, start + ms(e), "expected the tick at {e} ms"),
            Poll::Pending => panic!("expected the tick at {e} ms, got Pending"),
        }
    }
    if let Poll::Ready(t) = i.poll_tick() {
        panic!(
            "expected Pending after {expect:?}, got the tick at {:?}",
            t - start
        );
    }
}

/// tokio `time_pause::interval`, `time_interval::{burst, delay, skip}`: the three missed-tick
/// behaviours on a paused clock, step by step, with tokio's exact expected ticks.
fn interval_missed_tick_behaviours(workers: usize) {
    let rt = paused(workers);
    let h = rt.handle().clone();
    rt.block_on(async move {
        // Burst (tokio's default).
        let start = h.time();
        h.advance(ms(1)).await;
        let mut iv = h.interval_at(start, ms(300));
        iv.set_missed_tick_behavior(MissedTickBehavior::Burst);
        let mut i = Mock::new(iv);
        check_ticks(&mut i, start, &[0]);
        for (adv, ticks) in [
            (100, &[][..]),
            (200, &[300]),
            (650, &[600, 900]),
            (200, &[]),
            (100, &[1200]),
            (250, &[1500]),
            (300, &[1800]),
        ] {
            h.advance(ms(adv)).await;
            check_ticks(&mut i, start, ticks);
        }

        // Delay.
        let start = h.time();
        h.advance(ms(1)).await;
        let mut iv = h.interval_at(start, ms(300));
        iv.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut i = Mock::new(iv);
        check_ticks(&mut i, start, &[0]);
        for (adv, ticks) in [
            (100, &[][..]),
            (200, &[300]),
            (650, &[600]),
            (100, &[]),
            (201, &[1251]),
            (300, &[1551]),
            (300, &[1851]),
        ] {
            h.advance(ms(adv)).await;
            check_ticks(&mut i, start, ticks);
        }

        // Skip (spindle's default).
        let start = h.time();
        h.advance(ms(1)).await;
        let iv = h.interval_at(start, ms(300));
        assert_eq!(iv.missed_tick_behavior(), MissedTickBehavior::Skip);
        let mut i = Mock::new(iv);
        check_ticks(&mut i, start, &[0]);
        for (adv, ticks) in [
            (100, &[][..]),
            (200, &[300]),
            (650, &[600]),
            (250, &[1200]),
            (300, &[1500]),
            (300, &[1800]),
        ] {
            h.advance(ms(adv)).await;
            check_ticks(&mut i, start, ticks);
        }
    });
}

/// tokio `time_interval::reset`: `reset()` puts the next tick one period after now.
fn interval_reset_on_paused_clock(workers: usize) {
    let rt = paused(workers);
    let h = rt.handle().clone();
    rt.block_on(async move {
        let start = h.time();
        h.advance(ms(1)).await;
        let mut iv = h.interval_at(start, ms(300));
        iv.set_missed_tick_behavior(MissedTickBehavior::Burst);
        let mut i = Mock::new(iv);
        check_ticks(&mut i, start, &[0]);
        h.advance(ms(100)).await;
        check_ticks(&mut i, start, &[]);
        h.advance(ms(200)).await;
        check_ticks(&mut i, start, &[300]);
        h.advance(ms(100)).await;
        check_ticks(&mut i, start, &[]);
        i.enter(|_, mut iv| iv.reset());
        h.advance(ms(250)).await;
        check_ticks(&mut i, start, &[]);
        h.advance(ms(50)).await;
        check_ticks(&mut i, start, &[701]);
        h.advance(ms(300)).await;
        check_ticks(&mut i, start, &[1001]);
    });
}

/// tokio `interval_doesnt_panic_max_duration_when_polling`: the first tick of a
/// `Duration::MAX` interval is ready at once; the next never comes, and nothing panics.
fn interval_max_period(workers: usize) {
    let rt = paused(workers);
    let h = rt.handle().clone();
    rt.block_on(async move {
        let mut i = Mock::new(h.interval(Duration::MAX));
        assert!(i.poll_tick().is_ready());
        assert!(i.poll_tick().is_pending());
        h.advance(Duration::from_secs(365 * 86400)).await;
        assert!(i.poll_tick().is_pending());
    });
}

/// A stream over `poll_tick` that counts ticks and yields every fourth (tokio's
/// `IntervalStreamer`).
struct Streamer {
    counter: u32,
    timer: spindle::Interval,
    wake_on_pending: bool,
}

impl Future for Streamer {
    type Output = Option<u32>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<u32>> {
        let this = self.get_mut();
        if this.counter > 12 {
            return Poll::Ready(None);
        }
        match this.timer.poll_tick(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(_) => {
                this.counter += 1;
                if this.counter % 4 == 0 {
                    return Poll::Ready(Some(this.counter));
                }
                if this.wake_on_pending {
                    cx.waker().wake_by_ref();
                }
                Poll::Pending
            }
        }
    }
}

/// tokio `stream_with_interval_poll_tick_{self_waking,no_waking}` under auto-advance: a
/// self-waking poller sees every tick; one that returns Pending after a Ready tick without
/// waking itself stalls (poll_tick registers the waker only when it returns Pending), and
/// the surrounding timeout ends it.
fn interval_poll_tick_waking(workers: usize) {
    let rt = paused(workers);
    let h = rt.handle().clone();
    for (wake, expect) in [(true, vec![4, 8, 12]), (false, vec![])] {
        let items = Arc::new(Mutex::new(Vec::new()));
        let it = items.clone();
        let h2 = h.clone();
        let task = h.spawn(async move {
            let mut s = Streamer {
                counter: 0,
                timer: h2.interval(ms(10)),
                wake_on_pending: wake,
            };
            let _ = h2
                .timeout(ms(150), async move {
                    while let Some(item) =
                        std::future::poll_fn(|cx| Pin::new(&mut s).poll(cx)).await
                    {
                        it.lock().unwrap().push(item);
                    }
                })
                .await;
        });
        rt.block_on(task).unwrap();
        assert_eq!(*items.lock().unwrap(), expect, "wake_on_pending = {wake}");
    }
}

/// tokio `time_sleep` paused cases: `delayed_sleep_level_0`, `sub_ms_delayed_sleep`,
/// `delayed_sleep_wrapping_level_0`, `long_sleeps`, `short_sleeps`: under auto-advance each
/// sleep ends exactly at its deadline (to the tick), whatever its level.
fn sleeps_end_at_their_deadline(workers: usize) {
    let rt = paused(workers);
    let h = rt.handle().clone();
    rt.block_on(async move {
        for d in [
            ms(5),
            ms(0),
            ms(63),
            ms(64),
            ms(65),
            ms(4096),
            ms(262_144),
            Duration::from_secs(86400 * 365),
        ] {
            let now = h.time();
            h.sleep(d).await;
            let el = h.time() - now;
            assert!(el >= d && el < d + ms(2), "sleep({d:?}) ended after {el:?}");
        }
        for _ in 0..5 {
            let deadline = h.time() + Duration::from_micros(1500);
            h.sleep_until(deadline).await;
            assert!(h.time() >= deadline);
            assert!(h.time() - deadline < ms(2));
        }
        let now = h.time();
        for _ in 0..1000 {
            h.sleep(ms(0)).await;
        }
        assert!(h.time() - now < ms(2), "zero sleeps do not move time");
    });
}

/// tokio `multi_long_sleeps`: three far sleeps awaited in turn, each at its own deadline.
fn multi_long_sleeps(workers: usize) {
    let rt = paused(workers);
    let h = rt.handle().clone();
    rt.block_on(async move {
        for _ in 0..5 {
            let start = h.time();
            let d = Duration::from_secs(86400 * 365 * 2);
            h.sleep(d).await;
            let el = h.time() - start;
            assert!(el >= d && el < d + ms(2), "{el:?}");
        }
    });
}

/// tokio `reset_sleep_to_past`: a pending sleep reset to an instant already passed is ready
/// at its next poll.
fn reset_sleep_to_past_on_paused_clock(workers: usize) {
    let rt = paused(workers);
    let h = rt.handle().clone();
    rt.block_on(async move {
        let now = h.time();
        let mut sleep = Mock::new(h.sleep_until(now + ms(100)));
        assert!(sleep.poll().is_pending());
        h.sleep(ms(50)).await;
        assert!(!sleep.is_woken());
        sleep.enter(|_, s| s.reset(now + ms(40)));
        assert!(sleep.poll().is_ready());
    });
}

/// tokio `reset_future_sleep_before_fire` / `reset_past_sleep_before_fire` with `advance`.
fn reset_before_fire_on_paused_clock(workers: usize) {
    let rt = paused(workers);
    let h = rt.handle().clone();
    rt.block_on(async move {
        let now = h.time();
        let mut sleep = Mock::new(h.sleep_until(now + ms(100)));
        assert!(sleep.poll().is_pending());
        sleep.enter(|_, s| s.reset(now + ms(200)));
        h.advance(ms(100)).await;
        assert!(
            sleep.poll().is_pending(),
            "moved later: not at the old deadline"
        );
        h.advance(ms(100)).await;
        assert!(sleep.poll().is_ready());

        let now = h.time();
        let mut sleep = Mock::new(h.sleep_until(now + ms(200)));
        assert!(sleep.poll().is_pending());
        h.advance(ms(50)).await;
        sleep.enter(|_, s| s.reset(now + ms(80)));
        assert!(sleep.poll().is_pending());
        h.advance(ms(29)).await;
        assert!(sleep.poll().is_pending());
        h.advance(ms(1)).await;
        assert!(sleep.is_woken());
        assert!(sleep.poll().is_ready());
    });
}

/// tokio `drop_after_reschedule_at_new_scheduled_time`: rescheduling one of two same-deadline
/// sleeps onto a third's deadline, then dropping it after the first fired.
fn drop_after_reschedule_at_new_time(workers: usize) {
    let rt = paused(workers);
    let h = rt.handle().clone();
    rt.block_on(async move {
        let start = h.time();
        let mut a = Mock::new(h.sleep(ms(5)));
        let mut b = Mock::new(h.sleep(ms(5)));
        let mut c = Mock::new(h.sleep(ms(10)));
        assert!(a.poll().is_pending());
        assert!(b.poll().is_pending());
        assert!(c.poll().is_pending());
        b.enter(|_, s| s.reset(start + ms(10)));
        h.advance(ms(5)).await;
        assert!(a.poll().is_ready());
        assert!(b.poll().is_pending());
        drop(b);
        h.advance(ms(5)).await;
        assert!(c.is_woken());
        assert!(c.poll().is_ready());
        assert_eq!(h.metrics().timers_pending(), 0);
    });
}

/// tokio `time_timeout` paused cases: `future_and_deadline_in_future`,
/// `future_and_timeout_in_future`, `deadline_future_elapses`, `deadline_now_elapses`,
/// `simultaneous_deadline_future_completion`.
fn timeout_on_paused_clock(workers: usize) {
    let rt = paused(workers);
    let h = rt.handle().clone();
    rt.block_on(async move {
        // The inner future completes before the deadline.
        let (p, d) = h.create_future::<u32>();
        let mut t = Mock::new(h.timeout(ms(100), d));
        assert!(t.poll().is_pending());
        h.advance(ms(90)).await;
        assert!(t.poll().is_pending());
        p.set_result(7).unwrap();
        assert!(t.is_woken());
        match t.poll() {
            Poll::Ready(Ok(Ok(7))) => {}
            other => panic!("expected Ok(Ok(7)), got {:?}", other.map(|r| r.is_ok())),
        }

        // The deadline passes first.
        let (_p, d) = h.create_future::<u32>();
        let mut t = Mock::new(h.timeout(ms(300), d));
        assert!(t.poll().is_pending());
        h.advance(ms(299)).await;
        assert!(t.poll().is_pending());
        h.advance(ms(1)).await;
        assert!(t.is_woken());
        assert!(matches!(t.poll(), Poll::Ready(Err(_))));

        // A zero timeout on a pending future elapses at its first poll, without time moving.
        let now = h.time();
        let r = h
            .timeout(Duration::ZERO, std::future::pending::<()>())
            .await;
        assert!(r.is_err());
        assert_eq!(h.time(), now);

        // A ready inner future wins over a deadline that is due at the same time.
        let r = h.timeout(Duration::ZERO, async { 5 }).await;
        assert_eq!(r.unwrap(), 5);

        // Auto-advance ends a long timeout on a pending future at exactly its deadline.
        let now = h.time();
        let r = h
            .timeout(Duration::from_secs(3600), std::future::pending::<()>())
            .await;
        assert!(r.is_err());
        let el = h.time() - now;
        assert!(el >= Duration::from_secs(3600) && el < Duration::from_secs(3600) + ms(2));
    });
}

/// tokio `very_large_timeout`, `issue_5183`, `deadline_future_elapses`: a `Duration::MAX`
/// timeout stays pending across a ten-year advance and completes with its future; a huge
/// sleep raced with a 1 ns one loses without panicking; a timeout and its inner sleep due at
/// the same instant give the inner's output (the inner is polled first, as in tokio).
fn huge_and_simultaneous_deadlines(workers: usize) {
    let rt = paused(workers);
    let h = rt.handle().clone();
    rt.block_on(async move {
        let (p, d) = h.create_future::<()>();
        let mut t = Mock::new(h.timeout(Duration::MAX, d));
        assert!(t.poll().is_pending());
        h.advance(Duration::from_secs(86400 * 365 * 10)).await;
        assert!(t.poll().is_pending());
        p.set_result(()).unwrap();
        assert!(matches!(t.poll(), Poll::Ready(Ok(Ok(())))));

        let big = Duration::from_secs(u64::MAX / 10);
        let mut a = Box::pin(h.sleep(big));
        let mut b = Box::pin(h.sleep(Duration::from_nanos(1)));
        let first = std::future::poll_fn(|cx| {
            if a.as_mut().poll(cx).is_ready() {
                return Poll::Ready("big");
            }
            if b.as_mut().poll(cx).is_ready() {
                return Poll::Ready("1ns");
            }
            Poll::Pending
        })
        .await;
        assert_eq!(first, "1ns");
        assert!(!a.is_elapsed());

        let start = h.time();
        let r = h.timeout(ms(10), h.sleep(ms(10))).await;
        assert!(r.is_ok(), "the inner sleep, due with the deadline, wins");
        assert_eq!(h.time() - start, ms(10));
    });
}

/// A coarser wheel (`timer_tick(10 ms)`) on a paused clock: `advance` is still exact, sleeps
/// end at their deadline rounded up to the tick (never early), and an interval's ticks report
/// their exact grid instants.
fn paused_clock_with_coarse_tick(workers: usize) {
    let rt = Builder::new()
        .worker_threads(workers)
        .timer_tick(ms(10))
        .start_paused(true)
        .build()
        .unwrap();
    let h = rt.handle().clone();
    rt.block_on(async move {
        let t0 = h.time();
        h.advance(ms(15)).await;
        assert_eq!(
            h.time() - t0,
            ms(15),
            "advance is exact on a 10 ms wheel too"
        );
        // Back on the grid (20 ms), then a 15 ms sleep: due at 35 ms, fires at the 40 ms tick.
        h.advance(ms(5)).await;
        let mut s = Mock::new(h.sleep(ms(15)));
        assert!(s.poll().is_pending());
        h.advance(ms(15)).await;
        assert!(
            s.poll().is_pending(),
            "35 ms: its tick (40 ms) is not reached"
        );
        h.advance(ms(4)).await;
        assert!(s.poll().is_pending(), "39 ms");
        h.advance(ms(1)).await;
        assert!(s.is_woken());
        assert!(s.poll().is_ready(), "40 ms");
        // Auto-advance jumps to the tick boundary after the deadline.
        let before = h.time();
        h.sleep(ms(25)).await;
        assert_eq!(h.time() - before, ms(30));
        // Interval ticks report their scheduled instants, on any tick size.
        let start = h.time();
        let mut iv = h.interval(ms(15));
        iv.set_missed_tick_behavior(MissedTickBehavior::Burst);
        let mut got = Vec::new();
        for _ in 0..5 {
            let t = iv.tick().await;
            assert!(h.time() >= t, "never early");
            got.push(t - start);
        }
        assert_eq!(got, [ms(0), ms(15), ms(30), ms(45), ms(60)]);
    });
}

/// tokio `task_blocking::{blocking_when_paused, blocking_task_wakes_paused_runtime,
/// unawaited_blocking_task_wakes_paused_runtime, panicking_blocking_task_wakes_paused_runtime}`.
fn blocking_tasks_on_paused_clock(workers: usize) {
    let rt = paused(workers);
    let h = rt.handle().clone();
    let wall = Instant::now();
    rt.block_on(async move {
        // A running blocking task holds auto-advance: a short timeout does not fire.
        h.timeout(
            Duration::from_secs(3),
            h.spawn_blocking(|| std::thread::sleep(ms(1))),
        )
        .await
        .expect("timeout should not trigger")
        .expect("blocking task should finish");
        h.timeout(ms(1), h.spawn_blocking(|| std::thread::sleep(ms(50))))
            .await
            .expect("timeout should not trigger while the blocking task runs")
            .expect("blocking task should finish");

        // Its completion wakes the paused runtime, awaited or not.
        let a = h.spawn_blocking(|| std::thread::sleep(ms(1)));
        let before = h.time();
        h.sleep(Duration::from_secs(15)).await;
        assert!(h.time() - before >= Duration::from_secs(15));
        a.await.expect("blocking task should finish");

        // And so does its panic.
        let r = h
            .timeout(
                Duration::from_secs(15),
                h.spawn_blocking(|| {
                    std::thread::sleep(ms(1));
                    panic!("blocking task panicked");
                }),
            )
            .await
            .expect("timeout should not trigger");
        assert!(r.unwrap_err().is_panic());
    });
    assert!(
        wall.elapsed() < Duration::from_secs(10),
        "a finished blocking task must let the paused runtime advance ({:?})",
        wall.elapsed()
    );
}

/// tokio `pause_time_in_task`: pausing from inside a task on a running runtime (on any
/// number of workers, unlike tokio) then auto-advancing; `advance` from inside a task.
fn pause_from_inside_a_task(workers: usize) {
    let rt = common::rt(workers);
    let h = rt.handle().clone();
    let got = rt
        .block_on(h.spawn(async {
            let h = Handle::current();
            assert!(!h.is_paused());
            h.pause();
            assert!(h.is_paused());
            let t0 = h.time();
            spindle::sleep(Duration::from_secs(3600)).await;
            let a = h.time() - t0;
            h.advance(Duration::from_secs(5)).await;
            let b = h.time() - t0;
            h.resume();
            (a, b)
        }))
        .unwrap();
    assert!(got.0 >= Duration::from_secs(3600) && got.0 < Duration::from_secs(3600) + ms(2));
    assert_eq!(got.1 - got.0, Duration::from_secs(5));
    assert!(!h.is_paused());
}

/// Many tasks on every worker sleeping on one paused clock: each wakes at its own deadline,
/// in deadline order, and what a wake spawns runs before time moves on.
fn many_sleepers_wake_in_order(workers: usize) {
    let rt = paused(workers);
    let h = rt.handle().clone();
    let t0 = h.time();
    let log = Arc::new(Mutex::new(Vec::new()));
    let l = log.clone();
    // Spawned from inside block_on: the busy block_on thread holds auto-advance until all
    // are armed (spawning from outside, the clock could jump while the loop still runs).
    rt.block_on(async move {
        let mut tasks = Vec::new();
        for i in (0..200u64).rev() {
            let log = l.clone();
            tasks.push(spindle::spawn(async move {
                let h2 = Handle::current();
                h2.sleep(ms(10 * (i + 1))).await;
                let woke = h2.time() - t0;
                // A follow-up spawned by the wake must run before the clock moves on.
                let h3 = h2.clone();
                let follow = h2.spawn(async move { h3.time() - t0 });
                let f = follow.await.unwrap();
                log.lock().unwrap().push((i, woke, f));
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
    });
    let log = log.lock().unwrap();
    assert_eq!(log.len(), 200);
    for (i, woke, follow) in log.iter() {
        let d = ms(10 * (i + 1));
        assert!(*woke >= d && *woke < d + ms(2), "task {i} woke at {woke:?}");
        assert_eq!(
            follow, woke,
            "task {i}: the clock moved before its follow-up ran"
        );
    }
    let order: Vec<u64> = log.iter().map(|x| x.0).collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted, "woken in deadline order");
}

rt_suite!(
    paused_time_is_deterministic,
    advance_less_than_sleep,
    advance_polled_with_sleep_in_same_task,
    advance_moves_time_exactly,
    submillis_advance_keeps_far_sleep_pending,
    advance_crossing_sleep_wakes_it,
    interval_missed_tick_behaviours,
    interval_reset_on_paused_clock,
    interval_max_period,
    interval_poll_tick_waking,
    sleeps_end_at_their_deadline,
    multi_long_sleeps,
    reset_sleep_to_past_on_paused_clock,
    reset_before_fire_on_paused_clock,
    drop_after_reschedule_at_new_time,
    timeout_on_paused_clock,
    huge_and_simultaneous_deadlines,
    paused_clock_with_coarse_tick,
    blocking_tasks_on_paused_clock,
    pause_from_inside_a_task,
    many_sleepers_wake_in_order,
);
