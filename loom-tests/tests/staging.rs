//! The staging buffer and the thief path, concurrently (issue 10's loom gaps).
#![cfg(loom)]

use loom::thread;
use spindle::__loom::{Due, Shard};
use spindle_loom_tests::{model, model_catches, Counter, Fault};

/// A thief reads the staging buffer (`steal_overdue` at tick 10) while the owner appends to
/// it (two arms, due at 5 and 6, the second one concurrently with the thief), then the owner
/// runs its turn. Each callback fires exactly once, each closure is dropped once, and the
/// thief never reads a slot before its publication (the `Release` store of the length).
fn owner_append_vs_thief_read() {
    let shard = Shard::new();
    let runs = Counter::new();
    let drops = Counter::new();
    let mut due = Due::new();
    let arm = |tick, due: &mut Due| {
        let (r, g) = (runs.clone(), drops.guard());
        shard.owner_arm(
            tick,
            move || {
                let _g = g;
                r.inc()
            },
            due,
        )
    };
    let _a = arm(5, &mut due);
    let s = shard.clone();
    let thief = thread::spawn(move || {
        let mut due = Due::new();
        s.steal_overdue(10, &mut due);
        due.run_all()
    });
    let _b = arm(6, &mut due);
    let by_thief = thief.join().unwrap();
    shard.owner_turn(Some(10), &mut due);
    let by_owner = due.run_all();
    assert_eq!(by_owner + by_thief, 2, "each due callback fires once");
    assert_eq!(runs.get(), 2);
    drop((_a, _b));
    assert_eq!(drops.get(), 2);
}

#[test]
fn staging_owner_append_vs_thief_read() {
    model(owner_append_vs_thief_read);
}

#[test]
fn staging_owner_append_vs_thief_read_catches_relaxed_publish() {
    model_catches(Fault::StagingPublishRelaxed, owner_append_vs_thief_read);
}

/// Issue 10, failure 4. The owner is stuck (never turns). Two remote arms land in its inbox,
/// one due (5) and one not yet (20, armed from another thread, concurrently); an idle worker
/// fires the due one at tick 10, draining the inbox. Whatever the order, the shard's
/// published next deadline still covers the pending one, so watchers keep looking.
fn thief_drain_keeps_remote_timers_visible() {
    let shard = Shard::new();
    let s = shard.clone();
    let remote = thread::spawn(move || s.remote_arm(20, || {}));
    let _soon = shard.remote_arm(5, || {});
    let mut due = Due::new();
    shard.steal_overdue(10, &mut due);
    let later = remote.join().unwrap();
    due.run_all();
    if !later.is_fired() {
        assert!(
            shard.next_due() <= 20,
            "a drained remote timer is invisible to watchers (next_due {})",
            shard.next_due()
        );
    }
    shard.close();
}

#[test]
fn staging_thief_drain_keeps_remote_timers_visible() {
    model(thief_drain_keeps_remote_timers_visible);
}

#[test]
fn staging_thief_drain_catches_missing_republish() {
    model_catches(
        Fault::ThiefSkipsRepublish,
        thief_drain_keeps_remote_timers_visible,
    );
}
