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
#[path = "spawn_worker_tests.rs"]
mod tests;
