//! Timer benchmarks: spindle, tokio and async-executor (with async-io timers) side by side.
//!
//! Every workload is a criterion group with the functions `spindle`, `tokio` and
//! `async_executor` (plus `spindle_sleep` where spindle has two ways to do the same thing: a
//! `call_*` callback and a `Sleep` future), all on runtimes with 2 worker threads unless the
//! group name says otherwise. async-executor has no timers of its own: its column uses
//! `async_io::Timer`, as smol does.
//!
//! - `timer_churn_local` (and `timer_churn_local_1worker`): two tasks each arm 10,000 timers of
//!   30 s and cancel them at once (20,000 per iteration; criterion reports time per element).
//!   spindle: `spindle::call_later(30s, || ())` + `cancel()`; spindle_sleep: `spindle::sleep(30s)`
//!   polled once with a no-op waker, then dropped; tokio: `tokio::time::sleep(30s)` pinned,
//!   polled once (tokio registers a timer only on the first poll), dropped; async-io:
//!   `Timer::after(30s)` polled once, dropped.
//! - `timer_churn_remote`: the same from 2 plain (non-runtime) threads: spindle through
//!   `Handle::call_later` / `Handle::sleep`, tokio inside `Handle::enter`.
//!   `timer_churn_remote_1x1`: from 1 plain thread on a runtime of 1 worker (the embedding
//!   case: a server's own thread arming and cancelling deadlines).
//! - `sleep_reset`: one idle-timeout timer re-armed 10,000 times to now + 30 s and polled once
//!   after each reset, as a connection loop does (`Sleep::reset`, tokio's `Sleep::reset`,
//!   async-io's `Timer::set_at`).
//! - `timer_fire_100k` / `timer_fire_10k`: N timers due uniformly over 50 ms (starting 10 ms after
//!   the iteration starts), armed from two tasks in deadline order; the time measured is from the
//!   start until the last one has fired. spindle: `call_at` callbacks; spindle_sleep, tokio and
//!   async_executor: one spawned task per timer that sleeps until its deadline.
//! - `timer_fire_busy`: as `timer_fire_10k`, but the task that arms half of the timers then stays
//!   in a busy loop for 200 ms without yielding, so one worker is stuck for the whole window.
//!
//! For the `timer_fire*` groups each runtime also runs once (after one warm-up run) outside
//! criterion's timing and prints the lateness (actual fire instant minus deadline) percentiles
//! p50 / p99 / max in µs; the lines are also written to `target/criterion/bench-lateness.txt`
//! for `scripts/bench_table.py`.
//!
//! Every wait has a timeout and a watchdog thread ends the process with a message if nothing makes
//! progress for 120 s. `cargo bench --bench timers -- --test` runs every benchmark once.

#[path = "common/mod.rs"]
mod common;
use common::{filter, watchdog, AeRt};
use criterion::measurement::WallTime;
use criterion::{Bencher, BenchmarkGroup, Criterion, SamplingMode, Throughput};
use futures::task::noop_waker_ref;
use std::future::Future;
use std::io::Write as _;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::sync::{Arc, Mutex};
use std::task::Context;
use std::time::{Duration, Instant};

/// Worker threads per runtime: 2 (this project's CI machine), or `BENCH_WORKERS` to measure
/// scaling on a bigger machine (`BENCH_WORKERS=8 cargo bench ...`).
fn workers() -> usize {
    std::env::var("BENCH_WORKERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2)
}
/// Far enough never to fire during a benchmark.
const D30: Duration = Duration::from_secs(30);
/// Arm+cancel pairs per iteration, split over two tasks / threads.
const CHURN: usize = 20_000;
/// Resets per iteration of `sleep_reset`.
const RESETS: usize = 10_000;
const FIRE_OFFSET: Duration = Duration::from_millis(10);
const FIRE_SPREAD: Duration = Duration::from_millis(50);
const BUSY_TIMERS: usize = 10_000;
const BUSY_FOR: Duration = Duration::from_millis(200);
/// How long any single wait may take before the bench panics.
const WAIT_LIMIT: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------------------------
// Runtimes.

/// Lets a spawned spindle task run on its own: dropping its `JoinHandle` detaches it.
fn detach<T>(_handle: spindle::JoinHandle<T>) {}

fn spindle_rt(workers: usize) -> spindle::Runtime {
    spindle::Builder::new()
        .worker_threads(workers)
        .thread_name("spindle-bench")
        .build()
        .expect("build spindle runtime")
}

fn tokio_rt(workers: usize) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .thread_name("tokio-bench")
        .enable_all()
        .build()
        .expect("build tokio runtime")
}

fn ok<T, E: std::fmt::Debug>(r: Result<T, E>) -> T {
    r.unwrap_or_else(|e| panic!("benchmark task failed: {e:?}"))
}

/// Runs `work(n / 2)` in two spawned tasks and waits for both.
fn two_tasks_spindle(rt: &spindle::Runtime, n: usize, work: fn(usize)) {
    rt.block_on(async {
        let a = spindle::spawn(async move { work(n / 2) });
        let b = spindle::spawn(async move { work(n - n / 2) });
        ok(a.await);
        ok(b.await);
    });
}

fn two_tasks_tokio(rt: &tokio::runtime::Runtime, n: usize, work: fn(usize)) {
    rt.block_on(async {
        let a = tokio::spawn(async move { work(n / 2) });
        let b = tokio::spawn(async move { work(n - n / 2) });
        ok(a.await);
        ok(b.await);
    });
}

fn two_tasks_ae(rt: &AeRt, n: usize, work: fn(usize)) {
    let a = rt.ex.spawn(async move { work(n / 2) });
    let b = rt.ex.spawn(async move { work(n - n / 2) });
    async_io::block_on(async {
        a.await;
        b.await;
    });
}

// ---------------------------------------------------------------------------------------------
// Plain (non-runtime) threads for the remote workloads, kept across iterations.

type Job = Arc<dyn Fn(usize) + Send + Sync>;

struct Pool {
    jobs: Vec<Sender<Job>>,
    done: Receiver<Result<(), String>>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Pool {
    fn new(n: usize) -> Pool {
        let (done_tx, done) = mpsc::channel();
        let mut jobs = Vec::new();
        let mut threads = Vec::new();
        for i in 0..n {
            let (tx, rx) = mpsc::channel::<Job>();
            let done_tx = done_tx.clone();
            jobs.push(tx);
            threads.push(
                std::thread::Builder::new()
                    .name(format!("remote-{i}"))
                    .spawn(move || {
                        for job in rx {
                            let r =
                                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(i)))
                                    .map_err(|p| {
                                        p.downcast_ref::<&str>()
                                            .map(|s| s.to_string())
                                            .or_else(|| p.downcast_ref::<String>().cloned())
                                            .unwrap_or_else(|| "panic".into())
                                    });
                            if done_tx.send(r).is_err() {
                                return;
                            }
                        }
                    })
                    .expect("spawn remote thread"),
            );
        }
        Pool {
            jobs,
            done,
            threads,
        }
    }

    /// Runs `job(thread_index)` once on every thread and waits for all of them.
    fn run(&self, job: &Job) {
        for tx in &self.jobs {
            tx.send(job.clone()).expect("remote thread gone");
        }
        for _ in 0..self.jobs.len() {
            match self.done.recv_timeout(WAIT_LIMIT) {
                Ok(Ok(())) => {}
                Ok(Err(msg)) => panic!("remote thread panicked: {msg}"),
                Err(e) => panic!("remote threads did not finish within {WAIT_LIMIT:?} ({e})"),
            }
        }
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.jobs.clear();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Churn: arm a 30 s timer and cancel it at once, `n` times.

fn noop_cx() -> Context<'static> {
    Context::from_waker(noop_waker_ref())
}

fn churn_spindle_cb(n: usize) {
    for _ in 0..n {
        let h = spindle::call_later(D30, || ());
        assert!(h.cancel(), "cancel of a pending 30 s timer must succeed");
    }
}

fn churn_spindle_sleep(n: usize) {
    let mut cx = noop_cx();
    for _ in 0..n {
        let s = pin!(spindle::sleep(D30));
        assert!(s.poll(&mut cx).is_pending());
    }
}

fn churn_spindle_cb_remote(h: &spindle::Handle, n: usize) {
    for _ in 0..n {
        let t = h.call_later(D30, || ());
        assert!(t.cancel(), "cancel of a pending 30 s timer must succeed");
    }
}

fn churn_spindle_sleep_remote(h: &spindle::Handle, n: usize) {
    let mut cx = noop_cx();
    for _ in 0..n {
        let s = pin!(h.sleep(D30));
        assert!(s.poll(&mut cx).is_pending());
    }
}

fn churn_tokio(n: usize) {
    let mut cx = noop_cx();
    for _ in 0..n {
        let s = pin!(tokio::time::sleep(D30));
        assert!(s.poll(&mut cx).is_pending());
    }
}

fn churn_async_io(n: usize) {
    let mut cx = noop_cx();
    for _ in 0..n {
        let mut t = async_io::Timer::after(D30);
        assert!(Pin::new(&mut t).poll(&mut cx).is_pending());
    }
}

// ---------------------------------------------------------------------------------------------
// sleep_reset: one timer re-armed `n` times, polled after each reset.

fn reset_spindle(n: usize) {
    let mut cx = noop_cx();
    let mut s = pin!(spindle::sleep(D30));
    assert!(s.as_mut().poll(&mut cx).is_pending());
    for _ in 0..n {
        s.as_mut().reset(Instant::now() + D30);
        assert!(s.as_mut().poll(&mut cx).is_pending());
    }
}

fn reset_tokio(n: usize) {
    let mut cx = noop_cx();
    let mut s = pin!(tokio::time::sleep(D30));
    assert!(s.as_mut().poll(&mut cx).is_pending());
    for _ in 0..n {
        s.as_mut().reset(tokio::time::Instant::now() + D30);
        assert!(s.as_mut().poll(&mut cx).is_pending());
    }
}

fn reset_async_io(n: usize) {
    let mut cx = noop_cx();
    let mut t = async_io::Timer::after(D30);
    assert!(Pin::new(&mut t).poll(&mut cx).is_pending());
    for _ in 0..n {
        t.set_at(Instant::now() + D30);
        assert!(Pin::new(&mut t).poll(&mut cx).is_pending());
    }
}

// ---------------------------------------------------------------------------------------------
// timer_fire: N timers due over 50 ms; how long until all fired, and how late each one was.

struct Fire {
    rem: AtomicUsize,
    late_ns: Vec<AtomicU64>,
    early: AtomicUsize,
    last: Mutex<Option<Instant>>,
    tx: SyncSender<()>,
}

impl Fire {
    /// Called when timer `i` (due at `deadline`) fires.
    fn fired(&self, i: usize, deadline: Instant) {
        let now = Instant::now();
        if now < deadline {
            self.early.fetch_add(1, Ordering::Relaxed);
        }
        let late = now.saturating_duration_since(deadline).as_nanos() as u64;
        self.late_ns[i].store(late, Ordering::Relaxed);
        if self.rem.fetch_sub(1, Ordering::AcqRel) == 1 {
            *self.last.lock().unwrap() = Some(now);
            let _ = self.tx.send(());
        }
    }
}

struct Outcome {
    /// From the start of the iteration until the last timer fired.
    elapsed: Duration,
    fire: Arc<Fire>,
}

/// How a runtime arms one timer for `timer_fire`: called inside an arming task.
type Arm = Arc<dyn Fn(&Arc<Fire>, usize, Instant) + Send + Sync>;
/// How a runtime spawns one (synchronous) arming task from the bench thread.
type SpawnTask<'a> = &'a dyn Fn(Box<dyn FnOnce() + Send>);

/// One `timer_fire` iteration: two tasks arm timers `i ≡ k (mod 2)` in deadline order; with
/// `busy`, task 0 then spins without yielding until 200 ms after the start.
fn fire_once(n: usize, busy: bool, spawn: SpawnTask<'_>, arm: &Arm) -> Outcome {
    let (tx, rx) = mpsc::sync_channel(1);
    let fire = Arc::new(Fire {
        rem: AtomicUsize::new(n),
        late_ns: (0..n).map(|_| AtomicU64::new(0)).collect(),
        early: AtomicUsize::new(0),
        last: Mutex::new(None),
        tx,
    });
    let (busy_tx, busy_rx) = mpsc::sync_channel::<()>(1);
    let start = Instant::now();
    let t0 = start + FIRE_OFFSET;
    for k in 0..2 {
        let fire = fire.clone();
        let arm = arm.clone();
        let busy_tx = busy_tx.clone();
        spawn(Box::new(move || {
            for i in (k..n).step_by(2) {
                let deadline = t0 + FIRE_SPREAD * i as u32 / n as u32;
                arm(&fire, i, deadline);
            }
            if busy && k == 0 {
                while Instant::now() < start + BUSY_FOR {
                    std::hint::spin_loop();
                }
                let _ = busy_tx.send(());
            }
        }));
    }
    if let Err(e) = rx.recv_timeout(WAIT_LIMIT) {
        let left = fire.rem.load(Ordering::Relaxed);
        panic!("timer_fire: {left} of {n} timers had not fired after {WAIT_LIMIT:?} ({e})");
    }
    let last = fire.last.lock().unwrap().expect("last fire recorded");
    if busy {
        busy_rx
            .recv_timeout(WAIT_LIMIT)
            .expect("timer_fire_busy: the busy task did not finish");
    }
    Outcome {
        elapsed: last.saturating_duration_since(start),
        fire,
    }
}

fn lateness_file() -> std::path::PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").unwrap_or_else(|| "target".into());
    std::path::Path::new(&target)
        .join("criterion")
        .join("bench-lateness.txt")
}

/// Prints (and saves) the lateness percentiles of one run.
fn report_lateness(id: &str, o: &Outcome) {
    let mut v: Vec<u64> = o
        .fire
        .late_ns
        .iter()
        .map(|x| x.load(Ordering::Relaxed))
        .collect();
    v.sort_unstable();
    let n = v.len();
    let us = |ns: u64| ns as f64 / 1000.0;
    let line = format!(
        "lateness {id}: p50 {:.0} us, p99 {:.0} us, max {:.0} us (n={n}, all fired after {:.1} ms, early={})",
        us(v[n / 2]),
        us(v[(n * 99 / 100).min(n - 1)]),
        us(v[n - 1]),
        o.elapsed.as_secs_f64() * 1e3,
        o.fire.early.load(Ordering::Relaxed),
    );
    println!("{line}");
    static FIRST: AtomicBool = AtomicBool::new(true);
    let path = lateness_file();
    let first = FIRST.swap(false, Ordering::Relaxed);
    let _ = std::fs::create_dir_all(path.parent().unwrap());
    let file = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .append(!first)
        .truncate(first)
        .open(&path);
    if let Ok(mut f) = file {
        let _ = writeln!(f, "{line}");
    }
}

fn arm_spindle_cb() -> Arm {
    Arc::new(|fire, i, deadline| {
        let fire = fire.clone();
        // The TimerHandle is dropped: that does not cancel the callback.
        spindle::call_at(deadline, move || fire.fired(i, deadline));
    })
}

fn arm_spindle_sleep() -> Arm {
    Arc::new(|fire, i, deadline| {
        let fire = fire.clone();
        detach(spindle::spawn(async move {
            spindle::sleep_until(deadline).await;
            fire.fired(i, deadline);
        }));
    })
}

fn arm_tokio() -> Arm {
    Arc::new(|fire, i, deadline| {
        let fire = fire.clone();
        drop(tokio::spawn(async move {
            tokio::time::sleep_until(tokio::time::Instant::from_std(deadline)).await;
            fire.fired(i, deadline);
        }));
    })
}

fn arm_async_io(ex: &'static async_executor::Executor<'static>) -> Arm {
    Arc::new(move |fire, i, deadline| {
        let fire = fire.clone();
        ex.spawn(async move {
            async_io::Timer::at(deadline).await;
            fire.fired(i, deadline);
        })
        .detach();
    })
}

// ---------------------------------------------------------------------------------------------
// Group plumbing.

/// Builds the runtime (only if criterion will run `group/name`), runs the benchmark, drops it.
fn bench<T>(
    g: &mut BenchmarkGroup<'_, WallTime>,
    group: &str,
    name: &str,
    make: impl FnOnce() -> T,
    f: impl Fn(&mut Bencher, &T),
) {
    if !filter::selected(&format!("{group}/{name}")) {
        return;
    }
    watchdog::set(&format!("{group}/{name} (building runtime)"));
    let rt = make();
    watchdog::set(&format!("{group}/{name}"));
    g.bench_function(name, |b| f(b, &rt));
    watchdog::set(&format!("{group}/{name} (dropping runtime)"));
    drop(rt);
    watchdog::set("between benchmarks");
}

fn timer_churn_local(c: &mut Criterion, group: &str, workers: usize) {
    let mut g = c.benchmark_group(group);
    g.throughput(Throughput::Elements(CHURN as u64));
    let spin = |b: &mut Bencher, rt: &spindle::Runtime, work: fn(usize)| {
        b.iter(|| {
            watchdog::beat();
            two_tasks_spindle(rt, CHURN, work)
        })
    };
    bench(
        &mut g,
        group,
        "spindle",
        || spindle_rt(workers),
        |b, rt| spin(b, rt, churn_spindle_cb),
    );
    bench(
        &mut g,
        group,
        "spindle_sleep",
        || spindle_rt(workers),
        |b, rt| spin(b, rt, churn_spindle_sleep),
    );
    bench(
        &mut g,
        group,
        "tokio",
        || tokio_rt(workers),
        |b, rt| {
            b.iter(|| {
                watchdog::beat();
                two_tasks_tokio(rt, CHURN, churn_tokio)
            })
        },
    );
    bench(
        &mut g,
        group,
        "async_executor",
        || AeRt::start(workers),
        |b, rt| {
            b.iter(|| {
                watchdog::beat();
                two_tasks_ae(rt, CHURN, churn_async_io)
            })
        },
    );
    g.finish();
}

/// `threads` plain threads arm and cancel on a runtime of `workers` workers (issue 12 names
/// the 1 worker + 1 thread row, the embedding case, and the 2 + 2 one).
fn timer_churn_remote(c: &mut Criterion, group: &str, workers: usize, threads: usize) {
    let mut g = c.benchmark_group(group);
    g.throughput(Throughput::Elements(CHURN as u64));
    let pool = Pool::new(threads);
    let per_thread = CHURN / threads;
    let run = |b: &mut Bencher, job: Job| {
        b.iter(|| {
            watchdog::beat();
            pool.run(&job)
        })
    };
    bench(
        &mut g,
        group,
        "spindle",
        || spindle_rt(workers),
        |b, rt| {
            let h = rt.handle().clone();
            run(
                b,
                Arc::new(move |_| churn_spindle_cb_remote(&h, per_thread)),
            )
        },
    );
    bench(
        &mut g,
        group,
        "spindle_sleep",
        || spindle_rt(workers),
        |b, rt| {
            let h = rt.handle().clone();
            run(
                b,
                Arc::new(move |_| churn_spindle_sleep_remote(&h, per_thread)),
            )
        },
    );
    bench(
        &mut g,
        group,
        "tokio",
        || tokio_rt(workers),
        |b, rt| {
            let h = rt.handle().clone();
            run(
                b,
                Arc::new(move |_| {
                    let _enter = h.enter();
                    churn_tokio(per_thread)
                }),
            )
        },
    );
    bench(
        &mut g,
        group,
        "async_executor",
        || AeRt::start(workers),
        |b, _rt| run(b, Arc::new(move |_| churn_async_io(per_thread))),
    );
    g.finish();
}

fn sleep_reset(c: &mut Criterion) {
    let group = "sleep_reset";
    let mut g = c.benchmark_group(group);
    g.throughput(Throughput::Elements(RESETS as u64));
    bench(
        &mut g,
        group,
        "spindle",
        || spindle_rt(workers()),
        |b, rt| {
            b.iter(|| {
                watchdog::beat();
                rt.block_on(async { ok(spindle::spawn(async { reset_spindle(RESETS) }).await) })
            })
        },
    );
    bench(
        &mut g,
        group,
        "tokio",
        || tokio_rt(workers()),
        |b, rt| {
            b.iter(|| {
                watchdog::beat();
                rt.block_on(async { ok(tokio::spawn(async { reset_tokio(RESETS) }).await) })
            })
        },
    );
    bench(
        &mut g,
        group,
        "async_executor",
        || AeRt::start(workers()),
        |b, rt| {
            b.iter(|| {
                watchdog::beat();
                async_io::block_on(rt.ex.spawn(async { reset_async_io(RESETS) }))
            })
        },
    );
    g.finish();
}

fn timer_fire(c: &mut Criterion, group: &str, n: usize, busy: bool) {
    let mut g = c.benchmark_group(group);
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(if busy { 1 } else { 2 }));
    // Runs one iteration outside criterion's timing and prints the lateness, then the benchmark.
    let fire = |b: &mut Bencher, name: &str, spawn: SpawnTask<'_>, arm: Arm| {
        static REPORTED: Mutex<Vec<String>> = Mutex::new(Vec::new());
        let id = format!("{group}/{name}");
        // criterion calls this closure several times; report once per benchmark.
        if !REPORTED.lock().unwrap().contains(&id) {
            REPORTED.lock().unwrap().push(id.clone());
            fire_once(n, busy, spawn, &arm); // warm-up (first-touch allocations)
            report_lateness(&id, &fire_once(n, busy, spawn, &arm));
        }
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| {
                    watchdog::beat();
                    fire_once(n, busy, spawn, &arm).elapsed
                })
                .sum()
        })
    };
    bench(
        &mut g,
        group,
        "spindle",
        || spindle_rt(workers()),
        |b, rt| {
            let h = rt.handle().clone();
            fire(
                b,
                "spindle",
                &|f| {
                    detach(h.spawn(async move { f() }));
                },
                arm_spindle_cb(),
            )
        },
    );
    bench(
        &mut g,
        group,
        "spindle_sleep",
        || spindle_rt(workers()),
        |b, rt| {
            let h = rt.handle().clone();
            fire(
                b,
                "spindle_sleep",
                &|f| {
                    detach(h.spawn(async move { f() }));
                },
                arm_spindle_sleep(),
            )
        },
    );
    bench(
        &mut g,
        group,
        "tokio",
        || tokio_rt(workers()),
        |b, rt| {
            fire(
                b,
                "tokio",
                &|f| drop(rt.spawn(async move { f() })),
                arm_tokio(),
            )
        },
    );
    bench(
        &mut g,
        group,
        "async_executor",
        || AeRt::start(workers()),
        |b, rt| {
            let ex = rt.ex;
            fire(
                b,
                "async_executor",
                &|f| ex.spawn(async move { f() }).detach(),
                arm_async_io(ex),
            )
        },
    );
    g.finish();
}

fn timers(c: &mut Criterion) {
    timer_churn_local(c, "timer_churn_local", workers());
    timer_churn_local(c, "timer_churn_local_1worker", 1);
    timer_churn_remote(c, "timer_churn_remote", workers(), 2);
    // issue 12: the embedding case, one runtime worker and one plain thread.
    timer_churn_remote(c, "timer_churn_remote_1x1", 1, 1);
    sleep_reset(c);
    timer_fire(c, "timer_fire_100k", 100_000, false);
    timer_fire(c, "timer_fire_10k", 10_000, false);
    timer_fire(c, "timer_fire_busy", BUSY_TIMERS, true);
}

fn main() {
    watchdog::start();
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    timers(&mut c);
    c.final_summary();
}
