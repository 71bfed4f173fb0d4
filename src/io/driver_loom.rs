//! Under loom: a stand-in for the OS poller that loom can see (loom cannot see into epoll),
//! with the real driver's face, as `scheduler::queue` swaps the run queues.
//!
//! The stand-in's poller is a loom mutex + condvar over "pending events and wakes": `poll`
//! waits until its waker was written or an event was posted (or returns at once for a zero
//! or finite timeout: loom has no time, so a finite wait is a wait that timed out). Like the
//! real poller, a wake or event posted before the wait begins stays pending and ends the next
//! wait: that is the property the sleep protocol relies on (`io::park`).

use super::scheduled::ScheduledIo;
use crate::loom::sync::{lock, Arc, Condvar, Mutex, MutexGuard};
use mio::event::Source;
use std::io;
use std::time::Duration;

#[derive(Default)]
struct State {
    woken: bool,
    events: Vec<(Arc<ScheduledIo>, usize)>,
}

struct Pending {
    state: Mutex<State>,
    cvar: Condvar,
}

/// The poller's waker (the stand-in of `mio::Waker`).
pub(crate) struct IoWaker(Arc<Pending>);

impl std::fmt::Debug for IoWaker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IoWaker")
    }
}

impl std::fmt::Debug for Driver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Driver(loom stand-in)")
    }
}

impl IoWaker {
    pub(crate) fn wake(&self) -> io::Result<()> {
        lock(&self.0.state).woken = true;
        self.0.cvar.notify_all();
        Ok(())
    }
}

pub(crate) struct Driver {
    token: Mutex<()>,
    pending: Arc<Pending>,
    waker: Arc<IoWaker>,
}

pub(crate) struct Held<'a> {
    driver: &'a Driver,
    _token: MutexGuard<'a, ()>,
}

impl Driver {
    pub(crate) fn new() -> io::Result<Driver> {
        let pending = Arc::new(Pending {
            state: Mutex::new(State::default()),
            cvar: Condvar::new(),
        });
        Ok(Driver {
            token: Mutex::new(()),
            waker: Arc::new(IoWaker(pending.clone())),
            pending,
        })
    }

    /// Runtimes under loom have no driver; models build one with `new`.
    pub(crate) fn for_runtime() -> io::Result<Option<Driver>> {
        Ok(None)
    }

    pub(crate) fn waker(&self) -> Arc<IoWaker> {
        self.waker.clone()
    }

    pub(crate) fn try_hold(&self) -> Option<Held<'_>> {
        let token = self.token.try_lock().ok()?;
        Some(Held {
            driver: self,
            _token: token,
        })
    }

    pub(crate) fn hold_for_park(&self) -> Option<Held<'_>> {
        self.try_hold()
    }

    pub(crate) fn has_sockets(&self) -> bool {
        true
    }

    pub(crate) fn register(
        &self,
        _source: &mut impl Source,
    ) -> io::Result<(Arc<ScheduledIo>, bool)> {
        Ok((Arc::new(ScheduledIo::new()), false))
    }

    pub(crate) fn deregister(&self, _source: &mut impl Source, _io: &Arc<ScheduledIo>) {}

    pub(crate) fn shutdown(&self) {}

    /// The model's "OS": readiness `flags` on `io`, reported by the next poll.
    pub(crate) fn post_event(&self, io: Arc<ScheduledIo>, flags: usize) {
        lock(&self.pending.state).events.push((io, flags));
        self.pending.cvar.notify_all();
    }
}

impl Held<'_> {
    pub(crate) fn poll(&mut self, timeout: Option<Duration>) -> usize {
        let p = &*self.driver.pending;
        let mut st = lock(&p.state);
        while timeout.is_none() && !st.woken && st.events.is_empty() {
            st = p.cvar.wait(st).unwrap_or_else(|e| e.into_inner());
        }
        st.woken = false;
        let events = std::mem::take(&mut st.events);
        drop(st);
        let n = events.len();
        for (io, flags) in events {
            io.dispatch(flags);
        }
        n
    }
}
