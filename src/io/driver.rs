//! The I/O driver: one OS poller (mio: epoll, kqueue, ...) per runtime, waited on by idle
//! workers themselves. No reactor thread: readiness wakes tasks on the polling worker.
//!
//! **Who polls.** The `mio::Poll` sits behind a mutex used only as a try-lock token
//! ([`Driver::try_hold`]). An idle worker that wins it waits in `Poll::poll(timeout)`
//! instead of its condvar (`io::park`); the others park on their condvars as before. A busy
//! worker's fairness turn polls with a zero timeout when nobody holds it (`io::maintain`), so
//! a runtime whose workers are all busy still sees I/O.
//!
//! **Registrations** are `Arc<ScheduledIo>`; the mio token is the `ScheduledIo`'s address.
//! The driver keeps one `Arc` of each in `ios` until deregistration, so a token of an event
//! always points at a live `ScheduledIo`. Deregistering removes the socket from the poller
//! first, then drops the driver's `Arc`, but not while a poll may hold an event for it: if the
//! poll token is held, the `Arc` goes to `released`, which the holder empties after it has
//! dispatched its events (still holding the token). An event returned by a later poll cannot
//! name a socket that was deregistered before that poll began.
//!
//! **Shutdown** ([`Driver::shutdown`]): under the `ios` lock, set `closed` (later
//! registrations fail), mark every registration `SHUTDOWN` and wake both its wakers (every
//! pending I/O future completes with an error), then drop the poller and the registry (their
//! fds close) if no worker is still inside a poll.

use super::scheduled::{flags_of, ScheduledIo};
use crate::loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed, Ordering::SeqCst};
use crate::loom::sync::{lock, Arc, Mutex, MutexGuard};
use mio::event::Source;
use mio::{Events, Interest, Poll, Registry, Token, Waker};
use std::collections::HashMap;
use std::io;
use std::time::Duration;

/// The token of the driver's own waker (never a `ScheduledIo` address: those are aligned).
const WAKER_TOKEN: Token = Token(usize::MAX);
const EVENTS: usize = 1024;
/// How many times a parking worker retries the token while a zero-timeout poll holds it.
const BRIEF_SPINS: u32 = 1 << 14;

/// What unparks a worker waiting in the poller (a loom stand-in under `cfg(loom)`).
pub(crate) type IoWaker = Waker;

struct Poller {
    poll: Poll,
    events: Events,
}

pub(crate) struct Driver {
    poller: Mutex<Option<Poller>>,
    registry: Mutex<Option<Registry>>,
    waker: Arc<Waker>,
    ios: Mutex<HashMap<usize, Arc<ScheduledIo>>>,
    released: Mutex<Vec<Arc<ScheduledIo>>>,
    closed: AtomicBool,
    /// The holder polls with a zero timeout (a busy worker's fairness turn): it gives the
    /// token back within microseconds, so a worker about to park waits for it rather than
    /// sleeping on its condvar while nobody waits in the poller.
    brief: AtomicBool,
    /// How many sockets are registered. With none, idle workers park on their condvars
    /// (a futex is cheaper than eventfd + `epoll_wait` for a wake) and busy workers skip
    /// their non-blocking polls, so a runtime without sockets pays nothing for the driver.
    /// The first registration wakes a sleeper so that one goes to wait in the poller
    /// (Dekker pair with the parking worker's read, see `io::park`).
    registered: AtomicUsize,
}

/// Holding the poller: the one worker allowed to poll right now.
pub(crate) struct Held<'a> {
    driver: &'a Driver,
    guard: MutexGuard<'a, Option<Poller>>,
}

impl Driver {
    pub(crate) fn new() -> io::Result<Driver> {
        let poll = Poll::new()?;
        let registry = poll.registry().try_clone()?;
        let waker = Arc::new(Waker::new(poll.registry(), WAKER_TOKEN)?);
        Ok(Driver {
            poller: Mutex::new(Some(Poller {
                poll,
                events: Events::with_capacity(EVENTS),
            })),
            registry: Mutex::new(Some(registry)),
            waker,
            ios: Mutex::new(HashMap::new()),
            released: Mutex::new(Vec::new()),
            closed: AtomicBool::new(false),
            brief: AtomicBool::new(false),
            registered: AtomicUsize::new(0),
        })
    }

    /// The driver of a new runtime.
    pub(crate) fn for_runtime() -> io::Result<Option<Driver>> {
        Driver::new().map(Some)
    }

    /// The poller's own waker: unparking a worker that waits in the poller writes to it.
    pub(crate) fn waker(&self) -> Arc<Waker> {
        self.waker.clone()
    }

    /// The poll token, if nobody holds it (and the driver is not shut down).
    pub(crate) fn try_hold(&self) -> Option<Held<'_>> {
        let guard = self.poller.try_lock().ok()?;
        guard.as_ref()?;
        Some(Held {
            driver: self,
            guard,
        })
    }

    /// The token for a worker about to park: if a zero-timeout poll holds it, wait for that
    /// poll to end (`brief`) instead of giving up. `None` if a worker waits in the poller.
    pub(crate) fn hold_for_park(&self) -> Option<Held<'_>> {
        // Bounded: a zero-timeout poll dispatches wakers, and a foreign executor's waker is
        // user code that may take long; then park on the condvar after all.
        for _ in 0..BRIEF_SPINS {
            if let Some(h) = self.try_hold() {
                return Some(h);
            }
            // Relaxed: only a hint to keep trying; the try-lock decides.
            if !self.brief.load(Relaxed) {
                return None;
            }
            crate::loom::hint::spin_loop();
        }
        None
    }

    /// Whether any socket is registered (see `registered`).
    pub(crate) fn has_sockets(&self) -> bool {
        self.registered.load(SeqCst) > 0
    }

    /// Registers `source` (edge-triggered, readable + writable). Also returns whether it is
    /// the only registered socket now (the caller then wakes a sleeper, see `registered`).
    pub(crate) fn register(
        &self,
        source: &mut impl Source,
    ) -> io::Result<(Arc<ScheduledIo>, bool)> {
        let io = Arc::new(ScheduledIo::new());
        let token = Token(Arc::as_ptr(&io) as usize);
        let mut ios = lock(&self.ios);
        if self.closed.load(SeqCst) {
            return Err(super::scheduled::shutdown_error());
        }
        {
            let registry = lock(&self.registry);
            let Some(registry) = registry.as_ref() else {
                return Err(super::scheduled::shutdown_error());
            };
            registry.register(source, token, Interest::READABLE | Interest::WRITABLE)?;
        }
        ios.insert(token.0, io.clone());
        // SeqCst: the registrar's side of the Dekker pair with a parking worker (`io::park`):
        // count, then read the idle state (`notify_one`); the parker registers as a sleeper,
        // then reads the count.
        let first = self.registered.fetch_add(1, SeqCst) == 0;
        Ok((io, first))
    }

    /// Removes `source` from the poller and releases its `ScheduledIo` (module doc).
    pub(crate) fn deregister(&self, source: &mut impl Source, io: &Arc<ScheduledIo>) {
        if let Some(registry) = lock(&self.registry).as_ref() {
            // An error here means the poller is gone or never had it: nothing to undo.
            let _ = registry.deregister(source);
        }
        let Some(ours) = lock(&self.ios).remove(&(Arc::as_ptr(io) as usize)) else {
            return;
        };
        // SeqCst: see `register`.
        self.registered.fetch_sub(1, SeqCst);
        match self.poller.try_lock() {
            // Nobody is inside a poll: no event can name it any more.
            Ok(guard) => drop((ours, guard)),
            Err(_) => lock(&self.released).push(ours),
        }
    }

    /// Marks every registration shut down and closes the poller (module doc).
    pub(crate) fn shutdown(&self) {
        let ios: Vec<_> = {
            let mut ios = lock(&self.ios);
            self.closed.store(true, SeqCst);
            self.registered.store(0, SeqCst);
            ios.drain().map(|(_, io)| io).collect()
        };
        for io in &ios {
            io.shutdown();
        }
        drop(lock(&self.registry).take());
        if let Ok(mut poller) = self.poller.try_lock() {
            drop(poller.take());
            let released = std::mem::take(&mut *lock(&self.released));
            drop(released);
        }
        drop(ios);
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(SeqCst)
    }
}

impl Held<'_> {
    /// Waits for events up to `timeout` (`None`: until an event or a wake) and dispatches
    /// them; returns how many socket events there were.
    pub(crate) fn poll(&mut self, timeout: Option<Duration>) -> usize {
        let Some(Poller { poll, events }) = self.guard.as_mut() else {
            return 0;
        };
        let brief = timeout == Some(Duration::ZERO);
        if brief {
            // Relaxed: a hint for `hold_for_park`, cleared before the token is released.
            self.driver.brief.store(true, Relaxed);
        }
        let n = Held::wait_and_dispatch(poll, events, timeout);
        // Dropped outside the lock: a `ScheduledIo` holds wakers, whose drop is user code
        // that may deregister another socket.
        let released = std::mem::take(&mut *lock(&self.driver.released));
        drop(released);
        if brief {
            self.driver.brief.store(false, Relaxed);
        }
        n
    }

    fn wait_and_dispatch(poll: &mut Poll, events: &mut Events, timeout: Option<Duration>) -> usize {
        if let Err(e) = poll.poll(events, timeout) {
            if e.kind() != io::ErrorKind::Interrupted {
                eprintln!("spindle: the I/O poller failed: {e}");
            }
            return 0;
        }
        let mut n = 0;
        for ev in events.iter() {
            if ev.token() == WAKER_TOKEN {
                continue;
            }
            // SAFETY: the token is the address of a `ScheduledIo` that the driver keeps alive
            // (in `ios`, or in `released` until after this dispatch) while the poll token is
            // held, see the module doc; we hold it.
            let io = unsafe { &*(ev.token().0 as *const ScheduledIo) };
            io.dispatch(flags_of(ev));
            n += 1;
        }
        n
    }
}

impl std::fmt::Debug for Driver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Driver")
            .field("closed", &self.is_closed())
            .finish()
    }
}
