//! Path 10: a periodic (`call_every`) entry's `cancel()` racing with a run and its re-arm.
#![cfg(loom)]

use loom::sync::Arc;
use loom::thread;
use spindle::__loom::Periodic;
use spindle_loom_tests::{model, model_catches, Counter, Fault};

/// A worker runs the entry once (due, QUEUED -> FIRING, call in place, re-arm) while another
/// thread cancels. The cancel always wins (before, during or after the run: every later run
/// is stopped); the closure ran at most once, never concurrently with its drop, and is dropped
/// exactly once: by the canceller if no run was in progress, by the runner otherwise.
fn cancel_vs_run_and_rearm() {
    let ran = Counter::new();
    let dropped = Counter::new();
    let (r, guard) = (ran.clone(), dropped.guard());
    let timer = Arc::new(Periodic::unarmed(5, move || {
        let _guard = &guard;
        r.inc();
    }));
    let t = timer.clone();
    let canceller = thread::spawn(move || t.cancel());
    let run = timer.run_once(5);
    let cancelled = canceller.join().unwrap();
    assert!(
        cancelled,
        "cancel stops a periodic timer whatever phase it is in"
    );
    assert_eq!(
        ran.get(),
        usize::from(run.is_some()),
        "ran iff the runner won the entry"
    );
    assert_eq!(dropped.get(), 1, "the closure is dropped exactly once");
    assert!(timer.is_cancelled());
}

#[test]
fn periodic_cancel_vs_run_and_rearm() {
    model(cancel_vs_run_and_rearm);
}

#[test]
fn periodic_cancel_vs_run_catches_drop_during_run() {
    model_catches(Fault::PeriodicCancelDropsDuringRun, cancel_vs_run_and_rearm);
}
