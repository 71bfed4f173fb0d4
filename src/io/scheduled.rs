//! One registered socket's readiness: a tick-stamped readiness word and two waker slots.
//!
//! The word is `[ tick : 16 ][ flags : 16 ]`. The poller ORs the event's flags in and bumps
//! the tick ([`ScheduledIo::dispatch`]), then wakes the reader slot and/or the writer slot.
//! A task that saw readiness does the syscall; on `WouldBlock` it clears the direction's
//! flag *only if the tick is still the one it observed* ([`ScheduledIo::clear`]), so an
//! event that arrived between its syscall and its clear is never lost (tokio's
//! `ScheduledIo` rule). Registration is edge-triggered: the OS reports an edge once, and the
//! flag stays set until a syscall says `WouldBlock` with no newer event in between.
//!
//! **No lost wakeup** for a waiting task: the poller does `fetch_update` on the word (AcqRel)
//! *then* takes the waker out of the slot; the task registers its waker in the slot (the
//! slot's CASes are AcqRel) *then* reloads the word (Acquire). Either the poller's take sees
//! the registered waker (and wakes it, or leaves the wake to the registrant that is still
//! storing it, see `util::atomic_waker`), or the take came first; then the slot CAS of the
//! registrant reads what the take released, which is after the word update, so the reload
//! sees the flag.
//!
//! A fresh registration starts readable and writable: an accepted socket usually has its
//! request waiting, and trying the syscall once costs less than a poll cycle. A wrong guess
//! costs one `WouldBlock`.
//!
//! `SHUTDOWN` is sticky: set when the runtime shuts down; every later readiness wait fails
//! with an error instead of waiting for an event that will never come.

use crate::loom::sync::atomic::{AtomicUsize, Ordering::*};
use crate::util::atomic_waker::AtomicWaker;
use std::task::{Context, Poll};

pub(crate) const READABLE: usize = 1;
pub(crate) const WRITABLE: usize = 1 << 1;
pub(crate) const READ_CLOSED: usize = 1 << 2;
pub(crate) const WRITE_CLOSED: usize = 1 << 3;
pub(crate) const ERROR: usize = 1 << 4;
pub(crate) const SHUTDOWN: usize = 1 << 5;
const FLAGS: usize = 0xffff;
const TICK_SHIFT: u32 = 16;
const TICK_MASK: usize = 0xffff;

/// Which half of a socket a task waits on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    Read,
    Write,
}

impl Direction {
    /// The flags that end a wait in this direction (the closed and error flags too: the
    /// syscall then reports EOF or the error).
    fn mask(self) -> usize {
        match self {
            Direction::Read => READABLE | READ_CLOSED | ERROR | SHUTDOWN,
            Direction::Write => WRITABLE | WRITE_CLOSED | ERROR | SHUTDOWN,
        }
    }

    /// The flag a `WouldBlock` clears (the closed flags are sticky).
    fn clears(self) -> usize {
        match self {
            Direction::Read => READABLE,
            Direction::Write => WRITABLE,
        }
    }
}

/// What a task observed: the tick and the flags at that moment.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ReadyEvent {
    tick: usize,
    dir: Direction,
}

#[derive(Debug)]
pub(crate) struct ScheduledIo {
    readiness: AtomicUsize,
    reader: AtomicWaker,
    writer: AtomicWaker,
}

impl ScheduledIo {
    pub(crate) fn new() -> ScheduledIo {
        ScheduledIo {
            readiness: AtomicUsize::new(READABLE | WRITABLE),
            reader: AtomicWaker::new(),
            writer: AtomicWaker::new(),
        }
    }

    /// The poller saw an event with `flags`: record it (new tick), then wake the waiting
    /// reader and/or writer, on the polling thread (so a spindle task lands on the polling
    /// worker's own deque).
    pub(crate) fn dispatch(&self, flags: usize) {
        // AcqRel: Release publishes the flags to the task's reload (module doc); Acquire
        // orders us after a task's clear, so the tick we bump is the latest one.
        let _ = self.readiness.fetch_update(AcqRel, Acquire, |cur| {
            let tick = ((cur >> TICK_SHIFT).wrapping_add(1)) & TICK_MASK;
            Some((tick << TICK_SHIFT) | (cur & FLAGS) | flags)
        });
        self.wake(flags);
    }

    /// Wakes the slots that `flags` concern.
    pub(crate) fn wake(&self, flags: usize) {
        if flags & Direction::Read.mask() != 0 {
            self.reader.wake();
        }
        if flags & Direction::Write.mask() != 0 {
            self.writer.wake();
        }
    }

    /// Runtime shutdown: every wait, now and later, ends with an error.
    #[cfg_attr(loom, allow(dead_code))]
    pub(crate) fn shutdown(&self) {
        // AcqRel: pairs with the task's Acquire reload, as in `dispatch`.
        self.readiness.fetch_or(SHUTDOWN, AcqRel);
        self.wake(SHUTDOWN);
    }

    /// Ready in `dir`, or registers `cx`'s waker and returns `Pending` (re-checking after the
    /// registration, see the module doc). `Err` once the runtime has shut down.
    pub(crate) fn poll_ready(
        &self,
        cx: &mut Context<'_>,
        dir: Direction,
    ) -> Poll<std::io::Result<ReadyEvent>> {
        if let Some(r) = self.ready(dir) {
            return Poll::Ready(r);
        }
        self.slot(dir).register(cx.waker());
        // seeded fault (loom only): `PollReadySkipsRecheck` does not look again.
        if crate::loom::fault::is(crate::loom::fault::Fault::PollReadySkipsRecheck) {
            return Poll::Pending;
        }
        match self.ready(dir) {
            Some(r) => Poll::Ready(r),
            None => Poll::Pending,
        }
    }

    fn ready(&self, dir: Direction) -> Option<std::io::Result<ReadyEvent>> {
        // Acquire: pairs with the AcqRel update in `dispatch`/`shutdown`.
        let cur = self.readiness.load(Acquire);
        if cur & SHUTDOWN != 0 {
            return Some(Err(shutdown_error()));
        }
        (cur & dir.mask() != 0).then_some(Ok(ReadyEvent {
            tick: cur >> TICK_SHIFT,
            dir,
        }))
    }

    /// The syscall said `WouldBlock`: clear the direction's flag unless an event came since
    /// `seen` was observed.
    pub(crate) fn clear(&self, seen: ReadyEvent) {
        // AcqRel: Acquire reads the latest tick (the poller's Release); Release is not needed
        // for data, but a failed CAS retries with a fresh value either way.
        let _ = self.readiness.fetch_update(AcqRel, Acquire, |cur| {
            (cur >> TICK_SHIFT == seen.tick).then_some(cur & !seen.dir.clears())
        });
    }

    fn slot(&self, dir: Direction) -> &AtomicWaker {
        match dir {
            Direction::Read => &self.reader,
            Direction::Write => &self.writer,
        }
    }
}

/// The error every I/O future of a runtime that has shut down completes with.
pub(crate) fn shutdown_error() -> std::io::Error {
    std::io::Error::other("spindle: the runtime this socket belongs to has shut down")
}

/// The readiness flags of a mio event.
#[cfg_attr(loom, allow(dead_code))]
pub(crate) fn flags_of(ev: &mio::event::Event) -> usize {
    let mut f = 0;
    if ev.is_readable() {
        f |= READABLE;
    }
    if ev.is_writable() {
        f |= WRITABLE;
    }
    if ev.is_read_closed() {
        f |= READ_CLOSED;
    }
    if ev.is_write_closed() {
        f |= WRITE_CLOSED;
    }
    if ev.is_error() {
        f |= ERROR;
    }
    f
}
