//! Unit tests of `virtual_time` (a sibling file, so `virtual_time.rs` holds only the code; `super` is `virtual_time`).

use super::*;
use crate::scheduler::pause::{blocking_task_finished, blocking_task_started};
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::Arc;

/// The blocking-pool hook: while a blocking task runs, the runtime is not quiet, so a
/// paused clock stays put; when the last one finishes, auto-advance goes on.
#[test]
fn a_running_blocking_task_holds_auto_advance() {
    let rt = Builder::new()
        .worker_threads(2)
        .start_paused(true)
        .build()
        .unwrap();
    let h = rt.handle().clone();
    let shared = &h.shared;
    blocking_task_started(shared);
    let fired = Arc::new(AtomicBool::new(false));
    let f = fired.clone();
    let t0 = h.time();
    h.call_later(Duration::from_secs(1), move || f.store(true, SeqCst));
    std::thread::sleep(Duration::from_millis(30));
    assert!(
        !fired.load(SeqCst),
        "no auto-advance while a blocking task runs"
    );
    assert_eq!(h.time(), t0);
    blocking_task_finished(shared);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !fired.load(SeqCst) && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
    assert!(fired.load(SeqCst), "auto-advance once it finished");
    assert_eq!(h.time() - t0, Duration::from_secs(1));
}
