//! The work-stealing scheduler: shared state, spawning, and where woken tasks go.
//!
//! - [`queue`]: run queues (crossbeam-deque, or a loom-visible stand-in).
//! - [`idle`]: the sleep protocol (who searches, who sleeps, whom to wake).
//! - [`worker`]: the worker loop (run, maintain timers, steal, park).
//! - [`metrics`]: per-worker counters without shared cache lines.
//! - [`shared`]: the runtime's shared state (spawn, push, notify, shutdown steps 1, 3, 4);
//!   [`notified`]: what run queues hold; [`remote`]: one worker's face to other threads.

// The remote-arm-vs-owner-park handshake (issue 9).
pub(crate) mod arm;
// TimerHandle::cancel and the won cancel's bookkeeping.
pub(crate) mod cancel;
pub(crate) mod handshake;
// The thread-local current runtime and current worker.
pub(crate) mod context;
pub(crate) mod idle;
pub(crate) mod metrics;
pub(crate) use crate::util::queue;
// Virtual time: the "runtime is quiet" decision.
pub(crate) mod quiet;
// `Notified`: a runnable unit in a run queue.
pub(crate) mod notified;
// What other threads may touch of one worker (issue 9).
pub(crate) mod remote;
// No hostage timers: watch deadline, grace, thief pass (issue 9).
pub(crate) mod watch;
// Virtual time's runtime side (agents, the quiet decision's world, pending advances).
pub(crate) mod pause;
// call_every: arming and running a periodic entry.
pub(crate) mod periodic;
pub(crate) mod worker;
// `Shared`: everything the workers, handles and tasks of one runtime share.
pub(crate) mod shared;

pub(crate) use notified::Notified;
pub(crate) use shared::{PanicHook, Shared};
