//! `create_future`: a one-shot slot set by a [`Promise`] and awaited through a [`Deferred`].
//!
//! State word: `EMPTY -> WRITING -> SET -> TAKEN` on the happy path; `EMPTY -> CANCELLED`
//! when the Deferred cancels (or is dropped); `EMPTY -> CLOSED` when the Promise is dropped
//! unset. Exactly one transition leaves EMPTY, so `set_result` and `cancel` race by CAS and
//! exactly one wins. The value cell is written only by the winner of `EMPTY -> WRITING` and
//! read only by the Deferred after it sees SET (Release/Acquire on the state word).

use crate::loom::cell::UnsafeCell;
use crate::loom::sync::atomic::{AtomicUsize, Ordering::*};
use crate::loom::sync::Arc;
use crate::task::coop;
use crate::util::atomic_waker::AtomicWaker;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

const EMPTY: usize = 0;
const WRITING: usize = 1;
const SET: usize = 2;
const TAKEN: usize = 3;
const CANCELLED: usize = 4;
const CLOSED: usize = 5;

struct Inner<T> {
    state: AtomicUsize,
    value: UnsafeCell<Option<T>>,
    waker: AtomicWaker,
}

// SAFETY: the value cell is accessed by one side at a time, as the state word dictates (module
// docs); values move between threads, hence `T: Send`.
unsafe impl<T: Send> Sync for Inner<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Send for Inner<T> {}

pub(crate) fn pair<T: Send + 'static>() -> (Promise<T>, Deferred<T>) {
    let inner = Arc::new(Inner {
        state: AtomicUsize::new(EMPTY),
        value: UnsafeCell::new(None),
        waker: AtomicWaker::new(),
    });
    (
        Promise {
            inner: Some(inner.clone()),
        },
        Deferred { inner },
    )
}

/// The writing side of [`Handle::create_future`](crate::Handle::create_future). `Send`: set
/// it from any thread. Dropping it unset makes the [`Deferred`] resolve to [`Cancelled`].
///
/// ```
/// let rt = spindle::Runtime::new().unwrap();
/// let (p, d) = rt.handle().create_future::<&str>();
/// p.set_result("done").unwrap();
/// assert_eq!(rt.block_on(d).unwrap(), "done");
/// ```
pub struct Promise<T> {
    inner: Option<Arc<Inner<T>>>,
}

impl<T> Promise<T> {
    /// Completes the future with `value`. Returns `Err(value)` if the [`Deferred`] was
    /// cancelled or dropped first.
    ///
    /// ```
    /// let rt = spindle::Runtime::new().unwrap();
    /// let (p, d) = rt.handle().create_future::<i32>();
    /// d.cancel();
    /// assert_eq!(p.set_result(1), Err(1));
    /// ```
    pub fn set_result(mut self, value: T) -> Result<(), T> {
        let inner = self.inner.take().expect("Promise used after set_result");
        // Acquire: nothing to see from EMPTY, but pairs with the Deferred's Release on a
        // failed CAS for uniformity; the write below is published by the Release store.
        if inner
            .state
            .compare_exchange(EMPTY, WRITING, Acquire, Acquire)
            .is_err()
        {
            return Err(value);
        }
        #[cfg(loom)]
        if crate::loom::fault::is(crate::loom::fault::Fault::PromiseSetBeforeWrite) {
            return seeded::set_before_write(&inner, value);
        }
        // SAFETY: we won EMPTY -> WRITING: the cell is ours until we publish SET.
        inner.value.with_mut(|v| unsafe { *v = Some(value) });
        // Release: the Deferred's Acquire load of SET sees the value.
        inner.state.store(SET, Release);
        inner.waker.wake();
        Ok(())
    }

    /// True if the [`Deferred`] was cancelled or dropped (a result would be refused).
    ///
    /// ```
    /// let rt = spindle::Runtime::new().unwrap();
    /// let (p, d) = rt.handle().create_future::<()>();
    /// assert!(!p.is_cancelled());
    /// drop(d);
    /// assert!(p.is_cancelled());
    /// ```
    pub fn is_cancelled(&self) -> bool {
        self.inner
            .as_ref()
            .is_some_and(|i| i.state.load(Acquire) == CANCELLED)
    }
}

impl<T> Drop for Promise<T> {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            if inner
                .state
                .compare_exchange(EMPTY, CLOSED, AcqRel, Acquire)
                .is_ok()
            {
                inner.waker.wake();
            }
        }
    }
}

impl<T> fmt::Debug for Promise<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Promise")
            .field("cancelled", &self.is_cancelled())
            .finish()
    }
}

/// The awaiting side of [`Handle::create_future`](crate::Handle::create_future): resolves to
/// the value, or to [`Cancelled`] if it was cancelled or the [`Promise`] was dropped unset.
/// Awaitable from any executor.
///
/// ```
/// let rt = spindle::Runtime::new().unwrap();
/// let (p, d) = rt.handle().create_future::<u8>();
/// drop(p);
/// assert!(futures::executor::block_on(d).is_err());
/// ```
pub struct Deferred<T> {
    inner: Arc<Inner<T>>,
}

impl<T> Unpin for Deferred<T> {}

impl<T> Deferred<T> {
    /// Cancels the future if it is not done. Returns `true` iff this call cancelled it; a
    /// later `set_result` then returns `Err`.
    ///
    /// ```
    /// let rt = spindle::Runtime::new().unwrap();
    /// let (_p, d) = rt.handle().create_future::<()>();
    /// assert!(d.cancel());
    /// assert!(!d.cancel());
    /// assert!(d.is_done());
    /// ```
    pub fn cancel(&self) -> bool {
        #[cfg(loom)]
        if crate::loom::fault::is(crate::loom::fault::Fault::DeferredCancelNotAtomic) {
            return seeded::cancel_check_then_store(&self.inner);
        }
        let won = self
            .inner
            .state
            .compare_exchange(EMPTY, CANCELLED, AcqRel, Acquire)
            .is_ok();
        if won {
            self.inner.waker.wake();
        }
        won
    }

    /// True once a result was set, or it was cancelled, or the Promise was dropped.
    ///
    /// ```
    /// let rt = spindle::Runtime::new().unwrap();
    /// let (p, d) = rt.handle().create_future::<()>();
    /// assert!(!d.is_done());
    /// p.set_result(()).unwrap();
    /// assert!(d.is_done());
    /// ```
    pub fn is_done(&self) -> bool {
        !matches!(self.inner.state.load(Acquire), EMPTY | WRITING)
    }

    fn try_take(&self) -> Option<Result<T, Cancelled>> {
        match self.inner.state.load(Acquire) {
            SET => {
                // SAFETY: SET was published with Release after the write; only the Deferred
                // (us, through `&mut self` in `poll`) reads it, once, then marks TAKEN.
                let v = self.inner.value.with_mut(|v| unsafe { (*v).take() });
                self.inner.state.store(TAKEN, Relaxed);
                Some(v.ok_or(Cancelled(())))
            }
            CANCELLED | CLOSED => Some(Err(Cancelled(()))),
            TAKEN => panic!("Deferred polled after it returned Ready"),
            _ => None,
        }
    }
}

impl<T> Future for Deferred<T> {
    type Output = Result<T, Cancelled>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if coop::poll_proceed(cx).is_pending() {
            return Poll::Pending;
        }
        if let Some(r) = self.try_take() {
            return Poll::Ready(r);
        }
        self.inner.waker.register(cx.waker());
        match self.try_take() {
            Some(r) => Poll::Ready(r),
            None => Poll::Pending,
        }
    }
}

impl<T> Drop for Deferred<T> {
    fn drop(&mut self) {
        // Tell the Promise nobody listens; a value already set is dropped with `Inner`.
        let _ = self
            .inner
            .state
            .compare_exchange(EMPTY, CANCELLED, AcqRel, Acquire);
    }
}

impl<T> fmt::Debug for Deferred<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Deferred")
            .field("done", &self.is_done())
            .finish()
    }
}

/// The error of a [`Deferred`] that was cancelled, or whose [`Promise`] was dropped unset.
///
/// ```
/// let rt = spindle::Runtime::new().unwrap();
/// let (_p, d) = rt.handle().create_future::<()>();
/// d.cancel();
/// assert_eq!(rt.block_on(d).unwrap_err().to_string(), "future was cancelled");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cancelled(());

impl fmt::Display for Cancelled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("future was cancelled")
    }
}

impl std::error::Error for Cancelled {}

/// The seeded faults of this file (loom only), apart from the real steps above.
#[cfg(loom)]
mod seeded {
    use super::*;

    /// `PromiseSetBeforeWrite`: publish SET, then write the value.
    pub(super) fn set_before_write<T>(inner: &Inner<T>, value: T) -> Result<(), T> {
        inner.state.store(SET, Release);
        // SAFETY: unsound on purpose, and only loom runs it: the seeded race its model must
        // catch (the cell is written after SET was published).
        inner.value.with_mut(|v| unsafe { *v = Some(value) });
        inner.state.store(SET, Release);
        inner.waker.wake();
        Ok(())
    }

    /// `DeferredCancelNotAtomic`: check, then store, instead of one CAS.
    pub(super) fn cancel_check_then_store<T>(inner: &Inner<T>) -> bool {
        let won = inner.state.load(Acquire) == EMPTY;
        if won {
            inner.state.store(CANCELLED, Release);
            inner.waker.wake();
        }
        won
    }
}
