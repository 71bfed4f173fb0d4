//! A single-threaded hierarchical timer wheel: a pure data structure driven by caller-supplied
//! `u64` ticks (no clock, no threads, no locking; the owner holds `&mut Wheel`).
//!
//! # Layout
//!
//! [`NUM_LEVELS`] levels of 64 slots each. A slot of level `L` spans `64^L` ticks, a whole level
//! `64^(L+1)` ticks, and the wheel `2^60` ticks. Deadlines are clamped to [`MAX_TICK`] (the
//! *effective deadline*), so any `u64` is accepted. Each slot is a `Vec<T>` (O(1) removal by
//! `swap_remove`), and each level keeps an `occupied` bitmap with one bit per non-empty slot.
//!
//! # Invariants
//!
//! Write `E = elapsed`, `cur(L) = (E >> 6L) & 63`, `base(L) = E & !(64^(L+1) - 1)` and
//! `start(L, s) = base(L) + s * 64^L` (the first tick of slot `s` of level `L`).
//!
//! 1. `elapsed`: every tick `<= E` is fully processed. Each item with an effective deadline
//!    `<= E` has been handed to `expired` by `advance` or refused by `insert`; every item in the
//!    wheel has an effective deadline `> E`.
//! 2. An item was linked into level `L = msb(E ^ d) / 6`, slot `s = (d >> 6L) & 63`, where `d` and
//!    `E` are its effective deadline and the elapsed tick at link time. Hence
//!    `start(L, s) <= d < start(L, s) + 64^L`. Its deadline may since have moved later (lazy
//!    re-arm) but never earlier, so `start(L, s)` is always a lower bound for it.
//! 3. Every occupied slot lies strictly in the future: `s > cur(L)`, i.e. `start(L, s) > E`. So
//!    the slot starts of level `L` lie in `(E, base(L) + 64^(L+1))`, below every slot start of
//!    level `L + 1`: the earliest pending work is always in the lowest occupied level.
//! 4. Bit `s` of `occupied` of level `L` is set iff that slot is non-empty; `len` counts items.
//! 5. An item's [`Position`] is `(L, s, i)` iff it sits at index `i` of slot `s` of level `L`;
//!    otherwise (never inserted, fired, removed, drained, wheel dropped) it is "not linked".
//!
//! # `advance(now)`
//!
//! 1. If `now <= E` there is nothing to do.
//! 2. Find the earliest slot to process: in the lowest occupied level `L`, the first occupied
//!    slot `s` after `cur(L)` (bitmap rotated by `cur(L)`); let `t = start(L, s)`. If there is no
//!    such slot or `t > now`, go to 5.
//! 3. Set `E = t` and take the whole slot out. Every tick before `t` is done (invariant 3) and `t`
//!    is done once this slot is emptied: lower levels are empty, higher levels start later.
//! 4. For each item taken: if its effective deadline is `<= t` (then it equals `t`), fire it;
//!    otherwise re-link it relative to the new `E`, which puts it in a strictly later slot, usually
//!    at a lower level (cascading). Go to 2.
//! 5. Set `E = now`. No occupied slot starts in `(old E, now]`, so invariant 3 still holds.
//!
//! Each pass of 2–4 strictly increases `E` and only visits non-empty slots, so the cost is
//! proportional to the items touched times the levels they cascade through, whatever `now - E`.

use std::fmt;
use std::mem;
// In the runtime this type comes from crate::loom::sync::atomic (swap this single line).
use crate::loom::sync::atomic::{AtomicU64, Ordering};

/// log2 of the number of slots per level.
pub(crate) const LEVEL_BITS: u32 = 6;
/// Number of levels; `LEVEL_BITS * NUM_LEVELS` = 60 bits of ticks.
pub(crate) const NUM_LEVELS: usize = 10;
/// Latest representable deadline ("never in practice"); later deadlines are clamped to it.
pub(crate) const MAX_TICK: u64 = (1 << 60) - 1;

const SLOTS: usize = 1 << LEVEL_BITS;
const SLOT_MASK: u64 = SLOTS as u64 - 1;

// The level arithmetic relies on the levels covering exactly the bits of MAX_TICK, and the
// position encoding on levels and slots fitting in their fields.
const _: () = assert!(LEVEL_BITS as usize * NUM_LEVELS == 60 && MAX_TICK == (1 << 60) - 1);
const _: () = assert!(NUM_LEVELS < (1 << POS_LEVEL_BITS));

/// Where an item sits in the wheel; owned by the wheel, stored inside the item.
pub(crate) trait WheelItem: Sized {
    /// Current deadline in ticks. May have moved LATER since insertion (lazy re-arm); never earlier.
    fn deadline(&self) -> u64;
    /// The item's position cell, read and written only by the holder of `&mut Wheel` (the runtime
    /// guarantees exclusive access; in the runtime it is an AtomicU64 used with Relaxed ordering).
    fn position(&self) -> &Position;
    /// Identity (e.g. Arc::ptr_eq) used to validate `remove`.
    fn same(&self, other: &Self) -> bool;
}

/// An item's place in a wheel: "not linked", or (level, slot, index in the slot's Vec).
///
/// Packed in one u64 as `index << 10 | slot << 4 | level`; all ones means "not linked" (level 15
/// does not exist, so it never collides with a real position).
///
/// All accesses use `Relaxed`: the cell is only read or written by whoever holds `&mut Wheel`
/// (or, for `is_linked`, by code serialized with it), and handing that exclusive access from one
/// thread to another goes through the lock/ownership transfer around the wheel, whose
/// acquire/release already orders these accesses. The atomic only makes the shared item `Sync`.
pub(crate) struct Position(AtomicU64);

const NOT_LINKED: u64 = u64::MAX;
const POS_LEVEL_BITS: u32 = 4;
const POS_SLOT_SHIFT: u32 = POS_LEVEL_BITS;
const POS_INDEX_SHIFT: u32 = POS_LEVEL_BITS + LEVEL_BITS;

/// A decoded linked position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Loc {
    level: usize,
    slot: usize,
    index: usize,
}

impl Position {
    /// A position that is not in any wheel.
    pub(crate) fn new() -> Self {
        Position(AtomicU64::new(NOT_LINKED))
    }

    /// Whether the item currently sits in a wheel.
    pub(crate) fn is_linked(&self) -> bool {
        self.0.load(Ordering::Relaxed) != NOT_LINKED
    }

    /// Decodes the position; `None` when not linked.
    fn get(&self) -> Option<Loc> {
        let raw = self.0.load(Ordering::Relaxed);
        (raw != NOT_LINKED).then_some(Loc {
            level: (raw & ((1 << POS_LEVEL_BITS) - 1)) as usize,
            slot: ((raw >> POS_SLOT_SHIFT) & SLOT_MASK) as usize,
            index: (raw >> POS_INDEX_SHIFT) as usize,
        })
    }

    /// Records that the item now sits at `loc`.
    fn set(&self, loc: Loc) {
        // A Vec cannot hold 2^54 items, so the index always fits.
        let raw = ((loc.index as u64) << POS_INDEX_SHIFT)
            | ((loc.slot as u64) << POS_SLOT_SHIFT)
            | loc.level as u64;
        self.0.store(raw, Ordering::Relaxed);
    }

    /// Records that the item left the wheel.
    fn clear(&self) {
        self.0.store(NOT_LINKED, Ordering::Relaxed);
    }
}

impl Default for Position {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.get() {
            Some(loc) => write!(f, "Position({}, {}, {})", loc.level, loc.slot, loc.index),
            None => f.write_str("Position(not linked)"),
        }
    }
}

/// The deadline the wheel works with: later deadlines all mean "never in practice".
fn effective_deadline<T: WheelItem>(item: &T) -> u64 {
    item.deadline().min(MAX_TICK)
}

/// Level for a deadline relative to `elapsed`: the 6-bit group of the highest differing bit.
/// `| SLOT_MASK` sends everything in the current 64-tick block to level 0.
fn level_for(elapsed: u64, deadline: u64) -> usize {
    let masked = (elapsed ^ deadline) | SLOT_MASK;
    let msb = 63 - masked.leading_zeros() as usize;
    // Both are < 2^60 when linking, so this is <= 9; `min` keeps any input in range.
    (msb / LEVEL_BITS as usize).min(NUM_LEVELS - 1)
}

/// Slot of `tick` at `level`: its 6-bit digit for that level.
fn slot_for(tick: u64, level: usize) -> usize {
    ((tick >> (LEVEL_BITS as usize * level)) & SLOT_MASK) as usize
}

/// Ticks spanned by one slot of `level`.
fn slot_range(level: usize) -> u64 {
    1 << (LEVEL_BITS as usize * level)
}

/// Ticks spanned by a whole `level` (2^60 for the top one, which still fits).
fn level_range(level: usize) -> u64 {
    1 << (LEVEL_BITS as usize * (level + 1))
}

/// One level: 64 slots and the bitmap of the non-empty ones.
struct Level<T> {
    occupied: u64,
    slots: [Vec<T>; SLOTS],
}

impl<T> Level<T> {
    fn new() -> Self {
        Level {
            occupied: 0,
            slots: std::array::from_fn(|_| Vec::new()),
        }
    }
}

/// A hierarchical timer wheel; see the module documentation for its invariants.
pub(crate) struct Wheel<T: WheelItem> {
    /// Ticks fully processed (invariant 1).
    elapsed: u64,
    /// Number of linked items.
    len: usize,
    /// `NUM_LEVELS` levels, boxed to keep the wheel itself small to move.
    levels: Box<[Level<T>]>,
}

impl<T: WheelItem> Wheel<T> {
    /// An empty wheel at tick 0.
    pub(crate) fn new() -> Self {
        Self::with_elapsed(0)
    }

    /// An empty wheel whose ticks up to `now` count as processed.
    pub(crate) fn with_elapsed(now: u64) -> Self {
        Wheel {
            elapsed: now,
            len: 0,
            levels: (0..NUM_LEVELS).map(|_| Level::new()).collect(),
        }
    }

    /// Ticks fully processed: items due at or before it have fired.
    pub(crate) fn elapsed(&self) -> u64 {
        self.elapsed
    }

    /// Number of items in the wheel.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Whether the wheel holds no item.
    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Inserts the item at its deadline. If deadline <= elapsed it is already due: returns Err(item)
    /// untouched so the caller fires it.
    pub(crate) fn insert(&mut self, item: T) -> Result<(), T> {
        let deadline = effective_deadline(&item);
        // Ticks <= elapsed will never be processed again (invariant 1).
        if deadline <= self.elapsed {
            return Err(item);
        }
        debug_assert!(!item.position().is_linked(), "item is already in a wheel");
        self.link(item, deadline);
        Ok(())
    }

    /// Pushes `item` into the slot for `deadline` (> elapsed) and records its position.
    fn link(&mut self, item: T, deadline: u64) {
        debug_assert!(deadline > self.elapsed && deadline <= MAX_TICK);
        let level = level_for(self.elapsed, deadline);
        let slot = slot_for(deadline, level);
        let lvl = &mut self.levels[level];
        let items = &mut lvl.slots[slot];
        item.position().set(Loc {
            level,
            slot,
            index: items.len(),
        });
        items.push(item);
        lvl.occupied |= 1 << slot;
        self.len += 1;
    }

    /// Removes `item` if it is in this wheel (validates the position with `same`); returns it.
    pub(crate) fn remove(&mut self, item: &T) -> Option<T> {
        // The position may be stale or belong to another wheel: check it points at `item` here
        // before touching anything.
        let loc = item.position().get()?;
        let lvl = self.levels.get_mut(loc.level)?;
        let items = &mut lvl.slots[loc.slot];
        if !items.get(loc.index)?.same(item) {
            return None;
        }
        // O(1): the last item moves into the hole, so its recorded index must follow.
        let removed = items.swap_remove(loc.index);
        if let Some(moved) = items.get(loc.index) {
            moved.position().set(loc);
        }
        if items.is_empty() {
            lvl.occupied &= !(1 << loc.slot);
        }
        removed.position().clear();
        self.len -= 1;
        Some(removed)
    }

    /// Advances elapsed to `now` (no-op if now <= elapsed), calling `expired(item)` for every item
    /// whose deadline() <= now, in nondecreasing deadline order across slots (order inside one tick
    /// unspecified). Items in a processed slot whose deadline moved later, and higher-level items
    /// that are not yet due, are re-inserted at lower levels (cascading). Never loops tick by
    /// tick: it jumps from one occupied slot to the next (see the module docs).
    pub(crate) fn advance(&mut self, now: u64, mut expired: impl FnMut(T)) {
        if now <= self.elapsed {
            return;
        }
        // Slots are processed in start order; each one may refill later slots.
        while let Some((level, slot, start)) = self.next_slot() {
            if start > now {
                break;
            }
            self.process_slot(level, slot, start, &mut expired);
        }
        // Nothing starts in (elapsed, now]: invariant 3 holds at `now`.
        self.elapsed = now;
    }

    /// Empties slot `slot` of `level`, which starts at `start`: fires what is due at `start`,
    /// re-links the rest (later deadlines) relative to `elapsed = start`.
    fn process_slot(&mut self, level: usize, slot: usize, start: u64, expired: &mut impl FnMut(T)) {
        self.elapsed = start;
        let lvl = &mut self.levels[level];
        lvl.occupied &= !(1 << slot);
        let mut items = mem::take(&mut lvl.slots[slot]);
        for item in items.drain(..) {
            self.len -= 1;
            item.position().clear();
            // deadline >= start (invariant 2), so `<=` means "due exactly now".
            let deadline = effective_deadline(&item);
            if deadline <= start {
                expired(item);
            } else {
                self.link(item, deadline);
            }
        }
        // Re-linked items went to slots starting after `start`, never back here: keep the
        // (now empty) allocation for reuse.
        debug_assert!(self.levels[level].slots[slot].is_empty());
        self.levels[level].slots[slot] = items;
    }

    /// The earliest tick at which advance() would have work (an item's deadline for level 0, or
    /// the start of the slot that needs cascading for higher levels); None if empty. Used as the
    /// park timeout. Never later than the earliest item deadline (invariant 2).
    pub(crate) fn next_expiration(&self) -> Option<u64> {
        self.next_slot().map(|(_, _, start)| start)
    }

    /// `(level, slot, start)` of the earliest occupied slot, `None` if the wheel is empty.
    fn next_slot(&self) -> Option<(usize, usize, u64)> {
        // Lower levels' slots all start before higher levels' ones (invariant 3).
        let level = self.levels.iter().position(|lvl| lvl.occupied != 0)?;
        let cur = slot_for(self.elapsed, level);
        // Rotating by the current slot makes the next occupied slot the lowest set bit.
        let rotated = self.levels[level].occupied.rotate_right(cur as u32);
        let slot = (cur + rotated.trailing_zeros() as usize) % SLOTS;
        debug_assert!(slot > cur, "occupied slot at or before the current one");
        let base = self.elapsed & !(level_range(level) - 1);
        Some((level, slot, base + slot as u64 * slot_range(level)))
    }

    /// Removes every item (shutdown), calling f on each.
    pub(crate) fn drain(&mut self, mut f: impl FnMut(T)) {
        for lvl in self.levels.iter_mut() {
            while lvl.occupied != 0 {
                let slot = lvl.occupied.trailing_zeros() as usize;
                lvl.occupied &= lvl.occupied - 1;
                for item in lvl.slots[slot].drain(..) {
                    self.len -= 1;
                    item.position().clear();
                    f(item);
                }
            }
        }
    }
}

impl<T: WheelItem> Default for Wheel<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: WheelItem> fmt::Debug for Wheel<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wheel")
            .field("elapsed", &self.elapsed)
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

impl<T: WheelItem> Drop for Wheel<T> {
    /// Unlinks the remaining items so that handles outliving the wheel never claim to be in it.
    fn drop(&mut self) {
        self.drain(drop);
    }
}

#[cfg(test)]
#[path = "wheel_tests.rs"]
pub(super) mod tests;
