//! Tasks: one allocation per spawned future, driven by an atomic state machine.
//!
//! A task is an `Arc<Task<F, S>>` ([`core`]) holding the state word ([`state`]), the future
//! or its output, the JoinHandle's waker and the scheduler `S` that queues it when woken. The
//! rest of the runtime sees it through two object-safe views:
//!
//! - [`RawTask`]: what run queues and the owned-task registry hold (`run`, `shutdown`);
//! - `JoinOps<T>`: what a [`JoinHandle<T>`] holds (poll the output, abort, drop interest).
//!
//! [`Schedule`] is the seam between tasks and the scheduler, so the state machine can be
//! model-checked with a trivial scheduler.

pub(crate) mod coop;
pub(crate) mod core;
pub(crate) mod error;
pub(crate) mod join;
pub(crate) mod owned;
// `RawTask` and `Header`: a task as run queues and the registry see it.
pub(crate) mod raw;
// `Schedule`: the seam between tasks and the scheduler.
pub(crate) mod schedule;
pub(crate) mod state;
pub(crate) mod yield_now;

pub use error::JoinError;
pub use join::JoinHandle;
pub(crate) use raw::{Header, RawTask};
pub(crate) use schedule::Schedule;
