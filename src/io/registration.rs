//! `PollEvented`: a mio socket registered with its runtime's driver.
//!
//! Every operation is "wait for readiness, try the syscall, on `WouldBlock` clear the
//! readiness seen and wait again" (edge-triggered: the flag is cleared only by a
//! `WouldBlock`, with the tick that was observed; see `scheduled`). The read/write path takes
//! no lock and allocates nothing: one load of the readiness word, the syscall, and on
//! `WouldBlock` one CAS plus the waker registration.

use super::scheduled::{Direction, ScheduledIo};
use crate::loom::sync::Arc;
use crate::scheduler::Shared;
use mio::event::Source;
use std::future::poll_fn;
use std::io;
use std::task::{Context, Poll};

pub(crate) struct PollEvented<S: Source> {
    source: S,
    shared: Arc<Shared>,
    io: Arc<ScheduledIo>,
}

impl<S: Source> PollEvented<S> {
    /// Registers `source` with the current runtime's driver.
    ///
    /// # Panics
    /// Outside a runtime (a worker, `block_on`, or `Handle::enter`).
    pub(crate) fn new(source: S) -> io::Result<PollEvented<S>> {
        // The scheduler's context, as `Handle::try_current` reads it (io/ names no `runtime/`).
        let shared = crate::scheduler::context::current().expect(
            "spindle::net: no current runtime: create sockets inside a spindle task, \
             `block_on`, or a thread that called `Handle::enter`",
        );
        PollEvented::with_shared(shared, source)
    }

    /// Registers `source` with `shared`'s driver (an accepted socket joins its listener's).
    pub(crate) fn with_shared(shared: Arc<Shared>, mut source: S) -> io::Result<PollEvented<S>> {
        let Some(driver) = shared.io.as_ref() else {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "spindle::net: this runtime has no I/O driver",
            ));
        };
        let (io, first) = driver.register(&mut source)?;
        if first {
            // Idle workers may all sleep on their condvars (no socket until now): wake one,
            // it parks again in the poller (`io::park`).
            shared.notify_one();
        }
        Ok(PollEvented { source, shared, io })
    }

    pub(crate) fn get_ref(&self) -> &S {
        &self.source
    }

    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// Runs `op` once `dir` is ready, until it does not say `WouldBlock`.
    pub(crate) fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        dir: Direction,
        op: impl FnMut(&S) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        self.poll_until_ready(cx, dir, op, |_| false)
    }

    /// `poll_io` for a stream read or write of `len` bytes: a short transfer (`0 < n < len`)
    /// means the kernel buffer was drained (read) or filled (write) at that moment, so the
    /// readiness seen is cleared at once, as a `WouldBlock` would (tokio does the same). It
    /// saves the syscall that would only say `WouldBlock`; an event after the transfer has a
    /// newer tick and survives the clear.
    pub(crate) fn poll_transfer(
        &self,
        cx: &mut Context<'_>,
        dir: Direction,
        len: usize,
        op: impl FnMut(&S) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        self.poll_until_ready(cx, dir, op, |&n| n > 0 && n < len)
    }

    /// The loop of both: wait for readiness, run `op`; a `WouldBlock` clears the readiness
    /// seen and waits again; a success for which `drained` holds clears it too.
    fn poll_until_ready<R>(
        &self,
        cx: &mut Context<'_>,
        dir: Direction,
        mut op: impl FnMut(&S) -> io::Result<R>,
        drained: impl Fn(&R) -> bool,
    ) -> Poll<io::Result<R>> {
        loop {
            let seen = match self.io.poll_ready(cx, dir) {
                Poll::Ready(Ok(seen)) => seen,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            };
            match op(&self.source) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.io.clear(seen),
                Ok(r) => {
                    if drained(&r) {
                        self.io.clear(seen);
                    }
                    return Poll::Ready(Ok(r));
                }
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }

    /// `poll_io` as a future.
    pub(crate) async fn io<R>(
        &self,
        dir: Direction,
        mut op: impl FnMut(&S) -> io::Result<R>,
    ) -> io::Result<R> {
        poll_fn(|cx| self.poll_io(cx, dir, &mut op)).await
    }
}

impl<S: Source> Drop for PollEvented<S> {
    fn drop(&mut self) {
        if let Some(driver) = self.shared.io.as_ref() {
            driver.deregister(&mut self.source, &self.io);
        }
        // The socket itself closes when `source` drops, right after this.
    }
}

impl<S: Source + std::fmt::Debug> std::fmt::Debug for PollEvented<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.source.fmt(f)
    }
}
