//! Tasks: one allocation per spawned future, driven by an atomic state machine.
//!
//! A task is an `Arc<Task<F, S>>` ([`core`]) holding the state word ([`state`]), the future
//! or its output, the JoinHandle's waker and the scheduler `S` that queues it when woken. The
//! rest of the runtime sees it through two object-safe views:
//!
//! - [`RawTask`]: what run queues and the owned-task registry hold (`run`, `shutdown`);
//! - `JoinOps<T>`: what a [`JoinHandle<T>`] holds (poll the output, abort, drop interest).
//!
//! [`Schedule`] is the seam between tasks and the scheduler, so the state machine can be
//! model-checked with a trivial scheduler.

pub(crate) mod coop;
pub(crate) mod core;
pub(crate) mod error;
pub(crate) mod join;
pub(crate) mod owned;
pub(crate) mod state;
pub(crate) mod yield_now;

pub use error::JoinError;
pub use join::JoinHandle;

use crate::loom::sync::atomic::AtomicUsize;
use crate::loom::sync::Arc;

/// Where a woken task goes. Implemented by the runtime's shared state, and by test schedulers.
pub(crate) trait Schedule: Send + Sync + 'static {
    /// Queue `task` to be run (a wake from outside its poll; a wake during its own poll goes
    /// through [`reschedule`](Self::reschedule)).
    fn schedule(&self, task: Arc<dyn RawTask>);
    /// Queue `task`, which yielded during its own poll. `this` is the task's own scheduler
    /// field, so it points into the allocation that another worker may free as soon as the
    /// task is queued: implementations read through `this` only before handing `task` on
    /// (no reference into memory that may be released is held across the hand-over).
    ///
    /// # Safety
    /// `this` is valid for reads until `task` is handed on.
    unsafe fn reschedule(this: *const Self, task: Arc<dyn RawTask>)
    where
        Self: Sized,
    {
        // SAFETY: caller's contract. Test schedulers are not freed with their tasks.
        unsafe { (*this).schedule(task) }
    }
    /// The task completed; drop the registry's reference to it.
    fn release(&self, task: &Header);
    /// The task is going idle for the first time: record it so shutdown can find it (an idle
    /// task is reachable only through its wakers). Returns false if the scheduler is closed;
    /// the task is then cancelled at once.
    fn register(&self, task: Arc<dyn RawTask>) -> bool {
        let _ = task;
        true
    }
}

/// Fields every task has, independent of its future type.
pub(crate) struct Header {
    pub(crate) state: state::State,
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
