//! Builder: defaults, invalid settings (InvalidInput with a useful message), thread names,
//! worker counts, timer_tick, reuse; Runtime::new.

// `drop(x)` marks the exact moment a runtime / handle goes away; with types that have no
// drop glue (e.g. a signature-only build) clippy would flag these.
#![allow(clippy::drop_non_drop)]

mod common;

use common::watchdog;
use spindle::{Builder, Runtime};
use std::io::ErrorKind;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// `T::default()` through a generic, so this compiles the same whatever `Builder`'s fields are.
fn default_of<T: Default>() -> T {
    T::default()
}

#[test]
fn worker_threads_zero_is_invalid_input() {
    let err = Builder::new()
        .worker_threads(0)
        .build()
        .expect_err("worker_threads(0) must be rejected");
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    let msg = err.to_string().to_lowercase();
    assert!(
        msg.contains("worker"),
        "error message does not say what is wrong: {msg:?}"
    );
}

#[test]
fn timer_tick_zero_is_invalid_input() {
    let err = Builder::new()
        .worker_threads(1)
        .timer_tick(Duration::ZERO)
        .build()
        .expect_err("timer_tick(ZERO) must be rejected");
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    let msg = err.to_string().to_lowercase();
    assert!(
        msg.contains("tick"),
        "error message does not say what is wrong: {msg:?}"
    );
}

#[test]
fn runtime_new_uses_defaults() {
    watchdog("runtime_new_uses_defaults", || {
        let rt = Runtime::new().expect("Runtime::new()");
        assert_eq!(rt.handle().metrics().workers(), num_cpus::get());
        assert_eq!(rt.block_on(rt.handle().spawn(async { 1 })).unwrap(), 1);
        let rt2 = Builder::new().build().expect("Builder::new().build()");
        assert_eq!(rt2.handle().metrics().workers(), num_cpus::get());
        let rt3 = default_of::<Builder>()
            .build()
            .expect("default_of::<Builder>().build()");
        assert_eq!(rt3.handle().metrics().workers(), num_cpus::get());
    })
}

#[test]
fn builder_is_debug_and_default() {
    let mut b = default_of::<Builder>();
    b.worker_threads(3).thread_name("dbg");
    assert!(!format!("{b:?}").is_empty());
}

#[test]
fn worker_counts_are_respected() {
    watchdog("worker_counts_are_respected", || {
        for n in [1usize, 2, 3, 8] {
            let prefix = format!("wcnt{n}x");
            let rt = Builder::new()
                .worker_threads(n)
                .thread_name(prefix.clone())
                .build()
                .unwrap();
            assert_eq!(rt.handle().metrics().workers(), n);
            #[cfg(target_os = "linux")]
            {
                // All n threads really exist (found by name in /proc).
                let count = || {
                    std::fs::read_dir("/proc/self/task")
                        .unwrap()
                        .flatten()
                        .filter(|e| {
                            std::fs::read_to_string(e.path().join("comm"))
                                .map(|c| c.starts_with(&prefix))
                                .unwrap_or(false)
                        })
                        .count()
                };
                assert!(
                    common::wait_until(Duration::from_secs(2), || count() == n),
                    "expected {n} worker threads named {prefix}*, found {}",
                    count()
                );
                drop(rt);
                assert!(
                    common::wait_until(Duration::from_secs(2), || count() == 0),
                    "worker threads still alive after drop(rt): {}",
                    count()
                );
            }
        }
    })
}

#[test]
fn thread_name_prefix_applies_to_all_workers() {
    watchdog("thread_name_prefix_applies_to_all_workers", || {
        let rt = Builder::new()
            .worker_threads(3)
            .thread_name("named-wk")
            .build()
            .unwrap();
        let (tx, rx) = mpsc::channel();
        // Callbacks and tasks both run on the named workers.
        let tx2 = tx.clone();
        let _ = rt.handle().call_soon(move || {
            tx2.send(std::thread::current().name().map(String::from))
                .unwrap();
        });
        let tx3 = tx.clone();
        drop(rt.handle().spawn(async move {
            tx3.send(std::thread::current().name().map(String::from))
                .unwrap();
        }));
        for _ in 0..2 {
            let name = rx.recv_timeout(Duration::from_secs(5)).unwrap();
            let name = name.expect("unnamed worker thread");
            assert!(name.starts_with("named-wk"), "thread name {name:?}");
        }
    })
}

#[test]
fn timer_tick_10ms_never_early() {
    watchdog("timer_tick_10ms_never_early", || {
        let rt = Builder::new()
            .worker_threads(2)
            .timer_tick(Duration::from_millis(10))
            .build()
            .unwrap();
        let (tx, rx) = mpsc::channel();
        let mut whens = Vec::new();
        for i in 0..20u64 {
            let tx = tx.clone();
            let start = Instant::now();
            let d = Duration::from_millis(i * 3);
            let th = rt
                .handle()
                .call_later(d, move || tx.send((i, Instant::now())).unwrap());
            assert!(th.when() >= start + d);
            whens.push(th.when());
        }
        for _ in 0..20 {
            let (i, at) = rx.recv_timeout(Duration::from_secs(5)).unwrap();
            let when = whens[i as usize];
            assert!(
                at >= when,
                "timer {i} fired {:?} early with a 10 ms tick",
                when - at
            );
            assert!(
                at - when < Duration::from_secs(1),
                "timer {i} fired {:?} late",
                at - when
            );
        }
        // sleep with a coarse tick is never early either.
        let start = Instant::now();
        rt.block_on(rt.handle().sleep(Duration::from_millis(25)));
        assert!(start.elapsed() >= Duration::from_millis(25));
    })
}

#[test]
fn timer_tick_coarse_and_fine_both_work() {
    watchdog("timer_tick_coarse_and_fine_both_work", || {
        for tick in [Duration::from_micros(100), Duration::from_millis(50)] {
            let rt = Builder::new()
                .worker_threads(1)
                .timer_tick(tick)
                .build()
                .unwrap();
            let start = Instant::now();
            let (tx, rx) = mpsc::channel();
            let _ = rt.handle().call_later(Duration::from_millis(60), move || {
                tx.send(Instant::now()).unwrap()
            });
            let at = rx.recv_timeout(Duration::from_secs(5)).unwrap();
            assert!(
                at - start >= Duration::from_millis(60),
                "tick {tick:?}: early"
            );
            assert!(
                at - start < Duration::from_secs(2),
                "tick {tick:?}: {:?}",
                at - start
            );
        }
    })
}

#[test]
fn builder_can_build_twice() {
    watchdog("builder_can_build_twice", || {
        let mut b = Builder::new();
        b.worker_threads(2);
        let rt1 = b.build().unwrap();
        let rt2 = b.build().unwrap();
        assert_eq!(rt1.block_on(rt1.handle().spawn(async { 1 })).unwrap(), 1);
        assert_eq!(rt2.block_on(rt2.handle().spawn(async { 2 })).unwrap(), 2);
        assert_eq!(rt2.handle().metrics().workers(), 2);
    })
}

#[test]
fn runtime_is_debug_send_sync() {
    fn check<T: Send + Sync + std::fmt::Debug>() {}
    check::<Runtime>();
    watchdog("runtime_is_debug_send_sync", || {
        let rt = Builder::new().worker_threads(1).build().unwrap();
        assert!(!format!("{rt:?}").is_empty());
        assert!(!format!("{:?}", rt.handle()).is_empty());
        // Built on one thread, used and dropped on another.
        std::thread::spawn(move || {
            assert_eq!(rt.block_on(async { 3 }), 3);
            drop(rt);
        })
        .join()
        .unwrap();
    })
}

#[test]
fn on_callback_panic_hook_receives_payload() {
    watchdog("on_callback_panic_hook_receives_payload", || {
        let (tx, rx) = mpsc::channel::<bool>();
        let tx = std::sync::Mutex::new(tx);
        let rt = Builder::new()
            .worker_threads(1)
            .on_callback_panic(move |p| {
                let _ = tx.lock().unwrap().send(p.downcast_ref::<u32>() == Some(&7));
            })
            .build()
            .unwrap();
        let _ = rt.handle().call_soon(|| std::panic::panic_any(7u32));
        assert_eq!(rx.recv_timeout(Duration::from_secs(5)), Ok(true));
    })
}
