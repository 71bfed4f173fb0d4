//! Internals exposed to the `loom-tests` crate. Compiled only under `cfg(loom)`; not part of
//! the public API (`#[doc(hidden)]`). Each item wraps the real code the runtime uses: the
//! wrappers only build the pieces and call their methods, the protocol steps are the crate's.
#![allow(missing_docs, missing_debug_implementations, unreachable_pub)]

use crate::loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use crate::loom::sync::{lock, Arc, Mutex};
use crate::scheduler::worker::Worker;
use crate::scheduler::Shared;
use crate::task::{RawTask, Schedule};
use crate::time::clock::Clock;
use crate::time::entry::Entry;
use crate::time::pool::EntryRef;
use crate::time::shard::{self, DueSink, Op};
use crate::util::parker::Parker;
use crate::util::queue::Local;
use crate::{Handle, JoinHandle, TimerHandle};
use std::collections::VecDeque;
use std::future::Future;
use std::time::{Duration, Instant};

pub use crate::loom::fault::Fault;

/// Seeds `fault` into the real code for models run on this thread until the guard drops.
pub fn seed(fault: Fault) -> impl Drop {
    crate::loom::fault::seed(Some(fault))
}

// ----- timers -----

/// Runs a QUEUED callback entry as a worker does (`Worker::run_callback`). Returns whether
/// this call won the entry and ran the closure.
fn run_entry(e: &Entry) -> bool {
    let Some(f) = e.start_firing() else {
        return false;
    };
    f.call();
    e.finish_firing();
    true
}

/// Due callback entries handed out by a maintenance turn or a thief (a worker's run queue).
#[derive(Default)]
pub struct Due(Vec<EntryRef>);

impl DueSink for Due {
    fn queued(&mut self, entry: EntryRef) {
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
    entry: EntryRef,
    handle: TimerHandle,
}

impl Timer {
    fn new(entry: EntryRef, shard: Arc<shard::Shard>) -> Timer {
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

    /// Another `TimerHandle` to the same timer (a clone, as user code makes one).
    pub fn handle(&self) -> TimerHandle {
        self.handle.clone()
    }

    /// The address of the entry's pooled block (to see the pool reuse it).
    pub fn block(&self) -> usize {
        EntryRef::as_ptr(&self.entry) as usize
    }

    /// References to the entry held by the runtime side (staging, inbox, wheel, queues).
    pub fn runtime_refs(&self) -> usize {
        // One for `entry`, one inside `handle`.
        EntryRef::count(&self.entry) - 2
    }
}

/// A `call_every` entry: the real entry steps a worker takes (`scheduler::periodic::run`), with
/// the ticks passed in by the model.
pub struct Periodic {
    entry: EntryRef,
    handle: TimerHandle,
}

impl Periodic {
    /// A periodic entry due at `tick`, not armed on any shard.
    pub fn unarmed<F: FnMut() + Send + 'static>(tick: u64, f: F) -> Periodic {
        let entry = Entry::new_periodic(tick, 0, Instant::now(), Duration::from_millis(1), f);
        let shard = Arc::new(shard::Shard::new(Parker::new().unparker()));
        let handle = TimerHandle::new(entry.clone(), shard, Instant::now());
        Periodic { entry, handle }
    }

    /// `TimerHandle::cancel` from another thread.
    pub fn cancel(&self) -> bool {
        self.handle.cancel()
    }

    /// One run as a worker makes it: due at `now`, QUEUED -> FIRING, call in place, re-arm
    /// for `now + 1`. `None` if it did not run; `Some(true)` if the runner must push it back
    /// to its shard, `Some(false)` if the run ended it (cancelled during the run).
    pub fn run_once(&self, now: u64) -> Option<bool> {
        if self.entry.on_due(now) != crate::time::entry::Due::Queued || !self.entry.start_periodic()
        {
            return None;
        }
        let _ = self.entry.call_periodic();
        Some(self.entry.rearm(now + 1) == crate::time::entry::Rearm::Push)
    }

    pub fn is_cancelled(&self) -> bool {
        self.handle.is_cancelled()
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
        self.owner().arm(e.clone(), tick, due);
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
        self.owner().turn(now, due)
    }

    /// An idle worker fires the owner's overdue timers (`Shard::steal_overdue`).
    pub fn steal_overdue(&self, now: u64, due: &mut Due) -> bool {
        self.0.steal_overdue(now, due)
    }

    pub fn next_due(&self) -> u64 {
        self.0.next_due()
    }

    pub fn close(&self) {
        self.owner().close()
    }

    /// The model plays the owner thread: the owner side, for the call at hand.
    fn owner(&self) -> crate::time::owner::ShardOwner {
        crate::time::owner::ShardOwner::new(self.0.clone())
    }
}

/// Whether `h` still designates the timer it was made for (its block's generation is the one
/// it recorded: pool invariant P5).
pub fn handle_is_current(h: &TimerHandle) -> bool {
    h.current()
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
    fn schedule(&self, task: Arc<dyn RawTask>) {
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
        self.schedule(task.clone());
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
/// turns), other threads arm through the real routing code (`scheduler::arm::arm_entry`).
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
            crate::blocking::Pool::new(Default::default(), "loom".into()),
        ));
        let worker = Worker::new(0, shared.clone(), local, parker);
        OneWorker { shared, worker }
    }

    pub fn remote(&self) -> Remote {
        Remote(self.shared.clone())
    }

    /// Worker 0 arms a callback on its own shard (staging buffer).
    pub fn owner_arm<F: FnOnce() + Send + 'static>(&self, tick: u64, f: F) -> Timer {
        let e = Entry::new_callback(tick, 0, f);
        self.worker.owner.arm(e.clone(), tick, &mut Due::new());
        Timer::new(e, self.shared.remotes[0].shard.clone())
    }

    /// The worker's sleep protocol (`Worker::park`): register, re-check, park.
    pub fn park(&self) {
        self.worker.park();
    }

    /// Worker 0's maintenance turn without advancing; returns the shard's next due tick.
    pub fn owner_turn(&self) -> u64 {
        self.worker.owner.turn(None, &mut Due::new())
    }
}

impl Remote {
    /// Arms a callback on worker 0's shard from this (non-worker) thread, through the real
    /// routing: inbox push, `parked_until` check, unpark (`scheduler::arm::arm_entry`).
    pub fn arm<F: FnOnce() + Send + 'static>(&self, tick: u64, f: F) -> Timer {
        let e = Entry::new_callback(tick, 0, f);
        crate::scheduler::arm::arm_entry(&self.0, 0, &e, tick);
        Timer::new(e, self.0.remotes[0].shard.clone())
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

// ----- virtual time: the quiet decision -----

/// The real quiet protocol (`scheduler::quiet`): the agent count, the token/commit decision
/// and the `block_on` thread's wake accounting, with a stand-in for the runtime.
pub struct QuietProbe(crate::scheduler::quiet::Quiet);

/// A `block_on` thread's accounting (`scheduler::quiet::Agent`), as its waker and its loop use it.
pub struct AgentProbe(crate::scheduler::quiet::Agent);

/// The runtime as the decision sees it: `busy`, `plan` (whether a quiet runtime would move
/// the clock) and `apply` (the move).
pub struct WorldProbe {
    /// `World::may_plan` (the runtime: the clock is paused).
    pub may_plan: Box<dyn Fn() -> bool + Send + Sync>,
    pub busy: Box<dyn Fn() -> bool + Send + Sync>,
    pub plan: Box<dyn Fn() -> bool + Send + Sync>,
    pub apply: Box<dyn Fn() + Send + Sync>,
}

impl crate::scheduler::quiet::World for WorldProbe {
    type Plan = ();
    fn may_plan(&self) -> bool {
        (self.may_plan)()
    }
    fn busy(&self) -> bool {
        (self.busy)()
    }
    fn plan(&self) -> Option<()> {
        (self.plan)().then_some(())
    }
    fn apply(&self, _: ()) {
        (self.apply)()
    }
}

impl QuietProbe {
    /// `agents` agents, all running.
    pub fn new(agents: usize) -> QuietProbe {
        QuietProbe(crate::scheduler::quiet::Quiet::new(agents))
    }
    /// A worker returns from park.
    pub fn enter(&self) {
        self.0.enter()
    }
    /// A worker parks (`scheduler::pause::worker_idle`): leave, and decide if last.
    pub fn leave_and_settle(&self, world: &WorldProbe) {
        crate::scheduler::quiet::leave_and_settle(&self.0, world)
    }
    /// `Handle::pause`'s kick (`quiet::kick`): act as an agent for a moment, and decide.
    pub fn kick(&self, world: &WorldProbe) {
        crate::scheduler::quiet::kick(&self.0, world)
    }
    /// A `block_on` thread that is running (counted by the caller's `new`).
    pub fn agent(&self) -> AgentProbe {
        AgentProbe(crate::scheduler::quiet::Agent::new_runnable())
    }
    /// Its waker (before the unpark).
    pub fn wake(&self, a: &AgentProbe) {
        a.0.wake(&self.0)
    }
    /// It returns from park.
    pub fn resume(&self, a: &AgentProbe, world: &WorldProbe) {
        if let Some(t) = a.0.resume(&self.0) {
            crate::scheduler::quiet::settle(&self.0, t, world);
        }
    }
    /// Its future returned `Pending`: stop counting, decide if last (`runtime::block_on`).
    /// Returns whether it stopped counting (not if a wake came while it ran).
    pub fn idle_and_settle(&self, a: &AgentProbe, world: &WorldProbe) -> bool {
        if let Some(t) = a.0.idle(&self.0) {
            crate::scheduler::quiet::settle(&self.0, t, world);
        }
        !a.0.is_counted()
    }
    /// Its future is Ready: `block_on` returns (`runtime::block_on`'s `Finish`).
    pub fn finish_and_settle(&self, a: &AgentProbe, world: &WorldProbe) {
        if let Some(t) = a.0.finish(&self.0) {
            crate::scheduler::quiet::settle(&self.0, t, world);
        }
    }
}

// ----- the I/O driver in the park (`io::park`) -----

/// A one-worker runtime whose worker waits in the (loom stand-in) I/O poller when it parks:
/// the caller plays worker 0, other threads arm timers, unpark it or post I/O events.
pub struct IoWorker {
    shared: Arc<Shared>,
    worker: Worker,
}

/// What other threads hold to reach an [`IoWorker`].
#[derive(Clone)]
pub struct IoRemote(Arc<Shared>);

/// A registered socket's readiness (the real `ScheduledIo`) with a reader waker that records
/// being woken.
#[derive(Clone)]
pub struct IoSource {
    io: Arc<crate::io::scheduled::ScheduledIo>,
    woken: Arc<WokenFlag>,
}

struct WokenFlag(crate::loom::sync::atomic::AtomicBool);

impl futures::task::ArcWake for WokenFlag {
    fn wake_by_ref(arc_self: &Arc<Self>) {
        arc_self.0.store(true, SeqCst);
    }
}

impl IoWorker {
    #[allow(clippy::new_without_default)]
    pub fn new() -> IoWorker {
        let driver = crate::io::driver::Driver::new().unwrap();
        let local = Local::new();
        let parker = Parker::with_io_waker(Some(driver.waker()));
        let shared = Arc::new(
            Shared::new(
                vec![local.stealer()].into_boxed_slice(),
                vec![parker.unparker()].into_boxed_slice(),
                Clock::new(Duration::from_millis(1)),
                None,
                crate::blocking::Pool::new(Default::default(), "loom".into()),
            )
            .with_io(Some(driver)),
        );
        let worker = Worker::new(0, shared.clone(), local, parker);
        IoWorker { shared, worker }
    }

    pub fn remote(&self) -> IoRemote {
        IoRemote(self.shared.clone())
    }

    /// The real `Worker::park`: register, re-check, then wait in the poller (this worker is
    /// the only one, so it always wins the poll token).
    pub fn park(&self) {
        self.worker.park();
    }

    /// A socket that is not readable yet (its optimistic first readiness already consumed
    /// by a `WouldBlock`), with a reader whose waker records being woken.
    pub fn source(&self) -> IoSource {
        let woken = Arc::new(WokenFlag(crate::loom::sync::atomic::AtomicBool::new(false)));
        let io = Arc::new(crate::io::scheduled::ScheduledIo::new());
        let s = IoSource { io, woken };
        let seen = s
            .poll_ready()
            .expect("a fresh registration starts readable");
        s.io.clear(seen);
        s
    }

    /// Worker 0's maintenance turn without advancing; returns the shard's next due tick.
    pub fn owner_turn(&self) -> u64 {
        self.worker.owner.turn(None, &mut Due::new())
    }
}

impl IoRemote {
    /// Arms a callback on worker 0's shard from this thread (inbox push, `parked_until`
    /// check, unpark: through the poller's waker if worker 0 waits in the poller).
    pub fn arm<F: FnOnce() + Send + 'static>(&self, tick: u64, f: F) -> Timer {
        let e = Entry::new_callback(tick, 0, f);
        crate::scheduler::arm::arm_entry(&self.0, 0, &e, tick);
        Timer::new(e, self.0.remotes[0].shard.clone())
    }

    /// The OS reports `source` readable (the poller's next wait returns with it).
    pub fn post_readable(&self, source: &IoSource) {
        let driver = self.0.io.as_ref().expect("an IoWorker has a driver");
        driver.post_event(source.io.clone(), crate::io::scheduled::READABLE);
    }
}

impl IoSource {
    fn poll_ready(&self) -> Option<crate::io::scheduled::ReadyEvent> {
        let waker = futures::task::waker(self.woken.clone());
        let mut cx = std::task::Context::from_waker(&waker);
        match self
            .io
            .poll_ready(&mut cx, crate::io::scheduled::Direction::Read)
        {
            std::task::Poll::Ready(r) => Some(r.unwrap()),
            std::task::Poll::Pending => None,
        }
    }

    /// A reader task's readiness check (`ScheduledIo::poll_ready`: look, register the waker,
    /// look again). True if readable now; otherwise the waker is registered.
    pub fn poll_read_ready(&self) -> bool {
        self.poll_ready().is_some()
    }

    /// Whether the reader's waker was woken (by the poller's dispatch).
    pub fn was_woken(&self) -> bool {
        self.woken.0.load(SeqCst)
    }
}

// ----- another executor (issue 10) -----

/// Drives `future` on this thread with a plain loom-visible parker, outside any runtime's
/// context: "another executor" awaiting a spindle future.
pub fn foreign_block_on<F: std::future::Future>(future: F) -> F::Output {
    struct Unpark(crate::util::parker::Unparker);
    impl std::task::Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let parker = crate::util::parker::Parker::new();
    let waker = std::task::Waker::from(Arc::new(Unpark(parker.unparker())));
    let mut cx = std::task::Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let std::task::Poll::Ready(v) = future.as_mut().poll(&mut cx) {
            return v;
        }
        parker.park(None);
    }
}

// ----- spindle's own SeqCst fences (issue 10: `loom-tests/tests/fences.rs`) -----

impl Shard {
    /// Shutdown of a stuck owner's shard from the shutting-down thread (`Shard::close_outside`).
    pub fn close_outside(&self) {
        self.0.close_outside()
    }
}

impl OneWorker {
    /// A one-worker runtime whose blocking pool is at its limit (every thread busy, modelled
    /// as a limit of 0: a submit starts no thread, its task waits in the queue).
    pub fn with_pool_at_limit() -> OneWorker {
        OneWorker::with_pool(0, Duration::from_secs(10))
    }

    /// A one-worker runtime whose blocking pool starts at most `max_threads` threads, each
    /// exiting after `keep_alive` idle (zero: as soon as it finds the queue empty).
    pub fn with_pool(max_threads: usize, keep_alive: Duration) -> OneWorker {
        let local = Local::new();
        let parker = Parker::new();
        let settings = crate::blocking::Settings {
            max_threads,
            keep_alive,
            ..Default::default()
        };
        let shared = Arc::new(Shared::new(
            vec![local.stealer()].into_boxed_slice(),
            vec![parker.unparker()].into_boxed_slice(),
            Clock::new(Duration::from_millis(1)),
            None,
            crate::blocking::Pool::new(settings, "loom".into()),
        ));
        let worker = Worker::new(0, shared.clone(), local, parker);
        OneWorker { shared, worker }
    }

    /// Shutdown step 1 (`Shared::begin_shutdown`): set `closed`, wake every worker.
    pub fn begin_shutdown(&self) {
        self.shared.begin_shutdown()
    }

    /// Worker 0 exits and closes its shard (`Shard::close`, as `Worker::exit` does).
    pub fn close_shard(&self) {
        self.worker.owner.close()
    }

    /// The shutting-down thread closes worker 0's shard from outside (`Shard::close_outside`,
    /// as `finish_shutdown` does for a worker stuck past `shutdown_timeout`).
    pub fn close_shard_outside(&self) {
        self.shared.remotes[0].shard.close_outside()
    }

    /// Worker 0 has exited (its `ExitGuard`: counted out), as before step 3 of a shutdown
    /// whose workers all exited.
    pub fn worker_exited(&self) {
        self.shared.worker_exited()
    }

    /// Shutdown step 3 (`Shared::finish_shutdown`): cancel what is left, drain the injector.
    /// Without `worker_exited` first, worker 0 counts as stuck past `shutdown_timeout` (its
    /// queue is stolen and its shard closed from outside).
    pub fn finish_shutdown(&self) {
        self.shared.finish_shutdown()
    }

    /// Shutdown of the blocking pool (`Pool::close`): `closed`, drain, wake its threads.
    pub fn close_pool(&self) {
        self.shared.blocking.close()
    }

    /// After `close_pool`: waits until every pool thread exited (`Pool::wait`).
    pub fn wait_pool(&self) {
        self.shared.blocking.wait(None);
    }
}

impl Remote {
    /// `call_soon` from this (non-worker) thread: a QUEUED entry through the injector
    /// (`Shared::push_remote`: push, fence, notify, `closed` re-check).
    pub fn call_soon<F: FnOnce() + Send + 'static>(&self, f: F) -> TimerHandle {
        crate::scheduler::arm::call_soon(&self.0, Instant::now(), f)
    }

    /// `spawn_blocking` from this thread (`Pool::submit`: push, fence, `closed` re-check).
    pub fn spawn_blocking<F: FnOnce() + Send + 'static>(&self, f: F) -> JoinHandle<()> {
        crate::blocking::task::spawn(&self.0, f)
    }
}

// ----- two workers (issue 10: `loom-tests/tests/two_workers.rs`) -----

/// One worker of a two-worker runtime without its thread: the caller plays it (arms on its
/// own shard as its thread would, decides to park with `handshake::decide`, retracts).
pub struct WorkerSide {
    shared: Arc<Shared>,
    worker: Worker,
}

/// What `handshake::decide` concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Park {
    /// Work found (or the wake tick is here): the worker runs on.
    Stay,
    /// The worker waits until unparked or until it wakes by itself at tick `wake`.
    Sleep { wake: u64 },
}

/// A two-worker runtime's shared state and both workers, and a handle for other threads.
pub fn two_workers() -> (WorkerSide, WorkerSide, Remote) {
    let locals = [Local::new(), Local::new()];
    let parkers = [Parker::new(), Parker::new()];
    let shared = Arc::new(Shared::new(
        locals.iter().map(|l| l.stealer()).collect(),
        parkers.iter().map(|p| p.unparker()).collect(),
        Clock::new(Duration::from_millis(1)),
        None,
        crate::blocking::Pool::new(Default::default(), "loom".into()),
    ));
    let [l0, l1] = locals;
    let [p0, p1] = parkers;
    let side = |i, local, parker| WorkerSide {
        shared: shared.clone(),
        worker: Worker::new(i, shared.clone(), local, parker),
    };
    let (w0, w1) = (side(0, l0, p0), side(1, l1, p1));
    (w0, w1, Remote(shared))
}

impl WorkerSide {
    /// On the calling thread as this worker: arms a callback at `tick` through the real
    /// routing (`scheduler::arm::arm_entry`: the worker's own shard, so `arm_local`: staging
    /// buffer, `next_due`, and the sleepers' watch, `Shared::watch_deadline`).
    pub fn arm_local<F: FnOnce() + Send + 'static>(&self, tick: u64, f: F) -> Timer {
        let index = self.worker.index;
        crate::scheduler::context::enter_worker(&self.worker, || {
            let e = Entry::new_callback(tick, index as u32, f);
            crate::scheduler::arm::arm_entry(&self.shared, index, &e, tick);
            Timer::new(e, self.shared.remotes[index].shard.clone())
        })
    }

    /// Takes a searching slot (`Idle::try_start_searching`), as a worker whose deque ran
    /// empty does before it searches.
    pub fn start_searching(&self) -> bool {
        self.shared.idle.try_start_searching()
    }

    /// The park decision (`handshake::decide`: publish the wake tick, register as a sleeper,
    /// fence, re-check), without the wait.
    pub fn decide(&self, was_searching: bool) -> Park {
        use crate::scheduler::handshake::{decide, ParkDecision};
        match decide(&self.shared, self.worker.index, was_searching) {
            ParkDecision::Stay { .. } => Park::Stay,
            ParkDecision::Sleep { wake, .. } => Park::Sleep { wake },
        }
    }

    /// After a `Sleep` decision: the worker runs again (`handshake::retract`). Returns true
    /// if a notifier had chosen it (removed it from the sleepers and unparked it).
    pub fn retract_was_woken(&self) -> bool {
        !crate::scheduler::handshake::retract(&self.shared, self.worker.index)
    }

    /// Ticks late before idle workers watch this worker's shard (`Shard::grace`).
    pub fn grace(&self) -> u64 {
        self.shared.remotes[self.worker.index].shard.grace()
    }
}
