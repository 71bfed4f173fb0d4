//! Unit tests for issue 10's fixes in `time`.

use super::clock::Clock;
use super::entry::Entry;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Wake, Waker};
use std::time::{Duration, Instant};

/// `instant_of` must not wrap whole seconds past `u64::MAX` into an early instant.
#[test]
fn instant_of_never_wraps_to_an_early_instant() {
    let start = Instant::now();
    let c = Clock::with_start(start, Duration::from_secs(60));
    // t * 60 s = 2^64 s + 44 s: a truncating cast gives start + 44 s.
    let t = u64::MAX / 60 + 1;
    assert!(
        c.instant_of(t)
            .map_or(true, |i| i > start + Duration::from_secs(1 << 40)),
        "tick {t} mapped to an early instant {:?}",
        c.instant_of(t).map(|i| i - start)
    );
    // Ordinary ticks still map exactly.
    assert_eq!(c.instant_of(3), Some(start + Duration::from_secs(180)));
}

struct CountWakes(AtomicUsize);
impl Wake for CountWakes {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// Shutdown's cancel wakes a `Sleep`'s waker instead of dropping it; a plain cancel (the
/// `Sleep`'s own drop) does not wake.
#[test]
fn cancel_and_wake_wakes_sleep_entries_only_at_shutdown() {
    let count = Arc::new(CountWakes(AtomicUsize::new(0)));
    let waker = Waker::from(count.clone());
    let e = Entry::new_waker(10, 0, &waker);
    assert!(e.cancel().is_some());
    assert_eq!(count.0.load(SeqCst), 0);
    let e = Entry::new_waker(10, 0, &waker);
    assert!(e.cancel_and_wake().is_some());
    assert_eq!(count.0.load(SeqCst), 1);
    assert!(e.is_cancelled());
    assert!(e.cancel_and_wake().is_none(), "exactly one cancel wins");
}

/// A closure whose `Drop` panics: `cancel` contains it, `cancel_caught` hands it back, and
/// either way the entry is cancelled.
#[test]
fn cancel_contains_or_returns_a_drop_panic() {
    struct Bomb;
    impl Drop for Bomb {
        fn drop(&mut self) {
            panic!("bomb");
        }
    }
    let b = Bomb;
    let e = Entry::new_callback(10, 0, move || drop(b));
    assert!(e.cancel().is_some());
    assert!(e.is_cancelled());
    let b = Bomb;
    let e = Entry::new_callback(10, 0, move || drop(b));
    let (_, panic) = e.cancel_caught().unwrap();
    assert!(panic.is_some());
    drop(panic); // a plain message payload
}

/// The thieves' grace and look rate: unchanged with the default tick, a 1 ms floor with a
/// tiny one (issue 10, failure 6).
#[test]
fn watch_ticks_have_a_wall_clock_floor() {
    use super::shard::{watch_ticks, GRACE_TICKS};
    let ms = Clock::new(Duration::from_millis(1));
    assert_eq!(watch_ticks(&ms), (GRACE_TICKS, 1));
    let us = Clock::new(Duration::from_micros(1));
    let (grace, rate) = watch_ticks(&us);
    assert!((999..=1001).contains(&grace) && (999..=1001).contains(&rate));
    let slow = Clock::new(Duration::from_millis(50));
    assert_eq!(watch_ticks(&slow), (GRACE_TICKS, 1));
}
