//! Timers: sharded hierarchical wheels and the asyncio-style API on top.
//!
//! - [`wheel`]: the single-threaded hierarchical wheel (pure data structure).
//! - [`entry`]: a timer entry and its atomic state word (armed/queued/firing/fired/cancelled).
//! - [`shard`]: one worker's wheel plus the lock-free ways in (staging buffer, inbox).
//! - [`clock`]: the runtime's clock (pausable) and `Instant` <-> tick arithmetic.
//! - [`pause`]: virtual time for tests (`pause`, `resume`, `advance`, auto-advance).
//! - [`arm`]: routing `call_*` to the right shard.
//! - [`handle`], [`sleep`], [`timeout`]: the public types.
//! - [`periodic`]: `call_every` (one entry re-armed in place); [`interval`]: `Interval`.

pub(crate) mod clock;
pub(crate) mod entry;
pub(crate) mod handle;
// A shard's inbox: intrusive lock-free list of remote ops (issue 12).
pub(crate) mod inbox;
pub(crate) mod interval;
// The owner-only shard operations as a non-Sync type (issue 9).
pub(crate) mod owner;
// The period grid of call_every and Interval.
pub(crate) mod period;
// Entry memory: pooled entries, `EntryRef`, inline closures (issue 12).
pub(crate) mod pool;
// Per-thread inbox push counting for the drain batch (issue 12).
pub(crate) mod pushes;
// The seam to the scheduler: where timers go (issue 9).
pub(crate) mod route;
pub(crate) mod shard;
pub(crate) mod sleep;
pub(crate) mod timeout;
pub(crate) mod wheel;

pub use handle::TimerHandle;
pub use interval::{Interval, MissedTickBehavior};
pub use sleep::Sleep;
pub use timeout::{Elapsed, Timeout};
// Unit tests of issue 10's fixes in this module (kept apart so the modules above stay as
// their owners left them).
#[cfg(test)]
mod reliability_tests;
// Issue 12: the wheel's randomized test over pooled entries whose blocks are reused.
#[cfg(all(test, not(loom)))]
mod engine_tests;
