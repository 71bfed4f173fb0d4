//! No hostage timers: the one home of the protocol that keeps a worker's timers firing while
//! that worker is stuck in a long poll (issue 9; the state it reads lives on each shard, the
//! engine's side of it is `time::shard`).
//!
//! ## The three parts
//!
//! 1. **Watch deadline.** A parking worker wakes by itself at the earliest of its own shard's
//!    next deadline and, for every other shard, that shard's next deadline plus the *grace*
//!    ([`wake_tick`], from `Shard::next_due` and `Shard::watch_tick`). So while any worker
//!    is idle, some idle worker is awake soon after any shard's timer comes due.
//! 2. **Grace.** `Shard::watch_tick` is `max(next_due, last_look + rate) + grace`, where
//!    `(grace, rate)` is `time::shard::watch_ticks`: `GRACE_TICKS` (2) and 1 tick, or
//!    `WATCH_FLOOR` (1 ms) in ticks, whichever is longer. The owner gets `grace` ticks to fire
//!    its own timers; the `rate` bound matters while it is stuck: only the owner recomputes
//!    `next_due`, so it stays in the past, and without the bound idle workers would spin.
//! 3. **Thief pass.** A searching worker ([`thief_pass`]) runs `Shard::steal_overdue` on every
//!    other shard: if the shard is late by more than the grace (and nobody looked within
//!    `rate`), it takes the shard's `access` flag as THIEF, fires what is due in the wheel and
//!    the inbox, fires the due entries of the owner's staging buffer in place (safe by the
//!    buffer's publication protocol, shard invariant 1), and republishes the wheel's next
//!    expiration through `inbox_due` so later watchers still see it.
//!
//! ## The deadline nobody watches yet (the Dekker pair)
//!
//! An owner that arms a deadline earlier than any sleeper will look wakes one
//! ([`Shared::watch_deadline`]). The pair: the owner stores the lowered `next_due` (SeqCst,
//! `Shard::owner_arm`), then reads the sleepers' earliest wake (`Idle::earliest_wake`,
//! SeqCst); a parking worker registers its wake tick in `Idle` (SeqCst), fences, then
//! re-reads every shard's deadlines (`handshake::decide`, O2-O3). In the single SeqCst
//! order one of the two sees the other: the owner wakes a sleeper, or the sleeper's wake
//! tick already covers the new deadline. A remote arm lowers `inbox_due` (SeqCst, after its
//! push and fence) and calls `watch_deadline` too.

use super::idle::Notify;
use super::worker::{ToLocal, Worker};
use super::Shared;

/// The tick worker `index` wakes at by itself: its own shard's next deadline, and the other
/// shards' next deadlines plus the grace after which it fires them in their owner's place.
pub(crate) fn wake_tick(shared: &Shared, index: usize) -> u64 {
    let mut t = u64::MAX;
    for (i, shard) in shared.remotes.iter().map(|r| &r.shard).enumerate() {
        t = t.min(if i == index {
            shard.next_due()
        } else {
            shard.watch_tick()
        });
    }
    t
}

impl Shared {
    /// Wakes a sleeper if a newly armed deadline is earlier than any sleeper will look at the
    /// timers by itself (so a stuck owner's timers still have a watcher). The caller made the
    /// deadline visible (SeqCst) before calling: with the sleeper's registration and re-check
    /// this is the Dekker pair of the module doc.
    pub(crate) fn watch_deadline(&self, tick: u64) {
        if self.idle.num_sleeping() > 0
            && tick.saturating_add(self.remotes[0].shard.grace()) < self.idle.earliest_wake()
        {
            if let Notify::Unpark(i) = self.idle.choose_any() {
                self.remotes[i].unpark.unpark();
            }
        }
    }
}

/// Part 3: worker `w` fires the due timers of shards whose owners are late. Returns true if
/// that queued callbacks on `w`'s deque.
pub(crate) fn thief_pass(w: &Worker) -> bool {
    let now = w.shared.clock.now_tick();
    let mut sink = ToLocal::new(w);
    for (i, shard) in w.shared.remotes.iter().map(|r| &r.shard).enumerate() {
        if i != w.index {
            shard.steal_overdue(now, &mut sink);
        }
    }
    sink.has_queued()
}
