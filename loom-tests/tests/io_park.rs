//! The I/O driver in the park (`io::park`, `util::parker::park_io`, `io::scheduled`): a
//! worker that decides to wait in the poller vs a timer arm from another thread, and a
//! reader's readiness check vs the poller dispatching an event on the worker's thread. The
//! OS poller is a loom-visible stand-in (`io/driver_loom.rs`); everything else is the real
//! code.
#![cfg(loom)]

use loom::thread;
use spindle::__loom::IoWorker;
use spindle_loom_tests::{model, model_catches_because, Fault};

const EARLY: u64 = 1 << 20;

/// Worker 0 has nothing to do and parks: it registers as a sleeper, re-checks, and waits in
/// the poller (it holds the poll token) with no timeout. Another thread arms a callback on
/// its shard (inbox push, `parked_until` check, unpark). The unpark must reach the worker
/// through the poller's waker: if it is lost the worker waits forever (loom: deadlock).
fn remote_arm_vs_park_in_poller() {
    let w = IoWorker::new();
    let remote = w.remote();
    let arming = thread::spawn(move || remote.arm(EARLY, || {}));
    w.park();
    assert!(
        w.owner_turn() <= EARLY,
        "the worker missed the new deadline"
    );
    drop(arming.join().unwrap());
}

#[test]
fn remote_arm_vs_park_in_poller_wakes_worker() {
    model(remote_arm_vs_park_in_poller);
}

#[test]
fn remote_arm_vs_park_in_poller_catches_unpark_skipping_io_waker() {
    model_catches_because(
        Fault::UnparkSkipsIoWaker,
        "deadlock",
        remote_arm_vs_park_in_poller,
    );
}

#[test]
fn remote_arm_vs_park_in_poller_catches_park_without_announce() {
    model_catches_because(
        Fault::ParkIoSkipsAnnounce,
        "deadlock",
        remote_arm_vs_park_in_poller,
    );
}

/// The worker (on its own thread) parks in the poller and dispatches a readable event that
/// this thread posted; meanwhile this thread, as the reader task, checks readiness. Either
/// the reader saw it readable or its waker was woken: an event is never lost between the
/// reader's look and its waker registration.
fn readiness_check_vs_dispatch() {
    let w = IoWorker::new();
    let source = w.source();
    let remote = w.remote();
    let worker = thread::spawn(move || w.park());
    remote.post_readable(&source);
    let ready = source.poll_read_ready();
    worker.join().unwrap();
    assert!(
        ready || source.was_woken(),
        "readiness lost: not ready, and the waker was never woken"
    );
}

#[test]
fn readiness_check_vs_dispatch_is_never_lost() {
    model(readiness_check_vs_dispatch);
}

#[test]
fn readiness_check_vs_dispatch_catches_missing_recheck() {
    model_catches_because(
        Fault::PollReadySkipsRecheck,
        "readiness lost",
        readiness_check_vs_dispatch,
    );
}
