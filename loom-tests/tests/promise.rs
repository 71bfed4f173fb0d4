//! Path 9: `Promise::set_result` racing `Deferred::cancel` and the awaiting task's waker.
#![cfg(loom)]

use loom::thread;
use spindle::__loom::promise_pair;
use spindle_loom_tests::{model, model_catches, Counter, DropGuard, Fault};

/// `set_result` on another thread races `cancel`: exactly one wins; awaiting then yields the
/// value iff `set_result` won; the value is dropped exactly once (refused values at once).
fn set_vs_cancel() {
    let drops = Counter::new();
    let (p, d) = promise_pair::<DropGuard>();
    let g = drops.guard();
    let setter = thread::spawn(move || p.set_result(g).is_ok());
    let cancelled = d.cancel();
    let set = setter.join().unwrap();
    assert_ne!(set, cancelled, "exactly one of set_result and cancel wins");
    let r = loom::future::block_on(d);
    assert_eq!(r.is_ok(), set);
    drop(r);
    assert_eq!(drops.get(), 1, "the value is dropped exactly once");
}

#[test]
fn promise_set_vs_cancel() {
    model(set_vs_cancel);
}

#[test]
fn promise_set_vs_cancel_catches_non_atomic_cancel() {
    model_catches(Fault::DeferredCancelNotAtomic, set_vs_cancel);
}

/// `set_result` on another thread races the awaiting task (poll, register waker, re-check,
/// park): the task wakes (a lost wake is a deadlock) and gets the value, written before it
/// is read (loom checks the cell).
fn set_vs_await() {
    let drops = Counter::new();
    let (p, d) = promise_pair::<DropGuard>();
    let g = drops.guard();
    let setter = thread::spawn(move || assert!(p.set_result(g).is_ok()));
    let v = loom::future::block_on(d).expect("the value was set");
    drop(v);
    setter.join().unwrap();
    assert_eq!(drops.get(), 1);
}

#[test]
fn promise_set_vs_await() {
    model(set_vs_await);
}

#[test]
fn promise_set_vs_await_catches_set_before_write() {
    model_catches(Fault::PromiseSetBeforeWrite, set_vs_await);
}
