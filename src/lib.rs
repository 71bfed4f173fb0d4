//! spindle: a multi-threaded work-stealing async runtime with sharded, cheap timers.
//!
//! - **Scheduler**: one worker thread per core (by default), each with a crossbeam-deque
//!   run queue; work from other threads enters through an injector; idle workers steal and
//!   then park without ever losing a wakeup.
//! - **Timers**: each worker owns a hierarchical timer wheel (its shard). `call_later` on a
//!   worker arms on that worker's shard with no lock; from any other thread it goes through
//!   the shard's inbox. Due callbacks become stealable runnables. Idle workers fire the
//!   overdue timers of a worker stuck in a long task, so no timer is held hostage.
//! - **Cancellation** races firing by a compare-and-swap on the entry's state: exactly one
//!   wins, and a cancelled callback's closure is dropped at once.
//! - **API**: asyncio's event loop (`call_soon`, `call_later`, `call_at`, `time`,
//!   `create_future`) and tokio's (`spawn`, `JoinHandle`, `sleep`, `timeout`, `block_on`).
//!
//! ```
//! use std::time::Duration;
//!
//! let rt = spindle::Runtime::new().unwrap();
//! let out = rt.block_on(async {
//!     // a deadline that is cancelled before it fires, as most are
//!     let deadline = spindle::call_later(Duration::from_secs(30), || println!("too slow"));
//!     let answer = spindle::spawn(async { 42 }).await.unwrap();
//!     assert!(deadline.cancel());
//!     // a timeout on the same wheels
//!     let slow = spindle::sleep(Duration::from_secs(10));
//!     assert!(spindle::timeout(Duration::from_millis(5), slow).await.is_err());
//!     answer
//! });
//! assert_eq!(out, 42);
//! ```
//!
//! See `ARCHITECTURE.md` for how it works and `BENCHMARKS.md` for how it compares to tokio.

#![deny(missing_docs, missing_debug_implementations, unreachable_pub)]
#![deny(unsafe_op_in_unsafe_fn, clippy::undocumented_unsafe_blocks)]

pub(crate) mod loom;

#[cfg(loom)]
#[doc(hidden)]
pub mod __loom;

mod blocking;
mod future;
#[cfg(feature = "hyper")]
pub mod hyper;
mod io;
pub mod net;
mod runtime;
mod scheduler;
mod task;
mod time;
mod util;

pub use future::{Cancelled, Deferred, Promise};
pub use runtime::builder::Builder;
pub use runtime::enter::EnterGuard;
pub use runtime::handle::{
    call_at, call_later, call_soon, sleep, sleep_until, spawn, timeout, Handle,
};
pub use runtime::metrics::RuntimeMetrics;
// Blocking work and thread hooks (issue 14).
pub use runtime::blocking_api::spawn_blocking;
pub use runtime::hooks::worker_index;
pub use runtime::runtime::Runtime;
pub use task::yield_now::yield_now;
pub use task::{JoinError, JoinHandle};
pub use time::{Elapsed, Sleep, Timeout, TimerHandle};
// Periodic timers (issue 14): call_every, Interval.
pub use runtime::timers::{call_every, interval, interval_at};
pub use time::{Interval, MissedTickBehavior};

/// Compile-time checks that the handles are `Send + Sync` where promised.
#[allow(dead_code)]
fn _assert_send_sync() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    send_sync::<Runtime>();
    send_sync::<Handle>();
    send_sync::<TimerHandle>();
    send_sync::<JoinError>();
    send_sync::<JoinHandle<()>>();
    send_sync::<Sleep>();
    send_sync::<net::TcpListener>();
    send_sync::<net::TcpStream>();
    send_sync::<net::UdpSocket>();
    send::<Timeout<Sleep>>();
    send::<Promise<()>>();
    send::<Deferred<()>>();
    send_sync::<Elapsed>();
    send_sync::<Cancelled>();
    send_sync::<RuntimeMetrics>();
    send_sync::<Interval>();
}

/// The README's examples, compiled and run as doc tests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
