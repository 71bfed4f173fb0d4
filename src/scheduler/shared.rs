//! `Shared`: everything the workers, handles and tasks of one runtime share: spawning, where
//! a woken task or due callback goes (`push`, the injector, `notify_one`), the shutdown steps
//! (1, 3, 4; numbered in `runtime::runtime`), and its `task::Schedule` impl.

use crate::loom::sync::atomic::{fence, AtomicBool, Ordering::*};
use crate::loom::sync::{lock, Arc, Condvar, Mutex};

use super::idle::{Idle, Notify};
use super::metrics::Counters;
use super::queue::{self, Injector, Stealer};
use super::remote::Remote;
use super::{context, Notified};
use crate::task::owned::OwnedTasks;
use crate::task::{JoinHandle, RawTask, Schedule};
use crate::time::clock::Clock;
use crate::time::shard::Shard;
use crate::util::park_deadline::{ParkDeadline, ParkView};
use crate::util::parker::Unparker;
use std::any::Any;
use std::future::Future;

pub(crate) type PanicHook = dyn Fn(Box<dyn Any + Send>) + Send + Sync;

/// Everything the workers, handles and tasks of one runtime share.
pub(crate) struct Shared {
    pub(crate) injector: Injector<Notified>,
    /// One per worker: its stealer, unparker, shard and park deadline (`remote`).
    pub(crate) remotes: Box<[Remote]>,
    pub(crate) idle: Idle,
    pub(crate) owned: OwnedTasks,
    pub(crate) clock: Clock,
    pub(crate) counters: Counters,
    pub(crate) on_callback_panic: Option<Arc<PanicHook>>,
    /// The `spawn_blocking` pool (and the thread hooks' settings), `crate::blocking`.
    pub(crate) blocking: crate::blocking::Pool,
    /// Virtual time: agent count for the quiet decision, auto-advance, pending `advance`s.
    pub(crate) vt: crate::scheduler::pause::VirtualTime,
    /// The I/O driver (`io::driver`); `None` in loom models that build a bare `Shared`.
    pub(crate) io: Option<crate::io::driver::Driver>,
    closed: AtomicBool,
    /// Shutdown reached step 4 (`finish_shutdown`; steps: `runtime::runtime`): the registry is closing (issue 10).
    finishing: AtomicBool,
    /// Number of worker threads still running, for `shutdown_timeout`.
    running: Mutex<usize>,
    exited: Condvar,
}

impl Shared {
    pub(crate) fn new(
        stealers: Box<[Stealer<Notified>]>,
        unparkers: Box<[Unparker]>,
        clock: Clock,
        on_callback_panic: Option<Arc<PanicHook>>,
        blocking: crate::blocking::Pool,
    ) -> Shared {
        let workers = stealers.len();
        // Thieves' grace and look rate, with a wall-clock floor whatever the tick (issue 10).
        let watch = crate::time::shard::watch_ticks(&clock);
        let remotes = Vec::from(stealers)
            .into_iter()
            .zip(Vec::from(unparkers))
            .map(|(steal, unpark)| {
                let parked_until = Arc::new(ParkDeadline::new());
                let view = ParkView::new(parked_until.clone());
                let shard = Arc::new(Shard::with_watch(unpark.clone(), view, watch));
                Remote {
                    steal,
                    unpark,
                    shard,
                    parked_until,
                }
            })
            .collect();
        Shared {
            injector: Injector::new(),
            remotes,
            idle: Idle::new(workers),
            owned: OwnedTasks::new(workers),
            clock,
            counters: Counters::new(workers),
            on_callback_panic,
            blocking,
            vt: crate::scheduler::pause::VirtualTime::new(workers),
            io: None,
            closed: AtomicBool::new(false),
            finishing: AtomicBool::new(false),
            running: Mutex::new(workers),
            exited: Condvar::new(),
        }
    }

    /// Attaches the I/O driver (before the `Shared` is shared).
    pub(crate) fn with_io(mut self, driver: Option<crate::io::driver::Driver>) -> Shared {
        self.io = driver;
        self
    }

    pub(crate) fn workers(&self) -> usize {
        self.remotes.len()
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(SeqCst)
    }

    /// Spawns `future` as a task of this runtime.
    pub(crate) fn spawn<F>(self: &Arc<Self>, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let task = crate::task::core::Task::new(future, self.clone());
        if self.is_closed() {
            // Refused: cancel at once; the handle resolves to a cancelled JoinError.
            task.clone().shutdown();
        } else {
            self.counters.task_spawned(context::worker_index(self));
            // A spawn racing with shutdown is caught by `schedule` (closed check) or by the
            // queue drains of the shutdown procedure.
            self.schedule(task.clone());
        }
        JoinHandle::new(task)
    }

    /// Queues a runnable unit from any thread.
    pub(crate) fn push(&self, n: Notified) {
        let pushed_locally = context::with_worker(|w| match w {
            Some(w) if std::ptr::eq(&*w.shared, self) => {
                let backlog = !w.local.is_empty();
                w.local.push(n);
                Ok(backlog)
            }
            _ => Err(n),
        });
        match pushed_locally {
            // Local push onto a backlog: let an idle worker come and steal. A relaxed check
            // suffices: the owner runs the task anyway, so a missed wake costs parallelism,
            // never the task.
            Ok(true) => self.notify_one(),
            // Local push onto an empty queue: this worker runs it right after the current
            // poll. Waking a helper would only move it across threads (message passing,
            // spawn chains); stealing still takes it if the current poll runs long and
            // someone is awake.
            Ok(false) => {}
            Err(n) => self.push_remote(n),
        }
    }

    /// Pushes into the injector and wakes a sleeper (step 1 of the sleep protocol).
    fn push_remote(&self, n: Notified) {
        self.injector.push(n);
        // SeqCst fence: the push and the read of the idle state in `notify_one` form the
        // producer side of the Dekker pair in `idle` (and, with the `closed` re-check below,
        // of the pair with `finish_shutdown`'s drain). seeded fault (loom only):
        // `PushRemoteSkipsFence` leaves it out.
        if !crate::loom::fault::is(crate::loom::fault::Fault::PushRemoteSkipsFence) {
            fence(SeqCst);
        }
        self.notify_one();
        // seeded fault (loom only): `PushSkipsClosedRedrain` leaves a late push in the injector.
        let redrain = !crate::loom::fault::is(crate::loom::fault::Fault::PushSkipsClosedRedrain);
        if redrain && self.is_closed() {
            // Shutdown may have drained the injector before our push: drain it ourselves.
            self.drain_injector();
        }
    }

    pub(crate) fn notify_one(&self) {
        if let Notify::Unpark(i) = self.idle.choose_to_notify() {
            self.remotes[i].unpark.unpark();
        }
    }

    pub(crate) fn drain_injector(&self) {
        while let Some(n) = self.injector.pop() {
            n.cancel(self);
        }
    }

    // `watch_deadline`: `scheduler::watch` (no hostage timers).

    // ----- shutdown -----

    /// Shutdown step 1 (the steps: `runtime::runtime`): refuse new work and wake every worker so it sees the flag.
    pub(crate) fn begin_shutdown(&self) {
        self.closed.store(true, SeqCst);
        // Virtual time: pending `advance`s complete rather than wait for a dead runtime.
        crate::scheduler::pause::on_shutdown(self);
        for i in self.idle.take_all() {
            self.remotes[i].unpark.unpark();
        }
        for r in self.remotes.iter() {
            r.unpark.unpark();
        }
    }

    /// Called by each worker as it exits.
    pub(crate) fn worker_exited(&self) {
        let mut running = lock(&self.running);
        *running -= 1;
        self.exited.notify_all();
    }

    /// Shutdown step 3: wait (bounded) for the workers to exit (each runs step 2,
    /// `Worker::exit`). Returns true if all did.
    pub(crate) fn wait_workers(&self, deadline: Option<std::time::Instant>) -> bool {
        let mut running = lock(&self.running);
        while *running > 0 {
            match deadline {
                None => running = self.exited.wait(running).unwrap_or_else(|e| e.into_inner()),
                Some(d) => {
                    let now = std::time::Instant::now();
                    if now >= d {
                        return false;
                    }
                    running = self
                        .exited
                        .wait_timeout(running, d - now)
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                }
            }
        }
        true
    }

    /// Shutdown step 4: cancel every task that is still alive and everything still queued.
    pub(crate) fn finish_shutdown(&self) {
        self.finishing.store(true, SeqCst);
        for task in self.owned.close() {
            task.shutdown();
        }
        // Workers left behind by `shutdown_timeout` (stuck in user code): what they hold is
        // cancelled here, so JoinHandles and Sleeps awaited elsewhere complete now, not when
        // the stuck poll returns (issue 10). Workers that exited left both empty, so this is
        // skipped when all did (it would only add steps to the loom models).
        if *lock(&self.running) > 0 {
            let scratch = queue::Local::new();
            for r in self.remotes.iter() {
                while let Some(n) = r.steal.steal_into(&scratch) {
                    crate::util::panic::contain(|| n.cancel(self));
                    while let Some(n) = scratch.pop() {
                        crate::util::panic::contain(|| n.cancel(self));
                    }
                }
            }
            for r in self.remotes.iter() {
                r.shard.close_outside();
            }
        }
        // SeqCst fence (spindle's own, not the queue's): `closed` was stored before it; a
        // `push_remote` whose re-check (after its push and fence) did not see `closed` pushed
        // before this fence in the single order, so the drain below finds its unit.
        // seeded fault (loom only): `FinishShutdownSkipsFence` leaves it out.
        if !crate::loom::fault::is(crate::loom::fault::Fault::FinishShutdownSkipsFence) {
            fence(SeqCst);
        }
        self.drain_injector();
        // I/O (`io::driver`): every pending I/O future fails, the poller's fds close.
        if let Some(io) = &self.io {
            io.shutdown();
        }
    }
}

impl Shared {
    /// Where a woken task goes. After shutdown began, a wake (or abort) never drops the
    /// future on the waking thread (a waker called under a lock the future's `Drop` takes
    /// would deadlock): a task that went idle is in the registry, and `finish_shutdown`
    /// drops it on the thread that shuts down. Only a task that was never registered (a
    /// spawn refused by shutdown, or a first poll refused by the closed registry) is
    /// cancelled where it is, which is always a spindle thread's own call.
    fn schedule_task(&self, task: Arc<dyn RawTask>) {
        if self.is_closed() {
            // Relaxed: written by the task's poller before the state RMW that made this wake
            // submit (the wake's AcqRel RMW on the same state word orders it).
            // `finishing` (SeqCst, set before the registry closes): a task woken after the
            // registry was emptied (e.g. by its worker returning late from a poll past
            // `shutdown_timeout`) has nobody else left to drop it.
            if task.header().owned_key.load(Relaxed) == usize::MAX || self.finishing.load(SeqCst) {
                task.shutdown();
            }
            return;
        }
        self.push(Notified::Task(task));
    }
}

impl Schedule for Arc<Shared> {
    fn schedule(&self, task: Arc<dyn RawTask>) {
        self.schedule_task(task);
    }

    unsafe fn reschedule(this: *const Self, task: Arc<dyn RawTask>) {
        // SAFETY: the caller's contract: `this` is valid now, before the task is handed on.
        // The borrow of the `Arc` field ends with this statement.
        let shared: *const Shared = Arc::as_ptr(unsafe { &*this });
        // SAFETY: `shared` points into the runtime's own allocation, not the task's; it stays
        // valid through the call because the calling worker holds its own `Arc<Shared>`.
        unsafe { &*shared }.schedule_task(task);
    }

    fn release(&self, task: &crate::task::Header) {
        self.owned.remove(task);
    }

    fn register(&self, task: Arc<dyn RawTask>) -> bool {
        let hint = context::worker_index(self).unwrap_or_else(|| crate::util::rand::below(64));
        self.owned.insert(task, hint).is_ok()
    }
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("workers", &self.workers())
            .field("closed", &self.is_closed())
            .finish()
    }
}
