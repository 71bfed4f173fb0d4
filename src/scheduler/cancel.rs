//! Cancelling a timer: `TimerHandle::cancel` and `Sleep`'s `Drop` (in this module so that the
//! won cancel's bookkeeping is a direct, inlinable call) and that bookkeeping, which needs to
//! know which thread this is (`context`): count the cancel (`arm::count`), unlink at once on
//! the owner (staged: pop it if last; in the wheel: `owner_unlink`), send an `Unlink` op from
//! any other thread. The entry's own cancel transition is `time::handle::cancel`.

use super::arm::{count, count_outside};
use super::context;
use crate::loom::sync::Arc;
use crate::scheduler::metrics::Counter;
use crate::time::handle::TimerHandle;
use crate::time::pool::EntryRef;
use crate::time::shard::{Op, Shard};
use crate::time::sleep::Sleep;

impl TimerHandle {
    /// Stops the callback if it has not started. Returns `true` iff *this* call stopped it;
    /// then it never runs and its closure (with everything it captured) is dropped before
    /// `cancel` returns. Returns `false` if it already ran, is running, or was cancelled.
    ///
    /// ```
    /// let rt = spindle::Runtime::new().unwrap();
    /// let (tx, rx) = std::sync::mpsc::channel();
    /// let t = rt.handle().call_soon(move || tx.send(()).unwrap());
    /// rx.recv().unwrap();
    /// assert!(!t.cancel()); // too late: it ran
    /// ```
    pub fn cancel(&self) -> bool {
        // The generation check (pool invariant P5): a stale handle never cancels the next
        // timer in its block.
        self.current() && crate::time::handle::cancel(&self.entry, &self.shard, cancel_bookkeeping)
    }
}

/// Dropping a `Sleep` cancels its timer. Written here, beside the bookkeeping, for the same
/// reason as `TimerHandle::cancel`: a direct call rather than the seam's indirect one on the
/// hot arm-then-drop path (`Sleep::reset` goes through `time::route`).
impl Drop for Sleep {
    fn drop(&mut self) {
        if let Some((entry, shard)) = self.take_entry() {
            crate::time::handle::cancel(&entry, &shard, cancel_bookkeeping);
        }
    }
}

/// After a won cancel: count it and get the entry out of its wheel. On the owner's thread the
/// unlink happens now; elsewhere it is queued to the owner. An entry that never reached a
/// wheel needs no unlink: whoever moves it there drops it instead.
#[inline]
pub(crate) fn cancel_bookkeeping(entry: &EntryRef, shard: &Arc<Shard>, was_staged: bool) {
    let done = context::with_worker(|w| {
        let w = w?;
        let is_ours = w
            .shared
            .remotes
            .get(entry.shard as usize)
            .is_some_and(|r| Arc::ptr_eq(&r.shard, shard));
        if !is_ours {
            return None;
        }
        count(&w.shared, Some(w.index), shard, Counter::Cancelled);
        let is_owner = w.index == entry.shard as usize;
        match (was_staged, is_owner) {
            (true, true) => w.owner.unstage(entry),
            (true, false) => {}
            (false, true) => w.owner.unlink(entry.clone()),
            (false, false) => shard.push_remote(Op::Unlink(entry.clone())),
        }
        Some(())
    });
    if done.is_none() {
        count_outside(shard, Counter::Cancelled);
        if !was_staged {
            shard.push_remote(Op::Unlink(entry.clone()));
        }
    }
}
