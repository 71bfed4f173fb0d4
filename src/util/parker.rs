//! Blocking a thread until it is unparked or a timeout passes.
//!
//! The state word has three values. `unpark` always swaps in `NOTIFIED`; `park` consumes a
//! `NOTIFIED` without sleeping, otherwise announces `PARKED` and waits on the condvar. The
//! mutex is taken by `unpark` before notifying only when the parker is (about to be) asleep,
//! which closes the window between the parker's check and its wait: this is std's and
//! crossbeam-utils' generic parker, built on the loom facade so models see it.
//!
//! **Parking in the I/O poller** (`park_io`): a worker that holds the I/O driver announces
//! `PARKED_IO` instead of `PARKED` and waits in the poller; `unpark` that swaps out
//! `PARKED_IO` writes to the poller's waker instead of the condvar. The waker's event stays
//! pending in the poller until the next wait returns, so an unpark between the announcement
//! and the wait still ends the wait: the same argument as the mutex gives the condvar.

use crate::loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use crate::loom::sync::{lock, Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

const EMPTY: usize = 0;
const PARKED: usize = 1;
const NOTIFIED: usize = 2;
const PARKED_IO: usize = 3;

#[derive(Debug)]
struct Inner {
    state: AtomicUsize,
    lock: Mutex<()>,
    cvar: Condvar,
    /// The runtime's I/O poller waker, for a parker that waits in the poller (`park_io`).
    io_waker: Option<Arc<crate::io::driver::IoWaker>>,
}

/// The parking side, owned by one thread.
#[derive(Debug)]
pub(crate) struct Parker {
    inner: Arc<Inner>,
}

/// The waking side, cloneable and usable from any thread.
#[derive(Debug, Clone)]
pub(crate) struct Unparker {
    inner: Arc<Inner>,
}

impl Parker {
    pub(crate) fn new() -> Parker {
        Parker::with_io_waker(None)
    }

    /// A parker that can also wait in the I/O poller whose waker is `io_waker`.
    pub(crate) fn with_io_waker(io_waker: Option<Arc<crate::io::driver::IoWaker>>) -> Parker {
        Parker {
            inner: Arc::new(Inner {
                state: AtomicUsize::new(EMPTY),
                lock: Mutex::new(()),
                cvar: Condvar::new(),
                io_waker,
            }),
        }
    }

    /// Like `park`, but the wait is `wait` (a poll of the I/O driver, ended by an event, its
    /// timeout, or `unpark` through the poller's waker). Returns whether `wait` ran.
    pub(crate) fn park_io(&self, wait: impl FnOnce()) -> bool {
        let inner = &*self.inner;
        debug_assert!(inner.io_waker.is_some());
        // seeded fault (loom only): `ParkIoSkipsAnnounce` waits without announcing.
        if crate::loom::fault::is(crate::loom::fault::Fault::ParkIoSkipsAnnounce) {
            return park_io_unannounced(inner, wait);
        }
        if inner
            .state
            .compare_exchange(EMPTY, PARKED_IO, SeqCst, SeqCst)
            .is_err()
        {
            // NOTIFIED: consume it without waiting.
            inner.state.swap(EMPTY, SeqCst);
            return false;
        }
        wait();
        // Woken, timed out or had events: withdraw PARKED_IO, consuming a notification that
        // raced in (its poller wake is at worst one spurious early return of a later wait).
        inner.state.swap(EMPTY, SeqCst);
        true
    }

    pub(crate) fn unparker(&self) -> Unparker {
        Unparker {
            inner: self.inner.clone(),
        }
    }

    /// Blocks until unparked, or until `deadline` if one is given.
    pub(crate) fn park(&self, deadline: Option<Instant>) {
        let inner = &*self.inner;
        // Fast path: a pending notification. SeqCst everywhere in this module: parking is
        // not hot, and a single total order keeps the proof obvious.
        if inner
            .state
            .compare_exchange(NOTIFIED, EMPTY, SeqCst, SeqCst)
            .is_ok()
        {
            return;
        }
        let mut guard = lock(&inner.lock);
        if inner
            .state
            .compare_exchange(EMPTY, PARKED, SeqCst, SeqCst)
            .is_err()
        {
            // Notified between the fast path and taking the lock.
            inner.state.swap(EMPTY, SeqCst);
            return;
        }
        loop {
            guard = match deadline {
                None => inner.cvar.wait(guard).unwrap_or_else(|e| e.into_inner()),
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        break;
                    }
                    // Capped: a far deadline (a wheel tick years away) would overflow some
                    // platforms' timed waits; the loop simply waits again.
                    let timeout = (deadline - now).min(Duration::from_secs(3600));
                    inner
                        .cvar
                        .wait_timeout(guard, timeout)
                        .unwrap_or_else(|e| e.into_inner())
                        .0
                }
            };
            if inner
                .state
                .compare_exchange(NOTIFIED, EMPTY, SeqCst, SeqCst)
                .is_ok()
            {
                return;
            }
            // Unnotified after a timed wait: under loom that is the timeout (the facade says
            // why); with std the loop re-reads the clock.
            if deadline.is_some() && crate::loom::sync::TIMED_WAIT_RETURN_IS_TIMEOUT {
                break;
            }
        }
        // Timed out: withdraw PARKED. A notification that raced in (NOTIFIED) is consumed
        // too, on purpose: it asked this park to return, and it is returning; every caller
        // re-checks for work after a park, so nothing it announced is lost.
        inner.state.swap(EMPTY, SeqCst);
        drop(guard);
    }
}

impl Unparker {
    pub(crate) fn unpark(&self) {
        let inner = &*self.inner;
        // A swap, not a CAS: NOTIFIED is the outcome in every state (a parker that is not
        // parked yet consumes it on its next `park` without sleeping), and the old value
        // alone says who must be woken and how.
        match inner.state.swap(NOTIFIED, SeqCst) {
            EMPTY | NOTIFIED => {}
            PARKED => {
                // Taking the lock orders us after the parker's `EMPTY -> PARKED` + wait entry.
                drop(lock(&inner.lock));
                inner.cvar.notify_one();
            }
            PARKED_IO => {
                // seeded fault (loom only): `UnparkSkipsIoWaker` forgets the poller's waker.
                if crate::loom::fault::is(crate::loom::fault::Fault::UnparkSkipsIoWaker) {
                    return;
                }
                if let Some(w) = &inner.io_waker {
                    // An error (the poller is gone) leaves nothing waiting on it to wake.
                    let _ = w.wake();
                }
            }
            _ => unreachable!("invalid parker state"),
        }
    }
}

/// The seeded fault `ParkIoSkipsAnnounce` (loom only): wait first, consume afterwards.
fn park_io_unannounced(inner: &Inner, wait: impl FnOnce()) -> bool {
    if inner
        .state
        .compare_exchange(NOTIFIED, EMPTY, SeqCst, SeqCst)
        .is_ok()
    {
        return false;
    }
    wait();
    inner.state.swap(EMPTY, SeqCst);
    true
}
