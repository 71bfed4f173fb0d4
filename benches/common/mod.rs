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
