//! Unit tests of `clock` (a sibling file, so `clock.rs` holds only the code; `super` is `clock`).

use super::*;

#[test]
fn rounding_is_never_early() {
    let start = Instant::now();
    let c = Clock::with_start(start, Duration::from_millis(1));
    assert_eq!(c.deadline_tick(start), 0);
    assert_eq!(c.deadline_tick(start + Duration::from_micros(1)), 1);
    assert_eq!(c.deadline_tick(start + Duration::from_millis(1)), 1);
    assert_eq!(c.deadline_tick(start + Duration::from_micros(1001)), 2);
    assert_eq!(c.floor_tick(start + Duration::from_micros(1999)), 1);
    // A deadline fires when floor(now) >= deadline_tick, i.e. now >= tick start >= deadline.
    let d = start + Duration::from_micros(1500);
    let t = c.deadline_tick(d);
    assert!(c.instant_of(t).unwrap() >= d);
}

#[test]
fn saturates_far_deadlines() {
    let c = Clock::new(Duration::from_millis(1));
    let far = c.deadline_after(Duration::MAX);
    assert_eq!(c.deadline_tick(far), MAX_TICK);
    let c = Clock::new(Duration::from_nanos(1));
    assert_eq!(c.deadline_tick(far_future(Instant::now())), MAX_TICK);
    // The far end of the tick range maps to a far instant or to none (unrepresentable),
    // never to an early one (a wrapped or truncated conversion would be near `start`).
    if let Some(t) = c.instant_of(u64::MAX) {
        let years_500 = Duration::from_secs(500 * 365 * 24 * 3600);
        assert!(
            t > Instant::now() + years_500,
            "tick u64::MAX came back early"
        );
    }
}

#[test]
fn past_deadline_is_tick_zero() {
    let start = Instant::now();
    let c = Clock::with_start(start + Duration::from_secs(1), Duration::from_millis(1));
    assert_eq!(c.deadline_tick(start), 0);
}
