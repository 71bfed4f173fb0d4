//! Path 10: the "runtime is quiet" decision that moves a paused clock (`scheduler::quiet`),
//! against a concurrent wake.
#![cfg(loom)]

use loom::sync::atomic::{AtomicBool, Ordering::Acquire, Ordering::Release, Ordering::SeqCst};
use loom::sync::{Arc, Notify};
use loom::thread;
use spindle::__loom::{QuietProbe, WorldProbe};
use spindle_loom_tests::{model, model_catches, model_catches_because, Counter, Fault};

/// A worker (agent 1) wakes a `block_on` thread (agent 2, running: it has just polled and
/// registered its waker) and parks; the `block_on` thread goes idle, is woken, runs the work
/// it was woken for and goes idle again. Whichever leaves last decides, and a quiet runtime
/// moves the clock. The clock never moves while the woken thread's work is pending (the
/// race that would jump the clock past work about to run), and it does move in the end (the
/// last agent to leave always decides).
fn quiet_vs_concurrent_wake() {
    let q = Arc::new(QuietProbe::new(2));
    let agent = Arc::new(q.agent());
    let pending = Counter::new(); // woken work not yet run
    let done = Counter::new();
    let moved = Arc::new(AtomicBool::new(false));
    let parker = Arc::new(Notify::new()); // the block_on thread's parker
    let world = {
        let (p, d, m1, m2) = (pending.clone(), done.clone(), moved.clone(), moved.clone());
        Arc::new(WorldProbe {
            may_plan: Box::new(|| true),
            busy: Box::new(|| false),
            plan: Box::new(move || !m1.load(SeqCst)),
            apply: Box::new(move || {
                assert_eq!(
                    p.get(),
                    d.get(),
                    "jumped the clock past work about to run (a woken block_on future)"
                );
                m2.store(true, SeqCst);
            }),
        })
    };
    let blocker = {
        let (q, agent, world, parker, pending, done) = (
            q.clone(),
            agent.clone(),
            world.clone(),
            parker.clone(),
            pending.clone(),
            done.clone(),
        );
        // The `block_on` loop (`runtime::block_on::run`): poll, idle, park, resume.
        thread::spawn(move || loop {
            if pending.get() > done.get() {
                done.inc(); // the poll runs the work it was woken for, and is Ready
                q.finish_and_settle(&agent, &world);
                return;
            }
            q.idle_and_settle(&agent, &world);
            parker.wait(); // may also return spuriously
            q.resume(&agent, &world);
        })
    };
    // The worker: a callback it runs wakes the block_on future, then it parks.
    pending.inc();
    q.wake(&agent);
    parker.notify();
    q.leave_and_settle(&world);
    blocker.join().unwrap();
    assert!(moved.load(SeqCst), "a quiet runtime was left undecided");
}

#[test]
fn quiet_quiet_vs_concurrent_wake() {
    model(quiet_vs_concurrent_wake);
}

#[test]
fn quiet_quiet_vs_concurrent_wake_catches_late_enter() {
    model_catches(Fault::QuietWakeEntersLate, quiet_vs_concurrent_wake);
}

/// The fast exit (`World::may_plan`: a decision ends at once while the clock runs) against
/// `Handle::pause` on another thread: the pauser stores the paused mode (Release, as
/// `Clock::pause`) and kicks, while the last worker parks and decides, reading the mode
/// (Acquire, as `Clock::paused_nanos`). Either the worker sees the paused clock, or the
/// kick holds the newer token and decides: a paused, quiet runtime with a pending deadline
/// is never left undecided.
fn fast_exit_vs_pause() {
    let q = Arc::new(QuietProbe::new(1));
    let paused = Arc::new(AtomicBool::new(false));
    let moved = Arc::new(AtomicBool::new(false));
    let world = {
        let (p, m1, m2) = (paused.clone(), moved.clone(), moved.clone());
        Arc::new(WorldProbe {
            may_plan: Box::new(move || p.load(Acquire)),
            busy: Box::new(|| false),
            plan: Box::new(move || !m1.load(SeqCst)),
            apply: Box::new(move || m2.store(true, SeqCst)),
        })
    };
    let pauser = {
        let (q, world, paused) = (q.clone(), world.clone(), paused.clone());
        thread::spawn(move || {
            paused.store(true, Release);
            q.kick(&world);
        })
    };
    // The last worker parks (`scheduler::pause::worker_idle`).
    q.leave_and_settle(&world);
    pauser.join().unwrap();
    assert!(
        moved.load(SeqCst),
        "a paused quiet runtime was left undecided"
    );
}

#[test]
fn quiet_fast_exit_vs_pause() {
    model(fast_exit_vs_pause);
}

#[test]
fn quiet_fast_exit_vs_pause_catches_skipped_kick() {
    model_catches_because(
        Fault::QuietKickSkipped,
        "left undecided",
        fast_exit_vs_pause,
    );
}
