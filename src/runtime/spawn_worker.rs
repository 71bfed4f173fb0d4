//! Starting a worker thread, as a `Result` whatever goes wrong.
//!
//! `std::thread::Builder::spawn` returns `Err` when the OS refuses a thread (resource limits)
//! but *panics* on some bad input (a NUL in the name, which `Builder::build` also rejects up
//! front). `Runtime::start` must never unwind with workers counted as running that were never
//! started (shutdown would wait for them forever), so a panic here becomes an `Err` too, with
//! a message naming the thread. On `Err` the thread's main (the worker, its queue and shard
//! handles) has been dropped without running.

use crate::loom::thread;
use std::io;

/// Spawns a worker thread named `name` running `main` (the worker loop inside its hooks).
pub(crate) fn spawn_worker(
    name: String,
    main: impl FnOnce() + Send + 'static,
) -> io::Result<thread::JoinHandle<()>> {
    let label = name.clone();
    let spawned = crate::util::panic::catch(move || {
        #[cfg(test)]
        test_hook::before_spawn()?;
        thread::Builder::new().name(name).spawn(main)
    });
    match spawned {
        Ok(Ok(t)) => Ok(t),
        Ok(Err(e)) => Err(io::Error::new(
            e.kind(),
            format!("spindle: failed to start worker thread `{label}`: {e}"),
        )),
        Err(payload) => {
            let msg = crate::task::error::panic_message(&*payload).unwrap_or_else(|| "..".into());
            crate::util::panic::dispose(payload);
            Err(io::Error::other(format!(
                "spindle: failed to start worker thread `{label}`: {msg}"
            )))
        }
    }
}

/// Test-only failure injection: the `n`-th spawn on this thread fails (or panics).
#[cfg(test)]
pub(crate) mod test_hook {
    use std::cell::Cell;
    use std::io;

    std::thread_local! {
        static FAIL_AT: Cell<Option<(usize, bool)>> = const { Cell::new(None) };
    }

    /// The `n`-th spawn from now (0-based) on this thread fails; `panics`: by a panic.
    pub(crate) fn fail_spawn(n: usize, panics: bool) {
        FAIL_AT.with(|f| f.set(Some((n, panics))));
    }

    /// Fails (by `Err`, or by a real panic) if this spawn is the chosen one.
    pub(super) fn before_spawn() -> io::Result<()> {
        match FAIL_AT.with(|f| f.get()) {
            Some((0, panics)) => {
                FAIL_AT.with(|f| f.set(None));
                if panics {
                    panic!("injected spawn panic");
                }
                Err(io::Error::new(
                    io::ErrorKind::WouldBlock,
                    "injected: resource limit",
                ))
            }
            Some((n, p)) => {
                FAIL_AT.with(|f| f.set(Some((n - 1, p))));
                Ok(())
            }
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::test_hook::fail_spawn;
    use std::time::{Duration, Instant};

    /// Threads of this process whose name starts with `prefix`.
    fn threads_named(prefix: &str) -> usize {
        std::fs::read_dir("/proc/self/task")
            .map(|d| {
                d.filter_map(|e| std::fs::read_to_string(e.ok()?.path().join("comm")).ok())
                    .filter(|c| c.starts_with(prefix))
                    .count()
            })
            .unwrap_or(0)
    }

    #[test]
    fn failed_spawn_mid_start_is_an_error_and_leaves_no_thread() {
        for (at, panics, prefix) in [
            (2, false, "spfail-a"),
            (3, true, "spfail-b"),
            (0, false, "spfail-c"),
        ] {
            fail_spawn(at, panics);
            let t = Instant::now();
            let err = crate::Builder::new()
                .worker_threads(4)
                .thread_name(prefix)
                .build()
                .unwrap_err();
            assert!(err.to_string().contains("spindle"), "{err}");
            assert!(t.elapsed() < Duration::from_secs(10), "start hung");
            // The workers that did start were stopped and joined.
            let deadline = Instant::now() + Duration::from_secs(5);
            while threads_named(prefix) > 0 && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(5));
            }
            assert_eq!(threads_named(prefix), 0, "threads left behind");
        }
    }
}
