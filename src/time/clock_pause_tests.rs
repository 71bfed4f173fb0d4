//! Unit tests of `clock` (a sibling file, so `clock.rs` holds only the code; `super` is `clock`).

use super::*;

#[test]
fn pause_is_on_a_tick_boundary_and_monotonic() {
    let c = Clock::new(Duration::from_millis(1));
    let before = c.now();
    c.pause();
    let p = c.now();
    assert!(p >= before);
    assert_eq!(c.nanos_of(p) % 1_000_000, 0);
    c.pause(); // harmless
    assert_eq!(c.now(), p);
    std::thread::sleep(Duration::from_millis(2));
    assert_eq!(c.now(), p, "a paused clock does not move");
    let t = c.set_paused(c.nanos_of(p) + 1_500_000).unwrap();
    assert_eq!(t, c.nanos_of(p) + 1_500_000, "moves are exact");
    assert_eq!(c.now(), p + Duration::from_micros(1500));
    // Mid-tick: the tick reached rounds down, so a deadline at the next boundary is not due.
    assert_eq!(c.now_tick(), c.deadline_tick(p) + 1);
    assert_eq!(c.set_paused(0), Some(t), "never backwards");
    let moved = c.now();
    c.resume();
    let r = c.now();
    assert!(
        r >= moved && r < moved + Duration::from_secs(1),
        "resume: no jump"
    );
    assert!(c.set_paused(0).is_none());
    c.resume(); // harmless
}

#[test]
fn virtual_time_saturates_below_never() {
    let c = Clock::new(Duration::from_millis(1));
    c.pause();
    c.set_paused(u64::MAX);
    assert!(c.now_tick() < MAX_TICK);
    let far = c.deadline_after(Duration::MAX);
    assert_eq!(c.deadline_tick(far), MAX_TICK);
    assert!(c.park_deadline(5).is_none());
    c.resume();
    assert!(c.now_tick() < MAX_TICK);
    assert!(c.park_deadline(c.now_tick() + 1).is_some());
}
