//! `Handle::enter`: make an embedder's own thread act as inside the runtime, so it can
//! create sockets (`spindle::net`) and use the free functions (`spindle::spawn`, ...).

use super::handle::Handle;
use crate::scheduler::context::{self, Restore};
use std::cell::Cell;
use std::fmt;
use std::marker::PhantomData;

crate::loom::thread_local! {
    /// How many `EnterGuard`s this thread holds: each guard records the depth it made, so a
    /// drop out of order (which would restore a context that another live guard replaced,
    /// leaving a runtime current after every guard is gone) is detected.
    static DEPTH: Cell<usize> = Cell::new(0);
}

const OUT_OF_ORDER: &str = "spindle: `EnterGuard`s dropped out of order: the guards that \
     `Handle::enter` returns must be dropped in the reverse order of their creation";

/// The guard of [`Handle::enter`]: while it lives, this thread's current runtime is the
/// entered one; dropping it restores the previous one. Not `Send`: it belongs to the thread
/// that entered.
///
/// ```
/// let rt = spindle::Runtime::new().unwrap();
/// let guard = rt.handle().enter();
/// assert!(spindle::Handle::try_current().is_some());
/// drop(guard);
/// assert!(spindle::Handle::try_current().is_none());
/// ```
pub struct EnterGuard<'a> {
    _restore: Option<Restore>,
    /// This guard's nesting depth on its thread (`DEPTH` after it was made).
    depth: usize,
    _handle: PhantomData<&'a Handle>,
    _not_send: PhantomData<*const ()>,
}

impl Handle {
    /// Makes this thread act as inside this runtime until the guard drops: sockets created
    /// here register with this runtime, and `spindle::spawn` and the timer functions reach
    /// it. Guards nest; each restores what was current before it.
    ///
    /// # Panics
    /// Dropping guards out of order (the first of two live guards before the second)
    /// panics with a clear message, as tokio's does (unless the thread is already
    /// panicking); the thread's current runtime is then unspecified until it next enters.
    ///
    /// ```
    /// let rt = spindle::Runtime::new().unwrap();
    /// let h = rt.handle().clone();
    /// std::thread::spawn(move || {
    ///     let _g = h.enter();
    ///     let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    ///     spindle::net::TcpListener::from_std(l).unwrap();
    ///     spindle::spawn(async {});
    /// })
    /// .join()
    /// .unwrap();
    /// ```
    pub fn enter(&self) -> EnterGuard<'_> {
        let depth = DEPTH.with(|d| {
            let depth = d.get().saturating_add(1);
            d.set(depth);
            depth
        });
        EnterGuard {
            _restore: context::enter_handle(&self.shared),
            depth,
            _handle: PhantomData,
            _not_send: PhantomData,
        }
    }
}

impl Drop for EnterGuard<'_> {
    fn drop(&mut self) {
        // The `Restore` field runs after this (also when this panics, during the unwind).
        let in_order = DEPTH
            .try_with(|d| {
                if d.get() == self.depth {
                    d.set(self.depth - 1);
                    true
                } else {
                    false
                }
            })
            .unwrap_or(true); // thread-local gone: the thread is exiting
        if !in_order && !std::thread::panicking() {
            panic!("{OUT_OF_ORDER}");
        }
    }
}

impl fmt::Debug for EnterGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EnterGuard")
    }
}
