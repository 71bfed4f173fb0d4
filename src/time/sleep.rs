//! `Sleep`: a future on the same timer wheels as the callbacks.

use super::clock::Clock;
use super::handle;
use super::pool::EntryRef;
use super::route::RouteRef;
use super::shard::Shard;
use crate::loom::sync::Arc;
use crate::task::coop;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

/// A future that completes at a deadline, made by [`sleep`](crate::sleep),
/// [`sleep_until`](crate::sleep_until) or the same methods of [`Handle`](crate::Handle).
///
/// The timer is armed on the first poll (on the polling worker's own shard), so a `Sleep`
/// that is never polled costs nothing. It can be polled by any executor. Dropping it cancels
/// its timer. If its runtime has shut down, it completes at once rather than never.
///
/// ```
/// use std::time::{Duration, Instant};
/// let rt = spindle::Runtime::new().unwrap();
/// rt.block_on(async {
///     let start = Instant::now();
///     spindle::sleep(Duration::from_millis(10)).await;
///     assert!(start.elapsed() >= Duration::from_millis(10));
/// });
/// ```
pub struct Sleep {
    /// Its runtime, through the seam (`time::route`).
    route: RouteRef,
    deadline: Instant,
    entry: Option<(EntryRef, Arc<Shard>)>,
}

impl Sleep {
    pub(crate) fn new(route: RouteRef, deadline: Instant) -> Sleep {
        Sleep {
            route,
            deadline,
            entry: None,
        }
    }

    /// The instant this sleep completes at.
    ///
    /// ```
    /// let rt = spindle::Runtime::new().unwrap();
    /// let at = rt.handle().time() + std::time::Duration::from_secs(1);
    /// assert_eq!(rt.handle().sleep_until(at).deadline(), at);
    /// ```
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// True once the deadline has passed and the timer fired (or, before the first poll,
    /// once the deadline has passed).
    ///
    /// ```
    /// let rt = spindle::Runtime::new().unwrap();
    /// let s = rt.handle().sleep(std::time::Duration::ZERO);
    /// assert!(s.is_elapsed());
    /// ```
    pub fn is_elapsed(&self) -> bool {
        match &self.entry {
            Some((e, _)) => e.is_fired(),
            None => self.route.clock().now() >= self.deadline,
        }
    }

    /// Moves the deadline, keeping the future (the cheap way to re-arm an idle timeout).
    /// Moving it later while it is armed is a single atomic update: the entry stays where it
    /// is and is re-filed when its old slot comes up. Moving it earlier re-arms it.
    ///
    /// ```
    /// use std::time::Duration;
    /// let rt = spindle::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut s = Box::pin(spindle::sleep(Duration::from_secs(60)));
    ///     let now = spindle::Handle::current().time();
    ///     s.as_mut().reset(now + Duration::from_millis(5));
    ///     s.await;
    /// });
    /// ```
    pub fn reset(self: Pin<&mut Self>, deadline: Instant) {
        let this = self.get_mut();
        this.deadline = deadline;
        let Some((entry, _)) = &this.entry else {
            return;
        };
        let tick = this.route.clock().deadline_tick(deadline);
        if entry.reset_later(tick) {
            return;
        }
        // Earlier, or no longer armed: cancel the old entry and arm a new one now with the
        // same waker (the task may not poll again before the new deadline).
        let waker = entry.waker_slot().and_then(|w| w.take_waker());
        this.cancel_entry();
        if let Some(waker) = waker {
            if this.route.clock().now() < deadline {
                this.entry = this.route.arm_waker(deadline, &waker);
            } else {
                waker.wake();
            }
        }
    }

    /// Its runtime's clock (`Interval` reads it).
    pub(crate) fn clock(&self) -> &Clock {
        self.route.clock()
    }

    /// Takes the armed entry out (`Drop`, in `scheduler::cancel`, cancels it).
    pub(crate) fn take_entry(&mut self) -> Option<(EntryRef, Arc<Shard>)> {
        self.entry.take()
    }

    fn cancel_entry(&mut self) {
        if let Some((entry, shard)) = self.entry.take() {
            let route = &self.route;
            handle::cancel(&entry, &shard, |e, s, staged| route.unlink(e, s, staged));
        }
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let fired = match &this.entry {
            Some((entry, _)) => {
                if !entry.is_fired() {
                    if let Some(w) = entry.waker_slot() {
                        w.register(cx.waker());
                    }
                }
                // Cancelled here means the runtime shut down: complete rather than hang.
                entry.is_fired() || entry.is_cancelled()
            }
            None => {
                if this.route.clock().now() >= this.deadline {
                    true
                } else {
                    this.entry = this.route.arm_waker(this.deadline, cx.waker());
                    // None: the runtime had shut down. Cancelled: it closed while we armed
                    // (the closed re-check cancelled the entry); fired: already due.
                    this.entry
                        .as_ref()
                        .map_or(true, |(e, _)| e.is_cancelled() || e.is_fired())
                }
            }
        };
        if fired {
            coop::poll_proceed(cx)
        } else {
            Poll::Pending
        }
    }
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline", &self.deadline)
            .field("state", &self.entry.as_ref().map(|(e, _)| e.phase()))
            .finish()
    }
}
