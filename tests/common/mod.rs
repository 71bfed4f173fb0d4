//! Shared helpers for the integration tests: watchdog, drop counters, runtime builders.
#![allow(dead_code, unused_macros)]

use std::any::Any;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

/// Default watchdog limit for one test body.
pub const WATCHDOG: Duration = Duration::from_secs(20);

/// Runs `body` on a fresh thread and fails the test with a clear message if it has not
/// finished within `limit` (a deadlock or a lost wakeup must fail, not hang CI).
/// A panic inside `body` is re-raised on the test thread with its original payload.
pub fn watchdog_for<T, F>(name: &str, limit: Duration, body: F) -> T
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let (tx, rx) = mpsc::channel();
    let thread = std::thread::Builder::new()
        .name(format!("test-body-{name}"))
        .spawn(move || {
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(body));
            let _ = tx.send(result);
        })
        .expect("spawn test body thread");
    match rx.recv_timeout(limit) {
        Ok(Ok(value)) => {
            let _ = thread.join();
            value
        }
        Ok(Err(payload)) => {
            let _ = thread.join();
            std::panic::resume_unwind(payload)
        }
        Err(_) => panic!(
            "watchdog: test `{name}` did not finish within {limit:?} \
             (deadlock, lost wakeup or runtime hang)"
        ),
    }
}

/// [`watchdog_for`] with the default limit.
pub fn watchdog<T, F>(name: &str, body: F) -> T
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    watchdog_for(name, WATCHDOG, body)
}

/// A shared counter of drops.
#[derive(Clone, Default, Debug)]
pub struct DropCounter(Arc<AtomicUsize>);

impl DropCounter {
    pub fn new() -> Self {
        Self::default()
    }
    /// A token that increments this counter exactly once, when dropped.
    pub fn token(&self) -> OnDrop {
        OnDrop(self.0.clone())
    }
    pub fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
    /// Polls until the counter reaches `expected` or `limit` passes; returns the final value.
    pub fn wait_for(&self, expected: usize, limit: Duration) -> usize {
        let deadline = Instant::now() + limit;
        loop {
            let n = self.get();
            if n >= expected || Instant::now() >= deadline {
                return n;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

/// Increments its counter when dropped.
#[derive(Debug)]
pub struct OnDrop(Arc<AtomicUsize>);

impl Drop for OnDrop {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Polls `cond` every millisecond until it is true or `limit` passes; returns its last value.
pub fn wait_until(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return cond();
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Builds a runtime with `workers` worker threads named `spindle-test-*`.
pub fn rt(workers: usize) -> spindle::Runtime {
    spindle::Builder::new()
        .worker_threads(workers)
        .thread_name("spindle-test")
        .build()
        .expect("build runtime")
}

/// Extracts the message of a panic payload (`&str` or `String`).
pub fn panic_message(payload: &(dyn Any + Send)) -> Option<String> {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        Some((*s).to_string())
    } else {
        payload.downcast_ref::<String>().cloned()
    }
}

/// A cheap deterministic pseudo-random generator (xorshift), so tests need no extra crates.
#[derive(Clone, Debug)]
pub struct XorShift(u64);

impl XorShift {
    pub fn new(seed: u64) -> Self {
        Self(seed | 1)
    }
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    /// Uniform-ish in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

/// Like tokio's `rt_common.rs`: runs each listed suite function `fn(workers: usize)` once per
/// runtime configuration (1 worker and 4 workers), each under the watchdog.
macro_rules! rt_suite {
    ($($name:ident),* $(,)?) => {
        mod one_worker {
            $(
                #[test]
                fn $name() {
                    $crate::common::watchdog(stringify!($name), || super::$name(1));
                }
            )*
        }
        mod four_workers {
            $(
                #[test]
                fn $name() {
                    $crate::common::watchdog(stringify!($name), || super::$name(4));
                }
            )*
        }
    };
}

/// CPU time (user + system) of this process, in clock ticks (1/100 s on Linux; reads
/// `/proc/self/stat`).
pub fn cpu_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    let after_comm = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = after_comm.split_whitespace().collect();
    f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()
}

/// Resident memory of this process in bytes (Linux: `VmRSS` of `/proc/self/status`).
pub fn rss_bytes() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    let kb: usize = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kb * 1024
}
