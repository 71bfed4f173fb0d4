//! The public runtime surface: [`Builder`], [`Runtime`], [`Handle`], the thread-local
//! context, `block_on`, and [`RuntimeMetrics`].

pub(crate) mod block_on;
// spawn_blocking, its Builder settings and metrics (moved from blocking/api.rs, issue 9).
pub(crate) mod blocking_api;
pub(crate) mod builder;
pub(crate) mod handle;
pub(crate) mod hooks;
pub(crate) mod metrics;
#[allow(clippy::module_inception)]
pub(crate) mod runtime;
// I/O: `Handle::enter` and the futures `Spawn` impl.
pub(crate) mod enter;
pub(crate) mod spawn_trait;
// UnwindSafe / RefUnwindSafe for the public handles (conformance with tokio).
mod unwind_safe;
// Starting worker threads without leaving anything behind on failure (issue 10).
pub(crate) mod spawn_worker;
// Handle::call_every / interval / interval_at (issue 9: out of time/ and scheduler/).
pub(crate) mod timers;
// Builder::start_paused / auto_advance, Handle::pause / resume / advance (issue 9).
pub(crate) mod virtual_time;
