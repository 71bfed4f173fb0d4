//! Paths 2 and 4: a timer shard's owner racing remote cancels and idle-worker thieves.
#![cfg(loom)]

use loom::sync::Arc;
use loom::thread;
use spindle::__loom::{Due, Shard};
use spindle_loom_tests::{model, model_catches, Counter, Fault};

/// Path 2. Timer `a` sits in the owner's wheel, timer `b` in its staging buffer. Another
/// thread cancels both (`TimerHandle::cancel`: CAS, then an Unlink op through the inbox for
/// `a`, none for the staged `b`) while the owner runs a maintenance turn (folds the staging
/// buffer into the wheel, drains the inbox, unlinks). After the next turn neither entry is
/// referenced by the shard (no leak), neither ran, and each closure was dropped exactly once.
fn remote_cancel_vs_owner_drain() {
    let shard = Shard::new();
    let runs = Counter::new();
    let drops = Counter::new();
    let mut due = Due::new();
    let (r, g) = (runs.clone(), drops.guard());
    let a = shard.owner_arm(
        100,
        move || {
            let _g = g;
            r.inc()
        },
        &mut due,
    );
    shard.owner_turn(None, &mut due);
    let (r, g) = (runs.clone(), drops.guard());
    let b = shard.owner_arm(
        100,
        move || {
            let _g = g;
            r.inc()
        },
        &mut due,
    );
    let (a, b) = (Arc::new(a), Arc::new(b));
    let (a2, b2) = (a.clone(), b.clone());
    let canceller = thread::spawn(move || (a2.cancel(), b2.cancel()));
    shard.owner_turn(None, &mut due);
    let (ca, cb) = canceller.join().unwrap();
    assert!(ca && cb, "nothing else can stop an entry that is not due");
    shard.owner_turn(None, &mut due);
    assert_eq!(
        drops.get(),
        2,
        "each closure dropped exactly once, at cancel"
    );
    assert_eq!(
        a.runtime_refs(),
        0,
        "cancelled wheel entry still referenced by the shard"
    );
    assert_eq!(
        b.runtime_refs(),
        0,
        "cancelled staged entry still referenced by the shard"
    );
    assert_eq!(due.run_all(), 0);
    assert_eq!(runs.get(), 0);
}

#[test]
fn shard_remote_cancel_vs_owner_drain() {
    model(remote_cancel_vs_owner_drain);
}

#[test]
fn shard_remote_cancel_vs_owner_drain_catches_split_clear_staged() {
    model_catches(Fault::ClearStagedNotAtomic, remote_cancel_vs_owner_drain);
}

/// Path 4. The owner is late: timer `a` (in its wheel, due at 5) and timer `b` (still staged,
/// due at 6) are overdue at tick 10. An idle worker fires them (`steal_overdue`) while the
/// owner also advances its wheel to 10. Each callback runs exactly once and each closure is
/// dropped exactly once; the wheel is never touched by both at once (loom checks the cell).
fn thief_vs_owner_advance() {
    let shard = Shard::new();
    let runs = [Counter::new(), Counter::new()];
    let drops = Counter::new();
    let mut due = Due::new();
    let (r, g) = (runs[0].clone(), drops.guard());
    let _a = shard.owner_arm(
        5,
        move || {
            let _g = g;
            r.inc()
        },
        &mut due,
    );
    shard.owner_turn(None, &mut due);
    let (r, g) = (runs[1].clone(), drops.guard());
    let _b = shard.owner_arm(
        6,
        move || {
            let _g = g;
            r.inc()
        },
        &mut due,
    );
    let s = shard.clone();
    let thief = thread::spawn(move || {
        let mut due = Due::new();
        s.steal_overdue(10, &mut due);
        due.run_all()
    });
    shard.owner_turn(Some(10), &mut due);
    let by_owner = due.run_all();
    let by_thief = thief.join().unwrap();
    assert_eq!(by_owner + by_thief, 2, "each due callback fires once");
    assert_eq!(runs[0].get(), 1);
    assert_eq!(runs[1].get(), 1);
    assert_eq!(drops.get(), 2);
}

#[test]
fn shard_thief_vs_owner_advance() {
    model(thief_vs_owner_advance);
}

#[test]
fn shard_thief_vs_owner_advance_catches_relaxed_release() {
    model_catches(Fault::ShardReleaseRelaxed, thief_vs_owner_advance);
}
