//! Pieces both bench binaries share (included with `#[path]`, so it is not a bench target).

// ---------------------------------------------------------------------------------------------
// Watchdog: ends the process if a benchmark stops making progress (a hung runtime).

pub mod watchdog {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Mutex;
    use std::time::{Duration, Instant};

    static LAST_BEAT_MS: AtomicU64 = AtomicU64::new(0);
    static CURRENT: Mutex<String> = Mutex::new(String::new());
    const LIMIT_MS: u64 = 120_000;

    fn epoch() -> Instant {
        static EPOCH: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
        *EPOCH.get_or_init(Instant::now)
    }

    /// Records progress; cheap (one clock read and one relaxed store).
    #[inline]
    pub fn beat() {
        LAST_BEAT_MS.store(epoch().elapsed().as_millis() as u64, Ordering::Relaxed);
    }

    /// Names what is running now (used in the hang message).
    pub fn set(what: &str) {
        *CURRENT.lock().unwrap() = what.to_string();
        beat();
    }

    pub fn start() {
        beat();
        std::thread::Builder::new()
            .name("bench-watchdog".into())
            .spawn(|| loop {
                std::thread::sleep(Duration::from_secs(1));
                let idle = epoch().elapsed().as_millis() as u64 - LAST_BEAT_MS.load(Ordering::Relaxed);
                if idle > LIMIT_MS {
                    let what = CURRENT.lock().map(|s| s.clone()).unwrap_or_default();
                    eprintln!("bench watchdog: no progress for {} s in `{what}`: the runtime hung; aborting", idle / 1000);
                    std::process::exit(101);
                }
            })
            .expect("spawn watchdog thread");
    }
}

// ---------------------------------------------------------------------------------------------
// Criterion's name filter, re-read here so runtimes are only built for benchmarks that will run.

pub mod filter {
    /// Criterion options that take a value (so the value is not mistaken for the filter).
    const VALUE_OPTS: &[&str] = &[
        "-c",
        "--color",
        "--colour",
        "-s",
        "--save-baseline",
        "-b",
        "--baseline",
        "--baseline-lenient",
        "--format",
        "--profile-time",
        "--load-baseline",
        "--sample-size",
        "--warm-up-time",
        "--measurement-time",
        "--nresamples",
        "--noise-threshold",
        "--confidence-level",
        "--significance-level",
        "--plotting-backend",
        "--output-format",
    ];

    /// Whether criterion will run the benchmark `id` ("group/function"). Plain filters and
    /// `a|b` alternations are matched as criterion does; any other regex is assumed to match.
    pub fn selected(id: &str) -> bool {
        let args: Vec<String> = std::env::args().skip(1).collect();
        if args.iter().any(|a| a == "--ignored") {
            return false;
        }
        let exact = args.iter().any(|a| a == "--exact");
        let mut filter = None;
        let mut skip = false;
        for a in &args {
            if skip {
                skip = false;
            } else if a.starts_with('-') {
                skip = !a.contains('=') && VALUE_OPTS.contains(&a.as_str());
            } else if filter.is_none() {
                filter = Some(a.as_str());
            }
        }
        match filter {
            None => true,
            Some(f) if exact => id == f,
            Some(f) if f.contains(|c: char| "\\.^$*+?()[]{}".contains(c)) => true,
            Some(f) => f.split('|').any(|alt| id.contains(alt)),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// async-executor's side: an executor run the way smol runs a multi-threaded one.

/// An `async_executor::Executor` run by `workers` threads, each in
/// `async_io::block_on(ex.run(..))` (how smol runs a multi-threaded executor, and what drives
/// async-io's timers). The executor is leaked to get a `&'static` one, as smol's global
/// executor is, so spawning needs no `Arc`.
pub struct AeRt {
    pub ex: &'static async_executor::Executor<'static>,
    stop: Vec<futures::channel::oneshot::Sender<()>>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl AeRt {
    pub fn start(workers: usize) -> AeRt {
        let ex: &'static async_executor::Executor<'static> =
            Box::leak(Box::new(async_executor::Executor::new()));
        let mut stop = Vec::new();
        let mut threads = Vec::new();
        for i in 0..workers {
            let (tx, rx) = futures::channel::oneshot::channel::<()>();
            stop.push(tx);
            threads.push(
                std::thread::Builder::new()
                    .name(format!("async-executor-bench-{i}"))
                    .spawn(move || {
                        async_io::block_on(ex.run(async {
                            let _ = rx.await;
                        }))
                    })
                    .expect("spawn async-executor thread"),
            );
        }
        AeRt { ex, stop, threads }
    }
}

impl Drop for AeRt {
    fn drop(&mut self) {
        // Dropping the senders ends every `ex.run`.
        self.stop.clear();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}
