//! `Runtime`: owns the worker threads; dropping it shuts down.
//!
//! Shutdown procedure (`Runtime::shutdown`). This is the one numbering of its steps; the
//! code of each step says "shutdown step N":
//! 1. Set the closed flag and wake every worker (`Shared::begin_shutdown`), then close the
//!    blocking pool (its queued tasks are cancelled). From now on `spawn` and `call_*` refuse
//!    work (cancelled JoinHandle / already-cancelled TimerHandle), and a wake of any task
//!    cancels it instead of queueing it.
//! 2. Each worker finishes its current poll, cancels what is left in its deque, closes its
//!    timer shard (cancelling every pending callback, which drops its closure), and exits
//!    (`Worker::exit`, `Shard::close`).
//! 3. Wait for the workers and the running blocking tasks (`Shared::wait_workers`,
//!    `Pool::wait`; bounded by `shutdown_timeout`: a worker stuck in user code is left
//!    behind and cleans up its own queue and shard when it returns).
//! 4. Close the task registry and cancel every task still alive (drops its future; its
//!    JoinHandle resolves to a cancelled JoinError), cancel what workers left behind hold
//!    (`Shard::close_outside`), then drain the injector and shut the I/O driver
//!    (`Shared::finish_shutdown`).

use super::builder::Builder;
use super::handle::Handle;
use crate::loom::sync::{lock, Arc, Mutex};
use crate::loom::thread;
use crate::scheduler::context;
use crate::scheduler::worker::Worker;
use crate::scheduler::Shared;
use crate::time::clock::Clock;
use crate::util::parker::Parker;
use crate::util::queue::Local;
use std::fmt;
use std::future::Future;
use std::io;
use std::time::{Duration, Instant};

/// A multi-threaded work-stealing runtime with one timer wheel per worker.
///
/// Dropping it shuts it down: workers stop after their current poll, and every pending task
/// and timer callback is dropped (their destructors run).
///
/// ```
/// let rt = spindle::Runtime::new().unwrap();
/// let out = rt.block_on(async {
///     let h = spindle::spawn(async { 1 + 1 });
///     h.await.unwrap()
/// });
/// assert_eq!(out, 2);
/// ```
pub struct Runtime {
    handle: Handle,
    threads: Mutex<Vec<thread::JoinHandle<()>>>,
}

impl Runtime {
    /// A runtime with the default settings (see [`Builder::new`]).
    ///
    /// ```
    /// let rt = spindle::Runtime::new().unwrap();
    /// # drop(rt);
    /// ```
    pub fn new() -> io::Result<Runtime> {
        Builder::new().build()
    }

    pub(crate) fn start(config: Builder, workers: usize) -> io::Result<Runtime> {
        let locals: Vec<Local<_>> = (0..workers).map(|_| Local::new()).collect();
        // I/O driver (`io::driver`): idle workers wait in its poller; its waker unparks them.
        let io = crate::io::driver::Driver::for_runtime()?;
        let parkers: Vec<Parker> = (0..workers)
            .map(|_| Parker::with_io_waker(io.as_ref().map(|d| d.waker())))
            .collect();
        let shared = Arc::new(
            Shared::new(
                locals.iter().map(|l| l.stealer()).collect(),
                parkers.iter().map(|p| p.unparker()).collect(),
                Clock::new(config.timer_tick),
                config.on_callback_panic.clone(),
                crate::blocking::Pool::new(config.blocking.clone(), config.thread_name.clone()),
            )
            .with_io(io),
        );
        // Virtual time: before any worker starts, so they all see it.
        shared.vt.set_auto_advance(config.auto_advance);
        if config.start_paused {
            shared.clock.pause();
        }
        let rt = Runtime {
            handle: Handle::from_shared(shared.clone()),
            threads: Mutex::new(Vec::new()),
        };
        // Workers not started yet still count as running: `NotStarted` counts them out if we
        // leave early, by `Err` or by unwinding, so dropping `rt` stops the ones already
        // started and never waits for the others (panic-safe start, issue 10).
        let mut not_started = NotStarted(&shared, workers);
        for (index, (local, parker)) in locals.into_iter().zip(parkers).enumerate() {
            let worker = Worker::new(index, shared.clone(), local, parker);
            // Thread hooks and `worker_index()` around the worker loop (`runtime::hooks`).
            let handle = rt.handle.clone();
            let name = format!("{}-{index}", config.thread_name);
            let main = move || super::hooks::worker_main(index, handle, move || worker.run());
            let t = super::spawn_worker::spawn_worker(name, main)?;
            not_started.1 -= 1;
            lock(&rt.threads).push(t);
        }
        drop(not_started);
        Ok(rt)
    }

    /// The handle to this runtime: spawn tasks and arm timers from any thread.
    ///
    /// ```
    /// let rt = spindle::Runtime::new().unwrap();
    /// let h = rt.handle().clone();
    /// std::thread::spawn(move || { h.spawn(async {}); }).join().unwrap();
    /// ```
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Runs `future` to completion on the calling thread, while the workers run spawned tasks.
    /// Inside, `spindle::spawn`, `call_later` etc. reach this runtime.
    ///
    /// # Panics
    /// When called from a worker thread of a spindle runtime (it would block a worker), or
    /// from inside another `block_on`.
    ///
    /// ```
    /// let rt = spindle::Runtime::new().unwrap();
    /// let v = rt.block_on(async { spindle::sleep(std::time::Duration::from_millis(1)).await; 5 });
    /// assert_eq!(v, 5);
    /// ```
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.handle.block_on(future)
    }

    /// Shuts down, waiting at most `timeout` for the workers to stop (a worker stuck in a
    /// blocking task is left to finish on its own; it drops its remaining work when it does).
    ///
    /// ```
    /// let rt = spindle::Runtime::new().unwrap();
    /// rt.handle().spawn(async { std::thread::sleep(std::time::Duration::from_secs(1)) });
    /// let t = std::time::Instant::now();
    /// rt.shutdown_timeout(std::time::Duration::from_millis(10));
    /// assert!(t.elapsed() < std::time::Duration::from_millis(900));
    /// ```
    pub fn shutdown_timeout(self, timeout: Duration) {
        let deadline = Instant::now().checked_add(timeout);
        self.shutdown(deadline);
    }

    fn shutdown(&self, deadline: Option<Instant>) {
        let shared = self.handle.shared.clone();
        if shared.is_closed() && lock(&self.threads).is_empty() {
            return;
        }
        // Shutdown step 1 (the list at the top of this file).
        shared.begin_shutdown();
        // The blocking pool: queued tasks are cancelled now, running ones waited for below.
        shared.blocking.close();
        let threads = std::mem::take(&mut *lock(&self.threads));
        if context::worker_index(&shared).is_some() {
            // Dropped on one of our own workers: we cannot wait for ourselves. Finish on a
            // helper thread once the others are gone.
            thread::spawn(move || {
                shared.wait_workers(None);
                shared.blocking.wait(None);
                finish_shutdown(&shared);
            });
            return;
        }
        // Step 3 (step 2 runs on each worker).
        let all_exited = shared.wait_workers(deadline);
        shared.blocking.wait(deadline);
        if all_exited {
            for t in threads {
                let _ = t.join();
            }
        }
        finish_shutdown(&shared);
    }
}

/// The number of workers `Runtime::start` has not started yet; counted out when dropped.
struct NotStarted<'a>(&'a Shared, usize);

impl Drop for NotStarted<'_> {
    fn drop(&mut self) {
        for _ in 0..self.1 {
            self.0.worker_exited();
        }
    }
}

/// Shutdown step 4, with the runtime as the thread's current one (the futures dropped here may use it).
fn finish_shutdown(shared: &Arc<Shared>) {
    context::with_current(shared, || shared.finish_shutdown());
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.shutdown(None);
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("handle", &self.handle)
            .finish()
    }
}
