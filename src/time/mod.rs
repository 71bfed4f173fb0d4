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

pub(crate) mod arm;
pub(crate) mod clock;
pub(crate) mod entry;
pub(crate) mod handle;
// A shard's inbox: intrusive lock-free list of remote ops (issue 12).
pub(crate) mod inbox;
pub(crate) mod interval;
pub(crate) mod periodic;
// Entry memory: pooled entries, `EntryRef`, inline closures (issue 12).
pub(crate) mod pool;
// Virtual time for tests (pause/resume/advance).
pub(crate) mod pause;
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
