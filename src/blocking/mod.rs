//! Blocking work: `spawn_blocking` runs a closure on a pool of threads kept apart from the
//! workers, so that blocking calls (file I/O, DNS, FFI, CPU-heavy bursts) never hold up
//! async tasks and timers.
//!
//! - [`pool`]: the threads, the lock-free submit path and the shutdown procedure.
//! - [`task`]: a closure as a task (the task machinery gives JoinHandle, abort and panic
//!   capture), and its `Schedule` impl.
//! - [`hooks`]: running a thread hook (`Builder::on_thread_start` / `on_thread_stop`).
//!
//! The public face (`spawn_blocking`, its Builder settings, the metrics) is
//! `runtime/blocking_api.rs`, so that this module names no `runtime/` (issue 9).

// Running thread hooks (moved from runtime::hooks, issue 9).
pub(crate) mod hooks;
pub(crate) mod pool;
pub(crate) mod task;

pub(crate) use pool::Pool;

use hooks::Hook;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// Default `max_blocking_threads` (tokio's).
pub(crate) const DEFAULT_MAX_THREADS: usize = 512;
/// Default `thread_keep_alive` (tokio's).
pub(crate) const DEFAULT_KEEP_ALIVE: Duration = Duration::from_secs(10);

/// The Builder's settings for the blocking pool and the thread hooks (one Builder field).
#[derive(Clone)]
pub(crate) struct Settings {
    pub(crate) max_threads: usize,
    pub(crate) keep_alive: Duration,
    pub(crate) on_thread_start: Option<Arc<Hook>>,
    pub(crate) on_thread_stop: Option<Arc<Hook>>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            max_threads: DEFAULT_MAX_THREADS,
            keep_alive: DEFAULT_KEEP_ALIVE,
            on_thread_start: None,
            on_thread_stop: None,
        }
    }
}

impl Settings {
    /// `Builder::build`'s check.
    pub(crate) fn validate(&self) -> std::io::Result<()> {
        if self.max_threads == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "max_blocking_threads must be at least 1 (got 0)",
            ));
        }
        Ok(())
    }
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("max_blocking_threads", &self.max_threads)
            .field("thread_keep_alive", &self.keep_alive)
            .field(
                "on_thread_start",
                &self.on_thread_start.as_ref().map(|_| ".."),
            )
            .field(
                "on_thread_stop",
                &self.on_thread_stop.as_ref().map(|_| ".."),
            )
            .finish()
    }
}
