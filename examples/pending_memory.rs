//! Resident memory per pending timer, spindle vs tokio vs async-io.
//!
//! ```text
//! cargo run --release --example pending_memory -- [spindle|tokio|async-io] [N=1000000]
//! ```
//!
//! With no runtime named, runs itself once per runtime (each in a fresh process). Each run reads
//! the process's RSS (`VmRSS` in `/proc/self/status`) before and after arming N pending 1-hour
//! timers and prints `pending_memory <runtime>: <bytes> bytes/timer (N=..)` lines:
//!
//! - spindle: `spindle::call_later(3600 s, || ())` from inside a task on a worker, the
//!   `TimerHandle` dropped at once (dropping it does not cancel: the timer stays pending); then a
//!   second batch keeping every handle in a `Vec` allocated beforehand, whose own storage
//!   (N × `size_of::<TimerHandle>()`) is subtracted. The closure is zero-sized, so both numbers
//!   are the timer's own cost.
//! - tokio: `Box::pin(tokio::time::sleep(3600 s))` polled once (tokio registers a timer on its
//!   first poll) and kept in a `Vec`; the Vec's pointers are subtracted. tokio's `Sleep` is itself
//!   the timer entry, so the number is the boxed `Sleep` plus whatever the wheel adds. A second
//!   line: one spawned task per timer that sleeps 1 h (the closest equivalent of a callback).
//! - async-io: `async_io::Timer::after(3600 s)` polled once, kept in a `Vec` (its storage
//!   subtracted); the reactor keeps an ordered map entry per timer.
//!
//! Linux only (reads `/proc`). Numbers include allocator overhead, which is the point.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

const HOUR: Duration = Duration::from_secs(3600);

fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .expect("VmRSS in /proc/self/status");
    let kb: u64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .expect("parse VmRSS");
    kb * 1024
}

/// (after - before - excluded) / n, in bytes per timer.
fn per_timer(before: u64, after: u64, excluded: usize, n: usize) -> f64 {
    (after as f64 - before as f64 - excluded as f64) / n as f64
}

fn noop_cx() -> Context<'static> {
    Context::from_waker(futures::task::noop_waker_ref())
}

fn spindle(n: usize) {
    let rt = spindle::Builder::new()
        .worker_threads(2)
        .build()
        .expect("build spindle runtime");
    // Warm up the worker and its allocator arena.
    rt.block_on(async {
        spindle::spawn(async {
            for _ in 0..1000 {
                spindle::call_later(HOUR, || ()).cancel();
            }
        })
        .await
        .expect("warm-up task");
    });

    let (before, after) = rt.block_on(async move {
        spindle::spawn(async move {
            let before = rss_bytes();
            for _ in 0..n {
                let _ = spindle::call_later(HOUR, || ());
            }
            (before, rss_bytes())
        })
        .await
        .expect("arming task")
    });
    let pending = rt.handle().metrics().timers_pending();
    println!(
        "pending_memory spindle: {:.1} bytes/timer (N={n}, TimerHandle dropped; timers_pending={pending})",
        per_timer(before, after, 0, n)
    );

    let handle_size = std::mem::size_of::<spindle::TimerHandle>();
    let (before, after, handles) = rt.block_on(async move {
        spindle::spawn(async move {
            let mut handles = Vec::with_capacity(n);
            let before = rss_bytes();
            for _ in 0..n {
                handles.push(spindle::call_later(HOUR, || ()));
            }
            (before, rss_bytes(), handles)
        })
        .await
        .expect("arming task")
    });
    let pending = rt.handle().metrics().timers_pending();
    println!(
        "pending_memory spindle (handles kept): {:.1} bytes/timer beyond the Vec of {handle_size}-byte TimerHandles (N={n}; timers_pending={pending})",
        per_timer(before, after, n * handle_size, n)
    );
    drop(handles);
    rt.shutdown_timeout(Duration::from_secs(5));
}

fn tokio(n: usize) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("build tokio runtime");
    rt.block_on(async {
        tokio::spawn(async {
            let mut cx = noop_cx();
            for _ in 0..1000 {
                let mut s = Box::pin(tokio::time::sleep(HOUR));
                let _ = s.as_mut().poll(&mut cx);
            }
        })
        .await
        .expect("warm-up task");
    });

    let (before, after, sleeps) = rt.block_on(async move {
        tokio::spawn(async move {
            let mut cx = noop_cx();
            let mut sleeps: Vec<Pin<Box<tokio::time::Sleep>>> = Vec::with_capacity(n);
            let before = rss_bytes();
            for _ in 0..n {
                let mut s = Box::pin(tokio::time::sleep(HOUR));
                assert!(s.as_mut().poll(&mut cx).is_pending());
                sleeps.push(s);
            }
            (before, rss_bytes(), sleeps)
        })
        .await
        .expect("arming task")
    });
    println!(
        "pending_memory tokio: {:.1} bytes/timer (N={n}, Box::pin(sleep) polled once and kept, minus the Vec of 8-byte pointers; Sleep is {} bytes and is itself the timer entry)",
        per_timer(before, after, n * std::mem::size_of::<Pin<Box<tokio::time::Sleep>>>(), n),
        std::mem::size_of::<tokio::time::Sleep>()
    );
    drop(sleeps);

    let (before, after) = rt.block_on(async move {
        tokio::spawn(async move {
            let before = rss_bytes();
            for _ in 0..n {
                drop(tokio::spawn(async {
                    tokio::time::sleep(HOUR).await;
                }));
            }
            // Let the workers poll every task once, so each has registered its timer.
            tokio::time::sleep(Duration::from_millis(500)).await;
            (before, rss_bytes())
        })
        .await
        .expect("arming task")
    });
    println!(
        "pending_memory tokio (task per timer): {:.1} bytes/timer (N={n}, tokio::spawn(async {{ sleep(1h).await }}), JoinHandle dropped)",
        per_timer(before, after, 0, n)
    );
    rt.shutdown_timeout(Duration::from_secs(5));
}

fn async_io(n: usize) {
    let mut cx = noop_cx();
    for _ in 0..1000 {
        let mut t = async_io::Timer::after(HOUR);
        let _ = Pin::new(&mut t).poll(&mut cx);
    }
    let mut timers: Vec<async_io::Timer> = Vec::with_capacity(n);
    let before = rss_bytes();
    for _ in 0..n {
        let mut t = async_io::Timer::after(HOUR);
        assert!(matches!(Pin::new(&mut t).poll(&mut cx), Poll::Pending));
        timers.push(t);
    }
    // Let the reactor move the queued registrations into its timer map.
    async_io::block_on(async_io::Timer::after(Duration::from_millis(50)));
    let after = rss_bytes();
    println!(
        "pending_memory async-io: {:.1} bytes/timer (N={n}, Timer::after polled once and kept, minus the Vec of {}-byte Timers; {:.1} with the Timer itself)",
        per_timer(before, after, n * std::mem::size_of::<async_io::Timer>(), n),
        std::mem::size_of::<async_io::Timer>(),
        per_timer(before, after, 0, n),
    );
    drop(timers);
}

fn main() {
    let mut runtime = None;
    let mut n = 1_000_000usize;
    for arg in std::env::args().skip(1) {
        let num = arg.strip_prefix("N=").unwrap_or(&arg);
        if let Ok(v) = num.replace('_', "").parse::<usize>() {
            n = v.max(1);
        } else {
            runtime = Some(arg);
        }
    }
    match runtime.as_deref() {
        Some("spindle") => spindle(n),
        Some("tokio") => tokio(n),
        Some("async-io") | Some("async_io") | Some("async-executor") => async_io(n),
        Some(other) => {
            eprintln!(
                "usage: pending_memory [spindle|tokio|async-io] [N=1000000] (unknown: {other})"
            );
            std::process::exit(2);
        }
        None => {
            // One fresh process per runtime, so no run sees another's heap.
            let exe = std::env::current_exe().expect("current_exe");
            let mut failed = false;
            for rt in ["spindle", "tokio", "async-io"] {
                let status = std::process::Command::new(&exe)
                    .arg(rt)
                    .arg(n.to_string())
                    .status()
                    .expect("run pending_memory child");
                if !status.success() {
                    eprintln!("pending_memory {rt}: failed ({status})");
                    failed = true;
                }
            }
            if failed {
                std::process::exit(1);
            }
        }
    }
}
