//! A shard's inbox: arms and unlinks from other threads, an intrusive lock-free list linked
//! through the entries themselves (no queue blocks to allocate, one CAS per push).
//!
//! ```text
//!   pushers (any thread)                     drainer (holder of the shard's `access`)
//!   e.link = head; CAS head: head -> e|op    list = swap(head, null); walk the links
//! ```
//!
//! Invariants:
//! - **I1 (one place)**: an entry is in at most one inbox position at a time, so its single
//!   `link` field is enough. An arm is pushed only while the entry is STAGED and in no queue
//!   (a new entry, a periodic re-arm after its run, or a due arm a reclaim re-stages); an
//!   unlink only by the winner of a cancel that found it not STAGED (so its arm was drained
//!   already), and a cancelled entry is never armed again. `Shard::reclaim_inbox` re-sets
//!   STAGED before re-pushing a due arm (`Entry::restage`), so a cancel meanwhile never adds
//!   an unlink for an entry that is in the inbox as an arm.
//! - **I2 (ownership)**: the list holds one `EntryRef` count per node (given up by
//!   `into_raw` at the push, taken back by `from_raw` exactly once at the drain).
//! - **I3 (publication)**: a node's `link` is written before the Release CAS that publishes
//!   it, and the drainer's Acquire swap sees it; it is read before the node's count is handed
//!   on (after that the node may be released).
//!
//! Proof note: pushes and the drainer's swap are RMWs on one word, so each push is in exactly
//! one drained list (or the list still in the word). Nobody removes single nodes, so there is
//! no ABA: a CAS that succeeds links the node in front of exactly the list it read. The op
//! (arm or unlink) rides in bit 0 of the pointer to the node (entries are 8-aligned).

use super::entry::Entry;
use super::pool::EntryRef;
use crate::loom::sync::atomic::{AtomicPtr, Ordering::*};
use std::ptr;

/// Work sent to a shard from another thread.
pub(crate) enum Op {
    Arm(EntryRef),
    Unlink(EntryRef),
}

const UNLINK: usize = 1;

const _: () = assert!(std::mem::align_of::<Entry>() >= 2);

pub(crate) struct Inbox {
    head: AtomicPtr<Entry>,
}

fn tag(p: *mut Entry, unlink: bool) -> *mut Entry {
    p.cast::<u8>().wrapping_add(usize::from(unlink)).cast()
}

fn untag(p: *mut Entry) -> (*mut Entry, bool) {
    let bit = p as usize & UNLINK;
    (p.cast::<u8>().wrapping_sub(bit).cast(), bit != 0)
}

impl Inbox {
    pub(crate) fn new() -> Inbox {
        Inbox {
            head: AtomicPtr::new(ptr::null_mut()),
        }
    }

    /// Any thread: one CAS (a retry only when another push landed in between).
    pub(crate) fn push(&self, op: Op) {
        let (e, unlink) = match op {
            Op::Arm(e) => (e, false),
            Op::Unlink(e) => (e, true),
        };
        let node = EntryRef::into_raw(e);
        let tagged = tag(node, unlink);
        // Relaxed: the CAS re-validates it.
        let mut head = self.head.load(Relaxed);
        loop {
            // Relaxed: published by the Release CAS below (I3).
            // SAFETY: I2, we hold the node's count (given up to the list by the CAS).
            unsafe { (*node).link.store(head, Relaxed) };
            // Release: the drainer's Acquire swap sees the link and the entry (I3).
            match self
                .head
                .compare_exchange_weak(head, tagged, Release, Relaxed)
            {
                Ok(_) => return,
                Err(h) => head = h,
            }
        }
    }

    /// Whether nothing is waiting (a hint: a push may land right after).
    pub(crate) fn is_empty(&self) -> bool {
        // Acquire: a caller that then drains sees what this saw.
        self.head.load(Acquire).is_null()
    }

    /// Takes every op pushed so far (most recent first); returns how many.
    pub(crate) fn drain(&self, mut f: impl FnMut(Op)) -> usize {
        if self.is_empty() {
            return 0;
        }
        // Acquire: pairs with the pushes' Release CAS (I3).
        let mut p = if crate::loom::fault::is(crate::loom::fault::Fault::InboxDrainNotAtomic) {
            take_in_two_steps(&self.head)
        } else {
            self.head.swap(ptr::null_mut(), Acquire)
        };
        let mut n = 0;
        while !p.is_null() {
            let (node, unlink) = untag(p);
            // Relaxed: ordered by the Acquire swap (I3); read before the count moves on.
            // SAFETY: I2, the node's count is the list's until `from_raw` below.
            p = unsafe { (*node).link.load(Relaxed) };
            // SAFETY: I2, the count given up at the push, taken back once.
            let e = unsafe { EntryRef::from_raw(node) };
            f(if unlink { Op::Unlink(e) } else { Op::Arm(e) });
            n += 1;
        }
        n
    }
}

/// seeded fault (loom only): `InboxDrainNotAtomic`, a push between the two steps is lost.
fn take_in_two_steps(head: &AtomicPtr<Entry>) -> *mut Entry {
    let p = head.load(Acquire);
    head.store(ptr::null_mut(), Relaxed);
    p
}

impl Drop for Inbox {
    fn drop(&mut self) {
        self.drain(drop);
    }
}
