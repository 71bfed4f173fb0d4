//! Two workers (issue 10): the owner-arm vs sleeper watch pair and the searching count. A
//! timed park under loom only ends by an unpark (`Condvar::wait_timeout` never times out), so
//! the models assert on the park *decision* (`handshake::decide`), not on a wait.
#![cfg(loom)]

use loom::thread;
use spindle::__loom::{two_workers, Park};
use spindle_loom_tests::{model, model_catches, Counter, Fault};

/// Far beyond the real clock (loom does not control time): worker 0's pending timer.
const LATE: u64 = 1 << 40;
/// Worker 0's new timer: earlier than anyone watches its shard (LATE + grace), still far
/// beyond the real clock.
const EARLY: u64 = 1 << 30;

/// No hostage timers, the two-worker pair (`scheduler::arm::arm_local` + `watch::watch_deadline`
/// against `handshake::decide`). Worker 0 has a timer at LATE, so idle workers watch its shard
/// from LATE + grace. On its own thread it arms EARLY locally (staging buffer, `next_due`,
/// fence, read the sleepers' earliest wake, wake one) while worker 1, idle, decides to park
/// with a wake tick computed from the shards' `next_due`. After both: worker 1 stays, or was
/// chosen and unparked, or wakes by itself by EARLY + grace: someone watches the new timer
/// in time if its owner gets stuck.
fn owner_arm_vs_sleeper_watch() {
    let (w0, w1, _remote) = two_workers();
    let late = w0.arm_local(LATE, || {});
    let grace = w1.grace();
    let owner = thread::spawn(move || {
        let early = w0.arm_local(EARLY, || {});
        (w0, early)
    });
    let decision = w1.decide(false);
    let (_w0, _early) = owner.join().unwrap();
    let woken = decision != Park::Stay && w1.retract_was_woken();
    if let Park::Sleep { wake } = decision {
        assert!(
            woken || wake <= EARLY + grace,
            "a sleeper parked past the new timer's watch (wake {wake}, timer {EARLY}) unwoken"
        );
    }
    drop(late);
}

#[test]
fn two_workers_owner_arm_vs_sleeper_watch() {
    model(owner_arm_vs_sleeper_watch);
}

#[test]
fn two_workers_owner_arm_vs_sleeper_watch_catches_missing_fence() {
    model_catches(Fault::OwnerArmSkipsWatchFence, owner_arm_vs_sleeper_watch);
}

/// The searching count (`scheduler::idle`): worker 0 already sleeps; worker 1 is the only
/// searcher, finds nothing and goes idle (`decide` with `was_searching`: register, giving up
/// its searching slot, fence, re-check) while another thread queues a callback
/// (`call_soon`: injector push, fence, `notify_one`, which wakes a sleeper only if nobody
/// searches). After both: worker 1 stays (its re-check saw the unit), or a sleeper was
/// chosen and unparked. A unit that leaves both workers asleep is a lost wakeup.
fn push_vs_last_searcher_going_idle() {
    let (w0, w1, remote) = two_workers();
    assert_eq!(w0.decide(false), Park::Sleep { wake: u64::MAX });
    assert!(w1.start_searching());
    let runs = Counter::new();
    let r = runs.clone();
    let pushing = thread::spawn(move || remote.call_soon(move || r.inc()));
    let decision = w1.decide(true);
    let timer = pushing.join().unwrap();
    let w0_woken = w0.retract_was_woken();
    let w1_woken = decision != Park::Stay && w1.retract_was_woken();
    assert!(
        decision == Park::Stay || w0_woken || w1_woken,
        "a unit pushed while the last searcher went idle woke nobody"
    );
    assert_eq!(runs.get(), 0);
    drop(timer);
}

#[test]
fn two_workers_push_vs_last_searcher_going_idle() {
    model(push_vs_last_searcher_going_idle);
}

#[test]
fn two_workers_push_vs_last_searcher_catches_kept_searching_slot() {
    model_catches(
        Fault::SleeperKeepsSearching,
        push_vs_last_searcher_going_idle,
    );
}
