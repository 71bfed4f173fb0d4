//! Unit tests of `spawn_worker` (a failed start leaves no thread behind).

use super::test_hook::fail_spawn;
use std::time::{Duration, Instant};

/// Threads of this process whose name starts with `prefix`.
fn threads_named(prefix: &str) -> usize {
    std::fs::read_dir("/proc/self/task")
        .map(|d| {
            d.filter_map(|e| std::fs::read_to_string(e.ok()?.path().join("comm")).ok())
                .filter(|c| c.starts_with(prefix))
                .count()
        })
        .unwrap_or(0)
}

#[test]
fn failed_spawn_mid_start_is_an_error_and_leaves_no_thread() {
    for (at, panics, prefix) in [
        (2, false, "spfail-a"),
        (3, true, "spfail-b"),
        (0, false, "spfail-c"),
    ] {
        fail_spawn(at, panics);
        let t = Instant::now();
        let err = crate::Builder::new()
            .worker_threads(4)
            .thread_name(prefix)
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("spindle"), "{err}");
        assert!(t.elapsed() < Duration::from_secs(10), "start hung");
        // The workers that did start were stopped and joined.
        let deadline = Instant::now() + Duration::from_secs(5);
        while threads_named(prefix) > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(threads_named(prefix), 0, "threads left behind");
    }
}
