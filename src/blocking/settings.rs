//! The Builder's settings for the blocking pool and the thread hooks (one Builder field),
//! their defaults and `Builder::build`'s check of them.

use super::hooks::Hook;
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
