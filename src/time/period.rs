//! The period grid of `call_every` and `Interval`: run `k` is due at `start + k * period`.
//! Pure arithmetic (the runner that uses it is `scheduler::periodic`).

use super::clock::saturating_add;
use super::entry::Entry;
use std::time::{Duration, Instant};

/// `start + k * period`, saturating to a far instant (which maps to "never") on overflow.
pub(crate) fn nth(start: Instant, period: Duration, k: u64) -> Instant {
    let nanos = period.as_nanos().saturating_mul(u128::from(k));
    let secs = u64::try_from(nanos / 1_000_000_000).unwrap_or(u64::MAX);
    let d = Duration::new(secs, (nanos % 1_000_000_000) as u32);
    saturating_add(start, d)
}

/// The next run after run `k` when the clock reads `now`: the first grid point later than
/// both (Skip).
pub(crate) fn next_run(start: Instant, period: Duration, k: u64, now: Instant) -> u64 {
    let elapsed = now.saturating_duration_since(start).as_nanos();
    let periods = elapsed / period.as_nanos().max(1);
    let on_grid = u64::try_from(periods).unwrap_or(u64::MAX).saturating_add(1);
    on_grid.max(k.saturating_add(1))
}

/// `TimerHandle::when` of a periodic entry: its next scheduled run.
pub(crate) fn when(entry: &Entry) -> Option<Instant> {
    entry
        .schedule()
        .map(|(start, period, k)| nth(start, period, k))
}

#[cfg(all(test, not(loom)))]
#[path = "period_tests.rs"]
mod tests;
