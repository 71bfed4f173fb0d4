//! Issue 10, failure 1: a `Sleep` awaited on a thread outside the runtime (here `block_on`
//! on a loom thread, which is not a worker: the arm goes through a shard's inbox) while the
//! runtime is dropped. The real `Builder`, worker loop, arming, shard close and shutdown.
#![cfg(loom)]

use loom::thread;
use spindle::Builder;
use spindle_loom_tests::{model, model_catches, Fault};
use std::time::Duration;

/// The foreign thread's `block_on` returns: shutdown wakes the Sleep's waker (it completes
/// as elapsed), whether the arm landed before the shard closed (the closing shard wakes
/// it), after (the arming thread's closed re-check wakes it), or after the runtime closed
/// (the poll sees it and completes at once). A dropped waker leaves the thread parked
/// forever, which loom reports as a deadlock.
fn foreign_sleep_vs_runtime_drop() {
    let rt = Builder::new().worker_threads(1).build().unwrap();
    let h = rt.handle().clone();
    let sleeper = thread::spawn(move || {
        let s = h.sleep(Duration::from_secs(3600));
        spindle::__loom::foreign_block_on(s);
    });
    drop(rt);
    sleeper.join().unwrap();
}

#[test]
fn sleep_foreign_block_on_vs_runtime_drop() {
    model(foreign_sleep_vs_runtime_drop);
}

#[test]
fn sleep_foreign_block_on_catches_shutdown_dropping_the_waker() {
    model_catches(
        Fault::ShutdownDropsSleepWaker,
        foreign_sleep_vs_runtime_drop,
    );
}
