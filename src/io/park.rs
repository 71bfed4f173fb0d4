//! The I/O driver in the workers' park and maintenance turn: the sleep protocol extended to
//! a wait in the OS poller.
//!
//! **Park** (`Worker::park` step "sleep", after register + re-check found nothing): if the
//! worker wins the driver's poll token it waits in `Poll::poll` with its park deadline as the
//! timeout (its next timer and the no-hostage watch deadline, so an idle runtime still makes
//! no periodic wakeups); otherwise it parks on its condvar as before. Either way it announces
//! the wait in its `Parker` first (`PARKED_IO` or `PARKED`).
//!
//! **No lost wakeup**, extending the proof in `scheduler::idle`: a producer that publishes
//! work and finds this worker registered as a sleeper unparks it; `Unparker::unpark` swaps
//! `NOTIFIED` into the parker state. If it swapped out `PARKED_IO`, it writes to the poller's
//! `mio::Waker`; that event stays queued in the poller until a wait returns, so the wait that
//! follows (or is in progress) returns at once. If it swapped out `EMPTY` (the worker has not
//! announced yet), `park_io` fails its `EMPTY -> PARKED_IO` CAS and does not wait. This is the
//! condvar argument with "event queued in the poller" in place of "mutex held across the
//! check and the wait". An I/O event needs no producer at all: it is queued in the poller,
//! which is either being waited on (the holder returns) or not held (the next worker to park,
//! or the next fairness turn, polls it).
//!
//! **No socket, no poller**: while no socket is registered, idle workers park on their
//! condvars. The first registration counts itself (SeqCst) and then wakes a sleeper through
//! the sleep protocol (`notify_one` reads the idle state, SeqCst); a parking worker registers
//! as a sleeper (SeqCst) before it reads the count. Either the registrar sees the sleeper and
//! wakes it (it parks again, now in the poller), or the sleeper sees the socket.
//!
//! **Hand-off**: a worker that comes back from the poller with runnable work releases the
//! token and wakes one sleeper if nobody searches (`Shared::notify_one`). The woken worker
//! finds nothing, parks and takes the poller: so while a worker runs (possibly stuck in a
//! long poll), some idle worker keeps watching I/O.

use crate::scheduler::Shared;
use crate::util::parker::Parker;
use std::time::Instant;

/// Parks the calling worker until unparked, an I/O event, or `deadline`. Returns true if it
/// waited in the poller and dispatched socket events (the caller then hands the poller on).
pub(crate) fn park(shared: &Shared, parker: &Parker, deadline: Option<Instant>) -> bool {
    // No socket: the condvar (`Driver::registered`); read after the caller registered us as
    // a sleeper, against the first registration's count-then-notify.
    let held = shared
        .io
        .as_ref()
        .filter(|d| d.has_sockets())
        .and_then(|d| d.hold_for_park());
    let Some(mut held) = held else {
        parker.park(deadline);
        return false;
    };
    let mut events = 0;
    parker.park_io(|| {
        let timeout = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        events = held.poll(timeout);
    });
    drop(held);
    events > 0
}

/// A worker whose deque just ran empty: take the readiness that is already there (zero
/// timeout) if nobody holds the poller, before the costlier maintenance turn and search.
/// Returns how many socket events it dispatched (their tasks are on this worker's deque).
pub(crate) fn poll_now(shared: &Shared) -> usize {
    let driver = shared.io.as_ref().filter(|d| d.has_sockets());
    match driver.and_then(|d| d.try_hold()) {
        Some(mut held) => held.poll(Some(std::time::Duration::ZERO)),
        None => 0,
    }
}

/// A busy worker's fairness turn: poll without blocking if nobody holds the poller.
pub(crate) fn maintain(shared: &Shared) {
    let driver = shared.io.as_ref().filter(|d| d.has_sockets());
    if let Some(mut held) = driver.and_then(|d| d.try_hold()) {
        if held.poll(Some(std::time::Duration::ZERO)) > 0 {
            drop(held);
            // Readiness queued work here while another worker may sleep on its condvar
            // with nobody in the poller: let one come and take the poller (and the work).
            shared.notify_one();
        }
    }
}
