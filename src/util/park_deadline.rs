//! A worker's park deadline: the tick a parked worker wakes at by itself, published so that a
//! thread arming a timer on its shard can tell whether the owner would sleep past it.
//!
//! The scheduler owns it (`scheduler::remote::Remote::parked_until`): the owner publishes and
//! retracts it around each park (`scheduler::handshake`, steps O1 and O4), other threads read
//! it after their inbox push (R3). It lives in `util/` only so that the worker's shard can
//! hold a read-only [`ParkView`] of it: a `TimerHandle` cancelled from a thread outside the
//! runtime holds nothing but its shard, and the shard's inbox-reclaim hint
//! (`Shard::push_remote`) needs to know whether the owner is running.

use crate::loom::sync::atomic::{AtomicU64, Ordering::*};
use crate::loom::sync::Arc;

/// `parked_until` value while the owner is not parked.
pub(crate) const NOT_PARKED: u64 = 0;

/// The tick the parked owner wakes at by itself; [`NOT_PARKED`] while it runs.
pub(crate) struct ParkDeadline(AtomicU64);

impl ParkDeadline {
    pub(crate) fn new() -> ParkDeadline {
        ParkDeadline(AtomicU64::new(NOT_PARKED))
    }

    /// O1 / O4 of `scheduler::handshake` (SeqCst: the handshake's pair is the owner's fence
    /// after this store against the remote's fence before its [`load`](Self::load)).
    pub(crate) fn store(&self, tick: u64) {
        self.0.store(tick, SeqCst);
    }

    /// R3 of `scheduler::handshake` (SeqCst, after the remote's push and fence).
    pub(crate) fn load(&self) -> u64 {
        self.0.load(SeqCst)
    }
}

/// The shard's read-only view of its owner's [`ParkDeadline`].
pub(crate) struct ParkView(Arc<ParkDeadline>);

impl ParkView {
    pub(crate) fn new(deadline: Arc<ParkDeadline>) -> ParkView {
        ParkView(deadline)
    }

    /// The owner is not parked, as a hint (Relaxed: a stale value only moves one inbox
    /// reclaim to the owner or to the caller; pairs with nothing).
    pub(crate) fn owner_running(&self) -> bool {
        self.0 .0.load(Relaxed) == NOT_PARKED
    }
}
