//! The blocking pool: threads for `spawn_blocking`, started on demand up to
//! `max_blocking_threads`, exiting after `thread_keep_alive` idle.
//!
//! No submitter takes a lock (tokio#8470 measures what one mutex around the queue costs under
//! many submitters). The parts:
//!
//! ```text
//!   queue: Injector<task>      MPMC, lock-free (crossbeam)
//!   idle:  Injector<Slot>      threads that went idle (may hold stale copies, see below)
//!   Slot:  state BUSY | IDLE | NOTIFIED | EXITED, plus the thread's own parker
//!   alive: threads started and not exiting (the spawn budget, at most `max`)
//! ```
//!
//! Procedures (every step on `state`, `alive` and the fences is SeqCst):
//! - **submit** (S1) push the task; fence. (S2) pop slots from `idle` until one CAS
//!   IDLE -> NOTIFIED succeeds: unpark that thread, done; slots in any other state are stale
//!   and dropped. (S3) none: take a unit of `alive` if below `max` and start a thread. (S4)
//!   at `max`: nothing; every thread is busy and pops the queue before it goes idle.
//! - **thread** (T1) pop and run tasks until the queue is empty. (T2) state := IDLE, push its
//!   slot onto `idle`; fence. (T3) re-check the queue: if non-empty, state := BUSY (whether
//!   or not a submitter notified it meanwhile: it is awake either way) and go to T1; the
//!   slot left in `idle` is stale, and the CAS of S2 skips it. (T4) park until unparked or `keep_alive`; NOTIFIED
//!   -> BUSY and go to T1; still IDLE after the keep-alive: CAS IDLE -> EXITED, give back a
//!   unit of `alive`; fence; (T5) re-check the queue: if non-empty and a unit of `alive` can
//!   be taken back, go to T1, else exit.
//!
//! **No lost wakeup.** Take a task X pushed at S1 and a thread T. By the total order of the
//! SeqCst fences, either S2 runs after T2 (S2 finds T's slot: IDLE means S2 notifies T; BUSY
//! means T reclaimed itself at T3 or was notified, and will pop at T1; EXITED means T is at
//! T4/T5, and then the next case applies to `alive`) or T3 runs after S1 (T sees X and
//! stays). For an exiting thread the pair is `alive` and the queue: either S3 reads the
//! decremented `alive` (and starts a thread), or T5 sees X (and stays). A thread that is busy
//! during S2 pops X at T1 when its task is done. So X is always taken, and while the pool is
//! below `max`, X never waits behind another task: S2 or S3 gives it a thread of its own.
//! Duplicate slots of one thread are harmless: the CAS on its one `state` lets at most one
//! submitter notify it per idle period.
//!
//! **Shutdown**: set `closed`, drain the queue (each task is cancelled: its JoinHandle
//! resolves to cancelled), unpark every thread, and wait (bounded or not) until the threads
//! that run a task have finished it and exited. A submit that races with the drain sees
//! `closed` after its push and drains the queue itself.

use super::hooks;
use super::Settings;
use crate::loom::sync::atomic::{fence, AtomicBool, AtomicU8, AtomicUsize, Ordering::*};
use crate::loom::sync::{lock, Arc, Condvar, Mutex};
use crate::loom::thread;
use crate::scheduler::context;
use crate::scheduler::Shared;
use crate::task::RawTask;
use crate::util::parker::{Parker, Unparker};
use crate::util::queue::Injector;
use std::cell::Cell;
use std::time::Instant;

const BUSY: u8 = 0;
const IDLE: u8 = 1;
const NOTIFIED: u8 = 2;
const EXITED: u8 = 3;

/// One pool thread as the others see it.
struct Slot {
    state: AtomicU8,
    unparker: Unparker,
}

/// Threads alive for the shutdown wait (touched at thread start and exit only).
struct Threads {
    running: usize,
    slots: Vec<Arc<Slot>>,
    next_id: usize,
}

pub(crate) struct Pool {
    settings: Settings,
    thread_name: String,
    queue: Injector<Arc<dyn RawTask>>,
    /// Tasks pushed and not yet popped (the `blocking_queue_depth` metric).
    queued: AtomicUsize,
    idle: Injector<Arc<Slot>>,
    /// Threads idle (the `blocking_idle_threads` metric); each thread adds itself after
    /// pushing its slot and subtracts itself when it leaves IDLE, so it never underflows.
    num_idle: AtomicUsize,
    /// The spawn budget: threads started and not exiting.
    alive: AtomicUsize,
    closed: AtomicBool,
    threads: Mutex<Threads>,
    exited: Condvar,
}

/// A snapshot for `RuntimeMetrics`.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Snapshot {
    pub(crate) threads: usize,
    pub(crate) idle: usize,
    pub(crate) queue_depth: usize,
}

// The pool whose thread this is (null elsewhere): a runtime dropped inside one of its own
// blocking tasks must not wait for that very thread.
crate::loom::thread_local! {
    static CURRENT_POOL: Cell<*const Pool> = Cell::new(std::ptr::null());
}

impl Pool {
    pub(crate) fn new(settings: Settings, thread_name: String) -> Pool {
        Pool {
            settings,
            thread_name,
            queue: Injector::new(),
            queued: AtomicUsize::new(0),
            idle: Injector::new(),
            num_idle: AtomicUsize::new(0),
            alive: AtomicUsize::new(0),
            closed: AtomicBool::new(false),
            threads: Mutex::new(Threads {
                running: 0,
                slots: Vec::new(),
                next_id: 0,
            }),
            exited: Condvar::new(),
        }
    }

    pub(crate) fn settings(&self) -> &Settings {
        &self.settings
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(SeqCst)
    }

    pub(crate) fn snapshot(&self) -> Snapshot {
        // Relaxed: statistics.
        Snapshot {
            threads: self.alive.load(Relaxed),
            idle: self.num_idle.load(Relaxed),
            queue_depth: self.queued.load(Relaxed),
        }
    }

    /// Submit (S1-S4). `shared` is the runtime this pool belongs to (new threads carry it).
    pub(crate) fn submit(&self, shared: &Arc<Shared>, task: Arc<dyn RawTask>) {
        if self.is_closed() {
            return task.shutdown();
        }
        // Virtual time: a queued or running blocking task holds auto-advance (tokio's rule);
        // counted before the push, uncounted when a pool thread is done with it (`work`).
        crate::scheduler::pause::blocking_task_started(shared);
        // Relaxed: a statistic (decremented by `pop`).
        self.queued.fetch_add(1, Relaxed);
        self.queue.push(task);
        // S1's fence. seeded fault (loom only): `PoolSubmitSkipsFence` leaves it out.
        if !crate::loom::fault::is(crate::loom::fault::Fault::PoolSubmitSkipsFence) {
            fence(SeqCst);
        }
        if self.is_closed() {
            // Shutdown may have drained before our push.
            return self.drain();
        }
        while let Some(slot) = self.idle.pop() {
            if slot
                .state
                .compare_exchange(IDLE, NOTIFIED, SeqCst, SeqCst)
                .is_ok()
            {
                slot.unparker.unpark();
                return;
            }
        }
        if self.take_budget() {
            if let Err(e) = self.start_thread(shared) {
                self.alive.fetch_sub(1, SeqCst);
                eprintln!("spindle: could not start a blocking thread: {e}");
                if self.alive.load(SeqCst) == 0 {
                    // Nobody would ever run it: cancel a queued task rather than hang.
                    if let Some(t) = self.pop() {
                        t.shutdown();
                        crate::scheduler::pause::blocking_task_finished(shared);
                    }
                }
            }
        }
    }

    fn take_budget(&self) -> bool {
        let max = self.settings.max_threads;
        self.alive
            .fetch_update(SeqCst, SeqCst, |a| (a < max).then_some(a + 1))
            .is_ok()
    }

    fn pop(&self) -> Option<Arc<dyn RawTask>> {
        let t = self.queue.pop()?;
        // Relaxed: a statistic.
        self.queued.fetch_sub(1, Relaxed);
        Some(t)
    }

    fn drain(&self) {
        while let Some(t) = self.pop() {
            t.shutdown();
        }
    }

    fn start_thread(&self, shared: &Arc<Shared>) -> std::io::Result<()> {
        let parker = Parker::new();
        let slot = Arc::new(Slot {
            state: AtomicU8::new(BUSY),
            unparker: parker.unparker(),
        });
        let id = {
            let mut t = lock(&self.threads);
            t.running += 1;
            t.slots.push(slot.clone());
            t.next_id += 1;
            t.next_id - 1
        };
        let shared2 = shared.clone();
        let slot2 = slot.clone();
        let started = thread::Builder::new()
            .name(format!("{}-blocking-{id}", self.thread_name))
            .spawn(move || thread_main(shared2, slot2, parker));
        if let Err(e) = started {
            self.thread_exited(&slot);
            return Err(e);
        }
        Ok(())
    }

    /// T1-T5. Returns when the thread must exit.
    fn work(&self, shared: &Shared, slot: &Arc<Slot>, parker: &Parker) {
        loop {
            while !self.is_closed() {
                let Some(task) = self.pop() else { break };
                task.run(); // panics are caught by the task (JoinError::is_panic)
                crate::scheduler::pause::blocking_task_finished(shared);
            }
            if self.is_closed() {
                self.alive.fetch_sub(1, SeqCst);
                return;
            }
            // T2. The metric is this thread's alone (it adds after the push and subtracts
            // when it leaves IDLE by any path), so it never underflows, and a thread it
            // counts as idle can be found in `idle`.
            slot.state.store(IDLE, SeqCst);
            self.idle.push(slot.clone());
            self.num_idle.fetch_add(1, SeqCst);
            // T2's fence. seeded fault (loom only): `PoolIdleSkipsFence` leaves it out.
            if !crate::loom::fault::is(crate::loom::fault::Fault::PoolIdleSkipsFence) {
                fence(SeqCst);
            }
            // T3 (seeded fault (loom only): `PoolIdleSkipsRecheck` parks without looking).
            let recheck = !crate::loom::fault::is(crate::loom::fault::Fault::PoolIdleSkipsRecheck);
            if recheck && !self.queue.is_empty() {
                self.leave_idle(slot);
                continue;
            }
            // T4
            if !self.park_idle(slot, parker) {
                continue; // notified
            }
            // EXITED: T5. The fence is needed although `alive` is an RMW on both sides: a
            // submitter whose `take_budget` CAS failed (pool at `max`) wrote nothing we could
            // read, so only the fences order its push before our re-check (loom:
            // `fences_spawn_blocking_vs_thread_exiting`, with a zero keep-alive).
            self.alive.fetch_sub(1, SeqCst);
            // seeded fault (loom only): `PoolExitSkipsFence` leaves it out.
            if !crate::loom::fault::is(crate::loom::fault::Fault::PoolExitSkipsFence) {
                fence(SeqCst);
            }
            if self.is_closed() || self.queue.is_empty() || !self.take_budget() {
                return;
            }
            slot.state.store(BUSY, SeqCst);
        }
    }

    /// T3: back to BUSY, from IDLE or from NOTIFIED (a submitter's CAS won meanwhile; its
    /// unpark leaves a token that makes a later park return early, which T4 tolerates).
    fn leave_idle(&self, slot: &Slot) {
        slot.state.store(BUSY, SeqCst);
        self.num_idle.fetch_sub(1, SeqCst);
    }

    /// T4: parks until notified (false) or until the keep-alive ran out or the pool closed
    /// and this thread won IDLE -> EXITED (true).
    fn park_idle(&self, slot: &Slot, parker: &Parker) -> bool {
        let deadline = Instant::now().checked_add(self.settings.keep_alive);
        loop {
            if slot.state.load(SeqCst) == NOTIFIED {
                slot.state.store(BUSY, SeqCst);
                self.num_idle.fetch_sub(1, SeqCst);
                return false;
            }
            let expired = deadline.is_some_and(|d| Instant::now() >= d);
            if expired || self.is_closed() {
                if slot
                    .state
                    .compare_exchange(IDLE, EXITED, SeqCst, SeqCst)
                    .is_ok()
                {
                    self.num_idle.fetch_sub(1, SeqCst);
                    return true;
                }
                continue; // notified meanwhile
            }
            parker.park(deadline);
        }
    }

    fn thread_exited(&self, slot: &Arc<Slot>) {
        let mut t = lock(&self.threads);
        t.running -= 1;
        t.slots.retain(|s| !Arc::ptr_eq(s, slot));
        self.exited.notify_all();
    }

    /// Shutdown, first half: refuse new tasks, cancel the queued ones, wake the idle threads.
    pub(crate) fn close(&self) {
        self.closed.store(true, SeqCst);
        // SeqCst fence, spindle's own: with `submit`'s push, fence, `closed` re-check, a
        // Dekker pair, so a submit that missed `closed` pushed before this fence in the
        // single order and the drain finds its task. (It relied on crossbeam's internal
        // SeqCst; the loom queue stand-in has none.) seeded fault (loom only):
        // `PoolCloseSkipsFence` leaves it out.
        if !crate::loom::fault::is(crate::loom::fault::Fault::PoolCloseSkipsFence) {
            fence(SeqCst);
        }
        self.drain();
        while self.idle.pop().is_some() {}
        let slots: Vec<Arc<Slot>> = lock(&self.threads).slots.clone();
        for s in slots {
            s.unparker.unpark();
        }
    }

    /// Shutdown, second half: wait for the threads (those running a task finish it first)
    /// until `deadline`. Returns true if all exited. The calling thread, if it is one of
    /// ours, is not waited for.
    pub(crate) fn wait(&self, deadline: Option<Instant>) -> bool {
        let ours = CURRENT_POOL.with(|p| std::ptr::eq(p.get(), self));
        let others = usize::from(ours);
        let mut t = lock(&self.threads);
        while t.running > others {
            t = match deadline {
                None => self.exited.wait(t).unwrap_or_else(|e| e.into_inner()),
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        return false;
                    }
                    self.exited
                        .wait_timeout(t, d - now)
                        .unwrap_or_else(|e| e.into_inner())
                        .0
                }
            };
        }
        true
    }
}

/// A pool thread: runtime context, start hook, work, stop hook, exit.
fn thread_main(shared: Arc<Shared>, slot: Arc<Slot>, parker: Parker) {
    let pool = &shared.blocking;
    CURRENT_POOL.with(|p| p.set(pool));
    context::enter_runtime_thread(&shared, || {
        hooks::run_start(pool.settings.on_thread_start.as_deref());
        pool.work(&shared, &slot, &parker);
        hooks::run_stop(pool.settings.on_thread_stop.as_deref());
    });
    pool.thread_exited(&slot);
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("snapshot", &self.snapshot())
            .finish()
    }
}
