//! A worker's park deadline: the tick a parked worker wakes at by itself, published so that a
//! thread arming a timer on its shard can tell whether the owner would sleep past it.
//!
//! The scheduler owns it (`scheduler::remote::Remote::parked_until`): the owner publishes and
//! retracts it around each park (`scheduler::handshake`, steps O1 and O4), other threads read
//! it after their inbox push (R3). It lives in `util/` only so that the worker's shard can
//! hold a read-only [`ParkView`] of it: a `TimerHandle` cancelled from a thread outside the
//! runtime holds nothing but its shard, and a non-owner that filed the shard's inbox into its
//! wheel (`Shard::republish_drained`: a thief, or a pusher filing a full batch) must tell
//! whether the owner sleeps past what it filed.

use crate::loom::sync::atomic::{AtomicU64, Ordering::SeqCst};
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

    /// The owner's published park deadline, read after a non-owner's inbox drain and fence
    /// (`Shard::republish_drained`: SeqCst, the Dekker pair with the owner's O1 store, its
    /// fence, and its re-read of `inbox_due` in `scheduler::handshake::decide`).
    pub(crate) fn parked_until(&self) -> u64 {
        self.0.load()
    }
}
