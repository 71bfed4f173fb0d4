//! Scheduler benchmarks: spindle, tokio and async-executor side by side.
//!
//! Every workload is a criterion group with three functions, `spindle`, `tokio` and
//! `async_executor`, so the ratios come from one run. Every runtime has 2 worker threads. The
//! workloads are the shapes of tokio's `benches/rt_multi_threaded.rs` and
//! `benches/remote_spawn.rs`, with tokio's counts:
//!
//! - `spawn_many_local`: 10,000 no-op tasks spawned from inside `block_on`. The `block_on`
//!   thread is not a worker, so in tokio (and async-executor) these spawns go through the
//!   runtime's shared inject queue: this is tokio's "local" benchmark, not a truly local spawn.
//! - `spawn_many_local_in_task`: the truly local variant: the 10,000 tasks are spawned from
//!   inside a spawned task, i.e. on a worker thread, onto that worker's own queue.
//! - `spawn_many_remote_idle`: 10,000 tasks spawned from the (non-runtime) bench thread into an
//!   idle runtime, then awaited through their join handles.
//! - `spawn_many_remote_busy`: the same while 4 background tasks keep both workers busy
//!   (yield, then stall 10 µs, forever).
//! - `ping_pong`: 1,000 pairs of tasks exchanging a message each way through
//!   `futures::channel::oneshot` (the same channel for all three runtimes).
//! - `yield_many`: 200 tasks spawned from outside, each yielding 1,000 times.
//! - `chained_spawn`: a chain of 1,000 tasks, each spawning the next.
//! - `remote_spawn_1thread` / `remote_spawn_2threads`: 12,800 no-op tasks spawned from 1 or 2
//!   plain threads released together by a `std::sync::Barrier`, then awaited.
//!
//! Every wait has a timeout, and a watchdog thread ends the process with a message if no
//! iteration makes progress for 120 s, so a hung runtime fails the run instead of hanging it.
//! `cargo bench --bench scheduler -- --test` runs every benchmark once (smoke test).

#[path = "common/mod.rs"]
mod common;
use common::{filter, watchdog, AeRt};
use criterion::{Bencher, BenchmarkGroup, Criterion};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Barrier};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// Worker threads per runtime: 2 (this project's CI machine), or `BENCH_WORKERS` to measure
/// scaling on a bigger machine (`BENCH_WORKERS=8 cargo bench ...`).
fn workers() -> usize {
    std::env::var("BENCH_WORKERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2)
}
const NUM_SPAWN: usize = 10_000;
const NUM_PINGS: usize = 1_000;
const NUM_YIELD: usize = 1_000;
const YIELD_TASKS: usize = 200;
const CHAIN: usize = 1_000;
const REMOTE_SPAWN_TASKS: usize = 12_800;
fn busy_tasks() -> usize {
    2 * workers()
}
const STALL: Duration = Duration::from_micros(10);
/// How long any single wait may take before the bench panics.
const WAIT_LIMIT: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------------------------
// Completion signalling: a countdown plus a channel, so every iteration waits for all tasks.

struct Done {
    rem: AtomicUsize,
    tx: SyncSender<()>,
}

impl Done {
    fn new() -> (Arc<Done>, Receiver<()>) {
        let (tx, rx) = mpsc::sync_channel(YIELD_TASKS.max(16));
        (
            Arc::new(Done {
                rem: AtomicUsize::new(0),
                tx,
            }),
            rx,
        )
    }

    fn arm(&self, n: usize) {
        self.rem.store(n, Ordering::Relaxed);
    }

    /// Counts one completion; the last one sends the signal.
    fn hit(&self) {
        if self.rem.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.tx.send(()).expect("bench receiver gone");
        }
    }
}

fn wait(rx: &Receiver<()>, what: &str) {
    if let Err(e) = rx.recv_timeout(WAIT_LIMIT) {
        panic!("{what}: tasks did not complete within {WAIT_LIMIT:?} ({e})");
    }
}

// ---------------------------------------------------------------------------------------------
// The three runtimes behind one small interface, so each workload is written once.

/// Spawning, as user code does it: `Local` is what code inside the runtime calls (free
/// functions / the executor), `Remote` is a handle used from any thread.
trait Spawn: Clone + Send + Sync + 'static {
    type Join<T: Send + 'static>: Future<Output = T> + Send + 'static;
    fn spawn<T, F>(&self, fut: F) -> Self::Join<T>
    where
        T: Send + 'static,
        F: Future<Output = T> + Send + 'static;
    /// Spawns and lets the task run on its own (the join handle is not kept).
    fn spawn_detached<F>(&self, fut: F)
    where
        F: Future<Output = ()> + Send + 'static;
    fn yield_now(&self) -> impl Future<Output = ()> + Send + 'static;
}

trait Rt {
    type Local: Spawn + Copy;
    type Remote: Spawn;
    fn new(workers: usize) -> Self;
    fn local(&self) -> Self::Local;
    fn remote(&self) -> Self::Remote;
    fn block_on<F: Future>(&self, fut: F) -> F::Output;
}

/// Turns a `Result`-returning join handle into a future of the task's output.
struct Unwrap<J>(J);

impl<T, E: std::fmt::Debug, J: Future<Output = Result<T, E>> + Unpin> Future for Unwrap<J> {
    type Output = T;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        Pin::new(&mut self.0)
            .poll(cx)
            .map(|r| r.unwrap_or_else(|e| panic!("benchmark task failed: {e:?}")))
    }
}

// spindle ----------------------------------------------------------------------------------------

/// Lets a spawned spindle task run on its own: dropping its `JoinHandle` detaches it.
fn detach<T>(_handle: spindle::JoinHandle<T>) {}

struct SpindleRt(spindle::Runtime);

#[derive(Clone, Copy)]
struct SpindleLocal;

impl Spawn for SpindleLocal {
    type Join<T: Send + 'static> = Unwrap<spindle::JoinHandle<T>>;
    fn spawn<T, F>(&self, fut: F) -> Self::Join<T>
    where
        T: Send + 'static,
        F: Future<Output = T> + Send + 'static,
    {
        Unwrap(spindle::spawn(fut))
    }
    fn spawn_detached<F>(&self, fut: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        detach(spindle::spawn(fut));
    }
    fn yield_now(&self) -> impl Future<Output = ()> + Send + 'static {
        spindle::yield_now()
    }
}

impl Spawn for spindle::Handle {
    type Join<T: Send + 'static> = Unwrap<spindle::JoinHandle<T>>;
    fn spawn<T, F>(&self, fut: F) -> Self::Join<T>
    where
        T: Send + 'static,
        F: Future<Output = T> + Send + 'static,
    {
        Unwrap(spindle::Handle::spawn(self, fut))
    }
    fn spawn_detached<F>(&self, fut: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        detach(spindle::Handle::spawn(self, fut));
    }
    fn yield_now(&self) -> impl Future<Output = ()> + Send + 'static {
        spindle::yield_now()
    }
}

impl Rt for SpindleRt {
    type Local = SpindleLocal;
    type Remote = spindle::Handle;
    fn new(workers: usize) -> Self {
        SpindleRt(
            spindle::Builder::new()
                .worker_threads(workers)
                .thread_name("spindle-bench")
                .build()
                .expect("build spindle runtime"),
        )
    }
    fn local(&self) -> SpindleLocal {
        SpindleLocal
    }
    fn remote(&self) -> spindle::Handle {
        self.0.handle().clone()
    }
    fn block_on<F: Future>(&self, fut: F) -> F::Output {
        self.0.block_on(fut)
    }
}

// tokio ------------------------------------------------------------------------------------------

struct TokioRt(tokio::runtime::Runtime);

#[derive(Clone, Copy)]
struct TokioLocal;

impl Spawn for TokioLocal {
    type Join<T: Send + 'static> = Unwrap<tokio::task::JoinHandle<T>>;
    fn spawn<T, F>(&self, fut: F) -> Self::Join<T>
    where
        T: Send + 'static,
        F: Future<Output = T> + Send + 'static,
    {
        Unwrap(tokio::spawn(fut))
    }
    fn spawn_detached<F>(&self, fut: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        drop(tokio::spawn(fut));
    }
    fn yield_now(&self) -> impl Future<Output = ()> + Send + 'static {
        tokio::task::yield_now()
    }
}

impl Spawn for tokio::runtime::Handle {
    type Join<T: Send + 'static> = Unwrap<tokio::task::JoinHandle<T>>;
    fn spawn<T, F>(&self, fut: F) -> Self::Join<T>
    where
        T: Send + 'static,
        F: Future<Output = T> + Send + 'static,
    {
        Unwrap(tokio::runtime::Handle::spawn(self, fut))
    }
    fn spawn_detached<F>(&self, fut: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        drop(tokio::runtime::Handle::spawn(self, fut));
    }
    fn yield_now(&self) -> impl Future<Output = ()> + Send + 'static {
        tokio::task::yield_now()
    }
}

impl Rt for TokioRt {
    type Local = TokioLocal;
    type Remote = tokio::runtime::Handle;
    fn new(workers: usize) -> Self {
        TokioRt(
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(workers)
                .thread_name("tokio-bench")
                .enable_all()
                .build()
                .expect("build tokio runtime"),
        )
    }
    fn local(&self) -> TokioLocal {
        TokioLocal
    }
    fn remote(&self) -> tokio::runtime::Handle {
        self.0.handle().clone()
    }
    fn block_on<F: Future>(&self, fut: F) -> F::Output {
        self.0.block_on(fut)
    }
}

// async-executor ---------------------------------------------------------------------------------

#[derive(Clone, Copy)]
struct AeSpawner(&'static async_executor::Executor<'static>);

impl Spawn for AeSpawner {
    type Join<T: Send + 'static> = async_executor::Task<T>;
    fn spawn<T, F>(&self, fut: F) -> Self::Join<T>
    where
        T: Send + 'static,
        F: Future<Output = T> + Send + 'static,
    {
        self.0.spawn(fut)
    }
    fn spawn_detached<F>(&self, fut: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.0.spawn(fut).detach();
    }
    fn yield_now(&self) -> impl Future<Output = ()> + Send + 'static {
        YieldNow(false)
    }
}

/// `futures_lite::future::yield_now`: wake self, return `Pending` once.
struct YieldNow(bool);

impl Future for YieldNow {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

impl Rt for AeRt {
    type Local = AeSpawner;
    type Remote = AeSpawner;
    fn new(workers: usize) -> Self {
        AeRt::start(workers)
    }
    fn local(&self) -> AeSpawner {
        AeSpawner(self.ex)
    }
    fn remote(&self) -> AeSpawner {
        AeSpawner(self.ex)
    }
    fn block_on<F: Future>(&self, fut: F) -> F::Output {
        async_io::block_on(fut)
    }
}

// ---------------------------------------------------------------------------------------------
// Workloads, each written once for all three runtimes.

/// tokio's `spawn_many_local`: spawned from `block_on` (not a worker thread).
fn spawn_many_local<R: Rt>(b: &mut Bencher, rt: &R) {
    let (done, rx) = Done::new();
    let sp = rt.local();
    b.iter(|| {
        watchdog::beat();
        done.arm(NUM_SPAWN);
        rt.block_on(async {
            for _ in 0..NUM_SPAWN {
                let done = done.clone();
                sp.spawn_detached(async move { done.hit() });
            }
        });
        wait(&rx, "spawn_many_local");
    });
}

/// Truly local spawning: from inside a task running on a worker.
fn spawn_many_local_in_task<R: Rt>(b: &mut Bencher, rt: &R) {
    let (done, rx) = Done::new();
    let sp = rt.local();
    b.iter(|| {
        watchdog::beat();
        done.arm(NUM_SPAWN);
        let done = done.clone();
        rt.block_on(async {
            sp.spawn_detached(async move {
                for _ in 0..NUM_SPAWN {
                    let done = done.clone();
                    sp.spawn_detached(async move { done.hit() });
                }
            });
        });
        wait(&rx, "spawn_many_local_in_task");
    });
}

fn spawn_many_remote<R: Rt>(b: &mut Bencher, rt: &R) {
    let sp = rt.remote();
    let mut handles = Vec::with_capacity(NUM_SPAWN);
    b.iter(|| {
        watchdog::beat();
        for _ in 0..NUM_SPAWN {
            handles.push(sp.spawn(async {}));
        }
        rt.block_on(async {
            for h in handles.drain(..) {
                h.await;
            }
        });
    });
}

fn spawn_many_remote_idle<R: Rt>(b: &mut Bencher, rt: &R) {
    spawn_many_remote(b, rt);
}

/// Keeps every worker busy: `busy_tasks()` tasks that yield and then stall for 10 µs, until the
/// returned flag is cleared.
fn start_busy<R: Rt>(rt: &R) -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(true));
    let sp = rt.remote();
    for _ in 0..busy_tasks() {
        let flag = flag.clone();
        let y = sp.clone();
        sp.spawn_detached(async move {
            while flag.load(Ordering::Relaxed) {
                y.yield_now().await;
                let t = Instant::now();
                while t.elapsed() < STALL {
                    std::thread::yield_now();
                }
            }
        });
    }
    flag
}

fn spawn_many_remote_busy<R: Rt>(b: &mut Bencher, rt: &R) {
    spawn_many_remote(b, rt);
}

fn ping_pong<R: Rt>(b: &mut Bencher, rt: &R) {
    use futures::channel::oneshot;
    let (done, rx) = Done::new();
    let sp = rt.local();
    b.iter(|| {
        watchdog::beat();
        done.arm(NUM_PINGS);
        let done = done.clone();
        rt.block_on(async {
            sp.spawn_detached(async move {
                for _ in 0..NUM_PINGS {
                    let done = done.clone();
                    sp.spawn_detached(async move {
                        let (tx1, rx1) = oneshot::channel::<()>();
                        let (tx2, rx2) = oneshot::channel::<()>();
                        sp.spawn_detached(async move {
                            rx1.await.unwrap();
                            tx2.send(()).unwrap();
                        });
                        tx1.send(()).unwrap();
                        rx2.await.unwrap();
                        done.hit();
                    });
                }
            });
        });
        wait(&rx, "ping_pong");
    });
}

fn yield_many<R: Rt>(b: &mut Bencher, rt: &R) {
    let (done, rx) = Done::new();
    let sp = rt.remote();
    b.iter(|| {
        watchdog::beat();
        done.arm(YIELD_TASKS);
        for _ in 0..YIELD_TASKS {
            let done = done.clone();
            let y = sp.clone();
            sp.spawn_detached(async move {
                for _ in 0..NUM_YIELD {
                    y.yield_now().await;
                }
                done.hit();
            });
        }
        wait(&rx, "yield_many");
    });
}

fn chained_spawn<R: Rt>(b: &mut Bencher, rt: &R) {
    fn iter<S: Spawn>(sp: S, done: Arc<Done>, n: usize) {
        if n == 0 {
            done.hit();
        } else {
            sp.clone()
                .spawn_detached(async move { iter(sp, done, n - 1) });
        }
    }
    let (done, rx) = Done::new();
    let sp = rt.local();
    b.iter(|| {
        watchdog::beat();
        done.arm(1);
        let done = done.clone();
        rt.block_on(async {
            sp.spawn_detached(async move { iter(sp, done, CHAIN) });
        });
        wait(&rx, "chained_spawn");
    });
}

/// tokio's `remote_spawn`: `threads` plain threads start together on a barrier, each spawns
/// its share of 12,800 no-op tasks; then all are awaited.
fn remote_spawn<R: Rt>(b: &mut Bencher, rt: &R, threads: usize) {
    let sp = rt.remote();
    let per_thread = REMOTE_SPAWN_TASKS / threads;
    b.iter(|| {
        watchdog::beat();
        let barrier = Barrier::new(threads);
        let handles: Vec<_> = std::thread::scope(|s| {
            let spawners: Vec<_> = (0..threads)
                .map(|_| {
                    let barrier = &barrier;
                    let sp = sp.clone();
                    s.spawn(move || {
                        let mut hs = Vec::with_capacity(per_thread);
                        barrier.wait();
                        for _ in 0..per_thread {
                            hs.push(sp.spawn(async {}));
                        }
                        hs
                    })
                })
                .collect();
            spawners
                .into_iter()
                .flat_map(|t| t.join().expect("spawner thread panicked"))
                .collect()
        });
        rt.block_on(async {
            for h in handles {
                h.await;
            }
        });
    });
}

fn remote_spawn_1thread<R: Rt>(b: &mut Bencher, rt: &R) {
    remote_spawn(b, rt, 1);
}

fn remote_spawn_2threads<R: Rt>(b: &mut Bencher, rt: &R) {
    remote_spawn(b, rt, 2);
}

// ---------------------------------------------------------------------------------------------

/// Runs one function of a group on a fresh runtime of type `R` (built once, outside the timed
/// loop), optionally with the busy background load.
fn one<R: Rt>(
    g: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>,
    group: &str,
    name: &str,
    busy: bool,
    f: impl Fn(&mut Bencher, &R),
) {
    if !filter::selected(&format!("{group}/{name}")) {
        return;
    }
    watchdog::set(&format!("{group}/{name} (building runtime)"));
    let rt = R::new(workers());
    let flag = busy.then(|| start_busy(&rt));
    watchdog::set(&format!("{group}/{name}"));
    g.bench_function(name, |b| f(b, &rt));
    if let Some(flag) = flag {
        flag.store(false, Ordering::Relaxed);
    }
    watchdog::set(&format!("{group}/{name} (dropping runtime)"));
    drop(rt);
    watchdog::set("between benchmarks");
}

macro_rules! group {
    ($c:expr, $name:ident) => {
        group!($c, $name, false)
    };
    ($c:expr, $name:ident, $busy:expr) => {{
        let name = stringify!($name);
        let mut g = $c.benchmark_group(name);
        one::<SpindleRt>(&mut g, name, "spindle", $busy, |b, rt| $name(b, rt));
        one::<TokioRt>(&mut g, name, "tokio", $busy, |b, rt| $name(b, rt));
        one::<AeRt>(&mut g, name, "async_executor", $busy, |b, rt| $name(b, rt));
        g.finish();
    }};
}

fn scheduler(c: &mut Criterion) {
    group!(c, spawn_many_local);
    group!(c, spawn_many_local_in_task);
    group!(c, spawn_many_remote_idle);
    group!(c, spawn_many_remote_busy, true);
    group!(c, ping_pong);
    group!(c, yield_many);
    group!(c, chained_spawn);
    group!(c, remote_spawn_1thread);
    group!(c, remote_spawn_2threads);
}

fn main() {
    watchdog::start();
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    scheduler(&mut c);
    c.final_summary();
}
