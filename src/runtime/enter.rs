//! `Handle::enter`: make an embedder's own thread act as inside the runtime, so it can
//! create sockets (`spindle::net`) and use the free functions (`spindle::spawn`, ...).

use super::context::{self, Restore};
use super::handle::Handle;
use std::fmt;
use std::marker::PhantomData;

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
    _handle: PhantomData<&'a Handle>,
    _not_send: PhantomData<*const ()>,
}

impl Handle {
    /// Makes this thread act as inside this runtime until the guard drops: sockets created
    /// here register with this runtime, and `spindle::spawn` and the timer functions reach
    /// it. Guards nest; each restores what was current before it.
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
        EnterGuard {
            _restore: context::enter_handle(self),
            _handle: PhantomData,
            _not_send: PhantomData,
        }
    }
}

impl fmt::Debug for EnterGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EnterGuard")
    }
}
