//! `JoinHandle`: the awaiting side of a spawned task.

use super::error::JoinError;
use crate::loom::sync::Arc;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

/// What a JoinHandle can do with its task, independent of the future's type.
pub(crate) trait JoinOps<T>: Send + Sync {
    fn poll_join(&self, cx: &mut Context<'_>) -> Poll<Result<T, JoinError>>;
    fn drop_join(&self);
    fn abort(self: Arc<Self>);
    fn is_finished(&self) -> bool;
}

enum Inner<T> {
    Task(Arc<dyn JoinOps<T>>),
    /// Already returned `Ready`.
    Done,
}

/// An owned permission to await a spawned task's output.
///
/// Awaiting it yields `Ok(output)`, or a [`JoinError`] if the task panicked or was aborted.
/// It can be awaited from any executor. Dropping it detaches the task, which keeps running.
///
/// ```
/// let rt = spindle::Runtime::new().unwrap();
/// let h = rt.handle().spawn(async { 6 * 7 });
/// assert_eq!(rt.block_on(h).unwrap(), 42);
/// ```
pub struct JoinHandle<T> {
    inner: Inner<T>,
    _not_ref_unwind_safe: PhantomData<std::cell::Cell<()>>,
}

// SAFETY: the handle only moves `T` out (requires `T: Send`, enforced by spawn's bounds) and
// `JoinOps` is `Send + Sync`.
unsafe impl<T: Send> Send for JoinHandle<T> {}
// SAFETY: `&JoinHandle` only allows `abort` and `is_finished`, which never touch `T`.
unsafe impl<T: Send> Sync for JoinHandle<T> {}
impl<T> Unpin for JoinHandle<T> {}

impl<T> JoinHandle<T> {
    pub(crate) fn new(task: Arc<dyn JoinOps<T>>) -> Self {
        JoinHandle {
            inner: Inner::Task(task),
            _not_ref_unwind_safe: PhantomData,
        }
    }

    /// Asks the task to stop: if it has not completed, its future is dropped at its next
    /// scheduling point (right away if it is idle) and the handle resolves to a cancelled
    /// [`JoinError`]. Aborting a finished task does nothing.
    ///
    /// ```
    /// let rt = spindle::Runtime::new().unwrap();
    /// let h = rt.handle().spawn(std::future::pending::<()>());
    /// h.abort();
    /// assert!(rt.block_on(h).unwrap_err().is_cancelled());
    /// ```
    pub fn abort(&self) {
        if let Inner::Task(t) = &self.inner {
            t.clone().abort();
        }
    }

    /// True once the task has completed (output ready, panicked or cancelled).
    ///
    /// ```
    /// let rt = spindle::Runtime::new().unwrap();
    /// let h = rt.handle().spawn(async {});
    /// while !h.is_finished() { std::thread::yield_now(); }
    /// ```
    pub fn is_finished(&self) -> bool {
        match &self.inner {
            Inner::Task(t) => t.is_finished(),
            Inner::Done => true,
        }
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let res = match &self.inner {
            Inner::Task(t) => {
                if super::coop::poll_proceed(cx).is_pending() {
                    return Poll::Pending;
                }
                match t.poll_join(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(r) => r,
                }
            }
            Inner::Done => panic!("JoinHandle polled after completion"),
        };
        // The output has been taken: the task no longer needs our interest.
        if let Inner::Task(t) = std::mem::replace(&mut self.inner, Inner::Done) {
            t.drop_join();
        }
        Poll::Ready(res)
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        if let Inner::Task(t) = &self.inner {
            t.drop_join();
        }
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("finished", &self.is_finished())
            .finish()
    }
}
