//! Virtual time and the I/O driver: readiness the OS already has is work, so a paused clock
//! does not move past it (tokio's time driver, likewise, polls I/O with a zero timeout
//! before it auto-advances).
//!
//! The quiet decision (`scheduler::quiet`) sees work that is published in memory (queues,
//! due timers, inboxes). A socket event is published by the kernel instead, into the poller,
//! and the worker waiting there counts itself as an agent only after it has returned. In
//! between, a decision could move the clock past a read whose data had already arrived (seen
//! under load on 4 workers: 5-15% of such reads hit a 30 s virtual timeout at once; test
//! `conformance_net::io_ready_before_the_clock_moves`). So before a paused clock moves:
//!
//! - If nobody holds the poller, the deciding thread takes it and polls with a zero timeout.
//!   The events already there are dispatched now; if they queued runtime work, `busy` sees it
//!   (and unparks its owner), and the move waits: whoever runs that work leaves later and
//!   decides again.
//! - If a worker holds it (it waits in the poller, or is about to), the decider cannot look
//!   inside: it writes to the poller's waker, and the move waits. The holder returns with
//!   whatever was queued (dispatching it), counts itself, and decides again when it next
//!   parks, before it takes the poller again, so then the poller is free or held by a worker
//!   that parked after it (which is woken the same way). Every declined move thus leaves a
//!   woken worker that decides again: no move is lost, at the cost of one extra wake per move
//!   while paused with sockets registered. A running clock never gets here.

use crate::scheduler::Shared;
use std::time::Duration;

/// Whether the move a quiet decision is about to commit must wait for I/O (module docs).
/// `busy` is the decision's own check for queued work, run again after a dispatch.
pub(crate) fn holds_move(shared: &Shared, busy: impl FnOnce() -> bool) -> bool {
    let Some(driver) = shared.io.as_ref().filter(|d| d.has_sockets()) else {
        return false; // no socket (or shut down): no readiness to wait for
    };
    match driver.try_hold() {
        Some(mut held) => {
            let events = held.poll(Some(Duration::ZERO));
            drop(held);
            events > 0 && busy()
        }
        None => {
            // A failed write leaves the holder to its own timeout; it still decides when it
            // parks again, but the move must not wait on a wake that will not come.
            driver.waker().wake().is_ok()
        }
    }
}
