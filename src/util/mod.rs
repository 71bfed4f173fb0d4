//! Small concurrency building blocks used by the runtime.

pub(crate) mod atomic_waker;
// A worker's park deadline (scheduler::remote) and the shard's read-only view of it.
pub(crate) mod park_deadline;
pub(crate) mod parker;
// Run queues (crossbeam-deque or a loom stand-in); the shards' inboxes use them too.
pub(crate) mod queue;
pub(crate) mod rand;
// Containing panics of user code (reliability, issue 10).
pub(crate) mod panic;
