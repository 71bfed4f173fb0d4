//! Driving a future on a thread outside the workers.
//!
//! The thread is an agent of the quiet protocol (`scheduler::quiet`) while its future is
//! runnable: from the start, and from each wake (the waker counts it before unparking) until
//! the future returns `Pending` again. So a paused clock never moves while the `block_on`
//! future has something to do.

use crate::scheduler::pause::RuntimeWorld;
use crate::scheduler::quiet::{self, Agent};
use crate::scheduler::Shared;
use crate::util::parker::{Parker, Unparker};
use std::future::Future;
use std::pin::pin;
use std::sync::{Arc, Weak};
use std::task::{Context, Poll, Wake, Waker};

struct ThreadWaker {
    unparker: Unparker,
    /// In the waker's own allocation (one `Arc` for both, perf: no second allocation).
    agent: Agent,
    /// Weak: the waker may sit in a timer entry that the runtime itself owns.
    shared: Weak<Shared>,
}

impl ThreadWaker {
    fn wake_thread(&self) {
        // The runtime is reached (an `Arc` upgrade, two RMWs) only to count an idle agent;
        // while `block_on` runs, `run` holds the runtime, so the upgrade succeeds then.
        self.agent.wake_with(|| {
            if let Some(shared) = self.shared.upgrade() {
                shared.vt.quiet.enter();
            }
        });
        self.unparker.unpark();
    }
}

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.wake_thread();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.wake_thread();
    }
}

/// Stops counting the thread when `block_on` returns or unwinds.
struct Finish<'a>(&'a Shared, &'a Agent);

impl Drop for Finish<'_> {
    fn drop(&mut self) {
        if let Some(t) = self.1.finish(&self.0.vt.quiet) {
            quiet::settle(&self.0.vt.quiet, t, &RuntimeWorld(self.0));
        }
    }
}

/// Polls `future` on this thread, parking between polls until its waker is called.
pub(crate) fn run<F: Future>(shared: &Arc<Shared>, future: F) -> F::Output {
    let parker = Parker::new();
    shared.vt.quiet.enter();
    let thread_waker = Arc::new(ThreadWaker {
        unparker: parker.unparker(),
        agent: Agent::new_runnable(),
        shared: Arc::downgrade(shared),
    });
    let agent = &thread_waker.agent;
    let _finish = Finish(shared, agent);
    let waker = Waker::from(thread_waker.clone());
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(v) = future.as_mut().poll(&mut cx) {
            return v;
        }
        if let Some(t) = agent.idle(&shared.vt.quiet) {
            quiet::settle(&shared.vt.quiet, t, &RuntimeWorld(shared));
        }
        parker.park(None);
        if let Some(t) = agent.resume(&shared.vt.quiet) {
            quiet::settle(&shared.vt.quiet, t, &RuntimeWorld(shared));
        }
    }
}
