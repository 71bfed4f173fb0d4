//! Converting between `Instant`s and wheel ticks.
//!
//! Tick `t` covers `[start + t*tick, start + (t+1)*tick)`. A deadline rounds *up* to the next
//! tick boundary and a callback fires once the current tick (rounded *down*) reaches it, so a
//! callback never runs before its deadline. Deadlines beyond `MAX_TICK` ticks (about 36
//! million years at 1 ms) saturate to `MAX_TICK`, which the wheel keeps but never reaches.

use super::wheel::MAX_TICK;
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub(crate) struct Clock {
    start: Instant,
    tick_nanos: u64,
}

impl Clock {
    pub(crate) fn new(tick: Duration) -> Clock {
        Clock::with_start(Instant::now(), tick)
    }

    pub(crate) fn with_start(start: Instant, tick: Duration) -> Clock {
        let tick_nanos = u64::try_from(tick.as_nanos()).unwrap_or(u64::MAX).max(1);
        Clock { start, tick_nanos }
    }

    pub(crate) fn now(&self) -> Instant {
        Instant::now()
    }

    /// The current tick: whole ticks elapsed since start.
    pub(crate) fn now_tick(&self) -> u64 {
        self.floor_tick(Instant::now())
    }

    pub(crate) fn floor_tick(&self, t: Instant) -> u64 {
        (nanos_since(self.start, t) / self.tick_nanos).min(MAX_TICK)
    }

    /// The first tick at or after `deadline`: firing when `now_tick >= deadline_tick` is never
    /// early.
    pub(crate) fn deadline_tick(&self, deadline: Instant) -> u64 {
        match nanos_since(self.start, deadline) {
            // Beyond 584 years: "never", like everything past MAX_TICK.
            u64::MAX => MAX_TICK,
            nanos => nanos.div_ceil(self.tick_nanos).min(MAX_TICK),
        }
    }

    /// `now + delay`, saturating: `Duration::MAX` becomes a far instant that maps to MAX_TICK.
    pub(crate) fn deadline_after(&self, delay: Duration) -> Instant {
        let now = Instant::now();
        now.checked_add(delay).unwrap_or_else(|| far_future(now))
    }

    /// The instant at which tick `t` begins (for park timeouts); `None` if unrepresentable.
    pub(crate) fn instant_of(&self, t: u64) -> Option<Instant> {
        let nanos = (t as u128).checked_mul(self.tick_nanos as u128)?;
        // `try_from`, not `as`: whole seconds past u64::MAX must give `None`, not wrap to an
        // early instant (with a 60 s tick, a far tick would park for seconds instead).
        let secs = u64::try_from(nanos / 1_000_000_000).ok()?;
        let d = Duration::new(secs, (nanos % 1_000_000_000) as u32);
        self.start.checked_add(d)
    }
}

/// Nanoseconds from `start` to `t` (0 if `t` is earlier), saturating at `u64::MAX` (584
/// years): plain 64-bit arithmetic, as this is on every arm's path.
fn nanos_since(start: Instant, t: Instant) -> u64 {
    let d = t.saturating_duration_since(start);
    d.as_secs()
        .checked_mul(1_000_000_000)
        .and_then(|n| n.checked_add(u64::from(d.subsec_nanos())))
        .unwrap_or(u64::MAX)
}

/// An instant far enough to saturate any wheel, and still representable (`Instant + Duration`
/// overflows long before `Duration::MAX`).
pub(crate) fn far_future(from: Instant) -> Instant {
    let mut d = Duration::from_secs(u64::MAX / 4);
    loop {
        if let Some(t) = from.checked_add(d) {
            return t;
        }
        d /= 2;
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
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
        assert!(c.instant_of(u64::MAX).is_none() || c.instant_of(u64::MAX).is_some());
    }

    #[test]
    fn past_deadline_is_tick_zero() {
        let start = Instant::now();
        let c = Clock::with_start(start + Duration::from_secs(1), Duration::from_millis(1));
        assert_eq!(c.deadline_tick(start), 0);
    }
}
