//! Thread hooks on every thread kind, their panics contained, and `worker_index()`.

mod common;

use common::watchdog;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Barrier, Mutex};
use std::time::Duration;

type Log = Arc<Mutex<Vec<(String, &'static str, Option<usize>)>>>;

fn logging_rt(workers: usize, log: &Log) -> spindle::Runtime {
    let (a, b) = (log.clone(), log.clone());
    spindle::Builder::new()
        .worker_threads(workers)
        .thread_name("hk")
        .on_thread_start(move || {
            assert!(
                spindle::Handle::try_current().is_some(),
                "the runtime context is set"
            );
            let name = std::thread::current().name().unwrap().to_owned();
            a.lock()
                .unwrap()
                .push((name, "start", spindle::worker_index()));
        })
        .on_thread_stop(move || {
            let name = std::thread::current().name().unwrap().to_owned();
            b.lock()
                .unwrap()
                .push((name, "stop", spindle::worker_index()));
        })
        .build()
        .unwrap()
}

#[test]
fn hooks_run_on_every_thread_kind_around_everything_it_runs() {
    watchdog("hooks_every_kind", || {
        let log: Log = Arc::default();
        let rt = logging_rt(3, &log);
        // Two blocking threads at once.
        let barrier = Arc::new(Barrier::new(2));
        let hs: Vec<_> = (0..2)
            .map(|_| {
                let (b, l) = (barrier.clone(), log.clone());
                rt.handle().spawn_blocking(move || {
                    b.wait();
                    let name = std::thread::current().name().unwrap().to_owned();
                    l.lock()
                        .unwrap()
                        .push((name, "ran", spindle::worker_index()));
                })
            })
            .collect();
        for h in hs {
            rt.block_on(h).unwrap();
        }
        // A task on every worker is not guaranteed; one is enough to see the order.
        let l = log.clone();
        rt.block_on(rt.handle().spawn(async move {
            let name = std::thread::current().name().unwrap().to_owned();
            l.lock()
                .unwrap()
                .push((name, "ran", spindle::worker_index()));
        }))
        .unwrap();
        drop(rt); // waits for every thread, hooks included
        let log = log.lock().unwrap().clone();
        let mut per_thread: HashMap<String, Vec<(&str, Option<usize>)>> = HashMap::new();
        for (name, what, index) in log {
            per_thread.entry(name).or_default().push((what, index));
        }
        let workers: Vec<_> = per_thread
            .keys()
            .filter(|n| !n.contains("blocking"))
            .collect();
        let blocking: Vec<_> = per_thread
            .keys()
            .filter(|n| n.contains("blocking"))
            .collect();
        assert_eq!(workers.len(), 3, "{per_thread:?}");
        assert_eq!(blocking.len(), 2, "{per_thread:?}");
        for (name, events) in &per_thread {
            // start first, stop last, exactly once each.
            assert_eq!(events.first().unwrap().0, "start", "{name}: {events:?}");
            assert_eq!(events.last().unwrap().0, "stop", "{name}: {events:?}");
            assert_eq!(events.iter().filter(|e| e.0 == "start").count(), 1);
            assert_eq!(events.iter().filter(|e| e.0 == "stop").count(), 1);
            let expected = if name.contains("blocking") {
                None
            } else {
                Some(name.strip_prefix("hk-").unwrap().parse::<usize>().unwrap())
            };
            assert!(events.iter().all(|e| e.1 == expected), "{name}: {events:?}");
        }
    });
}

#[test]
fn keep_alive_expiry_runs_the_stop_hook() {
    watchdog("keep_alive_stop", || {
        let stops = Arc::new(AtomicUsize::new(0));
        let s = stops.clone();
        let rt = spindle::Builder::new()
            .worker_threads(1)
            .thread_keep_alive(Duration::from_millis(20))
            .on_thread_stop(move || {
                if spindle::worker_index().is_none() {
                    s.fetch_add(1, SeqCst);
                }
            })
            .build()
            .unwrap();
        rt.block_on(rt.handle().spawn_blocking(|| ())).unwrap();
        assert!(common::wait_until(Duration::from_secs(10), || stops
            .load(SeqCst)
            == 1));
        assert_eq!(rt.handle().metrics().blocking_threads(), 0);
    });
}

#[test]
fn a_panicking_hook_is_contained() {
    watchdog("panicking_hook", || {
        let rt = spindle::Builder::new()
            .worker_threads(2)
            .on_thread_start(|| panic!("start hook fails"))
            .on_thread_stop(|| panic!("stop hook fails"))
            .build()
            .unwrap();
        assert_eq!(rt.block_on(rt.handle().spawn(async { 1 })).unwrap(), 1);
        assert_eq!(rt.block_on(rt.handle().spawn_blocking(|| 2)).unwrap(), 2);
        let h = rt.handle().clone();
        let n = rt.block_on(async move {
            let hs: Vec<_> = (0..100).map(|i| h.spawn(async move { i })).collect();
            let mut n = 0;
            for j in hs {
                n += j.await.unwrap();
            }
            n
        });
        assert_eq!(n, 4950);
        drop(rt); // does not hang on the panicking stop hooks
    });
}

/// A hook's panic payload whose own `Drop` panics: the payload is user code too, and must
/// not take the thread down (it once was dropped outside any catch).
#[test]
fn a_hook_panic_payload_that_panics_in_drop_is_contained() {
    struct PanicOnDrop;
    impl Drop for PanicOnDrop {
        fn drop(&mut self) {
            if !std::thread::panicking() {
                panic!("payload drop fails");
            }
        }
    }
    watchdog("hook_payload_drop", || {
        let rt = spindle::Builder::new()
            .worker_threads(2)
            .on_thread_start(|| std::panic::panic_any(PanicOnDrop))
            .on_thread_stop(|| std::panic::panic_any(PanicOnDrop))
            .build()
            .unwrap();
        assert_eq!(rt.block_on(rt.handle().spawn(async { 1 })).unwrap(), 1);
        assert_eq!(rt.block_on(rt.handle().spawn_blocking(|| 2)).unwrap(), 2);
        let h = rt.handle().clone();
        let hs: Vec<_> = (0..20).map(|i| h.spawn(async move { i })).collect();
        let n: i32 = hs.into_iter().map(|j| rt.block_on(j).unwrap()).sum();
        assert_eq!(n, 190, "both workers still run tasks");
        drop(rt); // the stop hooks' payloads too
    });
}

#[test]
fn worker_index_is_some_only_on_workers() {
    watchdog("worker_index", || {
        assert_eq!(spindle::worker_index(), None);
        let rt = common::rt(4);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let h = rt.handle().clone();
        let s = seen.clone();
        rt.block_on(async move {
            assert_eq!(spindle::worker_index(), None, "block_on is not a worker");
            let hs: Vec<_> = (0..64)
                .map(|_| {
                    let s = s.clone();
                    h.spawn(async move {
                        let name = std::thread::current().name().unwrap().to_owned();
                        s.lock().unwrap().push((name, spindle::worker_index()));
                    })
                })
                .collect();
            for j in hs {
                j.await.unwrap();
            }
        });
        for (name, index) in seen.lock().unwrap().iter() {
            let i = name
                .strip_prefix("spindle-test-")
                .unwrap()
                .parse::<usize>()
                .unwrap();
            assert_eq!(*index, Some(i), "{name}");
        }
        let on_callback = Arc::new(Mutex::new(None));
        let c = on_callback.clone();
        rt.handle()
            .call_soon(move || *c.lock().unwrap() = Some(spindle::worker_index()));
        assert!(common::wait_until(Duration::from_secs(10), || on_callback
            .lock()
            .unwrap()
            .is_some()));
        assert!(matches!(*on_callback.lock().unwrap(), Some(Some(0..=3))));
    });
}
