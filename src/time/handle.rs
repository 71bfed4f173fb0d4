//! `TimerHandle`: cancel a `call_*` callback from any thread.

use super::entry::Entry;
use super::pool::EntryRef;
use super::shard::Shard;
use crate::loom::sync::Arc;
use std::fmt;
use std::time::Instant;

/// A handle to a callback armed with `call_soon`, `call_later` or `call_at` (asyncio's
/// `TimerHandle`). Cloneable; any clone may cancel from any thread.
///
/// ```
/// use std::time::Duration;
/// let rt = spindle::Runtime::new().unwrap();
/// let t = rt.handle().call_later(Duration::from_secs(30), || unreachable!());
/// assert!(t.cancel());        // this call stopped it
/// assert!(!t.cancel());       // already cancelled
/// assert!(t.is_cancelled());
/// ```
pub struct TimerHandle {
    pub(crate) entry: EntryRef,
    /// The entry's generation when this handle was made (pool invariant P5).
    gen: u32,
    /// `cancel` (`scheduler::cancel`) routes through it.
    pub(crate) shard: Arc<Shard>,
    when: Instant,
}

impl TimerHandle {
    pub(crate) fn new(entry: EntryRef, shard: Arc<Shard>, when: Instant) -> Self {
        let gen = entry.gen;
        TimerHandle {
            entry,
            gen,
            shard,
            when,
        }
    }

    /// Whether the entry is still the timer this handle was made for (pool invariant P5:
    /// always true while the handle's count keeps the block; checked anyway, so that a
    /// stale handle never acts on the next timer in its block).
    pub(crate) fn current(&self) -> bool {
        self.entry.gen == self.gen
    }

    /// Armed after shutdown: already cancelled, and the closure is dropped right here (a
    /// panic in its `Drop` is contained, as for every closure spindle drops on its own
    /// initiative; only `cancel`, which the caller asked for, re-raises one).
    pub(crate) fn dead<F>(shard: Arc<Shard>, when: Instant, f: F) -> Self {
        crate::util::panic::contain(move || drop(f));
        TimerHandle::new(Entry::new_dead(0), shard, when)
    }

    /// True once the callback was cancelled (by any clone, or by runtime shutdown).
    ///
    /// ```
    /// let rt = spindle::Runtime::new().unwrap();
    /// let t = rt.handle().call_later(std::time::Duration::from_secs(5), || {});
    /// assert!(!t.is_cancelled());
    /// t.clone().cancel();
    /// assert!(t.is_cancelled());
    /// ```
    pub fn is_cancelled(&self) -> bool {
        !self.current() || self.entry.is_cancelled()
    }

    /// The instant the callback is scheduled for (asyncio's `TimerHandle.when()`).
    ///
    /// ```
    /// let rt = spindle::Runtime::new().unwrap();
    /// let at = rt.handle().time() + std::time::Duration::from_secs(1);
    /// assert_eq!(rt.handle().call_at(at, || {}).when(), at);
    /// ```
    pub fn when(&self) -> Instant {
        // call_every: the entry's current schedule (the next run), not the first one.
        super::period::when(&self.entry).unwrap_or(self.when)
    }
}

/// Cancels `entry` (armed on `shard`), from any thread; true iff this call won. The winner
/// counts it and gets the entry out of its wheel (`unlink`, the scheduler's bookkeeping:
/// `TimerHandle::cancel` is in `scheduler::cancel`, a `Sleep` goes through `time::route`). A panic in the
/// closure's `Drop` reaches the caller, but only after the bookkeeping: the entry never stays
/// in its wheel until its deadline (forever for `Duration::MAX`).
#[inline]
pub(crate) fn cancel(
    entry: &EntryRef,
    shard: &Arc<Shard>,
    unlink: impl FnOnce(&EntryRef, &Arc<Shard>, bool),
) -> bool {
    let Some((cancelled, panic)) = entry.cancel_caught() else {
        return false;
    };
    // A periodic entry cancelled during its run is in no wheel: its runner finishes it.
    if !cancelled.during_run {
        unlink(entry, shard, cancelled.was_staged);
    }
    if let Some(payload) = panic {
        std::panic::resume_unwind(payload);
    }
    true
}

impl Clone for TimerHandle {
    fn clone(&self) -> Self {
        #[cfg(loom)]
        if crate::loom::fault::is(crate::loom::fault::Fault::EntryCloneSkipsCount) {
            return self.clone_uncounted();
        }
        TimerHandle {
            entry: self.entry.clone(),
            gen: self.gen,
            shard: self.shard.clone(),
            when: self.when,
        }
    }
}

impl TimerHandle {
    /// seeded fault (loom only): `EntryCloneSkipsCount`.
    #[cfg(loom)]
    fn clone_uncounted(&self) -> Self {
        TimerHandle {
            entry: EntryRef::uncounted(&self.entry),
            gen: self.gen,
            shard: self.shard.clone(),
            when: self.when,
        }
    }
}

impl fmt::Debug for TimerHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimerHandle")
            .field("when", &self.when)
            .field("state", &self.entry.phase())
            .field("callback", &self.entry.callback_name())
            .finish()
    }
}
