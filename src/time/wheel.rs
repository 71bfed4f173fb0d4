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
mod tests {
    use super::*;
    use std::sync::Arc;

    struct ItInner {
        deadline: AtomicU64,
        pos: Position,
        id: u64,
    }

    #[derive(Clone)]
    struct It(Arc<ItInner>);

    impl It {
        fn new(id: u64, deadline: u64) -> It {
            It(Arc::new(ItInner {
                deadline: AtomicU64::new(deadline),
                pos: Position::new(),
                id,
            }))
        }
        fn id(&self) -> u64 {
            self.0.id
        }
        /// Lazy re-arm: only moves the deadline, the wheel notices when it gets there.
        fn set_deadline(&self, deadline: u64) {
            self.0.deadline.store(deadline, Ordering::Relaxed);
        }
        /// (level, slot) of the item, if linked.
        fn at(&self) -> Option<(usize, usize)> {
            self.0.pos.get().map(|l| (l.level, l.slot))
        }
    }

    impl WheelItem for It {
        fn deadline(&self) -> u64 {
            self.0.deadline.load(Ordering::Relaxed)
        }
        fn position(&self) -> &Position {
            &self.0.pos
        }
        fn same(&self, other: &Self) -> bool {
            Arc::ptr_eq(&self.0, &other.0)
        }
    }

    /// Advances and returns the fired items' ids in firing order.
    fn fire(w: &mut Wheel<It>, now: u64) -> Vec<u64> {
        let mut out = Vec::new();
        w.advance(now, |it| out.push(it.id()));
        out
    }

    fn insert(w: &mut Wheel<It>, id: u64, deadline: u64) -> It {
        let it = It::new(id, deadline);
        assert!(w.insert(it.clone()).is_ok(), "insert {deadline} failed");
        it
    }

    fn pow64(k: u32) -> u64 {
        1 << (LEVEL_BITS * k)
    }

    #[test]
    fn level_and_slot_at_boundaries() {
        let mut w = Wheel::new();
        let cases = [
            (1, (0, 1)),
            (63, (0, 63)),
            (64, (1, 1)),
            (4095, (1, 63)),
            (4096, (2, 1)),
            (MAX_TICK, (9, 63)),
            (u64::MAX, (9, 63)),
        ];
        for (i, &(d, at)) in cases.iter().enumerate() {
            assert_eq!(insert(&mut w, i as u64, d).at(), Some(at), "deadline {d}");
        }
        for k in 1..NUM_LEVELS as u32 {
            let below = insert(&mut w, 100, pow64(k) - 1);
            assert_eq!(below.at(), Some((k as usize - 1, 63)), "64^{k}-1");
            let at = insert(&mut w, 101, pow64(k));
            assert_eq!(at.at(), Some((k as usize, 1)), "64^{k}");
        }
        // Relative to an unaligned elapsed: 100 = 1*64 + 36.
        let mut w = Wheel::with_elapsed(100);
        let cases = [
            (101, (0, 37)),
            (127, (0, 63)),
            (128, (1, 2)),
            (100 + 63, (1, 2)),
            (4095, (1, 63)),
            (4096, (2, 1)),
            (100 + 4096, (2, 1)),
        ];
        for (i, &(d, at)) in cases.iter().enumerate() {
            assert_eq!(insert(&mut w, i as u64, d).at(), Some(at), "deadline {d}");
        }
        // Just below the top: elapsed and MAX_TICK differ only in the low bits.
        let mut w = Wheel::with_elapsed(MAX_TICK - 1);
        assert_eq!(insert(&mut w, 0, u64::MAX).at(), Some((0, 63)));
        assert_eq!(w.next_expiration(), Some(MAX_TICK));
    }

    #[test]
    fn level_for_matches_definition() {
        assert_eq!(level_for(0, 1), 0);
        assert_eq!(level_for(63, 64), 1);
        assert_eq!(level_for(64, 127), 0);
        assert_eq!(level_for(4095, 4096), 2);
        assert_eq!(level_for(0, MAX_TICK), 9);
        assert_eq!(level_for(0, u64::MAX), 9);
        assert_eq!(level_for(u64::MAX, 0), 9);
    }

    #[test]
    fn insert_due_returns_err() {
        let mut w = Wheel::new();
        assert_eq!(w.insert(It::new(0, 0)).unwrap_err().id(), 0);
        let mut w = Wheel::with_elapsed(1000);
        for d in [0, 999, 1000] {
            let it = It::new(d, d);
            let back = w.insert(it.clone()).unwrap_err();
            assert!(back.same(&it) && !it.position().is_linked());
        }
        assert!(w.insert(It::new(1, 1001)).is_ok());
        assert_eq!(w.len(), 1);
        // Past MAX_TICK everything is due, even "never".
        let mut w = Wheel::with_elapsed(MAX_TICK);
        assert!(w.insert(It::new(0, u64::MAX)).is_err());
        let mut w = Wheel::with_elapsed(u64::MAX);
        assert!(w.insert(It::new(0, u64::MAX)).is_err());
        assert!(w.is_empty() && w.next_expiration().is_none());
    }

    #[test]
    fn level0_fires_at_exact_tick() {
        let mut w = Wheel::new();
        for d in 1..64 {
            insert(&mut w, d, d);
        }
        for now in 1..64 {
            assert_eq!(fire(&mut w, now), vec![now]);
        }
        assert!(w.is_empty());
    }

    #[test]
    fn cascades_across_levels() {
        let mut w = Wheel::new();
        let deadlines = [
            64,
            100,
            4096,
            5000,
            pow64(3) + 7,
            pow64(5) + pow64(2) * 3 + 1,
        ];
        let items: Vec<It> = deadlines.iter().map(|&d| insert(&mut w, d, d)).collect();
        assert_eq!(items[3].at(), Some((2, 1)));
        // 5000 = 4096 + 14*64 + 8: level 2 -> level 1 slot 14 -> level 0 slot 8.
        assert_eq!(fire(&mut w, 4096), vec![64, 100, 4096]);
        assert_eq!(items[3].at(), Some((1, 14)));
        assert_eq!(fire(&mut w, 4096 + 14 * 64), vec![]);
        assert_eq!(items[3].at(), Some((0, 8)));
        assert_eq!(fire(&mut w, 4999), vec![]);
        assert_eq!(fire(&mut w, 5000), vec![5000]);
        for &d in &deadlines[4..] {
            assert_eq!(fire(&mut w, d - 1), vec![]);
            assert_eq!(fire(&mut w, d), vec![d]);
        }
        assert!(w.is_empty() && items.iter().all(|it| !it.position().is_linked()));
    }

    #[test]
    fn wrap_around_with_unaligned_elapsed() {
        for start in [100, 4000, pow64(3) - 5] {
            let mut w = Wheel::with_elapsed(start);
            let mut pending: Vec<u64> = (start + 1..=start + 300).collect();
            pending.extend([start + 4096, start + 5000, start + 70_000]);
            for &d in &pending {
                insert(&mut w, d, d);
            }
            let steps = [1, 7, 63, 64, 65, 1, 2, 200, 4000, 100_000];
            let mut now = start;
            for step in steps.iter().cycle() {
                if pending.is_empty() {
                    break;
                }
                now += step;
                let mut expect: Vec<u64> = pending.iter().copied().filter(|&d| d <= now).collect();
                pending.retain(|&d| d > now);
                let mut got = fire(&mut w, now);
                assert!(got.windows(2).all(|p| p[0] <= p[1]), "order {got:?}");
                got.sort_unstable();
                expect.sort_unstable();
                assert_eq!(got, expect, "start {start} now {now}");
                assert_eq!(w.len(), pending.len());
            }
        }
    }

    #[test]
    fn huge_jump_fires_exactly_the_due_items() {
        let mut w = Wheel::new();
        let t = 1 << 40;
        let deadlines = [
            1,
            63,
            64,
            4096,
            1 << 20,
            1 << 30,
            t - 1,
            t,
            t + 1,
            1 << 50,
            MAX_TICK,
        ];
        for &d in deadlines.iter().rev() {
            insert(&mut w, d, d);
        }
        assert_eq!(fire(&mut w, t), deadlines[..8].to_vec());
        assert_eq!(w.elapsed(), t);
        assert_eq!(w.len(), 3);
        assert!(w.next_expiration().unwrap() <= t + 1);
        assert_eq!(fire(&mut w, u64::MAX), deadlines[8..].to_vec());
        assert!(w.is_empty() && w.next_expiration().is_none());
        assert_eq!(w.elapsed(), u64::MAX);
    }

    #[test]
    fn max_tick_items_are_kept_and_removable() {
        let mut w = Wheel::new();
        let a = insert(&mut w, 0, MAX_TICK);
        let b = insert(&mut w, 1, u64::MAX);
        assert_eq!(fire(&mut w, MAX_TICK - 1), vec![]);
        assert_eq!(w.len(), 2);
        assert!(w.remove(&a).is_some());
        assert_eq!(fire(&mut w, MAX_TICK), vec![1]);
        assert!(!b.position().is_linked() && w.is_empty());
    }

    #[test]
    fn remove_head_middle_last_and_fix_up() {
        let mut w = Wheel::new();
        let items: Vec<It> = (0..5).map(|id| insert(&mut w, id, 10)).collect();
        let index = |it: &It| it.0.pos.get().unwrap().index;
        // Head: the last item (4) moves to index 0.
        assert!(w.remove(&items[0]).unwrap().same(&items[0]));
        assert_eq!(index(&items[4]), 0);
        assert!(!items[0].position().is_linked());
        // Middle: item 3 (now last) moves to index 2.
        assert!(w.remove(&items[2]).is_some());
        assert_eq!(index(&items[3]), 2);
        // Last: nothing moves.
        assert!(w.remove(&items[3]).is_some());
        assert_eq!((index(&items[4]), index(&items[1])), (0, 1));
        // Twice.
        assert!(w.remove(&items[3]).is_none());
        assert_eq!(w.len(), 2);
        // The moved items are still removable through their fixed-up positions.
        assert!(w.remove(&items[4]).is_some() && w.remove(&items[1]).is_some());
        assert!(w.is_empty() && w.next_expiration().is_none());
        assert_eq!(fire(&mut w, 100), vec![]);
    }

    #[test]
    fn remove_foreign_or_unlinked_items() {
        let mut w = Wheel::new();
        let mut other = Wheel::new();
        let here = insert(&mut w, 0, 10);
        let there = insert(&mut other, 1, 10); // same (level, slot, index) as `here`
        let elsewhere = insert(&mut other, 2, 20);
        let never = It::new(3, 10);
        assert!(w.remove(&there).is_none());
        assert!(w.remove(&elsewhere).is_none());
        assert!(w.remove(&never).is_none());
        assert!(there.position().is_linked() && here.position().is_linked());
        assert_eq!((w.len(), other.len()), (1, 2));
        assert!(other.remove(&there).is_some());
        assert_eq!(fire(&mut w, 10), vec![0]);
        assert_eq!(fire(&mut other, 20), vec![2]);
    }

    #[test]
    fn remove_after_cascade() {
        let mut w = Wheel::new();
        let a = insert(&mut w, 0, 5000);
        let b = insert(&mut w, 1, 5001);
        assert_eq!(a.at(), Some((2, 1)));
        assert_eq!(fire(&mut w, 4992), vec![]);
        assert_eq!(a.at(), Some((0, 8)));
        assert!(w.remove(&a).is_some());
        assert!(w.remove(&a).is_none());
        assert_eq!(fire(&mut w, 6000), vec![1]);
        assert!(!b.position().is_linked());
    }

    #[test]
    fn lazy_rearm_fires_at_the_new_deadline() {
        let mut w = Wheel::new();
        let near = insert(&mut w, 0, 10);
        let far = insert(&mut w, 1, 10);
        let never = insert(&mut w, 2, 10);
        let coarse = insert(&mut w, 3, 5000);
        near.set_deadline(20);
        far.set_deadline(10_000);
        never.set_deadline(u64::MAX);
        coarse.set_deadline(5050);
        assert_eq!(fire(&mut w, 10), vec![]);
        assert_eq!(w.len(), 4);
        assert_eq!(near.at(), Some((0, 20)));
        assert_eq!(far.at(), Some((2, 2)));
        assert_eq!(never.at(), Some((9, 63)));
        assert_eq!(fire(&mut w, 19), vec![]);
        assert_eq!(fire(&mut w, 20), vec![0]);
        assert_eq!(fire(&mut w, 5049), vec![]);
        assert_eq!(fire(&mut w, 5050), vec![3]);
        assert_eq!(fire(&mut w, 9999), vec![]);
        assert_eq!(fire(&mut w, 10_000), vec![1]);
        assert!(w.remove(&never).is_some());
    }

    #[test]
    fn next_expiration_is_a_lower_bound_that_makes_progress() {
        let mut w = Wheel::new();
        assert_eq!(w.next_expiration(), None);
        insert(&mut w, 0, 5000);
        assert_eq!(w.next_expiration(), Some(4096));
        insert(&mut w, 1, 70);
        assert_eq!(w.next_expiration(), Some(64));
        insert(&mut w, 2, 3);
        assert_eq!(w.next_expiration(), Some(3));
        let rearmed = insert(&mut w, 3, 4);
        rearmed.set_deadline(4100);
        let deadlines = [3, 70, 4100, 5000];
        let mut fired = Vec::new();
        let mut steps = 0;
        while let Some(t) = w.next_expiration() {
            let earliest = deadlines[fired.len()];
            assert!(t > w.elapsed() && t <= earliest, "{t} vs {earliest}");
            w.advance(t, |it| fired.push(it.deadline()));
            assert_eq!(w.elapsed(), t);
            steps += 1;
            assert!(steps <= 4 * NUM_LEVELS, "no progress");
        }
        assert_eq!(fired, deadlines);
    }

    #[test]
    fn drain_and_drop_unlink_everything() {
        let mut w = Wheel::new();
        let items: Vec<It> = [5, 5, 70, 5000, MAX_TICK]
            .iter()
            .enumerate()
            .map(|(i, &d)| insert(&mut w, i as u64, d))
            .collect();
        let mut drained = Vec::new();
        w.drain(|it| drained.push(it.id()));
        drained.sort_unstable();
        assert_eq!(drained, vec![0, 1, 2, 3, 4]);
        assert!(w.is_empty() && w.next_expiration().is_none());
        assert!(items.iter().all(|it| !it.position().is_linked()));
        // Reusable afterwards; dropping unlinks what is left.
        assert!(w.insert(items[0].clone()).is_ok());
        drop(w);
        assert!(!items[0].position().is_linked());
    }

    /// xorshift64*: tiny deterministic PRNG.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
        /// How far to advance: mostly small, sometimes huge (but the final flush aside, never
        /// past everything at once, so the run keeps exercising the wheel).
        fn step(&mut self) -> u64 {
            match self.below(20) {
                0..=7 => self.below(70),
                8..=13 => self.below(5000),
                14..=17 => self.below(1 << 24),
                _ => self.below(1 << 40),
            }
        }
        /// A delta spanning all levels: mostly small, sometimes huge or "never".
        fn delta(&mut self) -> u64 {
            match self.below(20) {
                0 => 0,
                1..=6 => self.below(64),
                7..=11 => self.below(5000),
                12..=15 => self.below(1 << 24),
                16..=17 => self.below(1 << 45),
                18 => MAX_TICK,
                _ => u64::MAX,
            }
        }
    }

    #[derive(Clone, Copy, PartialEq, Eq, Debug)]
    enum State {
        Live,
        Fired,
        Removed,
        Refused,
    }

    /// Reference model: every item created, its state and its effective deadline.
    struct Model {
        items: Vec<It>,
        state: Vec<State>,
    }

    impl Model {
        fn live(&self) -> impl Iterator<Item = usize> + '_ {
            (0..self.items.len()).filter(|&i| self.state[i] == State::Live)
        }
        fn eff(&self, i: usize) -> u64 {
            effective_deadline(&self.items[i])
        }
    }

    /// Checks invariants 3-5 and that slot starts bound the items' deadlines (invariant 2).
    fn check_structure(w: &Wheel<It>) {
        let mut count = 0;
        for (level, lvl) in w.levels.iter().enumerate() {
            let cur = slot_for(w.elapsed, level);
            let base = w.elapsed & !(level_range(level) - 1);
            for (slot, items) in lvl.slots.iter().enumerate() {
                assert_eq!(lvl.occupied >> slot & 1 == 1, !items.is_empty());
                if items.is_empty() {
                    continue;
                }
                assert!(slot > cur, "stale slot {level}/{slot} (cur {cur})");
                let start = base + slot as u64 * slot_range(level);
                for (index, it) in items.iter().enumerate() {
                    assert_eq!(it.0.pos.get(), Some(Loc { level, slot, index }));
                    assert!(effective_deadline(it) >= start);
                }
                count += items.len();
            }
        }
        assert_eq!(count, w.len());
    }

    fn check_advance(w: &mut Wheel<It>, m: &mut Model, now: u64) {
        let old = w.elapsed();
        let mut fired = Vec::new();
        w.advance(now, |it| fired.push(it));
        let mut last = 0;
        for it in fired {
            let i = it.id() as usize;
            let d = m.eff(i);
            assert_eq!(m.state[i], State::Live, "fired twice or not in wheel");
            assert!(
                d > old && d <= now,
                "fired early/late: {d} not in ({old}, {now}]"
            );
            assert!(d >= last, "out of order");
            assert!(!it.position().is_linked());
            last = d;
            m.state[i] = State::Fired;
        }
        assert_eq!(w.elapsed(), old.max(now));
        check_structure(w);
        // Nothing covered by this advance may stay behind.
        let mut count = 0;
        let mut earliest = u64::MAX;
        for i in m.live() {
            assert!(m.eff(i) > w.elapsed(), "item {i} not fired");
            assert!(m.items[i].position().is_linked());
            earliest = earliest.min(m.eff(i));
            count += 1;
        }
        assert_eq!(w.len(), count);
        match w.next_expiration() {
            None => assert_eq!(count, 0),
            Some(t) => assert!(t > w.elapsed() && t <= earliest),
        }
    }

    /// `step_cap` bounds each advance so that runs starting near MAX_TICK do not end at once.
    fn run_random(seed: u64, start: u64, step_cap: u64, ops: usize) {
        let mut rng = Rng(seed);
        let mut w = Wheel::with_elapsed(start);
        let mut m = Model {
            items: Vec::new(),
            state: Vec::new(),
        };
        for _ in 0..ops {
            let now = w.elapsed();
            match rng.below(100) {
                0..=39 => {
                    let id = m.items.len() as u64;
                    let d = match rng.below(8) {
                        0 => now.saturating_sub(rng.below(100)),
                        _ => now.saturating_add(rng.delta()),
                    };
                    let it = It::new(id, d);
                    let refused = w.insert(it.clone()).is_err();
                    assert_eq!(refused, effective_deadline(&it) <= now);
                    m.items.push(it);
                    m.state
                        .push(if refused { State::Refused } else { State::Live });
                }
                40..=54 if !m.items.is_empty() => {
                    let i = rng.below(m.items.len() as u64) as usize;
                    let got = w.remove(&m.items[i]);
                    if m.state[i] == State::Live {
                        assert!(got.unwrap().same(&m.items[i]));
                        m.state[i] = State::Removed;
                    } else {
                        assert!(got.is_none());
                    }
                    assert!(!m.items[i].position().is_linked());
                    check_structure(&w);
                }
                55..=69 if !m.items.is_empty() => {
                    let i = rng.below(m.items.len() as u64) as usize;
                    if m.state[i] == State::Live {
                        let it = &m.items[i];
                        it.set_deadline(it.deadline().saturating_add(rng.delta()));
                    }
                }
                70..=74 => check_structure(&w),
                _ => {
                    // Occasionally go backwards or stay put (no-op).
                    let to = match rng.below(10) {
                        0 => now.saturating_sub(rng.below(10)),
                        _ => now.saturating_add(rng.step() % step_cap),
                    };
                    check_advance(&mut w, &mut m, to);
                }
            }
        }
        check_advance(&mut w, &mut m, u64::MAX);
        assert!(w.is_empty());
        assert!(m.state.iter().all(|&s| s != State::Live));
    }

    #[test]
    fn randomized_against_model() {
        let runs = [
            (0, u64::MAX),
            (100, u64::MAX),
            (4000, u64::MAX),
            (1 << 33, u64::MAX),
            (MAX_TICK - (1 << 30), 1 << 22),
            (MAX_TICK - 5000, 8),
        ];
        for (k, &(start, step_cap)) in runs.iter().enumerate() {
            for seed in 1..=3u64 {
                let seed = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ k as u64;
                run_random(seed, start, step_cap, 3000);
            }
        }
    }
}
