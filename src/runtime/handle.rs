//! `Handle`: a cloneable reference to a runtime, usable from any thread, and the free
//! functions that use the current thread's runtime.

use super::metrics::RuntimeMetrics;
use crate::loom::sync::atomic::Ordering::Relaxed;
use crate::loom::sync::Arc;
use crate::scheduler::context;
use crate::scheduler::Shared;
use crate::task::JoinHandle;
use crate::time::{Sleep, Timeout, TimerHandle};
use crate::{Deferred, Promise};
use std::fmt;
use std::future::Future;
use std::time::{Duration, Instant};

/// A handle to a [`Runtime`](crate::Runtime): spawn tasks, arm timers and read metrics from
/// any thread, worker or not. Cheap to clone.
///
/// ```
/// use std::time::Duration;
/// let rt = spindle::Runtime::new().unwrap();
/// let handle = rt.handle().clone();
/// let (tx, rx) = std::sync::mpsc::channel();
/// std::thread::spawn(move || {
///     handle.call_later(Duration::from_millis(5), move || tx.send("fired").unwrap());
/// });
/// assert_eq!(rx.recv().unwrap(), "fired");
/// ```
#[derive(Clone)]
pub struct Handle {
    pub(crate) shared: Arc<Shared>,
}

const NO_RUNTIME: &str = "there is no spindle runtime on this thread: call this from a task, a \
     timer callback or `Runtime::block_on`, or use a `Handle` (e.g. `rt.handle().spawn(..)`)";

impl Handle {
    pub(crate) fn from_shared(shared: Arc<Shared>) -> Handle {
        Handle { shared }
    }

    /// The runtime of the current thread (a worker, or a thread inside `block_on`).
    ///
    /// # Panics
    /// With a message saying so, when the thread has no runtime. See [`try_current`](Self::try_current).
    ///
    /// ```
    /// let rt = spindle::Runtime::new().unwrap();
    /// rt.block_on(async { spindle::Handle::current().spawn(async {}); });
    /// ```
    #[track_caller]
    pub fn current() -> Handle {
        Handle::try_current().unwrap_or_else(|| panic!("{NO_RUNTIME}"))
    }

    /// The runtime of the current thread, if it has one.
    ///
    /// ```
    /// assert!(spindle::Handle::try_current().is_none());
    /// ```
    pub fn try_current() -> Option<Handle> {
        context::current().map(Handle::from_shared)
    }

    /// Spawns a task. From a worker it goes to that worker's deque; from any other thread to
    /// the shared injector. After shutdown the handle resolves to a cancelled [`JoinError`](crate::JoinError).
    ///
    /// ```
    /// let rt = spindle::Runtime::new().unwrap();
    /// let h = rt.handle().spawn(async { "hi" });
    /// assert_eq!(rt.block_on(h).unwrap(), "hi");
    /// ```
    pub fn spawn<F>(&self, fut: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.shared.spawn(fut)
    }

    /// Runs `f` on the runtime as soon as possible (asyncio's `loop.call_soon`). Callbacks
    /// queued from one thread run in FIFO order on a 1-worker runtime; with several workers
    /// they may run in parallel. Cancellable until it starts.
    ///
    /// ```
    /// let rt = spindle::Runtime::new().unwrap();
    /// let (tx, rx) = std::sync::mpsc::channel();
    /// rt.handle().call_soon(move || tx.send(1).unwrap());
    /// assert_eq!(rx.recv().unwrap(), 1);
    /// ```
    pub fn call_soon<F>(&self, f: F) -> TimerHandle
    where
        F: FnOnce() + Send + 'static,
    {
        crate::scheduler::arm::call_soon(&self.shared, self.shared.clock.now(), f)
    }

    /// Runs `f` after `delay` (asyncio's `loop.call_later`): never earlier, normally within
    /// about one timer tick after. Any delay is accepted; `Duration::MAX` never fires in
    /// practice but stays cancellable.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let rt = spindle::Runtime::new().unwrap();
    /// let (tx, rx) = std::sync::mpsc::channel();
    /// let t = rt.handle().call_later(Duration::from_millis(10), move || tx.send(Instant::now()).unwrap());
    /// assert!(rx.recv().unwrap() >= t.when());
    /// ```
    pub fn call_later<F>(&self, delay: Duration, f: F) -> TimerHandle
    where
        F: FnOnce() + Send + 'static,
    {
        crate::scheduler::arm::call_later(&self.shared, delay, f)
    }

    /// Runs `f` at `when` (asyncio's `loop.call_at`), on the same clock as [`time`](Self::time).
    /// A past instant runs as soon as possible.
    ///
    /// ```
    /// use std::time::Duration;
    /// let rt = spindle::Runtime::new().unwrap();
    /// let h = rt.handle();
    /// let (tx, rx) = std::sync::mpsc::channel();
    /// h.call_at(h.time() + Duration::from_millis(5), move || tx.send(()).unwrap());
    /// rx.recv().unwrap();
    /// ```
    pub fn call_at<F>(&self, when: Instant, f: F) -> TimerHandle
    where
        F: FnOnce() + Send + 'static,
    {
        crate::scheduler::arm::call_at(&self.shared, when, f)
    }

    /// The runtime's monotonic clock (asyncio's `loop.time`): `call_at(h.time() + d, f)`
    /// behaves as `call_later(d, f)`.
    ///
    /// ```
    /// let rt = spindle::Runtime::new().unwrap();
    /// let a = rt.handle().time();
    /// assert!(rt.handle().time() >= a);
    /// ```
    pub fn time(&self) -> Instant {
        self.shared.clock.now()
    }

    /// A future that completes after `d`, on this runtime's timer wheels. It can be awaited
    /// from any executor.
    ///
    /// ```
    /// let rt = spindle::Runtime::new().unwrap();
    /// let s = rt.handle().sleep(std::time::Duration::from_millis(3));
    /// futures::executor::block_on(s);
    /// ```
    #[inline] // perf: the clock read is a call already (`Clock::now`); keep this one inlined
    pub fn sleep(&self, d: Duration) -> Sleep {
        Sleep::new(self.shared.clone(), self.shared.clock.deadline_after(d))
    }

    /// A future that completes at `when`.
    ///
    /// ```
    /// let rt = spindle::Runtime::new().unwrap();
    /// let h = rt.handle();
    /// rt.block_on(h.sleep_until(h.time() + std::time::Duration::from_millis(2)));
    /// ```
    pub fn sleep_until(&self, when: Instant) -> Sleep {
        Sleep::new(self.shared.clone(), when)
    }

    /// Wraps `fut` so it fails with [`Elapsed`](crate::Elapsed) if it does not complete
    /// within `d`.
    ///
    /// ```
    /// use std::time::Duration;
    /// let rt = spindle::Runtime::new().unwrap();
    /// let h = rt.handle();
    /// let r = rt.block_on(h.timeout(Duration::from_millis(5), std::future::pending::<()>()));
    /// assert!(r.is_err());
    /// ```
    pub fn timeout<F: Future>(&self, d: Duration, fut: F) -> Timeout<F> {
        Timeout::new(fut, self.sleep(d))
    }

    /// A one-shot result slot (asyncio's `loop.create_future`): the [`Promise`] sets it from
    /// any thread, the [`Deferred`] awaits it from any executor.
    ///
    /// ```
    /// let rt = spindle::Runtime::new().unwrap();
    /// let (promise, deferred) = rt.handle().create_future::<u32>();
    /// std::thread::spawn(move || promise.set_result(7).unwrap());
    /// assert_eq!(rt.block_on(deferred).unwrap(), 7);
    /// ```
    pub fn create_future<T: Send + 'static>(&self) -> (Promise<T>, Deferred<T>) {
        crate::future::pair()
    }

    /// A snapshot of the runtime's counters.
    ///
    /// ```
    /// let rt = spindle::Builder::new().worker_threads(2).build().unwrap();
    /// assert_eq!(rt.handle().metrics().workers(), 2);
    /// ```
    pub fn metrics(&self) -> RuntimeMetrics {
        // Relaxed: statistics.
        let shards = self.shared.remotes.iter().map(|r| &r.shard);
        let arms = shards.clone().map(|s| s.remote_arms.load(Relaxed)).sum();
        let cancels = shards.map(|s| s.remote_cancels.load(Relaxed)).sum();
        RuntimeMetrics {
            workers: self.shared.workers(),
            totals: self.shared.counters.totals(arms, cancels),
            blocking: self.shared.blocking.snapshot(),
        }
    }

    pub(crate) fn block_on<F: Future>(&self, future: F) -> F::Output {
        if context::is_worker_thread() {
            panic!(
                "spindle: `block_on` called from a runtime worker thread; blocking a worker \
                 can deadlock the runtime. Use `.await`, or spawn the work instead."
            );
        }
        if context::in_block_on() {
            panic!("spindle: `block_on` called inside another `block_on`; use `.await` instead.");
        }
        context::enter_block_on(&self.shared, || super::block_on::run(&self.shared, future))
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("workers", &self.shared.workers())
            .finish()
    }
}

/// Spawns a task on the current thread's runtime.
///
/// # Panics
/// Outside a runtime (see [`Handle::current`]).
///
/// ```
/// let rt = spindle::Runtime::new().unwrap();
/// rt.block_on(async { assert_eq!(spindle::spawn(async { 3 }).await.unwrap(), 3) });
/// ```
#[track_caller]
pub fn spawn<F>(fut: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    Handle::current().spawn(fut)
}

/// [`Handle::call_soon`] on the current thread's runtime (panics outside one).
///
/// ```
/// let rt = spindle::Runtime::new().unwrap();
/// rt.block_on(async { spindle::call_soon(|| {}); });
/// ```
#[track_caller]
pub fn call_soon<F>(f: F) -> TimerHandle
where
    F: FnOnce() + Send + 'static,
{
    Handle::current().call_soon(f)
}

/// [`Handle::call_later`] on the current thread's runtime (panics outside one). On a worker
/// the timer goes to that worker's own shard with no lock.
///
/// ```
/// let rt = spindle::Runtime::new().unwrap();
/// rt.block_on(async { spindle::call_later(std::time::Duration::from_secs(1), || {}).cancel() });
/// ```
#[track_caller]
pub fn call_later<F>(delay: Duration, f: F) -> TimerHandle
where
    F: FnOnce() + Send + 'static,
{
    Handle::current().call_later(delay, f)
}

/// [`Handle::call_at`] on the current thread's runtime (panics outside one).
///
/// ```
/// let rt = spindle::Runtime::new().unwrap();
/// rt.block_on(async { spindle::call_at(std::time::Instant::now(), || {}); });
/// ```
#[track_caller]
pub fn call_at<F>(when: Instant, f: F) -> TimerHandle
where
    F: FnOnce() + Send + 'static,
{
    Handle::current().call_at(when, f)
}

/// [`Handle::sleep`] on the current thread's runtime (panics outside one).
///
/// ```
/// let rt = spindle::Runtime::new().unwrap();
/// rt.block_on(async { spindle::sleep(std::time::Duration::from_millis(1)).await });
/// ```
#[track_caller]
pub fn sleep(d: Duration) -> Sleep {
    Handle::current().sleep(d)
}

/// [`Handle::sleep_until`] on the current thread's runtime (panics outside one).
///
/// ```
/// let rt = spindle::Runtime::new().unwrap();
/// rt.block_on(async { spindle::sleep_until(std::time::Instant::now()).await });
/// ```
#[track_caller]
pub fn sleep_until(when: Instant) -> Sleep {
    Handle::current().sleep_until(when)
}

/// [`Handle::timeout`] on the current thread's runtime (panics outside one).
///
/// ```
/// let rt = spindle::Runtime::new().unwrap();
/// let r = rt.block_on(async { spindle::timeout(std::time::Duration::from_secs(1), async { 1 }).await });
/// assert_eq!(r.unwrap(), 1);
/// ```
#[track_caller]
pub fn timeout<F: Future>(d: Duration, fut: F) -> Timeout<F> {
    Handle::current().timeout(d, fut)
}
