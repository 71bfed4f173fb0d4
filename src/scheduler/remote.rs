//! What other threads may touch of one worker (tokio's `multi_thread::worker::Remote`): one
//! per worker, in `Shared::remotes`, indexed by the worker's index. Built once with the
//! `Shared`, never changed; only what the fields point to changes.

use super::Notified;
use crate::loom::sync::Arc;
use crate::time::shard::Shard;
use crate::util::park_deadline::ParkDeadline;
use crate::util::parker::Unparker;
use crate::util::queue::Stealer;

/// Worker `i`'s face to the other threads.
pub(crate) struct Remote {
    /// The steal end of its run queue: idle workers steal from it (`Worker::steal`), the
    /// parking re-check and virtual time's quiet check look at it, shutdown drains it when
    /// the worker was left behind (`Shared::finish_shutdown`). The worker owns the `Local` end.
    pub(crate) steal: Stealer<Notified>,
    /// Wakes it: the sleep protocol (`Shared::notify_one`), remote arms (`handshake`),
    /// thieves and watchers (`watch`), virtual time (`pause`), shutdown.
    pub(crate) unpark: Unparker,
    /// Its timer shard: any thread arms into its inbox and cancels (`arm`, `cancel`), thieves
    /// fire its overdue timers, metrics read its counters. Owner-only operations go through
    /// the worker's `ShardOwner`, not through here.
    pub(crate) shard: Arc<Shard>,
    /// The tick it wakes at by itself while parked (`handshake`: the owner stores O1 and O4,
    /// remote arms read R3). The shard holds a read-only view (`Shard::republish_drained`).
    pub(crate) parked_until: Arc<ParkDeadline>,
}
