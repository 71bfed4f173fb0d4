//! Arm-and-cancel churn of 30 s timers keeps memory flat: cancelled entries and their
//! closures are reclaimed promptly, not at their deadline.
#![cfg(target_os = "linux")]

mod common;

use common::rss_bytes;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A closure capture that counts its drops and weighs 256 bytes, so a leak shows in RSS.
struct Payload {
    drops: Arc<AtomicUsize>,
    _weight: [u8; 256],
}

impl Drop for Payload {
    fn drop(&mut self) {
        self.drops.fetch_add(1, SeqCst);
    }
}

fn churn(handle: &spindle::Handle, n: usize, drops: &Arc<AtomicUsize>) {
    for _ in 0..n {
        let p = Payload {
            drops: drops.clone(),
            _weight: [0; 256],
        };
        let t = handle.call_later(Duration::from_secs(30), move || drop(p));
        assert!(t.cancel());
    }
}

fn wait_pending_zero(handle: &spindle::Handle) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let p = handle.metrics().timers_pending();
        if p == 0 || Instant::now() > deadline {
            return p;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn churn_on_a_worker_and_from_outside_keeps_memory_flat() {
    const N: usize = 1_000_000;
    let rt = spindle::Builder::new().worker_threads(2).build().unwrap();
    let handle = rt.handle().clone();
    let drops = Arc::new(AtomicUsize::new(0));
    // Warm up allocator and queues so the baseline includes steady-state structures.
    churn(&handle, 10_000, &drops);
    let base = rss_bytes();

    // On a worker: the lock-free owner path.
    let (h, d) = (handle.clone(), drops.clone());
    rt.block_on(async move { handle.spawn(async move { churn(&h, N, &d) }).await.unwrap() });
    eprintln!(
        "after worker churn: +{} KB",
        (rss_bytes().saturating_sub(base)) >> 10
    );
    // From this (outside) thread: the inbox path.
    churn(rt.handle(), N, &drops);
    eprintln!(
        "after remote churn: +{} KB",
        (rss_bytes().saturating_sub(base)) >> 10
    );

    assert_eq!(
        drops.load(SeqCst),
        2 * N + 10_000,
        "every cancelled closure dropped"
    );
    assert_eq!(
        wait_pending_zero(rt.handle()),
        0,
        "timers_pending back to zero"
    );
    let grown = rss_bytes().saturating_sub(base);
    // A leak of even the bare entries (~80 B each) would be 160 MB; the payloads 500+ MB.
    assert!(
        grown < 32 << 20,
        "RSS grew by {} MB over 2M arm+cancel cycles",
        grown >> 20
    );
}
