//! Path 1: a timer entry's `cancel()` racing with the owner firing it.
#![cfg(loom)]

use loom::sync::Arc;
use loom::thread;
use spindle::__loom::Timer;
use spindle_loom_tests::{model, model_catches, Counter, Fault};

/// The canceller (a `TimerHandle` on another thread) races the owner, which finds the entry
/// due (ARMED -> QUEUED) and runs it (QUEUED -> FIRING -> FIRED). Exactly one wins; the
/// callback runs iff `cancel` returned false; the closure is dropped exactly once.
fn cancel_vs_fire() {
    let ran = Counter::new();
    let dropped = Counter::new();
    let (r, guard) = (ran.clone(), dropped.guard());
    let timer = Arc::new(Timer::unarmed(5, move || {
        let _guard = guard;
        r.inc();
    }));
    let t = timer.clone();
    let canceller = thread::spawn(move || t.cancel());
    let fired = timer.fire(5);
    let cancelled = canceller.join().unwrap();
    assert_ne!(fired, cancelled, "exactly one of cancel and firing wins");
    assert_eq!(
        ran.get(),
        usize::from(!cancelled),
        "runs iff cancel returned false"
    );
    assert_eq!(dropped.get(), 1, "the closure is dropped exactly once");
    assert_eq!(timer.is_cancelled(), cancelled);
    assert_eq!(timer.is_fired(), fired);
}

#[test]
fn entry_cancel_vs_fire() {
    model(cancel_vs_fire);
}

#[test]
fn entry_cancel_vs_fire_catches_non_atomic_cancel() {
    model_catches(Fault::EntryCancelNotAtomic, cancel_vs_fire);
}
