//! Shutdown: dropping the runtime drops every pending/queued task and callback (drop counters),
//! JoinHandles of dropped tasks resolve, spawn/call_* after shutdown neither panic nor hang,
//! shutdown_timeout returns even when a task blocks, an idle runtime uses next to no CPU.

// `drop(x)` marks the exact moment a runtime / handle goes away; with types that have no
// drop glue (e.g. a signature-only build) clippy would flag these.
#![allow(clippy::drop_non_drop)]

#[macro_use]
mod common;

use common::{rt, wait_until, watchdog, DropCounter};
use spindle::{Handle, JoinHandle};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

rt_suite!(
    drop_runtime_drops_pending_tasks,
    drop_runtime_drops_queued_unpolled_tasks,
    drop_runtime_breaks_join_handle_cycles,
    join_handles_of_dropped_tasks_resolve_cancelled,
    spawn_after_shutdown_is_cancelled,
    spawn_after_shutdown_from_many_threads,
    call_after_shutdown_is_cancelled_and_dropped,
    shutdown_drops_pending_callbacks,
    shutdown_drops_sleeping_tasks,
    shutdown_timeout_returns_even_if_task_blocks,
    shutdown_timeout_on_idle_runtime_is_fast_and_drops,
    drop_impls_that_spawn_during_shutdown,
    handle_methods_after_shutdown_do_not_panic,
    drop_runtime_on_another_thread,
    promise_of_task_dropped_at_shutdown,
);

fn drop_runtime_drops_pending_tasks(workers: usize) {
    let rt = rt(workers);
    let drops = DropCounter::new();
    let started = Arc::new(AtomicUsize::new(0));
    let mut promises = Vec::new();
    let mut spawned = 0;
    // Tasks parked forever on pending().
    for _ in 0..100 {
        let token = drops.token();
        let started = started.clone();
        drop(rt.handle().spawn(async move {
            let _token = token;
            started.fetch_add(1, Ordering::SeqCst);
            futures::future::pending::<()>().await;
        }));
        spawned += 1;
    }
    // Tasks waiting on a Deferred that is never completed (the Promise stays alive).
    for _ in 0..100 {
        let (promise, deferred) = rt.handle().create_future::<u32>();
        promises.push(promise);
        let token = drops.token();
        let started = started.clone();
        drop(rt.handle().spawn(async move {
            let _token = token;
            started.fetch_add(1, Ordering::SeqCst);
            let _ = deferred.await;
        }));
        spawned += 1;
    }
    assert!(
        wait_until(Duration::from_secs(5), || started.load(Ordering::SeqCst)
            == spawned),
        "not all tasks started"
    );
    assert_eq!(drops.get(), 0, "tasks dropped before shutdown");
    drop(rt);
    assert_eq!(
        drops.get(),
        spawned,
        "after drop(rt) every pending task's future must have been dropped"
    );
    // The promises outlive the runtime: completing or dropping them must not panic.
    for (i, p) in promises.into_iter().enumerate() {
        if i % 2 == 0 {
            let _ = p.set_result(1);
        } else {
            drop(p);
        }
    }
}

fn drop_runtime_drops_queued_unpolled_tasks(workers: usize) {
    let rt = rt(workers);
    let drops = DropCounter::new();
    let started = Arc::new(AtomicUsize::new(0));
    let release = Arc::new(AtomicBool::new(false));
    // Block every worker.
    for _ in 0..workers {
        let token = drops.token();
        let started = started.clone();
        let release = release.clone();
        drop(rt.handle().spawn(async move {
            let _token = token;
            started.fetch_add(1, Ordering::SeqCst);
            let until = Instant::now() + Duration::from_secs(10);
            while !release.load(Ordering::SeqCst) && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(1));
            }
        }));
    }
    assert!(wait_until(Duration::from_secs(5), || started
        .load(Ordering::SeqCst)
        == workers));
    // These are queued and never polled before shutdown starts.
    let queued = 500;
    for _ in 0..queued {
        let token = drops.token();
        drop(rt.handle().spawn(async move {
            let _token = token;
            futures::future::pending::<()>().await;
        }));
    }
    let r2 = release.clone();
    let releaser = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        r2.store(true, Ordering::SeqCst);
    });
    drop(rt);
    releaser.join().unwrap();
    assert_eq!(drops.get(), workers + queued);
}

fn drop_runtime_breaks_join_handle_cycles(workers: usize) {
    // Task i awaits task i-1's JoinHandle; task 0 waits forever. The JoinHandles' wakers point
    // at tasks that are themselves pending: shutdown must still drop all of them.
    let rt = rt(workers);
    let drops = DropCounter::new();
    let token = drops.token();
    let mut prev: JoinHandle<()> = rt.handle().spawn(async move {
        let _token = token;
        futures::future::pending::<()>().await;
    });
    for _ in 0..50 {
        let token = drops.token();
        prev = rt.handle().spawn(async move {
            let _token = token;
            let _ = prev.await;
        });
    }
    drop(prev);
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(drops.get(), 0);
    drop(rt);
    assert_eq!(drops.get(), 51);
}

fn join_handles_of_dropped_tasks_resolve_cancelled(workers: usize) {
    let rt = rt(workers);
    let handles: Vec<JoinHandle<()>> = (0..20)
        .map(|_| rt.handle().spawn(futures::future::pending::<()>()))
        .collect();
    std::thread::sleep(Duration::from_millis(10));
    drop(rt);
    for jh in handles {
        assert!(
            wait_until(Duration::from_secs(1), || jh.is_finished()),
            "JoinHandle of a task dropped at shutdown never reports is_finished()"
        );
        let err = futures::executor::block_on(jh)
            .expect_err("a task dropped at shutdown cannot have a value");
        assert!(err.is_cancelled(), "expected cancelled, got {err:?}");
    }
}

fn spawn_after_shutdown_is_cancelled(workers: usize) {
    let rt = rt(workers);
    let handle = rt.handle().clone();
    drop(rt);
    let drops = DropCounter::new();
    let ran = Arc::new(AtomicBool::new(false));
    let token = drops.token();
    let r2 = ran.clone();
    let jh = handle.spawn(async move {
        let _token = token;
        r2.store(true, Ordering::SeqCst);
        5
    });
    let err = futures::executor::block_on(jh).expect_err("spawn after shutdown must not run");
    assert!(err.is_cancelled(), "expected cancelled, got {err:?}");
    assert!(!ran.load(Ordering::SeqCst));
    assert_eq!(
        drops.wait_for(1, Duration::from_secs(1)),
        1,
        "future spawned after shutdown not dropped"
    );
    // The free function inside a finished block_on is no longer reachable; Handle is the way.
    let jh2 = handle.spawn(async { 1 });
    assert!(futures::executor::block_on(jh2).unwrap_err().is_cancelled());
}

fn spawn_after_shutdown_from_many_threads(workers: usize) {
    let rt = rt(workers);
    let handle = rt.handle().clone();
    let drops = DropCounter::new();
    // Threads keep spawning while the runtime shuts down underneath them.
    let stop = Arc::new(AtomicBool::new(false));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let handle = handle.clone();
            let drops = drops.clone();
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut n = 0usize;
                let mut ok = 0usize;
                let mut cancelled = 0usize;
                while !stop.load(Ordering::SeqCst) || n < 200 {
                    let token = drops.token();
                    let jh = handle.spawn(async move {
                        let _token = token;
                    });
                    match futures::executor::block_on(jh) {
                        Ok(()) => ok += 1,
                        Err(e) => {
                            assert!(e.is_cancelled(), "unexpected {e:?}");
                            cancelled += 1;
                        }
                    }
                    n += 1;
                }
                (n, ok, cancelled)
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(30));
    drop(rt);
    stop.store(true, Ordering::SeqCst);
    let mut total = 0;
    for t in threads {
        let (n, ok, cancelled) = t.join().unwrap();
        assert_eq!(ok + cancelled, n);
        total += n;
    }
    assert_eq!(
        drops.wait_for(total, Duration::from_secs(1)),
        total,
        "every spawned future, run or not, must be dropped"
    );
}

fn call_after_shutdown_is_cancelled_and_dropped(workers: usize) {
    let rt = rt(workers);
    let handle = rt.handle().clone();
    drop(rt);
    let drops = DropCounter::new();
    let ran = Arc::new(AtomicUsize::new(0));
    let mut handles = Vec::new();
    for kind in 0..4 {
        let token = drops.token();
        let ran = ran.clone();
        let f = move || {
            let _token = token;
            ran.fetch_add(1, Ordering::SeqCst);
        };
        let th = match kind {
            0 => handle.call_soon(f),
            1 => handle.call_later(Duration::from_millis(5), f),
            2 => handle.call_at(Instant::now() + Duration::from_millis(5), f),
            _ => handle.call_later(Duration::MAX, f),
        };
        assert!(
            th.is_cancelled(),
            "call_* after shutdown must return a cancelled handle"
        );
        assert!(
            !th.cancel(),
            "cancel() on an already-cancelled handle must return false"
        );
        let _ = th.when();
        assert!(!format!("{th:?}").is_empty());
        handles.push(th);
    }
    assert_eq!(
        drops.wait_for(4, Duration::from_secs(1)),
        4,
        "closures passed after shutdown must be dropped"
    );
    std::thread::sleep(Duration::from_millis(30));
    assert_eq!(ran.load(Ordering::SeqCst), 0, "callback ran after shutdown");
}

fn shutdown_drops_pending_callbacks(workers: usize) {
    let rt = rt(workers);
    let drops = DropCounter::new();
    let ran = Arc::new(AtomicUsize::new(0));
    let mut armed = 0;
    // Armed from outside threads.
    for i in 0..100u64 {
        let token = drops.token();
        let ran = ran.clone();
        let th = rt
            .handle()
            .call_later(Duration::from_secs(60 + i), move || {
                let _token = token;
                ran.fetch_add(1, Ordering::SeqCst);
            });
        assert!(!th.is_cancelled());
        armed += 1;
    }
    // Armed on worker threads (their own shards), including a Duration::MAX one.
    let d2 = drops.clone();
    let r2 = ran.clone();
    let jh = rt.handle().spawn(async move {
        for i in 0..100u64 {
            let token = d2.token();
            let ran = r2.clone();
            let delay = if i == 0 {
                Duration::MAX
            } else {
                Duration::from_secs(30 + i)
            };
            let _ = spindle::call_later(delay, move || {
                let _token = token;
                ran.fetch_add(1, Ordering::SeqCst);
            });
        }
    });
    futures::executor::block_on(jh).unwrap();
    armed += 100;
    std::thread::sleep(Duration::from_millis(10));
    assert_eq!(drops.get(), 0);
    drop(rt);
    assert_eq!(
        drops.get(),
        armed,
        "pending callbacks must be dropped by drop(rt)"
    );
    assert_eq!(ran.load(Ordering::SeqCst), 0);
}

fn shutdown_drops_sleeping_tasks(workers: usize) {
    let rt = rt(workers);
    let drops = DropCounter::new();
    let started = Arc::new(AtomicUsize::new(0));
    for i in 0..50u64 {
        let token = drops.token();
        let started = started.clone();
        drop(rt.handle().spawn(async move {
            let _token = token;
            started.fetch_add(1, Ordering::SeqCst);
            spindle::sleep(Duration::from_secs(60 + i)).await;
            panic!("sleep of 60 s finished early");
        }));
    }
    assert!(wait_until(Duration::from_secs(5), || started
        .load(Ordering::SeqCst)
        == 50));
    drop(rt);
    assert_eq!(drops.get(), 50);
}

fn shutdown_timeout_returns_even_if_task_blocks(workers: usize) {
    let rt = rt(workers);
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let started = Arc::new(AtomicBool::new(false));
    let s2 = started.clone();
    drop(rt.handle().spawn(async move {
        s2.store(true, Ordering::SeqCst);
        // Blocks its worker far longer than the shutdown timeout (released by the test).
        let _ = release_rx.recv_timeout(Duration::from_secs(10));
    }));
    assert!(wait_until(Duration::from_secs(5), || started.load(Ordering::SeqCst)));
    let start = Instant::now();
    rt.shutdown_timeout(Duration::from_millis(200));
    let took = start.elapsed();
    let _ = release_tx.send(());
    assert!(
        took < Duration::from_secs(3),
        "shutdown_timeout(200ms) took {took:?} with a blocked task"
    );
}

fn shutdown_timeout_on_idle_runtime_is_fast_and_drops(workers: usize) {
    let rt = rt(workers);
    let drops = DropCounter::new();
    for _ in 0..20 {
        let token = drops.token();
        drop(rt.handle().spawn(async move {
            let _token = token;
            futures::future::pending::<()>().await;
        }));
    }
    std::thread::sleep(Duration::from_millis(10));
    let start = Instant::now();
    rt.shutdown_timeout(Duration::from_secs(10));
    let took = start.elapsed();
    assert!(
        took < Duration::from_secs(3),
        "idle shutdown_timeout(10s) took {took:?}"
    );
    assert_eq!(drops.wait_for(20, Duration::from_secs(1)), 20);
}

/// Calls into the runtime from its Drop impl, i.e. while the runtime is shutting down.
struct SpawnOnDrop {
    handle: Handle,
    inner: DropCounter,
    _outer: common::OnDrop,
}

impl Drop for SpawnOnDrop {
    fn drop(&mut self) {
        let token = self.inner.token();
        drop(self.handle.spawn(async move {
            let _token = token;
        }));
        let token = self.inner.token();
        let _ = self.handle.call_later(Duration::from_millis(1), move || {
            let _token = token;
        });
    }
}

fn drop_impls_that_spawn_during_shutdown(workers: usize) {
    let rt = rt(workers);
    let outer = DropCounter::new();
    let inner = DropCounter::new();
    for _ in 0..20 {
        let guard = SpawnOnDrop {
            handle: rt.handle().clone(),
            inner: inner.clone(),
            _outer: outer.token(),
        };
        drop(rt.handle().spawn(async move {
            let _guard = guard;
            futures::future::pending::<()>().await;
        }));
    }
    std::thread::sleep(Duration::from_millis(10));
    drop(rt); // must neither panic nor deadlock
    assert_eq!(outer.get(), 20);
    assert_eq!(
        inner.wait_for(40, Duration::from_secs(1)),
        40,
        "futures/closures submitted during shutdown must be dropped too"
    );
}

fn handle_methods_after_shutdown_do_not_panic(workers: usize) {
    let rt = rt(workers);
    let handle = rt.handle().clone();
    drop(rt);
    let m = handle.metrics();
    let _ = (m.workers(), m.tasks_spawned(), m.timers_pending());
    let t1 = handle.time();
    let t2 = handle.time();
    assert!(t2 >= t1);
    let s = handle.sleep(Duration::from_millis(1));
    drop(s);
    let (p, d) = handle.create_future::<u8>();
    let _ = p.set_result(3);
    let _ = d.is_done();
    drop(d);
    let h2 = handle.clone();
    assert!(!format!("{h2:?}").is_empty());
}

fn drop_runtime_on_another_thread(workers: usize) {
    let rt = rt(workers);
    let drops = DropCounter::new();
    let token = drops.token();
    drop(rt.handle().spawn(async move {
        let _token = token;
        futures::future::pending::<()>().await;
    }));
    std::thread::spawn(move || drop(rt)).join().unwrap();
    assert_eq!(drops.get(), 1);
}

fn promise_of_task_dropped_at_shutdown(workers: usize) {
    // A task holding the Promise is dropped at shutdown: the Deferred, awaited from a plain
    // thread, resolves to Err(Cancelled) instead of hanging.
    let rt = rt(workers);
    let (promise, deferred) = rt.handle().create_future::<u32>();
    drop(rt.handle().spawn(async move {
        let _p = promise;
        futures::future::pending::<()>().await;
    }));
    std::thread::sleep(Duration::from_millis(10));
    let waiter = std::thread::spawn(move || futures::executor::block_on(deferred));
    std::thread::sleep(Duration::from_millis(10));
    drop(rt);
    assert!(waiter.join().unwrap().is_err());
}

#[test]
fn many_runtimes_created_and_dropped() {
    watchdog("many_runtimes_created_and_dropped", || {
        for i in 0..20 {
            let rt = rt(1 + i % 4);
            let hs: Vec<_> = (0..50)
                .map(|j| rt.handle().spawn(async move { j }))
                .collect();
            let sum: usize = hs.into_iter().map(|h| rt.block_on(h).unwrap()).sum();
            assert_eq!(sum, (0..50).sum());
            let _ = rt.handle().call_later(Duration::from_secs(60), || {});
            drop(rt);
        }
    })
}

#[cfg(target_os = "linux")]
#[test]
fn idle_runtime_uses_next_to_no_cpu() {
    // Sum the CPU time of this runtime's worker threads (found by name in /proc) while idle.
    fn worker_cpu_ticks(prefix: &str) -> (usize, u64) {
        let mut threads = 0;
        let mut ticks = 0;
        for entry in std::fs::read_dir("/proc/self/task").unwrap().flatten() {
            let dir = entry.path();
            let comm = std::fs::read_to_string(dir.join("comm")).unwrap_or_default();
            if !comm.trim_end().starts_with(prefix) {
                continue;
            }
            let stat = std::fs::read_to_string(dir.join("stat")).unwrap_or_default();
            let Some(pos) = stat.rfind(')') else { continue };
            let fields: Vec<&str> = stat[pos + 1..].split_whitespace().collect();
            // After the comm: state(3) ... utime(14) stime(15) -> indexes 11 and 12.
            let utime: u64 = fields.get(11).and_then(|v| v.parse().ok()).unwrap_or(0);
            let stime: u64 = fields.get(12).and_then(|v| v.parse().ok()).unwrap_or(0);
            threads += 1;
            ticks += utime + stime;
        }
        (threads, ticks)
    }
    watchdog("idle_runtime_uses_next_to_no_cpu", || {
        let rt = spindle::Builder::new()
            .worker_threads(4)
            .thread_name("idlecpu")
            .build()
            .unwrap();
        // Some activity first, then let it settle into parking.
        let hs: Vec<_> = (0..100).map(|_| rt.handle().spawn(async {})).collect();
        for h in hs {
            futures::executor::block_on(h).unwrap();
        }
        // A far timer must not cause periodic wakeups either.
        let _ = rt.handle().call_later(Duration::from_secs(3600), || {});
        std::thread::sleep(Duration::from_millis(300));
        let (n0, t0) = worker_cpu_ticks("idlecpu");
        assert!(n0 >= 4, "found {n0} threads named idlecpu*");
        std::thread::sleep(Duration::from_millis(1000));
        let (_, t1) = worker_cpu_ticks("idlecpu");
        // Ticks are normally 10 ms each; 4 spinning workers would use ~400 ticks of CPU here
        // (or all of the machine's 2 cores: ~200).
        assert!(
            t1 - t0 <= 20,
            "idle runtime used {} clock ticks of CPU in 1 s across 4 workers",
            t1 - t0
        );
        drop(rt);
    })
}
