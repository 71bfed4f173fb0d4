//! The public face of the blocking pool: `spawn_blocking`, its Builder settings and metrics.

use super::handle::Handle;
use crate::task::JoinHandle;
use crate::{Builder, RuntimeMetrics};
use std::time::Duration;

impl Handle {
    /// Runs the blocking closure `f` on the runtime's blocking pool and returns a
    /// [`JoinHandle`] for its result. Use it for work that would block a worker: file I/O,
    /// DNS, FFI, a CPU-heavy burst.
    ///
    /// - A thread is started on demand (up to
    ///   [`max_blocking_threads`](crate::Builder::max_blocking_threads), default 512); at the
    ///   limit, tasks queue. Idle threads exit after
    ///   [`thread_keep_alive`](crate::Builder::thread_keep_alive) (default 10 s).
    /// - The threads carry the runtime ([`Handle::current`] works there), are named
    ///   `"{thread_name}-blocking-{n}"` and run the thread hooks.
    /// - A panic in `f` ends the JoinHandle with [`JoinError::is_panic`](crate::JoinError::is_panic).
    /// - [`abort`](JoinHandle::abort) stops a task that has not started: it never runs, and
    ///   its JoinHandle resolves to cancelled once a pool thread reaches it (at once if one
    ///   is free). A running closure cannot be interrupted.
    /// - At shutdown, queued tasks are dropped (cancelled) and running ones are waited for,
    ///   within [`shutdown_timeout`](crate::Runtime::shutdown_timeout) (a plain drop waits
    ///   for them). After shutdown the JoinHandle resolves to cancelled.
    ///
    /// ```
    /// let rt = spindle::Runtime::new().unwrap();
    /// let h = rt.handle().spawn_blocking(|| {
    ///     std::thread::sleep(std::time::Duration::from_millis(1)); // blocks a pool thread only
    ///     6 * 7
    /// });
    /// assert_eq!(rt.block_on(h).unwrap(), 42);
    /// ```
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        crate::blocking::task::spawn(&self.shared, f)
    }
}

/// [`Handle::spawn_blocking`] on the current thread's runtime.
///
/// # Panics
/// Outside a runtime (see [`Handle::current`]).
///
/// ```
/// let rt = spindle::Runtime::new().unwrap();
/// rt.block_on(async {
///     let contents = spindle::spawn_blocking(|| std::fs::read_to_string("Cargo.toml")).await;
///     assert!(contents.unwrap().is_ok());
/// });
/// ```
#[track_caller]
pub fn spawn_blocking<F, R>(f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    Handle::current().spawn_blocking(f)
}

impl Builder {
    /// The most threads the blocking pool starts (default 512). Beyond it, `spawn_blocking`
    /// tasks wait in the queue. Zero is refused by [`build`](Self::build) with
    /// `ErrorKind::InvalidInput`.
    ///
    /// ```
    /// let err = spindle::Builder::new().max_blocking_threads(0).build().unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    /// assert!(spindle::Builder::new().max_blocking_threads(4).build().is_ok());
    /// ```
    pub fn max_blocking_threads(&mut self, n: usize) -> &mut Self {
        self.blocking.max_threads = n;
        self
    }

    /// How long an idle blocking thread waits for work before it exits (default 10 s).
    ///
    /// ```
    /// use std::time::Duration;
    /// let rt = spindle::Builder::new().thread_keep_alive(Duration::from_millis(50)).build().unwrap();
    /// rt.block_on(rt.handle().spawn_blocking(|| ())).unwrap();
    /// while rt.handle().metrics().blocking_threads() > 0 { std::thread::sleep(Duration::from_millis(5)); }
    /// ```
    pub fn thread_keep_alive(&mut self, d: Duration) -> &mut Self {
        self.blocking.keep_alive = d;
        self
    }
}

impl RuntimeMetrics {
    /// Blocking-pool threads alive (running a task or idle).
    ///
    /// ```
    /// let rt = spindle::Runtime::new().unwrap();
    /// assert_eq!(rt.handle().metrics().blocking_threads(), 0); // started on demand
    /// rt.block_on(rt.handle().spawn_blocking(|| ())).unwrap();
    /// assert!(rt.handle().metrics().blocking_threads() >= 1);
    /// ```
    pub fn blocking_threads(&self) -> usize {
        self.blocking.threads
    }

    /// Blocking-pool threads idle, waiting for work (they exit after the keep-alive).
    ///
    /// ```
    /// let rt = spindle::Runtime::new().unwrap();
    /// let m = rt.handle().metrics();
    /// assert!(m.blocking_idle_threads() <= m.blocking_threads());
    /// ```
    pub fn blocking_idle_threads(&self) -> usize {
        self.blocking.idle
    }

    /// `spawn_blocking` tasks queued and not yet picked up by a thread.
    ///
    /// ```
    /// let rt = spindle::Runtime::new().unwrap();
    /// assert_eq!(rt.handle().metrics().blocking_queue_depth(), 0);
    /// ```
    pub fn blocking_queue_depth(&self) -> usize {
        self.blocking.queue_depth
    }
}
