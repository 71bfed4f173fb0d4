//! A blocking closure as a task, so it reuses the task machinery (`task::core::Task`): the
//! JoinHandle, `abort()` (a task cancelled before it starts is dropped when a pool thread
//! reaches it, without running), and panic capture (`JoinError::is_panic`).

use crate::loom::sync::Arc;
use crate::scheduler::Shared;
use crate::task::core::Task;
use crate::task::{Header, JoinHandle, RawTask, Schedule};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// A future that runs its closure on its first poll. It never returns `Pending`, so the
/// task is never idle, never registered, and runs exactly once.
pub(crate) struct BlockingTask<F>(Option<F>);

impl<F> Unpin for BlockingTask<F> {}

impl<F, R> Future for BlockingTask<F>
where
    F: FnOnce() -> R,
{
    type Output = R;

    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<R> {
        let f = self.0.take().expect("a blocking task is polled once");
        // Blocking work is not subject to the cooperative budget: it is not async.
        Poll::Ready(f())
    }
}

/// Where a blocking task goes when (re)scheduled: the runtime's pool queue.
pub(crate) struct BlockingSchedule(Arc<Shared>);

impl Schedule for BlockingSchedule {
    fn schedule(&self, task: Arc<dyn RawTask>) {
        // Only an abort of a task that is neither queued nor running gets here (a blocking
        // task is queued from birth until it runs); queue it so its cancellation completes.
        self.0.blocking.submit(&self.0, task);
    }

    fn release(&self, _task: &Header) {
        // Never registered in the owned-task registry (never idle).
    }
}

pub(crate) fn spawn<F, R>(shared: &Arc<Shared>, f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let task = Task::new(BlockingTask(Some(f)), BlockingSchedule(shared.clone()));
    shared.blocking.submit(shared, task.clone());
    JoinHandle::new(task)
}
