//! Seeded chaos at the boundary (issue 10): foreign threads and tasks doing random `call_*`,
//! `cancel` from any thread, `Sleep::reset`, `timeout`, `abort`, panics in callbacks and in
//! `Drop`s, a worker stuck now and then, and `drop(Runtime)` (or `shutdown_timeout`) at a
//! random moment. Checks, per round:
//! - exactly once: a callback runs xor a `cancel()` returned true (or neither: shutdown);
//! - every closure and every future is dropped exactly once (counters);
//! - no early fire: a callback never runs before its deadline, a `Sleep` never completes
//!   before its deadline while the runtime is open;
//! - no hang: the whole test is under a watchdog; every `block_on` on a spindle future ends.
//!
//! `SPINDLE_CHAOS_SEED=N` replays a seed (printed on failure); `SPINDLE_CHAOS_SECS=N` runs
//! longer (default 6 s of rounds) for soak runs.

mod common;

use common::XorShift;
use spindle::{Handle, JoinHandle, TimerHandle};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, Instant};

/// The payload of every deliberate panic (so the panic hook can keep them quiet).
const DELIBERATE: &str = "chaos: deliberate panic";

fn quiet_deliberate_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let msg = info
                .payload()
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| info.payload().downcast_ref::<String>().map(|s| s.as_str()));
            if msg != Some(DELIBERATE) {
                default(info);
            }
        }));
    });
}

/// What happened to one callback.
#[derive(Default)]
struct CbRec {
    ran: AtomicUsize,
    cancel_won: AtomicUsize,
    dropped: AtomicUsize,
    early: AtomicBool,
}

/// Counts its drop; may panic in `Drop`; may use the runtime from `Drop`.
struct Tracker {
    dropped: Arc<dyn Fn() + Send + Sync>,
    panic_on_drop: bool,
    use_runtime_on_drop: bool,
}

impl Drop for Tracker {
    fn drop(&mut self) {
        (self.dropped)();
        if self.use_runtime_on_drop {
            // After shutdown these give cancelled handles; they must never panic.
            if let Some(h) = Handle::try_current() {
                drop(h.spawn(async {}));
                h.call_soon(|| {});
            }
        }
        if self.panic_on_drop && !std::thread::panicking() {
            std::panic::panic_any(DELIBERATE);
        }
    }
}

/// Everything one round created, for the final checks.
#[derive(Default)]
struct Books {
    callbacks: Mutex<Vec<Arc<CbRec>>>,
    tasks: Mutex<Vec<Arc<AtomicUsize>>>,
    timers: Mutex<Vec<(TimerHandle, Arc<CbRec>)>>,
    joins: Mutex<Vec<JoinHandle<()>>>,
    early_sleeps: AtomicUsize,
    /// Set just before the runtime is dropped: from then on a Sleep may complete early.
    closing: AtomicBool,
}

fn tracker(rng: &mut XorShift, dropped: Arc<dyn Fn() + Send + Sync>) -> Tracker {
    Tracker {
        dropped,
        panic_on_drop: rng.below(10) == 0,
        use_runtime_on_drop: rng.below(6) == 0,
    }
}

/// Arms a random callback from the current thread (a worker or a foreign thread).
fn arm_callback(h: &Handle, rng: &mut XorShift, books: &Arc<Books>) {
    let rec = Arc::new(CbRec::default());
    let r = rec.clone();
    let t = tracker(
        rng,
        Arc::new(move || {
            r.dropped.fetch_add(1, SeqCst);
        }),
    );
    let panics = rng.below(8) == 0;
    let kind = rng.below(3);
    // call_soon has no deadline (`delay` 0).
    let delay = Duration::from_micros(if kind == 0 { 0 } else { rng.below(30_000) });
    let r = rec.clone();
    let now = Instant::now();
    let when = now + delay;
    let body = move || {
        let _t = t;
        if Instant::now() < when {
            r.early.store(true, SeqCst);
        }
        r.ran.fetch_add(1, SeqCst);
        if panics {
            std::panic::panic_any(DELIBERATE);
        }
    };
    let handle = match kind {
        0 => h.call_soon(body),
        1 => h.call_later(delay, body),
        _ => h.call_at(when, body),
    };
    books.callbacks.lock().unwrap().push(rec.clone());
    if rng.below(3) == 0 {
        cancel(&handle, &rec);
    } else {
        books.timers.lock().unwrap().push((handle, rec));
    }
}

/// Cancels, recording a win. A panic out of `cancel` is the closure's `Drop` panicking, which
/// only the winner runs.
fn cancel(t: &TimerHandle, rec: &CbRec) {
    let won = catch_unwind(AssertUnwindSafe(|| t.cancel())).unwrap_or(true);
    if won {
        rec.cancel_won.fetch_add(1, SeqCst);
    }
}

/// Cancels a random armed callback from this thread; sometimes leaves it in the pool so a
/// second thread races a second cancel against it.
fn cancel_random(rng: &mut XorShift, books: &Books) {
    let mut timers = books.timers.lock().unwrap();
    if timers.is_empty() {
        return;
    }
    let i = rng.below(timers.len() as u64) as usize;
    let (t, rec) = if rng.below(3) == 0 {
        timers[i].clone()
    } else {
        timers.swap_remove(i)
    };
    drop(timers);
    cancel(&t, &rec);
}

/// A spawned future: random timer work, then done (or panics, or gets stuck).
async fn task_body(seed: u64, books: Arc<Books>, depth: u32) {
    let mut rng = XorShift::new(seed);
    let h = Handle::current();
    for _ in 0..rng.below(6) {
        match rng.below(10) {
            0 | 1 => {
                let d = Duration::from_micros(rng.below(20_000));
                let start = Instant::now();
                spindle::sleep(d).await;
                if start.elapsed() < d && !books.closing.load(SeqCst) {
                    books.early_sleeps.fetch_add(1, SeqCst);
                }
            }
            2 => {
                let mut s = Box::pin(spindle::sleep(Duration::from_secs(60)));
                let d = Duration::from_micros(rng.below(10_000));
                let start = Instant::now();
                s.as_mut().reset(start + d);
                s.await;
                if start.elapsed() < d && !books.closing.load(SeqCst) {
                    books.early_sleeps.fetch_add(1, SeqCst);
                }
            }
            3 => {
                let inner = spindle::sleep(Duration::from_micros(rng.below(20_000)));
                let _ = spindle::timeout(Duration::from_micros(rng.below(20_000)), inner).await;
            }
            4 => arm_callback(&h, &mut rng, &books),
            8 => cancel_random(&mut rng, &books),
            5 if depth < 3 => spawn_tracked(&h, rng.next_u64(), &books, depth + 1),
            6 if rng.below(20) == 0 => {
                // A worker stuck in user code for a while.
                std::thread::sleep(Duration::from_millis(rng.below(40)));
            }
            7 if rng.below(10) == 0 => std::panic::panic_any(DELIBERATE),
            _ => spindle::yield_now().await,
        }
    }
}

fn spawn_tracked(h: &Handle, seed: u64, books: &Arc<Books>, depth: u32) {
    let mut rng = XorShift::new(seed ^ 0x5eed);
    let count = Arc::new(AtomicUsize::new(0));
    books.tasks.lock().unwrap().push(count.clone());
    let t = tracker(
        &mut rng,
        Arc::new(move || {
            count.fetch_add(1, SeqCst);
        }),
    );
    let b = books.clone();
    let pending_forever = rng.below(8) == 0;
    let j = h.spawn(async move {
        let _t = t;
        task_body(seed, b, depth).await;
        if pending_forever {
            std::future::pending::<()>().await;
        }
    });
    if rng.below(4) == 0 {
        j.abort();
    }
    books.joins.lock().unwrap().push(j);
}

/// A foreign thread's random operations until `stop`.
fn foreign(h: Handle, seed: u64, books: Arc<Books>, stop: Arc<AtomicBool>) {
    let mut rng = XorShift::new(seed);
    while !stop.load(SeqCst) {
        match rng.below(10) {
            0..=2 => arm_callback(&h, &mut rng, &books),
            3 => cancel_random(&mut rng, &books),
            4 => spawn_tracked(&h, rng.next_u64(), &books, 0),
            5 => {
                let joins = books.joins.lock().unwrap();
                if !joins.is_empty() {
                    let i = rng.below(joins.len() as u64) as usize;
                    joins[i].abort();
                }
            }
            6 => {
                let d = Duration::from_micros(rng.below(5_000));
                let start = Instant::now();
                futures::executor::block_on(h.sleep(d));
                if start.elapsed() < d && !books.closing.load(SeqCst) {
                    books.early_sleeps.fetch_add(1, SeqCst);
                }
            }
            7 => {
                let t = h.timeout(
                    Duration::from_micros(rng.below(5_000)),
                    std::future::pending::<()>(),
                );
                assert!(futures::executor::block_on(t).is_err());
            }
            8 => {
                // Await a JoinHandle from here (it completes, is cancelled, or panicked).
                let j = books.joins.lock().unwrap().pop();
                if let Some(j) = j {
                    if rng.below(2) == 0 {
                        let _ = futures::executor::block_on(j);
                    } else {
                        drop(j);
                    }
                }
            }
            _ => std::thread::yield_now(),
        }
    }
}

fn round(seed: u64) {
    let mut rng = XorShift::new(seed);
    let workers = 1 + rng.below(4) as usize;
    let hook_panics = Arc::new(AtomicUsize::new(0));
    let hp = hook_panics.clone();
    let rt = spindle::Builder::new()
        .worker_threads(workers)
        .thread_name("chaos")
        .on_callback_panic(move |_| {
            hp.fetch_add(1, SeqCst);
        })
        .build()
        .unwrap();
    let books = Arc::new(Books::default());
    let stop = Arc::new(AtomicBool::new(false));
    let threads: Vec<_> = (0..1 + rng.below(3))
        .map(|i| {
            let (h, b, s) = (rt.handle().clone(), books.clone(), stop.clone());
            let seed = seed.wrapping_mul(31).wrapping_add(i);
            std::thread::spawn(move || foreign(h, seed, b, s))
        })
        .collect();
    for _ in 0..rng.below(8) {
        spawn_tracked(rt.handle(), rng.next_u64(), &books, 0);
    }
    std::thread::sleep(Duration::from_millis(10 + rng.below(150)));
    books.closing.store(true, SeqCst);
    match rng.below(3) {
        0 => drop(rt),
        1 => rt.shutdown_timeout(Duration::from_millis(rng.below(20))),
        _ => {
            // Dropped from a foreign thread while the others keep going.
            std::thread::spawn(move || drop(rt)).join().unwrap();
        }
    }
    // Foreign threads keep calling into the closed runtime for a moment.
    std::thread::sleep(Duration::from_millis(rng.below(20)));
    stop.store(true, SeqCst);
    for t in threads {
        t.join().expect("a foreign thread panicked");
    }
    // Drop what the books still hold, then let stuck workers (shutdown_timeout) finish.
    books.timers.lock().unwrap().clear();
    books.joins.lock().unwrap().clear();
    let all_dropped = common::wait_until(Duration::from_secs(10), || {
        books
            .callbacks
            .lock()
            .unwrap()
            .iter()
            .all(|r| r.dropped.load(SeqCst) >= 1)
            && books
                .tasks
                .lock()
                .unwrap()
                .iter()
                .all(|c| c.load(SeqCst) >= 1)
    });
    let cbs = books.callbacks.lock().unwrap();
    let tasks = books.tasks.lock().unwrap();
    let not_dropped = cbs.iter().filter(|r| r.dropped.load(SeqCst) == 0).count()
        + tasks.iter().filter(|c| c.load(SeqCst) == 0).count();
    assert!(all_dropped, "{not_dropped} closures/futures never dropped");
    for r in cbs.iter() {
        let (ran, won, dropped) = (
            r.ran.load(SeqCst),
            r.cancel_won.load(SeqCst),
            r.dropped.load(SeqCst),
        );
        assert!(ran + won <= 1, "ran {ran} times, cancel won {won} times");
        assert_eq!(dropped, 1, "a closure dropped {dropped} times");
        assert!(!r.early.load(SeqCst), "a callback ran before its deadline");
    }
    for c in tasks.iter() {
        assert_eq!(c.load(SeqCst), 1, "a future dropped more than once");
    }
    assert_eq!(
        books.early_sleeps.load(SeqCst),
        0,
        "a Sleep completed early"
    );
}

#[test]
fn chaos() {
    quiet_deliberate_panics();
    let secs: u64 = std::env::var("SPINDLE_CHAOS_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(6);
    let seed: u64 = std::env::var("SPINDLE_CHAOS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    let limit = Duration::from_secs(secs + 60);
    common::watchdog_for("chaos", limit, move || {
        let end = Instant::now() + Duration::from_secs(secs);
        let mut rng = XorShift::new(seed);
        let mut rounds = 0;
        while Instant::now() < end {
            let round_seed = rng.next_u64();
            if let Err(p) = catch_unwind(|| round(round_seed)) {
                let msg = common::panic_message(&*p).unwrap_or_default();
                panic!(
                    "chaos round {rounds} failed: {msg}\n  replay: SPINDLE_CHAOS_SEED={seed} \
                     (round seed {round_seed})"
                );
            }
            rounds += 1;
        }
        println!("chaos: {rounds} rounds in {secs} s, seed {seed}");
    });
}
