//! A slot holding one `Waker`, registered by a single consumer and woken from any thread.
//!
//! Protocol (the classic one from `futures`' `AtomicWaker`, re-derived here so loom sees it):
//! the state word has two bits, `REGISTERING` and `WAKING`.
//!
//! 1. `register` sets `REGISTERING` (only from `WAITING`), stores the waker, then tries to
//!    return to `WAITING`. If a waker raced in meanwhile (`WAKING` is now set too), the
//!    registrant takes the waker back out and wakes it itself, so the wake is never lost.
//! 2. `wake` sets `WAKING`. If nobody was registering it takes the waker, clears `WAKING` and
//!    wakes; if a registration is in progress it leaves the wake to step 1.

use crate::loom::cell::UnsafeCell;
use crate::loom::sync::atomic::{AtomicUsize, Ordering::*};
use std::task::Waker;

const WAITING: usize = 0;
const REGISTERING: usize = 0b01;
const WAKING: usize = 0b10;

pub(crate) struct AtomicWaker {
    state: AtomicUsize,
    waker: UnsafeCell<Option<Waker>>,
}

// SAFETY: the `waker` cell is only accessed by the thread that holds `REGISTERING` or that moved
// the state from `WAITING` to `WAKING` (see the module protocol), so access is exclusive.
unsafe impl Send for AtomicWaker {}
// SAFETY: as for `Send`; `Waker` is itself `Send + Sync`.
unsafe impl Sync for AtomicWaker {}

impl AtomicWaker {
    pub(crate) fn new() -> Self {
        AtomicWaker::with_waker(None)
    }

    /// A slot already holding `waker`: for a slot not yet shared with any other thread, this
    /// replaces a first `register` (and its two CASes).
    pub(crate) fn with_waker(waker: Option<Waker>) -> Self {
        AtomicWaker {
            state: AtomicUsize::new(WAITING),
            waker: UnsafeCell::new(waker),
        }
    }

    /// Registers `waker` to be woken by the next `wake`. Only one thread may register at a time
    /// (the owner of the future that polls).
    pub(crate) fn register(&self, waker: &Waker) {
        // Acquire pairs with the Release in `take_waker`/`register` that returned the state to
        // WAITING, so the previous writer's cell access happens-before ours.
        match self
            .state
            .compare_exchange(WAITING, REGISTERING, Acquire, Acquire)
        {
            Ok(_) => {
                // SAFETY: we hold REGISTERING, so no other thread touches the cell.
                self.waker.with_mut(|w| unsafe {
                    match &*w {
                        Some(old) if old.will_wake(waker) => {}
                        _ => *w = Some(waker.clone()),
                    }
                });
                // AcqRel: Release publishes the stored waker to the next waker; Acquire (on
                // failure path below) sees the WAKING bit's writer.
                if let Err(actual) =
                    self.state
                        .compare_exchange(REGISTERING, WAITING, AcqRel, Acquire)
                {
                    // A wake arrived while we registered: it left the wake to us.
                    debug_assert_eq!(actual, REGISTERING | WAKING);
                    // SAFETY: still exclusive: the waker saw REGISTERING and did not touch it.
                    let w = self.waker.with_mut(|w| unsafe { (*w).take() });
                    self.state.swap(WAITING, AcqRel);
                    if let Some(w) = w {
                        w.wake();
                    }
                }
            }
            Err(WAKING) => {
                // A wake is in progress and may already have taken the old waker: make sure
                // the new one runs again.
                waker.wake_by_ref();
            }
            Err(_) => {
                // Concurrent registration is outside the contract (single consumer); waking
                // keeps the caller from hanging instead of corrupting the slot.
                waker.wake_by_ref();
            }
        }
    }

    /// Wakes the registered waker, if any.
    pub(crate) fn wake(&self) {
        if let Some(w) = self.take_waker() {
            w.wake();
        }
    }

    /// Takes the registered waker out, if nobody is registering right now.
    pub(crate) fn take_waker(&self) -> Option<Waker> {
        // AcqRel: Acquire sees the registrant's stored waker; Release orders our cell access
        // before the clearing store below is observed.
        match self.state.fetch_or(WAKING, AcqRel) {
            WAITING => {
                // SAFETY: we moved WAITING -> WAKING, so we own the cell until we clear WAKING.
                let w = self.waker.with_mut(|w| unsafe { (*w).take() });
                // Release: publishes the emptied cell to the next registrant's Acquire.
                self.state.fetch_and(!WAKING, Release);
                w
            }
            // REGISTERING (the registrant will wake) or WAKING (another waker is at it).
            _ => None,
        }
    }
}

impl std::fmt::Debug for AtomicWaker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AtomicWaker")
    }
}
