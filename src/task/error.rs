//! `JoinError`: why a task did not produce its output.

use std::any::Any;
use std::fmt;

/// What a panicked task left behind. Boxed, so a `JoinError` is one pointer and the result
/// slot inside every task stays small (it is allocated with the task, panic or not).
struct Panic {
    payload: SyncPanic,
    message: Option<String>,
}

/// The payload of a panic, made `Sync` by only ever being reachable by value.
struct SyncPanic(Box<dyn Any + Send + 'static>);

// SAFETY: the payload is never accessed through a shared reference: `JoinError` only hands it
// out by value (`into_panic(self)`), and `Debug`/`Display` use the message copied out at
// construction.
unsafe impl Sync for SyncPanic {}

/// The error a [`JoinHandle`](crate::JoinHandle) resolves to when its task did not complete:
/// it was aborted (or the runtime shut down), or it panicked.
///
/// ```
/// let rt = spindle::Runtime::new().unwrap();
/// let err = rt.block_on(async {
///     spindle::spawn(async { panic!("boom") }).await.unwrap_err()
/// });
/// assert!(err.is_panic());
/// assert_eq!(err.to_string(), "task panicked: boom");
/// ```
pub struct JoinError {
    /// `None`: cancelled.
    panic: Option<Box<Panic>>,
}

impl JoinError {
    pub(crate) fn cancelled() -> JoinError {
        JoinError { panic: None }
    }

    pub(crate) fn panic(payload: Box<dyn Any + Send + 'static>) -> JoinError {
        let message = panic_message(&*payload);
        let payload = SyncPanic(payload);
        JoinError {
            panic: Some(Box::new(Panic { payload, message })),
        }
    }

    /// True if the task was aborted or dropped by runtime shutdown.
    ///
    /// ```
    /// let rt = spindle::Runtime::new().unwrap();
    /// let err = rt.block_on(async {
    ///     let h = spindle::spawn(std::future::pending::<()>());
    ///     h.abort();
    ///     h.await.unwrap_err()
    /// });
    /// assert!(err.is_cancelled());
    /// ```
    pub fn is_cancelled(&self) -> bool {
        self.panic.is_none()
    }

    /// True if the task panicked.
    ///
    /// ```
    /// let rt = spindle::Runtime::new().unwrap();
    /// let err = rt.block_on(async { spindle::spawn(async { panic!() }).await.unwrap_err() });
    /// assert!(err.is_panic());
    /// ```
    pub fn is_panic(&self) -> bool {
        self.panic.is_some()
    }

    /// The panic payload, to resume the panic with `std::panic::resume_unwind`.
    ///
    /// # Panics
    /// If the task was cancelled rather than panicking (check with [`is_panic`](Self::is_panic)).
    ///
    /// ```
    /// let rt = spindle::Runtime::new().unwrap();
    /// let err = rt.block_on(async { spindle::spawn(async { panic!("x") }).await.unwrap_err() });
    /// assert_eq!(*err.into_panic().downcast::<&str>().unwrap(), "x");
    /// ```
    pub fn into_panic(self) -> Box<dyn Any + Send + 'static> {
        match self.panic {
            Some(p) => p.payload.0,
            None => panic!("JoinError::into_panic called on a cancelled task's error"),
        }
    }
}

/// The text of a panic payload, when it is a string.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> Option<String> {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        Some((*s).to_owned())
    } else {
        payload.downcast_ref::<String>().cloned()
    }
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.panic.as_deref().map(|p| &p.message) {
            None => f.write_str("task was cancelled"),
            Some(Some(m)) => write!(f, "task panicked: {m}"),
            Some(None) => f.write_str("task panicked"),
        }
    }
}

impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.panic.as_deref().map(|p| &p.message) {
            None => f.write_str("JoinError::Cancelled"),
            Some(Some(m)) => write!(f, "JoinError::Panic({m:?})"),
            Some(None) => f.write_str("JoinError::Panic(..)"),
        }
    }
}

impl std::error::Error for JoinError {}

impl From<JoinError> for std::io::Error {
    fn from(e: JoinError) -> std::io::Error {
        std::io::Error::other(e.to_string())
    }
}
