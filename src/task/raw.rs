//! A task as the rest of the runtime sees it: [`RawTask`] (what run queues and the
//! owned-task registry hold) and the [`Header`] every task has.

use crate::loom::sync::atomic::AtomicUsize;
use crate::loom::sync::Arc;

/// Fields every task has, independent of its future type.
pub(crate) struct Header {
    pub(crate) state: super::state::State,
    /// Key in the owned-task registry (`usize::MAX` until registered); written once, by the
    /// thread polling the task when it first returns `Pending`.
    pub(crate) owned_key: AtomicUsize,
}

/// A task as the scheduler sees it.
pub(crate) trait RawTask: Send + Sync {
    fn header(&self) -> &Header;
    /// Polls the task once (or cancels it, if it was aborted).
    fn run(self: Arc<Self>);
    /// Runtime shutdown: drop the future now if nobody is polling it.
    fn shutdown(self: Arc<Self>);
}
