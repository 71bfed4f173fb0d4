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
// The Builder's settings for the pool and the thread hooks.
pub(crate) mod settings;
pub(crate) mod task;

pub(crate) use pool::Pool;
pub(crate) use settings::Settings;
