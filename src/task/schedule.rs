//! `Schedule`: the seam between tasks and the scheduler (where a woken task goes), so the
//! state machine can be model-checked with a trivial scheduler.

use super::{Header, RawTask};
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
