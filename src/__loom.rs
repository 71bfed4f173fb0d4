//! Internals exposed to the `loom-tests` crate. Compiled only under `cfg(loom)`; not part of
//! the public API (`#[doc(hidden)]`). Each item wraps the real code the runtime uses: the
//! wrappers only build the pieces and call their methods, the protocol steps are the crate's.
#![allow(missing_docs, missing_debug_implementations, unreachable_pub)]

use crate::loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use crate::loom::sync::{lock, Arc, Mutex};
use crate::scheduler::queue::Local;
use crate::scheduler::worker::Worker;
use crate::scheduler::Shared;
use crate::task::{RawTask, Schedule};
use crate::time::clock::Clock;
use crate::time::entry::Entry;
use crate::time::shard::{self, DueSink, Op};
use crate::util::parker::Parker;
use crate::{Handle, JoinHandle, TimerHandle};
use std::collections::VecDeque;
use std::future::Future;
use std::time::{Duration, Instant};

pub use crate::fault::Fault;

/// Seeds `fault` into the real code for models run on this thread until the guard drops.
pub fn seed(fault: Fault) -> impl Drop {
    crate::fault::seed(Some(fault))
}

// ----- timers -----

/// Runs a QUEUED callback entry as a worker does (`Worker::run_callback`). Returns whether
/// this call won the entry and ran the closure.
fn run_entry(e: &Entry) -> bool {
    let Some(f) = e.start_firing() else {
        return false;
    };
    f();
    e.finish_firing();
    true
}

/// Due callback entries handed out by a maintenance turn or a thief (a worker's run queue).
#[derive(Default)]
pub struct Due(Vec<Arc<Entry>>);

impl DueSink for Due {
    fn queued(&mut self, entry: Arc<Entry>) {
        self.0.push(entry);
    }
}

impl Due {
    pub fn new() -> Due {
        Due(Vec::new())
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// Runs every queued entry like a worker; returns how many closures ran.
    pub fn run_all(&mut self) -> usize {
        self.0.drain(..).filter(|e| run_entry(e)).count()
    }
}

/// A callback timer: the entry plus its public `TimerHandle`.
pub struct Timer {
    entry: Arc<Entry>,
    handle: TimerHandle,
}

impl Timer {
    fn new(entry: Arc<Entry>, shard: Arc<shard::Shard>) -> Timer {
        let handle = TimerHandle::new(entry.clone(), shard, Instant::now());
        Timer { entry, handle }
    }

    /// A callback entry due at `tick`, not armed on any shard (for entry-only models).
    pub fn unarmed<F: FnOnce() + Send + 'static>(tick: u64, f: F) -> Timer {
        Timer::new(
            Entry::new_callback(tick, 0, f),
            Arc::new(shard::Shard::new(Parker::new().unparker())),
        )
    }

    /// `TimerHandle::cancel` from a thread that is no worker (the remote-cancel path).
    pub fn cancel(&self) -> bool {
        self.handle.cancel()
    }

    /// The owner finds the entry due at `now` and a worker runs it. Returns whether the
    /// closure ran.
    pub fn fire(&self, now: u64) -> bool {
        match self.entry.on_due(now) {
            crate::time::entry::Due::Queued => run_entry(&self.entry),
            _ => false,
        }
    }

    pub fn is_cancelled(&self) -> bool {
        self.handle.is_cancelled()
    }

    pub fn is_fired(&self) -> bool {
        self.entry.is_fired()
    }

    /// References to the entry held by the runtime side (staging, inbox, wheel, queues).
    pub fn runtime_refs(&self) -> usize {
        // One for `entry`, one inside `handle`.
        Arc::strong_count(&self.entry) - 2
    }
}

/// One timer shard, driven by hand: the caller plays the owner thread and other threads.
#[derive(Clone)]
pub struct Shard(Arc<shard::Shard>);

impl Shard {
    #[allow(clippy::new_without_default)]
    pub fn new() -> Shard {
        Shard(Arc::new(shard::Shard::new(Parker::new().unparker())))
    }

    /// Owner thread: arms a callback through the staging buffer (`Shard::owner_arm`).
    pub fn owner_arm<F: FnOnce() + Send + 'static>(&self, tick: u64, f: F, due: &mut Due) -> Timer {
        let e = Entry::new_callback(tick, 0, f);
        self.0.owner_arm(e.clone(), tick, due);
        Timer::new(e, self.0.clone())
    }

    /// Another thread: arms a callback through the inbox (`Shard::push_remote`).
    pub fn remote_arm<F: FnOnce() + Send + 'static>(&self, tick: u64, f: F) -> Timer {
        let e = Entry::new_callback(tick, 0, f);
        self.0.push_remote(Op::Arm(e.clone()));
        Timer::new(e, self.0.clone())
    }

    /// Owner thread: one maintenance turn (`Shard::owner_turn`).
    pub fn owner_turn(&self, now: Option<u64>, due: &mut Due) -> u64 {
        self.0.owner_turn(now, due)
    }

    /// An idle worker fires the owner's overdue timers (`Shard::steal_overdue`).
    pub fn steal_overdue(&self, now: u64, due: &mut Due) -> bool {
        self.0.steal_overdue(now, due)
    }

    pub fn next_due(&self) -> u64 {
        self.0.next_due()
    }

    pub fn close(&self) {
        self.0.close()
    }
}

// ----- tasks -----

struct QueueInner {
    queue: Mutex<VecDeque<Arc<dyn RawTask>>>,
    scheduled: AtomicUsize,
    released: AtomicUsize,
}

/// A run queue with a checking `Schedule`: a task may be queued only if it is not already
/// queued and not complete.
#[derive(Clone)]
pub struct TaskQueue(Arc<QueueInner>);

impl Schedule for TaskQueue {
    fn schedule(&self, task: Arc<dyn RawTask>, _yielded: bool) {
        assert!(
            !task.header().state.load().is_complete(),
            "a completed task was scheduled"
        );
        let mut q = lock(&self.0.queue);
        assert!(
            !q.iter().any(|t| std::ptr::eq(t.header(), task.header())),
            "a task was queued twice"
        );
        q.push_back(task);
        self.0.scheduled.fetch_add(1, SeqCst);
    }

    fn release(&self, _task: &crate::task::Header) {
        self.0.released.fetch_add(1, SeqCst);
    }
}

impl TaskQueue {
    #[allow(clippy::new_without_default)]
    pub fn new() -> TaskQueue {
        TaskQueue(Arc::new(QueueInner {
            queue: Mutex::new(VecDeque::new()),
            scheduled: AtomicUsize::new(0),
            released: AtomicUsize::new(0),
        }))
    }

    /// Spawns `future` as a real task (`task::core::Task`) scheduled on this queue.
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let task = crate::task::core::Task::new(future, self.clone());
        self.schedule(task.clone(), false);
        JoinHandle::new(task)
    }

    /// Pops one task and runs it like a worker (`RawTask::run`). False if the queue was empty.
    pub fn run_next(&self) -> bool {
        let t = lock(&self.0.queue).pop_front();
        match t {
            Some(t) => {
                t.run();
                true
            }
            None => false,
        }
    }

    /// Runs tasks until the queue is empty; returns how many runs.
    pub fn run_all(&self) -> usize {
        let mut n = 0;
        while self.run_next() {
            n += 1;
        }
        n
    }

    /// Shutdown of every queued task (`RawTask::shutdown`).
    pub fn shutdown_all(&self) {
        loop {
            let t = lock(&self.0.queue).pop_front();
            match t {
                Some(t) => t.shutdown(),
                None => break,
            }
        }
    }

    pub fn len(&self) -> usize {
        lock(&self.0.queue).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn scheduled(&self) -> usize {
        self.0.scheduled.load(SeqCst)
    }

    pub fn released(&self) -> usize {
        self.0.released.load(SeqCst)
    }
}

// ----- worker parking and remote arming -----

/// A one-worker runtime without its thread: the caller plays worker 0 (`park`, maintenance
/// turns), other threads arm through the real routing code (`time::arm::arm_entry`).
pub struct OneWorker {
    shared: Arc<Shared>,
    worker: Worker,
}

/// What other threads hold: the runtime's shared state.
#[derive(Clone)]
pub struct Remote(Arc<Shared>);

impl OneWorker {
    #[allow(clippy::new_without_default)]
    pub fn new() -> OneWorker {
        let local = Local::new();
        let parker = Parker::new();
        let shared = Arc::new(Shared::new(
            vec![local.stealer()].into_boxed_slice(),
            vec![parker.unparker()].into_boxed_slice(),
            Clock::new(Duration::from_millis(1)),
            None,
        ));
        let worker = Worker::new(0, shared.clone(), local, parker);
        OneWorker { shared, worker }
    }

    pub fn remote(&self) -> Remote {
        Remote(self.shared.clone())
    }

    /// Worker 0 arms a callback on its own shard (staging buffer).
    pub fn owner_arm<F: FnOnce() + Send + 'static>(&self, tick: u64, f: F) -> Timer {
        let shard = &self.shared.shards[0];
        let e = Entry::new_callback(tick, 0, f);
        shard.owner_arm(e.clone(), tick, &mut Due::new());
        Timer::new(e, shard.clone())
    }

    /// The worker's sleep protocol (`Worker::park`): register, re-check, park.
    pub fn park(&self) {
        self.worker.park();
    }

    /// Worker 0's maintenance turn without advancing; returns the shard's next due tick.
    pub fn owner_turn(&self) -> u64 {
        self.shared.shards[0].owner_turn(None, &mut Due::new())
    }
}

impl Remote {
    /// Arms a callback on worker 0's shard from this (non-worker) thread, through the real
    /// routing: inbox push, `parked_until` check, unpark (`time::arm::arm_entry`).
    pub fn arm<F: FnOnce() + Send + 'static>(&self, tick: u64, f: F) -> Timer {
        let e = Entry::new_callback(tick, 0, f);
        crate::time::arm::arm_entry(&self.0, 0, e.clone(), tick);
        Timer::new(e, self.0.shards[0].clone())
    }
}

// ----- whole runtime -----

/// Watches whether a runtime's shared state was freed (no task or handle keeps it alive).
pub struct SharedProbe(std::sync::Weak<Shared>);

impl SharedProbe {
    pub fn new(handle: &Handle) -> SharedProbe {
        SharedProbe(Arc::downgrade(&handle.shared))
    }
    pub fn is_freed(&self) -> bool {
        self.0.strong_count() == 0
    }
}

// ----- create_future -----

/// `Handle::create_future` without a runtime (it needs none): the real Promise/Deferred pair.
pub fn promise_pair<T: Send + 'static>() -> (crate::Promise<T>, crate::Deferred<T>) {
    crate::future::pair()
}

// ----- another executor (issue 10) -----

/// Drives `future` on this thread with a plain loom-visible parker, outside any runtime's
/// context: "another executor" awaiting a spindle future.
pub fn foreign_block_on<F: std::future::Future>(future: F) -> F::Output {
    crate::runtime::block_on::run(future)
}
