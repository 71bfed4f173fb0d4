//! Path 3: a remote `call_later`/`call_at` into the shard of an owner that is about to park
//! until a later deadline.
#![cfg(loom)]

use loom::thread;
use spindle::__loom::OneWorker;
use spindle_loom_tests::{model, model_catches, Fault};

/// Far beyond the real clock's tick (loom does not control time; the model runs in ms).
const LATE: u64 = 1 << 40;
/// Earlier than the owner's wake tick, but within `GRACE_TICKS` of it: no sleeper-watch
/// wakeup applies, only the owner's own `parked_until` protocol can wake it.
const EARLY: u64 = LATE - 1;

/// Worker 0 has a timer at LATE and parks (`Worker::park`: store `parked_until`, register as
/// a sleeper, re-check, park until LATE; under loom a timed park only ends by an unpark).
/// Meanwhile another thread arms a callback at EARLY through the real routing (inbox push,
/// fence, `parked_until` check, unpark). The owner must wake (a lost wakeup is a deadlock),
/// and its next maintenance turn must see the earlier deadline.
fn remote_arm_vs_owner_park() {
    let w = OneWorker::new();
    let _late = w.owner_arm(LATE, || {});
    let remote = w.remote();
    let arming = thread::spawn(move || remote.arm(EARLY, || {}));
    w.park();
    // `next_due` is a lower bound (a wheel slot's start); with LATE alone it is LATE.
    assert!(
        w.owner_turn() <= EARLY,
        "the owner missed the earlier deadline"
    );
    drop(arming.join().unwrap());
}

#[test]
fn remote_arm_vs_owner_park_wakes_owner() {
    model(remote_arm_vs_owner_park);
}

#[test]
fn remote_arm_vs_owner_park_catches_check_before_push() {
    model_catches(Fault::ArmReadsParkedBeforePush, remote_arm_vs_owner_park);
}

/// `Worker::park`'s fence between registering (`parked_until`, the sleeper list) and the
/// re-check of the inbox: the other half of `arm_remote`'s push, fence, `parked_until` read.
#[test]
fn remote_arm_vs_owner_park_catches_park_without_fence() {
    model_catches(Fault::ParkSkipsFence, remote_arm_vs_owner_park);
}
