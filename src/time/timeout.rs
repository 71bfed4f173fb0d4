//! `Timeout`: a future with a deadline.

use super::sleep::Sleep;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// A future that fails with [`Elapsed`] if its inner future does not complete in time, made by
/// [`timeout`](crate::timeout) or [`Handle::timeout`](crate::Handle::timeout). The inner future
/// is polled first, so one that is ready wins even at a zero timeout.
///
/// ```
/// use std::time::Duration;
/// let rt = spindle::Runtime::new().unwrap();
/// rt.block_on(async {
///     assert_eq!(spindle::timeout(Duration::from_secs(1), async { 7 }).await.unwrap(), 7);
///     let slow = spindle::sleep(Duration::from_secs(10));
///     assert!(spindle::timeout(Duration::from_millis(5), slow).await.is_err());
/// });
/// ```
pub struct Timeout<F> {
    future: F,
    sleep: Sleep,
}

impl<F> Timeout<F> {
    pub(crate) fn new(future: F, sleep: Sleep) -> Self {
        Timeout { future, sleep }
    }

    /// The inner future.
    ///
    /// ```
    /// let rt = spindle::Runtime::new().unwrap();
    /// let t = rt.handle().timeout(std::time::Duration::from_secs(1), std::future::ready(3));
    /// let _inner: &std::future::Ready<i32> = t.get_ref();
    /// ```
    pub fn get_ref(&self) -> &F {
        &self.future
    }

    /// Gives the inner future back, dropping the timer.
    ///
    /// ```
    /// let rt = spindle::Runtime::new().unwrap();
    /// let t = rt.handle().timeout(std::time::Duration::from_secs(1), std::future::ready(3));
    /// assert_eq!(futures::executor::block_on(t.into_inner()), 3);
    /// ```
    pub fn into_inner(self) -> F {
        self.future
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: `future` is structurally pinned: nothing reachable from `Pin<&mut Self>`
        // moves it (`into_inner` needs an unpinned `Timeout`), and `Timeout` has no `Drop`
        // impl. `sleep` is `Unpin`, so handing out `&mut` to it is fine.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: see above.
        let future = unsafe { Pin::new_unchecked(&mut this.future) };
        if let Poll::Ready(v) = future.poll(cx) {
            return Poll::Ready(Ok(v));
        }
        match Pin::new(&mut this.sleep).poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(Elapsed(()))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<F> fmt::Debug for Timeout<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timeout")
            .field("sleep", &self.sleep)
            .finish_non_exhaustive()
    }
}

/// The error of a [`Timeout`] whose deadline passed first.
///
/// ```
/// let rt = spindle::Runtime::new().unwrap();
/// let t = rt.handle().timeout(std::time::Duration::ZERO, std::future::pending::<()>());
/// let err = rt.block_on(t).unwrap_err();
/// assert_eq!(err.to_string(), "deadline has elapsed");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Elapsed(());

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline has elapsed")
    }
}

impl std::error::Error for Elapsed {}

impl From<Elapsed> for std::io::Error {
    fn from(_: Elapsed) -> std::io::Error {
        std::io::ErrorKind::TimedOut.into()
    }
}
