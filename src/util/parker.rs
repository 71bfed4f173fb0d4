//! Blocking a thread until it is unparked or a timeout passes.
//!
//! The state word has three values. `unpark` always swaps in `NOTIFIED`; `park` consumes a
//! `NOTIFIED` without sleeping, otherwise announces `PARKED` and waits on the condvar. The
//! mutex is taken by `unpark` before notifying only when the parker is (about to be) asleep,
//! which closes the window between the parker's check and its wait: this is std's and
//! crossbeam-utils' generic parker, built on the loom facade so models see it.

use crate::loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use crate::loom::sync::{lock, Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

const EMPTY: usize = 0;
const PARKED: usize = 1;
const NOTIFIED: usize = 2;

#[derive(Debug)]
struct Inner {
    state: AtomicUsize,
    lock: Mutex<()>,
    cvar: Condvar,
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
        Parker {
            inner: Arc::new(Inner {
                state: AtomicUsize::new(EMPTY),
                lock: Mutex::new(()),
                cvar: Condvar::new(),
            }),
        }
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
            #[cfg(loom)]
            if deadline.is_some() {
                // loom treats a timed wait as "may time out": stop here like a timeout would.
                break;
            }
        }
        // Timed out: withdraw PARKED, but keep a notification that raced in.
        if inner.state.swap(EMPTY, SeqCst) == NOTIFIED {
            // consumed: it was for us
        }
        drop(guard);
    }
}

impl Unparker {
    pub(crate) fn unpark(&self) {
        let inner = &*self.inner;
        match inner.state.swap(NOTIFIED, SeqCst) {
            EMPTY | NOTIFIED => {}
            PARKED => {
                // Taking the lock orders us after the parker's `EMPTY -> PARKED` + wait entry.
                drop(lock(&inner.lock));
                inner.cvar.notify_one();
            }
            _ => unreachable!("invalid parker state"),
        }
    }
}
