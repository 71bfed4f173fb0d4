//! `Interval`: tokio's MissedTickBehavior semantics, default Skip, reset, zero/huge periods.
//!
//! The stall tests block the polling thread for 5.5 periods after the first tick and then
//! check the exact instants the ticks were scheduled for, relative to the start. Only where
//! the result depends on when the clock was read after the stall (Skip's grid point, Delay's
//! new origin) do they allow the window between two clock readings around that poll.

#[macro_use]
mod common;

use common::rt;
use spindle::{Handle, MissedTickBehavior};
use std::time::{Duration, Instant};

const P: Duration = Duration::from_millis(100);

/// Start an interval, take the first tick, stall 5.5 periods; return it with the start.
async fn stalled(b: MissedTickBehavior) -> (spindle::Interval, Instant) {
    let h = Handle::current();
    let start = h.time();
    let mut i = h.interval_at(start, P);
    i.set_missed_tick_behavior(b);
    assert_eq!(i.tick().await, start);
    std::thread::sleep(P * 11 / 2);
    (i, start)
}

/// Ticks one and returns (tick instant, clock before, clock after).
async fn timed_tick(i: &mut spindle::Interval) -> (Instant, Instant, Instant) {
    let h = Handle::current();
    let before = h.time();
    let t = i.tick().await;
    (t, before, h.time())
}

/// The index of the first grid point after `now`.
fn grid_after(start: Instant, now: Instant) -> u32 {
    ((now - start).as_nanos() / P.as_nanos()) as u32 + 1
}

fn burst_delivers_every_missed_tick(workers: usize) {
    let rt = rt(workers);
    rt.block_on(async {
        let (mut i, start) = stalled(MissedTickBehavior::Burst).await;
        let mut ticks = Vec::new();
        for _ in 0..7 {
            ticks.push(i.tick().await - start);
        }
        let expected: Vec<Duration> = (1..=7).map(|k| P * k).collect();
        assert_eq!(
            ticks, expected,
            "Burst: s+p .. s+7p, the missed ones back to back"
        );
    });
}

fn skip_drops_missed_ticks_and_keeps_the_grid(workers: usize) {
    let rt = rt(workers);
    rt.block_on(async {
        let (mut i, start) = stalled(MissedTickBehavior::Skip).await;
        let (late, before, after) = timed_tick(&mut i).await;
        assert_eq!(
            late,
            start + P,
            "the late tick reports its scheduled instant"
        );
        let next = i.tick().await;
        let (lo, hi) = (grid_after(start, before), grid_after(start, after));
        assert!(lo >= 6, "stalled 5.5 periods");
        let k = (lo..=hi)
            .find(|&k| next == start + P * k)
            .unwrap_or_else(|| {
                panic!(
                    "{:?} is not the grid point after the late tick",
                    next - start
                )
            });
        assert_eq!(i.tick().await, start + P * (k + 1));
        assert_eq!(i.tick().await, start + P * (k + 2));
    });
}

fn delay_moves_the_grid_to_now(workers: usize) {
    let rt = rt(workers);
    rt.block_on(async {
        let (mut i, start) = stalled(MissedTickBehavior::Delay).await;
        let (late, before, after) = timed_tick(&mut i).await;
        assert_eq!(late, start + P);
        // The next tick is one period after the clock reading inside that poll.
        let (second, _, returned) = timed_tick(&mut i).await;
        assert!(
            second >= before + P && second <= after + P,
            "Delay: now + p"
        );
        assert!(second - start > P * 6, "not on the old grid");
        // From there one period at a time (or, if woken late, one period after that wake).
        let third = i.tick().await;
        assert!(
            third >= second + P && third <= returned + P,
            "{:?}",
            third - second
        );
    });
}

fn on_time_ticks_are_exact(workers: usize) {
    let rt = rt(workers);
    rt.block_on(async {
        let h = Handle::current();
        let start = h.time() + Duration::from_millis(5);
        let mut i = h.interval_at(start, Duration::from_millis(50));
        for k in 0..4 {
            assert_eq!(i.tick().await, start + Duration::from_millis(50) * k);
        }
        assert!(
            h.time() >= start + Duration::from_millis(150),
            "never early"
        );
    });
}

fn default_is_skip_and_first_tick_is_immediate(workers: usize) {
    let rt = rt(workers);
    rt.block_on(async {
        let before = Instant::now();
        let mut i = spindle::interval(Duration::from_secs(3600));
        assert_eq!(i.missed_tick_behavior(), MissedTickBehavior::Skip);
        assert_eq!(i.period(), Duration::from_secs(3600));
        let t = i.tick().await;
        assert!(t >= before && before.elapsed() < Duration::from_secs(5));
        // The second is an hour away.
        let r = spindle::timeout(Duration::from_millis(20), i.tick()).await;
        assert!(r.is_err());
        assert!(format!("{i:?}").contains("Interval"));
    });
}

fn reset_restarts_one_period_from_now(workers: usize) {
    let rt = rt(workers);
    rt.block_on(async {
        let h = Handle::current();
        let mut i = h.interval(Duration::from_millis(40));
        i.tick().await;
        std::thread::sleep(Duration::from_millis(15));
        let before = h.time();
        i.reset();
        let after = h.time();
        let t = i.tick().await;
        let p = Duration::from_millis(40);
        assert!(t >= before + p && t <= after + p);
        let t0 = h.time();
        i.reset_immediately();
        let t = i.tick().await;
        assert!(t >= t0 && t <= h.time(), "the tick is the reset instant");
    });
}

fn zero_period_panics(_workers: usize) {
    let rt = rt(1);
    let h = rt.handle().clone();
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| h.interval(Duration::ZERO)))
        .unwrap_err();
    assert!(common::panic_message(&*err)
        .unwrap()
        .contains("period must be non-zero"));
    let now = h.time();
    assert!(std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        h.interval_at(now, Duration::ZERO)
    }))
    .is_err());
}

fn huge_period_saturates(workers: usize) {
    let rt = rt(workers);
    rt.block_on(async {
        for b in [
            MissedTickBehavior::Burst,
            MissedTickBehavior::Delay,
            MissedTickBehavior::Skip,
        ] {
            let mut i = spindle::interval(Duration::MAX);
            i.set_missed_tick_behavior(b);
            i.tick().await;
            let r = spindle::timeout(Duration::from_millis(5), i.tick()).await;
            assert!(r.is_err(), "{b:?}: the second tick never comes");
        }
    });
    assert_eq!(rt.handle().metrics().timers_pending(), 0);
}

fn works_under_another_executor(workers: usize) {
    let rt = rt(workers);
    let mut i = rt.handle().interval(Duration::from_millis(5));
    let (a, b) = futures::executor::block_on(async { (i.tick().await, i.tick().await) });
    // On the grid (Skip keeps it even if this loaded machine woke us late).
    assert!(b > a);
    assert_eq!((b - a).as_nanos() % Duration::from_millis(5).as_nanos(), 0);
}

rt_suite!(
    burst_delivers_every_missed_tick,
    skip_drops_missed_ticks_and_keeps_the_grid,
    delay_moves_the_grid_to_now,
    on_time_ticks_are_exact,
    default_is_skip_and_first_tick_is_immediate,
    reset_restarts_one_period_from_now,
    zero_period_panics,
    huge_period_saturates,
    works_under_another_executor,
);
