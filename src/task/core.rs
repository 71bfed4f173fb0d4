//! The task cell: future or output, state, join waker, scheduler; one allocation.

use super::coop;
use super::error::JoinError;
use super::join::JoinOps;
use super::state::{OnWake, State, ToIdle, ToRunning};
use super::{Header, RawTask, Schedule};
use crate::loom::cell::UnsafeCell;
use crate::loom::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use crate::loom::sync::{lock, Arc, Mutex};
use futures::task::{waker_ref, ArcWake};
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

enum Stage<F: Future> {
    Running(F),
    Finished(Result<F::Output, JoinError>),
    Consumed,
}

pub(crate) struct Task<F: Future, S> {
    header: Header,
    scheduler: S,
    stage: UnsafeCell<Stage<F>>,
    join_waker: Mutex<Option<Waker>>,
}

// SAFETY: the future and output are only touched by the thread that holds RUNNING, or by the
// JoinHandle after COMPLETE (see `state`), so sharing the cell between threads never gives two
// threads access at once; moving the values between threads needs `F: Send, F::Output: Send`.
unsafe impl<F: Future + Send, S: Sync> Sync for Task<F, S> where F::Output: Send {}
// SAFETY: as above.
unsafe impl<F: Future + Send, S: Send> Send for Task<F, S> where F::Output: Send {}

impl<F, S> Task<F, S>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    pub(crate) fn new(future: F, scheduler: S) -> Arc<Self> {
        Arc::new(Task {
            header: Header {
                state: State::new(),
                owned_key: AtomicUsize::new(usize::MAX),
            },
            scheduler,
            stage: UnsafeCell::new(Stage::Running(future)),
            join_waker: Mutex::new(None),
        })
    }

    /// Polls the future once. Caller holds RUNNING.
    fn poll_future(self: &Arc<Self>) -> Result<Poll<F::Output>, Box<dyn std::any::Any + Send>> {
        let waker = waker_ref(self);
        let mut cx = Context::from_waker(&waker);
        catch_unwind(AssertUnwindSafe(|| {
            coop::budget(|| {
                // SAFETY: we hold RUNNING, so we have exclusive access to the stage; the
                // future lives inside the Arc allocation and is never moved until dropped
                // in place, so pinning it is sound.
                self.stage.with_mut(|stage| unsafe {
                    match &mut *stage {
                        Stage::Running(f) => Pin::new_unchecked(f).poll(&mut cx),
                        _ => unreachable!("polled a task whose future is gone"),
                    }
                })
            })
        }))
    }

    /// Replaces the stage, catching a panic in the old value's destructor (the task's output
    /// or future may panic on drop; the worker must survive it).
    fn set_stage(&self, new: Stage<F>) -> Option<Box<dyn std::any::Any + Send>> {
        // SAFETY: callers hold RUNNING (or are the JoinHandle after COMPLETE), which gives
        // exclusive access to the stage.
        let old = self
            .stage
            .with_mut(|stage| unsafe { std::mem::replace(&mut *stage, new) });
        catch_unwind(AssertUnwindSafe(move || drop(old))).err()
    }

    /// `set_stage`, swallowing a panic of the old value's `Drop` (its payload, which may
    /// itself panic on drop, is disposed of safely).
    fn drop_stage(&self, new: Stage<F>) {
        if let Some(p) = self.set_stage(new) {
            crate::util::panic::dispose(p);
        }
    }

    /// Stores the result and publishes COMPLETE. Caller holds RUNNING.
    fn complete(self: &Arc<Self>, result: Result<F::Output, JoinError>) {
        if let Some(panic) = self.set_stage(Stage::Finished(result)) {
            // The future panicked while being dropped after producing its output: report the
            // panic instead, like a panic during poll.
            self.drop_stage(Stage::Finished(Err(JoinError::panic(panic))));
        }
        let prev = self.header.state.transition_to_complete();
        if !prev.has_join_interest() {
            // Nobody will read the output: drop it here (a panic in its Drop is swallowed).
            self.drop_stage(Stage::Consumed);
        } else if prev.has_join_waker() {
            // Taken under the lock, woken after it is released (the waker is user code and
            // must not run under a spindle lock), and contained: a panicking waker of another
            // executor must not take the worker down.
            let w = lock(&self.join_waker).take();
            if let Some(w) = w {
                crate::util::panic::contain(|| w.wake());
            }
        }
        self.scheduler.release(&self.header);
    }

    /// Drops the future and completes as cancelled. Caller holds RUNNING.
    fn cancel(self: &Arc<Self>) {
        // A panic while dropping the future is swallowed: the task is cancelled either way.
        self.drop_stage(Stage::Consumed);
        self.complete(Err(JoinError::cancelled()));
    }

    fn wake(self: &Arc<Self>) {
        if self.header.state.transition_to_notified() == OnWake::Submit {
            self.scheduler.schedule(self.clone());
        }
    }
}

impl<F, S> ArcWake for Task<F, S>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    fn wake_by_ref(arc_self: &Arc<Self>) {
        arc_self.wake();
    }
}

impl<F, S> RawTask for Task<F, S>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    fn header(&self) -> &Header {
        &self.header
    }

    fn run(self: Arc<Self>) {
        match self.header.state.transition_to_running() {
            ToRunning::Ignore => return,
            ToRunning::Cancel => return self.cancel(),
            ToRunning::Poll => {}
        }
        match self.poll_future() {
            Ok(Poll::Pending) => {
                // Relaxed: written only by the holder of RUNNING (us, or an earlier runner
                // whose writes the RUNNING handoff made visible).
                if self.header.owned_key.load(Relaxed) == usize::MAX
                    && !self.scheduler.register(self.clone())
                {
                    // Closed: nobody would ever run or drop it; drop the future now.
                    return self.cancel();
                }
                if self.header.state.transition_to_idle() == ToIdle::Reschedule {
                    // No reference into the task allocation is passed along with the last
                    // `Arc` (another worker may run and free the task during the call):
                    // `reschedule` copies out what it needs before moving the task on.
                    let sched: *const S = &self.scheduler;
                    // SAFETY: `sched` points into the task, which `self` keeps alive until it
                    // is moved into the call; `reschedule`'s contract is to read through it
                    // only before handing the task on.
                    unsafe { S::reschedule(sched, self) };
                }
            }
            Ok(Poll::Ready(out)) => self.complete(Ok(out)),
            Err(panic) => {
                // Drop the future first (it may hold locks or resources), then report.
                self.drop_stage(Stage::Consumed);
                self.complete(Err(JoinError::panic(panic)));
            }
        }
    }

    fn shutdown(self: Arc<Self>) {
        if self.header.state.transition_to_shutdown() {
            self.cancel();
        }
    }
}

impl<F, S> JoinOps<F::Output> for Task<F, S>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    fn poll_join(&self, cx: &mut Context<'_>) -> Poll<Result<F::Output, JoinError>> {
        if !self.header.state.load().is_complete() {
            // Store the waker, then announce it; the RMW orders us against completion. The old
            // waker is dropped after the lock is released (a waker's Drop is user code).
            let waker = cx.waker().clone();
            let old = lock(&self.join_waker).replace(waker);
            drop(old);
            if !self.header.state.set_join_waker().is_complete() {
                return Poll::Pending;
            }
        }
        // SAFETY: COMPLETE is set and we (the JoinHandle) hold JOIN_INTEREST: the stage is
        // ours alone.
        let stage = self
            .stage
            .with_mut(|s| unsafe { std::mem::replace(&mut *s, Stage::Consumed) });
        match stage {
            Stage::Finished(result) => Poll::Ready(result),
            _ => panic!("JoinHandle polled after it returned Ready"),
        }
    }

    fn drop_join(&self) {
        // seeded fault (loom only): `DropJoinIgnoresComplete` drops the stage unconditionally.
        let ignore_complete =
            crate::loom::fault::is(crate::loom::fault::Fault::DropJoinIgnoresComplete);
        if self.header.state.drop_join_interest().is_complete() || ignore_complete {
            // We own the unread output; drop it (a panic in its Drop is swallowed).
            self.drop_stage(Stage::Consumed);
        }
    }

    fn abort(self: Arc<Self>) {
        if self.header.state.transition_to_cancelled() == OnWake::Submit {
            self.scheduler.schedule(self.clone());
        }
    }

    fn is_finished(&self) -> bool {
        self.header.state.load().is_complete()
    }
}
