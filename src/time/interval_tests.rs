//! Unit tests of `interval` (a sibling file, so `interval.rs` holds only the code; `super` is `interval`).

use super::*;

#[test]
fn next_timeout_matches_each_behaviour() {
    let s = Instant::now();
    let p = Duration::from_millis(10);
    let ms = Duration::from_millis;
    let now = s + ms(35);
    use MissedTickBehavior::*;
    assert_eq!(Burst.next_timeout(s, now, p), s + ms(10));
    assert_eq!(Delay.next_timeout(s, now, p), s + ms(45));
    assert_eq!(Skip.next_timeout(s, now, p), s + ms(40));
    // Exactly on a grid point: the next one (strictly later than now).
    assert_eq!(Skip.next_timeout(s, s + ms(30), p), s + ms(40));
}
