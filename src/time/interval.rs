//! `Interval`: ticks at a fixed period, on one `Sleep` that is reset in place after each tick.
//!
//! Procedure of [`Interval::poll_tick`] (tokio's, so code moves over unchanged apart from the
//! default behaviour):
//! 1. Poll the `Sleep`; pending means pending.
//! 2. It fired: this tick's instant is its deadline `t`. Read the runtime clock `now`.
//! 3. The next deadline is `t + period` if `now <= t + 5 ms` (on time: a few milliseconds of
//!    scheduling jitter is not a missed tick), otherwise what the [`MissedTickBehavior`]
//!    says. Reset the `Sleep` to it (`Sleep::reset`: no new future), and return `t`.
//!
//! Every instant comes from the runtime's clock (`shared.clock`), never `Instant::now`, so a
//! paused clock reaches intervals too.

use super::clock::saturating_add as add;
use super::sleep::Sleep;
use std::fmt;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// How late a tick may be and still count as on time (tokio's threshold).
const ON_TIME_SLACK: Duration = Duration::from_millis(5);

const ZERO_PERIOD: &str = "spindle: `interval` period must be non-zero";

/// What an [`Interval`] does when a tick is missed (the task did not call
/// [`tick`](Interval::tick) until after one or more periods had passed). The meanings are
/// exactly tokio's. The default differs: spindle defaults to [`Skip`](Self::Skip), tokio to
/// [`Burst`](Self::Burst), because a burst after a stall (a long GC-like pause, a blocked
/// worker, a laptop waking up) fires every missed tick back to back: a catch-up storm of
/// heartbeats or polls at the worst possible moment, a common complaint about tokio's default.
///
/// The timelines below show period `p` from start `s`, with a stall (the task was busy)
/// from just after `s` to about `s + 3.5p`:
///
/// ```text
///  scheduled:  s     s+p   s+2p  s+3p  s+4p  s+5p
///  stall:      |xxxxxxxxxxxxxxxxxxxxx|
///  Burst:      s                      s+p s+2p s+3p  s+4p  s+5p   (three at once, then on grid)
///  Delay:      s                      s+p        (now+p)    (now+2p) ...  (grid moves)
///  Skip:       s                      s+p  s+4p  s+5p  s+6p ...  (missed ones dropped, grid kept)
/// ```
///
/// Each `tick()` returns the instant that tick was *scheduled* for; in the late tick above
/// that is `s + p` under all three.
///
/// ```
/// use spindle::MissedTickBehavior;
/// assert_eq!(MissedTickBehavior::default(), MissedTickBehavior::Skip);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum MissedTickBehavior {
    /// Tick as fast as possible until caught up, then continue on the original grid
    /// (`start + k * period`). Every tick is delivered, late ones back to back.
    ///
    /// ```text
    ///  scheduled:  s   s+p  s+2p  s+3p  s+4p
    ///  returned:   s        (late: s+p, s+2p, s+3p at once)  s+4p
    /// ```
    ///
    /// ```
    /// use spindle::MissedTickBehavior;
    /// let rt = spindle::Runtime::new().unwrap();
    /// let mut i = rt.handle().interval(std::time::Duration::from_millis(1));
    /// i.set_missed_tick_behavior(MissedTickBehavior::Burst);
    /// assert_eq!(i.missed_tick_behavior(), MissedTickBehavior::Burst);
    /// ```
    Burst,
    /// Deliver the late tick now, then tick every period from *now*: the grid moves, and the
    /// gap between ticks is never less than one period.
    ///
    /// ```text
    ///  scheduled:  s   s+p  s+2p  s+3p
    ///  returned:   s        (late at t: s+p)  t+p  t+2p
    /// ```
    ///
    /// ```
    /// use spindle::MissedTickBehavior;
    /// let rt = spindle::Runtime::new().unwrap();
    /// let mut i = rt.handle().interval(std::time::Duration::from_millis(1));
    /// i.set_missed_tick_behavior(MissedTickBehavior::Delay);
    /// assert_eq!(i.missed_tick_behavior(), MissedTickBehavior::Delay);
    /// ```
    Delay,
    /// Deliver the late tick now, drop the missed ones, and continue at the next point of the
    /// original grid after now (the default).
    ///
    /// ```text
    ///  scheduled:  s   s+p  s+2p  s+3p  s+4p
    ///  returned:   s        (late at s+3.5p: s+p)  s+4p  s+5p
    /// ```
    ///
    /// ```
    /// let rt = spindle::Runtime::new().unwrap();
    /// let i = rt.handle().interval(std::time::Duration::from_millis(1));
    /// assert_eq!(i.missed_tick_behavior(), spindle::MissedTickBehavior::Skip);
    /// ```
    #[default]
    Skip,
}

impl MissedTickBehavior {
    /// The deadline after a tick scheduled for `timeout` that fired late, at `now`.
    fn next_timeout(self, timeout: Instant, now: Instant, period: Duration) -> Instant {
        match self {
            MissedTickBehavior::Burst => add(timeout, period),
            MissedTickBehavior::Delay => add(now, period),
            MissedTickBehavior::Skip => {
                // The first point of the grid through `timeout` that is later than `now`.
                let late = now.saturating_duration_since(timeout).as_nanos();
                let periods = late / period.as_nanos() + 1;
                super::period::nth(timeout, period, u64::try_from(periods).unwrap_or(u64::MAX))
            }
        }
    }
}

/// Ticks every period, made by [`interval`](crate::interval) /
/// [`interval_at`](crate::interval_at) or the same methods of [`Handle`](crate::Handle). Built on one
/// [`Sleep`] that is reset in place after every tick. It can be polled by any executor.
/// Missed ticks are handled as [`MissedTickBehavior`] says (default `Skip`).
///
/// ```
/// use std::time::Duration;
/// let rt = spindle::Runtime::new().unwrap();
/// rt.block_on(async {
///     let mut i = spindle::interval(Duration::from_millis(50));
///     let first = i.tick().await; // at once
///     let second = i.tick().await;
///     assert_eq!(second - first, Duration::from_millis(50));
/// });
/// ```
pub struct Interval {
    sleep: Sleep,
    period: Duration,
    missed_tick_behavior: MissedTickBehavior,
}

impl Interval {
    /// An interval whose first tick is `first`'s deadline (`Handle::interval_at`).
    pub(crate) fn new(first: Sleep, period: Duration) -> Interval {
        assert!(!period.is_zero(), "{ZERO_PERIOD}");
        Interval {
            sleep: first,
            period,
            missed_tick_behavior: MissedTickBehavior::default(),
        }
    }

    /// Completes at the next tick and returns the instant it was scheduled for (the first
    /// tick is at the start instant, at once for [`interval`](crate::interval)).
    ///
    /// ```
    /// use std::time::Duration;
    /// let rt = spindle::Runtime::new().unwrap();
    /// let h = rt.handle().clone();
    /// let start = h.time() + Duration::from_millis(3);
    /// let mut i = h.interval_at(start, Duration::from_millis(1));
    /// assert_eq!(rt.block_on(i.tick()), start);
    /// ```
    pub async fn tick(&mut self) -> Instant {
        poll_fn(|cx| self.poll_tick(cx)).await
    }

    /// Polls for the next tick (for hand-written futures and `Stream` adapters). Returns the
    /// instant the tick was scheduled for; when pending, the waker of `cx` is woken at the
    /// tick.
    ///
    /// ```
    /// use std::time::Duration;
    /// let rt = spindle::Runtime::new().unwrap();
    /// let mut i = rt.handle().interval(Duration::from_secs(60));
    /// let t = rt.block_on(std::future::poll_fn(|cx| i.poll_tick(cx)));
    /// assert!(t <= rt.handle().time());
    /// ```
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        if Pin::new(&mut self.sleep).poll(cx).is_pending() {
            return Poll::Pending;
        }
        let timeout = self.sleep.deadline();
        let now = self.sleep.clock().now();
        let next = if now > add(timeout, ON_TIME_SLACK) {
            self.missed_tick_behavior
                .next_timeout(timeout, now, self.period)
        } else {
            add(timeout, self.period)
        };
        Pin::new(&mut self.sleep).reset(next);
        Poll::Ready(timeout)
    }

    /// Restarts the schedule: the next tick is one period from now.
    ///
    /// ```
    /// use std::time::Duration;
    /// let rt = spindle::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut i = spindle::interval(Duration::from_millis(5));
    ///     i.tick().await;
    ///     let before = spindle::Handle::current().time();
    ///     i.reset();
    ///     let t = i.tick().await;
    ///     assert!(t >= before + Duration::from_millis(5));
    /// });
    /// ```
    pub fn reset(&mut self) {
        let next = add(self.sleep.clock().now(), self.period);
        self.reset_at(next);
    }

    /// Restarts the schedule so that the next tick is at once.
    ///
    /// ```
    /// use std::time::Duration;
    /// let rt = spindle::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut i = spindle::interval(Duration::from_secs(60));
    ///     i.tick().await;
    ///     i.reset_immediately();
    ///     i.tick().await; // does not wait a minute
    /// });
    /// ```
    pub fn reset_immediately(&mut self) {
        let now = self.sleep.clock().now();
        self.reset_at(now);
    }

    /// Restarts the schedule so that the next tick is at `deadline`, then every period.
    ///
    /// ```
    /// use std::time::Duration;
    /// let rt = spindle::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut i = spindle::interval(Duration::from_secs(60));
    ///     i.tick().await;
    ///     let at = spindle::Handle::current().time() + Duration::from_millis(2);
    ///     i.reset_at(at);
    ///     assert_eq!(i.tick().await, at);
    /// });
    /// ```
    pub fn reset_at(&mut self, deadline: Instant) {
        Pin::new(&mut self.sleep).reset(deadline);
    }

    /// The period between ticks.
    ///
    /// ```
    /// let rt = spindle::Runtime::new().unwrap();
    /// let i = rt.handle().interval(std::time::Duration::from_millis(7));
    /// assert_eq!(i.period(), std::time::Duration::from_millis(7));
    /// ```
    pub fn period(&self) -> Duration {
        self.period
    }

    /// The current [`MissedTickBehavior`] (default [`Skip`](MissedTickBehavior::Skip)).
    ///
    /// ```
    /// let rt = spindle::Runtime::new().unwrap();
    /// let i = rt.handle().interval(std::time::Duration::from_millis(1));
    /// assert_eq!(i.missed_tick_behavior(), spindle::MissedTickBehavior::Skip);
    /// ```
    pub fn missed_tick_behavior(&self) -> MissedTickBehavior {
        self.missed_tick_behavior
    }

    /// Sets what to do about missed ticks from the next tick on.
    ///
    /// ```
    /// use spindle::MissedTickBehavior;
    /// let rt = spindle::Runtime::new().unwrap();
    /// let mut i = rt.handle().interval(std::time::Duration::from_millis(1));
    /// i.set_missed_tick_behavior(MissedTickBehavior::Delay);
    /// assert_eq!(i.missed_tick_behavior(), MissedTickBehavior::Delay);
    /// ```
    pub fn set_missed_tick_behavior(&mut self, behavior: MissedTickBehavior) {
        self.missed_tick_behavior = behavior;
    }
}

impl fmt::Debug for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Interval")
            .field("next", &self.sleep.deadline())
            .field("period", &self.period)
            .field("missed_tick_behavior", &self.missed_tick_behavior)
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
#[path = "interval_tests.rs"]
mod tests;
