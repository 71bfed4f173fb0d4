//! Unit tests of `period` (a sibling file, so `period.rs` holds only the code; `super` is `period`).

use super::*;

#[test]
fn grid_and_skip() {
    let s = Instant::now();
    let p = Duration::from_millis(10);
    assert_eq!(nth(s, p, 3), s + Duration::from_millis(30));
    // On time: the next grid point.
    assert_eq!(next_run(s, p, 1, s + Duration::from_millis(10)), 2);
    // Late by 3.5 periods: skip to the grid point after now.
    assert_eq!(next_run(s, p, 1, s + Duration::from_millis(45)), 5);
    // Early clock reading (never happens) still moves forward.
    assert_eq!(next_run(s, p, 4, s), 5);
}

#[test]
fn huge_periods_saturate() {
    let s = Instant::now();
    let far = nth(s, Duration::MAX, u64::MAX);
    assert!(far > s + Duration::from_secs(1 << 40));
    assert_eq!(next_run(s, Duration::MAX, 1, s), 2);
}
