//! A simulated high-throughput server embedding spindle: the workload spindle exists for.
//!
//! What it simulates:
//! - `--network-threads` plain OS threads play the network layer (think epoll loops). Each owns a
//!   share of the `--connections` connections, "accepts" them, then round-robins over them sending
//!   paced bursts of requests, handing each one to the runtime with `Handle::spawn` from a thread
//!   the runtime does not own (the embedding case).
//! - Every connection has an idle timeout, pushed back by every request. Two styles are shown:
//!   most connections cancel + re-arm a `call_later` timer per request (asyncio style, exact,
//!   one cancel and one arm per request: the churn spindle's timers are built to make cheap);
//!   every 8th connection instead has a watcher task holding one `Sleep` that requests never
//!   touch: they store a timestamp, and the watcher, when its sleep ends, `Sleep::reset`s it to
//!   the last activity + timeout (one timer per connection, one wakeup per idle period).
//! - Every request arms a deadline with `call_later`, does a little work (some sleep 0-2 ms) and
//!   cancels the deadline when done. One request in 1000 is deliberately too slow, so its deadline
//!   fires: that samples the lateness of deadline timers.
//! - About 0.1% of connections go silent part-way through; their idle timer fires for real.
//! - A 100 ms heartbeat re-arms itself with `call_at(previous deadline + 100 ms)` (no drift).
//!
//! How to read the output: one live line per second with requests/s, requests in flight, the
//! runtime's timer counters for that second (armed = fired + cancelled + change in pending),
//! fire lateness p50/p99 (measured here, for idle timeouts, watcher wakeups, deadline misses and
//! heartbeats; buckets, so "≤0.75ms" means 0.5-0.75 ms), work steals, connections timed out so
//! far. At the end, after an orderly shutdown, the summary reconciles the demo's own books (every
//! request completed, every timer either fired or was cancelled, every heartbeat seen), one line
//! each marked `ok` or `BAD`, then per-kind lateness and the runtime's totals, and ends with
//! `summary: OK ...`, or `summary: FAILED ...` naming each mismatch (exit status 1).
//!
//! Run: `cargo run --release --example server_sim -- --help`

use std::pin::pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use spindle::{Builder, Handle, JoinHandle, Runtime, RuntimeMetrics, TimerHandle};

const IDLE_TIMEOUT_MIN: Duration = Duration::from_secs(2);
const REQUEST_DEADLINE: Duration = Duration::from_millis(100);
const HEARTBEAT_PERIOD: Duration = Duration::from_millis(100);
const WATCHER_EVERY: usize = 8; // every 8th connection uses a Sleep watcher
const MAX_IN_FLIGHT: u64 = 50_000; // network threads back off above this (backpressure)
const DRAIN_BOUND: Duration = Duration::from_secs(5);

const USAGE: &str = "usage: server_sim [--connections N] [--duration SECS] [--workers N]
                  [--network-threads N] [--rate REQ_PER_SEC]
  --connections N       simulated connections (default 100000)
  --duration SECS       how long to run before the orderly shutdown (default 10)
  --workers N           runtime worker threads (default: spindle's, one per CPU)
  --network-threads N   OS threads playing the network layer (default 2)
  --rate N              total requests/s the network threads aim for (default 200000)";

struct Config {
    connections: usize,
    duration: Duration,
    workers: Option<usize>,
    network_threads: usize,
    rate: f64,
}

/// Hand-rolled flag parsing (`--flag N` or `--flag=N`), to keep the example dependency-free.
fn parse_args() -> Result<Config, String> {
    let mut cfg = Config {
        connections: 100_000,
        duration: Duration::from_secs(10),
        workers: None,
        network_threads: 2,
        rate: 200_000.0,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--help" || arg == "-h" {
            println!("{USAGE}");
            std::process::exit(0);
        }
        let (flag, value) = match arg.split_once('=') {
            Some((f, v)) => (f.to_string(), Some(v.to_string())),
            None => (arg, args.next()),
        };
        let value = value.ok_or(format!("{flag} needs a value"))?;
        let n = value
            .parse::<f64>()
            .ok()
            .filter(|n| *n >= 1.0 && n.is_finite());
        let n = n.ok_or(format!("{flag}: expected a number >= 1, got {value:?}"))?;
        match flag.as_str() {
            "--connections" => cfg.connections = n as usize,
            "--duration" => cfg.duration = Duration::from_secs_f64(n),
            "--workers" => cfg.workers = Some(n as usize),
            "--network-threads" => cfg.network_threads = n as usize,
            "--rate" => cfg.rate = n,
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    if cfg.connections < cfg.network_threads {
        return Err("need at least one connection per network thread".into());
    }
    Ok(cfg)
}

/// splitmix64: cheap deterministic randomness, so request i always behaves the same way.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// Fire-lateness histogram in µs with fixed buckets: lock-free, good enough for p50/p99.
#[rustfmt::skip]
const BOUNDS_US: [u64; 19] = [10, 25, 50, 100, 250, 500, 750, 1_000, 1_500, 2_000, 3_000, 5_000,
                              10_000, 25_000, 50_000, 100_000, 250_000, 1_000_000, u64::MAX];
type Counts = [u64; BOUNDS_US.len()];

#[derive(Default)]
struct Histogram {
    buckets: [AtomicU64; BOUNDS_US.len()],
    max_us: AtomicU64,
}

impl Histogram {
    fn record(&self, late: Duration) {
        let us = late.as_micros() as u64;
        let i = BOUNDS_US.iter().position(|&b| us <= b).unwrap_or(0);
        self.buckets[i].fetch_add(1, Relaxed);
        self.max_us.fetch_max(us, Relaxed);
    }
    fn counts(&self) -> Counts {
        std::array::from_fn(|i| self.buckets[i].load(Relaxed))
    }
}

/// The bucket bound at or below which a fraction `p` of the samples lie, as text.
fn percentile(c: &Counts, p: f64) -> String {
    let target = (p * c.iter().sum::<u64>() as f64).ceil().max(1.0) as u64;
    let mut seen = 0;
    let i = c.iter().position(|n| {
        seen += n;
        seen >= target
    });
    match i.map(|i| BOUNDS_US[i]) {
        None => "-".into(), // no samples
        Some(u64::MAX) => ">1s".into(),
        Some(b) => format!("≤{}ms", b as f64 / 1e3),
    }
}

/// The timers whose lateness is measured, one histogram each (index into `Shared::late`).
const IDLE: usize = 0;
const WATCHER: usize = 1;
const DEADLINE: usize = 2;
const HEARTBEAT: usize = 3;
const KINDS: [&str; 4] = ["idle timer", "idle watcher", "deadline", "heartbeat"];

/// The demo's own books, kept independently of the runtime's metrics.
#[derive(Default)]
struct Counters {
    sent: AtomicU64,
    completed: AtomicU64,
    in_flight: AtomicU64, // spawned requests and accepts not yet finished
    deadline_armed: AtomicU64,
    deadline_cancelled: AtomicU64,
    deadline_fired: AtomicU64,
    idle_armed: AtomicU64,
    idle_rearmed: AtomicU64, // cancelled by a later request
    idle_fired: AtomicU64,
    idle_cancelled_at_end: AtomicU64,
    watchers_started: AtomicU64,
    watchers_timed_out: AtomicU64,
    watchers_stopped_at_end: AtomicU64,
    silent_timeouts: AtomicU64,
    active_timeouts: AtomicU64, // a connection still sending timed out: a stall somewhere
    early_fires: AtomicU64,     // a timer ran before its deadline: a contract violation
}

struct Conn {
    silent_after: Option<Duration>, // when (since start) it stops sending, if it's a silent one
    idle: Mutex<Option<TimerHandle>>, // cancel + re-arm style: the live idle timer
    last_activity_us: AtomicU64,    // Sleep-watcher style: µs since `epoch`
    timed_out: AtomicBool,
}

#[derive(Default)]
struct Heartbeat {
    stopped_at: Option<Instant>, // set at shutdown: stop re-arming
    next: Option<TimerHandle>,
    armed: u64,
    seen: u64,
    cancelled: u64,
}

struct Shared {
    handle: Handle,
    epoch: Instant, // runtime clock at start; heartbeat n is due at epoch + n x period
    start: Instant, // wall clock at start; silent connections go quiet relative to this
    idle_timeout: Duration,
    conns: Vec<Conn>,
    c: Counters,
    late: [Histogram; 4],
    heartbeat: Mutex<Heartbeat>,
    stopping: AtomicBool,
}

impl Shared {
    fn new(handle: Handle, cfg: &Config) -> Shared {
        let conn = |i: usize| {
            // ~0.1% go silent, between 10% and 40% of the run, so they time out inside it.
            let h = mix(i as u64 ^ 0x5eed);
            let frac = 0.1 + 0.3 * (h >> 11) as f64 / (1u64 << 53) as f64;
            let silent = h % 1000 == 0 || i == 1;
            Conn {
                silent_after: silent.then(|| cfg.duration.mul_f64(frac)),
                idle: Mutex::new(None),
                last_activity_us: AtomicU64::new(0),
                timed_out: AtomicBool::new(false),
            }
        };
        // Idle timeout well above the gap between two requests on one connection.
        let gap = Duration::from_secs_f64(cfg.connections as f64 / cfg.rate);
        Shared {
            epoch: handle.time(),
            start: Instant::now(),
            handle,
            idle_timeout: IDLE_TIMEOUT_MIN.max(gap * 4),
            conns: (0..cfg.connections).map(conn).collect(),
            c: Counters::default(),
            late: Default::default(),
            heartbeat: Mutex::default(),
            stopping: AtomicBool::new(false),
        }
    }

    /// Lateness is measured on the runtime's clock, the one deadlines are set on.
    fn record_fire(&self, kind: usize, when: Instant) {
        let now = self.handle.time();
        if now < when {
            self.c.early_fires.fetch_add(1, Relaxed);
        }
        self.late[kind].record(now.saturating_duration_since(when));
    }

    fn connection_timed_out(&self, i: usize) {
        self.conns[i].timed_out.store(true, Relaxed);
        match self.conns[i].silent_after {
            Some(_) => self.c.silent_timeouts.fetch_add(1, Relaxed),
            None => self.c.active_timeouts.fetch_add(1, Relaxed),
        };
    }

    fn touch(&self, i: usize) {
        let us = self.handle.time().duration_since(self.epoch).as_micros();
        self.conns[i].last_activity_us.store(us as u64, Relaxed);
    }
}

fn uses_watcher(i: usize) -> bool {
    i % WATCHER_EVERY == 0
}

/// Cancel + re-arm style: push connection `i`'s idle timeout back by cancelling the old timer
/// and arming a fresh one. The lock makes "take old, arm new" atomic per connection, so the
/// slot always holds the one live timer, and at shutdown that is the one to cancel.
fn rearm_idle(shared: &Arc<Shared>, i: usize) {
    let mut slot = shared.conns[i].idle.lock().unwrap();
    if slot.take().is_some_and(|old| old.cancel()) {
        shared.c.idle_rearmed.fetch_add(1, Relaxed);
    } // else it already fired, and its callback counted it
    let s = Arc::clone(shared);
    let when = shared.handle.time() + shared.idle_timeout;
    *slot = Some(spindle::call_later(shared.idle_timeout, move || {
        s.c.idle_fired.fetch_add(1, Relaxed);
        s.record_fire(IDLE, when);
        s.connection_timed_out(i);
    }));
    shared.c.idle_armed.fetch_add(1, Relaxed);
}

/// Sleep-watcher style: one `Sleep` per connection that requests never touch (they only store
/// a timestamp). When it ends, the watcher either moves it to last activity + timeout with
/// `Sleep::reset` or declares the connection dead. Cheaper per request, one wakeup per period.
async fn idle_watcher(shared: Arc<Shared>, i: usize) {
    shared.touch(i);
    let mut sleep = pin!(spindle::sleep(shared.idle_timeout));
    loop {
        sleep.as_mut().await;
        shared.record_fire(WATCHER, sleep.deadline());
        let last = Duration::from_micros(shared.conns[i].last_activity_us.load(Relaxed));
        let deadline = shared.epoch + last + shared.idle_timeout;
        if deadline <= shared.handle.time() {
            shared.c.watchers_timed_out.fetch_add(1, Relaxed);
            return shared.connection_timed_out(i);
        }
        sleep.as_mut().reset(deadline);
    }
}

/// One request: mark activity, arm a deadline, work a little, cancel the deadline.
async fn serve_request(shared: Arc<Shared>, i: usize, id: u64) {
    if uses_watcher(i) {
        shared.touch(i);
    } else {
        rearm_idle(&shared, i);
    }
    let r = mix(id);
    let (deadline, work) = match r % 1000 {
        0 => (Duration::from_millis(1), 3_000), // too slow on purpose: its deadline fires
        1..=62 => (REQUEST_DEADLINE, (r >> 20) % 2_000), // waits on something for 0-2 ms
        _ => (REQUEST_DEADLINE, 0),             // pure CPU
    };
    let (s, when) = (Arc::clone(&shared), shared.handle.time() + deadline);
    let timer = spindle::call_later(deadline, move || {
        s.c.deadline_fired.fetch_add(1, Relaxed);
        s.record_fire(DEADLINE, when);
    });
    shared.c.deadline_armed.fetch_add(1, Relaxed);
    if work > 0 {
        spindle::sleep(Duration::from_micros(work)).await;
    } else {
        std::hint::black_box((0..64).fold(r, |a, b| mix(a ^ b))); // ~a microsecond
    }
    if timer.cancel() {
        shared.c.deadline_cancelled.fetch_add(1, Relaxed);
    }
    shared.c.completed.fetch_add(1, Relaxed);
    shared.c.in_flight.fetch_sub(1, Relaxed);
}

/// A network thread: accept this thread's connections, then send paced, round-robin bursts
/// until told to stop. Returns the watcher tasks' JoinHandles so shutdown can stop them.
fn network_thread(shared: Arc<Shared>, t: usize, cfg: &Config) -> Vec<JoinHandle<()>> {
    let (h, c) = (&shared.handle, &shared.c);
    let mine: Vec<usize> = (t..cfg.connections).step_by(cfg.network_threads).collect();
    let mut watchers = Vec::new();
    for &i in &mine {
        let s = Arc::clone(&shared);
        if uses_watcher(i) {
            c.watchers_started.fetch_add(1, Relaxed);
            watchers.push(h.spawn(idle_watcher(s, i)));
        } else {
            c.in_flight.fetch_add(1, Relaxed);
            h.spawn(async move {
                rearm_idle(&s, i);
                s.c.in_flight.fetch_sub(1, Relaxed);
            });
        }
    }
    let per_sec = cfg.rate / cfg.network_threads as f64;
    let (mut budget, mut last, mut cursor) = (0.0, Instant::now(), 0);
    while !shared.stopping.load(Relaxed) {
        thread::sleep(Duration::from_millis(1)); // a poll loop waiting for readiness
        let now = Instant::now();
        // Clients don't queue up more than 20 ms of traffic behind a stalled server.
        budget = (budget + per_sec * (now - last).as_secs_f64()).min(per_sec * 0.02);
        last = now;
        if c.in_flight.load(Relaxed) > MAX_IN_FLIGHT {
            continue; // backpressure: the server is behind, stop reading sockets
        }
        let elapsed = now - shared.start;
        let talking = |i: usize| shared.conns[i].silent_after.map_or(true, |s| elapsed < s);
        while budget >= 1.0 {
            // Next connection in round-robin that still talks (bounded: all may be silent).
            let next = (0..mine.len()).find_map(|_| {
                cursor = (cursor + 1) % mine.len();
                Some(mine[cursor]).filter(|&i| talking(i))
            });
            let Some(i) = next else { break };
            budget -= 1.0;
            let id = c.sent.fetch_add(1, Relaxed);
            c.in_flight.fetch_add(1, Relaxed);
            h.spawn(serve_request(Arc::clone(&shared), i, id));
        }
    }
    watchers
}

/// The heartbeat arms the next beat at previous deadline + period, not now + period, so
/// lateness never accumulates into drift (a late beat does not delay the schedule).
fn arm_heartbeat(shared: &Arc<Shared>, hb: &mut Heartbeat, when: Instant) {
    let s = Arc::clone(shared);
    hb.next = Some(shared.handle.call_at(when, move || {
        s.record_fire(HEARTBEAT, when);
        let mut hb = s.heartbeat.lock().unwrap();
        hb.seen += 1;
        if hb.stopped_at.is_none() {
            arm_heartbeat(&s, &mut hb, when + HEARTBEAT_PERIOD);
        }
    }));
    hb.armed += 1;
}

/// A snapshot of what the live line shows as per-second deltas.
struct Sample {
    at: Instant,
    completed: u64,
    m: RuntimeMetrics,
    late: Counts,
}

fn sample(shared: &Shared) -> Sample {
    let mut late = [0; BOUNDS_US.len()];
    for h in &shared.late {
        late.iter_mut().zip(h.counts()).for_each(|(a, n)| *a += n);
    }
    let completed = shared.c.completed.load(Relaxed);
    let (at, m) = (Instant::now(), shared.handle.metrics());
    Sample {
        at,
        completed,
        m,
        late,
    }
}

fn live_line(shared: &Shared, a: &Sample, b: &Sample) {
    let late: Counts = std::array::from_fn(|i| b.late[i] - a.late[i]);
    let dt = (b.at - a.at).as_secs_f64();
    let per_sec = |now: u64, before: u64| (now.saturating_sub(before) as f64 / dt) as u64;
    let (fired, cancelled) = (b.m.timers_fired(), b.m.timers_cancelled());
    let (f0, c0) = (a.m.timers_fired(), a.m.timers_cancelled());
    let pending = b.m.timers_pending();
    let armed = per_sec(fired + cancelled + pending, f0 + c0 + a.m.timers_pending());
    let c = &shared.c;
    println!(
        "[{:>4.1}s] req/s {:>6} in-flight {:>5} | timers/s armed {:>6} cancelled {:>6} \
         fired {:>4} | pending {:>6} | late p50 {:>6} p99 {:>6} | steals/s {:>4} | timeouts {}",
        (b.at - shared.start).as_secs_f64(),
        per_sec(b.completed, a.completed),
        c.in_flight.load(Relaxed),
        armed,
        per_sec(cancelled, c0),
        per_sec(fired, f0),
        pending,
        percentile(&late, 0.50),
        percentile(&late, 0.99),
        per_sec(b.m.steals(), a.m.steals()),
        c.silent_timeouts.load(Relaxed) + c.active_timeouts.load(Relaxed),
    );
}

fn main() {
    let cfg = parse_args().unwrap_or_else(|e| {
        eprintln!("server_sim: {e}\n{USAGE}");
        std::process::exit(2);
    });
    let panics = Arc::new(AtomicU64::new(0));
    let p = Arc::clone(&panics);
    let mut builder = Builder::new();
    builder
        .thread_name("server-worker")
        .on_callback_panic(move |_| {
            eprintln!("server_sim: a timer callback panicked");
            p.fetch_add(1, Relaxed);
        });
    if let Some(w) = cfg.workers {
        builder.worker_threads(w);
    }
    let rt = builder.build().expect("building the runtime");
    let shared = Arc::new(Shared::new(rt.handle().clone(), &cfg));
    println!(
        "server_sim: {} connections, {} network threads, {} workers, {} req/s target, \
         {:?} idle timeout, running {:?}",
        cfg.connections,
        cfg.network_threads,
        shared.handle.metrics().workers(),
        cfg.rate,
        shared.idle_timeout,
        cfg.duration
    );
    let first_beat = shared.epoch + HEARTBEAT_PERIOD;
    arm_heartbeat(&shared, &mut shared.heartbeat.lock().unwrap(), first_beat);
    let cfg = Arc::new(cfg);
    let net: Vec<_> = (0..cfg.network_threads)
        .map(|t| {
            let (s, cfg) = (Arc::clone(&shared), Arc::clone(&cfg));
            let name = format!("network-{t}");
            let thread = thread::Builder::new().name(name);
            thread.spawn(move || network_thread(s, t, &cfg)).unwrap()
        })
        .collect();

    // A live line each second until the duration is up.
    let end = shared.start + cfg.duration;
    let (mut prev, mut secs) = (sample(&shared), 0);
    while prev.at < end {
        secs += 1;
        let tick = (shared.start + Duration::from_secs(secs)).min(end);
        thread::sleep(tick.saturating_duration_since(Instant::now()));
        let now = sample(&shared);
        live_line(&shared, &prev, &now);
        prev = now;
    }
    let (metrics, mut fail) = shutdown(rt, &shared, net);
    summary(&shared, &metrics, panics.load(Relaxed), &mut fail);
    if !fail.is_empty() {
        println!("summary: FAILED {}", fail.join("; "));
        std::process::exit(1);
    }
}

/// Polls `done` until it holds or `bound` passes: shutdown waits, but never hangs.
fn wait_until(bound: Duration, done: impl Fn() -> bool) -> bool {
    let until = Instant::now() + bound;
    while !done() && Instant::now() < until {
        thread::sleep(Duration::from_millis(2));
    }
    done()
}

type NetThread = thread::JoinHandle<Vec<JoinHandle<()>>>;

/// Orderly shutdown: network layer, in-flight requests, heartbeat, idle timers, runtime.
fn shutdown(rt: Runtime, s: &Shared, net: Vec<NetThread>) -> (RuntimeMetrics, Vec<String>) {
    let (c, l) = (&s.c, |a: &AtomicU64| a.load(Relaxed));
    let mut fail = Vec::new();
    // 1. Stop the network layer: no new requests after this.
    s.stopping.store(true, Relaxed);
    let watchers: Vec<_> = net.into_iter().flat_map(|t| t.join().unwrap()).collect();
    // 2. Let in-flight requests finish (bounded).
    if !wait_until(DRAIN_BOUND, || l(&c.in_flight) == 0) {
        fail.push(format!(
            "{} requests in flight after {DRAIN_BOUND:?}",
            l(&c.in_flight)
        ));
    }
    // 3. Stop the heartbeat, under its lock so a running beat cannot re-arm behind our back.
    let mut hb = s.heartbeat.lock().unwrap();
    hb.stopped_at = Some(s.handle.time());
    hb.cancelled += hb.next.take().is_some_and(|t| t.cancel()) as u64;
    drop(hb);
    // 4. Cancel every connection's idle timer; stop the watchers (dropping a Sleep cancels it).
    for conn in &s.conns {
        if conn.idle.lock().unwrap().take().is_some_and(|t| t.cancel()) {
            c.idle_cancelled_at_end.fetch_add(1, Relaxed);
        }
    }
    watchers.iter().for_each(|w| w.abort());
    rt.block_on(async {
        for w in watchers {
            match w.await {
                Ok(()) => {} // it had timed out, and counted itself
                Err(e) if e.is_cancelled() => _ = c.watchers_stopped_at_end.fetch_add(1, Relaxed),
                Err(e) => fail.push(format!("an idle watcher failed: {e}")),
            }
        }
    });
    // 5. A timer whose cancel() lost the race may be running right now: let its callback
    // finish before the books are read (if they never balance, the summary says so).
    let balanced = || {
        l(&c.deadline_armed) == l(&c.deadline_cancelled) + l(&c.deadline_fired)
            && l(&c.idle_armed)
                == l(&c.idle_rearmed) + l(&c.idle_fired) + l(&c.idle_cancelled_at_end)
    };
    wait_until(Duration::from_secs(2), balanced);
    let metrics = s.handle.metrics();
    rt.shutdown_timeout(Duration::from_secs(2));
    (metrics, fail)
}

/// Prints one line of the summary, and records it as a failure unless it checks out.
fn book(fail: &mut Vec<String>, ok: bool, line: String) {
    println!("{} {line}", if ok { "  ok " } else { "  BAD" });
    if !ok {
        fail.push(line.replace(" = ", " != ")); // "armed 5 = 3 + 1" is the mismatch
    }
}

/// The summary: the demo's own books, each checked, then lateness and the runtime's metrics.
fn summary(s: &Shared, m: &RuntimeMetrics, panics: u64, fail: &mut Vec<String>) {
    let (c, l) = (&s.c, |a: &AtomicU64| a.load(Relaxed));
    let hb = s.heartbeat.lock().unwrap();
    let stopped = hb.stopped_at.unwrap();
    let ran = stopped - s.epoch;
    println!("--- summary after {:.1}s ---", ran.as_secs_f64());
    let (sent, done) = (l(&c.sent), l(&c.completed));
    let rate = done as f64 / ran.as_secs_f64();
    let line = format!("requests: sent {sent} = completed {done} ({rate:.0}/s)");
    book(fail, sent == done, line);
    let (da, dc) = (l(&c.deadline_armed), l(&c.deadline_cancelled));
    let df = l(&c.deadline_fired);
    let line = format!("deadline timers: armed {da} = cancelled {dc} + fired {df}");
    book(fail, da == dc + df, line);
    let (ia, ir, ifd) = (l(&c.idle_armed), l(&c.idle_rearmed), l(&c.idle_fired));
    let ie = l(&c.idle_cancelled_at_end);
    let line = format!("idle timers: armed {ia} = re-armed {ir} + fired {ifd} + cancelled {ie}");
    book(fail, ia == ir + ifd + ie, line);
    let (ws, wt) = (l(&c.watchers_started), l(&c.watchers_timed_out));
    let we = l(&c.watchers_stopped_at_end);
    let line = format!("idle watchers: started {ws} = timed out {wt} + stopped {we}");
    book(fail, ws == wt + we, line);
    // Every silent connection that went quiet long enough before the end must have timed out.
    let slack = Duration::from_secs(1); // between its last request and its timer firing
    let silent = s.conns.iter().filter_map(|c| Some((c.silent_after?, c)));
    let due = silent.filter(|(quiet, _)| *quiet + s.idle_timeout + slack <= ran);
    let missed = due.filter(|(_, c)| !c.timed_out.load(Relaxed)).count();
    let n = s.conns.iter().filter(|c| c.silent_after.is_some()).count();
    let (st, at) = (l(&c.silent_timeouts), l(&c.active_timeouts));
    let line = format!("timeouts: {st} of {n} silent connections ({missed} overdue), {at} others");
    book(fail, missed == 0, line);
    // Beat n is due at epoch + n x period: those due 500 ms before the stop must have been seen.
    let beats = |d: Duration| (d.as_micros() / HEARTBEAT_PERIOD.as_micros()) as u64;
    let most = beats(ran);
    let least = beats(ran.saturating_sub(Duration::from_millis(500)));
    let (seen, armed, hc) = (hb.seen, hb.armed, hb.cancelled);
    let line = format!("heartbeats: armed {armed} = seen {seen} + cancelled {hc}; {most} due");
    let on_time = (least..=most).contains(&seen);
    book(fail, armed == seen + hc && on_time, line);
    let early = l(&c.early_fires);
    let line = format!("contract: {early} timers fired early, {panics} callbacks panicked");
    book(fail, early + panics == 0, line);
    for (kind, h) in KINDS.iter().zip(&s.late) {
        let (n, max) = (h.counts(), h.max_us.load(Relaxed) as f64 / 1e3);
        let (p50, p99) = (percentile(&n, 0.5), percentile(&n, 0.99));
        let count = n.iter().sum::<u64>();
        println!("      lateness {kind:<12} n={count:<7} p50 {p50:<8} p99 {p99:<8} max {max}ms");
    }
    println!(
        "      runtime: {} tasks spawned, {} steals; timers fired {}, cancelled {}, pending {}",
        m.tasks_spawned(),
        m.steals(),
        m.timers_fired(),
        m.timers_cancelled(),
        m.timers_pending()
    );
    if fail.is_empty() {
        let timers = da + ia + ws + armed;
        println!("summary: OK {done} requests served, {timers} timers armed, none lost");
    }
}
