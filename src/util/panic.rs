//! Containing panics of user code.
//!
//! spindle runs user code in many places that must not unwind into the runtime: callbacks,
//! futures' polls, the `Drop` of closures, futures and outputs, wakers, hooks. A panic caught
//! there leaves a payload, and dropping the payload is user code too (`panic_any` of a value
//! whose `Drop` panics). [`dispose`] drops a payload without letting a second panic escape.
//! Every place that catches a panic and does not hand the payload to the user goes through
//! [`contain`] or [`dispose`].

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// A caught panic's payload.
pub(crate) type Payload = Box<dyn Any + Send>;

/// Drops `payload`. If its `Drop` panics, the new payload is dropped the same way (it is
/// almost always a plain message); only after `TRIES` panicking payloads in a row is the
/// last one leaked on purpose, since dropping it could panic again without end.
pub(crate) fn dispose(payload: Payload) {
    const TRIES: usize = 8;
    let mut next = payload;
    for _ in 0..TRIES {
        match catch_unwind(AssertUnwindSafe(move || drop(next))) {
            Ok(()) => return,
            Err(again) => next = again,
        }
    }
    std::mem::forget(next);
}

/// Runs `f`, containing a panic: returns its payload instead of unwinding.
///
/// Under loom it contains nothing: loom reports a deadlock or a data race by panicking in the
/// model thread that found it, and containing that would hide the failure (a worker would
/// resume its loop and spin). The models run no panicking user code.
pub(crate) fn catch<R>(f: impl FnOnce() -> R) -> Result<R, Payload> {
    #[cfg(loom)]
    return Ok(f());
    #[cfg(not(loom))]
    catch_unwind(AssertUnwindSafe(f))
}

/// Runs `f` and discards a panic (its payload is disposed of safely).
pub(crate) fn contain(f: impl FnOnce()) {
    if let Err(p) = catch(f) {
        dispose(p);
    }
}

#[cfg(test)]
#[path = "panic_tests.rs"]
mod tests;
